//! The SeaORM backend: SQLite, PostgreSQL and MySQL/MariaDB behind one [`Store`]: the
//! connection and schema here, the seed import in [`seed`], credential health rows in
//! [`health`], the admin API's audited writes in [`admin`] (rate limits and quotas in
//! [`limits_admin`], change sets in [`change`]), usage rollups and summaries in [`rollup`].

mod admin;
mod change;
mod health;
mod indexes;
mod limits_admin;
mod listing;
mod logs;
mod options;
mod quotas;
mod records;
mod reseal;
mod retention;
mod rollup;
mod schema;
mod seed;
mod settings;

pub use options::DbOptions;

use crate::entity::{
    alias, credential, credential_status, downstream_request, provider, provider_model, quota,
    rate_limit, route, route_member, route_permission, upstream_request, usage, user, user_key,
};
use crate::model::{
    AuditRecord, AuditRow, ControlPlane, CredentialRecord, CredentialStatusRecord, DownstreamRow,
    KeyRecord, NewQuota, NewRateLimit, NewRoute, NewRouteMember, Prune, QuotaPatch, QuotaRow,
    RateLimitPatch, RateLimitRow, Record, RouteMemberPatch, RouteMemberRow, RoutePatch, RouteRow,
    Seed, TimeCursor, UpstreamRow, UsageFilter, UsageRow,
};
use crate::seal::{Sealer, key_digest};
use crate::store::{Store, StoreError};
use async_trait::async_trait;
use health::status_row;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use secrecy::SecretString;

/// The schema version this build writes (see [`crate::migrate::MIGRATIONS`]).
pub const SCHEMA_VERSION: i64 = crate::migrate::LATEST;

