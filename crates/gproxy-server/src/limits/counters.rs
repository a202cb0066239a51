//! Rate-limit counters: per rule, the requests and tokens of the current minute and the
//! current UTC day (fixed windows). A reservation takes one request and the worst-case
//! tokens on every rule at once, or nothing; settling replaces the worst case with the real
//! tokens in the windows it was taken from (a window that has passed is left alone), and
//! voiding gives both back.

use super::rules::RateRule;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// Why a call is refused: the rule and ceiling it would break, and the seconds until the
/// window that is full ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub rule_id: i64,
    /// `requests per minute`, `tokens per day`, ...
    pub what: &'static str,
    pub limit: u64,
    pub retry_after_secs: u64,
}

/// Where rate-limit counts live.
pub trait Counters: Send + Sync + std::fmt::Debug + 'static {
    /// Takes one request and `tokens` on every rule in `rules` at `now_ms`, or nothing.
    fn reserve(&self, rules: &[RateRule], tokens: u64, now_ms: i64) -> Result<Taken, Refusal>;
    /// Replaces the reserved tokens of `taken` with `actual` (`None`: voids it entirely).
    fn release(&self, taken: &Taken, actual: Option<u64>);
}

/// What one reservation took: per rule, the windows it counted in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Taken {
    entries: Vec<(i64, i64, i64)>,
    tokens: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Window {
    index: i64,
    requests: u64,
    tokens: u64,
}

impl Window {
    /// Moves to the window holding `index`, emptied when it is a new one.
    fn roll(&mut self, index: i64) {
        if self.index != index {
            *self = Window {
                index,
                ..Window::default()
            };
        }
    }
}

#[derive(Debug, Default)]
struct RuleCounts {
    minute: Window,
    day: Window,
}

/// Counters in this process's memory.
#[derive(Debug, Default)]
pub struct MemoryCounters {
    rules: Mutex<HashMap<i64, RuleCounts>>,
}

fn secs_until(end_ms: i64, now_ms: i64) -> u64 {
    u64::try_from((end_ms - now_ms + 999) / 1000)
        .unwrap_or(1)
        .max(1)
}

impl Counters for MemoryCounters {
    fn reserve(&self, rules: &[RateRule], tokens: u64, now_ms: i64) -> Result<Taken, Refusal> {
        let (minute, day) = (now_ms.div_euclid(MINUTE_MS), now_ms.div_euclid(DAY_MS));
        let mut all = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        for rule in rules {
            let c = all.entry(rule.id).or_default();
            c.minute.roll(minute);
            c.day.roll(day);
            let minute_end = (minute + 1) * MINUTE_MS;
            let day_end = (day + 1) * DAY_MS;
            let checks = [
                (
                    rule.rpm,
                    c.minute.requests + 1,
                    "requests per minute",
                    minute_end,
                ),
                (rule.rpd, c.day.requests + 1, "requests per day", day_end),
                (
                    rule.tpm,
                    c.minute.tokens + tokens,
                    "tokens per minute",
                    minute_end,
                ),
                (rule.tpd, c.day.tokens + tokens, "tokens per day", day_end),
            ];
            for (limit, would_be, what, end) in checks {
                if let Some(limit) = limit
                    && would_be > limit
                {
                    return Err(Refusal {
                        rule_id: rule.id,
                        what,
                        limit,
                        retry_after_secs: secs_until(end, now_ms),
                    });
                }
            }
        }
        let mut taken = Taken {
            entries: Vec::with_capacity(rules.len()),
            tokens,
        };
        for rule in rules {
            let c = all.entry(rule.id).or_default();
            c.minute.requests += 1;
            c.minute.tokens += tokens;
            c.day.requests += 1;
            c.day.tokens += tokens;
            taken.entries.push((rule.id, minute, day));
        }
        if all.len() > 4 * rules.len().max(1024) {
            // Rules that saw no call today (deleted ones among them) are forgotten.
            all.retain(|_, c| c.day.index == day);
        }
        Ok(taken)
    }

    fn release(&self, taken: &Taken, actual: Option<u64>) {
        let mut all = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        for (rule_id, minute, day) in &taken.entries {
            let Some(c) = all.get_mut(rule_id) else {
                continue;
            };
            for w in [(&mut c.minute, *minute), (&mut c.day, *day)]
                .into_iter()
                .filter(|(w, index)| w.index == *index)
                .map(|(w, _)| w)
            {
                w.tokens = w.tokens.saturating_sub(taken.tokens);
                match actual {
                    Some(actual) => w.tokens += actual,
                    None => w.requests = w.requests.saturating_sub(1),
                }
            }
        }
    }
}

