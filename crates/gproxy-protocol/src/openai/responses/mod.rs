//! `POST /v1/responses` for a client served by another protocol: the request decoded into
//! the IR ([`request`]), the answer ([`response`]) and the event stream ([`stream`])
//! encoded from it. (A Responses client on an OpenAI channel is passthrough.) [`upstream`]
//! is the other direction: Responses as the upstream of Chat, Anthropic and Gemini clients.

pub mod request;
pub mod response;
pub mod stream;
pub mod upstream;

pub use request::ResponsesRequest;
