//! Sending a call upstream: the provider's credentials that are healthy for the model are
//! tried in round-robin order; each answer is classified ([`gproxy_channels::outcome`]) into
//! the credential's health, and a dead key, an exhausted quota, a 429, a 5xx, a timeout or a
//! connection failure falls over to the next credential. When none is eligible the call
//! waits for the earliest recovery if it is near, else answers 429/503 with `retry-after`.
//! Each attempt is logged as an upstream request record.

use super::records::{CallContext, ms};
use crate::error::ApiError;
use crate::health::instant as now;
use crate::mask;
use crate::snapshot::Provider;
use crate::state::AppState;
use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use gproxy_channels::Credential;
use gproxy_channels::breaker::{Admission, Verdict};
use gproxy_channels::health::Availability;
use gproxy_channels::outcome::{self, Outcome};
use gproxy_channels::upstream::apply_auth;
use gproxy_protocol::affinity::strip_reasoning;
use gproxy_storage::model::{Record, UpstreamRecord};
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// A request ready to go upstream, minus the credential.
#[derive(Debug)]
pub struct UpstreamCall<'a> {
    pub provider: &'a Provider,
    /// The protocol the request is sent in (its credential travels that protocol's way).
    pub protocol: gproxy_protocol::Protocol,
    /// The upstream model: health is kept per (credential, model). Empty for calls that
    /// name none (model lists).
    pub model: &'a str,
    /// The body's prompt-prefix keys, when the provider keeps cache affinity.
    pub prefix: gproxy_protocol::affinity::PrefixKeys,
    /// What the body is (to take bound reasoning out of it for another credential).
    pub endpoint: gproxy_protocol::Endpoint,
    /// The history carries reasoning only the credential that made it can read back.
    pub reasoning: bool,
    pub method: Method,
    /// Full URL including the query.
    pub url: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The upstream's answer (headers received).
#[derive(Debug)]
pub struct Forwarded {
    pub response: reqwest::Response,
    pub credential_id: i64,
    /// How many attempts were made (more than one: the gateway already failed over).
    pub attempts: usize,
    /// When the response headers arrived.
    pub headers_at: Instant,
    /// The answer is a failure another provider might not have (a rejected key, a limit,
    /// a 5xx): a route may move on to its next member.
    pub retryable: bool,
}

