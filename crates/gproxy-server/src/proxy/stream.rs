//! The streaming body: upstream chunks in, whole events out, one at a time (never the whole
//! stream in memory). On the way each event is scanned for usage, for the text it carries
//! (for an estimate if the stream ends early) and for the protocol's terminal event. The
//! usage record is settled once: at the end of the stream, or when the client goes away and
//! the body is dropped. A stream is complete once its terminal event reached the client,
//! whoever closes first.
//!
//! Bounded per stream: one event may not exceed `max_event` bytes and the upstream may not
//! stay silent longer than `idle`; either ends the stream with the protocol's error event.

use super::records::UsageSink;
use super::relay::ModelRewrite;
use bytes::Bytes;
use futures_util::Stream;
use gproxy_protocol::error::{error_body, stream_error_event};
use gproxy_protocol::frame::{Frame, Framer, Framing};
use gproxy_protocol::peek::{is_usage_only_chunk, rewrite_response_model};
use gproxy_protocol::terminal::is_terminal;
use gproxy_protocol::text::OutputText;
use gproxy_protocol::translate::StreamTranslator;
use gproxy_protocol::usage::StreamUsage;
use gproxy_protocol::{Endpoint, ErrorKind, Protocol};
use gproxy_storage::RecordPermit;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::time::Sleep;

pub type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// Per-stream bounds.
#[derive(Clone, Copy, Debug)]
pub struct StreamLimits {
    /// Largest single event, in bytes.
    pub max_event: usize,
    /// Longest silence between two upstream chunks.
    pub idle: Duration,
}

/// How the stream is relayed, fixed when it starts.
pub struct StreamPlan {
    pub framing: Framing,
    /// The upstream's endpoint (what its events are).
    pub endpoint: Endpoint,
    /// The protocol the client speaks (its error events).
    pub client_protocol: Protocol,
    /// Translates the upstream's events into the client's protocol, when they differ.
    pub translator: Option<StreamTranslator>,
    pub rewrite: ModelRewrite,
    /// Drop the usage-only chunk the gateway asked for on the client's behalf.
    pub hide_usage_chunk: bool,
    pub limits: StreamLimits,
}

/// One event waiting to be handed to the client.
struct Pending {
    bytes: Bytes,
    /// The protocol's terminal event: once handed over, the stream is complete.
    terminal: bool,
}

/// The streaming response body.
pub struct Relay {
    upstream: ByteStream,
    framer: Framer,
    usage: StreamUsage,
    /// Text relayed so far, for an estimate if the upstream never reports usage.
    text: OutputText,
    plan: StreamPlan,
    /// Events framed but not yet handed to the client.
    pending: VecDeque<Pending>,
    /// Settled exactly once: at the end of the stream, or on drop.
    sink: Option<UsageSink>,
    /// When the client's request arrived.
    request_started: Instant,
    /// Time from the request's arrival to the first upstream body byte.
    ttfb: Option<Duration>,
    /// JSON-array framing: whether an element was relayed (for a well-formed error tail).
    relayed_element: bool,
    /// The upstream stream is over (ended, failed or cut off by a limit); only `pending`
    /// remains.
    done: bool,
    /// The terminal event was framed (it is in `pending` or already handed over).
    terminal_seen: bool,
    /// The terminal event was handed to the client.
    terminal_relayed: bool,
    /// The sink let go of the request body (the upstream reported the input tokens).
    request_released: bool,
    /// When the upstream last sent a chunk (or the stream started).
    last_chunk: Instant,
    /// Fires when the idle limit may have passed; re-armed lazily from `last_chunk`, so a
    /// busy stream does not touch the timer per chunk.
    idle_timer: Pin<Box<Sleep>>,
    /// Waiting for a slot in the record queue to settle the usage record.
    closing: Option<Pin<Box<dyn Future<Output = Option<RecordPermit>> + Send>>>,
}

