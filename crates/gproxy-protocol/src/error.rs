//! Error bodies in each protocol's own shape, so the caller's SDK raises its typed
//! exception with our message instead of failing to parse.

use crate::Protocol;
use serde_json::json;

/// What went wrong, independent of protocol; each protocol spells it its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed or names something that cannot be served (400, 422).
    InvalidRequest,
    /// The request body is larger than the gateway accepts (413).
    RequestTooLarge,
    /// Missing, unknown or disabled credentials (401).
    Authentication,
    /// Authenticated, but not allowed to use this model (403).
    Permission,
    /// The named provider, model or route does not exist (404).
    NotFound,
    /// Too many requests (429).
    RateLimit,
    /// The gateway or the upstream failed (500, 502, 504).
    Api,
    /// The upstream is overloaded (529, 503).
    Overloaded,
    /// The operation is not available on this provider (501).
    Unsupported,
}

impl ErrorKind {
    /// The kind an upstream HTTP status stands for.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Authentication,
            403 => ErrorKind::Permission,
            404 => ErrorKind::NotFound,
            413 => ErrorKind::RequestTooLarge,
            429 => ErrorKind::RateLimit,
            501 => ErrorKind::Unsupported,
            503 | 529 => ErrorKind::Overloaded,
            400..=499 => ErrorKind::InvalidRequest,
            _ => ErrorKind::Api,
        }
    }

    fn openai_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest
            | ErrorKind::RequestTooLarge
            | ErrorKind::NotFound
            | ErrorKind::Unsupported => "invalid_request_error",
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::Permission => "permission_error",
            ErrorKind::RateLimit => "rate_limit_error",
            ErrorKind::Api | ErrorKind::Overloaded => "server_error",
        }
    }

    fn anthropic_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::Unsupported => "invalid_request_error",
            ErrorKind::RequestTooLarge => "request_too_large",
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::Permission => "permission_error",
            ErrorKind::NotFound => "not_found_error",
            ErrorKind::RateLimit => "rate_limit_error",
            ErrorKind::Api => "api_error",
            ErrorKind::Overloaded => "overloaded_error",
        }
    }

    fn gemini_status(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::RequestTooLarge => "INVALID_ARGUMENT",
            ErrorKind::Authentication => "UNAUTHENTICATED",
            ErrorKind::Permission => "PERMISSION_DENIED",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::RateLimit => "RESOURCE_EXHAUSTED",
            ErrorKind::Api => "INTERNAL",
            ErrorKind::Overloaded => "UNAVAILABLE",
            ErrorKind::Unsupported => "UNIMPLEMENTED",
        }
    }
}

/// The JSON error body for `protocol`; `status` is the HTTP status it is sent with.
pub fn error_body(protocol: Protocol, status: u16, kind: ErrorKind, message: &str) -> Vec<u8> {
    let value = match protocol {
        Protocol::OpenAi => json!({
            "error": {"message": message, "type": kind.openai_type(), "param": null, "code": null}
        }),
        Protocol::Anthropic => json!({
            "type": "error",
            "error": {"type": kind.anthropic_type(), "message": message}
        }),
        Protocol::Gemini => json!({
            "error": {"code": status, "message": message, "status": kind.gemini_status()}
        }),
    };
    value.to_string().into_bytes()
}

/// The error body of a stream already under way (its HTTP status was sent long ago: the
/// body's own code follows the kind), for a framing of the caller's choice.
pub fn stream_error_body(protocol: Protocol, kind: ErrorKind, message: &str) -> Vec<u8> {
    let status = match kind {
        ErrorKind::RateLimit => 429,
        ErrorKind::Overloaded => 503,
        _ => 500,
    };
    error_body(protocol, status, kind, message)
}

/// An error event for a stream already under way, framed for `protocol`. OpenAI streams
/// carry a chunk with an `error` key (the SDK raises on it); Anthropic needs the `event:`
/// line; Gemini SSE takes `data: {"error":...}`.
pub fn stream_error_event(protocol: Protocol, kind: ErrorKind, message: &str) -> Vec<u8> {
    let body = stream_error_body(protocol, kind, message);
    let mut out = Vec::with_capacity(body.len() + 32);
    if protocol == Protocol::Anthropic {
        out.extend_from_slice(b"event: error\n");
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(&body);
    out.extend_from_slice(b"\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn parse(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).expect("valid json")
    }

    #[test]
    fn each_protocol_gets_its_shape() {
        let v = parse(&error_body(
            Protocol::OpenAi,
            401,
            ErrorKind::Authentication,
            "bad key",
        ));
        assert_eq!(v["error"]["type"], "authentication_error");
        assert_eq!(v["error"]["message"], "bad key");
        assert!(v["error"]["param"].is_null());

        let v = parse(&error_body(
            Protocol::Anthropic,
            404,
            ErrorKind::NotFound,
            "no model",
        ));
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "not_found_error");

        let v = parse(&error_body(
            Protocol::Gemini,
            429,
            ErrorKind::RateLimit,
            "slow",
        ));
        assert_eq!(v["error"]["code"], 429);
        assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
    }

    #[test]
    fn anthropic_stream_error_has_event_line() {
        let ev = stream_error_event(Protocol::Anthropic, ErrorKind::Overloaded, "busy");
        let text = String::from_utf8(ev).expect("utf8");
        assert!(text.starts_with("event: error\ndata: {"));
        assert!(text.contains("overloaded_error"));
        assert!(text.ends_with("\n\n"));
    }

    #[test]
    fn status_maps_to_kind() {
        assert_eq!(ErrorKind::from_status(429), ErrorKind::RateLimit);
        assert_eq!(ErrorKind::from_status(529), ErrorKind::Overloaded);
        assert_eq!(ErrorKind::from_status(422), ErrorKind::InvalidRequest);
        assert_eq!(ErrorKind::from_status(502), ErrorKind::Api);
        assert_eq!(ErrorKind::from_status(413), ErrorKind::RequestTooLarge);
    }

    #[test]
    fn anthropic_has_its_own_too_large_type() {
        let v = parse(&error_body(
            Protocol::Anthropic,
            413,
            ErrorKind::RequestTooLarge,
            "big",
        ));
        assert_eq!(v["error"]["type"], "request_too_large");
        let v = parse(&error_body(
            Protocol::OpenAi,
            413,
            ErrorKind::RequestTooLarge,
            "big",
        ));
        assert_eq!(v["error"]["type"], "invalid_request_error");
    }
}
