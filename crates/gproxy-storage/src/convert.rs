//! Records to the active models the backend inserts.

use crate::entity::{downstream_request, upstream_request, usage};
use crate::model::{DownstreamRecord, UpstreamRecord, UsageRecord};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) fn usage(u: &UsageRecord) -> usage::ActiveModel {
    usage::ActiveModel {
        id: NotSet,
        request_id: Set(u.request_id.clone()),
        created_at: Set(u.created_at),
        user_id: Set(u.user_id),
        user_key_id: Set(u.user_key_id),
        provider: Set(u.provider.clone()),
        credential_id: Set(u.credential_id),
        model: Set(u.model.clone()),
        operation: Set(u.operation.clone()),
        protocol: Set(u.protocol.clone()),
        status: Set(u.status),
        stream: Set(u.stream),
        complete: Set(u.complete),
        latency_ms: Set(u.latency_ms),
        ttfb_ms: Set(u.ttfb_ms),
        input_tokens: Set(u.input_tokens),
        output_tokens: Set(u.output_tokens),
        cache_read_tokens: Set(u.cache_read_tokens),
        cache_write_tokens: Set(u.cache_write_tokens),
        reasoning_tokens: Set(u.reasoning_tokens),
        estimated: Set(u.estimated),
    }
}

pub(crate) fn downstream(d: &DownstreamRecord) -> downstream_request::ActiveModel {
    downstream_request::ActiveModel {
        id: NotSet,
        request_id: Set(d.request_id.clone()),
        created_at: Set(d.created_at),
        user_id: Set(d.user_id),
        user_key_id: Set(d.user_key_id),
        method: Set(d.method.clone()),
        path: Set(d.path.clone()),
        status: Set(d.status),
        latency_ms: Set(d.latency_ms),
        request_body: Set(d.request_body.clone()),
        response_body: Set(d.response_body.clone()),
    }
}

pub(crate) fn upstream(u: &UpstreamRecord) -> upstream_request::ActiveModel {
    upstream_request::ActiveModel {
        id: NotSet,
        request_id: Set(u.request_id.clone()),
        created_at: Set(u.created_at),
        provider: Set(u.provider.clone()),
        credential_id: Set(u.credential_id),
        method: Set(u.method.clone()),
        url: Set(u.url.clone()),
        status: Set(u.status),
        latency_ms: Set(u.latency_ms),
        error: Set(u.error.clone()),
        request_body: Set(u.request_body.clone()),
        response_body: Set(u.response_body.clone()),
    }
}