impl Relay {
    pub fn new(
        upstream: ByteStream,
        request_started: Instant,
        plan: StreamPlan,
        sink: UsageSink,
    ) -> Self {
        let now = Instant::now();
        Relay {
            upstream,
            framer: Framer::new(plan.framing),
            usage: StreamUsage::new(plan.endpoint),
            text: OutputText::new(plan.endpoint),
            idle_timer: Box::pin(tokio::time::sleep(plan.limits.idle)),
            plan,
            pending: VecDeque::new(),
            sink: Some(sink),
            request_started,
            ttfb: None,
            relayed_element: false,
            done: false,
            terminal_seen: false,
            terminal_relayed: false,
            request_released: false,
            last_chunk: now,
            closing: None,
        }
    }

    fn protocol(&self) -> Protocol {
        self.plan.endpoint.protocol
    }

    fn take_frames(&mut self, frames: Vec<Frame>) {
        for frame in frames {
            if self.done {
                return;
            }
            if frame.raw.len() > self.plan.limits.max_event {
                self.fail(&format!(
                    "an upstream stream event exceeds the limit of {} bytes",
                    self.plan.limits.max_event
                ));
                return;
            }
            let terminal = is_terminal(self.plan.endpoint, &frame);
            if let Some(data) = &frame.data {
                self.usage.observe(data);
                if !self.request_released
                    && self.usage.usage().is_some_and(|u| u.input_tokens > 0)
                    && let Some(sink) = self.sink.as_mut()
                {
                    sink.release_request();
                    self.request_released = true;
                }
                // Gemini reports usage in every chunk: text is only needed until it does.
                if self.protocol() != Protocol::Gemini || !self.usage.reported() {
                    self.text.observe(data);
                }
            }
            if self.plan.translator.is_some() {
                self.translate_step(Some(&frame));
                continue;
            }
            if let Some(data) = &frame.data {
                if self.plan.hide_usage_chunk && is_usage_only_chunk(data) {
                    continue;
                }
                self.relayed_element = true;
            }
            self.terminal_seen |= terminal;
            let bytes = match &self.plan.rewrite {
                Some((from, to)) => frame
                    .edit_data(|data| rewrite_response_model(data, from, to))
                    .unwrap_or(frame.raw),
                None => frame.raw,
            };
            self.pending.push_back(Pending { bytes, terminal });
        }
    }

    /// Queues the client's events for one upstream event (or, with `None`, for the end of
    /// the upstream's stream). The event that carries the answer's stop is the terminal one;
    /// a translator that ended in an error ends the stream.
    fn translate_step(&mut self, frame: Option<&Frame>) {
        let Some(t) = self.plan.translator.as_mut() else {
            return;
        };
        let was_stopped = t.stopped();
        let out = match frame {
            Some(f) => t.push(f),
            None => t.finish(),
        };
        let stopped_now = t.stopped() && !was_stopped;
        let ended_in_error = t.ended() && !t.stopped();
        let n = out.len();
        for (i, bytes) in out.into_iter().enumerate() {
            self.pending.push_back(Pending {
                bytes,
                terminal: stopped_now && i + 1 == n,
            });
        }
        self.terminal_seen |= stopped_now;
        if ended_in_error {
            self.done = true;
        }
    }

    /// Ends the stream early: whatever the upstream sent after its terminal event is of no
    /// concern; before it, the client gets the protocol's error event.
    fn fail(&mut self, message: &str) {
        tracing::warn!(message, "upstream stream ended early");
        let translated_end = self.plan.translator.as_ref().is_some_and(|t| t.ended());
        self.done = true;
        if self.terminal_seen || translated_end {
            return;
        }
        // A translated stream ends in the client's own error event and framing.
        if let Some(t) = self.plan.translator.as_mut() {
            for bytes in t.fail(message) {
                self.pending.push_back(Pending {
                    bytes,
                    terminal: false,
                });
            }
            return;
        }
        let tail = self.error_tail(message);
        self.pending.push_back(Pending {
            bytes: tail,
            terminal: false,
        });
    }

    /// The error to append when the upstream stream breaks off, framed for the client.
    fn error_tail(&self, message: &str) -> Bytes {
        match self.framer.framing() {
            Framing::Sse => Bytes::from(stream_error_event(
                self.plan.client_protocol,
                ErrorKind::Api,
                message,
            )),
            Framing::JsonArray => {
                let body = error_body(self.plan.client_protocol, 502, ErrorKind::Api, message);
                let mut out = Vec::with_capacity(body.len() + 4);
                out.extend_from_slice(if self.relayed_element { b",\r\n" } else { b"[" });
                out.extend_from_slice(&body);
                out.push(b']');
                Bytes::from(out)
            }
        }
    }

