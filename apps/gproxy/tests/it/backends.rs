//! The whole gateway on PostgreSQL and MariaDB (the storage crate's conformance suite covers
//! the store itself; this proves start-up, seed import and records on those servers).

use crate::helpers::*;
use gproxy::Cli;
use gproxy_testkit::MockUpstream;
use serde_json::json;
use std::process::Command;

pub fn unique() -> String {
    format!("gproxy_it_app_{}_{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default()
}

pub fn run(cmd: &mut Command) {
    let out = cmd.output().expect("database client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh PostgreSQL database named `name` on the local server.
pub fn create_pg_database(name: &str) {
    run(Command::new("psql").args([
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-d",
        "test",
        "-qc",
        &format!("CREATE DATABASE {name}"),
    ]));
}

async fn serve_on(dsn: String) {
    let mock = MockUpstream::start().await.expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    std::fs::write(&config, seed_toml(&mock.base_url())).expect("write");
    let cli = Cli {
        config: Some(config),
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        dsn: Some(dsn),
        master_key: Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
        ..Cli::default()
    };
    let app = start(cli, mock, dir).await;
    let resp = app
        .post(
            "/v1/chat/completions",
            ALICE,
            json!({"model": "openai-main/gpt-4.1", "stream": true, "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.text().await.expect("body");
    let login = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "alice", "password": "alice-pw"}))
        .send()
        .await
        .expect("req");
    assert_eq!(
        json(login).await["api_key"],
        ALICE,
        "sealed key opened with the master key"
    );
    let u = &app.wait_usages(1).await[0];
    assert_eq!((u.provider.as_str(), u.output_tokens), ("openai-main", 7));
    assert!(
        !app.dir.path().join("data/gproxy.db").exists(),
        "no SQLite file when a DSN is given"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_gateway_runs_on_postgresql() {
    let name = unique();
    create_pg_database(&name);
    serve_on(format!("postgres://postgres@127.0.0.1:5432/{name}")).await;
}

#[tokio::test]
async fn the_gateway_runs_on_mariadb() {
    let name = unique();
    run(Command::new("mariadb").args([
        "-h",
        "127.0.0.1",
        "-uroot",
        "-e",
        &format!("CREATE DATABASE {name}"),
    ]));
    serve_on(format!("mysql://root@127.0.0.1:3306/{name}")).await;
}

/// `gproxy export` from SQLite, `gproxy import` into an empty PostgreSQL database: the same
/// control plane, rate limits and quotas included (a second export is the same bundle),
/// and the gateway serves from it.
#[tokio::test]
async fn export_from_sqlite_imports_into_postgresql_unchanged() {
    let mock = MockUpstream::start().await.expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    let extra = "\n[[routes]]\nname = \"smart\"\nmembers = [{ provider_name = \"openai-main\", model_id = \"gpt-4.1\", weight = 2 }]\n";
    std::fs::write(
        &config,
        format!("{}{extra}{LIMITS_TOML}", seed_toml(&mock.base_url())),
    )
    .expect("write");
    let sqlite = Cli {
        config: Some(config.clone()),
        data_dir: Some(dir.path().join("data")),
        master_key: Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
        ..Cli::default()
    };
    let settings = gproxy::load(sqlite).expect("settings");
    drop(gproxy::App::build(settings).await.expect("seeded"));
    let settings = gproxy::load(Cli {
        config: Some(config.clone()),
        data_dir: Some(dir.path().join("data")),
        master_key: Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
        ..Cli::default()
    })
    .expect("settings");
    let bundle = gproxy::app::export(&settings).await.expect("export");
    assert!(
        bundle.contains(UP_OPENAI) && bundle.contains(ALICE),
        "secrets included"
    );
    assert_exports_limits(&bundle);
    let file = dir.path().join("bundle.toml");
    std::fs::write(&file, &bundle).expect("write bundle");

    let name = unique();
    create_pg_database(&name);
    std::fs::write(dir.path().join("empty.toml"), "").expect("write");
    let pg = || Cli {
        config: Some(dir.path().join("empty.toml")),
        dsn: Some(format!("postgres://postgres@127.0.0.1:5432/{name}")),
        data_dir: Some(dir.path().join("pgdata")),
        port: Some(0),
        ..Cli::default()
    };
    let settings = gproxy::load(pg()).expect("settings");
    gproxy::app::import(&settings, &file, false)
        .await
        .expect("import");
    let again = gproxy::app::export(&settings).await.expect("export again");
    assert_eq!(again, bundle, "the same control plane on another backend");
    let err = gproxy::app::import(&settings, &file, false)
        .await
        .expect_err("not empty any more");
    assert!(format!("{err:#}").contains("--force"), "{err:#}");
    gproxy::app::import(&settings, &file, true)
        .await
        .expect("forced");

    let app = start(pg(), mock, tempfile::tempdir().expect("tempdir")).await;
    let resp = app
        .post(
            "/v1/chat/completions",
            ALICE,
            json!({"model": "smart", "messages": []}),
        )
        .await;
    assert_eq!(
        resp.status(),
        200,
        "keys, permissions and routes came across"
    );
    app.stop().await;
}
