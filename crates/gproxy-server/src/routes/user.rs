//! The user API (DESIGN.md §9), read side: `GET /user/me`, `GET /user/quota` and
//! `GET /user/rate-limits`, for any user's key (`Authorization: Bearer` or `x-api-key`),
//! each scoped to that user. The quota shows the live balance: what is used in the current
//! period and what in-flight calls hold reserved.

use super::admin::{Page, admin_headers};
use crate::auth;
use crate::error::ApiError;
use crate::limits::{QuotaRule, RateRule};
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
        let principal =
            auth::authenticate(&state.snapshot(), &admin_headers(&parts.headers), None)?;
        Ok(User(principal))
    }
}

#[derive(Debug, Serialize)]
pub struct Me {
    id: String,
    name: String,
    is_admin: bool,
}

/// A quota as the API shows it: amounts as exact decimal strings of USD.
#[derive(Debug, Serialize)]
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
#[derive(Debug, Serialize)]
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
pub async fn me(User(who): User) -> Json<Me> {
    Json(Me {
        id: who.user_id.to_string(),
        name: who.user_name,
        is_admin: who.is_admin,
    })
}

/// `GET /user/quota`: 404 when the user has none.
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
