//! Anthropic Messages requests: the wire form, and its translation to and from the IR.

use super::content::{Block, blocks_from_parts, parts_from_blocks};
use super::thinking::{self, Style};
use crate::ir;
use crate::translate::TranslateError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /v1/messages`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct MessagesRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Thinking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_config: Option<Value>,
    /// Fields this gateway does not model (passed on when translating to Anthropic only).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `system`: a string or text blocks.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum System {
    Text(String),
    Blocks(Vec<Block>),
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Message {
    pub role: String,
    pub content: Content,
}

/// Message content: a string or blocks.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

impl Content {
    fn into_blocks(self) -> Vec<Block> {
        match self {
            Content::Text(text) => vec![Block::Text {
                text,
                extra: Map::new(),
            }],
            Content::Blocks(blocks) => blocks,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_parallel_tool_use: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Thinking {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The Messages API requires `max_tokens`; what a translated request asks for when the
/// client set none.
pub const DEFAULT_MAX_TOKENS: u64 = 8192;

impl TryFrom<MessagesRequest> for ir::Request {
    type Error = TranslateError;

    fn try_from(req: MessagesRequest) -> Result<Self, TranslateError> {
        let system = match req.system {
            None => Vec::new(),
            Some(System::Text(t)) => vec![t],
            Some(System::Blocks(blocks)) => blocks
                .into_iter()
                .filter_map(|b| match b {
                    Block::Text { text, .. } => Some(text),
                    _ => None,
                })
                .collect(),
        };
        let mut messages = Vec::with_capacity(req.messages.len());
        for (i, m) in req.messages.into_iter().enumerate() {
            let role = match m.role.as_str() {
                "user" => ir::Role::User,
                "assistant" => ir::Role::Assistant,
                // Claude Code sends a `system` message in `messages` with some models.
                "system" => ir::Role::System,
                other => {
                    return Err(TranslateError::Invalid(format!(
                        "messages[{i}].role: unknown role `{other}`"
                    )));
                }
            };
            let parts = parts_from_blocks(m.content.into_blocks(), &format!("messages[{i}]"))?;
            messages.push(ir::Message { role, parts });
        }
        let mut tools = Vec::new();
        for (i, t) in req.tools.unwrap_or_default().into_iter().enumerate() {
            // Server tools (`web_search_...`) have a `type` and no schema: nothing another
            // provider could run.
            let server = t
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|k| k != "custom");
            let name = t.get("name").and_then(Value::as_str);
            match (server, name, t.get("input_schema")) {
                (false, Some(name), Some(schema)) => tools.push(ir::Tool {
                    name: name.to_owned(),
                    description: t
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    parameters: schema.clone(),
                }),
                _ => {
                    return Err(TranslateError::unsupported(
                        format!("tools[{i}]"),
                        "server tools (without an input_schema) run only on Anthropic",
                    ));
                }
            }
        }
        let (tool_choice, parallel_tool_calls) = match req.tool_choice {
            None => (None, None),
            Some(c) => {
                let choice = match c.kind.as_str() {
                    "auto" => ir::ToolChoice::Auto,
                    "any" => ir::ToolChoice::Required,
                    "none" => ir::ToolChoice::None,
                    "tool" => ir::ToolChoice::Tool(c.name.unwrap_or_default()),
                    other => {
                        return Err(TranslateError::Invalid(format!(
                            "tool_choice.type: unknown value `{other}`"
                        )));
                    }
                };
                (Some(choice), c.disable_parallel_tool_use.map(|d| !d))
            }
        };
        let reasoning = match req.thinking {
            None => req
                .output_config
                .as_ref()
                .and_then(|o| o.get("effort"))
                .and_then(Value::as_str)
                .map(|e| ir::Reasoning::Effort(e.to_owned())),
            Some(t) => match t.kind.as_str() {
                "enabled" => Some(ir::Reasoning::Budget(t.budget_tokens.unwrap_or(1024))),
                "disabled" => Some(ir::Reasoning::Disabled),
                // Adaptive thinking: the effort (if any) says how much.
                _ => Some(ir::Reasoning::Effort(
                    req.output_config
                        .as_ref()
                        .and_then(|o| o.get("effort"))
                        .and_then(Value::as_str)
                        .unwrap_or("medium")
                        .to_owned(),
                )),
            },
        };
        Ok(ir::Request {
            model: req.model,
            system,
            messages,
            tools,
            tool_choice,
            parallel_tool_calls,
            response_format: None,
            max_output_tokens: req.max_tokens,
            temperature: req.temperature,
            top_p: req.top_p,
            top_k: req.top_k,
            stop: req.stop_sequences.unwrap_or_default(),
            seed: None,
            reasoning,
            stream: req.stream.unwrap_or(false),
            user: req.metadata.and_then(|m| m.user_id),
        })
    }
}

impl TryFrom<&ir::Request> for MessagesRequest {
    type Error = TranslateError;

    fn try_from(req: &ir::Request) -> Result<Self, TranslateError> {
        if let Some(ir::ResponseFormat::JsonSchema { .. } | ir::ResponseFormat::Json) =
            &req.response_format
        {
            return Err(TranslateError::unsupported(
                "response_format",
                "Anthropic Messages has no JSON mode; describe the format in the prompt or use a tool",
            ));
        }
        // Instructions in the middle of a conversation join the system prompt: Anthropic
        // takes instructions only there.
        let mut system = req.system.clone();
        let mut messages: Vec<Message> = Vec::with_capacity(req.messages.len());
        for m in &req.messages {
            let role = match m.role {
                ir::Role::System => {
                    system.extend(m.parts.iter().filter_map(|p| match p {
                        ir::Part::Text(t) => Some(t.clone()),
                        _ => None,
                    }));
                    continue;
                }
                ir::Role::User => "user",
                ir::Role::Assistant => "assistant",
            };
            // OpenAI's encrypted reasoning (from a Responses upstream) is not Anthropic's to
            // verify: dropped like any other provider's reasoning.
            let parts: Vec<ir::Part> = m
                .parts
                .iter()
                .filter(|p| {
                    !matches!(p, ir::Part::Reasoning { signature: Some(s), .. }
                        if crate::translate::carry::open_openai(s).is_some())
                })
                .cloned()
                .collect();
            let blocks = blocks_from_parts(&parts);
            // A message left with nothing Anthropic accepts (only empty text, or thinking
            // another provider made) is not sent.
            if blocks.is_empty() {
                continue;
            }
            // Consecutive messages of one role merge (a chat `tool` message after a user
            // turn, several tool results in a row).
            match messages.last_mut() {
                Some(last) if last.role == role => {
                    if let Content::Blocks(b) = &mut last.content {
                        b.extend(blocks);
                    }
                }
                _ => messages.push(Message {
                    role: role.to_owned(),
                    content: Content::Blocks(blocks),
                }),
            }
        }
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut v = Map::new();
                v.insert("name".into(), Value::String(t.name.clone()));
                if let Some(d) = &t.description {
                    v.insert("description".into(), Value::String(d.clone()));
                }
                v.insert("input_schema".into(), anthropic_schema(&t.parameters));
                Value::Object(v)
            })
            .collect();
        let disable_parallel = req.parallel_tool_calls.map(|p| !p);
        let tool_choice = match &req.tool_choice {
            None => disable_parallel.map(|d| ToolChoice {
                kind: "auto".into(),
                name: None,
                disable_parallel_tool_use: Some(d),
            }),
            Some(c) => Some(ToolChoice {
                kind: match c {
                    ir::ToolChoice::Auto => "auto",
                    ir::ToolChoice::None => "none",
                    ir::ToolChoice::Required => "any",
                    ir::ToolChoice::Tool(_) => "tool",
                }
                .into(),
                name: match c {
                    ir::ToolChoice::Tool(n) => Some(n.clone()),
                    _ => None,
                },
                disable_parallel_tool_use: disable_parallel
                    .filter(|_| !matches!(c, ir::ToolChoice::None)),
            }),
        };
        let max_tokens = req.max_output_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        // Thinking is asked for only where Anthropic accepts it: not with a forced tool
        // choice, not with a budget below its 1,024 minimum, and not in a tool loop whose
        // last assistant turn carries no signed thinking (a client of another protocol
        // cannot send it back, and Anthropic requires it there).
        let forced = matches!(
            req.tool_choice,
            Some(ir::ToolChoice::Required | ir::ToolChoice::Tool(_))
        );
        let unsigned_tool_turn = req
            .messages
            .iter()
            .rev()
            .find(|m| m.role == ir::Role::Assistant)
            .is_some_and(|m| {
                m.parts
                    .iter()
                    .any(|p| matches!(p, ir::Part::ToolCall { .. }))
                    && !m.parts.iter().any(|p| match p {
                        ir::Part::Reasoning {
                            redacted: Some(_), ..
                        } => true,
                        ir::Part::Reasoning {
                            signature: Some(s), ..
                        } => crate::translate::carry::open_openai(s).is_none(),
                        _ => false,
                    })
            });
        let reasoning = match &req.reasoning {
            Some(ir::Reasoning::Disabled) => req.reasoning.as_ref(),
            Some(_) if forced || unsigned_tool_turn || max_tokens <= 1024 => None,
            other => other.as_ref(),
        };
        // Each Claude generation takes one form: an effort or a budget is expressed the
        // model's way (see `thinking`).
        let enabled = |budget: u64| Thinking {
            kind: "enabled".into(),
            // At least 1024 and below max_tokens, as the API requires.
            budget_tokens: Some(budget.max(1024).min(max_tokens.saturating_sub(1))),
            extra: Map::new(),
        };
        let adaptive = |effort: &str| {
            (
                Some(Thinking {
                    kind: "adaptive".into(),
                    budget_tokens: None,
                    extra: Map::new(),
                }),
                Some(serde_json::json!({ "effort": effort })),
            )
        };
        let style = thinking::style(&req.model);
        let (thinking, output_config) = match reasoning {
            None => (None, None),
            Some(ir::Reasoning::Disabled) => (
                Some(Thinking {
                    kind: "disabled".into(),
                    budget_tokens: None,
                    extra: Map::new(),
                }),
                None,
            ),
            // Models before 3.7 do not think: asking would be refused.
            Some(_) if style == Style::None => (None, None),
            Some(ir::Reasoning::Budget(b)) if style == Style::Adaptive => {
                adaptive(thinking::effort_for_budget(*b))
            }
            Some(ir::Reasoning::Budget(b)) => (Some(enabled(*b)), None),
            Some(ir::Reasoning::Effort(e)) if style == Style::Budget => {
                (Some(enabled(thinking::budget_for_effort(e))), None)
            }
            Some(ir::Reasoning::Effort(e)) => adaptive(thinking::effort(e)),
        };
        Ok(MessagesRequest {
            model: req.model.clone(),
            messages,
            max_tokens: Some(max_tokens),
            system: (!system.is_empty()).then(|| System::Text(system.join("\n\n"))),
            stop_sequences: (!req.stop.is_empty()).then(|| req.stop.clone()),
            stream: req.stream.then_some(true),
            // Anthropic rejects temperature with top_p on newer models, and sampling with
            // thinking: thinking wins.
            temperature: req.temperature.filter(|_| thinking.is_none()),
            top_p: req
                .top_p
                .filter(|_| thinking.is_none() && req.temperature.is_none()),
            top_k: req.top_k.filter(|_| thinking.is_none()),
            tools: (!tools.is_empty()).then_some(tools),
            tool_choice,
            thinking,
            metadata: req.user.clone().map(|u| Metadata { user_id: Some(u) }),
            output_config,
            extra: Map::new(),
        })
    }
}

/// A JSON schema as Anthropic takes it: an object schema (a tool without parameters gets
/// the empty object schema).
fn anthropic_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(o) if !o.is_empty() => schema.clone(),
        _ => serde_json::json!({"type": "object", "properties": {}}),
    }
}
