//! OpenAI Responses requests, decoded into the IR (a Responses client served by a Chat,
//! Anthropic or Gemini upstream). Encrypted reasoning is bound to OpenAI's account and is
//! not carried to another provider; a `previous_response_id` names state only OpenAI has.

use crate::ir::{self, Part, Role};
use crate::openai::common::{Content, OrUnknown, media_of_url, nullable, type_of};
use crate::translate::{TranslateError, carry};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

/// `POST /v1/responses`, the fields translation reads. Unknown fields are ignored: the
/// request is decoded into the IR, never re-sent as it came.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ResponsesRequest {
    #[serde(default, deserialize_with = "nullable")]
    pub model: String,
    #[serde(default)]
    pub input: Option<Input>,
    #[serde(default)]
    pub instructions: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub tools: Vec<Tool>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, deserialize_with = "nullable")]
    pub text: TextConfig,
    #[serde(default, deserialize_with = "nullable")]
    pub reasoning: ReasoningConfig,
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Read for completeness: a translated answer is never stored.
    #[serde(default)]
    pub store: Option<bool>,
    #[serde(default)]
    pub stream: Option<bool>,
    /// State only OpenAI has: refused when set.
    #[serde(default)]
    pub previous_response_id: Option<String>,
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default)]
    pub user: Option<String>,
}

/// `input`: a user message as a string, or a list of items.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Text(String),
    Items(Vec<InputItem>),
    /// Anything else is ignored, as it always was.
    Other(Value),
}

/// An input item; one without a `type` is a message (the SDKs' "easy" input message).
#[derive(Clone, Debug)]
pub enum InputItem {
    Known(Item),
    /// Another type (built-in tool calls and their outputs, ...) or a malformed item:
    /// refused by name when translated.
    Unknown(Value),
}

impl<'de> Deserialize<'de> for InputItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = Value::deserialize(d)?;
        if let Value::Object(map) = &mut v
            && map.get("type").is_none_or(Value::is_null)
        {
            map.insert("type".into(), Value::String("message".into()));
        }
        Ok(match Item::deserialize(&v) {
            Ok(item) => InputItem::Known(item),
            Err(_) => InputItem::Unknown(v),
        })
    }
}

/// The input items translation knows.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    Message {
        /// A missing or unknown role is the user's.
        #[serde(default, deserialize_with = "nullable")]
        role: ItemRole,
        #[serde(default)]
        content: Option<Content<InputPart>>,
    },
    FunctionCall {
        #[serde(default, deserialize_with = "nullable")]
        call_id: String,
        #[serde(default, deserialize_with = "nullable")]
        name: String,
        #[serde(default, deserialize_with = "nullable")]
        arguments: String,
    },
    FunctionCallOutput {
        #[serde(default, deserialize_with = "nullable")]
        call_id: String,
        /// A string, or content parts.
        #[serde(default)]
        output: Option<Content<InputPart>>,
    },
    Reasoning {
        #[serde(default, deserialize_with = "nullable")]
        summary: Vec<SummaryPart>,
        /// OpenAI's sealed reasoning, or the gateway's ([`carry`]).
        #[serde(default)]
        encrypted_content: Option<String>,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemRole {
    System,
    Developer,
    #[default]
    User,
    Assistant,
    #[serde(other)]
    Other,
}

/// A reasoning item's summary part (`summary_text`); one without text is skipped.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SummaryPart {
    #[serde(default)]
    pub text: Option<String>,
}

/// A content part of an input message or a function call's output.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputPart {
    /// `output_text` (an earlier answer sent back) and `text` read the same.
    #[serde(alias = "output_text", alias = "text")]
    InputText {
        #[serde(default, deserialize_with = "nullable")]
        text: String,
    },
    Refusal {
        #[serde(default, deserialize_with = "nullable")]
        refusal: String,
    },
    /// An image by URL (a `data:` URL for inline bytes); an uploaded `file_id` is refused.
    InputImage {
        #[serde(default)]
        image_url: Option<String>,
    },
    InputFile {
        #[serde(default)]
        file_data: Option<String>,
        #[serde(default)]
        filename: Option<String>,
    },
}

