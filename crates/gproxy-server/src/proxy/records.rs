//! The records a call leaves: the downstream log entry, kept by [`CallContext`], and the usage
//! record, kept by [`UsageSink`]. Both are written exactly once, and both are written even
//! when the call is dropped half-way (the client went away): hyper drops a handler's future
//! when its connection closes, so the records settle in `Drop` with status 499 ("client
//! closed request").

use super::estimate;
use crate::billing::{ModelPrice, Money, Tokens};
use crate::limits::{Grant, QuotaGrant};
use crate::mask::Masking;
use crate::snapshot::Principal;
use axum::http::HeaderMap;
use bytes::Bytes;
use gproxy_protocol::{Endpoint, Usage};
use gproxy_storage::model::{DownstreamRecord, Headers, Record, UsageRecord};
use gproxy_storage::{RecordPermit, WriteQueue};
use std::time::{Duration, Instant};
use tokio_util::task::TaskTracker;

/// The status recorded for a call its client abandoned before the answer was settled.
pub const CLIENT_CLOSED: u16 = 499;

/// Milliseconds of a duration, for records.
pub fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn tokens(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Per-request facts gathered on the way through the engine; owns the downstream log entry.
#[derive(Debug)]
pub struct CallContext {
    pub request_id: String,
    pub started: Instant,
    /// Unix milliseconds at arrival.
    pub created_at: i64,
    pub method: String,
    /// Path and query, credentials masked (kept only with downstream logging on).
    pub path: String,
    /// The request's headers, credentials masked (kept only with downstream logging on).
    request_headers: Option<Headers>,
    /// Set once the key is authenticated.
    pub principal: Option<Principal>,
    /// Kept only with `enable_downstream_log_body`.
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    /// A route has another member to try: a retryable failure before the first byte is
    /// handed back ([`CallContext::fell_through`]) instead of answered.
    pub fallback: bool,
    /// Set when the last attempt handed its failure back for the next route member.
    pub fell_through: bool,
    /// Upstream attempts made so far, across route members (a call makes at most 6).
    pub attempts: usize,
    /// The call's one deadline for response headers, across attempts and route members;
    /// set by its first attempt.
    pub deadline: Option<std::time::Instant>,
    /// The call's rate-limit reservation, until its usage record takes it to settle.
    pub grant: Option<Grant>,
    /// The call's quota reservation, likewise.
    pub quota: Option<QuotaGrant>,
    /// A usage sink holds this call's record (it writes it however the call ends).
    pub usage_live: bool,
    /// What the call asked for, once known: the record a refused call leaves.
    pub asked: Asked,
    /// Where the downstream log entry goes; `None` when downstream logging is off or the
    /// entry is already written.
    log: Option<LogTarget>,
}

/// Where a call's downstream log entry goes, and how it is masked on the way.
#[derive(Clone, Debug)]
pub struct LogTarget {
    pub queue: WriteQueue,
    pub mask: Masking,
}

/// What a call asked for, as far as it got: its endpoint, stream flag and model, and the
/// provider it resolved to.
#[derive(Clone, Debug, Default)]
pub struct Asked {
    pub endpoint: Option<Endpoint>,
    pub stream: bool,
    pub model: Option<String>,
    pub provider: Option<String>,
}

impl CallContext {
    /// The usage record of an authenticated call refused before any upstream answer
    /// (403, 429, 402, 400, ...): zero tokens, zero cost, the status it got. `None` when
    /// the caller was not authenticated or a usage sink already holds the call's record.
    pub fn refusal_record(&self, status: u16) -> Option<Record> {
        let principal = self.principal.as_ref()?;
        if self.usage_live {
            return None;
        }
        let asked = &self.asked;
        Some(Record::Usage(UsageRecord {
            request_id: self.request_id.clone(),
            created_at: self.created_at,
            user_id: Some(principal.user_id),
            user_key_id: Some(principal.key_id),
            provider: asked.provider.clone().unwrap_or_default(),
            model: asked.model.clone().unwrap_or_default(),
            operation: asked
                .endpoint
                .map(|e| e.operation.as_str().to_owned())
                .unwrap_or_default(),
            protocol: asked
                .endpoint
                .map(|e| e.protocol.as_str().to_owned())
                .unwrap_or_default(),
            status: i32::from(status),
            stream: asked.stream,
            complete: true,
            latency_ms: ms(self.started.elapsed()),
            cost_nano: Some(0),
            ..Default::default()
        }))
    }

    /// A context for `req` whose downstream entry goes to `log` (when downstream logging is
    /// on); the entry's path and headers are taken, masked, now.
    pub fn new(req: &axum::extract::Request, log: Option<LogTarget>) -> Self {
        let (path, request_headers) = match &log {
            Some(log) => {
                let uri = req.uri();
                let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
                (
                    log.mask.url(path),
                    Some(crate::mask::headers(req.headers())),
                )
            }
            None => (String::new(), None),
        };
        CallContext {
            request_id: new_request_id(),
            started: Instant::now(),
            created_at: gproxy_storage::now_ms(),
            method: req.method().to_string(),
            path,
            request_headers,
            principal: None,
            request_body: None,
            response_body: None,
            fallback: false,
            fell_through: false,
            attempts: 0,
            deadline: None,
            grant: None,
            quota: None,
            usage_live: false,
            asked: Asked::default(),
            log,
        }
    }

    /// Writes the downstream log entry with the status and headers the client got (once),
    /// waiting for room in the record queue.
    pub async fn log_downstream(&mut self, status: u16, headers: &HeaderMap) {
        // Reserve first: while waiting the entry stays here, so a cancelled wait still logs it
        // (from `Drop`) instead of losing it inside a send.
        let Some(permit) = self.log.as_ref().map(|l| l.queue.reserve()) else {
            return;
        };
        let permit = permit.await;
        if let Some((queue, record)) = self.take_downstream(status, Some(headers)) {
            match permit {
                Some(permit) => permit.send(record),
                None => queue.push_detached(record),
            }
        }
    }

    /// The entry, masked, and where it goes; `None` once taken.
    fn take_downstream(
        &mut self,
        status: u16,
        response_headers: Option<&HeaderMap>,
    ) -> Option<(WriteQueue, Record)> {
        let LogTarget { queue, mask } = self.log.take()?;
        let record = Record::Downstream(DownstreamRecord {
            request_id: self.request_id.clone(),
            created_at: self.created_at,
            user_id: self.principal.as_ref().map(|p| p.user_id),
            user_key_id: self.principal.as_ref().map(|p| p.key_id),
            method: std::mem::take(&mut self.method),
            path: std::mem::take(&mut self.path),
            status: i32::from(status),
            latency_ms: ms(self.started.elapsed()),
            request_headers: self.request_headers.take(),
            response_headers: response_headers.map(crate::mask::headers),
            request_body: self.request_body.take().map(|b| mask.body(b)),
            response_body: self.response_body.take().map(|b| mask.body(b)),
        });
        Some((queue, record))
    }
}

impl Drop for CallContext {
    fn drop(&mut self) {
        // Dropped before a response was produced: the client went away.
        if let Some((queue, record)) = self.take_downstream(CLIENT_CLOSED, None) {
            queue.push_detached(record);
        }
    }
}

/// A request id that sorts by time (milliseconds, then randomness), so the indexes over
/// `request_id` grow at their end instead of at random pages.
fn new_request_id() -> String {
    format!(
        "req_{:012x}{:016x}",
        gproxy_storage::now_ms(),
        rand::random::<u64>()
    )
}

/// The usage record of one proxied request. It exists before the upstream is called (status
/// 499 until the upstream answers), and is written when the answer is settled or, failing
/// that, when it is dropped.
#[derive(Debug)]
pub struct UsageSink {
    /// `None` when usage recording is off or the record is written.
    queue: Option<WriteQueue>,
    /// The record, complete but for tokens, timing and completeness.
    record: UsageRecord,
    started: Instant,
    /// The request body as sent upstream: input tokens are estimated from it when a stream
    /// ends before the upstream reported any.
    request: Bytes,
    /// Where estimates run (a blocking pool: tokenizing is CPU work); shutdown waits for
    /// them before the record queue's last flush.
    estimates: TaskTracker,
    /// What the model costs; `None` leaves the record's cost unknown (never zero).
    price: Option<ModelPrice>,
    /// The rate-limit reservation this record settles (dropped unsettled, it is voided).
    grant: Option<Grant>,
    /// The quota reservation this record settles with its cost.
    quota: Option<QuotaGrant>,
}

/// Where a usage record goes and what it may need for an estimate.
#[derive(Clone, Debug)]
pub struct SinkTarget {
    /// `None` when usage recording is off.
    pub queue: Option<WriteQueue>,
    pub estimates: TaskTracker,
}

impl UsageSink {
    pub fn new(
        target: SinkTarget,
        ctx: &CallContext,
        endpoint: Endpoint,
        provider: &str,
        model: &str,
        stream: bool,
        request: Bytes,
    ) -> Self {
        UsageSink {
            queue: target.queue,
            record: UsageRecord {
                request_id: ctx.request_id.clone(),
                created_at: ctx.created_at,
                user_id: ctx.principal.as_ref().map(|p| p.user_id),
                user_key_id: ctx.principal.as_ref().map(|p| p.key_id),
                provider: provider.to_owned(),
                model: model.to_owned(),
                operation: endpoint.operation.as_str().to_owned(),
                protocol: endpoint.protocol.as_str().to_owned(),
                status: i32::from(CLIENT_CLOSED),
                stream,
                ..Default::default()
            },
            started: ctx.started,
            request,
            estimates: target.estimates,
            price: None,
            grant: None,
            quota: None,
        }
    }

    /// Hands the record the call's rate-limit and quota reservations to settle with its
    /// tokens and cost.
    pub fn granted(mut self, grant: Option<Grant>, quota: Option<QuotaGrant>) -> Self {
        self.grant = grant;
        self.quota = quota;
        self
    }

    /// Prices the record: its cost is computed from `price` when it is written.
    pub fn priced(mut self, price: Option<ModelPrice>) -> Self {
        self.price = price;
        self
    }

    /// Drops the record unwritten: the call moved on to another route member, whose record
    /// is the request's.
    pub fn discard(mut self) {
        self.queue = None;
    }

    /// Lets go of the request body once the upstream reported the input tokens (Anthropic's
    /// `message_start`, Gemini's first chunk): no estimate will need it, and a long stream
    /// should not hold a large prompt.
    pub fn release_request(&mut self) {
        self.request = Bytes::new();
    }

    /// Whether the upstream answered with success (only then can output have been relayed).
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.record.status)
    }

    /// The upstream answered (or failed with `status`) through `credential_id`.
    pub fn answered(&mut self, status: u16, credential_id: Option<i64>) {
        self.record.status = i32::from(status);
        self.record.credential_id = credential_id;
    }

    /// Writes the record, waiting for room in the record queue. `complete` is false when the
    /// answer ended early (client gone, upstream cut); the tokens are then what was seen.
    pub async fn finish(self, usage: Option<Usage>, complete: bool, ttfb: Option<Duration>) {
        // Reserve first: a cancelled wait leaves the record here for `Drop` to write.
        let Some(permit) = self.reserve() else { return };
        let permit = permit.await;
        self.finish_with(permit, usage, complete, ttfb);
    }

    /// A slot for the record, for a caller that polls (the stream relay); `None` when usage
    /// recording is off.
    pub fn reserve(
        &self,
    ) -> Option<impl std::future::Future<Output = Option<RecordPermit>> + Send + 'static> {
        self.queue.as_ref().map(WriteQueue::reserve)
    }

    /// Writes the record into a reserved slot (detached if the queue closed meanwhile).
    pub fn finish_with(
        mut self,
        permit: Option<RecordPermit>,
        usage: Option<Usage>,
        complete: bool,
        ttfb: Option<Duration>,
    ) {
        if let Some((queue, record)) = self.take(usage, complete, ttfb, false) {
            match permit {
                Some(permit) => permit.send(record),
                None => queue.push_detached(record),
            }
        }
    }

    /// Writes the record from a context that cannot wait (a `Drop`).
    pub fn finish_detached(mut self, usage: Option<Usage>, complete: bool, ttfb: Option<Duration>) {
        if let Some((queue, record)) = self.take(usage, complete, ttfb, false) {
            queue.push_detached(record);
        }
    }

    /// Writes the record of a stream that ended before its terminal event (client gone,
    /// upstream cut), or without any usage reported: what the upstream reported, completed
    /// with estimates of the input (from the request) and the output (from `relayed`, the
    /// text the client received) where it reported less. Tokenizing runs on the blocking
    /// pool; callable from `Drop`.
    pub fn finish_estimated(
        mut self,
        reported: Option<Usage>,
        relayed: String,
        ttfb: Option<Duration>,
        complete: bool,
    ) {
        if self.queue.is_none() {
            return;
        }
        if !self.succeeded() {
            self.finish_detached(reported, complete, ttfb);
            return;
        }
        let tracker = self.estimates.clone();
        // Latency is the stream's, not the estimate's.
        let latency = self.started.elapsed();
        let mut job = move || {
            let (usage, estimated) = estimate::complete_usage(reported, &self.request, &relayed);
            if let Some((queue, mut record)) = self.take(Some(usage), complete, ttfb, estimated) {
                if let Record::Usage(r) = &mut record {
                    r.latency_ms = ms(latency);
                }
                queue.push_detached(record);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(_) => {
                tracker.spawn_blocking(job);
            }
            Err(_) => job(),
        }
    }

    fn take(
        &mut self,
        usage: Option<Usage>,
        complete: bool,
        ttfb: Option<Duration>,
        estimated: bool,
    ) -> Option<(WriteQueue, Record)> {
        let u = usage.unwrap_or_default();
        if let Some(grant) = self.grant.take() {
            // Settled whether or not usage is recorded: the limits count real tokens.
            grant.settle(u.input_tokens.saturating_add(u.output_tokens));
        }
        // A call the upstream failed or never answered, with no tokens reported, costs
        // nothing (not even the per-call price); anything answered or relayed is billed.
        let billable =
            (200..300).contains(&self.record.status) || u.input_tokens > 0 || u.output_tokens > 0;
        let cost = self.price.map(|p| {
            if !billable {
                return Money::ZERO;
            }
            p.cost(&Tokens {
                input: u.input_tokens,
                output: u.output_tokens,
                cache_read: u.cache_read_tokens,
                cache_write: u.cache_write_tokens,
            })
        });
        if let Some(quota) = self.quota.take() {
            // A quota is only reserved for a priced model, so the cost is known.
            quota.settle(cost.unwrap_or_default());
        }
        let queue = self.queue.take()?;
        let mut r = std::mem::take(&mut self.record);
        r.complete = complete;
        r.estimated = estimated;
        r.latency_ms = ms(self.started.elapsed());
        r.ttfb_ms = ttfb.map(ms);
        r.input_tokens = tokens(u.input_tokens);
        r.output_tokens = tokens(u.output_tokens);
        r.cache_read_tokens = tokens(u.cache_read_tokens);
        r.cache_write_tokens = tokens(u.cache_write_tokens);
        r.reasoning_tokens = tokens(u.reasoning_tokens);
        r.cost_nano = cost.map(Money::nanos);
        Some((queue, Record::Usage(r)))
    }
}

impl Drop for UsageSink {
    fn drop(&mut self) {
        if let Some((queue, record)) = self.take(None, false, None, false) {
            queue.push_detached(record);
        }
    }
}
