//! What a call remembers for its records: the downstream envelope, and the usage sink a
//! response (or a stream, when it ends or is dropped) settles exactly once.

use crate::snapshot::Principal;
use gproxy_protocol::{Endpoint, Usage};
use gproxy_storage::WriteQueue;
use gproxy_storage::model::{Record, UsageRecord};
use std::time::{Duration, Instant};

/// Per-request facts gathered on the way through the engine.
#[derive(Debug)]
pub struct CallContext {
    pub request_id: String,
    pub started: Instant,
    /// Unix milliseconds at arrival.
    pub created_at: i64,
    pub method: String,
    /// Path only: the query may hold a `key=`.
    pub path: String,
    /// Set once the key is authenticated.
    pub principal: Option<Principal>,
    /// Kept only with `enable_downstream_log_body`.
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// Milliseconds of a duration, for records.
pub fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn tokens(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Writes the usage record of one proxied request when the response is settled.
#[derive(Debug)]
pub struct UsageSink {
    queue: WriteQueue,
    enabled: bool,
    /// The record, complete but for tokens, timing and completeness.
    record: UsageRecord,
    started: Instant,
}

impl UsageSink {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        queue: WriteQueue,
        enabled: bool,
        ctx: &CallContext,
        endpoint: Endpoint,
        provider: &str,
        credential_id: Option<i64>,
        model: &str,
        status: u16,
        stream: bool,
    ) -> Self {
        UsageSink {
            queue,
            enabled,
            record: UsageRecord {
                request_id: ctx.request_id.clone(),
                created_at: ctx.created_at,
                user_id: ctx.principal.as_ref().map(|p| p.user_id),
                user_key_id: ctx.principal.as_ref().map(|p| p.key_id),
                provider: provider.to_owned(),
                credential_id,
                model: model.to_owned(),
                operation: endpoint.operation.as_str().to_owned(),
                protocol: endpoint.protocol.as_str().to_owned(),
                status: i32::from(status),
                stream,
                ..Default::default()
            },
            started: ctx.started,
        }
    }

    /// Queues the record. `complete` is false when a stream ended before the upstream
    /// finished (client gone, upstream cut); the tokens are then what was seen so far.
    pub fn finish(mut self, usage: Option<Usage>, complete: bool, ttfb: Option<Duration>) {
        if !self.enabled {
            return;
        }
        let u = usage.unwrap_or_default();
        let r = &mut self.record;
        r.complete = complete;
        r.latency_ms = ms(self.started.elapsed());
        r.ttfb_ms = ttfb.map(ms);
        r.input_tokens = tokens(u.input_tokens);
        r.output_tokens = tokens(u.output_tokens);
        r.cache_read_tokens = tokens(u.cache_read_tokens);
        r.cache_write_tokens = tokens(u.cache_write_tokens);
        r.reasoning_tokens = tokens(u.reasoning_tokens);
        self.queue.push_detached(Record::Usage(self.record));
    }
}
