//! `usage_rollups`: usage summed per hour and per day (UTC) and per user, key, provider,
//! model and status, kept up to date in each usage batch's transaction. Summaries read these,
//! never the raw `usages`; retention prunes raw rows and leaves rollups.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The key columns form the primary key: the one unique index concurrent writers upsert
/// against. No key column is NULL (a NULL would make every such row distinct to the index):
/// a usage without a user or key counts under 0.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "usage_rollups")]
pub struct Model {
    /// `hour` or `day`.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(8))"
    )]
    pub granularity: String,
    /// The start of the hour or day (Unix ms, UTC).
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket_start: i64,
    /// 0: no user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// 0: no key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_key_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub model: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: i32,
    #[serde(default)]
    pub requests: i64,
    #[serde(default)]
    pub input_tokens: i64,
    #[serde(default)]
    pub output_tokens: i64,
    #[serde(default)]
    pub cache_read_tokens: i64,
    #[serde(default)]
    pub cache_write_tokens: i64,
    #[serde(default)]
    pub reasoning_tokens: i64,
    /// nano-USD; a usage without a price adds 0.
    #[serde(default)]
    pub cost_nano: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
