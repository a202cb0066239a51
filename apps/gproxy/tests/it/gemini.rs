//! Gemini surface: generate, stream (SSE and JSON array), count, embed, models; v1beta and
//! v1; scoped and unscoped.

use crate::helpers::*;
use gproxy_testkit::Reply;
use serde_json::{Value, json};

fn contents() -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
}

#[tokio::test]
async fn generate_content_on_v1beta_and_v1_with_query_key() {
    let app = spawn_app().await;
    for version in ["v1beta", "v1"] {
        let url = app.url(&format!(
            "/gemini-main/{version}/models/gemini-2.5-flash:generateContent?key={ALICE}"
        ));
        let resp = app
            .http
            .post(url)
            .json(&contents())
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200, "{version}");
        let v = json(resp).await;
        assert_eq!(
            v["candidates"][0]["content"]["parts"][0]["text"],
            "Hello from mock!"
        );
        let req = app.mock.last_request().expect("forwarded");
        assert_eq!(
            req.path,
            format!("/{version}/models/gemini-2.5-flash:generateContent")
        );
        assert_eq!(req.query, None, "the client's ?key= is not forwarded");
        assert_key_swapped(&req, "x-goog-api-key", UP_GEMINI);
    }
}

#[tokio::test]
async fn stream_sse_has_no_comment_lines() {
    let app = spawn_app().await;
    app.mock.push(Reply::text("a b c").with_chunks(3));
    let resp = app
        .post_with(
            "/gemini-main/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            "x-goog-api-key",
            ALICE,
            contents(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.expect("body");
    assert!(
        body.lines().all(|l| !l.starts_with(':')),
        "no SSE comments on the Gemini surface"
    );
    let text: String = sse_data(&body)
        .iter()
        .map(|d| serde_json::from_str::<Value>(d).expect("json"))
        .filter_map(|v| {
            v["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "a b c");
    assert_eq!(
        app.mock.last_request().expect("forwarded").query.as_deref(),
        Some("alt=sse")
    );
}

#[tokio::test]
async fn stream_json_array_form() {
    let app = spawn_app().await;
    app.mock.push(Reply::text("x y").with_chunks(2));
    let resp = app
        .post_with(
            "/gemini-main/v1/models/gemini-2.5-flash:streamGenerateContent",
            "x-goog-api-key",
            ALICE,
            contents(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    let items = v.as_array().expect("a JSON array");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["usageMetadata"]["promptTokenCount"], 11);
}

#[tokio::test]
async fn unscoped_gemini_paths_name_the_provider() {
    let app = spawn_app().await;
    let resp = app
        .post_with(
            "/v1beta/models/gemini-main/gemini-2.5-flash:generateContent",
            "x-goog-api-key",
            ALICE,
            contents(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.mock.last_request().expect("forwarded").path,
        "/v1beta/models/gemini-2.5-flash:generateContent"
    );
    let resp = app
        .post_with(
            "/v1beta/models/gemini-2.5-flash:generateContent",
            "x-goog-api-key",
            ALICE,
            contents(),
        )
        .await;
    assert_eq!(resp.status(), 404, "a bare model names no provider");
    let v = json(resp).await;
    assert_eq!(v["error"]["status"], "NOT_FOUND");
}

#[tokio::test]
async fn count_embed_batch_and_models() {
    let app = spawn_app().await;
    let post = |path: &'static str, body: Value| {
        let req = app
            .http
            .post(app.url(path))
            .header("x-goog-api-key", ALICE)
            .json(&body);
        async move { json(req.send().await.expect("request")).await }
    };
    let v = post(
        "/gemini-main/v1beta/models/gemini-2.5-flash:countTokens",
        contents(),
    )
    .await;
    assert_eq!(v["totalTokens"], 11);
    let v = post(
        "/gemini-main/v1beta/models/text-embedding-004:embedContent",
        json!({"content": {"parts": [{"text": "a"}]}}),
    )
    .await;
    assert_eq!(v["embedding"]["values"].as_array().map(Vec::len), Some(8));
    let v = post(
        "/gemini-main/v1beta/models/text-embedding-004:batchEmbedContents",
        json!({"requests": [{"model": "models/text-embedding-004", "content": {"parts": [{"text": "a"}]}},
                            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "b"}]}}]}),
    )
    .await;
    assert_eq!(v["embeddings"].as_array().map(Vec::len), Some(2));
    let resp = app
        .post_with(
            "/gemini-main/v1beta/models/gemini-2.5-flash:predictLong",
            "x-goog-api-key",
            ALICE,
            contents(),
        )
        .await;
    assert_eq!(resp.status(), 404);

    let resp = app
        .http
        .get(app.url("/gemini-main/v1beta/models"))
        .header("x-goog-api-key", ALICE)
        .send()
        .await
        .expect("request");
    let v = json(resp).await;
    assert!(
        v["models"][0]["name"]
            .as_str()
            .expect("name")
            .starts_with("models/")
    );
    assert_eq!(
        app.mock.last_request().expect("forwarded").path,
        "/v1beta/models"
    );
    let resp = app
        .http
        .get(app.url("/v1beta/models"))
        .header("x-goog-api-key", ALICE)
        .send()
        .await
        .expect("request");
    let v = json(resp).await;
    let names: Vec<&str> = v["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(
        names.contains(&"models/gemini-main/gemini-2.5-flash"),
        "{names:?}"
    );
}
