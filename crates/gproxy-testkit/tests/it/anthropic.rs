//! Anthropic Messages, count_tokens and the Anthropic-shaped model list.

use gproxy_testkit::{MockUpstream, MockUsage, Reply};
use serde_json::{Value, json};

use crate::{json_of, parse_sse, post, read_body};

fn url(mock: &MockUpstream) -> String {
    format!("{}/v1/messages", mock.base_url())
}

const USAGE: MockUsage = MockUsage {
    input: 30,
    output: 12,
    cache_read: 6,
    cache_write: 4,
    reasoning: 0,
};

#[tokio::test]
async fn text_non_stream() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("Bonjour").with_usage(USAGE));
    let req = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": []});
    let resp = post(&format!("{}?beta=true", url(&mock)), &req).await?;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("request-id")
            .and_then(|v| v.to_str().ok()),
        Some("req_mock_1")
    );
    assert_eq!(
        json_of(resp).await?,
        json!({
            "id": "msg_mock_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Bonjour"}],
            "stop_reason": "end_turn",
            "stop_sequence": null,
            "usage": {
                "input_tokens": 30,
                "output_tokens": 12,
                "cache_read_input_tokens": 6,
                "cache_creation_input_tokens": 4,
            },
        })
    );
    Ok(())
}

#[tokio::test]
async fn text_stream_event_sequence() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("abcdef").with_chunks(3).with_usage(USAGE));
    let req = json!({"model": "claude-haiku-4-5", "stream": true, "messages": []});
    let resp = post(&url(&mock), &req).await?;
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let (body, aborted) = read_body(resp).await;
    assert!(!aborted);
    let events = parse_sse(&body);
    let types: Vec<&str> = events.iter().filter_map(|e| e.event.as_deref()).collect();
    assert_eq!(
        types,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    let data: Vec<Value> = events.iter().map(|e| e.json()).collect();
    for (event, value) in events.iter().zip(&data) {
        assert_eq!(event.event.as_deref(), value["type"].as_str());
    }
    let start = &data[0]["message"];
    assert_eq!(start["id"], "msg_mock_1");
    assert_eq!(start["model"], "claude-haiku-4-5");
    assert_eq!(start["content"], json!([]));
    assert_eq!(start["usage"]["input_tokens"], 30);
    assert_eq!(start["usage"]["output_tokens"], 1);
    assert_eq!(start["usage"]["cache_read_input_tokens"], 6);
    assert_eq!(start["usage"]["cache_creation_input_tokens"], 4);
    assert_eq!(
        data[1],
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    );
    let pieces: Vec<&str> = data[3..6]
        .iter()
        .filter_map(|d| d["delta"]["text"].as_str())
        .collect();
    assert_eq!(pieces, ["ab", "cd", "ef"]);
    assert_eq!(data[3]["delta"]["type"], "text_delta");
    assert_eq!(
        data[7],
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"output_tokens": 12},
        })
    );
    Ok(())
}

#[tokio::test]
async fn tool_use_non_stream_and_stream() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let args = json!({"city": "Paris"});
    mock.push(Reply::tool_call("toolu_1", "get_weather", args.clone()));
    mock.push(Reply::tool_call("toolu_2", "get_weather", args.clone()).with_chunks(3));

    let body = json_of(post(&url(&mock), &json!({"model": "c"})).await?).await?;
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(
        body["content"],
        json!([{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": args}])
    );

    let resp = post(&url(&mock), &json!({"model": "c", "stream": true})).await?;
    let (body, _) = read_body(resp).await;
    let data: Vec<Value> = parse_sse(&body).iter().map(|e| e.json()).collect();
    assert_eq!(
        data[1]["content_block"],
        json!({"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {}})
    );
    let joined: String = data[3..6]
        .iter()
        .map(|d| {
            assert_eq!(d["delta"]["type"], "input_json_delta");
            d["delta"]["partial_json"]
                .as_str()
                .unwrap_or("<missing>")
                .to_owned()
        })
        .collect();
    assert_eq!(serde_json::from_str::<Value>(&joined)?, args);
    assert_eq!(data[7]["delta"]["stop_reason"], "tool_use");
    Ok(())
}

#[tokio::test]
async fn errors_use_anthropic_shape() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::error(529, "overloaded"));
    mock.push(Reply::error(429, "slow down"));
    let resp = post(&url(&mock), &json!({"model": "c", "stream": true})).await?;
    assert_eq!(resp.status(), 529);
    assert_eq!(
        json_of(resp).await?,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "overloaded"}})
    );
    let resp = post(&url(&mock), &json!({"model": "c"})).await?;
    assert_eq!(resp.status(), 429);
    assert_eq!(json_of(resp).await?["error"]["type"], "rate_limit_error");

    let resp = reqwest::Client::new()
        .post(url(&mock))
        .body("{not json")
        .send()
        .await?;
    assert_eq!(resp.status(), 400);
    let body = json_of(resp).await?;
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    Ok(())
}

#[tokio::test]
async fn cut_after_stops_before_message_delta() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("abcdef").with_chunks(3).cut_after(1));
    let resp = post(&url(&mock), &json!({"model": "c", "stream": true})).await?;
    let (body, aborted) = read_body(resp).await;
    assert!(aborted);
    let types: Vec<String> = parse_sse(&body)
        .into_iter()
        .filter_map(|e| e.event)
        .collect();
    assert_eq!(
        types,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn count_tokens_and_models() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::default().with_usage(USAGE));
    let count_url = format!("{}/v1/messages/count_tokens", mock.base_url());
    let body = json_of(post(&count_url, &json!({"model": "c", "messages": []})).await?).await?;
    assert_eq!(body, json!({"input_tokens": 30}));

    let client = reqwest::Client::new();
    let list = client
        .get(format!("{}/v1/models", mock.base_url()))
        .header("anthropic-version", "2023-06-01")
        .send()
        .await?;
    let list = json_of(list).await?;
    assert_eq!(
        list["data"][0],
        json!({
            "type": "model",
            "id": "claude-sonnet-4-5",
            "display_name": "Claude Sonnet 4.5",
            "created_at": "2025-01-01T00:00:00Z",
        })
    );
    assert_eq!(list["has_more"], false);
    assert_eq!(list["first_id"], "claude-sonnet-4-5");
    assert_eq!(list["last_id"], "claude-haiku-4-5");
    let one = client
        .get(format!("{}/v1/models/claude-haiku-4-5", mock.base_url()))
        .header("anthropic-version", "2023-06-01")
        .send()
        .await?;
    let one = json_of(one).await?;
    assert_eq!(one["type"], "model");
    assert_eq!(one["display_name"], "Claude Haiku 4.5");
    Ok(())
}
