//! Request logs in the admin API (DESIGN.md §9): `GET /admin/logs`, the downstream entries
//! newest first (envelopes: no bodies), filtered by `request_id`, `user_id`, `status`,
//! `from` and `to` (RFC 3339 or epoch seconds), paged with `limit` and `cursor`; and
//! `GET /admin/logs/{request_id}`, one request's entry with its bodies and its upstream
//! attempts oldest first. What is stored was masked before it was written (see
//! [`crate::mask`]).

use super::{Admin, Page, TimeCursor, page_limit, query, query_id, store_error};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::routes::usage::time;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use gproxy_storage::model::{DownstreamRow, LogFilter, UpstreamRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    /// One request's entry.
    request_id: Option<String>,
    user_id: Option<String>,
    /// The HTTP status the client got.
    status: Option<String>,
    /// Created at or after (RFC 3339 or epoch seconds).
    from: Option<String>,
    /// Created before (RFC 3339 or epoch seconds).
    to: Option<String>,
}

/// A downstream entry as the API shows it; the bodies only in the single-request view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LogEntry)]
pub struct Entry {
    id: String,
    request_id: String,
    time: String,
    user_id: Option<String>,
    key_id: Option<String>,
    method: String,
    path: String,
    status: i32,
    latency_ms: i64,
    /// Name → value, credentials shown as `***`; `null` for entries from before headers
    /// were kept.
    #[schema(value_type = Option<Object>)]
    request_headers: Option<Value>,
    #[schema(value_type = Option<Object>)]
    response_headers: Option<Value>,
    /// Only in `GET /admin/logs/{request_id}`; `null` when not captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    request_body: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    response_body: Option<Option<String>>,
}

/// One upstream attempt.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    id: String,
    time: String,
    provider: String,
    credential_id: Option<String>,
    method: String,
    url: String,
    /// `null` when no response came.
    status: Option<i32>,
    latency_ms: i64,
    error: Option<String>,
    #[schema(value_type = Option<Object>)]
    request_headers: Option<Value>,
    #[schema(value_type = Option<Object>)]
    response_headers: Option<Value>,
    request_body: Option<String>,
    response_body: Option<String>,
}

/// A request's whole log: its entry and `upstream`, its attempts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LogDetail)]
pub struct Detail {
    #[serde(flatten)]
    entry: Entry,
    upstream: Vec<Attempt>,
}

/// Stored headers (a JSON object) as JSON; `null` for rows from before they were kept.
fn headers(text: &Option<String>) -> Option<Value> {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok())
}

fn entry(r: &DownstreamRow, bodies: bool) -> Entry {
    Entry {
        id: r.id.to_string(),
        request_id: r.request_id.clone(),
        time: crate::time::rfc3339(r.created_at, true),
        user_id: r.user_id.map(|i| i.to_string()),
        key_id: r.user_key_id.map(|i| i.to_string()),
        method: r.method.clone(),
        path: r.path.clone(),
        status: r.status,
        latency_ms: r.latency_ms,
        request_headers: headers(&r.request_headers),
        response_headers: headers(&r.response_headers),
        request_body: bodies.then(|| r.request_body.clone()),
        response_body: bodies.then(|| r.response_body.clone()),
    }
}

fn attempt(r: &UpstreamRow) -> Attempt {
    Attempt {
        id: r.id.to_string(),
        time: crate::time::rfc3339(r.created_at, true),
        provider: r.provider.clone(),
        credential_id: r.credential_id.map(|i| i.to_string()),
        method: r.method.clone(),
        url: r.url.clone(),
        status: r.status,
        latency_ms: r.latency_ms,
        error: r.error.clone(),
        request_headers: headers(&r.request_headers),
        response_headers: headers(&r.response_headers),
        request_body: r.request_body.clone(),
        response_body: r.response_body.clone(),
    }
}

/// `GET /admin/logs`.
#[utoipa::path(
    get,
    path = "/admin/logs",
    operation_id = "list_logs",
    tag = "admin",
    params(LogQuery),
    responses(
        (status = 200, description = "Request log entries, newest first, without bodies", body = Page<Entry>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<Page<Entry>>, ApiError> {
    let q = query(q)?;
    let limit = page_limit(q.limit)?;
    let before = TimeCursor::parse(q.cursor.as_deref())?;
    let filter = LogFilter {
        request_id: q.request_id,
        user_id: query_id("user_id", q.user_id.as_deref())?,
        status: q.status.as_deref().map(super::status).transpose()?,
        from_ms: q.from.as_deref().map(|f| time("from", f)).transpose()?,
        to_ms: q.to.as_deref().map(|t| time("to", t)).transpose()?,
    };
    let rows = state
        .store
        .request_logs(&filter, before, limit as u64 + 1)
        .await
        .map_err(store_error)?;
    Ok(Json(Page::of(
        rows,
        limit,
        |r| TimeCursor::at(r.created_at, r.id),
        |r| entry(r, false),
    )))
}

/// `GET /admin/logs/{request_id}`.
#[utoipa::path(
    get,
    path = "/admin/logs/{request_id}",
    operation_id = "get_log",
    tag = "admin",
    params(
        ("request_id" = String, Path, description = "The request's id (`x-gproxy-request-id`)"),
    ),
    responses(
        (status = 200, description = "The request's entry with its bodies and upstream attempts", body = Detail),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get(
    _: Admin,
    State(state): State<AppState>,
    Path(request_id): Path<String>,
) -> Result<Json<Detail>, ApiError> {
    let (down, up) = state
        .store
        .request_log(&request_id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found(format!("no request log `{request_id}`")))?;
    Ok(Json(Detail {
        entry: entry(&down, true),
        upstream: up.iter().map(attempt).collect(),
    }))
}
