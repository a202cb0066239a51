//! Relaying the upstream's answer to the client. Streams go event by event as they arrive
//! (never buffered whole), scanned for usage on the way; the usage record is settled when
//! the stream ends, or when the client goes away and the body is dropped.

use super::forward::Forwarded;
use super::headers;
use super::records::{CallContext, UsageSink};
use crate::error::ApiError;
use crate::snapshot::ModelVisibility;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use futures_util::Stream;
use gproxy_protocol::error::stream_error_event;
use gproxy_protocol::frame::{Framer, Framing};
use gproxy_protocol::models::retain_models;
use gproxy_protocol::peek::{is_usage_only_chunk, rewrite_response_model};
use gproxy_protocol::usage::{self, StreamUsage};
use gproxy_protocol::{Endpoint, ErrorKind, Operation, Protocol};
use gproxy_storage::RecordPermit;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Most bytes of a non-JSON upstream error quoted back to the client.
const ERROR_EXCERPT: usize = 512;

/// `(upstream model id, client's model name)`: responses name the model the client asked for.
pub type ModelRewrite = Option<(String, String)>;

/// How the answer is relayed.
#[derive(Clone, Debug, Default)]
pub struct RelayPlan {
    /// The client asked for a stream.
    pub stream: bool,
    pub rewrite: ModelRewrite,
    /// The gateway asked for the usage chunk the client did not: read it, don't relay it.
    pub hide_usage_chunk: bool,
    /// A model list: keep only the models the caller may use.
    pub visible_models: Option<ModelVisibility>,
}

/// Builds the client response for an upstream answer.
pub async fn respond(
    ctx: &mut CallContext,
    fwd: Forwarded,
    endpoint: Endpoint,
    plan: RelayPlan,
    sink: UsageSink,
    keep_body: bool,
) -> Result<Response, ApiError> {
    let RelayPlan {
        stream,
        rewrite,
        hide_usage_chunk,
        visible_models,
    } = plan;
    let status =
        StatusCode::from_u16(fwd.response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut resp_headers = headers::client_response(fwd.response.headers());
    if fwd.attempts > 1 && !status.is_success() {
        // The gateway already failed over: SDK retries would only multiply the load.
        resp_headers.insert("x-should-retry", HeaderValue::from_static("false"));
    }
    let is_sse = resp_headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"text/event-stream"));
    let gemini_array = endpoint.operation == Operation::StreamGenerateContent && !is_sse;
    // An upstream may answer a stream request with one JSON body: that is relayed as a body.
    if stream && status.is_success() && (is_sse || gemini_array) {
        let framing = if gemini_array {
            Framing::JsonArray
        } else {
            Framing::Sse
        };
        let plan = RelayPlan {
            stream,
            rewrite,
            hide_usage_chunk,
            visible_models: None,
        };
        let relay = Relay::new(fwd, ctx.started, framing, plan, sink, endpoint);
        let mut resp = Response::new(Body::from_stream(relay));
        *resp.status_mut() = status;
        *resp.headers_mut() = resp_headers;
        return Ok(resp);
    }

    let headers_after = fwd.headers_at.duration_since(ctx.started);
    let body = match fwd.response.bytes().await {
        Ok(b) => b,
        Err(err) => {
            tracing::warn!(request_id = %ctx.request_id, error = %err.without_url(), "reading the upstream body failed");
            sink.finish(None, false, Some(headers_after)).await;
            return Err(ApiError::bad_gateway(
                "the upstream response body could not be read",
            ));
        }
    };
    let body = if status.is_success() {
        sink.finish(usage::from_body(endpoint, &body), true, Some(headers_after))
            .await;
        let body = match &rewrite {
            Some((from, to)) => rewrite_response_model(&body, from, to)
                .map(Bytes::from)
                .unwrap_or(body),
            None => body,
        };
        match &visible_models {
            // A list that cannot be read is not relayed: it could name models the caller
            // may not use.
            Some(visible) => Bytes::from(
                retain_models(endpoint.protocol, &body, |id| visible.allows(id)).ok_or_else(
                    || ApiError::bad_gateway("the upstream model list could not be read"),
                )?,
            ),
            None => body,
        }
    } else {
        sink.finish(None, true, Some(headers_after)).await;
        if serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object()) {
            body
        } else {
            // A proxy or load balancer in front of the upstream answered in HTML or text:
            // reshape it so the client's SDK can parse it.
            let text = String::from_utf8_lossy(&body);
            let excerpt: String = text.chars().take(ERROR_EXCERPT).collect();
            let message = format!("upstream answered {status}: {}", excerpt.trim());
            resp_headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Bytes::from(gproxy_protocol::error::error_body(
                endpoint.protocol,
                status.as_u16(),
                ErrorKind::from_status(status.as_u16()),
                &message,
            ))
        }
    };
    if keep_body {
        ctx.response_body = Some(String::from_utf8_lossy(&body).into_owned());
    }
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    *resp.headers_mut() = resp_headers;
    Ok(resp)
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The streaming body: upstream chunks in, whole events out.
struct Relay {
    upstream: ByteStream,
    framer: Framer,
    usage: StreamUsage,
    protocol: Protocol,
    rewrite: ModelRewrite,
    /// Drop the usage-only chunk the gateway asked for on the client's behalf.
    hide_usage_chunk: bool,
    /// Events framed but not yet handed to the client.
    pending: VecDeque<Bytes>,
    /// Settled exactly once: at the end of the stream, or on drop.
    sink: Option<UsageSink>,
    /// When the client's request arrived.
    request_started: Instant,
    /// Time from the request's arrival to the first upstream body byte.
    ttfb: Option<Duration>,
    /// JSON-array framing: whether an element was relayed (for a well-formed error tail).
    relayed_element: bool,
    /// The upstream stream is over (ended or failed); only `pending` remains.
    done: bool,
    /// The upstream stream ended normally.
    complete: bool,
    /// Waiting for a slot in the record queue to settle the usage record.
    closing: Option<Pin<Box<dyn Future<Output = Option<RecordPermit>> + Send>>>,
}

