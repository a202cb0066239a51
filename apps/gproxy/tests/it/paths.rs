//! Client text never steers the operator's key: path segments, query names and billing
//! headers are checked before anything goes upstream; model lookups and lists are
//! permission-checked.

use crate::helpers::*;
use serde_json::json;

/// Every spelling of a traversal in a model lookup is a 400 in the caller's shape, and the
/// upstream is never called.
#[tokio::test]
async fn traversal_in_model_lookups_is_refused() {
    let app = spawn_app().await;
    for id in [
        "..%2Ffiles",
        "..%2F..%2Fadmin%2Fsecret",
        "..%252Ffiles",
        "%2E%2E%2Ffiles",
        "..%5Cfiles",
        "x%3Fdelete",
        "x%23frag",
        "x%0Ay",
        "a%2F%2Fb",
    ] {
        for (path, shape) in [
            (format!("/openai-main/v1/models/{id}"), "openai"),
            (format!("/gemini-main/v1beta/models/{id}"), "gemini"),
            (format!("/nvidia-main/v1/models/{id}"), "openai"),
        ] {
            let resp = app.get(&path, ALICE).await;
            assert_eq!(resp.status(), 400, "{path}");
            assert_eq!(resp.headers()["x-should-retry"], "false");
            let v = json(resp).await;
            if shape == "gemini" {
                assert_eq!(v["error"]["status"], "INVALID_ARGUMENT", "{path}: {v}");
            } else {
                assert_eq!(v["error"]["type"], "invalid_request_error", "{path}: {v}");
            }
        }
    }
    let anthropic = app
        .http
        .get(app.url("/anthropic-main/v1/models/..%2Ffiles"))
        .header("x-api-key", ALICE)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .expect("request");
    assert_eq!(anthropic.status(), 400);
    assert_eq!(json(anthropic).await["type"], "error");
    assert!(
        app.mock.requests().is_empty(),
        "forwarded: {:?}",
        app.mock
            .requests()
            .iter()
            .map(|r| r.path.clone())
            .collect::<Vec<_>>()
    );
}

/// Gemini's `models/{model}:{method}` POSTs: the same, for scoped and unscoped paths.
#[tokio::test]
async fn traversal_in_gemini_calls_is_refused() {
    let app = spawn_app().await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    for path in [
        "/gemini-main/v1beta/models/..%2F..%2Fv1beta%2Fcorpora%2Fx%3Fdelete:generateContent",
        "/gemini-main/v1/models/..%252F..%252Ffiles:generateContent",
        "/gemini-main/v1beta/models/%2e%2e:streamGenerateContent",
        "/gemini-main/v1beta/models/:generateContent",
        "/gemini-main/v1beta/models/x%5C..%5C..%5Cfiles:countTokens",
        "/v1beta/models/gemini-main/..%2Ffiles:generateContent",
    ] {
        let resp = app
            .post_with(path, "x-goog-api-key", ALICE, body.clone())
            .await;
        assert_eq!(resp.status(), 400, "{path}");
        assert_eq!(resp.headers()["x-should-retry"], "false");
        let v = json(resp).await;
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT", "{path}: {v}");
    }
    assert!(app.mock.requests().is_empty());
}

