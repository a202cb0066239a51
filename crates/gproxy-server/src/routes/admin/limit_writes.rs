//! Rate limits and quotas in the admin API (DESIGN.md §9), write side: `POST
//! /admin/rate-limits`, `GET|PATCH|DELETE /admin/rate-limits/{id}`, `POST /admin/quotas`,
//! `GET|PATCH|DELETE /admin/quotas/{id}` and `POST /admin/quotas/{id}/reset`. Amounts are
//! exact decimal strings of USD; `used_usd` is read-only (reset sets it to 0). Every write is
//! audited and applies to traffic at once; a quota write makes the ledger start over from
//! the stored balance.

use super::{Admin, applied, control_plane, id, json_body, store_error, write_error};
use crate::billing::Money;
use crate::error::ApiError;
use crate::limits::{QuotaRule, RateRule};
use crate::routes::openapi;
use crate::routes::user::{Quota, RateLimit, quota, rate_limit};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gproxy_storage::model::{
    ControlPlane, NewQuota, NewRateLimit, QuotaPatch, QuotaRow, RateLimitPatch, RateLimitRow,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A field that may be given as `null` to clear it: absent → `None`, `null` →
/// `Some(None)`, a value → `Some(Some(v))`.
pub(super) fn clearable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn star() -> String {
    "*".into()
}

fn fixed() -> String {
    "none".into()
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRateLimit {
    user_id: String,
    #[serde(default = "star")]
    model_pattern: String,
    rpm: Option<u64>,
    rpd: Option<u64>,
    tpm: Option<u64>,
    tpd: Option<u64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRateLimit {
    model_pattern: Option<String>,
    #[serde(default, deserialize_with = "clearable")]
    rpm: Option<Option<u64>>,
    #[serde(default, deserialize_with = "clearable")]
    rpd: Option<Option<u64>>,
    #[serde(default, deserialize_with = "clearable")]
    tpm: Option<Option<u64>>,
    #[serde(default, deserialize_with = "clearable")]
    tpd: Option<Option<u64>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQuota {
    user_id: String,
    #[schema(value_type = String)]
    limit_usd: Value,
    #[serde(default = "fixed")]
    period: String,
    #[schema(ignore)]
    used_usd: Option<Value>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchQuota {
    #[schema(value_type = Option<String>)]
    limit_usd: Option<Value>,
    period: Option<String>,
    #[schema(ignore)]
    used_usd: Option<Value>,
}

/// The id of an existing user named by `raw`; 400 naming `user_id` otherwise.
pub(super) fn user_id(cp: &ControlPlane, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| cp.users.iter().any(|u| u.id == *id))
        .ok_or_else(|| ApiError::bad_request(format!("no user `{raw}`")).with_field("user_id"))
}

/// A ceiling: 1 or more, within what the store holds.
fn ceiling(field: &str, v: Option<u64>) -> Result<Option<i64>, ApiError> {
    v.map(|n| {
        i64::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiError::bad_request(format!("{field} must be between 1 and {}", i64::MAX))
                .with_field(field)
        })
    })
    .transpose()
}

fn pattern(p: &str) -> Result<(), ApiError> {
    if p.is_empty() || p.len() > 256 {
        return Err(
            ApiError::bad_request("model_pattern must be 1 to 256 characters")
                .with_field("model_pattern"),
        );
    }
    Ok(())
}

/// An amount of USD: a decimal string (or a JSON number), exact to the nano-USD.
pub(super) fn amount(field: &str, v: &Value) -> Result<i64, ApiError> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(ApiError::bad_request(format!(
                "{field} must be a decimal string of USD, such as \"12.5\""
            ))
            .with_field(field));
        }
    };
    text.parse::<Money>()
        .map(Money::nanos)
        .map_err(|e| ApiError::bad_request(format!("{field}: {e}")).with_field(field))
}

fn period(p: &str) -> Result<(), ApiError> {
    if !gproxy_storage::limits::PERIODS.contains(&p) {
        return Err(ApiError::bad_request(format!(
            "period `{p}` is not one of none, daily, monthly"
        ))
        .with_field("period"));
    }
    Ok(())
}

