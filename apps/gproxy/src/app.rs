//! Start-up: open the database (creating the schema), import the seed into an empty
//! database, make sure an admin exists, bind, and serve until shutdown.

use crate::config::{Persistence, Settings};
use crate::seed::password_hash;
use anyhow::Context;
use gproxy_server::{AppState, Server};
use gproxy_storage::migrate::{self, MigrationState};
use gproxy_storage::model::{Seed, SeedKey, SeedPermission, SeedUser};
use gproxy_storage::{FileStore, SeaStore, Sealer, Store, StoreError, key_digest};
use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// An admin account created at this start, whose key must be shown once.
#[derive(Clone, Debug)]
pub struct GeneratedAdmin {
    pub name: String,
    pub api_key: SecretString,
}

/// A started gateway, bound and ready to serve.
pub struct App {
    server: Server,
    addr: SocketAddr,
    generated_admin: Option<GeneratedAdmin>,
}

/// What opening the store does with a schema behind this build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaPolicy {
    /// Apply pending migrations, failing loudly on error (`auto_migrate`, the default).
    Migrate,
    /// Refuse a schema that is behind, naming `gproxy migrate`.
    RequireCurrent,
    /// Leave it as it is (`gproxy migrate` itself).
    AsIs,
}

impl SchemaPolicy {
    /// The policy the configuration asks for.
    pub fn configured(settings: &Settings) -> SchemaPolicy {
        if settings.auto_migrate {
            SchemaPolicy::Migrate
        } else {
            SchemaPolicy::RequireCurrent
        }
    }
}

/// Opens the configured backend (creating the data directory for SQLite and the file
/// backend) with the current master key, and applies `policy` to its schema.
pub async fn open_store(
    settings: &Settings,
    policy: SchemaPolicy,
) -> anyhow::Result<Arc<dyn Store>> {
    let local = settings.persistence == Persistence::File || settings.dsn.starts_with("sqlite:");
    if local {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    }
    let sealer = match &settings.master_key {
        Some(k) => Sealer::from_base64(k.expose_secret())?,
        None => {
            tracing::warn!(
                "GPROXY_MASTER_KEY is not set: provider credentials and API keys are stored in plaintext"
            );
            Sealer::plaintext()
        }
    };
    let store: Arc<dyn Store> = match settings.persistence {
        Persistence::Db => Arc::new(
            SeaStore::open(&settings.dsn, sealer, &settings.database)
                .await
                .context("opening the database")?,
        ),
        Persistence::File => {
            Arc::new(FileStore::open(&settings.data_dir, sealer).context("opening the file store")?)
        }
    };
    match policy {
        SchemaPolicy::Migrate => {
            let ran = store
                .migrate()
                .await
                .context("migrating the schema (see `gproxy migrate --status`)")?;
            if !ran.is_empty() {
                tracing::info!(versions = ?ran, "applied schema migrations");
            }
        }
        SchemaPolicy::RequireCurrent => {
            let at = migrate::current(
                &store
                    .migrations()
                    .await
                    .context("reading the schema version")?,
            );
            if at < migrate::LATEST {
                return Err(StoreError::Behind {
                    at,
                    needs: migrate::LATEST,
                }
                .into());
            }
        }
        SchemaPolicy::AsIs => {}
    }
    Ok(store)
}

/// `gproxy migrate [--status]`: the migrations with their state after applying the pending
/// ones (none with `status_only`), and the versions applied now.
pub async fn migrate(
    settings: &Settings,
    status_only: bool,
) -> anyhow::Result<(Vec<MigrationState>, Vec<i64>)> {
    let store = open_store(settings, SchemaPolicy::AsIs).await?;
    let ran = if status_only {
        Vec::new()
    } else {
        store.migrate().await.context("migrating the schema")?
    };
    let states = store.migrations().await.context("reading the migrations")?;
    Ok((states, ran))
}

/// The spill file of the write queue: where records wait while the database is away.
pub fn spill_path(settings: &Settings) -> PathBuf {
    settings.data_dir.join("spill.jsonl")
}

/// `gproxy rotate-master-key`: every sealed value re-sealed under `new_key` in one
/// transaction; returns how many credentials and API keys.
pub async fn rotate_master_key(
    settings: &Settings,
    new_key: &secrecy::SecretString,
) -> anyhow::Result<(usize, usize)> {
    let to = Sealer::from_base64(new_key.expose_secret()).context("--new-key")?;
    let store = open_store(settings, SchemaPolicy::configured(settings)).await?;
    store
        .reseal(&to)
        .await
        .context("re-sealing the stored secrets (nothing was changed)")
}

/// `gproxy export`: the control plane as a seed-format TOML bundle.
pub async fn export(settings: &Settings) -> anyhow::Result<String> {
    let store = open_store(settings, SchemaPolicy::configured(settings)).await?;
    let cp = store.load().await.context("reading the control plane")?;
    crate::export::to_toml(&cp)
}

/// `gproxy backup`: an online, consistent copy of the SQLite database into `path`.
pub async fn backup(settings: &Settings, path: &std::path::Path) -> anyhow::Result<()> {
    let store = open_store(settings, SchemaPolicy::configured(settings)).await?;
    store
        .backup(path)
        .await
        .with_context(|| format!("backing up into {}", path.display()))
}

