//! Persistence for gproxy: the control plane (providers, credentials, models, aliases,
//! users, keys, permissions, rate limits, quotas) and the records (usage, request logs).
//!
//! Map of the crate:
//! - [`store`]: the [`Store`] trait every backend implements, and [`StoreError`].
//! - [`sea`]: the SeaORM backend ([`SeaStore`]) for SQLite, PostgreSQL and MySQL; it
//!   creates the schema from [`entity`] at connect and stamps its version, imports seeds,
//!   and keeps credential health rows.
//! - [`file`]: the file backend ([`FileStore`]) for a single instance: a locked data
//!   directory of JSON tables (control plane) and JSON-lines logs (records, audit).
//! - [`migrate`]: the schema's migrations, which every backend applies and reports.
//! - [`limits`]: the checks both backends apply to seeded rate limits and quotas.
//! - [`model`]: the plain data the store takes (seed, records) and returns (control plane).
//! - [`seal`]: sealing secrets under the master key, and key digests.
//! - [`queue`]: the batched [`WriteQueue`] records take on their way to the store.
//! - [`spill`]: the append-only file batches wait in while the database is away.
//!
//! A record's path: the server builds a [`model::Record`], pushes it on the
//! [`WriteQueue`], the worker batches it and calls [`Store::write_records`].

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
pub mod spill;
pub mod store;

pub use file::FileStore;
pub use queue::{QueueConfig, QueueStatus, RecordPermit, WriteQueue};
pub use sea::{DbOptions, SeaStore, now_ms};
pub use seal::{Sealer, key_digest};
pub use store::{Store, StoreError};
