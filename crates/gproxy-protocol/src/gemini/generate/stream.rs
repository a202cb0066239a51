//! Gemini streams (`:streamGenerateContent`, SSE with `alt=sse` or one JSON array):
//! [`Decoder`] turns the upstream's chunks into IR stream events, [`Encoder`] turns IR
//! events into chunks for a Gemini client in the framing it asked for. Pure state machines.

use super::parts::{self, Content, FunctionCall};
use super::response::{
    Candidate, GenerateContentResponse, UsageMetadata, stop_from_wire, stop_to_wire,
};
use crate::ErrorKind;
use crate::frame::Framing;
use crate::ir::{BlockKind, Part, StopReason, StreamEvent};
use crate::translate::{TranslateError, carry};
use bytes::Bytes;
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
        let chunk: GenerateContentResponse = serde_json::from_slice(data)
            .map_err(|e| TranslateError::Invalid(format!("upstream stream chunk: {e}")))?;
        let mut out = Vec::new();
        if let Some(err) = chunk.error {
            out.push(StreamEvent::Error {
                kind: ErrorKind::Api,
                message: err
                    .message
                    .unwrap_or_else(|| "the upstream reported an error".to_owned()),
            });
            return Ok(out);
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: chunk.response_id,
                model: chunk.model_version,
            });
        }
        let candidate = chunk.candidates.into_iter().next().unwrap_or_default();
        for p in candidate.content.parts {
            if let Some(text) = p.text.filter(|t| !t.is_empty()) {
                let thought = p.thought;
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
                out.push(StreamEvent::TextDelta { index, text });
            } else if let Some(call) = p.function_call {
                self.close_text(&mut out);
                let id = call
                    .id
                    .unwrap_or_else(|| format!("{}{}", self.id_prefix, self.calls));
                self.calls += 1;
                let json = parts::arguments_of(call.args.as_deref());
                let index = self.open(
                    BlockKind::ToolCall {
                        id,
                        name: call.name,
                    },
                    &mut out,
                );
                out.push(StreamEvent::ArgumentsDelta { index, json });
                if let Some(signature) = p.thought_signature {
                    out.push(StreamEvent::SignatureDelta { index, signature });
                }
                out.push(StreamEvent::BlockStop { index });
            }
        }
        if let Some(u) = &chunk.usage_metadata {
            out.push(StreamEvent::Usage(crate::Usage::from(u)));
        }
        if let Some(reason) = candidate.finish_reason {
            self.close_text(&mut out);
            let mut stop = stop_from_wire(&reason);
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

    /// One element of the stream, already JSON.
    fn frame(&mut self, json: &[u8]) -> Bytes {
        let (head, tail): (&[u8], &[u8]) = match self.framing {
            Framing::Sse => (b"data: ", b"\n\n"),
            Framing::JsonArray => {
                let sep: &[u8] = if self.wrote { b",\r\n" } else { b"[" };
                self.wrote = true;
                (sep, b"")
            }
        };
        let mut out = Vec::with_capacity(head.len() + json.len() + tail.len());
        out.extend_from_slice(head);
        out.extend_from_slice(json);
        out.extend_from_slice(tail);
        Bytes::from(out)
    }

    fn chunk(&mut self, parts: Vec<parts::Part>, finish: Option<&str>, usage: bool) -> Bytes {
        let body = GenerateContentResponse {
            candidates: vec![Candidate {
                content: Content {
                    role: Some("model".to_owned()),
                    parts,
                },
                finish_reason: finish.map(str::to_owned),
                index: 0,
            }],
            prompt_feedback: None,
            usage_metadata: usage.then(|| UsageMetadata::from(&self.usage)),
            model_version: self.model.clone(),
            response_id: self.id.clone(),
            error: None,
        };
        // Typed structs with string keys always serialize.
        let json = serde_json::to_vec(&body).unwrap_or_default();
        self.frame(&json)
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
                    parts::Part::thought(text)
                } else {
                    parts::Part::text(text)
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
                    let mut part = parts::Part {
                        function_call: Some(FunctionCall {
                            name: c.name,
                            args: parts::args_of(&c.args),
                            id: Some(c.id),
                        }),
                        ..parts::Part::default()
                    };
                    // Claude's thinking rides on the first call after it (Gemini clients send
                    // a call's signature back).
                    let signature = c.signature.or_else(|| {
                        let sealed = carry::seal(self.thoughts.values());
                        if sealed.is_some() {
                            self.thoughts.clear();
                        }
                        sealed
                    });
                    part.thought_signature = signature;
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
                let body = crate::error::stream_error_body(crate::Protocol::Gemini, kind, &message);
                out.push(self.frame(&body));
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
        self.push(StreamEvent::cut_short())
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
    use serde_json::{Value, json};

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
