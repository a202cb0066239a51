//! The write path's sustained throughput: records pushed through the [`WriteQueue`] (default
//! sizing: 4,096 queued, batches of up to 1,024 gathered for 25 ms; each batch journaled while
//! its transaction runs, as the server does) into a real store, as fast as the store takes
//! them. Each simulated request makes three records (usage, downstream
//! and upstream log entries, bodies off), as the gateway writes them.
//!
//! `cargo run --release -p gproxy-storage --example write_path -- BACKEND TARGET [REQUESTS]`
//! with BACKEND `db` (TARGET a DSN: sqlite:, postgres:, mysql:, on an empty database) or
//! `file` (TARGET a new directory). Prints one JSON line: records, seconds, records_per_sec.

#![allow(clippy::print_stdout)] // the result line is the output

use gproxy_storage::model::{DownstreamRecord, Record, UpstreamRecord, UsageRecord};
use gproxy_storage::{FileStore, QueueConfig, SeaStore, Sealer, Store, WriteQueue, now_ms};
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

fn records(i: usize) -> [Record; 3] {
    let request_id = format!("bench-{i:08}");
    let created_at = now_ms();
    [
        Record::Usage(UsageRecord {
            request_id: request_id.clone(),
            created_at,
            user_id: Some(1),
            user_key_id: Some(1),
            provider: "openai-main".into(),
            credential_id: Some(1),
            model: "gpt-4.1".into(),
            operation: "chat_completions".into(),
            protocol: "openai".into(),
            status: 200,
            stream: true,
            complete: true,
            latency_ms: 120,
            ttfb_ms: Some(40),
            input_tokens: 1_200,
            output_tokens: 300,
            ..Default::default()
        }),
        Record::Downstream(DownstreamRecord {
            request_id: request_id.clone(),
            created_at,
            user_id: Some(1),
            user_key_id: Some(1),
            method: "POST".into(),
            path: "/v1/chat/completions".into(),
            status: 200,
            latency_ms: 120,
            ..Default::default()
        }),
        Record::Upstream(UpstreamRecord {
            request_id,
            created_at,
            provider: "openai-main".into(),
            credential_id: Some(1),
            method: "POST".into(),
            url: "https://api.openai.com/v1/chat/completions".into(),
            status: Some(200),
            latency_ms: 110,
            ..Default::default()
        }),
    ]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (backend, target) = match (args.first(), args.get(1)) {
        (Some(b), Some(t)) => (b.as_str(), t.as_str()),
        _ => return Err("usage: write_path db|file TARGET [REQUESTS]".into()),
    };
    let requests: usize = args.get(2).map_or(Ok(50_000), |n| n.parse())?;
    let store: Arc<dyn Store> = match backend {
        "db" => Arc::new(SeaStore::connect(target, Sealer::plaintext()).await?),
        "file" => {
            let store = FileStore::open(std::path::Path::new(target), Sealer::plaintext())?;
            store.migrate().await?;
            Arc::new(store)
        }
        other => return Err(format!("unknown backend {other}").into()),
    };
    let (tracker, cancel) = (TaskTracker::new(), CancellationToken::new());
    let spill_dir = std::env::temp_dir().join(format!("gproxy-write-path-{}", std::process::id()));
    std::fs::create_dir_all(&spill_dir)?;
    let queue = WriteQueue::start_with_spill(
        Arc::clone(&store),
        QueueConfig::default(),
        &spill_dir.join("spill.jsonl"),
        &tracker,
        cancel.clone(),
    )?;
    let start = Instant::now();
    for i in 0..requests {
        for record in records(i) {
            queue.push(record).await;
        }
    }
    queue.flush().await;
    let seconds = start.elapsed().as_secs_f64();
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
    std::fs::remove_dir_all(&spill_dir)?;
    let stored = store.recent_usages(requests as u64 + 1).await?.len();
    if stored != requests {
        return Err(format!("{stored} usage rows stored of {requests}").into());
    }
    let records = requests * 3;
    println!(
        "{{\"records\": {records}, \"seconds\": {seconds:.3}, \"records_per_sec\": {:.0}}}",
        records as f64 / seconds
    );
    Ok(())
}
