//! Streaming bodies: a protocol module renders its events into a [`StreamScript`] (pure), and
//! [`StreamScript::into_response`] plays it out incrementally, honouring `chunk_delay` and
//! `cut_after` (which ends the body with an error so hyper aborts the connection mid-body).

use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use crate::call::Call;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A rendered stream: frames before the content deltas, the deltas themselves, and the
/// finishing frames. Only `deltas` count towards [`Reply::cut_after`].
#[derive(Debug, Default)]
pub(crate) struct StreamScript {
    /// Opening frames (role chunk, `message_start`, `response.created`, ...).
    pub head: Vec<Bytes>,
    /// One frame per content delta.
    pub deltas: Vec<Bytes>,
    /// Finishing frames (finish reason, usage, `[DONE]`, `message_stop`, ...); never sent when
    /// the stream is cut.
    pub tail: Vec<Bytes>,
}

/// One step of the played-out body.
enum Frame {
    Data(Bytes),
    /// Wait this long, then end the body normally.
    Hold(Duration),
    /// Abort the body: hyper drops the connection without the closing chunk.
    Cut,
}

/// Error that ends a cut stream; hyper only needs it to be an error.
#[derive(Debug)]
struct CutError;

impl std::fmt::Display for CutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("mock stream cut by Reply::cut_after")
    }
}

impl std::error::Error for CutError {}

impl StreamScript {
    /// Plays the script as a `200` response with `content_type`, counting it in
    /// `call.abandoned` if its reader goes away before the end.
    pub fn into_response(self, call: &Call, content_type: &'static str) -> Response {
        let reply = &call.reply;
        let frames = self.frames(reply.cut_after, reply.hold_open);
        let watch = EndWatch {
            abandoned: Arc::clone(&call.abandoned),
            ended: false,
        };
        let body = Body::from_stream(play(frames, reply.chunk_delay, watch));
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response()
    }

    /// Flattens the script into frames, truncating and appending a cut when asked, or
    /// holding the body open after its last frame.
    fn frames(self, cut_after: Option<usize>, hold_open: Option<Duration>) -> Vec<Frame> {
        let StreamScript {
            head,
            mut deltas,
            tail,
        } = self;
        let mut frames: Vec<Frame> = head.into_iter().map(Frame::Data).collect();
        match cut_after {
            Some(n) => {
                deltas.truncate(n);
                frames.extend(deltas.into_iter().map(Frame::Data));
                frames.push(Frame::Cut);
            }
            None => {
                frames.extend(deltas.into_iter().map(Frame::Data));
                frames.extend(tail.into_iter().map(Frame::Data));
                frames.extend(hold_open.map(Frame::Hold));
            }
        }
        frames
    }
}

/// Counts a stream as abandoned when it is dropped before its end.
struct EndWatch {
    abandoned: Arc<AtomicU64>,
    /// The script ran to its end (or its scripted cut).
    ended: bool,
}

impl EndWatch {
    /// The stream reached its scripted end: not abandoned.
    fn end(&mut self) {
        self.ended = true;
    }
}

impl Drop for EndWatch {
    fn drop(&mut self) {
        if !self.ended {
            self.abandoned.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Yields `frames` one by one, sleeping `delay` between two frames. The stream is lazy, so each
/// frame is produced only when hyper asks for it: the body is really incremental.
fn play(
    frames: Vec<Frame>,
    delay: Duration,
    watch: EndWatch,
) -> impl futures_util::Stream<Item = Result<Bytes, CutError>> + Send + 'static {
    let state = (frames.into_iter(), false, watch);
    futures_util::stream::unfold(state, move |(mut frames, started, mut watch)| async move {
        let Some(frame) = frames.next() else {
            watch.end();
            return None;
        };
        if started && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match frame {
            Frame::Data(bytes) => Some((Ok(bytes), (frames, true, watch))),
            Frame::Hold(hold) => {
                tokio::time::sleep(hold).await;
                watch.end();
                None
            }
            Frame::Cut => {
                // Return Pending once so hyper flushes the frames it buffered: an error polled
                // straight after them would drop them (and even the headers) unsent.
                tokio::task::yield_now().await;
                watch.end();
                // Emptying the iterator makes the next poll end the stream after the error.
                Some((Err(CutError), (Vec::new().into_iter(), true, watch)))
            }
        }
    })
}

/// `data: {json}\n\n`, the OpenAI chat framing.
pub(crate) fn data(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

/// `event: {type}\ndata: {json}\n\n`, the Anthropic and Responses framing.
pub(crate) fn event(kind: &str, value: &Value) -> Bytes {
    Bytes::from(format!("event: {kind}\ndata: {value}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script() -> StreamScript {
        StreamScript {
            head: vec![Bytes::from("h")],
            deltas: vec![Bytes::from("1"), Bytes::from("2"), Bytes::from("3")],
            tail: vec![Bytes::from("t")],
        }
    }

    fn render(frames: &[Frame]) -> String {
        frames
            .iter()
            .map(|f| match f {
                Frame::Data(b) => String::from_utf8_lossy(b).into_owned(),
                Frame::Cut => "!".to_owned(),
                Frame::Hold(d) => format!("~{}", d.as_millis()),
            })
            .collect()
    }

    #[test]
    fn frames_full_and_cut() {
        assert_eq!(render(&script().frames(None, None)), "h123t");
        assert_eq!(render(&script().frames(Some(2), None)), "h12!");
        assert_eq!(render(&script().frames(Some(0), None)), "h!");
        assert_eq!(render(&script().frames(Some(9), None)), "h123!");
        let hold = Some(Duration::from_millis(5));
        assert_eq!(render(&script().frames(None, hold)), "h123t~5");
        assert_eq!(
            render(&script().frames(Some(1), hold)),
            "h1!",
            "a cut never holds"
        );
    }

    #[test]
    fn framing() {
        let v = serde_json::json!({"type": "ping"});
        assert_eq!(data(&v), "data: {\"type\":\"ping\"}\n\n");
        assert_eq!(
            event("ping", &v),
            "event: ping\ndata: {\"type\":\"ping\"}\n\n"
        );
    }
}
