//! A Responses upstream's answer → the IR: the response object's output items (messages,
//! function calls, reasoning with its summary and encrypted content), its status and its
//! usage. Tolerant: unknown items and content are skipped, missing fields read as empty.

use crate::ir::{self, Part, StopReason};
use crate::openai::common::{OrUnknown, count, nullable};
use crate::translate::{TranslateError, carry};
use serde::Deserialize;

/// The response object, as decoded (also inside the stream's `response.*` events).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Response {
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub model: String,
    /// `completed`, `incomplete`, `failed` (or `in_progress` inside a stream).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorBody>,
    #[serde(default)]
    pub incomplete_details: Option<IncompleteDetails>,
    #[serde(default, deserialize_with = "nullable")]
    pub output: Vec<OrUnknown<Item>>,
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// A failed response's (or an `error` event's) error.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ErrorBody {
    /// The client's message for it.
    pub fn describe(&self) -> String {
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => format!("the upstream failed ({code}): {message}"),
            (None, Some(message)) => format!("the upstream failed: {message}"),
            (Some(code), None) => format!("the upstream failed ({code})"),
            (None, None) => "the upstream failed".to_owned(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct IncompleteDetails {
    #[serde(default)]
    pub reason: Option<String>,
}

/// An output item translation knows.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    Message {
        #[serde(default, deserialize_with = "nullable")]
        content: Vec<OrUnknown<Content>>,
    },
    FunctionCall {
        #[serde(default, deserialize_with = "nullable")]
        call_id: String,
        #[serde(default, deserialize_with = "nullable")]
        name: String,
        #[serde(default, deserialize_with = "nullable")]
        arguments: String,
    },
    Reasoning {
        #[serde(default, deserialize_with = "nullable")]
        summary: Vec<Summary>,
        /// OpenAI's sealed reasoning (asked for with `include`), sent back whole next turn.
        #[serde(default)]
        encrypted_content: Option<String>,
    },
}

/// A message's content part.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    OutputText {
        #[serde(default, deserialize_with = "nullable")]
        text: String,
    },
    Refusal {
        #[serde(default, deserialize_with = "nullable")]
        refusal: String,
    },
}

/// A reasoning summary part (`summary_text`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Summary {
    #[serde(default, deserialize_with = "nullable")]
    pub text: String,
}

/// Responses usage: `input_tokens` includes cached ones, `output_tokens` reasoning, as the
/// IR counts.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Usage {
    #[serde(default, deserialize_with = "count")]
    pub input_tokens: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub input_tokens_details: InputDetails,
    #[serde(default, deserialize_with = "count")]
    pub output_tokens: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub output_tokens_details: OutputDetails,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct InputDetails {
    #[serde(default, deserialize_with = "count")]
    pub cached_tokens: u64,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OutputDetails {
    #[serde(default, deserialize_with = "count")]
    pub reasoning_tokens: u64,
}

impl From<&Usage> for crate::Usage {
    fn from(u: &Usage) -> Self {
        crate::Usage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_read_tokens: u.input_tokens_details.cached_tokens,
            cache_write_tokens: 0,
            reasoning_tokens: u.output_tokens_details.reasoning_tokens,
        }
    }
}

/// The IR stop of a finished response: its `status` and `incomplete_details.reason`, and
/// what it holds (calls pending, a refusal). A status the gateway does not know is kept as
/// the raw reason, so an answer without output becomes the client's error.
pub fn stop_of(
    status: Option<&str>,
    incomplete_reason: Option<&str>,
    calls: bool,
    refused: bool,
) -> StopReason {
    match status {
        None | Some("completed") if calls => StopReason::ToolUse,
        None | Some("completed") if refused => StopReason::Refusal,
        None | Some("completed") => StopReason::EndTurn,
        Some("incomplete") => match incomplete_reason {
            Some("max_output_tokens") => StopReason::MaxTokens,
            Some("content_filter") => StopReason::ContentFilter,
            Some(other) => StopReason::Other(other.to_owned()),
            None => StopReason::Other("incomplete".to_owned()),
        },
        Some(other) => StopReason::Other(other.to_owned()),
    }
}

/// The IR reasoning part of a reasoning item: its summary as text, OpenAI's encrypted
/// content as the (marked) signature.
pub fn reasoning_part(summary: &[Summary], encrypted: Option<&str>) -> Part {
    Part::Reasoning {
        text: summary
            .iter()
            .map(|s| s.text.as_str())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n"),
        signature: encrypted.filter(|e| !e.is_empty()).map(carry::seal_openai),
        redacted: None,
    }
}

