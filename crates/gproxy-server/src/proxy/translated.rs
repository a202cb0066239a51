//! Calls served by an upstream of another protocol: the client's request is decoded into
//! the IR and encoded for the upstream, and the answer is translated back on the way out
//! ([`super::relay`], [`super::stream`]). A request that cannot be expressed for the
//! upstream is a 400 in the client's shape, naming the field; nothing is dropped silently.

use super::estimate;
use super::records::CallContext;
use super::relay::{AnswerMode, RelayPlan, Translation};
use super::{UpstreamTarget, forward_and_respond};
use crate::error::ApiError;
use crate::snapshot::Provider;
use crate::state::AppState;
use axum::http::request::Parts;
use axum::response::Response;
use bytes::Bytes;
use gproxy_protocol::frame::Framing;
use gproxy_protocol::text::body_text;
use gproxy_protocol::translate::embeddings;
use gproxy_protocol::translate::{self, TranslateError};
use gproxy_protocol::{Endpoint, Operation, Protocol};

/// A call whose client and upstream speak different protocols.
pub(crate) struct TranslatedCall<'a> {
    pub provider: &'a Provider,
    /// What the client called.
    pub client: Endpoint,
    /// What the upstream serves it as.
    pub upstream: Endpoint,
    /// The upstream model id.
    pub model_id: &'a str,
    /// The model name the client used.
    pub client_model: String,
    pub stream: bool,
    /// An OpenAI chat client asked for the usage chunk.
    pub include_usage: bool,
    pub gemini_version: &'a str,
}

fn rejected(err: TranslateError) -> ApiError {
    ApiError::bad_request(err.to_string())
}

/// Translates the request, sends it upstream and relays the translated answer.
pub(crate) async fn forward(
    state: &AppState,
    ctx: &mut CallContext,
    call: TranslatedCall<'_>,
    parts: &Parts,
    body: Bytes,
) -> Result<Response, ApiError> {
    if embeddings::is_embedding(call.client) {
        return forward_embeddings(state, ctx, call, parts, body).await;
    }
    let mut request = translate::decode_request(call.client, &body).map_err(rejected)?;
    request.model = call.model_id.to_owned();
    // An upstream that only streams, or never does, is bridged: its events aggregated for a
    // client that did not stream, its whole answer replayed for one that did.
    let upstream_stream = call
        .provider
        .settings
        .upstream_stream
        .unwrap_or(call.stream);
    let mode = match (call.stream, upstream_stream) {
        (false, true) => AnswerMode::Aggregate,
        (true, false) => AnswerMode::Replay,
        _ => AnswerMode::AsAsked,
    };
    request.stream = upstream_stream;
    // Gemini streams at its own method, as SSE when asked with `alt=sse`.
    let gemini_stream = call.upstream.protocol == Protocol::Gemini && upstream_stream;
    let upstream = if gemini_stream {
        Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent)
    } else {
        call.upstream
    };
    // A Gemini client chose its framing by `alt=sse`; everyone else gets SSE.
    let client_sse = call.client.protocol != Protocol::Gemini
        || parts.uri.query().is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "alt" && v == "sse")
        });
    let upstream_body =
        translate::encode_request(upstream, &request, call.provider.kind.chat_dialect())
            .map_err(rejected)?;
    // An Anthropic client reads the input tokens from `message_start`, before a Chat
    // upstream reports any: they are counted while the upstream works.
    let input_estimate =
        (mode == AnswerMode::AsAsked && call.stream && call.client.protocol == Protocol::Anthropic)
            .then(|| {
                let body = body.clone();
                tokio::task::spawn_blocking(move || estimate::count_tokens(&body_text(&body)))
            });
    let plan = RelayPlan {
        // Bridged answers are read whole.
        stream: call.stream && mode == AnswerMode::AsAsked,
        translation: Some(Translation {
            client: call.client,
            client_model: call.client_model,
            include_usage: call.include_usage,
            input_estimate,
            client_framing: if client_sse {
                Framing::Sse
            } else {
                Framing::JsonArray
            },
            embed: None,
            mode,
        }),
        ..RelayPlan::default()
    };
    let target = UpstreamTarget {
        provider: call.provider,
        endpoint: upstream,
        model: Some(call.model_id),
        gemini_version: call.gemini_version,
        query: Some(if gemini_stream { "alt=sse" } else { "" }),
    };
    forward_and_respond(state, ctx, target, parts, Bytes::from(upstream_body), plan).await
}

/// An embeddings call across protocols: texts in, vectors out.
async fn forward_embeddings(
    state: &AppState,
    ctx: &mut CallContext,
    call: TranslatedCall<'_>,
    parts: &Parts,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = embeddings::decode(call.client, &body).map_err(rejected)?;
    let upstream_body = embeddings::encode(call.upstream, &request, call.model_id);
    let plan = RelayPlan {
        translation: Some(Translation {
            client: call.client,
            client_model: call.client_model,
            include_usage: false,
            input_estimate: None,
            client_framing: Framing::Sse,
            embed: Some(request),
            mode: AnswerMode::AsAsked,
        }),
        ..RelayPlan::default()
    };
    let target = UpstreamTarget {
        provider: call.provider,
        endpoint: call.upstream,
        model: Some(call.model_id),
        gemini_version: call.gemini_version,
        query: Some(""),
    };
    forward_and_respond(state, ctx, target, parts, Bytes::from(upstream_body), plan).await
}
