//! Gemini `generateContent` requests as typed wire structs, and their translation to and
//! from the IR. The model is in the path, not the body: decoding leaves `model` empty for
//! the caller to set.

use super::parts::{Content, Part, parts_from_wire, parts_to_wire};
use crate::ir::{self, Role};
use crate::translate::TranslateError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The body of `generateContent` and `streamGenerateContent`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    #[serde(default)]
    pub contents: Vec<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<Content>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<GenerationConfig>,
    /// Fields translation does not carry (`safetySettings`, `cachedContent`, `labels`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tool: function declarations, or one of Gemini's own tools (Google Search, code
/// execution, URL context, ...) that exist only there.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_declarations: Option<Vec<FunctionDeclaration>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A function the model may call; its schema in OpenAPI style (`parameters`) or as JSON
/// Schema (`parametersJsonSchema`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionDeclaration {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters_json_schema: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_calling_config: Option<FunctionCallingConfig>,
}

/// `mode`: `AUTO`, `ANY` (must call; one of `allowedFunctionNames` when given), `NONE`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCallingConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_function_names: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_json_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_mime_type: Option<String>,
    /// OpenAPI-style schema (types in capitals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_config: Option<ThinkingConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl GenerationConfig {
    /// Whether it sets nothing (and can be left out).
    fn is_empty(&self) -> bool {
        self.candidate_count.is_none()
            && self.max_output_tokens.is_none()
            && self.response_json_schema.is_none()
            && self.response_mime_type.is_none()
            && self.response_schema.is_none()
            && self.seed.is_none()
            && self.stop_sequences.is_empty()
            && self.temperature.is_none()
            && self.thinking_config.is_none()
            && self.top_k.is_none()
            && self.top_p.is_none()
            && self.extra.is_empty()
    }
}

/// `thinkingBudget` (tokens; 0 off, -1 dynamic) on Gemini 2.5, `thinkingLevel` on Gemini 3.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_budget: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_thoughts: Option<bool>,
}

