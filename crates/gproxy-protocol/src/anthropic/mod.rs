//! The Anthropic Messages API.

pub mod messages;

pub use messages::{MessagesRequest, MessagesResponse};
