//! Credential health on the request path: each upstream answer classified into the
//! credential's health (dead, quota exhausted, rate limited, transient, the caller's fault),
//! unhealthy credentials skipped, and a clear 429/503 with `retry-after` when none is left.

use crate::helpers::*;
use gproxy_channels::health::State;
use gproxy_testkit::Reply;
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime};

const ADMIN: &str = "sk-admin-health";

/// The TOML of a provider `pool` with `n` credentials `sk-up-1`..`sk-up-n` on the mock.
fn pool_toml(mock: &str, n: usize, settings: &str) -> String {
    let keys: Vec<String> = (1..=n)
        .map(|i| format!("{{ api_key = \"sk-up-{i}\" }}"))
        .collect();
    format!(
        "[[providers]]\nname = \"pool\"\nchannel = \"openai\"\nsettings = {{ base_url = \"{mock}/v1\"{settings} }}\ncredentials = [ {} ]\n",
        keys.join(", ")
    )
}

/// A provider `pool` with `n` credentials `sk-up-1`..`sk-up-n` on the mock.
async fn pool(n: usize, settings: &str) -> TestApp {
    let keys: Vec<String> = (1..=n)
        .map(|i| format!("{{ api_key = \"sk-up-{i}\" }}"))
        .collect();
    let keys = keys.join(", ");
    let settings = settings.to_owned();
    spawn_with_seed(move |mock| {
        format!(
            "[[providers]]\nname = \"pool\"\nchannel = \"openai\"\nsettings = {{ base_url = \"{mock}/v1\"{settings} }}\ncredentials = [ {keys} ]\n"
        )
    })
    .await
}

fn chat() -> Value {
    json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})
}

/// The `retry-after` seconds of a response.
fn retry_after(resp: &reqwest::Response) -> u64 {
    resp.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

async fn call(app: &TestApp) -> reqwest::Response {
    app.post("/pool/v1/chat/completions", ALICE, chat()).await
}

/// The upstream keys the mock saw, in order (`sk-up-2` for `Bearer sk-up-2`).
fn keys_seen(app: &TestApp) -> Vec<String> {
    app.mock
        .requests()
        .iter()
        .map(|r| {
            r.header("authorization")
                .unwrap_or_default()
                .trim_start_matches("Bearer ")
                .to_owned()
        })
        .collect()
}

/// Credential ids of provider `pool`, in configured order.
async fn credential_ids(app: &TestApp) -> Vec<i64> {
    let snap = app.state.snapshot();
    snap.provider("pool")
        .expect("pool provider")
        .credentials
        .ids()
}

fn state_of(app: &TestApp, id: i64) -> gproxy_channels::health::Status {
    let now = tokio::time::Instant::now().into_std();
    app.state.health.status(id, now, SystemTime::now())
}

#[tokio::test]
async fn a_rejected_key_is_dead_and_skipped_until_a_reset() {
    // The same prompt every time: without affinity, so the round robin shows.
    let app = pool(2, ", credential_cache_affinity_enabled = false").await;
    let ids = credential_ids(&app).await;
    app.mock.push(Reply::error(401, "invalid api key"));
    let resp = call(&app).await;
    assert_eq!(resp.status(), 200, "the second key answered");
    assert_eq!(resp.headers()["x-should-retry"], "false", "failed over");
    assert_eq!(state_of(&app, ids[0]).state, State::Dead);
    assert_eq!(
        state_of(&app, ids[0]).last_error.as_deref(),
        Some("unauthorized: status 401")
    );
    // Round robin would start at the first key now; it is dead, so every call goes to
    // the second.
    for _ in 0..3 {
        assert_eq!(call(&app).await.status(), 200);
    }
    assert_eq!(
        keys_seen(&app),
        ["sk-up-1", "sk-up-2", "sk-up-2", "sk-up-2", "sk-up-2"]
    );
    app.state.health.reset(ids[0]);
    assert_eq!(state_of(&app, ids[0]).state, State::Healthy);
    call(&app).await;
    call(&app).await;
    let seen = keys_seen(&app);
    assert!(seen[5..].contains(&"sk-up-1".to_owned()), "{seen:?}");
}

#[tokio::test]
async fn every_key_dead_is_a_503_without_an_upstream_call() {
    let app = pool(1, "").await;
    app.mock.push(Reply::error(403, "forbidden"));
    assert_eq!(
        call(&app).await.status(),
        403,
        "the provider's answer relayed"
    );
    let resp = call(&app).await;
    assert_eq!(resp.status(), 503);
    let v = json(resp).await;
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("message")
            .contains("rejected by the provider"),
        "{v}"
    );
    assert_eq!(app.mock.requests().len(), 1);
}

