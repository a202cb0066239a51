//! The persistence trait every backend implements, and its error type.

use crate::model::{
    ControlPlane, CredentialStatusRecord, DownstreamRow, Record, Seed, UpstreamRow, UsageRow,
};
use crate::seal::SealError;
use async_trait::async_trait;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A secret could not be sealed or opened.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Stored data is not what the schema promises (bad JSON, dangling reference).
    #[error("invalid stored data: {0}")]
    Invalid(String),
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
    /// Every credential's persisted health.
    async fn credential_statuses(&self) -> Result<Vec<CredentialStatusRecord>, StoreError>;
    /// Replaces the persisted health of these credentials (a healthy one's row is removed).
    async fn save_credential_statuses(
        &self,
        statuses: &[CredentialStatusRecord],
    ) -> Result<(), StoreError>;
    /// Persists a batch of records in one transaction.
    async fn write_records(&self, batch: &[Record]) -> Result<(), StoreError>;
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// The newest usage rows first.
    async fn recent_usages(&self, limit: u64) -> Result<Vec<UsageRow>, StoreError>;
    /// The newest downstream request log rows first.
    async fn recent_downstream(&self, limit: u64) -> Result<Vec<DownstreamRow>, StoreError>;
    /// The newest upstream request log rows first.
    async fn recent_upstream(&self, limit: u64) -> Result<Vec<UpstreamRow>, StoreError>;
}
