//! Gemini `models/{model}:{action}` (generateContent, streamGenerateContent as SSE or as an
//! incrementally streamed JSON array, countTokens, embedContent, batchEmbedContents) and the
//! Gemini model list, served under `/v1beta` here and under `/v1` via `models`.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::call::{Answer, Call};
use crate::script::{MockUsage, mock_embedding, split_even};
use crate::server::AppState;
use crate::sse::StreamScript;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1beta/models", get(list))
        .route("/v1beta/models/{model_action}", get(get_model).post(action))
}

/// `GET .../models`.
pub(crate) async fn list(call: Call) -> Response {
    match call.answer() {
        Ok(_) => Json(json!({"models": MODELS.map(|(id, _)| model(id))})).into_response(),
        Err(err) => err.into_response(),
    }
}

/// `GET .../models/{model}`; a `:action` suffix is not a model.
pub(crate) async fn get_model(Path(name): Path<String>, call: Call) -> Response {
    if let Err(err) = call.answer() {
        return err.into_response();
    }
    if name.contains(':') {
        let message = format!("mock: {name} must be called with POST");
        return call.surface.error(404, &message, call.seq);
    }
    Json(model(&name)).into_response()
}

/// `POST .../models/{model}:{action}`.
pub(crate) async fn action(Path(model_action): Path<String>, call: Call) -> Response {
    let answer = match call.answer() {
        Ok(answer) => answer,
        Err(err) => return err.into_response(),
    };
    let Some((model, action)) = model_action.rsplit_once(':') else {
        let message = format!("mock: unknown method models/{model_action}");
        return call.surface.error(404, &message, call.seq);
    };
    let usage = call.reply.usage;
    let response_id = format!("mock-{}", call.seq);
    match action {
        "generateContent" => {
            let finish = call.reply.finish_reason.as_deref().unwrap_or("STOP");
            Json(chunk(
                model,
                &response_id,
                parts(&answer),
                Some(finish),
                usage,
            ))
            .into_response()
        }
        "streamGenerateContent" => {
            let sse = call.query.get("alt").is_some_and(|alt| alt == "sse");
            let finish = call.reply.finish_reason.as_deref().unwrap_or("STOP");
            let chunks = stream_chunks(
                model,
                &response_id,
                &answer,
                usage,
                call.reply.chunks,
                finish,
            );
            if sse {
                sse_script(&chunks).into_response(&call, "text/event-stream")
            } else {
                array_script(&chunks).into_response(&call, "application/json")
            }
        }
        "countTokens" => Json(json!({"totalTokens": usage.input})).into_response(),
        "embedContent" => {
            let values = mock_embedding(&content_text(&call.body["content"]));
            Json(json!({"embedding": {"values": values}})).into_response()
        }
        "batchEmbedContents" => {
            let requests = call.body["requests"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let embeddings: Vec<Value> = requests
                .iter()
                .map(|req| json!({"values": mock_embedding(&content_text(&req["content"]))}))
                .collect();
            Json(json!({"embeddings": embeddings})).into_response()
        }
        other => {
            let message = format!("mock: unknown method {other}");
            call.surface.error(404, &message, call.seq)
        }
    }
}

/// The joined text parts of a `Content`.
fn content_text(content: &Value) -> String {
    content["parts"]
        .as_array()
        .map(|parts| parts.iter().filter_map(|p| p["text"].as_str()).collect())
        .unwrap_or_default()
}

/// The candidate's `parts` for a whole answer.
fn parts(answer: &Answer<'_>) -> Value {
    match answer {
        Answer::Text(text) => json!([{"text": text}]),
        Answer::Tool {
            name,
            arguments,
            more,
            ..
        } => {
            let mut parts = vec![json!({"functionCall": {"name": name, "args": arguments}})];
            parts.extend(
                more.iter()
                    .map(|c| json!({"functionCall": {"name": c.name, "args": c.arguments}})),
            );
            Value::Array(parts)
        }
    }
}

fn usage_metadata(usage: MockUsage) -> Value {
    json!({
        "promptTokenCount": usage.input,
        "candidatesTokenCount": usage.output,
        "totalTokenCount": usage.input + usage.output + usage.reasoning,
        "cachedContentTokenCount": usage.cache_read,
        "thoughtsTokenCount": usage.reasoning,
    })
}

/// One `GenerateContentResponse`; `finish` adds its `finishReason`.
fn chunk(
    model: &str,
    response_id: &str,
    parts: Value,
    finish: Option<&str>,
    usage: MockUsage,
) -> Value {
    let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    if let Some(reason) = finish {
        candidate["finishReason"] = json!(reason);
    }
    json!({
        "candidates": [candidate],
        "usageMetadata": usage_metadata(usage),
        "modelVersion": model,
        "responseId": response_id,
    })
}

/// Stream chunks: one per text piece (the last one finishing), or a single function call
/// chunk (Gemini does not stream call arguments, so `chunks` does not apply to tool calls).
fn stream_chunks(
    model: &str,
    response_id: &str,
    answer: &Answer<'_>,
    usage: MockUsage,
    chunks: usize,
    finish: &str,
) -> Vec<Value> {
    match answer {
        Answer::Text(text) => {
            let pieces = split_even(text, chunks);
            let last = pieces.len().saturating_sub(1);
            pieces
                .into_iter()
                .enumerate()
                .map(|(i, piece)| {
                    chunk(
                        model,
                        response_id,
                        json!([{"text": piece}]),
                        (i == last).then_some(finish),
                        usage,
                    )
                })
                .collect()
        }
        Answer::Tool { .. } => {
            vec![chunk(
                model,
                response_id,
                parts(answer),
                Some(finish),
                usage,
            )]
        }
    }
}

/// `?alt=sse`: `data: {json}\r\n\r\n` per chunk, never a comment line.
fn sse_script(chunks: &[Value]) -> StreamScript {
    StreamScript {
        deltas: chunks
            .iter()
            .map(|c| Bytes::from(format!("data: {c}\r\n\r\n")))
            .collect(),
        ..StreamScript::default()
    }
}

/// No `alt`: one JSON array, `[` first, elements separated by `,\r\n`, `]` last.
fn array_script(chunks: &[Value]) -> StreamScript {
    StreamScript {
        head: vec![Bytes::from_static(b"[")],
        deltas: chunks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let sep = if i == 0 { "" } else { ",\r\n" };
                Bytes::from(format!("{sep}{c}"))
            })
            .collect(),
        tail: vec![Bytes::from_static(b"]")],
    }
}

