//! `POST /admin/credentials/{id}/test`: one minimal generation request ("Reply with OK")
//! sent upstream with one credential, enabled or not (of a provider enabled or not: testing
//! before enabling is the point), so an operator sees at once whether a key works and what
//! the provider answers. The probe is written once as a Chat request and goes where the
//! provider sends Chat calls (its dispatch table, streaming when the upstream only streams),
//! translated there and back by the same translators the proxy uses. It leaves the credential's health, usage and quotas alone
//! (resetting is `POST /admin/credentials/{id}/reset`); it is not recorded as usage, since no
//! user made it.

use super::{Admin, control_plane, invalid_body};
use crate::error::ApiError;
use crate::mask::REDACTED;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use bytes::Bytes;
use gproxy_channels::upstream::{apply_auth, url};
use gproxy_channels::{ChannelKind, ChannelSettings, Credential, Dispatch};
use gproxy_protocol::openai::chat::ChatCompletion;
use gproxy_protocol::openai::common::Content;
use gproxy_protocol::{Endpoint, Operation, Protocol, translate};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The longest a probe waits for the whole answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);
/// The most of an answer body read (a minimal answer is a few hundred bytes).
const MAX_ANSWER: usize = 256 * 1024;
/// The most of an upstream error shown.
const MAX_ERROR_CHARS: usize = 2_000;
/// What the probe asks.
const PROMPT: &str = "Reply with the single word OK.";
/// Room for the answer, and for the thinking a reasoning model does first.
const MAX_TOKENS: u32 = 512;
/// The probe is written as a Chat call and translated from there.
const CHAT: Endpoint = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);

/// What to test with; every field optional.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeRequest {
    /// The upstream model id to ask; default: the provider's first enabled model.
    #[serde(default)]
    pub model: Option<String>,
}

/// What the upstream answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProbeResult {
    /// The upstream answered 2xx with an answer the gateway could read.
    pub ok: bool,
    pub credential_id: String,
    /// The provider's name.
    pub provider: String,
    /// The upstream model asked.
    pub model: String,
    /// The protocol the request was sent in (the provider's own).
    pub protocol: String,
    /// The upstream's HTTP status; absent when it could not be reached.
    pub status: Option<u16>,
    /// From sending the request to the end of the answer.
    pub latency_ms: u64,
    /// The answer's text.
    pub answer: Option<String>,
    /// Input and output tokens the upstream reported for the probe.
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Why it failed: the upstream's error message, or why it could not be reached.
    pub error: Option<String>,
}

/// `POST /admin/credentials/{id}/test`.
#[utoipa::path(
    post,
    path = "/admin/credentials/{id}/test",
    operation_id = "test_credential",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The credential's id"),
    ),
    request_body(content = Option<ProbeRequest>, description = "Optional: the model to ask"),
    responses(
        (status = 200, description = "The probe ran: `ok` says whether the upstream answered", body = ProbeResult),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn test(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ProbeResult>, ApiError> {
    let ask: ProbeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ProbeRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| invalid_body(&e.to_string()))?
    };
    let target = Target::find(&state, &id, ask.model).await?;
    Ok(Json(target.probe(&state).await?))
}

/// A credential with what it takes to call its provider.
struct Target {
    credential_id: i64,
    provider: String,
    kind: ChannelKind,
    settings: ChannelSettings,
    credential: Credential,
    model: String,
}

