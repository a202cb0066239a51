//! IR stream events → the Responses event sequence: `response.created`,
//! `response.in_progress`, per output item `output_item.added` … deltas … `output_item.done`
//! (with `content_part.*` for messages and `reasoning_summary_*` for reasoning), and a
//! `response.completed` (or `incomplete`) whose `output` holds every item, tool calls
//! included. Each event has its `event:` line and a `sequence_number`. A pure state machine.

use super::response::{
    call_item, message_item, reasoning_item, response_id, response_object, status_of, usage_to_wire,
};
use crate::ErrorKind;
use crate::ir::{BlockKind, Part, StreamEvent};
use crate::translate::carry;
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug)]
enum Open {
    Text {
        text: String,
    },
    Reasoning {
        text: String,
        /// Anthropic's signature of the thinking (or a redacted block's data), sealed into
        /// the item when it closes.
        signature: Option<String>,
        redacted: Option<String>,
    },
    Call {
        call_id: String,
        name: String,
        args: String,
    },
}

#[derive(Debug)]
struct OpenItem {
    output_index: usize,
    item_id: String,
    kind: Open,
}

/// IR events → Responses events.
#[derive(Debug)]
pub struct Encoder {
    id: String,
    model: String,
    created: u64,
    sequence: u64,
    started: bool,
    next_output: usize,
    /// IR block → the output item it fills.
    open: BTreeMap<usize, OpenItem>,
    /// Finished items by output index.
    items: BTreeMap<usize, Value>,
    usage: crate::Usage,
    done: bool,
}

impl Encoder {
    pub fn new(model: impl Into<String>, created: u64) -> Self {
        Encoder {
            id: response_id(""),
            model: model.into(),
            created,
            sequence: 0,
            started: false,
            next_output: 0,
            open: BTreeMap::new(),
            items: BTreeMap::new(),
            usage: crate::Usage::default(),
            done: false,
        }
    }

    fn event(&mut self, kind: &str, mut data: Value) -> Bytes {
        data["type"] = Value::String(kind.to_owned());
        data["sequence_number"] = Value::from(self.sequence);
        self.sequence += 1;
        Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
    }

    fn object(&self, status: &str, with_output: bool, incomplete: Value) -> Value {
        let output = if with_output {
            self.items.values().cloned().collect()
        } else {
            Vec::new()
        };
        let usage = with_output.then(|| usage_to_wire(&self.usage));
        response_object(
            &self.id,
            &self.model,
            self.created,
            status,
            output,
            usage,
            incomplete,
        )
    }

    fn start(&mut self, out: &mut Vec<Bytes>) {
        if self.started {
            return;
        }
        self.started = true;
        let response = self.object("in_progress", false, Value::Null);
        out.push(self.event("response.created", json!({"response": response})));
        let response = self.object("in_progress", false, Value::Null);
        out.push(self.event("response.in_progress", json!({"response": response})));
    }

    fn close(&mut self, block: usize, out: &mut Vec<Bytes>) {
        let Some(item) = self.open.remove(&block) else {
            return;
        };
        let (idx, id) = (item.output_index, item.item_id);
        let done = match item.kind {
            Open::Text { text } => {
                out.push(self.event(
                    "response.output_text.done",
                    json!({"item_id": id, "output_index": idx, "content_index": 0, "text": text, "logprobs": []}),
                ));
                out.push(self.event(
                    "response.content_part.done",
                    json!({"item_id": id, "output_index": idx, "content_index": 0,
                           "part": {"type": "output_text", "text": text, "annotations": [], "logprobs": []}}),
                ));
                message_item(&id, &text, "completed")
            }
            Open::Reasoning {
                text,
                signature,
                redacted,
            } => {
                out.push(self.event(
                    "response.reasoning_summary_text.done",
                    json!({"item_id": id, "output_index": idx, "summary_index": 0, "text": text}),
                ));
                out.push(self.event(
                    "response.reasoning_summary_part.done",
                    json!({"item_id": id, "output_index": idx, "summary_index": 0,
                           "part": {"type": "summary_text", "text": text}}),
                ));
                let sealed = carry::seal(&[Part::Reasoning {
                    text: text.clone(),
                    signature,
                    redacted,
                }]);
                reasoning_item(&id, &text, sealed)
            }
            Open::Call {
                call_id,
                name,
                args,
            } => {
                let args = if args.trim().is_empty() {
                    "{}".to_owned()
                } else {
                    args
                };
                out.push(self.event(
                    "response.function_call_arguments.done",
                    json!({"item_id": id, "output_index": idx, "name": name, "arguments": args}),
                ));
                call_item(&id, &call_id, &name, &args, "completed")
            }
        };
        out.push(self.event(
            "response.output_item.done",
            json!({"output_index": idx, "item": done}),
        ));
        self.items.insert(idx, done);
    }

