//! OpenAI Chat Completions, Embeddings and model list.

use base64::Engine as _;
use gproxy_testkit::{MockUpstream, MockUsage, Reply, mock_embedding};
use serde_json::{Value, json};

use crate::{json_of, parse_sse, post, read_body};

const USAGE: MockUsage = MockUsage {
    input: 100,
    output: 20,
    cache_read: 40,
    cache_write: 5,
    reasoning: 8,
};

fn chat_url(mock: &MockUpstream) -> String {
    format!("{}/v1/chat/completions", mock.base_url())
}

#[tokio::test]
async fn chat_text_non_stream() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("hi there").with_usage(USAGE));
    let resp = post(
        &chat_url(&mock),
        &json!({"model": "gpt-4.1", "messages": []}),
    )
    .await?;
    assert_eq!(resp.status(), 200);
    let body = json_of(resp).await?;
    assert_eq!(body["id"], "chatcmpl-mock-1");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4.1");
    assert!(body["created"].as_u64().is_some_and(|t| t > 1_600_000_000));
    let choice = &body["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["logprobs"], Value::Null);
    assert_eq!(
        choice["message"],
        json!({"role": "assistant", "content": "hi there", "refusal": null})
    );
    assert_eq!(
        body["usage"],
        json!({
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "prompt_tokens_details": {"cached_tokens": 40},
            "completion_tokens_details": {"reasoning_tokens": 8},
        })
    );
    Ok(())
}

#[tokio::test]
async fn chat_stream_text_with_usage() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("abcdefgh").with_chunks(4).with_usage(USAGE));
    let req =
        json!({"model": "gpt-4.1-mini", "stream": true, "stream_options": {"include_usage": true}});
    let resp = post(&chat_url(&mock), &req).await?;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let (body, aborted) = read_body(resp).await;
    assert!(!aborted);
    let events = parse_sse(&body);
    // role chunk + 4 content chunks + finish chunk + usage chunk + [DONE]
    assert_eq!(events.len(), 8);
    assert!(events.iter().all(|e| e.event.is_none()));
    assert_eq!(events[7].data, "[DONE]");
    let chunks: Vec<Value> = events[..7].iter().map(|e| e.json()).collect();
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], "chatcmpl-mock-1");
        assert_eq!(chunk["model"], "gpt-4.1-mini");
    }
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    let pieces: Vec<&str> = chunks[1..5]
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(pieces, ["ab", "cd", "ef", "gh"]);
    assert_eq!(chunks[5]["choices"][0]["delta"], json!({}));
    assert_eq!(chunks[5]["choices"][0]["finish_reason"], "stop");
    for chunk in &chunks[..6] {
        assert_eq!(chunk.get("usage"), Some(&Value::Null));
    }
    assert_eq!(chunks[6]["choices"], json!([]));
    assert_eq!(chunks[6]["usage"]["prompt_tokens"], 100);
    assert_eq!(chunks[6]["usage"]["completion_tokens"], 20);
    assert_eq!(chunks[6]["usage"]["total_tokens"], 120);
    assert_eq!(
        chunks[6]["usage"]["prompt_tokens_details"]["cached_tokens"],
        40
    );
    Ok(())
}

#[tokio::test]
async fn chat_stream_without_usage_option_has_no_usage_key() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let resp = post(&chat_url(&mock), &json!({"model": "m", "stream": true})).await?;
    let (body, _) = read_body(resp).await;
    let events = parse_sse(&body);
    // Default reply: 3 chunks.
    assert_eq!(events.len(), 6);
    assert_eq!(events[5].data, "[DONE]");
    for event in &events[..5] {
        assert_eq!(event.json().get("usage"), None);
    }
    let text: String = events[1..4]
        .iter()
        .filter_map(|e| {
            e.json()["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "Hello from mock!");
    Ok(())
}

#[tokio::test]
async fn chat_tool_call_non_stream_and_stream() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let args = json!({"city": "Paris"});
    mock.push(Reply::tool_call("call_1", "get_weather", args.clone()));
    mock.push(Reply::tool_call("call_2", "get_weather", args.clone()).with_chunks(5));

    let body = json_of(post(&chat_url(&mock), &json!({"model": "m"})).await?).await?;
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    assert_eq!(
        choice["message"]["tool_calls"],
        json!([{
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
        }])
    );

    let resp = post(&chat_url(&mock), &json!({"model": "m", "stream": true})).await?;
    let (text, _) = read_body(resp).await;
    let events = parse_sse(&text);
    assert_eq!(events.len(), 1 + 5 + 1 + 1);
    let first = events[0].json();
    let head = &first["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(head["index"], 0);
    assert_eq!(head["id"], "call_2");
    assert_eq!(head["type"], "function");
    assert_eq!(
        head["function"],
        json!({"name": "get_weather", "arguments": ""})
    );
    let mut joined = String::new();
    for event in &events[1..6] {
        let value = event.json();
        let call = &value["choices"][0]["delta"]["tool_calls"][0];
        assert_eq!(call["index"], 0);
        joined.push_str(
            call["function"]["arguments"]
                .as_str()
                .unwrap_or("<missing>"),
        );
    }
    assert_eq!(serde_json::from_str::<Value>(&joined)?, args);
    assert_eq!(
        events[6].json()["choices"][0]["finish_reason"],
        "tool_calls"
    );
    assert_eq!(events[7].data, "[DONE]");
    Ok(())
}

#[tokio::test]
async fn chat_error_reply_uses_openai_shape() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::error(429, "slow down"));
    mock.push(Reply::error(503, "down"));
    let resp = post(&chat_url(&mock), &json!({"model": "m", "stream": true})).await?;
    assert_eq!(resp.status(), 429);
    assert_eq!(
        json_of(resp).await?,
        json!({"error": {"message": "slow down", "type": "rate_limit_error", "param": null, "code": null}})
    );
    let resp = post(&chat_url(&mock), &json!({"model": "m"})).await?;
    assert_eq!(resp.status(), 503);
    assert_eq!(json_of(resp).await?["error"]["type"], "server_error");
    Ok(())
}

