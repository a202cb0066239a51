//! Circuit breakers per provider and per (provider, model): a windowed error rate over
//! path failures (5xx, timeouts, connection errors; 429s are the cooldowns' business) that
//! opens only past a minimum number of calls, so one blip never ejects a path and a dead
//! one never stays in rotation; after the open time, one trial call (half-open) closes or
//! reopens it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// When a breaker opens and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// The window the error rate is measured over.
    pub window: Duration,
    /// Calls in the window below which the breaker never opens.
    pub min_calls: u32,
    /// Failure percentage (of counted calls in the window) that opens it.
    pub failure_percent: u32,
    /// How long it stays open before a trial call.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            window: Duration::from_secs(60),
            min_calls: 10,
            failure_percent: 50,
            open_for: Duration::from_secs(30),
        }
    }
}

/// What a breaker says about one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go.
    Allowed,
    /// Half-open: this call is the one trial; its outcome closes or reopens the breaker.
    Trial,
    /// Open (or a trial is under way) until then.
    Rejected(Instant),
}

/// A counted call's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The path answered (success or the caller's own 4xx).
    Healthy,
    /// A path failure: 5xx, 529, a timeout before the first byte, a connection error.
    Failed,
}

/// Slots the window is cut into: counts age out a slot at a time.
const SLOTS: u32 = 6;

#[derive(Debug)]
enum Phase {
    Closed,
    Open {
        until: Instant,
    },
    /// A trial was let through at `since`; another may go if it never reports back by
    /// `since + open_for` (its caller went away).
    HalfOpen {
        since: Instant,
    },
}

#[derive(Debug)]
struct Breaker {
    phase: Phase,
    /// `(slot start, calls, failures)`, oldest first.
    slots: Vec<(Instant, u32, u32)>,
}

impl Breaker {
    fn new() -> Self {
        Breaker {
            phase: Phase::Closed,
            slots: Vec::new(),
        }
    }

    fn count(&mut self, failed: bool, now: Instant, c: &BreakerConfig) -> (u32, u32) {
        let slot_len = c.window / SLOTS;
        self.slots
            .retain(|(start, _, _)| now.duration_since(*start) < c.window);
        match self.slots.last_mut() {
            Some((start, calls, failures)) if now.duration_since(*start) < slot_len => {
                *calls += 1;
                *failures += u32::from(failed);
            }
            _ => self.slots.push((now, 1, u32::from(failed))),
        }
        self.slots
            .iter()
            .fold((0, 0), |(c, f), (_, calls, fails)| (c + calls, f + fails))
    }
}

/// Every breaker, keyed by provider id and model (`None`: the provider as a whole).
#[derive(Debug, Default)]
pub struct Breakers {
    map: Mutex<HashMap<(i64, Option<String>), Breaker>>,
}

impl Breakers {
    pub fn new() -> Self {
        Breakers::default()
    }

    /// Whether a call to `provider` for `model` may go: both its breakers must let it.
    pub fn admit(&self, provider: i64, model: &str, now: Instant, c: &BreakerConfig) -> Admission {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let mut verdict = Admission::Allowed;
        for key in [(provider, None), (provider, Some(model.to_owned()))] {
            let Some(b) = map.get_mut(&key) else {
                continue;
            };
            let this = match b.phase {
                Phase::Closed => Admission::Allowed,
                Phase::Open { until } if now < until => Admission::Rejected(until),
                Phase::HalfOpen { since } if now < since + c.open_for => {
                    Admission::Rejected(since + c.open_for)
                }
                Phase::Open { .. } | Phase::HalfOpen { .. } => {
                    b.phase = Phase::HalfOpen { since: now };
                    Admission::Trial
                }
            };
            verdict = match (verdict, this) {
                (Admission::Rejected(a), Admission::Rejected(b)) => Admission::Rejected(a.max(b)),
                (r @ Admission::Rejected(_), _) | (_, r @ Admission::Rejected(_)) => r,
                (Admission::Trial, _) | (_, Admission::Trial) => Admission::Trial,
                _ => Admission::Allowed,
            };
        }
        verdict
    }

