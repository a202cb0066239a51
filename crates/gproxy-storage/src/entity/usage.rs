//! `usages`: one row per proxied request with the tokens the upstream reported.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "usages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub request_id: String,
    #[sea_orm(indexed)]
    pub created_at: i64,
    /// Indexed with `created_at` and `id` (migration 10, `sea::indexes`) for the usage
    /// listing's user filter.
    pub user_id: Option<i64>,
    pub user_key_id: Option<i64>,
    pub provider: String,
    pub credential_id: Option<i64>,
    pub model: String,
    pub operation: String,
    pub protocol: String,
    pub status: i32,
    pub stream: bool,
    /// False when the stream ended early (client gone, upstream cut): the tokens are what
    /// was relayed up to then.
    pub complete: bool,
    pub latency_ms: i64,
    pub ttfb_ms: Option<i64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    /// True when some token counts are the gateway's estimate (the upstream had reported
    /// none when the stream ended early), not the provider's figures.
    #[sea_orm(default_value = false)]
    #[serde(default)]
    pub estimated: bool,
    /// What the tokens cost in nano-USD (10⁻⁹ USD), computed from the model's prices when
    /// the record was made; `None` when the model had no price.
    #[serde(default)]
    pub cost_nano: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
