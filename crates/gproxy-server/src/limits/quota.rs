//! USD quotas (DESIGN §8): one per user, fixed or resetting daily or monthly (UTC). A call
//! reserves its worst-case cost before it is sent and is admitted only while
//! `used + reserved + worst case ≤ limit`, so concurrent calls can overspend by nothing
//! beyond what their worst cases allow; its usage record settles the reservation with the
//! real cost. A reservation never settled (a call stuck past its deadline) expires, so no
//! leaked reservation ever refuses a later call. The ledger is this process's; what was
//! spent is persisted with the usage records (the store adds each record's cost to the
//! user's quota), and read back at start and whenever an admin write changes the quota.

use crate::billing::Money;
use gproxy_storage::limits::{period_end, period_start};
use gproxy_storage::model::QuotaRow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A user's quota as the snapshot holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaRule {
    pub id: i64,
    pub limit: Money,
    /// Spent in the period that began at `period_start`, as stored when loaded.
    pub used: Money,
    /// `none`, `daily` or `monthly`.
    pub period: String,
    pub period_start: i64,
    /// Changes only with an admin write (a reset, a new limit): the ledger starts over.
    pub updated_at: i64,
}

impl QuotaRule {
    pub fn from_row(row: &QuotaRow) -> QuotaRule {
        QuotaRule {
            id: row.id,
            limit: Money::from_nanos(row.limit_nano),
            used: Money::from_nanos(row.used_nano),
            period: row.period.clone(),
            period_start: row.period_start,
            updated_at: row.updated_at,
        }
    }
}

/// Why a call is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaRefusal {
    pub used: Money,
    pub reserved: Money,
    pub limit: Money,
    pub worst_case: Money,
    /// Seconds until the period resets; `None` for a fixed budget.
    pub retry_after_secs: Option<u64>,
}

#[derive(Debug)]
struct Account {
    quota_id: i64,
    version: i64,
    period_start: i64,
    used: i64,
    /// Reservation id -> (worst-case nano-USD, expires at Unix ms).
    reserved: HashMap<u64, (i64, i64)>,
}

/// The quota balances of this process.
#[derive(Debug, Default)]
pub struct QuotaLedger {
    accounts: Mutex<HashMap<i64, Account>>,
    next_id: AtomicU64,
}

