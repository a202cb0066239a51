//! Translation between protocols through the gateway: Anthropic Messages clients on an
//! OpenAI Chat upstream and Chat clients on an Anthropic upstream, streamed and not, with
//! text, tool calls, tool results, usage and upstream errors; Anthropic, Chat and Gemini
//! clients on a Responses upstream (`settings.dispatch`).

use crate::helpers::*;
use gproxy_testkit::Reply;
use serde_json::{Value, json};

fn anthropic_body(stream: bool) -> Value {
    json!({"model": "gpt-4.1", "max_tokens": 100, "stream": stream,
           "system": "Be brief.",
           "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
           "tools": [{"name": "get_weather", "description": "Weather for a city",
                      "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]})
}

async fn anthropic_call(app: &TestApp, body: Value) -> reqwest::Response {
    app.http
        .post(app.url("/openai-main/v1/messages"))
        .header("x-api-key", ALICE)
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "tools-2024")
        .json(&body)
        .send()
        .await
        .expect("request")
}

/// `(event, data)` pairs of an SSE body, checking each event's line equals its `type`.
fn anthropic_events(body: &str) -> Vec<(String, Value)> {
    let events = sse_events(body);
    let data = sse_data(body);
    assert_eq!(
        events.len(),
        data.len(),
        "every event has its event: line\n{body}"
    );
    events
        .into_iter()
        .zip(data)
        .map(|(e, d)| {
            let v: Value = serde_json::from_str(&d).expect("json");
            assert_eq!(v["type"], e.as_str(), "event line equals data.type");
            (e, v)
        })
        .collect()
}

#[tokio::test]
async fn anthropic_client_on_a_chat_upstream() {
    let app = spawn_app().await;
    let resp = anthropic_call(&app, anthropic_body(false)).await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["model"], "gpt-4.1");
    assert_eq!(v["content"][0]["type"], "text");
    assert_eq!(v["content"][0]["text"], "Hello from mock!");
    assert_eq!(v["stop_reason"], "end_turn");
    // The mock reports 11 prompt tokens, 3 of them cached: Anthropic counts them apart.
    assert_eq!(v["usage"]["input_tokens"], 8);
    assert_eq!(v["usage"]["cache_read_input_tokens"], 3);
    assert_eq!(v["usage"]["output_tokens"], 7);

    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_key_swapped(&sent, "authorization", UP_OPENAI);
    assert!(sent.header("anthropic-version").is_none() && sent.header("anthropic-beta").is_none());
    let body = sent.json();
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["max_completion_tokens"], 100);
    assert_eq!(body["tools"][0]["function"]["name"], "get_weather");
    let u = &app.wait_usages(1).await[0];
    assert_eq!((u.input_tokens, u.output_tokens, u.status), (11, 7, 200));
}

#[tokio::test]
async fn anthropic_client_streams_a_tool_call_from_a_chat_upstream() {
    let app = spawn_app().await;
    app.mock
        .push(Reply::tool_call("call_w1", "get_weather", json!({"city": "Paris"})).with_chunks(3));
    let resp = anthropic_call(&app, anthropic_body(true)).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/event-stream")
    );
    let body = resp.text().await.expect("body");
    let events = anthropic_events(&body);
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"message_start"));
    assert_eq!(kinds.last(), Some(&"message_stop"));
    assert_eq!(kinds[kinds.len() - 2], "message_delta");
    let start = &events[0].1["message"];
    assert_eq!(start["model"], "gpt-4.1");
    assert!(
        start["usage"]["input_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "estimated before the upstream reports: {start}"
    );
    let tool_start = events
        .iter()
        .find(|(k, v)| k == "content_block_start" && v["content_block"]["type"] == "tool_use")
        .expect("a tool_use block");
    assert_eq!(tool_start.1["content_block"]["id"], "call_w1");
    assert_eq!(tool_start.1["content_block"]["name"], "get_weather");
    let args: String = events
        .iter()
        .filter(|(k, v)| k == "content_block_delta" && v["delta"]["type"] == "input_json_delta")
        .map(|(_, v)| {
            v["delta"]["partial_json"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).expect("arguments json"),
        json!({"city": "Paris"})
    );
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["usage"]["output_tokens"], 7);
    let u = &app.wait_usages(1).await[0];
    assert!(u.complete && !u.estimated, "{u:?}");
    assert_eq!((u.input_tokens, u.output_tokens), (11, 7));
}

