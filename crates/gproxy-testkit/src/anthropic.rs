//! Anthropic Messages: the `message` object, its SSE event sequence (every event with an
//! `event:` line equal to `data.type`), `count_tokens`, and the Anthropic model list.

use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::call::{Answer, Call};
use crate::script::{MockUsage, split_even};
use crate::server::AppState;
use crate::sse::{self, StreamScript};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
}

async fn messages(call: Call) -> Response {
    let answer = match call.answer() {
        Ok(answer) => answer,
        Err(err) => return err.into_response(),
    };
    let id = format!("msg_mock_{}", call.seq);
    let model = call.model();
    let response = if call.stream() {
        stream(&id, &model, &answer, call.reply.usage, call.reply.chunks)
            .into_response(&call, "text/event-stream")
    } else {
        let (content, stop_reason) = match &answer {
            Answer::Text(text) => (json!({"type": "text", "text": text}), "end_turn"),
            Answer::Tool {
                id,
                name,
                arguments,
                more,
            } => {
                let mut blocks = vec![tool_use(id, name, arguments)];
                blocks.extend(more.iter().map(|c| tool_use(&c.id, &c.name, &c.arguments)));
                (Value::Array(blocks), "tool_use")
            }
        };
        let mut usage = usage_object(call.reply.usage);
        usage["output_tokens"] = json!(call.reply.usage.output);
        let content = match content {
            Value::Array(blocks) => Value::Array(blocks),
            one => json!([one]),
        };
        Json(message(&id, &model, content, json!(stop_reason), usage)).into_response()
    };
    // Anthropic answers every request with a `request-id` header.
    ([("request-id", format!("req_mock_{}", call.seq))], response).into_response()
}

async fn count_tokens(call: Call) -> Response {
    if let Err(err) = call.answer() {
        return err.into_response();
    }
    Json(json!({"input_tokens": call.reply.usage.input})).into_response()
}

fn tool_use(id: &str, name: &str, input: &Value) -> Value {
    json!({"type": "tool_use", "id": id, "name": name, "input": input})
}

/// Usage as `message_start` reports it: input side complete, one output token so far.
fn usage_object(usage: MockUsage) -> Value {
    json!({
        "input_tokens": usage.input,
        "output_tokens": 1,
        "cache_read_input_tokens": usage.cache_read,
        "cache_creation_input_tokens": usage.cache_write,
    })
}

fn message(id: &str, model: &str, content: Value, stop_reason: Value, usage: Value) -> Value {
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage,
    })
}

/// `message_start`, `content_block_start`, `ping`, deltas, `content_block_stop`,
/// `message_delta`, `message_stop`.
fn stream(
    id: &str,
    model: &str,
    answer: &Answer<'_>,
    usage: MockUsage,
    chunks: usize,
) -> StreamScript {
    let emit = |value: Value| {
        let kind = value["type"].as_str().unwrap_or_default().to_owned();
        sse::event(&kind, &value)
    };
    let start = message(id, model, json!([]), Value::Null, usage_object(usage));
    let (block, pieces, delta_type, delta_field, stop_reason) = match answer {
        Answer::Text(text) => (
            json!({"type": "text", "text": ""}),
            split_even(text, chunks),
            "text_delta",
            "text",
            "end_turn",
        ),
        Answer::Tool {
            id,
            name,
            arguments,
            ..
        } => (
            tool_use(id, name, &json!({})),
            split_even(&arguments.to_string(), chunks),
            "input_json_delta",
            "partial_json",
            "tool_use",
        ),
    };
    let head = vec![
        emit(json!({"type": "message_start", "message": start})),
        emit(json!({"type": "content_block_start", "index": 0, "content_block": block})),
        emit(json!({"type": "ping"})),
    ];
    let deltas = pieces
        .into_iter()
        .map(|piece| {
            let delta = json!({"type": delta_type, delta_field: piece});
            emit(json!({"type": "content_block_delta", "index": 0, "delta": delta}))
        })
        .collect();
    let mut tail = vec![emit(json!({"type": "content_block_stop", "index": 0}))];
    // Parallel calls: one block each after the first, its input in one delta.
    if let Answer::Tool { more, .. } = answer {
        for (k, c) in more.iter().enumerate() {
            let index = k + 1;
            tail.push(emit(json!({"type": "content_block_start", "index": index,
                "content_block": tool_use(&c.id, &c.name, &json!({}))})));
            tail.push(emit(json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "input_json_delta", "partial_json": c.arguments.to_string()}})));
            tail.push(emit(json!({"type": "content_block_stop", "index": index})));
        }
    }
    tail.extend([
        emit(json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": null},
            "usage": {"output_tokens": usage.output},
        })),
        emit(json!({"type": "message_stop"})),
    ]);
    StreamScript { head, deltas, tail }
}

/// Models listed when `/v1/models` is called with an `anthropic-version` header.
const MODELS: [(&str, &str); 2] = [
    ("claude-sonnet-4-5", "Claude Sonnet 4.5"),
    ("claude-haiku-4-5", "Claude Haiku 4.5"),
];

/// One Anthropic model object; unknown ids are displayed as themselves.
pub(crate) fn model(id: &str) -> Value {
    let display = MODELS
        .iter()
        .find(|(known, _)| *known == id)
        .map_or(id, |(_, display)| display);
    json!({
        "type": "model",
        "id": id,
        "display_name": display,
        "created_at": "2025-01-01T00:00:00Z",
    })
}

/// The Anthropic model list (a single page).
pub(crate) fn model_list() -> Value {
    json!({
        "data": MODELS.map(|(id, _)| model(id)),
        "has_more": false,
        "first_id": MODELS[0].0,
        "last_id": MODELS[MODELS.len() - 1].0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_stream_fragments_join_to_input() {
        let args = json!({"city": "Paris"});
        let answer = Answer::Tool {
            more: &[],
            id: "toolu_1",
            name: "get_weather",
            arguments: &args,
        };
        let script = stream("msg_mock_1", "m", &answer, MockUsage::default(), 4);
        let joined: String = script
            .deltas
            .iter()
            .map(|frame| {
                let text = String::from_utf8_lossy(frame);
                let data = text
                    .lines()
                    .nth(1)
                    .unwrap_or_default()
                    .trim_start_matches("data: ");
                let value: Value = serde_json::from_str(data).unwrap_or_default();
                value["delta"]["partial_json"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert_eq!(serde_json::from_str::<Value>(&joined).ok(), Some(args));
    }

    #[test]
    fn model_list_ids() {
        let list = model_list();
        assert_eq!(list["first_id"], "claude-sonnet-4-5");
        assert_eq!(list["last_id"], "claude-haiku-4-5");
        assert_eq!(model("x")["display_name"], "x");
    }
}
