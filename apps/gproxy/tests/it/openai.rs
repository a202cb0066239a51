//! OpenAI surface: chat, responses, embeddings, models; scoped and unscoped; every
//! OpenAI-speaking channel.

use crate::helpers::*;
use gproxy_testkit::Reply;
use serde_json::{Value, json};

#[tokio::test]
async fn chat_scoped_is_relayed_byte_for_byte_with_the_key_swapped() {
    let app = spawn_app().await;
    let body = r#"{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"temperature":0.25,"x_vendor":{"keep":[1,2]}}"#;
    let resp = app
        .http
        .post(app.url("/openai-main/v1/chat/completions"))
        .bearer_auth(ALICE)
        .header("content-type", "application/json")
        .header("openai-organization", "org-1")
        .header("openai-beta", "assistants=v2")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-gproxy-request-id"));
    assert!(resp.headers().contains_key("x-request-id"));
    let v = json(resp).await;
    assert_eq!(v["choices"][0]["message"]["content"], "Hello from mock!");
    assert_eq!(v["model"], "gpt-4.1");
    assert_eq!(v["usage"]["prompt_tokens"], 11);

    let req = app.mock.last_request().expect("forwarded");
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(
        &req.body[..],
        body.as_bytes(),
        "same-protocol passthrough keeps the body as sent"
    );
    assert_eq!(req.header("openai-beta"), Some("assistants=v2"));
    assert_eq!(
        req.header("openai-organization"),
        None,
        "billing-scope headers are dropped unless the provider allows them"
    );
    assert_key_swapped(&req, "authorization", UP_OPENAI);
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {UP_OPENAI}").as_str())
    );
}

#[tokio::test]
async fn chat_unscoped_rewrites_the_model_both_ways() {
    let app = spawn_app().await;
    let msgs = json!([{"role": "user", "content": "hi"}]);
    for (model, upstream) in [
        ("openai-main/gpt-4.1", "gpt-4.1"),
        ("chat-default", "gpt-4.1"),
        ("local/qwen3", "qwen3"),
    ] {
        let resp = app
            .post(
                "/v1/chat/completions",
                ALICE,
                json!({"model": model, "messages": msgs}),
            )
            .await;
        assert_eq!(resp.status(), 200, "{model}");
        let v = json(resp).await;
        assert_eq!(v["model"], model, "the client gets back the name it used");
        let req = app.mock.last_request().expect("forwarded");
        assert_eq!(req.json()["model"], upstream);
        assert_eq!(req.json()["messages"], msgs);
    }
}

#[tokio::test]
async fn chat_stream_is_relayed_event_by_event() {
    let app = spawn_app().await;
    app.mock
        .push(Reply::text("one two three four").with_chunks(4));
    let resp = app
        .post(
            "/v1/chat/completions",
            ALICE,
            json!({"model": "openai-main/gpt-4.1", "stream": true, "stream_options": {"include_usage": true},
                   "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/event-stream")
    );
    let body = resp.text().await.expect("body");
    let data = sse_data(&body);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).expect("chunk json"))
        .collect();
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "one two three four");
    assert!(
        chunks.iter().all(|c| c["model"] == "openai-main/gpt-4.1"),
        "model rewritten in every chunk"
    );
    let last = chunks.last().expect("usage chunk");
    assert_eq!(last["usage"]["completion_tokens"], 7);
    assert_eq!(
        app.mock.last_request().expect("forwarded").json()["model"],
        "gpt-4.1"
    );
}

