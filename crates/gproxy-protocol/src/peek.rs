//! Reading and rewriting a request's `model` without building a JSON tree of the body:
//! passthrough only needs `model` and `stream`, and rewrites `model` in place.

use serde::Deserialize;

/// What passthrough needs to know about a JSON request body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestPeek {
    pub model: Option<String>,
    pub stream: bool,
    /// Whether an OpenAI chat stream request asked for `stream_options.include_usage`.
    pub include_usage: bool,
    /// Whether the body has a top-level `stream_options` at all.
    pub has_stream_options: bool,
}

/// Why a body could not be peeked; the message is shown to the caller.
#[derive(Debug, thiserror::Error)]
pub enum PeekError {
    #[error("request body is empty")]
    Empty,
    #[error("request body is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Checks that `body` is one JSON object and reads its `model` and `stream`.
pub fn peek_request(body: &[u8]) -> Result<RequestPeek, PeekError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(PeekError::Empty);
    }
    let peek: PeekOwned = serde_json::from_slice(body)?;
    Ok(RequestPeek {
        model: peek.model,
        stream: peek.stream.unwrap_or(false),
        include_usage: peek
            .stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
        has_stream_options: peek.stream_options.is_some(),
    })
}

/// The two fields passthrough reads; serde still checks the rest of the body is
/// well-formed JSON while skipping it without allocating.
#[derive(Deserialize)]
struct PeekOwned {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

/// Adds `"stream_options":{"include_usage":true}` to an OpenAI chat request that has no
/// `stream_options`, right after the opening brace, leaving every other byte as it was. The
/// gateway asks for usage on every stream so it is never lost; the extra usage chunk is
/// kept from a client that did not ask for it.
pub fn insert_include_usage(body: &[u8]) -> Option<Vec<u8>> {
    let open = body.iter().position(|b| !b.is_ascii_whitespace())?;
    if body[open] != b'{' {
        return None;
    }
    let rest = &body[open + 1..];
    let empty = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let field: &[u8] = if empty {
        br#""stream_options":{"include_usage":true}"#
    } else {
        br#""stream_options":{"include_usage":true},"#
    };
    let mut out = Vec::with_capacity(body.len() + field.len());
    out.extend_from_slice(&body[..=open]);
    out.extend_from_slice(field);
    out.extend_from_slice(rest);
    Some(out)
}

/// Whether an OpenAI chat stream chunk is the usage-only chunk (`"choices": []` with usage)
/// that `include_usage` adds at the end.
pub fn is_usage_only_chunk(data: &[u8]) -> bool {
    if find(data, b"\"usage\"").is_none() {
        return false;
    }
    #[derive(Deserialize)]
    struct Chunk {
        #[serde(default)]
        choices: Option<Vec<serde::de::IgnoredAny>>,
        #[serde(default)]
        usage: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Chunk>(data)
        .is_ok_and(|c| c.usage.is_some() && c.choices.is_some_and(|c| c.is_empty()))
}

/// Replaces the value of the top-level string field `key` with `value`, leaving every
/// other byte as it was. `None` if the body has no such top-level string field.
pub fn replace_top_level_string(body: &[u8], key: &str, value: &str) -> Option<Vec<u8>> {
    let range = find_top_level_string(body, key)?;
    let encoded = serde_json::to_string(value).ok()?;
    let mut out = Vec::with_capacity(body.len() + encoded.len());
    out.extend_from_slice(&body[..range.start]);
    out.extend_from_slice(encoded.as_bytes());
    out.extend_from_slice(&body[range.end..]);
    Some(out)
}

/// The byte range (quotes included) of the top-level string value of `key`.
fn find_top_level_string(body: &[u8], key: &str) -> Option<std::ops::Range<usize>> {
    let mut depth = 0u32;
    let mut i = 0;
    // Whether the next string at depth 1 is an object key (after `{` or `,`).
    let mut expect_key = false;
    while i < body.len() {
        match body[i] {
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1 && body[i] == b'{';
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b',' => {
                expect_key = depth == 1;
                i += 1;
            }
            b'"' => {
                let end = string_end(body, i)?;
                if depth == 1 && expect_key {
                    expect_key = false;
                    let is_key =
                        serde_json::from_slice::<String>(&body[i..end]).is_ok_and(|k| k == key);
                    if is_key {
                        let mut j = end;
                        while j < body.len() && (body[j].is_ascii_whitespace() || body[j] == b':') {
                            j += 1;
                        }
                        if body.get(j) == Some(&b'"') {
                            return Some(j..string_end(body, j)?);
                        }
                        return None;
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    None
}

/// The index just past the string literal opening at `start`.
fn string_end(body: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Rewrites every `"model": "<from>"` pair (at any depth) to `"model": "<to>"`. Used on
/// response bodies and stream events to give the caller back the model name it asked for.
/// `None` when nothing matched, so the caller can relay the original bytes untouched.
pub fn rewrite_model_values(bytes: &[u8], from: &str, to: &str) -> Option<Vec<u8>> {
    let from_enc = serde_json::to_string(from).ok()?;
    let to_enc = serde_json::to_string(to).ok()?;
    let needle = b"\"model\"";
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(pos) = find(&bytes[i..], needle) {
        let key_at = i + pos;
        i = key_at + needle.len();
        if key_at > 0 && bytes[key_at - 1] == b'\\' {
            continue; // an escaped quote inside a string, not a key
        }
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if bytes.get(j) != Some(&b':') {
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if bytes[j..].starts_with(from_enc.as_bytes()) {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 16));
            buf.extend_from_slice(&bytes[copied..j]);
            buf.extend_from_slice(to_enc.as_bytes());
            copied = j + from_enc.len();
            i = copied;
        }
    }
    let mut buf = out?;
    buf.extend_from_slice(&bytes[copied..]);
    Some(buf)
}

/// Position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|b| *b == first)
        {
            Some(p) => {
                let at = i + p;
                if &hay[at..at + needle.len()] == needle {
                    return Some(at);
                }
                i = at + 1;
            }
            None => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_reads_model_and_stream() {
        let p = peek_request(br#"{"messages":[{"model":"x"}],"model":"gpt-4.1","stream":true}"#)
            .expect("valid");
        assert_eq!(p.model.as_deref(), Some("gpt-4.1"));
        assert!(p.stream);
        let p = peek_request(br#"{"contents":[]}"#).expect("valid");
        assert_eq!(p, RequestPeek::default());
    }

    #[test]
    fn include_usage_is_added_without_touching_the_rest() {
        let body = br#" {"model":"m","stream":true}"#;
        let p = peek_request(body).expect("valid");
        assert!(!p.include_usage && !p.has_stream_options);
        let out = insert_include_usage(body).expect("inserted");
        assert_eq!(
            String::from_utf8(out.clone()).expect("utf8"),
            r#" {"stream_options":{"include_usage":true},"model":"m","stream":true}"#
        );
        let p = peek_request(&out).expect("still valid");
        assert!(p.include_usage && p.has_stream_options && p.stream);
        let out = insert_include_usage(b"{ }").expect("inserted");
        assert!(peek_request(&out).expect("valid").include_usage);
    }

    #[test]
    fn usage_only_chunks_are_recognized() {
        assert!(is_usage_only_chunk(
            br#"{"id":"c","choices":[],"usage":{"prompt_tokens":1}}"#
        ));
        assert!(!is_usage_only_chunk(
            br#"{"choices":[{"delta":{}}],"usage":null}"#
        ));
        assert!(!is_usage_only_chunk(
            br#"{"choices":[{"delta":{"content":"x"}}]}"#
        ));
    }

    #[test]
    fn peek_rejects_bad_bodies() {
        assert!(matches!(peek_request(b"  "), Err(PeekError::Empty)));
        assert!(peek_request(b"{\"model\":").is_err());
        assert!(peek_request(b"[1,2]").is_err());
        let err = peek_request(br#"{"model": 5}"#).expect_err("wrong type");
        assert!(err.to_string().contains("invalid type"), "{err}");
        assert!(peek_request(br#"{"stream":"yes"}"#).is_err());
    }

    #[test]
    fn replaces_only_the_top_level_model() {
        let body = br#"{"messages":[{"role":"user","content":"\"model\":\"a/b\""}], "model" : "a/b","x":{"model":"a/b"}}"#;
        let out = replace_top_level_string(body, "model", "b").expect("found");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            r#"{"messages":[{"role":"user","content":"\"model\":\"a/b\""}], "model" : "b","x":{"model":"a/b"}}"#
        );
        assert_eq!(
            replace_top_level_string(br#"{"x":{"model":"m"}}"#, "model", "n"),
            None
        );
        assert_eq!(
            replace_top_level_string(br#"{"model":null}"#, "model", "n"),
            None
        );
    }

    #[test]
    fn rewrites_model_values_at_any_depth() {
        let ev = br#"{"type":"message_start","message":{"model": "claude-x","content":"say \"model\":\"claude-x\""}}"#;
        let out = rewrite_model_values(ev, "claude-x", "anth/claude-x").expect("rewritten");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            r#"{"type":"message_start","message":{"model": "anth/claude-x","content":"say \"model\":\"claude-x\""}}"#
        );
        assert_eq!(
            rewrite_model_values(br#"{"model":"other"}"#, "claude-x", "y"),
            None
        );
    }
}
