//! `upstream_requests`: the log of every attempt the gateway made upstream.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "upstream_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub request_id: String,
    #[sea_orm(indexed)]
    pub created_at: i64,
    pub provider: String,
    pub credential_id: Option<i64>,
    pub method: String,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    /// `None` when no response came (connection failure, timeout).
    pub status: Option<i32>,
    pub latency_ms: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// The attempt's request and response headers as a JSON object, the credential
    /// redacted (migration 9; `None` before it, and for a response that never came).
    #[sea_orm(column_type = "Text", nullable)]
    #[serde(default)]
    pub request_headers: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    #[serde(default)]
    pub response_headers: Option<String>,
    /// Captured only with `enable_upstream_log_body`.
    #[sea_orm(column_type = "Text", nullable)]
    pub request_body: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
