//! The persistence trait every backend implements, and its error type.

use crate::migrate::MigrationState;
use crate::model::{
    AuditRecord, AuditRow, ControlPlane, CredentialStatusRecord, DownstreamRow, LogFilter,
    NewQuota, NewRateLimit, NewRoute, NewRouteMember, Prune, QuotaPatch, QuotaRow, RateLimitPatch,
    RateLimitRow, Record, RouteMemberPatch, RouteMemberRow, RoutePatch, RouteRow, Seed, TimeCursor,
    UpstreamRow, UsageFilter, UsageRow,
};
use crate::seal::SealError;
use async_trait::async_trait;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed an operation (the backend's message).
    #[error("database error: {0}")]
    Db(String),
    /// The database answered that it is busy (a lock held elsewhere); worth retrying.
    #[error("database busy: {0}")]
    Busy(String),
    /// A secret could not be sealed or opened.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Stored data is not what the schema promises (bad JSON, dangling reference).
    #[error("invalid stored data: {0}")]
    Invalid(String),
    /// A write names a row that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A write would duplicate a unique name.
    #[error("{0}")]
    Conflict(String),
    /// The schema is older than this build and migrations may not run on their own.
    #[error(
        "the database schema is at version {at}; this build needs version {needs}: run `gproxy migrate`"
    )]
    Behind { at: i64, needs: i64 },
}