impl QuotaLedger {
    /// Reserves `worst_case` against `user_id`'s quota at `now_ms` for at most `ttl_ms`.
    pub fn reserve(
        self: &Arc<Self>,
        user_id: i64,
        rule: &QuotaRule,
        worst_case: Money,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<QuotaGrant, QuotaRefusal> {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let account = accounts.entry(user_id).or_insert_with(|| Account {
            quota_id: rule.id,
            version: rule.updated_at,
            period_start: rule.period_start,
            used: rule.used.nanos(),
            reserved: HashMap::new(),
        });
        if account.quota_id != rule.id || account.version != rule.updated_at {
            // An admin changed the quota: its stored balance is the truth again.
            account.quota_id = rule.id;
            account.version = rule.updated_at;
            account.period_start = rule.period_start;
            account.used = rule.used.nanos();
        }
        let start = period_start(&rule.period, now_ms);
        if start > account.period_start {
            account.period_start = start;
            account.used = 0;
        }
        account.reserved.retain(|_, (_, expires)| *expires > now_ms);
        let reserved: i64 = account.reserved.values().map(|(n, _)| *n).sum();
        let admitted = account
            .used
            .checked_add(reserved)
            .and_then(|n| n.checked_add(worst_case.nanos()))
            .is_some_and(|total| total <= rule.limit.nanos());
        if !admitted {
            return Err(QuotaRefusal {
                used: Money::from_nanos(account.used),
                reserved: Money::from_nanos(reserved),
                limit: rule.limit,
                worst_case,
                retry_after_secs: period_end(&rule.period, account.period_start).map(|end| {
                    u64::try_from((end - now_ms + 999) / 1000)
                        .unwrap_or(1)
                        .max(1)
                }),
            });
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        account
            .reserved
            .insert(id, (worst_case.nanos(), now_ms.saturating_add(ttl_ms)));
        Ok(QuotaGrant {
            ledger: Arc::clone(self),
            user_id,
            id,
            period_start: account.period_start,
            done: false,
        })
    }

    /// What `user_id` has spent in the period holding `now_ms` and holds reserved, as the
    /// next reservation would see it: the ledger's figures when it has the user (and the
    /// quota is unchanged), else the stored ones from `rule`.
    pub fn balance_at(&self, user_id: i64, rule: &QuotaRule, now_ms: i64) -> (Money, Money) {
        let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let (start, used, reserved) = match accounts.get(&user_id) {
            Some(a) if a.quota_id == rule.id && a.version == rule.updated_at => (
                a.period_start,
                a.used,
                a.reserved
                    .values()
                    .filter(|(_, expires)| *expires > now_ms)
                    .map(|(n, _)| *n)
                    .sum(),
            ),
            _ => (rule.period_start, rule.used.nanos(), 0),
        };
        let used = if period_start(&rule.period, now_ms) > start {
            0
        } else {
            used
        };
        (Money::from_nanos(used), Money::from_nanos(reserved))
    }

    fn release(&self, grant: &QuotaGrant, cost: Option<Money>) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let Some(account) = accounts.get_mut(&grant.user_id) else {
            return;
        };
        account.reserved.remove(&grant.id);
        if let Some(cost) = cost
            && account.period_start == grant.period_start
        {
            account.used = account.used.saturating_add(cost.nanos());
        }
    }
}

/// A call's quota reservation: settled with the real cost by its usage record, voided when
/// dropped unsettled.
#[derive(Debug)]
pub struct QuotaGrant {
    ledger: Arc<QuotaLedger>,
    user_id: i64,
    id: u64,
    period_start: i64,
    done: bool,
}

impl QuotaGrant {
    pub fn settle(mut self, cost: Money) {
        self.ledger.release(&self, Some(cost));
        self.done = true;
    }
}

impl Drop for QuotaGrant {
    fn drop(&mut self) {
        if !self.done {
            self.ledger.release(self, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_764_516_600_000; // 2025-11-30T15:30:00Z
    const HOUR: i64 = 3_600_000;

    fn m(s: &str) -> Money {
        s.parse().expect("amount")
    }

    fn rule(limit: &str, period: &str) -> QuotaRule {
        QuotaRule {
            id: 1,
            limit: m(limit),
            used: Money::ZERO,
            period: period.into(),
            period_start: period_start(period, T0),
            updated_at: 1,
        }
    }

    #[test]
    fn worst_cases_hold_the_budget_until_settled() {
        let ledger = Arc::new(QuotaLedger::default());
        let q = rule("1", "none");
        let a = ledger.reserve(7, &q, m("0.6"), T0, HOUR).expect("fits");
        let refused = ledger
            .reserve(7, &q, m("0.6"), T0, HOUR)
            .expect_err("0.6 + 0.6 > 1");
        assert_eq!(
            (refused.reserved, refused.retry_after_secs),
            (m("0.6"), None)
        );
        a.settle(m("0.25"));
        assert_eq!(ledger.balance_at(7, &q, T0), (m("0.25"), Money::ZERO));
        let b = ledger
            .reserve(7, &q, m("0.75"), T0, HOUR)
            .expect("0.25 + 0.75 = 1");
        drop(b);
        assert_eq!(
            ledger.balance_at(7, &q, T0),
            (m("0.25"), Money::ZERO),
            "a void costs nothing"
        );
    }

    #[test]
    fn a_reservation_never_settled_expires() {
        let ledger = Arc::new(QuotaLedger::default());
        let q = rule("1", "none");
        let leaked = ledger.reserve(7, &q, m("1"), T0, 60_000).expect("fits");
        std::mem::forget(leaked);
        ledger
            .reserve(7, &q, m("1"), T0 + 1_000, 60_000)
            .expect_err("still held");
        ledger
            .reserve(7, &q, m("1"), T0 + 61_000, 60_000)
            .expect("expired: no false refusal");
    }

    #[test]
    fn a_daily_quota_resets_at_midnight_utc() {
        let ledger = Arc::new(QuotaLedger::default());
        let q = rule("1", "daily");
        ledger
            .reserve(7, &q, m("1"), T0, HOUR)
            .expect("fits")
            .settle(m("1"));
        let refused = ledger
            .reserve(7, &q, m("0.01"), T0, HOUR)
            .expect_err("spent");
        assert_eq!(
            refused.retry_after_secs,
            Some(8 * 3_600 + 30 * 60),
            "until 00:00 UTC"
        );
        ledger
            .reserve(7, &q, m("1"), T0 + 9 * HOUR, HOUR)
            .expect("a new day");
    }

    #[test]
    fn an_admin_change_restarts_from_the_stored_balance() {
        let ledger = Arc::new(QuotaLedger::default());
        let q = rule("1", "none");
        ledger
            .reserve(7, &q, m("1"), T0, HOUR)
            .expect("fits")
            .settle(m("1"));
        ledger
            .reserve(7, &q, m("0.5"), T0, HOUR)
            .expect_err("spent");
        let reset = QuotaRule {
            updated_at: 2,
            ..q.clone()
        };
        ledger
            .reserve(7, &reset, m("0.5"), T0, HOUR)
            .expect("reset to 0");
    }
}