/// Gemini's OpenAPI-style schemas spell types in capitals (`OBJECT`); JSON Schema wants
/// them in lower case.
fn json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("type", Value::String(t)) => Value::String(t.to_ascii_lowercase()),
                        _ => json_schema(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

fn texts(content: Option<Content>) -> Vec<String> {
    content
        .into_iter()
        .flat_map(|c| c.parts)
        .filter_map(|p| p.text)
        .collect()
}

/// The IR request of a Gemini request body; `stream` comes from the method in the path.
pub fn request_from_wire(
    body: GenerateContentRequest,
    stream: bool,
) -> Result<ir::Request, TranslateError> {
    let config = body.generation_config.unwrap_or_default();
    if config.candidate_count.is_some_and(|n| n > 1) {
        return Err(TranslateError::unsupported(
            "generationConfig.candidateCount",
            "only one candidate can be translated",
        ));
    }
    let mut calls = Vec::new();
    let mut messages = Vec::with_capacity(body.contents.len());
    for (i, c) in body.contents.into_iter().enumerate() {
        let role = match c.role.as_deref() {
            Some("model") => Role::Assistant,
            _ => Role::User,
        };
        let parts = parts_from_wire(c.parts, i, &mut calls, "call_", &format!("contents[{i}]"))?;
        messages.push(ir::Message { role, parts });
    }
    let mut tools = Vec::new();
    for (i, t) in body.tools.into_iter().enumerate() {
        let Some(decls) = t.function_declarations else {
            return Err(TranslateError::unsupported(
                format!("tools[{i}]"),
                "only function declarations can be translated (Google Search, code execution and the like run only on Gemini)",
            ));
        };
        for d in decls {
            let parameters = d
                .parameters_json_schema
                .or_else(|| d.parameters.as_ref().map(json_schema))
                .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            tools.push(ir::Tool {
                name: d.name,
                description: d.description,
                parameters,
            });
        }
    }
    let tool_choice = body
        .tool_config
        .and_then(|t| t.function_calling_config)
        .map(|c| match c.mode.as_deref() {
            Some("NONE") => ir::ToolChoice::None,
            Some("ANY") if c.allowed_function_names.len() == 1 => {
                ir::ToolChoice::Tool(c.allowed_function_names[0].clone())
            }
            Some("ANY") => ir::ToolChoice::Required,
            _ => ir::ToolChoice::Auto,
        });
    let schema = config
        .response_json_schema
        .or_else(|| config.response_schema.as_ref().map(json_schema));
    let response_format = match (config.response_mime_type.as_deref(), schema) {
        (_, Some(schema)) => Some(ir::ResponseFormat::JsonSchema {
            name: None,
            schema,
            strict: None,
        }),
        (Some("application/json"), None) => Some(ir::ResponseFormat::Json),
        _ => None,
    };
    let reasoning = config.thinking_config.and_then(|t| {
        if let Some(level) = t.thinking_level {
            return Some(ir::Reasoning::Effort(level.to_ascii_lowercase()));
        }
        match t.thinking_budget {
            Some(0) => Some(ir::Reasoning::Disabled),
            Some(n) if n > 0 => Some(ir::Reasoning::Budget(n.unsigned_abs())),
            _ => None,
        }
    });
    Ok(ir::Request {
        model: String::new(),
        system: texts(body.system_instruction),
        messages,
        tools,
        tool_choice,
        parallel_tool_calls: None,
        response_format,
        max_output_tokens: config.max_output_tokens,
        temperature: config.temperature,
        top_p: config.top_p,
        top_k: config.top_k,
        stop: config.stop_sequences,
        seed: config.seed,
        reasoning,
        stream,
        user: None,
    })
}

/// A Gemini request body for `req` (the model goes in the path).
pub fn request_to_wire(req: &ir::Request) -> GenerateContentRequest {
    // Results name their function: ids → names from the calls in the conversation.
    let names: Vec<(String, String)> = req
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            ir::Part::ToolCall { id, name, .. } => Some((id.clone(), name.clone())),
            _ => None,
        })
        .collect();
    let mut system = req.system.clone();
    let mut contents = Vec::with_capacity(req.messages.len());
    for m in &req.messages {
        let role = match m.role {
            Role::System => {
                system.extend(m.parts.iter().filter_map(|p| match p {
                    ir::Part::Text(t) => Some(t.clone()),
                    _ => None,
                }));
                continue;
            }
            Role::User => "user",
            Role::Assistant => "model",
        };
        let parts = parts_to_wire(&m.parts, &names, Some(&req.model));
        if !parts.is_empty() {
            contents.push(Content {
                role: Some(role.to_owned()),
                parts,
            });
        }
    }
    let tools = if req.tools.is_empty() {
        Vec::new()
    } else {
        vec![Tool {
            function_declarations: Some(
                req.tools
                    .iter()
                    .map(|t| FunctionDeclaration {
                        name: t.name.clone(),
                        description: t.description.clone(),
                        parameters: None,
                        parameters_json_schema: Some(t.parameters.clone()),
                    })
                    .collect(),
            ),
            extra: Map::new(),
        }]
    };
    let tool_config = req.tool_choice.as_ref().map(|choice| {
        let (mode, allowed) = match choice {
            ir::ToolChoice::Auto => ("AUTO", Vec::new()),
            ir::ToolChoice::None => ("NONE", Vec::new()),
            ir::ToolChoice::Required => ("ANY", Vec::new()),
            ir::ToolChoice::Tool(name) => ("ANY", vec![name.clone()]),
        };
        ToolConfig {
            function_calling_config: Some(FunctionCallingConfig {
                mode: Some(mode.to_owned()),
                allowed_function_names: allowed,
            }),
        }
    });
    let (response_mime_type, response_json_schema) = match &req.response_format {
        Some(ir::ResponseFormat::Json) => (Some("application/json".to_owned()), None),
        Some(ir::ResponseFormat::JsonSchema { schema, .. }) => {
            (Some("application/json".to_owned()), Some(schema.clone()))
        }
        None => (None, None),
    };
    let thinking_config = req.reasoning.as_ref().map(|r| ThinkingConfig {
        thinking_budget: Some(match r {
            ir::Reasoning::Disabled => 0,
            ir::Reasoning::Budget(b) => i64::try_from(*b).unwrap_or(i64::MAX),
            ir::Reasoning::Effort(e) => match e.as_str() {
                "minimal" | "low" => 1024,
                "high" | "max" | "xhigh" => 24576,
                _ => 8192,
            },
        }),
        ..ThinkingConfig::default()
    });
    let generation_config = GenerationConfig {
        candidate_count: None,
        max_output_tokens: req.max_output_tokens,
        response_json_schema,
        response_mime_type,
        response_schema: None,
        seed: req.seed,
        stop_sequences: req.stop.clone(),
        temperature: req.temperature,
        thinking_config,
        top_k: req.top_k,
        top_p: req.top_p,
        extra: Map::new(),
    };
    let empty = generation_config.is_empty();
    GenerateContentRequest {
        contents,
        system_instruction: (!system.is_empty()).then(|| Content {
            role: None,
            parts: system.into_iter().map(Part::text).collect(),
        }),
        tools,
        tool_config,
        generation_config: (!empty).then_some(generation_config),
        extra: Map::new(),
    }
}
