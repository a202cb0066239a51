//! User passwords: Argon2id hashes (PHC strings) made and checked off the async workers by
//! the callers, and the dummy hash an unknown name is checked against so that a login for
//! a missing account takes as long as a wrong password.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::OnceLock;

/// Fewest characters a password set through the API may have.
pub const MIN_LEN: usize = 8;
/// Most bytes a password may have (Argon2 takes any length; this bounds the work).
pub const MAX_BYTES: usize = 1024;

/// Hashes a password with Argon2id, or checks and keeps an Argon2 PHC string (so an
/// operator can move hashes between gateways without knowing the passwords).
pub fn hash(password: &str) -> Result<String, String> {
    if password.starts_with("$argon2") {
        PasswordHash::new(password).map_err(|e| format!("not a valid Argon2 PHC string: {e}"))?;
        return Ok(password.to_owned());
    }
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Verifies a password against an Argon2 PHC string.
pub fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a random password with the parameters new passwords get, for unknown names.
pub fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let password: [u8; 16] = rand::random();
        hash(&hex::encode(password)).unwrap_or_default()
    })
}

/// Why `password` cannot be set through the API (too short or too long), if it cannot.
pub fn check_new(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LEN {
        return Err(format!("must have at least {MIN_LEN} characters"));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("must have at most {MAX_BYTES} bytes"));
    }
    Ok(())
}

/// Hashes a new password on the blocking pool (Argon2 is deliberately slow).
pub async fn hash_blocking(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| e.to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_phc_strings_pass_through() {
        let h = hash("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "wrong"));
        assert!(!verify("not a phc string", "pw"));
        assert_eq!(hash(&h).expect("kept"), h);
        assert!(!verify(dummy_hash(), ""));
    }

    #[test]
    fn new_passwords_have_bounds() {
        assert!(check_new("short").is_err());
        assert!(check_new("long enough").is_ok());
        assert!(check_new(&"x".repeat(MAX_BYTES + 1)).is_err());
    }
}
