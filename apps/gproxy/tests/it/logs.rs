//! Request logs: captured with headers and bodies, masked before they are stored (no client
//! key, upstream credential or masked body field in any stored row, read from the store and
//! through the API), and queried through `GET /admin/logs` and `GET /admin/logs/{id}`.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

const ROOT: &str = "sk-root-logs";
/// A value only a masked body field holds.
const SECRET: &str = "hunter2-body-secret";

fn root_user(_: &str) -> String {
    format!("[[users]]\nname = \"root\"\nis_admin = true\n[[users.keys]]\napi_key = \"{ROOT}\"\n")
}

/// The gateway with every log and body captured; `mask` is `mask_sensitive_info`.
async fn logging_app(mask: bool) -> TestApp {
    spawn_with(
        |cli| {
            cli.enable_downstream_log_body = Some(true);
            cli.enable_upstream_log_body = Some(true);
            cli.mask_sensitive_info = Some(mask);
        },
        root_user,
    )
    .await
}

/// One call per place a client key can be: `Authorization`, `x-api-key`,
/// `x-goog-api-key` and `?key=`, each body holding [`SECRET`] in a masked field; returns
/// their request ids.
async fn calls_with_every_key_placement(app: &TestApp) -> Vec<String> {
    let id = |resp: &reqwest::Response| {
        assert_eq!(resp.status(), 200);
        resp.headers()["x-gproxy-request-id"]
            .to_str()
            .expect("id")
            .to_owned()
    };
    let mut ids = Vec::new();
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": [], "metadata": {"password": SECRET}}),
        )
        .await;
    ids.push(id(&resp));
    let resp = app
        .post_with(
            "/anthropic-main/v1/messages",
            "x-api-key",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [],
                   "api_key": SECRET}),
        )
        .await;
    ids.push(id(&resp));
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                        "secret": {"nested": SECRET}});
    let resp = app
        .post_with(
            "/gemini-main/v1beta/models/gemini-2.5-flash:generateContent",
            "x-goog-api-key",
            ALICE,
            gemini.clone(),
        )
        .await;
    ids.push(id(&resp));
    let resp = app
        .http
        .post(app.url(&format!(
            "/gemini-main/v1beta/models/gemini-2.5-flash:generateContent?key={ALICE}"
        )))
        .json(&gemini)
        .send()
        .await
        .expect("request");
    ids.push(id(&resp));
    ids
}

/// Every stored log row, as JSON text: the downstream and upstream tables read from the
/// store, and each request's entry through the store's by-id query.
async fn stored_logs(app: &TestApp, ids: &[String]) -> String {
    let mut all = serde_json::to_string(&app.downstream().await).expect("json");
    all += &serde_json::to_string(&app.upstream().await).expect("json");
    for id in ids {
        let one = app.state.store.request_log(id).await.expect("read");
        all += &serde_json::to_string(&one).expect("json");
    }
    all
}

/// The same rows through the API: the listing and each request's detail.
async fn api_logs(app: &TestApp, ids: &[String]) -> String {
    let (status, list) = app
        .send(ROOT, Method::GET, "/admin/logs?limit=500", None)
        .await;
    assert_eq!(status, 200, "{list}");
    let mut all = list.to_string();
    for id in ids {
        let (status, one) = app
            .send(ROOT, Method::GET, &format!("/admin/logs/{id}"), None)
            .await;
        assert_eq!(status, 200, "{one}");
        all += &one.to_string();
    }
    all
}

fn assert_no_credential(text: &str) {
    for secret in [ALICE, UP_OPENAI, UP_ANTHROPIC, UP_GEMINI] {
        assert!(!text.contains(secret), "`{secret}` stored in a log: {text}");
    }
}

