//! Console sessions: `POST /login` opens one and sets it as an HttpOnly, SameSite=Strict
//! cookie; `POST /logout` ends it. A session stands for the key `/login` handed back, so
//! disabling that key or its user (or the key expiring) ends the session at the next
//! request, as it refuses the key. Sessions live in this instance's memory: a restart logs
//! everyone out (the console then shows its login page), and the token is kept only as a
//! digest.

use crate::snapshot::{Principal, Snapshot};
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cookie's name.
pub const COOKIE: &str = "gproxy_session";
/// How long a session lasts after login.
pub const TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// Most sessions held at once; the oldest go first past it.
const MAX_SESSIONS: usize = 10_000;

struct Session {
    /// The digest of the key the session stands for.
    key_digest: String,
    expires: Instant,
}

/// The open sessions, by the digest of their token.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Session>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

fn digest(token: &str) -> String {
    gproxy_storage::key_digest(token)
}

impl Sessions {
    /// Opens a session for the key with `key_digest`; returns its token (for the cookie).
    pub fn open(&self, key_digest: String) -> String {
        let token = hex::encode(rand::random::<[u8; 32]>());
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, s| s.expires > now);
        if open.len() >= MAX_SESSIONS
            && let Some(oldest) = open
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
        {
            open.remove(&oldest);
        }
        open.insert(
            digest(&token),
            Session {
                key_digest,
                expires: now + TTL,
            },
        );
        token
    }

    /// Ends the session with `token`, if open.
    pub fn close(&self, token: &str) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.remove(&digest(token));
    }

    /// The key digest an open session with `token` stands for.
    pub fn key_digest(&self, token: &str) -> Option<String> {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&digest(token))
            .filter(|s| s.expires > Instant::now())
            .map(|s| s.key_digest.clone())
    }

    /// The principal behind the request's session cookie: `None` without a cookie,
    /// `Some(None)` for a cookie whose session is over (expired, logged out, its key or user
    /// disabled).
    pub fn principal(&self, snapshot: &Snapshot, headers: &HeaderMap) -> Option<Option<Principal>> {
        let token = cookie(headers)?;
        Some(self.key_digest(&token).and_then(|d| snapshot.principal(&d)))
    }
}

/// The session token in the request's `Cookie` headers, if any.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value opening a session (`Secure` when `secure`).
pub fn set_cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        TTL.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value ending a session.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Whether the cookie gets `Secure`: when configured, or when the request reached the
/// gateway over TLS (a TLS-terminating proxy says so in `X-Forwarded-Proto`).
pub fn secure(configured: bool, headers: &HeaderMap) -> bool {
    configured
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn sessions_open_answer_and_close() {
        let sessions = Sessions::default();
        let token = sessions.open("d1".into());
        assert_eq!(sessions.key_digest(&token).as_deref(), Some("d1"));
        assert_eq!(sessions.key_digest("other"), None);
        sessions.close(&token);
        assert_eq!(sessions.key_digest(&token), None);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            "cookie",
            HeaderValue::from_static("a=1; gproxy_session=tok; b=2"),
        );
        assert_eq!(cookie(&h).as_deref(), Some("tok"));
        let mut h = HeaderMap::new();
        h.append("cookie", HeaderValue::from_static("gproxy_session="));
        assert_eq!(cookie(&h), None);
        let c = set_cookie("t", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
        assert!(!set_cookie("t", false).contains("Secure"));
    }
}
