//! "Test this credential" (`POST /admin/credentials/{id}/test`): one minimal request in the
//! provider's own protocol with that credential, its answer read back through the
//! translators; failures are answered as `ok: false` with the upstream's message, and the
//! credential's health is left alone.

use crate::admin_api::{admin, spawn_admin};
use crate::helpers::*;
use gproxy_testkit::Reply;
use reqwest::Method;
use serde_json::{Value, json};

/// The id of the (first) credential of `provider`.
async fn credential_of(app: &TestApp, provider: &str) -> String {
    let (status, page) = admin(
        app,
        Method::GET,
        &format!("/admin/credential-statuses?provider={provider}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    page["data"][0]["credential_id"]
        .as_str()
        .expect("a credential")
        .to_owned()
}

async fn test(app: &TestApp, id: &str, body: Option<Value>) -> (u16, Value) {
    admin(
        app,
        Method::POST,
        &format!("/admin/credentials/{id}/test"),
        body,
    )
    .await
}

#[tokio::test]
async fn each_protocol_is_probed_with_the_credential_in_its_own_shape() {
    let app = spawn_admin().await;
    for (provider, model, protocol, path, header, key) in [
        (
            "openai-main",
            "gpt-4.1",
            "openai",
            "/v1/chat/completions",
            "authorization",
            format!("Bearer {UP_OPENAI}"),
        ),
        (
            "anthropic-main",
            "claude-sonnet-4-5",
            "anthropic",
            "/v1/messages",
            "x-api-key",
            UP_ANTHROPIC.to_owned(),
        ),
        (
            "gemini-main",
            "gemini-2.5-flash",
            "gemini",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            "x-goog-api-key",
            UP_GEMINI.to_owned(),
        ),
    ] {
        app.mock.reset();
        app.mock.push(Reply::text("OK"));
        let id = credential_of(&app, provider).await;
        let (status, result) = test(&app, &id, None).await;
        assert_eq!(status, 200, "{result}");
        assert_eq!(result["ok"], true, "{provider}: {result}");
        assert_eq!(result["answer"], "OK", "{provider}");
        assert_eq!(result["status"], 200);
        assert_eq!(result["model"], model, "the provider's first model");
        assert_eq!(result["protocol"], protocol);
        assert_eq!(result["provider"], provider);
        assert_eq!(result["credential_id"], id.as_str());
        assert!(
            result["output_tokens"].as_u64().expect("tokens") > 0,
            "{result}"
        );
        let sent = app.mock.last_request().expect("the probe went upstream");
        assert_eq!(sent.path, path, "{provider}");
        assert_eq!(sent.header(header), Some(key.as_str()), "{provider}");
        let body: Value = serde_json::from_slice(&sent.body).expect("JSON");
        assert!(
            body.to_string().contains("Reply with the single word OK."),
            "{provider}: {body}"
        );
    }
    // The probe is nobody's usage.
    assert!(app.usages().await.is_empty());
}

#[tokio::test]
async fn a_refused_key_is_reported_and_its_health_left_alone() {
    let app = spawn_admin().await;
    app.mock
        .reply_to_key(UP_OPENAI, Reply::error(401, "Incorrect API key provided"));
    let id = credential_of(&app, "openai-main").await;
    let (status, result) = test(&app, &id, Some(json!({"model": "gpt-4.1-mini"}))).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["ok"], false);
    assert_eq!(result["status"], 401);
    assert_eq!(result["model"], "gpt-4.1-mini", "the model asked for");
    assert!(
        result["error"]
            .as_str()
            .expect("an error")
            .contains("Incorrect API key provided"),
        "{result}"
    );
    assert_eq!(result["answer"], Value::Null);
    let (_, page) = admin(
        &app,
        Method::GET,
        "/admin/credential-statuses?provider=openai-main",
        None,
    )
    .await;
    assert_eq!(page["data"][0]["state"], "healthy", "{page}");
}

#[tokio::test]
async fn an_unreachable_upstream_and_a_disabled_credential_are_probed_too() {
    let app = spawn_admin().await;
    let (status, provider) = admin(
        &app,
        Method::POST,
        "/admin/providers",
        Some(json!({"name": "gone", "channel": "custom",
                    "settings": {"base_url": "http://u:sk-in-url@127.0.0.1:1/v1"}})),
    )
    .await;
    assert_eq!(status, 201, "{provider}");
    let (status, cred) = admin(
        &app,
        Method::POST,
        &format!(
            "/admin/providers/{}/credentials",
            provider["id"].as_str().expect("id")
        ),
        Some(json!({"secret": "sk-gone-123456", "enabled": false})),
    )
    .await;
    assert_eq!(status, 201, "{cred}");
    let cred = cred["id"].as_str().expect("id").to_owned();
    // No model on the provider: the caller must name one.
    let (status, err) = test(&app, &cred, None).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["field"], "model");
    let (status, result) = test(&app, &cred, Some(json!({"model": "m-1"}))).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["ok"], false);
    assert_eq!(result["status"], Value::Null);
    let error = result["error"].as_str().expect("an error");
    assert!(error.starts_with("could not connect"), "{error}");
    for secret in ["sk-gone", "sk-in-url", "127.0.0.1"] {
        assert!(!error.contains(secret), "no URL or secret in {error}");
    }
}

