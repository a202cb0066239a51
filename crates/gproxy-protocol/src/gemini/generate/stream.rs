//! Gemini streams (`:streamGenerateContent`, SSE with `alt=sse` or one JSON array):
//! [`Decoder`] turns the upstream's chunks into IR stream events, [`Encoder`] turns IR
//! events into chunks for a Gemini client in the framing it asked for. Pure state machines.

use super::response::{stop_from_wire, stop_to_wire, usage_from_wire, usage_to_wire};
use crate::ErrorKind;
use crate::frame::Framing;
use crate::ir::{BlockKind, Part, StopReason, StreamEvent};
use crate::translate::{TranslateError, carry};
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Gemini chunks → IR events. Text and thoughts stream in pieces; a function call arrives
/// whole, so it opens, fills and closes its block at once.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Minted call ids start with it (unique per answer: ids must not repeat across turns).
    id_prefix: String,
    started: bool,
    next_block: usize,
    text_block: Option<usize>,
    thought_block: Option<usize>,
    calls: usize,
}

impl Decoder {
    /// A decoder minting call ids `{id_prefix}{n}` for calls without one.
    pub fn new(id_prefix: impl Into<String>) -> Self {
        Decoder {
            id_prefix: id_prefix.into(),
            ..Decoder::default()
        }
    }

    fn open(&mut self, kind: BlockKind, out: &mut Vec<StreamEvent>) -> usize {
        let index = self.next_block;
        self.next_block += 1;
        out.push(StreamEvent::BlockStart { index, kind });
        index
    }

    fn close_text(&mut self, out: &mut Vec<StreamEvent>) {
        for index in [self.thought_block.take(), self.text_block.take()]
            .into_iter()
            .flatten()
        {
            out.push(StreamEvent::BlockStop { index });
        }
    }

    /// The IR events of one chunk's JSON data.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<StreamEvent>, TranslateError> {
        let chunk: Value = serde_json::from_slice(data)
            .map_err(|e| TranslateError::Invalid(format!("upstream stream chunk: {e}")))?;
        let mut out = Vec::new();
        if let Some(err) = chunk.get("error") {
            out.push(StreamEvent::Error {
                kind: ErrorKind::Api,
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("the upstream reported an error")
                    .to_owned(),
            });
            return Ok(out);
        }
        if !self.started {
            self.started = true;
            let field = |k: &str| {
                chunk
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            out.push(StreamEvent::Start {
                id: field("responseId"),
                model: field("modelVersion"),
            });
        }
        let candidate = chunk.get("candidates").and_then(|c| c.get(0));
        let parts = candidate
            .and_then(|c| c.get("content"))
            .and_then(|c| c.get("parts"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for p in parts {
            let thought = p.get("thought").and_then(Value::as_bool).unwrap_or(false);
            if let Some(text) = p
                .get("text")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                let slot = if thought {
                    self.thought_block
                } else {
                    self.text_block
                };
                let index = match slot {
                    Some(i) => i,
                    None => {
                        if !thought && let Some(t) = self.thought_block.take() {
                            out.push(StreamEvent::BlockStop { index: t });
                        }
                        let kind = if thought {
                            BlockKind::Reasoning
                        } else {
                            BlockKind::Text
                        };
                        let i = self.open(kind, &mut out);
                        if thought {
                            self.thought_block = Some(i);
                        } else {
                            self.text_block = Some(i);
                        }
                        i
                    }
                };
                out.push(StreamEvent::TextDelta {
                    index,
                    text: text.to_owned(),
                });
            } else if let Some(call) = p.get("functionCall") {
                self.close_text(&mut out);
                let id = call
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{}{}", self.id_prefix, self.calls));
                self.calls += 1;
                let name = call
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let index = self.open(BlockKind::ToolCall { id, name }, &mut out);
                let args = call
                    .get("args")
                    .filter(|a| a.is_object())
                    .map_or_else(|| "{}".to_owned(), Value::to_string);
                out.push(StreamEvent::ArgumentsDelta { index, json: args });
                if let Some(sig) = p.get("thoughtSignature").and_then(Value::as_str) {
                    out.push(StreamEvent::SignatureDelta {
                        index,
                        signature: sig.to_owned(),
                    });
                }
                out.push(StreamEvent::BlockStop { index });
            }
        }
        if let Some(u) = chunk.get("usageMetadata") {
            out.push(StreamEvent::Usage(usage_from_wire(u)));
        }
        if let Some(reason) = candidate
            .and_then(|c| c.get("finishReason"))
            .and_then(Value::as_str)
        {
            self.close_text(&mut out);
            let mut stop = stop_from_wire(reason);
            if stop == StopReason::EndTurn && self.calls > 0 {
                stop = StopReason::ToolUse;
            }
            out.push(StreamEvent::Stop(stop));
        }
        Ok(out)
    }
}

/// A tool call being assembled for a Gemini client (it gets calls whole).
#[derive(Debug, Default)]
struct PendingCall {
    id: String,
    name: String,
    args: String,
    signature: Option<String>,
}

/// IR events → Gemini chunks, SSE or one JSON array.
#[derive(Debug)]
pub struct Encoder {
    framing: Framing,
    model: String,
    id: String,
    /// JSON array: whether an element was written (the next needs a comma).
    wrote: bool,
    reasoning: Vec<usize>,
    /// The turn's reasoning blocks so far (text and Anthropic signature), sealed onto the
    /// next call that has no signature of its own ([`carry`]).
    thoughts: BTreeMap<usize, Part>,
    calls: BTreeMap<usize, PendingCall>,
    usage: crate::Usage,
    done: bool,
}

impl Encoder {
    /// `model` is the model the client named; `framing` SSE (`alt=sse`) or a JSON array.
    pub fn new(model: impl Into<String>, framing: Framing) -> Self {
        Encoder {
            framing,
            model: model.into(),
            id: String::new(),
            wrote: false,
            reasoning: Vec::new(),
            thoughts: BTreeMap::new(),
            calls: BTreeMap::new(),
            usage: crate::Usage::default(),
            done: false,
        }
    }