#[tokio::test]
async fn tool_results_travel_back_as_chat_tool_messages() {
    let app = spawn_app().await;
    let body = json!({"model": "gpt-4.1", "max_tokens": 50, "messages": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_a", "content": "sunny"},
            {"type": "tool_result", "tool_use_id": "toolu_b", "content": [{"type": "text", "text": "no city"}], "is_error": true}]}]});
    let resp = anthropic_call(&app, body).await;
    assert_eq!(resp.status(), 200);
    let sent = app.mock.last_request().expect("forwarded").json();
    let msgs = sent["messages"].as_array().expect("messages");
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["content"], "Checking.");
    assert_eq!(msgs[1]["tool_calls"][0]["id"], "toolu_a");
    assert_eq!(
        serde_json::from_str::<Value>(
            msgs[1]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .expect("args")
        )
        .expect("json"),
        json!({"city": "Paris"})
    );
    assert_eq!(msgs[1]["tool_calls"][1]["function"]["arguments"], "{}");
    assert_eq!(
        msgs[2],
        json!({"role": "tool", "content": "sunny", "tool_call_id": "toolu_a"})
    );
    assert_eq!(msgs[3]["role"], "tool");
    assert_eq!(msgs[3]["tool_call_id"], "toolu_b");
    assert_eq!(
        msgs[3]["content"], "Error: no city",
        "is_error survives as text"
    );
}

#[tokio::test]
async fn chat_client_on_an_anthropic_upstream() {
    let app = spawn_app().await;
    app.mock
        .push(Reply::tool_call("toolu_9", "lookup", json!({"q": "rust"})));
    let body = json!({"model": "claude-sonnet-4-5",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}],
        "max_tokens": 64});
    let resp = app
        .post("/anthropic-main/v1/chat/completions", ALICE, body.clone())
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "claude-sonnet-4-5");
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    let call = &v["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["id"], "toolu_9");
    assert_eq!(call["function"]["name"], "lookup");
    assert_eq!(
        serde_json::from_str::<Value>(call["function"]["arguments"].as_str().expect("args"))
            .expect("json"),
        json!({"q": "rust"})
    );
    // Anthropic's input excludes cache: chat's prompt tokens include it again.
    assert_eq!(v["usage"]["prompt_tokens"], 14);
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/messages");
    assert_key_swapped(&sent, "x-api-key", UP_ANTHROPIC);
    let sent = sent.json();
    assert_eq!(sent["system"], "sys");
    assert_eq!(sent["max_tokens"], 64);
    assert_eq!(sent["tools"][0]["input_schema"], json!({"type": "object"}));

    // Streamed, with the usage chunk asked for.
    let mut stream_body = body;
    stream_body["stream"] = json!(true);
    stream_body["stream_options"] = json!({"include_usage": true});
    let resp = app
        .post("/anthropic-main/v1/chat/completions", ALICE, stream_body)
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("body");
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).expect("json"))
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "Hello from mock!");
    let finish = chunks
        .iter()
        .find_map(|c| c["choices"][0]["finish_reason"].as_str())
        .expect("finish");
    assert_eq!(finish, "stop");
    let usage = chunks.last().expect("usage chunk");
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 7);
    let rows = app.wait_usages(2).await;
    assert!(
        rows.iter().all(|r| r.complete && r.status == 200),
        "{rows:?}"
    );
}

#[tokio::test]
async fn upstream_errors_and_untranslatable_requests_answer_in_the_clients_shape() {
    let app = spawn_app().await;
    app.mock.push(Reply::error(429, "slow down"));
    let resp = anthropic_call(&app, anthropic_body(false)).await;
    assert_eq!(resp.status(), 429);
    let v = json(resp).await;
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("slow down")
    );

    // n > 1 cannot be expressed for Anthropic: a 400 naming the field, nothing sent.
    let before = app.mock.requests().len();
    let resp = app
        .post(
            "/anthropic-main/v1/chat/completions",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "n": 2, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    let v = json(resp).await;
    assert!(
        v["error"]["message"].as_str().expect("msg").contains("`n`"),
        "{v}"
    );
    // A server tool has no schema another provider could run.
    let resp = anthropic_call(
        &app,
        json!({"model": "gpt-4.1", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}],
               "tools": [{"type": "web_search_20250305", "name": "web_search"}]}),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(
        json(resp).await["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("tools[0]")
    );
    assert_eq!(app.mock.requests().len(), before);
}

