//! Chat messages as requests carry them: roles, content (a string or typed parts) and tool
//! calls, with their IR parts. Tool calls are shared with the answer ([`super::response`]).

use crate::ir::Part;
use crate::openai::common::{Content, OrUnknown, media_of_url, nullable, type_of, url_of_media};
use crate::translate::TranslateError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A chat message; `content` is a string or content parts.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChatMessage {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Reasoning text some compatible providers return (DeepSeek); read, never sent.
    #[serde(default, skip_serializing)]
    pub reasoning_content: Option<String>,
    /// `name`, `audio`, ... (fields this gateway does not model).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who speaks a message. A role this gateway does not know keeps its name, for the error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    Developer,
    #[default]
    User,
    Assistant,
    Tool,
    /// The legacy form of `tool`.
    Function,
    #[serde(untagged)]
    Other(String),
}

/// A message's `content`.
pub type MessageContent = Content<ContentPart>;

/// A content part. `input_audio` and others fall back to [`OrUnknown::Unknown`] and are
/// refused when translated: no other provider takes them in this form.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// `input_text` is the Responses spelling some clients send to Chat as well.
    #[serde(alias = "input_text")]
    Text {
        #[serde(default, deserialize_with = "nullable")]
        text: String,
    },
    Refusal {
        #[serde(default, deserialize_with = "nullable")]
        refusal: String,
    },
    ImageUrl {
        #[serde(default)]
        image_url: Option<ImageUrl>,
    },
    File {
        #[serde(default, deserialize_with = "nullable")]
        file: FilePart,
    },
}

/// An image part's `image_url`: `{ url, detail }`, or (from lenient clients) the URL alone.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ImageUrl {
    Object {
        #[serde(default, deserialize_with = "nullable")]
        url: String,
    },
    Plain(String),
}

/// A file part's `file`: inline `file_data` (a `data:` URL), or an uploaded `file_id`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct FilePart {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

/// The type of a tool, a tool call or a named tool choice: Chat translates `function` only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    #[default]
    Function,
    #[serde(untagged)]
    Other(String),
}

/// A call the assistant made (in a request's history, or in an answer).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ToolCall {
    /// Missing from some compatible servers' answers: a stable id is made up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: ToolKind,
    #[serde(default, deserialize_with = "nullable")]
    pub function: FunctionCall,
}

/// The function a call names and its arguments (a JSON text, possibly empty).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct FunctionCall {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub arguments: String,
}

impl ToolCall {
    /// The call of function `name` with `arguments`.
    pub fn function(id: &str, name: &str, arguments: &str) -> Self {
        ToolCall {
            id: Some(id.to_owned()),
            kind: ToolKind::Function,
            function: FunctionCall {
                name: name.to_owned(),
                arguments: arguments.to_owned(),
            },
        }
    }

    /// The IR call; `default_id` names a call that came without an id. Empty arguments
    /// become `{}`: every other protocol wants an object.
    pub fn to_part(&self, default_id: impl FnOnce() -> String) -> Part {
        let arguments = &self.function.arguments;
        Part::ToolCall {
            signature: None,
            id: self.id.clone().unwrap_or_else(default_id),
            name: self.function.name.clone(),
            arguments: if arguments.trim().is_empty() {
                "{}".into()
            } else {
                arguments.clone()
            },
        }
    }

    /// The chat calls among `parts`.
    pub fn of_parts<'a>(parts: impl IntoIterator<Item = &'a Part>) -> Vec<ToolCall> {
        parts
            .into_iter()
            .filter_map(|p| match p {
                Part::ToolCall {
                    id,
                    name,
                    arguments,
                    ..
                } => Some(ToolCall::function(id, name, arguments)),
                _ => None,
            })
            .collect()
    }
}

/// The IR parts of a message's `content`; `at` is the message's path, for errors.
pub fn parts_of(content: Option<&MessageContent>, at: &str) -> Result<Vec<Part>, TranslateError> {
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
    for (j, item) in items.iter().enumerate() {
        let here = format!("{at}.content[{j}]");
        let part = match item {
            OrUnknown::Known(ContentPart::Text { text }) => Part::Text(text.clone()),
            OrUnknown::Known(ContentPart::Refusal { refusal }) => Part::Text(refusal.clone()),
            OrUnknown::Known(ContentPart::ImageUrl { image_url }) => {
                let url = match image_url {
                    Some(ImageUrl::Object { url }) | Some(ImageUrl::Plain(url)) => url.as_str(),
                    None => "",
                };
                Part::Image(media_of_url(url))
            }
            OrUnknown::Known(ContentPart::File { file }) => {
                let data = file.file_data.as_deref().ok_or_else(|| {
                    TranslateError::unsupported(
                        format!("{here}.file.file_id"),
                        "uploaded file ids exist only on OpenAI; send file_data",
                    )
                })?;
                Part::Document {
                    media: media_of_url(data),
                    name: file.filename.clone(),
                }
            }
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

/// A message's `content` for `parts` (text, images, files; a lone text is a string).
pub fn content_of(parts: &[&Part]) -> MessageContent {
    if let [Part::Text(t)] = parts {
        return Content::Text(t.clone());
    }
    Content::Parts(
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(ContentPart::Text { text: t.clone() }),
                Part::Image(m) => Some(ContentPart::ImageUrl {
                    image_url: Some(ImageUrl::Object {
                        url: url_of_media(m),
                    }),
                }),
                Part::Document { media, name } => Some(ContentPart::File {
                    file: FilePart {
                        file_data: Some(url_of_media(media)),
                        file_id: None,
                        filename: Some(name.clone().unwrap_or_else(|| "document".into())),
                    },
                }),
                _ => None,
            })
            .map(OrUnknown::Known)
            .collect(),
    )
}
