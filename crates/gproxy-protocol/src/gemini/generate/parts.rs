//! Gemini content parts and their IR parts.

use crate::ir::{Media, Part};
use crate::translate::{TranslateError, carry};
use serde_json::{Map, Value, json};

/// The value Google documents for a function call whose thought signature a client lost
/// (it came through another protocol): the call is accepted without validation.
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// The IR part of a Gemini `inlineData` or `fileData` part; `None` for other parts.
fn media_from_wire(p: &Value) -> Option<Part> {
    let field = |d: &Value, k: &str| {
        d.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if let Some(d) = p.get("inlineData") {
        let mime = field(d, "mimeType");
        let data = field(d, "data");
        Some(media(
            &mime,
            Media::Base64 {
                media_type: mime.clone(),
                data,
            },
        ))
    } else {
        let d = p.get("fileData")?;
        Some(media(
            &field(d, "mimeType"),
            Media::Url(field(d, "fileUri")),
        ))
    }
}

fn media(mime: &str, data: Media) -> Part {
    if mime.starts_with("image/") {
        Part::Image(data)
    } else {
        Part::Document {
            media: data,
            name: None,
        }
    }
}

/// A call seen in the conversation: its function name, id, and whether a result answered it.
pub type SeenCall = (String, String, bool);

/// The IR parts of a Gemini content's `parts`. Calls without an id get `{prefix}{turn}_{k}`;
/// results without one are paired with the earliest call of their name not answered yet
/// (`calls`, in order, across the conversation), so parallel calls to one function pair up.
pub fn parts_from_wire(
    parts: &[Value],
    turn: usize,
    calls: &mut Vec<SeenCall>,
    prefix: &str,
    at: &str,
) -> Result<Vec<Part>, TranslateError> {
    let mut out = Vec::with_capacity(parts.len());
    // Claude's thinking carried on a call's signature: first in the turn, as Anthropic
    // requires.
    let mut carried = Vec::new();
    for (k, p) in parts.iter().enumerate() {
        let thought = p.get("thought").and_then(Value::as_bool).unwrap_or(false);
        if let Some(text) = p.get("text").and_then(Value::as_str) {
            out.push(if thought {
                Part::Reasoning {
                    text: text.to_owned(),
                    signature: None,
                    redacted: None,
                }
            } else {
                Part::Text(text.to_owned())
            });
        } else if let Some(m) = media_from_wire(p) {
            out.push(m);
        } else if let Some(c) = p.get("functionCall") {
            let name = c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let id = c
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{prefix}{turn}_{k}"));
            calls.push((name.clone(), id.clone(), false));
            out.push(Part::ToolCall {
                id,
                name,
                arguments: c
                    .get("args")
                    .filter(|a| a.is_object())
                    .map_or_else(|| "{}".to_owned(), Value::to_string),
                signature: match p.get("thoughtSignature").and_then(Value::as_str) {
                    Some(s) => match carry::open(s) {
                        Some(blocks) => {
                            carried.extend(blocks);
                            None
                        }
                        None => Some(s.to_owned()),
                    },
                    None => None,
                },
            });
        } else if let Some(r) = p.get("functionResponse") {
            let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
            let id = match r.get("id").and_then(Value::as_str) {
                Some(id) => {
                    if let Some(c) = calls.iter_mut().find(|(_, c, _)| c == id) {
                        c.2 = true;
                    }
                    id.to_owned()
                }
                None => match calls
                    .iter_mut()
                    .find(|(n, _, answered)| n == name && !answered)
                {
                    Some(c) => {
                        c.2 = true;
                        c.1.clone()
                    }
                    None => format!("call_{name}"),
                },
            };
            let response = r.get("response").cloned().unwrap_or(Value::Null);
            // `{"result": ...}` / `{"output": ...}` wrap the result; `{"error": ...}` says it failed.
            let is_error = response.get("error").is_some();
            let text = match response
                .get("result")
                .or_else(|| response.get("output"))
                .or_else(|| response.get("error"))
            {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => response.to_string(),
            };
            // Media a function returned (`functionResponse.parts[]`) follow its text.
            let mut content = vec![Part::Text(text)];
            content.extend(
                r.get("parts")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(media_from_wire),
            );
            out.push(Part::ToolResult {
                id,
                content,
                is_error,
            });
        } else if p.get("thoughtSignature").is_some() || p.as_object().is_some_and(Map::is_empty) {
            // A bare signature or an empty part carries nothing to translate.
        } else {
            return Err(TranslateError::unsupported(
                format!("{at}.parts[{k}]"),
                "this part type exists only on Gemini",
            ));
        }
    }
    if !carried.is_empty() {
        carried.append(&mut out);
        out = carried;
    }
    Ok(out)
}

/// The Gemini parts of IR `parts`; `names` maps call ids to function names (results need
/// the name). Reasoning is not sent (Gemini takes back only the signatures on calls).
/// `upstream`: the model the parts go to at Gemini, so a call without its signature gets
/// [`SKIP_SIGNATURE`] (`None`: a client, which gets signatures only where Gemini made them).
pub fn parts_to_wire(
    parts: &[Part],
    names: &[(String, String)],
    upstream: Option<&str>,
) -> Vec<Value> {
    // Gemini 3 takes a tool's images inside its `functionResponse`; earlier models beside it.
    let nested_media = upstream.is_some_and(|m| gemini_major(m) >= Some(3));
    let mut out = Vec::with_capacity(parts.len());
    let mut media_after = Vec::new();
    for p in parts {
        match p {
            Part::Text(t) if t.is_empty() => {}
            Part::Text(t) => out.push(json!({"text": t})),
            Part::Image(_) | Part::Document { .. } => out.extend(media_to_wire(p)),
            Part::ToolCall {
                id,
                name,
                arguments,
                signature,
            } => {
                let args: Value = serde_json::from_str(arguments)
                    .ok()
                    .filter(Value::is_object)
                    .unwrap_or_else(|| json!({}));
                let mut part = json!({"functionCall": {"name": name, "args": args, "id": id}});
                let signature = match signature {
                    Some(s) => Some(s.as_str()),
                    None => upstream.map(|_| SKIP_SIGNATURE),
                };
                if let Some(s) = signature {
                    part["thoughtSignature"] = Value::String(s.to_owned());
                }
                out.push(part);
            }
            Part::ToolResult {
                id,
                content,
                is_error,
            } => {
                let text: String = content
                    .iter()
                    .filter_map(|c| match c {
                        Part::Text(t) => Some(t.as_str()),
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
                let mut response =
                    json!({"functionResponse": {"name": name, "id": id, "response": {key: value}}});
                // The images and files a tool returned: inline data inside the response on
                // Gemini 3 (the API takes no file URIs there), otherwise beside it in the same
                // turn, as Gemini's own CLI sends them.
                for media in content.iter().filter_map(media_to_wire) {
                    match media.get("inlineData") {
                        Some(inline) if nested_media => {
                            let nested = &mut response["functionResponse"]["parts"];
                            if !nested.is_array() {
                                *nested = json!([]);
                            }
                            if let Some(list) = nested.as_array_mut() {
                                list.push(json!({"inlineData": inline}));
                            }
                        }
                        _ => media_after.push(media),
                    }
                }
                out.push(response);
            }
            Part::Reasoning { .. } => {}
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
fn media_to_wire(p: &Part) -> Option<Value> {
    let (Part::Image(m) | Part::Document { media: m, .. }) = p else {
        return None;
    };
    Some(match m {
        Media::Base64 { media_type, data } => {
            json!({"inlineData": {"mimeType": media_type, "data": data}})
        }
        Media::Url(url) => json!({"fileData": {"fileUri": url,
            "mimeType": if matches!(p, Part::Image(_)) { "image/*" } else { "application/pdf" }}}),
    })
}
