//! OpenAI Chat Completions (plain and streamed), Embeddings, and the OpenAI model list.

use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::call::{Answer, Call};
use crate::script::{MockUsage, mock_embedding, split_even, unix_now};
use crate::server::AppState;
use crate::sse::{self, StreamScript};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/embeddings", post(embeddings))
}

/// Fields every chat object of one response repeats.
struct Meta {
    id: String,
    created: u64,
    model: String,
    /// Replaces the answer's own `finish_reason`.
    finish_reason: Option<String>,
}

async fn chat(call: Call) -> Response {
    let answer = match call.answer() {
        Ok(answer) => answer,
        Err(err) => return err.into_response(),
    };
    let meta = Meta {
        id: format!("chatcmpl-mock-{}", call.seq),
        created: unix_now(),
        model: call.model(),
        finish_reason: call.reply.finish_reason.clone(),
    };
    if call.stream() {
        let include_usage = call.body["stream_options"]["include_usage"]
            .as_bool()
            .unwrap_or(false);
        let chunks = call.reply.chunks;
        chat_stream(&meta, &answer, call.reply.usage, chunks, include_usage)
            .into_response(&call, "text/event-stream")
    } else {
        Json(chat_completion(&meta, &answer, call.reply.usage)).into_response()
    }
}

/// The `usage` object of chat completions.
fn chat_usage(usage: MockUsage) -> Value {
    json!({
        "prompt_tokens": usage.input,
        "completion_tokens": usage.output,
        "total_tokens": usage.input + usage.output,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning},
    })
}

/// A non-streamed `chat.completion` object.
fn chat_completion(meta: &Meta, answer: &Answer<'_>, usage: MockUsage) -> Value {
    let (message, finish_reason) = match answer {
        Answer::Text(text) => (
            json!({"role": "assistant", "content": text, "refusal": null}),
            "stop",
        ),
        Answer::Tool {
            id,
            name,
            arguments,
            more,
        } => {
            let call = |id: &str, name: &str, arguments: &Value| {
                json!({"id": id, "type": "function",
                       "function": {"name": name, "arguments": arguments.to_string()}})
            };
            let mut calls = vec![call(id, name, arguments)];
            calls.extend(more.iter().map(|c| call(&c.id, &c.name, &c.arguments)));
            (
                json!({
                    "role": "assistant",
                    "content": null,
                    "refusal": null,
                    "tool_calls": calls,
                }),
                "tool_calls",
            )
        }
    };
    json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": meta.finish_reason.as_deref().unwrap_or(finish_reason),
        }],
        "usage": chat_usage(usage),
    })
}

