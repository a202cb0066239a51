//! Failed-login throttling: per account (5 failures in 15 minutes, DESIGN.md §9) and per
//! client address (20 in 15 minutes, so one address cannot spray many accounts). While a
//! limit is reached, logins for that account or from that address are answered 429 with
//! `retry-after` before any password is checked. An attempt counts as a failure from the
//! moment it is admitted (so parallel guesses cannot all slip under the limit) and is taken
//! back when the password was right. At most [`CONCURRENT_VERIFIES`] password hashes are
//! checked at once (each Argon2 check takes ~19 MiB). Kept in memory, bounded in size.

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
/// Password checks running at once; more wait their turn.
pub const CONCURRENT_VERIFIES: usize = 4;
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

    /// Takes back one failure recorded at `at` (the attempt succeeded).
    fn forget(&mut self, key: &K, at: Instant) {
        if let Some(times) = self.by_key.get_mut(key) {
            if let Some(i) = times.iter().position(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                self.by_key.remove(key);
            }
        }
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
    /// Slots for password checks.
    verifies: tokio::sync::Semaphore,
}

/// An admitted login attempt, already counted as a failure until [`LoginThrottle::succeeded`].
#[derive(Debug)]
pub struct Attempt {
    account: String,
    address: Option<IpAddr>,
    at: Instant,
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
            verifies: tokio::sync::Semaphore::new(CONCURRENT_VERIFIES),
        }
    }
}

impl LoginThrottle {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic while holding the lock leaves counts that are still valid.
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Admits an attempt, counting it as a failure until it succeeds; `Err(wait)` when
    /// `account` or `address` has reached its limit (the password is then not checked).
    pub fn begin(&self, account: &str, address: Option<IpAddr>) -> Result<Attempt, Duration> {
        let now = Instant::now();
        let account = account.to_owned();
        self.with(|s| {
            let by_account = s.accounts.blocked(&account, now);
            let by_address = address.and_then(|a| s.addresses.blocked(&a, now));
            if let Some(wait) = by_account.into_iter().chain(by_address).max() {
                return Err(wait);
            }
            s.accounts.record(account.clone(), now);
            if let Some(a) = address {
                s.addresses.record(a, now);
            }
            Ok(Attempt {
                account,
                address,
                at: now,
            })
        })
    }

    /// A correct password clears the account's failures and takes this attempt back from
    /// the address's (only this one: a valid account must not reset an address that is
    /// guessing others).
    pub fn succeeded(&self, attempt: Attempt) {
        self.with(|s| {
            s.accounts.by_key.remove(&attempt.account);
            if let Some(a) = attempt.address {
                s.addresses.forget(&a, attempt.at);
            }
        });
    }

    /// Waits for a slot to check a password in.
    pub async fn verify_slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.verifies.acquire().await.ok()
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
            t.begin("alice", Some(ip)).expect("admitted");
        }
        let wait = t.begin("alice", Some(ip)).expect_err("throttled");
        assert!(wait > WINDOW - Duration::from_secs(5) && wait <= WINDOW);
        let bob = t.begin("bob", Some(ip)).expect("other accounts are not");
        t.succeeded(bob);
        let other: IpAddr = "10.0.0.9".parse().expect("ip");
        assert!(
            t.begin("alice", Some(other)).is_err(),
            "per account, any address"
        );
        t.with(|s| s.accounts.by_key.remove("alice"));
        assert!(t.begin("alice", Some(ip)).is_ok());
    }

    #[test]
    fn address_limit_covers_many_accounts() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.2".parse().expect("ip");
        for i in 0..ADDRESS_FAILURES {
            t.begin(&format!("user{i}"), Some(ip)).expect("admitted");
        }
        assert!(t.begin("fresh", Some(ip)).is_err());
        assert!(
            t.begin("fresh", Some("10.0.0.3".parse().expect("ip")))
                .is_ok()
        );
    }

    #[test]
    fn successes_do_not_use_up_the_address() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.4".parse().expect("ip");
        for _ in 0..(ADDRESS_FAILURES * 2) {
            let attempt = t.begin("office", Some(ip)).expect("admitted");
            t.succeeded(attempt);
        }
        assert!(t.begin("office", Some(ip)).is_ok());
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