/// Persistence for the control plane and the records. Backends are held as
/// `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// True when no provider and no user exists yet (the seed config applies).
    async fn is_empty(&self) -> Result<bool, StoreError>;
    /// Imports a seed (upsert by name), in one transaction.
    async fn import_seed(&self, seed: &Seed) -> Result<(), StoreError>;
    /// Loads the whole control plane with secrets opened.
    async fn load(&self) -> Result<ControlPlane, StoreError>;
    /// Adds an API key for a user; returns its id.
    async fn add_user_key(
        &self,
        user_id: i64,
        api_key: &str,
        label: Option<&str>,
    ) -> Result<i64, StoreError>;
    /// Applies `changes` in order and records `audit` in one transaction: all or nothing.
    /// Returns the ids of the inserted rows, in order. A unique value taken (provider name,
    /// user name, alias, a provider's model id, a key digest) is `Conflict` with nothing
    /// changed.
    async fn apply_changes(
        &self,
        changes: &[crate::change::RowChange],
        audit: &AuditRecord,
    ) -> Result<Vec<i64>, StoreError>;
    /// The live settings an administrator changed: each name with its value as JSON text.
    async fn settings(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Stores settings (by name, replacing a stored value) and their audit entry, as one.
    async fn save_settings(
        &self,
        values: &[(String, String)],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Every credential's persisted health.
    async fn credential_statuses(&self) -> Result<Vec<CredentialStatusRecord>, StoreError>;
    /// Replaces the persisted health of these credentials (a healthy one's row is removed).
    async fn save_credential_statuses(
        &self,
        statuses: &[CredentialStatusRecord],
    ) -> Result<(), StoreError>;
    /// Persists a batch of records in one transaction.
    async fn write_records(&self, batch: &[Record]) -> Result<(), StoreError>;
    /// Persists a batch whose earlier write may or may not have landed (the spill replay
    /// after an outage), in one transaction: a record already stored is skipped, so a batch
    /// is never stored twice. Usage and downstream rows are known by request id, upstream
    /// attempts by request id and start time.
    async fn replay_records(&self, batch: &[Record]) -> Result<(), StoreError>;
    /// Every migration this build knows with when it was applied, oldest first.
    async fn migrations(&self) -> Result<Vec<MigrationState>, StoreError>;
    /// Applies the pending migrations in order and fails on the first error; returns the
    /// versions applied (none when the schema is current). Refuses a schema newer than
    /// this build.
    async fn migrate(&self) -> Result<Vec<i64>, StoreError>;
    /// Writes an audit entry on its own (for writes that are not rows: a health reset).
    async fn write_audit(&self, audit: &AuditRecord) -> Result<(), StoreError>;
    /// The newest audit entries first.
    async fn audit_entries(&self, limit: u64) -> Result<Vec<AuditRow>, StoreError>;
    /// A page of the audit log, newest first: at most `limit` entries with ids below
    /// `before` when given.
    async fn audit_page(
        &self,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<AuditRow>, StoreError>;
    /// Creates a route (409 when its name is taken by a route or an alias), audited by
    /// `actor` in the same transaction; so are the route writes below.
    async fn create_route(&self, route: &NewRoute, actor: &str) -> Result<RouteRow, StoreError>;
    async fn update_route(
        &self,
        id: i64,
        patch: &RoutePatch,
        actor: &str,
    ) -> Result<RouteRow, StoreError>;
    /// Deletes a route and its members.
    async fn delete_route(&self, id: i64, actor: &str) -> Result<(), StoreError>;
    async fn create_route_member(
        &self,
        route_id: i64,
        member: &NewRouteMember,
        actor: &str,
    ) -> Result<RouteMemberRow, StoreError>;
    async fn update_route_member(
        &self,
        route_id: i64,
        member_id: i64,
        patch: &RouteMemberPatch,
        actor: &str,
    ) -> Result<RouteMemberRow, StoreError>;
    async fn delete_route_member(
        &self,
        route_id: i64,
        member_id: i64,
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Creates a rate limit for an existing user (`NotFound` naming the user otherwise),
    /// audited by `actor` in the same transaction; so are the limit and quota writes below.
    async fn create_rate_limit(
        &self,
        new: &NewRateLimit,
        actor: &str,
    ) -> Result<RateLimitRow, StoreError>;
    async fn update_rate_limit(
        &self,
        id: i64,
        patch: &RateLimitPatch,
        actor: &str,
    ) -> Result<RateLimitRow, StoreError>;
    async fn delete_rate_limit(&self, id: i64, actor: &str) -> Result<(), StoreError>;
    /// Creates a user's quota (`Conflict` when the user has one, `NotFound` for an unknown
    /// user), used 0, its period starting now.
    async fn create_quota(&self, new: &NewQuota, actor: &str) -> Result<QuotaRow, StoreError>;
    /// Changes a quota's limit or period (a new period starts now with used 0); every
    /// change moves `updated_at`, which tells the server's ledger to start over from the
    /// stored balance.
    async fn update_quota(
        &self,
        id: i64,
        patch: &QuotaPatch,
        actor: &str,
    ) -> Result<QuotaRow, StoreError>;
    /// Sets a quota's used amount to 0 (its period starts now).
    async fn reset_quota(&self, id: i64, actor: &str) -> Result<QuotaRow, StoreError>;
    async fn delete_quota(&self, id: i64, actor: &str) -> Result<(), StoreError>;
    /// Retention: deletes (for [`Prune::Bodies`], empties) at most `batch` of the oldest
    /// rows created before `before_ms`; returns how many. Callers loop until 0.
    async fn prune(&self, what: Prune, before_ms: i64, batch: u64) -> Result<u64, StoreError>;
    /// Re-seals every sealed value (credentials, user keys) from the store's key to `to`, in
    /// one transaction; returns how many credentials and keys.
    async fn reseal(&self, to: &crate::seal::Sealer) -> Result<(usize, usize), StoreError>;
    /// An online, consistent copy of the database into the new file `path` (SQLite only;
    /// servers have their own dump tools).
    async fn backup(&self, path: &std::path::Path) -> Result<(), StoreError>;
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// The usage rows `filter` wants, newest first (by creation time, then id): at most
    /// `limit`, only rows older than `before` when given (the next page of a listing).
    async fn usages(
        &self,
        filter: &UsageFilter,
        before: Option<TimeCursor>,
        limit: u64,
    ) -> Result<Vec<UsageRow>, StoreError>;
    /// The request log entries (downstream) `filter` wants, newest first (by creation time,
    /// then id): at most `limit`, only entries older than `before` when given; their bodies
    /// are left out (`None`).
    async fn request_logs(
        &self,
        filter: &LogFilter,
        before: Option<TimeCursor>,
        limit: u64,
    ) -> Result<Vec<DownstreamRow>, StoreError>;
    /// One request's log: its downstream entry (the newest, should an id repeat) and its
    /// upstream attempts oldest first; `None` when no downstream entry has the id.
    async fn request_log(
        &self,
        request_id: &str,
    ) -> Result<Option<(DownstreamRow, Vec<UpstreamRow>)>, StoreError>;
    /// The usage summary from the rollups: one row per bucket (none for `Total`) and
    /// distinct value of each `group_by` key, over `[from_ms, to_ms)` truncated to whole
    /// hours, sorted by bucket then keys. Never scans raw usage rows.
    async fn usage_summary(
        &self,
        query: &crate::summary::SummaryQuery,
    ) -> Result<Vec<crate::summary::SummaryRow>, StoreError>;
    /// The newest usage rows first.
    async fn recent_usages(&self, limit: u64) -> Result<Vec<UsageRow>, StoreError>;
    /// The newest downstream request log rows first.
    async fn recent_downstream(&self, limit: u64) -> Result<Vec<DownstreamRow>, StoreError>;
    /// The newest upstream request log rows first.
    async fn recent_upstream(&self, limit: u64) -> Result<Vec<UpstreamRow>, StoreError>;
}
