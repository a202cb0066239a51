//! OpenAI Responses API: the `response` object, its SSE event sequence (typed `event:` lines
//! with numbered `sequence_number`s), and `POST /v1/responses/input_tokens`. A reply with
//! [`crate::Reply::reasoning`] starts with a reasoning item (summary and encrypted content).

use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::call::{Answer, Call};
use crate::script::{MockUsage, split_even, unix_now};
use crate::server::AppState;
use crate::sse::{self, StreamScript};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/responses", post(create))
        .route("/v1/responses/input_tokens", post(input_tokens))
}

/// Ids and fields shared by every object of one response.
struct Meta {
    id: String,
    item_id: String,
    created: u64,
    model: String,
    /// The reasoning summary of the first item, if any.
    reasoning: Option<String>,
    /// `encrypted_content` of the reasoning item.
    encrypted: String,
}

impl Meta {
    /// The output index of the answer's first item (after the reasoning item).
    fn first(&self) -> usize {
        usize::from(self.reasoning.is_some())
    }
}

async fn create(call: Call) -> Response {
    let answer = match call.answer() {
        Ok(answer) => answer,
        Err(err) => return err.into_response(),
    };
    let meta = Meta {
        id: format!("resp_mock_{}", call.seq),
        item_id: match answer {
            Answer::Text(_) => format!("msg_mock_{}", call.seq),
            Answer::Tool { .. } => format!("fc_mock_{}", call.seq),
        },
        created: unix_now(),
        model: call.model(),
        reasoning: call.reply.reasoning.clone(),
        encrypted: format!("enc_mock_{}", call.seq),
    };
    if call.stream() {
        stream(&meta, &answer, call.reply.usage, call.reply.chunks)
            .into_response(&call, "text/event-stream")
    } else {
        let mut output: Vec<Value> = reasoning_item(&meta).into_iter().collect();
        output.push(item(&meta, &answer, true));
        output.extend(parallel_items(&meta, &answer));
        Json(response(&meta, "completed", output, Some(call.reply.usage))).into_response()
    }
}

async fn input_tokens(call: Call) -> Response {
    if let Err(err) = call.answer() {
        return err.into_response();
    }
    let body = json!({"object": "response.input_tokens", "input_tokens": call.reply.usage.input});
    Json(body).into_response()
}

/// A `response` object; `usage` is `null` while in progress.
fn response(meta: &Meta, status: &str, output: Vec<Value>, usage: Option<MockUsage>) -> Value {
    let usage = usage.map_or(Value::Null, |u| {
        json!({
            "input_tokens": u.input,
            "input_tokens_details": {"cached_tokens": u.cache_read},
            "output_tokens": u.output,
            "output_tokens_details": {"reasoning_tokens": u.reasoning},
            "total_tokens": u.input + u.output,
        })
    });
    json!({
        "id": meta.id,
        "object": "response",
        "created_at": meta.created,
        "status": status,
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "metadata": {},
        "model": meta.model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "store": true,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": null,
    })
}

/// The single output item; `done` selects the final state over the just-added one.
fn item(meta: &Meta, answer: &Answer<'_>, done: bool) -> Value {
    let status = if done { "completed" } else { "in_progress" };
    match answer {
        Answer::Text(text) => {
            let content = if done {
                json!([text_part(text)])
            } else {
                json!([])
            };
            json!({
                "type": "message",
                "id": meta.item_id,
                "status": status,
                "role": "assistant",
                "content": content,
            })
        }
        Answer::Tool {
            id,
            name,
            arguments,
            ..
        } => json!({
            "type": "function_call",
            "id": meta.item_id,
            "call_id": id,
            "name": name,
            "arguments": if done { arguments.to_string() } else { String::new() },
            "status": status,
        }),
    }
}

/// The finished items of the calls made in parallel after the first.
fn parallel_items(meta: &Meta, answer: &Answer<'_>) -> Vec<Value> {
    let Answer::Tool { more, .. } = answer else {
        return Vec::new();
    };
    more.iter()
        .enumerate()
        .map(|(k, c)| {
            json!({"type": "function_call", "id": format!("{}_{}", meta.item_id, k + 1),
                   "call_id": c.id, "name": c.name, "arguments": c.arguments.to_string(),
                   "status": "completed"})
        })
        .collect()
}

