//! Usage rollups and summaries on every backend: under concurrent writers (the same rollup
//! key first written by several at once) every summary, at each granularity and grouping,
//! equals the same aggregation computed here from the raw usage rows, to the token and
//! nano-USD; replays add nothing twice; retention keeps rollups; and migration 8 backfills
//! them from the usages of an older database.

use crate::backends::{Backend, TestDb, sealer};
use gproxy_storage::Store;
use gproxy_storage::model::{Prune, Record, UsageFilter, UsageRecord, UsageRow};
use gproxy_storage::summary::{DAY_MS, Granularity, GroupKey, HOUR_MS, SummaryQuery, SummaryRow};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A day boundary (2023-11-15 00:00 UTC): the records spread over the three days after it.
const T0: i64 = 1_700_006_400_000;

/// Record `i` of writer `task`'s batch `batch`: users, keys, providers, models (two differing
/// only in case), statuses, tokens and priced or unpriced costs varied across 72 hours.
fn record(task: usize, batch: usize, i: usize) -> Record {
    let n = (task * 1_000 + batch * 100 + i) as i64;
    let user = (n % 4 != 0).then_some(n % 3 + 1);
    Record::Usage(UsageRecord {
        request_id: format!("t{task}-b{batch}-{i}"),
        created_at: T0 + (n * 7_919 % 72) * HOUR_MS + n * 13 % HOUR_MS,
        user_id: user,
        user_key_id: user.map(|u| u * 10 + n % 2),
        provider: ["p-a", "p-b"][(n % 2) as usize].into(),
        model: ["m-1", "M-1", "m-2"][(n % 3) as usize].into(),
        operation: "chat_completions".into(),
        protocol: "openai".into(),
        status: if n % 5 == 0 { 429 } else { 200 },
        input_tokens: 100 + n,
        output_tokens: 2 * n,
        cache_read_tokens: n % 7,
        cache_write_tokens: n % 11,
        reasoning_tokens: n % 5,
        cost_nano: (n % 3 != 0).then_some(1_000_000_007 * n),
        ..Default::default()
    })
}

/// The same record from every writer: one rollup key (hour, user, key, provider, model,
/// status) that nothing else touches, first written by all of them at once.
fn contested(task: usize) -> Record {
    Record::Usage(UsageRecord {
        request_id: format!("contested-{task}"),
        created_at: T0 + 80 * HOUR_MS + task as i64,
        user_id: Some(9),
        user_key_id: Some(90),
        provider: "p-x".into(),
        model: "m-x".into(),
        status: 200,
        input_tokens: 1_000,
        output_tokens: 10,
        cost_nano: Some(5),
        ..Default::default()
    })
}

const TASKS: usize = 8;
const BATCHES: usize = 5;
const PER_BATCH: usize = 40;

/// Every raw usage row.
async fn raw(store: &dyn Store) -> Vec<UsageRow> {
    store
        .usages(&UsageFilter::default(), None, 1_000_000)
        .await
        .expect("usages")
}

