//! Shared application state: the control-plane snapshot (swapped atomically), the store,
//! the write queue and the upstream HTTP client.

use crate::ServerConfig;
use crate::snapshot::{Snapshot, SnapshotError};
use arc_swap::ArcSwap;
use gproxy_storage::{Store, StoreError, WriteQueue};
use std::ops::Deref;
use std::sync::Arc;

/// Cheap-to-clone handle on [`Inner`].
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What every handler can reach.
pub struct Inner {
    /// The control plane the request path reads; replaced whole on change.
    pub snapshot: ArcSwap<Snapshot>,
    pub store: Arc<dyn Store>,
    /// Where records go on their way to the store.
    pub queue: WriteQueue,
    /// Upstream client (connection pools per upstream host), through the global proxy.
    pub http: ArcSwap<reqwest::Client>,
    /// One client per provider proxy URL, made on first use.
    pub proxied: std::sync::RwLock<std::collections::HashMap<String, reqwest::Client>>,
    /// Tasks that finish a request's records after its response is gone (token estimates
    /// for streams cut short); shutdown waits for them before the queue's last flush.
    pub estimates: tokio_util::task::TaskTracker,
    /// Credential health: outside the snapshot, so a reload never resets it.
    pub health: Arc<gproxy_channels::health::HealthStore>,
    /// Round-robin cursors per provider (a reload keeps them).
    pub cursors: gproxy_channels::Cursors,
    /// Which credential served a prompt prefix lately, per provider.
    pub affinity: gproxy_channels::affinity::Affinity,
    /// Circuit breakers per provider and per (provider, model).
    pub breakers: gproxy_channels::breaker::Breakers,
    /// Retry budgets per provider.
    pub budgets: gproxy_channels::budget::RetryBudgets,
    /// Held by the one admin write at a time: write, then rebuild and swap the snapshot, so
    /// an older snapshot never replaces a newer one.
    pub writer: tokio::sync::Mutex<()>,
    /// Failed logins per account and client address.
    pub login_throttle: crate::throttle::LoginThrottle,
    /// Open console sessions.
    pub sessions: crate::session::Sessions,
    /// The binary's seed format, for config export and import over the admin API.
    pub seed_format: std::sync::OnceLock<Arc<dyn crate::routes::SeedFormat>>,
    /// Rate-limit windows (outside the snapshot: a reload keeps the counts).
    pub counters: Arc<dyn crate::limits::Counters>,
    /// Quota balances and reservations (a reload keeps them unless an admin changed the
    /// quota).
    pub ledger: Arc<crate::limits::QuotaLedger>,
    /// The settings; the live ones change under `PATCH /admin/settings` (read them through
    /// [`AppState::config`] once per use).
    pub config: ArcSwap<ServerConfig>,
}

/// Why the control plane could not be (re)loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        AppState(Arc::new(inner))
    }

    /// The settings now.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.config.load_full()
    }

    /// Replaces the settings (the upstream client too when the proxy changed).
    pub fn set_config(&self, config: ServerConfig) -> Result<(), reqwest::Error> {
        if config.proxy != self.config().proxy {
            self.http.store(Arc::new(http_client(&config)?));
        }
        self.config.store(Arc::new(config));
        Ok(())
    }

    /// The current control plane.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// The client for a provider's calls: through its own proxy when it sets one (one
    /// pooled client per proxy URL), else the shared one.
    pub fn client_for(&self, proxy: Option<&str>) -> Result<reqwest::Client, reqwest::Error> {
        let Some(url) = proxy else {
            return Ok((**self.http.load()).clone());
        };
        if let Some(client) = self
            .proxied
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(url)
        {
            return Ok(client.clone());
        }
        let client = http_client(&ServerConfig {
            proxy: Some(url.to_owned()),
            ..(*self.config()).clone()
        })?;
        self.proxied
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(url.to_owned())
            .or_insert(client.clone());
        Ok(client)
    }

    /// Reloads the control plane from the store and swaps it in; returns the rows it was
    /// built from (a caller that shows them need not read them again).
    pub async fn reload(&self) -> Result<gproxy_storage::model::ControlPlane, LoadError> {
        let cp = self.store.load().await?;
        let snap = Snapshot::build(cp.clone())?;
        self.snapshot.store(Arc::new(snap));
        Ok(cp)
    }
}

/// Builds the upstream HTTP client.
pub fn http_client(config: &ServerConfig) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .tcp_nodelay(true)
        // A redirect is relayed to the client, never followed: following would re-send a
        // request (and the provider's credential) somewhere the operator did not configure.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gproxy/", env!("CARGO_PKG_VERSION")));
    builder = match &config.proxy {
        Some(url) => builder.proxy(reqwest::Proxy::all(url)?),
        None => builder.no_proxy(),
    };
    builder.build()
}