/// A tool the model may call.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Tool {
    #[serde(rename = "type", default)]
    pub kind: Option<ToolType>,
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// A JSON schema, kept as it is.
    #[serde(default)]
    pub parameters: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolType {
    Function,
    WebSearch,
    WebSearchPreview,
    /// Codex's sub-agent namespace.
    Namespace,
    #[serde(other)]
    Other,
}

/// `tool_choice`: a mode, or a tool by name (`{"type": "function", "name": ...}`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(String),
    Named {
        #[serde(default, deserialize_with = "nullable")]
        name: String,
    },
}

/// `text`: the answer's format.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TextConfig {
    #[serde(default)]
    pub format: Option<TextFormat>,
}

/// `text.format`: `text`, `json_object`, or `json_schema` with its schema inline.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TextFormat {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub schema: Option<Value>,
    #[serde(default)]
    pub strict: Option<bool>,
}

/// `reasoning`: the effort asked for (the summary setting is not translated).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReasoningConfig {
    #[serde(default)]
    pub effort: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// The parts of a message item's `content` (a string or content parts).
fn content_parts(
    content: Option<&Content<InputPart>>,
    at: &str,
) -> Result<Vec<Part>, TranslateError> {
    let items = match content {
        None => return Ok(Vec::new()),
        Some(Content::Text(s)) => return Ok(vec![Part::Text(s.clone())]),
        Some(Content::Parts(items)) => items,
        Some(Content::Other(_)) => {
            return Err(TranslateError::Invalid(format!(
                "{at}.content must be a string or an array"
            )));
        }
    };
    let mut parts = Vec::with_capacity(items.len());
    for (j, c) in items.iter().enumerate() {
        let here = format!("{at}.content[{j}]");
        let part = match c {
            OrUnknown::Known(InputPart::InputText { text }) => Part::Text(text.clone()),
            OrUnknown::Known(InputPart::Refusal { refusal }) => Part::Text(refusal.clone()),
            OrUnknown::Known(InputPart::InputImage { image_url }) => match image_url {
                Some(url) => Part::Image(media_of_url(url)),
                None => {
                    return Err(TranslateError::unsupported(
                        format!("{here}.file_id"),
                        "uploaded file ids exist only on OpenAI; send image_url",
                    ));
                }
            },
            OrUnknown::Known(InputPart::InputFile {
                file_data,
                filename,
            }) => match file_data {
                Some(data) => Part::Document {
                    media: media_of_url(data),
                    name: filename.clone(),
                },
                None => {
                    return Err(TranslateError::unsupported(
                        format!("{here}.file_id"),
                        "uploaded file ids exist only on OpenAI; send file_data",
                    ));
                }
            },
            OrUnknown::Unknown(v) => {
                return Err(TranslateError::unsupported(
                    format!("{here}.type"),
                    format!("content of type `{}` cannot be translated", type_of(v)),
                ));
            }
        };
        parts.push(part);
    }
    Ok(parts)
}

/// Appends `part` to the conversation as `role`, joining the previous message of that role.
fn push(messages: &mut Vec<ir::Message>, role: Role, part: Part) {
    match messages.last_mut() {
        Some(last) if last.role == role => last.parts.push(part),
        _ => messages.push(ir::Message {
            role,
            parts: vec![part],
        }),
    }
}

/// The IR request of a Responses request.
impl TryFrom<ResponsesRequest> for ir::Request {
    type Error = TranslateError;