impl Relay {
    fn new(
        fwd: Forwarded,
        request_started: Instant,
        framing: Framing,
        plan: RelayPlan,
        sink: UsageSink,
        endpoint: Endpoint,
    ) -> Self {
        Relay {
            upstream: Box::pin(fwd.response.bytes_stream()),
            framer: Framer::new(framing),
            usage: StreamUsage::new(endpoint),
            protocol: endpoint.protocol,
            rewrite: plan.rewrite,
            hide_usage_chunk: plan.hide_usage_chunk,
            pending: VecDeque::new(),
            sink: Some(sink),
            request_started,
            ttfb: None,
            relayed_element: false,
            done: false,
            complete: false,
            closing: None,
        }
    }

    fn take_frames(&mut self, frames: Vec<gproxy_protocol::frame::Frame>) {
        for frame in frames {
            if let Some(data) = &frame.data {
                self.usage.observe(data);
                if self.hide_usage_chunk && is_usage_only_chunk(data) {
                    continue;
                }
                self.relayed_element = true;
            }
            let raw = match &self.rewrite {
                Some((from, to)) => frame
                    .edit_data(|data| rewrite_response_model(data, from, to))
                    .unwrap_or(frame.raw),
                None => frame.raw,
            };
            self.pending.push_back(raw);
        }
    }

    /// The error to append when the upstream stream breaks off, framed for the client.
    fn error_tail(&self, message: &str) -> Bytes {
        match self.framer.framing() {
            Framing::Sse => Bytes::from(stream_error_event(self.protocol, ErrorKind::Api, message)),
            Framing::JsonArray => {
                let body =
                    gproxy_protocol::error::error_body(self.protocol, 502, ErrorKind::Api, message);
                let mut out = Vec::with_capacity(body.len() + 4);
                out.extend_from_slice(if self.relayed_element { b",\r\n" } else { b"[" });
                out.extend_from_slice(&body);
                out.push(b']');
                Bytes::from(out)
            }
        }
    }

    /// Settles the usage record once the stream is over: waits for a slot in the record
    /// queue (so a slow store slows the stream's end rather than piling up records).
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(sink) = self.sink.as_ref() else {
            return Poll::Ready(());
        };
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
            sink.finish_with(permit, self.usage.usage(), self.complete, self.ttfb);
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
                return Poll::Ready(Some(Ok(event)));
            }
            if this.done {
                return this.poll_settle(cx).map(|()| None);
            }
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    if this.ttfb.is_none() {
                        this.ttfb = Some(this.request_started.elapsed());
                    }
                    let frames = this.framer.push(&chunk);
                    this.take_frames(frames);
                }
                Poll::Ready(Some(Err(err))) => {
                    tracing::warn!(error = %err.without_url(), "upstream stream broke off");
                    if let Some(tail) = this.framer.finish() {
                        this.take_frames(vec![tail]);
                    }
                    let tail = this.error_tail("the upstream stream ended unexpectedly");
                    this.pending.push_back(tail);
                    this.done = true;
                    this.complete = false;
                }
                Poll::Ready(None) => {
                    if let Some(tail) = this.framer.finish() {
                        this.take_frames(vec![tail]);
                    }
                    this.done = true;
                    this.complete = true;
                }
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // The client went away before the stream's end was settled: record what was relayed.
        if let Some(sink) = self.sink.take() {
            sink.finish_detached(self.usage.usage(), self.done && self.complete, self.ttfb);
        }
    }
}
