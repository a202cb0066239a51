//! Translation between protocols, through the IR: requests ([`decode_request`],
//! [`encode_request`]), whole answers ([`translate_response`]) and streams
//! ([`StreamTranslator`]); [`TranslateError`] says why something cannot be translated;
//! Anthropic thinking sealed for clients of other protocols ([`carry`]).

/// A translation failure; shown to the client in its protocol's shape (400 for requests,
/// 502 for upstream answers).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The target protocol cannot express `field` (DESIGN.md §6: never a silent drop).
    #[error("`{field}` cannot be translated for this provider: {reason}")]
    Unsupported { field: String, reason: String },
    /// The input is not a valid message of its protocol.
    #[error("{0}")]
    Invalid(String),
    /// The upstream stopped for a reason that means it failed, with no answer: the client
    /// gets an error it can retry, never an empty success.
    #[error("{0}")]
    Stopped(String),
}

impl TranslateError {
    pub fn unsupported(field: impl Into<String>, reason: impl Into<String>) -> Self {
        TranslateError::Unsupported {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

pub mod carry;
pub mod embeddings;
mod stream;

pub use stream::{ClientStream, StreamTranslator};

use crate::anthropic::messages as anthropic;
use crate::gemini::generate as gemini;
use crate::openai::{self, chat};
use crate::{Endpoint, Operation, Protocol, ir};

/// A Responses endpoint: as a client, its requests decode into the IR and its answers
/// encode from it; as an upstream (`settings.dispatch` = `openai.responses`), the IR
/// encodes into its requests and its answers decode into the IR. Responses to Responses is
/// passthrough, never through the IR.
fn responses_client(endpoint: Endpoint) -> bool {
    endpoint.protocol == Protocol::OpenAi && endpoint.operation == Operation::Responses
}

/// See [`responses_client`]: the same endpoint, as the upstream.
fn responses_upstream(endpoint: Endpoint) -> bool {
    responses_client(endpoint)
}

/// The generation endpoints translation serves, by protocol.
fn generation(endpoint: Endpoint) -> Option<Protocol> {
    match (endpoint.protocol, endpoint.operation) {
        (Protocol::OpenAi, Operation::ChatCompletions)
        | (Protocol::Anthropic, Operation::Messages)
        | (Protocol::Gemini, Operation::GenerateContent | Operation::StreamGenerateContent) => {
            Some(endpoint.protocol)
        }
        _ => None,
    }
}

/// Whether a client's `from` endpoint can be served by an upstream's `to` endpoint.
pub fn supported(from: Endpoint, to: Endpoint) -> bool {
    if responses_client(from) {
        return generation(to).is_some();
    }
    if responses_upstream(to) {
        return generation(from).is_some();
    }
    generation(from).is_some() && generation(to).is_some() && from.protocol != to.protocol
}

/// A client's request body decoded into the IR.
pub fn decode_request(from: Endpoint, body: &[u8]) -> Result<ir::Request, TranslateError> {
    let invalid =
        |e: serde_json::Error| TranslateError::Invalid(format!("invalid request body: {e}"));
    if responses_client(from) {
        return ir::Request::try_from(
            serde_json::from_slice::<openai::responses::ResponsesRequest>(body).map_err(invalid)?,
        );
    }
    match generation(from) {
        Some(Protocol::OpenAi) => ir::Request::try_from(
            serde_json::from_slice::<chat::ChatRequest>(body).map_err(invalid)?,
        ),
        Some(Protocol::Anthropic) => ir::Request::try_from(
            serde_json::from_slice::<anthropic::MessagesRequest>(body).map_err(invalid)?,
        ),
        Some(Protocol::Gemini) => gemini::request::request_from_wire(
            serde_json::from_slice(body).map_err(invalid)?,
            from.operation == Operation::StreamGenerateContent,
        ),
        None => Err(TranslateError::unsupported(
            from.operation.as_str(),
            "this operation is not translated",
        )),
    }
}

/// The upstream's request body for `req`; `dialect` picks the fields a Chat upstream
/// understands.
pub fn encode_request(
    to: Endpoint,
    req: &ir::Request,
    dialect: chat::Dialect,
) -> Result<Vec<u8>, TranslateError> {
    if responses_upstream(to) {
        return serde_json::to_vec(&openai::responses::upstream::request::Request::from_ir(
            req,
        )?)
        .map_err(|e| TranslateError::Invalid(format!("encoding the request: {e}")));
    }
    let encoded = match generation(to) {
        Some(Protocol::OpenAi) => serde_json::to_vec(&chat::ChatRequest::from_ir(req, dialect)?),
        Some(Protocol::Anthropic) => {
            serde_json::to_vec(&anthropic::MessagesRequest::try_from(req)?)
        }
        Some(Protocol::Gemini) => serde_json::to_vec(&gemini::request::request_to_wire(req)),
        None => {
            return Err(TranslateError::unsupported(
                to.operation.as_str(),
                "this operation is not translated",
            ));
        }
    };
    encoded.map_err(|e| TranslateError::Invalid(format!("encoding the request: {e}")))
}

/// An upstream's answer body (`to`'s protocol) as the client's (`from`'s), naming
/// `client_model`; `created` stamps OpenAI bodies.
pub fn translate_response(
    to: Endpoint,
    body: &[u8],
    from: Endpoint,
    client_model: &str,
    created: u64,
    id_seed: &str,
) -> Result<(Vec<u8>, crate::Usage), TranslateError> {
    let answer = decode_answer(to, body, id_seed)?;
    encode_answer(answer, from, client_model, created)
}

/// A stream-only upstream's whole SSE body (`to`'s protocol) aggregated into the client's
/// (`from`'s) answer.
pub fn aggregate_response(
    to: Endpoint,
    body: &[u8],
    from: Endpoint,
    client_model: &str,
    created: u64,
    id_seed: &str,
) -> Result<(Vec<u8>, crate::Usage), TranslateError> {
    let answer = stream::aggregate(to, body, id_seed)?;
    encode_answer(answer, from, client_model, created)
}

/// A whole upstream answer (`to`'s protocol) replayed as the client's (`from`'s) stream.
pub fn replay_response(
    to: Endpoint,
    body: &[u8],
    from: Endpoint,
    stream: ClientStream,
) -> Result<(Vec<u8>, crate::Usage), TranslateError> {
    let mut answer = decode_answer(to, body, &stream.id_seed)?;
    if !answer.has_answer()
        && let Some(message) = answer.stop.failure()
    {
        return Err(TranslateError::Stopped(message));
    }
    answer.model = stream.model.clone();
    let usage = answer.usage;
    // The answer's input is known before its first event: Anthropic's `message_start`
    // shows it (without the cache tokens, as Anthropic counts).
    let mut stream = stream;
    stream.input_estimate = usage
        .input_tokens
        .saturating_sub(usage.cache_read_tokens + usage.cache_write_tokens);
    let mut t = StreamTranslator::new(to, from, stream)
        .ok_or_else(|| TranslateError::Invalid("untranslatable client protocol".into()))?;
    let out: Vec<u8> = t
        .replay(ir::replay::replay(&answer))
        .iter()
        .flat_map(|b| b.iter().copied())
        .collect();
    Ok((out, usage))
}

/// An upstream's whole answer in the IR.
fn decode_answer(to: Endpoint, body: &[u8], id_seed: &str) -> Result<ir::Response, TranslateError> {
    let invalid = |e: serde_json::Error| TranslateError::Invalid(format!("upstream answer: {e}"));
    if responses_upstream(to) {
        return openai::responses::upstream::response::response_from_wire(
            serde_json::from_slice(body).map_err(invalid)?,
        );
    }
    Ok(match generation(to) {
        Some(Protocol::OpenAi) => ir::Response::try_from(
            serde_json::from_slice::<chat::ChatCompletion>(body).map_err(invalid)?,
        )?,
        Some(Protocol::Anthropic) => ir::Response::try_from(
            serde_json::from_slice::<anthropic::MessagesResponse>(body).map_err(invalid)?,
        )?,
        Some(Protocol::Gemini) => gemini::response::response_from_wire(
            serde_json::from_slice(body).map_err(invalid)?,
            &format!("call_{id_seed}_"),
        )?,
        None => {
            return Err(TranslateError::Invalid(
                "untranslatable upstream answer".into(),
            ));
        }
    })
}

/// The client's answer body for an IR answer, naming `client_model`; a failed stop with no
/// answer is an error.
fn encode_answer(
    mut answer: ir::Response,
    from: Endpoint,
    client_model: &str,
    created: u64,
) -> Result<(Vec<u8>, crate::Usage), TranslateError> {
    if !answer.has_answer()
        && let Some(message) = answer.stop.failure()
    {
        return Err(TranslateError::Stopped(message));
    }
    answer.model = client_model.to_owned();
    if responses_client(from) {
        let body = openai::responses::response::response_to_wire(&answer, created);
        let out = serde_json::to_vec(&body)
            .map_err(|e| TranslateError::Invalid(format!("encoding the answer: {e}")))?;
        return Ok((out, answer.usage));
    }
    let out = match generation(from) {
        Some(Protocol::OpenAi) => {
            serde_json::to_vec(&chat::response::response_to_wire(&answer, created))
        }
        Some(Protocol::Anthropic) => {
            serde_json::to_vec(&anthropic::MessagesResponse::from(&answer))
        }
        Some(Protocol::Gemini) => serde_json::to_vec(&gemini::response::response_to_wire(&answer)),
        None => {
            return Err(TranslateError::Invalid(
                "untranslatable client protocol".into(),
            ));
        }
    }
    .map_err(|e| TranslateError::Invalid(format!("encoding the answer: {e}")))?;
    Ok((out, answer.usage))
}

/// The message of an upstream error body in any protocol's shape (for re-shaping it
/// into the client's).
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let err = v.get("error")?;
    err.get("message")
        .and_then(serde_json::Value::as_str)
        .or_else(|| err.as_str())
        .map(str::to_owned)
}
