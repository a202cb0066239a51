//! The usage summary's latency over a large usage table: fills a store with ROWS usage rows
//! (`write_records` in batches of 10,000, which maintains the rollups as the gateway's write
//! queue does) spread over 30 days in time order, 50 users with 2 keys each, 4 providers with 5 models
//! each, then times typical console summaries ([`Store::usage_summary`], from the rollups).
//!
//! `cargo run --release -p gproxy-storage --example usage_summary -- BACKEND TARGET [ROWS]
//! [realistic|uniform]` with BACKEND `db` (TARGET a DSN on an empty database) or `file`
//! (TARGET a new directory). `realistic`: each key uses 3 of the models (most traffic on
//! one), 95% of requests answered 200, 3% 429, 2% 500; `uniform` (a worst case for rollups):
//! every request's key, model and status drawn uniformly. Prints one JSON line.

#![allow(clippy::print_stdout)] // the result line is the output

use gproxy_storage::model::{Record, UsageRecord};
use gproxy_storage::summary::{DAY_MS, Granularity, GroupKey, HOUR_MS, SummaryQuery};
use gproxy_storage::{FileStore, SeaStore, Sealer, Store};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// 2026-10-01 00:00 UTC: day 0 of the 30 days filled.
const T0: i64 = 1_790_812_800_000;
const DAYS: i64 = 30;
const USERS: i64 = 50;
const KEYS: i64 = 100;
const PROVIDERS: [&str; 4] = ["openai", "anthropic", "gemini", "deepseek"];
const MODELS_PER_PROVIDER: i64 = 5;
const BATCH: usize = 10_000;
/// Timed runs per query (after two warm-up runs).
const RUNS: usize = 30;

/// A small deterministic generator (xorshift64*), so every run fills the same rows.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: i64) -> i64 {
        (self.next() % n as u64) as i64
    }
}

fn usage(i: usize, rows: usize, rng: &mut Rng, uniform: bool) -> Record {
    let models = PROVIDERS.len() as i64 * MODELS_PER_PROVIDER;
    let key = rng.below(KEYS) + 1;
    let model = if uniform {
        rng.below(models)
    } else {
        // Each key uses three models, the first for most of its traffic.
        let pick = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2][rng.below(10) as usize];
        (key * 7 + pick * 3) % models
    };
    let status = if uniform {
        [200, 429, 500][rng.below(3) as usize]
    } else {
        match rng.below(100) {
            0..95 => 200,
            95..98 => 429,
            _ => 500,
        }
    };
    let ok = status == 200;
    let input = if ok { 200 + rng.below(4_000) } else { 0 };
    let cache_read = if ok { rng.below(input / 2 + 1) } else { 0 };
    let output = if ok { 20 + rng.below(800) } else { 0 };
    Record::Usage(UsageRecord {
        request_id: format!("bench-{i:09}"),
        // In time order, as traffic arrives (a batch spans a few hours), with jitter.
        created_at: T0
            + (i as i64 * DAYS * DAY_MS / rows as i64 + rng.below(60_000)).min(DAYS * DAY_MS - 1),
        user_id: Some((key - 1) % USERS + 1),
        user_key_id: Some(key),
        provider: PROVIDERS[(model / MODELS_PER_PROVIDER) as usize].into(),
        credential_id: Some(1),
        model: format!("model-{model:02}"),
        operation: "chat_completions".into(),
        protocol: "openai".into(),
        status,
        stream: true,
        complete: true,
        latency_ms: 300 + rng.below(2_000),
        ttfb_ms: Some(100),
        input_tokens: input,
        output_tokens: output,
        cache_read_tokens: cache_read,
        reasoning_tokens: output / 4,
        // Some models have no price: their cost is unknown (counts 0).
        cost_nano: (model % 7 != 6 && ok).then(|| input * 2_500 + output * 10_000),
        ..Default::default()
    })
}

/// The console's typical summaries, by name.
fn queries() -> Vec<(&'static str, SummaryQuery)> {
    let q = |group_by: Vec<GroupKey>, granularity, from_ms, to_ms| SummaryQuery {
        group_by,
        granularity,
        from_ms,
        to_ms,
        ..Default::default()
    };
    let month = (Some(T0), Some(T0 + DAYS * DAY_MS));
    vec![
        (
            "total by user (all time)",
            q(vec![GroupKey::User], Granularity::Total, None, None),
        ),
        (
            "day by model (30 days)",
            q(vec![GroupKey::Model], Granularity::Day, month.0, month.1),
        ),
        (
            "hour by provider (one day)",
            q(
                vec![GroupKey::Provider],
                Granularity::Hour,
                Some(T0 + 15 * DAY_MS),
                Some(T0 + 16 * DAY_MS),
            ),
        ),
        (
            "total by user, model (all time)",
            q(
                vec![GroupKey::User, GroupKey::Model],
                Granularity::Total,
                None,
                None,
            ),
        ),
        (
            "total by model, bounds inside hours (days 3-20)",
            q(
                vec![GroupKey::Model],
                Granularity::Total,
                Some(T0 + 3 * DAY_MS + 5 * HOUR_MS + 17),
                Some(T0 + 20 * DAY_MS + 7 * HOUR_MS + 5),
            ),
        ),
        (
            "one user: day by model (30 days)",
            SummaryQuery {
                user_id: Some(7),
                ..q(vec![GroupKey::Model], Granularity::Day, month.0, month.1)
            },
        ),
    ]
}

