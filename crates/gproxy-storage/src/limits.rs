//! The checks every backend applies to seeded rate limits and quotas before it stores them,
//! so a seed no config file could produce is refused the same way on each backend.

use crate::model::{SeedQuota, SeedRateLimit};
use crate::store::StoreError;

/// The quota periods: `none` (a fixed budget), `daily` and `monthly` (reset at the
/// period's start, UTC).
pub const PERIODS: [&str; 3] = ["none", "daily", "monthly"];

/// Refuses a rate limit with an empty pattern or a ceiling below 1.
pub(crate) fn check_rate_limit(r: &SeedRateLimit) -> Result<(), StoreError> {
    if r.model_pattern.is_empty() {
        return Err(StoreError::Invalid(format!(
            "rate_limits: model_pattern of user `{}` must not be empty",
            r.user_name
        )));
    }
    for (field, value) in [
        ("rpm", r.rpm),
        ("rpd", r.rpd),
        ("tpm", r.tpm),
        ("tpd", r.tpd),
    ] {
        if value.is_some_and(|v| v < 1) {
            return Err(StoreError::Invalid(format!(
                "rate_limits: {field} of user `{}` must be 1 or more",
                r.user_name
            )));
        }
    }
    Ok(())
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
/// `current` (not necessarily on a boundary: a quota imported mid-day): `Some(start)` of the
/// charge's period when it is the current one or a later one (which then resets the
/// quota); `None` for a charge of a period already over (a late record).
pub(crate) fn charge_period(period: &str, current: i64, at: i64) -> Option<i64> {
    if period == "none" {
        return Some(current);
    }
    let start = period_start(period, at);
    (start >= period_start(period, current)).then_some(start)
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
        if row.period != "none" && start > period_start(&row.period, row.period_start) {
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
}
