//! Time-ordered listings on every backend: usage records and request logs come newest first
//! by creation time (ties by id), whatever order the write queue stored them in, and paging
//! by [`TimeCursor`] visits each row exactly once, filters applied.

use crate::backends::TestDb;
use gproxy_storage::model::*;

/// Creation times out of write order, with ties: what a queue draining requests that
/// finished out of order writes. Index `i` is written `i`-th.
const TIMES: [i64; 9] = [
    5_000, 3_000, 5_000, 9_000, 1_000, 3_000, 7_000, 5_000, 2_000,
];

/// `TIMES` in listing order as (time, write index): time descending, later write first on a
/// tie (ids grow with writes).
fn expected(keep: impl Fn(usize) -> bool) -> Vec<(i64, usize)> {
    let mut rows: Vec<(i64, usize)> = TIMES
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(i, t)| (*t, i))
        .collect();
    rows.sort_by(|a, b| b.cmp(a));
    rows
}

/// Every page of `limit` rows of a listing, following the cursor from the last row.
async fn all_pages<R>(
    limit: u64,
    page: impl AsyncFn(Option<TimeCursor>) -> Vec<R>,
    key: impl Fn(&R) -> TimeCursor,
) -> Vec<Vec<R>> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let rows = page(cursor).await;
        assert!(rows.len() as u64 <= limit);
        cursor = rows.last().map(&key);
        let full = rows.len() as u64 == limit;
        pages.push(rows);
        if !full {
            return pages;
        }
    }
}

pub async fn usage_lists_by_time_then_id(db: TestDb) {
    let batch: Vec<Record> = TIMES
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Record::Usage(UsageRecord {
                request_id: format!("u-{i}"),
                created_at: *t,
                user_id: Some(1 + (i as i64) % 2),
                provider: "p".into(),
                model: "m".into(),
                ..Default::default()
            })
        })
        .collect();
    db.store.write_records(&batch).await.expect("write");
    let names = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        expected(keep)
            .into_iter()
            .map(|(_, i)| format!("u-{i}"))
            .collect()
    };
    for (filter, keep) in [
        (
            UsageFilter::default(),
            &(|_| true) as &dyn Fn(usize) -> bool,
        ),
        (
            UsageFilter {
                user_id: Some(1),
                ..UsageFilter::default()
            },
            &|i| i % 2 == 0,
        ),
        (
            UsageFilter {
                from_ms: Some(3_000),
                to_ms: Some(7_001),
                ..UsageFilter::default()
            },
            &|i| (3_000..7_001).contains(&TIMES[i]),
        ),
    ] {
        let store = db.store.clone();
        let f = filter.clone();
        let pages = all_pages(
            2,
            async |before| store.usages(&f, before, 2).await.expect("page"),
            |r: &UsageRow| TimeCursor {
                created_at: r.created_at,
                id: r.id,
            },
        )
        .await;
        let listed: Vec<String> = pages.into_iter().flatten().map(|r| r.request_id).collect();
        assert_eq!(listed, names(keep), "{filter:?}");
    }
}

pub async fn request_logs_list_by_time_then_id(db: TestDb) {
    let batch: Vec<Record> = TIMES
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Record::Downstream(DownstreamRecord {
                request_id: format!("d-{i}"),
                created_at: *t,
                method: "POST".into(),
                path: "/v1/messages".into(),
                status: if i % 3 == 0 { 429 } else { 200 },
                ..Default::default()
            })
        })
        .collect();
    db.store.write_records(&batch).await.expect("write");
    for (filter, keep) in [
        (LogFilter::default(), &(|_| true) as &dyn Fn(usize) -> bool),
        (
            LogFilter {
                status: Some(200),
                ..LogFilter::default()
            },
            &|i| i % 3 != 0,
        ),
    ] {
        let store = db.store.clone();
        let f = filter.clone();
        let pages = all_pages(
            3,
            async |before| store.request_logs(&f, before, 3).await.expect("page"),
            |r: &DownstreamRow| TimeCursor {
                created_at: r.created_at,
                id: r.id,
            },
        )
        .await;
        let listed: Vec<String> = pages.into_iter().flatten().map(|r| r.request_id).collect();
        let want: Vec<String> = expected(keep)
            .into_iter()
            .map(|(_, i)| format!("d-{i}"))
            .collect();
        assert_eq!(listed, want, "{filter:?}");
    }
}

every_backend!(
    usage_lists_by_time_then_id,
    request_logs_list_by_time_then_id
);

/// On SQLite the listings' orders come from an index, unfiltered and per user, with or
/// without a cursor: no query plan sorts the rows (a "TEMP B-TREE"), so a page reads index
/// entries in order and stops at `limit`; migration 10's per-user indexes exist.
#[tokio::test]
async fn sqlite_listings_read_their_order_from_an_index() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = crate::backends::sqlite().await;
    let conn = db.sea().connection();
    // Migration 10's indexes, which the planner may take for a user's listing.
    let indexes: Vec<String> = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%-user-time'",
        ))
        .await
        .expect("indexes")
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .collect();
    assert_eq!(
        indexes,
        ["idx-usages-user-time", "idx-downstream_requests-user-time"]
    );
    for table in ["usages", "downstream_requests"] {
        for filter in [
            "",
            "WHERE user_id = 7",
            "WHERE user_id = 7 AND created_at >= 1 AND created_at < 9",
            "WHERE user_id = 7 AND created_at <= 5 AND (created_at < 5 OR id < 3)",
            "WHERE created_at <= 5 AND (created_at < 5 OR id < 3)",
        ] {
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT * FROM {table} {filter} \
                 ORDER BY created_at DESC, id DESC LIMIT 51"
            );
            let rows = conn
                .query_all_raw(Statement::from_string(DbBackend::Sqlite, sql.clone()))
                .await
                .expect("plan");
            let plan: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "detail").expect("detail"))
                .collect();
            assert!(
                plan.iter().any(|step| step.contains("USING INDEX"))
                    && !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "{sql}: {plan:?}"
            );
        }
    }
}
