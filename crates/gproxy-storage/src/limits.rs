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
