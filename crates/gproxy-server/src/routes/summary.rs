//! Usage summaries (DESIGN.md §9): `GET /admin/usage/summary` and `GET /user/usage/summary`
//! (the caller's own), a cross-tab of requests, tokens and cost grouped by any of `user`,
//! `key`, `provider`, `model` (`group_by=user,model`) per `hour`, `day` or in `total`
//! (`granularity`), over `from`..`to`, filtered by `user_id`, `key_id`, `provider`, `model`
//! and `status`. Answered from the hourly and daily rollups the write queue keeps, never by
//! scanning raw usage; bounds count from the start of their hour.

use super::admin::{Admin, query, query_id, store_error};
use super::usage::time;
use super::user::User;
use crate::billing::Money;
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use gproxy_storage::summary::{Granularity, GroupKey, SummaryQuery, SummaryRow};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most rows one summary answers with; a wider question is refused (narrow the range or the
/// grouping).
const MAX_ROWS: usize = 20_000;

/// Widest range an hourly summary covers.
const MAX_HOURLY_SPAN_MS: i64 = 31 * 86_400_000;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    group_by: Option<String>,
    granularity: Option<String>,
    from: Option<String>,
    to: Option<String>,
    user_id: Option<String>,
    key_id: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    status: Option<String>,
}

/// Sums over a set of requests.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Totals {
    requests: i64,
    input_tokens: i64,
    output_tokens: i64,
    cache_read_tokens: i64,
    cache_write_tokens: i64,
    reasoning_tokens: i64,
    /// Exact decimal USD.
    cost_usd: String,
}

/// `{"data": [rows], "total": {...}}`: each row has `time` (the bucket's start, unless the
/// granularity is `total`), the grouped keys, and the sums.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Summary {
    #[schema(value_type = Vec<Object>)]
    data: Vec<Map<String, Value>>,
    total: Totals,
}

fn group_by(raw: Option<&str>) -> Result<Vec<GroupKey>, ApiError> {
    let mut keys = Vec::new();
    for part in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let key = match part {
            "user" => GroupKey::User,
            "key" => GroupKey::Key,
            "provider" => GroupKey::Provider,
            "model" => GroupKey::Model,
            other => {
                return Err(ApiError::bad_request(format!(
                    "group_by `{other}` is not one of user, key, provider, model"
                ))
                .with_field("group_by"));
            }
        };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

fn granularity(raw: Option<&str>) -> Result<Granularity, ApiError> {
    match raw.unwrap_or("total") {
        "hour" => Ok(Granularity::Hour),
        "day" => Ok(Granularity::Day),
        "total" => Ok(Granularity::Total),
        other => Err(ApiError::bad_request(format!(
            "granularity `{other}` is not one of hour, day, total"
        ))
        .with_field("granularity")),
    }
}

fn cost(nanos: i64) -> String {
    Money::from_nanos(nanos.max(0)).to_string()
}

fn row(r: &SummaryRow, keys: &[GroupKey]) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(at) = r.bucket_start {
        out.insert("time".into(), crate::time::rfc3339(at, false).into());
    }
    let id = |v: Option<i64>| v.map_or(Value::Null, |i| Value::String(i.to_string()));
    for key in keys {
        let (name, value) = match key {
            GroupKey::User => ("user_id", id(r.user_id)),
            GroupKey::Key => ("key_id", id(r.key_id)),
            GroupKey::Provider => ("provider", r.provider.clone().into()),
            GroupKey::Model => ("model", r.model.clone().into()),
        };
        out.insert(name.into(), value);
    }
    for (name, v) in [
        ("requests", r.requests),
        ("input_tokens", r.input_tokens),
        ("output_tokens", r.output_tokens),
        ("cache_read_tokens", r.cache_read_tokens),
        ("cache_write_tokens", r.cache_write_tokens),
        ("reasoning_tokens", r.reasoning_tokens),
    ] {
        out.insert(name.into(), v.into());
    }
    out.insert("cost_usd".into(), cost(r.cost_nano).into());
    out
}