    /// The events for one IR event.
    pub fn push(&mut self, event: StreamEvent) -> Vec<Bytes> {
        let mut out = Vec::new();
        if self.done {
            return out;
        }
        match event {
            StreamEvent::Start { id, .. } => {
                self.id = response_id(&id);
                self.start(&mut out);
            }
            StreamEvent::BlockStart { index, kind } => {
                self.start(&mut out);
                let idx = self.next_output;
                self.next_output += 1;
                let (item_id, item, kind) = match kind {
                    BlockKind::Text => {
                        let id = format!("msg_{idx}");
                        let item = json!({"type": "message", "id": id, "status": "in_progress",
                                          "role": "assistant", "content": []});
                        (
                            id,
                            item,
                            Open::Text {
                                text: String::new(),
                            },
                        )
                    }
                    BlockKind::Reasoning | BlockKind::Redacted { .. } => {
                        let id = format!("rs_{idx}");
                        let item = reasoning_item(&id, "", None);
                        let redacted = match kind {
                            BlockKind::Redacted { data } => Some(data),
                            _ => None,
                        };
                        (
                            id,
                            item,
                            Open::Reasoning {
                                text: String::new(),
                                signature: None,
                                redacted,
                            },
                        )
                    }
                    BlockKind::ToolCall { id: call_id, name } => {
                        let id = format!("fc_{idx}");
                        let item = call_item(&id, &call_id, &name, "", "in_progress");
                        (
                            id,
                            item,
                            Open::Call {
                                call_id,
                                name,
                                args: String::new(),
                            },
                        )
                    }
                };
                out.push(self.event(
                    "response.output_item.added",
                    json!({"output_index": idx, "item": item}),
                ));
                match &kind {
                    Open::Text { .. } => out.push(self.event(
                        "response.content_part.added",
                        json!({"item_id": item_id, "output_index": idx, "content_index": 0,
                               "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []}}),
                    )),
                    Open::Reasoning { .. } => out.push(self.event(
                        "response.reasoning_summary_part.added",
                        json!({"item_id": item_id, "output_index": idx, "summary_index": 0,
                               "part": {"type": "summary_text", "text": ""}}),
                    )),
                    Open::Call { .. } => {}
                }
                self.open.insert(
                    index,
                    OpenItem {
                        output_index: idx,
                        item_id,
                        kind,
                    },
                );
            }
            StreamEvent::TextDelta { index, text } => {
                let Some(item) = self.open.get_mut(&index) else {
                    return out;
                };
                let (idx, id) = (item.output_index, item.item_id.clone());
                match &mut item.kind {
                    Open::Text { text: acc } => {
                        acc.push_str(&text);
                        out.push(self.event(
                            "response.output_text.delta",
                            json!({"item_id": id, "output_index": idx, "content_index": 0,
                                   "delta": text, "logprobs": []}),
                        ));
                    }
                    Open::Reasoning { text: acc, .. } => {
                        acc.push_str(&text);
                        out.push(self.event(
                            "response.reasoning_summary_text.delta",
                            json!({"item_id": id, "output_index": idx, "summary_index": 0, "delta": text}),
                        ));
                    }
                    Open::Call { .. } => {}
                }
            }
            StreamEvent::ArgumentsDelta { index, json: piece } => {
                let Some(item) = self.open.get_mut(&index) else {
                    return out;
                };
                let (idx, id) = (item.output_index, item.item_id.clone());
                if let Open::Call { args, .. } = &mut item.kind {
                    args.push_str(&piece);
                    out.push(self.event(
                        "response.function_call_arguments.delta",
                        json!({"item_id": id, "output_index": idx, "delta": piece}),
                    ));
                }
            }
            StreamEvent::SignatureDelta { index, signature } => {
                if let Some(OpenItem {
                    kind: Open::Reasoning { signature: acc, .. },
                    ..
                }) = self.open.get_mut(&index)
                {
                    acc.get_or_insert_with(String::new).push_str(&signature);
                }
            }
            StreamEvent::BlockStop { index } => self.close(index, &mut out),
            StreamEvent::Usage(u) => self.usage = u,
            StreamEvent::Stop(reason) => {
                self.start(&mut out);
                let open: Vec<usize> = self.open.keys().copied().collect();
                for block in open {
                    self.close(block, &mut out);
                }
                let (status, incomplete) = status_of(&reason);
                let kind = if status == "completed" {
                    "response.completed"
                } else {
                    "response.incomplete"
                };
                let response = self.object(status, true, incomplete);
                out.push(self.event(kind, json!({"response": response})));
                self.done = true;
            }
            StreamEvent::Error { kind, message } => {
                self.start(&mut out);
                let mut response = self.object("failed", true, Value::Null);
                let code = match kind {
                    ErrorKind::RateLimit => "rate_limit_exceeded",
                    _ => "server_error",
                };
                response["error"] = json!({"code": code, "message": message});
                out.push(self.event("response.failed", json!({"response": response})));
                self.done = true;
            }
        }
        out
    }

    /// Ends the client's stream: nothing after the end; an upstream that ended without one
    /// leaves the client a `response.failed`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::StopReason;

    #[test]
    fn the_completed_response_holds_every_item() {
        let mut e = Encoder::new("claude-x", 9);
        let mut frames = Vec::new();
        for ev in [
            StreamEvent::Start {
                id: "msg_1".into(),
                model: "claude".into(),
            },
            StreamEvent::BlockStart {
                index: 0,
                kind: BlockKind::Text,
            },
            StreamEvent::TextDelta {
                index: 0,
                text: "Hi".into(),
            },
            StreamEvent::BlockStop { index: 0 },
            StreamEvent::BlockStart {
                index: 1,
                kind: BlockKind::ToolCall {
                    id: "toolu_1".into(),
                    name: "f".into(),
                },
            },
            StreamEvent::ArgumentsDelta {
                index: 1,
                json: "{\"a\":1}".into(),
            },
            StreamEvent::Usage(crate::Usage {
                input_tokens: 5,
                output_tokens: 3,
                ..Default::default()
            }),
            StreamEvent::Stop(StopReason::ToolUse),
        ] {
            frames.extend(e.push(ev));
        }
        let events: Vec<(String, Value)> = frames
            .iter()
            .map(|f| {
                let t = std::str::from_utf8(f).expect("utf8");
                let kind = t
                    .lines()
                    .find_map(|l| l.strip_prefix("event: "))
                    .expect("event");
                let data = t
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("data");
                (kind.to_owned(), serde_json::from_str(data).expect("json"))
            })
            .collect();
        for (i, (kind, data)) in events.iter().enumerate() {
            assert_eq!(data["type"], kind.as_str());
            assert_eq!(data["sequence_number"], i);
        }
        let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds[0], "response.created");
        assert_eq!(kinds[1], "response.in_progress");
        assert!(kinds.contains(&"response.output_text.delta"));
        assert!(kinds.contains(&"response.function_call_arguments.done"));
        let (last, done) = events.last().expect("events");
        assert_eq!(last, "response.completed");
        let output = done["response"]["output"].as_array().expect("output");
        assert_eq!(output[0]["type"], "message");
        assert_eq!(output[0]["content"][0]["text"], "Hi");
        assert_eq!(output[1]["type"], "function_call");
        assert_eq!(output[1]["call_id"], "toolu_1");
        assert_eq!(output[1]["arguments"], "{\"a\":1}");
        assert_eq!(done["response"]["usage"]["total_tokens"], 8);
        assert_eq!(done["response"]["id"], "resp_msg_1");
    }
}
