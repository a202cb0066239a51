//! Streams at their edges: a client that hangs up right after the terminal event, a client
//! that leaves before the usage event (estimated record), oversize events and bodies, a
//! silent upstream, and compressed upstream bodies.

use crate::helpers::*;
use futures_util::StreamExt;
use gproxy_testkit::Reply;
use serde_json::{Value, json};
use std::time::Duration;

/// Streams `path` and hangs up as soon as the body so far contains `marker`; returns what
/// was read.
async fn read_until(req: reqwest::RequestBuilder, marker: &str) -> String {
    let resp = req.send().await.expect("request");
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut seen = String::new();
    while let Some(chunk) = body.next().await {
        seen.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        if seen.contains(marker) {
            break;
        }
    }
    assert!(seen.contains(marker), "never saw {marker:?} in {seen}");
    seen
}

/// Codex CLI closes the connection right after `response.completed`, while the upstream has
/// not closed yet: every byte was relayed, so the stream is complete. The same for each
/// protocol's terminal event.
#[tokio::test]
async fn a_client_hanging_up_after_the_terminal_event_is_complete() {
    let app = spawn_app().await;
    // The mock reports input 11 (3 of them cached), output 7 (2 reasoning); Anthropic
    // reports cache reads apart from input, so its normalized input is 14.
    let cases: [(&str, Value, &str, (i64, i64)); 4] = [
        (
            "/openai-main/v1/responses",
            json!({"model": "gpt-4.1", "input": "hi", "stream": true, "store": false}),
            "response.completed",
            (11, 7),
        ),
        (
            "/openai-main/v1/chat/completions",
            json!({"model": "gpt-4.1", "messages": [], "stream": true}),
            "[DONE]",
            (11, 7),
        ),
        (
            "/anthropic-main/v1/messages",
            json!({"model": "claude-sonnet-4-5", "max_tokens": 9, "messages": [], "stream": true}),
            "message_stop",
            (14, 7),
        ),
        (
            "/gemini-main/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
            "finishReason",
            (11, 9),
        ),
    ];
    for (n, (path, body, marker, tokens)) in cases.into_iter().enumerate() {
        // The upstream keeps the connection open for 30 s after its last event.
        app.mock
            .push(Reply::text("Hello there").hold_open(Duration::from_secs(30)));
        let started = std::time::Instant::now();
        read_until(
            app.http.post(app.url(path)).bearer_auth(ALICE).json(&body),
            marker,
        )
        .await;
        let rows = app.wait_usages(n + 1).await;
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the record did not wait for the upstream to close"
        );
        let u = &rows[0];
        assert_eq!(rows.len(), n + 1, "{path}");
        assert!(
            u.complete,
            "{path}: a relayed terminal event means complete"
        );
        assert!(!u.estimated, "{path}");
        assert_eq!(u.status, 200);
        assert_eq!((u.input_tokens, u.output_tokens), tokens, "{path}");
    }
}

/// A client that leaves before OpenAI's final usage chunk: the upstream is cancelled and
/// the record holds an estimate from the bundled tokenizer, marked as such; never 0 tokens
/// for a request that produced output.
#[tokio::test]
async fn a_client_leaving_before_the_usage_event_gets_an_estimated_record() {
    let app = spawn_app().await;
    let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa";
    app.mock.push(
        Reply::text(text)
            .with_chunks(10)
            .with_chunk_delay(Duration::from_millis(150)),
    );
    let prompt = "please count the greek letters for me, slowly and carefully";
    let seen = read_until(
        app.http
            .post(app.url("/openai-main/v1/chat/completions"))
            .bearer_auth(ALICE)
            .json(&json!({"model": "gpt-4.1", "stream": true,
                          "messages": [{"role": "user", "content": prompt}]})),
        "gamma",
    )
    .await;
    assert!(
        !seen.contains("prompt_tokens"),
        "left before the usage chunk"
    );
    let rows = app.wait_usages(1).await;
    // The gateway cancelled the upstream request rather than reading it to the end.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while app.mock.abandoned_streams() == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.mock.abandoned_streams(), 1, "upstream stream cancelled");
    let u = &rows[0];
    assert_eq!(rows.len(), 1);
    assert!(!u.complete && u.estimated, "{u:?}");
    assert_eq!(u.status, 200);
    assert!(
        (8..=30).contains(&u.input_tokens),
        "input estimated from the request: {}",
        u.input_tokens
    );
    assert!(
        (3..=6).contains(&u.output_tokens),
        "output estimated from what was relayed (about 3 words): {}",
        u.output_tokens
    );

    // Anthropic reports input at `message_start` and output only at the end: the input is
    // the upstream's, the output estimated.
    app.mock.push(
        Reply::text(text)
            .with_chunks(10)
            .with_chunk_delay(Duration::from_millis(150)),
    );
    read_until(
        app.http
            .post(app.url("/anthropic-main/v1/messages"))
            .header("x-api-key", ALICE)
            .json(
                &json!({"model": "claude-sonnet-4-5", "max_tokens": 50, "stream": true,
                          "messages": [{"role": "user", "content": prompt}]}),
            ),
        "gamma",
    )
    .await;
    let rows = app.wait_usages(2).await;
    let u = &rows[0];
    assert_eq!(rows.len(), 2);
    assert!(!u.complete && u.estimated, "{u:?}");
    assert_eq!(
        u.input_tokens, 14,
        "reported by message_start (cache reads added)"
    );
    assert!((3..=6).contains(&u.output_tokens), "{}", u.output_tokens);
}

