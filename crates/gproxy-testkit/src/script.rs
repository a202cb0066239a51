//! What the mock answers: the scripted [`Reply`], its [`ReplyKind`] and reported [`MockUsage`],
//! plus the pure helpers that cut a reply's text or arguments into stream pieces.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// One scripted answer. Pushed replies are served in FIFO order, one per request that reaches a
/// protocol handler; when the script is empty the server falls back to its default reply.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// What the assistant "says": text, a tool call, or an error response.
    pub kind: ReplyKind,
    /// Token usage reported in the protocol's usage object.
    pub usage: MockUsage,
    /// Streams only: how many content-delta events the text (or tool arguments) is cut into.
    /// Values below 1 count as 1.
    pub chunks: usize,
    /// Streams only: pause between two consecutive stream events.
    pub chunk_delay: Duration,
    /// Streams only: abort the connection after this many content-delta events, before any
    /// finishing, usage or `[DONE]` event, so the client sees a truncated body.
    pub cut_after: Option<usize>,
    /// Delay before the response headers; overrides [`crate::MockOptions::latency`].
    pub latency: Option<Duration>,
    /// Streams only: keep the connection open this long after the last event before ending
    /// the body (an upstream slow to close; the client may hang up first).
    pub hold_open: Option<Duration>,
    /// With a [`ReplyKind::ToolCall`]: more calls made in parallel, after the first (each
    /// protocol's way: more `tool_calls` entries, `tool_use` blocks, items or parts).
    pub parallel_calls: Vec<MockCall>,
    /// OpenAI Chat and Gemini: the finish reason sent instead of the answer's own, as the
    /// protocol spells it (an upstream that stops oddly: Gemini `MALFORMED_FUNCTION_CALL`).
    pub finish_reason: Option<String>,
    /// OpenAI Responses only: a reasoning item before the answer, with this summary text and
    /// `encrypted_content` `enc_mock_<n>` (as with `store: false` and
    /// `include: ["reasoning.encrypted_content"]`).
    pub reasoning: Option<String>,
    /// Extra response headers, on any reply (`retry-after`, `x-ratelimit-remaining-*`).
    pub headers: Vec<(String, String)>,
}

/// One more tool call of a parallel-call reply.
#[derive(Clone, Debug, PartialEq)]
pub struct MockCall {
    pub id: String,
    pub name: String,
    /// The arguments object.
    pub arguments: Value,
}

/// The content of a [`Reply`].
#[derive(Clone, Debug, PartialEq)]
pub enum ReplyKind {
    /// A plain assistant message.
    Text(String),
    /// A single function/tool call; `arguments` is the JSON object passed to the tool.
    ToolCall {
        /// Call id (`call_id` / `tool_use.id`); Gemini has no call ids and ignores it.
        id: String,
        /// Function name.
        name: String,
        /// Arguments object, sent as a JSON string by the OpenAI surfaces.
        arguments: Value,
    },
    /// An HTTP error with this status, in the error shape of the protocol that was called.
    Error {
        /// HTTP status code; an invalid code is answered as 500.
        status: u16,
        /// Human-readable message placed in the error body.
        message: String,
        /// The whole JSON body instead of the protocol's shape (a provider's own error:
        /// OpenAI `insufficient_quota`, Google `QuotaFailure` details).
        body: Option<Value>,
    },
}

/// Token counts a reply reports. `Default` is all zeros; so are the counts a JSON form
/// (`{"input": 5}`, as `POST /__mock/replies` takes it) leaves out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockUsage {
    /// Prompt / input tokens (also the answer of every count-tokens endpoint).
    pub input: u64,
    /// Completion / output tokens.
    pub output: u64,
    /// Input tokens served from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache (Anthropic only).
    pub cache_write: u64,
    /// Reasoning / thinking tokens.
    pub reasoning: u64,
}

/// Usage of [`Reply::default`]; every field is distinct so tests can tell them apart.
const DEFAULT_USAGE: MockUsage = MockUsage {
    input: 11,
    output: 7,
    cache_read: 3,
    cache_write: 0,
    reasoning: 2,
};

impl Default for Reply {
    fn default() -> Self {
        Reply::text("Hello from mock!")
    }
}

impl Reply {
    fn new(kind: ReplyKind) -> Self {
        Reply {
            kind,
            usage: DEFAULT_USAGE,
            chunks: 3,
            chunk_delay: Duration::ZERO,
            cut_after: None,
            latency: None,
            hold_open: None,
            parallel_calls: Vec::new(),
            finish_reason: None,
            reasoning: None,
            headers: Vec::new(),
        }
    }

    /// A reasoning summary before the answer (OpenAI Responses only; see [`Reply::reasoning`]).
    pub fn with_reasoning(mut self, summary: impl Into<String>) -> Self {
        self.reasoning = Some(summary.into());
        self
    }

