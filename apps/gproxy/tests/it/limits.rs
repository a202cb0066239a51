//! Rate limits as callers meet them: a full window answers 429 in the caller's shape with
//! `retry-after` and never reaches the upstream; tokens are reserved from `max_tokens` when
//! a call starts (so concurrent streams cannot blow through a token limit) and settled from
//! real usage when it ends; rules apply by model pattern, per user.

use crate::helpers::*;
use gproxy_testkit::{MockUsage, Reply};
use serde_json::json;
use std::time::Duration;

async fn chat(app: &TestApp, model: &str, max_tokens: u64, stream: bool) -> reqwest::Response {
    app.post(
        "/v1/chat/completions",
        ALICE,
        json!({"model": model, "max_tokens": max_tokens, "stream": stream,
               "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
}

#[tokio::test]
async fn requests_per_minute_refuse_in_the_callers_shape_before_the_upstream() {
    let app = spawn_with_seed(|_| {
        "[[rate_limits]]\nuser_name = \"alice\"\nmodel_pattern = \"gpt-*\"\nrpm = 2\n".into()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            chat(&app, "openai-main/gpt-4.1", 16, false).await.status(),
            200
        );
    }
    let refused = chat(&app, "openai-main/gpt-4.1", 16, false).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let body = json(refused).await;
    assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("2 requests per minute"),
        "{body}"
    );
    assert_eq!(
        app.mock.requests().len(),
        2,
        "the refused call never went upstream"
    );
    let rows = app.wait_usages(3).await;
    assert_eq!(
        (
            rows[0].status,
            rows[0].model.as_str(),
            rows[0].cost_nano,
            rows[0].output_tokens
        ),
        (429, "gpt-4.1", Some(0), 0),
        "the refusal is on record, free"
    );

    // The rule covers gpt-* only; Anthropic's shape for a refusal on its surface.
    let other = app
        .post(
            "/anthropic-main/v1/messages",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": []}),
        )
        .await;
    assert_eq!(other.status(), 200, "another model is not limited");
}

#[tokio::test]
async fn concurrent_streams_cannot_blow_through_a_token_limit() {
    let app =
        spawn_with_seed(|_| "[[rate_limits]]\nuser_name = \"alice\"\ntpm = 1000\n".into()).await;
    // The first stream stays open for a while and really uses 20 tokens.
    app.mock.push(
        Reply::text("a b c d")
            .with_chunk_delay(Duration::from_millis(150))
            .with_usage(MockUsage {
                input: 12,
                output: 8,
                cache_read: 0,
                cache_write: 0,
                reasoning: 0,
            }),
    );
    let first = chat(&app, "openai-main/gpt-4.1", 600, true).await;
    assert_eq!(first.status(), 200);
    // While it streams, its 600-token worst case holds the room.
    let second = chat(&app, "openai-main/gpt-4.1", 600, true).await;
    assert_eq!(second.status(), 429, "reserved, not yet settled");
    let body = json(second).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("tokens per minute"),
        "{body}"
    );
    first.text().await.expect("the first stream ends");
    // Settled to its 20 real tokens: the room is back.
    let mut admitted = false;
    for _ in 0..50 {
        let third = chat(&app, "openai-main/gpt-4.1", 600, false).await;
        if third.status() == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        admitted,
        "the settled stream gave back its unused reservation"
    );
    // A request that could never fit is refused however idle the window.
    assert_eq!(
        chat(&app, "openai-main/gpt-4.1", 5_000, false)
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn limits_are_per_user() {
    let app = spawn_with_seed(|_| "[[rate_limits]]\nuser_name = \"bob\"\nrpm = 1\n".into()).await;
    for _ in 0..3 {
        assert_eq!(
            chat(&app, "openai-main/gpt-4.1", 16, false).await.status(),
            200,
            "alice"
        );
    }
    let bob = |n: usize| {
        let app = &app;
        async move {
            app.post(
                "/openai-main/v1/chat/completions",
                BOB,
                json!({"model": "gpt-4.1", "messages": [], "max_tokens": n}),
            )
            .await
            .status()
        }
    };
    assert_eq!(bob(1).await, 200);
    assert_eq!(bob(1).await, 429);
}

/// 50 calls at once against a budget that affords 10: exactly 10 are served and billed (each
/// reserves its worst case, $0.01 a call, before it is sent), the rest are refused before
/// the upstream, and the stored quota's `used` is the sum of the served calls' costs to the
/// nano-dollar.
#[tokio::test]
async fn fifty_concurrent_calls_against_a_quota_that_affords_ten() {
    let app = spawn_with_seed(|_| {
        "[[models]]\nprovider_name = \"openai-main\"\nmodel_id = \"gpt-4.1-mini\"\n\
         price_each_call = \"0.01\"\n\n[[quotas]]\nuser_name = \"alice\"\nquota = \"0.1\"\n"
            .into()
    })
    .await;
    let calls = (0..50).map(|_| chat(&app, "openai-main/gpt-4.1-mini", 16, false));
    let statuses: Vec<u16> = futures_util::future::join_all(calls)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let served = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(served, 10, "{statuses:?}");
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 402),
        "a fixed budget refuses with 402: {statuses:?}"
    );
    assert_eq!(
        app.mock.requests().len(),
        10,
        "refusals never reach the upstream"
    );
    let rows = app.wait_usages(50).await;
    let served_rows = rows.iter().filter(|u| u.status == 200).count();
    let billed: i64 = rows.iter().filter_map(|u| u.cost_nano).sum();
    assert_eq!((rows.len(), served_rows, billed), (50, 10, 100_000_000));
    assert!(
        rows.iter()
            .filter(|u| u.status == 402)
            .all(|u| u.cost_nano == Some(0) && u.input_tokens == 0),
        "each refusal leaves a record with zero tokens and cost"
    );
    let stored = app.state.store.load().await.expect("load").quotas;
    assert_eq!(
        stored[0].used_nano, billed,
        "the store's balance is the sum of the costs"
    );

    let refused = chat(&app, "openai-main/gpt-4.1-mini", 16, false).await;
    assert_eq!(refused.status(), 402);
    let body = json(refused).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("0.1 USD used"),
        "{body}"
    );
}

