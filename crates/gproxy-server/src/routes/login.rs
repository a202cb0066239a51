//! `POST /login {"name","password"}` → `{"api_key": ...}`: the user's first enabled key,
//! or a new one when the user has none.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct LoginRequest {
    name: String,
    password: String,
}

/// Generates a new user API key.
pub fn generate_api_key() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("sk-gp-{}", hex::encode(bytes))
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
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(format!(
            "expected {{\"name\", \"password\"}}: {}",
            e.body_text()
        ))
    })?;
    let snap = state.snapshot();
    let denied = || ApiError::unauthorized("invalid name or password");
    let (user_id, enabled, hash) = snap.login_user(&req.name).ok_or_else(denied)?;
    let hash = hash.to_owned();
    // Argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &req.password))
        .await
        .unwrap_or(false);
    if !ok {
        return Err(denied());
    }
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
