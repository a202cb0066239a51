//! IR stream events → the Responses event sequence: `response.created`,
//! `response.in_progress`, per output item `output_item.added` … deltas … `output_item.done`
//! (with `content_part.*` for messages and `reasoning_summary_*` for reasoning), and a
//! `response.completed` (or `incomplete`) whose `output` holds every item, tool calls
//! included. Each event has its `event:` line and a `sequence_number`. A pure state machine.

use super::response::{
    IncompleteDetails, OutputContent, OutputItem, ResponseError, ResponseObject, Status,
    SummaryPart, call_item, message_item, reasoning_item, response_id, status_of,
};
use crate::ErrorKind;
use crate::ir::{BlockKind, Part, StreamEvent};
use crate::openai::common::sse_event;
use crate::translate::carry;
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A Responses stream event, borrowing what it shows. Its `type` is also the SSE `event:`
/// line ([`Event::kind`]).
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum Event<'a> {
    #[serde(rename = "response.created")]
    Created { response: &'a ResponseObject },
    #[serde(rename = "response.in_progress")]
    InProgress { response: &'a ResponseObject },
    #[serde(rename = "response.completed")]
    Completed { response: &'a ResponseObject },
    #[serde(rename = "response.incomplete")]
    Incomplete { response: &'a ResponseObject },
    #[serde(rename = "response.failed")]
    Failed { response: &'a ResponseObject },
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded {
        output_index: usize,
        item: &'a OutputItem,
    },
    #[serde(rename = "response.output_item.done")]
    OutputItemDone {
        output_index: usize,
        item: &'a OutputItem,
    },
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        part: &'a OutputContent,
    },
    #[serde(rename = "response.content_part.done")]
    ContentPartDone {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        part: &'a OutputContent,
    },
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        delta: &'a str,
        /// Always empty: log probabilities are not translated.
        logprobs: [Value; 0],
    },
    #[serde(rename = "response.output_text.done")]
    OutputTextDone {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        text: &'a str,
        logprobs: [Value; 0],
    },
    #[serde(rename = "response.reasoning_summary_part.added")]
    ReasoningSummaryPartAdded {
        item_id: &'a str,
        output_index: usize,
        summary_index: usize,
        part: &'a SummaryPart,
    },
    #[serde(rename = "response.reasoning_summary_part.done")]
    ReasoningSummaryPartDone {
        item_id: &'a str,
        output_index: usize,
        summary_index: usize,
        part: &'a SummaryPart,
    },
    #[serde(rename = "response.reasoning_summary_text.delta")]
    ReasoningSummaryTextDelta {
        item_id: &'a str,
        output_index: usize,
        summary_index: usize,
        delta: &'a str,
    },
    #[serde(rename = "response.reasoning_summary_text.done")]
    ReasoningSummaryTextDone {
        item_id: &'a str,
        output_index: usize,
        summary_index: usize,
        text: &'a str,
    },
    #[serde(rename = "response.function_call_arguments.delta")]
    FunctionCallArgumentsDelta {
        item_id: &'a str,
        output_index: usize,
        delta: &'a str,
    },
    #[serde(rename = "response.function_call_arguments.done")]
    FunctionCallArgumentsDone {
        item_id: &'a str,
        output_index: usize,
        name: &'a str,
        arguments: &'a str,
    },
}

impl Event<'_> {
    /// The event's `type`, as its `event:` line.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Created { .. } => "response.created",
            Event::InProgress { .. } => "response.in_progress",
            Event::Completed { .. } => "response.completed",
            Event::Incomplete { .. } => "response.incomplete",
            Event::Failed { .. } => "response.failed",
            Event::OutputItemAdded { .. } => "response.output_item.added",
            Event::OutputItemDone { .. } => "response.output_item.done",
            Event::ContentPartAdded { .. } => "response.content_part.added",
            Event::ContentPartDone { .. } => "response.content_part.done",
            Event::OutputTextDelta { .. } => "response.output_text.delta",
            Event::OutputTextDone { .. } => "response.output_text.done",
            Event::ReasoningSummaryPartAdded { .. } => "response.reasoning_summary_part.added",
            Event::ReasoningSummaryPartDone { .. } => "response.reasoning_summary_part.done",
            Event::ReasoningSummaryTextDelta { .. } => "response.reasoning_summary_text.delta",
            Event::ReasoningSummaryTextDone { .. } => "response.reasoning_summary_text.done",
            Event::FunctionCallArgumentsDelta { .. } => "response.function_call_arguments.delta",
            Event::FunctionCallArgumentsDone { .. } => "response.function_call_arguments.done",
        }
    }
}

/// An event as sent: its fields, then its place in the stream.
#[derive(Serialize)]
struct Sequenced<'a> {
    #[serde(flatten)]
    event: &'a Event<'a>,
    sequence_number: u64,
}

