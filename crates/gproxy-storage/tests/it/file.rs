//! The file backend's own guarantees: one instance per data directory, torn appends cut
//! away at open, records appended without rewriting the control plane, private files, the
//! schema stamp, idempotent replays, backups, and ids never handed out twice.

use crate::backends::sealer;
use crate::suite::{seed, usage};
use gproxy_storage::model::*;
use gproxy_storage::{FileStore, Store, StoreError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Asserts that no file in `dir` holds any of `plaintexts`, and that the stored secrets
/// are sealed.
pub fn assert_sealed_at_rest(dir: &Path, plaintexts: &[&str]) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
        for p in plaintexts {
            assert!(
                !text.contains(p),
                "{}: plaintext `{p}` at rest",
                path.display()
            );
        }
    }
    for table in ["credentials.json", "user_keys.json"] {
        let rows: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(dir.join(table)).expect("read")).expect("json");
        assert!(!rows.is_empty(), "{table}");
        for row in rows {
            let secret = row["secret"].as_str().expect("secret");
            assert!(secret.starts_with("sealed:v1:"), "{table}: {secret}");
        }
    }
}

/// A new data directory (inside the returned guard) with a migrated store.
async fn fresh() -> (tempfile::TempDir, PathBuf, FileStore) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let store = FileStore::open(&dir, sealer()).expect("open");
    store.migrate().await.expect("migrate");
    (tmp, dir, store)
}

#[tokio::test]
async fn a_second_instance_is_refused_until_the_first_closes() {
    let (_tmp, dir, store) = fresh().await;
    let err = FileStore::open(&dir, sealer()).expect_err("locked");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(
        text.contains(&dir.join(".gproxy.lock").display().to_string()),
        "{text}"
    );
    assert!(text.contains("another gproxy instance"), "{text}");
    assert!(text.contains("single instance"), "{text}");
    assert!(text.contains("PostgreSQL"), "{text}");
    drop(store);
    let again = FileStore::open(&dir, sealer()).expect("free again");
    again.ping().await.expect("ping");
}

#[tokio::test]
async fn a_torn_last_line_is_cut_away_at_open() {
    let (_tmp, dir, store) = fresh().await;
    store
        .write_records(&[usage(1), usage(2), usage(3)])
        .await
        .expect("write");
    drop(store);
    let path = dir.join("usages.jsonl");
    let whole = std::fs::read(&path).expect("read");
    // A crash mid-append: half a row, no newline.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    file.write_all(br#"{"id":4,"request_id":"req-4","crea"#)
        .expect("tear");
    drop(file);

    let store = FileStore::open(&dir, sealer()).expect("reopen");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        whole,
        "the torn line is gone"
    );
    let rows = store.recent_usages(10).await.expect("usages");
    let ids: Vec<(i64, &str)> = rows.iter().map(|u| (u.id, u.request_id.as_str())).collect();
    assert_eq!(ids, [(3, "req-3"), (2, "req-2"), (1, "req-1")]);
    store.write_records(&[usage(4)]).await.expect("write");
    assert_eq!(store.recent_usages(1).await.expect("usages")[0].id, 4);
    drop(store);

    // A complete but unreadable last line goes too.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    file.write_all(b"\0\0\0garbage\n").expect("garbage");
    drop(file);
    let store = FileStore::open(&dir, sealer()).expect("reopen");
    assert_eq!(store.recent_usages(10).await.expect("usages").len(), 4);
}

#[cfg(unix)]
fn identity(path: &Path) -> (u64, std::time::SystemTime, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).expect("metadata");
    (m.ino(), m.modified().expect("mtime"), m.len())
}

#[cfg(unix)]
#[tokio::test]
async fn records_are_appended_without_rewriting_the_control_plane() {
    let (_tmp, dir, store) = fresh().await;
    store.import_seed(&seed()).await.expect("import");
    let providers = identity(&dir.join("providers.json"));
    let log = dir.join("usages.jsonl");
    let mut before = std::fs::read(&log).expect("read");
    for i in 0..5 {
        store
            .write_records(&[usage(2 * i), usage(2 * i + 1)])
            .await
            .expect("write");
        let now = std::fs::read(&log).expect("read");
        assert!(
            now.len() > before.len() && now.starts_with(&before),
            "only appended"
        );
        before = now;
    }
    assert_eq!(identity(&dir.join("providers.json")), providers);
    assert_eq!(store.recent_usages(100).await.expect("usages").len(), 10);
}

