//! Creating a fresh database per test on each backend.

use gproxy_storage::{SeaStore, Sealer};
use sea_orm::{ConnectionTrait, Database};
use std::sync::atomic::{AtomicU32, Ordering};

pub const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A store on a fresh database; the guard removes it afterwards.
pub struct TestDb {
    pub store: SeaStore,
    pub dsn: String,
    _dir: Option<tempfile::TempDir>,
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

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let dsn = format!("sqlite://{}/gproxy.db?mode=rwc", dir.path().display());
    let store = SeaStore::connect(&dsn, Sealer::from_base64(MASTER_KEY).expect("key"))
        .await
        .expect("connect sqlite");
    TestDb {
        store,
        dsn,
        _dir: Some(dir),
    }
}

/// Creates a database on the server at `admin_url` and connects to it at `base/<name>`.
async fn server(admin_url: &str, base: &str) -> TestDb {
    let name = unique_name();
    let admin = Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {admin_url} (run scripts/services): {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let dsn = format!("{base}/{name}");
    let store = SeaStore::connect(&dsn, Sealer::from_base64(MASTER_KEY).expect("key"))
        .await
        .expect("connect");
    TestDb {
        store,
        dsn,
        _dir: None,
    }
}

pub async fn postgres() -> TestDb {
    let admin = std::env::var("GPROXY_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    server(&admin, &base).await
}

pub async fn mysql() -> TestDb {
    let admin = std::env::var("GPROXY_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    server(&admin, &base).await
}