fn summary(text: &str) -> SummaryPart {
    SummaryPart::SummaryText {
        text: text.to_owned(),
    }
}

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
    items: BTreeMap<usize, OutputItem>,
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

    fn event(&mut self, event: Event<'_>) -> Bytes {
        let frame = sse_event(
            Some(event.kind()),
            &Sequenced {
                event: &event,
                sequence_number: self.sequence,
            },
        );
        self.sequence += 1;
        frame
    }

    fn object(
        &self,
        status: (Status, Option<IncompleteDetails>),
        with_output: bool,
    ) -> ResponseObject {
        let output = if with_output {
            self.items.values().cloned().collect()
        } else {
            Vec::new()
        };
        let usage = with_output.then(|| (&self.usage).into());
        ResponseObject::new(&self.id, &self.model, self.created, status, output, usage)
    }

    fn start(&mut self, out: &mut Vec<Bytes>) {
        if self.started {
            return;
        }
        self.started = true;
        let response = self.object((Status::InProgress, None), false);
        out.push(self.event(Event::Created {
            response: &response,
        }));
        out.push(self.event(Event::InProgress {
            response: &response,
        }));
    }

    fn close(&mut self, block: usize, out: &mut Vec<Bytes>) {
        let Some(item) = self.open.remove(&block) else {
            return;
        };
        let (idx, id) = (item.output_index, item.item_id);
        let done = match item.kind {
            Open::Text { text } => {
                out.push(self.event(Event::OutputTextDone {
                    item_id: &id,
                    output_index: idx,
                    content_index: 0,
                    text: &text,
                    logprobs: [],
                }));
                out.push(self.event(Event::ContentPartDone {
                    item_id: &id,
                    output_index: idx,
                    content_index: 0,
                    part: &OutputContent::text(&text),
                }));
                message_item(&id, Some(&text), Status::Completed)
            }
            Open::Reasoning {
                text,
                signature,
                redacted,
            } => {
                out.push(self.event(Event::ReasoningSummaryTextDone {
                    item_id: &id,
                    output_index: idx,
                    summary_index: 0,
                    text: &text,
                }));
                out.push(self.event(Event::ReasoningSummaryPartDone {
                    item_id: &id,
                    output_index: idx,
                    summary_index: 0,
                    part: &summary(&text),
                }));
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
                out.push(self.event(Event::FunctionCallArgumentsDone {
                    item_id: &id,
                    output_index: idx,
                    name: &name,
                    arguments: &args,
                }));
                call_item(&id, &call_id, &name, &args, Status::Completed)
            }
        };
        out.push(self.event(Event::OutputItemDone {
            output_index: idx,
            item: &done,
        }));
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
                        let item = message_item(&id, None, Status::InProgress);
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
                        let item = call_item(&id, &call_id, &name, "", Status::InProgress);
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
                out.push(self.event(Event::OutputItemAdded {
                    output_index: idx,
                    item: &item,
                }));
                match &kind {
                    Open::Text { .. } => out.push(self.event(Event::ContentPartAdded {
                        item_id: &item_id,
                        output_index: idx,
                        content_index: 0,
                        part: &OutputContent::text(""),
                    })),
                    Open::Reasoning { .. } => {
                        out.push(self.event(Event::ReasoningSummaryPartAdded {
                            item_id: &item_id,
                            output_index: idx,
                            summary_index: 0,
                            part: &summary(""),
                        }))
                    }
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
                        out.push(self.event(Event::OutputTextDelta {
                            item_id: &id,
                            output_index: idx,
                            content_index: 0,
                            delta: &text,
                            logprobs: [],
                        }));
                    }
                    Open::Reasoning { text: acc, .. } => {
                        acc.push_str(&text);
                        out.push(self.event(Event::ReasoningSummaryTextDelta {
                            item_id: &id,
                            output_index: idx,
                            summary_index: 0,
                            delta: &text,
                        }));
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
                    out.push(self.event(Event::FunctionCallArgumentsDelta {
                        item_id: &id,
                        output_index: idx,
                        delta: &piece,
                    }));
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
                let status = status_of(&reason);
                let completed = status.0 == Status::Completed;
                let response = self.object(status, true);
                out.push(self.event(if completed {
                    Event::Completed {
                        response: &response,
                    }
                } else {
                    Event::Incomplete {
                        response: &response,
                    }
                }));
                self.done = true;
            }
            StreamEvent::Error { kind, message } => {
                self.start(&mut out);
                let mut response = self.object((Status::Failed, None), true);
                let code = match kind {
                    ErrorKind::RateLimit => "rate_limit_exceeded",
                    _ => "server_error",
                };
                response.error = Some(ResponseError { code, message });
                out.push(self.event(Event::Failed {
                    response: &response,
                }));
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
        self.push(StreamEvent::cut_short())
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