/// The finished reasoning item, when the reply has one.
fn reasoning_item(meta: &Meta) -> Option<Value> {
    let summary = meta.reasoning.as_ref()?;
    Some(json!({"type": "reasoning", "id": format!("rs_{}", meta.id),
        "summary": [{"type": "summary_text", "text": summary}],
        "encrypted_content": meta.encrypted}))
}

fn text_part(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": []})
}

/// Numbers events in emission order and frames them with matching `event:` lines.
struct Events {
    next: u64,
}

impl Events {
    fn emit(&mut self, kind: &str, mut value: Value) -> Bytes {
        value["type"] = json!(kind);
        value["sequence_number"] = json!(self.next);
        self.next += 1;
        sse::event(kind, &value)
    }
}

/// The streamed event sequence for one text message or one function call.
fn stream(meta: &Meta, answer: &Answer<'_>, usage: MockUsage, chunks: usize) -> StreamScript {
    let mut ev = Events { next: 0 };
    let pending = response(meta, "in_progress", Vec::new(), None);
    let mut head = vec![
        ev.emit("response.created", json!({"response": pending})),
        ev.emit("response.in_progress", json!({"response": pending})),
    ];
    let first = meta.first();
    let reasoning = reasoning_item(meta);
    if let Some(done) = &reasoning {
        // The reasoning item: added empty, its summary in one delta, done with the
        // encrypted content.
        let id = &done["id"];
        let text = &done["summary"][0]["text"];
        head.push(ev.emit(
            "response.output_item.added",
            json!({"output_index": 0, "item": {"type": "reasoning", "id": id, "summary": []}}),
        ));
        let part = |text: &Value| json!({"type": "summary_text", "text": text});
        let at = json!({"item_id": id, "output_index": 0, "summary_index": 0});
        for (kind, field, value) in [
            (
                "response.reasoning_summary_part.added",
                "part",
                part(&json!("")),
            ),
            (
                "response.reasoning_summary_text.delta",
                "delta",
                text.clone(),
            ),
            ("response.reasoning_summary_text.done", "text", text.clone()),
            ("response.reasoning_summary_part.done", "part", part(text)),
        ] {
            let mut body = at.clone();
            body[field] = value;
            head.push(ev.emit(kind, body));
        }
        head.push(ev.emit(
            "response.output_item.done",
            json!({"output_index": 0, "item": done}),
        ));
    }
    head.push(ev.emit(
        "response.output_item.added",
        json!({"output_index": first, "item": item(meta, answer, false)}),
    ));
    let at = |extra: Value| {
        let mut value = json!({"item_id": meta.item_id, "output_index": first});
        if let (Some(map), Value::Object(extra)) = (value.as_object_mut(), extra) {
            map.extend(extra);
        }
        value
    };

    let (deltas, mut tail) = match answer {
        Answer::Text(text) => {
            head.push(ev.emit(
                "response.content_part.added",
                at(json!({"content_index": 0, "part": text_part("")})),
            ));
            let deltas = split_even(text, chunks)
                .into_iter()
                .map(|piece| {
                    let body = json!({"content_index": 0, "delta": piece, "logprobs": []});
                    ev.emit("response.output_text.delta", at(body))
                })
                .collect();
            let text_done = json!({"content_index": 0, "text": text, "logprobs": []});
            let part_done = json!({"content_index": 0, "part": text_part(text)});
            let tail = vec![
                ev.emit("response.output_text.done", at(text_done)),
                ev.emit("response.content_part.done", at(part_done)),
            ];
            (deltas, tail)
        }
        Answer::Tool {
            name, arguments, ..
        } => {
            let arguments = arguments.to_string();
            let deltas = split_even(&arguments, chunks)
                .into_iter()
                .map(|frag| {
                    ev.emit(
                        "response.function_call_arguments.delta",
                        at(json!({"delta": frag})),
                    )
                })
                .collect();
            let done = json!({"arguments": arguments, "name": name});
            let tail = vec![ev.emit("response.function_call_arguments.done", at(done))];
            (deltas, tail)
        }
    };

    let final_item = item(meta, answer, true);
    tail.push(ev.emit(
        "response.output_item.done",
        json!({"output_index": first, "item": final_item}),
    ));
    // Parallel calls: one more item each, its arguments in one delta.
    let extra = parallel_items(meta, answer);
    for (k, done) in extra.iter().enumerate() {
        let index = first + k + 1;
        let mut added = done.clone();
        added["arguments"] = json!("");
        added["status"] = json!("in_progress");
        tail.push(ev.emit(
            "response.output_item.added",
            json!({"output_index": index, "item": added}),
        ));
        let at = json!({"item_id": done["id"], "output_index": index});
        let mut delta = at.clone();
        delta["delta"] = done["arguments"].clone();
        tail.push(ev.emit("response.function_call_arguments.delta", delta));
        let mut args_done = at;
        args_done["arguments"] = done["arguments"].clone();
        args_done["name"] = done["name"].clone();
        tail.push(ev.emit("response.function_call_arguments.done", args_done));
        tail.push(ev.emit(
            "response.output_item.done",
            json!({"output_index": index, "item": done}),
        ));
    }
    let mut output: Vec<Value> = reasoning.into_iter().collect();
    output.push(final_item);
    output.extend(extra);
    let completed = response(meta, "completed", output, Some(usage));
    tail.push(ev.emit("response.completed", json!({"response": completed})));
    StreamScript { head, deltas, tail }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            id: "resp_mock_1".into(),
            item_id: "msg_mock_1".into(),
            created: 1,
            model: "gpt-4.1".into(),
            reasoning: None,
            encrypted: "enc_mock_1".into(),
        }
    }

    fn events(frames: &[Bytes]) -> Vec<(String, Value)> {
        frames
            .iter()
            .map(|f| {
                let text = String::from_utf8_lossy(f);
                let mut lines = text.lines();
                let kind = lines
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("event: ");
                let data = lines
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("data: ");
                let value: Value = serde_json::from_str(data).unwrap_or_default();
                (kind.to_owned(), value)
            })
            .collect()
    }

    #[test]
    fn text_stream_is_numbered_and_typed() {
        let script = stream(&meta(), &Answer::Text("abc"), MockUsage::default(), 3);
        let all: Vec<Bytes> = [script.head, script.deltas, script.tail].concat();
        let evs = events(&all);
        assert_eq!(evs.len(), 11);
        for (i, (kind, value)) in evs.iter().enumerate() {
            assert_eq!(value["type"], json!(kind));
            assert_eq!(value["sequence_number"], json!(i));
        }
        assert_eq!(evs[4].1["delta"], "a");
        assert_eq!(
            evs[10].1["response"]["output"][0]["content"][0]["text"],
            "abc"
        );
    }

    #[test]
    fn reasoning_comes_first_with_its_encrypted_content() {
        let meta = Meta {
            reasoning: Some("think".into()),
            ..meta()
        };
        let script = stream(&meta, &Answer::Text("ab"), MockUsage::default(), 2);
        let all: Vec<Bytes> = [script.head, script.deltas, script.tail].concat();
        let evs = events(&all);
        assert_eq!(evs[2].0, "response.output_item.added");
        assert_eq!(evs[2].1["item"]["type"], "reasoning");
        assert_eq!(evs[4].1["delta"], "think");
        assert_eq!(evs[7].1["item"]["encrypted_content"], "enc_mock_1");
        assert_eq!(evs[8].1["output_index"], 1, "the answer's item comes next");
        let (last, done) = evs.last().expect("events");
        assert_eq!(last, "response.completed");
        assert_eq!(done["response"]["output"][0]["type"], "reasoning");
        assert_eq!(done["response"]["output"][1]["content"][0]["text"], "ab");
    }
}
