//! `POST /login {"name","password"}` → `{"api_key", "user"}`: the user's first enabled key,
//! or a new one when the user has none, plus a console session cookie; `POST /logout`. Failed logins are throttled per account and per
//! client address ([`crate::throttle`]), and an unknown name costs as much as a wrong
//! password (a dummy hash is verified), so neither guessing nor timing reveals accounts.

use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    name: String,
    #[schema(write_only)]
    password: String,
}

/// Longest user name accepted at login; a longer one names no account.
const MAX_NAME_BYTES: usize = 256;

/// Generates a new user API key.
pub fn generate_api_key() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("sk-gp-{}", hex::encode(bytes))
}

#[utoipa::path(
    post,
    path = "/login",
    operation_id = "login",
    tag = "auth",
    request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, description = "The user's API key (created, labelled `login`, when they have none) and who they are; sets the session cookie", body = openapi::LoginResponse, headers(("set-cookie" = String, description = "The HttpOnly, SameSite=Strict console session cookie"))),
        openapi::BadRequest,
        (status = 401, description = "Invalid name or password", body = openapi::ErrorBody),
        (status = 403, description = "The user is disabled", body = openapi::ErrorBody),
        openapi::Throttled,
    )
)]
pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(format!(
            "expected {{\"name\", \"password\"}}: {}",
            e.body_text()
        ))
    })?;
    if req.name.len() > MAX_NAME_BYTES {
        return Err(ApiError::bad_request(format!(
            "`name` is longer than {MAX_NAME_BYTES} bytes"
        )));
    }
    let address = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let attempt = state
        .login_throttle
        .begin(&req.name, address)
        .map_err(|wait| {
            ApiError::too_many_requests(
                "too many failed logins: try again later",
                wait.as_secs().max(1),
            )
        })?;
    let snap = state.snapshot();
    let denied = || ApiError::unauthorized("invalid name or password");
    let user = snap.login_user(&req.name);
    let hash = user.map(|(_, _, h)| h.to_owned());
    let password = req.password;
    // Argon2 is deliberately slow: keep it off the async workers. An unknown name is
    // checked against a dummy hash so it takes as long as a wrong password.
    let slot = state.login_throttle.verify_slot().await;
    let ok = tokio::task::spawn_blocking(move || {
        crate::password::verify(
            hash.as_deref()
                .unwrap_or_else(|| crate::password::dummy_hash()),
            &password,
        )
    })
    .await
    .unwrap_or(false);
    drop(slot);
    // A failure stays counted (it was counted when the attempt was admitted).
    let Some((user_id, enabled, _)) = user.filter(|_| ok) else {
        return Err(denied());
    };
    state.login_throttle.succeeded(attempt);
    if !enabled {
        return Err(ApiError::forbidden("this user is disabled"));
    }
    let key = match snap.login_key(user_id) {
        Some(key) => key.to_owned(),
        None => new_login_key(&state, user_id).await?,
    };
    let digest = gproxy_storage::key_digest(&key);
    let who = state.snapshot().principal(&digest).ok_or_else(denied)?;
    let token = state.sessions.open(digest);
    let cookie = crate::session::set_cookie(
        &token,
        crate::session::secure(state.config().secure_cookies, &headers),
    );
    let body = json!({
        "api_key": key,
        "user": { "id": who.user_id.to_string(), "name": who.user_name, "is_admin": who.is_admin },
    });
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Creates the key `/login` hands back to a user who has none (labelled `login`).
async fn new_login_key(state: &AppState, user_id: i64) -> Result<String, ApiError> {
    let key = generate_api_key();
    super::admin::applied(state, async {
        state
            .store
            .add_user_key(user_id, &key, Some("login"))
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "storing a login key failed");
                ApiError::internal("could not create an API key")
            })
    })
    .await?;
    Ok(key)
}

/// `POST /logout`: ends the console session of the request's cookie (if any) and clears
/// the cookie; always 204.
#[utoipa::path(
    post,
    path = "/logout",
    operation_id = "logout",
    tag = "auth",
    security(()),
    responses(
        (status = 204, description = "The session (if any) is over and its cookie cleared", headers(("set-cookie" = String, description = "Clears the session cookie"))),
    )
)]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = crate::session::cookie(&headers) {
        state.sessions.close(&token);
    }
    let cookie = crate::session::clear_cookie(crate::session::secure(
        state.config().secure_cookies,
        &headers,
    ));
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_keys_are_distinct() {
        assert!(super::generate_api_key().starts_with("sk-gp-"));
        assert_ne!(super::generate_api_key(), super::generate_api_key());
    }
}
