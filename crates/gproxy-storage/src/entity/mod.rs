//! SeaORM entity definitions: the schema. Start-up creates any missing table, column or
//! index from these (see [`crate::sea::SeaStore::connect`]).

pub mod alias;
pub mod audit_log;
pub mod credential;
pub mod credential_status;
pub mod downstream_request;
pub mod instance_setting;
pub mod provider;
pub mod provider_model;
pub mod quota;
pub mod rate_limit;
pub mod route;
pub mod route_member;
pub mod route_permission;
pub mod schema_migration;
pub mod upstream_request;
pub mod usage;
pub mod usage_rollup;
pub mod user;
pub mod user_key;