/// A user with a quota may call only priced models; a daily budget refuses with 429 and
/// the seconds until midnight UTC.
#[tokio::test]
async fn quotas_need_a_price_and_a_daily_one_comes_back_tomorrow() {
    let app = spawn_with_seed(|_| {
        "[[models]]\nprovider_name = \"openai-main\"\nmodel_id = \"gpt-4.1-mini\"\n\
         price_each_call = \"0.5\"\n\n[[quotas]]\nuser_name = \"alice\"\nquota = \"1\"\n\
         period = \"daily\"\n"
            .into()
    })
    .await;
    let unpriced = chat(&app, "openai-main/gpt-unlisted-model", 16, false).await;
    assert_eq!(unpriced.status(), 403);
    let body = json(unpriced).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("has no price"),
        "{body}"
    );
    for _ in 0..2 {
        assert_eq!(
            chat(&app, "openai-main/gpt-4.1-mini", 16, false)
                .await
                .status(),
            200
        );
    }
    let spent = chat(&app, "openai-main/gpt-4.1-mini", 16, false).await;
    assert_eq!(spent.status(), 429);
    let retry: u64 = spent.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=86_400).contains(&retry), "{retry}");
}

/// A user reads their own quota (live: what is used this period) and rate limits; an admin
/// reads everyone's, filtered by user; a user without a quota gets 404, and the admin
/// collections refuse a non-admin.
#[tokio::test]
async fn users_and_admins_read_limits_and_live_balances() {
    let app = spawn_with_seed(|_| {
        "[[models]]\nprovider_name = \"openai-main\"\nmodel_id = \"gpt-4.1-mini\"\n\
         price_each_call = \"0.25\"\n\n[[quotas]]\nuser_name = \"alice\"\nquota = \"10\"\n\
         period = \"monthly\"\n\n[[rate_limits]]\nuser_name = \"alice\"\nmodel_pattern = \"gpt-*\"\n\
         rpm = 100\ntpd = 5000\n\n[[users]]\nname = \"root\"\nis_admin = true\n\
         [[users.keys]]\napi_key = \"sk-root\"\n"
            .into()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            chat(&app, "openai-main/gpt-4.1-mini", 16, false)
                .await
                .status(),
            200
        );
    }
    let quota = json(app.get("/user/quota", ALICE).await).await;
    assert_eq!(
        (
            &quota["limit_usd"],
            &quota["used_usd"],
            &quota["reserved_usd"],
            &quota["period"]
        ),
        (&json!("10"), &json!("0.5"), &json!("0"), &json!("monthly")),
        "{quota}"
    );
    let me = json(app.get("/user/me", ALICE).await).await;
    assert_eq!(
        (&me["name"], &me["is_admin"]),
        (&json!("alice"), &json!(false))
    );
    let limits = json(app.get("/user/rate-limits", ALICE).await).await;
    assert_eq!(limits["data"][0]["model_pattern"], "gpt-*");
    assert_eq!(
        (&limits["data"][0]["rpm"], &limits["data"][0]["tpd"]),
        (&json!(100), &json!(5000))
    );
    assert_eq!(limits["data"][0]["tpm"], serde_json::Value::Null);

    let none = app.get("/user/quota", BOB).await;
    assert_eq!(none.status(), 404);
    assert_eq!(app.get("/admin/quotas", BOB).await.status(), 403);

    let all = json(app.get("/admin/quotas", "sk-root").await).await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(all["data"][0]["used_usd"], "0.5", "the live balance: {all}");
    let user_id = me["id"].as_str().unwrap_or_default().to_owned();
    let mine = json(
        app.get(&format!("/admin/rate-limits?user_id={user_id}"), "sk-root")
            .await,
    )
    .await;
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1), "{mine}");
    let nobody = json(app.get("/admin/rate-limits?user_id=999", "sk-root").await).await;
    assert_eq!(nobody["data"], json!([]));
    let bad = app.get("/admin/quotas?user_id=alice", "sk-root").await;
    assert_eq!(bad.status(), 400);
    assert_eq!(json(bad).await["field"], "user_id");
}

