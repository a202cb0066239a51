//! OpenAI Chat Completions requests: the wire form (tools, tool choice, response format,
//! stream options; messages are in [`super::message`]), and its translation to and from
//! the IR.

use super::message::{ChatMessage, Role as ChatRole, ToolCall, ToolKind, content_of, parts_of};
use crate::ir::{self, Part, Role};
use crate::openai::common::{Content, nullable};
use crate::translate::TranslateError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// `POST /v1/chat/completions`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Fields this gateway does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `stop`: one sequence or several.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

/// `stream_options`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tool the model may call. Only `function` tools translate; others are refused.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Tool {
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: ToolKind,
    #[serde(default, deserialize_with = "nullable")]
    pub function: FunctionDef,
}

/// A function tool's declaration.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct FunctionDef {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A JSON schema, kept as it is. Absent (or `null`) means no parameters.
    #[serde(default)]
    pub parameters: Option<Value>,
}

/// `tool_choice`: a mode, or one function by name.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(ToolMode),
    Named(NamedTool),
}

/// A `tool_choice` mode; an unknown one is read as `auto`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolMode {
    Auto,
    None,
    Required,
    #[serde(untagged)]
    Other(String),
}

/// `{"type": "function", "function": {"name": ...}}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct NamedTool {
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: ToolKind,
    #[serde(default, deserialize_with = "nullable")]
    pub function: FunctionName,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct FunctionName {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
}

/// `response_format`: plain text, any JSON object, or JSON matching a schema.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ResponseFormat {
    /// A missing type reads as `text` (no constraint), as before typing.
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: FormatKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<JsonSchemaFormat>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatKind {
    #[default]
    Text,
    JsonObject,
    JsonSchema,
    #[serde(untagged)]
    Other(String),
}

/// `response_format.json_schema`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct JsonSchemaFormat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The schema, kept as it is; written even when `null` (as the IR holds it).
    #[serde(default)]
    pub schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// Which request fields a Chat-speaking upstream understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI itself: `max_completion_tokens`, `reasoning_effort`.
    OpenAi,
    /// OpenAI-compatible servers (DeepSeek, NVIDIA, vLLM, ...): `max_tokens`.
    Compatible,
}

impl TryFrom<ChatRequest> for ir::Request {
    type Error = TranslateError;

