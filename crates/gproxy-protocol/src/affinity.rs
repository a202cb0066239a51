//! Prompt-prefix keys for cache affinity: cumulative hashes of a generation request's
//! prefix (model, instructions, tools, then the conversation turn by turn), read from the
//! raw JSON without building a value tree. A call whose conversation extends one served
//! before shares that call's key, so it can go to the credential whose prompt cache holds
//! the prefix.

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
        h.write(m.get().as_bytes());
    }
    let head = [f.system, f.instructions, f.system_instruction, f.tools];
    let mut head_bytes = 0;
    for part in head.into_iter().flatten() {
        h.write(part.get().as_bytes());
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
        h.write(turn.get().as_bytes());
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
    PrefixKeys { lookup, remember }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        assert!(next.lookup.contains(&first.remember[0]));
        assert_eq!(next.lookup[0], next.remember[0], "longest first");
        let other = keys(json!({"model": "m", "system": "s", "messages": [
            {"role": "user", "content": "unrelated"}]}));
        assert!(!other.lookup.contains(&first.remember[0]));
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