/// Models listed by `GET /v1beta/models`.
const MODELS: [(&str, &str); 2] = [
    ("gemini-2.5-flash", "Gemini 2.5 Flash"),
    ("gemini-2.5-pro", "Gemini 2.5 Pro"),
];

/// One Gemini model resource; `id` may carry the `models/` prefix.
pub(crate) fn model(id: &str) -> Value {
    let id = id.strip_prefix("models/").unwrap_or(id);
    let display = MODELS
        .iter()
        .find(|(known, _)| *known == id)
        .map_or(id, |(_, display)| display);
    json!({
        "name": format!("models/{id}"),
        "displayName": display,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concat(script: StreamScript) -> String {
        [script.head, script.deltas, script.tail]
            .concat()
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn array_stream_is_valid_json() {
        let chunks = stream_chunks(
            "g",
            "mock-1",
            &Answer::Text("abcd"),
            MockUsage::default(),
            2,
            "STOP",
        );
        let text = concat(array_script(&chunks));
        let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(parsed.as_array().map(Vec::len), Some(2));
        assert_eq!(parsed[1]["candidates"][0]["finishReason"], "STOP");
        assert_eq!(parsed[0]["candidates"][0].get("finishReason"), None);
        assert!(text.contains("},\r\n{"));
    }

    #[test]
    fn sse_stream_has_no_comments() {
        let chunks = stream_chunks(
            "g",
            "mock-1",
            &Answer::Text("ab"),
            MockUsage::default(),
            2,
            "STOP",
        );
        let text = concat(sse_script(&chunks));
        assert!(text.starts_with("data: {"));
        assert!(text.ends_with("}\r\n\r\n"));
        assert!(!text.lines().any(|l| l.starts_with(':')));
    }

    #[test]
    fn usage_total_includes_thoughts() {
        let usage = MockUsage {
            input: 1,
            output: 2,
            cache_read: 0,
            cache_write: 0,
            reasoning: 4,
        };
        assert_eq!(usage_metadata(usage)["totalTokenCount"], 7);
    }
}
