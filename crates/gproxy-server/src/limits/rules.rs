//! The rate-limit rules of the control plane, by user.

use crate::glob;
use gproxy_storage::model::RateLimitRow;

/// One rule: ceilings for the calls of one user whose model matches `pattern`; `None` is no
/// ceiling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateRule {
    pub id: i64,
    pub pattern: String,
    pub rpm: Option<u64>,
    pub rpd: Option<u64>,
    pub tpm: Option<u64>,
    pub tpd: Option<u64>,
}

impl RateRule {
    pub fn from_row(row: &RateLimitRow) -> RateRule {
        let ceiling = |v: Option<i64>| v.and_then(|n| u64::try_from(n).ok());
        RateRule {
            id: row.id,
            pattern: row.model_pattern.clone(),
            rpm: ceiling(row.rpm),
            rpd: ceiling(row.rpd),
            tpm: ceiling(row.tpm),
            tpd: ceiling(row.tpd),
        }
    }

    /// Whether the rule covers a call to `model` (or the public name the caller used).
    pub fn applies(&self, model: &str, public: Option<&str>) -> bool {
        glob::matches(&self.pattern, model)
            || public.is_some_and(|p| glob::matches(&self.pattern, p))
    }

    /// Whether the rule limits tokens at all.
    pub fn counts_tokens(&self) -> bool {
        self.tpm.is_some() || self.tpd.is_some()
    }
}
