//! The [`Call`] extractor every protocol handler takes: it checks the credential, parses the
//! JSON body, takes the next scripted reply and waits out the latency, so handlers only render.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{FromRequest, Query, Request};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::record::Seq;
use crate::script::{MockCall, Reply, ReplyKind};
use crate::server::AppState;
use crate::surface::Surface;

/// A request that passed authentication and body parsing, with the reply it must get.
pub(crate) struct Call {
    /// The protocol spoken, for error shapes.
    pub surface: Surface,
    /// 1-based request number, used in response ids.
    pub seq: u64,
    /// The scripted reply this request consumed.
    pub reply: Reply,
    /// Parsed JSON body; `Null` for requests without a body (GET).
    pub body: Value,
    /// Decoded query parameters.
    pub query: HashMap<String, String>,
    /// Bumped when this request's stream is dropped before its last event.
    pub abandoned: Arc<AtomicU64>,
}

/// A non-error reply, borrowed from [`Call::reply`].
pub(crate) enum Answer<'a> {
    Text(&'a str),
    Tool {
        id: &'a str,
        name: &'a str,
        arguments: &'a Value,
        /// More calls made in parallel, after this one.
        more: &'a [MockCall],
    },
}

/// A scripted [`ReplyKind::Error`], rendered in the called protocol's error shape.
pub(crate) struct ErrorReply<'a> {
    surface: Surface,
    status: u16,
    message: &'a str,
    body: Option<&'a Value>,
    seq: u64,
}

impl IntoResponse for ErrorReply<'_> {
    fn into_response(self) -> Response {
        match self.body {
            Some(body) => (
                StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                Json(body.clone()),
            )
                .into_response(),
            None => self.surface.error(self.status, self.message, self.seq),
        }
    }
}

impl Call {
    /// The reply's content, or the error to answer with for an error reply.
    pub fn answer(&self) -> Result<Answer<'_>, ErrorReply<'_>> {
        match &self.reply.kind {
            ReplyKind::Text(text) => Ok(Answer::Text(text)),
            ReplyKind::ToolCall {
                id,
                name,
                arguments,
            } => Ok(Answer::Tool {
                id,
                name,
                arguments,
                more: &self.reply.parallel_calls,
            }),
            ReplyKind::Error {
                status,
                message,
                body,
            } => Err(ErrorReply {
                surface: self.surface,
                status: *status,
                message,
                body: body.as_ref(),
                seq: self.seq,
            }),
        }
    }

    /// The body's `model`, echoed in responses (OpenAI and Anthropic).
    pub fn model(&self) -> String {
        self.body["model"]
            .as_str()
            .unwrap_or("mock-model")
            .to_owned()
    }

    /// Whether the body asks for a stream (`"stream": true`).
    pub fn stream(&self) -> bool {
        self.body["stream"].as_bool().unwrap_or(false)
    }
}

impl FromRequest<AppState> for Call {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let seq = parts.extensions.get::<Seq>().map_or(0, |s| s.0);
        let surface = Surface::detect(parts.uri.path(), parts.uri.query(), &parts.headers);
        let query = query_map(&parts.uri);
        let rejected = |status: u16, message: String| async move {
            crate::script::pause(state.options().latency).await;
            surface.error(status, &message, seq)
        };

        if let Some(expected) = &state.options().expected_key
            && !credentials(&parts.headers, &query).any(|key| key == expected)
        {
            let message = "mock: missing or invalid API key".to_owned();
            return Err(rejected(401, message).await);
        }
        let bytes = match to_bytes(body, usize::MAX).await {
            Ok(bytes) => bytes,
            Err(err) => return Err(rejected(400, format!("mock: unreadable body: {err}")).await),
        };
        let body = if parts.method == Method::POST {
            match serde_json::from_slice(&bytes) {
                Ok(value) => value,
                Err(err) => {
                    let message = format!("mock: malformed JSON body: {err}");
                    return Err(rejected(400, message).await);
                }
            }
        } else {
            Value::Null
        };

        let reply = match state.reply_for_key(credentials(&parts.headers, &query)) {
            Some(reply) => reply,
            None => state.next_reply(),
        };
        if !reply.headers.is_empty() {
            state.hold_headers(seq, reply.headers.clone());
        }
        crate::script::pause(reply.latency.unwrap_or(state.options().latency)).await;
        Ok(Call {
            surface,
            seq,
            reply,
            body,
            query,
            abandoned: state.abandoned(),
        })
    }
}

/// Decoded query parameters; an undecodable query counts as empty.
pub(crate) fn query_map(uri: &Uri) -> HashMap<String, String> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(map)| map)
        .unwrap_or_default()
}

/// Every credential the request presents, in any of the four places clients put them.
fn credentials<'a>(
    headers: &'a HeaderMap,
    query: &'a HashMap<String, String>,
) -> impl Iterator<Item = &'a str> + 'a {
    let bearer = headers
        .get_all("authorization")
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let plain = ["x-api-key", "x-goog-api-key"]
        .into_iter()
        .flat_map(|name| headers.get_all(name).into_iter())
        .filter_map(|v| v.to_str().ok());
    bearer
        .chain(plain)
        .chain(query.get("key").map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn finds_all_credential_kinds() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer b1"));
        headers.insert("x-api-key", HeaderValue::from_static("a1"));
        headers.insert("x-goog-api-key", HeaderValue::from_static("g1"));
        let query = HashMap::from([("key".to_owned(), "q1".to_owned())]);
        let found: Vec<&str> = credentials(&headers, &query).collect();
        assert_eq!(found, ["b1", "a1", "g1", "q1"]);
    }

    #[test]
    fn ignores_non_bearer_authorization() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Basic abc"));
        assert_eq!(credentials(&headers, &HashMap::new()).count(), 0);
    }
}
