//! Outages: the database goes away under the write queue (a TCP relay in front of the real
//! PostgreSQL or MariaDB is cut, dropping every open connection), records spill to the file,
//! and when the relay is restored they are replayed in order with none lost or doubled; a
//! shutdown during the outage leaves them in the spill for the next start.

use crate::backends::MASTER_KEY;
use gproxy_storage::model::{Record, UpstreamRecord, UsageRecord};
use gproxy_storage::{DbOptions, QueueConfig, SeaStore, Sealer, Store, WriteQueue};
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A TCP relay to a database server that can be cut (open connections dropped, new ones
/// refused) and restored.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    async fn start(target: &'static str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (up2, cut2) = (Arc::clone(&up), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let mut cut_rx = cut2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Relay { port, up, cut }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn usage(i: usize) -> Record {
    Record::Usage(UsageRecord {
        request_id: format!("req-{i}"),
        created_at: 1_000 + i as i64,
        provider: "p".into(),
        model: "m".into(),
        operation: "chat".into(),
        protocol: "openai".into(),
        status: 200,
        input_tokens: i as i64,
        ..Default::default()
    })
}

fn upstream(i: usize) -> Record {
    Record::Upstream(UpstreamRecord {
        request_id: format!("req-{i}"),
        created_at: 1_000 + i as i64,
        provider: "p".into(),
        method: "POST".into(),
        url: "http://upstream/v1/chat/completions".into(),
        status: Some(200),
        ..Default::default()
    })
}

/// A fresh database on `admin_url`'s server, reached through a relay to `target`.
async fn through_relay(admin_url: &str, target: &'static str) -> (SeaStore, Relay) {
    let name = format!(
        "gproxy_outage_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default()
    );
    let admin = Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {admin_url} (run scripts/services): {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let relay = Relay::start(target).await;
    let (scheme, rest) = admin_url.split_once("://").expect("url");
    let user = rest.split_once('@').map_or("", |(u, _)| u);
    let dsn = format!("{scheme}://{user}@127.0.0.1:{}/{name}", relay.port);
    let options = DbOptions {
        pool_timeout: Duration::from_secs(2),
        ..DbOptions::default()
    };
    let store = SeaStore::connect_with(
        &dsn,
        Sealer::from_base64(MASTER_KEY).expect("key"),
        &options,
    )
    .await
    .expect("connect through the relay");
    (store, relay)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn records_survive_an_outage(admin_url: &str, target: &'static str) {
    let (store, relay) = through_relay(admin_url, target).await;
    let store: Arc<dyn Store> = Arc::new(store);
    let dir = tempfile::tempdir().expect("dir");
    let spill = dir.path().join("spill.jsonl");
    let config = QueueConfig {
        capacity: 256,
        max_batch: 8,
        window: Duration::from_millis(5),
    };
    let (tracker, cancel) = (TaskTracker::new(), CancellationToken::new());
    let queue =
        WriteQueue::start_with_spill(Arc::clone(&store), config, &spill, &tracker, cancel.clone())
            .expect("queue");
    for i in 0..20 {
        queue.push(usage(i)).await;
    }
    queue.flush().await;
    assert!(!queue.status().degraded());

    relay.down();
    for i in 20..60 {
        queue.push(usage(i)).await;
        queue.push(upstream(i)).await;
    }
    queue.flush().await;
    assert!(queue.status().degraded(), "an outage shows");
    assert_eq!(
        queue.status().spilled(),
        80,
        "every record of the outage is spilled"
    );
    assert!(std::fs::metadata(&spill).expect("spill").len() > 0);

    relay.restore();
    wait_for("the replay", || {
        queue.status().spilled() == 0 && !queue.status().degraded()
    })
    .await;
    let usages = store.recent_usages(1000).await.expect("usages");
    let mut ids: Vec<&str> = usages.iter().map(|u| u.request_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(usages.len(), 60, "none lost, none doubled");
    assert_eq!(ids.len(), 60);
    assert_eq!(store.recent_upstream(1000).await.expect("up").len(), 40);
    assert_eq!(std::fs::metadata(&spill).expect("spill").len(), 0);

    // A batch whose commit landed though its answer was lost is replayed: nothing doubles.
    store
        .replay_records(&[usage(3), upstream(30), usage(60)])
        .await
        .expect("replay");
    assert_eq!(store.recent_usages(1000).await.expect("usages").len(), 61);
    assert_eq!(store.recent_upstream(1000).await.expect("up").len(), 40);

    // Shutdown mid-outage: what is queued is spilled, and the next start replays it.
    relay.down();
    for i in 100..110 {
        queue.push(usage(i)).await;
    }
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
    assert!(
        std::fs::metadata(&spill).expect("spill").len() > 0,
        "kept for the next start"
    );
    assert_eq!(
        std::fs::metadata(dir.path().join("journal.jsonl"))
            .expect("journal")
            .len(),
        0,
        "a spilled batch leaves the journal"
    );
    relay.restore();
    let (tracker, cancel) = (TaskTracker::new(), CancellationToken::new());
    let queue =
        WriteQueue::start_with_spill(Arc::clone(&store), config, &spill, &tracker, cancel.clone())
            .expect("queue");
    assert_eq!(queue.status().spilled(), 10, "found at start");
    wait_for("the replay at start", || queue.status().spilled() == 0).await;
    assert_eq!(store.recent_usages(1000).await.expect("usages").len(), 71);
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
}

#[tokio::test]
async fn postgres_records_survive_an_outage() {
    let admin = std::env::var("GPROXY_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    records_survive_an_outage(&admin, "127.0.0.1:5432").await;
}

#[tokio::test]
async fn mysql_records_survive_an_outage() {
    let admin = std::env::var("GPROXY_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    records_survive_an_outage(&admin, "127.0.0.1:3306").await;
}

/// A process killed mid-commit leaves its batch in the journal: the next start replays it,
/// storing what the cut transaction did not and nothing twice.
#[tokio::test]
async fn a_batch_left_in_the_journal_is_replayed_at_start() {
    let db = crate::backends::sqlite().await;
    let store = Arc::clone(&db.store);
    store
        .write_records(&[usage(1)])
        .await
        .expect("committed before the kill");
    let dir = tempfile::tempdir().expect("dir");
    let spill = dir.path().join("spill.jsonl");
    let line = serde_json::to_string(&[usage(1), usage(2), upstream(2)]).expect("json");
    std::fs::write(dir.path().join("journal.jsonl"), format!("{line}\n")).expect("journal");

    let (tracker, cancel) = (TaskTracker::new(), CancellationToken::new());
    let config = QueueConfig::default();
    let queue =
        WriteQueue::start_with_spill(Arc::clone(&store), config, &spill, &tracker, cancel.clone())
            .expect("queue");
    wait_for("the replay", || queue.status().spilled() == 0).await;
    queue.push(usage(3)).await;
    queue.flush().await;
    let mut ids: Vec<String> = store
        .recent_usages(10)
        .await
        .expect("usages")
        .into_iter()
        .map(|u| u.request_id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["req-1", "req-2", "req-3"]);
    assert_eq!(store.recent_upstream(10).await.expect("up").len(), 1);
    assert_eq!(
        std::fs::metadata(dir.path().join("journal.jsonl"))
            .expect("journal")
            .len(),
        0,
        "the journal is empty between batches"
    );
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
}