#[tokio::test]
async fn everything_survives_a_restart_and_ids_are_never_reused() {
    let (_tmp, dir, store) = fresh().await;
    store.import_seed(&seed()).await.expect("import");
    let status = CredentialStatusRecord {
        credential_id: 1,
        state: "partial".into(),
        cooling: vec![("gpt-4.1".into(), 1_780_000_000_000)],
        last_error: Some("429".into()),
    };
    store
        .save_credential_statuses(std::slice::from_ref(&status))
        .await
        .expect("statuses");
    let route = store
        .create_route(
            &NewRoute {
                name: "gone".into(),
                enabled: true,
            },
            "root",
        )
        .await
        .expect("route");
    store.delete_route(route.id, "root").await.expect("delete");
    store
        .write_records(&[usage(1), usage(2)])
        .await
        .expect("write");
    assert_eq!(
        store
            .prune(Prune::Usages, i64::MAX, 10)
            .await
            .expect("prune"),
        2
    );
    let cp = store.load().await.expect("load");
    let audit = store.audit_entries(10).await.expect("audit");
    let statuses = store.credential_statuses().await.expect("statuses");
    assert_eq!(statuses.len(), 2, "the seeded one and the saved one");
    drop(store);

    let store = FileStore::open(&dir, sealer()).expect("reopen");
    let again = store.load().await.expect("load");
    assert_eq!(again.providers, cp.providers);
    assert_eq!(again.routes, cp.routes);
    assert_eq!(again.route_members, cp.route_members);
    assert_eq!(again.users, cp.users);
    assert_eq!(again.permissions, cp.permissions);
    let secrets =
        |cp: &ControlPlane| -> Vec<_> { cp.credentials.iter().map(|c| c.secret.clone()).collect() };
    assert_eq!(secrets(&again), secrets(&cp));
    assert_eq!(
        store.credential_statuses().await.expect("statuses"),
        statuses
    );
    assert_eq!(store.audit_entries(10).await.expect("audit"), audit);

    let next = store
        .create_route(
            &NewRoute {
                name: "next".into(),
                enabled: true,
            },
            "root",
        )
        .await
        .expect("route");
    assert!(next.id > route.id, "route id {} reused", next.id);
    store.write_records(&[usage(3)]).await.expect("write");
    let rows = store.recent_usages(10).await.expect("usages");
    assert_eq!(
        (rows.len(), rows[0].id),
        (1, 3),
        "usage ids 1 and 2 stay retired"
    );
    assert_eq!(
        store.audit_entries(1).await.expect("audit")[0].id,
        audit[0].id + 1
    );
}

#[cfg(unix)]
#[tokio::test]
async fn every_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, dir, store) = fresh().await;
    store.import_seed(&seed()).await.expect("import");
    store.write_records(&[usage(1)]).await.expect("write");
    store
        .create_route(
            &NewRoute {
                name: "r".into(),
                enabled: true,
            },
            "root",
        )
        .await
        .expect("route");
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read dir") {
        let path = entry.expect("entry").path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        names.push(
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned(),
        );
    }
    for want in [
        "providers.json",
        "usages.jsonl",
        "audit_logs.jsonl",
        "schema_version.json",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    assert_sealed_at_rest(&dir, &["sk-upstream-1", "sk-alice-1"]);
    assert!(!format!("{store:?}").contains("sealed:v1"), "{store:?}");
}

#[tokio::test]
async fn migrate_stamps_schema_version_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = FileStore::open(tmp.path(), sealer()).expect("open");
    let states = store.migrations().await.expect("migrations");
    assert!(states.iter().all(|s| s.applied_at.is_none()), "{states:?}");
    assert!(
        !tmp.path().join("schema_version.json").exists(),
        "open does not migrate"
    );
    let all: Vec<i64> = gproxy_storage::migrate::MIGRATIONS
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(store.migrate().await.expect("migrate"), all);
    let stamp: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("schema_version.json")).expect("stamp"),
    )
    .expect("json");
    assert_eq!(stamp["version"], gproxy_storage::migrate::LATEST);
    assert!(
        stamp["applied_at"].as_i64().is_some_and(|t| t > 0),
        "{stamp}"
    );
    let states = store.migrations().await.expect("migrations");
    assert!(
        states
            .iter()
            .all(|s| s.applied_at == stamp["applied_at"].as_i64())
    );
    assert!(store.migrate().await.expect("again").is_empty());

    let newer = gproxy_storage::migrate::LATEST + 1;
    std::fs::write(
        tmp.path().join("schema_version.json"),
        format!(r#"{{"version": {newer}, "applied_at": 1}}"#),
    )
    .expect("write");
    let err = store.migrate().await.expect_err("newer schema");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(text.contains(&newer.to_string()), "{text}");
    assert!(
        text.contains(&gproxy_storage::migrate::LATEST.to_string()),
        "{text}"
    );
}

