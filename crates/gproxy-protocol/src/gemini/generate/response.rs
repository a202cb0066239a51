//! Gemini `GenerateContentResponse`s (whole answers and stream chunks alike) as typed wire
//! structs: finish reasons, usage, and their translation to and from the IR.

use super::parts::{Content, Part, parts_from_wire, parts_to_wire};
use crate::ir::{self, StopReason};
use crate::translate::TranslateError;
use serde::{Deserialize, Serialize};

/// A whole answer, or one chunk of a stream (each chunk is a response of its own).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_feedback: Option<PromptFeedback>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    pub model_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub response_id: String,
    /// An error reported in the middle of a stream (never written: errors have their own
    /// body).
    #[serde(default, skip_serializing)]
    pub error: Option<WireError>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    #[serde(default)]
    pub content: Content,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub index: u32,
}

/// Set when the prompt was blocked before any candidate.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_reason: Option<String>,
}

/// `{"error": {"code", "message", "status"}}`, as far as translation reads it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WireError {
    #[serde(default)]
    pub message: Option<String>,
}

/// Gemini usage: thoughts are counted apart from candidates (and are output); tool-use
/// prompt tokens apart from the prompt.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    #[serde(default)]
    pub prompt_token_count: u64,
    #[serde(default)]
    pub candidates_token_count: u64,
    #[serde(default)]
    pub thoughts_token_count: u64,
    #[serde(default)]
    pub cached_content_token_count: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tool_use_prompt_token_count: u64,
    #[serde(default)]
    pub total_token_count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<&UsageMetadata> for crate::Usage {
    fn from(u: &UsageMetadata) -> Self {
        crate::Usage {
            input_tokens: u.prompt_token_count + u.tool_use_prompt_token_count,
            output_tokens: u.candidates_token_count + u.thoughts_token_count,
            cache_read_tokens: u.cached_content_token_count,
            cache_write_tokens: 0,
            reasoning_tokens: u.thoughts_token_count,
        }
    }
}

impl From<&crate::Usage> for UsageMetadata {
    fn from(u: &crate::Usage) -> Self {
        UsageMetadata {
            prompt_token_count: u.input_tokens,
            candidates_token_count: u.output_tokens.saturating_sub(u.reasoning_tokens),
            thoughts_token_count: u.reasoning_tokens,
            cached_content_token_count: u.cache_read_tokens,
            tool_use_prompt_token_count: 0,
            total_token_count: u.input_tokens + u.output_tokens,
        }
    }
}

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

/// The IR answer of a `GenerateContentResponse` (its first candidate). Calls without ids
/// get `{id_prefix}0_{k}`: the prefix must be unique per answer (ids must not repeat across
/// the turns of a conversation).
pub fn response_from_wire(
    body: GenerateContentResponse,
    id_prefix: &str,
) -> Result<ir::Response, TranslateError> {
    let candidate = body.candidates.into_iter().next().unwrap_or_default();
    let parts = parts_from_wire(
        candidate.content.parts,
        0,
        &mut Vec::new(),
        id_prefix,
        "candidates[0].content",
    )?;
    // A prompt blocked before any candidate: a refusal, not an empty success.
    let blocked = body
        .prompt_feedback
        .is_some_and(|f| f.block_reason.is_some());
    let mut stop = candidate
        .finish_reason
        .as_deref()
        .map_or(StopReason::EndTurn, stop_from_wire);
    if stop == StopReason::EndTurn && parts.iter().any(|p| matches!(p, ir::Part::ToolCall { .. })) {
        stop = StopReason::ToolUse;
    }
    if blocked && parts.is_empty() {
        stop = StopReason::ContentFilter;
    }
    Ok(ir::Response {
        id: body.response_id,
        model: body.model_version,
        parts,
        stop,
        usage: body
            .usage_metadata
            .as_ref()
            .map(crate::Usage::from)
            .unwrap_or_default(),
    })
}

/// A `GenerateContentResponse` for an IR answer.
pub fn response_to_wire(r: &ir::Response) -> GenerateContentResponse {
    let mut parts = parts_to_wire(&r.parts, &[], None);
    // Claude's thinking rides on the first call without a signature of its own (Gemini
    // clients send a call's signature back).
    if let Some(call) = parts
        .iter_mut()
        .find(|p| p.function_call.is_some() && p.thought_signature.is_none())
    {
        call.thought_signature = crate::translate::carry::seal(&r.parts);
    }
    // Reasoning goes to a Gemini client as thought summaries.
    for p in r.parts.iter().rev() {
        if let ir::Part::Reasoning { text, .. } = p
            && !text.is_empty()
        {
            parts.insert(0, Part::thought(text.as_str()));
        }
    }
    GenerateContentResponse {
        candidates: vec![Candidate {
            content: Content {
                role: Some("model".to_owned()),
                parts,
            },
            finish_reason: Some(stop_to_wire(&r.stop).to_owned()),
            index: 0,
        }],
        prompt_feedback: None,
        usage_metadata: Some(UsageMetadata::from(&r.usage)),
        model_version: r.model.clone(),
        response_id: r.id.clone(),
        error: None,
    }
}
