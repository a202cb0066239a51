//! The `gproxy.toml` seed file as written (see `reference/004_*`). Every table rejects
//! unknown fields so a typo stops start-up with its line, instead of being ignored.

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub global: GlobalFile,
    #[serde(default)]
    pub database: DatabaseFile,
    #[serde(default)]
    pub providers: Vec<Spanned<ProviderFile>>,
    #[serde(default)]
    pub models: Vec<Spanned<ModelFile>>,
    #[serde(default)]
    pub model_aliases: Vec<Spanned<AliasFile>>,
    #[serde(default)]
    pub routes: Vec<Spanned<RouteFile>>,
    #[serde(default)]
    pub users: Vec<Spanned<UserFile>>,
    #[serde(default)]
    pub permissions: Vec<Spanned<PermissionFile>>,
    #[serde(default)]
    pub file_permissions: Vec<Spanned<FilePermissionFile>>,
    #[serde(default)]
    pub rate_limits: Vec<Spanned<RateLimitFile>>,
    #[serde(default)]
    pub quotas: Vec<Spanned<QuotaFile>>,
}

/// `[database]`: connection tuning (`reference/003_*`); CLI and environment override each.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseFile {
    pub pool_size: Option<u32>,
    pub max_overflow: Option<u32>,
    pub pool_timeout: Option<u64>,
    pub echo: Option<bool>,
    pub echo_pool: Option<bool>,
}

/// `[global]`: every field optional; CLI and environment override each.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalFile {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub proxy: Option<String>,
    pub spoof_emulation: Option<String>,
    pub secure_cookies: Option<bool>,
    pub enable_usage: Option<bool>,
    pub enable_upstream_log: Option<bool>,
    pub enable_upstream_log_body: Option<bool>,
    pub enable_downstream_log: Option<bool>,
    pub enable_downstream_log_body: Option<bool>,
    pub dsn: Option<String>,
    pub data_dir: Option<String>,
    pub persistence: Option<String>,
    pub auto_migrate: Option<bool>,
    pub admin_key: Option<SecretString>,
    pub master_key: Option<SecretString>,
    pub redis_url: Option<String>,
    pub mask_sensitive_info: Option<bool>,
    pub mask_body_fields: Option<Vec<String>>,
    pub hf_token: Option<SecretString>,
    pub hf_url: Option<String>,
    pub max_request_body_bytes: Option<usize>,
    pub upstream_timeout_secs: Option<u64>,
    pub max_response_body_bytes: Option<usize>,
    pub max_stream_event_bytes: Option<usize>,
    pub stream_idle_timeout_secs: Option<u64>,
    pub max_recovery_wait_secs: Option<u64>,
    pub first_byte_timeout_secs: Option<u64>,
    pub usage_retention_days: Option<u64>,
    pub request_log_retention_days: Option<u64>,
    pub request_body_retention_days: Option<u64>,
    pub storage_write_queue_capacity: Option<usize>,
    pub storage_write_max_batch_size: Option<usize>,
    pub storage_write_aggregate_window_ms: Option<u64>,
}

fn yes() -> bool {
    true
}

/// A `[[providers]]` entry; its `Debug` leaves the credentials out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderFile {
    pub name: String,
    /// Spanned so a bad channel is reported on its own line.
    pub channel: Spanned<String>,
    #[serde(default)]
    pub settings: Option<Value>,
    /// Secret: each holds an upstream key.
    #[serde(default)]
    pub credentials: Vec<Value>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl std::fmt::Debug for ProviderFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderFile")
            .field("name", &self.name)
            .field("channel", &self.channel)
            .field("credentials", &self.credentials.len())
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// `[[models]]`; prices (USD, per million tokens or per call) are decimal numbers or strings
/// in the file and kept as exact decimal text. The `_per_million` names of earlier seeds are
/// read as the `_per_mtok` ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub provider_name: String,
    pub model_id: String,
    pub display_name: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub price_each_call: Option<toml::Value>,
    #[serde(alias = "price_input_per_million")]
    pub price_input_per_mtok: Option<toml::Value>,
    #[serde(alias = "price_output_per_million")]
    pub price_output_per_mtok: Option<toml::Value>,
    #[serde(alias = "price_cache_read_per_million")]
    pub price_cache_read_per_mtok: Option<toml::Value>,
    #[serde(alias = "price_cache_write_per_million")]
    pub price_cache_write_per_mtok: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasFile {
    pub alias: String,
    pub provider_name: String,
    pub model_id: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// `[[routes]]`: a public model name served by members on several providers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub members: Vec<RouteMemberFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteMemberFile {
    pub provider_name: String,
    pub model_id: String,
    #[serde(default)]
    pub tier: i32,
    #[serde(default = "one")]
    pub weight: i32,
}

fn one() -> i32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFile {
    pub name: String,
    /// Plain text (hashed on import) or an Argon2 PHC string.
    pub password: Option<SecretString>,
    #[serde(default)]
    pub is_admin: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub keys: Vec<KeyFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    pub api_key: SecretString,
    pub label: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// When the key stops working: a TOML date-time or an RFC 3339 string, with its offset.
    pub expires_at: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionFile {
    pub user_name: String,
    pub provider_name: Option<String>,
    pub model_pattern: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePermissionFile {
    pub user_name: String,
    pub provider_name: Option<String>,
}

/// `[[rate_limits]]`: ceilings for one user on the models `model_pattern` matches (`*`
/// when left out). Tokens are input + output; `total_tokens` is the reference's name for
/// tokens per day (`tpd`), so giving both is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitFile {
    pub user_name: String,
    #[serde(default = "any_model")]
    pub model_pattern: String,
    pub rpm: Option<u64>,
    pub rpd: Option<u64>,
    pub tpm: Option<u64>,
    pub tpd: Option<u64>,
    pub total_tokens: Option<u64>,
}

fn any_model() -> String {
    "*".into()
}

/// `[[quotas]]`: a user's USD budget. Amounts are decimal numbers or strings, kept exact;
/// `period` is `none` (the default: a fixed budget), `daily` or `monthly`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaFile {
    pub user_name: String,
    pub quota: toml::Value,
    pub cost_used: Option<toml::Value>,
    pub period: Option<String>,
}
