//! Server behaviour shared by every surface: auth, recording, script order, latency,
//! incremental streaming, unknown paths and shutdown.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use gproxy_testkit::{MockOptions, MockUpstream, Reply};
use serde_json::json;

use crate::{json_of, post};

fn keyed() -> MockOptions {
    MockOptions {
        expected_key: Some("sk-good".into()),
        ..MockOptions::default()
    }
}

#[tokio::test]
async fn expected_key_rejects_in_each_protocol_shape() -> anyhow::Result<()> {
    let mock = MockUpstream::start_with(keyed()).await?;
    mock.push(Reply::text("kept for the first authorized call"));
    let base = mock.base_url();
    let client = reqwest::Client::new();

    let resp = client
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth("sk-bad")
        .body("{}")
        .send()
        .await?;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        json_of(resp).await?,
        json!({"error": {"message": "mock: missing or invalid API key", "type": "authentication_error", "param": null, "code": null}})
    );

    let resp = client
        .post(format!("{base}/v1/messages"))
        .body("{}")
        .send()
        .await?;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        json_of(resp).await?,
        json!({"type": "error", "error": {"type": "authentication_error", "message": "mock: missing or invalid API key"}})
    );

    let resp = client
        .post(format!(
            "{base}/v1beta/models/gemini-2.5-flash:generateContent"
        ))
        .header("x-goog-api-key", "sk-bad")
        .body("{}")
        .send()
        .await?;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        json_of(resp).await?,
        json!({"error": {"code": 401, "message": "mock: missing or invalid API key", "status": "UNAUTHENTICATED"}})
    );

    // Rejected requests are recorded but do not consume the script.
    assert_eq!(mock.requests().len(), 3);
    let resp = client
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth("sk-good")
        .body(r#"{"model":"m"}"#)
        .send()
        .await?;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        json_of(resp).await?["choices"][0]["message"]["content"],
        "kept for the first authorized call"
    );
    Ok(())
}

#[tokio::test]
async fn expected_key_accepts_every_credential_place() -> anyhow::Result<()> {
    let mock = MockUpstream::start_with(keyed()).await?;
    let base = mock.base_url();
    let client = reqwest::Client::new();
    let anthropic = client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", "sk-good")
        .body("{}");
    let google = client
        .post(format!("{base}/v1/models/gemini-2.5-flash:countTokens"))
        .header("x-goog-api-key", "sk-good")
        .body("{}");
    let query = client
        .post(format!(
            "{base}/v1beta/models/gemini-2.5-flash:countTokens?key=sk-good"
        ))
        .body("{}");
    let bearer = client
        .post(format!("{base}/v1/messages"))
        .header("authorization", "Bearer sk-good")
        .body("{}");
    for request in [anthropic, google, query, bearer] {
        assert_eq!(request.send().await?.status(), 200);
    }
    Ok(())
}

