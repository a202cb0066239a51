//! Usage and request-log records: from bodies, from streams, and when a stream is cut short.

use crate::helpers::*;
use futures_util::StreamExt;
use gproxy_testkit::{MockUsage, Reply};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn non_stream_usage_is_recorded_with_who_and_where() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/v1/chat/completions",
            ALICE,
            json!({"model": "chat-default", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let request_id = resp.headers()["x-gproxy-request-id"]
        .to_str()
        .expect("id")
        .to_owned();
    let rows = app.usages().await;
    assert_eq!(rows.len(), 1);
    let u = &rows[0];
    let state = app.state.snapshot();
    let alice = state
        .principal(&gproxy_storage::key_digest(ALICE))
        .expect("alice");
    assert_eq!(u.request_id, request_id);
    assert_eq!(
        (u.user_id, u.user_key_id),
        (Some(alice.user_id), Some(alice.key_id))
    );
    assert_eq!(
        (u.provider.as_str(), u.model.as_str()),
        ("openai-main", "gpt-4.1")
    );
    assert_eq!(
        (u.operation.as_str(), u.protocol.as_str()),
        ("chat_completions", "openai")
    );
    assert!(u.credential_id.is_some());
    assert_eq!((u.status, u.stream, u.complete), (200, false, true));
    assert_eq!(
        (
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens,
            u.reasoning_tokens
        ),
        (11, 7, 3, 0, 2)
    );
    assert!(u.ttfb_ms.is_some());
    let down = app.downstream().await;
    assert_eq!(down[0].request_id, request_id);
    assert_eq!(
        (down[0].path.as_str(), down[0].status),
        ("/v1/chat/completions", 200)
    );
    let up = app.upstream().await;
    assert!(up[0].url.ends_with("/v1/chat/completions"));
    assert_eq!(up[0].status, Some(200));
}

#[tokio::test]
async fn stream_usage_is_read_from_the_events() {
    let app = spawn_app().await;
    let usage = MockUsage {
        input: 100,
        output: 40,
        cache_read: 30,
        cache_write: 5,
        reasoning: 0,
    };
    app.mock.push(Reply::text("hello there").with_usage(usage));
    let resp = app
        .post(
            "/anthropic-main/v1/messages",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true, "messages": []}),
        )
        .await;
    resp.text().await.expect("body");
    let u = &app.wait_usages(1).await[0];
    assert!(u.stream && u.complete);
    // Anthropic reports cache reads/writes apart from input_tokens; usage counts them in.
    assert_eq!(
        (
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens
        ),
        (135, 40, 30, 5)
    );
    // Claude Sonnet 4.5 at the bundled list prices, by hand: 100 uncached input × $3 + 30
    // cache reads × $0.30 + 5 cache writes × $3.75 + 40 output × $15, per million tokens =
    // 927.75 µUSD.
    assert_eq!(u.cost_nano, Some(927_750));

    app.mock.push(Reply::text("a b").with_usage(MockUsage {
        input: 8,
        output: 5,
        cache_read: 0,
        cache_write: 0,
        reasoning: 3,
    }));
    let resp = app
        .post_with(
            "/gemini-main/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            "x-goog-api-key",
            ALICE,
            json!({"contents": []}),
        )
        .await;
    resp.text().await.expect("body");
    let u = &app.wait_usages(2).await[0];
    assert_eq!(
        (
            u.operation.as_str(),
            u.input_tokens,
            u.output_tokens,
            u.reasoning_tokens
        ),
        ("stream_generate_content", 8, 8, 3)
    );
    // Gemini 2.5 Flash at $0.30 / $2.50: 8 × 0.30 + 8 × 2.50 (reasoning billed as output).
    assert_eq!(u.cost_nano, Some(22_400));
}

