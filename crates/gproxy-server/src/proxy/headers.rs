//! Which headers cross the gateway. The client's credentials, hop-by-hop headers and
//! cookies never reach the upstream; compression is not requested, so streams can be read
//! for usage; the upstream's cookies and hop-by-hop headers never reach the client.

use axum::http::{HeaderMap, HeaderName};

/// Request headers that are dropped before forwarding.
const DROP_REQUEST: &[&str] = &[
    "host",
    "content-length",
    "authorization",
    "x-api-key",
    "x-goog-api-key",
    "cookie",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "accept-encoding",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Request headers that pick the billing scope (organization, project) of the operator's
/// account: a caller must not charge another project, so they are dropped unless the
/// provider's `forward_billing_headers` setting allows them.
const BILLING_SCOPE: &[&str] = &[
    "openai-organization",
    "openai-project",
    "x-goog-user-project",
];

/// Response headers that are dropped before relaying.
const DROP_RESPONSE: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "set-cookie",
];

/// `headers` without the `drop` set and without the headers the `Connection` header names
/// (those are hop-by-hop too, RFC 9110 section 7.6.1).
fn filtered(headers: &HeaderMap, drop: &[&str]) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name_str = name.as_str();
        if !drop.contains(&name_str) && !named.iter().any(|n| n == name_str) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The client's headers as forwarded upstream (before the credential is added);
/// `billing_scope`: keep the headers that choose the account's billing scope.
pub fn upstream_request(headers: &HeaderMap, billing_scope: bool) -> HeaderMap {
    let mut out = filtered(headers, DROP_REQUEST);
    // Uncompressed answers, so usage can be read as the stream passes (an upstream that
    // compresses anyway is decoded by the client, gzip and deflate).
    out.insert(
        http::header::ACCEPT_ENCODING,
        http::HeaderValue::from_static("identity"),
    );
    if !billing_scope {
        for name in BILLING_SCOPE {
            out.remove(*name);
        }
    }
    out
}

/// Drops the headers of the client's `protocol` (`anthropic-*`, `openai-*`, `x-goog-*`)
/// from a request translated for an upstream of another protocol.
pub fn drop_protocol_headers(headers: &mut HeaderMap, protocol: gproxy_protocol::Protocol) {
    let prefix = match protocol {
        gproxy_protocol::Protocol::OpenAi => "openai-",
        gproxy_protocol::Protocol::Anthropic => "anthropic-",
        gproxy_protocol::Protocol::Gemini => "x-goog-",
    };
    let names: Vec<HeaderName> = headers
        .keys()
        .filter(|n| n.as_str().starts_with(prefix))
        .cloned()
        .collect();
    for name in names {
        headers.remove(name);
    }
}

/// The upstream's headers as relayed to the client.
pub fn client_response(headers: &HeaderMap) -> HeaderMap {
    filtered(headers, DROP_RESPONSE)
}

/// The gateway's request id, on every response (and in every record).
pub static GPROXY_REQUEST_ID: HeaderName = HeaderName::from_static("x-gproxy-request-id");

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn credentials_and_hop_by_hop_are_dropped() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("authorization", "Bearer client"),
            ("x-api-key", "client"),
            ("x-goog-api-key", "client"),
            ("connection", "keep-alive"),
            ("accept-encoding", "gzip"),
            ("anthropic-version", "2023-06-01"),
            ("anthropic-beta", "tools-2024"),
            ("content-type", "application/json"),
        ] {
            h.insert(k, HeaderValue::from_static(v));
        }
        let out = upstream_request(&h, false);
        let names: Vec<&str> = out.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "anthropic-version",
                "anthropic-beta",
                "content-type",
                "accept-encoding"
            ]
        );
        assert_eq!(out["accept-encoding"], "identity");
    }

    #[test]
    fn billing_scope_headers_only_when_allowed() {
        let mut h = HeaderMap::new();
        for k in BILLING_SCOPE {
            h.insert(*k, HeaderValue::from_static("org-other"));
        }
        h.insert("openai-beta", HeaderValue::from_static("assistants=v2"));
        let out = upstream_request(&h, false);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out.contains_key("openai-beta"));
        assert_eq!(upstream_request(&h, true).len(), 5);
    }

    #[test]
    fn headers_named_by_connection_are_hop_by_hop() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, X-Trace-Hop"),
        );
        h.insert("x-trace-hop", HeaderValue::from_static("1"));
        h.insert("x-trace-end", HeaderValue::from_static("2"));
        let out = upstream_request(&h, false);
        let names: Vec<&str> = out.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, vec!["x-trace-end", "accept-encoding"]);
        let out = client_response(&h);
        assert!(out.get("x-trace-hop").is_none() && out.get("x-trace-end").is_some());
    }
}
