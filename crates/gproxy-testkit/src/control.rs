//! The `/__mock/*` control endpoints, so a test in another process (the Python end-to-end
//! suite, a benchmark script) can script the mock and read its request log over HTTP:
//! `POST /__mock/replies` pushes replies, `GET /__mock/requests` returns the log as JSON and
//! `DELETE /__mock/requests` clears the log and the pending replies.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::record::RecordedRequest;
use crate::script::{MockUsage, Reply, ReplyKind};
use crate::server::AppState;

/// Path prefix of the control endpoints; no real provider serves anything under it, and the
/// request log skips it.
pub(crate) const PREFIX: &str = "/__mock/";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/__mock/replies", post(push_replies))
        .route("/__mock/requests", get(list_requests).delete(clear))
}

/// One reply as the control API takes it. At most one of `text`, `tool_call` and `error`; every
/// field left out keeps the value of the server's default reply (so `{}` is the default reply).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplySpec {
    text: Option<String>,
    tool_call: Option<ToolCallSpec>,
    /// Several calls at once (parallel tool calls); instead of `tool_call`.
    tool_calls: Option<Vec<ToolCallSpec>>,
    error: Option<ErrorSpec>,
    /// Replaces the whole usage; counts left out are 0.
    usage: Option<MockUsage>,
    chunks: Option<usize>,
    chunk_delay_ms: Option<u64>,
    cut_after: Option<usize>,
    latency_ms: Option<u64>,
    hold_open_ms: Option<u64>,
    /// OpenAI Chat and Gemini: the finish reason to send instead of the answer's own.
    finish_reason: Option<String>,
    /// OpenAI Responses: a reasoning summary before the answer.
    reasoning: Option<String>,
    /// Extra response headers, on any reply.
    headers: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolCallSpec {
    id: String,
    name: String,
    /// The tool's arguments object; `{}` when left out.
    #[serde(default = "empty_object")]
    arguments: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorSpec {
    status: u16,
    #[serde(default = "default_error_message")]
    message: String,
    /// The whole JSON body, instead of the protocol's error shape.
    #[serde(default)]
    body: Option<Value>,
    /// Extra response headers.
    #[serde(default)]
    headers: Map<String, Value>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

fn default_error_message() -> String {
    "mock: scripted error".to_owned()
}

impl ReplySpec {
    /// The reply this spec describes, starting from `base` (the server's default reply).
    pub(crate) fn into_reply(self, base: Reply) -> Result<Reply, String> {
        let kinds = [
            self.text.is_some(),
            self.tool_call.is_some(),
            self.tool_calls.is_some(),
            self.error.is_some(),
        ];
        if kinds.into_iter().filter(|set| *set).count() > 1 {
            return Err(
                "give at most one of `text`, `tool_call`, `tool_calls` and `error`".to_owned(),
            );
        }
        let mut reply = base;
        if let Some(text) = self.text {
            reply.kind = ReplyKind::Text(text);
        } else if let Some(call) = self.tool_call {
            reply.kind = ReplyKind::ToolCall {
                id: call.id,
                name: call.name,
                arguments: call.arguments,
            };
        } else if let Some(calls) = self.tool_calls {
            let calls = Reply::tool_calls(calls.into_iter().map(|c| (c.id, c.name, c.arguments)));
            reply.kind = calls.kind;
            reply.parallel_calls = calls.parallel_calls;
        } else if let Some(error) = self.error {
            let headers = string_pairs(error.headers, "error.headers")?;
            reply.kind = ReplyKind::Error {
                status: error.status,
                message: error.message,
                body: error.body,
            };
            reply.headers.extend(headers);
        }
        if let Some(usage) = self.usage {
            reply.usage = usage;
        }
        if let Some(chunks) = self.chunks {
            reply.chunks = chunks;
        }
        if let Some(ms) = self.chunk_delay_ms {
            reply.chunk_delay = Duration::from_millis(ms);
        }
        if self.cut_after.is_some() {
            reply.cut_after = self.cut_after;
        }
        if let Some(ms) = self.latency_ms {
            reply.latency = Some(Duration::from_millis(ms));
        }
        if let Some(ms) = self.hold_open_ms {
            reply.hold_open = Some(Duration::from_millis(ms));
        }
        if self.finish_reason.is_some() {
            reply.finish_reason = self.finish_reason;
        }
        if let Some(headers) = self.headers {
            reply.headers.extend(string_pairs(headers, "headers")?);
        }
        if self.reasoning.is_some() {
            reply.reasoning = self.reasoning;
        }
        Ok(reply)
    }
}

/// Header name/value pairs from a JSON object of strings.
fn string_pairs(map: Map<String, Value>, at: &str) -> Result<Vec<(String, String)>, String> {
    map.into_iter()
        .map(|(name, value)| match value {
            Value::String(value) => Ok((name, value)),
            _ => Err(format!("{at}.{name} must be a string")),
        })
        .collect()
}

/// Parses a control body: one reply object or an array of them. All or nothing: the first bad
/// entry fails the whole body, so a typo never leaves half a script queued.
pub(crate) fn parse_replies(body: &[u8], base: &Reply) -> Result<Vec<Reply>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| format!("body is not JSON: {err}"))?;
    let (items, many) = match value {
        Value::Array(items) => (items, true),
        one => (vec![one], false),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let at = if many {
                format!("reply {index}: ")
            } else {
                String::new()
            };
            let spec: ReplySpec =
                serde_json::from_value(item).map_err(|err| format!("{at}{err}"))?;
            spec.into_reply(base.clone())
                .map_err(|err| format!("{at}{err}"))
        })
        .collect()
}

