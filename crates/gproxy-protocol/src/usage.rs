//! Token usage as upstreams report it, normalized across protocols.
//!
//! Normalization: `input_tokens` counts every prompt token, cached ones included (Anthropic
//! reports cache reads and writes apart from `input_tokens`, so they are added back);
//! `cache_read_tokens`/`cache_write_tokens` are subsets of it. `output_tokens` counts every
//! generated token, reasoning included (Gemini reports thoughts apart, so they are added);
//! `reasoning_tokens` is a subset of it.

use crate::{Endpoint, Protocol};
use serde::Serialize;
use serde_json::Value;

/// Normalized usage of one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
}

fn num(v: &Value, path: &[&str]) -> Option<u64> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_u64()
}

/// Reads usage from a whole (non-streamed) response body.
pub fn from_body(endpoint: Endpoint, body: &[u8]) -> Option<Usage> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let mut acc = StreamUsage::new(endpoint);
    acc.observe_value(&value);
    acc.usage()
}

/// Accumulates usage over a stream's events. Anthropic splits usage between
/// `message_start` and `message_delta`; the others repeat or finish with a cumulative total,
/// so the latest report wins field by field.
#[derive(Clone, Debug)]
pub struct StreamUsage {
    protocol: Protocol,
    /// The fields as reported so far, in the upstream's own terms.
    raw: RawUsage,
    /// Whether any event carried usage at all.
    seen: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct RawUsage {
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_write: Option<u64>,
    reasoning: Option<u64>,
}

impl RawUsage {
    fn merge(&mut self, other: RawUsage) {
        self.input = other.input.or(self.input);
        self.output = other.output.or(self.output);
        self.cache_read = other.cache_read.or(self.cache_read);
        self.cache_write = other.cache_write.or(self.cache_write);
        self.reasoning = other.reasoning.or(self.reasoning);
    }
}

impl StreamUsage {
    pub fn new(endpoint: Endpoint) -> Self {
        StreamUsage {
            protocol: endpoint.protocol,
            raw: RawUsage::default(),
            seen: false,
        }
    }

    /// Looks at one event's JSON data. Cheap for events that carry no usage: they are
    /// skipped without parsing.
    pub fn observe(&mut self, data: &[u8]) {
        if crate::peek::find(data, b"sage").is_none() {
            return;
        }
        if let Ok(value) = serde_json::from_slice::<Value>(data) {
            self.observe_value(&value);
        }
    }

    fn observe_value(&mut self, v: &Value) {
        let found = match self.protocol {
            Protocol::OpenAi => openai(v),
            Protocol::Anthropic => anthropic(v),
            Protocol::Gemini => gemini(v),
        };
        if let Some(raw) = found {
            self.raw.merge(raw);
            self.seen = true;
        }
    }

    /// Whether any event so far carried usage.
    pub fn reported(&self) -> bool {
        self.seen
    }

