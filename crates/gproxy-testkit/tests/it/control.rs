//! The `/__mock/` control endpoints: scripting replies and reading or clearing the request log
//! over HTTP, on the library server and on the `gproxy-mock` binary.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use gproxy_testkit::{MockUpstream, Reply};
use serde_json::{Value, json};

use crate::{json_of, post, read_body};

/// POSTs `body` (raw) to `/__mock/replies`.
async fn push_raw(base: &str, body: &str) -> anyhow::Result<reqwest::Response> {
    Ok(reqwest::Client::new()
        .post(format!("{base}/__mock/replies"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await?)
}

async fn chat(base: &str, body: &Value) -> anyhow::Result<reqwest::Response> {
    post(&format!("{base}/v1/chat/completions"), body).await
}

async fn log(base: &str) -> anyhow::Result<Value> {
    json_of(reqwest::get(format!("{base}/__mock/requests")).await?).await
}

#[tokio::test]
async fn pushed_replies_are_served_in_order() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let base = mock.base_url();
    let resp = push_raw(
        &base,
        r#"[{"text":"hi"},
            {"tool_call":{"id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}},
            {"error":{"status":429,"message":"slow down"}}]"#,
    )
    .await?;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.bytes().await?.len(), 0);

    let first = json_of(chat(&base, &json!({"model": "m"})).await?).await?;
    assert_eq!(first["choices"][0]["message"]["content"], "hi");
    assert_eq!(first["usage"]["prompt_tokens"], 11, "default usage kept");

    let second = json_of(chat(&base, &json!({"model": "m"})).await?).await?;
    let call = &second["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["id"], "call_1");
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], r#"{"city":"Paris"}"#);

    let third = chat(&base, &json!({"model": "m"})).await?;
    assert_eq!(third.status(), 429);
    assert_eq!(json_of(third).await?["error"]["message"], "slow down");

    let fourth = json_of(chat(&base, &json!({"model": "m"})).await?).await?;
    assert_eq!(
        fourth["choices"][0]["message"]["content"],
        "Hello from mock!"
    );
    Ok(())
}

#[tokio::test]
async fn single_object_with_usage_and_stream_knobs() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let base = mock.base_url();
    let usage = r#""usage":{"input":5,"output":4,"cache_read":2,"cache_write":1,"reasoning":3}"#;
    assert_eq!(
        push_raw(&base, &format!(r#"{{"text":"plain",{usage}}}"#))
            .await?
            .status(),
        204
    );
    let body = json_of(chat(&base, &json!({"model": "m"})).await?).await?;
    assert_eq!(body["usage"]["prompt_tokens"], 5);
    assert_eq!(body["usage"]["completion_tokens"], 4);
    assert_eq!(body["usage"]["prompt_tokens_details"]["cached_tokens"], 2);
    assert_eq!(
        body["usage"]["completion_tokens_details"]["reasoning_tokens"],
        3
    );

    // Six deltas of one char, cut after two: the body ends abruptly after "ab".
    let resp = push_raw(&base, r#"{"text":"abcdef","chunks":6,"cut_after":2}"#).await?;
    assert_eq!(resp.status(), 204);
    let resp = chat(&base, &json!({"model": "m", "stream": true})).await?;
    let (text, aborted) = read_body(resp).await;
    assert!(aborted, "the cut must abort the body: {text}");
    let pieces: Vec<String> = crate::parse_sse(&text)
        .iter()
        .filter_map(|e| {
            e.json()["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .filter(|piece| !piece.is_empty())
        .collect();
    assert_eq!(pieces, ["a", "b"]);
    assert!(!text.contains("[DONE]"));

    // latency_ms delays the headers.
    push_raw(&base, r#"{"latency_ms":150}"#).await?;
    let started = std::time::Instant::now();
    let resp = chat(&base, &json!({"model": "m"})).await?;
    assert_eq!(resp.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    Ok(())
}

#[tokio::test]
async fn bad_bodies_are_400_and_queue_nothing() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let base = mock.base_url();
    for (body, needle) in [
        ("{oops", "not JSON"),
        (
            r#"[{"text":"ok"},{"text":"a","tool_call":{"id":"c","name":"f"}}]"#,
            "reply 1",
        ),
        (r#"{"error":{"message":"no status"}}"#, "status"),
        (r#"{"cut_after":"two"}"#, "expected usize"),
    ] {
        let resp = push_raw(&base, body).await?;
        assert_eq!(resp.status(), 400, "{body}");
        let message = json_of(resp).await?["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(needle), "{body}: {message}");
    }
    // The valid first entry of the rejected array was not queued either.
    let body = json_of(chat(&base, &json!({"model": "m"})).await?).await?;
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from mock!");
    Ok(())
}

#[tokio::test]
async fn request_log_as_json_skips_control_requests() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let base = mock.base_url();
    push_raw(&base, r#"{"text":"x"}"#).await?;
    reqwest::Client::new()
        .post(format!("{base}/v1/messages?beta=true"))
        .header("X-Api-Key", "sk-upstream")
        .header("content-type", "application/json")
        .body(r#"{"model":"claude-x","messages":[]}"#)
        .send()
        .await?;
    reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .body("not json")
        .send()
        .await?;
    reqwest::get(format!("{base}/v1/models")).await?;

    let log = log(&base).await?;
    let entries = log.as_array().map(Vec::as_slice).unwrap_or_default();
    assert_eq!(entries.len(), 3, "{log}");
    let first = &entries[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/v1/messages");
    assert_eq!(first["query"], "beta=true");
    assert_eq!(first["headers"]["x-api-key"], "sk-upstream");
    assert_eq!(first["headers"]["content-type"], "application/json");
    assert_eq!(first["body"], json!({"model": "claude-x", "messages": []}));
    assert_eq!(entries[1]["body"], "not json");
    assert_eq!(entries[2]["method"], "GET");
    assert_eq!(entries[2]["path"], "/v1/models");
    assert_eq!(entries[2]["query"], Value::Null);
    assert_eq!(entries[2]["body"], Value::Null);
    // The library view agrees, and holds no control request either.
    assert_eq!(mock.requests().len(), 3);
    Ok(())
}

#[tokio::test]
async fn delete_clears_log_and_pending_replies() -> anyhow::Result<()> {
    let mock = MockUpstream::start().await?;
    let base = mock.base_url();
    chat(&base, &json!({"model": "m"})).await?;
    push_raw(&base, r#"[{"text":"stale 1"},{"text":"stale 2"}]"#).await?;

    let resp = reqwest::Client::new()
        .delete(format!("{base}/__mock/requests"))
        .send()
        .await?;
    assert_eq!(resp.status(), 204);
    assert_eq!(log(&base).await?, json!([]));
    assert!(mock.requests().is_empty());

    let body = json_of(chat(&base, &json!({"model": "m"})).await?).await?;
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from mock!");
    assert_eq!(body["id"], "chatcmpl-mock-1", "numbering restarts");

    // The library handle's reset does the same.
    mock.push(Reply::text("stale"));
    mock.reset();
    assert!(mock.requests().is_empty());
    let body = json_of(chat(&base, &json!({"model": "m"})).await?).await?;
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from mock!");
    Ok(())
}

/// Kills the child on drop so a failed assertion leaves no stray mock behind.
struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_the_control_endpoints() -> anyhow::Result<()> {
    let child = Command::new(env!("CARGO_BIN_EXE_gproxy-mock"))
        .args(["--port", "0", "--chunks", "2", "--expected-key", "sk-k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut child = Spawned(child);
    let stdout = child
        .0
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let line = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        }),
    )
    .await???;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow::anyhow!("unexpected first line {line:?}"))?
        .to_owned();

    // Control endpoints need no key; an unset `chunks` keeps the binary's --chunks 2.
    let resp = push_raw(&base, r#"{"text":"abcd"}"#).await?;
    assert_eq!(resp.status(), 204);
    let resp = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth("sk-k")
        .body(r#"{"model":"m","stream":true}"#)
        .send()
        .await?;
    let (text, aborted) = read_body(resp).await;
    assert!(!aborted);
    let pieces: Vec<String> = crate::parse_sse(&text)
        .iter()
        .filter_map(|e| {
            e.json()["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .filter(|piece| !piece.is_empty())
        .collect();
    assert_eq!(pieces, ["ab", "cd"]);

    let log = log(&base).await?;
    assert_eq!(log.as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(log[0]["headers"]["authorization"], "Bearer sk-k");
    assert_eq!(log[0]["body"], json!({"model": "m", "stream": true}));
    Ok(())
}
