//! Rate limits as callers meet them: a full window answers 429 in the caller's shape with
//! `retry-after` and never reaches the upstream; tokens are reserved from `max_tokens` when
//! a call starts (so concurrent streams cannot blow through a token limit) and settled from
//! real usage when it ends; rules apply by model pattern, per user.

use crate::helpers::*;
use gproxy_testkit::{MockUsage, Reply};
use serde_json::json;
use std::time::Duration;

async fn chat(app: &TestApp, model: &str, max_tokens: u64, stream: bool) -> reqwest::Response {
    app.post(
        "/v1/chat/completions",
        ALICE,
        json!({"model": model, "max_tokens": max_tokens, "stream": stream,
               "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
}

#[tokio::test]
async fn requests_per_minute_refuse_in_the_callers_shape_before_the_upstream() {
    let app = spawn_with_seed(|_| {
        "[[rate_limits]]\nuser_name = \"alice\"\nmodel_pattern = \"gpt-*\"\nrpm = 2\n".into()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            chat(&app, "openai-main/gpt-4.1", 16, false).await.status(),
            200
        );
    }
    let refused = chat(&app, "openai-main/gpt-4.1", 16, false).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let body = json(refused).await;
    assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("2 requests per minute"),
        "{body}"
    );
    assert_eq!(
        app.mock.requests().len(),
        2,
        "the refused call never went upstream"
    );

    // The rule covers gpt-* only; Anthropic's shape for a refusal on its surface.
    let other = app
        .post(
            "/anthropic-main/v1/messages",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": []}),
        )
        .await;
    assert_eq!(other.status(), 200, "another model is not limited");
}

#[tokio::test]
async fn concurrent_streams_cannot_blow_through_a_token_limit() {
    let app =
        spawn_with_seed(|_| "[[rate_limits]]\nuser_name = \"alice\"\ntpm = 1000\n".into()).await;
    // The first stream stays open for a while and really uses 20 tokens.
    app.mock.push(
        Reply::text("a b c d")
            .with_chunk_delay(Duration::from_millis(150))
            .with_usage(MockUsage {
                input: 12,
                output: 8,
                cache_read: 0,
                cache_write: 0,
                reasoning: 0,
            }),
    );
    let first = chat(&app, "openai-main/gpt-4.1", 600, true).await;
    assert_eq!(first.status(), 200);
    // While it streams, its 600-token worst case holds the room.
    let second = chat(&app, "openai-main/gpt-4.1", 600, true).await;
    assert_eq!(second.status(), 429, "reserved, not yet settled");
    let body = json(second).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("tokens per minute"),
        "{body}"
    );
    first.text().await.expect("the first stream ends");
    // Settled to its 20 real tokens: the room is back.
    let mut admitted = false;
    for _ in 0..50 {
        let third = chat(&app, "openai-main/gpt-4.1", 600, false).await;
        if third.status() == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        admitted,
        "the settled stream gave back its unused reservation"
    );
    // A request that could never fit is refused however idle the window.
    assert_eq!(
        chat(&app, "openai-main/gpt-4.1", 5_000, false)
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn limits_are_per_user() {
    let app = spawn_with_seed(|_| "[[rate_limits]]\nuser_name = \"bob\"\nrpm = 1\n".into()).await;
    for _ in 0..3 {
        assert_eq!(
            chat(&app, "openai-main/gpt-4.1", 16, false).await.status(),
            200,
            "alice"
        );
    }
    let bob = |n: usize| {
        let app = &app;
        async move {
            app.post(
                "/openai-main/v1/chat/completions",
                BOB,
                json!({"model": "gpt-4.1", "messages": [], "max_tokens": n}),
            )
            .await
            .status()
        }
    };
    assert_eq!(bob(1).await, 200);
    assert_eq!(bob(1).await, 429);
}
