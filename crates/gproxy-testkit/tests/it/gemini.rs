//! Gemini generateContent family and model list, under `/v1beta` and `/v1`.

use gproxy_testkit::{MockUpstream, MockUsage, Reply, mock_embedding};
use serde_json::{Value, json};

use crate::{json_of, parse_sse, post, read_body};

const USAGE: MockUsage = MockUsage {
    input: 21,
    output: 13,
    cache_read: 5,
    cache_write: 0,
    reasoning: 3,
};

fn action(mock: &MockUpstream, version: &str, model: &str, action: &str) -> String {
    format!("{}/{version}/models/{model}:{action}", mock.base_url())
}

fn request() -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
}

#[tokio::test]
async fn generate_content_on_both_versions() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("Hallo").with_usage(USAGE));
    let resp = post(
        &action(&mock, "v1beta", "gemini-2.5-flash", "generateContent"),
        &request(),
    )
    .await?;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        json_of(resp).await?,
        json!({
            "candidates": [{
                "content": {"role": "model", "parts": [{"text": "Hallo"}]},
                "finishReason": "STOP",
                "index": 0,
            }],
            "usageMetadata": {
                "promptTokenCount": 21,
                "candidatesTokenCount": 13,
                "totalTokenCount": 37,
                "cachedContentTokenCount": 5,
                "thoughtsTokenCount": 3,
            },
            "modelVersion": "gemini-2.5-flash",
            "responseId": "mock-1",
        })
    );
    let resp = post(
        &action(&mock, "v1", "gemini-2.5-pro", "generateContent"),
        &request(),
    )
    .await?;
    let body = json_of(resp).await?;
    assert_eq!(body["modelVersion"], "gemini-2.5-pro");
    assert_eq!(
        body["candidates"][0]["content"]["parts"][0]["text"],
        "Hello from mock!"
    );
    Ok(())
}

#[tokio::test]
async fn stream_sse() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("abcdef").with_chunks(3).with_usage(USAGE));
    let url = action(&mock, "v1beta", "gemini-2.5-flash", "streamGenerateContent");
    let resp = post(&format!("{url}?alt=sse"), &request()).await?;
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let (body, aborted) = read_body(resp).await;
    assert!(!aborted);
    assert!(
        !body.lines().any(|line| line.starts_with(':')),
        "no comment lines"
    );
    assert_eq!(body.matches("\r\n\r\n").count(), 3);
    let events = parse_sse(&body);
    assert_eq!(events.len(), 3);
    let data: Vec<Value> = events.iter().map(|e| e.json()).collect();
    let pieces: Vec<&str> = data
        .iter()
        .filter_map(|d| d["candidates"][0]["content"]["parts"][0]["text"].as_str())
        .collect();
    assert_eq!(pieces, ["ab", "cd", "ef"]);
    for chunk in &data {
        assert_eq!(chunk["usageMetadata"]["promptTokenCount"], 21);
        assert_eq!(chunk["modelVersion"], "gemini-2.5-flash");
    }
    assert_eq!(data[0]["candidates"][0].get("finishReason"), None);
    assert_eq!(data[2]["candidates"][0]["finishReason"], "STOP");
    Ok(())
}

#[tokio::test]
async fn stream_json_array() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    mock.push(Reply::text("abcd").with_chunks(2));
    let url = action(&mock, "v1", "gemini-2.5-flash", "streamGenerateContent");
    let resp = post(&url, &request()).await?;
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let (body, aborted) = read_body(resp).await;
    assert!(!aborted);
    assert!(body.starts_with("[{"));
    assert!(body.contains("},\r\n{"));
    assert!(body.ends_with("}]"));
    let array: Vec<Value> = serde_json::from_str(&body)?;
    assert_eq!(array.len(), 2);
    assert_eq!(
        array[1]["candidates"][0]["content"]["parts"][0]["text"],
        "cd"
    );
    assert_eq!(array[1]["candidates"][0]["finishReason"], "STOP");
    Ok(())
}

#[tokio::test]
async fn function_call_and_cut_and_error() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let args = json!({"city": "Paris"});
    mock.push(Reply::tool_call("ignored", "get_weather", args.clone()));
    mock.push(Reply::text("abcdef").with_chunks(3).cut_after(1));
    mock.push(Reply::error(429, "quota"));

    let url = action(&mock, "v1beta", "gemini-2.5-flash", "streamGenerateContent");
    let (body, _) = read_body(post(&format!("{url}?alt=sse"), &request()).await?).await;
    let events = parse_sse(&body);
    assert_eq!(events.len(), 1);
    let data = events[0].json();
    assert_eq!(
        data["candidates"][0]["content"]["parts"],
        json!([{"functionCall": {"name": "get_weather", "args": args}}])
    );
    assert_eq!(data["candidates"][0]["finishReason"], "STOP");

    let resp = post(&url, &request()).await?;
    let (body, aborted) = read_body(resp).await;
    assert!(aborted);
    assert!(body.starts_with("[{"));
    assert!(
        !body.contains("\r\n"),
        "only the first element arrived: {body:?}"
    );
    assert!(!body.ends_with(']'));

    let resp = post(
        &action(&mock, "v1beta", "gemini-2.5-flash", "generateContent"),
        &request(),
    )
    .await?;
    assert_eq!(resp.status(), 429);
    assert_eq!(
        json_of(resp).await?,
        json!({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}})
    );
    Ok(())
}

#[tokio::test]
async fn count_tokens_and_embeddings() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let count = post(
        &action(&mock, "v1beta", "gemini-2.5-flash", "countTokens"),
        &request(),
    )
    .await?;
    assert_eq!(json_of(count).await?, json!({"totalTokens": 11}));

    let req = json!({"content": {"parts": [{"text": "alpha"}]}});
    let one = post(
        &action(&mock, "v1beta", "text-embedding-004", "embedContent"),
        &req,
    )
    .await?;
    assert_eq!(
        json_of(one).await?,
        json!({"embedding": {"values": mock_embedding("alpha")}})
    );

    let req = json!({"requests": [
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": "alpha"}]}},
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": "beta"}]}},
    ]});
    let batch = post(
        &action(&mock, "v1", "text-embedding-004", "batchEmbedContents"),
        &req,
    )
    .await?;
    assert_eq!(
        json_of(batch).await?,
        json!({"embeddings": [
            {"values": mock_embedding("alpha")},
            {"values": mock_embedding("beta")},
        ]})
    );
    Ok(())
}

#[tokio::test]
async fn models_list_and_get() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let list = json_of(reqwest::get(format!("{}/v1beta/models", mock.base_url())).await?).await?;
    assert_eq!(
        list["models"][0],
        json!({
            "name": "models/gemini-2.5-flash",
            "displayName": "Gemini 2.5 Flash",
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        })
    );
    let one = reqwest::get(format!("{}/v1beta/models/gemini-2.5-pro", mock.base_url())).await?;
    assert_eq!(json_of(one).await?["displayName"], "Gemini 2.5 Pro");

    // On /v1 the Gemini key header tells it apart from OpenAI's model list.
    let v1 = reqwest::Client::new()
        .get(format!("{}/v1/models", mock.base_url()))
        .header("x-goog-api-key", "k")
        .send()
        .await?;
    assert_eq!(
        json_of(v1).await?["models"][1]["name"],
        "models/gemini-2.5-pro"
    );

    let unknown = post(
        &action(&mock, "v1beta", "gemini-2.5-flash", "frobnicate"),
        &request(),
    )
    .await?;
    assert_eq!(unknown.status(), 404);
    assert_eq!(json_of(unknown).await?["error"]["status"], "NOT_FOUND");
    Ok(())
}
