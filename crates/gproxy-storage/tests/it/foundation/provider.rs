//! `providers`: one configured upstream (name, channel kind, settings JSON).

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "providers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The name clients use in paths and `provider/model` ids.
    #[sea_orm(unique)]
    pub name: String,
    /// Channel kind (`openai`, `anthropic`, ...).
    pub channel: String,
    /// Channel settings as JSON text (`base_url`, ...).
    #[sea_orm(column_type = "Text")]
    pub settings: String,
    pub enabled: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
