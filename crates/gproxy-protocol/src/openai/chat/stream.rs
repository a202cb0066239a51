//! OpenAI Chat Completions streams: [`Decoder`] turns an upstream's chunks into IR stream
//! events; [`Encoder`] turns IR stream events into chunks as the OpenAI SDKs expect them
//! (the first carrying `role`, one `index` per tool call with its arguments streamed, the
//! usage chunk only when the client asked, `[DONE]`). Both are pure state machines.

use super::message::ToolKind;
use super::response::{ChatUsage, chat_id, stop_from_wire, stop_to_wire};
use crate::ErrorKind;
use crate::ir::{BlockKind, StopReason, StreamEvent};
use crate::openai::common::{OrUnknown, count, nullable, sse_event};
use crate::translate::TranslateError;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One `chat.completion.chunk`, fields in the order OpenAI sends them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChatChunk {
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub object: String,
    #[serde(default, deserialize_with = "count")]
    pub created: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub model: String,
    /// Empty in the usage chunk that ends a stream.
    #[serde(default, deserialize_with = "nullable")]
    pub choices: Vec<ChunkChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ChatUsage>,
    /// An error some servers send in the stream instead of a chunk (an object with a
    /// `message`, or anything else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<OrUnknown<ChunkError>>,
}

/// A choice's piece of the answer. `logprobs` and `finish_reason` are written even when
/// `null`, as OpenAI does.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChunkChoice {
    #[serde(default, deserialize_with = "count")]
    pub index: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub delta: Delta,
    /// Never translated: written as `null`.
    #[serde(default)]
    pub logprobs: Option<Value>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// What a chunk adds to the message.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Reasoning text: DeepSeek's name, which a translated stream writes too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Reasoning text under the name OpenRouter and vLLM use; read, never written.
    #[serde(default, skip_serializing)]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

/// A piece of a tool call: the first names it (`id`, `function.name`), the rest carry
/// `function.arguments` pieces under the same `index`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ToolCallDelta {
    /// Missing from some compatible servers (one call per chunk): its position is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ToolKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDelta>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct FunctionDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