    fn try_from(req: ChatRequest) -> Result<Self, TranslateError> {
        if req.n.is_some_and(|n| n > 1) {
            return Err(TranslateError::unsupported(
                "n",
                "only one choice can be translated",
            ));
        }
        for field in ["logprobs", "audio"] {
            if req
                .extra
                .get(field)
                .is_some_and(|v| !v.is_null() && *v != false)
            {
                return Err(TranslateError::unsupported(
                    field,
                    "the target provider has no equivalent",
                ));
            }
        }
        let mut system = Vec::new();
        let mut messages: Vec<ir::Message> = Vec::new();
        for (i, m) in req.messages.iter().enumerate() {
            let at = format!("messages[{i}]");
            match &m.role {
                ChatRole::System | ChatRole::Developer => {
                    let text: Vec<String> = parts_of(m.content.as_ref(), &at)?
                        .into_iter()
                        .filter_map(|p| match p {
                            Part::Text(t) => Some(t),
                            _ => None,
                        })
                        .collect();
                    if messages.is_empty() {
                        system.extend(text);
                    } else {
                        messages.push(ir::Message {
                            role: Role::System,
                            parts: text.into_iter().map(Part::Text).collect(),
                        });
                    }
                }
                ChatRole::User => messages.push(ir::Message {
                    role: Role::User,
                    parts: parts_of(m.content.as_ref(), &at)?,
                }),
                ChatRole::Assistant => {
                    let mut parts = Vec::new();
                    if let Some(r) = m.reasoning_content.as_ref().filter(|r| !r.is_empty()) {
                        parts.push(Part::Reasoning {
                            text: r.clone(),
                            signature: None,
                            redacted: None,
                        });
                    }
                    parts.extend(parts_of(m.content.as_ref(), &at)?);
                    for (k, call) in m.tool_calls.iter().flatten().enumerate() {
                        parts.push(call.to_part(|| format!("call_{i}_{k}")));
                    }
                    messages.push(ir::Message {
                        role: Role::Assistant,
                        parts,
                    });
                }
                ChatRole::Tool | ChatRole::Function => {
                    let result = Part::ToolResult {
                        id: m.tool_call_id.clone().unwrap_or_default(),
                        content: parts_of(m.content.as_ref(), &at)?,
                        is_error: false,
                    };
                    // Results of one turn travel together, as one user message.
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
                ChatRole::Other(other) => {
                    return Err(TranslateError::Invalid(format!(
                        "{at}.role: unknown role `{other}`"
                    )));
                }
            }
        }
        let mut tools = Vec::new();
        for (i, t) in req.tools.into_iter().flatten().enumerate() {
            if t.kind != ToolKind::Function {
                return Err(TranslateError::unsupported(
                    format!("tools[{i}].type"),
                    "only function tools can be translated",
                ));
            }
            tools.push(ir::Tool {
                name: t.function.name,
                description: t.function.description,
                parameters: t
                    .function
                    .parameters
                    .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            });
        }
        let tool_choice = req.tool_choice.map(|c| match c {
            ToolChoice::Mode(ToolMode::None) => ir::ToolChoice::None,
            ToolChoice::Mode(ToolMode::Required) => ir::ToolChoice::Required,
            ToolChoice::Mode(_) => ir::ToolChoice::Auto,
            ToolChoice::Named(named) => ir::ToolChoice::Tool(named.function.name),
        });
        let response_format = req.response_format.and_then(|f| match f.kind {
            FormatKind::JsonObject => Some(ir::ResponseFormat::Json),
            FormatKind::JsonSchema => {
                let spec = f.json_schema.unwrap_or_default();
                Some(ir::ResponseFormat::JsonSchema {
                    name: spec.name,
                    schema: spec.schema.unwrap_or(Value::Null),
                    strict: spec.strict,
                })
            }
            FormatKind::Text | FormatKind::Other(_) => None,
        });
        let stop = match req.stop {
            None => Vec::new(),
            Some(Stop::One(s)) => vec![s],
            Some(Stop::Many(v)) => v,
        };
        Ok(ir::Request {
            model: req.model,
            system,
            messages,
            tools,
            tool_choice,
            parallel_tool_calls: req.parallel_tool_calls,
            response_format,
            max_output_tokens: req.max_completion_tokens.or(req.max_tokens),
            temperature: req.temperature,
            top_p: req.top_p,
            top_k: None,
            stop,
            seed: req.seed,
            reasoning: req
                .reasoning_effort
                .as_deref()
                .map(ir::Reasoning::from_effort),
            stream: req.stream.unwrap_or(false),
            user: req.user,
        })
    }
}

/// Whether an OpenAI model takes `reasoning_effort` (o-series, GPT-5, codex): others reject it,
/// so a client's thinking setting is not passed to them.
pub(crate) fn reasoning_model(model: &str) -> bool {
    let m = model.rsplit('/').next().unwrap_or(model);
    ["o1", "o3", "o4", "gpt-5", "codex"]
        .iter()
        .any(|p| m.starts_with(p))
}

/// An effort level OpenAI knows.
pub(crate) fn openai_effort(effort: &str) -> &'static str {
    match effort {
        "minimal" | "none" => "minimal",
        "low" => "low",
        "high" | "max" | "xhigh" => "high",
        _ => "medium",
    }
}

/// The effort level for a thinking budget.
pub(crate) fn effort_for_budget(budget: u64) -> &'static str {
    match budget {
        0..=2047 => "low",
        2048..=16383 => "medium",
        _ => "high",
    }
}

