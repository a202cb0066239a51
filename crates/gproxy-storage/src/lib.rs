//! Persistence for gproxy: the control plane (providers, credentials, models, aliases,
//! users, keys, permissions, rate limits, quotas) and the records (usage, request logs).
//!
//! Map of the crate:
//! - [`store`]: the [`Store`] trait every backend implements, and [`StoreError`].
//! - [`change`]: the control-plane row changes the admin API applies as one audited set
//!   ([`Store::apply_changes`]).
//! - [`sea`]: the SeaORM backend ([`SeaStore`]) for SQLite, PostgreSQL and MySQL; it
//!   creates the schema from [`entity`] at connect and stamps its version, imports seeds,
//!   and keeps credential health rows.
//! - [`file`]: the file backend ([`FileStore`]) for a single instance: a locked data
//!   directory of JSON tables (control plane) and JSON-lines logs (records, audit).
//! - [`migrate`]: the schema's migrations, which every backend applies and reports.
//! - [`limits`]: the checks both backends apply to seeded rate limits and quotas.
//! - [`model`]: the plain data the store takes (seed, records) and returns (control plane).
//! - [`summary`]: usage summaries ([`Store::usage_summary`]) answered from the hourly and
//!   daily usage rollups each backend keeps up to date as it stores usage.
//! - [`settings`]: where the live settings an administrator changed are kept.
//! - [`seal`]: sealing secrets under the master key, and key digests.
//! - [`queue`]: the batched [`WriteQueue`] records take on their way to the store.
//! - [`spill`]: the append-only file batches wait in while the database is away.
//!
//! A record's path: the server builds a [`model::Record`], pushes it on the
//! [`WriteQueue`], the worker batches it and calls [`Store::write_records`].

pub mod change;
mod convert;
pub mod entity;
pub mod file;
pub mod limits;
pub mod migrate;
pub mod model;
pub mod queue;
mod replay;
pub mod sea;
pub mod seal;
pub mod settings;
pub mod spill;
pub mod store;
pub mod summary;

pub use change::{RowChange, RowValues, Table};
pub use file::FileStore;
pub use queue::{QueueConfig, QueueStatus, RecordPermit, WriteQueue};
pub use sea::{DbOptions, SeaStore, now_ms};
pub use seal::{Sealer, key_digest};
pub use store::{Store, StoreError};
