//! IR requests → `POST /v1/responses` bodies, for a Chat, Anthropic or Gemini client served
//! by a Responses-only upstream (OpenAI's codex models). Stateless: `store: false`, and
//! reasoning comes back encrypted (`include`) to be sent again whole on the next turn.

use crate::ir::{self, Media, Part, Role};
use crate::openai::chat::request::{effort_for_budget, openai_effort, reasoning_model};
use crate::openai::common::url_of_media;
use crate::translate::{TranslateError, carry};
use serde::Serialize;
use serde_json::Value;

/// The request body sent upstream.
#[derive(Clone, Debug, Serialize)]
pub struct Request {
    pub model: String,
    /// The leading system blocks, joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    pub input: Vec<InputItem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<FunctionTool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Always `false`: the gateway keeps no response ids, the client sends the conversation.
    pub store: bool,
    /// `reasoning.encrypted_content` for reasoning models, so their reasoning can be sent
    /// back without server state.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<&'static str>,
}

/// An input item.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    Message {
        /// `user`, `assistant`, or `developer` (instructions mid-conversation).
        role: &'static str,
        content: Vec<ContentPart>,
    },
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
    },
    FunctionCallOutput {
        call_id: String,
        output: Output,
    },
    /// Reasoning OpenAI made, sent back whole.
    Reasoning {
        summary: Vec<SummaryText>,
        encrypted_content: String,
    },
}

/// A content part of a message or of a call's output.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    InputText {
        text: String,
    },
    /// An earlier answer, in an assistant message.
    OutputText {
        text: String,
    },
    /// By URL (a `data:` URL for inline bytes).
    InputImage {
        image_url: String,
        detail: &'static str,
    },
    InputFile {
        #[serde(skip_serializing_if = "Option::is_none")]
        file_data: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        file_url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
}

/// A call's output: text, or parts when the result holds images or files.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Output {
    Text(String),
    Parts(Vec<ContentPart>),
}

/// A reasoning item's summary part.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryText {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
}

/// A function the model may call.
#[derive(Clone, Debug, Serialize)]
pub struct FunctionTool {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub parameters: Value,
    /// Always `false`: Responses defaults to strict schemas, which the clients' tool
    /// schemas (optional properties, no `additionalProperties: false`) do not meet.
    pub strict: bool,
}

/// `tool_choice`: a mode, or one function.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(&'static str),
    Function {
        #[serde(rename = "type")]
        kind: &'static str,
        name: String,
    },
}

