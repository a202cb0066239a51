//! The HTTP edge's error type. Every failure a client can see is an [`ApiError`], turned
//! into a response in the shape of the surface the client called ([`Surface`]) so its SDK
//! raises a typed exception carrying our message.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gproxy_protocol::error::error_body;
use gproxy_protocol::{ErrorKind, Protocol};

/// Which error shape a route answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// A proxy route of one protocol.
    Protocol(Protocol),
    /// The gateway's own endpoints: `{"error": "..."}`.
    Gateway,
}

/// A failure to report to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorKind,
    /// Shown to the client: never secrets, never internal details of 5xx causes.
    pub message: String,
    /// Seconds the client should wait before trying again (`retry-after`), for 429 and 503.
    pub retry_after: Option<u64>,
    /// The one request field at fault, named in the gateway's own error shape (`field`).
    pub field: Option<String>,
}

/// Seconds a client is told to wait after a 503 the gateway itself answers, when nothing
/// more precise is known.
const DEFAULT_UNAVAILABLE_RETRY_SECS: u64 = 5;

/// Whether a status the gateway answers itself is one a retry cannot fix. SDKs (OpenAI,
/// Anthropic, Claude Code) read `x-should-retry: false` and stop instead of backing off for
/// minutes on, say, a wrong key.
fn never_retry(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        400 | 401 | 403 | 404 | 405 | 413 | 422 | 501
    )
}

impl ApiError {
    pub fn new(status: StatusCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            retry_after: None,
            field: None,
        }
    }

    /// The same error, telling the client to wait `secs` seconds before retrying.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    /// The same error, naming the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorKind::InvalidRequest, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorKind::Authentication, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorKind::Permission, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorKind::NotFound, message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::RequestTooLarge,
            format!("request body exceeds the limit of {limit} bytes"),
        )
    }

    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, ErrorKind::Unsupported, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Overloaded,
            message,
        )
        .with_retry_after(DEFAULT_UNAVAILABLE_RETRY_SECS)
    }

    /// 429: too many requests; `retry_after` seconds until one would be admitted.
    pub fn too_many_requests(message: impl Into<String>, retry_after: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, ErrorKind::RateLimit, message)
            .with_retry_after(retry_after)
    }

    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, ErrorKind::Api, message)
    }

    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT, ErrorKind::Api, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Api, message)
    }

    /// The response in `surface`'s shape.
    pub fn into_response_for(self, surface: Surface) -> Response {
        let body = match surface {
            Surface::Protocol(p) => error_body(p, self.status.as_u16(), self.kind, &self.message),
            Surface::Gateway => match &self.field {
                Some(field) => serde_json::json!({ "error": self.message, "field": field }),
                None => serde_json::json!({ "error": self.message }),
            }
            .to_string()
            .into_bytes(),
        };
        let mut resp = (self.status, body).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if never_retry(self.status) {
            headers.insert("x-should-retry", HeaderValue::from_static("false"));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// Gateway endpoints return `ApiError` directly.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_response_for(Surface::Gateway)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_json(resp: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[tokio::test]
    async fn shapes_per_surface() {
        let resp =
            ApiError::forbidden("no").into_response_for(Surface::Protocol(Protocol::Anthropic));
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let v = body_json(resp).await;
        assert_eq!(v["error"]["type"], "permission_error");

        let v = body_json(
            ApiError::too_large(10).into_response_for(Surface::Protocol(Protocol::Gemini)),
        )
        .await;
        assert_eq!(v["error"]["code"], 413);
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");

        let v = body_json(ApiError::unauthorized("bad login").into_response()).await;
        assert_eq!(v, serde_json::json!({"error": "bad login"}));

        let v = body_json(
            ApiError::too_large(10).into_response_for(Surface::Protocol(Protocol::Anthropic)),
        )
        .await;
        assert_eq!(v["error"]["type"], "request_too_large");
    }

    #[test]
    fn retry_headers() {
        for surface in [
            Surface::Gateway,
            Surface::Protocol(Protocol::OpenAi),
            Surface::Protocol(Protocol::Anthropic),
            Surface::Protocol(Protocol::Gemini),
        ] {
            for err in [
                ApiError::bad_request("x"),
                ApiError::unauthorized("x"),
                ApiError::forbidden("x"),
                ApiError::not_found("x"),
                ApiError::too_large(1),
            ] {
                let resp = err.into_response_for(surface);
                assert_eq!(resp.headers()["x-should-retry"], "false", "{surface:?}");
                assert!(resp.headers().get("retry-after").is_none());
            }
            let resp = ApiError::too_many_requests("slow", 7).into_response_for(surface);
            assert_eq!(resp.headers()["retry-after"], "7");
            assert!(resp.headers().get("x-should-retry").is_none());
            let resp = ApiError::unavailable("busy").into_response_for(surface);
            assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(resp.headers().get("retry-after").is_some());
            let resp = ApiError::bad_gateway("down").into_response_for(surface);
            assert!(resp.headers().get("x-should-retry").is_none());
        }
    }
}
