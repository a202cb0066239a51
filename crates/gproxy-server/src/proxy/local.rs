//! Operations the gateway answers itself: a token count on a provider that cannot count in
//! the caller's protocol is made with the bundled tokenizer over the request's text, in the
//! caller's shape, marked `x-gproxy-estimated: true` (no protocol has a field for it).

use super::estimate;
use crate::error::ApiError;
use axum::Json;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gproxy_protocol::text::body_text;
use gproxy_protocol::{Endpoint, Operation};
use serde_json::json;

/// Counts the input tokens of `body` for a count-tokens `endpoint`.
pub(crate) async fn count_tokens(endpoint: Endpoint, body: Bytes) -> Result<Response, ApiError> {
    let tokens = tokio::task::spawn_blocking(move || estimate::count_tokens(&body_text(&body)))
        .await
        .map_err(|_| ApiError::internal("counting tokens failed"))?;
    let value = match endpoint.operation {
        Operation::CountTokens => json!({"input_tokens": tokens}),
        Operation::ResponsesInputTokens => {
            json!({"object": "response.input_tokens", "input_tokens": tokens})
        }
        Operation::GeminiCountTokens => json!({"totalTokens": tokens}),
        other => {
            return Err(ApiError::not_implemented(format!(
                "`{other}` is not answered by the gateway"
            )));
        }
    };
    let mut resp = Json(value).into_response();
    resp.headers_mut()
        .insert("x-gproxy-estimated", HeaderValue::from_static("true"));
    Ok(resp)
}
