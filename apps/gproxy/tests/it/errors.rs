//! Bad input and upstream failures: clear errors in the caller's shape, nothing changed.

use crate::helpers::*;
use gproxy_testkit::Reply;
use serde_json::json;

const EXTRA: &str = r#"
[[providers]]
name = "dead"
channel = "openai"
settings = { base_url = "http://127.0.0.1:1/v1" }
credentials = [ { api_key = "sk-up-dead" } ]
"#;

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_400() {
    let app = spawn_app().await;
    for (body, needle) in [
        ("{\"model\": \"gpt-4.1\", ", "not valid JSON"),
        ("{\"model\": 5}", "invalid type"),
        (
            "{\"model\": \"gpt-4.1\", \"stream\": \"yes\"}",
            "invalid type",
        ),
        ("", "empty"),
        ("[1]", "not valid JSON"),
    ] {
        let resp = app
            .http
            .post(app.url("/openai-main/v1/chat/completions"))
            .bearer_auth(ALICE)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("req");
        assert_eq!(resp.status(), 400, "{body}");
        let v = json(resp).await;
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert!(
            v["error"]["message"]
                .as_str()
                .expect("msg")
                .contains(needle),
            "{body}: {v}"
        );
    }
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert!(app.mock.requests().is_empty());
}

