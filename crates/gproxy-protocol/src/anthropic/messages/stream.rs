//! Anthropic Messages streams: [`Decoder`] turns an upstream's SSE events into IR stream
//! events; [`Encoder`] turns IR stream events into the exact sequence Anthropic's SDKs
//! expect (`message_start` with usage, `content_block_*`, `message_delta`, `message_stop`,
//! each with its `event:` line). Both are pure state machines.

use super::response::{Usage, message_id, stop_from_wire, stop_to_wire};
use crate::ErrorKind;
use crate::ir::{BlockKind, StopReason, StreamEvent};
use crate::translate::TranslateError;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Upstream SSE event data, as far as translation reads it.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireEvent {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: Value,
    },
    ContentBlockDelta {
        index: usize,
        delta: Value,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        #[serde(default)]
        delta: Value,
        #[serde(default)]
        usage: Option<Value>,
    },
    MessageStop,
    Ping,
    Error {
        error: Value,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    usage: Usage,
}

/// Anthropic SSE → IR events.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Usage so far, in Anthropic's terms (`message_delta` updates `message_start`'s).
    usage: Usage,
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

impl Decoder {
    pub fn new() -> Self {
        Decoder::default()
    }

    /// The IR events of one SSE event's JSON data.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<StreamEvent>, TranslateError> {
        let event: WireEvent = serde_json::from_slice(data)
            .map_err(|e| TranslateError::Invalid(format!("upstream stream event: {e}")))?;
        Ok(match event {
            WireEvent::MessageStart { message } => {
                self.usage = message.usage;
                vec![
                    StreamEvent::Start {
                        id: message.id,
                        model: message.model,
                    },
                    StreamEvent::Usage(crate::Usage::from(&self.usage)),
                ]
            }
            WireEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                let (kind, text) = match str_of(&content_block, "type") {
                    "tool_use" | "server_tool_use" => (
                        BlockKind::ToolCall {
                            id: str_of(&content_block, "id").to_owned(),
                            name: str_of(&content_block, "name").to_owned(),
                        },
                        "",
                    ),
                    "thinking" => (BlockKind::Reasoning, str_of(&content_block, "thinking")),
                    "redacted_thinking" => (
                        BlockKind::Redacted {
                            data: str_of(&content_block, "data").to_owned(),
                        },
                        "",
                    ),
                    _ => (BlockKind::Text, str_of(&content_block, "text")),
                };
                let mut out = vec![StreamEvent::BlockStart { index, kind }];
                if !text.is_empty() {
                    out.push(StreamEvent::TextDelta {
                        index,
                        text: text.to_owned(),
                    });
                }
                out
            }
            WireEvent::ContentBlockDelta { index, delta } => match str_of(&delta, "type") {
                "text_delta" => vec![StreamEvent::TextDelta {
                    index,
                    text: str_of(&delta, "text").to_owned(),
                }],
                "thinking_delta" => vec![StreamEvent::TextDelta {
                    index,
                    text: str_of(&delta, "thinking").to_owned(),
                }],
                "input_json_delta" => {
                    let piece = str_of(&delta, "partial_json");
                    if piece.is_empty() {
                        Vec::new()
                    } else {
                        vec![StreamEvent::ArgumentsDelta {
                            index,
                            json: piece.to_owned(),
                        }]
                    }
                }
                "signature_delta" => vec![StreamEvent::SignatureDelta {
                    index,
                    signature: str_of(&delta, "signature").to_owned(),
                }],
                _ => Vec::new(),
            },
            WireEvent::ContentBlockStop { index } => vec![StreamEvent::BlockStop { index }],
            WireEvent::MessageDelta { delta, usage } => {
                let mut out = Vec::new();
                if let Some(u) = usage {
                    let num = |k: &str| u.get(k).and_then(Value::as_u64);
                    if let Some(n) = num("output_tokens") {
                        self.usage.output_tokens = n;
                    }
                    if let Some(n) = num("input_tokens") {
                        self.usage.input_tokens = n;
                    }
                    if let Some(n) = num("cache_read_input_tokens") {
                        self.usage.cache_read_input_tokens = n;
                    }
                    if let Some(n) = num("cache_creation_input_tokens") {
                        self.usage.cache_creation_input_tokens = n;
                    }
                    out.push(StreamEvent::Usage(crate::Usage::from(&self.usage)));
                }
                if let Some(reason) = delta.get("stop_reason").and_then(Value::as_str) {
                    out.push(StreamEvent::Stop(stop_from_wire(
                        Some(reason),
                        delta.get("stop_sequence").and_then(Value::as_str),
                    )));
                }
                out
            }
            WireEvent::MessageStop | WireEvent::Ping | WireEvent::Unknown => Vec::new(),
            WireEvent::Error { error } => vec![StreamEvent::Error {
                kind: match str_of(&error, "type") {
                    "overloaded_error" => ErrorKind::Overloaded,
                    "rate_limit_error" => ErrorKind::RateLimit,
                    "invalid_request_error" => ErrorKind::InvalidRequest,
                    _ => ErrorKind::Api,
                },
                message: str_of(&error, "message").to_owned(),
            }],
        })
    }
}

