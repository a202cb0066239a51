//! Anthropic surface: messages (plain and streamed), count_tokens, models.

use crate::helpers::*;
use gproxy_testkit::Reply;
use serde_json::json;

#[tokio::test]
async fn messages_swap_the_key_and_keep_protocol_headers_and_query() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(app.url("/anthropic-main/v1/messages?beta=true"))
        .header("x-api-key", ALICE)
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14")
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("request-id"));
    let v = json(resp).await;
    assert_eq!(v["content"][0]["text"], "Hello from mock!");
    let req = app.mock.last_request().expect("forwarded");
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.query.as_deref(), Some("beta=true"));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        req.header("anthropic-beta"),
        Some("interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14")
    );
    assert_key_swapped(&req, "x-api-key", UP_ANTHROPIC);
    assert!(req.header("authorization").is_none());
}

#[tokio::test]
async fn messages_stream_keeps_event_lines_and_rewrites_the_model() {
    let app = spawn_app().await;
    app.mock
        .push(Reply::tool_call("toolu_1", "get_weather", json!({"city": "Paris"})).with_chunks(3));
    let resp = app
        .post(
            "/v1/messages",
            ALICE,
            json!({"model": "anthropic-main/claude-sonnet-4-5", "max_tokens": 64, "stream": true,
                   "messages": [{"role": "user", "content": "weather?"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.expect("body");
    let events = sse_events(&body);
    assert_eq!(events.first().map(String::as_str), Some("message_start"));
    assert_eq!(events.last().map(String::as_str), Some("message_stop"));
    let data = sse_data(&body);
    assert_eq!(
        events.len(),
        data.len(),
        "every event keeps its event: line"
    );
    let start: serde_json::Value = serde_json::from_str(&data[0]).expect("json");
    assert_eq!(
        start["message"]["model"],
        "anthropic-main/claude-sonnet-4-5"
    );
    let partial: String = data
        .iter()
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|v| v["delta"]["partial_json"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&partial).expect("tool input"),
        json!({"city": "Paris"})
    );
}

#[tokio::test]
async fn count_tokens_and_models_in_anthropic_shape() {
    let app = spawn_app().await;
    let v = json(
        app.post(
            "/anthropic-main/v1/messages/count_tokens",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "messages": []}),
        )
        .await,
    )
    .await;
    assert_eq!(v["input_tokens"], 11);
    assert_eq!(
        app.mock.last_request().expect("forwarded").path,
        "/v1/messages/count_tokens"
    );

    let resp = app
        .http
        .get(app.url("/anthropic-main/v1/models"))
        .header("x-api-key", ALICE)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .expect("request");
    let v = json(resp).await;
    assert_eq!(
        v["data"][0]["type"], "model",
        "passthrough in the Anthropic shape: {v}"
    );
    // Unscoped: the local list, in the Anthropic shape because of the header.
    let resp = app
        .http
        .get(app.url("/v1/models"))
        .header("x-api-key", ALICE)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .expect("request");
    let v = json(resp).await;
    assert_eq!(v["has_more"], false);
    assert_eq!(v["first_id"], "openai-main/gpt-4.1");
}

#[tokio::test]
async fn a_protocol_the_channel_cannot_serve_is_a_clear_501() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/anthropic-main/v1/embeddings",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "input": "hi"}),
        )
        .await;
    assert_eq!(resp.status(), 501);
    let v = json(resp).await;
    let msg = v["error"]["message"].as_str().expect("openai-shaped error");
    assert!(msg.contains("needs translation"), "{msg}");
    assert!(app.mock.requests().is_empty());
}

/// `settings.cache_breakpoints` adds prompt-cache markers to what an Anthropic provider is
/// sent, passthrough and translated alike; the request's own markers stay and count.
#[tokio::test]
async fn cache_breakpoints_are_added_to_anthropic_requests() {
    let app = spawn_with_seed(|mock| {
        format!(
            r#"
[[providers]]
name = "cached"
channel = "anthropic"
settings = {{ base_url = "{mock}", cache_breakpoints = [
  {{ target = "top_level", ttl = "auto" }},
  {{ target = "system", ttl = "1h" }},
  {{ target = "messages", position = "last_nth", index = 1, ttl = "5m" }},
] }}
credentials = [ {{ api_key = "sk-up-cached" }} ]
"#
        )
    })
    .await;
    let resp = app
        .post_with(
            "/cached/v1/messages",
            "x-api-key",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "system": "Be brief.",
                   "messages": [{"role": "user", "content": [
                       {"type": "text", "text": "long prefix", "cache_control": {"type": "ephemeral"}},
                       {"type": "text", "text": "question"}]}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let sent = app.mock.last_request().expect("forwarded").json();
    assert_eq!(sent["cache_control"], json!({"type": "ephemeral"}));
    assert_eq!(
        sent["system"],
        json!([{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}])
    );
    let blocks = &sent["messages"][0]["content"];
    assert_eq!(
        blocks[0]["cache_control"],
        json!({"type": "ephemeral"}),
        "the client's own"
    );
    assert_eq!(
        blocks[1]["cache_control"],
        json!({"type": "ephemeral", "ttl": "5m"})
    );

    // A Chat client on the same provider: the translated body gets them too.
    let resp = app
        .post(
            "/cached/v1/chat/completions",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let sent = app.mock.last_request().expect("forwarded").json();
    assert_eq!(sent["cache_control"], json!({"type": "ephemeral"}));
    assert_eq!(sent["system"][0]["cache_control"]["ttl"], "1h");
    let last = sent["messages"][0]["content"]
        .as_array()
        .and_then(|b| b.last())
        .cloned()
        .expect("a block");
    assert_eq!(last["cache_control"]["ttl"], "5m");
}