impl From<sea_orm::DbErr> for StoreError {
    /// A unique violation becomes [`StoreError::Conflict`], SQLite's lock refusals
    /// (`SQLITE_BUSY` and its extended codes) [`StoreError::Busy`], everything else
    /// [`StoreError::Db`] with the driver's message.
    fn from(e: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(what)) = e.sql_err() {
            return StoreError::Conflict(format!("a unique value is taken: {what}"));
        }
        let text = e.to_string();
        if text.contains("database is locked")
            || text.contains("(code: 5)")
            || text.contains("(code: 517)")
        {
            StoreError::Busy(text)
        } else {
            StoreError::Db(text)
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A [`Store`] on a SeaORM connection pool.
#[derive(Debug, Clone)]
pub struct SeaStore {
    db: DatabaseConnection,
    sealer: Sealer,
}

impl SeaStore {
    /// Connects to `dsn` with default pool settings and migrates; see
    /// [`SeaStore::connect_with`].
    pub async fn connect(dsn: &str, sealer: Sealer) -> Result<Self, StoreError> {
        Self::connect_with(dsn, sealer, &DbOptions::default()).await
    }

    /// Connects to `dsn` and applies every pending migration (creating the schema in an
    /// empty database). Fails if any step fails.
    pub async fn connect_with(
        dsn: &str,
        sealer: Sealer,
        options: &DbOptions,
    ) -> Result<Self, StoreError> {
        let store = Self::open(dsn, sealer, options).await?;
        store.run_migrations().await?;
        Ok(store)
    }

    /// Connects to `dsn` without touching the schema (see [`Store::migrations`] and
    /// [`Store::migrate`]). A new SQLite file is created readable by its owner only.
    pub async fn open(dsn: &str, sealer: Sealer, options: &DbOptions) -> Result<Self, StoreError> {
        if let Some(path) = options::sqlite_path(dsn) {
            options::create_private(&path).map_err(|e| {
                StoreError::Invalid(format!(
                    "creating the database file {}: {e}",
                    path.display()
                ))
            })?;
        }
        let db = Database::connect(options.connect_options(dsn)).await?;
        Ok(SeaStore { db, sealer })
    }

    /// The underlying connection (for tests and tools).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

#[async_trait]
impl Store for SeaStore {
    async fn is_empty(&self) -> Result<bool, StoreError> {
        let providers = provider::Entity::find().count(&self.db).await?;
        let users = user::Entity::find().count(&self.db).await?;
        Ok(providers == 0 && users == 0)
    }

    async fn import_seed(&self, seed: &Seed) -> Result<(), StoreError> {
        let now = now_ms();
        let txn = self.db.begin().await?;
        self.import_providers(&txn, seed, now).await?;
        self.import_models(&txn, seed, now).await?;
        self.import_users(&txn, seed, now).await?;
        self.import_limits(&txn, seed, now).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn load(&self) -> Result<ControlPlane, StoreError> {
        let credentials = credential::Entity::find()
            .order_by_asc(credential::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| {
                let plain = self.sealer.open(&c.secret)?;
                let secret = serde_json::from_str(&plain)
                    .map_err(|e| StoreError::Invalid(format!("credential {}: {e}", c.id)))?;
                Ok(CredentialRecord {
                    id: c.id,
                    provider_id: c.provider_id,
                    label: c.label,
                    secret,
                    enabled: c.enabled,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let keys = user_key::Entity::find()
            .order_by_asc(user_key::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|k| {
                Ok(KeyRecord {
                    api_key: SecretString::from(self.sealer.open(&k.secret)?),
                    id: k.id,
                    user_id: k.user_id,
                    digest: k.digest,
                    label: k.label,
                    enabled: k.enabled,
                    expires_at: k.expires_at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(ControlPlane {
            providers: provider::Entity::find()
                .order_by_asc(provider::Column::Id)
                .all(&self.db)
                .await?,
            credentials,
            models: provider_model::Entity::find()
                .order_by_asc(provider_model::Column::Id)
                .all(&self.db)
                .await?,
            aliases: alias::Entity::find().all(&self.db).await?,
            routes: route::Entity::find()
                .order_by_asc(route::Column::Id)
                .all(&self.db)
                .await?,
            route_members: route_member::Entity::find()
                .order_by_asc(route_member::Column::Id)
                .all(&self.db)
                .await?,
            users: user::Entity::find().all(&self.db).await?,
            keys,
            permissions: route_permission::Entity::find().all(&self.db).await?,
            rate_limits: rate_limit::Entity::find()
                .order_by_asc(rate_limit::Column::Id)
                .all(&self.db)
                .await?,
            quotas: quota::Entity::find()
                .order_by_asc(quota::Column::Id)
                .all(&self.db)
                .await?,
        })
    }

    async fn add_user_key(
        &self,
        user_id: i64,
        api_key: &str,
        label: Option<&str>,
    ) -> Result<i64, StoreError> {
        let row = user_key::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
            digest: Set(key_digest(api_key)),
            secret: Set(self.sealer.seal(api_key)?),
            label: Set(label.map(str::to_owned)),
            enabled: Set(true),
            expires_at: Set(None),
            created_at: Set(now_ms()),
        }
        .insert(&self.db)
        .await?;
        Ok(row.id)
    }

    async fn apply_changes(
        &self,
        changes: &[crate::change::RowChange],
        audit: &AuditRecord,
    ) -> Result<Vec<i64>, StoreError> {
        self.apply_change_set(changes, audit).await
    }

    async fn settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.read_settings().await
    }

    async fn save_settings(
        &self,
        values: &[(String, String)],
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.write_settings(values, audit).await
    }

    async fn credential_statuses(&self) -> Result<Vec<CredentialStatusRecord>, StoreError> {
        credential_status::Entity::find()
            .order_by_asc(credential_status::Column::CredentialId)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| crate::convert::status_record(&row))
            .collect()
    }

    async fn save_credential_statuses(
        &self,
        statuses: &[CredentialStatusRecord],
    ) -> Result<(), StoreError> {
        if statuses.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let txn = self.db.begin().await?;
        credential_status::Entity::delete_many()
            .filter(
                credential_status::Column::CredentialId
                    .is_in(statuses.iter().map(|s| s.credential_id)),
            )
            .exec(&txn)
            .await?;
        for s in statuses.iter().filter(|s| s.state != "healthy") {
            status_row(s, now)?.insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    async fn write_records(&self, batch: &[Record]) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        records::insert(&txn, batch.iter()).await?;
        quotas::charge(&txn, &crate::limits::charges(batch.iter())).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn replay_records(&self, batch: &[Record]) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let stored = records::stored(&txn, batch).await?;
        let fresh: Vec<&Record> = batch.iter().filter(|r| !stored.contains(r)).collect();
        records::insert(&txn, fresh.iter().copied()).await?;
        quotas::charge(&txn, &crate::limits::charges(fresh.into_iter())).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn migrations(&self) -> Result<Vec<crate::migrate::MigrationState>, StoreError> {
        self.migration_states().await
    }

    async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        self.run_migrations().await
    }

    async fn write_audit(&self, audit: &AuditRecord) -> Result<(), StoreError> {
        self.write_audit_entry(audit).await
    }

    async fn audit_entries(&self, limit: u64) -> Result<Vec<AuditRow>, StoreError> {
        self.recent_audit(limit).await
    }

    async fn audit_page(
        &self,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let mut q = crate::entity::audit_log::Entity::find();
        if let Some(before) = before {
            q = q.filter(crate::entity::audit_log::Column::Id.lt(before));
        }
        Ok(q.order_by_desc(crate::entity::audit_log::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    async fn create_route(&self, route: &NewRoute, actor: &str) -> Result<RouteRow, StoreError> {
        admin::retry_busy(|| self.insert_route(route, actor)).await
    }

    async fn update_route(
        &self,
        id: i64,
        patch: &RoutePatch,
        actor: &str,
    ) -> Result<RouteRow, StoreError> {
        admin::retry_busy(|| self.patch_route(id, patch, actor)).await
    }

    async fn delete_route(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        admin::retry_busy(|| self.remove_route(id, actor)).await
    }

    async fn create_route_member(
        &self,
        route_id: i64,
        member: &NewRouteMember,
        actor: &str,
    ) -> Result<RouteMemberRow, StoreError> {
        admin::retry_busy(|| self.insert_member(route_id, member, actor)).await
    }

    async fn update_route_member(
        &self,
        route_id: i64,
        member_id: i64,
        patch: &RouteMemberPatch,
        actor: &str,
    ) -> Result<RouteMemberRow, StoreError> {
        admin::retry_busy(|| self.patch_member(route_id, member_id, patch, actor)).await
    }

    async fn delete_route_member(
        &self,
        route_id: i64,
        member_id: i64,
        actor: &str,
    ) -> Result<(), StoreError> {
        admin::retry_busy(|| self.remove_member(route_id, member_id, actor)).await
    }

    async fn create_rate_limit(
        &self,
        new: &NewRateLimit,
        actor: &str,
    ) -> Result<RateLimitRow, StoreError> {
        admin::retry_busy(|| self.insert_rate_limit(new, actor)).await
    }

    async fn update_rate_limit(
        &self,
        id: i64,
        patch: &RateLimitPatch,
        actor: &str,
    ) -> Result<RateLimitRow, StoreError> {
        admin::retry_busy(|| self.patch_rate_limit(id, patch, actor)).await
    }

    async fn delete_rate_limit(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        admin::retry_busy(|| self.remove_rate_limit(id, actor)).await
    }

    async fn create_quota(&self, new: &NewQuota, actor: &str) -> Result<QuotaRow, StoreError> {
        admin::retry_busy(|| self.insert_quota(new, actor)).await
    }

    async fn update_quota(
        &self,
        id: i64,
        patch: &QuotaPatch,
        actor: &str,
    ) -> Result<QuotaRow, StoreError> {
        admin::retry_busy(|| self.patch_quota(id, patch, actor)).await
    }

    async fn reset_quota(&self, id: i64, actor: &str) -> Result<QuotaRow, StoreError> {
        admin::retry_busy(|| self.zero_quota(id, actor)).await
    }

    async fn delete_quota(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        admin::retry_busy(|| self.remove_quota(id, actor)).await
    }

    async fn prune(&self, what: Prune, before_ms: i64, batch: u64) -> Result<u64, StoreError> {
        self.prune_batch(what, before_ms, batch).await
    }

    async fn reseal(&self, to: &Sealer) -> Result<(usize, usize), StoreError> {
        self.reseal_all(to).await
    }

    async fn backup(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return Err(StoreError::Invalid(
                "backup copies the embedded SQLite database; use pg_dump or mariadb-dump for a server".into(),
            ));
        }
        let target = path.to_str().ok_or_else(|| {
            StoreError::Invalid(format!("{} is not a UTF-8 path", path.display()))
        })?;
        // The copy holds every secret as stored: readable by its owner only. VACUUM INTO
        // writes into an empty file, not over data.
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists",
                path.display()
            )));
        }
        options::create_private(path)
            .map_err(|e| StoreError::Invalid(format!("creating {}: {e}", path.display())))?;
        // A consistent snapshot taken while the gateway runs (SQLite's VACUUM INTO); the
        // path is a string literal with its quotes doubled.
        self.db
            .execute_unprepared(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    async fn usages(
        &self,
        f: &UsageFilter,
        before: Option<TimeCursor>,
        limit: u64,
    ) -> Result<Vec<UsageRow>, StoreError> {
        listing::usages(&self.db, f, before, limit).await
    }

    async fn request_logs(
        &self,
        filter: &crate::model::LogFilter,
        before: Option<TimeCursor>,
        limit: u64,
    ) -> Result<Vec<DownstreamRow>, StoreError> {
        logs::list(&self.db, filter, before, limit).await
    }

    async fn request_log(
        &self,
        request_id: &str,
    ) -> Result<Option<(DownstreamRow, Vec<UpstreamRow>)>, StoreError> {
        logs::one(&self.db, request_id).await
    }

    async fn usage_summary(
        &self,
        query: &crate::summary::SummaryQuery,
    ) -> Result<Vec<crate::summary::SummaryRow>, StoreError> {
        self.summarize(query).await
    }

    async fn recent_usages(&self, limit: u64) -> Result<Vec<UsageRow>, StoreError> {
        Ok(usage::Entity::find()
            .order_by_desc(usage::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    async fn recent_downstream(&self, limit: u64) -> Result<Vec<DownstreamRow>, StoreError> {
        Ok(downstream_request::Entity::find()
            .order_by_desc(downstream_request::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    async fn recent_upstream(&self, limit: u64) -> Result<Vec<UpstreamRow>, StoreError> {
        Ok(upstream_request::Entity::find()
            .order_by_desc(upstream_request::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }
}