#[tokio::test]
async fn chat_tool_calls_pass_through() {
    let app = spawn_app().await;
    app.mock.push(Reply::tool_call(
        "call_7",
        "get_weather",
        json!({"city": "Paris"}),
    ));
    let v = json(
        app.post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await,
    )
    .await;
    let call = &v["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["id"], "call_7");
    assert_eq!(call["function"]["name"], "get_weather");
    let args: Value = serde_json::from_str(call["function"]["arguments"].as_str().expect("args"))
        .expect("json args");
    assert_eq!(args, json!({"city": "Paris"}));
}

#[tokio::test]
async fn responses_stream_and_input_tokens() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/openai-main/v1/responses",
            ALICE,
            json!({"model": "gpt-4.1", "input": "hi", "stream": true}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.expect("body");
    let events = sse_events(&body);
    assert_eq!(events.first().map(String::as_str), Some("response.created"));
    assert_eq!(
        events.last().map(String::as_str),
        Some("response.completed")
    );
    assert!(events.iter().any(|e| e == "response.output_text.delta"));

    let v = json(
        app.post(
            "/openai-main/v1/responses/input_tokens",
            ALICE,
            json!({"model": "gpt-4.1", "input": "hi"}),
        )
        .await,
    )
    .await;
    assert_eq!(v["input_tokens"], 11);
    assert_eq!(
        app.mock.last_request().expect("forwarded").path,
        "/v1/responses/input_tokens"
    );
}

#[tokio::test]
async fn embeddings_on_openai_and_nvidia() {
    let app = spawn_app().await;
    for prefix in ["/openai-main", "/nvidia-main"] {
        let v = json(
            app.post(
                &format!("{prefix}/v1/embeddings"),
                ALICE,
                json!({"model": "text-embedding-3-small", "input": ["a", "b"]}),
            )
            .await,
        )
        .await;
        assert_eq!(v["data"].as_array().map(Vec::len), Some(2), "{prefix}");
        assert_eq!(
            app.mock.last_request().expect("forwarded").path,
            "/v1/embeddings"
        );
    }
}

#[tokio::test]
async fn deepseek_without_v1_in_base_url_and_unsupported_operations() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/deepseek-main/v1/chat/completions",
            ALICE,
            json!({"model": "deepseek-chat", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let req = app.mock.last_request().expect("forwarded");
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.header("authorization"), Some("Bearer sk-up-deepseek"));

    let before = app.mock.requests().len();
    let resp = app
        .post(
            "/deepseek-main/v1/embeddings",
            ALICE,
            json!({"model": "deepseek-chat", "input": "x"}),
        )
        .await;
    assert_eq!(resp.status(), 501);
    let v = json(resp).await;
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("does not support"),
        "{v}"
    );
    assert_eq!(app.mock.requests().len(), before, "nothing forwarded");
}

#[tokio::test]
async fn models_scoped_passthrough_and_unscoped_local_list() {
    let app = spawn_app().await;
    let v = json(app.get("/openai-main/v1/models", ALICE).await).await;
    assert_eq!(v["object"], "list");
    assert_eq!(
        app.mock.last_request().expect("forwarded").path,
        "/v1/models"
    );

    let v = json(app.get("/v1/models", ALICE).await).await;
    let ids: Vec<&str> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![
            "openai-main/gpt-4.1",
            "anthropic-main/claude-sonnet-4-5",
            "gemini-main/gemini-2.5-flash",
            "chat-default"
        ]
    );
    // bob may use gpt-* on openai-main only.
    let v = json(app.get("/v1/models", BOB).await).await;
    let ids: Vec<&str> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["openai-main/gpt-4.1", "chat-default"]);

    let v = json(app.get("/v1/models/openai-main/gpt-4.1", ALICE).await).await;
    assert_eq!(v["id"], "openai-main/gpt-4.1");
    assert_eq!(v["owned_by"], "openai-main");
    let resp = app.get("/v1/models/openai-main/nope", ALICE).await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn misconfigured_base_urls_still_reach_the_provider() {
    let app = spawn_app().await;
    let chat = json!({"model": "gpt-4.1", "messages": []});
    assert_eq!(
        app.post("/openai-main/chat/completions", ALICE, chat)
            .await
            .status(),
        200
    );
    let unscoped = json!({"model": "openai-main/gpt-4.1", "messages": []});
    assert_eq!(
        app.post("/chat/completions", ALICE, unscoped)
            .await
            .status(),
        200
    );
    let msg = json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": []});
    assert_eq!(
        app.post("/anthropic-main/v1/v1/messages", ALICE, msg)
            .await
            .status(),
        200
    );
    let paths: Vec<String> = app.mock.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        vec![
            "/v1/chat/completions",
            "/v1/chat/completions",
            "/v1/messages"
        ]
    );
}
