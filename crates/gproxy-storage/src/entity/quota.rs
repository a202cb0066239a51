//! `quotas`: a user's USD budget (one per user), in nano-USD (10⁻⁹ USD): the limit, what is
//! used in the current period, and the period (`none`: a fixed budget; `daily` and
//! `monthly` reset `used_nano` at the period's start, UTC).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "quotas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub user_id: i64,
    pub limit_nano: i64,
    pub used_nano: i64,
    /// `none`, `daily` or `monthly`.
    pub period: String,
    /// Unix milliseconds when the current period began (when `used_nano` last reset).
    pub period_start: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The quota as audit entries show it (ids as strings, as the admin API does).
    pub(crate) fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "user_id": self.user_id.to_string(),
            "limit_nano": self.limit_nano,
            "used_nano": self.used_nano,
            "period": self.period,
            "period_start": self.period_start,
        })
    }
}