/// Sends `call`, failing over across the provider's credentials.
pub async fn send(
    state: &AppState,
    ctx: &mut CallContext,
    call: UpstreamCall<'_>,
) -> Result<Forwarded, ApiError> {
    let provider = call.provider;
    if provider.credentials.is_empty() {
        return Err(ApiError::unavailable(format!(
            "provider `{}` has no enabled credentials",
            provider.name
        )));
    }
    let deadline = *ctx
        .deadline
        .get_or_insert_with(|| now() + state.config().upstream_timeout);
    if ctx.attempts >= MAX_ATTEMPTS || deadline <= now() {
        return Err(ApiError::gateway_timeout(format!(
            "no attempt left for provider `{}`: the call already made {} attempts or ran out of time",
            provider.name, ctx.attempts
        )));
    }
    let breaker = &provider.settings.breaker;
    let budget = &provider.settings.retry_budget;
    if let Admission::Rejected(until) =
        state
            .breakers
            .admit(provider.id, call.model, now(), breaker)
    {
        let secs = ceil_secs(until.saturating_duration_since(now()));
        return Err(ApiError::unavailable(format!(
            "provider `{}` is failing for model `{}` (circuit open); it is tried again in {secs} s",
            provider.name, call.model
        ))
        .with_retry_after(secs));
    }
    let order = eligible(state, &call, deadline).await?;
    let client = state
        .client_for(provider.settings.proxy.as_ref().map(|p| p.as_str()))
        .map_err(|_| {
            ApiError::internal(format!(
                "provider `{}` has a proxy the HTTP client cannot use",
                provider.name
            ))
        })?;
    state.budgets.first_attempt(provider.id, now(), budget);
    let cooldowns = provider.settings.cooldowns;
    let mut total = order.len().min(MAX_ATTEMPTS - ctx.attempts);
    // Reasoning bound to the credential that made it goes only there; when that credential
    // cannot serve, the history goes elsewhere without it, once.
    let owner = if call.reasoning {
        state
            .affinity
            .prefer(provider.id, &call.prefix.lookup, now())
    } else {
        None
    };
    if owner.is_some() && order.first().map(|(id, _)| *id) == owner {
        total = total.min(2);
    }
    let mut body = call.body.clone();
    let mut stripped = false;
    let mut last_error = None;
    let mut queue: std::collections::VecDeque<(i64, Arc<Credential>)> =
        order.into_iter().take(total).collect();
    let mut attempt = 0;
    while let Some((credential_id, credential)) = queue.pop_front() {
        attempt += 1;
        ctx.attempts += 1;
        let is_last = queue.is_empty();
        if owner.is_some_and(|o| o != credential_id) && !stripped {
            stripped = true;
            if let Some(without) = strip_reasoning(call.endpoint, &body) {
                tracing::debug!(request_id = %ctx.request_id, provider = %provider.name, "reasoning taken out for another credential");
                body = Bytes::from(without);
            }
        }
        // Another attempt only while the provider's retry budget lasts.
        let may_retry = || !is_last && state.budgets.try_retry(provider.id, now(), budget);
        let mut headers = call.headers.clone();
        apply_auth(
            call.protocol,
            &mut headers,
            credential.api_key.expose_secret(),
        )
        .map_err(|_| {
            ApiError::internal(format!(
                "provider `{}` has a malformed credential",
                provider.name
            ))
        })?;
        // The attempt's log entry exists before the request goes out, so an attempt cut
        // short by the client going away is logged too.
        let config = state.config();
        let mut log = AttemptLog::new(
            state,
            UpstreamRecord {
                request_id: ctx.request_id.clone(),
                created_at: gproxy_storage::now_ms(),
                provider: provider.name.clone(),
                credential_id: Some(credential_id),
                method: call.method.to_string(),
                url: call.url.clone(),
                // The credential is in these: redacted as they are taken.
                request_headers: config.enable_upstream_log.then(|| mask::headers(&headers)),
                request_body: config
                    .enable_upstream_log_body
                    .then(|| String::from_utf8_lossy(&body).into_owned()),
                ..Default::default()
            },
        );
        let request = client
            .request(call.method.clone(), &call.url)
            .headers(headers)
            .body(body.clone())
            .send();
        // Each attempt waits for headers at most its first-byte timeout, and never past the
        // call's one deadline.
        let mut left = deadline.saturating_duration_since(now());
        if let Some(first_byte) = state.config().first_byte_timeout {
            left = left.min(first_byte);
        }
        let outcome = tokio::time::timeout(left, request).await;
        let record = |outcome: &Outcome, detail: &str| {
            let at = now();
            state.health.record(
                credential_id,
                call.model,
                outcome,
                &cooldowns,
                Some(detail),
                at,
            );
            if let Some(verdict) = breaker_verdict(outcome) {
                state
                    .breakers
                    .record(provider.id, call.model, verdict, at, breaker);
            }
        };
        match outcome {
            Ok(Ok(response)) => {
                let status = response.status();
                log.answered(response.headers());
                // A 400 on a history with bound reasoning may be the provider refusing a
                // signature it did not make (its owner unknown here): read it to see.
                let check_signature = call.reasoning && !stripped && status.as_u16() == 400;
                let (response, outcome, error_body) =
                    classify(state, response, check_signature).await;
                if let Some(body) = &error_body {
                    log.body(body);
                }
                if check_signature
                    && error_body.as_deref().is_some_and(refuses_reasoning)
                    && let Some(without) = strip_reasoning(call.endpoint, &body)
                {
                    stripped = true;
                    body = Bytes::from(without);
                    log.write(
                        Some(status.as_u16()),
                        Some(
                            "the provider refused reasoning it did not make; retrying without it"
                                .into(),
                        ),
                    )
                    .await;
                    queue.push_front((credential_id, credential));
                    continue;
                }
                record(&outcome, &format!("status {}", status.as_u16()));
                if outcome == Outcome::Success {
                    state.health.note_room(
                        credential_id,
                        call.model,
                        outcome::short_of_room(response.headers(), SystemTime::now()),
                        now(),
                    );
                    // Anthropic's one-hour cache keeps a prefix that long.
                    let mut affinity = provider.settings.affinity;
                    if call.prefix.hour_long {
                        affinity.ttl = affinity.ttl.max(std::time::Duration::from_secs(3600));
                    }
                    state.affinity.remember(
                        provider.id,
                        &call.prefix.remember,
                        credential_id,
                        now(),
                        &affinity,
                    );
                }
                if outcome.retryable() && may_retry() {
                    log.write(
                        Some(status.as_u16()),
                        Some(format!(
                            "status {status} ({}); failing over to the next credential",
                            outcome.label()
                        )),
                    )
                    .await;
                    continue;
                }
                log.write(Some(status.as_u16()), None).await;
                return Ok(Forwarded {
                    response,
                    credential_id,
                    attempts: attempt,
                    headers_at: Instant::now(),
                    retryable: outcome.retryable(),
                });
            }
            Ok(Err(err)) => {
                tracing::warn!(request_id = %ctx.request_id, provider = %provider.name, error = %err, "upstream request failed");
                record(
                    &Outcome::Transient { retry_after: None },
                    "connection failed",
                );
                log.write(None, Some(err.without_url().to_string())).await;
                last_error = Some(ApiError::bad_gateway(format!(
                    "could not reach provider `{}`",
                    provider.name
                )));
            }
            Err(_) => {
                record(
                    &Outcome::Transient { retry_after: None },
                    "no response headers in time",
                );
                log.write(None, Some("timed out waiting for response headers".into()))
                    .await;
                last_error = Some(ApiError::gateway_timeout(format!(
                    "provider `{}` did not answer within {}s",
                    provider.name,
                    ceil_secs(left)
                )));
            }
        }
        if deadline <= now() || !may_retry() {
            break;
        }
    }
    Err(last_error.unwrap_or_else(|| ApiError::bad_gateway("no upstream attempt was made")))
}

