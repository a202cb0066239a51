//! `credential_statuses`: each credential's health (healthy / partial / dead), written off
//! the request path and read back at start-up so a restart does not forget a dead key or a
//! running cooldown.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "credential_statuses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub credential_id: i64,
    /// `healthy`, `partial` or `dead`.
    pub state: String,
    /// The models cooling, as JSON: `[{"model": "...", "until_ms": 1780000000000}]`.
    #[sea_orm(column_type = "Text")]
    pub cooling: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
