//! Wire-level knowledge of the three protocols gproxy speaks: OpenAI (Chat Completions,
//! Responses, Embeddings), Anthropic Messages and Google Gemini. No I/O lives here.
//!
//! Map of the crate, in the order a passthrough request uses it:
//! - [`endpoint`]: which protocol and operation a request is ([`Protocol`], [`Operation`]).
//! - [`peek`]: reads `model`/`stream` from a request body without building a tree, and
//!   rewrites the `model` value in bodies and stream events.
//! - [`frame`]: splits an upstream byte stream into whole SSE events or JSON-array elements,
//!   so events are relayed one by one and scanned for usage.
//! - [`usage`]: the token usage an upstream reports, from a body or a stream of events.
//! - [`terminal`]: the event that ends a stream, so a stream is complete once it is relayed.
//! - [`text`]: the text a request sends and a stream relays, for token estimates when the
//!   upstream reported no usage (the client went away first).
//! - [`models`]: model-list bodies filtered to the models a caller may see.
//! - [`error`]: the error bodies and in-stream error events each protocol's SDK can parse.

pub mod endpoint;
pub mod error;
pub mod frame;
pub mod models;
pub mod peek;
pub mod terminal;
pub mod text;
pub mod usage;

pub use endpoint::{Endpoint, Operation, Protocol};
pub use error::ErrorKind;
pub use usage::Usage;
