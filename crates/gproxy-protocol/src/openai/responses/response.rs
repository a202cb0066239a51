//! OpenAI Responses answers for a Responses client served by another protocol: the
//! response object (every field the OpenAI reference marks required), its output items and
//! usage.

use crate::ir::{self, Part, StopReason};
use crate::translate::carry;
use serde_json::{Value, json};

/// A response id in OpenAI's style (`resp_...`), keeping the upstream's id.
pub fn response_id(id: &str) -> String {
    if id.starts_with("resp_") {
        id.to_owned()
    } else {
        format!("resp_{}", if id.is_empty() { "gproxy" } else { id })
    }
}

/// Responses usage: `input_tokens` includes cached ones, `output_tokens` reasoning.
pub fn usage_to_wire(u: &crate::Usage) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cache_read_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "total_tokens": u.input_tokens + u.output_tokens,
    })
}

/// The response `status` and `incomplete_details` for a stop reason.
pub fn status_of(stop: &StopReason) -> (&'static str, Value) {
    match stop {
        StopReason::MaxTokens | StopReason::ContextWindowExceeded => {
            ("incomplete", json!({"reason": "max_output_tokens"}))
        }
        StopReason::ContentFilter | StopReason::Refusal => {
            ("incomplete", json!({"reason": "content_filter"}))
        }
        _ => ("completed", Value::Null),
    }
}

/// A message output item holding `text`.
pub fn message_item(id: &str, text: &str, status: &str) -> Value {
    json!({"type": "message", "id": id, "status": status, "role": "assistant",
           "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]})
}

/// A function call output item.
pub fn call_item(id: &str, call_id: &str, name: &str, arguments: &str, status: &str) -> Value {
    json!({"type": "function_call", "id": id, "call_id": call_id, "name": name,
           "arguments": arguments, "status": status})
}

/// A reasoning output item with its summary text, and the sealed thinking block when
/// there is one ([`crate::translate::carry`]).
pub fn reasoning_item(id: &str, text: &str, encrypted: Option<String>) -> Value {
    let summary = if text.is_empty() {
        json!([])
    } else {
        json!([{"type": "summary_text", "text": text}])
    };
    let mut item = json!({"type": "reasoning", "id": id, "summary": summary});
    if let Some(content) = encrypted {
        item["encrypted_content"] = Value::String(content);
    }
    item
}

/// The response object; `output` and `usage` as they stand, `status` as given.
pub fn response_object(
    id: &str,
    model: &str,
    created: u64,
    status: &str,
    output: Vec<Value>,
    usage: Option<Value>,
    incomplete: Value,
) -> Value {
    json!({
        "id": id, "object": "response", "created_at": created, "status": status,
        "model": model, "output": output, "usage": usage,
        "incomplete_details": incomplete, "error": null,
        "instructions": null, "metadata": {}, "max_output_tokens": null,
        "parallel_tool_calls": true, "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null}, "store": false,
        "temperature": 1.0, "top_p": 1.0, "text": {"format": {"type": "text"}},
        "tool_choice": "auto", "tools": [], "truncation": "disabled", "user": null,
    })
}

/// The Responses body for an IR answer.
pub fn response_to_wire(r: &ir::Response, created: u64) -> Value {
    let id = response_id(&r.id);
    let mut output = Vec::new();
    let mut text = String::new();
    for (i, p) in r.parts.iter().enumerate() {
        match p {
            Part::Reasoning { text: t, .. } => output.push(reasoning_item(
                &format!("rs_{i}"),
                t,
                carry::seal(std::slice::from_ref(p)),
            )),
            Part::Text(t) => text.push_str(t),
            Part::ToolCall {
                id: call_id,
                name,
                arguments,
                ..
            } => output.push(call_item(
                &format!("fc_{i}"),
                call_id,
                name,
                arguments,
                "completed",
            )),
            _ => {}
        }
    }
    if !text.is_empty() {
        // The message goes before the calls, as OpenAI orders them.
        let at = output
            .iter()
            .position(|o| o["type"] == "function_call")
            .unwrap_or(output.len());
        output.insert(at, message_item("msg_0", &text, "completed"));
    }
    let (status, incomplete) = status_of(&r.stop);
    response_object(
        &id,
        &r.model,
        created,
        status,
        output,
        Some(usage_to_wire(&r.usage)),
        incomplete,
    )
}
