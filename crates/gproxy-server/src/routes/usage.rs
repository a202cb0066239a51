//! Usage records in the admin and user API (DESIGN.md §9): `GET /admin/usage` (every user's,
//! `user_id` filter) and `GET /user/usage` (the caller's own), newest first, filtered by
//! `key_id`, `provider` (name), `model` (upstream id), `from` and `to` (RFC 3339 or epoch
//! seconds), paged with `limit` and `cursor`.

use super::admin::{Admin, Page, TimeCursor, page_limit, query, query_id, store_error};
use super::user::User;
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use gproxy_storage::model::{UsageFilter, UsageRow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    user_id: Option<String>,
    key_id: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// One usage record as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Usage {
    request_id: String,
    time: String,
    user_id: Option<String>,
    key_id: Option<String>,
    provider: String,
    credential_id: Option<String>,
    model: String,
    operation: String,
    protocol: String,
    status: i32,
    input_tokens: i64,
    output_tokens: i64,
    cache_read_tokens: i64,
    cache_write_tokens: i64,
    reasoning_tokens: i64,
    /// Exact decimal USD; `null` when the model had no price.
    cost_usd: Option<String>,
    latency_ms: i64,
    ttfb_ms: Option<i64>,
    estimated: bool,
}

fn shown(r: &UsageRow) -> Usage {
    Usage {
        request_id: r.request_id.clone(),
        time: crate::time::rfc3339(r.created_at, true),
        user_id: r.user_id.map(|i| i.to_string()),
        key_id: r.user_key_id.map(|i| i.to_string()),
        provider: r.provider.clone(),
        credential_id: r.credential_id.map(|i| i.to_string()),
        model: r.model.clone(),
        operation: r.operation.clone(),
        protocol: r.protocol.clone(),
        status: r.status,
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        cache_read_tokens: r.cache_read_tokens,
        cache_write_tokens: r.cache_write_tokens,
        reasoning_tokens: r.reasoning_tokens,
        cost_usd: r
            .cost_nano
            .map(|n| crate::billing::Money::from_nanos(n).to_string()),
        latency_ms: r.latency_ms,
        ttfb_ms: r.ttfb_ms,
        estimated: r.estimated,
    }
}

/// A point in time from a filter: RFC 3339, or whole seconds since the epoch.
pub(crate) fn time(field: &str, raw: &str) -> Result<i64, ApiError> {
    if let Ok(secs) = raw.parse::<i64>() {
        return secs.checked_mul(1000).ok_or_else(|| {
            ApiError::bad_request(format!("{field} is out of range")).with_field(field)
        });
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            ApiError::bad_request(format!(
                "{field} `{raw}` is neither an RFC 3339 time nor epoch seconds"
            ))
            .with_field(field)
        })
}

/// One page of the records `q` asks for, `user` forcing the user filter.
async fn page(state: &AppState, q: UsageQuery, user: Option<i64>) -> Result<Page<Usage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let before = TimeCursor::parse(q.cursor.as_deref())?;
    let filter = UsageFilter {
        user_id: user.or(query_id("user_id", q.user_id.as_deref())?),
        key_id: query_id("key_id", q.key_id.as_deref())?,
        provider: q.provider,
        model: q.model,
        from_ms: q.from.as_deref().map(|f| time("from", f)).transpose()?,
        to_ms: q.to.as_deref().map(|t| time("to", t)).transpose()?,
    };
    let rows = state
        .store
        .usages(&filter, before, limit as u64 + 1)
        .await
        .map_err(store_error)?;
    Ok(Page::of(
        rows,
        limit,
        |r| TimeCursor::at(r.created_at, r.id),
        shown,
    ))
}

/// `GET /admin/usage`.
#[utoipa::path(
    get,
    path = "/admin/usage",
    operation_id = "list_usage",
    tag = "admin",
    params(
        UsageQuery,
    ),
    responses(
        (status = 200, description = "Usage records, newest first", body = Page<Usage>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn admin_usage(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<UsageQuery>, QueryRejection>,
) -> Result<Json<Page<Usage>>, ApiError> {
    Ok(Json(page(&state, query(q)?, None).await?))
}

/// `GET /user/usage`: the caller's own records (`user_id` is not a filter here).
#[utoipa::path(
    get,
    path = "/user/usage",
    operation_id = "list_own_usage",
    tag = "user",
    params(
        UsageQuery,
    ),
    responses(
        (status = 200, description = "The caller's usage records, newest first (`user_id` is refused)", body = Page<Usage>),
        openapi::BadRequest,
        openapi::Unauthorized,
    )
)]
pub async fn user_usage(
    User(who): User,
    State(state): State<AppState>,
    q: Result<Query<UsageQuery>, QueryRejection>,
) -> Result<Json<Page<Usage>>, ApiError> {
    let q = query(q)?;
    if q.user_id.is_some() {
        return Err(ApiError::bad_request(
            "user_id is not a filter of /user/usage: it is always yours",
        )
        .with_field("user_id"));
    }
    Ok(Json(page(&state, q, Some(who.user_id)).await?))
}
