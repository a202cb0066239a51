//! Whole-directory operations on the file backend: re-sealing every secret under a new
//! master key, and a consistent copy of the data directory taken under every lock.

use super::state::{FILES, Tables};
use super::table::{io_err, private_options, sync_dir};
use super::{FileStore, LOGS, blocking, rollup, schema};
use crate::seal::Sealer;
use crate::store::StoreError;
use std::path::Path;
use std::sync::Arc;

/// Re-seals every credential and user key secret of `t` from `from` to `to`; returns how
/// many of each. The caller writes both tables together (tmp files first, then renames).
pub(super) fn reseal(
    t: &mut Tables,
    from: &Sealer,
    to: &Sealer,
) -> Result<(usize, usize), StoreError> {
    for c in &mut t.credentials {
        c.secret = to.seal(&from.open(&c.secret)?)?;
    }
    for k in &mut t.user_keys {
        k.secret = to.seal(&from.open(&k.secret)?)?;
    }
    Ok((t.credentials.len(), t.user_keys.len()))
}

/// Copies `from` into the new private file `to` and syncs it.
fn copy_private(from: &Path, to: &Path) -> Result<(), StoreError> {
    let mut source = match std::fs::File::open(from) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("opening", from, e)),
    };
    let mut target = private_options()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(|e| io_err("creating", to, e))?;
    std::io::copy(&mut source, &mut target).map_err(|e| io_err("copying to", to, e))?;
    target.sync_all().map_err(|e| io_err("syncing", to, e))
}

impl FileStore {
    /// Copies every table file and the schema stamp into the new directory `path`
    /// (0700, files 0600), with every table locked so the copy is one moment's state.
    pub(super) async fn copy_to(&self, path: &Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists",
                path.display()
            )));
        }
        let inner = &self.inner;
        let control = Arc::clone(&inner.control).lock_owned().await;
        let usages = Arc::clone(&inner.usages).lock_owned().await;
        let downstream = Arc::clone(&inner.downstream).lock_owned().await;
        let upstream = Arc::clone(&inner.upstream).lock_owned().await;
        let audit = Arc::clone(&inner.audit).lock_owned().await;
        let (dir, target) = (inner.dir.clone(), path.to_owned());
        blocking(move || {
            let _held = (control, usages, downstream, upstream, audit);
            if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| io_err("creating", parent, e))?;
            }
            // Not recursive: the directory must be new, even if it appeared since the check.
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(&target).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    StoreError::Conflict(format!("{} already exists", target.display()))
                }
                _ => io_err("creating", &target, e),
            })?;
            // The rollup snapshot and the usage log are copied under the same lock, so the
            // copy's rollups rebuild to the same sums.
            for name in FILES
                .iter()
                .chain(LOGS)
                .chain([&schema::FILE, &rollup::FILE])
            {
                copy_private(&dir.join(name), &target.join(name))?;
            }
            sync_dir(&target)
        })
        .await
    }
}
