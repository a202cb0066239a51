//! Authentication, permissions and login.

use crate::helpers::*;
use serde_json::json;

fn chat() -> serde_json::Value {
    json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn every_key_location_is_accepted() {
    let app = spawn_app().await;
    let url = app.url("/openai-main/v1/chat/completions");
    let reqs = [
        app.http.post(&url).header("x-api-key", ALICE),
        app.http
            .post(&url)
            .header("authorization", format!("Bearer {ALICE}")),
        app.http.post(&url).header("x-goog-api-key", ALICE),
        app.http.post(format!("{url}?key={ALICE}")),
    ];
    for req in reqs {
        let resp = req.json(&chat()).send().await.expect("request");
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(app.mock.requests().len(), 4);
}

#[tokio::test]
async fn bad_keys_get_401_in_the_callers_shape_and_nothing_is_forwarded() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(app.url("/openai-main/v1/chat/completions"))
        .json(&chat())
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 401);
    assert_eq!(json(resp).await["error"]["type"], "authentication_error");

    for key in ["sk-nope", DISABLED_KEY, CAROL] {
        let resp = app
            .post_with(
                "/anthropic-main/v1/messages",
                "x-api-key",
                key,
                json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": []}),
            )
            .await;
        assert_eq!(resp.status(), 401, "{key}");
        // Claude Code and the SDKs retry a 401 for minutes without this.
        assert_eq!(resp.headers()["x-should-retry"], "false");
        let v = json(resp).await;
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "authentication_error");
    }
    let resp = app
        .http
        .post(app.url("/gemini-main/v1beta/models/gemini-2.5-flash:generateContent?key=sk-nope"))
        .json(&json!({"contents": []}))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 401);
    assert_eq!(json(resp).await["error"]["status"], "UNAUTHENTICATED");
    assert!(app.mock.requests().is_empty());
}

#[tokio::test]
async fn permissions_are_enforced_per_provider_and_pattern() {
    let app = spawn_app().await;
    assert_eq!(
        app.post("/openai-main/v1/chat/completions", BOB, chat())
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post(
            "/v1/chat/completions",
            BOB,
            json!({"model": "chat-default", "messages": []})
        )
        .await
        .status(),
        200,
        "the alias resolves to gpt-4.1, which bob may use"
    );
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            BOB,
            json!({"model": "o3", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(json(resp).await["error"]["type"], "permission_error");
    let resp = app
        .post_with(
            "/anthropic-main/v1/messages",
            "x-api-key",
            BOB,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(json(resp).await["error"]["type"], "permission_error");
    assert_eq!(
        app.mock.requests().len(),
        2,
        "denied calls are not forwarded"
    );
}

#[tokio::test]
async fn login_returns_a_working_key() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "alice", "password": "alice-pw"}))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["api_key"], ALICE);

    let resp = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "alice", "password": "wrong"}))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 401);
    assert_eq!(json(resp).await["error"], "invalid name or password");
    let resp = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "carol", "password": "carol-pw"}))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 403);
    let resp = app
        .http
        .post(app.url("/login"))
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 400);

    // dave has no key yet: login creates one, stable across logins, and it works at once.
    let resp = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "dave", "password": "dave-pw"}))
        .send()
        .await
        .expect("req");
    let key = json(resp).await["api_key"]
        .as_str()
        .expect("key")
        .to_owned();
    assert!(key.starts_with("sk-gp-"));
    let again = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "dave", "password": "dave-pw"}))
        .send()
        .await
        .expect("req");
    assert_eq!(json(again).await["api_key"], key.as_str());
    assert_eq!(
        app.post("/openai-main/v1/chat/completions", &key, chat())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn health_endpoints() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/healthz")).send().await.expect("req");
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["status"], "ok");
    let resp = app.http.get(app.url("/readyz")).send().await.expect("req");
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["status"], "ready");
    let resp = app
        .http
        .get(app.url("/no/such/route/at/all"))
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 404);
    assert!(json(resp).await["error"].is_string());
}

async fn login(app: &TestApp, name: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/login"))
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .expect("request")
}