    /// Several tool calls made at once: the first as [`Reply::tool_call`], the rest in
    /// [`Reply::parallel_calls`]. Empty `calls` is the default text reply.
    pub fn tool_calls(calls: impl IntoIterator<Item = (String, String, Value)>) -> Self {
        let mut calls = calls.into_iter();
        let Some((id, name, arguments)) = calls.next() else {
            return Reply::default();
        };
        let mut reply = Reply::tool_call(id, name, arguments);
        reply.parallel_calls = calls
            .map(|(id, name, arguments)| MockCall {
                id,
                name,
                arguments,
            })
            .collect();
        reply
    }

    /// A text answer with the default usage and 3 stream chunks.
    pub fn text(text: impl Into<String>) -> Self {
        Reply::new(ReplyKind::Text(text.into()))
    }

    /// A tool call answer with the default usage and 3 stream chunks.
    pub fn tool_call(id: impl Into<String>, name: impl Into<String>, arguments: Value) -> Self {
        Reply::new(ReplyKind::ToolCall {
            id: id.into(),
            name: name.into(),
            arguments,
        })
    }

    /// An error answer: `status` with `message` in the called protocol's error shape.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Reply::new(ReplyKind::Error {
            status,
            message: message.into(),
            body: None,
        })
    }

    /// Also sends these response headers (`retry-after`, `x-ratelimit-remaining-*`, ...).
    #[must_use]
    pub fn with_headers<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.headers
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// With an error reply: this JSON body instead of the protocol's error shape.
    #[must_use]
    pub fn with_error_body(mut self, value: Value) -> Self {
        if let ReplyKind::Error { body, .. } = &mut self.kind {
            *body = Some(value);
        }
        self
    }

    /// Replaces the reported usage.
    #[must_use]
    pub fn with_usage(mut self, usage: MockUsage) -> Self {
        self.usage = usage;
        self
    }

    /// Sets how many content deltas a stream carries (minimum 1).
    #[must_use]
    pub fn with_chunks(mut self, chunks: usize) -> Self {
        self.chunks = chunks;
        self
    }

    /// Sets the pause between stream events.
    #[must_use]
    pub fn with_chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = delay;
        self
    }

    /// Aborts the stream after `deltas` content-delta events.
    #[must_use]
    pub fn cut_after(mut self, deltas: usize) -> Self {
        self.cut_after = Some(deltas);
        self
    }

    /// Sets the delay before the response headers of this reply.
    #[must_use]
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Streams only: keeps the body open for `hold` after its last event.
    pub fn hold_open(mut self, hold: Duration) -> Self {
        self.hold_open = Some(hold);
        self
    }
}

/// Splits `text` into exactly `max(n, 1)` pieces on char boundaries, as evenly as possible.
/// Pieces may be empty when the text has fewer chars than `n`; their concatenation is `text`.
pub(crate) fn split_even(text: &str, n: usize) -> Vec<String> {
    let n = n.max(1);
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    (0..n)
        .map(|i| chars[i * len / n..(i + 1) * len / n].iter().collect())
        .collect()
}

/// Seconds since the Unix epoch, for `created` fields.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A deterministic 8-dimensional embedding of `text` (FNV-1a hash spread over the dimensions),
/// so equal inputs embed equally and tests can recompute the expected vector.
pub fn mock_embedding(text: &str) -> [f32; 8] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // A byte over a power of two: every value is exact in f32 and lies in [0, 1).
    hash.to_le_bytes().map(|byte| f32::from(byte) / 256.0)
}

/// Waits `d`, and not at all when it is zero: `tokio::time::sleep(ZERO)` still waits for
/// the next timer tick (about a millisecond), which would pose as upstream latency.
pub(crate) async fn pause(d: std::time::Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_even_keeps_text_and_count() {
        assert_eq!(
            split_even("Hello from mock!", 3),
            ["Hello", " from", " mock!"]
        );
        assert_eq!(split_even("ab", 4), ["", "a", "", "b"]);
        assert_eq!(split_even("héllo", 0), ["héllo"]);
    }

    #[test]
    fn default_reply_matches_contract() {
        let reply = Reply::default();
        assert_eq!(reply.kind, ReplyKind::Text("Hello from mock!".into()));
        assert_eq!(reply.usage, DEFAULT_USAGE);
        assert_eq!(reply.chunks, 3);
        assert_eq!(reply.cut_after, None);
    }

    #[test]
    fn embedding_is_deterministic_and_input_dependent() {
        assert_eq!(mock_embedding("a"), mock_embedding("a"));
        assert_ne!(mock_embedding("a"), mock_embedding("b"));
        assert!(mock_embedding("a").iter().all(|v| (0.0..1.0).contains(v)));
    }
}