/// A model row's prices beat the bundled table (`price_each_call = 0` in the standard seed
/// makes gpt-4.1 free by the operator's word), every token class and the per-call price
/// count, and a model with no price anywhere leaves the cost unknown, never zero.
#[tokio::test]
async fn every_usage_record_carries_its_cost() {
    let app = spawn_with_seed(|_| {
        "[[models]]\nprovider_name = \"anthropic-main\"\nmodel_id = \"claude-opus-4-5\"\n\
         price_input_per_mtok = \"10\"\nprice_output_per_mtok = 20\n\
         price_cache_read_per_mtok = 1.5\nprice_each_call = \"0.001\"\n"
            .into()
    })
    .await;
    app.mock.push(Reply::text("priced").with_usage(MockUsage {
        input: 1_000,
        output: 100,
        cache_read: 2_000,
        cache_write: 0,
        reasoning: 0,
    }));
    let resp = app
        .post(
            "/anthropic-main/v1/messages",
            ALICE,
            json!({"model": "claude-opus-4-5", "max_tokens": 64, "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    // 1,000 uncached × $10 + 2,000 cache reads × $1.5 + 100 output × $20, per million, plus
    // $0.001 a call: $0.01 + $0.003 + $0.002 + $0.001.
    assert_eq!(app.wait_usages(1).await[0].cost_nano, Some(16_000_000));

    for model in ["gpt-4.1", "gpt-unlisted-model"] {
        let resp = app
            .post(
                "/v1/chat/completions",
                ALICE,
                json!({"model": format!("openai-main/{model}"), "messages": []}),
            )
            .await;
        assert_eq!(resp.status(), 200, "{model}");
    }
    let rows = app.wait_usages(3).await;
    assert_eq!(
        (rows[1].model.as_str(), rows[1].cost_nano),
        ("gpt-4.1", Some(0))
    );
    assert_eq!(
        (rows[0].model.as_str(), rows[0].cost_nano),
        ("gpt-unlisted-model", None)
    );
}

#[tokio::test]
async fn a_client_that_disconnects_mid_stream_still_produces_a_record() {
    let app = spawn_app().await;
    app.mock.push(
        Reply::text("a b c d e f g h i j")
            .with_chunks(10)
            .with_chunk_delay(Duration::from_millis(100)),
    );
    let resp = app
        .post(
            "/anthropic-main/v1/messages",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true, "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let first = body.next().await.expect("first event").expect("bytes");
    assert!(String::from_utf8_lossy(&first).contains("message_start"));
    drop(body); // the client goes away
    let rows = app.wait_usages(1).await;
    assert_eq!(rows.len(), 1, "the dropped stream settled its record");
    let u = &rows[0];
    assert!(u.stream && !u.complete);
    assert_eq!(
        u.input_tokens, 14,
        "input known from message_start (11 + 3 cached)"
    );
}

#[tokio::test]
async fn an_upstream_cut_ends_the_stream_with_an_error_event() {
    let app = spawn_app().await;
    app.mock
        .push(Reply::text("a b c d").with_chunks(4).cut_after(2));
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "stream": true, "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.expect("the relay ends cleanly");
    let data = sse_data(&body);
    let last: serde_json::Value = serde_json::from_str(data.last().expect("events")).expect("json");
    assert!(
        last["error"]["message"]
            .as_str()
            .expect("error event")
            .contains("ended unexpectedly"),
        "{body}"
    );
    let u = &app.wait_usages(1).await[0];
    assert!(!u.complete);

    app.mock
        .push(Reply::text("a b c d").with_chunks(4).cut_after(2));
    let resp = app
        .post_with(
            "/gemini-main/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            "x-goog-api-key",
            ALICE,
            json!({"contents": []}),
        )
        .await;
    let v = json(resp).await;
    let items = v.as_array().expect("still a well-formed JSON array");
    assert_eq!(items.last().expect("items")["error"]["code"], 502);
}

#[tokio::test]
async fn shutdown_writes_every_queued_record() {
    let app = spawn_with(
        |cli| cli.storage_write_aggregate_window_ms = Some(60_000),
        |_| String::new(),
    )
    .await;
    for _ in 0..5 {
        let resp = app
            .post(
                "/openai-main/v1/chat/completions",
                ALICE,
                json!({"model": "gpt-4.1", "messages": []}),
            )
            .await;
        assert_eq!(resp.status(), 200);
    }
    let store = app.state.store.clone();
    app.stop().await;
    assert_eq!(store.recent_usages(100).await.expect("rows").len(), 5);
}

#[tokio::test]
async fn chat_streams_report_usage_even_when_the_client_did_not_ask() {
    let app = spawn_app().await;
    // No `stream_options`, an empty one, and an explicit `include_usage: false`: every one
    // is billed, and none of these clients sees the usage-only chunk.
    let requests = [
        json!({"model": "gpt-4.1", "stream": true, "messages": []}),
        json!({"model": "gpt-4.1", "stream": true, "messages": [], "stream_options": {}}),
        json!({"model": "gpt-4.1", "stream": true, "messages": [],
               "stream_options": {"include_usage": false}}),
    ];
    for (n, request) in requests.into_iter().enumerate() {
        let resp = app
            .post("/openai-main/v1/chat/completions", ALICE, request.clone())
            .await;
        let body = resp.text().await.expect("body");
        let forwarded = app.mock.last_request().expect("forwarded").json();
        assert_eq!(
            forwarded["stream_options"]["include_usage"], true,
            "the gateway asked for usage: {request}"
        );
        let data = sse_data(&body);
        assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
        for chunk in &data[..data.len() - 1] {
            let v: serde_json::Value = serde_json::from_str(chunk).expect("json");
            assert!(
                !v["choices"].as_array().expect("choices").is_empty(),
                "no usage-only chunk for this client: {chunk}"
            );
        }
        let rows = app.wait_usages(n + 1).await;
        let u = &rows[0];
        assert_eq!((u.input_tokens, u.output_tokens), (11, 7), "{request}");
    }
}

#[tokio::test]
async fn a_client_that_gives_up_before_the_answer_still_leaves_every_record() {
    let app = spawn_app().await;
    app.mock
        .push(Reply::text("slow").with_latency(Duration::from_millis(800)));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .expect("client");
    let sent = impatient
        .post(app.url("/openai-main/v1/chat/completions"))
        .bearer_auth(ALICE)
        .json(&json!({"model": "gpt-4.1", "messages": []}))
        .send()
        .await;
    assert!(sent.is_err(), "the client timed out");
    let rows = app.wait_usages(1).await;
    assert_eq!(rows.len(), 1, "the abandoned call has a usage record");
    assert_eq!((rows[0].status, rows[0].complete), (499, false));
    assert_eq!(rows[0].model, "gpt-4.1");
    let down = app.downstream().await;
    assert_eq!((down.len(), down[0].status), (1, 499));
    let up = app.upstream().await;
    assert_eq!(up.len(), 1);
    assert!(
        up[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("went away"),
        "{:?}",
        up[0].error
    );
}

#[tokio::test]
async fn with_usage_off_streams_end_normally_and_write_no_usage() {
    let app = spawn_with(|cli| cli.enable_usage = Some(false), |_| String::new()).await;
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "stream": true, "messages": []}),
        )
        .await;
    let body = tokio::time::timeout(Duration::from_secs(10), resp.text())
        .await
        .expect("the stream ends")
        .expect("body");
    assert_eq!(sse_data(&body).last().map(String::as_str), Some("[DONE]"));
    assert!(app.usages().await.is_empty());
    assert_eq!(
        app.downstream().await.len(),
        1,
        "request logs are separate from usage"
    );
}

/// Retention: with windows set, a pass deletes usage and request logs past theirs and
/// empties bodies past theirs; without windows nothing is ever touched.
#[tokio::test]
async fn retention_removes_what_is_past_its_window() {
    let app = spawn_with(
        |cli| {
            cli.usage_retention_days = Some(30);
            cli.request_log_retention_days = Some(7);
            cli.request_body_retention_days = Some(1);
            cli.enable_downstream_log_body = Some(true);
        },
        |_| String::new(),
    )
    .await;
    assert_eq!(
        app.state.config().retention.bodies,
        Some(std::time::Duration::from_secs(86_400))
    );
    for _ in 0..3 {
        let resp = app
            .post(
                "/openai-main/v1/chat/completions",
                ALICE,
                serde_json::json!({"model": "gpt-4.1", "messages": []}),
            )
            .await;
        assert_eq!(resp.status(), 200);
    }
    app.wait_usages(3).await;
    assert_eq!(app.downstream().await.len(), 3, "every record written");
    let store = app.state.store.as_ref();
    let windows = app.state.config().retention;
    let day = 86_400_000;
    let now = gproxy_storage::now_ms();
    assert_eq!(
        gproxy_server::retention::run_once(store, &windows, now)
            .await
            .expect("pass"),
        (0, 0, 0),
        "nothing is old yet"
    );
    // Two days on: the bodies go, the envelopes stay.
    let (_, _, bodies) = gproxy_server::retention::run_once(store, &windows, now + 2 * day)
        .await
        .expect("pass");
    assert_eq!(bodies, 3);
    let logs = app.downstream().await;
    assert_eq!(logs.len(), 3);
    assert!(logs.iter().all(|l| l.request_body.is_none()));
    // Ten days on: the request logs go; usage stays for its 30 days.
    let (usage, logs, _) = gproxy_server::retention::run_once(store, &windows, now + 10 * day)
        .await
        .expect("pass");
    assert_eq!((usage, logs), (0, 6), "3 downstream and 3 upstream entries");
    assert_eq!(app.usages().await.len(), 3);
    let (usage, _, _) = gproxy_server::retention::run_once(store, &windows, now + 31 * day)
        .await
        .expect("pass");
    assert_eq!(usage, 3);
    assert!(app.usages().await.is_empty());
}
