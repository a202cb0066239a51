//! The checks and changes every backend applies to rate limits and quotas (seeded or
//! written through the admin API) before it stores them, so each backend refuses and
//! changes them the same way; and how usage costs are charged to quotas.

use crate::model::{
    NewQuota, NewRateLimit, QuotaPatch, QuotaRow, RateLimitPatch, RateLimitRow, SeedQuota,
    SeedRateLimit,
};
use crate::store::StoreError;

/// The quota periods: `none` (a fixed budget), `daily` and `monthly` (reset at the
/// period's start, UTC).
pub const PERIODS: [&str; 3] = ["none", "daily", "monthly"];

/// The first ceiling below 1 among `(field, value)` pairs, by field name.
fn ceiling_below_one(ceilings: [(&'static str, Option<i64>); 4]) -> Option<&'static str> {
    ceilings
        .into_iter()
        .find(|(_, value)| value.is_some_and(|v| v < 1))
        .map(|(field, _)| field)
}

/// Refuses a rate limit with an empty pattern or a ceiling below 1.
pub(crate) fn check_rate_limit(r: &SeedRateLimit) -> Result<(), StoreError> {
    if r.model_pattern.is_empty() {
        return Err(StoreError::Invalid(format!(
            "rate_limits: model_pattern of user `{}` must not be empty",
            r.user_name
        )));
    }
    if let Some(field) = ceiling_below_one([
        ("rpm", r.rpm),
        ("rpd", r.rpd),
        ("tpm", r.tpm),
        ("tpd", r.tpd),
    ]) {
        return Err(StoreError::Invalid(format!(
            "rate_limits: {field} of user `{}` must be 1 or more",
            r.user_name
        )));
    }
    Ok(())
}

/// Refuses an admin rate limit (a new one, or a patched one whole) with an empty pattern
/// or a ceiling below 1, naming the field.
pub(crate) fn check_limit_row(r: &RateLimitRow) -> Result<(), StoreError> {
    if r.model_pattern.is_empty() {
        return Err(StoreError::Invalid(
            "model_pattern must not be empty".into(),
        ));
    }
    if let Some(field) = ceiling_below_one([
        ("rpm", r.rpm),
        ("rpd", r.rpd),
        ("tpm", r.tpm),
        ("tpd", r.tpd),
    ]) {
        return Err(StoreError::Invalid(format!("{field} must be 1 or more")));
    }
    Ok(())
}

/// Refuses an admin quota's negative limit (0 is allowed: it freezes the user) or an
/// unknown period, naming the field; `None` is a field the write leaves alone.
pub(crate) fn check_quota_fields(
    limit_nano: Option<i64>,
    period: Option<&str>,
) -> Result<(), StoreError> {
    if limit_nano.is_some_and(|v| v < 0) {
        return Err(StoreError::Invalid(
            "limit_nano must not be negative".into(),
        ));
    }
    if let Some(period) = period.filter(|p| !PERIODS.contains(p)) {
        return Err(StoreError::Invalid(format!(
            "period `{period}` is not one of none, daily, monthly"
        )));
    }
    Ok(())
}

/// A new rate limit's row (id 0 until the backend assigns one), checked.
pub(crate) fn new_limit_row(r: &NewRateLimit, now: i64) -> Result<RateLimitRow, StoreError> {
    let row = RateLimitRow {
        id: 0,
        user_id: r.user_id,
        model_pattern: r.model_pattern.clone(),
        rpm: r.rpm,
        rpd: r.rpd,
        tpm: r.tpm,
        tpd: r.tpd,
        created_at: now,
    };
    check_limit_row(&row)?;
    Ok(row)
}

/// `before` with `p` applied (a ceiling given as `Some(None)` is cleared), checked whole.
pub(crate) fn patched_limit(
    before: &RateLimitRow,
    p: &RateLimitPatch,
) -> Result<RateLimitRow, StoreError> {
    let mut after = before.clone();
    if let Some(pattern) = &p.model_pattern {
        after.model_pattern = pattern.clone();
    }
    for (field, value) in [
        (&mut after.rpm, p.rpm),
        (&mut after.rpd, p.rpd),
        (&mut after.tpm, p.tpm),
        (&mut after.tpd, p.tpd),
    ] {
        if let Some(value) = value {
            *field = value;
        }
    }
    check_limit_row(&after)?;
    Ok(after)
}

/// A new quota's row (id 0 until the backend assigns one): used 0, its period starting
/// now; checked.
pub(crate) fn new_quota_row(q: &NewQuota, now: i64) -> Result<QuotaRow, StoreError> {
    check_quota_fields(Some(q.limit_nano), Some(&q.period))?;
    Ok(QuotaRow {
        id: 0,
        user_id: q.user_id,
        limit_nano: q.limit_nano,
        used_nano: 0,
        period: q.period.clone(),
        period_start: now,
        created_at: now,
        updated_at: now,
    })
}

/// The `updated_at` a write at `now` gives a row last updated at `old`: always later, so
/// a reader that compares it (the server's quota ledger) sees every change.
fn moved(old: i64, now: i64) -> i64 {
    now.max(old.saturating_add(1))
}

/// `before` with `p` applied: a changed period starts now with used 0.
pub(crate) fn patched_quota(
    before: &QuotaRow,
    p: &QuotaPatch,
    now: i64,
) -> Result<QuotaRow, StoreError> {
    check_quota_fields(p.limit_nano, p.period.as_deref())?;
    let mut after = before.clone();
    if let Some(limit) = p.limit_nano {
        after.limit_nano = limit;
    }
    if let Some(period) = p.period.as_ref().filter(|p| **p != before.period) {
        after.period = period.clone();
        after.used_nano = 0;
        after.period_start = now;
    }
    after.updated_at = moved(before.updated_at, now);
    Ok(after)
}

/// `before` with nothing used: its period starts now.
pub(crate) fn reset_quota(before: &QuotaRow, now: i64) -> QuotaRow {
    QuotaRow {
        used_nano: 0,
        period_start: now,
        updated_at: moved(before.updated_at, now),
        ..before.clone()
    }
}

/// Refuses a quota with an unknown period or a negative amount.
pub(crate) fn check_quota(q: &SeedQuota) -> Result<(), StoreError> {
    if !PERIODS.contains(&q.period.as_str()) {
        return Err(StoreError::Invalid(format!(
            "quotas: period `{}` of user `{}` is not one of none, daily, monthly",
            q.period, q.user_name
        )));
    }
    for (field, value) in [("limit_nano", q.limit_nano), ("used_nano", q.used_nano)] {
        if value < 0 {
            return Err(StoreError::Invalid(format!(
                "quotas: {field} of user `{}` must not be negative",
                q.user_name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(period: &str) -> SeedQuota {
        SeedQuota {
            user_name: "alice".into(),
            limit_nano: 1,
            used_nano: 0,
            period: period.into(),
        }
    }

    #[test]
    fn periods_and_amounts_are_checked() {
        for period in PERIODS {
            assert!(check_quota(&quota(period)).is_ok(), "{period}");
        }
        let err = check_quota(&quota("weekly")).expect_err("weekly");
        assert!(err.to_string().contains("period `weekly`"), "{err}");
        let err = check_quota(&SeedQuota {
            used_nano: -1,
            ..quota("none")
        })
        .expect_err("negative");
        assert!(err.to_string().contains("used_nano"), "{err}");
    }

    #[test]
    fn ceilings_below_one_are_refused() {
        let limit = SeedRateLimit {
            user_name: "alice".into(),
            model_pattern: "*".into(),
            rpm: Some(1),
            rpd: None,
            tpm: Some(0),
            tpd: None,
        };
        let err = check_rate_limit(&limit).expect_err("tpm 0");
        assert!(err.to_string().contains("tpm of user `alice`"), "{err}");
        assert!(check_rate_limit(&SeedRateLimit { tpm: None, ..limit }).is_ok());
    }
}

#[cfg(test)]
mod admin_tests {
    use super::*;

    fn quota() -> QuotaRow {
        new_quota_row(
            &NewQuota {
                user_id: 1,
                limit_nano: 10,
                period: "daily".into(),
            },
            100,
        )
        .map(|q| QuotaRow { used_nano: 7, ..q })
        .expect("valid")
    }

    #[test]
    fn quota_writes_move_updated_at_and_restart_periods() {
        let q = quota();
        let same_ms = patched_quota(
            &q,
            &QuotaPatch {
                limit_nano: Some(0),
                period: Some("daily".into()),
            },
            100,
        )
        .expect("limit 0 freezes");
        assert_eq!((same_ms.limit_nano, same_ms.used_nano), (0, 7));
        assert_eq!((same_ms.period_start, same_ms.updated_at), (100, 101));
        let monthly = patched_quota(
            &q,
            &QuotaPatch {
                period: Some("monthly".into()),
                ..Default::default()
            },
            200,
        )
        .expect("period");
        assert_eq!((monthly.used_nano, monthly.period_start), (0, 200));
        let reset = reset_quota(&q, 50);
        assert_eq!((reset.used_nano, reset.updated_at), (0, 101));
        for (patch, want) in [
            (
                QuotaPatch {
                    limit_nano: Some(-1),
                    period: None,
                },
                "limit_nano must not be negative",
            ),
            (
                QuotaPatch {
                    limit_nano: None,
                    period: Some("weekly".into()),
                },
                "period `weekly`",
            ),
        ] {
            let err = patched_quota(&q, &patch, 1).expect_err(want);
            assert!(err.to_string().contains(want), "{err}");
        }
        let limit = new_limit_row(
            &NewRateLimit {
                user_id: 1,
                model_pattern: "*".into(),
                rpm: Some(1),
                rpd: None,
                tpm: None,
                tpd: None,
            },
            1,
        )
        .expect("valid");
        let cleared = patched_limit(
            &limit,
            &RateLimitPatch {
                rpm: Some(None),
                tpd: Some(Some(5)),
                ..Default::default()
            },
        )
        .expect("patch");
        assert_eq!((cleared.rpm, cleared.tpd), (None, Some(5)));
        let err = patched_limit(
            &limit,
            &RateLimitPatch {
                rpd: Some(Some(0)),
                ..Default::default()
            },
        )
        .expect_err("rpd 0");
        assert_eq!(
            err.to_string(),
            "invalid stored data: rpd must be 1 or more"
        );
    }
}

/// When the quota period holding `now_ms` began (Unix ms, UTC): the day's or the month's
/// first millisecond; `none` has one period that began at 0.
pub fn period_start(period: &str, now_ms: i64) -> i64 {
    use chrono::{Datelike, NaiveTime};
    let Some(now) = chrono::DateTime::from_timestamp_millis(now_ms) else {
        return 0;
    };
    let day = now.date_naive();
    let first = match period {
        "daily" => day,
        "monthly" => day.with_day(1).unwrap_or(day),
        _ => return 0,
    };
    first.and_time(NaiveTime::MIN).and_utc().timestamp_millis()
}

/// When the quota period that began at `start` ends; `None` for a fixed budget.
pub fn period_end(period: &str, start: i64) -> Option<i64> {
    use chrono::{Datelike, Months, NaiveTime};
    let begun = chrono::DateTime::from_timestamp_millis(start)?.date_naive();
    let next = match period {
        "daily" => begun.succ_opt()?,
        "monthly" => begun.with_day(1)?.checked_add_months(Months::new(1))?,
        _ => return None,
    };
    Some(next.and_time(NaiveTime::MIN).and_utc().timestamp_millis())
}

#[cfg(test)]
mod period_tests {
    use super::*;

    const NOV_30_1530: i64 = 1_764_516_600_000; // 2025-11-30T15:30:00Z

    #[test]
    fn periods_begin_and_end_at_utc_boundaries() {
        assert_eq!(period_start("daily", NOV_30_1530), 1_764_460_800_000); // Nov 30 00:00
        assert_eq!(period_start("monthly", NOV_30_1530), 1_761_955_200_000); // Nov 1
        assert_eq!(period_start("none", NOV_30_1530), 0);
        assert_eq!(
            period_end("daily", 1_764_460_800_000),
            Some(1_764_547_200_000)
        );
        assert_eq!(
            period_end("monthly", 1_761_955_200_000),
            Some(1_764_547_200_000)
        ); // Dec 1
        assert_eq!(period_end("none", 0), None);
    }
}

/// What usage records spend on their users' quotas: `(user_id, created_at, cost_nano)` of
/// each record with a user and a cost.
pub(crate) fn charges<'a>(
    records: impl Iterator<Item = &'a crate::model::Record>,
) -> Vec<(i64, i64, i64)> {
    records
        .filter_map(|r| match r {
            crate::model::Record::Usage(u) => match (u.user_id, u.cost_nano) {
                (Some(user), Some(cost)) if cost > 0 => Some((user, u.created_at, cost)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Where a charge made at `at` lands on a quota of `period` whose current period began at
/// `current` (not necessarily on a boundary: a quota created or reset mid-day): `Some(start)`
/// of the charge's period when it is the current one or a later one (which then resets the
/// quota); `None` for a charge made before the current period began (a late record, or one
/// of a call made before the quota was reset).
pub(crate) fn charge_period(period: &str, current: i64, at: i64) -> Option<i64> {
    if at < current {
        return None;
    }
    if period == "none" {
        return Some(current);
    }
    Some(period_start(period, at).max(current))
}

/// Adds `charges` to the quota rows they belong to (the file backend; the SQL backend does
/// the same with `UPDATE` statements): a charge in a later period than a row's resets it.
pub(crate) fn charge(rows: &mut [crate::model::QuotaRow], charges: &[(i64, i64, i64)]) {
    let mut ordered = charges.to_vec();
    ordered.sort_by_key(|&(_, at, _)| at);
    for (user, at, cost) in ordered {
        let Some(row) = rows.iter_mut().find(|r| r.user_id == user) else {
            continue;
        };
        let Some(start) = charge_period(&row.period, row.period_start, at) else {
            continue;
        };
        if start > row.period_start {
            row.period_start = start;
            row.used_nano = 0;
        }
        row.used_nano = row.used_nano.saturating_add(cost);
    }
}

#[cfg(test)]
mod charge_tests {
    use super::*;
    use crate::model::QuotaRow;

    const DAY: i64 = 86_400_000;
    const NOV_30: i64 = 1_764_460_800_000;

    fn row(user_id: i64, period: &str, period_start: i64, used: i64) -> QuotaRow {
        QuotaRow {
            id: user_id,
            user_id,
            limit_nano: 1_000,
            used_nano: used,
            period: period.into(),
            period_start,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn charges_accumulate_and_a_new_period_resets() {
        // A daily quota imported at 15:30, charged that day, the next day, and late.
        let mut rows = vec![
            row(1, "daily", NOV_30 + DAY / 2, 10),
            row(2, "none", NOV_30 + DAY / 2, 10),
        ];
        charge(
            &mut rows,
            &[(1, NOV_30 + DAY / 2 + 1, 5), (2, NOV_30 + 3 * DAY, 7)],
        );
        assert_eq!((rows[0].used_nano, rows[1].used_nano), (15, 17));
        charge(&mut rows, &[(1, NOV_30 + DAY + 5, 3), (1, NOV_30 + 1, 100)]);
        assert_eq!(
            (rows[0].period_start, rows[0].used_nano),
            (NOV_30 + DAY, 3),
            "the new day starts from its own charges"
        );
        charge(&mut rows, &[(9, NOV_30, 1)]);
        assert_eq!(rows[0].used_nano, 3, "no quota, nothing charged");
    }

    #[test]
    fn a_call_made_before_a_reset_is_not_charged_after_it() {
        let reset_at = NOV_30 + DAY / 2;
        let mut rows = vec![row(1, "none", reset_at, 0), row(2, "monthly", reset_at, 0)];
        charge(
            &mut rows,
            &[
                (1, reset_at - 1, 50),
                (1, reset_at, 5),
                (2, reset_at - 1, 50),
                (2, reset_at + 1, 7),
            ],
        );
        assert_eq!((rows[0].used_nano, rows[1].used_nano), (5, 7));
        assert_eq!(rows[1].period_start, reset_at, "mid-period: no reset");
    }
}
