//! Building the application state and serving until shutdown, then draining the record
//! queue so no record is lost.

use crate::snapshot::Snapshot;
use crate::state::{AppState, Inner, LoadError, http_client};
use crate::{ServerConfig, router};
use arc_swap::ArcSwap;
use axum::serve::ListenerExt;
use gproxy_storage::{QueueConfig, Store, WriteQueue};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("loading the configuration from the database failed: {0}")]
    Load(#[from] LoadError),
    #[error("building the upstream HTTP client failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("opening the spill file {path}: {source}")]
    Spill {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// A bound, ready-to-run server.
pub struct Server {
    state: AppState,
    listener: TcpListener,
    /// Background tasks (the record writer); waited for on shutdown.
    tracker: TaskTracker,
    /// Tells background tasks to finish.
    cancel: CancellationToken,
}

impl Server {
    /// Loads the control plane, starts the write queue (spilling to `spill` while the
    /// database is away) and binds `listener`'s server.
    pub async fn build(
        store: Arc<dyn Store>,
        config: ServerConfig,
        queue: QueueConfig,
        spill: &std::path::Path,
        listener: TcpListener,
    ) -> Result<Server, StartError> {
        // What an administrator changed while an earlier run served wins over the file.
        let stored = store.settings().await.map_err(LoadError::from)?;
        let config = crate::routes::settings::with_stored(config, &stored);
        let snapshot = Snapshot::build(store.load().await.map_err(LoadError::from)?)
            .map_err(LoadError::from)?;
        let tracker = TaskTracker::new();
        let cancel = CancellationToken::new();
        let queue = WriteQueue::start_with_spill(
            Arc::clone(&store),
            queue,
            spill,
            &tracker,
            cancel.clone(),
        )
        .map_err(|source| StartError::Spill {
            path: spill.to_owned(),
            source,
        })?;
        let health = Arc::new(gproxy_channels::health::HealthStore::new());
        crate::health::restore(store.as_ref(), &health)
            .await
            .map_err(LoadError::from)?;
        let state = AppState::new(Inner {
            snapshot: ArcSwap::from_pointee(snapshot),
            store,
            queue,
            http: ArcSwap::from_pointee(http_client(&config)?),
            estimates: TaskTracker::new(),
            health,
            proxied: Default::default(),
            writer: Default::default(),
            cursors: Default::default(),
            affinity: Default::default(),
            breakers: Default::default(),
            budgets: Default::default(),
            counters: Arc::new(crate::limits::MemoryCounters::default()),
            ledger: Default::default(),
            login_throttle: Default::default(),
            sessions: Default::default(),
            seed_format: Default::default(),
            config: ArcSwap::from_pointee(config),
        });
        crate::health::spawn_persister(state.clone(), &tracker, cancel.clone());
        crate::retention::spawn(
            Arc::clone(&state.store),
            state.config().retention,
            &tracker,
            cancel.clone(),
        );
        Ok(Server {
            state,
            listener,
            tracker,
            cancel,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, lets in-flight requests finish, then writes every
    /// queued record before returning.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let app = router(self.state.clone());
        // Without TCP_NODELAY, a small stream event waits for the client's delayed ACK
        // (Nagle): streams would stall ~40 ms at a time.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!(error = %err, "could not set TCP_NODELAY");
            }
        });
        // Connection info: login throttling counts failures per client address.
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        // Records still being estimated go into the queue before its last flush.
        self.state.estimates.close();
        self.state.estimates.wait().await;
        self.state.queue.flush().await;
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        Ok(())
    }
}