    fn try_from(body: ResponsesRequest) -> Result<Self, TranslateError> {
        if body.previous_response_id.is_some() {
            return Err(TranslateError::unsupported(
                "previous_response_id",
                "stored responses exist only on OpenAI; send the whole conversation in `input` (store: false)",
            ));
        }
        let mut system: Vec<String> = body
            .instructions
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect();
        let mut messages: Vec<ir::Message> = Vec::new();
        match body.input {
            Some(Input::Text(s)) => messages.push(ir::Message {
                role: Role::User,
                parts: vec![Part::Text(s)],
            }),
            Some(Input::Items(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    let at = format!("input[{i}]");
                    let item = match item {
                        InputItem::Known(item) => item,
                        InputItem::Unknown(v) => {
                            return Err(TranslateError::unsupported(
                                format!("{at}.type"),
                                format!(
                                    "input items of type `{}` cannot be translated",
                                    type_of(&v)
                                ),
                            ));
                        }
                    };
                    push_item(item, &at, &mut system, &mut messages)?;
                }
            }
            Some(Input::Other(_)) | None => {}
        }
        let mut tools = Vec::new();
        for (i, t) in body.tools.into_iter().enumerate() {
            match t.kind {
                Some(ToolType::Function) => {}
                // OpenAI's own search and Codex's sub-agent namespace are left out (listed
                // in docs/translation.md): the model simply does not see them.
                Some(ToolType::WebSearch | ToolType::WebSearchPreview | ToolType::Namespace) => {
                    continue;
                }
                Some(ToolType::Other) | None => {
                    return Err(TranslateError::unsupported(
                        format!("tools[{i}].type"),
                        "only function tools can be translated (built-in tools run only on OpenAI)",
                    ));
                }
            }
            tools.push(ir::Tool {
                name: t.name,
                description: t.description,
                parameters: t
                    .parameters
                    .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            });
        }
        let tool_choice = body.tool_choice.map(|c| match c {
            ToolChoice::Mode(s) => match s.as_str() {
                "none" => ir::ToolChoice::None,
                "required" => ir::ToolChoice::Required,
                _ => ir::ToolChoice::Auto,
            },
            ToolChoice::Named { name } => ir::ToolChoice::Tool(name),
        });
        let response_format = body.text.format.and_then(|f| match f.kind.as_deref() {
            Some("json_object") => Some(ir::ResponseFormat::Json),
            Some("json_schema") => Some(ir::ResponseFormat::JsonSchema {
                name: f.name,
                schema: f.schema.unwrap_or(Value::Null),
                strict: f.strict,
            }),
            _ => None,
        });
        Ok(ir::Request {
            model: body.model,
            system,
            messages,
            tools,
            tool_choice,
            parallel_tool_calls: body.parallel_tool_calls,
            response_format,
            max_output_tokens: body.max_output_tokens,
            temperature: body.temperature,
            top_p: body.top_p,
            top_k: None,
            stop: Vec::new(),
            seed: None,
            reasoning: body
                .reasoning
                .effort
                .as_deref()
                .map(ir::Reasoning::from_effort),
            stream: body.stream.unwrap_or(false),
            user: body.user,
        })
    }
}

