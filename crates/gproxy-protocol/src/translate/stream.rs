//! A stream translator: the upstream protocol's decoder feeding the client protocol's
//! encoder through IR events, one upstream event at a time.

use super::{TranslateError, generation, responses_upstream};
use crate::anthropic::messages::stream as anthropic;
use crate::frame::{Frame, Framing};
use crate::gemini::generate::stream as gemini;
use crate::ir::{BlockKind, StreamEvent};
use crate::openai::chat::stream as chat;
use crate::openai::responses::stream as responses;
use crate::openai::responses::upstream::stream as responses_up;
use crate::{Endpoint, ErrorKind, Protocol};
use bytes::Bytes;

#[derive(Debug)]
enum Decoder {
    Chat(chat::Decoder),
    Anthropic(anthropic::Decoder),
    Gemini(gemini::Decoder),
    Responses(responses_up::Decoder),
}

impl Decoder {
    /// The decoder of `upstream`'s stream; `None` for an endpoint not translated.
    fn new(upstream: Endpoint, id_seed: &str) -> Option<Self> {
        if responses_upstream(upstream) {
            return Some(Decoder::Responses(responses_up::Decoder::new()));
        }
        Some(match generation(upstream)? {
            Protocol::OpenAi => Decoder::Chat(chat::Decoder::new()),
            Protocol::Anthropic => Decoder::Anthropic(anthropic::Decoder::new()),
            Protocol::Gemini => Decoder::Gemini(gemini::Decoder::new(format!("call_{id_seed}_"))),
        })
    }

    /// The IR events of one upstream frame.
    fn push(&mut self, frame: &Frame) -> Result<Vec<StreamEvent>, TranslateError> {
        match (self, &frame.data) {
            (Decoder::Chat(d), None) if frame.done => Ok(d.done()),
            (_, None) => Ok(Vec::new()),
            (Decoder::Chat(d), Some(data)) => d.push(data),
            (Decoder::Anthropic(d), Some(data)) => d.push(data),
            (Decoder::Gemini(d), Some(data)) => d.push(data),
            (Decoder::Responses(d), Some(data)) => d.push(data),
        }
    }

