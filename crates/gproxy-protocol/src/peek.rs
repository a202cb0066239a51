//! Reading and rewriting a request's `model` without building a JSON tree of the body:
//! passthrough only needs `model` and `stream`, and rewrites `model` in place.

use serde::Deserialize;
use std::ops::Range;

/// What passthrough needs to know about a JSON request body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestPeek {
    pub model: Option<String>,
    pub stream: bool,
    /// Whether an OpenAI chat stream request asked for `stream_options.include_usage`.
    pub include_usage: bool,
    /// The most output tokens the request allows, in any protocol's field (`max_tokens`,
    /// `max_completion_tokens`, `max_output_tokens`, `generationConfig.maxOutputTokens`).
    pub max_output: Option<u64>,
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
        max_output: peek
            .max_completion_tokens
            .0
            .or(peek.max_tokens.0)
            .or(peek.max_output_tokens.0)
            .or(peek.generation_config.and_then(|g| g.max_output_tokens.0)),
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
    #[serde(default)]
    max_tokens: Count,
    #[serde(default)]
    max_completion_tokens: Count,
    #[serde(default)]
    max_output_tokens: Count,
    #[serde(default, rename = "generationConfig")]
    generation_config: Option<GenerationConfig>,
}

#[derive(Deserialize)]
struct GenerationConfig {
    #[serde(default, rename = "maxOutputTokens")]
    max_output_tokens: Count,
}

