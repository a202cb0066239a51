//! Live settings through the admin API: a change applies to the next request, is audited,
//! and outlives a restart; settings that need a restart are refused naming them.

use crate::admin_api::{ROOT, admin, audit_count, spawn_admin};
use crate::helpers::*;
use gproxy::cli::Cli;
use reqwest::Method;
use serde_json::json;

async fn chat(app: &TestApp) -> u16 {
    app.post(
        "/v1/chat/completions",
        ALICE,
        json!({"model": "openai-main/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn settings_change_live_are_audited_and_outlive_a_restart() {
    let app = spawn_admin().await;
    let (s, now) = admin(&app, Method::GET, "/admin/settings", None).await;
    assert_eq!((s, &now["enable_usage"]), (200, &json!(true)), "{now}");
    assert_eq!(now["mask_sensitive_info"], true);
    let audits = audit_count(&app).await;

    for (body, field) in [
        (json!({"port": 9}), "port"),
        (json!({"dsn": "sqlite::memory:"}), "dsn"),
        (json!({"enable_usage": "no"}), ""),
        (json!({"colour": true}), "colour"),
        (json!({"proxy": "ftp://proxy"}), "proxy"),
        (json!({"mask_body_fields": [""]}), "mask_body_fields"),
    ] {
        let (s, answer) = admin(&app, Method::PATCH, "/admin/settings", Some(body.clone())).await;
        assert_eq!(s, 400, "{body}: {answer}");
        if !field.is_empty() {
            assert_eq!(answer["field"], field, "{answer}");
        }
    }
    assert_eq!(audit_count(&app).await, audits, "refusals change nothing");

    // Usage off: the next call leaves no usage row.
    let before = app.usages().await.len();
    let (s, after) = admin(
        &app,
        Method::PATCH,
        "/admin/settings",
        Some(json!({"enable_usage": false, "proxy": "http://user:secret@127.0.0.1:9"})),
    )
    .await;
    assert_eq!((s, &after["enable_usage"]), (200, &json!(false)), "{after}");
    assert_eq!(
        after["proxy"], "http://user:***@127.0.0.1:9/",
        "the password reads back masked"
    );
    // The upstream is reached through the (dead) proxy now: the call fails.
    assert_ne!(chat(&app).await, 200);
    let (s, _) = admin(
        &app,
        Method::PATCH,
        "/admin/settings",
        Some(json!({"proxy": null})),
    )
    .await;
    assert_eq!(s, 200);
    // The failure through the proxy cooled the credential: reset it, then it serves.
    let (_, providers) = admin(&app, Method::GET, "/admin/providers?name=openai-main", None).await;
    let pid = providers["data"][0]["id"].as_str().expect("id").to_owned();
    let (_, creds) = admin(
        &app,
        Method::GET,
        &format!("/admin/providers/{pid}/credentials"),
        None,
    )
    .await;
    let cid = creds["data"][0]["id"].as_str().expect("id").to_owned();
    let (s, _) = admin(
        &app,
        Method::POST,
        &format!("/admin/credentials/{cid}/reset"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(chat(&app).await, 200, "no proxy again");
    assert_eq!(app.usages().await.len(), before, "usage is off");
    assert_eq!(audit_count(&app).await, audits + 3);
    let (_, log) = admin(&app, Method::GET, "/admin/audit?limit=5", None).await;
    assert!(!log.to_string().contains(":secret@"), "{log}");

    // A restart keeps what the administrator set over the file's defaults.
    let mock = app.mock.clone();
    let dir = app.stop().await;
    let cli = Cli {
        config: Some(dir.path().join("gproxy.toml")),
        host: Some("127.0.0.1".into()),
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        ..Cli::default()
    };
    let app = start(cli, mock, dir).await;
    let (_, now) = app.send(ROOT, Method::GET, "/admin/settings", None).await;
    assert_eq!(now["enable_usage"], false, "{now}");
    assert_eq!(now["proxy"], json!(null));
    app.stop().await;
}
