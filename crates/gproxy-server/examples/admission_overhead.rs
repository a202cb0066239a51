//! What a call's admission costs on the request path: authenticating its key (SHA-256
//! digest and lookup), the permission check, and with limits on, the rate-limit rules that
//! cover it (two: requests and tokens per minute and per day), their reservation and
//! settlement, the model's price, the quota's worst-case reservation and its settlement at
//! the real cost. Run once with none configured and once with all of them, on the same
//! snapshot shape. `cargo run --release -p gproxy-server --example admission_overhead [CALLS]`.

#![allow(clippy::print_stdout)] // the figures are the output

use gproxy_server::billing::Tokens;
use gproxy_server::limits::{Counters, Grant, MemoryCounters, QuotaLedger};
use gproxy_server::snapshot::Snapshot;
use gproxy_storage::key_digest;
use gproxy_storage::model::*;
use std::sync::Arc;
use std::time::Instant;

const KEY: &str = "sk-bench-user-key-0123456789";

fn control_plane(limited: bool) -> ControlPlane {
    let mut cp = ControlPlane {
        providers: vec![ProviderRow {
            id: 1,
            name: "openai-main".into(),
            channel: "openai".into(),
            settings: "{}".into(),
            enabled: true,
            created_at: 0,
            updated_at: 0,
        }],
        credentials: vec![CredentialRecord {
            id: 1,
            provider_id: 1,
            label: None,
            secret: serde_json::json!({"api_key": "sk-up"}),
            enabled: true,
        }],
        users: vec![UserRow {
            id: 1,
            name: "alice".into(),
            password_hash: "x".into(),
            is_admin: false,
            enabled: true,
            created_at: 0,
        }],
        keys: vec![KeyRecord {
            id: 1,
            user_id: 1,
            digest: key_digest(KEY),
            api_key: KEY.into(),
            label: None,
            enabled: true,
            expires_at: None,
        }],
        permissions: vec![PermissionRow {
            id: 1,
            user_id: 1,
            provider_id: None,
            model_pattern: "gpt-*".into(),
            created_at: 0,
        }],
        ..ControlPlane::default()
    };
    if limited {
        let rule = |id, pattern: &str| RateLimitRow {
            id,
            user_id: 1,
            model_pattern: pattern.into(),
            rpm: Some(i64::MAX / 4),
            rpd: Some(i64::MAX / 4),
            tpm: Some(i64::MAX / 4),
            tpd: Some(i64::MAX / 4),
            created_at: 0,
        };
        cp.rate_limits = vec![rule(1, "*"), rule(2, "gpt-*")];
        cp.quotas = vec![QuotaRow {
            id: 1,
            user_id: 1,
            limit_nano: i64::MAX / 4,
            used_nano: 0,
            period: "monthly".into(),
            period_start: 0,
            created_at: 0,
            updated_at: 0,
        }];
    }
    cp
}

/// Nanoseconds per admitted call.
fn run(calls: usize, limited: bool) -> f64 {
    let snap = Snapshot::build(control_plane(limited)).unwrap_or_default();
    let counters: Arc<dyn Counters> = Arc::new(MemoryCounters::default());
    let ledger = Arc::new(QuotaLedger::default());
    let mut admitted = 0usize;
    let start = Instant::now();
    for _ in 0..calls {
        let Some(who) = snap.principal(&key_digest(std::hint::black_box(KEY))) else {
            continue;
        };
        let Some(provider) = snap.provider("openai-main") else {
            continue;
        };
        if !snap.permits(who.user_id, provider, "gpt-4.1", None) {
            continue;
        }
        let rules = snap.rate_rules(who.user_id, "gpt-4.1", None);
        let now = gproxy_storage::now_ms();
        let grant = (!rules.is_empty())
            .then(|| Grant::reserve(&counters, &rules, 1_500, now).ok())
            .flatten();
        let quota = snap.quota(who.user_id).and_then(|q| {
            let price = snap.price(provider, "gpt-4.1")?;
            let worst = price.cost(&Tokens {
                input: 500,
                output: 1_000,
                ..Tokens::default()
            });
            ledger.reserve(who.user_id, q, worst, now, 660_000).ok()
        });
        // The answer: 300 input and 40 output tokens, settled.
        let used = Tokens {
            input: 300,
            output: 40,
            ..Tokens::default()
        };
        if let Some(g) = grant {
            g.settle(340);
        }
        if let Some(q) = quota {
            let cost = snap
                .price(provider, "gpt-4.1")
                .map(|p| p.cost(&used))
                .unwrap_or_default();
            q.settle(cost);
        }
        admitted += 1;
    }
    let ns = start.elapsed().as_nanos() as f64 / calls as f64;
    assert_eq!(admitted, calls, "every call admitted");
    ns
}

fn main() {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    run(calls / 10, true); // warm-up
    let without = run(calls, false);
    let with = run(calls, true);
    println!("calls: {calls}");
    println!("auth + permission:                          {without:.0} ns/call");
    println!("auth + permission + 2 rate limits + quota:  {with:.0} ns/call");
    println!(
        "added by limits and quota:                  {:.0} ns/call",
        with - without
    );
}
