//! `spawn_app()`: the gateway on port 0 with a fresh SQLite database and a seed pointing
//! every provider at one mock upstream; plus small request helpers.

use gproxy::{App, Cli};
use gproxy_server::AppState;
use gproxy_storage::model::{DownstreamRow, UpstreamRow, UsageRow};
use gproxy_testkit::{MockUpstream, RecordedRequest};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ALICE: &str = "sk-client-alice";
pub const BOB: &str = "sk-client-bob";
pub const DISABLED_KEY: &str = "sk-client-alice-old";
pub const CAROL: &str = "sk-client-carol";
pub const UP_OPENAI: &str = "sk-up-openai";
pub const UP_ANTHROPIC: &str = "sk-up-anthropic";
pub const UP_GEMINI: &str = "sk-up-gemini";

/// Rate limits and quotas to add to the standard seed, generous enough never to refuse a
/// test's traffic: exact amounts (a string with all 9 decimals, a float), `total_tokens`,
/// a default `model_pattern` and every period.
pub const LIMITS_TOML: &str = r#"
[[rate_limits]]
user_name = "bob"
model_pattern = "gpt-*"
rpm = 6000
total_tokens = 20000000

[[rate_limits]]
user_name = "bob"
rpd = 100000
tpm = 9000000

[[rate_limits]]
user_name = "alice"
rpm = 100000

[[quotas]]
user_name = "bob"
quota = "12.345678901"
cost_used = 0.5
period = "monthly"

[[quotas]]
user_name = "alice"
quota = 1000

[[quotas]]
user_name = "dave"
quota = 3
period = "daily"
"#;

/// Asserts `bundle` (an export of the standard seed plus [`LIMITS_TOML`]) holds the limits
/// and quotas as exact values.
pub fn assert_exports_limits(bundle: &str) {
    for line in [
        "[[rate_limits]]",
        "tpd = 20000000",
        "model_pattern = \"*\"",
        "tpm = 9000000",
        "[[quotas]]",
        "quota = \"12.345678901\"",
        "cost_used = \"0.5\"",
        "period = \"monthly\"",
        "quota = \"1000\"",
        "period = \"daily\"",
    ] {
        assert!(bundle.contains(line), "`{line}` in {bundle}");
    }
    assert_eq!(bundle.matches("[[rate_limits]]").count(), 3, "{bundle}");
    assert_eq!(bundle.matches("[[quotas]]").count(), 3, "{bundle}");
}

/// The standard seed: one provider per channel, all on the mock.
pub fn seed_toml(mock: &str) -> String {
    format!(
        r#"
[[providers]]
name = "openai-main"
channel = "openai"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "{UP_OPENAI}" }} ]

[[providers]]
name = "anthropic-main"
channel = "anthropic"
settings = {{ base_url = "{mock}" }}
credentials = [ {{ api_key = "{UP_ANTHROPIC}" }} ]

[[providers]]
name = "gemini-main"
channel = "aistudio"
settings = {{ base_url = "{mock}" }}
credentials = [ {{ api_key = "{UP_GEMINI}" }} ]

[[providers]]
name = "deepseek-main"
channel = "deepseek"
settings = {{ base_url = "{mock}" }}
credentials = [ {{ api_key = "sk-up-deepseek" }} ]

[[providers]]
name = "nvidia-main"
channel = "nvidia"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "sk-up-nvidia" }} ]

[[providers]]
name = "local"
channel = "custom"
settings = {{ base_url = "{mock}/v1" }}
credentials = [ {{ api_key = "sk-up-custom" }} ]

[[models]]
provider_name = "openai-main"
model_id = "gpt-4.1"
display_name = "GPT-4.1"
price_each_call = 0.0

[[models]]
provider_name = "anthropic-main"
model_id = "claude-sonnet-4-5"

[[models]]
provider_name = "gemini-main"
model_id = "gemini-2.5-flash"

[[model_aliases]]
alias = "chat-default"
provider_name = "openai-main"
model_id = "gpt-4.1"

[[users]]
name = "alice"
password = "alice-pw"
[[users.keys]]
api_key = "{ALICE}"
label = "default"
[[users.keys]]
api_key = "{DISABLED_KEY}"
enabled = false

[[users]]
name = "bob"
password = "bob-pw"
[[users.keys]]
api_key = "{BOB}"

[[users]]
name = "carol"
password = "carol-pw"
enabled = false
[[users.keys]]
api_key = "{CAROL}"