/// The summary `q` asks for, computed from raw rows.
fn expected(raw: &[UsageRow], q: &SummaryQuery) -> Vec<SummaryRow> {
    let floor = |ms: i64, w: i64| ms - ms.rem_euclid(w);
    let from = q.from_ms.map(|f| floor(f, HOUR_MS));
    let to = q.to_ms.map(|t| floor(t, HOUR_MS));
    let by = |k| q.group_by.contains(&k);
    let mut groups: BTreeMap<_, SummaryRow> = BTreeMap::new();
    for r in raw {
        let wanted = from.is_none_or(|f| r.created_at >= f)
            && to.is_none_or(|t| r.created_at < t)
            && q.user_id.is_none_or(|u| r.user_id == Some(u))
            && q.key_id.is_none_or(|k| r.user_key_id == Some(k))
            && q.provider.as_ref().is_none_or(|p| &r.provider == p)
            && q.model.as_ref().is_none_or(|m| &r.model == m)
            && q.status.is_none_or(|s| r.status == s);
        if !wanted {
            continue;
        }
        let bucket_start = match q.granularity {
            Granularity::Hour => Some(floor(r.created_at, HOUR_MS)),
            Granularity::Day => Some(floor(r.created_at, DAY_MS)),
            Granularity::Total => None,
        };
        let row = SummaryRow {
            bucket_start,
            user_id: r.user_id.filter(|_| by(GroupKey::User)),
            key_id: r.user_key_id.filter(|_| by(GroupKey::Key)),
            provider: by(GroupKey::Provider).then(|| r.provider.clone()),
            model: by(GroupKey::Model).then(|| r.model.clone()),
            ..Default::default()
        };
        let key = (
            row.bucket_start,
            row.user_id,
            row.key_id,
            row.provider.clone(),
            row.model.clone(),
        );
        let sum = groups.entry(key).or_insert(row);
        sum.requests += 1;
        sum.input_tokens += r.input_tokens;
        sum.output_tokens += r.output_tokens;
        sum.cache_read_tokens += r.cache_read_tokens;
        sum.cache_write_tokens += r.cache_write_tokens;
        sum.reasoning_tokens += r.reasoning_tokens;
        sum.cost_nano += r.cost_nano.unwrap_or(0);
    }
    groups.into_values().collect()
}

/// Every `group_by` subset, in a fixed order.
fn groupings() -> Vec<Vec<GroupKey>> {
    let keys = [
        GroupKey::User,
        GroupKey::Key,
        GroupKey::Provider,
        GroupKey::Model,
    ];
    (0..16u8)
        .map(|mask| {
            keys.iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, k)| *k)
                .collect()
        })
        .collect()
}

/// The queries compared: every granularity × grouping over the whole range, whole days, and
/// bounds inside hours (partial days at both ends), with and without filters.
fn queries() -> Vec<SummaryQuery> {
    let ranges = [
        (None, None),
        (Some(T0 + DAY_MS), Some(T0 + 2 * DAY_MS)),
        (
            Some(T0 + 5 * HOUR_MS + 123),
            Some(T0 + 2 * DAY_MS + 7 * HOUR_MS + 5),
        ),
    ];
    let filters = [
        SummaryQuery::default(),
        SummaryQuery {
            user_id: Some(2),
            ..Default::default()
        },
        SummaryQuery {
            key_id: Some(31),
            provider: Some("p-b".into()),
            model: Some("M-1".into()),
            status: Some(200),
            ..Default::default()
        },
    ];
    let mut out = Vec::new();
    for granularity in [Granularity::Hour, Granularity::Day, Granularity::Total] {
        for group_by in groupings() {
            for (from_ms, to_ms) in ranges {
                for f in &filters {
                    out.push(SummaryQuery {
                        group_by: group_by.clone(),
                        granularity,
                        from_ms,
                        to_ms,
                        ..f.clone()
                    });
                }
            }
        }
    }
    out
}

/// Asserts every query of [`queries`] answers as the raw rows say; returns how many rows
/// the answers held (so a caller can tell they were not all empty).
async fn assert_consistent(store: &dyn Store, raw: &[UsageRow]) -> usize {
    let mut rows = 0;
    for q in queries() {
        let got = store.usage_summary(&q).await.expect("summary");
        assert_eq!(got, expected(raw, &q), "{q:?}");
        rows += got.len();
    }
    rows
}

fn total(group_by: Vec<GroupKey>) -> SummaryQuery {
    SummaryQuery {
        group_by,
        granularity: Granularity::Total,
        ..Default::default()
    }
}

