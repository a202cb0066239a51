//! The file backend ([`FileStore`]): a data directory of JSON files for a single instance,
//! with no database server. The control plane is one JSON array per table, held in memory
//! and replaced atomically on a write ([`state`], [`table`]); the records and the audit
//! log are append-only JSON lines ([`log`], [`tail`], [`records`], [`retention`]); the
//! schema stamp is `schema_version.json` ([`schema`]); the directory is locked against a
//! second instance ([`lock`]). The trait methods are in [`store`]; re-sealing and backups
//! in [`backup`]; the admin API's change sets in [`change`]; usage rollups (in memory,
//! with a snapshot file) and summaries in [`rollup`].

mod admin;
mod backup;
mod change;
mod health;
mod limits_admin;
mod lock;
mod log;
mod logs_query;
mod records;
mod retention;
mod rollup;
mod schema;
mod seed;
mod settings;
mod state;
mod store;
mod table;
mod tail;

use crate::model::{AuditRecord, AuditRow, ControlPlane, CredentialRecord, KeyRecord};
use crate::seal::Sealer;
use crate::store::StoreError;
use lock::DirLock;
use log::{Log, Undo};
use secrecy::SecretString;
use state::Tables;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The append-only tables' files.
const USAGES: &str = "usages.jsonl";
const DOWNSTREAM: &str = "downstream_requests.jsonl";
const UPSTREAM: &str = "upstream_requests.jsonl";
const AUDIT: &str = "audit_logs.jsonl";
const LOGS: &[&str] = &[USAGES, DOWNSTREAM, UPSTREAM, AUDIT];

/// A [`crate::Store`] on a data directory of JSON files, for one gateway instance (the
/// directory is locked while it is open). Cheap to clone: clones share the state.
///
/// Locks are taken in one order, `control`, `usages`, `downstream`, `upstream`, `audit`,
/// and file work runs on the blocking pool while they are held; `rollups` (a blocking
/// lock, taken on that pool) comes after `usages`.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// The data directory.
    dir: PathBuf,
    /// Opens the secrets it holds (and seals new ones).
    sealer: Sealer,
    /// Every control-plane table, as its files hold it.
    control: Arc<Mutex<Tables>>,
    usages: Arc<Mutex<Log>>,
    downstream: Arc<Mutex<Log>>,
    upstream: Arc<Mutex<Log>>,
    audit: Arc<Mutex<Log>>,
    /// The usage rollups summaries read (see [`rollup`]).
    rollups: rollup::Shared,
    /// The single-instance lock, released when the last clone goes.
    lock: DirLock,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.inner.dir)
            .field("lock", &self.inner.lock.path())
            .field("sealer", &self.inner.sealer)
            .finish_non_exhaustive()
    }
}

/// Runs file work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Db(format!("file store task failed: {e}")))?
}