[[users]]
name = "dave"
password = "dave-pw"

[[permissions]]
user_name = "alice"
model_pattern = "*"

[[permissions]]
user_name = "bob"
provider_name = "openai-main"
model_pattern = "gpt-*"

[[permissions]]
user_name = "dave"
model_pattern = "*"
"#
    )
}

/// A running gateway and its mock upstream.
pub struct TestApp {
    pub addr: SocketAddr,
    pub mock: MockUpstream,
    pub state: AppState,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}, |_| String::new()).await
}

/// Starts the app with the standard seed plus the TOML `extra` makes from the mock's base
/// URL.
pub async fn spawn_with_seed(extra: impl FnOnce(&str) -> String) -> TestApp {
    spawn_with(|_| {}, extra).await
}

/// Starts the app with the standard seed plus the TOML `extra` makes from the mock's base
/// URL, letting `tweak` adjust flags.
pub async fn spawn_with(
    tweak: impl FnOnce(&mut Cli),
    extra: impl FnOnce(&str) -> String,
) -> TestApp {
    let mock = MockUpstream::start().await.expect("mock upstream");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    let base = mock.base_url();
    std::fs::write(&config, format!("{}\n{}", seed_toml(&base), extra(&base)))
        .expect("write config");
    let mut cli = Cli {
        config: Some(config),
        host: Some("127.0.0.1".into()),
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        ..Cli::default()
    };
    tweak(&mut cli);
    start(cli, mock, dir).await
}

/// Starts the app from explicit flags (the caller prepared `dir`).
pub async fn start(cli: Cli, mock: MockUpstream, dir: tempfile::TempDir) -> TestApp {
    let settings = gproxy::load(cli).expect("valid settings");
    let app = App::build(settings).await.expect("app builds");
    let addr = app.local_addr();
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run(async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        mock,
        state,
        http: reqwest::Client::new(),
        dir,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs JSON with the key as `Authorization: Bearer`.
    pub async fn post(&self, path: &str, key: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// POSTs JSON with the key in `header` (`x-api-key`, `x-goog-api-key`, ...).
    pub async fn post_with(
        &self,
        path: &str,
        header: &str,
        key: &str,
        body: Value,
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header(header, key)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Sends `method` to `path` with the key as `Authorization: Bearer` and `body` as JSON;
    /// the status and the JSON answer (`null` when there is none).
    pub async fn send(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, key: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request")
    }

    /// Waits until every queued record is written, then returns the usage rows (newest first).
    pub async fn usages(&self) -> Vec<UsageRow> {
        self.state.queue.flush().await;
        self.state.store.recent_usages(100).await.expect("usages")
    }

    pub async fn downstream(&self) -> Vec<DownstreamRow> {
        self.state.queue.flush().await;
        self.state
            .store
            .recent_downstream(100)
            .await
            .expect("downstream")
    }

    pub async fn upstream(&self) -> Vec<UpstreamRow> {
        self.state.queue.flush().await;
        self.state
            .store
            .recent_upstream(100)
            .await
            .expect("upstream")
    }

    /// Waits (bounded) until `n` usage rows exist: for records settled by a background event
    /// such as a client disconnect.
    pub async fn wait_usages(&self, n: usize) -> Vec<UsageRow> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let rows = self.usages().await;
            if rows.len() >= n || tokio::time::Instant::now() > deadline {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the app gracefully and waits for it.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("join").expect("clean shutdown");
        }
        self.dir
    }
}

/// Asserts the upstream saw `upstream_key` and none of the client's credentials.
pub fn assert_key_swapped(req: &RecordedRequest, header: &str, upstream_key: &str) {
    let value = req.header(header).unwrap_or_default();
    assert!(value.ends_with(upstream_key), "{header}: {value:?}");
    for (name, value) in &req.headers {
        assert!(
            !value.contains("sk-client"),
            "client key leaked upstream in {name}"
        );
    }
    assert!(
        !req.query.clone().unwrap_or_default().contains("sk-client"),
        "client key in query"
    );
}

/// Body as JSON.
pub async fn json(resp: reqwest::Response) -> Value {
    let bytes = resp.bytes().await.expect("body");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
}

/// `data:` payloads of an SSE body, `[DONE]` included as a string.
pub fn sse_data(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.trim_start().to_owned())
        .collect()
}

/// `event:` names of an SSE body.
pub fn sse_events(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("event:"))
        .map(|d| d.trim().to_owned())
        .collect()
}