    fn frame(&mut self, value: &Value) -> Bytes {
        match self.framing {
            Framing::Sse => Bytes::from(format!("data: {value}\n\n")),
            Framing::JsonArray => {
                let sep = if self.wrote { ",\r\n" } else { "[" };
                self.wrote = true;
                Bytes::from(format!("{sep}{value}"))
            }
        }
    }

    fn chunk(&mut self, parts: Vec<Value>, finish: Option<&str>, usage: bool) -> Bytes {
        let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
        if let Some(f) = finish {
            candidate["finishReason"] = Value::String(f.to_owned());
        }
        let mut body = json!({"candidates": [candidate], "modelVersion": self.model});
        if !self.id.is_empty() {
            body["responseId"] = Value::String(self.id.clone());
        }
        if usage {
            body["usageMetadata"] = usage_to_wire(&self.usage);
        }
        self.frame(&body)
    }

    /// The chunks for one IR event.
    pub fn push(&mut self, event: StreamEvent) -> Vec<Bytes> {
        let mut out = Vec::new();
        if self.done {
            return out;
        }
        match event {
            StreamEvent::Start { id, .. } => self.id = id,
            StreamEvent::BlockStart { index, kind } => match kind {
                BlockKind::Reasoning => self.reasoning.push(index),
                BlockKind::Redacted { data } => {
                    self.thoughts.insert(
                        index,
                        Part::Reasoning {
                            text: String::new(),
                            signature: None,
                            redacted: Some(data),
                        },
                    );
                }
                BlockKind::ToolCall { id, name } => {
                    self.calls.insert(
                        index,
                        PendingCall {
                            id,
                            name,
                            ..PendingCall::default()
                        },
                    );
                }
                BlockKind::Text => {}
            },
            StreamEvent::TextDelta { index, text } => {
                let part = if self.reasoning.contains(&index) {
                    if let Part::Reasoning { text: acc, .. } =
                        self.thoughts.entry(index).or_insert_with(empty_thought)
                    {
                        acc.push_str(&text);
                    }
                    json!({"text": text, "thought": true})
                } else {
                    json!({"text": text})
                };
                out.push(self.chunk(vec![part], None, false));
            }
            StreamEvent::ArgumentsDelta { index, json } => {
                if let Some(c) = self.calls.get_mut(&index) {
                    c.args.push_str(&json);
                }
            }
            StreamEvent::SignatureDelta { index, signature } => {
                if let Some(c) = self.calls.get_mut(&index) {
                    c.signature = Some(signature);
                } else if self.reasoning.contains(&index)
                    && let Part::Reasoning { signature: acc, .. } =
                        self.thoughts.entry(index).or_insert_with(empty_thought)
                {
                    acc.get_or_insert_with(String::new).push_str(&signature);
                }
            }
            StreamEvent::BlockStop { index } => {
                if let Some(c) = self.calls.remove(&index) {
                    let args: Value = serde_json::from_str(&c.args)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    let mut part =
                        json!({"functionCall": {"name": c.name, "args": args, "id": c.id}});
                    // Claude's thinking rides on the first call after it (Gemini clients send
                    // a call's signature back).
                    let signature = c.signature.or_else(|| {
                        let sealed = carry::seal(self.thoughts.values());
                        if sealed.is_some() {
                            self.thoughts.clear();
                        }
                        sealed
                    });
                    if let Some(s) = signature {
                        part["thoughtSignature"] = Value::String(s);
                    }
                    out.push(self.chunk(vec![part], None, false));
                }
            }
            StreamEvent::Usage(u) => self.usage = u,
            StreamEvent::Stop(reason) => {
                // Calls still open are whole now.
                let open: Vec<usize> = self.calls.keys().copied().collect();
                for index in open {
                    out.extend(self.push(StreamEvent::BlockStop { index }));
                }
                let finish = stop_to_wire(&reason);
                out.push(self.chunk(Vec::new(), Some(finish), true));
                if self.framing == Framing::JsonArray {
                    out.push(Bytes::from_static(b"]"));
                }
                self.done = true;
            }
            StreamEvent::Error { kind, message } => {
                let status = match kind {
                    ErrorKind::RateLimit => 429,
                    ErrorKind::Overloaded => 503,
                    _ => 500,
                };
                let body =
                    crate::error::error_body(crate::Protocol::Gemini, status, kind, &message);
                let value: Value = serde_json::from_slice(&body).unwrap_or_default();
                out.push(self.frame(&value));
                if self.framing == Framing::JsonArray {
                    out.push(Bytes::from_static(b"]"));
                }
                self.done = true;
            }
        }
        out
    }

