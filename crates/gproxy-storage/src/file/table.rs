//! Files of the file backend: private creation (0600 files, 0700 directories), a JSON
//! table read whole, and tables replaced atomically: every new file written to
//! `<name>.tmp` and synced first, then each renamed over the old one, then the directory
//! synced, so a crash leaves each table either old or new, never half-written.

use crate::store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// An I/O failure on `path` as a store error (paths only; never file contents).
pub(super) fn io_err(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Db(format!("{what} {}: {e}", path.display()))
}

/// A JSON decoding failure in `name`, by position only: serde's own message may quote the
/// offending value, which can be a sealed secret.
pub(super) fn json_err(name: &str, e: &serde_json::Error) -> StoreError {
    StoreError::Invalid(format!(
        "{name}: bad JSON at line {}, column {} ({:?})",
        e.line(),
        e.column(),
        e.classify()
    ))
}

/// Open options that create a file readable by its owner only: it may hold secrets.
pub(super) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` (and its parents) if missing, the last one private.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| io_err("creating the directory", dir, e))
}

/// Makes the directory's entries (new files, renames) durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err("syncing the directory", dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The rows of the JSON table `name` in `dir`; a missing file is an empty table.
pub(super) fn read<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<Vec<T>, StoreError> {
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| json_err(name, &e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_err("reading", &path, e)),
    }
}

/// The stored form of a table (or any JSON file).
pub(super) fn encode<T: Serialize + ?Sized>(name: &str, value: &T) -> Result<Vec<u8>, StoreError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| StoreError::Invalid(format!("encoding {name}: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `bytes` to a new private file at `path` and syncs it.
pub(super) fn write_new(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("removing", path, e)),
    }
    let mut file = private_options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io_err("creating", path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_err("writing", path, e))
}

fn tmp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.tmp"))
}

/// New table files written and synced beside the old ones, not yet in place. Dropped
/// without [`Staged::commit`], it removes its temporary files and the old tables stand.
#[derive(Debug)]
#[must_use = "staged tables replace nothing until committed"]
pub(super) struct Staged {
    dir: PathBuf,
    /// The tables whose `.tmp` file is written and not yet renamed.
    names: Vec<&'static str>,
}

/// Writes each `(name, bytes)` to `<name>.tmp` and syncs it; on a failure the ones written
/// are removed again.
pub(super) fn stage(dir: &Path, files: Vec<(&'static str, Vec<u8>)>) -> Result<Staged, StoreError> {
    let mut staged = Staged {
        dir: dir.to_owned(),
        names: Vec::with_capacity(files.len()),
    };
    for (name, bytes) in files {
        write_new(&tmp_path(dir, name), &bytes)?;
        staged.names.push(name);
    }
    Ok(staged)
}

impl Staged {
    /// Renames every staged file over its table, then syncs the directory.
    pub(super) fn commit(mut self) -> Result<(), StoreError> {
        if self.names.is_empty() {
            return Ok(());
        }
        while let Some(name) = self.names.first().copied() {
            let tmp = tmp_path(&self.dir, name);
            std::fs::rename(&tmp, self.dir.join(name)).map_err(|e| io_err("renaming", &tmp, e))?;
            self.names.remove(0);
        }
        sync_dir(&self.dir)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for name in &self.names {
            // Best effort: a leftover `.tmp` is overwritten by the next write anyway.
            let _ = std::fs::remove_file(tmp_path(&self.dir, name));
        }
    }
}

/// Replaces one file atomically.
pub(super) fn replace(dir: &Path, name: &'static str, bytes: Vec<u8>) -> Result<(), StoreError> {
    stage(dir, vec![(name, bytes)])?.commit()
}