/// At most this many attempts per call (DESIGN.md §7), whatever the pool's size.
const MAX_ATTEMPTS: usize = 6;

/// Whole seconds, rounded up (for `retry-after`).
fn ceil_secs(d: std::time::Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// What the breaker counts of an outcome: path failures and answers; rate limits, quotas
/// and rejected keys are the credential's business, not the path's.
fn breaker_verdict(outcome: &Outcome) -> Option<Verdict> {
    match outcome {
        Outcome::Transient { .. } => Some(Verdict::Failed),
        Outcome::Success | Outcome::ClientError => Some(Verdict::Healthy),
        Outcome::Dead | Outcome::QuotaExhausted { .. } | Outcome::RateLimited { .. } => None,
    }
}

/// The provider's credentials that may serve the call's model, in the order to try them.
/// When none may, waits for the earliest recovery if it comes within
/// `max_recovery_wait`, else refuses: 429 with `retry-after` while credentials cool, 503
/// when every one is dead.
async fn eligible(
    state: &AppState,
    call: &UpstreamCall<'_>,
    deadline: Instant,
) -> Result<Vec<(i64, Arc<Credential>)>, ApiError> {
    let provider = call.provider;
    loop {
        let at = now();
        let all: Vec<(i64, Arc<Credential>)> = provider
            .credentials
            .order(
                provider.settings.round_robin,
                &state.cursors.of(provider.id),
            )
            .collect();
        let ids: Vec<i64> = all.iter().map(|(id, _)| *id).collect();
        let ready: Vec<(i64, Arc<Credential>)> = all
            .into_iter()
            .filter(|(id, _)| state.health.availability(*id, call.model, at) == Availability::Ready)
            .collect();
        if !ready.is_empty() {
            return Ok(with_affinity(state, call, ready, at));
        }
        let Some(recovery) = state.health.earliest_recovery(&ids, call.model, at) else {
            return Err(ApiError::unavailable(format!(
                "every credential of provider `{}` was rejected by the provider; an administrator must reset or replace them",
                provider.name
            )));
        };
        let wait = recovery.saturating_duration_since(at);
        if wait > state.config().max_recovery_wait || recovery >= deadline {
            let secs = ceil_secs(wait);
            return Err(ApiError::too_many_requests(
                format!(
                    "every credential of provider `{}` is cooling down for model `{}`; the first is usable again in {secs} s",
                    provider.name, call.model
                ),
                secs,
            ));
        }
        tokio::time::sleep_until(tokio::time::Instant::from_std(recovery)).await;
    }
}

/// `ready` in the order to try: credentials short of room last, and the credential that
/// last served the call's prompt prefix first when it is among them with room (its prompt
/// cache holds the prefix).
fn with_affinity(
    state: &AppState,
    call: &UpstreamCall<'_>,
    mut ready: Vec<(i64, Arc<Credential>)>,
    at: Instant,
) -> Vec<(i64, Arc<Credential>)> {
    // Credentials whose last answer said they are nearly out of requests or tokens go
    // last: load moves away before they answer 429.
    ready.sort_by_key(|(id, _)| state.health.is_short(*id, call.model, at));
    if let Some(id) = state
        .affinity
        .prefer(call.provider.id, &call.prefix.lookup, at)
        && let Some(pos) = ready.iter().position(|(c, _)| *c == id)
        && !state.health.is_short(id, call.model, at)
    {
        let preferred = ready.remove(pos);
        ready.insert(0, preferred);
    }
    ready
}

/// Whether an error body says the provider could not verify reasoning from the history
/// (Anthropic: "Invalid `signature` in `thinking` block"; OpenAI: encrypted content that
/// could not be verified or decrypted).
fn refuses_reasoning(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    text.contains("signature")
        || text.contains("encrypted_content")
        || text.contains("encrypted content")
}

/// The outcome class of an answer. A 402 or 429 is told apart (quota vs rate) by its body,
/// which is read here (bounded) and put back for the relay, as is a 400's when `read_400`;
/// the body read is returned too.
async fn classify(
    state: &AppState,
    response: reqwest::Response,
    read_400: bool,
) -> (reqwest::Response, Outcome, Option<Bytes>) {
    let status = response.status().as_u16();
    if !(matches!(status, 402 | 429) || (read_400 && status == 400)) {
        let outcome = outcome::classify(status, response.headers(), b"", SystemTime::now());
        return (response, outcome, None);
    }
    let response_status = response.status();
    let headers = response.headers().clone();
    let version = response.version();
    let config = state.config();
    let body = super::relay::read_body(
        response,
        config.max_response_body_bytes,
        config.stream_idle_timeout,
    )
    .await
    .unwrap_or_default();
    let outcome = outcome::classify(status, &headers, &body, SystemTime::now());
    let mut rebuilt = axum::http::Response::new(body.clone());
    *rebuilt.status_mut() = response_status;
    *rebuilt.headers_mut() = headers;
    *rebuilt.version_mut() = version;
    (reqwest::Response::from(rebuilt), outcome, Some(body))
}

/// One attempt's log entry: written once, when the attempt ends or, if the call is dropped
/// while the upstream works (the client went away), on drop.
struct AttemptLog<'a> {
    state: &'a AppState,
    /// `None` once written.
    record: Option<UpstreamRecord>,
    started: Instant,
}