/// A call the upstream fails costs nothing, not even the per-call price, and gives its quota
/// reservation back.
#[tokio::test]
async fn a_failed_call_is_not_billed() {
    let app = spawn_with_seed(|_| {
        "[[models]]\nprovider_name = \"openai-main\"\nmodel_id = \"gpt-4.1-mini\"\n\
         price_each_call = \"0.5\"\n\n[[quotas]]\nuser_name = \"alice\"\nquota = \"0.5\"\n"
            .into()
    })
    .await;
    app.mock
        .push(Reply::error(400, "the upstream refused the request"));
    let failed = chat(&app, "openai-main/gpt-4.1-mini", 16, false).await;
    assert_eq!(failed.status(), 400);
    let rows = app.wait_usages(1).await;
    assert_eq!((rows[0].status, rows[0].cost_nano), (400, Some(0)));
    assert_eq!(
        chat(&app, "openai-main/gpt-4.1-mini", 16, false)
            .await
            .status(),
        200,
        "budget intact"
    );
}

/// A user lists their own usage (never another's), newest first, with costs as exact
/// decimals; an admin lists everyone's, filtered; bad filters name the field.
#[tokio::test]
async fn usage_is_listed_for_the_user_and_the_admin() {
    let app = spawn_with_seed(|_| {
        "[[models]]\nprovider_name = \"openai-main\"\nmodel_id = \"gpt-4.1-mini\"\n\
         price_each_call = \"0.0025\"\n\n[[users]]\nname = \"root\"\nis_admin = true\n\
         [[users.keys]]\napi_key = \"sk-root\"\n"
            .into()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            chat(&app, "openai-main/gpt-4.1-mini", 16, false)
                .await
                .status(),
            200
        );
    }
    let bob = app
        .post(
            "/openai-main/v1/chat/completions",
            BOB,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    assert_eq!(bob.status(), 200);
    app.wait_usages(4).await;

    let mine = json(app.get("/user/usage?limit=2", ALICE).await).await;
    let data = mine["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 2, "{mine}");
    assert_eq!(
        (&data[0]["model"], &data[0]["cost_usd"]),
        (&json!("gpt-4.1-mini"), &json!("0.0025"))
    );
    let cursor = mine["next_cursor"].as_str().expect("more").to_owned();
    let rest = json(
        app.get(&format!("/user/usage?limit=2&cursor={cursor}"), ALICE)
            .await,
    )
    .await;
    assert_eq!(rest["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["next_cursor"], serde_json::Value::Null);
    let bobs = json(app.get("/user/usage", BOB).await).await;
    assert_eq!(
        bobs["data"].as_array().map(Vec::len),
        Some(1),
        "only bob's own"
    );

    let admin = json(
        app.get(
            "/admin/usage?model=gpt-4.1-mini&from=2020-01-01T00:00:00Z",
            "sk-root",
        )
        .await,
    )
    .await;
    assert_eq!(admin["data"].as_array().map(Vec::len), Some(3), "{admin}");
    let later = json(app.get("/admin/usage?from=4102444800", "sk-root").await).await;
    assert_eq!(later["data"], json!([]), "epoch seconds filter");
    let bad = app.get("/admin/usage?from=yesterday", "sk-root").await;
    assert_eq!(bad.status(), 400);
    assert_eq!(json(bad).await["field"], "from");
    let sneaky = app.get("/user/usage?user_id=2", ALICE).await;
    assert_eq!(
        sneaky.status(),
        400,
        "a user cannot ask for another's usage"
    );
    assert_eq!(app.get("/admin/usage", ALICE).await.status(), 403);
}