/// The IR answer of a whole response. A failed response is an error (the client's 502),
/// never an answer, whatever output it holds.
pub fn response_from_wire(r: Response) -> Result<ir::Response, TranslateError> {
    if r.status.as_deref() == Some("failed") {
        return Err(TranslateError::Stopped(
            r.error.unwrap_or_default().describe(),
        ));
    }
    let mut parts = Vec::new();
    let mut refused = false;
    for item in r.output {
        match item {
            OrUnknown::Known(Item::Message { content }) => {
                for c in content {
                    match c {
                        OrUnknown::Known(Content::OutputText { text }) => {
                            parts.push(Part::Text(text))
                        }
                        OrUnknown::Known(Content::Refusal { refusal }) => {
                            refused = true;
                            parts.push(Part::Text(refusal));
                        }
                        OrUnknown::Unknown(_) => {}
                    }
                }
            }
            OrUnknown::Known(Item::FunctionCall {
                call_id,
                name,
                arguments,
            }) => parts.push(Part::ToolCall {
                id: call_id,
                name,
                arguments: if arguments.trim().is_empty() {
                    "{}".into()
                } else {
                    arguments
                },
                signature: None,
            }),
            OrUnknown::Known(Item::Reasoning {
                summary,
                encrypted_content,
            }) => parts.push(reasoning_part(&summary, encrypted_content.as_deref())),
            // Built-in tool calls and items of kinds the gateway does not know.
            OrUnknown::Unknown(_) => {}
        }
    }
    let calls = parts.iter().any(|p| matches!(p, Part::ToolCall { .. }));
    Ok(ir::Response {
        id: r.id,
        model: r.model,
        stop: stop_of(
            r.status.as_deref(),
            r.incomplete_details
                .as_ref()
                .and_then(|d| d.reason.as_deref()),
            calls,
            refused,
        ),
        parts,
        usage: r.usage.as_ref().map(Into::into).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(v: serde_json::Value) -> Result<ir::Response, TranslateError> {
        response_from_wire(serde_json::from_value(v).expect("decodes"))
    }

    #[test]
    fn statuses_map_to_stops() {
        assert_eq!(
            stop_of(Some("completed"), None, false, false),
            StopReason::EndTurn
        );
        assert_eq!(stop_of(None, None, true, false), StopReason::ToolUse);
        assert_eq!(
            stop_of(Some("completed"), None, false, true),
            StopReason::Refusal
        );
        assert_eq!(
            stop_of(Some("incomplete"), Some("max_output_tokens"), true, false),
            StopReason::MaxTokens
        );
        assert_eq!(
            stop_of(Some("incomplete"), Some("content_filter"), false, false),
            StopReason::ContentFilter
        );
        assert!(
            stop_of(Some("cancelled"), None, false, false)
                .failure()
                .is_some_and(|m| m.contains("cancelled"))
        );
    }

    #[test]
    fn usage_keeps_its_meaning() {
        let r = decode(json!({"status": "completed", "output": [
                {"type": "message", "content": [{"type": "output_text", "text": "hi"}]}],
            "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 30},
                "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 5},
                "total_tokens": 120}}))
        .expect("answer");
        assert_eq!(
            r.usage,
            crate::Usage {
                input_tokens: 100,
                output_tokens: 20,
                cache_read_tokens: 30,
                cache_write_tokens: 0,
                reasoning_tokens: 5,
            }
        );
        // Missing or odd usage fields read as zero.
        let r = decode(json!({"usage": {"input_tokens": null, "input_tokens_details": null}}))
            .expect("answer");
        assert_eq!(r.usage, crate::Usage::default());
    }

    #[test]
    fn a_failed_response_is_an_error_and_unknown_items_are_skipped() {
        let err = decode(json!({"status": "failed", "output": [
                {"type": "message", "content": [{"type": "output_text", "text": "partial"}]}],
            "error": {"code": "server_error", "message": "boom"}}))
        .expect_err("no success");
        assert!(
            matches!(&err, TranslateError::Stopped(m) if m.contains("boom")),
            "{err}"
        );
        let r = decode(json!({"status": "completed", "output": [
            {"type": "web_search_call", "id": "ws_1"},
            {"type": "reasoning", "summary": [], "encrypted_content": "gAAA"},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": ""}]}))
        .expect("answer");
        assert_eq!(r.stop, StopReason::ToolUse);
        assert!(matches!(&r.parts[0],
            Part::Reasoning { signature: Some(s), .. } if carry::open_openai(s) == Some("gAAA")));
        assert!(matches!(&r.parts[1], Part::ToolCall { arguments, .. } if arguments == "{}"));
    }
}
