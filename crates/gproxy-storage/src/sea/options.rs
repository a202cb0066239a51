//! Connection tuning (`reference/003_*`): the pool of a PostgreSQL or MySQL server
//! (`pool_size` kept open, up to `max_overflow` more under load, `pool_timeout` to wait for
//! one, `echo` to log statements, `echo_pool` to log the pool's settings at start), and for
//! the embedded SQLite file: WAL, `synchronous=NORMAL`, a busy timeout, foreign keys on, and
//! a new file readable by its owner only.

use sea_orm::ConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use std::time::Duration;

/// How the backend's connections are pooled and logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbOptions {
    /// Connections kept open (1-100; ignored for SQLite).
    pub pool_size: u32,
    /// Extra connections beyond `pool_size` under load (0-100; ignored for SQLite).
    pub max_overflow: u32,
    /// How long a query waits for a free connection.
    pub pool_timeout: Duration,
    /// Log every SQL statement.
    pub echo: bool,
    /// Log the pool's settings at start.
    pub echo_pool: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            pool_size: 5,
            max_overflow: 10,
            pool_timeout: Duration::from_secs(30),
            echo: false,
            echo_pool: false,
        }
    }
}

/// SQLite connections: one writer at a time, so a few connections serve readers beside it.
const SQLITE_CONNECTIONS: u32 = 4;

/// How long a SQLite statement waits for a lock before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl DbOptions {
    /// The connect options for `dsn`.
    pub(super) fn connect_options(&self, dsn: &str) -> ConnectOptions {
        let mut opts = ConnectOptions::new(dsn.to_owned());
        opts.sqlx_logging(self.echo)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(self.pool_timeout);
        if dsn.starts_with("sqlite:") {
            opts.max_connections(SQLITE_CONNECTIONS)
                .map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        .foreign_keys(true)
                });
        } else {
            opts.min_connections(self.pool_size)
                .max_connections(self.pool_size + self.max_overflow)
                // Connections beyond the pool close once idle.
                .idle_timeout(Duration::from_secs(60));
        }
        if self.echo_pool {
            tracing::info!(
                pool_size = self.pool_size,
                max_overflow = self.max_overflow,
                pool_timeout_secs = self.pool_timeout.as_secs(),
                sqlite = dsn.starts_with("sqlite:"),
                "database pool"
            );
        }
        opts
    }
}

/// The file a `sqlite:` DSN names (`None` for in-memory databases and other schemes).
pub(super) fn sqlite_path(dsn: &str) -> Option<std::path::PathBuf> {
    let rest = dsn.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| path.into())
}

/// Creates the SQLite file readable and writable by its owner only, if it does not exist
/// (SQLite gives its `-wal` and `-shm` files the same permissions).
pub(super) fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_read_from_dsns() {
        assert_eq!(
            sqlite_path("sqlite:///data/gproxy.db?mode=rwc"),
            Some("/data/gproxy.db".into())
        );
        assert_eq!(sqlite_path("sqlite:rel.db"), Some("rel.db".into()));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x/y"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("g.db");
        create_private(&path).expect("create");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        create_private(&path).expect("an existing file is left alone");
    }
}