/// An upstream stream cut off mid-way (connection reset) is estimated the same way.
#[tokio::test]
async fn an_upstream_cut_before_usage_is_estimated() {
    let app = spawn_app().await;
    app.mock.push(
        Reply::text("one two three four")
            .with_chunks(4)
            .cut_after(2),
    );
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "stream": true, "messages": [{"role": "user", "content": "count"}]}),
        )
        .await;
    let body = resp.text().await.expect("body");
    assert!(body.contains("\"error\""), "error event at the end: {body}");
    let u = &app.wait_usages(1).await[0];
    assert!(!u.complete && u.estimated, "{u:?}");
    assert!(u.output_tokens >= 2 && u.input_tokens >= 1, "{u:?}");
}

/// One stream event larger than the limit ends the stream with the protocol's error event;
/// a larger non-streamed body is a 502 in shape.
#[tokio::test]
async fn oversize_events_and_bodies_are_refused() {
    let app = spawn_with(
        |cli| {
            cli.max_stream_event_bytes = Some(2048);
            cli.max_response_body_bytes = Some(2048);
        },
        |_| String::new(),
    )
    .await;
    let big = "x".repeat(5000);
    app.mock.push(Reply::text(big.clone()).with_chunks(1));
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "stream": true, "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.expect("body");
    assert!(!body.contains(&big), "the oversize event is not relayed");
    let last = sse_data(&body).pop().expect("an event");
    let v: Value = serde_json::from_str(&last).expect("json");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2048")),
        "{v}"
    );

    app.mock.push(Reply::text(big.clone()).with_chunks(1));
    let resp = app
        .post_with(
            "/anthropic-main/v1/messages",
            "x-api-key",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "stream": true, "messages": []}),
        )
        .await;
    let body = resp.text().await.expect("body");
    assert_eq!(sse_events(&body).last().map(String::as_str), Some("error"));

    app.mock.push(Reply::text(big.clone()));
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    let status = resp.status();
    let v = json(resp).await;
    assert_eq!(status, 502, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("exceeds the limit of 2048 bytes")),
        "{v}"
    );
    // The streams' records may land after the body's (their estimates run off the workers).
    let rows = app.wait_usages(3).await;
    let statuses: Vec<i32> = rows.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 502).count(),
        1,
        "{statuses:?}"
    );
    assert!(rows.iter().all(|r| !r.complete));
}

/// An upstream that falls silent mid-stream longer than the idle timeout: the stream ends
/// with the protocol's error event instead of hanging.
#[tokio::test]
async fn a_silent_upstream_stream_ends_with_an_error_event() {
    let app = spawn_with(
        |cli| cli.stream_idle_timeout_secs = Some(1),
        |_| String::new(),
    )
    .await;
    app.mock.push(
        Reply::text("a b c")
            .with_chunks(3)
            .with_chunk_delay(Duration::from_secs(20)),
    );
    let started = std::time::Instant::now();
    let resp = app
        .post_with(
            "/gemini-main/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            "x-goog-api-key",
            ALICE,
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
        )
        .await;
    let body = resp.text().await.expect("body");
    assert!(started.elapsed() < Duration::from_secs(10));
    let last = sse_data(&body).pop().expect("events");
    let v: Value = serde_json::from_str(&last).expect("json");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("sent nothing for 1 s")),
        "{body}"
    );
    let u = &app.wait_usages(1).await[0];
    assert!(!u.complete);
}

