//! Credential health, outside the config snapshot (DESIGN.md §7): per credential `healthy`,
//! `partial` (models cooling, each until a deadline) or `dead` (until a success or an admin
//! reset). Attempt outcomes update it; selection asks it; a reload of the snapshot never
//! touches it. Memory only: the server persists what changed off the request path and
//! restores it at start-up.

use crate::outcome::{Cooldowns, Outcome};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime};

/// A credential's state as the admin API shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Healthy,
    Partial,
    Dead,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::Partial => "partial",
            State::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        match s {
            "healthy" => Some(State::Healthy),
            "partial" => Some(State::Partial),
            "dead" => Some(State::Dead),
            _ => None,
        }
    }
}

/// A model cooling on a credential, until a wall-clock time (as shown and persisted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cooling {
    pub model: String,
    pub until: SystemTime,
}

/// One credential's health, in the form the admin API and persistence use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub credential_id: i64,
    pub state: State,
    pub cooling: Vec<Cooling>,
    pub last_error: Option<String>,
}

/// Whether a credential may take a call for a model now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    Ready,
    /// Cooling for this model until the deadline.
    Cooling(Instant),
    Dead,
}

#[derive(Debug, Default)]
struct Entry {
    dead: bool,
    /// Model → when it may be tried again. Only ever moves later while it runs.
    cooling: HashMap<String, Instant>,
    last_error: Option<String>,
}

impl Entry {
    fn prune(&mut self, now: Instant) {
        self.cooling.retain(|_, until| *until > now);
    }

    fn is_healthy(&self) -> bool {
        !self.dead && self.cooling.is_empty() && self.last_error.is_none()
    }
}

/// The health of every credential, keyed by credential id.
#[derive(Debug, Default)]
pub struct HealthStore {
    /// Read on every attempt, written only when something goes wrong (or recovers): the
    /// common path takes a shared lock and finds no entry.
    entries: RwLock<HashMap<i64, Entry>>,
    /// Credentials whose status changed since the last [`HealthStore::take_changed`] (for
    /// persistence).
    changed: Mutex<BTreeSet<i64>>,
}

// The maps stay consistent whatever panicked while holding them (single inserts), so a
// poisoned lock is used as is.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

impl HealthStore {
    pub fn new() -> Self {
        HealthStore::default()
    }

    /// Whether credential `id` may serve `model` at `now`.
    pub fn availability(&self, id: i64, model: &str, now: Instant) -> Availability {
        let entries = read(&self.entries);
        match entries.get(&id) {
            None => Availability::Ready,
            Some(e) if e.dead => Availability::Dead,
            Some(e) => match e.cooling.get(model) {
                Some(until) if *until > now => Availability::Cooling(*until),
                _ => Availability::Ready,
            },
        }
    }

    /// Takes in the outcome of an attempt by credential `id` for `model`: a success revives
    /// the credential and ends the model's cooldown; 401/403 kill it; limits and failures
    /// cool the model, never shortening a cooldown already running.
    pub fn record(
        &self,
        id: i64,
        model: &str,
        outcome: &Outcome,
        cooldowns: &Cooldowns,
        error: Option<&str>,
        now: Instant,
    ) {
        if matches!(outcome, Outcome::ClientError) {
            return;
        }
        if matches!(outcome, Outcome::Success) && !read(&self.entries).contains_key(&id) {
            return;
        }
        let mut entries = write(&self.entries);
        if matches!(outcome, Outcome::Success) {
            let Some(e) = entries.get_mut(&id) else {
                return;
            };
            let was_healthy = e.is_healthy();
            e.dead = false;
            e.cooling.remove(model);
            e.prune(now);
            if e.cooling.is_empty() {
                e.last_error = None;
            }
            let healthy = e.is_healthy();
            if healthy {
                entries.remove(&id);
            }
            drop(entries);
            if !was_healthy {
                lock(&self.changed).insert(id);
            }
            return;
        }
        let e = entries.entry(id).or_default();
        e.prune(now);
        if matches!(outcome, Outcome::Dead) {
            e.dead = true;
        }
        if let Some(d) = outcome.cooldown(cooldowns) {
            let until = now + d;
            let slot = e.cooling.entry(model.to_owned()).or_insert(until);
            *slot = (*slot).max(until);
        }
        e.last_error = Some(match error {
            Some(detail) => format!("{}: {detail}", outcome.label()),
            None => outcome.label().to_owned(),
        });
        drop(entries);
        lock(&self.changed).insert(id);
    }

    /// An admin reset: the credential is healthy again.
    pub fn reset(&self, id: i64) {
        write(&self.entries).remove(&id);
        lock(&self.changed).insert(id);
    }

    /// The earliest moment one of `ids` may serve `model` again (`None`: all dead).
    pub fn earliest_recovery(&self, ids: &[i64], model: &str, now: Instant) -> Option<Instant> {
        ids.iter()
            .filter_map(|id| match self.availability(*id, model, now) {
                Availability::Ready => Some(now),
                Availability::Cooling(until) => Some(until),
                Availability::Dead => None,
            })
            .min()
    }