/// The `chat.completion.chunk` sequence: role chunk, content (or argument) deltas, finish chunk,
/// optional usage chunk, `[DONE]`.
fn chat_stream(
    meta: &Meta,
    answer: &Answer<'_>,
    usage: MockUsage,
    chunks: usize,
    include_usage: bool,
) -> StreamScript {
    let chunk = |choices: Value, usage: Value| -> Bytes {
        let mut value = json!({
            "id": meta.id,
            "object": "chat.completion.chunk",
            "created": meta.created,
            "model": meta.model,
            "system_fingerprint": null,
            "choices": choices,
        });
        if include_usage {
            value["usage"] = usage;
        }
        sse::data(&value)
    };
    let choice = |delta: Value, finish: Value| {
        chunk(
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]),
            Value::Null,
        )
    };

    let (first, deltas, finish) = match answer {
        Answer::Text(text) => {
            let first = json!({"role": "assistant", "content": ""});
            let deltas = split_even(text, chunks)
                .into_iter()
                .map(|piece| choice(json!({"content": piece}), Value::Null))
                .collect();
            (first, deltas, "stop")
        }
        Answer::Tool {
            id,
            name,
            arguments,
            more,
        } => {
            let first = json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "index": 0,
                    "id": id,
                    "type": "function",
                    "function": {"name": name, "arguments": ""},
                }],
            });
            let mut deltas: Vec<Bytes> = split_even(&arguments.to_string(), chunks)
                .into_iter()
                .map(|frag| {
                    let delta =
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": frag}}]});
                    choice(delta, Value::Null)
                })
                .collect();
            // Parallel calls follow, each with its own index: its opening delta, then its
            // arguments in pieces.
            for (k, c) in more.iter().enumerate() {
                let index = k + 1;
                deltas.push(choice(
                    json!({"tool_calls": [{"index": index, "id": c.id, "type": "function",
                                           "function": {"name": c.name, "arguments": ""}}]}),
                    Value::Null,
                ));
                for frag in split_even(&c.arguments.to_string(), chunks) {
                    deltas.push(choice(
                        json!({"tool_calls": [{"index": index, "function": {"arguments": frag}}]}),
                        Value::Null,
                    ));
                }
            }
            (first, deltas, "tool_calls")
        }
    };

    let finish = meta.finish_reason.as_deref().unwrap_or(finish);
    let mut tail = vec![choice(json!({}), json!(finish))];
    if include_usage {
        tail.push(chunk(json!([]), chat_usage(usage)));
    }
    tail.push(Bytes::from_static(b"data: [DONE]\n\n"));
    StreamScript {
        head: vec![choice(first, Value::Null)],
        deltas,
        tail,
    }
}

async fn embeddings(call: Call) -> Response {
    if let Err(err) = call.answer() {
        return err.into_response();
    }
    let Some(inputs) = embedding_inputs(&call.body["input"]) else {
        let message = "mock: `input` must be a string or an array";
        return call.surface.error(400, message, call.seq);
    };
    let base64 = call.body["encoding_format"].as_str() == Some("base64");
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let vector = mock_embedding(text);
            let embedding = if base64 {
                let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(vector)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let input = call.reply.usage.input;
    Json(json!({
        "object": "list",
        "data": data,
        "model": call.model(),
        "usage": {"prompt_tokens": input, "total_tokens": input},
    }))
    .into_response()
}

/// The texts to embed: one per string, or per element of an array. A token array (numbers)
/// is a single input, embedded from its JSON text.
fn embedding_inputs(input: &Value) -> Option<Vec<String>> {
    match input {
        Value::String(text) => Some(vec![text.clone()]),
        Value::Array(items) if items.iter().all(Value::is_number) => Some(vec![input.to_string()]),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Models listed by `GET /v1/models` on the OpenAI surface.
const MODELS: [&str; 2] = ["gpt-4.1", "gpt-4.1-mini"];

/// One OpenAI model object.
pub(crate) fn model(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "mock"})
}

/// The OpenAI model list.
pub(crate) fn model_list() -> Value {
    json!({"object": "list", "data": MODELS.map(model)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_inputs_shapes() {
        assert_eq!(embedding_inputs(&json!("a")), Some(vec!["a".to_owned()]));
        assert_eq!(
            embedding_inputs(&json!(["a", "b"])),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            embedding_inputs(&json!([1, 2])),
            Some(vec!["[1,2]".to_owned()])
        );
        assert_eq!(embedding_inputs(&Value::Null), None);
    }

    #[test]
    fn tool_call_completion_shape() {
        let meta = Meta {
            id: "chatcmpl-mock-1".into(),
            created: 1,
            model: "m".into(),
            finish_reason: None,
        };
        let args = json!({"city": "Paris"});
        let answer = Answer::Tool {
            more: &[],
            id: "call_1",
            name: "get_weather",
            arguments: &args,
        };
        let v = chat_completion(&meta, &answer, MockUsage::default());
        let call = &v["choices"][0]["message"]["tool_calls"][0];
        assert_eq!(call["function"]["arguments"], "{\"city\":\"Paris\"}");
        assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(v["choices"][0]["message"]["content"], Value::Null);
    }
}
