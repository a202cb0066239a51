//! The event that ends a stream in each protocol. A stream whose terminal event reached the
//! client is complete, whoever closes the connection first (Codex CLI hangs up right after
//! `response.completed`).

use crate::frame::Frame;
use crate::peek::find;
use crate::{Endpoint, Operation, Protocol};
use serde::Deserialize;

/// Whether `frame` is the terminal event of an `endpoint` stream: `[DONE]` (Chat
/// Completions), `response.completed`/`incomplete`/`failed` (Responses), `message_stop`
/// (Anthropic), or a Gemini chunk with a `finishReason`. Events that cannot be terminal are
/// told apart by a byte search, without parsing.
pub fn is_terminal(endpoint: Endpoint, frame: &Frame) -> bool {
    let Some(data) = frame.data.as_deref() else {
        return frame.done;
    };
    match (endpoint.protocol, endpoint.operation) {
        (Protocol::OpenAi, Operation::Responses) => {
            find(data, b"response.").is_some()
                && event_type(data).is_some_and(|t| {
                    matches!(
                        t.as_str(),
                        "response.completed" | "response.incomplete" | "response.failed"
                    )
                })
        }
        (Protocol::Anthropic, _) => {
            find(data, b"message_stop").is_some()
                && event_type(data).is_some_and(|t| t == "message_stop")
        }
        (Protocol::Gemini, _) => find(data, b"finishReason").is_some() && gemini_finished(data),
        _ => false,
    }
}

/// The top-level `type` of an event.
fn event_type(data: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    serde_json::from_slice::<Typed>(data).ok()?.kind
}

/// Whether a Gemini chunk has a candidate with a non-empty `finishReason`.
fn gemini_finished(data: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Chunk {
        #[serde(default)]
        candidates: Vec<Candidate>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Candidate {
        #[serde(default)]
        finish_reason: Option<String>,
    }
    serde_json::from_slice::<Chunk>(data).is_ok_and(|c| {
        c.candidates
            .iter()
            .any(|c| c.finish_reason.as_deref().is_some_and(|r| !r.is_empty()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Framer, Framing};

    fn frames(framing: Framing, text: &str) -> Vec<Frame> {
        let mut f = Framer::new(framing);
        let mut out = f.push(text.as_bytes());
        out.extend(f.finish());
        out
    }

    fn terminals(endpoint: Endpoint, framing: Framing, text: &str) -> Vec<bool> {
        frames(framing, text)
            .iter()
            .map(|f| is_terminal(endpoint, f))
            .collect()
    }

    #[test]
    fn each_protocols_end() {
        let chat = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
        assert_eq!(
            terminals(
                chat,
                Framing::Sse,
                "data: {\"choices\":[{\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
            ),
            [false, true]
        );
        let responses = Endpoint::new(Protocol::OpenAi, Operation::Responses);
        assert_eq!(
            terminals(
                responses,
                Framing::Sse,
                "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"text\":\"response.completed\"}\n\n\
                 event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{}}\n\n"
            ),
            [false, true]
        );
        assert_eq!(
            terminals(
                responses,
                Framing::Sse,
                "data: {\"type\":\"response.failed\"}\n\ndata: {\"type\":\"response.incomplete\"}\n\n"
            ),
            [true, true]
        );
        let messages = Endpoint::new(Protocol::Anthropic, Operation::Messages);
        assert_eq!(
            terminals(
                messages,
                Framing::Sse,
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"message_stop\"}}\n\n\
                 event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
            ),
            [false, true]
        );
        let gemini = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
        assert_eq!(
            terminals(
                gemini,
                Framing::JsonArray,
                "[{\"candidates\":[{\"content\":{}}]},\r\n{\"candidates\":[{\"finishReason\":\"STOP\"}]}]"
            ),
            [false, true, false]
        );
        assert_eq!(
            terminals(
                gemini,
                Framing::Sse,
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"finishReason\"}]}}]}\n\n"
            ),
            [false]
        );
    }
}
