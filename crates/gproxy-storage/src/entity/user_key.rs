//! `user_keys`: API keys, looked up by SHA-256 digest; the key itself is kept sealed so
//! `/login` can hand it back.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub user_id: i64,
    /// Hex SHA-256 of the key: the only form requests are matched against.
    #[sea_orm(unique)]
    pub digest: String,
    /// The key, sealed under the master key (plaintext without one).
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    pub label: Option<String>,
    pub enabled: bool,
    /// When the key stops working (Unix ms); `None`: never.
    #[serde(default)]
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
