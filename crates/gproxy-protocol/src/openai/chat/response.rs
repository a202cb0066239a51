//! OpenAI Chat Completions answers: the typed completion ([`ChatCompletion`]), its usage and
//! finish reasons, and their translation to and from the IR.

use super::message::{MessageContent, ToolCall};
use crate::ir::{self, Part, StopReason};
use crate::openai::common::{Content, count, nullable};
use crate::translate::TranslateError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// A chat completion (`object: "chat.completion"`), fields in the order OpenAI sends them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChatCompletion {
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub object: String,
    #[serde(default, deserialize_with = "count")]
    pub created: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub model: String,
    #[serde(default, deserialize_with = "nullable")]
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ChatUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
}

/// One choice of an answer (translation reads the first: requests ask for one).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Choice {
    #[serde(default, deserialize_with = "count")]
    pub index: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub message: ResponseMessage,
    /// Never translated: written as `null`.
    #[serde(default)]
    pub logprobs: Option<Value>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The assistant's message in an answer. `content` and `refusal` are written even when
/// `null`, as OpenAI does.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ResponseMessage {
    #[serde(default, deserialize_with = "nullable")]
    pub role: String,
    /// A string (parts decode too, so an odd upstream is not an error, but are not read).
    #[serde(default)]
    pub content: Option<MessageContent>,
    #[serde(default)]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Reasoning text of compatible providers (DeepSeek), and what a translated answer's
    /// reasoning is written as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
}

