//! Routes: a public model name served by members on several providers, tier by tier with
//! weights, falling back to the next member before the first byte.

use crate::helpers::*;
use gproxy_testkit::Reply;
use serde_json::json;

fn route_seed(mock: &str) -> String {
    format!(
        r#"
[[providers]]
name = "oa"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "sk-up-oa" }} ]

[[providers]]
name = "an"
channel = "anthropic"
settings = {{ base_url = "{mock}" }}
credentials = [ {{ api_key = "sk-up-an" }} ]

[[routes]]
name = "smart"
members = [
  {{ provider_name = "oa", model_id = "gpt-4.1", tier = 0 }},
  {{ provider_name = "an", model_id = "claude-sonnet-4-5", tier = 1 }},
]

[[routes]]
name = "spread"
members = [
  {{ provider_name = "oa", model_id = "gpt-4.1", weight = 3 }},
  {{ provider_name = "oa", model_id = "gpt-4.1-mini", weight = 1 }},
]
"#
    )
}

async fn ask(app: &TestApp, model: &str) -> reqwest::Response {
    ask_as(app, ALICE, model).await
}

#[tokio::test]
async fn a_route_falls_back_to_its_next_tier_before_the_first_byte() {
    let app = spawn_with_seed(route_seed).await;
    let resp = ask(&app, "smart").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("x-should-retry").is_none());
    let v = json(resp).await;
    assert_eq!(v["model"], "smart", "the client sees the name it used");
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.json()["model"], "gpt-4.1");

    // The first tier is rate-limited: the second (another protocol) serves the call.
    app.mock.push(Reply::error(429, "slow down"));
    let resp = ask(&app, "smart").await;
    assert_eq!(resp.status(), 200, "served by the next member");
    assert_eq!(resp.headers()["x-should-retry"], "false");
    let v = json(resp).await;
    assert_eq!(v["choices"][0]["message"]["content"], "Hello from mock!");
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.json()["model"], "claude-sonnet-4-5");
    assert_key_swapped(&sent, "x-api-key", "sk-up-an");

    // The first tier now cools for a minute: the call goes to the second without trying it.
    let before = app.mock.requests().len();
    assert_eq!(ask(&app, "smart").await.status(), 200);
    let after = app.mock.requests();
    assert_eq!(after.len(), before + 1);
    assert_eq!(after[before].path, "/v1/messages");

    // One usage record per request, from the member that answered; every attempt logged.
    let usages = app.wait_usages(3).await;
    assert_eq!(usages.len(), 3);
    let moved: Vec<_> = usages
        .iter()
        .filter(|u| u.provider == "an")
        .map(|u| (u.status, u.model.as_str()))
        .collect();
    assert_eq!(
        moved,
        [(200, "claude-sonnet-4-5"), (200, "claude-sonnet-4-5")]
    );
    let upstream = app.upstream().await;
    assert!(
        upstream
            .iter()
            .any(|u| u.provider == "oa" && u.status == Some(429)),
        "{upstream:?}"
    );
}

#[tokio::test]
async fn weights_spread_a_tier_and_the_last_member_answers_as_it_can() {
    let app = spawn_with_seed(route_seed).await;
    for _ in 0..80 {
        assert_eq!(ask(&app, "spread").await.status(), 200);
    }
    let models: Vec<String> = app
        .mock
        .requests()
        .iter()
        .map(|r| r.json()["model"].as_str().unwrap_or_default().to_owned())
        .collect();
    let big = models.iter().filter(|m| *m == "gpt-4.1").count();
    let small = models.iter().filter(|m| *m == "gpt-4.1-mini").count();
    assert_eq!(big + small, 80);
    assert!(big > small && small >= 5, "3:1 by weight: {big} vs {small}");

    // Every member failing: the last one's answer is relayed.
    app.mock.reset();
    app.mock.push(Reply::error(500, "down"));
    app.mock.push(Reply::error(503, "down too"));
    let resp = ask(&app, "spread").await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["x-should-retry"], "false");
}