fn read_only_used(used: Option<&Value>) -> Result<(), ApiError> {
    if used.is_some() {
        return Err(ApiError::bad_request(
            "used_usd is read-only: POST /admin/quotas/{id}/reset sets it to 0",
        )
        .with_field("used_usd"));
    }
    Ok(())
}

fn shown_limit(row: &RateLimitRow) -> RateLimit {
    rate_limit(row.user_id, &RateRule::from_row(row))
}

fn shown_quota(state: &AppState, row: &QuotaRow) -> Quota {
    quota(state, row.user_id, &QuotaRule::from_row(row))
}

/// `POST /admin/rate-limits`.
#[utoipa::path(
    post,
    path = "/admin/rate-limits",
    operation_id = "create_rate_limit",
    tag = "admin",
    request_body = CreateRateLimit,
    responses(
        (status = 201, description = "Created", body = RateLimit),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn create_rate_limit(
    Admin(who): Admin,
    State(state): State<AppState>,
    body: Result<Json<CreateRateLimit>, JsonRejection>,
) -> Result<(StatusCode, Json<RateLimit>), ApiError> {
    let b = json_body(body)?;
    pattern(&b.model_pattern)?;
    let new = NewRateLimit {
        user_id: 0,
        model_pattern: b.model_pattern,
        rpm: ceiling("rpm", b.rpm)?,
        rpd: ceiling("rpd", b.rpd)?,
        tpm: ceiling("tpm", b.tpm)?,
        tpd: ceiling("tpd", b.tpd)?,
    };
    let (row, _) = applied(&state, async {
        let new = NewRateLimit {
            user_id: user_id(&control_plane(&state).await?, &b.user_id)?,
            ..new
        };
        state
            .store
            .create_rate_limit(&new, &who.user_name)
            .await
            .map_err(write_error)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(shown_limit(&row))))
}

/// `GET /admin/rate-limits/{id}`.
#[utoipa::path(
    get,
    path = "/admin/rate-limits/{id}",
    operation_id = "get_rate_limit",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The rate limit's id"),
    ),
    responses(
        (status = 200, description = "The rate limit", body = RateLimit),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get_rate_limit(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<RateLimit>, ApiError> {
    let id = id(&raw, "rate limit")?;
    let cp = control_plane(&state).await?;
    cp.rate_limits
        .iter()
        .find(|r| r.id == id)
        .map(|r| Json(shown_limit(r)))
        .ok_or_else(|| ApiError::not_found(format!("no rate limit `{raw}`")))
}

/// `PATCH /admin/rate-limits/{id}`: the fields given; `null` clears a ceiling.
#[utoipa::path(
    patch,
    path = "/admin/rate-limits/{id}",
    operation_id = "update_rate_limit",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The rate limit's id"),
    ),
    request_body = PatchRateLimit,
    responses(
        (status = 200, description = "The rate limit as changed", body = RateLimit),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn patch_rate_limit(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<PatchRateLimit>, JsonRejection>,
) -> Result<Json<RateLimit>, ApiError> {
    let id = id(&raw, "rate limit")?;
    let b = json_body(body)?;
    if let Some(p) = &b.model_pattern {
        pattern(p)?;
    }
    let clear = |field: &str, v: Option<Option<u64>>| -> Result<Option<Option<i64>>, ApiError> {
        v.map(|inner| ceiling(field, inner)).transpose()
    };
    let patch = RateLimitPatch {
        model_pattern: b.model_pattern,
        rpm: clear("rpm", b.rpm)?,
        rpd: clear("rpd", b.rpd)?,
        tpm: clear("tpm", b.tpm)?,
        tpd: clear("tpd", b.tpd)?,
    };
    let (row, _) = applied(&state, async {
        state
            .store
            .update_rate_limit(id, &patch, &who.user_name)
            .await
            .map_err(write_error)
    })
    .await?;
    Ok(Json(shown_limit(&row)))
}

/// `DELETE /admin/rate-limits/{id}`.
#[utoipa::path(
    delete,
    path = "/admin/rate-limits/{id}",
    operation_id = "delete_rate_limit",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The rate limit's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn delete_rate_limit(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id(&raw, "rate limit")?;
    applied(&state, async {
        state
            .store
            .delete_rate_limit(id, &who.user_name)
            .await
            .map_err(store_error)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/quotas`: 409 when the user has one.
#[utoipa::path(
    post,
    path = "/admin/quotas",
    operation_id = "create_quota",
    tag = "admin",
    request_body = CreateQuota,
    responses(
        (status = 201, description = "Created", body = Quota),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::Conflict,
    )
)]
pub async fn create_quota(
    Admin(who): Admin,
    State(state): State<AppState>,
    body: Result<Json<CreateQuota>, JsonRejection>,
) -> Result<(StatusCode, Json<Quota>), ApiError> {
    let b = json_body(body)?;
    read_only_used(b.used_usd.as_ref())?;
    let limit_nano = amount("limit_usd", &b.limit_usd)?;
    period(&b.period)?;
    let (row, _) = applied(&state, async {
        let new = NewQuota {
            user_id: user_id(&control_plane(&state).await?, &b.user_id)?,
            limit_nano,
            period: b.period,
        };
        state
            .store
            .create_quota(&new, &who.user_name)
            .await
            .map_err(|e| {
                let conflict = matches!(e, gproxy_storage::StoreError::Conflict(_));
                let err = write_error(e);
                if conflict {
                    err.with_field("user_id")
                } else {
                    err
                }
            })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(shown_quota(&state, &row))))
}

/// `GET /admin/quotas/{id}`.
#[utoipa::path(
    get,
    path = "/admin/quotas/{id}",
    operation_id = "get_quota",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The quota's id"),
    ),
    responses(
        (status = 200, description = "The quota with its live balance", body = Quota),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get_quota(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Quota>, ApiError> {
    let id = id(&raw, "quota")?;
    let cp = control_plane(&state).await?;
    cp.quotas
        .iter()
        .find(|q| q.id == id)
        .map(|q| Json(shown_quota(&state, q)))
        .ok_or_else(|| ApiError::not_found(format!("no quota `{raw}`")))
}

/// `PATCH /admin/quotas/{id}`: `limit_usd` and/or `period` (a new period starts now).
#[utoipa::path(
    patch,
    path = "/admin/quotas/{id}",
    operation_id = "update_quota",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The quota's id"),
    ),
    request_body = PatchQuota,
    responses(
        (status = 200, description = "The quota as changed", body = Quota),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn patch_quota(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<PatchQuota>, JsonRejection>,
) -> Result<Json<Quota>, ApiError> {
    let id = id(&raw, "quota")?;
    let b = json_body(body)?;
    read_only_used(b.used_usd.as_ref())?;
    let patch = QuotaPatch {
        limit_nano: b
            .limit_usd
            .as_ref()
            .map(|v| amount("limit_usd", v))
            .transpose()?,
        period: b.period,
    };
    if let Some(p) = &patch.period {
        period(p)?;
    }
    let (row, _) = applied(&state, async {
        state
            .store
            .update_quota(id, &patch, &who.user_name)
            .await
            .map_err(write_error)
    })
    .await?;
    Ok(Json(shown_quota(&state, &row)))
}

/// `POST /admin/quotas/{id}/reset`: used back to 0.
#[utoipa::path(
    post,
    path = "/admin/quotas/{id}/reset",
    operation_id = "reset_quota",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The quota's id"),
    ),
    responses(
        (status = 200, description = "The quota, `used_usd` back to 0", body = Quota),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn reset_quota(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Quota>, ApiError> {
    let id = id(&raw, "quota")?;
    let (row, _) = applied(&state, async {
        state
            .store
            .reset_quota(id, &who.user_name)
            .await
            .map_err(store_error)
    })
    .await?;
    Ok(Json(shown_quota(&state, &row)))
}

/// `DELETE /admin/quotas/{id}`.
#[utoipa::path(
    delete,
    path = "/admin/quotas/{id}",
    operation_id = "delete_quota",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The quota's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn delete_quota(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id(&raw, "quota")?;
    applied(&state, async {
        state
            .store
            .delete_quota(id, &who.user_name)
            .await
            .map_err(store_error)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