impl ChatRequest {
    /// The Chat request for `req`, in the fields `dialect` understands. Reasoning from
    /// other providers is not sent back (Chat has no input for it).
    pub fn from_ir(req: &ir::Request, dialect: Dialect) -> Result<Self, TranslateError> {
        let mut messages = Vec::with_capacity(req.messages.len() + 1);
        if !req.system.is_empty() {
            messages.push(ChatMessage {
                role: ChatRole::System,
                content: Some(Content::Text(req.system.join("\n\n"))),
                ..ChatMessage::default()
            });
        }
        for m in &req.messages {
            match m.role {
                Role::System => messages.push(ChatMessage {
                    role: ChatRole::System,
                    content: Some(content_of(&m.parts.iter().collect::<Vec<_>>())),
                    ..ChatMessage::default()
                }),
                Role::User => {
                    // Tool results first: they must follow the assistant's calls. Chat tool
                    // messages take text only: images and files a result holds follow in a
                    // user message.
                    let mut result_media: Vec<&Part> = Vec::new();
                    for p in &m.parts {
                        if let Part::ToolResult {
                            id,
                            content,
                            is_error,
                        } = p
                        {
                            let refs: Vec<&Part> = content
                                .iter()
                                .filter(|c| matches!(c, Part::Text(_)))
                                .collect();
                            result_media.extend(
                                content.iter().filter(|c| {
                                    matches!(c, Part::Image(_) | Part::Document { .. })
                                }),
                            );
                            let mut value = if refs.is_empty() {
                                Content::Text(String::new())
                            } else {
                                content_of(&refs)
                            };
                            if *is_error {
                                // Chat has no error flag: the text says so.
                                value = match value {
                                    Content::Text(s) => Content::Text(format!("Error: {s}")),
                                    other => other,
                                };
                            }
                            messages.push(ChatMessage {
                                role: ChatRole::Tool,
                                content: Some(value),
                                tool_call_id: Some(id.clone()),
                                ..ChatMessage::default()
                            });
                        }
                    }
                    let rest: Vec<&Part> = result_media
                        .into_iter()
                        .chain(
                            m.parts
                                .iter()
                                .filter(|p| !matches!(p, Part::ToolResult { .. })),
                        )
                        .collect();
                    if !rest.is_empty() {
                        messages.push(ChatMessage {
                            role: ChatRole::User,
                            content: Some(content_of(&rest)),
                            ..ChatMessage::default()
                        });
                    }
                }
                Role::Assistant => {
                    let text: String = m
                        .parts
                        .iter()
                        .filter_map(|p| match p {
                            Part::Text(t) => Some(t.as_str()),
                            _ => None,
                        })
                        .collect();
                    let calls = ToolCall::of_parts(&m.parts);
                    messages.push(ChatMessage {
                        role: ChatRole::Assistant,
                        content: (!text.is_empty() || calls.is_empty())
                            .then_some(Content::Text(text)),
                        tool_calls: (!calls.is_empty()).then_some(calls),
                        ..ChatMessage::default()
                    });
                }
            }
        }
        let tools: Vec<Tool> = req
            .tools
            .iter()
            .map(|t| Tool {
                kind: ToolKind::Function,
                function: FunctionDef {
                    name: t.name.clone(),
                    description: t.description.clone(),
                    parameters: Some(t.parameters.clone()),
                },
            })
            .collect();
        let tool_choice = req.tool_choice.as_ref().map(|c| match c {
            ir::ToolChoice::Auto => ToolChoice::Mode(ToolMode::Auto),
            ir::ToolChoice::None => ToolChoice::Mode(ToolMode::None),
            ir::ToolChoice::Required => ToolChoice::Mode(ToolMode::Required),
            ir::ToolChoice::Tool(name) => ToolChoice::Named(NamedTool {
                kind: ToolKind::Function,
                function: FunctionName { name: name.clone() },
            }),
        });
        let response_format = req.response_format.as_ref().map(|f| match f {
            ir::ResponseFormat::Json => ResponseFormat {
                kind: FormatKind::JsonObject,
                json_schema: None,
            },
            ir::ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            } => ResponseFormat {
                kind: FormatKind::JsonSchema,
                json_schema: Some(JsonSchemaFormat {
                    name: Some(name.clone().unwrap_or_else(|| "response".into())),
                    schema: Some(schema.clone()),
                    strict: *strict,
                }),
            },
        });
        let reasoning_effort = match &req.reasoning {
            Some(ir::Reasoning::Effort(e)) => Some(e.clone()),
            Some(ir::Reasoning::Budget(b)) => Some(effort_for_budget(*b).to_owned()),
            Some(ir::Reasoning::Disabled) | None => None,
        }
        .filter(|_| dialect == Dialect::OpenAi && reasoning_model(&req.model))
        .map(|e| openai_effort(&e).to_owned());
        let (max_tokens, max_completion_tokens) = match dialect {
            Dialect::OpenAi => (None, req.max_output_tokens),
            Dialect::Compatible => (req.max_output_tokens, None),
        };
        Ok(ChatRequest {
            model: req.model.clone(),
            messages,
            max_tokens,
            max_completion_tokens,
            temperature: req.temperature,
            top_p: req.top_p,
            n: None,
            stop: (!req.stop.is_empty()).then(|| Stop::Many(req.stop.clone())),
            seed: req.seed,
            stream: req.stream.then_some(true),
            // Usage is always asked for: translated streams report it to the client.
            stream_options: req.stream.then(|| StreamOptions {
                include_usage: Some(true),
                extra: Map::new(),
            }),
            tools: (!tools.is_empty()).then_some(tools),
            tool_choice,
            parallel_tool_calls: req.parallel_tool_calls.filter(|_| !req.tools.is_empty()),
            response_format,
            reasoning_effort,
            user: req.user.clone(),
            extra: Map::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: Value) -> Result<ir::Request, TranslateError> {
        ir::Request::try_from(serde_json::from_value::<ChatRequest>(body).expect("decodes"))
    }

    #[test]
    fn typed_fields_decode_with_nulls_and_defaults() {
        let req = decode(json!({"model": "m", "messages": [
            {"role": "user", "content": [{"type": "text", "text": null},
                {"type": "image_url", "image_url": "https://x/y.png"}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"type": "function", "function": {"name": "f", "arguments": ""}}]}],
            "tools": [{"function": {"name": "f", "parameters": null}}],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "response_format": {"type": "json_schema", "json_schema": {"name": "s"}}}))
        .expect("translates");
        assert_eq!(req.messages[0].parts[0], Part::Text(String::new()));
        assert!(
            matches!(&req.messages[1].parts[0], Part::ToolCall { id, arguments, .. }
                if id == "call_1_0" && arguments == "{}")
        );
        assert_eq!(req.tools[0].parameters["type"], "object");
        assert_eq!(req.tool_choice, Some(ir::ToolChoice::Tool("f".into())));
        assert!(matches!(req.response_format,
            Some(ir::ResponseFormat::JsonSchema { name: Some(n), schema: Value::Null, .. }) if n == "s"));
    }