#[tokio::test]
async fn routes_are_listed_permission_checked_and_validated() {
    let app = spawn_with_seed(route_seed).await;
    let v = json(app.get("/v1/models", ALICE).await).await;
    let ids: Vec<&str> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.contains(&"smart") && ids.contains(&"spread"), "{ids:?}");
    // Bob may use gpt-* on openai-main only: no member of `smart` is his.
    let resp = ask_as(&app, BOB, "smart").await;
    assert_eq!(resp.status(), 403);

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    std::fs::write(
        &config,
        "[[routes]]\nname = \"r\"\nmembers = [ { provider_name = \"nope\", model_id = \"m\" } ]\n",
    )
    .expect("write");
    let err = gproxy::load(gproxy::Cli {
        config: Some(config),
        data_dir: Some(dir.path().join("data")),
        ..gproxy::Cli::default()
    })
    .expect_err("unknown provider");
    assert!(
        err.to_string()
            .contains("routes[0]: members[0].provider_name: unknown provider `nope`"),
        "{err}"
    );
}

async fn ask_as(app: &TestApp, key: &str, model: &str) -> reqwest::Response {
    app.post(
        "/v1/chat/completions",
        key,
        json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
}

const ADMIN: &str = "sk-admin-routes";

async fn admin(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(ADMIN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn routes_are_managed_through_the_admin_api_and_apply_at_once() {
    use reqwest::Method;
    let app = spawn_with(|cli| cli.admin_key = Some(ADMIN.into()), route_seed).await;
    let (status, created) = admin(
        &app,
        Method::POST,
        "/admin/routes",
        Some(json!({"name": "live"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["members"], json!([]));
    assert_eq!(
        ask(&app, "live").await.status(),
        404,
        "no member yet: nothing serves it"
    );

    let (status, member) = admin(
        &app,
        Method::POST,
        &format!("/admin/routes/{id}/members"),
        Some(json!({"provider": "an", "model_id": "claude-sonnet-4-5"})),
    )
    .await;
    assert_eq!(status, 201, "{member}");
    assert_eq!(
        (member["tier"].as_i64(), member["weight"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(ask(&app, "live").await.status(), 200, "applied at once");
    assert_eq!(app.mock.last_request().expect("sent").path, "/v1/messages");

    let member_id = member["id"].as_str().expect("id").to_owned();
    let (status, patched) = admin(
        &app,
        Method::PATCH,
        &format!("/admin/routes/{id}/members/{member_id}"),
        Some(json!({"provider": "oa", "model_id": "gpt-4.1-mini"})),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(ask(&app, "live").await.status(), 200);
    let sent = app.mock.last_request().expect("sent");
    assert_eq!(
        (sent.path.as_str(), sent.json()["model"].as_str()),
        ("/v1/chat/completions", Some("gpt-4.1-mini"))
    );

    let (status, list) = admin(&app, Method::GET, "/admin/routes?limit=2", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));
    let cursor = list["next_cursor"].as_str().expect("more").to_owned();
    let (_, rest) = admin(
        &app,
        Method::GET,
        &format!("/admin/routes?cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(rest["data"][0]["name"], "live");
    assert_eq!(rest["data"][0]["members"][0]["provider"], "oa");

    // Refusals: each names what is wrong and changes nothing.
    for (method, path, body, want, field) in [
        (
            Method::POST,
            "/admin/routes".to_owned(),
            json!({"name": "smart"}),
            409,
            Some("name"),
        ),
        (
            Method::POST,
            "/admin/routes".to_owned(),
            json!({"name": "chat-default"}),
            409,
            Some("name"),
        ),
        (
            Method::POST,
            "/admin/routes".to_owned(),
            json!({"name": "a/b"}),
            400,
            Some("name"),
        ),
        (
            Method::POST,
            "/admin/routes".to_owned(),
            json!({"name": "x", "colour": 1}),
            400,
            Some("colour"),
        ),
        (
            Method::POST,
            format!("/admin/routes/{id}/members"),
            json!({"provider": "nope", "model_id": "m"}),
            400,
            Some("provider"),
        ),
        (
            Method::POST,
            format!("/admin/routes/{id}/members"),
            json!({"provider": "oa", "model_id": "m", "weight": 0}),
            400,
            Some("weight"),
        ),
        (
            Method::PATCH,
            "/admin/routes/999999".to_owned(),
            json!({"enabled": false}),
            404,
            None,
        ),
        (
            Method::PATCH,
            format!("/admin/routes/{id}/members/999999"),
            json!({"tier": 1}),
            404,
            None,
        ),
    ] {
        let (status, v) = admin(&app, method, &path, Some(body.clone())).await;
        assert_eq!(status, want, "{path} {body}: {v}");
        assert!(v["error"].is_string(), "{v}");
        assert_eq!(v["field"].as_str(), field, "{path} {body}: {v}");
    }
    let resp = app
        .http
        .get(app.url("/admin/routes"))
        .bearer_auth(ALICE)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 403);

    let (status, _) = admin(&app, Method::DELETE, &format!("/admin/routes/{id}"), None).await;
    assert_eq!(status, 204);
    assert_eq!(ask(&app, "live").await.status(), 404, "gone at once");
    let (status, _) = admin(&app, Method::GET, &format!("/admin/routes/{id}"), None).await;
    assert_eq!(status, 404);

    let audit = app.state.store.audit_entries(20).await.expect("audit");
    let trail: Vec<(&str, &str)> = audit
        .iter()
        .rev()
        .map(|a| (a.action.as_str(), a.resource.as_str()))
        .collect();
    assert_eq!(
        trail,
        [
            ("create", "routes"),
            ("create", "route_members"),
            ("update", "route_members"),
            ("delete", "routes"),
        ],
        "every write, and only the writes that happened"
    );
    assert!(
        audit
            .iter()
            .all(|a| a.actor == "admin" || !a.actor.is_empty())
    );
}

/// An upstream that accepts connections and closes them before answering: a cut before the
/// first byte.
async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_cut_before_the_first_byte_fails_over_and_a_call_makes_at_most_six_attempts() {
    let hole = black_hole().await;
    let app = spawn_with_seed(move |mock| {
        let keys = |p: &str| {
            (1..=3)
                .map(|i| format!("{{ api_key = \"sk-{p}-{i}\" }}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            r#"
[[providers]]
name = "cut"
channel = "openai"
settings = {{ base_url = "{hole}/v1" }}
credentials = [ {{ api_key = "sk-cut" }} ]

[[providers]]
name = "ok"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "sk-ok" }} ]

[[routes]]
name = "through-a-cut"
members = [
  {{ provider_name = "cut", model_id = "gpt-4.1", tier = 0 }},
  {{ provider_name = "ok", model_id = "gpt-4.1", tier = 1 }},
]

[[providers]]
name = "p1"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {p1} ]

[[providers]]
name = "p2"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {p2} ]

[[providers]]
name = "p3"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {p3} ]

[[routes]]
name = "all-down"
members = [
  {{ provider_name = "p1", model_id = "gpt-4.1", tier = 0 }},
  {{ provider_name = "p2", model_id = "gpt-4.1", tier = 1 }},
  {{ provider_name = "p3", model_id = "gpt-4.1", tier = 2 }},
]
"#,
            p1 = keys("p1"),
            p2 = keys("p2"),
            p3 = keys("p3"),
        )
    })
    .await;
    let resp = ask(&app, "through-a-cut").await;
    assert_eq!(resp.status(), 200, "the next member served it");
    assert_eq!(resp.headers()["x-should-retry"], "false");
    let upstream = app.upstream().await;
    assert!(
        upstream
            .iter()
            .any(|u| u.provider == "cut" && u.status.is_none() && u.error.is_some()),
        "{upstream:?}"
    );

    for p in ["p1", "p2", "p3"] {
        for i in 1..=3 {
            app.mock
                .reply_to_key(format!("sk-{p}-{i}"), Reply::error(500, "down"));
        }
    }
    let before = app.mock.requests().len();
    let resp = ask(&app, "all-down").await;
    assert!(resp.status().is_server_error(), "{}", resp.status());
    assert_eq!(
        app.mock.requests().len() - before,
        6,
        "9 credentials on 3 members, but one call makes at most 6 attempts"
    );
}