pub async fn concurrent_writers_keep_rollups_equal_to_raw(db: TestDb) {
    let start = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut writers = Vec::new();
    for task in 0..TASKS {
        let (store, start) = (Arc::clone(&db.store), Arc::clone(&start));
        writers.push(tokio::spawn(async move {
            for batch in 0..BATCHES {
                let mut records: Vec<Record> =
                    (0..PER_BATCH).map(|i| record(task, batch, i)).collect();
                if batch == 0 {
                    records.insert(0, contested(task));
                    start.wait().await;
                }
                store.write_records(&records).await.expect("write");
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    let raw_rows = raw(db.store.as_ref()).await;
    assert_eq!(raw_rows.len(), TASKS * (BATCHES * PER_BATCH + 1));

    // The contested key counts every writer's row.
    let contested_hour = SummaryQuery {
        group_by: vec![GroupKey::Key],
        granularity: Granularity::Hour,
        provider: Some("p-x".into()),
        ..Default::default()
    };
    let got = db
        .store
        .usage_summary(&contested_hour)
        .await
        .expect("summary");
    assert_eq!(
        got,
        [SummaryRow {
            bucket_start: Some(T0 + 80 * HOUR_MS),
            key_id: Some(90),
            requests: TASKS as i64,
            input_tokens: 1_000 * TASKS as i64,
            output_tokens: 10 * TASKS as i64,
            cost_nano: 5 * TASKS as i64,
            ..Default::default()
        }]
    );
    // No user or key reads as none; a filter with no match answers nothing.
    let by_user = db
        .store
        .usage_summary(&total(vec![GroupKey::User]))
        .await
        .expect("summary");
    assert_eq!(
        by_user.iter().map(|r| r.user_id).collect::<Vec<_>>(),
        [None, Some(1), Some(2), Some(3), Some(9)]
    );
    let nothing = SummaryQuery {
        model: Some("no-such-model".into()),
        ..Default::default()
    };
    assert!(
        db.store
            .usage_summary(&nothing)
            .await
            .expect("summary")
            .is_empty()
    );

    let rows = assert_consistent(db.store.as_ref(), &raw_rows).await;
    assert!(rows > 1_000, "the answers hold data: {rows} rows");
    // The same after a restart (the file backend rebuilds its rollups from its files).
    let db = db.reopen(sealer()).await;
    assert_consistent(db.store.as_ref(), &raw_rows).await;
}

pub async fn replays_do_not_count_twice(db: TestDb) {
    let first: Vec<Record> = (0..30).map(|i| record(1, 0, i)).collect();
    db.store.write_records(&first).await.expect("write");
    let before = db
        .store
        .usage_summary(&total(vec![GroupKey::User, GroupKey::Model]))
        .await
        .expect("summary");
    db.store.replay_records(&first).await.expect("replay");
    let after = db
        .store
        .usage_summary(&total(vec![GroupKey::User, GroupKey::Model]))
        .await
        .expect("summary");
    assert_eq!(after, before, "a stored batch replayed changes nothing");
    // Half stored, half new: only the new half counts.
    let mixed: Vec<Record> = (15..60).map(|i| record(1, 0, i)).collect();
    db.store.replay_records(&mixed).await.expect("replay");
    let raw_rows = raw(db.store.as_ref()).await;
    assert_eq!(raw_rows.len(), 60);
    assert_consistent(db.store.as_ref(), &raw_rows).await;
}

/// The summaries the retention test follows.
fn kept_queries() -> [SummaryQuery; 3] {
    [
        total(vec![GroupKey::Model]),
        SummaryQuery {
            group_by: vec![GroupKey::User],
            granularity: Granularity::Day,
            ..Default::default()
        },
        SummaryQuery {
            granularity: Granularity::Hour,
            ..Default::default()
        },
    ]
}

async fn kept_answers(store: &dyn Store) -> Vec<Vec<SummaryRow>> {
    let mut out = Vec::new();
    for q in kept_queries() {
        out.push(store.usage_summary(&q).await.expect("summary"));
    }
    out
}

pub async fn retention_keeps_rollups(db: TestDb) {
    let old: Vec<Record> = (0..50).map(|i| record(2, 0, i)).collect();
    db.store.write_records(&old).await.expect("write");
    let mut all_rows = raw(db.store.as_ref()).await;
    let before = kept_answers(db.store.as_ref()).await;
    for (q, got) in kept_queries().iter().zip(&before) {
        assert_eq!(got, &expected(&all_rows, q), "{q:?}");
    }
    let mut pruned = 0;
    loop {
        let n = db
            .store
            .prune(Prune::Usages, T0 + 10 * DAY_MS, 16)
            .await
            .expect("prune");
        if n == 0 {
            break;
        }
        pruned += n;
    }
    assert_eq!(pruned, 50);
    assert!(
        raw(db.store.as_ref()).await.is_empty(),
        "the raw rows are gone"
    );
    // The rollups stay, across a restart too.
    assert_eq!(kept_answers(db.store.as_ref()).await, before);
    let db = db.reopen(sealer()).await;
    assert_eq!(kept_answers(db.store.as_ref()).await, before, "restarted");
    // New usage adds to them: the pruned rows and the new ones, after another restart.
    db.store
        .write_records(&[record(2, 1, 0), record(2, 1, 1)])
        .await
        .expect("write");
    let db = db.reopen(sealer()).await;
    all_rows.extend(raw(db.store.as_ref()).await);
    for q in kept_queries() {
        let got = db.store.usage_summary(&q).await.expect("summary");
        assert_eq!(got, expected(&all_rows, &q), "{q:?}");
    }
}

/// Brings a store's database back to schema version 7 with its usages kept: the tracker
/// rows from 8 on dropped and the stamp set back, and unless `keep_table`, the rollup table
/// dropped (on the file backend: the snapshot removed; its memory is rebuilt at the next
/// open). With `keep_table`, migrating again syncs the schema over the existing table.
async fn back_to_version_7(db: &TestDb, keep_table: bool) {
    if db.backend == Backend::File {
        let dir = std::path::PathBuf::from(&db.dsn);
        if !keep_table {
            let _ = std::fs::remove_file(dir.join("usage_rollups.json"));
        }
        std::fs::write(
            dir.join("schema_version.json"),
            r#"{"version": 7, "applied_at": 1}"#,
        )
        .expect("stamp 7");
        return;
    }
    let conn = db.sea().connection();
    let key = if db.backend == Backend::Mysql {
        "`key`"
    } else {
        "\"key\""
    };
    let drop = if keep_table {
        "SELECT 1"
    } else {
        "DROP TABLE usage_rollups"
    };
    for sql in [
        drop.to_owned(),
        "DELETE FROM schema_migrations WHERE version >= 8".to_owned(),
        format!("UPDATE instance_settings SET value = '7' WHERE {key} = 'schema_version'"),
    ] {
        sea_orm::ConnectionTrait::execute_unprepared(conn, &sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

pub async fn migration_8_backfills_rollups_from_usages(db: TestDb) {
    let records: Vec<Record> = (0..4)
        .flat_map(|batch| (0..60).map(move |i| record(3, batch, i)))
        .collect();
    db.store.write_records(&records).await.expect("write");
    let backend = db.backend;
    let mut db = db;
    // First from a database without the table, then once more over the existing table (as
    // when a later migration is pending): the backfill rebuilds, the key still upserts.
    for (round, keep_table) in [false, true].into_iter().enumerate() {
        back_to_version_7(&db, keep_table).await;
        let states = db.store.migrations().await.expect("states");
        assert_eq!(gproxy_storage::migrate::current(&states), 7, "{states:?}");
        let ran = db.store.migrate().await.expect("migrate");
        assert_eq!(ran.first(), Some(&8), "{backend:?}: {ran:?}");
        db = db.reopen(sealer()).await;
        let raw_rows = raw(db.store.as_ref()).await;
        assert_eq!(raw_rows.len(), 240 + 20 * round);
        assert_consistent(db.store.as_ref(), &raw_rows).await;
        // Writes after the upgrade add to the backfilled rollups.
        let more: Vec<Record> = (0..20).map(|i| record(4, round, i)).collect();
        db.store.write_records(&more).await.expect("write");
        let raw_rows = raw(db.store.as_ref()).await;
        assert_consistent(db.store.as_ref(), &raw_rows).await;
    }
}

macro_rules! on_every_backend {
    ($($backend:ident),*: $tests:tt) => {
        $(on_every_backend!(@one $backend $tests);)*
    };
    (@one $backend:ident [$($test:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(crate::backends::$backend().await).await;
                }
            )*
        }
    };
}

on_every_backend!(sqlite, postgres, mysql, file: [
    concurrent_writers_keep_rollups_equal_to_raw,
    replays_do_not_count_twice,
    retention_keeps_rollups,
    migration_8_backfills_rollups_from_usages,
]);
