//! Check that the official Python SDKs (openai, anthropic, google-genai) parse every shape
//! the mock sends. It needs `GPROXY_SDK_PYTHON`, a Python with the pinned SDKs, so it is
//! `#[ignore]`d by default; `scripts/test` creates that venv and runs it.

use std::path::PathBuf;
use std::process::Command;

use gproxy_testkit::{MockOptions, MockUpstream, Reply, mock_embedding};
use serde_json::json;

/// One scripted reply per SDK request, in the order `tests/sdk/check_sdks.py` sends them.
fn script() -> Vec<Reply> {
    let d = Reply::default;
    let tool = || Reply::tool_call("call_1", "get_weather", json!({"city": "Paris"}));
    let mut replies = vec![
        // openai: chat, chat stream, chat tool stream, error, responses, stream, tool stream,
        // embeddings, models
        d(),
        d(),
        tool(),
        Reply::error(429, "slow down"),
        d(),
        d(),
        tool(),
        d(),
        d(),
        // anthropic: create, stream, tool stream, error, count_tokens, models
        d(),
        d(),
        tool(),
        Reply::error(529, "overloaded"),
        d(),
        d(),
    ];
    // gemini: (generate, stream) on v1beta and v1, tool, error, count, embed, models
    replies.extend([
        d(),
        d(),
        d(),
        d(),
        tool(),
        Reply::error(429, "quota"),
        d(),
        d(),
        d(),
    ]);
    replies
}

#[tokio::test]
#[ignore = "needs the SDK venv: run through scripts/test"]
async fn official_python_sdks_parse_the_mock() -> anyhow::Result<()> {
    let python = std::env::var("GPROXY_SDK_PYTHON").map_err(|_| {
        anyhow::anyhow!(
            "set GPROXY_SDK_PYTHON to a Python with the pinned SDKs (scripts/test does)"
        )
    })?;
    let key = "sk-sdk-test";
    let mock = MockUpstream::start_with(MockOptions {
        expected_key: Some(key.into()),
        ..MockOptions::default()
    })
    .await?;
    let replies = script();
    let expected_requests = replies.len();
    for reply in replies {
        mock.push(reply);
    }
    let script_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/check_sdks.py");
    let expected = json!({"alpha": mock_embedding("alpha")}).to_string();
    let base = mock.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script_path)
            .args([base.as_str(), key, expected.as_str()])
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "SDK check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("sdk checks passed"));
    assert_eq!(mock.requests().len(), expected_requests);
    assert!(
        mock.requests()
            .iter()
            .all(|r| r.header("x-goog-api-key") == Some(key)
                || r.header("x-api-key") == Some(key)
                || r.header("authorization") == Some(&format!("Bearer {key}")))
    );
    Ok(())
}
