//! Prompt-prefix keys for cache affinity: cumulative hashes of a generation request's
//! prefix (model, instructions, tools, then the conversation turn by turn), read from the
//! raw JSON without building a value tree. A call whose conversation extends one served
//! before shares that call's key, so it can go to the credential whose prompt cache holds
//! the prefix. Also: whether a history carries reasoning only the credential that made it
//! can read back (Anthropic signed thinking, OpenAI encrypted reasoning), and that history
//! with the reasoning taken out, for when that credential cannot serve.

use crate::{Endpoint, Operation, Protocol};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::hash::{DefaultHasher, Hasher};

/// At most this many of the longest prefixes are looked up.
pub const LOOKUP_DEPTH: usize = 8;

/// Instructions and tools this large (bytes of JSON, about 1,000 tokens) are a prefix worth
/// caching on their own: calls sharing them are keyed together even in new conversations.
const SHARED_PREFIX_BYTES: usize = 4096;

/// The prefix keys of a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrefixKeys {
    /// Keys to look up, longest prefix first.
    pub lookup: Vec<u64>,
    /// Keys to remember once the call is served: the whole conversation, and the shared
    /// instructions and tools when they are large.
    pub remember: Vec<u64>,
    /// The request asks Anthropic for the one-hour cache (`"ttl": "1h"` markers): the
    /// prefix stays with its credential that long.
    pub hour_long: bool,
}

#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow, default)]
    model: Option<&'a RawValue>,
    // Anthropic and Chat.
    #[serde(borrow, default)]
    system: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tools: Option<&'a RawValue>,
    #[serde(borrow, default)]
    messages: Option<Vec<&'a RawValue>>,
    // Responses.
    #[serde(borrow, default)]
    instructions: Option<&'a RawValue>,
    #[serde(borrow, default)]
    input: Option<&'a RawValue>,
    // Gemini.
    #[serde(borrow, default, rename = "systemInstruction")]
    system_instruction: Option<&'a RawValue>,
    #[serde(borrow, default)]
    contents: Option<Vec<&'a RawValue>>,
}

/// The keys of a request body sent to `endpoint`; empty for operations that are not
/// generations or bodies that are not JSON objects. `model` names the model when the body
/// does not (Gemini).
pub fn prefix_keys(endpoint: Endpoint, model: &str, body: &[u8]) -> PrefixKeys {
    let generation = matches!(
        (endpoint.protocol, endpoint.operation),
        (
            Protocol::OpenAi,
            Operation::ChatCompletions | Operation::Responses
        ) | (Protocol::Anthropic, Operation::Messages)
            | (
                Protocol::Gemini,
                Operation::GenerateContent | Operation::StreamGenerateContent
            )
    );
    if !generation {
        return PrefixKeys::default();
    }
    let Ok(f) = serde_json::from_slice::<Fields<'_>>(body) else {
        return PrefixKeys::default();
    };
    let mut h = DefaultHasher::new();
    h.write(model.as_bytes());
    if let Some(m) = f.model {
        write_json(&mut h, m.get());
    }
    let head = [f.system, f.instructions, f.system_instruction, f.tools];
    let mut head_bytes = 0;
    for part in head.into_iter().flatten() {
        write_json(&mut h, part.get());
        head_bytes += part.get().len();
    }
    let turns: Vec<&RawValue> = match (f.messages, f.contents, f.input) {
        (Some(m), _, _) => m,
        (_, Some(c), _) => c,
        // A Responses `input` is a string or a list of items.
        (_, _, Some(input)) => {
            serde_json::from_str::<Vec<&RawValue>>(input.get()).unwrap_or_else(|_| vec![input])
        }
        _ => Vec::new(),
    };
    let mut prefixes = Vec::with_capacity(turns.len() + 1);
    prefixes.push(h.finish());
    for turn in &turns {
        h.write_u8(0x1e);
        write_json(&mut h, turn.get());
        prefixes.push(h.finish());
    }
    let shared = (head_bytes >= SHARED_PREFIX_BYTES).then_some(prefixes[0]);
    let mut lookup: Vec<u64> = prefixes[1..]
        .iter()
        .rev()
        .take(LOOKUP_DEPTH)
        .copied()
        .collect();
    lookup.extend(shared);
    let mut remember: Vec<u64> = prefixes
        .last()
        .filter(|_| !turns.is_empty())
        .copied()
        .into_iter()
        .collect();
    remember.extend(shared);
    let hour_long = endpoint.protocol == Protocol::Anthropic
        && std::str::from_utf8(body).is_ok_and(|t| t.contains("\"1h\""));
    PrefixKeys {
        lookup,
        remember,
        hour_long,
    }
}

