//! The OpenAI APIs.

pub mod chat;

pub use chat::ChatRequest;
