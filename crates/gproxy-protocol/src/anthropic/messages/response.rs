//! Anthropic Messages responses: the wire form, usage and stop reasons, and their
//! translation to and from the IR.

use super::content::{Block, blocks_from_parts, parts_from_blocks};
use crate::ir::{self, StopReason};
use crate::translate::TranslateError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A Messages response (`type: "message"`).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct MessagesResponse {
    pub id: String,
    #[serde(rename = "type", default = "message_type")]
    pub kind: String,
    #[serde(default = "assistant")]
    pub role: String,
    pub model: String,
    #[serde(default)]
    pub content: Vec<Block>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn message_type() -> String {
    "message".into()
}

fn assistant() -> String {
    "assistant".into()
}

/// Anthropic's usage: `input_tokens` excludes the cached tokens counted apart.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
}

impl From<&Usage> for crate::Usage {
    fn from(u: &Usage) -> Self {
        crate::Usage {
            input_tokens: u.input_tokens
                + u.cache_read_input_tokens
                + u.cache_creation_input_tokens,
            output_tokens: u.output_tokens,
            cache_read_tokens: u.cache_read_input_tokens,
            cache_write_tokens: u.cache_creation_input_tokens,
            reasoning_tokens: 0,
        }
    }
}

impl From<&crate::Usage> for Usage {
    fn from(u: &crate::Usage) -> Self {
        Usage {
            input_tokens: u
                .input_tokens
                .saturating_sub(u.cache_read_tokens + u.cache_write_tokens),
            output_tokens: u.output_tokens,
            cache_creation_input_tokens: u.cache_write_tokens,
            cache_read_input_tokens: u.cache_read_tokens,
        }
    }
}

/// The IR stop reason of an Anthropic `stop_reason`.
pub fn stop_from_wire(reason: Option<&str>, sequence: Option<&str>) -> StopReason {
    match reason {
        None | Some("end_turn") => StopReason::EndTurn,
        Some("max_tokens") => StopReason::MaxTokens,
        Some("tool_use") => StopReason::ToolUse,
        Some("stop_sequence") => StopReason::StopSequence(sequence.map(str::to_owned)),
        Some("refusal") => StopReason::Refusal,
        Some("pause_turn") => StopReason::Pause,
        Some("model_context_window_exceeded") => StopReason::ContextWindowExceeded,
        Some(other) => StopReason::Other(other.to_owned()),
    }
}

/// Anthropic's `stop_reason` (and `stop_sequence`) for an IR stop reason. With tool calls
/// pending the reason is `tool_use` whatever the upstream said, so no client mistakes a
/// pending call for a finished turn.
pub fn stop_to_wire(stop: &StopReason, has_tool_calls: bool) -> (&'static str, Option<String>) {
    match stop {
        // A call cut off by the limit is not a finished call: the truncation shows.
        StopReason::MaxTokens => ("max_tokens", None),
        StopReason::ContextWindowExceeded => ("model_context_window_exceeded", None),
        StopReason::ToolUse => ("tool_use", None),
        _ if has_tool_calls => ("tool_use", None),
        StopReason::EndTurn | StopReason::Error | StopReason::Other(_) => ("end_turn", None),
        StopReason::StopSequence(seq) => ("stop_sequence", seq.clone()),
        StopReason::ContentFilter | StopReason::Refusal => ("refusal", None),
        StopReason::Pause => ("pause_turn", None),
    }
}

impl TryFrom<MessagesResponse> for ir::Response {
    type Error = TranslateError;

    fn try_from(r: MessagesResponse) -> Result<Self, TranslateError> {
        Ok(ir::Response {
            stop: stop_from_wire(r.stop_reason.as_deref(), r.stop_sequence.as_deref()),
            usage: crate::Usage::from(&r.usage),
            parts: parts_from_blocks(r.content, "content")?,
            id: r.id,
            model: r.model,
        })
    }
}

impl From<&ir::Response> for MessagesResponse {
    fn from(r: &ir::Response) -> Self {
        let (stop_reason, stop_sequence) = stop_to_wire(&r.stop, r.has_tool_calls());
        MessagesResponse {
            id: message_id(&r.id),
            kind: message_type(),
            role: assistant(),
            model: r.model.clone(),
            content: blocks_from_parts(&r.parts),
            stop_reason: Some(stop_reason.to_owned()),
            stop_sequence,
            usage: Usage::from(&r.usage),
            extra: Map::new(),
        }
    }
}

/// A message id in Anthropic's style (`msg_...`), keeping the upstream's id.
pub fn message_id(id: &str) -> String {
    if id.starts_with("msg_") {
        id.to_owned()
    } else {
        format!("msg_{id}")
    }
}