impl<'a> AttemptLog<'a> {
    fn new(state: &'a AppState, record: UpstreamRecord) -> Self {
        AttemptLog {
            state,
            record: state.config().enable_upstream_log.then_some(record),
            started: Instant::now(),
        }
    }

    /// Notes the response's headers.
    fn answered(&mut self, headers: &axum::http::HeaderMap) {
        if let Some(record) = &mut self.record {
            record.response_headers = Some(mask::headers(headers));
        }
    }

    /// Notes the response body read to classify it (with `enable_upstream_log_body`).
    fn body(&mut self, body: &[u8]) {
        if let Some(record) = &mut self.record
            && self.state.config().enable_upstream_log_body
        {
            record.response_body = Some(String::from_utf8_lossy(body).into_owned());
        }
    }

    /// Writes the entry, waiting for room in the record queue.
    async fn write(&mut self, status: Option<u16>, error: Option<String>) {
        if self.record.is_none() {
            return;
        }
        // Reserve first: a cancelled wait leaves the entry here for `Drop` to write.
        let permit = self.state.queue.reserve().await;
        if let Some(record) = self.take(status, error) {
            match permit {
                Some(permit) => permit.send(record),
                None => self.state.queue.push_detached(record),
            }
        }
    }

    /// The entry, masked; `None` once taken.
    fn take(&mut self, status: Option<u16>, error: Option<String>) -> Option<Record> {
        let mut record = self.record.take()?;
        record.status = status.map(i32::from);
        record.error = error;
        record.latency_ms = ms(self.started.elapsed());
        let mask = mask::Masking::new(&self.state.config());
        record.url = mask.url(&record.url);
        record.request_body = record.request_body.map(|b| mask.body(b));
        record.response_body = record.response_body.map(|b| mask.body(b));
        Some(Record::Upstream(record))
    }
}

impl Drop for AttemptLog<'_> {
    fn drop(&mut self) {
        let gone = "the client went away before the upstream answered";
        if let Some(record) = self.take(None, Some(gone.into())) {
            self.state.queue.push_detached(record);
        }
    }
}
