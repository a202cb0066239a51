//! The batched write queue: request handlers hand records over without awaiting the
//! database; one worker gathers them into batches (up to `max_batch`, or whatever arrived
//! within `window`) and writes each batch in one transaction. When the database refuses a
//! batch it goes to the [`Spill`] file, and so does every batch after it until the spill is
//! replayed, in order and idempotently, once the database answers again. On shutdown the
//! worker drains everything still queued before it exits.

use crate::model::Record;
use crate::spill::Spill;
use crate::store::{Store, StoreError};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// How the writer is doing, for `/readyz`.
#[derive(Debug, Default)]
pub struct QueueStatus {
    degraded: AtomicBool,
    spilled: AtomicU64,
}

impl QueueStatus {
    /// True while the database refuses writes or spilled records wait to be replayed.
    pub fn degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    /// Records waiting in the spill file.
    pub fn spilled(&self) -> u64 {
        self.spilled.load(Ordering::Relaxed)
    }
}

/// The producer side; cheap to clone.
#[derive(Clone, Debug)]
pub struct WriteQueue {
    tx: mpsc::Sender<Msg>,
    status: Arc<QueueStatus>,
}

impl WriteQueue {
    /// Starts the worker on `tracker`; it stops (after draining) when `cancel` fires. With
    /// no spill file, a batch the database refuses is retried until it is taken.
    pub fn start(
        store: Arc<dyn Store>,
        config: QueueConfig,
        tracker: &TaskTracker,
        cancel: CancellationToken,
    ) -> WriteQueue {
        Self::spawn(store, config, None, tracker, cancel)
    }

    /// Like [`WriteQueue::start`], with batches the database refuses spilled to the file
    /// at `spill` and replayed from it when the database is back (and at the next start).
    /// Each batch is journaled beside it (`journal.jsonl`) while its transaction runs; a
    /// batch an earlier run left there (killed mid-commit) joins the spill.
    pub fn start_with_spill(
        store: Arc<dyn Store>,
        config: QueueConfig,
        spill: &Path,
        tracker: &TaskTracker,
        cancel: CancellationToken,
    ) -> std::io::Result<WriteQueue> {
        let mut journal = Spill::open_journal(&spill.with_file_name("journal.jsonl"))?;
        let mut spill = Spill::open(spill)?;
        let moved = journal.move_into(&mut spill)?;
        if moved > 0 {
            tracing::info!(
                records = moved,
                "records of a write cut short by the last exit will be replayed"
            );
        }
        Ok(Self::spawn(
            store,
            config,
            Some((spill, journal)),
            tracker,
            cancel,
        ))
    }

    fn spawn(
        store: Arc<dyn Store>,
        config: QueueConfig,
        files: Option<(Spill, Spill)>,
        tracker: &TaskTracker,
        cancel: CancellationToken,
    ) -> WriteQueue {
        let (spill, journal) = files.unzip();
        let status = Arc::new(QueueStatus::default());
        if let Some(spill) = &spill {
            status.spilled.store(spill.pending(), Ordering::Relaxed);
            status
                .degraded
                .store(spill.pending() > 0, Ordering::Relaxed);
        }
        let writer = Writer {
            store,
            spill,
            journal,
            status: Arc::clone(&status),
            retry_at: None,
            backoff: FIRST_BACKOFF,
        };
        let (tx, rx) = mpsc::channel(config.capacity.max(1));
        tracker.spawn(worker(writer, config, rx, cancel));
        WriteQueue { tx, status }
    }

