//! Sending a call upstream: the provider's credentials are tried in round-robin order, and
//! a connection failure, 429 or 5xx falls over to the next credential. Each attempt is
//! logged as an upstream request record.

use super::records::{CallContext, ms};
use crate::error::ApiError;
use crate::snapshot::Provider;
use crate::state::AppState;
use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use gproxy_channels::upstream::apply_auth;
use gproxy_storage::model::{Record, UpstreamRecord};
use secrecy::ExposeSecret;
use std::time::Instant;

/// A request ready to go upstream, minus the credential.
#[derive(Debug)]
pub struct UpstreamCall<'a> {
    pub provider: &'a Provider,
    /// The protocol the request is sent in (its credential travels that protocol's way).
    pub protocol: gproxy_protocol::Protocol,
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
}

fn retryable(status: reqwest::StatusCode) -> bool {
    status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Sends `call`, failing over across the provider's credentials.
pub async fn send(
    state: &AppState,
    ctx: &CallContext,
    call: UpstreamCall<'_>,
) -> Result<Forwarded, ApiError> {
    let provider = call.provider;
    if provider.credentials.is_empty() {
        return Err(ApiError::unavailable(format!(
            "provider `{}` has no enabled credentials",
            provider.name
        )));
    }
    let total = provider.credentials.len();
    let mut last_error = None;
    for (attempt, (credential_id, credential)) in provider.credentials.attempt_order().enumerate() {
        let is_last = attempt + 1 == total;
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
        let mut log = AttemptLog::new(
            state,
            UpstreamRecord {
                request_id: ctx.request_id.clone(),
                created_at: gproxy_storage::now_ms(),
                provider: provider.name.clone(),
                credential_id: Some(credential_id),
                method: call.method.to_string(),
                url: call.url.clone(),
                request_body: state
                    .config
                    .enable_upstream_log_body
                    .then(|| String::from_utf8_lossy(&call.body).into_owned()),
                ..Default::default()
            },
        );
        let request = state
            .http
            .request(call.method.clone(), &call.url)
            .headers(headers)
            .body(call.body.clone())
            .send();
        let outcome = tokio::time::timeout(state.config.upstream_timeout, request).await;
        match outcome {
            Ok(Ok(response)) => {
                let status = response.status();
                if retryable(status) && !is_last {
                    log.write(
                        Some(status.as_u16()),
                        Some(format!(
                            "status {status}; failing over to the next credential"
                        )),
                    )
                    .await;
                    last_error = Some(ApiError::bad_gateway(format!("upstream answered {status}")));
                    continue;
                }
                log.write(Some(status.as_u16()), None).await;
                return Ok(Forwarded {
                    response,
                    credential_id,
                    attempts: attempt + 1,
                    headers_at: Instant::now(),
                });
            }
            Ok(Err(err)) => {
                tracing::warn!(request_id = %ctx.request_id, provider = %provider.name, error = %err, "upstream request failed");
                log.write(None, Some(err.without_url().to_string())).await;
                last_error = Some(ApiError::bad_gateway(format!(
                    "could not reach provider `{}`",
                    provider.name
                )));
            }
            Err(_) => {
                log.write(None, Some("timed out waiting for response headers".into()))
                    .await;
                last_error = Some(ApiError::gateway_timeout(format!(
                    "provider `{}` did not answer within {}s",
                    provider.name,
                    state.config.upstream_timeout.as_secs()
                )));
            }
        }
    }
    Err(last_error.unwrap_or_else(|| ApiError::bad_gateway("no upstream attempt was made")))
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
            record: state.config.enable_upstream_log.then_some(record),
            started: Instant::now(),
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

    fn take(&mut self, status: Option<u16>, error: Option<String>) -> Option<Record> {
        let mut record = self.record.take()?;
        record.status = status.map(i32::from);
        record.error = error;
        record.latency_ms = ms(self.started.elapsed());
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