#[tokio::test]
async fn unknown_provider_and_model_are_404() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/nope/v1/chat/completions",
            ALICE,
            json!({"model": "x", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert!(
        json(resp).await["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("unknown provider `nope`")
    );
    let resp = app
        .post(
            "/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert!(
        json(resp).await["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("provider/model")
    );
    let resp = app
        .post_with(
            "/v1/messages",
            "x-api-key",
            ALICE,
            json!({"model": "nope/claude", "max_tokens": 1, "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(json(resp).await["error"]["type"], "not_found_error");
    assert!(app.mock.requests().is_empty());
}

#[tokio::test]
async fn oversize_bodies_get_413_and_are_never_forwarded() {
    let app = spawn_with(
        |cli| cli.max_request_body_bytes = Some(1024),
        |_| String::new(),
    )
    .await;
    let big =
        json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "x".repeat(4096)}]});
    let resp = app
        .post("/openai-main/v1/chat/completions", ALICE, big.clone())
        .await;
    assert_eq!(resp.status(), 413);
    assert!(
        json(resp).await["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("1024")
    );
    // Without a Content-Length (chunked), the limit still holds.
    let chunks = vec![Ok::<_, std::io::Error>(
        serde_json::to_vec(&big).expect("bytes"),
    )];
    let resp = app
        .http
        .post(app.url("/anthropic-main/v1/messages"))
        .header("x-api-key", ALICE)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.headers()["x-should-retry"], "false");
    // Anthropic's SDK knows 413 by its own error type.
    assert_eq!(json(resp).await["error"]["type"], "request_too_large");
    assert!(app.mock.requests().is_empty());
    let small = json!({"model": "gpt-4.1", "messages": []});
    assert_eq!(
        app.post("/openai-main/v1/chat/completions", ALICE, small)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn upstream_errors_pass_through_in_shape() {
    let app = spawn_app().await;
    app.mock.push(Reply::error(429, "slow down"));
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 429);
    assert!(
        resp.headers().get("x-should-retry").is_none(),
        "one attempt: the client may retry"
    );
    let v = json(resp).await;
    assert_eq!(v["error"]["message"], "slow down");
    assert_eq!(v["error"]["type"], "rate_limit_error");

    app.mock.push(Reply::error(529, "overloaded"));
    let resp = app
        .post_with(
            "/anthropic-main/v1/messages",
            "x-api-key",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 529);
    assert_eq!(json(resp).await["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn connection_failure_is_502_in_shape() {
    let app = spawn_with(|_| {}, |_| EXTRA.to_owned()).await;
    let resp = app
        .post(
            "/dead/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 502);
    let v = json(resp).await;
    assert_eq!(v["error"]["type"], "server_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("could not reach provider `dead`")
    );
    let up = app.upstream().await;
    assert_eq!(up[0].status, None);
    assert!(up[0].error.is_some());
    let usage = app.usages().await;
    assert_eq!((usage[0].status, usage[0].provider.as_str()), (502, "dead"));
}

#[tokio::test]
async fn failover_to_the_next_credential() {
    let app = spawn_with_seed(|mock| {
        format!(
            r#"
[[providers]]
name = "pool"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "sk-up-a" }}, {{ api_key = "sk-up-b" }} ]
"#
        )
    })
    .await;

    app.mock.push(Reply::error(500, "boom"));
    let resp = app
        .post(
            "/pool/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200, "the second credential answered");
    let reqs = app.mock.requests();
    let keys: Vec<_> = reqs
        .iter()
        .map(|r| r.header("authorization").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(keys, vec!["Bearer sk-up-a", "Bearer sk-up-b"]);
    let up = app.upstream().await;
    assert_eq!(up.len(), 2);
    assert_eq!(up[1].status, Some(500), "the failed attempt is logged");

    // Both fail (on another model: the first key now cools for `gpt-4.1`): the last error
    // is relayed and SDK retries are discouraged.
    app.mock.push(Reply::error(503, "down"));
    app.mock.push(Reply::error(503, "down"));
    let resp = app
        .post(
            "/pool/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1-mini", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["x-should-retry"], "false");
}

#[tokio::test]
async fn an_upstream_too_slow_to_answer_is_504() {
    let app = spawn_with(|cli| cli.upstream_timeout_secs = Some(1), |_| String::new()).await;
    app.mock
        .push(Reply::text("late").with_latency(std::time::Duration::from_secs(3)));
    let resp = app
        .post_with(
            "/gemini-main/v1beta/models/gemini-2.5-flash:generateContent",
            "x-goog-api-key",
            ALICE,
            json!({"contents": []}),
        )
        .await;
    assert_eq!(resp.status(), 504);
    let v = json(resp).await;
    assert_eq!(v["error"]["code"], 504);
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("did not answer within 1s"),
        "{v}"
    );
}

/// The gateway's own errors tell SDKs and coding agents what to do: the ones a retry cannot
/// fix carry `x-should-retry: false` on every surface, its own 503 carries `retry-after`.
/// (Upstream errors are relayed with the upstream's headers.)
#[tokio::test]
async fn the_gateways_own_errors_carry_retry_advice() {
    let app = spawn_with_seed(|mock| {
        format!(
            r#"
[[providers]]
name = "keyless"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = []
"#
        )
    })
    .await;
    let chat = json!({"model": "gpt-4.1", "messages": []});
    let msg = json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "messages": []});
    let gem = json!({"contents": []});
    let cases = [
        // 401, each surface.
        app.post("/openai-main/v1/chat/completions", "sk-nope", chat.clone())
            .await,
        app.post_with(
            "/anthropic-main/v1/messages",
            "x-api-key",
            "sk-nope",
            msg.clone(),
        )
        .await,
        app.post_with(
            "/gemini-main/v1beta/models/gemini-2.5-flash:generateContent",
            "x-goog-api-key",
            "sk-nope",
            gem.clone(),
        )
        .await,
        // 403, 404, 400, 501.
        app.post("/anthropic-main/v1/messages", BOB, msg.clone())
            .await,
        app.post("/nope/v1/chat/completions", ALICE, chat.clone())
            .await,
        app.post(
            "/gemini-main/v1beta/models/..%2Fx:generateContent",
            ALICE,
            gem,
        )
        .await,
        app.post(
            "/anthropic-main/v1/embeddings",
            ALICE,
            json!({"model": "m", "input": "hi"}),
        )
        .await,
    ];
    let statuses: Vec<u16> = cases.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [401, 401, 401, 403, 404, 400, 501]);
    for resp in &cases {
        assert_eq!(
            resp.headers()["x-should-retry"],
            "false",
            "{}",
            resp.status()
        );
    }
    let resp = app.post("/keyless/v1/chat/completions", ALICE, chat).await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    assert!(resp.headers().get("x-should-retry").is_none());
    // An upstream's own 4xx is relayed as the upstream sent it.
    app.mock.push(gproxy_testkit::Reply::error(400, "bad"));
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("x-should-retry").is_none());
}
