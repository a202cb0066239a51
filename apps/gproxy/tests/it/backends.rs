//! The whole gateway on PostgreSQL and MariaDB (the storage crate's conformance suite covers
//! the store itself; this proves start-up, seed import and records on those servers).

use crate::helpers::*;
use gproxy::Cli;
use gproxy_testkit::MockUpstream;
use serde_json::json;
use std::process::Command;

fn unique() -> String {
    format!("gproxy_it_app_{}_{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("database client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
