//! OpenAI Responses requests, decoded into the IR (a Responses client served by a Chat,
//! Anthropic or Gemini upstream). Encrypted reasoning is bound to OpenAI's account and is
//! not carried to another provider; a `previous_response_id` names state only OpenAI has.

use crate::ir::{self, Media, Part, Role};
use crate::translate::{TranslateError, carry};
use serde_json::{Value, json};

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

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

/// The parts of a message item's `content` (a string or content parts).
fn content_parts(content: Option<&Value>, at: &str) -> Result<Vec<Part>, TranslateError> {
    match content {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![Part::Text(s.clone())]),
        Some(Value::Array(items)) => {
            let mut parts = Vec::with_capacity(items.len());
            for (j, c) in items.iter().enumerate() {
                let here = format!("{at}.content[{j}]");
                match str_of(c, "type").unwrap_or_default() {
                    "input_text" | "output_text" | "text" => {
                        parts.push(Part::Text(str_of(c, "text").unwrap_or_default().into()))
                    }
                    "refusal" => {
                        parts.push(Part::Text(str_of(c, "refusal").unwrap_or_default().into()))
                    }
                    "input_image" => match str_of(c, "image_url") {
                        Some(url) => parts.push(Part::Image(media_of_url(url))),
                        None => {
                            return Err(TranslateError::unsupported(
                                format!("{here}.file_id"),
                                "uploaded file ids exist only on OpenAI; send image_url",
                            ));
                        }
                    },
                    "input_file" => match str_of(c, "file_data") {
                        Some(data) => parts.push(Part::Document {
                            media: media_of_url(data),
                            name: str_of(c, "filename").map(str::to_owned),
                        }),
                        None => {
                            return Err(TranslateError::unsupported(
                                format!("{here}.file_id"),
                                "uploaded file ids exist only on OpenAI; send file_data",
                            ));
                        }
                    },
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
        Some(_) => Err(TranslateError::Invalid(format!(
            "{at}.content must be a string or an array"
        ))),
    }
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

/// The IR request of a Responses request body.
pub fn request_from_wire(body: &Value) -> Result<ir::Request, TranslateError> {
    if body
        .get("previous_response_id")
        .is_some_and(|v| !v.is_null())
    {
        return Err(TranslateError::unsupported(
            "previous_response_id",
            "stored responses exist only on OpenAI; send the whole conversation in `input` (store: false)",
        ));
    }
    let mut system: Vec<String> = str_of(body, "instructions")
        .filter(|s| !s.is_empty())
        .map(|s| vec![s.to_owned()])
        .unwrap_or_default();
    let mut messages: Vec<ir::Message> = Vec::new();
    match body.get("input") {
        Some(Value::String(s)) => messages.push(ir::Message {
            role: Role::User,
            parts: vec![Part::Text(s.clone())],
        }),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("input[{i}]");
                let kind = str_of(item, "type").unwrap_or("message");
                match kind {
                    "message" => {
                        let role = str_of(item, "role").unwrap_or("user");
                        let parts = content_parts(item.get("content"), &at)?;
                        match role {
                            "system" | "developer" if messages.is_empty() => {
                                system.extend(parts.into_iter().filter_map(|p| match p {
                                    Part::Text(t) => Some(t),
                                    _ => None,
                                }))
                            }
                            "system" | "developer" => messages.push(ir::Message {
                                role: Role::System,
                                parts,
                            }),
                            "assistant" => {
                                for p in parts {
                                    push(&mut messages, Role::Assistant, p);
                                }
                            }
                            _ => messages.push(ir::Message {
                                role: Role::User,
                                parts,
                            }),
                        }
                    }
                    "function_call" => {
                        let arguments = str_of(item, "arguments").unwrap_or("");
                        push(
                            &mut messages,
                            Role::Assistant,
                            Part::ToolCall {
                                id: str_of(item, "call_id").unwrap_or_default().to_owned(),
                                name: str_of(item, "name").unwrap_or_default().to_owned(),
                                arguments: if arguments.trim().is_empty() {
                                    "{}".into()
                                } else {
                                    arguments.to_owned()
                                },
                                signature: None,
                            },
                        );
                    }
                    "function_call_output" => {
                        let content = match item.get("output") {
                            Some(Value::String(s)) => vec![Part::Text(s.clone())],
                            other => content_parts(other, &at)?,
                        };
                        let result = Part::ToolResult {
                            id: str_of(item, "call_id").unwrap_or_default().to_owned(),
                            content,
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
                    // Thinking the gateway sealed goes back whole; otherwise the summary
                    // is kept as text (OpenAI's encrypted content stays with OpenAI).
                    "reasoning" => {
                        if let Some(blocks) =
                            str_of(item, "encrypted_content").and_then(carry::open)
                        {
                            for block in blocks {
                                push(&mut messages, Role::Assistant, block);
                            }
                            continue;
                        }
                        let text: String = item
                            .get("summary")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|s| str_of(s, "text"))
                            .collect::<Vec<_>>()
                            .join("\n");
                        push(
                            &mut messages,
                            Role::Assistant,
                            Part::Reasoning {
                                text,
                                signature: None,
                                redacted: None,
                            },
                        );
                    }
                    other => {
                        return Err(TranslateError::unsupported(
                            format!("{at}.type"),
                            format!("input items of type `{other}` cannot be translated"),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    let mut tools = Vec::new();
    for (i, t) in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match str_of(t, "type") {
            Some("function") => {}
            // OpenAI's own search and Codex's sub-agent namespace are left out (listed in
            // docs/translation.md): the model simply does not see them.
            Some("web_search" | "web_search_preview" | "namespace") => continue,
            _ => {
                return Err(TranslateError::unsupported(
                    format!("tools[{i}].type"),
                    "only function tools can be translated (built-in tools run only on OpenAI)",
                ));
            }
        }
        tools.push(ir::Tool {
            name: str_of(t, "name").unwrap_or_default().to_owned(),
            description: str_of(t, "description").map(str::to_owned),
            parameters: t
                .get("parameters")
                .cloned()
                .filter(|p| !p.is_null())
                .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
        });
    }
    let tool_choice = match body.get("tool_choice") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "none" => ir::ToolChoice::None,
            "required" => ir::ToolChoice::Required,
            _ => ir::ToolChoice::Auto,
        }),
        Some(v) => Some(ir::ToolChoice::Tool(
            str_of(v, "name").unwrap_or_default().to_owned(),
        )),
    };
    let format = body.get("text").and_then(|t| t.get("format"));
    let response_format = match format.and_then(|f| str_of(f, "type")) {
        Some("json_object") => Some(ir::ResponseFormat::Json),
        Some("json_schema") => format.map(|f| ir::ResponseFormat::JsonSchema {
            name: str_of(f, "name").map(str::to_owned),
            schema: f.get("schema").cloned().unwrap_or(Value::Null),
            strict: f.get("strict").and_then(Value::as_bool),
        }),
        _ => None,
    };
    let reasoning = body
        .get("reasoning")
        .and_then(|r| str_of(r, "effort"))
        .map(ir::Reasoning::from_effort);
    Ok(ir::Request {
        model: str_of(body, "model").unwrap_or_default().to_owned(),
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls: body.get("parallel_tool_calls").and_then(Value::as_bool),
        response_format,
        max_output_tokens: body.get("max_output_tokens").and_then(Value::as_u64),
        temperature: body.get("temperature").and_then(Value::as_f64),
        top_p: body.get("top_p").and_then(Value::as_f64),
        top_k: None,
        stop: Vec::new(),
        seed: None,
        reasoning,
        stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
        user: str_of(body, "user").map(str::to_owned),
    })
}
