//! Records and statuses to the rows every backend stores (the SeaORM backend inserts them as
//! active models, the file backend writes them as JSON), and stored statuses back.

use crate::entity::credential_status;
use crate::model::{
    CredentialStatusRecord, DownstreamRecord, DownstreamRow, Headers, UpstreamRecord, UpstreamRow,
    UsageRecord, UsageRow,
};
use crate::store::StoreError;

/// A record's row under `id`.
pub(crate) fn usage_row(id: i64, u: &UsageRecord) -> UsageRow {
    UsageRow {
        id,
        request_id: u.request_id.clone(),
        created_at: u.created_at,
        user_id: u.user_id,
        user_key_id: u.user_key_id,
        provider: u.provider.clone(),
        credential_id: u.credential_id,
        model: u.model.clone(),
        operation: u.operation.clone(),
        protocol: u.protocol.clone(),
        status: u.status,
        stream: u.stream,
        complete: u.complete,
        latency_ms: u.latency_ms,
        ttfb_ms: u.ttfb_ms,
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cache_read_tokens: u.cache_read_tokens,
        cache_write_tokens: u.cache_write_tokens,
        reasoning_tokens: u.reasoning_tokens,
        estimated: u.estimated,
        cost_nano: u.cost_nano,
    }
}

pub(crate) fn downstream_row(id: i64, d: &DownstreamRecord) -> DownstreamRow {
    DownstreamRow {
        id,
        request_id: d.request_id.clone(),
        created_at: d.created_at,
        user_id: d.user_id,
        user_key_id: d.user_key_id,
        method: d.method.clone(),
        path: d.path.clone(),
        status: d.status,
        latency_ms: d.latency_ms,
        request_headers: headers_json(d.request_headers.as_ref()),
        response_headers: headers_json(d.response_headers.as_ref()),
        request_body: d.request_body.clone(),
        response_body: d.response_body.clone(),
    }
}

pub(crate) fn upstream_row(id: i64, u: &UpstreamRecord) -> UpstreamRow {
    UpstreamRow {
        id,
        request_id: u.request_id.clone(),
        created_at: u.created_at,
        provider: u.provider.clone(),
        credential_id: u.credential_id,
        method: u.method.clone(),
        url: u.url.clone(),
        status: u.status,
        latency_ms: u.latency_ms,
        error: u.error.clone(),
        request_headers: headers_json(u.request_headers.as_ref()),
        response_headers: headers_json(u.response_headers.as_ref()),
        request_body: u.request_body.clone(),
        response_body: u.response_body.clone(),
    }
}

/// Headers as the log tables hold them: a JSON object.
fn headers_json(headers: Option<&Headers>) -> Option<String> {
    // A map of strings always encodes; `ok()` only spares an `expect`.
    headers.and_then(|h| serde_json::to_string(h).ok())
}

/// A model cooling, as `credential_statuses.cooling` holds it.
#[derive(serde::Deserialize, serde::Serialize)]
struct Cooling {
    model: String,
    until_ms: i64,
}

/// The stored row of a status, updated at `now`.
pub(crate) fn status_row(
    s: &CredentialStatusRecord,
    now: i64,
) -> Result<credential_status::Model, StoreError> {
    let cooling: Vec<Cooling> = s
        .cooling
        .iter()
        .map(|(model, until_ms)| Cooling {
            model: model.clone(),
            until_ms: *until_ms,
        })
        .collect();
    Ok(credential_status::Model {
        credential_id: s.credential_id,
        state: s.state.clone(),
        cooling: serde_json::to_string(&cooling)
            .map_err(|e| StoreError::Invalid(format!("credential status: {e}")))?,
        last_error: s.last_error.clone(),
        updated_at: now,
    })
}

/// The status a stored row holds.
pub(crate) fn status_record(
    row: &credential_status::Model,
) -> Result<CredentialStatusRecord, StoreError> {
    let cooling: Vec<Cooling> = serde_json::from_str(&row.cooling).map_err(|e| {
        StoreError::Invalid(format!("credential_statuses {}: {e}", row.credential_id))
    })?;
    Ok(CredentialStatusRecord {
        credential_id: row.credential_id,
        state: row.state.clone(),
        cooling: cooling.into_iter().map(|c| (c.model, c.until_ms)).collect(),
        last_error: row.last_error.clone(),
    })
}