/// A reservation held by a call: settled with the real tokens by its usage record, voided
/// when dropped unsettled.
#[derive(Debug)]
pub struct Grant {
    counters: Arc<dyn Counters>,
    taken: Taken,
    done: bool,
}

impl Grant {
    /// Reserves on `rules` through `counters`.
    pub fn reserve(
        counters: &Arc<dyn Counters>,
        rules: &[RateRule],
        tokens: u64,
        now_ms: i64,
    ) -> Result<Grant, Refusal> {
        let taken = counters.reserve(rules, tokens, now_ms)?;
        Ok(Grant {
            counters: Arc::clone(counters),
            taken,
            done: false,
        })
    }

    /// The call was answered and used `tokens` (input + output).
    pub fn settle(mut self, tokens: u64) {
        self.counters.release(&self.taken, Some(tokens));
        self.done = true;
    }
}

impl Drop for Grant {
    fn drop(&mut self) {
        if !self.done {
            self.counters.release(&self.taken, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64) -> RateRule {
        RateRule {
            id,
            pattern: "*".into(),
            rpm: None,
            rpd: None,
            tpm: None,
            tpd: None,
        }
    }

    fn counters() -> Arc<dyn Counters> {
        Arc::new(MemoryCounters::default())
    }

    const T0: i64 = 1_764_460_800_000; // 2025-11-30T00:00:00Z

    #[test]
    fn requests_per_minute_refuse_the_next_until_the_minute_ends() {
        let c = counters();
        let rules = [RateRule {
            rpm: Some(2),
            ..rule(1)
        }];
        let a = Grant::reserve(&c, &rules, 0, T0 + 1_000).expect("first");
        let b = Grant::reserve(&c, &rules, 0, T0 + 2_000).expect("second");
        let refused = Grant::reserve(&c, &rules, 0, T0 + 20_500).expect_err("third");
        assert_eq!(
            (refused.what, refused.limit, refused.retry_after_secs),
            ("requests per minute", 2, 40)
        );
        a.settle(10);
        b.settle(10);
        Grant::reserve(&c, &rules, 0, T0 + 60_000).expect("next minute");
    }

    #[test]
    fn tokens_are_reserved_then_settled_to_the_real_count() {
        let c = counters();
        let rules = [RateRule {
            tpm: Some(10_000),
            ..rule(1)
        }];
        let big = Grant::reserve(&c, &rules, 8_000, T0).expect("worst case fits");
        Grant::reserve(&c, &rules, 4_000, T0).expect_err("the reservation holds the room");
        big.settle(500);
        let g = Grant::reserve(&c, &rules, 9_000, T0).expect("settled to 500: room again");
        drop(g);
        Grant::reserve(&c, &rules, 9_500, T0).expect("a void gives everything back");
    }

    #[test]
    fn a_void_returns_the_request_too_and_all_rules_or_none_are_taken() {
        let c = counters();
        let rules = [
            RateRule {
                rpm: Some(1),
                ..rule(1)
            },
            RateRule {
                rpd: Some(5),
                ..rule(2)
            },
        ];
        drop(Grant::reserve(&c, &rules, 0, T0).expect("first"));
        let kept = Grant::reserve(&c, &rules, 0, T0).expect("the void returned the request");
        Grant::reserve(&c, &rules, 0, T0).expect_err("rule 1 is full");
        kept.settle(0);
        // Rule 2 counted only the call admitted and kept (the voided one came back, the
        // refused one took nothing): 4 more fit today.
        for m in 1..=4 {
            Grant::reserve(&c, &rules, 0, T0 + m * MINUTE_MS)
                .expect("a new minute")
                .settle(0);
        }
        let day = Grant::reserve(&c, &rules, 0, T0 + 10 * MINUTE_MS).expect_err("5 a day");
        assert_eq!((day.rule_id, day.what), (2, "requests per day"));
        assert_eq!(day.retry_after_secs, 86_400 - 600);
    }

    #[test]
    fn a_settlement_after_the_window_passed_leaves_the_new_window_alone() {
        let c = counters();
        let rules = [RateRule {
            tpm: Some(100),
            ..rule(1)
        }];
        let old = Grant::reserve(&c, &rules, 90, T0 + 59_000).expect("late in the minute");
        let new = Grant::reserve(&c, &rules, 90, T0 + 61_000).expect("a fresh minute");
        old.settle(5_000);
        Grant::reserve(&c, &rules, 10, T0 + 62_000).expect("the new minute holds only 90");
        new.settle(90);
    }
}
