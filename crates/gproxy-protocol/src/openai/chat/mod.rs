//! `POST /v1/chat/completions`: the request ([`request`]), the response ([`response`]) and
//! the SSE stream of chunks ([`stream`]), each with its translation to and from the IR; the
//! messages, content parts and tool calls they share are in [`message`].

pub mod message;
pub mod request;
pub mod response;
pub mod stream;

pub use message::{ChatMessage, ToolCall};
pub use request::{ChatRequest, Dialect};
pub use response::ChatCompletion;
