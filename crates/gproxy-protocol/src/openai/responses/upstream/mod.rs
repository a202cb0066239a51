//! `POST /v1/responses` as an upstream: a Chat, Anthropic or Gemini client's IR request
//! encoded for it ([`request`]), its answer ([`response`]) and its event stream
//! ([`stream`]) decoded into the IR. (A Responses client on it is passthrough.)

pub mod request;
pub mod response;
pub mod stream;
