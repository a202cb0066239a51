//! Creating a fresh store per test on each backend: a SQLite file, a database on the
//! PostgreSQL and MariaDB servers, or a file-backend data directory.

use gproxy_storage::{FileStore, SeaStore, Sealer, Store};
use sea_orm::{ConnectionTrait, Database};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

pub const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Which backend a [`TestDb`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
    File,
}

/// A store on a fresh database; the guard removes it afterwards.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    /// The same store as a [`SeaStore`], for the checks that need raw SQL (`None` on the
    /// file backend).
    pub sea: Option<SeaStore>,
    pub backend: Backend,
    /// The database URL (the data directory on the file backend).
    pub dsn: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// The SeaORM store (only for tests run on the SQL backends).
    pub fn sea(&self) -> &SeaStore {
        self.sea.as_ref().expect("a SeaORM backend")
    }

    /// Closes the store and opens the same database again (migrated) with `sealer`, as a
    /// restart does. The file backend's lock is released first.
    pub async fn reopen(self, sealer: Sealer) -> TestDb {
        let TestDb {
            store,
            sea,
            backend,
            dsn,
            _dir,
        } = self;
        drop(store);
        drop(sea);
        let (store, sea): (Arc<dyn Store>, Option<SeaStore>) = if backend == Backend::File {
            let store = FileStore::open(Path::new(&dsn), sealer).expect("reopen the data dir");
            store.migrate().await.expect("migrate");
            (Arc::new(store), None)
        } else {
            let store = SeaStore::connect(&dsn, sealer).await.expect("reconnect");
            (Arc::new(store.clone()), Some(store))
        };
        TestDb {
            store,
            sea,
            backend,
            dsn,
            _dir,
        }
    }
}

pub fn sealer() -> Sealer {
    Sealer::from_base64(MASTER_KEY).expect("key")
}

fn unique_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "gproxy_it_{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn sea_db(
    store: SeaStore,
    backend: Backend,
    dsn: String,
    dir: Option<tempfile::TempDir>,
) -> TestDb {
    TestDb {
        store: Arc::new(store.clone()),
        sea: Some(store),
        backend,
        dsn,
        _dir: dir,
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let dsn = format!("sqlite://{}/gproxy.db?mode=rwc", dir.path().display());
    let store = SeaStore::connect(&dsn, sealer())
        .await
        .expect("connect sqlite");
    sea_db(store, Backend::Sqlite, dsn, Some(dir))
}

/// Creates a database on the server at `admin_url` and connects to it at `base/<name>`.
async fn server(admin_url: &str, base: &str, backend: Backend) -> TestDb {
    let name = unique_name();
    let admin = Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {admin_url} (run scripts/services): {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let dsn = format!("{base}/{name}");
    let store = SeaStore::connect(&dsn, sealer()).await.expect("connect");
    sea_db(store, backend, dsn, None)
}

pub async fn postgres() -> TestDb {
    let admin = std::env::var("GPROXY_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    server(&admin, &base, Backend::Postgres).await
}

pub async fn mysql() -> TestDb {
    let admin = std::env::var("GPROXY_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    server(&admin, &base, Backend::Mysql).await
}

/// A file-backend store on a new data directory inside a temporary directory, migrated.
pub async fn file() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let store = FileStore::open(&data, sealer()).expect("open the data dir");
    store.migrate().await.expect("migrate");
    TestDb {
        store: Arc::new(store),
        sea: None,
        backend: Backend::File,
        dsn: data.display().to_string(),
        _dir: Some(dir),
    }
}
