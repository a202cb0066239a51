//! Which provider names can be configured. A provider's name is the first path segment of
//! its scoped routes (`/{provider}/v1/...`), so it must be a plain segment and must not be
//! shadowed by one of the gateway's own routes.

/// First path segments the gateway serves itself (or will: the console and its assets), and
/// the segments of the unscoped routes that a misconfigured base URL reaches
/// (`/chat/completions`, `/messages`, ...). A provider with one of these names could not be
/// reached, or would capture the gateway's own requests.
pub const RESERVED: &[&str] = &[
    "v1",
    "v1beta",
    "login",
    "logout",
    "admin",
    "user",
    "healthz",
    "readyz",
    "metrics",
    "openapi.json",
    "chat",
    "responses",
    "embeddings",
    "messages",
    "models",
    "assets",
    "console",
    "favicon.ico",
    "index.html",
];

/// Most characters a provider name may have.
const MAX_LEN: usize = 64;

/// Why `name` cannot name a provider, or `Ok` when it can.
pub fn check_provider_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_LEN {
        return Err(format!("name must have 1 to {MAX_LEN} characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(format!(
            "name `{}` may contain only ASCII letters, digits, `-`, `_` and `.`",
            name.escape_default()
        ));
    }
    if name.starts_with('.') {
        return Err(format!("name `{name}` must not start with `.`"));
    }
    if let Some(route) = RESERVED.iter().find(|r| r.eq_ignore_ascii_case(name)) {
        return Err(format!(
            "name `{name}` clashes with the gateway's own route `/{route}`: choose another name"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass() {
        for name in ["openai-main", "ant_2", "nvidia.nim", "local", "v2beta"] {
            assert_eq!(check_provider_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn clashes_and_odd_names_are_refused() {
        for name in ["v1", "V1BETA", "admin", "openapi.json", "login", "healthz"] {
            let err = check_provider_name(name).expect_err(name);
            assert!(
                err.contains("clashes with the gateway's own route"),
                "{err}"
            );
        }
        for name in ["", "..", ".hidden", "a/b", "a b", "a%2Fb", "ä", "a\\b"] {
            assert!(check_provider_name(name).is_err(), "{name:?}");
        }
        assert!(check_provider_name(&"x".repeat(65)).is_err());
    }
}
