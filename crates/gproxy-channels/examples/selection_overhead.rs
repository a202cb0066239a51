//! What credential selection and retry bookkeeping cost one call, as the proxy runs them
//! for a provider pooling 4 credentials with cache affinity on: the prompt-prefix keys of a
//! 6-turn chat body, the breaker check, each credential's health, the affinity lookup, the
//! retry budget's count, and after the answer the health, breaker and affinity updates.
//! `cargo run --release -p gproxy-channels --example selection_overhead [CALLS]`.

use gproxy_channels::affinity::{Affinity, AffinityConfig};
use gproxy_channels::breaker::{BreakerConfig, Breakers, Verdict};
use gproxy_channels::budget::{BudgetConfig, RetryBudgets};
use gproxy_channels::health::{Availability, HealthStore};
use gproxy_channels::outcome::{Cooldowns, Outcome};
use gproxy_protocol::affinity::prefix_keys;
use gproxy_protocol::{Endpoint, Operation, Protocol};
use std::io::Write;
use std::time::Instant;

fn body(conversation: usize) -> Vec<u8> {
    let mut messages = vec![
        serde_json::json!({"role": "system", "content": "You are a helpful assistant. Answer briefly."}),
    ];
    for turn in 0..3 {
        messages.push(serde_json::json!({"role": "user", "content": format!("conversation {conversation}: question {turn} about the weather in Paris and Rome")}));
        messages.push(serde_json::json!({"role": "assistant", "content": format!("answer {turn}: sunny in Paris, cloudy in Rome, mild everywhere")}));
    }
    serde_json::to_vec(&serde_json::json!({"model": "gpt-4.1", "messages": messages}))
        .unwrap_or_default()
}

fn main() -> std::io::Result<()> {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let health = HealthStore::new();
    let breakers = Breakers::new();
    let budgets = RetryBudgets::new();
    let affinity = Affinity::new();
    let (bc, rc, ac, cc) = (
        BreakerConfig::default(),
        BudgetConfig::default(),
        AffinityConfig::default(),
        Cooldowns::default(),
    );
    let credentials = [11_i64, 12, 13, 14];
    let endpoint = Endpoint::new(Protocol::OpenAi, Operation::ChatCompletions);
    // 64 conversations in rotation: lookups hit, and the affinity map stays warm.
    let bodies: Vec<Vec<u8>> = (0..64).map(body).collect();
    let mut out = std::io::stdout().lock();
    let mut sink = 0_i64;
    for (label, with_keys) in [("bookkeeping only", false), ("with prefix keys", true)] {
        let started = Instant::now();
        for i in 0..calls {
            let now = Instant::now();
            let b = &bodies[i % bodies.len()];
            let keys = if with_keys {
                prefix_keys(endpoint, "gpt-4.1", b)
            } else {
                Default::default()
            };
            breakers.admit(1, "gpt-4.1", now, &bc);
            let ready = credentials
                .iter()
                .filter(|id| health.availability(**id, "gpt-4.1", now) == Availability::Ready)
                .count();
            let chosen = affinity
                .prefer(1, &keys.lookup, now)
                .unwrap_or(credentials[i % ready.max(1)]);
            budgets.first_attempt(1, now, &rc);
            health.record(chosen, "gpt-4.1", &Outcome::Success, &cc, None, now);
            breakers.record(1, "gpt-4.1", Verdict::Healthy, now, &bc);
            affinity.remember(1, &keys.remember, chosen, now, &ac);
            sink = sink.wrapping_add(chosen);
        }
        let per_call = started.elapsed().as_nanos() as f64 / calls as f64;
        writeln!(
            out,
            "{label:<18} {per_call:>8.0} ns per call ({calls} calls)"
        )?;
    }
    writeln!(out, "(checksum {sink})")?;
    Ok(())
}