/// Five failed logins for an account within 15 minutes: the next attempt, even with the
/// right password, is 429 with `retry-after`, and no password is checked. Other accounts
/// are unaffected; a success clears the account's count.
#[tokio::test]
async fn failed_logins_are_throttled_per_account() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let resp = login(&app, "alice", "wrong").await;
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.headers()["x-should-retry"], "false");
    }
    for password in ["wrong", "alice-pw"] {
        let resp = login(&app, "alice", password).await;
        assert_eq!(resp.status(), 429);
        let wait: u64 = resp.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((800..=900).contains(&wait), "{wait}");
        assert!(json(resp).await["error"].is_string());
    }
    // bob: a success clears the count.
    for _ in 0..4 {
        assert_eq!(login(&app, "bob", "wrong").await.status(), 401);
    }
    assert_eq!(login(&app, "bob", "bob-pw").await.status(), 200);
    for _ in 0..4 {
        assert_eq!(login(&app, "bob", "wrong").await.status(), 401);
    }
    assert_eq!(login(&app, "bob", "bob-pw").await.status(), 200);
}

/// One address guessing across many accounts is stopped too (20 failures), unknown names
/// included.
#[tokio::test]
async fn failed_logins_are_throttled_per_address() {
    let app = spawn_app().await;
    for i in 0..20 {
        assert_eq!(login(&app, &format!("nobody-{i}"), "x").await.status(), 401);
    }
    let resp = login(&app, "dave", "dave-pw").await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
}

/// An unknown name takes as long as a wrong password (both verify an Argon2 hash), so
/// response times do not reveal which accounts exist.
#[tokio::test]
async fn unknown_names_take_as_long_as_wrong_passwords() {
    let app = spawn_app().await;
    let mut known = std::time::Duration::ZERO;
    let mut unknown = std::time::Duration::ZERO;
    // Alternate, so load on the machine affects both alike; 3 tries per account stays
    // under the per-account limit, 12 failures under the per-address one.
    for i in 0..6 {
        let (name, who) = if i % 2 == 0 {
            (["alice", "bob", "dave"][i / 2], &mut known)
        } else {
            ("no-such-user", &mut unknown)
        };
        let started = std::time::Instant::now();
        assert_eq!(login(&app, name, "wrong-password").await.status(), 401);
        *who += started.elapsed();
    }
    assert!(
        unknown * 3 >= known,
        "unknown names answer much faster ({unknown:?}) than wrong passwords ({known:?})"
    );
}

/// Guesses sent in parallel cannot slip under the limit: an attempt counts from the moment
/// it is admitted, not when its hash check ends.
#[tokio::test]
async fn parallel_guesses_are_throttled_too() {
    let app = spawn_app().await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move {
            login(app, "alice", &format!("guess-{i}"))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 15), "{statuses:?}");
    let resp = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "x".repeat(300), "password": "p"}))
        .send()
        .await
        .expect("request");
    assert_eq!(
        resp.status(),
        400,
        "names longer than any account are refused"
    );
}

/// A key past its `expires_at` is refused at once with a message saying when it expired; one
/// that expires later works until then.
#[tokio::test]
async fn an_expired_key_is_refused_naming_when() {
    let app = spawn_with_seed(|_| {
        "[[users]]\nname = \"erin\"\n\
         [[users.keys]]\napi_key = \"sk-erin-old\"\nexpires_at = 2020-01-01T00:00:00Z\n\
         [[users.keys]]\napi_key = \"sk-erin-new\"\nexpires_at = \"2099-01-01T00:00:00Z\"\n\
         [[permissions]]\nuser_name = \"erin\"\nmodel_pattern = \"*\"\n"
            .into()
    })
    .await;
    let call = |key: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/openai-main/v1/chat/completions",
                key,
                serde_json::json!({"model": "gpt-4.1", "messages": []}),
            )
            .await
        }
    };
    let old = call("sk-erin-old").await;
    assert_eq!(old.status(), 401);
    let body = json(old).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired at 2020-01-01T00:00:00Z"),
        "{body}"
    );
    assert_eq!(call("sk-erin-new").await.status(), 200);
}