#[tokio::test]
async fn a_stream_only_upstream_is_probed_streaming_and_an_echoed_key_is_masked() {
    let app = spawn_admin().await;
    let (status, provider) = admin(
        &app,
        Method::POST,
        "/admin/providers",
        Some(json!({"name": "streamer", "channel": "custom",
                    "settings": {"base_url": format!("{}/v1", app.mock.base_url()),
                                 "upstream_stream": "always"}})),
    )
    .await;
    assert_eq!(status, 201, "{provider}");
    let (_, cred) = admin(
        &app,
        Method::POST,
        &format!(
            "/admin/providers/{}/credentials",
            provider["id"].as_str().expect("id")
        ),
        Some(json!({"secret": "sk-stream-only-1"})),
    )
    .await;
    let cred = cred["id"].as_str().expect("id").to_owned();
    app.mock.push(Reply::text("OK, streamed").with_chunks(3));
    let (status, result) = test(&app, &cred, Some(json!({"model": " m-stream "}))).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["answer"], "OK, streamed");
    assert_eq!(result["model"], "m-stream", "trimmed");
    let sent = app.mock.last_request().expect("sent");
    let body: Value = serde_json::from_slice(&sent.body).expect("JSON");
    assert_eq!(body["stream"], true, "{body}");

    app.mock.reply_to_key(
        "sk-stream-only-1",
        Reply::error(401, "Incorrect API key provided: sk-stream-only-1"),
    );
    let (_, result) = test(&app, &cred, Some(json!({"model": "m-stream"}))).await;
    let error = result["error"].as_str().expect("an error");
    assert!(!error.contains("sk-stream-only-1"), "{error}");
    assert!(error.contains("Incorrect API key provided: ***"), "{error}");
}

#[tokio::test]
async fn a_gemini_model_may_be_named_with_its_models_prefix() {
    let app = spawn_admin().await;
    let id = credential_of(&app, "gemini-main").await;
    let (status, result) = test(&app, &id, Some(json!({"model": "models/gemini-2.5-pro"}))).await;
    assert_eq!((status, &result["ok"]), (200, &json!(true)), "{result}");
    assert_eq!(
        app.mock.last_request().expect("sent").path,
        "/v1beta/models/gemini-2.5-pro:generateContent"
    );
}

#[tokio::test]
async fn bad_probes_are_refused() {
    let app = spawn_admin().await;
    let id = credential_of(&app, "gemini-main").await;
    let (status, err) = test(&app, "999999", None).await;
    assert_eq!(status, 404, "{err}");
    let (status, err) = test(&app, "x", None).await;
    assert_eq!(status, 404, "{err}");
    let (status, err) = test(&app, &id, Some(json!({"modle": "x"}))).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (400, Some("modle")),
        "{err}"
    );
    // A model id that cannot be part of a path never reaches the upstream.
    app.mock.reset();
    let (status, err) = test(&app, &id, Some(json!({"model": "../../files"}))).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (400, Some("model")),
        "{err}"
    );
    assert!(app.mock.requests().is_empty());
    // Admins only.
    let (status, _) = app
        .send(
            ALICE,
            Method::POST,
            &format!("/admin/credentials/{id}/test"),
            None,
        )
        .await;
    assert_eq!(status, 403);
}
