//! Storage lifecycle as an operator meets it: migrations at start or by command, the file
//! backend, and a database outage the gateway serves through.

use crate::backends::{create_pg_database, run, unique};
use crate::bin::*;
use crate::helpers::*;
use gproxy::Cli;
use gproxy_storage::migrate::LATEST;
use gproxy_testkit::MockUpstream;
use serde_json::json;
use std::process::Command;
use std::time::Duration;

/// With `auto_migrate` off the server refuses a schema behind it, naming the command;
/// `gproxy migrate --status` lists what is pending, `gproxy migrate` applies it, and then
/// the server starts.
#[test]
fn migrations_run_at_start_or_by_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let off = [("GPROXY_AUTO_MIGRATE", "false")];
    let err = start_error(&mut gproxy(dir.path(), &["--port", "0"], &off));
    assert!(err.contains("run `gproxy migrate`"), "{err}");

    let status = |args: &[&str]| {
        let out = gproxy(dir.path(), args, &off).output().expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listed = status(&["migrate", "--status"]);
    assert!(listed.contains(&format!("{LATEST} pending")), "{listed}");
    assert_eq!(
        listed.matches("pending").count(),
        LATEST as usize + 1,
        "{listed}"
    );
    let applied = status(&["migrate"]);
    assert!(
        applied.contains(&format!("applied {LATEST} migration(s)")),
        "{applied}"
    );
    let listed = status(&["migrate", "--status"]);
    assert!(
        listed.contains("0 pending") && listed.contains("applied 20"),
        "{listed}"
    );
    assert!(status(&["migrate"]).contains("the schema is current"));

    let (child, _url, _out) = start_bin(gproxy(dir.path(), &["--port", "0"], &off));
    assert!(terminate(child).success());
}

/// `GPROXY_PERSISTENCE=file`: the gateway serves from JSON files under the data directory,
/// records append to JSON lines, a second instance on the same directory is refused, state
/// survives a restart, and Redis with the file backend is refused.
#[tokio::test]
async fn the_gateway_runs_on_the_file_backend() {
    let file = |cli: &mut Cli| cli.persistence = Some("file".into());
    let app = spawn_with(file, |_| String::new()).await;
    assert_eq!(ask(&app).await.status(), 200);
    assert_eq!(app.wait_usages(1).await.len(), 1);
    let data = app.dir.path().join("data");
    for name in [
        "providers.json",
        "users.json",
        "usages.jsonl",
        "schema_version.json",
    ] {
        assert!(data.join(name).exists(), "{name}");
    }
    assert!(!data.join("gproxy.db").exists(), "no SQLite file");

    let second = Cli {
        persistence: Some("file".into()),
        data_dir: Some(data.clone()),
        port: Some(0),
        ..Cli::default()
    };
    let err = match gproxy::App::build(gproxy::load(second).expect("settings")).await {
        Ok(_) => panic!("a second instance on the same files"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains(".gproxy.lock"), "{err}");

    let mock = app.mock.clone();
    let dir = app.stop().await;
    let again = Cli {
        persistence: Some("file".into()),
        data_dir: Some(dir.path().join("data")),
        port: Some(0),
        ..Cli::default()
    };
    let app = start(again, mock, dir).await;
    assert_eq!(
        ask(&app).await.status(),
        200,
        "served from the stored state"
    );
    assert_eq!(
        app.wait_usages(2).await.len(),
        2,
        "usage kept across the restart"
    );
    app.stop().await;

    let redis = Cli {
        persistence: Some("file".into()),
        redis_url: Some("redis://127.0.0.1:6379".into()),
        ..Cli::default()
    };
    let err = gproxy::load(redis).expect_err("redis with files");
    assert!(err.to_string().contains("redis"), "{err}");
}

async fn ask(app: &TestApp) -> reqwest::Response {
    app.post(
        "/v1/chat/completions",
        ALICE,
        json!({"model": "openai-main/gpt-4.1", "messages": []}),
    )
    .await
}

fn psql(sql: &str) {
    run(Command::new("psql").args([
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-d",
        "test",
        "-qc",
        sql,
    ]));
}

/// PostgreSQL refuses the gateway's database mid-traffic: requests are still served from
/// the snapshot, `/readyz` says degraded, records wait in the spill file, and once the
/// database is back every record lands exactly once.
#[tokio::test]
async fn a_database_outage_degrades_and_loses_nothing() {
    let name = unique();
    create_pg_database(&name);
    let mock = MockUpstream::start().await.expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    std::fs::write(&config, seed_toml(&mock.base_url())).expect("write");
    let cli = Cli {
        config: Some(config),
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        dsn: Some(format!("postgres://postgres@127.0.0.1:5432/{name}")),
        database_pool_timeout: Some(1),
        ..Cli::default()
    };
    let app = start(cli, mock, dir).await;
    assert_eq!(ask(&app).await.status(), 200);
    assert_eq!(app.wait_usages(1).await.len(), 1);
    let readyz = || async {
        let resp = app
            .http
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        assert_eq!(resp.status(), 200);
        json(resp).await
    };
    assert_eq!(readyz().await["status"], "ready");

    psql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    psql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
    for _ in 0..5 {
        assert_eq!(ask(&app).await.status(), 200, "served from the snapshot");
    }
    app.state.queue.flush().await;
    let status = readyz().await;
    assert_eq!(status["status"], "degraded", "{status}");
    assert_eq!(status["database"], "unreachable", "{status}");
    assert!(
        status["spilled_records"].as_u64().unwrap_or(0) >= 5,
        "{status}"
    );

    psql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let mut ready = false;
    for _ in 0..150 {
        if readyz().await["status"] == "ready" {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ready, "ready again once the database is back");
    let usages = app.usages().await;
    let mut ids: Vec<&str> = usages.iter().map(|u| u.request_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((usages.len(), ids.len()), (6, 6), "every record once");
    app.stop().await;
}

/// The control plane, rate limits and quotas included, moves from the file backend to
/// MariaDB and back to new files unchanged: each export after an import is the same bundle.
#[tokio::test]
async fn export_from_files_imports_into_mariadb_and_back() {
    let app = spawn_with(
        |cli| cli.persistence = Some("file".into()),
        |_| LIMITS_TOML.into(),
    )
    .await;
    let dir = app.stop().await;
    let files = |data: &str| Cli {
        persistence: Some("file".into()),
        data_dir: Some(dir.path().join(data)),
        ..Cli::default()
    };
    let settings = gproxy::load(files("data")).expect("settings");
    let bundle = gproxy::app::export(&settings).await.expect("export");
    assert!(
        bundle.contains(UP_OPENAI) && bundle.contains(ALICE),
        "secrets included"
    );
    assert_exports_limits(&bundle);
    let file = dir.path().join("bundle.toml");
    std::fs::write(&file, &bundle).expect("write");

    let name = unique();
    run(Command::new("mariadb").args([
        "-h",
        "127.0.0.1",
        "-uroot",
        "-e",
        &format!("CREATE DATABASE {name}"),
    ]));
    let maria = gproxy::load(Cli {
        dsn: Some(format!("mysql://root@127.0.0.1:3306/{name}")),
        data_dir: Some(dir.path().join("maria")),
        ..Cli::default()
    })
    .expect("settings");
    gproxy::app::import(&maria, &file, false)
        .await
        .expect("import into MariaDB");
    assert_eq!(gproxy::app::export(&maria).await.expect("export"), bundle);

    let back = gproxy::load(files("again")).expect("settings");
    gproxy::app::import(&back, &file, false)
        .await
        .expect("import into new files");
    assert_eq!(gproxy::app::export(&back).await.expect("export"), bundle);
}