/// `text`: the answer's format.
#[derive(Clone, Debug, Serialize)]
pub struct TextConfig {
    pub format: TextFormat,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TextFormat {
    JsonObject,
    JsonSchema {
        name: String,
        schema: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
    },
}

/// `reasoning`: the effort, with summaries asked for so the client sees the reasoning.
#[derive(Clone, Debug, Serialize)]
pub struct ReasoningConfig {
    pub effort: &'static str,
    pub summary: &'static str,
}

fn input_part(p: &Part) -> Option<ContentPart> {
    Some(match p {
        Part::Text(t) => ContentPart::InputText { text: t.clone() },
        Part::Image(media) => ContentPart::InputImage {
            image_url: url_of_media(media),
            detail: "auto",
        },
        Part::Document { media, name } => match media {
            Media::Base64 { media_type, .. } => ContentPart::InputFile {
                file_data: Some(url_of_media(media)),
                file_url: None,
                // OpenAI requires a file name with inline data.
                filename: Some(name.clone().unwrap_or_else(|| {
                    format!(
                        "document.{}",
                        media_type.rsplit('/').next().unwrap_or("bin")
                    )
                })),
            },
            Media::Url(url) => ContentPart::InputFile {
                file_data: None,
                file_url: Some(url.clone()),
                filename: name.clone(),
            },
        },
        _ => return None,
    })
}

/// A tool result's output: its text (`Error: ` first when it failed; Responses has no error
/// flag), or parts when it holds images or files.
fn output_of(content: &[Part], is_error: bool) -> Output {
    let prefix = if is_error { "Error: " } else { "" };
    if content.iter().all(|p| matches!(p, Part::Text(_))) {
        let text: String = content
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        return Output::Text(format!("{prefix}{text}"));
    }
    let mut parts: Vec<ContentPart> = content.iter().filter_map(input_part).collect();
    if is_error {
        parts.insert(
            0,
            ContentPart::InputText {
                text: "Error:".into(),
            },
        );
    }
    Output::Parts(parts)
}

/// The input items of one IR message, in order.
fn items_of(m: &ir::Message, input: &mut Vec<InputItem>) {
    match m.role {
        Role::System | Role::User => {
            // Results first: they answer the assistant's calls just before.
            for p in &m.parts {
                if let Part::ToolResult {
                    id,
                    content,
                    is_error,
                } = p
                {
                    input.push(InputItem::FunctionCallOutput {
                        call_id: id.clone(),
                        output: output_of(content, *is_error),
                    });
                }
            }
            let content: Vec<ContentPart> = m.parts.iter().filter_map(input_part).collect();
            if !content.is_empty() {
                let role = if m.role == Role::System {
                    "developer"
                } else {
                    "user"
                };
                input.push(InputItem::Message { role, content });
            }
        }
        Role::Assistant => {
            // Text joins into one message item, flushed before each call or reasoning item
            // so the order of the turn is kept.
            let mut text = String::new();
            let flush = |text: &mut String, input: &mut Vec<InputItem>| {
                if !text.is_empty() {
                    input.push(InputItem::Message {
                        role: "assistant",
                        content: vec![ContentPart::OutputText {
                            text: std::mem::take(text),
                        }],
                    });
                }
            };
            for p in &m.parts {
                match p {
                    Part::Text(t) => text.push_str(t),
                    Part::ToolCall {
                        id,
                        name,
                        arguments,
                        ..
                    } => {
                        flush(&mut text, input);
                        input.push(InputItem::FunctionCall {
                            call_id: id.clone(),
                            name: name.clone(),
                            arguments: arguments.clone(),
                        });
                    }
                    // Only reasoning OpenAI encrypted goes back; any other (another
                    // provider's, or plain text) is dropped (docs/translation.md).
                    Part::Reasoning {
                        text: summary,
                        signature: Some(sig),
                        ..
                    } => {
                        if let Some(encrypted) = carry::open_openai(sig) {
                            flush(&mut text, input);
                            input.push(InputItem::Reasoning {
                                summary: (!summary.is_empty())
                                    .then(|| SummaryText {
                                        kind: "summary_text",
                                        text: summary.clone(),
                                    })
                                    .into_iter()
                                    .collect(),
                                encrypted_content: encrypted.to_owned(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            flush(&mut text, input);
        }
    }
}

impl Request {
    /// The Responses request for `req`. Refuses stop sequences (Responses has none);
    /// `top_k`, `seed` and `user` are dropped (docs/translation.md).
    pub fn from_ir(req: &ir::Request) -> Result<Self, TranslateError> {
        if !req.stop.is_empty() {
            return Err(TranslateError::unsupported(
                "stop",
                "the Responses API has no stop sequences",
            ));
        }
        let mut input = Vec::new();
        for m in &req.messages {
            items_of(m, &mut input);
        }
        let tools = req
            .tools
            .iter()
            .map(|t| FunctionTool {
                kind: "function",
                name: t.name.clone(),
                description: t.description.clone(),
                parameters: t.parameters.clone(),
                strict: false,
            })
            .collect();
        let tool_choice = req.tool_choice.as_ref().map(|c| match c {
            ir::ToolChoice::Auto => ToolChoice::Mode("auto"),
            ir::ToolChoice::None => ToolChoice::Mode("none"),
            ir::ToolChoice::Required => ToolChoice::Mode("required"),
            ir::ToolChoice::Tool(name) => ToolChoice::Function {
                kind: "function",
                name: name.clone(),
            },
        });
        let text = req.response_format.as_ref().map(|f| TextConfig {
            format: match f {
                ir::ResponseFormat::Json => TextFormat::JsonObject,
                ir::ResponseFormat::JsonSchema {
                    name,
                    schema,
                    strict,
                } => TextFormat::JsonSchema {
                    name: name.clone().unwrap_or_else(|| "response".into()),
                    schema: schema.clone(),
                    strict: *strict,
                },
            },
        });
        // Reasoning settings and encrypted reasoning only for the models that reason (the
        // others reject both).
        let reasons = reasoning_model(&req.model);
        let effort = match &req.reasoning {
            Some(ir::Reasoning::Effort(e)) => Some(openai_effort(e)),
            Some(ir::Reasoning::Budget(b)) => Some(effort_for_budget(*b)),
            Some(ir::Reasoning::Disabled) | None => None,
        }
        .filter(|_| reasons);
        Ok(Request {
            model: req.model.clone(),
            instructions: (!req.system.is_empty()).then(|| req.system.join("\n\n")),
            input,
            tools,
            tool_choice,
            parallel_tool_calls: req.parallel_tool_calls.filter(|_| !req.tools.is_empty()),
            max_output_tokens: req.max_output_tokens,
            temperature: req.temperature,
            top_p: req.top_p,
            text,
            reasoning: effort.map(|effort| ReasoningConfig {
                effort,
                summary: "auto",
            }),
            stream: req.stream.then_some(true),
            store: false,
            include: if reasons {
                vec!["reasoning.encrypted_content"]
            } else {
                Vec::new()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reasoning(text: &str, signature: Option<String>) -> Part {
        Part::Reasoning {
            text: text.into(),
            signature,
            redacted: None,
        }
    }

    #[test]
    fn a_tool_loop_becomes_items_in_order_with_only_openai_reasoning() {
        let req = ir::Request {
            model: "gpt-5-codex".into(),
            system: vec!["Be terse.".into()],
            messages: vec![
                ir::Message {
                    role: Role::User,
                    parts: vec![Part::Text("Weather?".into())],
                },
                ir::Message {
                    role: Role::Assistant,
                    parts: vec![
                        reasoning("Anthropic's", Some("EqQB".into())),
                        reasoning("thought", Some(carry::seal_openai("gAAA"))),
                        Part::Text("Checking.".into()),
                        Part::ToolCall {
                            id: "call_1".into(),
                            name: "get_weather".into(),
                            arguments: "{\"city\":\"Paris\"}".into(),
                            signature: None,
                        },
                    ],
                },
                ir::Message {
                    role: Role::User,
                    parts: vec![Part::ToolResult {
                        id: "call_1".into(),
                        content: vec![Part::Text("unknown city".into())],
                        is_error: true,
                    }],
                },
            ],
            reasoning: Some(ir::Reasoning::Budget(20_000)),
            top_k: Some(40),
            seed: Some(7),
            stream: true,
            ..Default::default()
        };
        let v = serde_json::to_value(Request::from_ir(&req).expect("encodes")).expect("json");
        assert_eq!(v["instructions"], "Be terse.");
        assert_eq!(
            v["input"],
            json!([
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "thought"}], "encrypted_content": "gAAA"},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
                {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "Error: unknown city"}
            ])
        );
        assert_eq!(v["reasoning"], json!({"effort": "high", "summary": "auto"}));
        assert_eq!(v["store"], false);
        assert_eq!(v["include"], json!(["reasoning.encrypted_content"]));
        assert_eq!(v["stream"], true);
        assert!(v.get("top_k").is_none() && v.get("seed").is_none());

        // A model that does not reason gets neither effort nor encrypted reasoning.
        let plain = ir::Request {
            model: "gpt-4.1".into(),
            ..req.clone()
        };
        let v = serde_json::to_value(Request::from_ir(&plain).expect("encodes")).expect("json");
        assert!(v.get("reasoning").is_none() && v.get("include").is_none());
    }

    #[test]
    fn stop_sequences_are_refused_by_name() {
        let req = ir::Request {
            stop: vec!["END".into()],
            ..Default::default()
        };
        let err = Request::from_ir(&req).expect_err("refused");
        assert!(matches!(&err, TranslateError::Unsupported { field, .. } if field == "stop"));
    }
}