    /// Ends the client's stream: nothing after a stop; an upstream that ended without one
    /// leaves the client an error (never a silently short stream).
    pub fn finish(&mut self) -> Vec<Bytes> {
        if self.done {
            return Vec::new();
        }
        self.push(StreamEvent::Error {
            kind: ErrorKind::Api,
            message: "the upstream stream ended before the answer was complete".into(),
        })
    }
}

/// A reasoning block not yet filled in.
fn empty_thought() -> Part {
    Part::Reasoning {
        text: String::new(),
        signature: None,
        redacted: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_thoughts_text_and_whole_calls() {
        let mut d = Decoder::new("call_x_");
        let mut ev = Vec::new();
        for data in [
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"hmm","thought":true}]}}],"modelVersion":"gemini-x","responseId":"r1"}"#,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]}}]}"#,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"c2ln"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"thoughtsTokenCount":2}}"#,
        ] {
            ev.extend(d.push(data.as_bytes()).expect("decodes"));
        }
        assert_eq!(
            ev[0],
            StreamEvent::Start {
                id: "r1".into(),
                model: "gemini-x".into()
            }
        );
        assert!(ev.contains(&StreamEvent::SignatureDelta {
            index: 2,
            signature: "c2ln".into()
        }));
        assert_eq!(ev.last(), Some(&StreamEvent::Stop(StopReason::ToolUse)));
        let usage = ev.iter().find_map(|e| match e {
            StreamEvent::Usage(u) => Some(*u),
            _ => None,
        });
        assert_eq!(
            usage.map(|u| (u.input_tokens, u.output_tokens, u.reasoning_tokens)),
            Some((5, 5, 2))
        );
    }

    #[test]
    fn encodes_a_json_array_with_whole_calls() {
        let mut e = Encoder::new("gemini-x", Framing::JsonArray);
        let mut out = Vec::new();
        for ev in [
            StreamEvent::Start {
                id: "c1".into(),
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
                json: "{\"a\":".into(),
            },
            StreamEvent::ArgumentsDelta {
                index: 1,
                json: "1}".into(),
            },
            StreamEvent::Stop(StopReason::ToolUse),
        ] {
            out.extend(e.push(ev));
        }
        let text: String = out
            .iter()
            .map(|b| String::from_utf8(b.to_vec()).expect("utf8"))
            .collect();
        let v: Value = serde_json::from_str(&text).expect("one JSON array");
        let items = v.as_array().expect("array");
        assert_eq!(
            items[0]["candidates"][0]["content"]["parts"][0]["text"],
            "Hi"
        );
        assert_eq!(
            items[1]["candidates"][0]["content"]["parts"][0]["functionCall"]["args"],
            json!({"a": 1})
        );
        assert_eq!(items[2]["candidates"][0]["finishReason"], "STOP");
        assert!(items[2]["usageMetadata"].is_object());
    }
}
