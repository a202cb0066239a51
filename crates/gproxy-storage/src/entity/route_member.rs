//! `route_members`: one (provider, model) serving a route; lower tiers are tried first,
//! weights spread load within a tier.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "route_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub route_id: i64,
    pub provider_id: i64,
    pub model_id: String,
    pub tier: i32,
    pub weight: i32,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The member as audit entries show it (ids as strings, as the admin API does).
    pub(crate) fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({"id": self.id.to_string(), "route_id": self.route_id.to_string(),
            "provider_id": self.provider_id.to_string(), "model_id": self.model_id,
            "tier": self.tier, "weight": self.weight})
    }
}
