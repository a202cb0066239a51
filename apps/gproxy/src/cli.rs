//! Command-line flags; each `[global]` field has a flag and a `GPROXY_*` variable, and a
//! flag beats its variable (clap resolves both), which beats `gproxy.toml`.

use clap::builder::BoolishValueParser;
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use std::path::PathBuf;

/// Secret flags are held as [`SecretString`] from the moment they are parsed, so `Debug`
/// of the flags never shows them.
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

/// gproxy: a self-hosted LLM gateway.
#[derive(Debug, Default, Parser)]
#[command(name = "gproxy", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Seed config file (imported only into an empty database).
    #[arg(long, global = true, env = "GPROXY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Re-apply the seed config even when the database already has data.
    #[arg(long, global = true, env = "GPROXY_BOOTSTRAP_FORCE_CONFIG", value_parser = BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true")]
    pub bootstrap_force_config: Option<bool>,
    #[arg(long, global = true, env = "GPROXY_HOST")]
    pub host: Option<String>,
    #[arg(long, global = true, env = "GPROXY_PORT")]
    pub port: Option<u16>,
    #[arg(long, global = true, env = "GPROXY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database DSN (sqlite:, postgres:, mysql:).
    #[arg(long, global = true, env = "GPROXY_DSN", hide_env_values = true)]
    pub dsn: Option<String>,
    /// Persistence backend: `db` (the database at `dsn`, default) or `file` (JSON files
    /// under the data directory, one instance only).
    #[arg(long, global = true, env = "GPROXY_PERSISTENCE")]
    pub persistence: Option<String>,
    /// Apply pending schema migrations at start (default true); when false, a schema
    /// behind this build refuses to start, naming `gproxy migrate`.
    #[arg(long, global = true, env = "GPROXY_AUTO_MIGRATE", value_parser = BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true")]
    pub auto_migrate: Option<bool>,
    /// Outbound HTTP proxy for upstream calls.
    #[arg(long, global = true, env = "GPROXY_PROXY", hide_env_values = true)]
    pub proxy: Option<String>,
    /// Admin key: the bootstrap admin's API key and password.
    #[arg(long, global = true, env = "GPROXY_ADMIN_KEY", hide_env_values = true, value_parser = secret)]
    pub admin_key: Option<SecretString>,
    /// Base64 of 32 bytes sealing secrets at rest.
    #[arg(long, global = true, env = "GPROXY_MASTER_KEY", hide_env_values = true, value_parser = secret)]
    pub master_key: Option<SecretString>,
    #[arg(long, global = true, env = "GPROXY_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Redact `mask_body_fields` in logged JSON bodies (default true); credentials are
    /// redacted from logs either way.
    #[arg(long, global = true, env = "GPROXY_MASK_SENSITIVE_INFO", value_parser = BoolishValueParser::new())]
    pub mask_sensitive_info: Option<bool>,
    /// The JSON body fields `mask_sensitive_info` redacts, comma-separated (default
    /// api_key,password,secret,access_token,refresh_token).
    #[arg(
        long,
        global = true,
        env = "GPROXY_MASK_BODY_FIELDS",
        value_delimiter = ','
    )]
    pub mask_body_fields: Option<Vec<String>>,
    /// Mark console session cookies `Secure` (for a gateway behind TLS that does not send
    /// `X-Forwarded-Proto`).
    #[arg(long, global = true, env = "GPROXY_SECURE_COOKIES", value_parser = BoolishValueParser::new())]
    pub secure_cookies: Option<bool>,
    #[arg(long, global = true, env = "GPROXY_ENABLE_USAGE", value_parser = BoolishValueParser::new())]
    pub enable_usage: Option<bool>,
    #[arg(long, global = true, env = "GPROXY_ENABLE_UPSTREAM_LOG", value_parser = BoolishValueParser::new())]
    pub enable_upstream_log: Option<bool>,
    #[arg(long, global = true, env = "GPROXY_ENABLE_UPSTREAM_LOG_BODY", value_parser = BoolishValueParser::new())]
    pub enable_upstream_log_body: Option<bool>,
    #[arg(long, global = true, env = "GPROXY_ENABLE_DOWNSTREAM_LOG", value_parser = BoolishValueParser::new())]
    pub enable_downstream_log: Option<bool>,
    #[arg(long, global = true, env = "GPROXY_ENABLE_DOWNSTREAM_LOG_BODY", value_parser = BoolishValueParser::new())]
    pub enable_downstream_log_body: Option<bool>,
    #[arg(long, global = true, env = "GPROXY_MAX_REQUEST_BODY_BYTES")]
    pub max_request_body_bytes: Option<usize>,
    #[arg(long, global = true, env = "GPROXY_UPSTREAM_TIMEOUT_SECS")]
    pub upstream_timeout_secs: Option<u64>,
    /// Largest non-streamed upstream response body relayed (default 128 MiB); larger: 502.
    #[arg(long, global = true, env = "GPROXY_MAX_RESPONSE_BODY_BYTES")]
    pub max_response_body_bytes: Option<usize>,
    /// Largest single upstream stream event (default 16 MiB); larger ends the stream with
    /// the protocol's error event.
    #[arg(long, global = true, env = "GPROXY_MAX_STREAM_EVENT_BYTES")]
    pub max_stream_event_bytes: Option<usize>,
    /// Longest silence of an upstream stream or body (default 300 s); longer ends it with
    /// the protocol's error.
    #[arg(long, global = true, env = "GPROXY_STREAM_IDLE_TIMEOUT_SECS")]
    pub stream_idle_timeout_secs: Option<u64>,
    /// When every credential of a provider is cooling down, how long a call may wait for
    /// the first to recover (default 5 s) before it is refused with 429 and `retry-after`.
    #[arg(long, global = true, env = "GPROXY_MAX_RECOVERY_WAIT_SECS")]
    pub max_recovery_wait_secs: Option<u64>,
    /// How long one upstream attempt may wait for response headers before the call fails
    /// over to the next credential (default: no limit but the call's `upstream_timeout`).
    #[arg(long, global = true, env = "GPROXY_FIRST_BYTE_TIMEOUT_SECS")]
    pub first_byte_timeout_secs: Option<u64>,
    /// Database connections kept open (1-100; ignored for SQLite).
    #[arg(long, global = true, env = "DATABASE_POOL_SIZE")]
    pub database_pool_size: Option<u32>,
    /// Extra connections beyond the pool under load (0-100; ignored for SQLite).
    #[arg(long, global = true, env = "DATABASE_MAX_OVERFLOW")]
    pub database_max_overflow: Option<u32>,
    /// Seconds a query waits for a free connection.
    #[arg(long, global = true, env = "DATABASE_POOL_TIMEOUT")]
    pub database_pool_timeout: Option<u64>,
    /// Log every SQL statement.
    #[arg(long, global = true, env = "DATABASE_ECHO")]
    pub database_echo: Option<bool>,
    /// Log the connection pool's settings at start.
    #[arg(long, global = true, env = "DATABASE_ECHO_POOL")]
    pub database_echo_pool: Option<bool>,
    /// Days usage rows are kept (default: forever).
    #[arg(long, global = true, env = "GPROXY_USAGE_RETENTION_DAYS")]
    pub usage_retention_days: Option<u64>,
    /// Days request logs are kept (default: forever).
    #[arg(long, global = true, env = "GPROXY_REQUEST_LOG_RETENTION_DAYS")]
    pub request_log_retention_days: Option<u64>,
    /// Days request and response bodies are kept in request logs (default: as long as
    /// the logs).
    #[arg(long, global = true, env = "GPROXY_REQUEST_BODY_RETENTION_DAYS")]
    pub request_body_retention_days: Option<u64>,
    #[arg(long, global = true, env = "GPROXY_STORAGE_WRITE_QUEUE_CAPACITY")]
    pub storage_write_queue_capacity: Option<usize>,
    #[arg(long, global = true, env = "GPROXY_STORAGE_WRITE_MAX_BATCH_SIZE")]
    pub storage_write_max_batch_size: Option<usize>,
    #[arg(long, global = true, env = "GPROXY_STORAGE_WRITE_AGGREGATE_WINDOW_MS")]
    pub storage_write_aggregate_window_ms: Option<u64>,
    #[arg(long, global = true, env = "GPROXY_SPOOF_EMULATION")]
    pub spoof_emulation: Option<String>,
    #[arg(long, global = true, env = "GPROXY_HF_TOKEN", hide_env_values = true, value_parser = secret)]
    pub hf_token: Option<SecretString>,
    #[arg(long, global = true, env = "GPROXY_HF_URL")]
    pub hf_url: Option<String>,
    /// Bootstrap admin's user name (when the seed has no admin).
    #[arg(long, global = true, env = "GPROXY_ADMIN_USER")]
    pub admin_user: Option<String>,
    /// Bootstrap admin's password.
    #[arg(long, global = true, env = "GPROXY_ADMIN_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub admin_password: Option<SecretString>,
    /// Bootstrap admin's API key.
    #[arg(long, global = true, env = "GPROXY_ADMIN_API_KEY", hide_env_values = true, value_parser = secret)]
    pub admin_api_key: Option<SecretString>,
}

/// The operator commands (DESIGN.md §10); each takes the server's configuration.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve (the default).
    Serve,
    /// Re-seal every stored secret from the current GPROXY_MASTER_KEY to a new key, in one
    /// transaction; start the server with the new key afterwards.
    RotateMasterKey {
        /// The new key: standard base64 of 32 bytes.
        #[arg(long, hide_env_values = true, value_parser = secret)]
        new_key: SecretString,
    },
    /// Apply pending schema migrations (with --status: list applied and pending ones).
    Migrate {
        /// Only list the migrations and whether each is applied.
        #[arg(long)]
        status: bool,
    },
    /// Write the control plane as a seed-format TOML bundle (secrets included).
    Export {
        /// Where to write it (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// An online, consistent copy of the embedded SQLite database.
    Backup {
        /// The new file to write (must not exist).
        #[arg(long)]
        output: PathBuf,
    },
    /// Load a bundle written by `gproxy export` into an empty database.
    Import {
        /// The bundle.
        file: PathBuf,
        /// Import even into a database that already has data (names are upserted).
        #[arg(long)]
        force: bool,
    },
}
