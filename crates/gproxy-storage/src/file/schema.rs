//! Migrations on the file backend: `schema_version.json` holds the version the data
//! directory is at and when it was stamped. Rows are schemaless JSON, so no migration
//! transforms data today; a future one that must would run in [`migrate`] before the stamp.

use super::table::{self, io_err};
use crate::migrate::{self, LATEST, MigrationState};
use crate::store::StoreError;
use std::path::Path;

/// The stamp's file name.
pub(super) const FILE: &str = "schema_version.json";

/// The stamp: every version up to `version` is applied, at `applied_at` (Unix ms).
#[derive(Debug, serde::Deserialize, serde::Serialize)]
struct SchemaVersion {
    version: i64,
    applied_at: i64,
}

/// The stamp, `None` in a new data directory.
fn read(dir: &Path) -> Result<Option<SchemaVersion>, StoreError> {
    let path = dir.join(FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| table::json_err(FILE, &e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading", &path, e)),
    }
}

/// Every known migration, applied when the stamp covers it.
pub(super) fn states(dir: &Path) -> Result<Vec<MigrationState>, StoreError> {
    let stamp = read(dir)?;
    Ok(migrate::states(|v| {
        stamp
            .as_ref()
            .filter(|s| v <= s.version)
            .map(|s| s.applied_at)
    }))
}

/// Stamps [`LATEST`] and returns the versions that were pending; refuses a data directory
/// stamped by a newer build. The caller holds the control-plane lock.
pub(super) fn migrate(dir: &Path, now: i64) -> Result<Vec<i64>, StoreError> {
    let at = read(dir)?.map_or(0, |s| s.version);
    if at > LATEST {
        return Err(StoreError::Invalid(format!(
            "the data directory's schema is at version {at}, newer than this build's {LATEST}: run a newer gproxy"
        )));
    }
    if at == LATEST {
        return Ok(Vec::new());
    }
    let stamp = SchemaVersion {
        version: LATEST,
        applied_at: now,
    };
    table::replace(dir, FILE, table::encode(FILE, &stamp)?)?;
    Ok(((at + 1)..=LATEST).collect())
}
