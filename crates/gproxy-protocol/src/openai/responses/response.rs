//! OpenAI Responses answers for a Responses client served by another protocol: the
//! response object (every field the OpenAI reference marks required), its output items and
//! usage, as typed structs written in the order OpenAI's reference lists their fields.

use crate::ir::{self, Part, StopReason};
use crate::translate::carry;
use serde::Serialize;
use serde_json::{Map, Value};

/// A response id in OpenAI's style (`resp_...`), keeping the upstream's id.
pub fn response_id(id: &str) -> String {
    if id.starts_with("resp_") {
        id.to_owned()
    } else {
        format!("resp_{}", if id.is_empty() { "gproxy" } else { id })
    }
}

/// The response object. The request settings it echoes (`temperature`, `tools`, ...) are
/// OpenAI's defaults: SDKs require the fields, and the client knows what it sent.
#[derive(Clone, Debug, Serialize)]
pub struct ResponseObject {
    pub id: String,
    pub object: &'static str,
    pub created_at: u64,
    pub status: Status,
    /// Set on `response.failed` only; `null` otherwise.
    pub error: Option<ResponseError>,
    pub incomplete_details: Option<IncompleteDetails>,
    pub instructions: Option<String>,
    pub max_output_tokens: Option<u64>,
    pub model: String,
    pub output: Vec<OutputItem>,
    pub parallel_tool_calls: bool,
    pub previous_response_id: Option<String>,
    pub reasoning: ReasoningEcho,
    pub store: bool,
    pub temperature: f64,
    pub text: TextEcho,
    pub tool_choice: &'static str,
    pub tools: Vec<Value>,
    pub top_p: f64,
    pub truncation: &'static str,
    /// `null` until the answer is over.
    pub usage: Option<ResponsesUsage>,
    pub user: Option<String>,
    pub metadata: Map<String, Value>,
}

/// A response's (and an output item's) `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InProgress,
    Completed,
    Incomplete,
    Failed,
}

/// Why a response is `incomplete`: `max_output_tokens` or `content_filter`.
#[derive(Clone, Debug, Serialize)]
pub struct IncompleteDetails {
    pub reason: &'static str,
}

/// A failed response's `error`.
#[derive(Clone, Debug, Serialize)]
pub struct ResponseError {
    pub code: &'static str,
    pub message: String,
}

/// `reasoning` as echoed: not known here, so `null`s.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReasoningEcho {
    pub effort: Option<String>,
    pub summary: Option<String>,
}

/// `text` as echoed: `{"format": {"type": "text"}}`.
#[derive(Clone, Debug, Serialize)]
pub struct TextEcho {
    pub format: TextFormatEcho,
}

#[derive(Clone, Debug, Serialize)]
pub struct TextFormatEcho {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// An output item.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    Message {
        id: String,
        status: Status,
        role: &'static str,
        content: Vec<OutputContent>,
    },
    FunctionCall {
        id: String,
        call_id: String,
        name: String,
        arguments: String,
        status: Status,
    },
    Reasoning {
        id: String,
        summary: Vec<SummaryPart>,
        /// The gateway's sealed thinking ([`carry`]), so the next turn can send it back.
        #[serde(skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
}

/// A message's content part.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputContent {
    OutputText {
        text: String,
        /// Always empty: no citations or log probabilities are translated.
        annotations: Vec<Value>,
        logprobs: Vec<Value>,
    },
}

impl OutputContent {
    pub fn text(text: &str) -> Self {
        OutputContent::OutputText {
            text: text.to_owned(),
            annotations: Vec::new(),
            logprobs: Vec::new(),
        }
    }
}

/// A reasoning item's summary part.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SummaryPart {
    SummaryText { text: String },
}

