//! Gemini `generateContent` requests and their translation to and from the IR. The model
//! is in the path, not the body: decoding leaves `model` empty for the caller to set.

use super::parts::{parts_from_wire, parts_to_wire};
use crate::ir::{self, Part, Role};
use crate::translate::TranslateError;
use serde_json::{Map, Value, json};

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

fn texts(content: Option<&Value>) -> Vec<String> {
    content
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("text").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The IR request of a Gemini request body; `stream` comes from the method in the path.
pub fn request_from_wire(body: &Value, stream: bool) -> Result<ir::Request, TranslateError> {
    let generation_config = body.get("generationConfig").cloned().unwrap_or_default();
    if generation_config
        .get("candidateCount")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > 1)
    {
        return Err(TranslateError::unsupported(
            "generationConfig.candidateCount",
            "only one candidate can be translated",
        ));
    }
    let mut calls = Vec::new();
    let mut messages = Vec::new();
    for (i, c) in body
        .get("contents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let role = match c.get("role").and_then(Value::as_str) {
            Some("model") => Role::Assistant,
            _ => Role::User,
        };
        let parts = c
            .get("parts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let parts = parts_from_wire(parts, i, &mut calls, "call_", &format!("contents[{i}]"))?;
        messages.push(ir::Message { role, parts });
    }
    let mut tools = Vec::new();
    for (i, t) in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(decls) = t.get("functionDeclarations").and_then(Value::as_array) else {
            return Err(TranslateError::unsupported(
                format!("tools[{i}]"),
                "only function declarations can be translated (Google Search, code execution and the like run only on Gemini)",
            ));
        };
        for d in decls {
            let parameters = d
                .get("parametersJsonSchema")
                .cloned()
                .or_else(|| d.get("parameters").map(json_schema))
                .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            tools.push(ir::Tool {
                name: d
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                description: d
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                parameters,
            });
        }
    }
    let config = body
        .get("toolConfig")
        .and_then(|t| t.get("functionCallingConfig"));
    let tool_choice = config.map(|c| {
        let allowed: Vec<&str> = c
            .get("allowedFunctionNames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match c.get("mode").and_then(Value::as_str) {
            Some("NONE") => ir::ToolChoice::None,
            Some("ANY") if allowed.len() == 1 => ir::ToolChoice::Tool(allowed[0].to_owned()),
            Some("ANY") => ir::ToolChoice::Required,
            _ => ir::ToolChoice::Auto,
        }
    });
    let schema = generation_config
        .get("responseJsonSchema")
        .cloned()
        .or_else(|| generation_config.get("responseSchema").map(json_schema));
    let response_format = match (
        generation_config
            .get("responseMimeType")
            .and_then(Value::as_str),
        schema,
    ) {
        (_, Some(schema)) => Some(ir::ResponseFormat::JsonSchema {
            name: None,
            schema,
            strict: None,
        }),
        (Some("application/json"), None) => Some(ir::ResponseFormat::Json),
        _ => None,
    };
    let thinking = generation_config.get("thinkingConfig");
    let reasoning = thinking.and_then(|t| {
        if let Some(level) = t.get("thinkingLevel").and_then(Value::as_str) {
            return Some(ir::Reasoning::Effort(level.to_ascii_lowercase()));
        }
        match t.get("thinkingBudget").and_then(Value::as_i64) {
            Some(0) => Some(ir::Reasoning::Disabled),
            Some(n) if n > 0 => Some(ir::Reasoning::Budget(n.unsigned_abs())),
            _ => None,
        }
    });
    let num = |k: &str| generation_config.get(k).and_then(Value::as_f64);
    Ok(ir::Request {
        model: String::new(),
        system: texts(body.get("systemInstruction")),
        messages,
        tools,
        tool_choice,
        parallel_tool_calls: None,
        response_format,
        max_output_tokens: generation_config
            .get("maxOutputTokens")
            .and_then(Value::as_u64),
        temperature: num("temperature"),
        top_p: num("topP"),
        top_k: generation_config.get("topK").and_then(Value::as_u64),
        stop: generation_config
            .get("stopSequences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        seed: generation_config.get("seed").and_then(Value::as_i64),
        reasoning,
        stream,
        user: None,
    })
}

/// A Gemini request body for `req` (the model goes in the path).
pub fn request_to_wire(req: &ir::Request) -> Value {
    // Results name their function: ids → names from the calls in the conversation.
    let names: Vec<(String, String)> = req
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::ToolCall { id, name, .. } => Some((id.clone(), name.clone())),
            _ => None,
        })
        .collect();
    let mut system = req.system.clone();
    let mut contents = Vec::with_capacity(req.messages.len());
    for m in &req.messages {
        let role = match m.role {
            Role::System => {
                system.extend(m.parts.iter().filter_map(|p| match p {
                    Part::Text(t) => Some(t.clone()),
                    _ => None,
                }));
                continue;
            }
            Role::User => "user",
            Role::Assistant => "model",
        };
        let parts = parts_to_wire(&m.parts, &names, Some(&req.model));
        if !parts.is_empty() {
            contents.push(json!({"role": role, "parts": parts}));
        }
    }
    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        body.insert(
            "systemInstruction".into(),
            json!({"parts": system.iter().map(|t| json!({"text": t})).collect::<Vec<_>>()}),
        );
    }
    if !req.tools.is_empty() {
        let decls: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut d = Map::new();
                d.insert("name".into(), Value::String(t.name.clone()));
                if let Some(desc) = &t.description {
                    d.insert("description".into(), Value::String(desc.clone()));
                }
                d.insert("parametersJsonSchema".into(), t.parameters.clone());
                Value::Object(d)
            })
            .collect();
        body.insert("tools".into(), json!([{"functionDeclarations": decls}]));
    }
    if let Some(choice) = &req.tool_choice {
        let config = match choice {
            ir::ToolChoice::Auto => json!({"mode": "AUTO"}),
            ir::ToolChoice::None => json!({"mode": "NONE"}),
            ir::ToolChoice::Required => json!({"mode": "ANY"}),
            ir::ToolChoice::Tool(name) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
        };
        body.insert(
            "toolConfig".into(),
            json!({"functionCallingConfig": config}),
        );
    }
    let mut generation_config = Map::new();
    let mut set = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            generation_config.insert(k.into(), v);
        }
    };
    set("temperature", req.temperature.map(Value::from));
    set("topP", req.top_p.map(Value::from));
    set("topK", req.top_k.map(Value::from));
    set("maxOutputTokens", req.max_output_tokens.map(Value::from));
    set("seed", req.seed.map(Value::from));
    set(
        "stopSequences",
        (!req.stop.is_empty()).then(|| json!(req.stop)),
    );
    match &req.response_format {
        Some(ir::ResponseFormat::Json) => {
            set("responseMimeType", Some(json!("application/json")));
        }
        Some(ir::ResponseFormat::JsonSchema { schema, .. }) => {
            set("responseMimeType", Some(json!("application/json")));
            set("responseJsonSchema", Some(schema.clone()));
        }
        None => {}
    }
    set(
        "thinkingConfig",
        req.reasoning.as_ref().map(|r| match r {
            ir::Reasoning::Disabled => json!({"thinkingBudget": 0}),
            ir::Reasoning::Budget(b) => json!({"thinkingBudget": b}),
            ir::Reasoning::Effort(e) => json!({"thinkingBudget": match e.as_str() {
                "minimal" | "low" => 1024,
                "high" | "max" | "xhigh" => 24576,
                _ => 8192,
            }}),
        }),
    );
    if !generation_config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(generation_config));
    }
    Value::Object(body)
}
