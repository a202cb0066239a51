//! Rate limits and quotas in the admin API (DESIGN.md §9), read side: `GET
//! /admin/rate-limits` and `GET /admin/quotas`, each filtered by `user_id` and paged by id;
//! quotas show their live balance (used in the current period and reserved by calls in
//! flight).

use super::{Admin, Page, page_after, page_limit, query, query_id};
use crate::error::ApiError;
use crate::limits::{QuotaRule, RateRule};
use crate::routes::openapi;
use crate::routes::user::{Quota, RateLimit, quota, rate_limit};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    limit: Option<u32>,
    cursor: Option<String>,
    user_id: Option<String>,
}

/// One page of `rows` (sorted by id) after the cursor, with the next cursor.
fn page<T, R>(
    mut rows: Vec<(i64, T)>,
    f: &Filter,
    show: impl Fn(&T) -> R,
) -> Result<Page<R>, ApiError> {
    let limit = page_limit(f.limit)?;
    let after = page_after(f.cursor.as_deref())?;
    rows.retain(|(id, _)| *id > after);
    rows.sort_by_key(|(id, _)| *id);
    Ok(Page::of(rows, limit, |(id, _)| *id, |(_, t)| show(t)))
}

/// `GET /admin/rate-limits[?user_id=]`.
#[utoipa::path(
    get,
    path = "/admin/rate-limits",
    operation_id = "list_rate_limits",
    tag = "admin",
    params(
        Filter,
    ),
    responses(
        (status = 200, description = "Rate limits, by id", body = Page<RateLimit>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn rate_limits(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<Filter>, QueryRejection>,
) -> Result<Json<Page<RateLimit>>, ApiError> {
    let f = query(q)?;
    let user = query_id("user_id", f.user_id.as_deref())?;
    let cp = super::control_plane(&state).await?;
    let rows = cp
        .rate_limits
        .iter()
        .filter(|r| user.is_none_or(|u| r.user_id == u))
        .map(|r| (r.id, (r.user_id, RateRule::from_row(r))))
        .collect();
    Ok(Json(page(rows, &f, |(user_id, r)| {
        rate_limit(*user_id, r)
    })?))
}

/// `GET /admin/quotas[?user_id=]`.
#[utoipa::path(
    get,
    path = "/admin/quotas",
    operation_id = "list_quotas",
    tag = "admin",
    params(
        Filter,
    ),
    responses(
        (status = 200, description = "Quotas with their live balance, by id", body = Page<Quota>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn quotas(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<Filter>, QueryRejection>,
) -> Result<Json<Page<Quota>>, ApiError> {
    let f = query(q)?;
    let user = query_id("user_id", f.user_id.as_deref())?;
    let cp = super::control_plane(&state).await?;
    let rows = cp
        .quotas
        .iter()
        .filter(|r| user.is_none_or(|u| r.user_id == u))
        .map(|r| (r.id, (r.user_id, QuotaRule::from_row(r))))
        .collect();
    Ok(Json(page(rows, &f, |(user_id, r)| {
        quota(&state, *user_id, r)
    })?))
}
