//! Rate limits and quotas set through the admin API: every write applies to the next call,
//! bad input is a 400 naming the field with nothing changed, a second quota for a user is a
//! 409, a reset gives the budget back, and every write is audited.

use crate::helpers::*;
use serde_json::{Value, json};

const ROOT: &str = "sk-root";

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    app.send(ROOT, method, path, body).await
}

async fn call(app: &TestApp) -> u16 {
    app.post(
        "/v1/chat/completions",
        ALICE,
        json!({"model": "openai-main/gpt-4.1-mini", "messages": []}),
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn limits_and_budgets_set_through_the_api_apply_at_once() {
    use reqwest::Method;
    let app = spawn_with_seed(|_| {
        "[[models]]\nprovider_name = \"openai-main\"\nmodel_id = \"gpt-4.1-mini\"\n\
         price_each_call = \"0.25\"\n\n[[users]]\nname = \"root\"\nis_admin = true\n\
         [[users.keys]]\napi_key = \"sk-root\"\n"
            .into()
    })
    .await;
    let me = json(app.get("/user/me", ALICE).await).await;
    let alice = me["id"].as_str().expect("id").to_owned();

    // A rate limit: the next call is held to it.
    let (status, rl) = send(
        &app,
        Method::POST,
        "/admin/rate-limits",
        Some(json!({"user_id": alice, "model_pattern": "gpt-*", "rpm": 1})),
    )
    .await;
    assert_eq!(status, 201, "{rl}");
    assert_eq!((call(&app).await, call(&app).await), (200, 429));
    let rl_id = rl["id"].as_str().expect("id").to_owned();
    let (status, cleared) = send(
        &app,
        Method::PATCH,
        &format!("/admin/rate-limits/{rl_id}"),
        Some(json!({"rpm": null})),
    )
    .await;
    assert_eq!((status, &cleared["rpm"]), (200, &Value::Null), "{cleared}");
    assert_eq!(call(&app).await, 200, "cleared at once");

    // Bad input names the field and changes nothing.
    for (body, field) in [
        (json!({"user_id": alice, "rpm": 0}), "rpm"),
        (json!({"user_id": "999", "rpm": 5}), "user_id"),
        (json!({"user_id": alice, "rpm": 5, "burst": 2}), "burst"),
        (
            json!({"user_id": alice, "model_pattern": ""}),
            "model_pattern",
        ),
    ] {
        let (status, err) =
            send(&app, Method::POST, "/admin/rate-limits", Some(body.clone())).await;
        assert_eq!(
            (status, err["field"].as_str()),
            (400, Some(field)),
            "{body}: {err}"
        );
    }
    let (_, list) = send(&app, Method::GET, "/admin/rate-limits", None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");

    // A budget for two calls.
    let (status, q) = send(
        &app,
        Method::POST,
        "/admin/quotas",
        Some(json!({"user_id": alice, "limit_usd": "0.5"})),
    )
    .await;
    assert_eq!(
        (status, &q["used_usd"], &q["period"]),
        (201, &json!("0"), &json!("none")),
        "{q}"
    );
    let q_id = q["id"].as_str().expect("id").to_owned();
    let (status, dup) = send(
        &app,
        Method::POST,
        "/admin/quotas",
        Some(json!({"user_id": alice, "limit_usd": "1"})),
    )
    .await;
    assert_eq!(
        (status, dup["field"].as_str()),
        (409, Some("user_id")),
        "{dup}"
    );
    assert_eq!(
        [call(&app).await, call(&app).await, call(&app).await],
        [200, 200, 402]
    );
    for (body, field) in [
        (json!({"limit_usd": "abc"}), "limit_usd"),
        (json!({"used_usd": "0"}), "used_usd"),
        (json!({"period": "weekly"}), "period"),
    ] {
        let (status, err) = send(
            &app,
            Method::PATCH,
            &format!("/admin/quotas/{q_id}"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, err["field"].as_str()),
            (400, Some(field)),
            "{body}: {err}"
        );
    }
    let (status, reset) = send(
        &app,
        Method::POST,
        &format!("/admin/quotas/{q_id}/reset"),
        None,
    )
    .await;
    assert_eq!((status, &reset["used_usd"]), (200, &json!("0")), "{reset}");
    assert_eq!(call(&app).await, 200, "the reset budget admits again");
    let (status, raised) = send(
        &app,
        Method::PATCH,
        &format!("/admin/quotas/{q_id}"),
        Some(json!({"limit_usd": "10", "period": "daily"})),
    )
    .await;
    assert_eq!(
        (status, &raised["limit_usd"], &raised["period"]),
        (200, &json!("10"), &json!("daily")),
        "{raised}"
    );

    let (status, _) = send(&app, Method::DELETE, &format!("/admin/quotas/{q_id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, Method::GET, &format!("/admin/quotas/{q_id}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(app.get("/user/quota", ALICE).await.status(), 404);
    let (status, _) = send(
        &app,
        Method::DELETE,
        &format!("/admin/rate-limits/{rl_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);

    let audit = app.state.store.audit_entries(50).await.expect("audit");
    let count = |resource: &str| audit.iter().filter(|a| a.resource == resource).count();
    assert_eq!(
        (count("rate-limits"), count("quotas")),
        (3, 4),
        "every write audited: {audit:?}"
    );
    assert_eq!(
        app.get("/admin/quotas", ALICE).await.status(),
        403,
        "admins only"
    );

    // The same writes through `GET /admin/audit`, newest first, paged.
    let (status, page) = send(&app, Method::GET, "/admin/audit?limit=2", None).await;
    assert_eq!(status, 200);
    let newest = &page["data"][0];
    assert_eq!(
        (&newest["actor"], &newest["action"], &newest["resource"]),
        (&json!("root"), &json!("delete"), &json!("rate-limits")),
        "{page}"
    );
    assert_eq!(newest["before"]["model_pattern"], "gpt-*", "{newest}");
    let cursor = page["next_cursor"].as_str().expect("more").to_owned();
    let (_, next) = send(
        &app,
        Method::GET,
        &format!("/admin/audit?limit=50&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(
        next["data"].as_array().map(Vec::len),
        Some(5),
        "7 writes in all: {next}"
    );
    assert_eq!(next["next_cursor"], Value::Null);
}