/// What the encoder knows of a block it opened.
#[derive(Debug)]
struct OpenBlock {
    /// The block's index in the client's stream.
    index: usize,
    reasoning: bool,
}

/// IR events → Anthropic SSE events.
#[derive(Debug)]
pub struct Encoder {
    model: String,
    /// Input tokens for `message_start` when the upstream reports usage only at the end
    /// (an estimate from the request).
    input_estimate: u64,
    started: bool,
    /// Upstream block index → the block opened for it.
    open: BTreeMap<usize, OpenBlock>,
    /// Blocks opened so far (the next client index).
    opened: usize,
    saw_tool_call: bool,
    usage: crate::Usage,
    usage_seen: bool,
    /// `message_stop` or `error` was sent: nothing follows.
    done: bool,
}

/// One SSE event with its `event:` line, as the Anthropic SDK requires.
fn frame(kind: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
}

impl Encoder {
    /// `model` is the name the client asked for; `input_estimate` the input tokens to show
    /// in `message_start` if the upstream has reported none by then.
    pub fn new(model: impl Into<String>, input_estimate: u64) -> Self {
        Encoder {
            model: model.into(),
            input_estimate,
            started: false,
            open: BTreeMap::new(),
            opened: 0,
            saw_tool_call: false,
            usage: crate::Usage::default(),
            usage_seen: false,
            done: false,
        }
    }

