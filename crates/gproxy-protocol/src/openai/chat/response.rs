//! OpenAI Chat Completions responses: the wire form, usage and finish reasons, and their
//! translation to and from the IR.

use crate::ir::{self, Part, StopReason};
use crate::translate::TranslateError;
use serde_json::{Value, json};

/// The IR stop reason of a chat `finish_reason`.
pub fn stop_from_wire(reason: Option<&str>) -> StopReason {
    match reason {
        None | Some("stop") => StopReason::EndTurn,
        Some("length") => StopReason::MaxTokens,
        Some("tool_calls" | "function_call") => StopReason::ToolUse,
        Some("content_filter") => StopReason::ContentFilter,
        Some(other) => StopReason::Other(other.to_owned()),
    }
}

/// The chat `finish_reason` of an IR stop reason; with tool calls pending it is
/// `tool_calls` whatever the upstream said.
pub fn stop_to_wire(stop: &StopReason, has_tool_calls: bool) -> &'static str {
    match stop {
        // A call cut off by the limit is not a finished call: the truncation shows.
        StopReason::MaxTokens | StopReason::ContextWindowExceeded => "length",
        _ if has_tool_calls => "tool_calls",
        StopReason::ToolUse => "tool_calls",
        StopReason::ContentFilter | StopReason::Refusal => "content_filter",
        StopReason::EndTurn
        | StopReason::StopSequence(_)
        | StopReason::Pause
        | StopReason::Error
        | StopReason::Other(_) => "stop",
    }
}

fn num(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for k in path {
        match cur.get(k) {
            Some(next) => cur = next,
            None => return 0,
        }
    }
    cur.as_u64().unwrap_or(0)
}

/// Chat usage (`prompt_tokens` includes cached tokens, `completion_tokens` reasoning).
pub fn usage_from_wire(u: &Value) -> crate::Usage {
    crate::Usage {
        input_tokens: num(u, &["prompt_tokens"]),
        output_tokens: num(u, &["completion_tokens"]),
        cache_read_tokens: num(u, &["prompt_tokens_details", "cached_tokens"]),
        cache_write_tokens: num(u, &["prompt_tokens_details", "cache_write_tokens"]),
        reasoning_tokens: num(u, &["completion_tokens_details", "reasoning_tokens"]),
    }
}

pub fn usage_to_wire(u: &crate::Usage) -> Value {
    json!({
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cache_read_tokens,
                                  "cache_write_tokens": u.cache_write_tokens},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    })
}

/// The IR answer of a chat completion body (its first choice).
pub fn response_from_wire(body: &Value) -> Result<ir::Response, TranslateError> {
    let choice = body
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| TranslateError::Invalid("the upstream answer has no choices".into()))?;
    let message = choice.get("message").cloned().unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(r) = message
        .get("reasoning_content")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
    {
        parts.push(Part::Reasoning {
            text: r.to_owned(),
            signature: None,
            redacted: None,
        });
    }
    if let Some(text) = message
        .get("content")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        parts.push(Part::Text(text.to_owned()));
    }
    let refusal = message.get("refusal").and_then(Value::as_str);
    if let Some(r) = refusal {
        parts.push(Part::Text(r.to_owned()));
    }
    for (k, call) in message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let f = call.get("function").cloned().unwrap_or_default();
        let arguments = f.get("arguments").and_then(Value::as_str).unwrap_or("");
        parts.push(Part::ToolCall {
            signature: None,
            id: call
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("call_{k}")),
            name: f
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            arguments: if arguments.trim().is_empty() {
                "{}".into()
            } else {
                arguments.to_owned()
            },
        });
    }
    let mut stop = stop_from_wire(choice.get("finish_reason").and_then(Value::as_str));
    if refusal.is_some() && stop == StopReason::EndTurn {
        stop = StopReason::Refusal;
    }
    Ok(ir::Response {
        id: body
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        model: body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        parts,
        stop,
        usage: body.get("usage").map(usage_from_wire).unwrap_or_default(),
    })
}

/// A chat completion body for an IR answer; `created` is the Unix time to stamp it with.
pub fn response_to_wire(r: &ir::Response, created: u64) -> Value {
    let text: String = r
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    let reasoning: String = r
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Reasoning { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let calls: Vec<Value> = r
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolCall {
                id,
                name,
                arguments,
                ..
            } => Some(json!({"id": id, "type": "function",
                             "function": {"name": name, "arguments": arguments}})),
            _ => None,
        })
        .collect();
    let mut message = json!({
        "role": "assistant",
        "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { Value::String(text) },
        "refusal": null,
    });
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    if !reasoning.is_empty() {
        message["reasoning_content"] = Value::String(reasoning);
    }
    json!({
        "id": chat_id(&r.id),
        "object": "chat.completion",
        "created": created,
        "model": r.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": stop_to_wire(&r.stop, r.has_tool_calls()),
        }],
        "usage": usage_to_wire(&r.usage),
    })
}

/// A completion id in OpenAI's style (`chatcmpl-...`), keeping the upstream's id.
pub fn chat_id(id: &str) -> String {
    if id.starts_with("chatcmpl-") {
        id.to_owned()
    } else {
        format!("chatcmpl-{id}")
    }
}
