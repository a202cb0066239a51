//! Failed-login throttling: per account (5 failures in 15 minutes, DESIGN.md §9) and per
//! client address (20 in 15 minutes, so one address cannot spray many accounts). While a
//! limit is reached, logins for that account or from that address are answered 429 with
//! `retry-after` before any password is checked. Kept in memory, bounded in size.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account within [`WINDOW`].
pub const ACCOUNT_FAILURES: usize = 5;
/// Failures allowed per client address within [`WINDOW`].
pub const ADDRESS_FAILURES: usize = 20;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most accounts or addresses tracked at once; beyond it the stalest entries are dropped
/// (a spray of random names cannot grow memory without bound).
const MAX_TRACKED: usize = 50_000;

/// Recent failure times per key, newest last, at most `limit` kept.
#[derive(Debug)]
struct Failures<K> {
    limit: usize,
    by_key: HashMap<K, VecDeque<Instant>>,
}

impl<K: Hash + Eq + Clone> Failures<K> {
    fn new(limit: usize) -> Self {
        Failures {
            limit,
            by_key: HashMap::new(),
        }
    }

    /// How long until `key` may try again, if it is at its limit.
    fn blocked(&mut self, key: &K, now: Instant) -> Option<Duration> {
        let times = self.by_key.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.is_empty() {
            self.by_key.remove(key);
            return None;
        }
        (times.len() >= self.limit)
            .then(|| {
                times
                    .front()
                    .map(|t| WINDOW.saturating_sub(now.duration_since(*t)))
            })
            .flatten()
    }

    fn record(&mut self, key: K, now: Instant) {
        if self.by_key.len() >= MAX_TRACKED && !self.by_key.contains_key(&key) {
            self.prune(now);
        }
        let times = self.by_key.entry(key).or_default();
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
    }

    /// Drops expired entries; if that frees nothing, the half with the stalest failures.
    fn prune(&mut self, now: Instant) {
        self.by_key.retain(|_, t| {
            t.back()
                .is_some_and(|last| now.duration_since(*last) < WINDOW)
        });
        if self.by_key.len() >= MAX_TRACKED {
            let mut lasts: Vec<Instant> = self
                .by_key
                .values()
                .filter_map(|t| t.back().copied())
                .collect();
            lasts.sort_unstable();
            if let Some(cut) = lasts.get(lasts.len() / 2).copied() {
                self.by_key
                    .retain(|_, t| t.back().is_some_and(|last| *last > cut));
            }
        }
    }
}

/// The throttle shared by all login requests.
#[derive(Debug)]
pub struct LoginThrottle {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    accounts: Failures<String>,
    addresses: Failures<IpAddr>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            state: Mutex::new(State {
                accounts: Failures::new(ACCOUNT_FAILURES),
                addresses: Failures::new(ADDRESS_FAILURES),
            }),
        }
    }
}

impl LoginThrottle {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic while holding the lock leaves counts that are still valid.
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// `Err(wait)` when `account` or `address` has reached its limit: the attempt is
    /// refused without checking the password.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        self.with(|s| {
            let by_account = s.accounts.blocked(&account.to_owned(), now);
            let by_address = address.and_then(|a| s.addresses.blocked(&a, now));
            match by_account.into_iter().chain(by_address).max() {
                Some(wait) => Err(wait),
                None => Ok(()),
            }
        })
    }

    /// Counts a failed attempt (wrong password or unknown account).
    pub fn failed(&self, account: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        self.with(|s| {
            s.accounts.record(account.to_owned(), now);
            if let Some(a) = address {
                s.addresses.record(a, now);
            }
        });
    }

    /// A correct password clears the account's failures (not the address's: one valid
    /// account must not reset an address that is guessing others).
    pub fn succeeded(&self, account: &str) {
        self.with(|s| s.accounts.by_key.remove(account));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_limit_then_retry_after() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        for _ in 0..ACCOUNT_FAILURES {
            assert!(t.check("alice", Some(ip)).is_ok());
            t.failed("alice", Some(ip));
        }
        let wait = t.check("alice", Some(ip)).expect_err("throttled");
        assert!(wait > WINDOW - Duration::from_secs(5) && wait <= WINDOW);
        assert!(t.check("bob", Some(ip)).is_ok(), "other accounts are not");
        t.succeeded("alice");
        assert!(t.check("alice", Some(ip)).is_ok());
    }

    #[test]
    fn address_limit_covers_many_accounts() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.2".parse().expect("ip");
        for i in 0..ADDRESS_FAILURES {
            t.failed(&format!("user{i}"), Some(ip));
        }
        assert!(t.check("fresh", Some(ip)).is_err());
        assert!(
            t.check("fresh", Some("10.0.0.3".parse().expect("ip")))
                .is_ok()
        );
    }

    #[test]
    fn failures_expire_and_memory_is_bounded() {
        let mut f: Failures<u32> = Failures::new(2);
        let start = Instant::now();
        f.record(1, start);
        f.record(1, start);
        assert!(f.blocked(&1, start).is_some());
        assert!(f.blocked(&1, start + WINDOW).is_none(), "expired");
        assert!(f.by_key.is_empty());
        for k in 0..(MAX_TRACKED as u32 + 10) {
            f.record(k, start + Duration::from_millis(u64::from(k)));
        }
        assert!(f.by_key.len() <= MAX_TRACKED);
        assert!(
            f.by_key.contains_key(&(MAX_TRACKED as u32 + 9)),
            "newest kept"
        );
    }
}
