//! Retry budgets per provider: retries may add at most a fraction of the provider's recent
//! requests plus a small floor, so failover cannot multiply the load on a provider that is
//! failing for everyone (an outage turns into fast errors, not a retry storm).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How much retrying a provider may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetConfig {
    /// The window recent requests are counted over.
    pub window: Duration,
    /// Retries allowed per 100 first attempts in the window.
    pub percent: u32,
    /// Retries allowed in the window whatever the traffic (so a quiet provider can still
    /// fail over).
    pub floor: u32,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            window: Duration::from_secs(10),
            percent: 20,
            floor: 10,
        }
    }
}

/// Slots the window is cut into.
const SLOTS: u32 = 10;

#[derive(Debug, Default)]
struct Window {
    /// `(slot start, first attempts, retries)`, oldest first.
    slots: Vec<(Instant, u32, u32)>,
}

impl Window {
    fn slot(&mut self, now: Instant, c: &BudgetConfig) -> &mut (Instant, u32, u32) {
        self.slots
            .retain(|(start, _, _)| now.duration_since(*start) < c.window);
        let fresh = self
            .slots
            .last()
            .is_none_or(|(start, _, _)| now.duration_since(*start) >= c.window / SLOTS);
        if fresh {
            self.slots.push((now, 0, 0));
        }
        let last = self.slots.len() - 1;
        &mut self.slots[last]
    }

    fn totals(&self) -> (u32, u32) {
        self.slots
            .iter()
            .fold((0, 0), |(a, r), (_, attempts, retries)| {
                (a + attempts, r + retries)
            })
    }
}

/// The budgets of every provider, by provider id.
#[derive(Debug, Default)]
pub struct RetryBudgets {
    map: Mutex<HashMap<i64, Window>>,
}

impl RetryBudgets {
    pub fn new() -> Self {
        RetryBudgets::default()
    }

    /// Counts a call's first attempt at `provider`.
    pub fn first_attempt(&self, provider: i64, now: Instant, c: &BudgetConfig) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(provider).or_default().slot(now, c).1 += 1;
    }

    /// Takes one retry from `provider`'s budget; `false` when it is spent.
    pub fn try_retry(&self, provider: i64, now: Instant, c: &BudgetConfig) -> bool {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let window = map.entry(provider).or_default();
        window.slot(now, c);
        let (attempts, retries) = window.totals();
        let allowed = c.floor + attempts * c.percent / 100;
        if retries >= allowed {
            return false;
        }
        window.slot(now, c).2 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: BudgetConfig = BudgetConfig {
        window: Duration::from_secs(10),
        percent: 20,
        floor: 2,
    };

    #[test]
    fn retries_are_a_fraction_of_traffic_plus_a_floor() {
        let b = RetryBudgets::new();
        let t0 = Instant::now();
        assert!(b.try_retry(1, t0, &C));
        assert!(b.try_retry(1, t0, &C));
        assert!(!b.try_retry(1, t0, &C), "the floor is spent");
        for _ in 0..10 {
            b.first_attempt(1, t0, &C);
        }
        assert!(b.try_retry(1, t0, &C));
        assert!(b.try_retry(1, t0, &C));
        assert!(!b.try_retry(1, t0, &C), "2 + 20% of 10");
        assert!(b.try_retry(2, t0, &C), "another provider has its own");
        let later = t0 + C.window + Duration::from_secs(1);
        assert!(b.try_retry(1, later, &C), "the window moved on");
    }
}
