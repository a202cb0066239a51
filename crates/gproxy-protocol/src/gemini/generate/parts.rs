//! Gemini `Content` and its parts (text, thoughts, inline and file data, function calls and
//! responses) as typed wire structs, and their translation to and from IR parts.

use crate::ir::{self, Media};
use crate::translate::{TranslateError, carry};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The value Google documents for a function call whose thought signature a client lost
/// (it came through another protocol): the call is accepted without validation.
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// A turn of the conversation (`role` is `user` or `model`; absent on system instructions).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Content {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default)]
    pub parts: Vec<Part>,
}

/// One part. Gemini tells kinds apart by which field is set, not by a tag; a part of a kind
/// this gateway does not know decodes with every field empty and carries nothing.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The text is a thought summary.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thought: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<Blob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<FileData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_response: Option<FunctionResponse>,
    /// Opaque, bound to the model that made it; must come back on the same part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
    /// Parts that exist only on Gemini (server-side code execution and tool calls): read to
    /// refuse them by name, never written.
    #[serde(default, skip_serializing)]
    pub executable_code: Option<IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub code_execution_result: Option<IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub tool_call: Option<IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub tool_response: Option<IgnoredAny>,
}

/// Bytes inline, base64.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    #[serde(default)]
    pub mime_type: String,
    #[serde(default)]
    pub data: String,
}

/// A file by URI.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    #[serde(default)]
    pub mime_type: String,
    #[serde(default)]
    pub file_uri: String,
}

/// A call the model makes; `args` is kept as the upstream wrote it (a JSON object).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct FunctionCall {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Box<RawValue>>,
    /// Only newer models and clients send ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A function's result: `response` is an object (`{"result": ...}` or `{"error": ...}` by
/// convention); `parts` the media it returned (Gemini 3).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct FunctionResponse {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub response: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
}

impl Part {
    pub fn text(text: impl Into<String>) -> Self {
        Part {
            text: Some(text.into()),
            ..Part::default()
        }
    }

    /// A thought summary.
    pub fn thought(text: impl Into<String>) -> Self {
        Part {
            thought: true,
            ..Part::text(text)
        }
    }

    /// Whether it is one of the kinds that run only on Gemini.
    fn gemini_only(&self) -> bool {
        self.executable_code.is_some()
            || self.code_execution_result.is_some()
            || self.tool_call.is_some()
            || self.tool_response.is_some()
    }

    /// The IR part of an `inlineData` or `fileData` part; `None` for other parts.
    fn media(&self) -> Option<ir::Part> {
        if let Some(d) = &self.inline_data {
            Some(media(
                &d.mime_type,
                Media::Base64 {
                    media_type: d.mime_type.clone(),
                    data: d.data.clone(),
                },
            ))
        } else {
            let d = self.file_data.as_ref()?;
            Some(media(&d.mime_type, Media::Url(d.file_uri.clone())))
        }
    }
}

fn media(mime: &str, data: Media) -> ir::Part {
    if mime.starts_with("image/") {
        ir::Part::Image(data)
    } else {
        ir::Part::Document {
            media: data,
            name: None,
        }
    }
}

/// The IR arguments of a call: the object as the upstream wrote it, `{}` when absent or not
/// an object (zero-argument calls arrive as `{}`).
pub fn arguments_of(args: Option<&RawValue>) -> String {
    match args.map(RawValue::get) {
        Some(raw) if raw.trim_start().starts_with('{') => raw.to_owned(),
        _ => "{}".to_owned(),
    }
}

/// Gemini `args` for IR arguments: the object as is, `{}` for anything else.
pub fn args_of(arguments: &str) -> Option<Box<RawValue>> {
    let raw = if arguments.trim_start().starts_with('{') {
        RawValue::from_string(arguments.to_owned()).ok()
    } else {
        None
    };
    raw.or_else(|| RawValue::from_string("{}".to_owned()).ok())
}

/// A call seen in the conversation: its function name, id, and whether a result answered it.
pub type SeenCall = (String, String, bool);

/// The IR parts of a Gemini content's `parts`. Calls without an id get `{prefix}{turn}_{k}`;
/// results without one are paired with the earliest call of their name not answered yet
/// (`calls`, in order, across the conversation), so parallel calls to one function pair up.
pub fn parts_from_wire(
    parts: Vec<Part>,
    turn: usize,
    calls: &mut Vec<SeenCall>,
    prefix: &str,
    at: &str,
) -> Result<Vec<ir::Part>, TranslateError> {
    let mut out = Vec::with_capacity(parts.len());
    // Claude's thinking carried on a call's signature: first in the turn, as Anthropic
    // requires.
    let mut carried = Vec::new();
    for (k, p) in parts.into_iter().enumerate() {
        if p.gemini_only() {
            return Err(TranslateError::unsupported(
                format!("{at}.parts[{k}]"),
                "this part type exists only on Gemini",
            ));
        }
        if let Some(m) = p.media() {
            out.push(m);
        } else if let Some(text) = p.text {
            out.push(if p.thought {
                ir::Part::Reasoning {
                    text,
                    signature: None,
                    redacted: None,
                }
            } else {
                ir::Part::Text(text)
            });
        } else if let Some(c) = p.function_call {
            let id = c.id.unwrap_or_else(|| format!("{prefix}{turn}_{k}"));
            calls.push((c.name.clone(), id.clone(), false));
            out.push(ir::Part::ToolCall {
                id,
                arguments: arguments_of(c.args.as_deref()),
                name: c.name,
                signature: match p.thought_signature {
                    Some(s) => match carry::open(&s) {
                        Some(blocks) => {
                            carried.extend(blocks);
                            None
                        }
                        None => Some(s),
                    },
                    None => None,
                },
            });
        } else if let Some(r) = p.function_response {
            out.push(result_from_wire(r, calls));
        }
        // A bare signature or an empty part carries nothing to translate.
    }
    if !carried.is_empty() {
        carried.append(&mut out);
        out = carried;
    }
    Ok(out)
}

