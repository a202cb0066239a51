//! `credentials`: a provider's upstream credentials, sealed under the master key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub provider_id: i64,
    pub label: Option<String>,
    /// The credential JSON, sealed (see [`crate::seal`]); plaintext without a master key.
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    pub enabled: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