/// Hashes JSON text without its insignificant whitespace, so clients that format the same
/// conversation differently share keys. (Key order is kept: a client serializes its own
/// messages the same way every time.)
fn write_json(h: &mut DefaultHasher, json: &str) {
    let bytes = json.as_bytes();
    let mut in_string = false;
    let mut escaped = false;
    // Runs of significant bytes are hashed whole (the hasher streams: how the bytes are cut
    // into writes does not change the hash).
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b.is_ascii_whitespace() {
            h.write(&bytes[run..i]);
            run = i + 1;
        } else if b == b'"' {
            in_string = true;
        }
    }
    h.write(&bytes[run..]);
}

/// Whether a request body sent to `endpoint` carries reasoning bound to the account that
/// made it: Anthropic thinking blocks (signed, or redacted) or OpenAI Responses reasoning
/// items with `encrypted_content`. A cheap scan of the text; [`strip_reasoning`] decides.
pub fn carries_reasoning(endpoint: Endpoint, body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    match (endpoint.protocol, endpoint.operation) {
        (Protocol::Anthropic, Operation::Messages) => {
            // Thinking blocks carry a `signature` (or are redacted); the `thinking` request
            // setting alone is no history.
            text.contains("\"signature\"") || text.contains("\"redacted_thinking\"")
        }
        (Protocol::OpenAi, Operation::Responses) => text.contains("\"encrypted_content\""),
        _ => false,
    }
}

