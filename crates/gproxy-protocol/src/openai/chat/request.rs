//! OpenAI Chat Completions requests: the wire form, and its translation to and from the IR.

use crate::ir::{self, Media, Part, Role};
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
    pub stream_options: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
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

/// A chat message; `content` is a string or content parts.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChatMessage {
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Reasoning text some compatible providers return (DeepSeek); read, never sent.
    #[serde(default, skip_serializing)]
    pub reasoning_content: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Which request fields a Chat-speaking upstream understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI itself: `max_completion_tokens`, `reasoning_effort`.
    OpenAi,
    /// OpenAI-compatible servers (DeepSeek, NVIDIA, vLLM, ...): `max_tokens`.
    Compatible,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str()
}

/// A `data:` URL's media type and base64 payload, or the URL itself.
fn media_of_url(url: &str) -> Media {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
        && let Some(media_type) = meta.strip_suffix(";base64")
    {
        return Media::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        };
    }
    Media::Url(url.to_owned())
}

fn url_of_media(media: &Media) -> String {
    match media {
        Media::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
        Media::Url(url) => url.clone(),
    }
}

/// The parts of a message's `content` (a string or parts).
fn content_parts(content: Option<&Value>, at: &str) -> Result<Vec<Part>, TranslateError> {
    let Some(content) = content else {
        return Ok(Vec::new());
    };
    match content {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![Part::Text(s.clone())]),
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for (j, item) in items.iter().enumerate() {
                let here = format!("{at}.content[{j}]");
                match str_at(item, &["type"]).unwrap_or_default() {
                    "text" | "input_text" => parts.push(Part::Text(
                        str_at(item, &["text"]).unwrap_or_default().into(),
                    )),
                    "refusal" => parts.push(Part::Text(
                        str_at(item, &["refusal"]).unwrap_or_default().into(),
                    )),
                    "image_url" => {
                        let url = str_at(item, &["image_url", "url"])
                            .or_else(|| str_at(item, &["image_url"]))
                            .unwrap_or_default();
                        parts.push(Part::Image(media_of_url(url)));
                    }
                    "file" => {
                        let data = str_at(item, &["file", "file_data"]).ok_or_else(|| {
                            TranslateError::unsupported(
                                format!("{here}.file.file_id"),
                                "uploaded file ids exist only on OpenAI; send file_data",
                            )
                        })?;
                        parts.push(Part::Document {
                            media: media_of_url(data),
                            name: str_at(item, &["file", "filename"]).map(str::to_owned),
                        });
                    }
                    other => {
                        return Err(TranslateError::unsupported(
                            format!("{here}.type"),
                            format!("content of type `{other}` cannot be translated"),
                        ));
                    }
                }
            }
            Ok(parts)
        }
        _ => Err(TranslateError::Invalid(format!(
            "{at}.content must be a string or an array"
        ))),
    }
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
            match m.role.as_str() {
                "system" | "developer" => {
                    let text: Vec<String> = content_parts(m.content.as_ref(), &at)?
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
                "user" => messages.push(ir::Message {
                    role: Role::User,
                    parts: content_parts(m.content.as_ref(), &at)?,
                }),
                "assistant" => {
                    let mut parts = Vec::new();
                    if let Some(r) = m.reasoning_content.as_ref().filter(|r| !r.is_empty()) {
                        parts.push(Part::Reasoning {
                            text: r.clone(),
                            signature: None,
                            redacted: None,
                        });
                    }
                    parts.extend(content_parts(m.content.as_ref(), &at)?);
                    for (k, call) in m.tool_calls.iter().flatten().enumerate() {
                        let arguments = str_at(call, &["function", "arguments"]).unwrap_or("");
                        parts.push(Part::ToolCall {
                            signature: None,
                            id: str_at(call, &["id"])
                                .map(str::to_owned)
                                .unwrap_or_else(|| format!("call_{i}_{k}")),
                            name: str_at(call, &["function", "name"])
                                .unwrap_or_default()
                                .to_owned(),
                            arguments: if arguments.trim().is_empty() {
                                "{}".into()
                            } else {
                                arguments.to_owned()
                            },
                        });
                    }
                    messages.push(ir::Message {
                        role: Role::Assistant,
                        parts,
                    });
                }
                "tool" | "function" => {
                    let result = Part::ToolResult {
                        id: m.tool_call_id.clone().unwrap_or_default(),
                        content: content_parts(m.content.as_ref(), &at)?,
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
                other => {
                    return Err(TranslateError::Invalid(format!(
                        "{at}.role: unknown role `{other}`"
                    )));
                }
            }
        }
        let mut tools = Vec::new();
        for (i, t) in req.tools.iter().flatten().enumerate() {
            if str_at(t, &["type"]).is_some_and(|k| k != "function") {
                return Err(TranslateError::unsupported(
                    format!("tools[{i}].type"),
                    "only function tools can be translated",
                ));
            }
            tools.push(ir::Tool {
                name: str_at(t, &["function", "name"])
                    .unwrap_or_default()
                    .to_owned(),
                description: str_at(t, &["function", "description"]).map(str::to_owned),
                parameters: t
                    .get("function")
                    .and_then(|f| f.get("parameters"))
                    .cloned()
                    .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            });
        }
        let tool_choice = match &req.tool_choice {
            None => None,
            Some(Value::String(s)) => Some(match s.as_str() {
                "none" => ir::ToolChoice::None,
                "required" => ir::ToolChoice::Required,
                _ => ir::ToolChoice::Auto,
            }),
            Some(v) => Some(ir::ToolChoice::Tool(
                str_at(v, &["function", "name"])
                    .unwrap_or_default()
                    .to_owned(),
            )),
        };
        let response_format = match req
            .response_format
            .as_ref()
            .and_then(|f| str_at(f, &["type"]))
        {
            Some("json_object") => Some(ir::ResponseFormat::Json),
            Some("json_schema") => {
                let spec = req
                    .response_format
                    .as_ref()
                    .and_then(|f| f.get("json_schema"))
                    .cloned()
                    .unwrap_or_default();
                Some(ir::ResponseFormat::JsonSchema {
                    name: str_at(&spec, &["name"]).map(str::to_owned),
                    schema: spec.get("schema").cloned().unwrap_or(Value::Null),
                    strict: spec.get("strict").and_then(Value::as_bool),
                })
            }
            _ => None,
        };
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

/// A chat message's `content` for `parts` (text, images, files).
fn content_value(parts: &[&Part]) -> Value {
    if let [Part::Text(t)] = parts {
        return Value::String(t.clone());
    }
    Value::Array(
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(json!({"type": "text", "text": t})),
                Part::Image(m) => {
                    Some(json!({"type": "image_url", "image_url": {"url": url_of_media(m)}}))
                }
                Part::Document { media, name } => Some(json!({"type": "file", "file": {
                    "file_data": url_of_media(media),
                    "filename": name.clone().unwrap_or_else(|| "document".into())}})),
                _ => None,
            })
            .collect(),
    )
}

