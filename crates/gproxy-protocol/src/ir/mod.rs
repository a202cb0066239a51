//! The canonical form every protocol translates through (DESIGN.md §6, hub and spoke): a
//! client's request decodes into an [`Request`], which encodes into the upstream's protocol;
//! the upstream's answer decodes into a [`Response`] or a sequence of [`StreamEvent`]s,
//! which encode into the client's protocol. 4 protocols need 8 converters, not 12.
//!
//! Usage is [`crate::Usage`], normalized once: input includes cache reads and writes,
//! output includes reasoning. [`replay`] turns whole answers and event streams into each
//! other.

pub mod replay;
mod stream;

pub use stream::{BlockKind, CUT_SHORT, StreamEvent};

use serde_json::Value;

/// Who speaks a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Instructions in the middle of a conversation (OpenAI `system`/`developer`
    /// messages after the first turn); leading instructions live in [`Request::system`].
    System,
    User,
    Assistant,
}

/// Image or document bytes, inline or by URL.
#[derive(Clone, Debug, PartialEq)]
pub enum Media {
    Base64 { media_type: String, data: String },
    Url(String),
}

/// One piece of a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Text(String),
    Image(Media),
    /// A file (PDF and the like), with its name when known.
    Document {
        media: Media,
        name: Option<String>,
    },
    /// A call the assistant makes; `arguments` is a JSON object as text (`{}` when none).
    /// `signature` is Gemini's `thoughtSignature` for the call (opaque, Gemini only).
    ToolCall {
        id: String,
        name: String,
        arguments: String,
        signature: Option<String>,
    },
    /// The result of a call, sent back by the user side.
    ToolResult {
        id: String,
        content: Vec<Part>,
        is_error: bool,
    },
    /// Model reasoning. `signature` is opaque and must come back byte for byte to the family
    /// that made it: Anthropic's thinking signature, or a Responses upstream's
    /// `encrypted_content` marked as OpenAI's ([`crate::translate::carry::seal_openai`]);
    /// `redacted` holds Anthropic's `redacted_thinking` data.
    Reasoning {
        text: String,
        signature: Option<String>,
        redacted: Option<String>,
    },
}

/// A message of the conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

/// A function the model may call; `parameters` is its JSON schema, kept verbatim.
#[derive(Clone, Debug, PartialEq)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    pub parameters: Value,
}

/// Which tools the model may or must call.
#[derive(Clone, Debug, PartialEq)]
pub enum ToolChoice {
    Auto,
    None,
    /// Some tool, the model chooses which.
    Required,
    /// This tool.
    Tool(String),
}

/// The shape the answer must take.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseFormat {
    /// Any JSON object.
    Json,
    /// JSON valid against `schema` (kept verbatim).
    JsonSchema {
        name: Option<String>,
        schema: Value,
        strict: Option<bool>,
    },
}

/// How much the model may think.
#[derive(Clone, Debug, PartialEq)]
pub enum Reasoning {
    /// `minimal`, `low`, `medium`, `high` (or a provider's own level).
    Effort(String),
    /// A budget of thinking tokens.
    Budget(u64),
    /// Thinking off.
    Disabled,
}

impl Reasoning {
    /// An OpenAI-style effort level; `none` turns thinking off.
    pub fn from_effort(effort: &str) -> Reasoning {
        if effort == "none" {
            Reasoning::Disabled
        } else {
            Reasoning::Effort(effort.to_owned())
        }
    }
}

/// A generation request, protocol-free.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    pub model: String,
    /// Leading instructions (system/developer prompt), one entry per block.
    pub system: Vec<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    pub parallel_tool_calls: Option<bool>,
    pub response_format: Option<ResponseFormat>,
    pub max_output_tokens: Option<u64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u64>,
    pub stop: Vec<String>,
    pub seed: Option<i64>,
    pub reasoning: Option<Reasoning>,
    pub stream: bool,
    /// The end user the request is made for (OpenAI `user`, Anthropic `metadata.user_id`).
    pub user: Option<String>,
}

/// Why generation stopped, one table for every protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StopReason {
    #[default]
    EndTurn,
    MaxTokens,
    /// The model called tools and waits for their results.
    ToolUse,
    StopSequence(Option<String>),
    ContentFilter,
    Refusal,
    /// A long turn paused (Anthropic `pause_turn`): the client continues it.
    Pause,
    ContextWindowExceeded,
    Error,
    /// A reason the gateway does not know, as the upstream spelled it.
    Other(String),
}

/// A whole (non-streamed) answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    pub id: String,
    pub model: String,
    /// Text, tool calls and reasoning, in order.
    pub parts: Vec<Part>,
    pub stop: StopReason,
    pub usage: crate::Usage,
}

impl StopReason {
    /// The client's error message for a stop that means the upstream failed (Gemini's
    /// `MALFORMED_FUNCTION_CALL`, a reason the gateway does not know), shown when the
    /// answer has no text and no calls; `None` for the stops that end an answer.
    pub fn failure(&self) -> Option<String> {
        match self {
            StopReason::Error => Some(
                "the upstream stopped without an answer: the model's tool call was malformed \
                 or unexpected"
                    .to_owned(),
            ),
            StopReason::Other(raw) => Some(format!(
                "the upstream stopped without an answer (finish reason `{raw}`)"
            )),
            _ => None,
        }
    }
}

impl Response {
    /// Whether the answer has text, tool calls or media (reasoning alone is no answer).
    pub fn has_answer(&self) -> bool {
        self.parts.iter().any(|p| match p {
            Part::Text(t) => !t.is_empty(),
            Part::ToolCall { .. } | Part::Image(_) | Part::Document { .. } => true,
            _ => false,
        })
    }

    /// Whether the answer ends in tool calls (so the stop reason must say so).
    pub fn has_tool_calls(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::ToolCall { .. }))
    }
}