/// The JSON form of a logged request: headers as an object (lower-case names; repeated headers
/// joined with `, `), the body parsed as JSON, else as a string, and `null` when empty.
pub(crate) fn request_json(request: &RecordedRequest) -> Value {
    let mut headers = Map::new();
    for (name, value) in &request.headers {
        match headers.get_mut(name) {
            Some(Value::String(joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            _ => {
                headers.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    let body = if request.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&request.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&request.body).into_owned()))
    };
    json!({
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "headers": headers,
        "body": body,
    })
}

/// `POST /__mock/replies`: 204, or 400 with `{"error": {"message"}}` and nothing queued.
async fn push_replies(State(state): State<AppState>, body: Bytes) -> Response {
    match parse_replies(&body, &state.default_reply()) {
        Ok(replies) => {
            state.push_all(replies);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => {
            let body = json!({"error": {"message": format!("mock: {message}")}});
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
    }
}

/// `GET /__mock/requests`: the log, oldest first.
async fn list_requests(State(state): State<AppState>) -> Response {
    let log: Vec<Value> = state.requests().iter().map(request_json).collect();
    axum::Json(Value::Array(log)).into_response()
}

/// `DELETE /__mock/requests`: forget the log and every pending reply.
async fn clear(State(state): State<AppState>) -> Response {
    state.reset();
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Vec<Reply>, String> {
        parse_replies(body.as_bytes(), &Reply::default())
    }

    #[test]
    fn one_object_or_array() -> Result<(), String> {
        assert_eq!(parse(r#"{"text":"hi"}"#)?, [Reply::text("hi")]);
        let replies = parse(
            r#"[{"tool_call":{"id":"call_1","name":"f","arguments":{"a":1}}},
                {"error":{"status":429,"message":"slow down"}}, {}]"#,
        )?;
        assert_eq!(
            replies,
            [
                Reply::tool_call("call_1", "f", json!({"a": 1})),
                Reply::error(429, "slow down"),
                Reply::default(),
            ]
        );
        Ok(())
    }

    #[test]
    fn stream_knobs_and_usage() -> Result<(), String> {
        let replies = parse(
            r#"{"text":"abc","usage":{"input":5,"output":4},"chunks":2,
                "chunk_delay_ms":10,"cut_after":1,"latency_ms":20}"#,
        )?;
        let expected = Reply::text("abc")
            .with_usage(MockUsage {
                input: 5,
                output: 4,
                ..MockUsage::default()
            })
            .with_chunks(2)
            .with_chunk_delay(Duration::from_millis(10))
            .cut_after(1)
            .with_latency(Duration::from_millis(20));
        assert_eq!(replies, [expected]);
        Ok(())
    }

    #[test]
    fn unset_fields_keep_the_base_reply() -> Result<(), String> {
        let base = Reply::text("base").with_chunks(7);
        let replies = parse_replies(br#"{"error":{"status":500}}"#, &base)?;
        assert_eq!(replies[0].chunks, 7);
        assert_eq!(
            replies[0].kind,
            ReplyKind::Error {
                status: 500,
                message: "mock: scripted error".into(),
                body: None,
            }
        );
        Ok(())
    }

    #[test]
    fn rejects_bad_bodies() {
        let err = |body: &str| parse(body).err().unwrap_or_default();
        assert!(err("{oops").contains("not JSON"));
        assert!(err(r#"{"txt":"typo"}"#).contains("unknown field `txt`"));
        assert!(err(r#"[{"text":"a"},{"text":1}]"#).starts_with("reply 1: "));
        assert!(err(r#"{"text":"a","error":{"status":500}}"#).contains("at most one"));
        let two = parse(
            r#"{"tool_calls":[{"id":"a","name":"f"},{"id":"b","name":"g","arguments":{"x":1}}]}"#,
        )
        .expect("parallel calls");
        assert_eq!(two[0].parallel_calls.len(), 1);
        assert_eq!(two[0].parallel_calls[0].arguments, json!({"x": 1}));
        assert!(err(r#"{"usage":{"input":-1}}"#).contains("invalid value"));
    }

    #[test]
    fn request_json_shapes_headers_and_body() {
        let request = RecordedRequest {
            method: "POST".into(),
            path: "/v1/x".into(),
            query: Some("a=1".into()),
            headers: vec![
                ("accept".into(), "a".into()),
                ("x-k".into(), "1".into()),
                ("accept".into(), "b".into()),
            ],
            body: Bytes::from_static(b"not json"),
        };
        assert_eq!(
            request_json(&request),
            json!({"method": "POST", "path": "/v1/x", "query": "a=1",
                   "headers": {"accept": "a, b", "x-k": "1"}, "body": "not json"})
        );
        let empty = RecordedRequest {
            query: None,
            body: Bytes::new(),
            ..request
        };
        let value = request_json(&empty);
        assert_eq!(
            (&value["query"], &value["body"]),
            (&Value::Null, &Value::Null)
        );
    }
}
