//! Secrets stay secret: a full run of the real binary, logging at `trace`, through
//! successes, failures, upstream errors, logins and shutdown; neither its output, nor any
//! response (but the login answer that hands a user their own key), nor the database file
//! holds any secret of its seed.

use gproxy_testkit::{MockUpstream, Reply};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MASTER_KEY: &str = "q0Yc2Xb4lQdW8bU9mA3tN7pR1sV5xZ6cJ2kF4hG8jL0=";
const ADMIN_PASSWORD: &str = "admin-pw-7Hq2Zx";
const ADMIN_KEY: &str = "sk-admin-9Xw4Rt";
const UP_OPENAI_SECRET: &str = "sk-up-openai-3Kd8Vn";
const UP_ANTHROPIC_SECRET: &str = "sk-ant-up-5Pm1Qa";
const UP_GEMINI_SECRET: &str = "AIza-up-6Lr2Wc";
const UP_DEAD_SECRET: &str = "sk-up-dead-8Yt3Ne";
const USER_PASSWORD: &str = "erin-pw-2Fs9Kb";
const USER_KEY: &str = "sk-erin-4Hv7Mz";
const USER_KEY_OLD: &str = "sk-erin-old-1Cx5Du";

fn seed(mock: &str) -> String {
    format!(
        r#"
[[providers]]
name = "oa"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "{UP_OPENAI_SECRET}" }} ]

[[providers]]
name = "an"
channel = "anthropic"
settings = {{ base_url = "{mock}" }}
credentials = [ {{ api_key = "{UP_ANTHROPIC_SECRET}" }} ]

[[providers]]
name = "ge"
channel = "aistudio"
settings = {{ base_url = "{mock}" }}
credentials = [ {{ api_key = "{UP_GEMINI_SECRET}" }} ]

[[providers]]
name = "dead"
channel = "openai"
settings = {{ base_url = "http://127.0.0.1:9/v1" }}
credentials = [ {{ api_key = "{UP_DEAD_SECRET}" }} ]

[[users]]
name = "erin"
password = "{USER_PASSWORD}"
[[users.keys]]
api_key = "{USER_KEY}"
[[users.keys]]
api_key = "{USER_KEY_OLD}"
enabled = false

[[permissions]]
user_name = "erin"
model_pattern = "*"
"#
    )
}

