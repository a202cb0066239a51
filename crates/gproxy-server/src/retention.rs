//! Retention: a background task that deletes usage rows and request logs, and empties
//! request and response bodies, once they are older than their configured windows (none by
//! default: nothing is deleted). It works a small batch at a time with a pause between
//! batches, so it never holds a long lock or starves the record writer.

use gproxy_storage::model::Prune;
use gproxy_storage::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long each kind of data is kept (`None`: forever).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Windows {
    pub usage: Option<Duration>,
    pub request_logs: Option<Duration>,
    pub bodies: Option<Duration>,
}

impl Windows {
    pub fn is_empty(&self) -> bool {
        self.usage.is_none() && self.request_logs.is_none() && self.bodies.is_none()
    }
}

/// Rows per statement.
const BATCH: u64 = 500;
/// Pause between two batches.
const PAUSE: Duration = Duration::from_millis(50);
/// How often the task looks for old data.
const EVERY: Duration = Duration::from_secs(600);

/// What one pass removed: (usage rows, request log rows, bodies emptied).
pub type Pruned = (u64, u64, u64);

/// One pass at `now_ms`: every window, batch after batch, until nothing older is left.
pub async fn run_once(
    store: &dyn Store,
    windows: &Windows,
    now_ms: i64,
) -> Result<Pruned, StoreError> {
    let mut pruned = (0, 0, 0);
    for (what, window) in [
        (Prune::Bodies, windows.bodies),
        (Prune::RequestLogs, windows.request_logs),
        (Prune::Usages, windows.usage),
    ] {
        let Some(window) = window else { continue };
        let before = now_ms.saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
        loop {
            let n = store.prune(what, before, BATCH).await?;
            match what {
                Prune::Usages => pruned.0 += n,
                Prune::RequestLogs => pruned.1 += n,
                Prune::Bodies => pruned.2 += n,
            }
            if n == 0 {
                break;
            }
            tokio::time::sleep(PAUSE).await;
        }
    }
    Ok(pruned)
}

/// Starts the task (when any window is set) until `cancel`.
pub fn spawn(
    store: Arc<dyn Store>,
    windows: Windows,
    tracker: &TaskTracker,
    cancel: CancellationToken,
) {
    if windows.is_empty() {
        return;
    }
    tracker.spawn(async move {
        loop {
            match run_once(store.as_ref(), &windows, gproxy_storage::now_ms()).await {
                Ok((0, 0, 0)) => {}
                Ok((usage, logs, bodies)) => {
                    tracing::info!(usage, logs, bodies, "retention removed old records")
                }
                Err(err) => tracing::warn!(error = %err, "retention pass failed; retrying later"),
            }
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                () = cancel.cancelled() => break,
            }
        }
    });
}
