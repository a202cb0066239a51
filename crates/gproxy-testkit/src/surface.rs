//! Which protocol a request speaks ([`Surface`], decided from its path and headers) and the
//! error response each protocol's clients expect.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The API family a request belongs to; decides error shapes and auth failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Surface {
    OpenAi,
    Anthropic,
    Gemini,
}

impl Surface {
    /// Classifies a request. `/v1/models*` is shared by all three APIs: an `anthropic-version`
    /// header means Anthropic, a Google key or client header (or `?key=`), or a `:method` suffix
    /// means Gemini, anything else OpenAI.
    pub fn detect(path: &str, query: Option<&str>, headers: &HeaderMap) -> Surface {
        if path.starts_with("/v1beta/") || path == "/v1beta" {
            return Surface::Gemini;
        }
        if path == "/v1/messages" || path.starts_with("/v1/messages/") {
            return Surface::Anthropic;
        }
        if path == "/v1/models" || path.starts_with("/v1/models/") {
            if headers.contains_key("anthropic-version") {
                return Surface::Anthropic;
            }
            let gemini_query = query.is_some_and(|q| q.split('&').any(|p| p.starts_with("key=")));
            if path.contains(':')
                || headers.contains_key("x-goog-api-key")
                || headers.contains_key("x-goog-api-client")
                || gemini_query
            {
                return Surface::Gemini;
            }
        }
        Surface::OpenAi
    }

    /// An error response with `status` and `message` in this surface's shape.
    pub fn error(self, status: u16, message: &str, seq: u64) -> Response {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = status.as_u16();
        match self {
            Surface::OpenAi => {
                let body = json!({"error": {
                    "message": message,
                    "type": openai_type(code),
                    "param": null,
                    "code": null,
                }});
                (
                    status,
                    [("x-request-id", format!("req_mock_{seq}"))],
                    Json(body),
                )
                    .into_response()
            }
            Surface::Anthropic => {
                let body = json!({"type": "error", "error": {
                    "type": anthropic_type(code),
                    "message": message,
                }});
                (
                    status,
                    [("request-id", format!("req_mock_{seq}"))],
                    Json(body),
                )
                    .into_response()
            }
            Surface::Gemini => {
                let body = json!({"error": {
                    "code": code,
                    "message": message,
                    "status": gemini_status(code),
                }});
                (status, Json(body)).into_response()
            }
        }
    }
}

/// OpenAI's `error.type` for a status.
fn openai_type(status: u16) -> &'static str {
    match status {
        401 | 403 => "authentication_error",
        429 => "rate_limit_error",
        500.. => "server_error",
        _ => "invalid_request_error",
    }
}

/// Anthropic's `error.type` for a status.
fn anthropic_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500.. => "api_error",
        _ => "invalid_request_error",
    }
}

/// Gemini's (gRPC-style) `error.status` for a status.
fn gemini_status(status: u16) -> &'static str {
    match status {
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        500.. => "INTERNAL",
        _ => "INVALID_ARGUMENT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, axum::http::HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn detects_surfaces() {
        let none = headers(&[]);
        assert_eq!(
            Surface::detect("/v1/chat/completions", None, &none),
            Surface::OpenAi
        );
        assert_eq!(
            Surface::detect("/v1/messages", Some("beta=true"), &none),
            Surface::Anthropic
        );
        assert_eq!(
            Surface::detect("/v1beta/models", None, &none),
            Surface::Gemini
        );
        assert_eq!(Surface::detect("/v1/models", None, &none), Surface::OpenAi);
        assert_eq!(
            Surface::detect(
                "/v1/models",
                None,
                &headers(&[("anthropic-version", "2023-06-01")])
            ),
            Surface::Anthropic
        );
        assert_eq!(
            Surface::detect("/v1/models", Some("key=k"), &none),
            Surface::Gemini
        );
        assert_eq!(
            Surface::detect("/v1/models/gemini-2.5-flash:generateContent", None, &none),
            Surface::Gemini
        );
    }

    #[test]
    fn status_names() {
        assert_eq!(openai_type(429), "rate_limit_error");
        assert_eq!(openai_type(400), "invalid_request_error");
        assert_eq!(anthropic_type(529), "overloaded_error");
        assert_eq!(anthropic_type(502), "api_error");
        assert_eq!(gemini_status(429), "RESOURCE_EXHAUSTED");
        assert_eq!(gemini_status(500), "INTERNAL");
    }
}
