//! The admin API end to end: an operator builds a team from nothing (provider, credential,
//! model with prices, user, key, permission), the new key calls through the proxy and is
//! billed exactly, and every change (disabling the key or the user, revoking the grant)
//! applies at the next request. Secrets read back masked, every write is audited.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

pub const ROOT: &str = "sk-root-admin-key";

/// The standard seed plus an administrator `root`.
pub async fn spawn_admin() -> TestApp {
    spawn_with_seed(|_| {
        format!(
            "[[users]]\nname = \"root\"\npassword = \"root-password\"\nis_admin = true\n\
             [[users.keys]]\napi_key = \"{ROOT}\"\n"
        )
    })
    .await
}

pub async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    app.send(ROOT, method, path, body).await
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// How many audit entries exist.
pub async fn audit_count(app: &TestApp) -> usize {
    let (_, page) = admin(app, Method::GET, "/admin/audit?limit=500", None).await;
    page["data"].as_array().map_or(0, Vec::len)
}

async fn chat(app: &TestApp, key: &str, model: &str) -> u16 {
    app.post(
        "/v1/chat/completions",
        key,
        json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn an_operator_runs_a_team_from_the_api_alone() {
    let app = spawn_admin().await;
    let base = app.mock.base_url();
    let audits = audit_count(&app).await;

    let (s, provider) = admin(
        &app,
        Method::POST,
        "/admin/providers",
        Some(json!({"name": "team-openai", "channel": "openai",
                    "settings": {"base_url": format!("{base}/v1")}})),
    )
    .await;
    assert_eq!(s, 201, "{provider}");
    let pid = id(&provider);
    assert_eq!(provider["enabled"], true);

    let (s, cred) = admin(
        &app,
        Method::POST,
        &format!("/admin/providers/{pid}/credentials"),
        Some(json!({"label": "main", "secret": "sk-team-upstream-0123456789"})),
    )
    .await;
    assert_eq!(s, 201, "{cred}");
    assert_eq!(cred["secret"], "sk-…6789", "write-only: read back masked");

    let (s, model) = admin(
        &app,
        Method::POST,
        &format!("/admin/providers/{pid}/models"),
        Some(json!({"model_id": "gpt-team", "price_input_per_mtok": "2",
                    "price_output_per_mtok": 8, "price_cache_read_per_mtok": "0.5",
                    "price_each_call": "0.001"})),
    )
    .await;
    assert_eq!(s, 201, "{model}");
    assert_eq!(
        (
            &model["price_output_per_mtok"],
            &model["price_cache_write_per_mtok"]
        ),
        (&json!("8"), &Value::Null)
    );

    let (s, user) = admin(
        &app,
        Method::POST,
        "/admin/users",
        Some(json!({"name": "erin", "password": "erin-password"})),
    )
    .await;
    assert_eq!(s, 201, "{user}");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    let uid = id(&user);

    let (s, key) = admin(
        &app,
        Method::POST,
        &format!("/admin/users/{uid}/keys"),
        Some(json!({"label": "ci"})),
    )
    .await;
    assert_eq!(s, 201, "{key}");
    let api_key = key["api_key"].as_str().expect("the key, once").to_owned();
    assert!(api_key.starts_with("sk-gp-") && api_key.len() > 40);
    let kid = id(&key);
    let (_, listed) = admin(&app, Method::GET, &format!("/admin/users/{uid}/keys"), None).await;
    let shown = listed["data"][0]["api_key"].as_str().expect("masked");
    assert!(
        shown.contains('…') && !shown.contains(&api_key[6..20]),
        "{shown}"
    );

    // No grant yet: default deny.
    assert_eq!(chat(&app, &api_key, "team-openai/gpt-team").await, 403);
    let (s, perm) = admin(
        &app,
        Method::POST,
        "/admin/permissions",
        Some(json!({"user_id": uid, "provider": "team-openai", "model_pattern": "gpt-*"})),
    )
    .await;
    assert_eq!(s, 201, "{perm}");
    assert_eq!(chat(&app, &api_key, "team-openai/gpt-team").await, 200);
    let upstream = app.mock.requests();
    let last = upstream.last().expect("reached the upstream");
    assert_key_swapped(last, "authorization", "Bearer sk-team-upstream-0123456789");

    // Billed exactly: (11 − 3) × 2 + 3 × 0.5 + 7 × 8 = 73.5 USD per million tokens, plus
    // 0.001 per call.
    app.state.queue.flush().await;
    let (_, usage) = admin(
        &app,
        Method::GET,
        &format!("/admin/usage?key_id={kid}"),
        None,
    )
    .await;
    assert_eq!(usage["data"][0]["cost_usd"], "0.0010735", "{usage}");
    let (_, summary) = admin(
        &app,
        Method::GET,
        &format!("/admin/usage/summary?group_by=user,model&user_id={uid}"),
        None,
    )
    .await;
    assert_eq!(summary["data"][0]["user_id"], json!(uid), "{summary}");
    assert_eq!(summary["data"][0]["model"], "gpt-team");
    assert_eq!(summary["total"]["cost_usd"], "0.0010735");
    assert_eq!(
        summary["total"]["requests"], 2,
        "the refused call counts, free"
    );
    let (_, served) = admin(
        &app,
        Method::GET,
        &format!("/admin/usage/summary?user_id={uid}&status=200&granularity=day"),
        None,
    )
    .await;
    assert_eq!(served["total"]["requests"], 1, "{served}");
    let (s, e) = admin(
        &app,
        Method::GET,
        "/admin/usage/summary?granularity=hour",
        None,
    )
    .await;
    assert_eq!(
        (s, &e["field"]),
        (400, &json!("from")),
        "an open hourly range: {e}"
    );
    let (s, hourly) = admin(
        &app,
        Method::GET,
        &format!("/admin/usage/summary?granularity=hour&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&user_id={uid}"),
        None,
    )
    .await;
    assert_eq!(
        (s, &hourly["total"]["requests"]),
        (200, &json!(0)),
        "{hourly}"
    );
    assert!(
        served["data"][0]["time"]
            .as_str()
            .is_some_and(|t| t.ends_with("T00:00:00Z"))
    );

    // Every change applies at the next request.
    let key_path = format!("/admin/keys/{kid}");
    let (s, _) = admin(
        &app,
        Method::PATCH,
        &key_path,
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(chat(&app, &api_key, "team-openai/gpt-team").await, 401);
    admin(
        &app,
        Method::PATCH,
        &key_path,
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(chat(&app, &api_key, "team-openai/gpt-team").await, 200);
    let (s, _) = admin(
        &app,
        Method::DELETE,
        &format!("/admin/permissions/{}", id(&perm)),
        None,
    )
    .await;
    assert_eq!(s, 204);
    assert_eq!(chat(&app, &api_key, "team-openai/gpt-team").await, 403);
    admin(
        &app,
        Method::POST,
        "/admin/permissions",
        Some(json!({"user_id": uid, "model_pattern": "*"})),
    )
    .await;
    assert_eq!(chat(&app, &api_key, "team-openai/gpt-team").await, 200);
    let user_path = format!("/admin/users/{uid}");
    admin(
        &app,
        Method::PATCH,
        &user_path,
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(chat(&app, &api_key, "team-openai/gpt-team").await, 401);
    admin(
        &app,
        Method::PATCH,
        &user_path,
        Some(json!({"enabled": true})),
    )
    .await;
    let past = "2020-01-01T00:00:00Z";
    let (s, e) = admin(
        &app,
        Method::PATCH,
        &key_path,
        Some(json!({"expires_at": past})),
    )
    .await;
    assert_eq!((s, &e["field"]), (400, &json!("expires_at")), "{e}");
    let (s, e) = admin(
        &app,
        Method::PATCH,
        &key_path,
        Some(json!({"expires_at": "2100-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!((s, &e["expires_at"]), (200, &json!("2100-01-01T00:00:00Z")));

    // A disabled provider stops serving; a re-enabled one serves again.
    let provider_path = format!("/admin/providers/{pid}");
    admin(
        &app,
        Method::PATCH,
        &provider_path,
        Some(json!({"enabled": false})),
    )
    .await;
    assert_ne!(chat(&app, &api_key, "team-openai/gpt-team").await, 200);
    admin(
        &app,
        Method::PATCH,
        &provider_path,
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(chat(&app, &api_key, "team-openai/gpt-team").await, 200);

    // Every write is in the audit log, without a secret.
    let (_, audit) = admin(&app, Method::GET, "/admin/audit?limit=500", None).await;
    let entries = audit["data"].as_array().expect("entries");
    assert_eq!(entries.len() - audits, 15, "one entry per write");
    let text = audit.to_string();
    assert!(!text.contains("sk-team-upstream-0123456789") && !text.contains(&api_key));
    assert!(!text.contains("erin-password") && !text.contains("argon2"));
    let created_user = entries
        .iter()
        .find(|e| e["resource"] == "users" && e["action"] == "create")
        .expect("the user's creation");
    assert_eq!(created_user["resource_id"], json!(uid));

    // Deleting: the provider goes with its credentials and models; the user with their keys.
    let (s, _) = admin(&app, Method::DELETE, &provider_path, None).await;
    assert_eq!(s, 204);
    let (s, _) = admin(
        &app,
        Method::GET,
        &format!("/admin/models/{}", id(&model)),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = admin(
        &app,
        Method::GET,
        &format!("/admin/credentials/{}", id(&cred)),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = admin(&app, Method::DELETE, &user_path, None).await;
    assert_eq!(s, 204);
    let (s, _) = admin(&app, Method::GET, &key_path, None).await;
    assert_eq!(s, 404);
    assert_eq!(chat(&app, &api_key, "openai-main/gpt-4.1").await, 401);
    let (_, usage) = admin(
        &app,
        Method::GET,
        &format!("/admin/usage?user_id={uid}"),
        None,
    )
    .await;
    assert!(
        !usage["data"].as_array().expect("rows").is_empty(),
        "usage stays"
    );
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_and_changes_nothing() {
    let app = spawn_admin().await;
    let (_, providers) = admin(&app, Method::GET, "/admin/providers", None).await;
    let openai = providers["data"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "openai-main"))
        .map(id)
        .expect("openai-main");
    let before = audit_count(&app).await;
    let creds = format!("/admin/providers/{openai}/credentials");
    let models = format!("/admin/providers/{openai}/models");
    let cases: Vec<(Method, String, Value, u16, &str)> = vec![
        (
            Method::POST,
            "/admin/providers".into(),
            json!({"name": "x", "channel": "openai", "colour": 1}),
            400,
            "colour",
        ),
        (
            Method::POST,
            "/admin/providers".into(),
            json!({"name": "x", "channel": "nope"}),
            400,
            "channel",
        ),
        (
            Method::POST,
            "/admin/providers".into(),
            json!({"name": "admin", "channel": "openai"}),
            400,
            "name",
        ),
        (
            Method::POST,
            "/admin/providers".into(),
            json!({"name": "x"}),
            400,
            "channel",
        ),
        (
            Method::POST,
            "/admin/providers".into(),
            json!({"name": "openai-main", "channel": "openai"}),
            409,
            "name",
        ),
        (
            Method::POST,
            "/admin/providers".into(),
            json!({"name": "x", "channel": "custom"}),
            400,
            "settings",
        ),
        (
            Method::POST,
            "/admin/providers".into(),
            json!({"name": "x", "channel": "openai", "enabled": "yes"}),
            400,
            "",
        ),
        (
            Method::POST,
            creds.clone(),
            json!({"secret": 42}),
            400,
            "secret",
        ),
        (
            Method::POST,
            creds.clone(),
            json!({"secret": {"token": "x"}}),
            400,
            "secret",
        ),
        (
            Method::POST,
            "/admin/providers/999999/credentials".into(),
            json!({"secret": "k"}),
            404,
            "",
        ),
        (
            Method::POST,
            models.clone(),
            json!({"model_id": "gpt-4.1"}),
            409,
            "model_id",
        ),
        (
            Method::POST,
            models.clone(),
            json!({"model_id": "m", "price_input_per_mtok": "-1"}),
            400,
            "price_input_per_mtok",
        ),
        (
            Method::POST,
            models.clone(),
            json!({"model_id": "m", "price_each_call": "0.0000000001"}),
            400,
            "price_each_call",
        ),
        (
            Method::POST,
            models.clone(),
            json!({"model_id": ""}),
            400,
            "model_id",
        ),
        (
            Method::POST,
            "/admin/aliases".into(),
            json!({"alias": "a", "provider": "ghost", "model_id": "m"}),
            400,
            "provider",
        ),
        (
            Method::POST,
            "/admin/aliases".into(),
            json!({"alias": "chat-default", "provider": "openai-main", "model_id": "m"}),
            409,
            "alias",
        ),
        (
            Method::POST,
            "/admin/users".into(),
            json!({"name": "alice", "password": "long-enough"}),
            409,
            "name",
        ),
        (
            Method::POST,
            "/admin/users".into(),
            json!({"name": "zed", "password": "short"}),
            400,
            "password",
        ),
        (
            Method::POST,
            "/admin/users".into(),
            json!({"name": "zed"}),
            400,
            "password",
        ),
        (
            Method::POST,
            "/admin/users".into(),
            json!({"name": "zed", "password": "long-enough", "is_admin": 1}),
            400,
            "",
        ),
        (
            Method::POST,
            "/admin/users/999999/keys".into(),
            json!({}),
            404,
            "",
        ),
        (
            Method::POST,
            "/admin/permissions".into(),
            json!({"user_id": "999999", "model_pattern": "*"}),
            400,
            "user_id",
        ),
        (
            Method::POST,
            "/admin/permissions".into(),
            json!({"user_id": "1", "provider": "ghost", "model_pattern": "*"}),
            400,
            "provider",
        ),
        (
            Method::POST,
            "/admin/permissions".into(),
            json!({"user_id": "1", "model_pattern": ""}),
            400,
            "model_pattern",
        ),
        (
            Method::PATCH,
            "/admin/providers/999999".into(),
            json!({"enabled": false}),
            404,
            "",
        ),
        (
            Method::PATCH,
            "/admin/models/abc".into(),
            json!({"enabled": false}),
            404,
            "",
        ),
        (
            Method::PATCH,
            format!("/admin/providers/{openai}"),
            json!({"settings": "x"}),
            400,
            "settings",
        ),
        (
            Method::DELETE,
            "/admin/users/999999".into(),
            Value::Null,
            404,
            "",
        ),
    ];
    for (method, path, body, status, field) in cases {
        let body = (!body.is_null()).then_some(body);
        let (s, answer) = admin(&app, method.clone(), &path, body.clone()).await;
        assert_eq!(s, status, "{method} {path} {body:?}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
        if !field.is_empty() {
            assert_eq!(answer["field"], field, "{method} {path}: {answer}");
        }
    }
    // Deleting a provider an alias names is refused; the last administrator stays one.
    let (s, answer) = admin(
        &app,
        Method::DELETE,
        &format!("/admin/providers/{openai}"),
        None,
    )
    .await;
    assert_eq!(s, 409, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("chat-default")
    );
    let (_, me) = admin(&app, Method::GET, "/user/me", None).await;
    let (s, answer) = admin(
        &app,
        Method::PATCH,
        &format!("/admin/users/{}", id(&me)),
        Some(json!({"is_admin": false})),
    )
    .await;
    assert_eq!((s, &answer["field"]), (409, &json!("is_admin")), "{answer}");
    assert_eq!(audit_count(&app).await, before, "nothing was written");

    // Not an administrator: 403; no key: 401.
    let (s, _) = app.send(ALICE, Method::GET, "/admin/providers", None).await;
    assert_eq!(s, 403);
    let resp = app
        .http
        .get(app.url("/admin/users"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn users_manage_their_own_keys_and_password_and_log_in_with_a_session() {
    let app = spawn_admin().await;
    let (s, created) = app
        .send(
            ALICE,
            Method::POST,
            "/user/keys",
            Some(json!({"label": "laptop"})),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let key = created["api_key"].as_str().expect("shown once").to_owned();
    let kid = id(&created);
    assert_eq!(chat(&app, &key, "openai-main/gpt-4.1").await, 200);
    let (_, mine) = app.send(ALICE, Method::GET, "/user/keys", None).await;
    let listed = mine["data"].as_array().expect("keys");
    assert!(listed.iter().all(|k| k["user_id"] == listed[0]["user_id"]));
    assert!(!mine.to_string().contains(&key), "listed masked");
    // Another user's key is not there for them.
    let (s, _) = app
        .send(
            BOB,
            Method::PATCH,
            &format!("/user/keys/{kid}"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .send(BOB, Method::DELETE, &format!("/user/keys/{kid}"), None)
        .await;
    assert_eq!(s, 404);
    let (s, patched) = app
        .send(
            ALICE,
            Method::PATCH,
            &format!("/user/keys/{kid}"),
            Some(json!({"enabled": false, "label": "old laptop"})),
        )
        .await;
    assert_eq!((s, &patched["label"]), (200, &json!("old laptop")));
    assert_eq!(chat(&app, &key, "openai-main/gpt-4.1").await, 401);
    let (s, _) = app
        .send(ALICE, Method::DELETE, &format!("/user/keys/{kid}"), None)
        .await;
    assert_eq!(s, 204);

    // Password change: the current one must match; the new one logs in.
    let (s, e) = app
        .send(
            ALICE,
            Method::POST,
            "/user/password",
            Some(json!({"current_password": "nope", "new_password": "a-new-password"})),
        )
        .await;
    assert_eq!((s, &e["field"]), (400, &json!("current_password")), "{e}");
    let (s, _) = app
        .send(
            ALICE,
            Method::POST,
            "/user/password",
            Some(json!({"current_password": "alice-pw", "new_password": "a-new-password"})),
        )
        .await;
    assert_eq!(s, 204);
    let login = |password: &'static str| {
        app.http
            .post(app.url("/login"))
            .json(&json!({"name": "alice", "password": password}))
            .send()
    };
    assert_eq!(login("alice-pw").await.expect("send").status(), 401);
    let resp = login("a-new-password").await.expect("send");
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        (&body["user"]["name"], &body["user"]["is_admin"]),
        (&json!("alice"), &json!(false))
    );
    let session = cookie.split(';').next().expect("pair").to_owned();
    let with_cookie = |method: Method, path: &str| {
        app.http
            .request(method, app.url(path))
            .header("cookie", session.clone())
            .send()
    };
    assert_eq!(
        with_cookie(Method::GET, "/user/me")
            .await
            .expect("send")
            .status(),
        200
    );
    assert_eq!(
        with_cookie(Method::GET, "/admin/users")
            .await
            .expect("send")
            .status(),
        403
    );
    let out = with_cookie(Method::POST, "/logout").await.expect("send");
    assert_eq!(out.status(), 204);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    let after = with_cookie(Method::GET, "/user/me").await.expect("send");
    assert_eq!(after.status(), 401, "the session is over");

    // An administrator's session reaches the admin API; TLS makes the cookie Secure.
    let resp = app
        .http
        .post(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"name": "root", "password": "root-password"}))
        .send()
        .await
        .expect("send");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.ends_with("Secure"), "{cookie}");
    let session = cookie.split(';').next().expect("pair").to_owned();
    let users = app
        .http
        .get(app.url("/admin/users"))
        .header("cookie", session)
        .send()
        .await
        .expect("send");
    assert_eq!(users.status(), 200);
}

#[tokio::test]
async fn the_config_exports_and_imports_through_the_api() {
    let app = spawn_admin().await;
    let resp = app
        .http
        .get(app.url("/admin/config/export"))
        .bearer_auth(ROOT)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/toml");
    let bundle = resp.text().await.expect("text");
    assert!(
        bundle.contains("openai-main") && bundle.contains(UP_OPENAI),
        "secrets included"
    );

    let renamed = bundle.replace("chat-default", "chat-imported");
    let resp = app
        .http
        .post(app.url("/admin/config/import"))
        .bearer_auth(ROOT)
        .header("content-type", "application/toml")
        .body(renamed)
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    assert_eq!(
        chat(&app, ALICE, "chat-imported").await,
        200,
        "applied at once"
    );

    let before = audit_count(&app).await;
    let resp = app
        .http
        .post(app.url("/admin/config/import"))
        .bearer_auth(ROOT)
        .header("content-type", "application/toml")
        .body("[[providers]]\nname = \"broken\"\nchannel = \"nope\"\n")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
    let answer: Value = resp.json().await.expect("json");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("line"),
        "{answer}"
    );
    assert_eq!(audit_count(&app).await, before);
}
