//! Whole answers and event streams turned into each other: a stream-only upstream's events
//! aggregated into one answer for a client that did not stream, and a whole answer replayed
//! as events for a client that streams from an upstream that does not.

use super::{BlockKind, Part, Response, StopReason, StreamEvent};
use crate::translate::TranslateError;

/// The events that stream `answer`: its start, one block per text, call or reasoning part
/// (each whole in one delta), its usage and its stop.
pub fn replay(answer: &Response) -> Vec<StreamEvent> {
    let mut out = vec![StreamEvent::Start {
        id: answer.id.clone(),
        model: answer.model.clone(),
    }];
    let mut index = 0;
    for part in &answer.parts {
        let (kind, deltas) = match part {
            Part::Text(t) if t.is_empty() => continue,
            Part::Text(t) => (
                BlockKind::Text,
                vec![StreamEvent::TextDelta {
                    index,
                    text: t.clone(),
                }],
            ),
            Part::ToolCall {
                id,
                name,
                arguments,
                signature,
            } => {
                let mut deltas = vec![StreamEvent::ArgumentsDelta {
                    index,
                    json: arguments.clone(),
                }];
                if let Some(s) = signature {
                    deltas.push(StreamEvent::SignatureDelta {
                        index,
                        signature: s.clone(),
                    });
                }
                (
                    BlockKind::ToolCall {
                        id: id.clone(),
                        name: name.clone(),
                    },
                    deltas,
                )
            }
            Part::Reasoning {
                redacted: Some(data),
                ..
            } => (BlockKind::Redacted { data: data.clone() }, Vec::new()),
            Part::Reasoning {
                text, signature, ..
            } => {
                let mut deltas = Vec::new();
                if !text.is_empty() {
                    deltas.push(StreamEvent::TextDelta {
                        index,
                        text: text.clone(),
                    });
                }
                if let Some(s) = signature {
                    deltas.push(StreamEvent::SignatureDelta {
                        index,
                        signature: s.clone(),
                    });
                }
                (BlockKind::Reasoning, deltas)
            }
            // Answers carry no media or results the stream encoders could show.
            Part::Image(_) | Part::Document { .. } | Part::ToolResult { .. } => continue,
        };
        out.push(StreamEvent::BlockStart { index, kind });
        out.extend(deltas);
        out.push(StreamEvent::BlockStop { index });
        index += 1;
    }
    out.push(StreamEvent::Usage(answer.usage));
    out.push(StreamEvent::Stop(answer.stop.clone()));
    out
}

/// Folds stream events into one answer; an error event or a stream without its stop is an
/// error (a short answer is never passed off as whole).
#[derive(Debug, Default)]
pub struct Aggregator {
    answer: Response,
    /// The part each open block index fills.
    open: Vec<(usize, usize)>,
    stopped: bool,
}

impl Aggregator {
    pub fn push(&mut self, event: StreamEvent) -> Result<(), TranslateError> {
        match event {
            StreamEvent::Start { id, model } => {
                self.answer.id = id;
                self.answer.model = model;
            }
            StreamEvent::BlockStart { index, kind } => {
                let part = match kind {
                    BlockKind::Text => Part::Text(String::new()),
                    BlockKind::ToolCall { id, name } => Part::ToolCall {
                        id,
                        name,
                        arguments: String::new(),
                        signature: None,
                    },
                    BlockKind::Reasoning => Part::Reasoning {
                        text: String::new(),
                        signature: None,
                        redacted: None,
                    },
                    BlockKind::Redacted { data } => Part::Reasoning {
                        text: String::new(),
                        signature: None,
                        redacted: Some(data),
                    },
                };
                self.open.retain(|(i, _)| *i != index);
                self.open.push((index, self.answer.parts.len()));
                self.answer.parts.push(part);
            }
            StreamEvent::TextDelta { index, text } => {
                if let Some(Part::Text(acc) | Part::Reasoning { text: acc, .. }) = self.part(index)
                {
                    acc.push_str(&text);
                }
            }
            StreamEvent::ArgumentsDelta { index, json } => {
                if let Some(Part::ToolCall { arguments, .. }) = self.part(index) {
                    arguments.push_str(&json);
                }
            }
            StreamEvent::SignatureDelta { index, signature } => {
                if let Some(
                    Part::ToolCall { signature: acc, .. } | Part::Reasoning { signature: acc, .. },
                ) = self.part(index)
                {
                    acc.get_or_insert_with(String::new).push_str(&signature);
                }
            }
            StreamEvent::BlockStop { index } => self.open.retain(|(i, _)| *i != index),
            StreamEvent::Usage(u) => self.answer.usage = u,
            StreamEvent::Stop(reason) => {
                self.answer.stop = reason;
                self.stopped = true;
            }
            StreamEvent::Error { message, .. } => return Err(TranslateError::Stopped(message)),
        }
        Ok(())
    }

    fn part(&mut self, index: usize) -> Option<&mut Part> {
        let k = self.open.iter().find(|(i, _)| *i == index)?.1;
        self.answer.parts.get_mut(k)
    }

    /// The whole answer, once the stream stopped.
    pub fn finish(self) -> Result<Response, TranslateError> {
        if !self.stopped {
            return Err(TranslateError::Stopped(super::CUT_SHORT.into()));
        }
        let mut answer = self.answer;
        if answer.stop == StopReason::EndTurn && answer.has_tool_calls() {
            answer.stop = StopReason::ToolUse;
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replayed_answer_aggregates_back_to_itself() {
        let answer = Response {
            id: "a".into(),
            model: "m".into(),
            parts: vec![
                Part::Reasoning {
                    text: "think".into(),
                    signature: Some("sig".into()),
                    redacted: None,
                },
                Part::Text("Hello".into()),
                Part::ToolCall {
                    id: "c".into(),
                    name: "f".into(),
                    arguments: "{\"x\":1}".into(),
                    signature: None,
                },
            ],
            stop: StopReason::ToolUse,
            usage: crate::Usage {
                input_tokens: 3,
                output_tokens: 4,
                ..crate::Usage::default()
            },
        };
        let mut agg = Aggregator::default();
        for ev in replay(&answer) {
            agg.push(ev).expect("no error");
        }
        assert_eq!(agg.finish().expect("stopped"), answer);
        let mut cut = Aggregator::default();
        cut.push(StreamEvent::Start {
            id: "a".into(),
            model: "m".into(),
        })
        .expect("ok");
        assert!(cut.finish().is_err(), "no stop: not whole");
    }
}
