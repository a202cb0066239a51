//! Rate limits and USD quotas. Rate limits per user and model pattern (DESIGN §8): requests and tokens (input + output)
//! per minute and per UTC day. A request reserves one request and its worst-case tokens on
//! every rule that matches its model before anything is sent upstream; its usage record
//! settles the reservation with the real tokens, and a call that never reached an answer
//! (a route moving on, a refused dispatch) voids it. A refusal is 429 with `retry-after` in
//! the caller's protocol shape.
//!
//! - [`rules`]: the rules of the snapshot, and which apply to a call.
//! - [`counters`]: the windows and the reserve / settle / void arithmetic, in memory
//!   (behind [`Counters`], so a shared store can replace it for several instances).
//! - [`quota`]: USD quotas, reserved at the worst-case cost and settled at the real one.

pub mod counters;
pub mod quota;
pub mod rules;

pub use counters::{Counters, Grant, MemoryCounters, Refusal};
pub use quota::{QuotaGrant, QuotaLedger, QuotaRefusal, QuotaRule};
pub use rules::RateRule;

/// The worst-case output of a request that sets no maximum (DESIGN §8); its input is
/// estimated at four bytes a token of the body as sent.
pub const DEFAULT_MAX_OUTPUT: u64 = 4_096;
