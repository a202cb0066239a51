//! The permission matrix: default deny; grants by provider and model glob; aliases and
//! routes checked by the public name the caller used and by their target; every operation
//! and surface; refusals in the caller's shape, never forwarded.

use crate::helpers::*;
use serde_json::{Value, json};

const AMY: &str = "sk-client-amy";
const ANN: &str = "sk-client-ann";
const NOBODY: &str = "sk-client-nobody";

fn extra(_: &str) -> String {
    format!(
        r#"
[[routes]]
name = "smart"
members = [
  {{ provider_name = "openai-main", model_id = "gpt-4.1", tier = 0 }},
  {{ provider_name = "anthropic-main", model_id = "claude-sonnet-4-5", tier = 1 }},
]

[[users]]
name = "amy"
password = "amy-password"
[[users.keys]]
api_key = "{AMY}"

[[users]]
name = "ann"
password = "ann-password"
[[users.keys]]
api_key = "{ANN}"

[[users]]
name = "nobody"
password = "nobody-password"
[[users.keys]]
api_key = "{NOBODY}"

[[permissions]]
user_name = "amy"
model_pattern = "chat-*"

[[permissions]]
user_name = "ann"
provider_name = "anthropic-main"
model_pattern = "*"
"#
    )
}

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

fn messages(model: &str) -> Value {
    json!({"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn the_permission_matrix() {
    let app = spawn_with_seed(extra).await;
    let gemini = json!({"contents": [{"parts": [{"text": "hi"}]}]});
    let embed = json!({"model": "openai-main/text-embedding-3-small", "input": "hi"});
    // (path, body) × who → status. alice: `*` everywhere; bob: gpt-* on openai-main;
    // amy: chat-* (names only); ann: all of anthropic-main; nobody: no grant.
    let calls: Vec<(&str, Value, [u16; 5])> = vec![
        (
            "/openai-main/v1/chat/completions",
            chat("gpt-4.1"),
            [200, 200, 403, 403, 403],
        ),
        (
            "/openai-main/v1/chat/completions",
            chat("o3"),
            [200, 403, 403, 403, 403],
        ),
        (
            "/v1/chat/completions",
            chat("openai-main/gpt-4.1"),
            [200, 200, 403, 403, 403],
        ),
        (
            "/v1/chat/completions",
            chat("chat-default"),
            [200, 200, 200, 403, 403],
        ),
        (
            "/v1/chat/completions",
            chat("smart"),
            [200, 200, 403, 200, 403],
        ),
        (
            "/v1/responses",
            json!({"model": "openai-main/gpt-4.1", "input": "hi"}),
            [200, 200, 403, 403, 403],
        ),
        ("/v1/embeddings", embed, [200, 403, 403, 403, 403]),
        (
            "/anthropic-main/v1/messages",
            messages("claude-sonnet-4-5"),
            [200, 403, 403, 200, 403],
        ),
        (
            "/anthropic-main/v1/messages/count_tokens",
            messages("claude-sonnet-4-5"),
            [200, 403, 403, 200, 403],
        ),
        (
            "/v1/messages",
            messages("anthropic-main/claude-sonnet-4-5"),
            [200, 403, 403, 200, 403],
        ),
        (
            "/gemini-main/v1beta/models/gemini-2.5-flash:generateContent",
            gemini.clone(),
            [200, 403, 403, 403, 403],
        ),
        (
            "/v1beta/models/gemini-main/gemini-2.5-flash:countTokens",
            gemini,
            [200, 403, 403, 403, 403],
        ),
    ];
    let who = [ALICE, BOB, AMY, ANN, NOBODY];
    let mut forwarded = 0;
    for (path, body, expected) in &calls {
        for (key, want) in who.iter().zip(expected) {
            let before = app.mock.requests().len();
            let resp = app.post(path, key, body.clone()).await;
            let status = resp.status().as_u16();
            let answer = json(resp).await;
            assert_eq!(status, *want, "{key} {path} {body}: {answer}");
            let reached = app.mock.requests().len() - before;
            if status == 403 {
                assert_eq!(reached, 0, "{key} {path}: a refusal is never forwarded");
                let shaped = answer["error"]["type"] == "permission_error"
                    || answer["error"]["status"] == "PERMISSION_DENIED";
                assert!(shaped, "{key} {path}: {answer}");
            } else {
                forwarded += reached;
            }
        }
    }
    assert!(forwarded > 0);

    // The route for ann skips the member she may not use and is served by Anthropic.
    let resp = app.post("/v1/chat/completions", ANN, chat("smart")).await;
    assert_eq!(resp.status(), 200);
    let last = app.mock.requests().last().cloned().expect("forwarded");
    assert!(last.path.contains("/messages"), "{}", last.path);

    // Listings show what each may use, and nothing else.
    let ids = |v: Value| -> Vec<String> {
        v["data"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let bob = ids(json(app.get("/v1/models", BOB).await).await);
    assert!(
        bob.iter()
            .all(|m| m.starts_with("openai-main/gpt-") || m == "chat-default" || m == "smart"),
        "{bob:?}"
    );
    assert!(bob.iter().any(|m| m == "openai-main/gpt-4.1"), "{bob:?}");
    let nobody = ids(json(app.get("/v1/models", NOBODY).await).await);
    assert!(nobody.is_empty(), "{nobody:?}");
    let ann = ids(json(app.get("/v1/models", ANN).await).await);
    assert!(
        ann.iter()
            .all(|m| m.starts_with("anthropic-main/") || m == "smart"),
        "{ann:?}"
    );
}