/// The body without its bound reasoning, for another credential: Anthropic thinking and
/// redacted thinking blocks leave the assistant turns (and thinking is turned off for the
/// call: the API wants a thinking block before a pending tool call when it is on); Responses
/// reasoning items leave the input. `None` when there is nothing to take out.
pub fn strip_reasoning(endpoint: Endpoint, body: &[u8]) -> Option<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let map = value.as_object_mut()?;
    let mut removed = 0;
    match (endpoint.protocol, endpoint.operation) {
        (Protocol::Anthropic, Operation::Messages) => {
            for m in map.get_mut("messages")?.as_array_mut()? {
                if let Some(blocks) = m.get_mut("content").and_then(|c| c.as_array_mut()) {
                    let before = blocks.len();
                    blocks.retain(|b| {
                        !matches!(
                            b.get("type").and_then(|t| t.as_str()),
                            Some("thinking" | "redacted_thinking")
                        )
                    });
                    removed += before - blocks.len();
                }
            }
            if removed > 0 {
                map.remove("thinking");
            }
        }
        (Protocol::OpenAi, Operation::Responses) => {
            let input = map.get_mut("input")?.as_array_mut()?;
            let before = input.len();
            input.retain(|item| item.get("type").and_then(|t| t.as_str()) != Some("reasoning"));
            removed = before - input.len();
        }
        _ => return None,
    }
    if removed == 0 {
        return None;
    }
    serde_json::to_vec(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bound_reasoning_is_found_and_taken_out() {
        let messages = Endpoint::new(Protocol::Anthropic, Operation::Messages);
        let body = json!({"model": "claude-sonnet-4-5", "thinking": {"type": "enabled", "budget_tokens": 2048},
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "need a tool", "signature": "c2ln"},
                    {"type": "redacted_thinking", "data": "ZGF0YQ=="},
                    {"type": "tool_use", "id": "toolu_1", "name": "w", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]}]})
        .to_string();
        assert!(carries_reasoning(messages, body.as_bytes()));
        let stripped: serde_json::Value =
            serde_json::from_slice(&strip_reasoning(messages, body.as_bytes()).expect("stripped"))
                .expect("json");
        assert_eq!(
            stripped["messages"][1]["content"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(stripped["messages"][1]["content"][0]["type"], "tool_use");
        assert!(
            stripped.get("thinking").is_none(),
            "thinking off for the retry"
        );

        let responses = Endpoint::new(Protocol::OpenAi, Operation::Responses);
        let body = json!({"model": "gpt-5", "input": [
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
            {"type": "function_call", "call_id": "c1", "name": "w", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"}]})
        .to_string();
        assert!(carries_reasoning(responses, body.as_bytes()));
        let stripped: serde_json::Value =
            serde_json::from_slice(&strip_reasoning(responses, body.as_bytes()).expect("stripped"))
                .expect("json");
        assert_eq!(stripped["input"].as_array().map(Vec::len), Some(2));

        let setting_only =
            json!({"model": "m", "thinking": {"type": "enabled", "budget_tokens": 1024},
            "messages": [{"role": "user", "content": "hi"}]})
            .to_string();
        assert!(
            !carries_reasoning(messages, setting_only.as_bytes()),
            "no thinking in the history"
        );
        let plain =
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).to_string();
        assert!(!carries_reasoning(messages, plain.as_bytes()));
        assert_eq!(strip_reasoning(messages, plain.as_bytes()), None);
    }

    fn keys(body: serde_json::Value) -> PrefixKeys {
        prefix_keys(
            Endpoint::new(Protocol::Anthropic, Operation::Messages),
            "",
            body.to_string().as_bytes(),
        )
    }

    #[test]
    fn a_continued_conversation_finds_its_earlier_key() {
        let first = keys(json!({"model": "m", "system": "s", "messages": [
            {"role": "user", "content": "hi"}]}));
        let next = keys(json!({"model": "m", "system": "s", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": "more"}]}));
        assert_eq!(
            first.remember.len(),
            1,
            "a small system prompt is not shared alone"
        );
        assert!(!first.hour_long);
        let hour = keys(
            json!({"model": "m", "system": [{"type": "text", "text": "s",
            "cache_control": {"type": "ephemeral", "ttl": "1h"}}], "messages": []}),
        );
        assert!(hour.hour_long);
        assert!(next.lookup.contains(&first.remember[0]));
        assert_eq!(next.lookup[0], next.remember[0], "longest first");
        let other = keys(json!({"model": "m", "system": "s", "messages": [
            {"role": "user", "content": "unrelated"}]}));
        assert!(!other.lookup.contains(&first.remember[0]));
    }

    #[test]
    fn formatting_does_not_change_a_key() {
        let compact = br#"{"model":"m","messages":[{"role":"user","content":"a  b"}]}"#;
        let pretty = b"{\n  \"model\": \"m\",\n  \"messages\": [ { \"role\": \"user\", \"content\": \"a  b\" } ]\n}";
        let other = br#"{"model":"m","messages":[{"role":"user","content":"a b"}]}"#;
        let k = |b: &[u8]| {
            prefix_keys(
                Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions),
                "",
                b,
            )
        };
        assert_eq!(k(compact).remember, k(pretty).remember);
        assert_ne!(
            k(compact).remember,
            k(other).remember,
            "whitespace inside strings counts"
        );
    }

    #[test]
    fn a_large_shared_prefix_keys_new_conversations_together() {
        let system = "x".repeat(SHARED_PREFIX_BYTES);
        let a = keys(
            json!({"model": "m", "system": system, "messages": [{"role": "user", "content": "a"}]}),
        );
        let b = keys(
            json!({"model": "m", "system": system, "messages": [{"role": "user", "content": "b"}]}),
        );
        assert_eq!(a.remember.len(), 2);
        assert!(b.lookup.contains(&a.remember[1]));
        assert!(!b.lookup.contains(&a.remember[0]));
    }

    #[test]
    fn every_generation_protocol_and_nothing_else() {
        let gemini = prefix_keys(
            Endpoint::new(Protocol::Gemini, Operation::GenerateContent),
            "gemini-2.5-flash",
            br#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#,
        );
        assert_eq!(gemini.lookup.len(), 1);
        let responses = prefix_keys(
            Endpoint::new(Protocol::OpenAi, Operation::Responses),
            "",
            br#"{"model":"gpt-5","input":"hi"}"#,
        );
        assert_eq!(responses.remember.len(), 1);
        let embeddings = prefix_keys(
            Endpoint::new(Protocol::OpenAi, Operation::Embeddings),
            "",
            br#"{"model":"e","input":"hi"}"#,
        );
        assert_eq!(embeddings, PrefixKeys::default());
        assert_eq!(keys(json!([1, 2])), PrefixKeys::default());
    }
}