/// The summary `p` asks for, `user` forcing the user filter.
async fn summary(
    state: &AppState,
    p: SummaryParams,
    user: Option<i64>,
) -> Result<Summary, ApiError> {
    let keys = group_by(p.group_by.as_deref())?;
    let q = SummaryQuery {
        group_by: keys.clone(),
        granularity: granularity(p.granularity.as_deref())?,
        from_ms: p.from.as_deref().map(|f| time("from", f)).transpose()?,
        to_ms: p.to.as_deref().map(|t| time("to", t)).transpose()?,
        user_id: user.or(query_id("user_id", p.user_id.as_deref())?),
        key_id: query_id("key_id", p.key_id.as_deref())?,
        provider: p.provider,
        model: p.model,
        status: p.status.as_deref().map(super::admin::status).transpose()?,
    };
    if let (Some(f), Some(t)) = (q.from_ms, q.to_ms)
        && f > t
    {
        return Err(ApiError::bad_request("from is after to").with_field("from"));
    }
    if q.granularity == Granularity::Hour {
        // Hourly rows over an open range would read every hourly rollup there is.
        let to = q.to_ms.unwrap_or_else(gproxy_storage::now_ms);
        let span = q.from_ms.map(|f| to.saturating_sub(f));
        if span.is_none_or(|s| s > MAX_HOURLY_SPAN_MS) {
            return Err(ApiError::bad_request(
                "granularity=hour needs `from`, at most 31 days before `to` (or now)",
            )
            .with_field("from"));
        }
    }
    let rows = state.store.usage_summary(&q).await.map_err(store_error)?;
    if rows.len() > MAX_ROWS {
        return Err(ApiError::bad_request(format!(
            "the summary has more than {MAX_ROWS} rows: narrow the range, the granularity or group_by"
        )));
    }
    let mut total = Totals::default();
    let mut nanos: i64 = 0;
    for r in &rows {
        total.requests += r.requests;
        total.input_tokens += r.input_tokens;
        total.output_tokens += r.output_tokens;
        total.cache_read_tokens += r.cache_read_tokens;
        total.cache_write_tokens += r.cache_write_tokens;
        total.reasoning_tokens += r.reasoning_tokens;
        nanos = nanos.saturating_add(r.cost_nano);
    }
    total.cost_usd = cost(nanos);
    Ok(Summary {
        data: rows.iter().map(|r| row(r, &keys)).collect(),
        total,
    })
}

/// `GET /admin/usage/summary`.
#[utoipa::path(
    get,
    path = "/admin/usage/summary",
    operation_id = "get_usage_summary",
    tag = "admin",
    params(
        SummaryParams,
    ),
    responses(
        (status = 200, description = "Sums per group and time bucket, and in total", body = Summary),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn admin_summary(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<SummaryParams>, QueryRejection>,
) -> Result<Json<Summary>, ApiError> {
    Ok(Json(summary(&state, query(q)?, None).await?))
}

/// `GET /user/usage/summary`: the caller's own usage (`user_id` is not a filter here).
#[utoipa::path(
    get,
    path = "/user/usage/summary",
    operation_id = "get_own_usage_summary",
    tag = "user",
    params(
        SummaryParams,
    ),
    responses(
        (status = 200, description = "The caller's sums (`user_id` is refused)", body = Summary),
        openapi::BadRequest,
        openapi::Unauthorized,
    )
)]
pub async fn user_summary(
    User(who): User,
    State(state): State<AppState>,
    q: Result<Query<SummaryParams>, QueryRejection>,
) -> Result<Json<Summary>, ApiError> {
    let q = query(q)?;
    if q.user_id.is_some() {
        return Err(ApiError::bad_request(
            "user_id is not a filter of /user/usage/summary: it is always yours",
        )
        .with_field("user_id"));
    }
    Ok(Json(summary(&state, q, Some(who.user_id)).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_by_and_granularity_parse() {
        assert_eq!(
            group_by(Some("user, model,user")).ok(),
            Some(vec![GroupKey::User, GroupKey::Model])
        );
        assert_eq!(group_by(None).ok(), Some(vec![]));
        assert!(group_by(Some("team")).is_err());
        assert_eq!(granularity(None).ok(), Some(Granularity::Total));
        assert!(granularity(Some("week")).is_err());
    }

    #[test]
    fn rows_show_grouped_keys_only() {
        let r = SummaryRow {
            bucket_start: Some(0),
            user_id: Some(3),
            requests: 2,
            cost_nano: 1_500,
            ..Default::default()
        };
        let shown = row(&r, &[GroupKey::User]);
        assert_eq!(shown["time"], "1970-01-01T00:00:00Z");
        assert_eq!(shown["user_id"], "3");
        assert!(!shown.contains_key("model"));
        assert_eq!(shown["cost_usd"], "0.0000015");
    }
}