#[tokio::test]
async fn chat_cut_after_aborts_mid_stream() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("abcdef").with_chunks(3).cut_after(2));
    let req = json!({"model": "m", "stream": true, "stream_options": {"include_usage": true}});
    let resp = post(&chat_url(&mock), &req).await?;
    assert_eq!(resp.status(), 200);
    let (body, aborted) = read_body(resp).await;
    assert!(aborted, "the body must end in a transport error");
    let events = parse_sse(&body);
    assert_eq!(events.len(), 3, "role chunk + 2 deltas, got {body:?}");
    assert_eq!(events[2].json()["choices"][0]["delta"]["content"], "cd");
    assert!(!body.contains("[DONE]"));
    assert!(!body.contains("finish_reason\":\"stop"));
    Ok(())
}

#[tokio::test]
async fn embeddings_float_and_base64() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let url = format!("{}/v1/embeddings", mock.base_url());
    let req = json!({"model": "text-embedding-3-small", "input": ["alpha", "beta"]});
    let body = json_of(post(&url, &req).await?).await?;
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "text-embedding-3-small");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 11, "total_tokens": 11})
    );
    let data = body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 2);
    assert_eq!(data[1]["object"], "embedding");
    assert_eq!(data[1]["index"], 1);
    assert_eq!(data[1]["embedding"], json!(mock_embedding("beta")));

    let req = json!({"model": "e", "input": "alpha", "encoding_format": "base64"});
    let body = json_of(post(&url, &req).await?).await?;
    let encoded = body["data"][0]["embedding"].as_str().unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded)?;
    let floats: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(floats, mock_embedding("alpha"));
    Ok(())
}

#[tokio::test]
async fn models_list_and_get() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let list = json_of(reqwest::get(format!("{}/v1/models", mock.base_url())).await?).await?;
    assert_eq!(list["object"], "list");
    assert_eq!(
        list["data"][0],
        json!({"id": "gpt-4.1", "object": "model", "created": 1_700_000_000, "owned_by": "mock"})
    );
    assert_eq!(list["data"][1]["id"], "gpt-4.1-mini");
    let one =
        json_of(reqwest::get(format!("{}/v1/models/gpt-4.1-mini", mock.base_url())).await?).await?;
    assert_eq!(one["id"], "gpt-4.1-mini");
    assert_eq!(one["object"], "model");
    Ok(())
}

#[tokio::test]
async fn parallel_tool_calls_in_every_protocol() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let calls = || {
        Reply::tool_calls([
            ("call_a".to_owned(), "f".to_owned(), json!({"x": 1})),
            ("call_b".to_owned(), "g".to_owned(), json!({"y": 2})),
        ])
    };
    // Chat, whole: both in `tool_calls`.
    mock.push(calls());
    let v = json_of(post(&chat_url(&mock), &json!({"model": "m", "messages": []})).await?).await?;
    let ids: Vec<&str> = v["choices"][0]["message"]["tool_calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["call_a", "call_b"]);
    // Chat, streamed: the second call has its own index and arguments.
    mock.push(calls());
    let (body, _) = read_body(
        post(
            &chat_url(&mock),
            &json!({"model": "m", "messages": [], "stream": true}),
        )
        .await?,
    )
    .await;
    let mut args = [String::new(), String::new()];
    for data in body.lines().filter_map(|l| l.strip_prefix("data: ")) {
        let Ok(v) = serde_json::from_str::<Value>(data) else {
            continue;
        };
        for c in v["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = c["index"].as_u64().unwrap_or(9) as usize;
            args[i].push_str(c["function"]["arguments"].as_str().unwrap_or_default());
        }
    }
    assert_eq!(serde_json::from_str::<Value>(&args[0])?, json!({"x": 1}));
    assert_eq!(serde_json::from_str::<Value>(&args[1])?, json!({"y": 2}));
    // Anthropic, streamed: a second tool_use block.
    mock.push(calls());
    let (body, _) = read_body(
        post(
            &format!("{}/v1/messages", mock.base_url()),
            &json!({"model": "m", "max_tokens": 5, "messages": [], "stream": true}),
        )
        .await?,
    )
    .await;
    let starts = body.matches("\"type\":\"tool_use\"").count();
    assert_eq!(starts, 2, "{body}");
    assert!(
        body.contains("\"partial_json\":\"{\\\"y\\\":2}\""),
        "{body}"
    );
    // Gemini: two functionCall parts.
    mock.push(calls());
    let v = json_of(
        post(
            &format!("{}/v1beta/models/m:generateContent", mock.base_url()),
            &json!({"contents": []}),
        )
        .await?,
    )
    .await?;
    assert_eq!(
        v["candidates"][0]["content"]["parts"][1]["functionCall"]["name"],
        "g"
    );
    Ok(())
}
