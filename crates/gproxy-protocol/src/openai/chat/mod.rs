//! `POST /v1/chat/completions`: the request ([`request`]), the response ([`response`]) and
//! the SSE stream of chunks ([`stream`]), each with its translation to and from the IR.

pub mod request;
pub mod response;
pub mod stream;

pub use request::{ChatRequest, Dialect};
