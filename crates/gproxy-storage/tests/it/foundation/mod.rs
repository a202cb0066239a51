//! The first released schema (the foundation's, version 1), frozen: the entity definitions
//! as that release shipped them, to build a version-1 database the migration test upgrades.

#![allow(dead_code)]

pub mod alias;
pub mod credential;
pub mod downstream_request;
pub mod instance_setting;
pub mod provider;
pub mod provider_model;
pub mod route_permission;
pub mod upstream_request;
pub mod usage;
pub mod user;
pub mod user_key;