/// Chat usage (`prompt_tokens` includes cached tokens, `completion_tokens` reasoning).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChatUsage {
    #[serde(default, deserialize_with = "count")]
    pub prompt_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub completion_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub total_tokens: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub prompt_tokens_details: PromptTokensDetails,
    #[serde(default, deserialize_with = "nullable")]
    pub completion_tokens_details: CompletionTokensDetails,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct PromptTokensDetails {
    #[serde(default, deserialize_with = "count")]
    pub cached_tokens: u64,
    /// Written by providers that bill cache writes (OpenRouter, Anthropic-compatible ones).
    #[serde(default, deserialize_with = "count")]
    pub cache_write_tokens: u64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct CompletionTokensDetails {
    #[serde(default, deserialize_with = "count")]
    pub reasoning_tokens: u64,
}

impl From<&ChatUsage> for crate::Usage {
    fn from(u: &ChatUsage) -> Self {
        crate::Usage {
            input_tokens: u.prompt_tokens,
            output_tokens: u.completion_tokens,
            cache_read_tokens: u.prompt_tokens_details.cached_tokens,
            cache_write_tokens: u.prompt_tokens_details.cache_write_tokens,
            reasoning_tokens: u.completion_tokens_details.reasoning_tokens,
        }
    }
}

impl From<&crate::Usage> for ChatUsage {
    fn from(u: &crate::Usage) -> Self {
        ChatUsage {
            prompt_tokens: u.input_tokens,
            completion_tokens: u.output_tokens,
            total_tokens: u.input_tokens + u.output_tokens,
            prompt_tokens_details: PromptTokensDetails {
                cached_tokens: u.cache_read_tokens,
                cache_write_tokens: u.cache_write_tokens,
            },
            completion_tokens_details: CompletionTokensDetails {
                reasoning_tokens: u.reasoning_tokens,
            },
        }
    }
}

/// The IR answer of a chat completion (its first choice).
impl TryFrom<ChatCompletion> for ir::Response {
    type Error = TranslateError;

    fn try_from(body: ChatCompletion) -> Result<Self, TranslateError> {
        let choice =
            body.choices.into_iter().next().ok_or_else(|| {
                TranslateError::Invalid("the upstream answer has no choices".into())
            })?;
        let message = choice.message;
        let mut parts = Vec::new();
        if let Some(r) = message.reasoning_content.filter(|r| !r.is_empty()) {
            parts.push(Part::Reasoning {
                text: r,
                signature: None,
                redacted: None,
            });
        }
        // Only a string is read, as before typing; parts in an answer are not OpenAI's.
        if let Some(Content::Text(text)) = message.content
            && !text.is_empty()
        {
            parts.push(Part::Text(text));
        }
        let refused = message.refusal.is_some();
        if let Some(r) = message.refusal {
            parts.push(Part::Text(r));
        }
        for (k, call) in message.tool_calls.iter().flatten().enumerate() {
            parts.push(call.to_part(|| format!("call_{k}")));
        }
        let mut stop = stop_from_wire(choice.finish_reason.as_deref());
        if refused && stop == StopReason::EndTurn {
            stop = StopReason::Refusal;
        }
        Ok(ir::Response {
            id: body.id,
            model: body.model,
            parts,
            stop,
            usage: body.usage.as_ref().map(Into::into).unwrap_or_default(),
        })
    }
}

/// The chat completion for an IR answer; `created` is the Unix time to stamp it with.
pub fn response_to_wire(r: &ir::Response, created: u64) -> ChatCompletion {
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
    let calls = ToolCall::of_parts(&r.parts);
    let message = ResponseMessage {
        role: "assistant".into(),
        content: (!text.is_empty() || calls.is_empty()).then_some(Content::Text(text)),
        refusal: None,
        tool_calls: (!calls.is_empty()).then_some(calls),
        reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
    };
    ChatCompletion {
        id: chat_id(&r.id),
        object: "chat.completion".into(),
        created,
        model: r.model.clone(),
        choices: vec![Choice {
            index: 0,
            message,
            logprobs: None,
            finish_reason: Some(stop_to_wire(&r.stop, r.has_tool_calls()).into()),
        }],
        usage: Some((&r.usage).into()),
        system_fingerprint: None,
    }
}

/// A completion id in OpenAI's style (`chatcmpl-...`), keeping the upstream's id.
pub fn chat_id(id: &str) -> String {
    if id.starts_with("chatcmpl-") {
        id.to_owned()
    } else {
        format!("chatcmpl-{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sparse_answer_decodes_with_defaults() {
        let body: ChatCompletion = serde_json::from_value(json!({
            "choices": [{"message": {"content": null, "refusal": "no",
                "tool_calls": [{"function": {"name": "f"}}]}}],
            "usage": {"prompt_tokens": 7, "completion_tokens": null,
                      "prompt_tokens_details": null, "completion_tokens_details": {"reasoning_tokens": 2.5}},
        }))
        .expect("decodes");
        let r = ir::Response::try_from(body).expect("translates");
        assert_eq!(r.stop, StopReason::Refusal);
        assert_eq!(r.parts[0], Part::Text("no".into()));
        assert!(
            matches!(&r.parts[1], Part::ToolCall { id, arguments, .. } if id == "call_0" && arguments == "{}")
        );
        assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (7, 0));
        assert_eq!(r.usage.reasoning_tokens, 0);
        let empty: ChatCompletion = serde_json::from_str("{}").expect("decodes");
        assert!(ir::Response::try_from(empty).is_err(), "no choices");
    }

    #[test]
    fn encodes_nulls_openai_writes() {
        let r = ir::Response {
            id: "x".into(),
            model: "m".into(),
            parts: vec![Part::ToolCall {
                id: "c".into(),
                name: "f".into(),
                arguments: "{}".into(),
                signature: None,
            }],
            stop: StopReason::ToolUse,
            usage: crate::Usage::default(),
        };
        let v = serde_json::to_value(response_to_wire(&r, 3)).expect("json");
        let choice = &v["choices"][0];
        assert_eq!(choice["message"]["content"], Value::Null);
        assert!(choice["message"].get("refusal").is_some_and(Value::is_null));
        assert!(choice.get("logprobs").is_some_and(Value::is_null));
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(v["id"], "chatcmpl-x");
        assert!(v.get("system_fingerprint").is_none());
    }
}