impl Target {
    /// Credential `raw_id` as stored now; the model asked is `model` or the provider's
    /// first enabled one.
    async fn find(state: &AppState, raw_id: &str, model: Option<String>) -> Result<Self, ApiError> {
        let unknown = || ApiError::not_found(format!("no credential `{raw_id}`"));
        let id: i64 = raw_id.parse().map_err(|_| unknown())?;
        let cp = control_plane(state).await?;
        let cred = cp
            .credentials
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(unknown)?;
        let provider = cp
            .providers
            .iter()
            .find(|p| p.id == cred.provider_id)
            .ok_or_else(unknown)?;
        let (kind, settings) = crate::snapshot::channel_of(provider).map_err(|what| {
            ApiError::bad_request(format!("provider `{}`: {what}", provider.name))
        })?;
        let credential = Credential::parse(0, &cred.secret)
            .map_err(|e| ApiError::bad_request(format!("credential `{id}`: {e}")))?;
        // Gemini model names may come as `models/<id>`; the id is what goes upstream.
        let given = model
            .as_deref()
            .map(|m| m.trim())
            .map(|m| m.strip_prefix("models/").unwrap_or(m))
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        let model = match given {
            Some(m) => m,
            None => cp
                .models
                .iter()
                .filter(|m| m.provider_id == provider.id && m.enabled)
                .min_by_key(|m| m.id)
                .map(|m| m.model_id.clone())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "provider `{}` has no enabled model: name the model to ask",
                        provider.name
                    ))
                    .with_field("model")
                })?,
        };
        Ok(Target {
            credential_id: id,
            provider: provider.name.clone(),
            kind,
            settings,
            credential,
            model,
        })
    }

    /// Where the probe goes: where the provider sends a Chat call (its dispatch table,
    /// `dispatch` overrides included), else its own generation endpoint; the streaming
    /// one when the upstream only streams (`upstream_stream = "always"`).
    fn endpoint(&self) -> (Endpoint, bool) {
        let protocol = self.kind.protocol();
        let mut upstream = match self.kind.dispatch_with(&self.settings, CHAT) {
            Dispatch::Passthrough => CHAT,
            Dispatch::Transform(target) => target,
            Dispatch::Local | Dispatch::NeedsTranslation | Dispatch::Unsupported => {
                match protocol {
                    Protocol::Gemini => Endpoint::new(protocol, Operation::GenerateContent),
                    Protocol::Anthropic => Endpoint::new(protocol, Operation::Messages),
                    Protocol::OpenAi => CHAT,
                }
            }
        };
        let stream = self.settings.upstream_stream == Some(true);
        if stream && upstream.protocol == Protocol::Gemini {
            upstream = Endpoint::new(Protocol::Gemini, Operation::StreamGenerateContent);
        }
        (upstream, stream)
    }

    /// Sends the probe and reads the answer; only a probe that cannot be built is an error.
    async fn probe(self, state: &AppState) -> Result<ProbeResult, ApiError> {
        let (upstream, stream) = self.endpoint();
        let internal = |e: translate::TranslateError| ApiError::internal(e.to_string());
        let request = serde_json::json!({
            "model": self.model,
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": MAX_TOKENS,
            "stream": stream,
        });
        let ir =
            translate::decode_request(CHAT, request.to_string().as_bytes()).map_err(internal)?;
        let body =
            translate::encode_request(upstream, &ir, self.kind.chat_dialect()).map_err(internal)?;
        let gemini_sse = upstream.operation == Operation::StreamGenerateContent;
        let target = url(
            &self.settings.base_url,
            upstream,
            Some(&self.model),
            "v1beta",
            gemini_sse.then_some("alt=sse"),
        )
        .map_err(|e| ApiError::bad_request(format!("model: {e}")).with_field("model"))?;
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        let secret = self.credential.api_key.expose_secret();
        apply_auth(upstream.protocol, &mut headers, secret).map_err(|_| {
            ApiError::bad_request(format!("credential `{}` is malformed", self.credential_id))
        })?;
        let client = state
            .client_for(self.settings.proxy.as_ref().map(|p| p.as_str()))
            .map_err(|_| {
                ApiError::bad_request(format!(
                    "provider `{}` has a proxy the HTTP client cannot use",
                    self.provider
                ))
            })?;
        let started = Instant::now();
        let sent = client.post(&target).headers(headers).body(body).send();
        let limit = PROBE_TIMEOUT.min(state.config().upstream_timeout);
        let answer = tokio::time::timeout(limit, async {
            let response = sent.await?;
            let status = response.status().as_u16();
            Ok::<_, reqwest::Error>((status, read_capped(response).await?))
        })
        .await;
        let mut result = ProbeResult {
            ok: false,
            credential_id: self.credential_id.to_string(),
            provider: self.provider.clone(),
            model: self.model.clone(),
            protocol: upstream.protocol.as_str().to_owned(),
            status: None,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            answer: None,
            input_tokens: 0,
            output_tokens: 0,
            error: None,
        };
        match answer {
            Err(_) => result.error = Some(format!("no answer within {} s", limit.as_secs())),
            Ok(Err(e)) => result.error = Some(transport_error(&e)),
            Ok(Ok((status, body))) => {
                result.status = Some(status);
                if !(200..300).contains(&status) {
                    result.error = Some(upstream_error(&body));
                } else {
                    read_answer(&mut result, upstream, stream, &body);
                }
            }
        }
        // The secret is write-only: an upstream that echoes the key it refused (or a
        // model that repeats it) does not show it here.
        for text in [&mut result.error, &mut result.answer]
            .into_iter()
            .flatten()
        {
            if !secret.is_empty() && text.contains(secret) {
                *text = text.replace(secret, REDACTED);
            }
        }
        Ok(result)
    }
}

/// The answer body, at most [`MAX_ANSWER`] bytes of it.
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ANSWER {
            break;
        }
    }
    Ok(body)
}

/// A 2xx answer (a whole SSE body when the upstream streamed) read into `result` through
/// the Chat translator.
fn read_answer(result: &mut ProbeResult, upstream: Endpoint, stream: bool, body: &[u8]) {
    let read = if stream {
        translate::aggregate_response
    } else {
        translate::translate_response
    };
    let translated = read(upstream, body, CHAT, &result.model, 0, "probe")
        .map_err(|e| e.to_string())
        .and_then(|(bytes, usage)| {
            let answer: ChatCompletion =
                serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
            Ok((answer, usage))
        });
    match translated {
        Err(e) => result.error = Some(format!("the answer could not be read: {e}")),
        Ok((answer, usage)) => {
            result.input_tokens = usage.input_tokens;
            result.output_tokens = usage.output_tokens;
            let message = answer.choices.into_iter().next().map(|c| c.message);
            let text = message.as_ref().and_then(|m| match &m.content {
                Some(Content::Text(t)) => Some(t.clone()),
                _ => m.refusal.clone().or_else(|| m.reasoning_content.clone()),
            });
            result.ok = true;
            result.answer = Some(text.unwrap_or_default());
        }
    }
}

/// An upstream error body as a message: the error's `message` in any protocol's shape, else
/// the start of the body.
fn upstream_error(body: &[u8]) -> String {
    let message = translate::error_message(body)
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    let message = if message.is_empty() {
        "the upstream sent no error body".to_owned()
    } else {
        message
    };
    message.chars().take(MAX_ERROR_CHARS).collect()
}

/// A transport failure as a message without the URL (reqwest puts it in its `Display`).
fn transport_error(e: &reqwest::Error) -> String {
    let what = if e.is_connect() {
        "could not connect to the upstream"
    } else if e.is_timeout() {
        "the upstream timed out"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = None;
    while let Some(s) = source {
        detail = Some(s.to_string());
        source = s.source();
    }
    match detail {
        Some(d) => format!("{what}: {d}"),
        None => what.to_owned(),
    }
}
