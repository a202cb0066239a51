//! The OpenAI APIs: Chat Completions ([`chat`]) and Responses ([`responses`]), with the
//! wire pieces both share ([`common`]).

pub mod chat;
pub mod common;
pub mod responses;

pub use chat::ChatRequest;
