//! OpenAI Responses API.

use gproxy_testkit::{MockUpstream, MockUsage, Reply};
use serde_json::{Value, json};

use crate::{json_of, parse_sse, post, read_body};

fn url(mock: &MockUpstream) -> String {
    format!("{}/v1/responses", mock.base_url())
}

/// Checks `event:` equals `data.type` and sequence numbers count from 0; returns the types.
fn checked_types(body: &str) -> Vec<String> {
    parse_sse(body)
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let data = event.json();
            assert_eq!(event.event.as_deref(), data["type"].as_str(), "event {i}");
            assert_eq!(data["sequence_number"], json!(i));
            event.event.clone().unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn text_non_stream() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let usage = MockUsage {
        input: 50,
        output: 9,
        cache_read: 10,
        cache_write: 0,
        reasoning: 4,
    };
    mock.push(Reply::text("final answer").with_usage(usage));
    let body =
        json_of(post(&url(&mock), &json!({"model": "gpt-4.1", "input": "hi"})).await?).await?;
    assert_eq!(body["id"], "resp_mock_1");
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["model"], "gpt-4.1");
    assert_eq!(body["parallel_tool_calls"], true);
    assert_eq!(body["tool_choice"], "auto");
    assert_eq!(body["tools"], json!([]));
    assert_eq!(
        body["output"],
        json!([{
            "type": "message",
            "id": "msg_mock_1",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "final answer", "annotations": []}],
        }])
    );
    assert_eq!(
        body["usage"],
        json!({
            "input_tokens": 50,
            "input_tokens_details": {"cached_tokens": 10},
            "output_tokens": 9,
            "output_tokens_details": {"reasoning_tokens": 4},
            "total_tokens": 59,
        })
    );
    Ok(())
}

#[tokio::test]
async fn text_stream_event_sequence() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("one two").with_chunks(2));
    let resp = post(&url(&mock), &json!({"model": "gpt-4.1", "stream": true})).await?;
    let (body, aborted) = read_body(resp).await;
    assert!(!aborted);
    let types = checked_types(&body);
    assert_eq!(
        types,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let events: Vec<Value> = parse_sse(&body).iter().map(|e| e.json()).collect();
    assert_eq!(events[0]["response"]["status"], "in_progress");
    assert_eq!(events[0]["response"]["output"], json!([]));
    assert_eq!(events[2]["item"]["type"], "message");
    assert_eq!(events[2]["item"]["id"], "msg_mock_1");
    assert_eq!(
        events[3]["part"],
        json!({"type": "output_text", "text": "", "annotations": []})
    );
    let deltas: Vec<&str> = events[4..6]
        .iter()
        .filter_map(|e| e["delta"].as_str())
        .collect();
    assert_eq!(deltas, ["one", " two"]);
    for event in &events[3..8] {
        assert_eq!(event["item_id"], "msg_mock_1");
        assert_eq!(event["output_index"], 0);
        assert_eq!(event["content_index"], 0);
    }
    assert_eq!(events[6]["text"], "one two");
    let done = &events[9]["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"][0]["content"][0]["text"], "one two");
    assert_eq!(done["usage"]["input_tokens"], 11);
    assert_eq!(done["usage"]["output_tokens"], 7);
    assert_eq!(done["usage"]["total_tokens"], 18);
    Ok(())
}

#[tokio::test]
async fn tool_call_stream_and_non_stream() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let args = json!({"city": "Paris", "unit": "c"});
    mock.push(Reply::tool_call("call_9", "get_weather", args.clone()));
    mock.push(Reply::tool_call("call_9", "get_weather", args.clone()).with_chunks(4));

    let body = json_of(post(&url(&mock), &json!({"model": "m"})).await?).await?;
    assert_eq!(
        body["output"],
        json!([{
            "type": "function_call",
            "id": "fc_mock_1",
            "call_id": "call_9",
            "name": "get_weather",
            "arguments": args.to_string(),
            "status": "completed",
        }])
    );

    let resp = post(&url(&mock), &json!({"model": "m", "stream": true})).await?;
    let (body, _) = read_body(resp).await;
    let types = checked_types(&body);
    let mut expected = vec![
        "response.created",
        "response.in_progress",
        "response.output_item.added",
    ];
    expected.extend(["response.function_call_arguments.delta"; 4]);
    expected.extend([
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]);
    assert_eq!(types, expected);
    let events: Vec<Value> = parse_sse(&body).iter().map(|e| e.json()).collect();
    assert_eq!(events[2]["item"]["arguments"], "");
    assert_eq!(events[2]["item"]["call_id"], "call_9");
    let joined: String = events[3..7]
        .iter()
        .filter_map(|e| e["delta"].as_str())
        .collect();
    assert_eq!(serde_json::from_str::<Value>(&joined)?, args);
    assert_eq!(events[7]["arguments"], args.to_string());
    assert_eq!(events[7]["item_id"], "fc_mock_2");
    assert_eq!(events[9]["response"]["output"][0]["call_id"], "call_9");
    Ok(())
}

#[tokio::test]
async fn cut_and_error_and_input_tokens() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("abc").cut_after(1));
    mock.push(Reply::error(400, "bad input"));
    mock.push(Reply::default().with_usage(MockUsage {
        input: 77,
        ..MockUsage::default()
    }));

    let resp = post(&url(&mock), &json!({"model": "m", "stream": true})).await?;
    let (body, aborted) = read_body(resp).await;
    assert!(aborted);
    let types = checked_types(&body);
    assert_eq!(
        types.last().map(String::as_str),
        Some("response.output_text.delta")
    );
    assert_eq!(types.len(), 5);

    let resp = post(&url(&mock), &json!({"model": "m"})).await?;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        json_of(resp).await?["error"]["type"],
        "invalid_request_error"
    );

    let tokens_url = format!("{}/v1/responses/input_tokens", mock.base_url());
    let body = json_of(post(&tokens_url, &json!({"model": "m", "input": "x"})).await?).await?;
    assert_eq!(
        body,
        json!({"object": "response.input_tokens", "input_tokens": 77})
    );
    Ok(())
}