#[tokio::test]
async fn an_exhausted_quota_is_not_retried_before_its_reset() {
    let app = pool(1, "").await;
    app.mock
        .push(Reply::error(429, "quota").with_error_body(json!({"error": {
        "message": "You exceeded your current quota",
        "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})));
    let resp = call(&app).await;
    assert_eq!(resp.status(), 429);
    let v = json(resp).await;
    assert_eq!(
        v["error"]["code"], "insufficient_quota",
        "the body read for classification still reaches the client"
    );
    let resp = call(&app).await;
    assert_eq!(resp.status(), 429, "refused by the gateway");
    let wait = retry_after(&resp);
    assert!((3590..=3600).contains(&wait), "an hour by default: {wait}");
    assert_eq!(
        app.mock.requests().len(),
        1,
        "never retried before the reset"
    );
    let ids = credential_ids(&app).await;
    let status = state_of(&app, ids[0]);
    assert_eq!(status.state, State::Partial);
    assert_eq!(status.cooling[0].model, "gpt-4.1");
}

#[tokio::test]
async fn provider_reset_times_set_the_cooldown() {
    let app = pool(2, "").await;
    let reset = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 7200;
    // Anthropic's subscription limit (on any channel: the header decides), then Google's
    // per-day quota with its retry delay.
    app.mock.push(Reply::error(429, "limit").with_headers([
        ("anthropic-ratelimit-unified-status", "rejected".to_owned()),
        ("anthropic-ratelimit-unified-reset", reset.to_string()),
    ]));
    app.mock
        .push(Reply::error(429, "quota").with_error_body(json!({"error": {
        "code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
             "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "600s"}]}})));
    let resp = call(&app).await;
    assert_eq!(resp.status(), 429, "both keys out: the last answer relayed");
    assert_eq!(resp.headers()["x-should-retry"], "false");
    let resp = call(&app).await;
    assert_eq!(resp.status(), 429);
    let wait = retry_after(&resp);
    assert!((590..=600).contains(&wait), "the earliest recovery: {wait}");
    let ids = credential_ids(&app).await;
    let until = state_of(&app, ids[0]).cooling[0].until;
    let left = until
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .as_secs();
    assert!((7190..=7200).contains(&left), "{left}");
}

#[tokio::test]
async fn a_short_cooldown_is_waited_out_a_long_one_refused() {
    let app = pool(1, "").await;
    app.mock
        .push(Reply::error(429, "slow down").with_headers([("retry-after", "1")]));
    assert_eq!(call(&app).await.status(), 429);
    let started = Instant::now();
    let resp = call(&app).await;
    assert_eq!(resp.status(), 200, "waited for the key to recover");
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(app.mock.requests().len(), 2);

    // A plain 429 without retry-after cools for 60 s: more than the 5 s a call may wait.
    app.mock.push(Reply::error(429, "slow down"));
    assert_eq!(call(&app).await.status(), 429);
    let resp = call(&app).await;
    assert_eq!(resp.status(), 429);
    assert!(
        json(resp).await["error"]["message"]
            .as_str()
            .expect("message")
            .contains("cooling down")
    );
    assert_eq!(app.mock.requests().len(), 3);
}

#[tokio::test]
async fn cooldowns_are_per_model_and_configurable() {
    let app = pool(1, ", cooldown_transient_secs = 120").await;
    app.mock.push(Reply::error(500, "boom"));
    assert_eq!(call(&app).await.status(), 500);
    // Another model on the same key is unaffected.
    let resp = app
        .post(
            "/pool/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1-mini", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let resp = call(&app).await;
    assert_eq!(resp.status(), 429);
    let wait = retry_after(&resp);
    assert!(
        (110..=120).contains(&wait),
        "the provider's setting: {wait}"
    );
}

#[tokio::test]
async fn the_callers_own_errors_cost_the_key_nothing() {
    let app = pool(2, "").await;
    app.mock.push(Reply::error(400, "bad request"));
    let resp = call(&app).await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.headers().get("x-should-retry").is_none(),
        "no failover"
    );
    assert_eq!(app.mock.requests().len(), 1, "no rotation on a 400");
    let ids = credential_ids(&app).await;
    for id in ids {
        assert_eq!(state_of(&app, id).state, State::Healthy);
    }
}

async fn admin_get(app: &TestApp, path: &str, key: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url(path));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn the_admin_api_lists_statuses_and_resets_credentials() {
    let app = spawn_with(
        |cli| cli.admin_key = Some(ADMIN.into()),
        |mock| pool_toml(mock, 3, ""),
    )
    .await;
    let ids = credential_ids(&app).await;
    app.mock.push(Reply::error(401, "revoked"));
    app.mock
        .push(Reply::error(429, "slow down").with_headers([("retry-after", "30")]));
    assert_eq!(call(&app).await.status(), 200, "the third key answered");

    let resp = admin_get(
        &app,
        "/admin/credential-statuses?provider=pool",
        Some(ADMIN),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["next_cursor"], Value::Null);
    let rows = v["data"].as_array().expect("data");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["provider"], "pool");
    assert_eq!(rows[0]["credential_id"], ids[0].to_string());
    assert_eq!(rows[0]["state"], "dead");
    assert_eq!(rows[0]["last_error"], "unauthorized: status 401");
    assert_eq!(rows[1]["state"], "partial");
    assert_eq!(rows[1]["cooling"][0]["model"], "gpt-4.1");
    let until = rows[1]["cooling"][0]["until"].as_str().expect("until");
    assert!(
        until.ends_with('Z') && until.contains('T'),
        "RFC 3339: {until}"
    );
    assert_eq!(rows[2]["state"], "healthy");
    assert_eq!(rows[2]["cooling"], json!([]));

    // Pages follow the cursor.
    let v = json(admin_get(&app, "/admin/credential-statuses?limit=2", Some(ADMIN)).await).await;
    let first: Vec<Value> = v["data"].as_array().expect("data").clone();
    assert_eq!(first.len(), 2);
    let cursor = v["next_cursor"].as_str().expect("more").to_owned();
    let v = json(
        admin_get(
            &app,
            &format!("/admin/credential-statuses?limit=2&cursor={cursor}"),
            Some(ADMIN),
        )
        .await,
    )
    .await;
    let second = v["data"].as_array().expect("data");
    assert_eq!(second.len(), 2);
    let id_of = |row: &Value| {
        row["id"]
            .as_str()
            .expect("id")
            .parse::<i64>()
            .expect("number")
    };
    assert!(
        id_of(&second[0]) > id_of(&first[1]),
        "in id order, no overlap"
    );
    let all =
        json(admin_get(&app, "/admin/credential-statuses?limit=500", Some(ADMIN)).await).await;
    let all = all["data"].as_array().expect("data");
    assert_eq!(all.len(), 9, "every credential of every provider");
    assert_eq!(&all[..2], &first[..]);
    assert_eq!(&all[2..4], &second[..]);

    let resp = app
        .http
        .post(app.url(&format!("/admin/credentials/{}/reset", ids[0])))
        .header("x-api-key", ADMIN)
        .send()
        .await
        .expect("reset");
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(
        (v["state"].as_str(), v["last_error"].clone()),
        (Some("healthy"), Value::Null)
    );
    assert_eq!(state_of(&app, ids[0]).state, State::Healthy);
    let audit = app.state.store.audit_entries(1).await.expect("audit");
    assert_eq!(
        (audit[0].action.as_str(), audit[0].resource.as_str()),
        ("reset", "credentials")
    );
    assert_eq!(audit[0].resource_id, Some(ids[0].to_string()));
    assert!(
        audit[0]
            .before
            .as_deref()
            .is_some_and(|b| b.contains("dead"))
    );

    // The conventions: 401 without a key, 403 for a user, 404, and 400 naming the field.
    assert_eq!(
        admin_get(&app, "/admin/credential-statuses", None)
            .await
            .status(),
        401
    );
    let resp = admin_get(&app, "/admin/credential-statuses", Some(ALICE)).await;
    assert_eq!(resp.status(), 403);
    assert!(
        json(resp).await["error"]
            .as_str()
            .expect("error")
            .contains("administrator")
    );
    let resp = app
        .http
        .post(app.url("/admin/credentials/999999/reset"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("reset");
    assert_eq!(resp.status(), 404);
    let resp = admin_get(&app, "/admin/credential-statuses?limit=0", Some(ADMIN)).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["field"], "limit");
    let resp = admin_get(
        &app,
        "/admin/credential-statuses?provider=nope",
        Some(ADMIN),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["field"], "provider");
    let resp = admin_get(&app, "/admin/credential-statuses?colour=red", Some(ADMIN)).await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn health_survives_a_restart_and_can_be_seeded() {
    let mock = gproxy_testkit::MockUpstream::start().await.expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    let base = mock.base_url();
    let until = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    let seed = format!(
        "{}\n[[providers]]\nname = \"pool\"\nchannel = \"openai\"\nsettings = {{ base_url = \"{base}/v1\" }}\ncredentials = [ {{ api_key = \"sk-up-1\" }}, {{ api_key = \"sk-up-2\", state = {{ health = {{ kind = \"partial\", models = [ {{ model = \"gpt-4.1\", until = {until} }} ] }} }} }}, {{ api_key = \"sk-up-3\", state = {{ health = {{ kind = \"dead\" }} }} }} ]\n",
        seed_toml(&base)
    );
    std::fs::write(&config, seed).expect("write config");
    let cli = || gproxy::Cli {
        config: Some(config.clone()),
        host: Some("127.0.0.1".into()),
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        ..gproxy::Cli::default()
    };
    let app = start(cli(), mock.clone(), tempfile::tempdir().expect("tempdir")).await;
    let ids = credential_ids(&app).await;
    assert_eq!(state_of(&app, ids[1]).state, State::Partial, "seeded");
    assert_eq!(state_of(&app, ids[2]).state, State::Dead, "seeded");
    // Only the first key may serve gpt-4.1; it is rejected now.
    mock.push(Reply::error(401, "revoked"));
    assert_eq!(call(&app).await.status(), 401);
    assert_eq!(
        call(&app).await.status(),
        429,
        "the second key cools for an hour, the others are dead"
    );
    app.stop().await;

    let app = start(cli(), mock.clone(), tempfile::tempdir().expect("tempdir")).await;
    assert_eq!(credential_ids(&app).await, ids, "not re-imported");
    assert_eq!(state_of(&app, ids[0]).state, State::Dead, "persisted");
    let cooling = state_of(&app, ids[1]);
    assert_eq!(cooling.state, State::Partial);
    let left = cooling.cooling[0]
        .until
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .as_secs();
    assert!((3500..=3600).contains(&left), "{left}");
    assert_eq!(state_of(&app, ids[2]).state, State::Dead);
    let before = mock.requests().len();
    assert_eq!(call(&app).await.status(), 429);
    assert_eq!(mock.requests().len(), before, "no upstream call");
    app.stop().await;
}

#[tokio::test]
async fn a_failing_path_opens_its_circuit_and_one_trial_closes_it() {
    let app = pool(
        1,
        ", cooldown_transient_secs = 0, breaker_min_calls = 4, breaker_open_secs = 1",
    )
    .await;
    // One blip among answers never opens it.
    app.mock.push(Reply::error(500, "blip"));
    assert_eq!(call(&app).await.status(), 500);
    for _ in 0..5 {
        assert_eq!(call(&app).await.status(), 200);
    }
    // A dead path does: the 4th failure in a row makes 5 of 10 calls, half.
    for _ in 0..4 {
        app.mock.push(Reply::error(502, "down"));
    }
    for _ in 0..4 {
        assert_eq!(call(&app).await.status(), 502);
    }
    let seen = app.mock.requests().len();
    let resp = call(&app).await;
    assert_eq!(resp.status(), 503, "open: refused without an upstream call");
    assert_eq!(retry_after(&resp), 1);
    assert!(
        json(resp).await["error"]["message"]
            .as_str()
            .expect("message")
            .contains("circuit open")
    );
    assert_eq!(app.mock.requests().len(), seen);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(call(&app).await.status(), 200, "the trial call succeeded");
    assert_eq!(call(&app).await.status(), 200, "closed again");
}

#[tokio::test]
async fn retries_stop_when_the_providers_budget_is_spent() {
    let app = pool(
        3,
        ", cooldown_transient_secs = 0, breaker_min_calls = 1000, retry_budget_floor = 2, retry_budget_percent = 0",
    )
    .await;
    for _ in 0..6 {
        app.mock.push(Reply::error(500, "down"));
    }
    let resp = call(&app).await;
    assert_eq!(resp.status(), 500);
    assert_eq!(app.mock.requests().len(), 3, "two retries: the floor");
    let resp = call(&app).await;
    assert_eq!(resp.status(), 500, "the upstream's answer relayed");
    assert!(
        resp.headers().get("x-should-retry").is_none(),
        "no failover this time"
    );
    assert_eq!(
        app.mock.requests().len(),
        4,
        "the budget is spent: one attempt"
    );
}

#[tokio::test]
async fn bad_breaker_and_budget_settings_stop_start_up() {
    let sick = "[[providers]]\nname = \"pool\"\nchannel = \"openai\"\ncredentials = [ { api_key = \"k\", state = { health = { kind = \"sick\" } } } ]\n";
    for (toml, needle) in [
        (
            pool_toml("http://127.0.0.1:1", 1, ", breaker_failure_percent = 0"),
            "settings.breaker_failure_percent must be 1 to 100",
        ),
        (
            pool_toml("http://127.0.0.1:1", 1, ", breaker_window_secs = 0"),
            "settings.breaker_window_secs must be at least 1",
        ),
        (
            pool_toml(
                "http://127.0.0.1:1",
                1,
                ", cache_breakpoints = [{ target = \"tools\", content_index = 1 }]",
            ),
            "settings.cache_breakpoints[0]: `content_position`/`content_index` apply to `messages` only",
        ),
        (
            pool_toml(
                "http://127.0.0.1:1",
                1,
                &format!(
                    ", cache_breakpoints = [{}]",
                    ["{ target = \"top_level\" }"; 5].join(", ")
                ),
            ),
            "settings.cache_breakpoints must be at most 4 rules",
        ),
        (
            sick.to_owned(),
            "credentials[0].state.health: kind must be `healthy`, `partial` or `dead`",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("gproxy.toml");
        std::fs::write(&config, toml).expect("write");
        let err = gproxy::load(gproxy::Cli {
            config: Some(config),
            data_dir: Some(dir.path().join("data")),
            ..gproxy::Cli::default()
        })
        .expect_err("invalid settings");
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[tokio::test]
async fn sticky_selection_keeps_one_key_until_it_cools() {
    let app = pool(3, ", credential_round_robin_enabled = false").await;
    for _ in 0..3 {
        assert_eq!(call(&app).await.status(), 200);
    }
    app.mock.push(Reply::error(429, "slow down"));
    assert_eq!(
        call(&app).await.status(),
        200,
        "failed over to the second key"
    );
    assert_eq!(call(&app).await.status(), 200);
    assert_eq!(
        keys_seen(&app),
        [
            "sk-up-1", "sk-up-1", "sk-up-1", "sk-up-1", "sk-up-2", "sk-up-2"
        ]
    );
}

#[tokio::test]
async fn a_provider_can_go_through_its_own_proxy() {
    // The mock answers a proxied request by its path: the provider's base URL points
    // nowhere reachable, so only the proxy can have delivered it.
    let app = spawn_with_seed(|mock| {
        format!(
            "[[providers]]\nname = \"pool\"\nchannel = \"openai\"\nsettings = {{ base_url = \"http://upstream.invalid/v1\", proxy = \"{mock}\" }}\ncredentials = [ {{ api_key = \"sk-up-1\" }} ]\n"
        )
    })
    .await;
    assert_eq!(call(&app).await.status(), 200);
    let seen = app.mock.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(seen[0].header("host"), Some("upstream.invalid"));
}

fn turns(n: usize, topic: &str) -> Value {
    let mut messages = Vec::new();
    for i in 0..n {
        messages.push(json!({"role": "user", "content": format!("{topic} question {i}")}));
        if i + 1 < n {
            messages.push(json!({"role": "assistant", "content": format!("answer {i}")}));
        }
    }
    json!({"model": "gpt-4.1", "messages": messages})
}

#[tokio::test]
async fn a_conversation_stays_on_the_credential_whose_cache_holds_it() {
    let app = pool(3, "").await;
    let mut conversation = Vec::new();
    let mut unrelated = Vec::new();
    for turn in 1..=4 {
        assert_eq!(
            app.post("/pool/v1/chat/completions", ALICE, turns(turn, "weather"))
                .await
                .status(),
            200
        );
        conversation.push(keys_seen(&app).last().cloned().expect("a key"));
        assert_eq!(
            app.post(
                "/pool/v1/chat/completions",
                ALICE,
                turns(1, &format!("topic {turn}"))
            )
            .await
            .status(),
            200
        );
        unrelated.push(keys_seen(&app).last().cloned().expect("a key"));
    }
    assert!(
        conversation.iter().all(|k| *k == conversation[0]),
        "one credential for the whole conversation: {conversation:?}"
    );
    let mut spread = unrelated.clone();
    spread.sort();
    spread.dedup();
    assert!(spread.len() >= 2, "unrelated prompts spread: {unrelated:?}");

    // Without affinity the same conversation moves with the round robin.
    let app = pool(3, ", credential_cache_affinity_enabled = false").await;
    for turn in 1..=3 {
        app.post("/pool/v1/chat/completions", ALICE, turns(turn, "weather"))
            .await;
    }
    let seen = keys_seen(&app);
    assert_eq!(seen, ["sk-up-1", "sk-up-2", "sk-up-3"]);
}

/// The issue's storm: one key dead, one rate-limited, one out of quota, one provider
/// answering 500s. Every call succeeds through the healthy path, with no more upstream
/// attempts than the retry budget allows, and the admin API shows what happened.
#[tokio::test]
async fn a_storm_is_weathered_through_the_healthy_paths() {
    let app = spawn_with(
        |cli| cli.admin_key = Some(ADMIN.into()),
        |mock| {
            format!(
                r#"
[[providers]]
name = "down"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "sk-down" }} ]

[[providers]]
name = "pool"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "sk-dead" }}, {{ api_key = "sk-limited" }}, {{ api_key = "sk-quota" }}, {{ api_key = "sk-good" }} ]

[[routes]]
name = "storm"
members = [
  {{ provider_name = "down", model_id = "gpt-4.1", tier = 0 }},
  {{ provider_name = "pool", model_id = "gpt-4.1", tier = 1 }},
]
"#
            )
        },
    )
    .await;
    app.mock
        .reply_to_key("sk-down", Reply::error(500, "internal error"));
    app.mock
        .reply_to_key("sk-dead", Reply::error(401, "invalid api key"));
    app.mock.reply_to_key(
        "sk-limited",
        Reply::error(429, "slow down").with_headers([("retry-after", "30")]),
    );
    app.mock.reply_to_key(
        "sk-quota",
        Reply::error(429, "quota").with_error_body(json!({"error": {
            "message": "You exceeded your current quota", "type": "insufficient_quota",
            "param": null, "code": "insufficient_quota"}})),
    );
    for i in 0..20 {
        let resp = app
            .post(
                "/v1/chat/completions",
                ALICE,
                json!({"model": "storm", "messages": [{"role": "user", "content": format!("call {i}")}]}),
            )
            .await;
        assert_eq!(resp.status(), 200, "call {i}");
    }
    // The first call meets every failure once (1 on `down`, 4 on `pool`); the next 19 go
    // straight to the healthy key: 24 upstream attempts for 20 calls.
    let seen = keys_seen(&app);
    assert_eq!(seen.len(), 24, "{seen:?}");
    assert_eq!(seen.iter().filter(|k| *k == "sk-good").count(), 20);

    let v = json(admin_get(&app, "/admin/credential-statuses?limit=500", Some(ADMIN)).await).await;
    let state_of = |provider: &str, index: usize| {
        v["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter(|r| r["provider"] == provider)
            .nth(index)
            .cloned()
            .expect("row")
    };
    assert_eq!(state_of("down", 0)["state"], "partial");
    assert_eq!(state_of("pool", 0)["state"], "dead");
    assert_eq!(state_of("pool", 1)["state"], "partial");
    assert_eq!(
        state_of("pool", 1)["last_error"],
        "rate limited: status 429"
    );
    assert_eq!(state_of("pool", 2)["state"], "partial");
    assert_eq!(
        state_of("pool", 2)["last_error"],
        "quota exhausted: status 429"
    );
    assert_eq!(state_of("pool", 3)["state"], "healthy");
    let until = |row: Value| {
        chrono::DateTime::parse_from_rfc3339(row["cooling"][0]["until"].as_str().expect("until"))
            .expect("RFC 3339")
            .timestamp()
            - i64::try_from(
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .expect("clock")
                    .as_secs(),
            )
            .expect("fits")
    };
    assert!((25..=30).contains(&until(state_of("pool", 1))));
    assert!((3590..=3600).contains(&until(state_of("pool", 2))));
    assert!((10..=15).contains(&until(state_of("down", 0))));
}

#[tokio::test]
async fn a_slow_credential_times_out_and_the_call_fails_over() {
    let app = spawn_with(
        |cli| cli.first_byte_timeout_secs = Some(1),
        |mock| pool_toml(mock, 2, ""),
    )
    .await;
    app.mock.reply_to_key(
        "sk-up-1",
        Reply::text("late").with_latency(Duration::from_secs(3)),
    );
    let started = Instant::now();
    let resp = call(&app).await;
    assert_eq!(resp.status(), 200, "the second key answered");
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_eq!(keys_seen(&app), ["sk-up-1", "sk-up-2"]);
    let ids = credential_ids(&app).await;
    let status = state_of(&app, ids[0]);
    assert_eq!(status.state, State::Partial);
    assert_eq!(
        status.last_error.as_deref(),
        Some("upstream failure: no response headers in time")
    );
}

#[tokio::test]
async fn signed_thinking_stays_with_its_credential_or_leaves_without_it() {
    let app = spawn_with_seed(|mock| {
        format!(
            "[[providers]]\nname = \"claude\"\nchannel = \"anthropic\"\nsettings = {{ base_url = \"{mock}\" }}\ncredentials = [ {{ api_key = \"sk-ant-1\" }}, {{ api_key = \"sk-ant-2\" }} ]\n"
        )
    })
    .await;
    let first = json!({"model": "claude-sonnet-4-5", "max_tokens": 1024,
        "thinking": {"type": "enabled", "budget_tokens": 512},
        "messages": [{"role": "user", "content": "weather in Paris?"}]});
    let mut next = first.clone();
    next["messages"] = json!([
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "I need the tool.", "signature": "c2lnbmVkIGJ5IGtleSAx"},
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]}]);
    let send = |body: Value| {
        let app = &app;
        async move {
            app.post_with("/claude/v1/messages", "x-api-key", ALICE, body)
                .await
                .status()
        }
    };
    let key_of =
        |r: &gproxy_testkit::RecordedRequest| r.header("x-api-key").unwrap_or_default().to_owned();
    assert_eq!(send(first.clone()).await, 200);
    assert_eq!(send(next.clone()).await, 200);
    let seen = app.mock.requests();
    assert_eq!(
        key_of(&seen[1]),
        key_of(&seen[0]),
        "the signer serves the next turn"
    );
    assert_eq!(
        seen[1].json()["messages"][1]["content"][0]["type"],
        "thinking"
    );

    // The signer is overloaded: the turn goes to the other key without the thinking it
    // could not verify (and with thinking off for the call), once.
    app.mock.reset();
    assert_eq!(send(first).await, 200);
    let signer = key_of(&app.mock.requests()[0]);
    app.mock
        .reply_to_key(signer.clone(), Reply::error(529, "overloaded"));
    assert_eq!(send(next).await, 200);
    let seen = app.mock.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(key_of(&seen[1]), signer);
    assert_eq!(
        seen[1].json()["messages"][1]["content"][0]["type"],
        "thinking"
    );
    assert_ne!(key_of(&seen[2]), signer);
    let retried = seen[2].json();
    assert_eq!(
        retried["messages"][1]["content"],
        json!([
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}])
    );
    assert!(retried.get("thinking").is_none());
}

#[tokio::test]
async fn load_moves_away_from_a_credential_about_to_hit_its_limit() {
    let app = pool(3, ", credential_cache_affinity_enabled = false").await;
    app.mock.reply_to_key(
        "sk-up-1",
        Reply::text("ok").with_headers([
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-reset-requests", "30s"),
        ]),
    );
    for _ in 0..4 {
        assert_eq!(call(&app).await.status(), 200);
    }
    assert_eq!(
        keys_seen(&app),
        ["sk-up-1", "sk-up-2", "sk-up-3", "sk-up-2"],
        "its turn came again, but it had no request left"
    );
    let ids = credential_ids(&app).await;
    assert_eq!(state_of(&app, ids[0]).state, State::Healthy, "not a fault");
}

#[tokio::test]
async fn reasoning_a_provider_cannot_verify_is_taken_out_and_sent_again() {
    let app = spawn_with_seed(|mock| {
        format!(
            "[[providers]]\nname = \"claude\"\nchannel = \"anthropic\"\nsettings = {{ base_url = \"{mock}\" }}\ncredentials = [ {{ api_key = \"sk-ant-1\" }}, {{ api_key = \"sk-ant-2\" }} ]\n"
        )
    })
    .await;
    // A history whose signer this gateway never saw (another instance, an expired entry).
    app.mock.push(Reply::error(
        400,
        "messages.1.content.0: Invalid `signature` in `thinking` block",
    ));
    let resp = app
        .post_with(
            "/claude/v1/messages",
            "x-api-key",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 1024,
                "thinking": {"type": "enabled", "budget_tokens": 512},
                "messages": [
                    {"role": "user", "content": "weather?"},
                    {"role": "assistant", "content": [
                        {"type": "thinking", "thinking": "tool", "signature": "c2lnbmVk"},
                        {"type": "text", "text": "Checking."}]},
                    {"role": "user", "content": "and tomorrow?"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let seen = app.mock.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("x-api-key"), seen[1].header("x-api-key"));
    assert_eq!(
        seen[1].json()["messages"][1]["content"],
        json!([{"type": "text", "text": "Checking."}])
    );
    // Any other 400 is the caller's, relayed as it came.
    app.mock.push(Reply::error(400, "max_tokens: too large"));
    let resp = app
        .post_with(
            "/claude/v1/messages",
            "x-api-key",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 1024,
                "messages": [
                    {"role": "user", "content": "weather?"},
                    {"role": "assistant", "content": [
                        {"type": "thinking", "thinking": "tool", "signature": "c2lnbmVk"},
                        {"type": "text", "text": "Checking."}]},
                    {"role": "user", "content": "and next week?"}]}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(app.mock.requests().len(), 3);
}

#[tokio::test]
async fn a_config_change_keeps_health_and_the_round_robin() {
    let app = spawn_with(
        |cli| cli.admin_key = Some(ADMIN.into()),
        |mock| pool_toml(mock, 3, ", credential_cache_affinity_enabled = false"),
    )
    .await;
    let ids = credential_ids(&app).await;
    // An admin write rebuilds the snapshot.
    let reload = |name: &'static str| {
        let app = &app;
        async move {
            let resp = app
                .http
                .post(app.url("/admin/routes"))
                .bearer_auth(ADMIN)
                .json(&json!({ "name": name }))
                .send()
                .await
                .expect("create");
            assert_eq!(resp.status(), 201);
        }
    };
    assert_eq!(call(&app).await.status(), 200);
    reload("first").await;
    assert_eq!(call(&app).await.status(), 200);
    app.mock.push(Reply::error(401, "revoked"));
    assert_eq!(
        call(&app).await.status(),
        200,
        "failed over from the revoked key"
    );
    reload("second").await;
    assert_eq!(
        keys_seen(&app),
        ["sk-up-1", "sk-up-2", "sk-up-3", "sk-up-1"],
        "the cursor moved on across the rebuild"
    );
    assert_eq!(
        state_of(&app, ids[2]).state,
        State::Dead,
        "and health stayed"
    );
}

#[tokio::test]
async fn payment_required_and_overloaded_each_cool_their_own_way() {
    let app = pool(3, ", credential_cache_affinity_enabled = false").await;
    app.mock
        .reply_to_key("sk-up-1", Reply::error(402, "payment required"));
    app.mock
        .reply_to_key("sk-up-2", Reply::error(529, "overloaded"));
    assert_eq!(call(&app).await.status(), 200);
    assert_eq!(keys_seen(&app), ["sk-up-1", "sk-up-2", "sk-up-3"]);
    let ids = credential_ids(&app).await;
    let left = |id: i64| {
        let s = state_of(&app, id);
        assert_eq!(s.state, State::Partial);
        s.cooling[0]
            .until
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .as_secs()
    };
    assert!((3590..=3600).contains(&left(ids[0])), "quota: an hour");
    assert!((10..=15).contains(&left(ids[1])), "overloaded: transient");
}