#[tokio::test]
async fn no_key_auth_header_or_masked_field_is_stored() {
    let app = logging_app(true).await;
    let ids = calls_with_every_key_placement(&app).await;
    let stored = stored_logs(&app, &ids).await;
    let shown = api_logs(&app, &ids).await;
    for text in [&stored, &shown] {
        assert_no_credential(text);
        assert!(!text.contains(SECRET), "a masked body field stored: {text}");
    }

    // What is kept instead: the names, with `***`.
    let (_, openai) = app
        .send(ROOT, Method::GET, &format!("/admin/logs/{}", ids[0]), None)
        .await;
    assert_eq!(openai["request_headers"]["authorization"], "***");
    assert_eq!(
        openai["request_headers"]["content-type"],
        "application/json"
    );
    assert_eq!(
        openai["response_headers"]["x-gproxy-request-id"],
        ids[0].as_str()
    );
    let body: Value =
        serde_json::from_str(openai["request_body"].as_str().expect("body")).expect("json");
    assert_eq!(body["metadata"]["password"], "***");
    assert_eq!(body["model"], "gpt-4.1", "the rest is kept");
    assert!(
        openai["response_body"]
            .as_str()
            .is_some_and(|b| !b.is_empty())
    );
    let up = openai["upstream"].as_array().expect("attempts");
    assert_eq!(up.len(), 1);
    assert_eq!(up[0]["request_headers"]["authorization"], "***");
    assert_eq!(up[0]["status"], 200);
    assert!(up[0]["response_headers"].is_object());
    assert!(
        up[0]["url"]
            .as_str()
            .expect("url")
            .ends_with("/v1/chat/completions")
    );

    let (_, anthropic) = app
        .send(ROOT, Method::GET, &format!("/admin/logs/{}", ids[1]), None)
        .await;
    assert_eq!(anthropic["request_headers"]["x-api-key"], "***");
    assert_eq!(
        anthropic["upstream"][0]["request_headers"]["x-api-key"],
        "***"
    );
    let (_, gemini) = app
        .send(ROOT, Method::GET, &format!("/admin/logs/{}", ids[2]), None)
        .await;
    assert_eq!(gemini["request_headers"]["x-goog-api-key"], "***");
    assert_eq!(
        gemini["upstream"][0]["request_headers"]["x-goog-api-key"],
        "***"
    );
    let (_, query) = app
        .send(ROOT, Method::GET, &format!("/admin/logs/{}", ids[3]), None)
        .await;
    assert_eq!(
        query["path"],
        "/gemini-main/v1beta/models/gemini-2.5-flash:generateContent?key=***"
    );
}

#[tokio::test]
async fn without_masking_bodies_are_kept_but_keys_never_are() {
    let app = logging_app(false).await;
    let ids = calls_with_every_key_placement(&app).await;
    let stored = stored_logs(&app, &ids).await;
    let shown = api_logs(&app, &ids).await;
    for text in [&stored, &shown] {
        assert_no_credential(text);
        assert!(text.contains(SECRET), "the body is kept as it was");
    }
    let (_, query) = app
        .send(ROOT, Method::GET, &format!("/admin/logs/{}", ids[3]), None)
        .await;
    assert!(
        query["path"].as_str().expect("path").ends_with("?key=***"),
        "{query}"
    );
    assert_eq!(query["request_headers"]["x-goog-api-key"], Value::Null);
}

