//! The gproxy binary's library half: configuration and start-up, kept out of `main.rs` so
//! integration tests start the real application in-process.
//!
//! Map: [`cli`] (flags and `GPROXY_*` variables) and [`file`] (`gproxy.toml`) are layered by
//! [`config`] into [`config::Settings`]; [`seed`] validates and converts the seed file;
//! [`app`] opens storage, bootstraps, binds and serves, and runs the operator commands
//! ([`export`] writes the control plane as a seed-format bundle).

pub mod app;
pub mod cli;
pub mod config;
pub mod export;
pub mod file;
pub mod seed;

pub use app::App;
pub use cli::Cli;
pub use config::{Settings, load};
