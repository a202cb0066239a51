//! Channels: how gproxy reaches each kind of upstream provider.
//!
//! Map of the crate, in the order the proxy engine uses it:
//! - [`kind`]: the channel kinds ([`ChannelKind`]), their default base URLs and the
//!   operations each serves natively ([`ChannelKind::dispatch`]).
//! - [`settings`]: a provider's typed settings and credentials, read from the JSON the
//!   config and the database hold.
//! - [`upstream`]: the upstream URL for an operation (the only place one is built) and the
//!   headers that carry the provider's credential the channel's way; it uses [`path`] to
//!   check and encode the client's model id and [`query`] to keep only the query
//!   parameters the operation defines.
//! - [`select`]: which credential of a provider's pool a request uses.
//! - [`outcome`]: what an attempt's answer says about its credential (dead, quota
//!   exhausted, rate limited, transient, the caller's fault), with the provider's
//!   recovery time; [`health`] keeps the resulting per-credential, per-model state.
//! - [`affinity`]: which credential served a prompt prefix lately (cache affinity).
//! - [`breaker`]: circuit breakers per provider and per (provider, model), on path
//!   failures; [`budget`]: how many retries a provider may take.

pub mod affinity;
pub mod breaker;
pub mod budget;
pub mod health;
pub mod kind;
pub mod outcome;
pub mod path;
pub mod query;
pub mod select;
pub mod settings;
pub mod upstream;

pub use kind::{ChannelKind, Dispatch};
pub use select::{CredentialPool, Cursors};
pub use settings::{ChannelSettings, Credential, SettingsError};