impl FileStore {
    /// Opens the data directory `dir` (creating it), locks it for this instance, loads the
    /// control plane and finds the record tables' ends (cutting away a torn last line).
    /// Fails when another instance holds the directory. Does not migrate (see
    /// [`crate::Store::migrate`]).
    pub fn open(dir: &Path, sealer: Sealer) -> Result<FileStore, StoreError> {
        table::create_private_dir(dir)?;
        let lock = DirLock::acquire(dir)?;
        // A write cut short by a crash may leave its temporary file; the table it was to
        // replace is intact.
        for name in state::FILES
            .iter()
            .chain(LOGS)
            .chain([&schema::FILE, &rollup::FILE])
        {
            let tmp = dir.join(format!("{name}.tmp"));
            match std::fs::remove_file(&tmp) {
                Ok(()) => tracing::warn!(file = %tmp.display(), "removed an unfinished write"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(table::io_err("removing", &tmp, e)),
            }
        }
        let tables = Tables::load(dir)?;
        let log = |name: &'static str| -> Result<Arc<Mutex<Log>>, StoreError> {
            let floor = tables.stored_next_id(name)?.unwrap_or(1);
            Ok(Arc::new(Mutex::new(Log::open(dir, name, floor)?)))
        };
        let (usages, downstream, upstream, audit) =
            (log(USAGES)?, log(DOWNSTREAM)?, log(UPSTREAM)?, log(AUDIT)?);
        let rollups = {
            let usages = usages
                .try_lock()
                .map_err(|e| StoreError::Db(format!("opening the usage log: {e}")))?;
            Arc::new(std::sync::Mutex::new(rollup::Rollups::open(dir, &usages)?))
        };
        Ok(FileStore {
            inner: Arc::new(Inner {
                dir: dir.to_owned(),
                sealer,
                control: Arc::new(Mutex::new(tables)),
                usages,
                downstream,
                upstream,
                audit,
                rollups,
                lock,
            }),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs a control-plane write (see [`state::write`]) on the blocking pool.
    async fn write_control<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut Tables, &Sealer, i64) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let mut tables = Arc::clone(&self.inner.control).lock_owned().await;
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let now = crate::now_ms();
            state::write(&inner.dir, &mut tables, |t| change(t, &inner.sealer, now))
        })
        .await
    }

    /// Runs an admin write: the changed tables and its audit entry are written together
    /// (the tables staged, the entry appended, then the tables renamed into place; the entry
    /// is taken back if that fails), so a refused or failed write leaves no trace.
    async fn write_audited<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut Tables, i64) -> Result<(T, AuditRecord), StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let mut tables = Arc::clone(&self.inner.control).lock_owned().await;
        let mut audit = Arc::clone(&self.inner.audit).lock_owned().await;
        let dir = self.inner.dir.clone();
        blocking(move || {
            let now = crate::now_ms();
            let mut next = tables.clone();
            let (out, entry) = change(&mut next, now)?;
            let staged = tables.stage(&dir, &next)?;
            let undo = append_audit(&mut audit, &entry, now)?;
            if let Err(e) = staged.commit() {
                let _ = audit.undo(undo);
                return Err(e);
            }
            *tables = next;
            Ok(out)
        })
        .await
    }

    /// The whole control plane with its secrets opened, each table in id order.
    async fn load_control(&self) -> Result<ControlPlane, StoreError> {
        let t = self.inner.control.lock().await;
        let sealer = &self.inner.sealer;
        let credentials = t
            .credentials
            .iter()
            .map(|c| {
                let plain = sealer.open(&c.secret)?;
                let secret = serde_json::from_str(&plain)
                    .map_err(|e| StoreError::Invalid(format!("credential {}: {e}", c.id)))?;
                Ok(CredentialRecord {
                    id: c.id,
                    provider_id: c.provider_id,
                    label: c.label.clone(),
                    secret,
                    enabled: c.enabled,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let keys = t
            .user_keys
            .iter()
            .map(|k| {
                Ok(KeyRecord {
                    api_key: SecretString::from(sealer.open(&k.secret)?),
                    id: k.id,
                    user_id: k.user_id,
                    digest: k.digest.clone(),
                    label: k.label.clone(),
                    enabled: k.enabled,
                    expires_at: k.expires_at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut cp = ControlPlane {
            providers: t.providers.clone(),
            credentials,
            models: t.provider_models.clone(),
            aliases: t.aliases.clone(),
            routes: t.routes.clone(),
            route_members: t.route_members.clone(),
            users: t.users.clone(),
            keys,
            permissions: t.route_permissions.clone(),
            rate_limits: t.rate_limits.clone(),
            quotas: t.quotas.clone(),
        };
        cp.providers.sort_by_key(|r| r.id);
        cp.credentials.sort_by_key(|r| r.id);
        cp.models.sort_by_key(|r| r.id);
        cp.aliases.sort_by_key(|r| r.id);
        cp.routes.sort_by_key(|r| r.id);
        cp.route_members.sort_by_key(|r| r.id);
        cp.users.sort_by_key(|r| r.id);
        cp.keys.sort_by_key(|r| r.id);
        cp.permissions.sort_by_key(|r| r.id);
        cp.rate_limits.sort_by_key(|r| r.id);
        cp.quotas.sort_by_key(|r| r.id);
        Ok(cp)
    }

    /// The newest `limit` rows of a record table.
    async fn newest<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        log: &Arc<Mutex<Log>>,
        limit: u64,
    ) -> Result<Vec<T>, StoreError> {
        let log = Arc::clone(log).lock_owned().await;
        blocking(move || log.newest(limit)).await
    }

    /// Retention on one table; when it deletes the table's last row, the table's next id is
    /// kept in `instance_settings` so a restart does not hand out a deleted row's id again.
    async fn prune_log(
        &self,
        log: &Arc<Mutex<Log>>,
        what: impl FnOnce(&mut Log, i64, u64) -> Result<u64, StoreError> + Send + 'static,
        before_ms: i64,
        batch: u64,
    ) -> Result<u64, StoreError> {
        let mut log = Arc::clone(log).lock_owned().await;
        let (n, emptied) = blocking(move || {
            let n = what(&mut log, before_ms, batch)?;
            Ok((
                n,
                (n > 0 && log.is_empty()).then(|| (log.name(), log.next_id())),
            ))
        })
        .await?;
        if let Some((name, next)) = emptied {
            self.write_control(move |t, _, now| t.set_next_id(name, next, now))
                .await?;
        }
        Ok(n)
    }
}

/// Appends one audit entry stamped `now`.
fn append_audit(log: &mut Log, a: &AuditRecord, now: i64) -> Result<Undo, StoreError> {
    let id = log.next_id();
    let row = AuditRow {
        id,
        created_at: now,
        actor: a.actor.clone(),
        action: a.action.clone(),
        resource: a.resource.clone(),
        resource_id: a.resource_id.clone(),
        before: a.before.as_ref().map(|v| v.to_string()),
        after: a.after.as_ref().map(|v| v.to_string()),
    };
    log.append(&[row], id + 1)
}
