//! `POST /v1/messages`: the request ([`request`]), content blocks shared by requests and
//! responses ([`content`]), the response ([`response`]) and the SSE stream ([`stream`]),
//! each with its translation to and from the IR; which thinking each Claude model takes
//! ([`thinking`]); the prompt-cache breakpoints operators add ([`cache`]).

pub mod cache;
pub mod content;
pub mod request;
pub mod response;
pub mod stream;
pub mod thinking;

pub use request::MessagesRequest;
pub use response::MessagesResponse;