/// A tiny upstream that compresses whatever the client accepts: gzip for `/gzip/...`, and
/// an encoding the gateway cannot decode for `/br/...`.
async fn compressing_upstream() -> String {
    use axum::http::header;
    use std::io::Write;
    let body = json!({"id": "c1", "object": "chat.completion", "model": "gpt-4.1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "squeezed"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.to_string().as_bytes()).expect("gzip");
    let gzipped = gz.finish().expect("gzip");
    let app = axum::Router::new()
        .route(
            "/gzip/v1/chat/completions",
            axum::routing::post({
                let gzipped = gzipped.clone();
                move || async move {
                    (
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::CONTENT_ENCODING, "gzip"),
                        ],
                        gzipped,
                    )
                }
            }),
        )
        .route(
            "/br/v1/chat/completions",
            axum::routing::post(move || async move {
                (
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::CONTENT_ENCODING, "br"),
                    ],
                    vec![0x1b_u8, 0x03, 0x00],
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Usage is read from an upstream body that arrived compressed anyway (decoded, and no
/// `content-encoding` left to contradict the relayed bytes); one the gateway cannot decode
/// is a 502, never relayed unread.
#[tokio::test]
async fn compressed_upstream_bodies_are_decoded_or_refused() {
    let upstream = compressing_upstream().await;
    let app = spawn_with_seed(|_| {
        format!(
            r#"
[[providers]]
name = "gz"
channel = "custom"
settings = {{ base_url = "{upstream}/gzip/v1" }}
credentials = [ {{ api_key = "sk-up-gz" }} ]

[[providers]]
name = "brotli"
channel = "custom"
settings = {{ base_url = "{upstream}/br/v1" }}
credentials = [ {{ api_key = "sk-up-br" }} ]
"#
        )
    })
    .await;
    let chat = json!({"model": "gpt-4.1", "messages": []});
    let resp = app
        .post("/gz/v1/chat/completions", ALICE, chat.clone())
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-encoding").is_none());
    let v = json(resp).await;
    assert_eq!(v["choices"][0]["message"]["content"], "squeezed");
    let u = &app.wait_usages(1).await[0];
    assert_eq!((u.input_tokens, u.output_tokens), (5, 3));

    let resp = app.post("/brotli/v1/chat/completions", ALICE, chat).await;
    assert_eq!(resp.status(), 502);
    assert!(resp.headers().get("content-encoding").is_none());
    let v = json(resp).await;
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("content-encoding `br`")),
        "{v}"
    );
}

/// An upstream that answers every chat call with `body` as a whole, then closes cleanly.
async fn fixed_upstream(content_type: &'static str, body: &'static str) -> String {
    use axum::http::header;
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move || async move { ([(header::CONTENT_TYPE, content_type)], body) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A stream the upstream closes cleanly before its terminal event was cut short: not
/// complete, and estimated. A complete stream whose upstream never reported usage (it
/// ignored `stream_options`) is estimated too: output was produced, it is not free.
#[tokio::test]
async fn clean_closes_before_the_end_and_streams_without_usage_are_estimated() {
    let truncated = fixed_upstream(
        "text/event-stream",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one two three\"}}]}\n\n",
    )
    .await;
    let no_usage = fixed_upstream(
        "text/event-stream",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one two three\"}}]}\n\n\
         data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n\
         data: [DONE]\n\n",
    )
    .await;
    let app = spawn_with_seed(|_| {
        format!(
            r#"
[[providers]]
name = "truncated"
channel = "custom"
settings = {{ base_url = "{truncated}/v1" }}
credentials = [ {{ api_key = "sk-up-t" }} ]

[[providers]]
name = "nousage"
channel = "custom"
settings = {{ base_url = "{no_usage}/v1" }}
credentials = [ {{ api_key = "sk-up-n" }} ]
"#
        )
    })
    .await;
    let chat = json!({"model": "m", "stream": true,
                      "messages": [{"role": "user", "content": "count to three"}]});
    for (n, (provider, complete)) in [("truncated", false), ("nousage", true)]
        .into_iter()
        .enumerate()
    {
        let resp = app
            .post(
                &format!("/{provider}/v1/chat/completions"),
                ALICE,
                chat.clone(),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let _ = resp.text().await.expect("body");
        let rows = app.wait_usages(n + 1).await;
        let u = rows
            .iter()
            .find(|r| r.provider == provider)
            .expect("a record");
        assert_eq!(u.complete, complete, "{provider}");
        assert!(u.estimated, "{provider}");
        assert_eq!(u.output_tokens, 3, "{provider}: `one two three`");
        assert!(u.input_tokens > 0, "{provider}");
    }
}

/// A non-streamed answer without usage (a provider that omits it) is estimated from the
/// request and the answer's text, not recorded as free.
#[tokio::test]
async fn a_body_without_usage_is_estimated() {
    let upstream = fixed_upstream(
        "application/json",
        r#"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"one two three four five six seven eight nine ten"},"finish_reason":"stop"}]}"#,
    )
    .await;
    let app = spawn_with_seed(|_| {
        format!(
            r#"
[[providers]]
name = "quiet"
channel = "custom"
settings = {{ base_url = "{upstream}/v1" }}
credentials = [ {{ api_key = "sk-up-q" }} ]
"#
        )
    })
    .await;
    let resp = app
        .post(
            "/quiet/v1/chat/completions",
            ALICE,
            json!({"model": "m", "messages": [{"role": "user", "content": "count to ten"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let u = &app.wait_usages(1).await[0];
    assert!(u.complete && u.estimated, "{u:?}");
    assert!((10..=20).contains(&u.output_tokens), "{}", u.output_tokens);
    assert!(u.input_tokens > 0);
}