    /// Credential `id`'s status; `now` and `wall` are the same moment on both clocks.
    pub fn status(&self, id: i64, now: Instant, wall: SystemTime) -> Status {
        let mut entries = write(&self.entries);
        let Some(e) = entries.get_mut(&id) else {
            return Status {
                credential_id: id,
                state: State::Healthy,
                cooling: Vec::new(),
                last_error: None,
            };
        };
        e.prune(now);
        let mut cooling: Vec<Cooling> = e
            .cooling
            .iter()
            .map(|(model, until)| Cooling {
                model: model.clone(),
                until: wall + until.saturating_duration_since(now),
            })
            .collect();
        cooling.sort_by(|a, b| a.model.cmp(&b.model));
        let state = if e.dead {
            State::Dead
        } else if cooling.is_empty() {
            State::Healthy
        } else {
            State::Partial
        };
        Status {
            credential_id: id,
            state,
            cooling,
            last_error: e.last_error.clone(),
        }
    }

    /// Sets a credential's health from a persisted or seeded status (at start-up); cooldowns
    /// already over are dropped.
    pub fn restore(&self, status: &Status, now: Instant, wall: SystemTime) {
        let mut entry = Entry {
            dead: status.state == State::Dead,
            cooling: HashMap::new(),
            last_error: status.last_error.clone(),
        };
        for c in &status.cooling {
            let left = c.until.duration_since(wall).unwrap_or(Duration::ZERO);
            if !left.is_zero() {
                entry.cooling.insert(c.model.clone(), now + left);
            }
        }
        let mut entries = write(&self.entries);
        if entry.dead || !entry.cooling.is_empty() {
            entries.insert(status.credential_id, entry);
        } else {
            entries.remove(&status.credential_id);
        }
    }

    /// The credentials whose status changed since the last call (to persist them).
    pub fn take_changed(&self) -> Vec<i64> {
        std::mem::take(&mut *lock(&self.changed))
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Cooldowns = Cooldowns {
        rate_limit: Duration::from_secs(60),
        quota: Duration::from_secs(3600),
        transient: Duration::from_secs(15),
    };

    #[test]
    fn cooling_is_per_model_and_never_moves_earlier() {
        let h = HealthStore::new();
        let t0 = Instant::now();
        h.record(
            1,
            "m",
            &Outcome::QuotaExhausted { retry_after: None },
            &C,
            None,
            t0,
        );
        assert_eq!(
            h.availability(1, "m", t0),
            Availability::Cooling(t0 + Duration::from_secs(3600))
        );
        assert_eq!(h.availability(1, "other", t0), Availability::Ready);
        // A later, shorter cooldown does not shorten the quota's.
        h.record(
            1,
            "m",
            &Outcome::RateLimited {
                retry_after: Some(Duration::from_secs(1)),
            },
            &C,
            None,
            t0,
        );
        assert_eq!(
            h.availability(1, "m", t0 + Duration::from_secs(120)),
            Availability::Cooling(t0 + Duration::from_secs(3600))
        );
        assert_eq!(
            h.availability(1, "m", t0 + Duration::from_secs(3601)),
            Availability::Ready
        );
        let wall = SystemTime::now();
        let s = h.status(1, t0, wall);
        assert_eq!(s.state, State::Partial);
        assert_eq!(s.cooling[0].until, wall + Duration::from_secs(3600));
        assert_eq!(s.last_error.as_deref(), Some("rate limited"));
    }

    #[test]
    fn dead_until_a_success_or_a_reset() {
        let h = HealthStore::new();
        let t0 = Instant::now();
        h.record(2, "m", &Outcome::Dead, &C, Some("status 401"), t0);
        assert_eq!(h.availability(2, "any", t0), Availability::Dead);
        assert_eq!(h.earliest_recovery(&[2], "m", t0), None);
        assert_eq!(
            h.status(2, t0, SystemTime::now()).last_error.as_deref(),
            Some("unauthorized: status 401")
        );
        h.reset(2);
        assert_eq!(h.availability(2, "any", t0), Availability::Ready);
        h.record(2, "m", &Outcome::Dead, &C, None, t0);
        h.record(2, "m", &Outcome::Success, &C, None, t0);
        assert_eq!(h.status(2, t0, SystemTime::now()).state, State::Healthy);
        // Client errors leave no mark.
        h.record(3, "m", &Outcome::ClientError, &C, None, t0);
        assert_eq!(h.take_changed(), vec![2]);
    }

    #[test]
    fn statuses_survive_a_restore() {
        let h = HealthStore::new();
        let t0 = Instant::now();
        let wall = SystemTime::now();
        h.record(
            4,
            "a",
            &Outcome::Transient { retry_after: None },
            &C,
            None,
            t0,
        );
        h.record(
            4,
            "b",
            &Outcome::RateLimited { retry_after: None },
            &C,
            None,
            t0,
        );
        let saved = h.status(4, t0, wall);
        let fresh = HealthStore::new();
        let t1 = Instant::now();
        fresh.restore(&saved, t1, wall + Duration::from_secs(20));
        // 20 s later on the wall clock: `a` (15 s) is over, `b` (60 s) has 40 s left.
        assert_eq!(fresh.availability(4, "a", t1), Availability::Ready);
        assert_eq!(
            fresh.availability(4, "b", t1),
            Availability::Cooling(t1 + Duration::from_secs(40))
        );
        assert_eq!(
            fresh.earliest_recovery(&[4], "b", t1),
            Some(t1 + Duration::from_secs(40))
        );
    }
}
