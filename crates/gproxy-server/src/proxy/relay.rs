//! Relaying the upstream's answer to the client: a stream through [`super::stream::Relay`],
//! event by event; a body read whole up to a size limit, its usage read, its model name and
//! (for model lists) its entries adjusted. Upstream bodies arrive uncompressed (the gateway
//! asks for `identity` and decodes gzip/deflate if an upstream compresses anyway); one in an
//! encoding the gateway cannot read is refused, so usage is always read.

use super::forward::Forwarded;
use super::headers;
use super::records::{CallContext, UsageSink};
use super::stream::{Relay, StreamLimits, StreamPlan};
use crate::ServerConfig;
use crate::error::ApiError;
use crate::snapshot::ModelVisibility;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use gproxy_protocol::frame::Framing;
use gproxy_protocol::models::retain_models;
use gproxy_protocol::peek::rewrite_response_model;
use gproxy_protocol::text::body_text;
use gproxy_protocol::translate::embeddings::{self, EmbedRequest};
use gproxy_protocol::translate::{
    ClientStream, StreamTranslator, TranslateError, aggregate_response, error_message,
    replay_response, translate_response,
};
use gproxy_protocol::usage;
use gproxy_protocol::{Endpoint, ErrorKind, Operation};
use std::time::Duration;

/// Most bytes of a non-JSON upstream error quoted back to the client.
const ERROR_EXCERPT: usize = 512;

/// `(upstream model id, client's model name)`: responses name the model the client asked for.
pub type ModelRewrite = Option<(String, String)>;

/// The client's side of a translated call.
#[derive(Debug)]
pub struct Translation {
    /// What the client called.
    pub client: Endpoint,
    /// The model name the client used (answers name it).
    pub client_model: String,
    /// An OpenAI chat client asked for the usage chunk.
    pub include_usage: bool,
    /// The request's input tokens, counted off the workers while the upstream works (for
    /// Anthropic's `message_start`, which must carry them before the upstream reports any).
    pub input_estimate: Option<tokio::task::JoinHandle<u64>>,
    /// How the client's stream is framed (a Gemini client without `alt=sse`: one array).
    pub client_framing: Framing,
    /// An embeddings call: what the client asked for (the answer's shape depends on it).
    pub embed: Option<EmbedRequest>,
    /// How the upstream's answer becomes the client's.
    pub mode: AnswerMode,
}

/// Whether the upstream answers as the client asked, or the gateway bridges the two.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnswerMode {
    /// Streamed or whole on both sides.
    #[default]
    AsAsked,
    /// A stream-only upstream's events, read whole, become the client's whole answer.
    Aggregate,
    /// A whole upstream answer is replayed as the client's stream.
    Replay,
}

/// How the answer is relayed.
#[derive(Debug, Default)]
pub struct RelayPlan {
    /// The client asked for a stream.
    pub stream: bool,
    pub rewrite: ModelRewrite,
    /// The gateway asked for the usage chunk the client did not: read it, don't relay it.
    pub hide_usage_chunk: bool,
    /// A model list: keep only the models the caller may use.
    pub visible_models: Option<ModelVisibility>,
    /// The upstream speaks another protocol: answers are translated for the client.
    pub translation: Option<Translation>,
}

/// Why a non-streamed upstream body could not be read.
pub(super) enum BodyError {
    TooLarge,
    Idle,
    Read(reqwest::Error),
}

/// Reads a whole upstream body, refusing more than `limit` bytes and a silence longer than
/// `idle` between chunks.
pub(super) async fn read_body(
    response: reqwest::Response,
    limit: usize,
    idle: Duration,
) -> Result<Bytes, BodyError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut chunks = response.bytes_stream();
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    loop {
        let next = tokio::time::timeout(idle, chunks.next())
            .await
            .map_err(|_| BodyError::Idle)?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(BodyError::Read)?;
        let total = buf.len() + first.as_ref().map_or(0, Bytes::len) + chunk.len();
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        // Most bodies arrive in one chunk: keep it without copying.
        match first.take() {
            None if buf.is_empty() => first = Some(chunk),
            earlier => {
                if let Some(earlier) = earlier {
                    buf.extend_from_slice(&earlier);
                }
                buf.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| buf.freeze()))
}