/// The ids of a listing's entries.
fn listed(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["request_id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn logs_are_queried_by_request_id_user_status_and_time() {
    let app = spawn_with_seed(root_user).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let resp = app
            .post(
                "/openai-main/v1/chat/completions",
                ALICE,
                json!({"model": "gpt-4.1", "messages": []}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        ids.push(
            resp.headers()["x-gproxy-request-id"]
                .to_str()
                .expect("id")
                .to_owned(),
        );
    }
    // Bob may not use Claude: a 403 with its own entry.
    let refused = app
        .post(
            "/anthropic-main/v1/messages",
            BOB,
            json!({"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": []}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let refused = refused.headers()["x-gproxy-request-id"]
        .to_str()
        .expect("id")
        .to_owned();
    app.state.queue.flush().await;
    let get = |path: String| {
        let app = &app;
        async move { app.send(ROOT, Method::GET, &path, None).await }
    };

    let (status, all) = get("/admin/logs".into()).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(listed(&all), [&*refused, &ids[2], &ids[1], &ids[0]]);
    let first = &all["data"][0];
    assert_eq!(
        (first["status"].as_i64(), first["method"].as_str()),
        (Some(403), Some("POST"))
    );
    assert!(
        first.get("request_body").is_none(),
        "no bodies in a listing: {first}"
    );
    assert!(first["time"].as_str().expect("time").ends_with('Z'));

    // Paged.
    let (_, page) = get("/admin/logs?limit=2".into()).await;
    assert_eq!(listed(&page), [&*refused, &ids[2]]);
    let cursor = page["next_cursor"].as_str().expect("more").to_owned();
    let (_, next) = get(format!("/admin/logs?limit=2&cursor={cursor}")).await;
    assert_eq!(listed(&next), [&*ids[1], &ids[0]]);
    assert_eq!(next["next_cursor"], Value::Null);

    // By request id, user, status and time.
    let (_, one) = get(format!("/admin/logs?request_id={}", ids[1])).await;
    assert_eq!(listed(&one), [&*ids[1]]);
    let (_, me) = app.send(BOB, Method::GET, "/user/me", None).await;
    let bob = me["id"].as_str().expect("id").to_owned();
    let (_, by_bob) = get(format!("/admin/logs?user_id={bob}")).await;
    assert_eq!(listed(&by_bob), [&*refused]);
    assert_eq!(by_bob["data"][0]["user_id"], bob.as_str());
    let (_, ok) = get("/admin/logs?status=200".into()).await;
    assert_eq!(listed(&ok), [&*ids[2], &ids[1], &ids[0]]);
    let now = gproxy_storage::now_ms() / 1000;
    let (_, recent) = get(format!("/admin/logs?from={}", now - 3600)).await;
    assert_eq!(listed(&recent).len(), 4, "epoch seconds");
    let hour_ago = gproxy_server::time::rfc3339((now - 3600) * 1000, false);
    let (status, old) = get(format!("/admin/logs?to={hour_ago}")).await;
    assert_eq!(status, 200, "{old}");
    assert!(listed(&old).is_empty(), "RFC 3339");
    let (_, future) = get(format!("/admin/logs?from={}", now + 3600)).await;
    assert!(listed(&future).is_empty());

    // One request: its entry and its attempt; a refused call has none.
    let (status, detail) = get(format!("/admin/logs/{}", ids[0])).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["request_id"], ids[0].as_str());
    assert_eq!(detail["path"], "/openai-main/v1/chat/completions");
    assert_eq!(
        detail["request_body"],
        Value::Null,
        "bodies not captured by default"
    );
    assert_eq!(detail["upstream"].as_array().expect("attempts").len(), 1);
    assert_eq!(detail["upstream"][0]["provider"], "openai-main");
    let (_, detail) = get(format!("/admin/logs/{refused}")).await;
    assert_eq!(
        (
            detail["status"].as_i64(),
            detail["upstream"].as_array().map(Vec::len)
        ),
        (Some(403), Some(0))
    );
}

#[tokio::test]
async fn bad_filters_unknown_ids_and_non_admins_are_refused() {
    let app = spawn_with_seed(root_user).await;
    for (query, field) in [
        ("status=abc", Some("status")),
        ("status=42", Some("status")),
        ("user_id=alice", Some("user_id")),
        ("from=yesterday", Some("from")),
        ("to=2026-13-01T00:00:00Z", Some("to")),
        ("limit=0", Some("limit")),
        ("cursor=next", Some("cursor")),
        ("colour=red", None),
    ] {
        let (status, body) = app
            .send(ROOT, Method::GET, &format!("/admin/logs?{query}"), None)
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"].is_string(), "{query}: {body}");
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{query}");
        }
    }
    let (status, body) = app
        .send(ROOT, Method::GET, "/admin/logs/req_unknown", None)
        .await;
    assert_eq!(status, 404, "{body}");

    for path in ["/admin/logs", "/admin/logs/req_unknown"] {
        let resp = app.http.get(app.url(path)).send().await.expect("request");
        assert_eq!(resp.status(), 401, "{path} without a key");
        let (status, _) = app.send("sk-nobody", Method::GET, path, None).await;
        assert_eq!(status, 401, "{path} with an unknown key");
        let (status, _) = app.send(ALICE, Method::GET, path, None).await;
        assert_eq!(status, 403, "{path} for a user who is not an admin");
    }
}

/// `mask_sensitive_info` and `mask_body_fields` come from `[global]` (a flag beating it);
/// an empty field name stops start-up naming the field.
#[test]
fn masking_is_configured_from_global_and_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    let load = |toml: &str, tweak: &dyn Fn(&mut gproxy::Cli)| {
        std::fs::write(&config, toml).expect("write");
        let mut cli = gproxy::Cli {
            config: Some(config.clone()),
            data_dir: Some(dir.path().join("data")),
            ..gproxy::Cli::default()
        };
        tweak(&mut cli);
        gproxy::load(cli)
    };
    let defaults = load("", &|_| {}).expect("valid").server;
    assert!(defaults.mask_sensitive_info);
    assert!(defaults.mask_body_fields.iter().any(|f| f == "password"));
    let set = load(
        "[global]\nmask_sensitive_info = false\nmask_body_fields = [\"pin\", \" otp \"]\n",
        &|_| {},
    )
    .expect("valid")
    .server;
    assert!(!set.mask_sensitive_info);
    assert_eq!(&*set.mask_body_fields, ["pin", "otp"]);
    let flagged = load("[global]\nmask_body_fields = [\"pin\"]\n", &|cli| {
        cli.mask_body_fields = Some(vec!["cvv".into()]);
    })
    .expect("valid")
    .server;
    assert_eq!(&*flagged.mask_body_fields, ["cvv"]);
    let err =
        load("[global]\nmask_body_fields = [\"pin\", \"\"]\n", &|_| {}).expect_err("an empty name");
    assert!(err.to_string().contains("mask_body_fields"), "{err}");
}
