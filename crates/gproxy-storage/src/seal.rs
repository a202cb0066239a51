//! Sealing of secrets at rest (provider credentials, user API keys) with
//! XChaCha20-Poly1305 under `GPROXY_MASTER_KEY`. Without a master key values are stored in
//! plaintext and start-up warns.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// Prefix marking a sealed value; anything else is plaintext.
const SEALED_PREFIX: &str = "sealed:v1:";

/// Why a value could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("GPROXY_MASTER_KEY must be standard base64 of exactly 32 bytes")]
    BadMasterKey,
    #[error("a sealed secret is stored but no GPROXY_MASTER_KEY is set")]
    NoMasterKey,
    #[error("a sealed secret could not be opened (wrong GPROXY_MASTER_KEY or corrupt value)")]
    Open,
}

/// Seals and opens secrets; holds the master key if one is configured.
#[derive(Clone)]
pub struct Sealer {
    cipher: Option<XChaCha20Poly1305>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("sealed", &self.cipher.is_some())
            .finish()
    }
}

impl Sealer {
    /// Plaintext mode: values are stored as they are.
    pub fn plaintext() -> Self {
        Sealer { cipher: None }
    }

    /// Sealed mode from the base64 master key.
    pub fn from_base64(master_key: &str) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(master_key.trim())
            .map_err(|_| SealError::BadMasterKey)?;
        if bytes.len() != 32 {
            return Err(SealError::BadMasterKey);
        }
        let cipher =
            XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| SealError::BadMasterKey)?;
        Ok(Sealer {
            cipher: Some(cipher),
        })
    }

    pub fn is_sealing(&self) -> bool {
        self.cipher.is_some()
    }

    /// The stored form of `plain`.
    pub fn seal(&self, plain: &str) -> Result<String, SealError> {
        let Some(cipher) = &self.cipher else {
            return Ok(plain.to_owned());
        };
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| SealError::Open)?;
        let mut packed = nonce.to_vec();
        packed.extend_from_slice(&ct);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(packed)))
    }

    /// The plaintext of a stored value (plaintext values pass through).
    pub fn open(&self, stored: &str) -> Result<String, SealError> {
        let Some(packed) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored.to_owned());
        };
        let cipher = self.cipher.as_ref().ok_or(SealError::NoMasterKey)?;
        let packed = STANDARD.decode(packed).map_err(|_| SealError::Open)?;
        if packed.len() < 24 {
            return Err(SealError::Open);
        }
        let (nonce, ct) = packed.split_at(24);
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain).map_err(|_| SealError::Open)
    }
}

/// Hex SHA-256 of an API key: the form keys are stored and looked up by.
pub fn key_digest(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn seal_round_trip_and_tamper() {
        let s = Sealer::from_base64(KEY).expect("valid key");
        let sealed = s.seal("sk-secret").expect("seal");
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains("sk-secret"));
        assert_ne!(
            sealed,
            s.seal("sk-secret").expect("seal"),
            "fresh nonce each time"
        );
        assert_eq!(s.open(&sealed).expect("open"), "sk-secret");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('A');
        assert!(s.open(&tampered).is_err());
        assert!(matches!(
            Sealer::plaintext().open(&sealed),
            Err(SealError::NoMasterKey)
        ));
        let other =
            Sealer::from_base64("BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("key");
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn master_key_must_be_32_bytes() {
        assert!(Sealer::from_base64("c2hvcnQ=").is_err());
        assert!(Sealer::from_base64("not base64!").is_err());
        assert_eq!(Sealer::plaintext().seal("x").expect("plain"), "x");
    }

    #[test]
    fn digest_is_hex_sha256() {
        assert_eq!(
            key_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