/// A token count as peeked: a non-negative integer, or nothing for any other value (the
/// upstream judges those; peeking never refuses a body for them).
#[derive(Clone, Copy, Debug, Default)]
struct Count(Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Count, E> {
                Ok(Count(Some(v)))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_unit<E>(self) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_none<E>(self) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Count, D::Error> {
                Count::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Count, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Count(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Count, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Count(None))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

/// Makes an OpenAI chat request ask for `stream_options.include_usage: true`, leaving every
/// other byte as it was: adds `stream_options` when absent, adds `include_usage` to one that
/// lacks it, and turns `include_usage: false` into `true`. The gateway asks for usage on
/// every stream so none goes unbilled; the extra usage chunk is kept from a client that did
/// not ask for it. `None` when the body is not an object (or already asks).
pub fn force_include_usage(body: &[u8]) -> Option<Vec<u8>> {
    let open = body.iter().position(|b| !b.is_ascii_whitespace())?;
    if body[open] != b'{' {
        return None;
    }
    let [options] = top_level_values(body, ["stream_options"]);
    let options = match options {
        Some(r) if body[r.start] == b'{' => r,
        // Not an object (`null`): replaced.
        Some(r) => return Some(splice(body, &[r], br#"{"include_usage":true}"#)),
        None => {
            return Some(insert_after(
                body,
                open,
                br#""stream_options":{"include_usage":true}"#,
            ));
        }
    };
    let inner = &body[options.clone()];
    match top_level_values(inner, ["include_usage"]) {
        [Some(r)] if &inner[r.clone()] == b"true" => None,
        [Some(r)] => {
            let at = options.start + r.start..options.start + r.end;
            Some(splice(body, &[at], b"true"))
        }
        [None] => Some(insert_after(
            body,
            options.start,
            br#""include_usage":true"#,
        )),
    }
}

/// `body` with `field` added as the first member of the object opening at `open`.
fn insert_after(body: &[u8], open: usize, field: &[u8]) -> Vec<u8> {
    let rest = &body[open + 1..];
    let empty = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let mut out = Vec::with_capacity(body.len() + field.len() + 1);
    out.extend_from_slice(&body[..=open]);
    out.extend_from_slice(field);
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    out
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
    let [range] = top_level_values(body, [key]);
    let range = range.filter(|r| body[r.start] == b'"')?;
    let encoded = serde_json::to_string(value).ok()?;
    Some(splice(body, &[range], encoded.as_bytes()))
}

/// `body` with every range in `ranges` (sorted, disjoint) replaced by `with`.
fn splice(body: &[u8], ranges: &[Range<usize>], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + ranges.len() * with.len());
    let mut copied = 0;
    for r in ranges {
        out.extend_from_slice(&body[copied..r.start]);
        out.extend_from_slice(with);
        copied = r.end;
    }
    out.extend_from_slice(&body[copied..]);
    out
}

/// The byte ranges of the values of the top-level `keys` of a JSON object, in one pass.
/// Keys are compared as JSON reads them: a key spelled with escapes (`"mod\u0065l"`) is
/// the same key, as it is to the upstream's parser.
fn top_level_values<const N: usize>(body: &[u8], keys: [&str; N]) -> [Option<Range<usize>>; N] {
    let mut found: [Option<Range<usize>>; N] = std::array::from_fn(|_| None);
    let Some(open) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return found;
    };
    if body[open] != b'{' {
        return found;
    }
    let mut i = open + 1;
    loop {
        i = skip_ws(body, i);
        if body.get(i) != Some(&b'"') {
            return found; // `}` or malformed
        }
        let Some(key_end) = string_end(body, i) else {
            return found;
        };
        let raw_key = &body[i + 1..key_end - 1];
        let decoded;
        let key: &[u8] = if raw_key.contains(&b'\\') {
            decoded = serde_json::from_slice::<String>(&body[i..key_end]).ok();
            decoded.as_deref().map_or(raw_key, str::as_bytes)
        } else {
            raw_key
        };
        i = skip_ws(body, key_end);
        if body.get(i) != Some(&b':') {
            return found;
        }
        let start = skip_ws(body, i + 1);
        let Some(end) = value_end(body, start) else {
            return found;
        };
        if let Some(slot) = keys.iter().position(|k| k.as_bytes() == key) {
            found[slot] = Some(start..end);
        }
        i = skip_ws(body, end);
        if body.get(i) != Some(&b',') {
            return found;
        }
        i += 1;
    }
}

fn skip_ws(body: &[u8], mut i: usize) -> usize {
    while body.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The index just past the JSON value starting at `start`.
fn value_end(body: &[u8], start: usize) -> Option<usize> {
    match body.get(start)? {
        b'"' => string_end(body, start),
        b'{' | b'[' => {
            let mut depth = 0u32;
            let mut i = start;
            while i < body.len() {
                match body[i] {
                    b'"' => {
                        i = string_end(body, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => Some(
            body[start..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .map_or(body.len(), |p| start + p),
        ),
    }
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

/// Rewrites the model a response names, from the upstream id `from` to the name the client
/// used, `to`: the top-level `model` (OpenAI bodies and chunks, Anthropic messages),
/// `message.model` (Anthropic `message_start`) and `response.model` (Responses stream
/// events). Nothing else is touched: a tool input with a `model` field stays as it was.
/// `None` when nothing matched, so the caller can relay the original bytes untouched.
pub fn rewrite_response_model(bytes: &[u8], from: &str, to: &str) -> Option<Vec<u8>> {
    let from_enc = serde_json::to_string(from).ok()?;
    let to_enc = serde_json::to_string(to).ok()?;
    let [model, message, response] = top_level_values(bytes, ["model", "message", "response"]);
    let mut hits: Vec<Range<usize>> = Vec::with_capacity(2);
    hits.extend(model);
    for outer in [message, response].into_iter().flatten() {
        if bytes[outer.start] == b'{' {
            let [inner] = top_level_values(&bytes[outer.clone()], ["model"]);
            hits.extend(inner.map(|r| outer.start + r.start..outer.start + r.end));
        }
    }
    hits.retain(|r| &bytes[r.clone()] == from_enc.as_bytes());
    if hits.is_empty() {
        return None;
    }
    hits.sort_by_key(|r| r.start);
    Some(splice(bytes, &hits, to_enc.as_bytes()))
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
        assert!(!p.include_usage);
        let out = force_include_usage(body).expect("inserted");
        assert_eq!(
            String::from_utf8(out.clone()).expect("utf8"),
            r#" {"stream_options":{"include_usage":true},"model":"m","stream":true}"#
        );
        let p = peek_request(&out).expect("still valid");
        assert!(p.include_usage && p.stream);
        let out = force_include_usage(b"{ }").expect("inserted");
        assert!(peek_request(&out).expect("valid").include_usage);
    }

    #[test]
    fn include_usage_false_or_missing_becomes_true() {
        let cases: [(&[u8], &str); 4] = [
            (
                br#"{"model":"m","stream_options":{"include_usage":false},"stream":true}"#,
                r#"{"model":"m","stream_options":{"include_usage":true},"stream":true}"#,
            ),
            (
                br#"{"stream_options":{},"model":"m"}"#,
                r#"{"stream_options":{"include_usage":true},"model":"m"}"#,
            ),
            (
                br#"{"stream_options":{"continuous_usage_stats":true},"model":"m"}"#,
                r#"{"stream_options":{"include_usage":true,"continuous_usage_stats":true},"model":"m"}"#,
            ),
            (
                br#"{"stream_options":null,"model":"m"}"#,
                r#"{"stream_options":{"include_usage":true},"model":"m"}"#,
            ),
        ];
        for (body, want) in cases {
            let out = force_include_usage(body).expect("rewritten");
            assert_eq!(String::from_utf8(out).expect("utf8"), want);
        }
        assert_eq!(
            force_include_usage(br#"{"stream_options":{"include_usage":true}}"#),
            None,
            "already asks"
        );
        assert_eq!(force_include_usage(b"[1]"), None);
    }

    #[test]
    fn escaped_keys_are_the_same_keys() {
        let body = br#"{"stream\u005foptions":{"include\u005fusage":false},"mod\u0065l":"alias"}"#;
        let p = peek_request(body).expect("valid");
        assert_eq!(p.model.as_deref(), Some("alias"));
        let out = force_include_usage(body).expect("rewritten");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["stream_options"]["include_usage"], true, "{v}");
        assert_eq!(
            v.as_object().map(|o| o.len()),
            Some(2),
            "no duplicate key: {v}"
        );
        let out = replace_top_level_string(body, "model", "gpt-4o-mini").expect("found");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["model"], "gpt-4o-mini");
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
    fn peek_reads_the_maximum_output_of_every_protocol() {
        let max = |body: &str| peek_request(body.as_bytes()).expect("peek").max_output;
        assert_eq!(max(r#"{"model":"m","max_tokens":64}"#), Some(64));
        assert_eq!(
            max(r#"{"max_completion_tokens":32,"max_tokens":64}"#),
            Some(32)
        );
        assert_eq!(max(r#"{"max_output_tokens":16}"#), Some(16));
        assert_eq!(
            max(r#"{"generationConfig":{"maxOutputTokens":8}}"#),
            Some(8)
        );
        assert_eq!(max(r#"{"model":"m"}"#), None);
        for odd in ["-1", "1.5", "\"64\"", "null", "[1]", "{\"a\":1}", "true"] {
            assert_eq!(
                max(&format!(r#"{{"max_tokens":{odd}}}"#)),
                None,
                "{odd}: passed on"
            );
        }
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
    fn rewrites_only_where_a_response_names_its_model() {
        let ev = br#"{"type":"message_start","message":{"model": "claude-x","content":"say \"model\":\"claude-x\""}}"#;
        let out = rewrite_response_model(ev, "claude-x", "anth/claude-x").expect("rewritten");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            r#"{"type":"message_start","message":{"model": "anth/claude-x","content":"say \"model\":\"claude-x\""}}"#
        );
        let body = br#"{"model":"m","content":[{"type":"tool_use","input":{"model":"m","n":1}}]}"#;
        let out = rewrite_response_model(body, "m", "p/m").expect("rewritten");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            r#"{"model":"p/m","content":[{"type":"tool_use","input":{"model":"m","n":1}}]}"#,
            "a tool input's model field is the tool's business"
        );
        let ev = br#"{"type":"response.completed","response":{"id":"r","model":"m","output":[{"model":"m"}]}}"#;
        let out = rewrite_response_model(ev, "m", "p/m").expect("rewritten");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            r#"{"type":"response.completed","response":{"id":"r","model":"p/m","output":[{"model":"m"}]}}"#
        );
        assert_eq!(
            rewrite_response_model(br#"{"model":"other"}"#, "m", "y"),
            None
        );
        assert_eq!(rewrite_response_model(b"[DONE]", "m", "y"), None);
        assert_eq!(
            rewrite_response_model(br#"{"model":"m""#, "m", "y").as_deref(),
            Some(&br#"{"model":"y""#[..]),
            "a truncated event still gets its complete model value rewritten"
        );
        assert_eq!(rewrite_response_model(br#"{"model":"#, "m", "y"), None);
    }

    #[test]
    fn top_level_values_in_one_pass() {
        let body = br#" { "a" : [1, {"b": "}"}], "b": 2.5e3 , "c":{"a":1},"d":"x\"y" } "#;
        let [a, b, c, d, e] = top_level_values(body, ["a", "b", "c", "d", "e"]);
        let text =
            |r: Option<Range<usize>>| r.map(|r| String::from_utf8_lossy(&body[r]).into_owned());
        assert_eq!(text(a).as_deref(), Some(r#"[1, {"b": "}"}]"#));
        assert_eq!(text(b).as_deref(), Some("2.5e3"));
        assert_eq!(text(c).as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(text(d).as_deref(), Some(r#""x\"y""#));
        assert_eq!(e, None);
    }
}
