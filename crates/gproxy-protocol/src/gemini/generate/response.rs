//! Gemini `GenerateContentResponse`s: finish reasons, usage, and their translation to and
//! from the IR.

use super::parts::{parts_from_wire, parts_to_wire};
use crate::ir::{self, Part, StopReason};
use crate::translate::TranslateError;
use serde_json::{Value, json};

/// The IR stop reason of a Gemini `finishReason`.
pub fn stop_from_wire(reason: &str) -> StopReason {
    match reason {
        "STOP" | "FINISH_REASON_UNSPECIFIED" => StopReason::EndTurn,
        "MAX_TOKENS" => StopReason::MaxTokens,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => StopReason::ContentFilter,
        "MALFORMED_FUNCTION_CALL" | "UNEXPECTED_TOOL_CALL" => StopReason::Error,
        other => StopReason::Other(other.to_owned()),
    }
}

/// Gemini's `finishReason` for an IR stop reason (tool calls end with `STOP`).
pub fn stop_to_wire(stop: &StopReason) -> &'static str {
    match stop {
        StopReason::MaxTokens | StopReason::ContextWindowExceeded => "MAX_TOKENS",
        StopReason::ContentFilter | StopReason::Refusal => "SAFETY",
        StopReason::Error => "MALFORMED_FUNCTION_CALL",
        StopReason::Other(_) => "OTHER",
        StopReason::EndTurn
        | StopReason::ToolUse
        | StopReason::StopSequence(_)
        | StopReason::Pause => "STOP",
    }
}

fn num(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

/// Gemini usage: thoughts are counted apart from candidates (and are output).
pub fn usage_from_wire(u: &Value) -> crate::Usage {
    let thoughts = num(u, "thoughtsTokenCount");
    crate::Usage {
        input_tokens: num(u, "promptTokenCount") + num(u, "toolUsePromptTokenCount"),
        output_tokens: num(u, "candidatesTokenCount") + thoughts,
        cache_read_tokens: num(u, "cachedContentTokenCount"),
        cache_write_tokens: 0,
        reasoning_tokens: thoughts,
    }
}

pub fn usage_to_wire(u: &crate::Usage) -> Value {
    json!({
        "promptTokenCount": u.input_tokens,
        "candidatesTokenCount": u.output_tokens.saturating_sub(u.reasoning_tokens),
        "thoughtsTokenCount": u.reasoning_tokens,
        "cachedContentTokenCount": u.cache_read_tokens,
        "totalTokenCount": u.input_tokens + u.output_tokens,
    })
}

/// The IR answer of a `GenerateContentResponse` (its first candidate). Calls without ids
/// get `{id_prefix}0_{k}`: the prefix must be unique per answer (ids must not repeat across
/// the turns of a conversation).
pub fn response_from_wire(body: &Value, id_prefix: &str) -> Result<ir::Response, TranslateError> {
    let candidate = body
        .get("candidates")
        .and_then(|c| c.get(0))
        .cloned()
        .unwrap_or_default();
    let parts = candidate
        .get("content")
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let parts = parts_from_wire(
        parts,
        0,
        &mut Vec::new(),
        id_prefix,
        "candidates[0].content",
    )?;
    // A prompt blocked before any candidate: a refusal, not an empty success.
    let blocked = body
        .get("promptFeedback")
        .and_then(|f| f.get("blockReason"))
        .is_some();
    let mut stop = candidate
        .get("finishReason")
        .and_then(Value::as_str)
        .map_or(StopReason::EndTurn, stop_from_wire);
    if stop == StopReason::EndTurn && parts.iter().any(|p| matches!(p, Part::ToolCall { .. })) {
        stop = StopReason::ToolUse;
    }
    if blocked && parts.is_empty() {
        stop = StopReason::ContentFilter;
    }
    Ok(ir::Response {
        id: body
            .get("responseId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        model: body
            .get("modelVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        parts,
        stop,
        usage: body
            .get("usageMetadata")
            .map(usage_from_wire)
            .unwrap_or_default(),
    })
}

/// A `GenerateContentResponse` for an IR answer.
pub fn response_to_wire(r: &ir::Response) -> Value {
    let mut parts = parts_to_wire(&r.parts, &[], None);
    // Claude's thinking rides on the first call without a signature of its own (Gemini
    // clients send a call's signature back).
    if let Some(call) = parts
        .iter_mut()
        .find(|p| p.get("functionCall").is_some() && p.get("thoughtSignature").is_none())
        && let Some(sealed) = crate::translate::carry::seal(&r.parts)
    {
        call["thoughtSignature"] = Value::String(sealed);
    }
    // Reasoning goes to a Gemini client as thought summaries.
    for p in r.parts.iter().rev() {
        if let Part::Reasoning { text, .. } = p
            && !text.is_empty()
        {
            parts.insert(0, json!({"text": text, "thought": true}));
        }
    }
    json!({
        "candidates": [{
            "content": {"role": "model", "parts": parts},
            "finishReason": stop_to_wire(&r.stop),
            "index": 0,
        }],
        "usageMetadata": usage_to_wire(&r.usage),
        "modelVersion": r.model,
        "responseId": r.id,
    })
}
