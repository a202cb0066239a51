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
}

impl ApiError {
    pub fn new(status: StatusCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
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
            ErrorKind::InvalidRequest,
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
            Surface::Gateway => serde_json::json!({ "error": self.message })
                .to_string()
                .into_bytes(),
        };
        let mut resp = (self.status, body).into_response();
        resp.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
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
    }
}