/// Waits (bounded) for the listening line in the binary's stdout file.
fn wait_for_url(stdout: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(stdout).unwrap_or_default();
        if let Some(url) = text
            .lines()
            .find_map(|l| l.strip_prefix("gproxy listening on "))
        {
            return url.trim().to_owned();
        }
        assert!(Instant::now() < deadline, "no listening line: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn no_secret_reaches_logs_responses_or_the_database() {
    let mock = MockUpstream::start().await.expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("gproxy.toml"), seed(&mock.base_url())).expect("seed");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gproxy"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GPROXY_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .current_dir(dir.path())
        .args(["--port", "0"])
        .env("RUST_LOG", "trace")
        .env("GPROXY_MASTER_KEY", MASTER_KEY)
        .env("GPROXY_ADMIN_USER", "root")
        .env("GPROXY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("GPROXY_ADMIN_API_KEY", ADMIN_KEY)
        .env("GPROXY_ENABLE_UPSTREAM_LOG_BODY", "true")
        .stdout(Stdio::from(
            std::fs::File::create(&out_path).expect("stdout"),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(&err_path).expect("stderr"),
        ))
        .spawn()
        .expect("spawn gproxy");
    let base = wait_for_url(&out_path);
    let http = reqwest::Client::new();
    let mut responses = String::new();
    let mut keep =
        |status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap, body: &str| {
            responses.push_str(&format!("{status} {headers:?} {body}\n"));
        };
    let chat = json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]});
    let calls: Vec<reqwest::RequestBuilder> = vec![
        http.post(format!("{base}/oa/v1/chat/completions"))
            .bearer_auth(USER_KEY)
            .json(&chat),
        http.post(format!("{base}/oa/v1/chat/completions"))
            .bearer_auth(USER_KEY)
            .json(&json!({"model": "gpt-4.1", "stream": true, "messages": []})),
        http.post(format!("{base}/an/v1/messages"))
            .header("x-api-key", USER_KEY)
            .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": []})),
        http.post(format!(
            "{base}/ge/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key={USER_KEY}"
        ))
        .json(&json!({"contents": []})),
        // Failures of every kind.
        http.post(format!("{base}/oa/v1/chat/completions"))
            .bearer_auth(USER_KEY_OLD)
            .json(&chat),
        http.post(format!("{base}/oa/v1/chat/completions"))
            .bearer_auth("sk-wrong")
            .json(&chat),
        http.post(format!("{base}/dead/v1/chat/completions"))
            .bearer_auth(USER_KEY)
            .json(&chat),
        http.post(format!("{base}/oa/v1/chat/completions"))
            .bearer_auth(USER_KEY)
            .json(&chat),
        http.get(format!("{base}/oa/v1/models/..%2Ffiles"))
            .bearer_auth(USER_KEY),
        http.post(format!("{base}/nope/v1/chat/completions"))
            .bearer_auth(USER_KEY)
            .json(&chat),
        http.post(format!("{base}/oa/v1/chat/completions"))
            .bearer_auth(USER_KEY)
            .body("{oops"),
        http.post(format!("{base}/login"))
            .json(&json!({"name": "erin", "password": "wrong"})),
        http.post(format!("{base}/login"))
            .json(&json!({"name": "nobody", "password": USER_PASSWORD})),
    ];
    // The eighth call meets an upstream that rejects the operator's key.
    for reply in [
        Reply::default(),
        Reply::default(),
        Reply::default(),
        Reply::default(),
        Reply::error(401, "Incorrect API key provided"),
    ] {
        mock.push(reply);
    }
    for call in calls {
        let resp = call.send().await.expect("request");
        let (status, headers) = (resp.status(), resp.headers().clone());
        let body = resp.text().await.expect("body");
        keep(status, &headers, &body);
    }
    // Logins that succeed answer with the user's own key, on purpose: checked, not kept.
    for (name, password, key) in [
        ("erin", USER_PASSWORD, USER_KEY),
        ("root", ADMIN_PASSWORD, ADMIN_KEY),
    ] {
        let resp = http
            .post(format!("{base}/login"))
            .json(&json!({"name": name, "password": password}))
            .send()
            .await
            .expect("login");
        assert_eq!(resp.status(), 200);
        let v: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(v["api_key"], key);
    }
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    assert!(child.wait().expect("wait").success());

    let logs = format!(
        "{}{}",
        std::fs::read_to_string(&out_path).expect("stdout"),
        std::fs::read_to_string(&err_path).expect("stderr")
    );
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "logging was on"
    );
    assert!(logs.contains("stopped; all records written"));
    let database = std::fs::read(dir.path().join("data/gproxy.db")).expect("database file");
    let database = String::from_utf8_lossy(&database);
    let upstream_saw: String = mock
        .requests()
        .iter()
        .map(|r| format!("{:?}", r.headers))
        .collect();
    assert!(
        upstream_saw.contains(UP_OPENAI_SECRET),
        "sanity: the upstream got the operator's key"
    );
    for secret in [
        MASTER_KEY,
        ADMIN_PASSWORD,
        ADMIN_KEY,
        UP_OPENAI_SECRET,
        UP_ANTHROPIC_SECRET,
        UP_GEMINI_SECRET,
        UP_DEAD_SECRET,
        USER_PASSWORD,
        USER_KEY,
        USER_KEY_OLD,
    ] {
        assert!(!logs.contains(secret), "{secret} in the logs");
        assert!(!responses.contains(secret), "{secret} in a response");
        assert!(!database.contains(secret), "{secret} in the database file");
        assert!(
            !upstream_saw.contains(USER_KEY),
            "a client key reached the upstream"
        );
    }
}
