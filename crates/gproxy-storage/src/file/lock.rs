//! The data directory's single-instance lock: an exclusive advisory lock on
//! `.gproxy.lock`, held for the store's life and released when the file closes.

use super::table::{io_err, private_options};
use crate::store::StoreError;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub(super) const LOCK_FILE: &str = ".gproxy.lock";

/// A held lock on a data directory; dropping it (closing the file) releases it.
#[derive(Debug)]
pub(super) struct DirLock {
    /// The open lock file: the advisory lock lives as long as this handle.
    _file: File,
    /// Where it is, for messages.
    path: PathBuf,
}

impl DirLock {
    /// Takes the lock on `dir` or fails at once when another process or store holds it.
    pub(super) fn acquire(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(LOCK_FILE);
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_err("opening", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(StoreError::Invalid(format!(
                "{} is locked: another gproxy instance is using this data directory, and the \
                 file backend serves a single instance (use PostgreSQL or MySQL to run several)",
                path.display()
            ))),
            Err(TryLockError::Error(e)) => Err(io_err("locking", &path, e)),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}
