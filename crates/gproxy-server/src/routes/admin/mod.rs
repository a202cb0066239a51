//! The admin API (DESIGN.md §9): `/admin/...`, for admin users' keys (`Authorization:
//! Bearer` or `x-api-key`). Errors are `{"error": "..."}` (with `field` when one field is at
//! fault); collections are `{"data": [...], "next_cursor": ...}` with `limit` (default 50,
//! at most 500) and an opaque `cursor`.

mod health;

use crate::auth;
use crate::error::ApiError;
use crate::snapshot::Principal;
use crate::state::AppState;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/credential-statuses", get(health::list))
        .route("/admin/credentials/{id}/reset", post(health::reset))
}

/// An authenticated admin: 401 without a valid key, 403 for a user who is not an admin.
pub struct Admin(#[allow(dead_code)] pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal =
            auth::authenticate(&state.snapshot(), &admin_headers(&parts.headers), None)?;
        if !principal.is_admin {
            return Err(ApiError::forbidden(format!(
                "user `{}` is not an administrator",
                principal.user_name
            )));
        }
        Ok(Admin(principal))
    }
}

/// Only the headers the admin API takes its key from (not Gemini's header, not `?key=`).
fn admin_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in ["authorization", "x-api-key"] {
        if let Some(v) = headers.get(name) {
            out.insert(name, v.clone());
        }
    }
    out
}

/// A collection's page size from its `limit` parameter; 400 naming `limit` outside 1..=500.
pub fn page_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=500) => Ok(n as usize),
        Some(_) => {
            Err(ApiError::bad_request("limit must be between 1 and 500").with_field("limit"))
        }
    }
}

/// A query string decoded into `T`: unknown or malformed parameters are a 400.
pub fn query<T: serde::de::DeserializeOwned>(
    q: Result<Query<T>, QueryRejection>,
) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError::bad_request(format!("invalid query: {}", e.body_text())))
}