#[tokio::test]
async fn a_replay_after_a_write_stores_nothing_twice() {
    let (_tmp, _dir, store) = fresh().await;
    let down = |id: &str| {
        Record::Downstream(DownstreamRecord {
            request_id: id.into(),
            path: "/v1/chat/completions".into(),
            ..Default::default()
        })
    };
    let up = |id: &str, at: i64| {
        Record::Upstream(UpstreamRecord {
            request_id: id.into(),
            created_at: at,
            ..Default::default()
        })
    };
    let batch = vec![usage(1), down("req-1"), up("req-1", 5)];
    store.write_records(&batch).await.expect("write");
    let mut replay = batch.clone();
    replay.extend([usage(2), down("req-2"), up("req-1", 6)]);
    store.replay_records(&replay).await.expect("replay");
    store.replay_records(&replay).await.expect("replay again");
    let usages = store.recent_usages(10).await.expect("usages");
    let ids: Vec<&str> = usages.iter().map(|u| u.request_id.as_str()).collect();
    assert_eq!(ids, ["req-2", "req-1"]);
    assert_eq!(store.recent_downstream(10).await.expect("down").len(), 2);
    let up: Vec<i64> = store
        .recent_upstream(10)
        .await
        .expect("up")
        .iter()
        .map(|u| u.created_at)
        .collect();
    assert_eq!(
        up,
        [6, 5],
        "attempts are known by request id and start time"
    );
}

#[tokio::test]
async fn a_backup_is_a_working_data_directory() {
    let (tmp, _dir, store) = fresh().await;
    store.import_seed(&seed()).await.expect("import");
    store.write_records(&[usage(1)]).await.expect("write");
    let target = tmp.path().join("backup");
    store.backup(&target).await.expect("backup");
    let err = store.backup(&target).await.expect_err("exists");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&target), 0o700);
        for entry in std::fs::read_dir(&target).expect("read dir") {
            let path = entry.expect("entry").path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    let copy = FileStore::open(&target, sealer()).expect("open the copy");
    let (a, b) = (
        store.load().await.expect("load"),
        copy.load().await.expect("load"),
    );
    assert_eq!(a.providers, b.providers);
    assert_eq!(a.keys.len(), b.keys.len());
    assert_eq!(copy.recent_usages(10).await.expect("usages").len(), 1);
    assert_eq!(
        copy.migrations().await.expect("migrations"),
        store.migrations().await.expect("m")
    );
}

#[tokio::test]
async fn a_duplicate_key_is_a_conflict_and_changes_nothing() {
    let (_tmp, dir, store) = fresh().await;
    store.import_seed(&seed()).await.expect("import");
    let before = std::fs::read(dir.join("user_keys.json")).expect("read");
    let err = store
        .add_user_key(1, "sk-alice-1", None)
        .await
        .expect_err("duplicate");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(!err.to_string().contains("sk-alice-1"), "{err}");
    assert_eq!(
        std::fs::read(dir.join("user_keys.json")).expect("read"),
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_get_distinct_ids_and_lose_nothing() {
    let (_tmp, dir, store) = fresh().await;
    store.import_seed(&seed()).await.expect("import");
    let store = std::sync::Arc::new(store);
    let mut tasks = Vec::new();
    for t in 0..6i64 {
        let store = std::sync::Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                store
                    .write_records(&[usage(t * 100 + i)])
                    .await
                    .expect("write");
                if i % 5 == 0 {
                    store
                        .create_route(
                            &NewRoute {
                                name: format!("r-{t}-{i}"),
                                enabled: true,
                            },
                            "root",
                        )
                        .await
                        .expect("route");
                    store.load().await.expect("load");
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let rows = store.recent_usages(1000).await.expect("usages");
    let mut ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    ids.reverse();
    assert_eq!(ids, (1..=60).collect::<Vec<_>>());
    assert_eq!(store.load().await.expect("load").routes.len(), 1 + 12);
    assert_eq!(store.audit_entries(100).await.expect("audit").len(), 12);
    drop(store);
    let store = FileStore::open(&dir, sealer()).expect("reopen");
    assert_eq!(store.recent_usages(1000).await.expect("usages").len(), 60);
}