/// A path parameter that is not UTF-8 once decoded is a 400 in the caller's shape, not a
/// plain-text rejection.
#[tokio::test]
async fn undecodable_path_parameters_are_400_in_shape() {
    let app = spawn_app().await;
    let resp = app
        .post_with(
            "/gemini-main/v1beta/models/%FF%FE:generateContent",
            "x-goog-api-key",
            ALICE,
            json!({"contents": []}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["x-should-retry"], "false");
    assert_eq!(json(resp).await["error"]["status"], "INVALID_ARGUMENT");
    let resp = app.get("/openai-main/v1/models/%C0", ALICE).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"]["type"], "invalid_request_error");
    assert!(app.mock.requests().is_empty());
}

/// A model id with a slash (NVIDIA's `meta/...`) still works, under the operation's path,
/// and `%` is encoded.
#[tokio::test]
async fn slashes_in_model_ids_stay_under_the_operation() {
    let app = spawn_app().await;
    // The mock serves no two-segment model path: its 404 is relayed; the path is the point.
    let _ = app
        .get("/nvidia-main/v1/models/meta%2Fllama-3.1-8b-instruct", ALICE)
        .await;
    let req = app.mock.last_request().expect("forwarded");
    assert_eq!(req.path, "/v1/models/meta/llama-3.1-8b-instruct");
}

/// Only the query parameters an operation defines go upstream; a key in any spelling
/// authenticates the caller and stays at the gateway.
#[tokio::test]
async fn query_is_allow_listed_and_keys_never_leave() {
    let app = spawn_app().await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    let resp = app
        .http
        .post(app.url(&format!(
            "/gemini-main/v1beta/models/gemini-2.5-flash:streamGenerateContent?k%65y={ALICE}&alt=sse&%6B%65%79=x&upload_protocol=raw&fields=*"
        )))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let _ = resp.bytes().await;
    let req = app.mock.last_request().expect("forwarded");
    assert_eq!(req.query.as_deref(), Some("alt=sse"));
    assert_key_swapped(&req, "x-goog-api-key", UP_GEMINI);

    let resp = app
        .http
        .post(app.url(&format!(
            "/anthropic-main/v1/messages?beta=true&key={ALICE}&api_key=x"
        )))
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": []}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let req = app.mock.last_request().expect("forwarded");
    assert_eq!(req.query.as_deref(), Some("beta=true"));

    let resp = app
        .http
        .post(app.url("/openai-main/v1/chat/completions?trace=1&key=zzz"))
        .bearer_auth(ALICE)
        .json(&json!({"model": "gpt-4.1", "messages": []}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert_eq!(app.mock.last_request().expect("forwarded").query, None);
}

/// Headers that choose the operator's billing scope go upstream only when the provider
/// allows them.
#[tokio::test]
async fn billing_scope_headers_need_the_providers_consent() {
    let app = spawn_with_seed(|mock| {
        format!(
            r#"
[[providers]]
name = "openai-orgs"
channel = "openai"
settings = {{ base_url = "{mock}/v1", forward_billing_headers = true }}
credentials = [ {{ api_key = "sk-up-orgs" }} ]
"#
        )
    })
    .await;
    for (provider, forwarded) in [("openai-main", false), ("openai-orgs", true)] {
        let resp = app
            .http
            .post(app.url(&format!("/{provider}/v1/chat/completions")))
            .bearer_auth(ALICE)
            .header("openai-organization", "org-other")
            .header("openai-project", "proj-other")
            .header("x-goog-user-project", "gp-other")
            .json(&json!({"model": "gpt-4.1", "messages": []}))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200);
        let req = app.mock.last_request().expect("forwarded");
        for h in [
            "openai-organization",
            "openai-project",
            "x-goog-user-project",
        ] {
            assert_eq!(req.header(h).is_some(), forwarded, "{provider}: {h}");
        }
    }
}

/// A user limited to `gpt-*` on one provider cannot look up other models with the
/// operator's key, and sees only the models they may use in a forwarded list.
#[tokio::test]
async fn model_lookups_and_lists_are_permission_checked() {
    let app = spawn_with_seed(|_| {
        r#"
[[users]]
name = "erin"
password = "erin-pw"
[[users.keys]]
api_key = "sk-client-erin"

[[permissions]]
user_name = "erin"
provider_name = "openai-main"
model_pattern = "gpt-4.1"
"#
        .into()
    })
    .await;
    // bob: gpt-* on openai-main only.
    for (path, version) in [
        ("/openai-main/v1/models/o3", None),
        (
            "/anthropic-main/v1/models/claude-sonnet-4-5",
            Some("2023-06-01"),
        ),
        ("/gemini-main/v1beta/models/gemini-2.5-pro", None),
    ] {
        let mut req = app.http.get(app.url(path)).bearer_auth(BOB);
        if let Some(v) = version {
            req = req.header("anthropic-version", v);
        }
        let resp = req.send().await.expect("request");
        assert_eq!(resp.status(), 403, "{path}");
        assert_eq!(resp.headers()["x-should-retry"], "false");
    }
    assert!(app.mock.requests().is_empty(), "no lookup went upstream");
    assert_eq!(
        app.get("/openai-main/v1/models/gpt-4.1", BOB)
            .await
            .status(),
        200
    );

    // Lists: the mock offers gpt-4.1 and gpt-4.1-mini; erin may use gpt-4.1 only.
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter_map(|m| m["id"].as_str().map(str::to_owned))
            .collect()
    };
    let v = json(app.get("/openai-main/v1/models", "sk-client-erin").await).await;
    assert_eq!(ids(&v), ["gpt-4.1"]);
    let v = json(app.get("/openai-main/v1/models", BOB).await).await;
    assert_eq!(ids(&v), ["gpt-4.1", "gpt-4.1-mini"]);
    // Bob may use nothing on anthropic-main: an empty list, in Anthropic's shape.
    let resp = app
        .http
        .get(app.url("/anthropic-main/v1/models"))
        .header("x-api-key", BOB)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .expect("request");
    let v = json(resp).await;
    assert_eq!(v["data"], json!([]));
    assert!(v["first_id"].is_null());
    let v = json(app.get("/v1/models", "sk-client-erin").await).await;
    assert_eq!(ids(&v), ["openai-main/gpt-4.1", "chat-default"]);
}
