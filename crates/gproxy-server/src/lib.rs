//! The gproxy HTTP server: an axum application that authenticates callers, resolves their
//! provider and model, checks permissions, forwards to the upstream and relays the answer,
//! recording usage and request logs.
//!
//! Map of the crate, in the order a request passes through it:
//! - [`routes`]: the router; each route names its protocol and operation.
//! - [`auth`]: the client key from any of the four places SDKs send it, matched by digest.
//! - [`proxy`]: the engine (resolve → permission → dispatch → forward → relay → records).
//! - [`billing`]: exact money, model prices (configured or bundled) and what a request's
//!   tokens cost; every usage record carries its cost.
//! - [`limits`]: rate limits per user and model pattern, reserved before the upstream is
//!   called and settled from the usage record.
//! - [`snapshot`]: the in-memory control plane the request path reads; [`state`] holds it
//!   in an `ArcSwap` with the store, write queue and upstream client.
//! - [`health`]: credential health restored at start-up and persisted off the request
//!   path (the proxy's [`proxy::forward`] reads and updates it on every attempt).
//! - [`error`]: [`ApiError`], answered in the caller's protocol shape.
//! - [`mask`]: what request logs may keep (credentials always redacted, body fields with
//!   `mask_sensitive_info`), applied before a log record is queued.
//! - [`password`]: Argon2id password hashes.
//! - [`session`]: console sessions (HttpOnly cookies) standing for a login key.
//! - [`throttle`]: failed-login throttling per account and client address.
//! - [`time`]: times as the API shows them (RFC 3339, UTC).
//! - [`retention`]: deleting usage, request logs and bodies past their windows.
//! - [`server`]: building the state and serving with graceful shutdown.

pub mod auth;
pub mod billing;
pub mod config;
pub mod error;
pub mod glob;
pub mod health;
pub mod limits;
pub mod mask;
pub mod password;
pub mod proxy;
pub mod retention;
pub mod routes;
pub mod server;
pub mod session;
pub mod snapshot;
pub mod state;
pub mod throttle;
pub mod time;

pub use config::ServerConfig;
pub use error::{ApiError, Surface};
pub use routes::{check_provider_name, generate_api_key, router};
pub use server::Server;
pub use state::AppState;
