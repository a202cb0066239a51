//! A mock LLM upstream: a real HTTP server speaking the OpenAI (Chat Completions, Responses,
//! Embeddings), Anthropic (Messages) and Gemini (`generateContent` family) wire formats, for
//! gateway tests and benchmarks (binary `gproxy-mock`).
//!
//! # Crate map
//! - [`server`]: [`MockUpstream`] (start, script, request log, shutdown), [`MockOptions`] and
//!   the route table.
//! - [`script`]: [`Reply`], [`ReplyKind`], [`MockUsage`] — what the next request gets.
//! - `record`: [`RecordedRequest`] and the middleware that logs every request.
//! - `call`: the `Call` extractor: credential check, JSON body, next reply, latency.
//! - `surface`: which protocol a path speaks and that protocol's error shape.
//! - `openai`, `responses`, `anthropic`, `gemini`, `models`: one area per API, each rendering
//!   its JSON bodies and stream events.
//! - `sse`: plays a rendered stream out incrementally (delays, abrupt cuts).
//! - `control`: the `/__mock/` HTTP endpoints that script the mock and read its log from
//!   another process (`POST /__mock/replies`, `GET`/`DELETE /__mock/requests`).
//!
//! # A request's path
//! `record` logs it (control requests excepted) → the router picks an area handler → `Call` checks the key (401), parses
//! the body (400) and pops a [`Reply`] → the handler renders JSON or a `StreamScript` that
//! `sse` plays out chunk by chunk.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use gproxy_testkit::{MockUpstream, Reply};
//! let mock = MockUpstream::start().await?;
//! mock.push(Reply::error(429, "slow down"));
//! // point the client at format!("{}/v1", mock.base_url()) ...
//! assert!(mock.requests().is_empty());
//! # Ok(()) }
//! ```

mod anthropic;
mod call;
mod control;
mod gemini;
mod models;
mod openai;
mod record;
mod responses;
pub mod script;
pub mod server;
mod sse;
mod surface;

pub use record::RecordedRequest;
pub use script::{MockCall, MockUsage, Reply, ReplyKind, mock_embedding};
pub use server::{MockOptions, MockUpstream};
