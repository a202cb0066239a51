//! Anthropic content blocks (in requests and responses) and their IR parts.

use crate::ir::{Media, Part};
use crate::translate::TranslateError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A content block.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
        /// `cache_control`, `citations`, ...
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    Image {
        source: Source,
    },
    Document {
        source: Source,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<ToolResultContent>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_error: Option<bool>,
    },
    Thinking {
        thinking: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    RedactedThinking {
        data: String,
    },
    /// A block type this gateway does not know (server tool results, ...).
    #[serde(other)]
    Unknown,
}

/// A tool result's content: a string or blocks.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    Text(String),
    Blocks(Vec<Block>),
}

/// Where an image or document's bytes are.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    Base64 {
        media_type: String,
        data: String,
    },
    Url {
        url: String,
    },
    /// A plain-text document.
    Text {
        media_type: Option<String>,
        data: String,
    },
    #[serde(other)]
    Other,
}

fn media(source: Source, at: &str) -> Result<Media, TranslateError> {
    match source {
        Source::Base64 { media_type, data } => Ok(Media::Base64 { media_type, data }),
        Source::Url { url } => Ok(Media::Url(url)),
        Source::Text { data, .. } => Ok(Media::Base64 {
            media_type: "text/plain".into(),
            data: base64_text(&data),
        }),
        Source::Other => Err(TranslateError::unsupported(
            format!("{at}.source"),
            "only base64, url and text sources can be translated",
        )),
    }
}

/// Standard base64 of `text` (plain-text documents become inline files elsewhere).
fn base64_text(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn source(media: &Media) -> Source {
    match media {
        Media::Base64 { media_type, data } => Source::Base64 {
            media_type: media_type.clone(),
            data: data.clone(),
        },
        Media::Url(url) => Source::Url { url: url.clone() },
    }
}

/// The IR parts of `blocks`; `at` names the message for errors.
pub fn parts_from_blocks(blocks: Vec<Block>, at: &str) -> Result<Vec<Part>, TranslateError> {
    let mut parts = Vec::with_capacity(blocks.len());
    for (j, block) in blocks.into_iter().enumerate() {
        let at = format!("{at}.content[{j}]");
        parts.push(match block {
            Block::Text { text, .. } => Part::Text(text),
            Block::Image { source } => Part::Image(media(source, &at)?),
            Block::Document { source, title } => Part::Document {
                media: media(source, &at)?,
                name: title,
            },
            Block::ToolUse { id, name, input } => Part::ToolCall {
                id,
                name,
                signature: None,
                arguments: if input.is_null() {
                    "{}".into()
                } else {
                    input.to_string()
                },
            },
            Block::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => Part::ToolResult {
                id: tool_use_id,
                content: match content {
                    None => Vec::new(),
                    Some(ToolResultContent::Text(t)) => vec![Part::Text(t)],
                    Some(ToolResultContent::Blocks(b)) => parts_from_blocks(b, &at)?,
                },
                is_error: is_error.unwrap_or(false),
            },
            Block::Thinking {
                thinking,
                signature,
            } => Part::Reasoning {
                text: thinking,
                signature,
                redacted: None,
            },
            Block::RedactedThinking { data } => Part::Reasoning {
                text: String::new(),
                signature: None,
                redacted: Some(data),
            },
            Block::Unknown => {
                return Err(TranslateError::unsupported(
                    format!("{at}.type"),
                    "this content block type exists only on Anthropic",
                ));
            }
        });
    }
    Ok(parts)
}

/// A tool-call id as Anthropic accepts it (`^[a-zA-Z0-9_-]+$`): kept when it already is
/// one, otherwise rewritten deterministically (`toolu_` and the hex of its bytes), so a call
/// and its result, translated separately, still carry the same id (DESIGN.md §6).
pub fn tool_id(id: &str) -> String {
    let valid = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        return id.to_owned();
    }
    let mut out = String::with_capacity(6 + id.len() * 2);
    out.push_str("toolu_");
    for b in id.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The blocks of `parts`. Reasoning without an Anthropic signature (made by another
/// provider) is left out: Anthropic accepts only the thinking it signed.
pub fn blocks_from_parts(parts: &[Part]) -> Vec<Block> {
    parts
        .iter()
        .filter_map(|part| {
            Some(match part {
                // Anthropic rejects empty text blocks (clients send `content: ""` beside calls).
                Part::Text(text) if text.is_empty() => return None,
                Part::Text(text) => Block::Text {
                    text: text.clone(),
                    extra: Map::new(),
                },
                Part::Image(m) => Block::Image { source: source(m) },
                Part::Document { media, name } => Block::Document {
                    source: source(media),
                    title: name.clone(),
                },
                Part::ToolCall {
                    id,
                    name,
                    arguments,
                    ..
                } => Block::ToolUse {
                    id: tool_id(id),
                    name: name.clone(),
                    input: serde_json::from_str::<Value>(arguments)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| Value::Object(Map::new())),
                },
                Part::ToolResult {
                    id,
                    content,
                    is_error,
                } => Block::ToolResult {
                    tool_use_id: tool_id(id),
                    content: Some(match content.as_slice() {
                        [Part::Text(t)] => ToolResultContent::Text(t.clone()),
                        _ => ToolResultContent::Blocks(blocks_from_parts(content)),
                    }),
                    is_error: is_error.then_some(true),
                },
                Part::Reasoning {
                    redacted: Some(data),
                    ..
                } => Block::RedactedThinking { data: data.clone() },
                Part::Reasoning {
                    text,
                    signature: Some(signature),
                    ..
                } => Block::Thinking {
                    thinking: text.clone(),
                    signature: Some(signature.clone()),
                },
                Part::Reasoning { .. } => return None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_ids_anthropic_accepts() {
        assert_eq!(tool_id("call_Ab-9"), "call_Ab-9");
        assert_eq!(
            tool_id("functions.get_weather:0"),
            "toolu_66756e6374696f6e732e6765745f776561746865723a30"
        );
        assert_eq!(tool_id(""), "toolu_");
        let blocks = blocks_from_parts(&[
            Part::ToolCall {
                id: "fn:1".into(),
                name: "f".into(),
                arguments: "{}".into(),
                signature: None,
            },
            Part::ToolResult {
                id: "fn:1".into(),
                content: vec![Part::Text("ok".into())],
                is_error: false,
            },
        ]);
        let call = match &blocks[0] {
            Block::ToolUse { id, .. } => id.clone(),
            other => panic!("{other:?}"),
        };
        let result = match &blocks[1] {
            Block::ToolResult { tool_use_id, .. } => tool_use_id.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(call, result, "the call and its result keep one id");
        assert_eq!(call, "toolu_666e3a31");
    }

    #[test]
    fn base64_of_text() {
        assert_eq!(base64_text(""), "");
        assert_eq!(base64_text("f"), "Zg==");
        assert_eq!(base64_text("fo"), "Zm8=");
        assert_eq!(base64_text("foo"), "Zm9v");
        assert_eq!(base64_text("hello world"), "aGVsbG8gd29ybGQ=");
    }
}
