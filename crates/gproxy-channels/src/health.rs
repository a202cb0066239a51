//! Credential health, outside the config snapshot (DESIGN.md §7): per credential `healthy`,
//! `partial` (models cooling, each until a deadline) or `dead` (until a success or an admin
//! reset). Attempt outcomes update it; selection asks it; a reload of the snapshot never
//! touches it. Memory only: the server persists what changed off the request path and
//! restores it at start-up.

use crate::outcome::{Cooldowns, Outcome};
use serde::Deserialize;
use serde_json::Value;
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

/// A credential's health as a seed config states it (`state.health` on a credential):
/// `{ kind = "healthy" | "dead" }` or `{ kind = "partial", models = [{ model, until }] }`,
/// `until` in Unix seconds or RFC 3339. `credential_id` is left 0 for the caller to set.
pub fn seeded(credential: &Value) -> Result<Option<Status>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Seed {
        kind: String,
        #[serde(default)]
        models: Vec<SeedCooling>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct SeedCooling {
        model: String,
        until: Value,
    }
    let Some(health) = credential.get("state").and_then(|s| s.get("health")) else {
        return Ok(None);
    };
    let seed: Seed = serde_json::from_value(health.clone()).map_err(|e| e.to_string())?;
    let state = State::parse(&seed.kind).ok_or_else(|| {
        format!(
            "kind must be `healthy`, `partial` or `dead`, not `{}`",
            seed.kind
        )
    })?;
    let mut cooling = Vec::with_capacity(seed.models.len());
    for (i, c) in seed.models.into_iter().enumerate() {
        let secs = match &c.until {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp()),
            _ => None,
        }
        .and_then(|s| u64::try_from(s).ok())
        .ok_or_else(|| format!("models[{i}].until must be Unix seconds or an RFC 3339 time"))?;
        cooling.push(Cooling {
            model: c.model,
            until: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
        });
    }
    if state == State::Partial && cooling.is_empty() {
        return Err("kind `partial` needs `models` (the models cooling, each with `until`)".into());
    }
    Ok(Some(Status {
        credential_id: 0,
        state,
        cooling,
        last_error: None,
    }))
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
    /// (credential, model) → until when its last answer said it is short of room: tried
    /// after the others (steering load away before a 429). Not a health state: never
    /// persisted or shown.
    short: Mutex<HashMap<(i64, String), Instant>>,
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

    /// Notes what a successful answer said of the credential's room for `model`: short
    /// until `now + for_`, or (`None`) room enough.
    pub fn note_room(&self, id: i64, model: &str, short_for: Option<Duration>, now: Instant) {
        let mut short = lock(&self.short);
        match short_for {
            Some(d) => {
                short.insert((id, model.to_owned()), now + d);
            }
            None => {
                if !short.is_empty() {
                    short.remove(&(id, model.to_owned()));
                }
            }
        }
    }

    /// Whether credential `id` was short of room for `model` at its last answer.
    pub fn is_short(&self, id: i64, model: &str, now: Instant) -> bool {
        let short = lock(&self.short);
        !short.is_empty()
            && short
                .get(&(id, model.to_owned()))
                .is_some_and(|until| *until > now)
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

    /// Marks credentials as changed again (their write failed).
    pub fn mark_changed(&self, ids: &[i64]) {
        lock(&self.changed).extend(ids.iter().copied());
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
    fn seeds_read_every_kind_and_name_what_is_wrong() {
        let dead =
            seeded(&serde_json::json!({"api_key": "k", "state": {"health": {"kind": "dead"}}}));
        assert_eq!(dead.map(|s| s.map(|s| s.state)), Ok(Some(State::Dead)));
        let partial = seeded(&serde_json::json!({"state": {"health": {"kind": "partial",
            "models": [{"model": "m", "until": 2_000_000_000}, {"model": "n", "until": "2033-05-18T03:33:20Z"}]}}}))
            .expect("valid")
            .expect("seeded");
        assert_eq!(partial.cooling.len(), 2);
        assert_eq!(partial.cooling[0].until, partial.cooling[1].until);
        assert_eq!(seeded(&serde_json::json!({"api_key": "k"})), Ok(None));
        for bad in [
            serde_json::json!({"state": {"health": {"kind": "sick"}}}),
            serde_json::json!({"state": {"health": {"kind": "partial"}}}),
            serde_json::json!({"state": {"health": {"kind": "partial", "models": [{"model": "m", "until": "soon"}]}}}),
        ] {
            assert!(seeded(&bad).is_err(), "{bad}");
        }
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