/// Adds one input item to the conversation (a leading system message to `system`).
fn push_item(
    item: Item,
    at: &str,
    system: &mut Vec<String>,
    messages: &mut Vec<ir::Message>,
) -> Result<(), TranslateError> {
    match item {
        Item::Message { role, content } => {
            let parts = content_parts(content.as_ref(), at)?;
            match role {
                ItemRole::System | ItemRole::Developer if messages.is_empty() => {
                    system.extend(parts.into_iter().filter_map(|p| match p {
                        Part::Text(t) => Some(t),
                        _ => None,
                    }))
                }
                ItemRole::System | ItemRole::Developer => messages.push(ir::Message {
                    role: Role::System,
                    parts,
                }),
                ItemRole::Assistant => {
                    for p in parts {
                        push(messages, Role::Assistant, p);
                    }
                }
                ItemRole::User | ItemRole::Other => messages.push(ir::Message {
                    role: Role::User,
                    parts,
                }),
            }
        }
        Item::FunctionCall {
            call_id,
            name,
            arguments,
        } => push(
            messages,
            Role::Assistant,
            Part::ToolCall {
                id: call_id,
                name,
                arguments: if arguments.trim().is_empty() {
                    "{}".into()
                } else {
                    arguments
                },
                signature: None,
            },
        ),
        Item::FunctionCallOutput { call_id, output } => {
            let result = Part::ToolResult {
                id: call_id,
                content: content_parts(output.as_ref(), at)?,
                is_error: false,
            };
            match messages.last_mut() {
                Some(last)
                    if last.role == Role::User
                        && last
                            .parts
                            .iter()
                            .all(|p| matches!(p, Part::ToolResult { .. })) =>
                {
                    last.parts.push(result)
                }
                _ => messages.push(ir::Message {
                    role: Role::User,
                    parts: vec![result],
                }),
            }
        }
        // Thinking the gateway sealed goes back whole; otherwise the summary is kept as
        // text (OpenAI's encrypted content stays with OpenAI).
        Item::Reasoning {
            summary,
            encrypted_content,
        } => {
            if let Some(blocks) = encrypted_content.as_deref().and_then(carry::open) {
                for block in blocks {
                    push(messages, Role::Assistant, block);
                }
                return Ok(());
            }
            let text: String = summary
                .into_iter()
                .filter_map(|s| s.text)
                .collect::<Vec<_>>()
                .join("\n");
            push(
                messages,
                Role::Assistant,
                Part::Reasoning {
                    text,
                    signature: None,
                    redacted: None,
                },
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: Value) -> Result<ir::Request, TranslateError> {
        ir::Request::try_from(serde_json::from_value::<ResponsesRequest>(body).expect("decodes"))
    }

    #[test]
    fn items_decode_typed_with_their_defaults() {
        let req = decode(json!({"model": "m", "instructions": "be brief", "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "yo"}]},
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "a"}, {"type": "summary_text"}]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": ""},
            {"type": "function_call_output", "call_id": "c1", "output": "42"}],
            "tools": [{"type": "web_search"}, {"type": "function", "name": "f", "parameters": null}],
            "tool_choice": {"type": "function", "name": "f"},
            "text": {"format": {"type": "json_schema", "name": "s", "schema": {"type": "object"}}},
            "reasoning": {"effort": "high", "summary": "auto"}, "stream": true}))
        .expect("translates");
        assert_eq!(req.system, ["be brief"]);
        assert_eq!(req.messages[0].parts, [Part::Text("hi".into())]);
        assert_eq!(req.messages[1].parts[0], Part::Text("yo".into()));
        assert!(matches!(&req.messages[1].parts[1], Part::Reasoning { text, .. } if text == "a"));
        assert!(matches!(&req.messages[1].parts[2],
            Part::ToolCall { id, arguments, .. } if id == "c1" && arguments == "{}"));
        assert!(matches!(&req.messages[2].parts[0], Part::ToolResult { id, .. } if id == "c1"));
        assert_eq!(req.tools.len(), 1);
        assert_eq!(req.tools[0].parameters["type"], "object");
        assert_eq!(req.tool_choice, Some(ir::ToolChoice::Tool("f".into())));
        assert!(matches!(
            req.response_format,
            Some(ir::ResponseFormat::JsonSchema { .. })
        ));
        assert!(req.stream && req.reasoning.is_some());
    }

    #[test]
    fn what_cannot_be_translated_is_refused_by_name() {
        let refused = |body: Value| decode(body).expect_err("refused").to_string();
        let err = refused(json!({"input": [{"type": "web_search_call", "id": "ws"}]}));
        assert!(
            err.contains("input[0].type") && err.contains("`web_search_call`"),
            "{err}"
        );
        let err = refused(json!({"input": [{"role": "user", "content": [
            {"type": "input_image", "file_id": "file-1"}]}]}));
        assert!(err.contains("input[0].content[0].file_id"), "{err}");
        let err = refused(json!({"previous_response_id": "resp_1"}));
        assert!(err.contains("previous_response_id"), "{err}");
        let err = refused(json!({"tools": [{"type": "file_search"}]}));
        assert!(err.contains("tools[0].type"), "{err}");
        assert!(decode(json!({"previous_response_id": null, "input": "hi"})).is_ok());
    }
}
