//! Client authentication: the key may come in any of the four places SDKs put it, and is
//! matched by digest against the snapshot.

use crate::error::ApiError;
use crate::snapshot::{Principal, Snapshot};
use axum::http::HeaderMap;
use gproxy_storage::key_digest;

/// The client key from `x-api-key`, `Authorization: Bearer`, `x-goog-api-key` or `?key=`.
pub fn extract_key(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(k) = header("x-api-key") {
        return Some(k.to_owned());
    }
    if let Some((scheme, key)) = header("authorization").and_then(|a| a.split_once(' '))
        && scheme.eq_ignore_ascii_case("bearer")
        && !key.trim().is_empty()
    {
        return Some(key.trim().to_owned());
    }
    if let Some(k) = header("x-goog-api-key") {
        return Some(k.to_owned());
    }
    query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, value)| name == "key" && !value.is_empty())
            .map(|(_, value)| value.into_owned())
    })
}

/// The principal behind the request's key; 401 when missing, unknown or disabled.
pub fn authenticate(
    snapshot: &Snapshot,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Principal, ApiError> {
    let key = extract_key(headers, query).ok_or_else(|| {
        ApiError::unauthorized(
            "missing API key: send it as `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or `?key=`",
        )
    })?;
    let digest = key_digest(&key);
    snapshot
        .principal(&digest)
        .ok_or_else(|| match snapshot.key_expired_at(&digest) {
            Some(at) => ApiError::unauthorized(format!(
                "API key expired at {}",
                crate::time::rfc3339(at, false)
            )),
            None => ApiError::unauthorized("invalid API key"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn every_place_a_key_can_be() {
        assert_eq!(
            extract_key(&headers(&[("x-api-key", "a")]), None).as_deref(),
            Some("a")
        );
        assert_eq!(
            extract_key(&headers(&[("authorization", "Bearer b")]), None).as_deref(),
            Some("b")
        );
        assert_eq!(
            extract_key(&headers(&[("authorization", "bearer  b2 ")]), None).as_deref(),
            Some("b2")
        );
        assert_eq!(
            extract_key(&headers(&[("x-goog-api-key", "c")]), None).as_deref(),
            Some("c")
        );
        assert_eq!(
            extract_key(&HeaderMap::new(), Some("alt=sse&key=d%2B1")).as_deref(),
            Some("d+1")
        );
        assert_eq!(
            extract_key(&headers(&[("authorization", "Basic xyz")]), None),
            None
        );
        assert_eq!(extract_key(&HeaderMap::new(), Some("alt=sse")), None);
    }
}