    /// The events held until the upstream's stream is over (Chat's finish, which may
    /// precede its usage chunk).
    fn end(&mut self) -> Vec<StreamEvent> {
        match self {
            Decoder::Chat(d) => d.done(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug)]
enum Encoder {
    Chat(chat::Encoder),
    Responses(responses::Encoder),
    Anthropic(anthropic::Encoder),
    Gemini(gemini::Encoder),
}

impl Encoder {
    fn push(&mut self, event: StreamEvent) -> Vec<Bytes> {
        match self {
            Encoder::Chat(e) => e.push(event),
            Encoder::Responses(e) => e.push(event),
            Encoder::Anthropic(e) => e.push(event),
            Encoder::Gemini(e) => e.push(event),
        }
    }

    fn finish(&mut self) -> Vec<Bytes> {
        match self {
            Encoder::Chat(e) => e.finish(),
            Encoder::Responses(e) => e.finish(),
            Encoder::Anthropic(e) => e.finish(),
            Encoder::Gemini(e) => e.finish(),
        }
    }
}

/// Upstream events in, client events out.
#[derive(Debug)]
pub struct StreamTranslator {
    decoder: Decoder,
    encoder: Encoder,
    /// The client's stream got its last event (its stop, or an error).
    ended: bool,
    /// The last event was the answer's stop: the client's stream is complete.
    stopped: bool,
    /// Text or a tool call reached the client (a failed stop after them is a plain stop).
    answered: bool,
    /// The indices of text blocks (reasoning text is no answer).
    text_blocks: Vec<usize>,
}

/// A stream-only upstream's whole SSE body (`upstream`'s protocol) as one IR answer.
pub(super) fn aggregate(
    upstream: Endpoint,
    body: &[u8],
    id_seed: &str,
) -> Result<crate::ir::Response, TranslateError> {
    let mut decoder = Decoder::new(upstream, id_seed)
        .ok_or_else(|| TranslateError::Invalid("untranslatable upstream stream".into()))?;
    let mut framer = crate::frame::Framer::new(Framing::Sse);
    let mut frames = framer.push(body);
    frames.extend(framer.finish());
    let mut aggregator = crate::ir::replay::Aggregator::default();
    for frame in &frames {
        for event in decoder.push(frame)? {
            aggregator.push(event)?;
        }
    }
    for event in decoder.end() {
        aggregator.push(event)?;
    }
    aggregator.finish()
}

/// What the client's encoder needs to know.
#[derive(Clone, Debug)]
pub struct ClientStream {
    /// The model name the client asked for.
    pub model: String,
    /// Unix time for OpenAI chunks.
    pub created: u64,
    /// OpenAI chat: the client asked for the usage chunk.
    pub include_usage: bool,
    /// Anthropic: input tokens for `message_start` when the upstream reports them late.
    pub input_estimate: u64,
    /// Gemini: SSE (`alt=sse`) or one JSON array.
    pub framing: Framing,
    /// Unique per call (the gateway's request id): call ids minted for an upstream that
    /// sends none (Gemini) start with it, so they never repeat across turns.
    pub id_seed: String,
}

impl StreamTranslator {
    /// A translator from `upstream` to `client` streams; `None` for a pair not translated.
    pub fn new(upstream: Endpoint, client: Endpoint, stream: ClientStream) -> Option<Self> {
        let decoder = Decoder::new(upstream, &stream.id_seed)?;
        let encoder = if client.protocol == Protocol::OpenAi
            && client.operation == crate::Operation::Responses
        {
            Encoder::Responses(responses::Encoder::new(stream.model, stream.created))
        } else {
            match generation(client)? {
                Protocol::OpenAi => Encoder::Chat(chat::Encoder::new(
                    stream.model,
                    stream.created,
                    stream.include_usage,
                )),
                Protocol::Anthropic => {
                    Encoder::Anthropic(anthropic::Encoder::new(stream.model, stream.input_estimate))
                }
                Protocol::Gemini => {
                    Encoder::Gemini(gemini::Encoder::new(stream.model, stream.framing))
                }
            }
        };
        Some(StreamTranslator {
            decoder,
            encoder,
            ended: false,
            stopped: false,
            answered: false,
            text_blocks: Vec::new(),
        })
    }

    /// Whether the client's stream has had its last event.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Whether the client's stream ended with the answer's stop (not an error).
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    fn encode(&mut self, events: Vec<StreamEvent>) -> Vec<Bytes> {
        let mut out = Vec::new();
        for event in events {
            if self.ended {
                break;
            }
            match &event {
                StreamEvent::BlockStart {
                    index,
                    kind: BlockKind::Text,
                } => self.text_blocks.push(*index),
                StreamEvent::BlockStart {
                    kind: BlockKind::ToolCall { .. },
                    ..
                } => self.answered = true,
                StreamEvent::TextDelta { index, text }
                    if !text.is_empty() && self.text_blocks.contains(index) =>
                {
                    self.answered = true;
                }
                _ => {}
            }
            // A failed stop with nothing answered: the client's error event, not an empty
            // success.
            let event = match event {
                StreamEvent::Stop(reason) if !self.answered => match reason.failure() {
                    Some(message) => StreamEvent::Error {
                        kind: ErrorKind::Api,
                        message,
                    },
                    None => StreamEvent::Stop(reason),
                },
                event => event,
            };
            let stop = matches!(event, StreamEvent::Stop(_));
            let last = stop || matches!(event, StreamEvent::Error { .. });
            out.extend(self.encoder.push(event));
            self.ended |= last;
            self.stopped |= stop;
        }
        out
    }

    /// The client events for one upstream event. An event that cannot be decoded ends the
    /// client's stream with an error event.
    pub fn push(&mut self, frame: &Frame) -> Vec<Bytes> {
        let events = self.decoder.push(frame).unwrap_or_else(|e| {
            vec![StreamEvent::Error {
                kind: ErrorKind::Api,
                message: format!("the upstream stream could not be translated: {e}"),
            }]
        });
        self.encode(events)
    }

    /// The client's stream for whole-answer events ([`crate::ir::replay::replay`]), ended.
    pub fn replay(&mut self, events: Vec<StreamEvent>) -> Vec<Bytes> {
        let mut out = self.encode(events);
        out.extend(self.finish());
        out
    }

    /// The stream breaks off (upstream cut, silence, an oversize event): the client gets
    /// its protocol's error event, in its own framing.
    pub fn fail(&mut self, message: &str) -> Vec<Bytes> {
        self.encode(vec![StreamEvent::Error {
            kind: ErrorKind::Api,
            message: message.to_owned(),
        }])
    }

    /// The upstream's stream is over: an upstream that stopped without its stop event
    /// leaves the client an error event, never a silently short stream.
    pub fn finish(&mut self) -> Vec<Bytes> {
        let held = self.decoder.end();
        let mut out = self.encode(held);
        out.extend(self.encoder.finish());
        self.ended = true;
        out
    }
}
