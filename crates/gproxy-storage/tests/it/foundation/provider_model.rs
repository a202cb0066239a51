//! `provider_models`: models a provider forwards, with their display name and pricing.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "provider_models")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "provider_model")]
    pub provider_id: i64,
    /// The upstream model id.
    #[sea_orm(unique_key = "provider_model")]
    pub model_id: String,
    pub display_name: Option<String>,
    pub enabled: bool,
    /// Pricing fields as JSON text with decimal strings (never floats).
    #[sea_orm(column_type = "Text")]
    pub pricing: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
