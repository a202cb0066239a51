//! OpenAI Chat Completions streams: [`Decoder`] turns an upstream's chunks into IR stream
//! events; [`Encoder`] turns IR stream events into chunks as the OpenAI SDKs expect them
//! (the first carrying `role`, one `index` per tool call with its arguments streamed, the
//! usage chunk only when the client asked, `[DONE]`). Both are pure state machines.

use super::response::{chat_id, stop_from_wire, stop_to_wire, usage_from_wire, usage_to_wire};
use crate::ErrorKind;
use crate::ir::{BlockKind, StopReason, StreamEvent};
use crate::translate::TranslateError;
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Chat chunks → IR events. Blocks are numbered as they appear: reasoning, text, and one
/// per tool call (chat's tool-call `index` maps to its own block).
#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    next_block: usize,
    reasoning_block: Option<usize>,
    text_block: Option<usize>,
    /// Chat tool-call index → block.
    tool_blocks: BTreeMap<u64, usize>,
    /// The finish reason, held until the usage chunk or `[DONE]` (usage comes after it).
    pending_stop: Option<StopReason>,
    stopped: bool,
}

impl Decoder {
    pub fn new() -> Self {
        Decoder::default()
    }

    fn open(&mut self, kind: BlockKind, out: &mut Vec<StreamEvent>) -> usize {
        let index = self.next_block;
        self.next_block += 1;
        out.push(StreamEvent::BlockStart { index, kind });
        index
    }

    fn close_all(&mut self, out: &mut Vec<StreamEvent>) {
        let mut open: Vec<usize> = self
            .reasoning_block
            .take()
            .into_iter()
            .chain(self.text_block.take())
            .chain(std::mem::take(&mut self.tool_blocks).into_values())
            .collect();
        open.sort_unstable();
        out.extend(
            open.into_iter()
                .map(|index| StreamEvent::BlockStop { index }),
        );
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
            self.stopped = true;
            return Ok(out);
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: chunk
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                model: chunk
                    .get("model")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        if let Some(choice) = chunk.get("choices").and_then(|c| c.get(0)) {
            let delta = choice.get("delta").cloned().unwrap_or_default();
            if let Some(text) = delta
                .get("reasoning_content")
                .or_else(|| delta.get("reasoning"))
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                let index = match self.reasoning_block {
                    Some(i) => i,
                    None => {
                        let i = self.open(BlockKind::Reasoning, &mut out);
                        self.reasoning_block = Some(i);
                        i
                    }
                };
                out.push(StreamEvent::TextDelta {
                    index,
                    text: text.to_owned(),
                });
            }
            for key in ["content", "refusal"] {
                if let Some(text) = delta
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                {
                    // Reasoning is over once the answer starts.
                    if let Some(r) = self.reasoning_block.take() {
                        out.push(StreamEvent::BlockStop { index: r });
                    }
                    let index = match self.text_block {
                        Some(i) => i,
                        None => {
                            let i = self.open(BlockKind::Text, &mut out);
                            self.text_block = Some(i);
                            i
                        }
                    };
                    out.push(StreamEvent::TextDelta {
                        index,
                        text: text.to_owned(),
                    });
                }
            }
            for (k, call) in delta
                .get("tool_calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let chat_index = call
                    .get("index")
                    .and_then(Value::as_u64)
                    .unwrap_or(k as u64);
                let f = call.get("function").cloned().unwrap_or_default();
                let index = match self.tool_blocks.get(&chat_index) {
                    Some(i) => *i,
                    None => {
                        let id = call
                            .get("id")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .unwrap_or_else(|| format!("call_{chat_index}"));
                        let name = f
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        let i = self.open(BlockKind::ToolCall { id, name }, &mut out);
                        self.tool_blocks.insert(chat_index, i);
                        i
                    }
                };
                if let Some(args) = f
                    .get("arguments")
                    .and_then(Value::as_str)
                    .filter(|a| !a.is_empty())
                {
                    out.push(StreamEvent::ArgumentsDelta {
                        index,
                        json: args.to_owned(),
                    });
                }
            }
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                self.close_all(&mut out);
                self.pending_stop = Some(stop_from_wire(Some(reason)));
            }
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            out.push(StreamEvent::Usage(usage_from_wire(usage)));
            self.flush_stop(&mut out);
        }
        Ok(out)
    }

    fn flush_stop(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(stop) = self.pending_stop.take() {
            self.stopped = true;
            out.push(StreamEvent::Stop(stop));
        }
    }

    /// The stream's `[DONE]`: the held finish reason goes out.
    pub fn done(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        self.flush_stop(&mut out);
        out
    }
}

