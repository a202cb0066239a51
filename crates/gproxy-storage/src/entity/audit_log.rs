//! `audit_logs`: every write through the admin API: who, what, and the row before and after
//! (secrets left out).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub created_at: i64,
    /// The acting user's name.
    pub actor: String,
    /// `create`, `update`, `delete`, `reset`, `import`.
    pub action: String,
    /// The collection (`routes`, `route_members`, `credentials`, ...).
    pub resource: String,
    pub resource_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub before: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub after: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