    /// Counts a call's result on both breakers; `true` when it opened one.
    pub fn record(
        &self,
        provider: i64,
        model: &str,
        verdict: Verdict,
        now: Instant,
        c: &BreakerConfig,
    ) -> bool {
        let failed = verdict == Verdict::Failed;
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let mut opened = false;
        for key in [(provider, None), (provider, Some(model.to_owned()))] {
            if !failed && !map.contains_key(&key) {
                // A healthy call on a path with no history needs no entry.
                continue;
            }
            let b = map.entry(key).or_insert_with(Breaker::new);
            match b.phase {
                Phase::HalfOpen { .. } if failed => {
                    b.phase = Phase::Open {
                        until: now + c.open_for,
                    };
                    opened = true;
                }
                Phase::HalfOpen { .. } => {
                    b.phase = Phase::Closed;
                    b.slots.clear();
                }
                Phase::Open { .. } => {}
                Phase::Closed => {
                    let (calls, failures) = b.count(failed, now, c);
                    if failed && calls >= c.min_calls && failures * 100 >= c.failure_percent * calls
                    {
                        b.phase = Phase::Open {
                            until: now + c.open_for,
                        };
                        b.slots.clear();
                        opened = true;
                    }
                }
            }
        }
        opened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: BreakerConfig = BreakerConfig {
        window: Duration::from_secs(60),
        min_calls: 4,
        failure_percent: 50,
        open_for: Duration::from_secs(30),
    };

    #[test]
    fn one_blip_never_opens_a_dead_path_does() {
        let b = Breakers::new();
        let t0 = Instant::now();
        assert!(
            !b.record(1, "m", Verdict::Failed, t0, &C),
            "below the minimum"
        );
        assert_eq!(b.admit(1, "m", t0, &C), Admission::Allowed);
        for _ in 0..5 {
            b.record(1, "m", Verdict::Healthy, t0, &C);
        }
        for failed in 2..=4 {
            assert!(
                !b.record(1, "m", Verdict::Failed, t0, &C),
                "{failed} of {} failed",
                failed + 5
            );
        }
        assert!(b.record(1, "m", Verdict::Failed, t0, &C), "5 of 10: half");
        assert_eq!(
            b.admit(1, "other", t0, &C),
            Admission::Rejected(t0 + C.open_for),
            "the provider's breaker opened too"
        );
    }

    #[test]
    fn half_open_lets_one_trial_through_and_follows_its_outcome() {
        let b = Breakers::new();
        let t0 = Instant::now();
        for _ in 0..4 {
            b.record(7, "m", Verdict::Failed, t0, &C);
        }
        assert_eq!(
            b.admit(7, "m", t0, &C),
            Admission::Rejected(t0 + C.open_for)
        );
        let t1 = t0 + C.open_for;
        assert_eq!(b.admit(7, "m", t1, &C), Admission::Trial);
        assert_eq!(
            b.admit(7, "m", t1, &C),
            Admission::Rejected(t1 + C.open_for),
            "one trial at a time"
        );
        assert!(
            b.record(7, "m", Verdict::Failed, t1, &C),
            "the trial failed: reopened"
        );
        let t2 = t1 + C.open_for;
        assert_eq!(b.admit(7, "m", t2, &C), Admission::Trial);
        b.record(7, "m", Verdict::Healthy, t2, &C);
        assert_eq!(b.admit(7, "m", t2, &C), Admission::Allowed, "closed again");
    }

    #[test]
    fn old_failures_age_out_of_the_window() {
        let b = Breakers::new();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.record(2, "m", Verdict::Failed, t0, &C);
        }
        let later = t0 + C.window + Duration::from_secs(1);
        assert!(
            !b.record(2, "m", Verdict::Failed, later, &C),
            "1 in the window"
        );
        assert_eq!(b.admit(2, "m", later, &C), Admission::Allowed);
    }
}
