//! Stream events in canonical form: what every upstream stream decodes into and every
//! client stream encodes from. Blocks are numbered in output order; a block's deltas always
//! follow its start and precede its stop.

use super::StopReason;
use crate::{ErrorKind, Usage};

/// What a client learns when the upstream's stream ended before its stop event.
pub const CUT_SHORT: &str = "the upstream stream ended before the answer was complete";

/// What a content block holds.
#[derive(Clone, Debug, PartialEq)]
pub enum BlockKind {
    Text,
    ToolCall {
        id: String,
        name: String,
    },
    Reasoning,
    /// Anthropic's `redacted_thinking`: opaque data, sent back whole, never shown.
    Redacted {
        data: String,
    },
}

/// One step of a streamed answer.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent {
    /// The answer begins (always first).
    Start { id: String, model: String },
    /// A content block opens.
    BlockStart { index: usize, kind: BlockKind },
    /// Text for a text block, or reasoning text for a reasoning block.
    TextDelta { index: usize, text: String },
    /// A piece of a tool call's JSON arguments.
    ArgumentsDelta { index: usize, json: String },
    /// A reasoning block's opaque signature (Anthropic `signature_delta`).
    SignatureDelta { index: usize, signature: String },
    /// A content block closes.
    BlockStop { index: usize },
    /// Usage as reported so far (cumulative; the latest wins).
    Usage(Usage),
    /// Generation ended for this reason (the last event but `Done`/usage).
    Stop(StopReason),
    /// The upstream failed mid-stream.
    Error { kind: ErrorKind, message: String },
}

impl StreamEvent {
    /// The error that ends a client's stream whose upstream ended before its stop.
    pub fn cut_short() -> Self {
        StreamEvent::Error {
            kind: ErrorKind::Api,
            message: CUT_SHORT.to_owned(),
        }
    }
}