/// Minimum, median and 95th percentile of `ms`.
fn stats(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    (at(0.0), at(0.5), at(0.95))
}

/// The same total-by-user summary computed by scanning the raw rows, for comparison.
async fn raw_scan_ms(sea: &SeaStore) -> Result<f64, Box<dyn std::error::Error>> {
    let db = sea.connection();
    let sql = "SELECT user_id, COUNT(*), SUM(input_tokens), SUM(output_tokens), \
               SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), \
               SUM(COALESCE(cost_nano, 0)) FROM usages GROUP BY user_id";
    let mut runs = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await?;
        runs.push(start.elapsed().as_secs_f64() * 1e3);
    }
    Ok(stats(runs).1)
}

/// Rollup rows per granularity (SQL backends).
async fn rollup_rows(sea: &SeaStore) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let db = sea.connection();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT granularity, COUNT(*) AS n FROM usage_rollups GROUP BY granularity",
        ))
        .await?;
    let mut out = serde_json::Map::new();
    for row in rows {
        let g: String = row.try_get("", "granularity")?;
        let n: i64 = row.try_get("", "n")?;
        out.insert(g, n.into());
    }
    Ok(out.into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (backend, target) = match (args.first(), args.get(1)) {
        (Some(b), Some(t)) => (b.as_str(), t.as_str()),
        _ => return Err("usage: usage_summary db|file TARGET [ROWS] [realistic|uniform]".into()),
    };
    let rows: usize = args.get(2).map_or(Ok(1_000_000), |n| n.parse())?;
    let uniform = match args.get(3).map(String::as_str) {
        None | Some("realistic") => false,
        Some("uniform") => true,
        Some(other) => return Err(format!("unknown distribution {other}").into()),
    };
    let (store, sea): (Arc<dyn Store>, Option<SeaStore>) = match backend {
        "db" => {
            let sea = SeaStore::connect(target, Sealer::plaintext()).await?;
            (Arc::new(sea.clone()), Some(sea))
        }
        "file" => {
            let store = FileStore::open(std::path::Path::new(target), Sealer::plaintext())?;
            store.migrate().await?;
            (Arc::new(store), None)
        }
        other => return Err(format!("unknown backend {other}").into()),
    };

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = Instant::now();
    let mut written = 0;
    while written < rows {
        let n = BATCH.min(rows - written);
        let batch: Vec<Record> = (written..written + n)
            .map(|i| usage(i, rows, &mut rng, uniform))
            .collect();
        store.write_records(&batch).await?;
        written += n;
    }
    let fill_seconds = start.elapsed().as_secs_f64();

    // The summaries answer for every row written.
    let all = store.usage_summary(&SummaryQuery::default()).await?;
    let counted = all.first().map_or(0, |r| r.requests);
    if counted != rows as i64 {
        return Err(format!("the summary counts {counted} requests of {rows}").into());
    }

    let mut results = Vec::new();
    for (name, q) in queries() {
        let mut ms = Vec::with_capacity(RUNS);
        let mut answer_rows = 0;
        for run in 0..RUNS + 2 {
            let start = Instant::now();
            let answer = store.usage_summary(&q).await?;
            let elapsed = start.elapsed().as_secs_f64() * 1e3;
            answer_rows = answer.len();
            if run >= 2 {
                ms.push(elapsed);
            }
        }
        let (min, median, p95) = stats(ms);
        results.push(json!({
            "query": name, "rows": answer_rows, "min_ms": min, "median_ms": median, "p95_ms": p95,
        }));
    }
    let (rollups, raw_ms) = match &sea {
        Some(sea) => (rollup_rows(sea).await?, Some(raw_scan_ms(sea).await?)),
        None => (serde_json::Value::Null, None),
    };
    println!(
        "{}",
        json!({
            "rows": rows,
            "distribution": if uniform { "uniform" } else { "realistic" },
            "fill_seconds": fill_seconds,
            "rollup_rows": rollups,
            "raw_scan_total_by_user_ms": raw_ms,
            "queries": results,
        })
    );
    Ok(())
}