/// Responses usage: `input_tokens` includes cached ones, `output_tokens` reasoning.
#[derive(Clone, Debug, Serialize)]
pub struct ResponsesUsage {
    pub input_tokens: u64,
    pub input_tokens_details: InputTokensDetails,
    pub output_tokens: u64,
    pub output_tokens_details: OutputTokensDetails,
    pub total_tokens: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct InputTokensDetails {
    pub cached_tokens: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct OutputTokensDetails {
    pub reasoning_tokens: u64,
}

impl From<&crate::Usage> for ResponsesUsage {
    fn from(u: &crate::Usage) -> Self {
        ResponsesUsage {
            input_tokens: u.input_tokens,
            input_tokens_details: InputTokensDetails {
                cached_tokens: u.cache_read_tokens,
            },
            output_tokens: u.output_tokens,
            output_tokens_details: OutputTokensDetails {
                reasoning_tokens: u.reasoning_tokens,
            },
            total_tokens: u.input_tokens + u.output_tokens,
        }
    }
}

/// The response `status` and `incomplete_details` for a stop reason.
pub fn status_of(stop: &StopReason) -> (Status, Option<IncompleteDetails>) {
    let incomplete = |reason| (Status::Incomplete, Some(IncompleteDetails { reason }));
    match stop {
        StopReason::MaxTokens | StopReason::ContextWindowExceeded => {
            incomplete("max_output_tokens")
        }
        StopReason::ContentFilter | StopReason::Refusal => incomplete("content_filter"),
        _ => (Status::Completed, None),
    }
}

/// A message output item holding `text` (no content part while `text` is `None`).
pub fn message_item(id: &str, text: Option<&str>, status: Status) -> OutputItem {
    OutputItem::Message {
        id: id.to_owned(),
        status,
        role: "assistant",
        content: text.map(OutputContent::text).into_iter().collect(),
    }
}

/// A function call output item.
pub fn call_item(
    id: &str,
    call_id: &str,
    name: &str,
    arguments: &str,
    status: Status,
) -> OutputItem {
    OutputItem::FunctionCall {
        id: id.to_owned(),
        call_id: call_id.to_owned(),
        name: name.to_owned(),
        arguments: arguments.to_owned(),
        status,
    }
}

/// A reasoning output item with its summary text, and the sealed thinking block when
/// there is one ([`crate::translate::carry`]).
pub fn reasoning_item(id: &str, text: &str, encrypted: Option<String>) -> OutputItem {
    let summary = if text.is_empty() {
        Vec::new()
    } else {
        vec![SummaryPart::SummaryText {
            text: text.to_owned(),
        }]
    };
    OutputItem::Reasoning {
        id: id.to_owned(),
        summary,
        encrypted_content: encrypted,
    }
}

impl ResponseObject {
    /// The response object; `output` and `usage` as they stand, `status` as given.
    pub fn new(
        id: &str,
        model: &str,
        created: u64,
        (status, incomplete_details): (Status, Option<IncompleteDetails>),
        output: Vec<OutputItem>,
        usage: Option<ResponsesUsage>,
    ) -> Self {
        ResponseObject {
            id: id.to_owned(),
            object: "response",
            created_at: created,
            status,
            error: None,
            incomplete_details,
            instructions: None,
            max_output_tokens: None,
            model: model.to_owned(),
            output,
            parallel_tool_calls: true,
            previous_response_id: None,
            reasoning: ReasoningEcho::default(),
            store: false,
            temperature: 1.0,
            text: TextEcho {
                format: TextFormatEcho { kind: "text" },
            },
            tool_choice: "auto",
            tools: Vec::new(),
            top_p: 1.0,
            truncation: "disabled",
            usage,
            user: None,
            metadata: Map::new(),
        }
    }
}

/// The Responses body for an IR answer.
pub fn response_to_wire(r: &ir::Response, created: u64) -> ResponseObject {
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
                Status::Completed,
            )),
            _ => {}
        }
    }
    if !text.is_empty() {
        // The message goes before the calls, as OpenAI orders them.
        let at = output
            .iter()
            .position(|o| matches!(o, OutputItem::FunctionCall { .. }))
            .unwrap_or(output.len());
        output.insert(at, message_item("msg_0", Some(&text), Status::Completed));
    }
    ResponseObject::new(
        &id,
        &r.model,
        created,
        status_of(&r.stop),
        output,
        Some((&r.usage).into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_answer_is_incomplete_with_the_message_before_its_calls() {
        let r = ir::Response {
            id: "msg_1".into(),
            model: "m".into(),
            parts: vec![
                Part::ToolCall {
                    id: "c".into(),
                    name: "f".into(),
                    arguments: "{}".into(),
                    signature: None,
                },
                Part::Text("hi".into()),
            ],
            stop: StopReason::MaxTokens,
            usage: crate::Usage {
                input_tokens: 4,
                output_tokens: 2,
                ..Default::default()
            },
        };
        let v = serde_json::to_value(response_to_wire(&r, 5)).expect("json");
        assert_eq!(v["id"], "resp_msg_1");
        assert_eq!(v["status"], "incomplete");
        assert_eq!(v["incomplete_details"]["reason"], "max_output_tokens");
        assert!(v.get("error").is_some_and(Value::is_null));
        assert_eq!(v["output"][0]["type"], "message");
        assert_eq!(v["output"][0]["content"][0]["type"], "output_text");
        assert_eq!(v["output"][1]["call_id"], "c");
        assert_eq!(v["usage"]["total_tokens"], 6);
        assert_eq!(v["text"]["format"]["type"], "text");
    }
}
