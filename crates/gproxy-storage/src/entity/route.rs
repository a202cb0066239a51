//! `routes`: a public model name served by members on one or more providers
//! ([`super::route_member`]), tried tier by tier with weights.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "routes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub enabled: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The route as audit entries show it (ids as strings, as the admin API does).
    pub(crate) fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({"id": self.id.to_string(), "name": self.name, "enabled": self.enabled})
    }
}
