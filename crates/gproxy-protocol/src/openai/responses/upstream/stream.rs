//! A Responses upstream's SSE events → IR stream events, as a pure state machine. Each
//! output item (keyed by its `output_index`, or its `item_id` when that is missing) is one
//! IR block, so parallel calls keep their own blocks however their deltas interleave;
//! usage and the stop come from the terminal `response.completed` / `incomplete`; a
//! `response.failed` or `error` event is the stream's error. Unknown events and items are
//! skipped.

use super::response::{Content, ErrorBody, Item, Response, reasoning_part, stop_of};
use crate::ErrorKind;
use crate::ir::{BlockKind, Part, StreamEvent};
use crate::openai::common::{OrUnknown, nullable};
use crate::translate::TranslateError;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Where an event points: its output item.
#[derive(Clone, Debug, Default, Deserialize)]
struct At {
    #[serde(default)]
    output_index: Option<u64>,
    #[serde(default)]
    item_id: Option<String>,
}

/// The events translation reads; any other is skipped.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type")]
enum Event {
    #[serde(rename = "response.created", alias = "response.in_progress")]
    Created {
        #[serde(default, deserialize_with = "nullable")]
        response: Response,
    },
    #[serde(rename = "response.completed", alias = "response.incomplete")]
    Finished {
        #[serde(default, deserialize_with = "nullable")]
        response: Response,
    },
    #[serde(rename = "response.failed")]
    Failed {
        #[serde(default, deserialize_with = "nullable")]
        response: Response,
    },
    #[serde(rename = "response.output_item.added")]
    ItemAdded {
        #[serde(default)]
        output_index: Option<u64>,
        #[serde(default)]
        item: Value,
    },
    #[serde(rename = "response.output_item.done")]
    ItemDone {
        #[serde(default)]
        output_index: Option<u64>,
        #[serde(default)]
        item: Value,
    },
    #[serde(rename = "response.output_text.delta")]
    TextDelta {
        #[serde(flatten)]
        at: At,
        #[serde(default, deserialize_with = "nullable")]
        delta: String,
    },
    #[serde(rename = "response.refusal.delta")]
    RefusalDelta {
        #[serde(flatten)]
        at: At,
        #[serde(default, deserialize_with = "nullable")]
        delta: String,
    },
    #[serde(rename = "response.output_text.done")]
    TextDone {
        #[serde(flatten)]
        at: At,
        #[serde(default, deserialize_with = "nullable")]
        text: String,
    },
    #[serde(rename = "response.function_call_arguments.delta")]
    ArgumentsDelta {
        #[serde(flatten)]
        at: At,
        #[serde(default, deserialize_with = "nullable")]
        delta: String,
    },
    #[serde(rename = "response.function_call_arguments.done")]
    ArgumentsDone {
        #[serde(flatten)]
        at: At,
        #[serde(default, deserialize_with = "nullable")]
        arguments: String,
    },
    #[serde(rename = "response.reasoning_summary_text.delta")]
    SummaryDelta {
        #[serde(flatten)]
        at: At,
        #[serde(default)]
        summary_index: u64,
        #[serde(default, deserialize_with = "nullable")]
        delta: String,
    },
    #[serde(rename = "error")]
    Error {
        #[serde(flatten)]
        error: ErrorBody,
    },
}

/// An output item as its events arrive.
#[derive(Debug)]
enum Slot {
    /// A message; its text block opens with its first text.
    Message { block: Option<usize> },
    Call {
        block: usize,
        /// Argument text reached the client (the `done` event repeats it otherwise).
        args_seen: bool,
    },
    Reasoning {
        block: usize,
        /// The summary part being streamed (parts are joined by a blank line).
        summary_index: Option<u64>,
    },
    /// An item of a kind not translated (built-in tool calls), or one already done.
    Skipped,
}

/// Responses events → IR events.
#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    next_block: usize,
    /// Output index → its item.
    slots: BTreeMap<u64, Slot>,
    /// Item id → output index, for events that name only the item.
    ids: HashMap<String, u64>,
    /// A call was made (the stop is the tool-use stop).
    calls: bool,
    /// The answer was a refusal.
    refused: bool,
}

impl Decoder {
    pub fn new() -> Self {
        Decoder::default()
    }

