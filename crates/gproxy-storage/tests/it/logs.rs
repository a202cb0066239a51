//! Request log queries on every backend: the filtered listing newest first with paging and
//! without bodies, one request's entry with its attempts oldest first, headers kept as
//! JSON objects; and file rows written before headers were kept still load.

use crate::backends::{Backend, TestDb, sealer};
use gproxy_storage::model::*;

fn headers(pairs: &[(&str, &str)]) -> Option<Headers> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// Ten downstream entries (`log-0` .. `log-9`): users 1 and 2 alternating, status 200
/// but 429 for every third, one millisecond apart from 1 000; `log-4` has three attempts
/// written out of order.
async fn write_logs(db: &TestDb) {
    let batch: Vec<Record> = (0..10)
        .map(|i: i64| {
            Record::Downstream(DownstreamRecord {
                request_id: format!("log-{i}"),
                created_at: 1_000 + i,
                user_id: Some(1 + i % 2),
                user_key_id: Some(10 + i % 2),
                method: "POST".into(),
                path: "/v1/chat/completions".into(),
                status: if i % 3 == 0 { 429 } else { 200 },
                latency_ms: 5,
                request_headers: headers(&[("content-type", "application/json")]),
                response_headers: headers(&[("x-request-id", &format!("up-{i}"))]),
                request_body: Some(format!("{{\"n\":{i}}}")),
                response_body: Some("{}".into()),
            })
        })
        .collect();
    db.store.write_records(&batch).await.expect("write");
    let attempt = |at: i64, status: Option<i32>| {
        Record::Upstream(UpstreamRecord {
            request_id: "log-4".into(),
            created_at: at,
            provider: "openai-main".into(),
            credential_id: Some(1),
            method: "POST".into(),
            url: "https://api.example/v1/chat/completions".into(),
            status,
            latency_ms: 3,
            request_headers: headers(&[("authorization", "***")]),
            request_body: Some("{}".into()),
            ..Default::default()
        })
    };
    let other = Record::Upstream(UpstreamRecord {
        request_id: "log-5".into(),
        created_at: 1_005,
        ..Default::default()
    });
    // The last attempt first: attempts come back by when they started.
    db.store
        .write_records(&[
            attempt(1_006, Some(200)),
            other,
            attempt(1_004, Some(429)),
            attempt(1_005, None),
        ])
        .await
        .expect("write attempts");
}

fn ids(rows: &[DownstreamRow]) -> Vec<&str> {
    rows.iter().map(|r| r.request_id.as_str()).collect()
}

pub async fn request_logs_are_listed_by_filter_and_page(db: TestDb) {
    write_logs(&db).await;
    let all = LogFilter::default();
    let first = db.store.request_logs(&all, None, 3).await.expect("page");
    assert_eq!(ids(&first), ["log-9", "log-8", "log-7"]);
    assert!(
        first
            .iter()
            .all(|r| r.request_body.is_none() && r.response_body.is_none()),
        "a listing carries no bodies"
    );
    let shown: Headers =
        serde_json::from_str(first[0].response_headers.as_deref().expect("headers"))
            .expect("a JSON object");
    assert_eq!(shown, headers(&[("x-request-id", "up-9")]).expect("map"));
    let next = db
        .store
        .request_logs(
            &all,
            Some(TimeCursor {
                created_at: first[2].created_at,
                id: first[2].id,
            }),
            3,
        )
        .await
        .expect("next");
    assert_eq!(ids(&next), ["log-6", "log-5", "log-4"]);

    let by = |f: LogFilter| {
        let store = db.store.clone();
        async move { store.request_logs(&f, None, 50).await.expect("filtered") }
    };
    let one = by(LogFilter {
        request_id: Some("log-3".into()),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(ids(&one), ["log-3"]);
    let user = by(LogFilter {
        user_id: Some(2),
        status: Some(429),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(ids(&user), ["log-9", "log-3"]);
    let window = by(LogFilter {
        from_ms: Some(1_002),
        to_ms: Some(1_005),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(
        ids(&window),
        ["log-4", "log-3", "log-2"],
        "from inclusive, to not"
    );
    let none = by(LogFilter {
        status: Some(500),
        ..LogFilter::default()
    })
    .await;
    assert!(none.is_empty());
}

pub async fn one_request_log_has_its_attempts_oldest_first(db: TestDb) {
    write_logs(&db).await;
    let (down, up) = db
        .store
        .request_log("log-4")
        .await
        .expect("read")
        .expect("known");
    assert_eq!(down.request_id, "log-4");
    assert_eq!(
        down.request_body.as_deref(),
        Some("{\"n\":4}"),
        "with bodies"
    );
    assert_eq!(down.response_body.as_deref(), Some("{}"));
    assert_eq!(down.status, 200);
    let at: Vec<(i64, Option<i32>)> = up.iter().map(|u| (u.created_at, u.status)).collect();
    assert_eq!(at, [(1_004, Some(429)), (1_005, None), (1_006, Some(200))]);
    assert!(up.iter().all(|u| u.request_id == "log-4"));
    let sent: Headers =
        serde_json::from_str(up[0].request_headers.as_deref().expect("headers")).expect("json");
    assert_eq!(sent["authorization"], "***");
    assert_eq!(up[0].response_headers, None, "none captured");

    let (_, none) = db
        .store
        .request_log("log-1")
        .await
        .expect("read")
        .expect("known");
    assert!(none.is_empty(), "an entry without attempts");
    assert!(
        db.store
            .request_log("log-404")
            .await
            .expect("read")
            .is_none()
    );
}

every_backend!(
    request_logs_are_listed_by_filter_and_page,
    one_request_log_has_its_attempts_oldest_first,
);

/// A file-backend row from before headers were kept loads, its headers `None`.
#[tokio::test]
async fn file_rows_from_before_headers_still_load() {
    let db = crate::backends::file().await;
    assert_eq!(db.backend, Backend::File);
    let path = std::path::Path::new(&db.dsn).join("downstream_requests.jsonl");
    let old = r#"{"id":1,"request_id":"old-1","created_at":5,"user_id":3,"user_key_id":null,"method":"GET","path":"/v1/models","status":200,"latency_ms":1,"request_body":null,"response_body":null}"#;
    std::fs::write(&path, format!("{old}\n")).expect("write an old row");
    let db = db.reopen(sealer()).await;
    let rows = db
        .store
        .request_logs(&LogFilter::default(), None, 10)
        .await
        .expect("list");
    assert_eq!(ids(&rows), ["old-1"]);
    assert_eq!(rows[0].request_headers, None);
    let (down, up) = db
        .store
        .request_log("old-1")
        .await
        .expect("read")
        .expect("known");
    assert_eq!((down.user_id, up.len()), (Some(3), 0));
}
