//! `POST /login {"name","password"}` → `{"api_key": ...}`: the user's first enabled key,
//! or a new one when the user has none. Failed logins are throttled per account and per
//! client address ([`crate::throttle`]), and an unknown name costs as much as a wrong
//! password (a dummy hash is verified), so neither guessing nor timing reveals accounts.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::Extensions;
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::OnceLock;

#[derive(Deserialize)]
pub struct LoginRequest {
    name: String,
    password: String,
}

/// Longest user name accepted at login; a longer one names no account.
const MAX_NAME_BYTES: usize = 256;

/// Generates a new user API key.
pub fn generate_api_key() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("sk-gp-{}", hex::encode(bytes))
}

/// An Argon2 hash of a random password with the default parameters (those new passwords
/// are hashed with), verified for unknown names so they take as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt_bytes: [u8; 16] = rand::random();
        let password: [u8; 16] = rand::random();
        SaltString::encode_b64(&salt_bytes)
            .ok()
            .and_then(|salt| {
                argon2::Argon2::default()
                    .hash_password(&password, &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

/// Verifies a password against an Argon2 PHC string.
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::{Argon2, PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
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
        verify_password(hash.as_deref().unwrap_or_else(|| dummy_hash()), &password)
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
    if let Some(key) = snap.login_key(user_id) {
        return Ok(Json(json!({ "api_key": key })));
    }
    let key = generate_api_key();
    state
        .store
        .add_user_key(user_id, &key, Some("login"))
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "storing a login key failed");
            ApiError::internal("could not create an API key")
        })?;
    state.reload().await.map_err(|err| {
        tracing::error!(error = %err, "reloading the control plane failed");
        ApiError::internal("could not create an API key")
    })?;
    Ok(Json(json!({ "api_key": key })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_verification() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let hash = argon2::Argon2::default()
            .hash_password(b"pw", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password(&hash, "pw"));
        assert!(!verify_password(&hash, "wrong"));
        assert!(!verify_password("not a phc string", "pw"));
        assert!(generate_api_key().starts_with("sk-gp-"));
        assert_ne!(generate_api_key(), generate_api_key());
    }
}