/// An in-stream error object.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ChunkError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

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
        let chunk: ChatChunk = serde_json::from_slice(data)
            .map_err(|e| TranslateError::Invalid(format!("upstream stream chunk: {e}")))?;
        let mut out = Vec::new();
        if let Some(err) = chunk.error {
            let message = match err {
                OrUnknown::Known(ChunkError { message: Some(m) }) => m,
                _ => "the upstream reported an error".to_owned(),
            };
            out.push(StreamEvent::Error {
                kind: ErrorKind::Api,
                message,
            });
            self.stopped = true;
            return Ok(out);
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: chunk.id,
                model: chunk.model,
            });
        }
        if let Some(choice) = chunk.choices.into_iter().next() {
            let delta = choice.delta;
            if let Some(text) = delta
                .reasoning_content
                .or(delta.reasoning)
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
                out.push(StreamEvent::TextDelta { index, text });
            }
            for text in [delta.content, delta.refusal]
                .into_iter()
                .flatten()
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
                out.push(StreamEvent::TextDelta { index, text });
            }
            for (k, call) in delta.tool_calls.into_iter().flatten().enumerate() {
                let chat_index = call.index.unwrap_or(k as u64);
                let function = call.function.unwrap_or_default();
                let index = match self.tool_blocks.get(&chat_index) {
                    Some(i) => *i,
                    None => {
                        let id = call.id.unwrap_or_else(|| format!("call_{chat_index}"));
                        let name = function.name.unwrap_or_default();
                        let i = self.open(BlockKind::ToolCall { id, name }, &mut out);
                        self.tool_blocks.insert(chat_index, i);
                        i
                    }
                };
                if let Some(json) = function.arguments.filter(|a| !a.is_empty()) {
                    out.push(StreamEvent::ArgumentsDelta { index, json });
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.close_all(&mut out);
                self.pending_stop = Some(stop_from_wire(Some(&reason)));
            }
        }
        if let Some(usage) = &chunk.usage {
            out.push(StreamEvent::Usage(usage.into()));
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

/// A piece of the arguments of the call numbered `index`.
fn arguments_piece(index: usize, arguments: String) -> ToolCallDelta {
    ToolCallDelta {
        index: Some(index as u64),
        function: Some(FunctionDelta {
            name: None,
            arguments: Some(arguments),
        }),
        ..ToolCallDelta::default()
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

    /// A chunk of this stream with `choices` (empty for the usage chunk) and `usage`.
    fn frame(&self, choices: Vec<ChunkChoice>, usage: Option<ChatUsage>) -> Bytes {
        sse_event(
            None,
            &ChatChunk {
                id: self.id.clone(),
                object: "chat.completion.chunk".into(),
                created: self.created,
                model: self.model.clone(),
                choices,
                usage,
                error: None,
            },
        )
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<&str>) -> Bytes {
        let choice = ChunkChoice {
            index: 0,
            delta,
            logprobs: None,
            finish_reason: finish_reason.map(str::to_owned),
        };
        self.frame(vec![choice], None)
    }

    /// A chunk whose delta is one piece of the call numbered `index`.
    fn call_chunk(&self, call: ToolCallDelta) -> Bytes {
        let delta = Delta {
            tool_calls: Some(vec![call]),
            ..Delta::default()
        };
        self.chunk(delta, None)
    }

    fn start(&mut self, out: &mut Vec<Bytes>) {
        if !self.started {
            self.started = true;
            let delta = Delta {
                role: Some("assistant".into()),
                content: Some(String::new()),
                ..Delta::default()
            };
            out.push(self.chunk(delta, None));
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
                        out.push(self.call_chunk(ToolCallDelta {
                            index: Some(k as u64),
                            id: Some(id),
                            kind: Some(ToolKind::Function),
                            function: Some(FunctionDelta {
                                name: Some(name),
                                arguments: Some(String::new()),
                            }),
                        }));
                    }
                    BlockKind::Reasoning => self.reasoning_blocks.push(index),
                    BlockKind::Text | BlockKind::Redacted { .. } => {}
                }
            }
            StreamEvent::TextDelta { index, text } => {
                self.start(&mut out);
                let delta = if self.reasoning_blocks.contains(&index) {
                    Delta {
                        reasoning_content: Some(text),
                        ..Delta::default()
                    }
                } else {
                    Delta {
                        content: Some(text),
                        ..Delta::default()
                    }
                };
                out.push(self.chunk(delta, None));
            }
            StreamEvent::ArgumentsDelta { index, json: piece } => {
                if piece.is_empty() {
                    return out;
                }
                self.no_args.remove(&index);
                if let Some(k) = self.tool_index.get(&index) {
                    out.push(self.call_chunk(arguments_piece(*k, piece)));
                }
            }
            StreamEvent::SignatureDelta { .. } => {}
            StreamEvent::BlockStop { index } => self.empty_arguments(Some(index), &mut out),
            StreamEvent::Usage(u) => self.usage = u,
            StreamEvent::Stop(reason) => {
                self.start(&mut out);
                self.empty_arguments(None, &mut out);
                let finish = stop_to_wire(&reason, !self.tool_index.is_empty());
                out.push(self.chunk(Delta::default(), Some(finish)));
                if self.include_usage {
                    out.push(self.frame(Vec::new(), Some((&self.usage).into())));
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
                out.push(self.call_chunk(arguments_piece(k, "{}".into())));
            }
        }
    }

    /// Ends the client's stream: nothing after a stop; an upstream that ended without one
    /// cut the answer short, which the client learns as an error chunk.
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
    fn in_stream_errors_stop_the_stream_and_reasoning_has_two_names() {
        let err = |chunk: &str| Decoder::new().push(chunk.as_bytes()).expect("decodes");
        assert_eq!(
            err(r#"{"error":{"message":"overloaded","code":529}}"#),
            [StreamEvent::Error {
                kind: ErrorKind::Api,
                message: "overloaded".into()
            }]
        );
        assert!(matches!(&err(r#"{"error":"boom"}"#)[..],
            [StreamEvent::Error { message, .. }] if message == "the upstream reported an error"));
        let events = decode(&[
            r#"{"id":"c","choices":[{"delta":{"reasoning_content":null,"reasoning":"hm"}}]}"#,
            r#"{"choices":[{"delta":{"content":"ok"},"finish_reason":"stop"}],"usage":null}"#,
        ]);
        assert!(events.contains(&StreamEvent::TextDelta {
            index: 0,
            text: "hm".into()
        }));
        assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::EndTurn)));
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
