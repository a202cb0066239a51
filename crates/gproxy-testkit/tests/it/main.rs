//! Integration tests: a real `MockUpstream` on a random port, driven over HTTP with reqwest.
//! One module per API surface, plus server behaviour (auth, recording, script, latency), the
//! `/__mock/` control endpoints, and an opt-in check with the official Python SDKs.

mod anthropic;
mod control;
mod gemini;
mod openai;
mod responses;
mod sdk;
mod server;

use futures_util::StreamExt as _;
use serde_json::Value;

/// A parsed SSE event: its `event:` line (if any) and its `data:` payload.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// Splits an SSE body into events (accepting `\n` and `\r\n` line ends).
pub fn parse_sse(body: &str) -> Vec<SseEvent> {
    let normalized = body.replace("\r\n", "\n");
    normalized
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(rest) = line.strip_prefix("event: ") {
                    event = Some(rest.to_owned());
                } else if let Some(rest) = line.strip_prefix("data: ") {
                    data.push(rest);
                } else {
                    panic!("unexpected SSE line {line:?}");
                }
            }
            SseEvent {
                event,
                data: data.join("\n"),
            }
        })
        .collect()
}

/// POSTs a JSON body.
pub async fn post(url: &str, body: &Value) -> anyhow::Result<reqwest::Response> {
    Ok(reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body)?)
        .send()
        .await?)
}

/// Reads a whole response body as JSON.
pub async fn json_of(resp: reqwest::Response) -> anyhow::Result<Value> {
    Ok(serde_json::from_slice(&resp.bytes().await?)?)
}

/// Reads a body to its end; returns what arrived and whether it ended in a transport error
/// (an aborted connection) rather than a clean end.
pub async fn read_body(resp: reqwest::Response) -> (String, bool) {
    let mut stream = resp.bytes_stream();
    let mut bytes = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(_) => return (String::from_utf8_lossy(&bytes).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&bytes).into_owned(), false)
}
