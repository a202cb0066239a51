//! The OpenAI APIs.

pub mod chat;
pub mod responses;

pub use chat::ChatRequest;