    fn start(&mut self, id: &str, out: &mut Vec<Bytes>) {
        if self.started {
            return;
        }
        self.started = true;
        let mut usage = Usage::from(&self.usage);
        if !self.usage_seen || usage.input_tokens == 0 {
            usage.input_tokens = usage.input_tokens.max(self.input_estimate);
        }
        let id = if id.is_empty() {
            "msg_gproxy".to_owned()
        } else {
            message_id(id)
        };
        out.push(frame(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "model": self.model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens.max(1),
                          "cache_creation_input_tokens": usage.cache_creation_input_tokens,
                          "cache_read_input_tokens": usage.cache_read_input_tokens}}}),
        ));
    }

    fn close_all(&mut self, out: &mut Vec<Bytes>) {
        for (_, block) in std::mem::take(&mut self.open) {
            out.push(frame(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": block.index}),
            ));
        }
    }

    /// The SSE events for one IR event.
    pub fn push(&mut self, event: StreamEvent) -> Vec<Bytes> {
        let mut out = Vec::new();
        if self.done {
            return out;
        }
        match event {
            StreamEvent::Start { id, .. } => self.start(&id, &mut out),
            StreamEvent::Usage(u) => {
                self.usage = u;
                self.usage_seen = true;
            }
            StreamEvent::BlockStart { index, kind } => {
                self.start("", &mut out);
                let client_index = self.opened;
                self.opened += 1;
                let (block, reasoning) = match kind {
                    BlockKind::Text => (json!({"type": "text", "text": ""}), false),
                    BlockKind::ToolCall { id, name } => {
                        self.saw_tool_call = true;
                        (
                            json!({"type": "tool_use", "id": super::content::tool_id(&id), "name": name, "input": {}}),
                            false,
                        )
                    }
                    BlockKind::Reasoning => (
                        json!({"type": "thinking", "thinking": "", "signature": ""}),
                        true,
                    ),
                    BlockKind::Redacted { data } => {
                        (json!({"type": "redacted_thinking", "data": data}), false)
                    }
                };
                // A block index reused without a stop: the old one is over.
                if let Some(old) = self.open.insert(
                    index,
                    OpenBlock {
                        index: client_index,
                        reasoning,
                    },
                ) {
                    out.push(frame(
                        "content_block_stop",
                        &json!({"type": "content_block_stop", "index": old.index}),
                    ));
                }
                out.push(frame(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": client_index, "content_block": block}),
                ));
            }
            StreamEvent::TextDelta { index, text } => {
                if let Some(b) = self.open.get(&index) {
                    let delta = if b.reasoning {
                        json!({"type": "thinking_delta", "thinking": text})
                    } else {
                        json!({"type": "text_delta", "text": text})
                    };
                    out.push(frame(
                        "content_block_delta",
                        &json!({"type": "content_block_delta", "index": b.index, "delta": delta}),
                    ));
                }
            }
            StreamEvent::ArgumentsDelta { index, json: piece } => {
                if let Some(b) = self.open.get(&index) {
                    out.push(frame(
                        "content_block_delta",
                        &json!({"type": "content_block_delta", "index": b.index,
                                "delta": {"type": "input_json_delta", "partial_json": piece}}),
                    ));
                }
            }
            StreamEvent::SignatureDelta { index, signature } => {
                // Only thinking blocks carry Anthropic signatures (a Gemini call's
                // signature has no place here).
                if let Some(b) = self.open.get(&index).filter(|b| b.reasoning) {
                    out.push(frame(
                        "content_block_delta",
                        &json!({"type": "content_block_delta", "index": b.index,
                                "delta": {"type": "signature_delta", "signature": signature}}),
                    ));
                }
            }
            StreamEvent::BlockStop { index } => {
                if let Some(b) = self.open.remove(&index) {
                    out.push(frame(
                        "content_block_stop",
                        &json!({"type": "content_block_stop", "index": b.index}),
                    ));
                }
            }
            StreamEvent::Stop(reason) => self.stop(&reason, &mut out),
            StreamEvent::Error { kind, message } => {
                self.close_all(&mut out);
                out.push(Bytes::from(crate::error::stream_error_event(
                    crate::Protocol::Anthropic,
                    kind,
                    &message,
                )));
                self.done = true;
            }
        }
        out
    }

    fn stop(&mut self, reason: &StopReason, out: &mut Vec<Bytes>) {
        self.start("", out);
        self.close_all(out);
        let (stop_reason, stop_sequence) = stop_to_wire(reason, self.saw_tool_call);
        let usage = Usage::from(&self.usage);
        let input = if self.usage_seen {
            usage.input_tokens
        } else {
            self.input_estimate
        };
        out.push(frame(
            "message_delta",
            &json!({"type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
                    "usage": {"input_tokens": input,
                              "output_tokens": usage.output_tokens,
                              "cache_creation_input_tokens": usage.cache_creation_input_tokens,
                              "cache_read_input_tokens": usage.cache_read_input_tokens}}),
        ));
        out.push(frame("message_stop", &json!({"type": "message_stop"})));
        self.done = true;
    }

    /// Ends the client's stream when the upstream's is over: after a `Stop` nothing; an
    /// upstream that ended without one cut the answer short, which the client learns as
    /// an error event (never a silently short stream).
    pub fn finish(&mut self) -> Vec<Bytes> {
        let mut out = Vec::new();
        if !self.done {
            self.push_error(&mut out, crate::ir::CUT_SHORT);
        }
        out
    }

    fn push_error(&mut self, out: &mut Vec<Bytes>, message: &str) {
        out.extend(self.push(StreamEvent::Error {
            kind: ErrorKind::Api,
            message: message.to_owned(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(frames: &[Bytes]) -> Vec<(String, Value)> {
        frames
            .iter()
            .map(|f| {
                let text = std::str::from_utf8(f).expect("utf8");
                let kind = text
                    .lines()
                    .find_map(|l| l.strip_prefix("event: "))
                    .expect("event line");
                let data = text
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("data line");
                assert!(text.ends_with("\n\n"), "whole event");
                (kind.to_owned(), serde_json::from_str(data).expect("json"))
            })
            .collect()
    }

    #[test]
    fn decodes_a_tool_use_stream() {
        let mut d = Decoder::new();
        let mut all = Vec::new();
        for data in [
            r#"{"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"get","input":{}}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":7}}"#,
            r#"{"type":"message_stop"}"#,
        ] {
            all.extend(d.push(data.as_bytes()).expect("decodes"));
        }
        assert_eq!(
            all[0],
            StreamEvent::Start {
                id: "msg_1".into(),
                model: "claude".into()
            }
        );
        assert!(all.contains(&StreamEvent::ArgumentsDelta {
            index: 0,
            json: "{\"a\":".into()
        }));
        assert_eq!(all.last(), Some(&StreamEvent::Stop(StopReason::ToolUse)));
        let usage = all
            .iter()
            .rev()
            .find_map(|e| match e {
                StreamEvent::Usage(u) => Some(*u),
                _ => None,
            })
            .expect("usage");
        assert_eq!(
            (
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens
            ),
            (15, 7, 5)
        );
    }

    #[test]
    fn encodes_the_exact_event_sequence() {
        let mut e = Encoder::new("claude-x", 42);
        let mut frames = Vec::new();
        for ev in [
            StreamEvent::Start {
                id: "chatcmpl-1".into(),
                model: "gpt".into(),
            },
            StreamEvent::BlockStart {
                index: 0,
                kind: BlockKind::Text,
            },
            StreamEvent::TextDelta {
                index: 0,
                text: "Hi".into(),
            },
            StreamEvent::BlockStart {
                index: 1,
                kind: BlockKind::ToolCall {
                    id: "call_1".into(),
                    name: "f".into(),
                },
            },
            StreamEvent::ArgumentsDelta {
                index: 1,
                json: "{}".into(),
            },
            StreamEvent::Usage(crate::Usage {
                input_tokens: 30,
                output_tokens: 9,
                cache_read_tokens: 10,
                ..Default::default()
            }),
            StreamEvent::Stop(StopReason::EndTurn),
        ] {
            frames.extend(e.push(ev));
        }
        frames.extend(e.finish());
        let evs = events(&frames);
        let kinds: Vec<&str> = evs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        for (kind, data) in &evs {
            assert_eq!(data["type"], kind.as_str(), "event line equals data.type");
        }
        assert_eq!(evs[0].1["message"]["model"], "claude-x");
        assert_eq!(evs[0].1["message"]["id"], "msg_chatcmpl-1");
        assert_eq!(evs[0].1["message"]["usage"]["input_tokens"], 42, "estimate");
        assert_eq!(evs[3].1["content_block"]["id"], "call_1");
        assert_eq!(evs[3].1["index"], 1);
        let delta = &evs[7].1;
        assert_eq!(
            delta["delta"]["stop_reason"], "tool_use",
            "a pending call wins"
        );
        assert_eq!(delta["usage"]["output_tokens"], 9);
        assert_eq!(delta["usage"]["input_tokens"], 20, "cache reads apart");
        assert_eq!(delta["usage"]["cache_read_input_tokens"], 10);
    }

    #[test]
    fn an_upstream_that_stops_early_ends_in_an_error_event() {
        let mut e = Encoder::new("m", 0);
        let mut frames = e.push(StreamEvent::BlockStart {
            index: 0,
            kind: BlockKind::Text,
        });
        frames.extend(e.finish());
        let evs = events(&frames);
        let kinds: Vec<&str> = evs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "message_start",
                "content_block_start",
                "content_block_stop",
                "error"
            ]
        );
        assert!(e.finish().is_empty(), "nothing after the end");
    }
}