/// The content encoding still on an upstream response after decoding, if any: the body
/// is then unreadable (usage included) and is not relayed.
fn undecoded_encoding(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get(header::CONTENT_ENCODING)?;
    let text = value.to_str().unwrap_or("?").trim();
    (!text.is_empty() && !text.eq_ignore_ascii_case("identity")).then(|| text.to_owned())
}

/// Seconds since the Unix epoch (OpenAI's `created`).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Builds the client response for an upstream answer.
pub async fn respond(
    ctx: &mut CallContext,
    fwd: Forwarded,
    endpoint: Endpoint,
    plan: RelayPlan,
    sink: UsageSink,
    config: &ServerConfig,
) -> Result<Response, ApiError> {
    let keep_body = config.enable_downstream_log_body;
    let RelayPlan {
        stream,
        rewrite,
        hide_usage_chunk,
        visible_models,
        translation,
    } = plan;
    let client_protocol = translation
        .as_ref()
        .map_or(endpoint.protocol, |t| t.client.protocol);
    let status =
        StatusCode::from_u16(fwd.response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers_after = fwd.headers_at.duration_since(ctx.started);
    if let Some(encoding) = undecoded_encoding(&fwd.response) {
        let mut sink = sink;
        sink.answered(502, Some(fwd.credential_id));
        sink.finish(None, false, Some(headers_after)).await;
        return Err(ApiError::bad_gateway(format!(
            "the upstream answered in content-encoding `{encoding}`, which the gateway cannot decode"
        )));
    }
    let mut resp_headers = headers::client_response(fwd.response.headers());
    if fwd.attempts > 1 {
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
        let translator = match translation {
            Some(t) => {
                let input_estimate = match t.input_estimate {
                    Some(task) => task.await.unwrap_or(0),
                    None => 0,
                };
                let client = ClientStream {
                    model: t.client_model,
                    created: unix_now(),
                    include_usage: t.include_usage,
                    input_estimate,
                    framing: t.client_framing,
                    id_seed: ctx.request_id.clone(),
                };
                resp_headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(match t.client_framing {
                        Framing::Sse => "text/event-stream",
                        Framing::JsonArray => "application/json",
                    }),
                );
                Some(
                    StreamTranslator::new(endpoint, t.client, client).ok_or_else(|| {
                        ApiError::not_implemented("this stream cannot be translated")
                    })?,
                )
            }
            None => None,
        };
        let plan = StreamPlan {
            framing,
            endpoint,
            client_protocol,
            translator,
            rewrite,
            hide_usage_chunk,
            limits: StreamLimits {
                max_event: config.max_stream_event_bytes,
                idle: config.stream_idle_timeout,
            },
        };
        let upstream = Box::pin(fwd.response.bytes_stream());
        let relay = Relay::new(upstream, ctx.started, plan, sink);
        let mut resp = Response::new(Body::from_stream(relay));
        *resp.status_mut() = status;
        *resp.headers_mut() = resp_headers;
        return Ok(resp);
    }

    let limit = config.max_response_body_bytes;
    let body = match read_body(fwd.response, limit, config.stream_idle_timeout).await {
        Ok(b) => b,
        Err(err) => {
            let message = match err {
                BodyError::TooLarge => {
                    format!("the upstream response body exceeds the limit of {limit} bytes")
                }
                BodyError::Idle => format!(
                    "the upstream sent nothing for {} s",
                    config.stream_idle_timeout.as_secs()
                ),
                BodyError::Read(err) => {
                    tracing::warn!(request_id = %ctx.request_id, error = %err.without_url(), "reading the upstream body failed");
                    "the upstream response body could not be read".to_owned()
                }
            };
            let mut sink = sink;
            sink.answered(502, Some(fwd.credential_id));
            sink.finish(None, false, Some(headers_after)).await;
            return Err(ApiError::bad_gateway(message));
        }
    };
    let body = if status.is_success() {
        // A model list that cannot be read is not relayed: it could name models the caller
        // may not use.
        let body = match &visible_models {
            Some(visible) => {
                match retain_models(endpoint.protocol, &body, |id| visible.allows(id)) {
                    Some(list) => Bytes::from(list),
                    None => {
                        let mut sink = sink;
                        sink.answered(502, Some(fwd.credential_id));
                        sink.finish(None, false, Some(headers_after)).await;
                        return Err(ApiError::bad_gateway(
                            "the upstream model list could not be read",
                        ));
                    }
                }
            }
            None => body,
        };
        let mut reported = usage::from_body(endpoint, &body);
        let body = match &translation {
            None => body,
            Some(t) => {
                let translated = match &t.embed {
                    Some(req) => embeddings::translate_answer(
                        endpoint,
                        &body,
                        req,
                        t.client,
                        &t.client_model,
                    )
                    .map(|(out, _)| (out, reported.unwrap_or_default())),
                    None => match t.mode {
                        AnswerMode::AsAsked => translate_response(
                            endpoint,
                            &body,
                            t.client,
                            &t.client_model,
                            unix_now(),
                            &ctx.request_id,
                        ),
                        AnswerMode::Aggregate => aggregate_response(
                            endpoint,
                            &body,
                            t.client,
                            &t.client_model,
                            unix_now(),
                            &ctx.request_id,
                        ),
                        AnswerMode::Replay => replay_response(
                            endpoint,
                            &body,
                            t.client,
                            ClientStream {
                                model: t.client_model.clone(),
                                created: unix_now(),
                                include_usage: t.include_usage,
                                input_estimate: 0,
                                framing: t.client_framing,
                                id_seed: ctx.request_id.clone(),
                            },
                        ),
                    },
                };
                match translated {
                    Ok((translated, usage)) => {
                        // A stream read whole reports its usage in its events.
                        if t.mode == AnswerMode::Aggregate && usage != usage::Usage::default() {
                            reported = Some(usage);
                        }
                        let stream_body =
                            t.mode == AnswerMode::Replay && t.client_framing == Framing::Sse;
                        resp_headers.insert(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static(if stream_body {
                                "text/event-stream"
                            } else {
                                "application/json"
                            }),
                        );
                        Bytes::from(translated)
                    }
                    // Never billed as a success, never relayed untranslated: the client gets a
                    // clear error in its shape, the record the upstream's usage and the 502.
                    Err(err) => {
                        let mut sink = sink;
                        sink.answered(502, Some(fwd.credential_id));
                        sink.finish(reported, false, Some(headers_after)).await;
                        return Err(ApiError::bad_gateway(match err {
                            TranslateError::Stopped(message) => message,
                            err => format!("the upstream answer could not be translated: {err}"),
                        }));
                    }
                }
            }
        };
        match reported {
            // Output was produced but the upstream reported no usage: estimated, not free.
            None if endpoint.operation.generates() => {
                sink.finish_estimated(None, body_text(&body), Some(headers_after), true);
            }
            reported => sink.finish(reported, true, Some(headers_after)).await,
        }
        match &rewrite {
            Some((from, to)) => rewrite_response_model(&body, from, to)
                .map(Bytes::from)
                .unwrap_or(body),
            None => body,
        }
    } else {
        sink.finish(None, true, Some(headers_after)).await;
        let json_object =
            serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object());
        if json_object && translation.is_none() {
            body
        } else {
            // A proxy or load balancer in front of the upstream answered in HTML or text, or
            // the upstream speaks another protocol: reshape it so the client's SDK can
            // parse it.
            let message = match error_message(&body) {
                Some(m) => format!("upstream answered {status}: {m}"),
                None => {
                    let text = String::from_utf8_lossy(&body);
                    let excerpt: String = text.chars().take(ERROR_EXCERPT).collect();
                    format!("upstream answered {status}: {}", excerpt.trim())
                }
            };
            resp_headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Bytes::from(gproxy_protocol::error::error_body(
                client_protocol,
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
