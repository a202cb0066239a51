//! Storage conformance: one suite, run against every backend on this machine's real
//! servers (SQLite file, PostgreSQL, MariaDB) and on the file backend. Each run gets its own
//! fresh database.

mod backends;
mod change;
mod file;
mod foundation;
mod logs;
mod migrate;
mod outage;
mod rollup;
mod suite;
