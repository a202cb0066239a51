//! `downstream_requests`: the log of requests clients made to the gateway.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "downstream_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub request_id: String,
    #[sea_orm(indexed)]
    pub created_at: i64,
    pub user_id: Option<i64>,
    pub user_key_id: Option<i64>,
    pub method: String,
    pub path: String,
    pub status: i32,
    pub latency_ms: i64,
    /// Captured only with `enable_downstream_log_body`.
    #[sea_orm(column_type = "Text", nullable)]
    pub request_body: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