    #[test]
    fn unknown_parts_roles_and_tools_are_refused_by_name() {
        let audio = json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]}]});
        let err = decode(audio).expect_err("refused").to_string();
        assert!(err.contains("messages[0].content[0].type"), "{err}");
        assert!(err.contains("input_audio"), "{err}");
        let role = json!({"model": "m", "messages": [{"role": "narrator", "content": "x"}]});
        let err = decode(role).expect_err("refused").to_string();
        assert!(err.contains("`narrator`"), "{err}");
        let tool = json!({"model": "m", "messages": [], "tools": [{"type": "custom"}]});
        let err = decode(tool).expect_err("refused").to_string();
        assert!(err.contains("tools[0].type"), "{err}");
    }

    #[test]
    fn encodes_typed_tools_choice_and_format() {
        let req = ir::Request {
            model: "gpt-4.1".into(),
            tools: vec![ir::Tool {
                name: "f".into(),
                description: None,
                parameters: json!({"type": "object"}),
            }],
            tool_choice: Some(ir::ToolChoice::Tool("f".into())),
            response_format: Some(ir::ResponseFormat::Json),
            stream: true,
            ..ir::Request::default()
        };
        let out = serde_json::to_value(ChatRequest::from_ir(&req, Dialect::OpenAi).expect("ok"))
            .expect("json");
        assert_eq!(
            out["tools"],
            json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}])
        );
        assert_eq!(
            out["tool_choice"],
            json!({"type": "function", "function": {"name": "f"}})
        );
        assert_eq!(out["response_format"], json!({"type": "json_object"}));
        assert_eq!(out["stream_options"], json!({"include_usage": true}));
    }
}
