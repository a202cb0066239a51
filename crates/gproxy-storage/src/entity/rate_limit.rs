//! `rate_limits`: ceilings per user and model pattern: requests and tokens (input + output)
//! per minute and per day; each unset ceiling is no limit.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rate_limits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub user_id: i64,
    /// Glob over model ids (`*` any run, `?` one character), as permissions use.
    pub model_pattern: String,
    pub rpm: Option<i64>,
    pub rpd: Option<i64>,
    pub tpm: Option<i64>,
    pub tpd: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The rate limit as audit entries show it (ids as strings, as the admin API does).
    pub(crate) fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "user_id": self.user_id.to_string(),
            "model_pattern": self.model_pattern,
            "rpm": self.rpm,
            "rpd": self.rpd,
            "tpm": self.tpm,
            "tpd": self.tpd,
        })
    }
}