/// Whether an OpenAI model takes `reasoning_effort` (o-series, GPT-5): others reject it,
/// so a client's thinking setting is not passed to them.
fn reasoning_model(model: &str) -> bool {
    let m = model.rsplit('/').next().unwrap_or(model);
    ["o1", "o3", "o4", "gpt-5"].iter().any(|p| m.starts_with(p))
}

/// An effort level OpenAI knows.
fn openai_effort(effort: &str) -> &'static str {
    match effort {
        "minimal" | "none" => "minimal",
        "low" => "low",
        "high" | "max" | "xhigh" => "high",
        _ => "medium",
    }
}

/// The effort level for a thinking budget.
fn effort_for_budget(budget: u64) -> &'static str {
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
                role: "system".into(),
                content: Some(Value::String(req.system.join("\n\n"))),
                ..ChatMessage::default()
            });
        }
        for m in &req.messages {
            match m.role {
                Role::System => messages.push(ChatMessage {
                    role: "system".into(),
                    content: Some(content_value(&m.parts.iter().collect::<Vec<_>>())),
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
                                Value::String(String::new())
                            } else {
                                content_value(&refs)
                            };
                            if *is_error {
                                // Chat has no error flag: the text says so.
                                value = match value {
                                    Value::String(s) => Value::String(format!("Error: {s}")),
                                    other => other,
                                };
                            }
                            messages.push(ChatMessage {
                                role: "tool".into(),
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
                            role: "user".into(),
                            content: Some(content_value(&rest)),
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
                    let calls: Vec<Value> = m
                        .parts
                        .iter()
                        .filter_map(|p| match p {
                            Part::ToolCall {
                                id,
                                name,
                                arguments,
                                ..
                            } => Some(json!({"id": id, "type": "function",
                                "function": {"name": name, "arguments": arguments}})),
                            _ => None,
                        })
                        .collect();
                    messages.push(ChatMessage {
                        role: "assistant".into(),
                        content: (!text.is_empty() || calls.is_empty())
                            .then_some(Value::String(text)),
                        tool_calls: (!calls.is_empty()).then_some(calls),
                        ..ChatMessage::default()
                    });
                }
            }
        }
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut f = Map::new();
                f.insert("name".into(), Value::String(t.name.clone()));
                if let Some(d) = &t.description {
                    f.insert("description".into(), Value::String(d.clone()));
                }
                f.insert("parameters".into(), t.parameters.clone());
                json!({"type": "function", "function": f})
            })
            .collect();
        let tool_choice = req.tool_choice.as_ref().map(|c| match c {
            ir::ToolChoice::Auto => json!("auto"),
            ir::ToolChoice::None => json!("none"),
            ir::ToolChoice::Required => json!("required"),
            ir::ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
        });
        let response_format = req.response_format.as_ref().map(|f| match f {
            ir::ResponseFormat::Json => json!({"type": "json_object"}),
            ir::ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            } => {
                let mut spec = Map::new();
                spec.insert(
                    "name".into(),
                    Value::String(name.clone().unwrap_or_else(|| "response".into())),
                );
                spec.insert("schema".into(), schema.clone());
                if let Some(s) = strict {
                    spec.insert("strict".into(), Value::Bool(*s));
                }
                json!({"type": "json_schema", "json_schema": spec})
            }
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
            stream_options: req.stream.then(|| json!({"include_usage": true})),
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
