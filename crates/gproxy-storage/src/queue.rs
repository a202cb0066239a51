//! The batched write queue: request handlers hand records over without awaiting the
//! database; one worker gathers them into batches (up to `max_batch`, or whatever arrived
//! within `window`) and writes each batch in one transaction. On shutdown the worker drains
//! everything still queued before it exits.

use crate::model::Record;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Queue sizing (`storage_write_*` settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    /// Records that may wait before producers are made to wait.
    pub capacity: usize,
    /// Most records written in one transaction.
    pub max_batch: usize,
    /// How long the worker keeps gathering after the first record of a batch.
    pub window: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 4096,
            max_batch: 1024,
            window: Duration::from_millis(25),
        }
    }
}

#[derive(Debug)]
enum Msg {
    Record(Box<Record>),
    /// Answered once every record queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// A reserved slot in the queue.
#[derive(Debug)]
pub struct RecordPermit(mpsc::OwnedPermit<Msg>);

impl RecordPermit {
    pub fn send(self, record: Record) {
        self.0.send(Msg::Record(Box::new(record)));
    }
}

/// The producer side; cheap to clone.
#[derive(Clone, Debug)]
pub struct WriteQueue {
    tx: mpsc::Sender<Msg>,
}

impl WriteQueue {
    /// Starts the worker on `tracker`; it stops (after draining) when `cancel` fires.
    pub fn start(
        store: Arc<dyn Store>,
        config: QueueConfig,
        tracker: &TaskTracker,
        cancel: CancellationToken,
    ) -> WriteQueue {
        let (tx, rx) = mpsc::channel(config.capacity.max(1));
        tracker.spawn(worker(store, config, rx, cancel));
        WriteQueue { tx }
    }

    /// Queues a record, waiting for room if the queue is full (records are never dropped
    /// while the worker runs).
    pub async fn push(&self, record: Record) {
        if self.tx.send(Msg::Record(Box::new(record))).await.is_err() {
            tracing::error!("write queue is closed; a record was not persisted");
        }
    }

    /// A slot in the queue, once one is free: lets a poll-based producer (a stream body)
    /// wait for room without giving up its record. `None` when the queue is closed.
    pub fn reserve(
        &self,
    ) -> impl std::future::Future<Output = Option<RecordPermit>> + Send + 'static {
        let tx = self.tx.clone();
        async move { tx.reserve_owned().await.ok().map(RecordPermit) }
    }

    /// Queues a record from a context that cannot await (a `Drop`): waits on a task when
    /// the queue is full. Everything that can await uses [`WriteQueue::push`] instead, so a
    /// store slower than the traffic slows the traffic rather than piling up records.
    pub fn push_detached(&self, record: Record) {
        match self.tx.try_send(Msg::Record(Box::new(record))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(msg)) => {
                let tx = self.tx.clone();
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    handle.spawn(async move {
                        if tx.send(msg).await.is_err() {
                            tracing::error!("write queue is closed; a record was not persisted");
                        }
                    });
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("write queue is closed; a record was not persisted");
            }
        }
    }

    /// Waits until every record queued so far is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn worker(
    store: Arc<dyn Store>,
    config: QueueConfig,
    mut rx: mpsc::Receiver<Msg>,
    cancel: CancellationToken,
) {
    let max_batch = config.max_batch.max(1);
    let mut batch: Vec<Record> = Vec::with_capacity(max_batch);
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        let first = tokio::select! {
            msg = rx.recv() => msg,
            () = cancel.cancelled() => None,
        };
        let Some(first) = first else { break };
        take(first, &mut batch, &mut waiters);
        let deadline = Instant::now() + config.window;
        while batch.len() < max_batch && waiters.is_empty() && !cancel.is_cancelled() {
            tokio::select! {
                msg = tokio::time::timeout_at(deadline, rx.recv()) => match msg {
                    Ok(Some(msg)) => take(msg, &mut batch, &mut waiters),
                    Ok(None) | Err(_) => break,
                },
                () = cancel.cancelled() => break,
            }
        }
        write(&*store, &mut batch).await;
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
    }
    // Shutdown: refuse new records, then write everything already queued.
    rx.close();
    while let Some(msg) = rx.recv().await {
        take(msg, &mut batch, &mut waiters);
        if batch.len() >= max_batch {
            write(&*store, &mut batch).await;
        }
    }
    write(&*store, &mut batch).await;
    for w in waiters.drain(..) {
        let _ = w.send(());
    }
}

fn take(msg: Msg, batch: &mut Vec<Record>, waiters: &mut Vec<oneshot::Sender<()>>) {
    match msg {
        Msg::Record(r) => batch.push(*r),
        Msg::Flush(w) => waiters.push(w),
    }
}

/// Writes one batch, retrying a failed transaction a few times before giving up loudly.
async fn write(store: &dyn Store, batch: &mut Vec<Record>) {
    if batch.is_empty() {
        return;
    }
    let mut attempt = 0u32;
    loop {
        match store.write_records(batch).await {
            Ok(()) => break,
            Err(err) if attempt < 4 => {
                attempt += 1;
                tracing::warn!(error = %err, attempt, records = batch.len(), "record batch write failed; retrying");
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
            Err(err) => {
                tracing::error!(error = %err, records = batch.len(), "record batch write failed; records lost");
                break;
            }
        }
    }
    batch.clear();
}