/// The IR result of a `functionResponse`, paired with its call.
fn result_from_wire(r: FunctionResponse, calls: &mut [SeenCall]) -> ir::Part {
    let id = match r.id {
        Some(id) => {
            if let Some(c) = calls.iter_mut().find(|(_, c, _)| *c == id) {
                c.2 = true;
            }
            id
        }
        None => match calls
            .iter_mut()
            .find(|(n, _, answered)| *n == r.name && !answered)
        {
            Some(c) => {
                c.2 = true;
                c.1.clone()
            }
            None => format!("call_{}", r.name),
        },
    };
    // `{"result": ...}` / `{"output": ...}` wrap the result; `{"error": ...}` says it failed.
    let is_error = r.response.get("error").is_some();
    let text = match r
        .response
        .get("result")
        .or_else(|| r.response.get("output"))
        .or_else(|| r.response.get("error"))
    {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => r.response.to_string(),
    };
    // Media a function returned (`functionResponse.parts[]`) follow its text.
    let mut content = vec![ir::Part::Text(text)];
    content.extend(r.parts.iter().filter_map(Part::media));
    ir::Part::ToolResult {
        id,
        content,
        is_error,
    }
}

/// The Gemini parts of IR `parts`; `names` maps call ids to function names (results need
/// the name). Reasoning is not sent (Gemini takes back only the signatures on calls).
/// `upstream`: the model the parts go to at Gemini, so a call without its signature gets
/// [`SKIP_SIGNATURE`] (`None`: a client, which gets signatures only where Gemini made them).
pub fn parts_to_wire(
    parts: &[ir::Part],
    names: &[(String, String)],
    upstream: Option<&str>,
) -> Vec<Part> {
    // Gemini 3 takes a tool's images inside its `functionResponse`; earlier models beside it.
    let nested_media = upstream.is_some_and(|m| gemini_major(m) >= Some(3));
    let mut out = Vec::with_capacity(parts.len());
    let mut media_after = Vec::new();
    for p in parts {
        match p {
            ir::Part::Text(t) if t.is_empty() => {}
            ir::Part::Text(t) => out.push(Part::text(t.as_str())),
            ir::Part::Image(_) | ir::Part::Document { .. } => out.extend(media_to_wire(p)),
            ir::Part::ToolCall {
                id,
                name,
                arguments,
                signature,
            } => {
                let signature = match signature {
                    Some(s) => Some(s.clone()),
                    None => upstream.map(|_| SKIP_SIGNATURE.to_owned()),
                };
                out.push(Part {
                    function_call: Some(FunctionCall {
                        name: name.clone(),
                        args: args_of(arguments),
                        id: Some(id.clone()),
                    }),
                    thought_signature: signature,
                    ..Part::default()
                });
            }
            ir::Part::ToolResult {
                id,
                content,
                is_error,
            } => {
                let text: String = content
                    .iter()
                    .filter_map(|c| match c {
                        ir::Part::Text(t) => Some(t.as_str()),
                        _ => None,
                    })
                    .collect();
                let name = names
                    .iter()
                    .find(|(call_id, _)| call_id == id)
                    .map_or("", |(_, n)| n.as_str());
                let value = serde_json::from_str::<Value>(&text)
                    .ok()
                    .filter(Value::is_object)
                    .unwrap_or(Value::String(text));
                let key = if *is_error { "error" } else { "result" };
                let mut response = FunctionResponse {
                    name: name.to_owned(),
                    id: Some(id.clone()),
                    response: Value::Object(Map::from_iter([(key.to_owned(), value)])),
                    parts: Vec::new(),
                };
                // The images and files a tool returned: inline data inside the response on
                // Gemini 3 (the API takes no file URIs there), otherwise beside it in the same
                // turn, as Gemini's own CLI sends them.
                for media in content.iter().filter_map(media_to_wire) {
                    if nested_media && media.inline_data.is_some() {
                        response.parts.push(media);
                    } else {
                        media_after.push(media);
                    }
                }
                out.push(Part {
                    function_response: Some(response),
                    ..Part::default()
                });
            }
            ir::Part::Reasoning { .. } => {}
        }
    }
    out.extend(media_after);
    out
}

/// The major version of a Gemini model id (`gemini-3-pro-preview` → 3, `gemini-2.5-flash` → 2).
fn gemini_major(model: &str) -> Option<u32> {
    let rest = &model[model.find("gemini-")? + "gemini-".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The Gemini part of an image or a file; `None` for other parts.
fn media_to_wire(p: &ir::Part) -> Option<Part> {
    let (ir::Part::Image(m) | ir::Part::Document { media: m, .. }) = p else {
        return None;
    };
    Some(match m {
        Media::Base64 { media_type, data } => Part {
            inline_data: Some(Blob {
                mime_type: media_type.clone(),
                data: data.clone(),
            }),
            ..Part::default()
        },
        Media::Url(url) => Part {
            file_data: Some(FileData {
                mime_type: if matches!(p, ir::Part::Image(_)) {
                    "image/*"
                } else {
                    "application/pdf"
                }
                .to_owned(),
                file_uri: url.clone(),
            }),
            ..Part::default()
        },
    })
}