/// IR events → chat chunks.
#[derive(Debug)]
pub struct Encoder {
    id: String,
    model: String,
    created: u64,
    /// The client asked for `stream_options.include_usage`.
    include_usage: bool,
    started: bool,
    /// IR block → (chat tool-call index) for tool calls; reasoning blocks.
    tool_index: BTreeMap<usize, usize>,
    /// Tool blocks whose arguments have not had a non-empty piece yet (they get `{}`).
    no_args: std::collections::BTreeSet<usize>,
    reasoning_blocks: Vec<usize>,
    usage: crate::Usage,
    done: bool,
}

fn data(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

impl Encoder {
    /// `model` is the name the client asked for; `created` the Unix time for the chunks.
    pub fn new(model: impl Into<String>, created: u64, include_usage: bool) -> Self {
        Encoder {
            id: "chatcmpl-gproxy".into(),
            model: model.into(),
            created,
            include_usage,
            started: false,
            tool_index: BTreeMap::new(),
            no_args: std::collections::BTreeSet::new(),
            reasoning_blocks: Vec::new(),
            usage: crate::Usage::default(),
            done: false,
        }
    }

    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> Bytes {
        data(&json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        }))
    }

    fn start(&mut self, out: &mut Vec<Bytes>) {
        if !self.started {
            self.started = true;
            out.push(self.chunk(json!({"role": "assistant", "content": ""}), None));
        }
    }

    /// The chunks for one IR event.
    pub fn push(&mut self, event: StreamEvent) -> Vec<Bytes> {
        let mut out = Vec::new();
        if self.done {
            return out;
        }
        match event {
            StreamEvent::Start { id, .. } => {
                if !id.is_empty() {
                    self.id = chat_id(&id);
                }
                self.start(&mut out);
            }
            StreamEvent::BlockStart { index, kind } => {
                self.start(&mut out);
                match kind {
                    BlockKind::ToolCall { id, name } => {
                        let k = self.tool_index.len();
                        self.tool_index.insert(index, k);
                        self.no_args.insert(index);
                        out.push(self.chunk(
                            json!({"tool_calls": [{"index": k, "id": id, "type": "function",
                                                   "function": {"name": name, "arguments": ""}}]}),
                            None,
                        ));
                    }
                    BlockKind::Reasoning => self.reasoning_blocks.push(index),
                    BlockKind::Text | BlockKind::Redacted { .. } => {}
                }
            }
            StreamEvent::TextDelta { index, text } => {
                self.start(&mut out);
                let delta = if self.reasoning_blocks.contains(&index) {
                    json!({"reasoning_content": text})
                } else {
                    json!({"content": text})
                };
                out.push(self.chunk(delta, None));
            }
            StreamEvent::ArgumentsDelta { index, json: piece } => {
                if piece.is_empty() {
                    return out;
                }
                self.no_args.remove(&index);
                if let Some(k) = self.tool_index.get(&index) {
                    out.push(self.chunk(
                        json!({"tool_calls": [{"index": k, "function": {"arguments": piece}}]}),
                        None,
                    ));
                }
            }
            StreamEvent::SignatureDelta { .. } => {}
            StreamEvent::BlockStop { index } => self.empty_arguments(Some(index), &mut out),
            StreamEvent::Usage(u) => self.usage = u,
            StreamEvent::Stop(reason) => {
                self.start(&mut out);
                self.empty_arguments(None, &mut out);
                let finish = stop_to_wire(&reason, !self.tool_index.is_empty());
                out.push(self.chunk(json!({}), Some(finish)));
                if self.include_usage {
                    out.push(data(&json!({
                        "id": self.id, "object": "chat.completion.chunk", "created": self.created,
                        "model": self.model, "choices": [], "usage": usage_to_wire(&self.usage),
                    })));
                }
                out.push(Bytes::from_static(b"data: [DONE]\n\n"));
                self.done = true;
            }
            StreamEvent::Error { kind, message } => {
                out.push(Bytes::from(crate::error::stream_error_event(
                    crate::Protocol::OpenAi,
                    kind,
                    &message,
                )));
                self.done = true;
            }
        }
        out
    }

    /// A call that got no arguments has `{}` (clients parse them as JSON): for `block`, or
    /// for every such call when `None`.
    fn empty_arguments(&mut self, block: Option<usize>, out: &mut Vec<Bytes>) {
        let blocks: Vec<usize> = match block {
            Some(b) if self.no_args.contains(&b) => vec![b],
            Some(_) => Vec::new(),
            None => self.no_args.iter().copied().collect(),
        };
        for b in blocks {
            self.no_args.remove(&b);
            if let Some(k) = self.tool_index.get(&b).copied() {
                out.push(self.chunk(
                    json!({"tool_calls": [{"index": k, "function": {"arguments": "{}"}}]}),
                    None,
                ));
            }
        }
    }

    /// Ends the client's stream: nothing after a stop; an upstream that ended without one
    /// cut the answer short, which the client learns as an error chunk.
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

    fn decode(chunks: &[&str]) -> Vec<StreamEvent> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(d.push(c.as_bytes()).expect("decodes"));
        }
        out.extend(d.done());
        out
    }

    #[test]
    fn parallel_tool_calls_keep_their_blocks_when_interleaved() {
        let events = decode(&[
            r#"{"id":"c1","model":"gpt","choices":[{"delta":{"role":"assistant","content":null}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_a","function":{"name":"f","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"call_b","function":{"name":"g","arguments":"{\"y\""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":1}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":":2}"}}]}}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}}"#,
        ]);
        assert_eq!(
            events[1],
            StreamEvent::BlockStart {
                index: 0,
                kind: BlockKind::ToolCall {
                    id: "call_a".into(),
                    name: "f".into()
                }
            }
        );
        assert!(events.contains(&StreamEvent::ArgumentsDelta {
            index: 1,
            json: ":2}".into()
        }));
        assert!(events.contains(&StreamEvent::ArgumentsDelta {
            index: 0,
            json: "{\"x\":1}".into()
        }));
        let tail: Vec<&StreamEvent> = events.iter().rev().take(2).collect();
        assert_eq!(tail[0], &StreamEvent::Stop(StopReason::ToolUse));
        assert!(matches!(tail[1], StreamEvent::Usage(u) if u.input_tokens == 9));
    }

    #[test]
    fn encodes_chunks_with_role_first_and_done_last() {
        let mut e = Encoder::new("gpt-x", 7, false);
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
            StreamEvent::BlockStart {
                index: 1,
                kind: BlockKind::ToolCall {
                    id: "toolu_1".into(),
                    name: "f".into(),
                },
            },
            StreamEvent::ArgumentsDelta {
                index: 1,
                json: "{}".into(),
            },
            StreamEvent::Usage(crate::Usage::default()),
            StreamEvent::Stop(StopReason::ToolUse),
        ] {
            frames.extend(e.push(ev));
        }
        frames.extend(e.finish());
        let texts: Vec<String> = frames
            .iter()
            .map(|f| String::from_utf8(f.to_vec()).expect("utf8"))
            .collect();
        assert!(
            texts
                .iter()
                .all(|t| t.starts_with("data: ") && t.ends_with("\n\n"))
        );
        assert_eq!(texts.last().map(String::as_str), Some("data: [DONE]\n\n"));
        let first: Value =
            serde_json::from_str(texts[0].trim_start_matches("data: ").trim()).expect("json");
        assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(first["id"], "chatcmpl-msg_1");
        let tool: Value =
            serde_json::from_str(texts[2].trim_start_matches("data: ").trim()).expect("json");
        assert_eq!(tool["choices"][0]["delta"]["tool_calls"][0]["index"], 0);
        assert_eq!(
            tool["choices"][0]["delta"]["tool_calls"][0]["id"],
            "toolu_1"
        );
        let finish: Value =
            serde_json::from_str(texts[texts.len() - 2].trim_start_matches("data: ").trim())
                .expect("json");
        assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
        assert!(
            !texts.iter().any(|t| t.contains("\"usage\"")),
            "not asked for"
        );
    }
}
