//! The request log: [`RecordedRequest`] and the middleware that buffers every request's body,
//! appends it to the log and tags the request with its sequence number.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

use crate::control;
use crate::server::AppState;
use crate::surface::Surface;

/// A request as the mock received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP method, upper case (`"POST"`).
    pub method: String,
    /// Path without the query string (`"/v1/chat/completions"`).
    pub path: String,
    /// Raw query string without `?`, if any.
    pub query: Option<String>,
    /// Headers in arrival order; names are lower case, values lossily decoded as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The full request body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// 1-based position of a request in the log; used to number response ids (`chatcmpl-mock-N`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seq(pub u64);

/// Middleware: log the request (body included), then hand it on with its [`Seq`]. Control
/// requests (`/__mock/...`) pass unlogged: the log holds only what a client under test sent.
pub(crate) async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with(control::PREFIX) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            let surface = Surface::detect(parts.uri.path(), parts.uri.query(), &parts.headers);
            return surface.error(400, &format!("failed to read request body: {err}"), 0);
        }
    };
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_owned(), value)
            })
            .collect(),
        body: body.clone(),
    };
    tracing::debug!(method = %recorded.method, path = %recorded.path, "mock request");
    let seq = state.record(recorded);
    parts.extensions.insert(Seq(seq));
    let mut response = next.run(Request::from_parts(parts, Body::from(body))).await;
    for (name, value) in state.take_headers(seq) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