/// `gproxy import`: a bundle loaded into an empty database (any database with `force`), in
/// one transaction.
pub async fn import(
    settings: &Settings,
    file: &std::path::Path,
    force: bool,
) -> anyhow::Result<()> {
    let seed = crate::config::seed_from_file(file)?;
    let store = open_store(settings, SchemaPolicy::configured(settings)).await?;
    if !force && !store.is_empty().await? {
        anyhow::bail!(
            "the database already has data; import into an empty one, or pass --force to upsert by name"
        );
    }
    store
        .import_seed(&seed)
        .await
        .context("importing the bundle (nothing was changed)")
}

/// The seed format (`gproxy export` / `gproxy import`) for the admin API.
struct TomlSeed;

impl gproxy_server::routes::SeedFormat for TomlSeed {
    fn export(&self, cp: &gproxy_storage::model::ControlPlane) -> Result<String, String> {
        crate::export::to_toml(cp).map_err(|e| format!("{e:#}"))
    }

    fn import(&self, text: &str) -> Result<gproxy_storage::model::Seed, String> {
        crate::config::seed_from_text("the bundle", text).map_err(|e| e.to_string())
    }
}

impl App {
    /// Opens storage, bootstraps and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        if settings.redis_url.is_some() {
            tracing::warn!(
                "`redis_url` is accepted but not used yet: counters are kept in this process"
            );
        }
        let store = open_store(&settings, SchemaPolicy::configured(&settings)).await?;

        let empty = store.is_empty().await?;
        if let Some((path, seed)) = &settings.seed {
            if empty || settings.bootstrap_force_config {
                store
                    .import_seed(seed)
                    .await
                    .context("importing the seed config")?;
                tracing::info!(path = %path.display(), "imported the seed config");
            } else {
                tracing::info!(path = %path.display(), "database already initialized; seed config not re-imported");
            }
        }
        let generated_admin = ensure_admin(&*store, &settings).await?;

        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .await
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
        let spill = spill_path(&settings);
        let server =
            Server::build(store, settings.server, settings.queue, &spill, listener).await?;
        // The admin API's config export and import speak the seed format.
        let _ = server
            .state()
            .seed_format
            .set(std::sync::Arc::new(TomlSeed));
        let addr = server.local_addr()?;
        Ok(App {
            server,
            addr,
            generated_admin,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        self.server.state()
    }

    /// The admin created at this start, whose key was generated (shown once).
    pub fn generated_admin(&self) -> Option<&GeneratedAdmin> {
        self.generated_admin.as_ref()
    }

    /// Serves until `shutdown`, then drains the record queue.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.server.run(shutdown).await?;
        Ok(())
    }
}

/// Makes sure an admin exists. With none, one is created from `GPROXY_ADMIN_USER`/
/// `_PASSWORD`/`_API_KEY` (or `admin_key`), generating the key when none is given. With one,
/// an explicitly given admin key is added to it if missing.
async fn ensure_admin(store: &dyn Store, s: &Settings) -> anyhow::Result<Option<GeneratedAdmin>> {
    let cp = store.load().await?;
    let explicit_key = s.admin_api_key.clone().or(s.admin_key.clone());
    if let Some(admin) = cp.users.iter().find(|u| u.is_admin) {
        if let Some(key) = explicit_key
            && !cp
                .keys
                .iter()
                .any(|k| k.digest == key_digest(key.expose_secret()))
        {
            store
                .add_user_key(admin.id, key.expose_secret(), Some("admin_key"))
                .await?;
            tracing::info!(user = %admin.name, "added the configured admin key");
        }
        return Ok(None);
    }
    let name = s.admin_user.clone().unwrap_or_else(|| "admin".into());
    let generated = explicit_key.is_none();
    let api_key = explicit_key.unwrap_or_else(|| gproxy_server::generate_api_key().into());
    let password = s
        .admin_password
        .clone()
        .or(s.admin_key.clone())
        .unwrap_or_else(|| api_key.clone());
    let password_hash =
        tokio::task::spawn_blocking(move || password_hash(password.expose_secret()))
            .await?
            .map_err(|e| anyhow::anyhow!("hashing the admin password: {e}"))?;
    let seed = Seed {
        users: vec![SeedUser {
            name: name.clone(),
            password_hash,
            is_admin: true,
            enabled: true,
            keys: vec![SeedKey {
                api_key: api_key.clone(),
                label: Some("bootstrap".into()),
                enabled: true,
                expires_at: None,
            }],
        }],
        permissions: vec![SeedPermission {
            user_name: name.clone(),
            provider_name: None,
            model_pattern: "*".into(),
        }],
        ..Seed::default()
    };
    store
        .import_seed(&seed)
        .await
        .context("creating the admin user")?;
    tracing::info!(user = %name, "created the admin user");
    Ok(generated.then_some(GeneratedAdmin { name, api_key }))
}

/// A Unix time in milliseconds as an RFC 3339 UTC string (for operator output).
pub fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}