    fn start(&mut self, id: String, model: String, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start { id, model });
        }
    }

    fn open(&mut self, kind: BlockKind, out: &mut Vec<StreamEvent>) -> usize {
        let index = self.next_block;
        self.next_block += 1;
        out.push(StreamEvent::BlockStart { index, kind });
        index
    }

    /// The output index an event points at.
    fn index_of(&self, at: &At) -> Option<u64> {
        at.output_index
            .or_else(|| at.item_id.as_ref().and_then(|id| self.ids.get(id).copied()))
    }

    /// A new output item: its block opens (a message's waits for its text).
    fn add(&mut self, output_index: Option<u64>, item: &Value, out: &mut Vec<StreamEvent>) {
        let idx = output_index.unwrap_or(self.slots.len() as u64);
        if let Some(id) = item.get("id").and_then(Value::as_str) {
            self.ids.insert(id.to_owned(), idx);
        }
        let slot = match Item::deserialize(item) {
            Ok(Item::Message { .. }) => Slot::Message { block: None },
            Ok(Item::FunctionCall {
                call_id,
                name,
                arguments,
            }) => {
                self.calls = true;
                let id = if call_id.is_empty() {
                    format!("call_{idx}")
                } else {
                    call_id
                };
                let block = self.open(BlockKind::ToolCall { id, name }, out);
                if !arguments.is_empty() {
                    out.push(StreamEvent::ArgumentsDelta {
                        index: block,
                        json: arguments,
                    });
                }
                Slot::Call {
                    block,
                    args_seen: false,
                }
            }
            Ok(Item::Reasoning { .. }) => Slot::Reasoning {
                block: self.open(BlockKind::Reasoning, out),
                summary_index: None,
            },
            Err(_) => Slot::Skipped,
        };
        self.slots.insert(idx, slot);
    }

    /// Text for the message at `idx` (opened on its first text, also for an item whose
    /// `added` event the upstream left out).
    fn text(&mut self, idx: u64, text: String, out: &mut Vec<StreamEvent>) {
        if text.is_empty() {
            return;
        }
        let block = match self.slots.get(&idx) {
            Some(Slot::Message { block: Some(b) }) => *b,
            Some(Slot::Message { block: None }) | None => {
                let b = self.open(BlockKind::Text, out);
                self.slots.insert(idx, Slot::Message { block: Some(b) });
                b
            }
            Some(_) => return,
        };
        out.push(StreamEvent::TextDelta { index: block, text });
    }

    /// An item is done: what its deltas did not carry (whole text or arguments, the
    /// reasoning's encrypted content) goes out, and its block closes.
    fn done(&mut self, output_index: Option<u64>, item: &Value, out: &mut Vec<StreamEvent>) {
        let known = output_index.or_else(|| {
            let id = item.get("id").and_then(Value::as_str)?;
            self.ids.get(id).copied()
        });
        let idx = match known {
            Some(idx) if self.slots.contains_key(&idx) => idx,
            // An item whose `added` event the upstream left out.
            _ => {
                let idx = known.unwrap_or(self.slots.len() as u64);
                self.add(Some(idx), item, out);
                idx
            }
        };
        let parsed = Item::deserialize(item).ok();
        let untold = matches!(self.slots.get(&idx), Some(Slot::Message { block: None }));
        if untold && let Some(Item::Message { content }) = &parsed {
            let (text, refused) = message_text(content);
            self.refused |= refused;
            self.text(idx, text, out);
        }
        match (self.slots.insert(idx, Slot::Skipped), parsed) {
            (Some(Slot::Message { block }), _) => {
                out.extend(block.map(|index| StreamEvent::BlockStop { index }));
            }
            (Some(Slot::Call { block, args_seen }), parsed) => {
                if let Some(Item::FunctionCall { arguments, .. }) = parsed
                    && !args_seen
                    && !arguments.is_empty()
                {
                    out.push(StreamEvent::ArgumentsDelta {
                        index: block,
                        json: arguments,
                    });
                }
                out.push(StreamEvent::BlockStop { index: block });
            }
            (
                Some(Slot::Reasoning {
                    block,
                    summary_index,
                }),
                parsed,
            ) => {
                if let Some(Item::Reasoning {
                    summary,
                    encrypted_content,
                }) = parsed
                    && let Part::Reasoning {
                        text, signature, ..
                    } = reasoning_part(&summary, encrypted_content.as_deref())
                {
                    // The summary came in no delta: all of it now.
                    if summary_index.is_none() && !text.is_empty() {
                        out.push(StreamEvent::TextDelta { index: block, text });
                    }
                    if let Some(signature) = signature {
                        out.push(StreamEvent::SignatureDelta {
                            index: block,
                            signature,
                        });
                    }
                }
                out.push(StreamEvent::BlockStop { index: block });
            }
            (Some(Slot::Skipped) | None, _) => {}
        }
    }

    /// Closes the blocks still open (an upstream that left out `output_item.done`).
    fn close_all(&mut self, out: &mut Vec<StreamEvent>) {
        for slot in std::mem::take(&mut self.slots).into_values() {
            match slot {
                Slot::Message { block: Some(index) }
                | Slot::Call { block: index, .. }
                | Slot::Reasoning { block: index, .. } => {
                    out.push(StreamEvent::BlockStop { index })
                }
                Slot::Message { block: None } | Slot::Skipped => {}
            }
        }
    }

    /// The IR events of one event's JSON data.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<StreamEvent>, TranslateError> {
        let event: OrUnknown<Event> = serde_json::from_slice(data)
            .map_err(|e| TranslateError::Invalid(format!("upstream stream event: {e}")))?;
        let mut out = Vec::new();
        let OrUnknown::Known(event) = event else {
            return Ok(out);
        };
        if !matches!(event, Event::Error { .. } | Event::Failed { .. }) {
            let (id, model) = match &event {
                Event::Created { response } | Event::Finished { response } => {
                    (response.id.clone(), response.model.clone())
                }
                _ => (String::new(), String::new()),
            };
            self.start(id, model, &mut out);
        }
        match event {
            Event::Created { .. } => {}
            Event::ItemAdded { output_index, item } => self.add(output_index, &item, &mut out),
            Event::ItemDone { output_index, item } => self.done(output_index, &item, &mut out),
            Event::TextDelta { at, delta } => {
                if let Some(idx) = self.index_of(&at) {
                    self.text(idx, delta, &mut out);
                }
            }
            // `done` repeats the whole text: used only when no delta carried it.
            Event::TextDone { at, text } => {
                if let Some(idx) = self.index_of(&at)
                    && matches!(
                        self.slots.get(&idx),
                        None | Some(Slot::Message { block: None })
                    )
                {
                    self.text(idx, text, &mut out);
                }
            }
            Event::RefusalDelta { at, delta } => {
                if let Some(idx) = self.index_of(&at) {
                    self.refused = true;
                    self.text(idx, delta, &mut out);
                }
            }
            Event::ArgumentsDelta { at, delta } => {
                if let Some(Slot::Call { block, args_seen }) =
                    self.index_of(&at).and_then(|idx| self.slots.get_mut(&idx))
                    && !delta.is_empty()
                {
                    *args_seen = true;
                    out.push(StreamEvent::ArgumentsDelta {
                        index: *block,
                        json: delta,
                    });
                }
            }
            Event::ArgumentsDone { at, arguments } => {
                if let Some(Slot::Call { block, args_seen }) =
                    self.index_of(&at).and_then(|idx| self.slots.get_mut(&idx))
                    && !*args_seen
                    && !arguments.is_empty()
                {
                    *args_seen = true;
                    out.push(StreamEvent::ArgumentsDelta {
                        index: *block,
                        json: arguments,
                    });
                }
            }
            Event::SummaryDelta {
                at,
                summary_index,
                delta,
            } => {
                let Some(idx) = self.index_of(&at) else {
                    return Ok(out);
                };
                if !self.slots.contains_key(&idx) {
                    let block = self.open(BlockKind::Reasoning, &mut out);
                    self.slots.insert(
                        idx,
                        Slot::Reasoning {
                            block,
                            summary_index: None,
                        },
                    );
                }
                if let Some(Slot::Reasoning {
                    block,
                    summary_index: at_part,
                }) = self.slots.get_mut(&idx)
                {
                    // A new summary part: a blank line between parts, as the whole answer
                    // joins them.
                    if at_part.is_some_and(|p| p != summary_index) {
                        out.push(StreamEvent::TextDelta {
                            index: *block,
                            text: "\n\n".into(),
                        });
                    }
                    *at_part = Some(summary_index);
                    if !delta.is_empty() {
                        out.push(StreamEvent::TextDelta {
                            index: *block,
                            text: delta,
                        });
                    }
                }
            }
            Event::Finished { response } => {
                self.close_all(&mut out);
                if let Some(usage) = &response.usage {
                    out.push(StreamEvent::Usage(usage.into()));
                }
                let calls = self.calls
                    || response
                        .output
                        .iter()
                        .any(|i| matches!(i, OrUnknown::Known(Item::FunctionCall { .. })));
                let status =
                    response
                        .status
                        .as_deref()
                        .or(Some(if response.incomplete_details.is_some() {
                            "incomplete"
                        } else {
                            "completed"
                        }));
                out.push(StreamEvent::Stop(stop_of(
                    status,
                    response
                        .incomplete_details
                        .as_ref()
                        .and_then(|d| d.reason.as_deref()),
                    calls,
                    self.refused,
                )));
            }
            Event::Failed { response } => out.push(StreamEvent::Error {
                kind: ErrorKind::Api,
                message: response.error.unwrap_or_default().describe(),
            }),
            Event::Error { error } => out.push(StreamEvent::Error {
                kind: match error.code.as_deref() {
                    Some(c) if c.contains("rate_limit") => ErrorKind::RateLimit,
                    _ => ErrorKind::Api,
                },
                message: error.describe(),
            }),
        }
        Ok(out)
    }
}

