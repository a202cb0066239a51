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
//! - [`affinity`]: prompt-prefix keys, so calls sharing a prefix can go to the credential
//!   whose prompt cache holds it.
//!
//! Translation between protocols (DESIGN.md §6) goes through one canonical form, [`ir`]:
//! typed wire structs per protocol and role ([`openai::chat`], [`openai::responses`] with
//! its upstream direction in [`openai::responses::upstream`], [`anthropic::messages`],
//! [`gemini::generate`]),
//! each decoding into and encoding from the IR, requests and responses as pure
//! conversions and streams as pure state machines; [`translate`] ties them together (the
//! entry points, the stream translator, embeddings, and Anthropic thinking sealed for
//! clients of other protocols in [`translate::carry`]). The cargo-fuzz targets in `fuzz/`
//! drive the same entry points.
//! - [`error`]: the error bodies and in-stream error events each protocol's SDK can parse.

pub mod affinity;
pub mod anthropic;
pub mod endpoint;
pub mod error;
pub mod frame;
pub mod gemini;
pub mod ir;
pub mod models;
pub mod openai;
pub mod peek;
pub mod terminal;
pub mod text;
pub mod translate;
pub mod usage;

pub use endpoint::{Endpoint, Operation, Protocol};
pub use error::ErrorKind;
pub use usage::Usage;