    /// The writer's state.
    pub fn status(&self) -> &QueueStatus {
        &self.status
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
    mut writer: Writer,
    config: QueueConfig,
    mut rx: mpsc::Receiver<Msg>,
    cancel: CancellationToken,
) {
    let max_batch = config.max_batch.max(1);
    let mut batch: Vec<Record> = Vec::with_capacity(max_batch);
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    writer.replay().await;
    loop {
        // While records wait in the spill, wake up to replay them even with no traffic.
        let replay_at = writer.replay_at();
        let first = tokio::select! {
            msg = rx.recv() => msg,
            () = cancel.cancelled() => None,
            () = sleep_until(replay_at) => {
                writer.replay().await;
                continue;
            }
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
        writer.write(&mut batch, false).await;
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
    }
    // Shutdown: refuse new records, then write everything already queued.
    rx.close();
    while let Some(msg) = rx.recv().await {
        take(msg, &mut batch, &mut waiters);
        if batch.len() >= max_batch {
            writer.write(&mut batch, true).await;
        }
    }
    writer.write(&mut batch, true).await;
    writer.replay().await;
    for w in waiters.drain(..) {
        let _ = w.send(());
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn take(msg: Msg, batch: &mut Vec<Record>, waiters: &mut Vec<oneshot::Sender<()>>) {
    match msg {
        Msg::Record(r) => batch.push(*r),
        Msg::Flush(w) => waiters.push(w),
    }
}

/// The first wait after a failed write; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Spilled batches replayed in one go before new records get their turn.
const REPLAY_BATCHES: usize = 16;
/// The longest a batch write may take before it counts as failed (and is spilled; the
/// replay skips it if it landed after all): a database that hangs must not stall the queue.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest the replay waits for the database to answer a ping first.
const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// Without a spill file, how often shutdown retries a failing write before giving up.
const SHUTDOWN_ATTEMPTS: u32 = 5;

/// The worker's side: the store, the spill file and the status `/readyz` reads.
struct Writer {
    store: Arc<dyn Store>,
    spill: Option<Spill>,
    /// The batch whose transaction is running, should the process die meanwhile.
    journal: Option<Spill>,
    status: Arc<QueueStatus>,
    /// When the database may be tried again (`None`: it took the last write).
    retry_at: Option<Instant>,
    backoff: Duration,
}

impl Writer {
    fn spilling(&self) -> bool {
        self.spill.as_ref().is_some_and(|s| s.pending() > 0)
    }

    /// When to replay the spill next, if anything waits in it.
    fn replay_at(&self) -> Option<Instant> {
        self.spilling()
            .then(|| self.retry_at.unwrap_or_else(Instant::now))
    }

    fn failed(&mut self, err: &StoreError, records: usize) {
        tracing::warn!(error = %err, records, "the database refused a record batch");
        self.status.degraded.store(true, Ordering::Relaxed);
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    fn succeeded(&mut self) {
        self.retry_at = None;
        self.backoff = FIRST_BACKOFF;
        if !self.spilling() {
            self.status.degraded.store(false, Ordering::Relaxed);
        }
    }

    /// Stores a batch, or spills it while the database is away or records wait in the
    /// spill (keeping their order). Returns once the batch is in one of the two: while the
    /// gateway runs no record is given up; at shutdown, without a spill file, after a few
    /// attempts.
    async fn write(&mut self, batch: &mut Vec<Record>, shutting_down: bool) {
        if batch.is_empty() {
            return;
        }
        if self.spilling() && self.retry_at.is_none_or(|at| at <= Instant::now()) {
            self.replay().await;
        }
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            if !self.spilling() && self.retry_at.is_none_or(|at| at <= Instant::now()) {
                self.journal(Some(batch.as_slice()));
                let written = tokio::time::timeout(WRITE_TIMEOUT, self.store.write_records(batch))
                    .await
                    .unwrap_or_else(|_| Err(StoreError::Db("the write timed out".into())));
                match written {
                    Ok(()) => {
                        self.journal(None);
                        self.succeeded();
                        break;
                    }
                    Err(err) => self.failed(&err, batch.len()),
                }
            }
            if let Some(spill) = &mut self.spill {
                match spill.append(batch) {
                    Ok(()) => {
                        self.status
                            .spilled
                            .store(spill.pending(), Ordering::Relaxed);
                        self.status.degraded.store(true, Ordering::Relaxed);
                        self.journal(None);
                        break;
                    }
                    Err(err) => tracing::error!(
                        path = %spill.path().display(), error = %err,
                        "cannot spill records; holding them and retrying"
                    ),
                }
            }
            if shutting_down && self.spill.is_none() && attempts >= SHUTDOWN_ATTEMPTS {
                tracing::error!(
                    records = batch.len(),
                    "shutting down with the database away and no spill file: records lost"
                );
                break;
            }
            // Nowhere to put the batch yet: the queue fills and producers wait meanwhile.
            let wait = self
                .retry_at
                .map_or(self.backoff, |at| at - Instant::now().min(at));
            tokio::time::sleep(wait.max(FIRST_BACKOFF)).await;
            self.retry_at = None;
        }
        batch.clear();
    }

    /// Journals `batch` before its transaction (once: a retry finds it there), or clears the
    /// journal (`None`) once the batch is stored or spilled. A journal that cannot be
    /// written is reported; the write goes on without it.
    fn journal(&mut self, batch: Option<&[Record]>) {
        let Some(journal) = &mut self.journal else {
            return;
        };
        let done = match batch {
            Some(batch) if journal.pending() == 0 => journal.append(batch),
            Some(_) => Ok(()),
            None => journal.clear(),
        };
        if let Err(err) = done {
            tracing::warn!(path = %journal.path().display(), error = %err, "cannot write the record journal");
        }
    }

    /// Replays spilled batches, in order, while the database takes them (at most
    /// [`REPLAY_BATCHES`] at a time); empties the spill once all are stored.
    async fn replay(&mut self) {
        if self.spill.is_none() {
            return;
        }
        if self.spilling() {
            let ping = tokio::time::timeout(PING_TIMEOUT, self.store.ping())
                .await
                .unwrap_or_else(|_| Err(StoreError::Db("no answer to a ping".into())));
            if let Err(err) = ping {
                let pending = self.spill.as_ref().map_or(0, Spill::pending);
                self.failed(&err, pending as usize);
                return;
            }
        }
        let Some(spill) = &mut self.spill else { return };
        let mut replayed = 0usize;
        for _ in 0..REPLAY_BATCHES {
            let next = match spill.peek() {
                Ok(next) => next,
                Err(err) => {
                    tracing::error!(path = %spill.path().display(), error = %err, "cannot read the spill file");
                    return;
                }
            };
            let Some((batch, next)) = next else {
                if let Err(err) = spill.clear() {
                    tracing::error!(path = %spill.path().display(), error = %err, "cannot empty the spill file");
                }
                break;
            };
            let stored = tokio::time::timeout(WRITE_TIMEOUT, self.store.replay_records(&batch))
                .await
                .unwrap_or_else(|_| Err(StoreError::Db("the replay timed out".into())));
            match stored {
                Ok(()) => {
                    replayed += batch.len();
                    if let Err(err) = spill.consumed(batch.len(), next) {
                        tracing::error!(path = %spill.path().display(), error = %err, "cannot advance the spill file");
                        return;
                    }
                }
                Err(err) => {
                    self.status
                        .spilled
                        .store(spill.pending(), Ordering::Relaxed);
                    let n = batch.len();
                    self.failed(&err, n);
                    return;
                }
            }
        }
        let pending = self.spill.as_ref().map_or(0, Spill::pending);
        self.status.spilled.store(pending, Ordering::Relaxed);
        if replayed > 0 {
            tracing::info!(
                replayed,
                pending,
                "replayed spilled records into the database"
            );
        }
        self.succeeded();
    }
}
