//! The user API (DESIGN.md §9), read side: `GET /user/me`, `GET /user/quota` and
//! `GET /user/rate-limits`, for any user's key (`Authorization: Bearer` or `x-api-key`),
//! each scoped to that user. The quota shows the live balance: what is used in the current
//! period and what in-flight calls hold reserved.

use super::admin::Page;
use crate::error::ApiError;
use crate::limits::{QuotaRule, RateRule};
use crate::routes::openapi;
use crate::snapshot::Principal;
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use serde::Serialize;

/// Any authenticated user.
pub struct User(pub Principal);

impl FromRequestParts<AppState> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(User(super::admin::caller(parts, state)?))
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    id: String,
    name: String,
    is_admin: bool,
}

/// A quota as the API shows it: amounts as exact decimal strings of USD.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Quota {
    pub id: String,
    pub user_id: String,
    pub limit_usd: String,
    pub used_usd: String,
    /// Held by calls in flight (their worst-case costs).
    pub reserved_usd: String,
    pub period: String,
    /// When the current period began (RFC 3339).
    pub period_start: String,
}

/// A rate limit as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimit {
    pub id: String,
    pub user_id: String,
    pub model_pattern: String,
    pub rpm: Option<u64>,
    pub rpd: Option<u64>,
    pub tpm: Option<u64>,
    pub tpd: Option<u64>,
}

/// `user_id`'s quota with its live balance.
pub fn quota(state: &AppState, user_id: i64, rule: &QuotaRule) -> Quota {
    let now = gproxy_storage::now_ms();
    let (used, reserved) = state.ledger.balance_at(user_id, rule, now);
    let start = gproxy_storage::limits::period_start(&rule.period, now).max(rule.period_start);
    Quota {
        id: rule.id.to_string(),
        user_id: user_id.to_string(),
        limit_usd: rule.limit.to_string(),
        used_usd: used.to_string(),
        reserved_usd: reserved.to_string(),
        period: rule.period.clone(),
        period_start: crate::time::rfc3339(start, false),
    }
}

pub fn rate_limit(user_id: i64, r: &RateRule) -> RateLimit {
    RateLimit {
        id: r.id.to_string(),
        user_id: user_id.to_string(),
        model_pattern: r.pattern.clone(),
        rpm: r.rpm,
        rpd: r.rpd,
        tpm: r.tpm,
        tpd: r.tpd,
    }
}

/// `GET /user/me`.
#[utoipa::path(
    get,
    path = "/user/me",
    operation_id = "get_me",
    tag = "user",
    responses(
        (status = 200, description = "The caller", body = Me),
        openapi::Unauthorized,
    )
)]
pub async fn me(User(who): User) -> Json<Me> {
    Json(Me {
        id: who.user_id.to_string(),
        name: who.user_name,
        is_admin: who.is_admin,
    })
}

/// `GET /user/quota`: 404 when the user has none.
#[utoipa::path(
    get,
    path = "/user/quota",
    operation_id = "get_own_quota",
    tag = "user",
    responses(
        (status = 200, description = "The caller's quota with its live balance", body = Quota),
        openapi::Unauthorized,
        openapi::NotFound,
    )
)]
pub async fn get_quota(
    User(who): User,
    State(state): State<AppState>,
) -> Result<Json<Quota>, ApiError> {
    let snap = state.snapshot();
    let rule = snap
        .quota(who.user_id)
        .ok_or_else(|| ApiError::not_found(format!("user `{}` has no quota", who.user_name)))?;
    Ok(Json(quota(&state, who.user_id, rule)))
}

/// `GET /user/rate-limits`: every rule on the user's calls.
#[utoipa::path(
    get,
    path = "/user/rate-limits",
    operation_id = "list_own_rate_limits",
    tag = "user",
    responses(
        (status = 200, description = "Every rate limit on the caller's calls", body = Page<RateLimit>),
        openapi::Unauthorized,
    )
)]
pub async fn rate_limits(User(who): User, State(state): State<AppState>) -> Json<Page<RateLimit>> {
    let snap = state.snapshot();
    let data = snap
        .user_rate_rules(who.user_id)
        .iter()
        .map(|r| rate_limit(who.user_id, r))
        .collect();
    Json(Page {
        data,
        next_cursor: None,
    })
}

/// No `Debug`: it holds passwords.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(description = "The current password and the new one.")]
pub struct PasswordChange {
    #[schema(write_only)]
    current_password: String,
    #[schema(write_only)]
    new_password: String,
}

/// `POST /user/password`: the current password must match (wrong guesses count towards the
/// login throttle of the account); 204. Keys and sessions stay valid.
#[utoipa::path(
    post,
    path = "/user/password",
    operation_id = "change_password",
    tag = "user",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; keys and sessions stay valid"),
        openapi::BadRequest,
        openapi::Unauthorized,
        openapi::Throttled,
    )
)]
pub async fn change_password(
    User(who): User,
    State(state): State<AppState>,
    body: Result<axum::Json<PasswordChange>, axum::extract::rejection::JsonRejection>,
) -> Result<axum::http::StatusCode, ApiError> {
    use super::admin::write::{Plan, commit};
    use gproxy_storage::change::{RowChange, RowValues};
    let body = super::admin::json_body(body)?;
    crate::password::check_new(&body.new_password).map_err(|e| {
        ApiError::bad_request(format!("new_password {e}")).with_field("new_password")
    })?;
    let attempt = state
        .login_throttle
        .begin(&who.user_name, None)
        .map_err(|wait| {
            ApiError::too_many_requests(
                "too many failed attempts: try again later",
                wait.as_secs().max(1),
            )
        })?;
    let hash = state
        .snapshot()
        .login_user(&who.user_name)
        .map(|(_, _, h)| h.to_owned())
        .unwrap_or_default();
    let current = body.current_password;
    let ok = tokio::task::spawn_blocking(move || crate::password::verify(&hash, &current))
        .await
        .unwrap_or(false);
    if !ok {
        return Err(
            ApiError::bad_request("current_password is wrong").with_field("current_password")
        );
    }
    state.login_throttle.succeeded(attempt);
    let new_hash = crate::password::hash_blocking(body.new_password)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "hashing a password failed");
            ApiError::internal("could not hash the password")
        })?;
    commit(&state, |cp| {
        let old = super::admin::users::row(cp, who.user_id)?;
        Ok(
            Plan::new(&who.user_name, "update", "users", Some(who.user_id))
                .before(&super::admin::users::shown(old))
                .after(&serde_json::json!({ "password": "changed" }))
                .with(RowChange::Update(
                    who.user_id,
                    RowValues::User {
                        name: old.name.clone(),
                        password_hash: new_hash,
                        is_admin: old.is_admin,
                        enabled: old.enabled,
                    },
                )),
        )
    })
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