fn gemini_body() -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}],
           "systemInstruction": {"parts": [{"text": "Be brief."}]},
           "tools": [{"functionDeclarations": [{"name": "get_weather",
               "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}],
           "generationConfig": {"maxOutputTokens": 64, "temperature": 0.2}})
}

#[tokio::test]
async fn gemini_client_on_a_chat_upstream() {
    let app = spawn_app().await;
    let resp = app
        .post_with(
            "/openai-main/v1beta/models/gpt-4.1:generateContent",
            "x-goog-api-key",
            ALICE,
            gemini_body(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(
        v["candidates"][0]["content"]["parts"][0]["text"],
        "Hello from mock!"
    );
    assert_eq!(v["candidates"][0]["finishReason"], "STOP");
    assert_eq!(v["usageMetadata"]["promptTokenCount"], 11);
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_key_swapped(&sent, "authorization", UP_OPENAI);
    let body = sent.json();
    assert_eq!(body["model"], "gpt-4.1");
    assert_eq!(body["messages"][0]["content"], "Be brief.");
    assert_eq!(
        body["tools"][0]["function"]["parameters"]["properties"]["city"]["type"], "string",
        "Gemini's capitalized types become JSON Schema"
    );

    // Streamed as SSE (alt=sse) and as one JSON array (no alt), with a function call.
    for (query, sse) in [("?alt=sse", true), ("", false)] {
        app.mock.push(Reply::tool_call(
            "call_g",
            "get_weather",
            json!({"city": "Paris"}),
        ));
        let resp = app
            .post_with(
                &format!("/openai-main/v1beta/models/gpt-4.1:streamGenerateContent{query}"),
                "x-goog-api-key",
                ALICE,
                gemini_body(),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let ct = resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let text = resp.text().await.expect("body");
        let chunks: Vec<Value> = if sse {
            assert!(ct.starts_with("text/event-stream"), "{ct}");
            sse_data(&text)
                .iter()
                .map(|d| serde_json::from_str(d).expect("json"))
                .collect()
        } else {
            assert!(ct.starts_with("application/json"), "{ct}");
            serde_json::from_str::<Vec<Value>>(&text).expect("one JSON array")
        };
        let call = chunks
            .iter()
            .find_map(|c| c["candidates"][0]["content"]["parts"][0].get("functionCall"))
            .expect("a function call");
        assert_eq!(call["name"], "get_weather");
        assert_eq!(call["args"], json!({"city": "Paris"}));
        let last = chunks.last().expect("chunks");
        assert_eq!(last["candidates"][0]["finishReason"], "STOP");
        // 7 completion tokens, 2 of them reasoning: Gemini counts thoughts apart.
        assert_eq!(last["usageMetadata"]["candidatesTokenCount"], 5);
        assert_eq!(last["usageMetadata"]["thoughtsTokenCount"], 2);
    }
}

#[tokio::test]
async fn chat_client_on_a_gemini_upstream() {
    let app = spawn_app().await;
    let body = json!({"model": "gemini-2.5-flash", "max_tokens": 50,
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]});
    let resp = app
        .post("/gemini-main/v1/chat/completions", ALICE, body.clone())
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["choices"][0]["message"]["content"], "Hello from mock!");
    assert_eq!(v["model"], "gemini-2.5-flash");
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_key_swapped(&sent, "x-goog-api-key", UP_GEMINI);
    let g = sent.json();
    assert_eq!(g["systemInstruction"]["parts"][0]["text"], "sys");
    assert_eq!(
        g["contents"][0],
        json!({"role": "user", "parts": [{"text": "hi"}]})
    );
    assert_eq!(g["generationConfig"]["maxOutputTokens"], 50);
    assert_eq!(
        g["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"],
        json!({"type": "object"})
    );

    // Streamed: the upstream is asked for SSE; a call comes back as chat tool-call deltas,
    // and its turn goes back with the documented skip value for the lost signature.
    app.mock
        .push(Reply::tool_call("ignored", "lookup", json!({"q": "rust"})));
    let mut stream_body = body.clone();
    stream_body["stream"] = json!(true);
    let resp = app
        .post("/gemini-main/v1/chat/completions", ALICE, stream_body)
        .await;
    let text = resp.text().await.expect("body");
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(
        sent.path,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    );
    assert_eq!(sent.query.as_deref(), Some("alt=sse"));
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).expect("json"))
        .collect();
    let call = chunks
        .iter()
        .find_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .expect("tool call");
    let id = call["id"].as_str().expect("a minted id").to_owned();
    assert_eq!(call["function"]["name"], "lookup");
    let finish = chunks
        .iter()
        .find_map(|c| c["choices"][0]["finish_reason"].as_str())
        .expect("finish");
    assert_eq!(finish, "tool_calls");

    let mut next = body;
    next["messages"] = json!([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": id, "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"rust\"}"}}]},
        {"role": "tool", "tool_call_id": id, "content": "{\"hits\": 3}"}]);
    let resp = app
        .post("/gemini-main/v1/chat/completions", ALICE, next)
        .await;
    assert_eq!(resp.status(), 200);
    let g = app.mock.last_request().expect("forwarded").json();
    let model_turn = &g["contents"][1];
    assert_eq!(model_turn["role"], "model");
    assert_eq!(model_turn["parts"][0]["functionCall"]["name"], "lookup");
    assert_eq!(
        model_turn["parts"][0]["thoughtSignature"],
        "skip_thought_signature_validator"
    );
    let result = &g["contents"][2]["parts"][0]["functionResponse"];
    assert_eq!(result["name"], "lookup", "results name their function");
    assert_eq!(result["response"], json!({"result": {"hits": 3}}));
}

/// `(event, data)` of a Responses stream, checking event lines and sequence numbers.
fn responses_events(body: &str) -> Vec<(String, Value)> {
    let events = anthropic_events(body);
    for (i, (_, data)) in events.iter().enumerate() {
        assert_eq!(data["sequence_number"], i, "sequence numbers count up");
    }
    events
}