    /// The normalized usage so far; `None` if the upstream reported none.
    pub fn usage(&self) -> Option<Usage> {
        if !self.seen {
            return None;
        }
        let r = self.raw;
        let cache_read = r.cache_read.unwrap_or(0);
        let cache_write = r.cache_write.unwrap_or(0);
        let reasoning = r.reasoning.unwrap_or(0);
        let (input, output) = match self.protocol {
            Protocol::OpenAi => (r.input.unwrap_or(0), r.output.unwrap_or(0)),
            Protocol::Anthropic => (
                r.input.unwrap_or(0) + cache_read + cache_write,
                r.output.unwrap_or(0),
            ),
            Protocol::Gemini => (r.input.unwrap_or(0), r.output.unwrap_or(0) + reasoning),
        };
        Some(Usage {
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: cache_read,
            cache_write_tokens: cache_write,
            reasoning_tokens: reasoning,
        })
    }
}

/// Chat Completions and Embeddings (`prompt_tokens`...) and Responses (`input_tokens`...),
/// top-level or inside a Responses stream event's `response`.
fn openai(v: &Value) -> Option<RawUsage> {
    let u = match v.get("usage").filter(|u| u.is_object()) {
        Some(u) => u,
        None => v.get("response")?.get("usage").filter(|u| u.is_object())?,
    };
    Some(RawUsage {
        input: num(u, &["prompt_tokens"]).or(num(u, &["input_tokens"])),
        output: num(u, &["completion_tokens"]).or(num(u, &["output_tokens"])),
        cache_read: num(u, &["prompt_tokens_details", "cached_tokens"])
            .or(num(u, &["input_tokens_details", "cached_tokens"]))
            .or(num(u, &["prompt_cache_hit_tokens"])),
        cache_write: None,
        reasoning: num(u, &["completion_tokens_details", "reasoning_tokens"])
            .or(num(u, &["output_tokens_details", "reasoning_tokens"])),
    })
}

/// Messages bodies, `message_start` (`message.usage`) and `message_delta` (`usage`).
fn anthropic(v: &Value) -> Option<RawUsage> {
    let u = match v.get("usage").filter(|u| u.is_object()) {
        Some(u) => u,
        None => v.get("message")?.get("usage").filter(|u| u.is_object())?,
    };
    Some(RawUsage {
        input: num(u, &["input_tokens"]),
        output: num(u, &["output_tokens"]),
        cache_read: num(u, &["cache_read_input_tokens"]),
        cache_write: num(u, &["cache_creation_input_tokens"]),
        reasoning: None,
    })
}

/// `usageMetadata` of a GenerateContentResponse (each stream chunk repeats the running total).
fn gemini(v: &Value) -> Option<RawUsage> {
    let u = v.get("usageMetadata").filter(|u| u.is_object())?;
    Some(RawUsage {
        input: num(u, &["promptTokenCount"]),
        output: num(u, &["candidatesTokenCount"]),
        cache_read: num(u, &["cachedContentTokenCount"]),
        cache_write: None,
        reasoning: num(u, &["thoughtsTokenCount"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Operation;

    const CHAT: Endpoint = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
    const MESSAGES: Endpoint = Endpoint::new(Protocol::Anthropic, Operation::Messages);
    const GEMINI: Endpoint = Endpoint::new(Protocol::Gemini, Operation::GenerateContent);

    #[test]
    fn openai_chat_body() {
        let body = br#"{"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,
            "prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}"#;
        let u = from_body(CHAT, body).expect("usage");
        assert_eq!(
            u,
            Usage {
                input_tokens: 11,
                output_tokens: 7,
                cache_read_tokens: 3,
                cache_write_tokens: 0,
                reasoning_tokens: 2
            }
        );
    }

    #[test]
    fn responses_stream_completed_event() {
        let ep = Endpoint::new(Protocol::OpenAi, Operation::Responses);
        let mut acc = StreamUsage::new(ep);
        acc.observe(br#"{"type":"response.output_text.delta","delta":"hi"}"#);
        assert_eq!(acc.usage(), None);
        acc.observe(br#"{"type":"response.completed","response":{"usage":{"input_tokens":5,"output_tokens":9,"input_tokens_details":{"cached_tokens":1},"output_tokens_details":{"reasoning_tokens":4}}}}"#);
        let u = acc.usage().expect("usage");
        assert_eq!(
            (
                u.input_tokens,
                u.output_tokens,
                u.cache_read_tokens,
                u.reasoning_tokens
            ),
            (5, 9, 1, 4)
        );
    }

    #[test]
    fn openai_null_usage_chunks_are_ignored() {
        let mut acc = StreamUsage::new(CHAT);
        acc.observe(br#"{"choices":[{"delta":{"content":"x"}}],"usage":null}"#);
        assert_eq!(acc.usage(), None);
    }

    #[test]
    fn anthropic_stream_merges_start_and_delta() {
        let mut acc = StreamUsage::new(MESSAGES);
        acc.observe(br#"{"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1,"cache_read_input_tokens":4,"cache_creation_input_tokens":2}}}"#);
        acc.observe(
            br#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"usage"}}"#,
        );
        acc.observe(br#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}"#);
        let u = acc.usage().expect("usage");
        assert_eq!(
            u.input_tokens, 16,
            "cache reads and writes are added to input"
        );
        assert_eq!(u.output_tokens, 42);
        assert_eq!((u.cache_read_tokens, u.cache_write_tokens), (4, 2));
    }

    #[test]
    fn gemini_adds_thoughts_to_output() {
        let body = br#"{"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":5,"thoughtsTokenCount":3,"cachedContentTokenCount":2}}"#;
        let u = from_body(GEMINI, body).expect("usage");
        assert_eq!(
            (
                u.input_tokens,
                u.output_tokens,
                u.reasoning_tokens,
                u.cache_read_tokens
            ),
            (8, 8, 3, 2)
        );
    }

    #[test]
    fn no_usage_is_none() {
        assert_eq!(from_body(CHAT, br#"{"choices":[]}"#), None);
        assert_eq!(from_body(CHAT, b"not json"), None);
    }
}
