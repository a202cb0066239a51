//! `downstream_requests`: the log of requests clients made to the gateway.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "downstream_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub request_id: String,
    #[sea_orm(indexed)]
    pub created_at: i64,
    /// Indexed with `created_at` and `id` (migration 10, `sea::indexes`) for the
    /// request-log listing's user filter; databases from migration 9 also keep its
    /// `user_id` index, which the new one supersedes.
    pub user_id: Option<i64>,
    pub user_key_id: Option<i64>,
    pub method: String,
    pub path: String,
    pub status: i32,
    pub latency_ms: i64,
    /// The request's and the response's headers as a JSON object (name → value, repeated
    /// headers joined with `, `), credentials redacted (migration 9; `None` before it).
    #[sea_orm(column_type = "Text", nullable)]
    #[serde(default)]
    pub request_headers: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    #[serde(default)]
    pub response_headers: Option<String>,
    /// Captured only with `enable_downstream_log_body`.
    #[sea_orm(column_type = "Text", nullable)]
    pub request_body: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