/// A message item's text (its refusal, if that is what it holds), and whether it refused.
fn message_text(content: &[OrUnknown<Content>]) -> (String, bool) {
    let mut refused = false;
    let text = content
        .iter()
        .filter_map(|c| match c {
            OrUnknown::Known(Content::OutputText { text }) => Some(text.as_str()),
            OrUnknown::Known(Content::Refusal { refusal }) => {
                refused = true;
                Some(refusal.as_str())
            }
            OrUnknown::Unknown(_) => None,
        })
        .collect();
    (text, refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::StopReason;
    use serde_json::json;

    fn run(events: &[Value]) -> Vec<StreamEvent> {
        let mut d = Decoder::new();
        events
            .iter()
            .flat_map(|e| d.push(e.to_string().as_bytes()).expect("decodes"))
            .collect()
    }

    #[test]
    fn events_keyed_by_item_id_and_items_told_only_when_done() {
        let out = run(&[
            json!({"type": "response.output_item.added", "output_index": 0,
                "item": {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f"}}),
            // No output_index: the item id says which call.
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "{\"a\":1}"}),
            json!({"type": "response.function_call_arguments.done", "item_id": "fc_1", "arguments": "{\"a\":1}"}),
            json!({"type": "response.web_search_call.searching", "output_index": 1}),
            // A message with no `added` and no deltas: its text comes whole.
            json!({"type": "response.output_item.done", "output_index": 2,
                "item": {"type": "message", "id": "m", "content": [{"type": "output_text", "text": "Hi"}]}}),
            json!({"type": "response.completed", "response": {"status": "completed",
                "usage": {"input_tokens": 5, "output_tokens": 2}}}),
        ]);
        let args: Vec<&str> = out
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ArgumentsDelta { json, .. } => Some(json.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            args,
            ["{\"a\":1}"],
            "the done event does not repeat the deltas"
        );
        assert!(out.contains(&StreamEvent::TextDelta {
            index: 1,
            text: "Hi".into()
        }));
        assert!(out.contains(&StreamEvent::BlockStop { index: 0 }));
        assert!(out.contains(&StreamEvent::BlockStop { index: 1 }));
        assert_eq!(out.last(), Some(&StreamEvent::Stop(StopReason::ToolUse)));
        assert!(out.contains(&StreamEvent::Usage(crate::Usage {
            input_tokens: 5,
            output_tokens: 2,
            ..Default::default()
        })));
    }

    #[test]
    fn summary_parts_are_joined_and_encrypted_reasoning_is_the_signature() {
        let out = run(&[
            json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "reasoning", "id": "rs"}}),
            json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "summary_index": 0, "delta": "a"}),
            json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "summary_index": 1, "delta": "b"}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "reasoning",
                "id": "rs", "summary": [{"text": "a"}, {"text": "b"}], "encrypted_content": "gAAA"}}),
        ]);
        let text: String = out
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "a\n\nb", "the summary is not repeated at done");
        assert!(out.contains(&StreamEvent::SignatureDelta {
            index: 0,
            signature: crate::translate::carry::seal_openai("gAAA"),
        }));
    }
}