    /// Whether the idle limit has passed; re-arms the timer (registering the waker) when
    /// it fired early because chunks arrived meanwhile.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.idle_timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            let deadline = self.last_chunk + self.plan.limits.idle;
            if Instant::now() >= deadline {
                return true;
            }
            self.idle_timer
                .as_mut()
                .reset(tokio::time::Instant::from_std(deadline));
        }
    }

    /// The stream reached its end for the client: its terminal event was relayed. An
    /// upstream that closes before it (even cleanly) cut the stream short.
    fn complete(&self) -> bool {
        self.terminal_relayed || (self.terminal_seen && self.done && self.pending.is_empty())
    }

    /// Whether the record needs estimated counts: the stream ended early, or the upstream
    /// never reported usage (a provider that ignores `stream_options`).
    fn needs_estimate(&self) -> bool {
        !self.complete() || !self.usage.reported()
    }

    /// Writes the record with estimates where the upstream reported less than happened;
    /// the tokenizer runs off the async workers.
    fn settle_estimated(&mut self) {
        let complete = self.complete();
        if let Some(sink) = self.sink.take() {
            let relayed = self.text.take_text();
            sink.finish_estimated(self.usage.usage(), relayed, self.ttfb, complete);
        }
    }

    /// Settles the usage record once the stream is over. A complete stream waits for a
    /// slot in the record queue (so a slow store slows the stream's end rather than piling
    /// up records); one that needs an estimate is finished off the workers.
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(sink) = self.sink.as_ref() else {
            return Poll::Ready(());
        };
        if self.needs_estimate() {
            self.settle_estimated();
            return Poll::Ready(());
        }
        let closing = match &mut self.closing {
            Some(fut) => fut,
            None => match sink.reserve() {
                Some(fut) => self.closing.insert(Box::pin(fut)),
                None => {
                    self.sink = None; // usage recording is off: nothing to write
                    return Poll::Ready(());
                }
            },
        };
        let Poll::Ready(permit) = closing.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        self.closing = None;
        if let Some(sink) = self.sink.take() {
            sink.finish_with(permit, self.usage.usage(), true, self.ttfb);
        }
        Poll::Ready(())
    }
}

impl Stream for Relay {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(event) = this.pending.pop_front() {
                this.terminal_relayed |= event.terminal;
                return Poll::Ready(Some(Ok(event.bytes)));
            }
            if this.done {
                return this.poll_settle(cx).map(|()| None);
            }
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Pending => {
                    if !this.idle_expired(cx) {
                        return Poll::Pending;
                    }
                    let secs = this.plan.limits.idle.as_secs();
                    this.fail(&format!("the upstream sent nothing for {secs} s"));
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    this.last_chunk = Instant::now();
                    if this.ttfb.is_none() {
                        this.ttfb = Some(this.request_started.elapsed());
                    }
                    let frames = this.framer.push(&chunk);
                    this.take_frames(frames);
                    if !this.done && this.framer.buffered() > this.plan.limits.max_event {
                        let limit = this.plan.limits.max_event;
                        this.fail(&format!(
                            "an upstream stream event exceeds the limit of {limit} bytes"
                        ));
                    }
                }
                Poll::Ready(Some(Err(err))) => {
                    // A half-received event is dropped: relayed, it would garble the error
                    // event that follows it.
                    tracing::debug!(error = %err.without_url(), "upstream stream broke off");
                    this.fail("the upstream stream ended unexpectedly");
                }
                Poll::Ready(None) => {
                    // A last event without its closing blank line is still whole.
                    if let Some(tail) = this.framer.finish() {
                        this.take_frames(vec![tail]);
                    }
                    if !this.done {
                        this.translate_step(None);
                    }
                    this.done = true;
                }
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // The client went away before the stream's end was settled.
        if self.needs_estimate() {
            self.settle_estimated();
        } else if let Some(sink) = self.sink.take() {
            sink.finish_detached(self.usage.usage(), true, self.ttfb);
        }
    }
}