/// Codex CLI's shape of request: Responses, streamed, `store: false`, instructions as a
/// developer item, function tools; served by an Anthropic upstream and by a Chat-only one.
#[tokio::test]
async fn responses_client_on_anthropic_and_chat_only_upstreams() {
    let app = spawn_app().await;
    let body = json!({"model": "claude-sonnet-4-5", "stream": true, "store": false,
        "include": ["reasoning.encrypted_content"],
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "You are Codex."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]}],
        "tools": [{"type": "function", "name": "shell", "description": "run a command",
                   "parameters": {"type": "object", "properties": {"command": {"type": "array"}}}}]});
    app.mock.push(Reply::tool_call(
        "toolu_s",
        "shell",
        json!({"command": ["ls"]}),
    ));
    let resp = app
        .post("/anthropic-main/v1/responses", ALICE, body.clone())
        .await;
    assert_eq!(resp.status(), 200);
    let events = responses_events(&resp.text().await.expect("body"));
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(&kinds[..2], ["response.created", "response.in_progress"]);
    assert_eq!(kinds.last(), Some(&"response.completed"));
    let done = &events.last().expect("events").1["response"];
    let call = done["output"]
        .as_array()
        .expect("output")
        .iter()
        .find(|o| o["type"] == "function_call")
        .expect("the call is in response.completed");
    assert_eq!(call["call_id"], "toolu_s");
    assert_eq!(call["name"], "shell");
    assert_eq!(
        serde_json::from_str::<Value>(call["arguments"].as_str().expect("args")).expect("json"),
        json!({"command": ["ls"]})
    );
    assert!(
        done["usage"]["total_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    let sent = app.mock.last_request().expect("forwarded").json();
    assert_eq!(sent["system"], "You are Codex.");
    assert_eq!(sent["tools"][0]["name"], "shell");

    // The next turn: the call's output goes back as an Anthropic tool_result.
    let next = json!({"model": "claude-sonnet-4-5", "store": false, "input": [
        {"type": "message", "role": "user", "content": "list files"},
        {"type": "function_call", "call_id": "toolu_s", "name": "shell", "arguments": "{\"command\":[\"ls\"]}"},
        {"type": "function_call_output", "call_id": "toolu_s", "output": "a.txt\nb.txt"}]});
    let resp = app.post("/anthropic-main/v1/responses", ALICE, next).await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["object"], "response");
    assert_eq!(v["status"], "completed");
    assert_eq!(v["output"][0]["content"][0]["text"], "Hello from mock!");
    let sent = app.mock.last_request().expect("forwarded").json();
    assert_eq!(sent["messages"][1]["content"][0]["type"], "tool_use");
    assert_eq!(
        sent["messages"][2]["content"][0],
        json!({"type": "tool_result", "tool_use_id": "toolu_s", "content": "a.txt\nb.txt"})
    );

    // A Chat-only server (DeepSeek) serves Responses through Chat.
    let resp = app
        .post(
            "/deepseek-main/v1/responses",
            ALICE,
            json!({"model": "deepseek-chat", "input": "hi", "stream": true}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let events = responses_events(&resp.text().await.expect("body"));
    let text: String = events
        .iter()
        .filter(|(k, _)| k == "response.output_text.delta")
        .map(|(_, v)| v["delta"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(text, "Hello from mock!");
    assert_eq!(
        app.mock.last_request().expect("sent").path,
        "/v1/chat/completions"
    );

    // Stored state exists only at OpenAI: refused, naming the field.
    let resp = app
        .post(
            "/anthropic-main/v1/responses",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "input": "hi", "previous_response_id": "resp_1"}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert!(
        json(resp).await["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("previous_response_id")
    );
}

/// Counting tokens where the provider cannot count in the caller's protocol: the gateway
/// counts with its bundled tokenizer, in the caller's shape, marked as an estimate.
#[tokio::test]
async fn token_counts_across_protocols_are_local_estimates() {
    let app = spawn_app().await;
    let messages = json!([{"role": "user", "content": "How many tokens is this sentence?"}]);
    let resp = app
        .post(
            "/openai-main/v1/messages/count_tokens",
            ALICE,
            json!({"model": "gpt-4.1", "messages": messages}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-gproxy-estimated"], "true");
    let n = json(resp).await["input_tokens"].as_u64().expect("count");
    assert!((5..=20).contains(&n), "{n}");

    let resp = app
        .post_with(
            "/openai-main/v1beta/models/gpt-4.1:countTokens",
            "x-goog-api-key",
            ALICE,
            json!({"contents": [{"role": "user", "parts": [{"text": "How many tokens is this sentence?"}]}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        json(resp).await["totalTokens"]
            .as_u64()
            .is_some_and(|n| n > 3)
    );

    let resp = app
        .post(
            "/anthropic-main/v1/responses/input_tokens",
            ALICE,
            json!({"model": "claude-sonnet-4-5", "input": "How many tokens is this sentence?"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["object"], "response.input_tokens");
    assert!(v["input_tokens"].as_u64().is_some_and(|n| n > 3));
    assert!(app.mock.requests().is_empty(), "no upstream was asked");
}

/// `settings.dispatch` overrides the channel's table: a custom (OpenAI-compatible) server
/// that also speaks Anthropic Messages natively gets Anthropic clients byte for byte, with
/// Anthropic's auth; another sends Chat clients to its Messages endpoint through translation.
#[tokio::test]
async fn dispatch_overrides_pick_the_upstream_endpoint() {
    let app = spawn_with_seed(|mock| {
        format!(
            r#"
[[providers]]
name = "dual"
channel = "custom"
settings = {{ base_url = "{mock}", dispatch = {{ messages = "passthrough", chat_completions = "anthropic.messages" }} }}
credentials = [ {{ api_key = "sk-up-dual" }} ]
"#
        )
    })
    .await;
    let body = r#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#;
    let resp = app
        .http
        .post(app.url("/dual/v1/messages"))
        .header("x-api-key", ALICE)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["type"], "message");
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(
        &sent.body[..],
        body.as_bytes(),
        "passthrough stays byte-level"
    );
    assert_key_swapped(&sent, "x-api-key", "sk-up-dual");
    assert!(sent.header("anthropic-version").is_some());

    let resp = app
        .post(
            "/dual/v1/chat/completions",
            ALICE,
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["object"], "chat.completion");
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/messages", "chat translated to Messages");
    assert_key_swapped(&sent, "x-api-key", "sk-up-dual");
}

/// Embeddings between OpenAI and Gemini: texts in, vectors out, in each client's shape (the
/// OpenAI SDK's default base64 form included).
#[tokio::test]
async fn embeddings_between_openai_and_gemini() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/gemini-main/v1/embeddings",
            ALICE,
            json!({"model": "text-embedding-004", "input": ["hello", "world"]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"].as_array().map(Vec::len), Some(2));
    assert!(
        v["data"][1]["embedding"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(
        sent.path,
        "/v1beta/models/text-embedding-004:batchEmbedContents"
    );
    assert_key_swapped(&sent, "x-goog-api-key", UP_GEMINI);
    assert_eq!(
        sent.json()["requests"][1]["content"]["parts"][0]["text"],
        "world"
    );

    let resp = app
        .post(
            "/gemini-main/v1/embeddings",
            ALICE,
            json!({"model": "text-embedding-004", "input": "hello", "encoding_format": "base64"}),
        )
        .await;
    let v = json(resp).await;
    assert!(
        v["data"][0]["embedding"].is_string(),
        "base64 as asked: {v}"
    );

    let resp = app
        .post_with(
            "/openai-main/v1beta/models/text-embedding-3-small:embedContent",
            "x-goog-api-key",
            ALICE,
            json!({"content": {"parts": [{"text": "hello"}]}}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert!(
        v["embedding"]["values"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{v}"
    );
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/embeddings");
    assert_eq!(sent.json()["input"], json!(["hello"]));
}

#[tokio::test]
async fn an_upstream_that_failed_without_an_answer_is_a_client_error() {
    let app = spawn_app().await;
    let malformed = || Reply {
        finish_reason: Some("MALFORMED_FUNCTION_CALL".into()),
        ..Reply::text("")
    };
    // Non-stream: a 502 in the client's shape naming the failure, recorded as one.
    app.mock.push(malformed());
    let body = json!({"model": "gemini-2.5-flash",
        "messages": [{"role": "user", "content": "hi"}]});
    let resp = app
        .post("/gemini-main/v1/chat/completions", ALICE, body)
        .await;
    assert_eq!(resp.status(), 502);
    let v = json(resp).await;
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("malformed"),
        "{v}"
    );
    let u = &app.wait_usages(1).await[0];
    assert_eq!(u.status, 502, "{u:?}");

    // Stream: the Anthropic client's error event, no stop; recorded as incomplete.
    app.mock.push(malformed());
    let resp = app
        .http
        .post(app.url("/gemini-main/v1/messages"))
        .header("x-api-key", ALICE)
        .header("anthropic-version", "2023-06-01")
        .json(
            &json!({"model": "gemini-2.5-flash", "max_tokens": 50, "stream": true,
            "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("body");
    let kinds: Vec<String> = anthropic_events(&text)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds.last().map(String::as_str), Some("error"), "{text}");
    assert!(!kinds.iter().any(|k| k == "message_stop"), "{text}");
    let usages = app.wait_usages(2).await;
    let u = usages
        .iter()
        .find(|u| u.status == 200)
        .expect("the stream's record");
    assert!(!u.complete, "{u:?}");
}

#[tokio::test]
async fn stream_only_and_whole_only_upstreams_are_bridged() {
    let app = spawn_with_seed(|mock| {
        format!(
            r#"
[[providers]]
name = "streams-only"
channel = "custom"
settings = {{ base_url = "{mock}", upstream_stream = "always" }}
credentials = [ {{ api_key = "sk-up-s" }} ]

[[providers]]
name = "whole-only"
channel = "custom"
settings = {{ base_url = "{mock}", upstream_stream = "never" }}
credentials = [ {{ api_key = "sk-up-w" }} ]
"#
        )
    })
    .await;
    let call = |provider: &str, stream: bool| {
        app.http
            .post(app.url(&format!("/{provider}/v1/messages")))
            .header("x-api-key", ALICE)
            .header("anthropic-version", "2023-06-01")
            .json(&json!({"model": "m", "max_tokens": 50, "stream": stream,
                "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };

    // A client that does not stream, an upstream that only streams: aggregated.
    app.mock.push(Reply::text("Hello in pieces").with_chunks(4));
    let resp = call("streams-only", false).await.expect("request");
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["type"], "message");
    assert_eq!(v["content"][0]["text"], "Hello in pieces");
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(
        app.mock.last_request().expect("sent").json()["stream"],
        true
    );
    let u = &app.wait_usages(1).await[0];
    assert!(u.complete && !u.estimated, "{u:?}");
    assert_eq!((u.input_tokens, u.output_tokens), (11, 7));

    // A client that streams, an upstream that never does: replayed as events.
    app.mock.push(Reply::tool_call(
        "call_1",
        "get_weather",
        json!({"city": "Paris"}),
    ));
    let resp = call("whole-only", true).await.expect("request");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/event-stream")
    );
    let text = resp.text().await.expect("body");
    let events = anthropic_events(&text);
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"message_start"));
    assert_eq!(kinds.last(), Some(&"message_stop"));
    assert!(text.contains("\"stop_reason\":\"tool_use\""), "{text}");
    assert!(
        events[0].1["message"]["usage"]["input_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "message_start shows the input: {text}"
    );
    let sent = app.mock.last_request().expect("sent").json();
    assert!(sent.get("stream").is_none_or(|s| s == false), "{sent}");
}

/// A provider whose OpenAI channel serves Chat, Anthropic and Gemini clients at its
/// Responses endpoint (`settings.dispatch`), as for the Responses-only codex models.
async fn spawn_responses_provider() -> TestApp {
    spawn_with_seed(|mock| {
        format!(
            r#"
[[providers]]
name = "openai-responses"
channel = "openai"
settings = {{ base_url = "{mock}/v1", dispatch = {{ messages = "openai.responses", chat_completions = "openai.responses", generate_content = "openai.responses", stream_generate_content = "openai.responses" }} }}
credentials = [ {{ api_key = "sk-up-responses" }} ]
"#
        )
    })
    .await
}

/// The Responses body the mock got, checked for what every translated call sends.
fn sent_responses_body(app: &TestApp) -> Value {
    let sent = app.mock.last_request().expect("forwarded");
    assert_eq!(sent.path, "/v1/responses");
    assert_key_swapped(&sent, "authorization", "sk-up-responses");
    let body = sent.json();
    assert_eq!(body["store"], false, "{body}");
    assert_eq!(body["model"], "gpt-5-codex");
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    body
}

#[tokio::test]
async fn anthropic_client_on_a_responses_upstream() {
    let app = spawn_responses_provider().await;
    let app = &app;
    let call = |body: Value| async move {
        app.http
            .post(app.url("/openai-responses/v1/messages"))
            .header("x-api-key", ALICE)
            .header("anthropic-version", "2023-06-01")
            .json(&body)
            .send()
            .await
            .expect("request")
    };
    let mut body = anthropic_body(false);
    body["model"] = json!("gpt-5-codex");
    let resp = call(body.clone()).await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["content"][0]["text"], "Hello from mock!");
    assert_eq!(v["stop_reason"], "end_turn");
    // 11 input tokens, 3 of them cached: Anthropic counts them apart.
    assert_eq!(
        (
            &v["usage"]["input_tokens"],
            &v["usage"]["cache_read_input_tokens"],
            &v["usage"]["output_tokens"]
        ),
        (&json!(8), &json!(3), &json!(7))
    );
    let sent = sent_responses_body(app);
    assert_eq!(sent["instructions"], "Be brief.");
    assert_eq!(
        sent["input"],
        json!([{"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "What is the weather in Paris?"}]}])
    );
    assert_eq!(
        sent["tools"][0],
        json!({"type": "function", "name": "get_weather", "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            "strict": false})
    );
    assert_eq!(sent["max_output_tokens"], 100);
    assert!(sent.get("stream").is_none());

    // Streamed, two calls in parallel: two tool_use blocks with their own arguments.
    app.mock.push(
        Reply::tool_calls([
            (
                "call_p".to_owned(),
                "get_weather".to_owned(),
                json!({"city": "Paris"}),
            ),
            (
                "call_r".to_owned(),
                "get_weather".to_owned(),
                json!({"city": "Rome"}),
            ),
        ])
        .with_chunks(3),
    );
    body["stream"] = json!(true);
    let resp = call(body.clone()).await;
    assert_eq!(resp.status(), 200);
    let events = anthropic_events(&resp.text().await.expect("body"));
    assert_eq!(sent_responses_body(app)["stream"], true);
    let mut calls: Vec<(String, String)> = Vec::new();
    for (kind, v) in &events {
        if kind == "content_block_start" && v["content_block"]["type"] == "tool_use" {
            let id = v["content_block"]["id"].as_str().expect("id").to_owned();
            calls.push((id, String::new()));
        }
        if v["delta"]["type"] == "input_json_delta" {
            let index = v["index"].as_u64().expect("index") as usize;
            let start = events
                .iter()
                .find(|(k, s)| k == "content_block_start" && s["index"] == index)
                .expect("its start");
            let id = start.1["content_block"]["id"].as_str().expect("id");
            let call = calls.iter_mut().find(|(c, _)| c == id).expect("open call");
            call.1
                .push_str(v["delta"]["partial_json"].as_str().unwrap_or_default());
        }
    }
    let calls: Vec<(String, Value)> = calls
        .into_iter()
        .map(|(id, args)| (id, serde_json::from_str(&args).expect("whole arguments")))
        .collect();
    assert_eq!(
        calls,
        [
            ("call_p".to_owned(), json!({"city": "Paris"})),
            ("call_r".to_owned(), json!({"city": "Rome"}))
        ]
    );
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["usage"]["output_tokens"], 7);
    assert_eq!(events.last().expect("events").0, "message_stop");
    let u = &app.wait_usages(2).await[1];
    assert!(u.complete, "{u:?}");
    assert_eq!((u.input_tokens, u.output_tokens), (11, 7));

    // The results go back as function_call_output items after their calls.
    let next = json!({"model": "gpt-5-codex", "max_tokens": 100, "messages": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "call_p", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_r", "name": "get_weather", "input": {"city": "Rome"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_p", "content": "sunny"},
            {"type": "tool_result", "tool_use_id": "call_r", "content": "rain", "is_error": true}]}]});
    assert_eq!(call(next).await.status(), 200);
    let sent = sent_responses_body(app);
    assert_eq!(
        sent["input"].as_array().expect("input")[1..],
        json!([
            {"type": "function_call", "call_id": "call_p", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call", "call_id": "call_r", "name": "get_weather", "arguments": "{\"city\":\"Rome\"}"},
            {"type": "function_call_output", "call_id": "call_p", "output": "sunny"},
            {"type": "function_call_output", "call_id": "call_r", "output": "Error: rain"}])
        .as_array()
        .expect("array")[..]
    );
}

#[tokio::test]
async fn chat_client_on_a_responses_upstream() {
    let app = spawn_responses_provider().await;
    let body = json!({"model": "gpt-5-codex", "max_completion_tokens": 50,
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]});
    let resp = app
        .post("/openai-responses/v1/chat/completions", ALICE, body.clone())
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "Hello from mock!");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["prompt_tokens"], 11);
    assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 3);
    assert_eq!(v["usage"]["completion_tokens"], 7);
    assert_eq!(
        v["usage"]["completion_tokens_details"]["reasoning_tokens"],
        2
    );
    let sent = sent_responses_body(&app);
    assert_eq!(sent["instructions"], "sys");
    assert_eq!(sent["input"][0]["content"][0]["text"], "hi");
    assert_eq!(sent["tools"][0]["name"], "lookup");
    assert_eq!(sent["max_output_tokens"], 50);

    // Streamed with a call: tool-call deltas, `tool_calls`, the usage chunk when asked.
    app.mock
        .push(Reply::tool_call("call_l", "lookup", json!({"q": "rust"})).with_chunks(3));
    let mut stream_body = body;
    stream_body["stream"] = json!(true);
    stream_body["stream_options"] = json!({"include_usage": true});
    let resp = app
        .post("/openai-responses/v1/chat/completions", ALICE, stream_body)
        .await;
    assert_eq!(resp.status(), 200);
    let data = sse_data(&resp.text().await.expect("body"));
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).expect("json"))
        .collect();
    let first = chunks
        .iter()
        .find_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .expect("a call");
    assert_eq!(first["id"], "call_l");
    assert_eq!(first["function"]["name"], "lookup");
    let args: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).expect("json"),
        json!({"q": "rust"})
    );
    let finish = chunks
        .iter()
        .find_map(|c| c["choices"][0]["finish_reason"].as_str())
        .expect("finish");
    assert_eq!(finish, "tool_calls");
    let usage = &chunks.last().expect("usage chunk")["usage"];
    assert_eq!(
        (&usage["prompt_tokens"], &usage["completion_tokens"]),
        (&json!(11), &json!(7))
    );
    assert_eq!(sent_responses_body(&app)["stream"], true);
}

#[tokio::test]
async fn gemini_client_on_a_responses_upstream() {
    let app = spawn_responses_provider().await;
    let resp = app
        .post_with(
            "/openai-responses/v1beta/models/gpt-5-codex:generateContent",
            "x-goog-api-key",
            ALICE,
            gemini_body(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json(resp).await;
    assert_eq!(
        v["candidates"][0]["content"]["parts"][0]["text"],
        "Hello from mock!"
    );
    assert_eq!(v["candidates"][0]["finishReason"], "STOP");
    // 7 output tokens, 2 of them reasoning: Gemini counts thoughts apart.
    assert_eq!(v["usageMetadata"]["promptTokenCount"], 11);
    assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 5);
    assert_eq!(v["usageMetadata"]["thoughtsTokenCount"], 2);
    let sent = sent_responses_body(&app);
    assert_eq!(sent["instructions"], "Be brief.");
    assert_eq!(sent["max_output_tokens"], 64);
    assert_eq!(
        sent["tools"][0]["parameters"]["properties"]["city"]["type"],
        "string"
    );

    // Streamed (alt=sse) with a call: the call whole, with its id, usage in the last chunk.
    app.mock.push(Reply::tool_call(
        "call_g",
        "get_weather",
        json!({"city": "Paris"}),
    ));
    let resp = app
        .post_with(
            "/openai-responses/v1beta/models/gpt-5-codex:streamGenerateContent?alt=sse",
            "x-goog-api-key",
            ALICE,
            gemini_body(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("body");
    let chunks: Vec<Value> = sse_data(&text)
        .iter()
        .map(|d| serde_json::from_str(d).expect("json"))
        .collect();
    let call = chunks
        .iter()
        .find_map(|c| c["candidates"][0]["content"]["parts"][0].get("functionCall"))
        .expect("a function call");
    assert_eq!(
        (&call["id"], &call["name"], &call["args"]),
        (
            &json!("call_g"),
            &json!("get_weather"),
            &json!({"city": "Paris"})
        )
    );
    let last = chunks.last().expect("chunks");
    assert_eq!(last["usageMetadata"]["promptTokenCount"], 11);
    let sent = sent_responses_body(&app);
    assert_eq!(sent["stream"], true);
    assert_eq!(
        app.mock
            .last_request()
            .expect("sent")
            .query
            .as_deref()
            .unwrap_or_default(),
        "",
        "no alt=sse for a Responses upstream"
    );
}

/// Claude Code on a codex model: the model's encrypted reasoning reaches the client as a
/// thinking block and goes back to the upstream as the reasoning item it was, whole.
#[tokio::test]
async fn openai_reasoning_survives_an_anthropic_tool_loop_on_a_responses_upstream() {
    let app = spawn_responses_provider().await;
    app.mock.push(
        Reply::tool_call("call_t", "get_weather", json!({"city": "Paris"}))
            .with_reasoning("Check the weather."),
    );
    let mut body = anthropic_body(true);
    body["model"] = json!("gpt-5-codex");
    let resp = app
        .post_with(
            "/openai-responses/v1/messages",
            "x-api-key",
            ALICE,
            body.clone(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let events = anthropic_events(&resp.text().await.expect("body"));
    let thinking: String = events
        .iter()
        .filter(|(_, v)| v["delta"]["type"] == "thinking_delta")
        .map(|(_, v)| {
            v["delta"]["thinking"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(thinking, "Check the weather.");
    let signature = events
        .iter()
        .find_map(|(_, v)| {
            (v["delta"]["type"] == "signature_delta").then(|| v["delta"]["signature"].clone())
        })
        .expect("the reasoning's signature");

    body["stream"] = json!(false);
    body["messages"] = json!([
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": thinking, "signature": signature},
            {"type": "tool_use", "id": "call_t", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_t", "content": "sunny"}]}]);
    let resp = app
        .post_with("/openai-responses/v1/messages", "x-api-key", ALICE, body)
        .await;
    assert_eq!(resp.status(), 200);
    let sent = sent_responses_body(&app);
    let encrypted = sent["input"][1]["encrypted_content"]
        .as_str()
        .expect("encrypted content");
    assert!(
        encrypted.starts_with("enc_mock_"),
        "the mock's own: {encrypted}"
    );
    assert!(
        signature.as_str().is_some_and(|s| s.ends_with(encrypted)),
        "carried in the signature: {signature}"
    );
    assert_eq!(
        sent["input"][1]["summary"],
        json!([{"type": "summary_text", "text": "Check the weather."}])
    );
    assert_eq!(sent["input"][2]["type"], "function_call");
    assert_eq!(sent["input"][3]["call_id"], "call_t");
}