#[tokio::test]
async fn records_requests_in_order() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    assert!(mock.last_request().is_none());
    let base = mock.base_url();
    let client = reqwest::Client::new();
    client
        .post(format!("{base}/v1/messages?beta=true"))
        .header("Anthropic-Version", "2023-06-01")
        .header("content-type", "application/json")
        .body(r#"{"model":"claude-x","messages":[]}"#)
        .send()
        .await?;
    client.get(format!("{base}/v1/models")).send().await?;

    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/v1/messages");
    assert_eq!(first.query.as_deref(), Some("beta=true"));
    assert_eq!(first.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(first.header("ANTHROPIC-VERSION"), Some("2023-06-01"));
    assert!(first.headers.iter().any(|(k, _)| k == "anthropic-version"));
    assert_eq!(first.json(), json!({"model": "claude-x", "messages": []}));
    assert_eq!(&first.body[..], br#"{"model":"claude-x","messages":[]}"#);

    let last = mock.last_request().map(|r| (r.method, r.path, r.query));
    assert_eq!(
        last,
        Some(("GET".to_owned(), "/v1/models".to_owned(), None))
    );
    assert_eq!(requests[1].json(), serde_json::Value::Null);
    Ok(())
}

#[tokio::test]
async fn script_is_fifo_then_default_reply() -> anyhow::Result<()> {
    let opts = MockOptions {
        default_reply: Some(Reply::text("fallback")),
        ..MockOptions::default()
    };
    let mock = MockUpstream::start_with(opts).await?;
    mock.push(Reply::text("first"));
    mock.push(Reply::text("second"));
    let url = format!("{}/v1/chat/completions", mock.base_url());
    let mut seen = Vec::new();
    for _ in 0..3 {
        let body = json_of(post(&url, &json!({"model": "m"})).await?).await?;
        seen.push(
            body["choices"][0]["message"]["content"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
        assert_eq!(body["id"], format!("chatcmpl-mock-{}", seen.len()));
    }
    assert_eq!(seen, ["first", "second", "fallback"]);
    Ok(())
}

#[tokio::test]
async fn latency_delays_headers() -> anyhow::Result<()> {
    let opts = MockOptions {
        latency: Duration::from_millis(150),
        ..MockOptions::default()
    };
    let mock = MockUpstream::start_with(opts).await?;
    mock.push(Reply::default().with_latency(Duration::ZERO));
    let url = format!("{}/v1/chat/completions", mock.base_url());

    let started = Instant::now();
    post(&url, &json!({"model": "m"})).await?;
    let fast = started.elapsed();

    let started = Instant::now();
    let resp = post(&url, &json!({"model": "m"})).await?;
    let slow = started.elapsed();
    assert_eq!(resp.status(), 200);
    assert!(
        slow >= Duration::from_millis(150),
        "options latency: {slow:?}"
    );
    assert!(
        fast < Duration::from_millis(150),
        "per-reply override: {fast:?}"
    );
    Ok(())
}

#[tokio::test]
async fn chunk_delay_streams_incrementally() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let delay = Duration::from_millis(80);
    mock.push(Reply::text("abc").with_chunks(3).with_chunk_delay(delay));
    let url = format!("{}/v1/chat/completions", mock.base_url());
    let started = Instant::now();
    let resp = post(&url, &json!({"model": "m", "stream": true})).await?;
    let headers_at = started.elapsed();
    let mut stream = resp.bytes_stream();
    let mut first_at = None;
    let mut received = Vec::new();
    while let Some(chunk) = stream.next().await {
        first_at.get_or_insert(started.elapsed());
        received.extend_from_slice(&chunk?);
    }
    let total = started.elapsed();
    // 6 events (role, 3 deltas, finish, [DONE]) → 5 gaps.
    assert!(total >= delay * 5, "total {total:?}");
    assert!(
        headers_at < delay * 2,
        "headers must not wait for the body: {headers_at:?}"
    );
    assert!(
        first_at.is_some_and(|t| t < delay * 2),
        "first event early: {first_at:?}"
    );
    assert!(String::from_utf8_lossy(&received).ends_with("data: [DONE]\n\n"));
    assert_eq!(mock.abandoned_streams(), 0, "read to the end");
    Ok(())
}

#[tokio::test]
async fn a_stream_dropped_by_its_reader_counts_as_abandoned() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(
        Reply::text("a b c d")
            .with_chunks(4)
            .with_chunk_delay(Duration::from_millis(100)),
    );
    let url = format!("{}/v1/chat/completions", mock.base_url());
    let resp = post(&url, &json!({"model": "m", "stream": true})).await?;
    let mut stream = resp.bytes_stream();
    let _first = stream.next().await;
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(5);
    while mock.abandoned_streams() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(mock.abandoned_streams(), 1);
    Ok(())
}

#[tokio::test]
async fn unknown_path_and_malformed_body() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let base = mock.base_url();
    let resp = reqwest::get(format!("{base}/v2/nothing")).await?;
    assert_eq!(resp.status(), 404);
    assert!(
        json_of(resp).await?["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("/v2/nothing"))
    );

    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{base}/v1/chat/completions"))
        .body("{oops")
        .send()
        .await?;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        json_of(resp).await?["error"]["type"],
        "invalid_request_error"
    );
    let resp = client
        .post(format!(
            "{base}/v1beta/models/gemini-2.5-flash:generateContent"
        ))
        .body("")
        .send()
        .await?;
    assert_eq!(resp.status(), 400);
    assert_eq!(json_of(resp).await?["error"]["status"], "INVALID_ARGUMENT");
    Ok(())
}

#[tokio::test]
async fn shutdown_stops_serving() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let url = format!("{}/v1/models", mock.base_url());
    assert_eq!(reqwest::get(&url).await?.status(), 200);
    mock.shutdown();
    tokio::time::timeout(Duration::from_secs(5), mock.join()).await?;
    assert!(reqwest::get(&url).await.is_err());
    Ok(())
}

#[tokio::test]
async fn record_limit_keeps_the_newest_requests_and_numbering_goes_on() -> anyhow::Result<()> {
    let opts = MockOptions {
        record_limit: Some(2),
        ..MockOptions::default()
    };
    let mock = MockUpstream::start_with(opts).await?;
    let mut ids = Vec::new();
    for i in 0..3 {
        let body = serde_json::json!({"model": format!("m{i}"), "messages": []});
        let url = format!("{}/v1/chat/completions", mock.base_url());
        let v = json_of(post(&url, &body).await?).await?;
        ids.push(v["id"].as_str().unwrap_or_default().to_owned());
    }
    let models: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| r.json()["model"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(models, vec!["m1", "m2"], "only the newest two are kept");
    assert_eq!(
        mock.last_request().map(|r| r.json()["model"].clone()),
        Some(serde_json::json!("m2"))
    );
    assert!(
        ids[2].ends_with('3'),
        "replies are still numbered by arrival: {ids:?}"
    );
    Ok(())
}
