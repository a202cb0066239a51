//! Credential health beside the request path: restored from `credential_statuses` at
//! start-up, and written back by a background task that persists what changed once a
//! second (and once more at shutdown), so the request path never waits on the database.

use crate::state::AppState;
use gproxy_channels::health::{Cooling, HealthStore, State, Status};
use gproxy_storage::model::CredentialStatusRecord;
use gproxy_storage::{Store, StoreError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How often changed statuses are written.
const PERSIST_EVERY: Duration = Duration::from_secs(1);

/// Milliseconds since the Unix epoch (0 before it).
fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A status as the store keeps it.
pub fn record_of(s: &Status) -> CredentialStatusRecord {
    CredentialStatusRecord {
        credential_id: s.credential_id,
        state: s.state.as_str().to_owned(),
        cooling: s
            .cooling
            .iter()
            .map(|c| (c.model.clone(), unix_ms(c.until)))
            .collect(),
        last_error: s.last_error.clone(),
    }
}

/// A stored status; `None` for a state this build does not know.
pub fn status_of(r: &CredentialStatusRecord) -> Option<Status> {
    Some(Status {
        credential_id: r.credential_id,
        state: State::parse(&r.state)?,
        cooling: r
            .cooling
            .iter()
            .map(|(model, ms)| Cooling {
                model: model.clone(),
                until: UNIX_EPOCH + Duration::from_millis(u64::try_from(*ms).unwrap_or(0)),
            })
            .collect(),
        last_error: r.last_error.clone(),
    })
}

/// Now on the monotonic clock health deadlines use (tokio's, so paused-time tests drive
/// cooldowns).
pub fn instant() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// Now on both clocks health uses: deadlines and the wall clock they are shown in.
pub fn now() -> (std::time::Instant, SystemTime) {
    (instant(), SystemTime::now())
}

/// Loads every persisted status into `health`.
pub async fn restore(store: &dyn Store, health: &HealthStore) -> Result<usize, StoreError> {
    let rows = store.credential_statuses().await?;
    let (at, wall) = now();
    let mut restored = 0;
    for row in &rows {
        match status_of(row) {
            Some(status) => {
                health.restore(&status, at, wall);
                restored += 1;
            }
            None => tracing::warn!(
                credential_id = row.credential_id,
                state = %row.state,
                "unknown credential state in the database; treated as healthy"
            ),
        }
    }
    // What was just read needs no writing back.
    health.take_changed();
    Ok(restored)
}

/// Writes the statuses that changed since the last call; on failure they stay pending.
pub async fn persist(state: &AppState) {
    let changed = state.health.take_changed();
    if changed.is_empty() {
        return;
    }
    let (at, wall) = now();
    let records: Vec<CredentialStatusRecord> = changed
        .iter()
        .map(|id| record_of(&state.health.status(*id, at, wall)))
        .collect();
    if let Err(err) = state.store.save_credential_statuses(&records).await {
        tracing::warn!(error = %err, "could not save credential health; retrying");
        state.health.mark_changed(&changed);
    }
}

/// Starts the task that persists health changes until `cancel`, with a last write then.
pub fn spawn_persister(state: AppState, tracker: &TaskTracker, cancel: CancellationToken) {
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(PERSIST_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => persist(&state).await,
                () = cancel.cancelled() => {
                    persist(&state).await;
                    break;
                }
            }
        }
    });
}
