//! `models/{model}:generateContent` and `:streamGenerateContent`: the request
//! ([`request`]), parts shared by requests and responses ([`parts`]), the response
//! ([`response`]) and the stream of responses ([`stream`]), each with its translation to and
//! from the IR. Gemini has no call ids on older models: they are minted from the position of
//! the call, and results are paired with calls by name.

pub mod parts;
pub mod request;
pub mod response;
pub mod stream;
