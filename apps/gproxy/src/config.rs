//! Resolving settings: CLI flag > environment variable > `gproxy.toml` > default, for every
//! `[global]` field, and validating each so a bad value stops start-up naming the field.

use crate::cli::Cli;
use crate::file::FileConfig;
use gproxy_server::ServerConfig;
use gproxy_storage::QueueConfig;
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the configuration is unusable; every message names the field (and file line).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}, line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("invalid `{field}`: {message}")]
    Value {
        field: &'static str,
        message: String,
    },
}

/// The persistence backend (`GPROXY_PERSISTENCE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    /// SeaORM on `dsn`: SQLite (the default file under the data directory), PostgreSQL
    /// or MySQL/MariaDB.
    Db,
    /// JSON files under the data directory; a single instance.
    File,
}

/// Everything start-up needs, resolved.
#[derive(Debug)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub dsn: String,
    /// Where the control plane and records live.
    pub persistence: Persistence,
    /// Apply pending schema migrations at start (otherwise a schema behind is refused).
    pub auto_migrate: bool,
    pub master_key: Option<SecretString>,
    pub admin_key: Option<SecretString>,
    pub admin_user: Option<String>,
    pub admin_password: Option<SecretString>,
    pub admin_api_key: Option<SecretString>,
    pub bootstrap_force_config: bool,
    pub redis_url: Option<String>,
    pub server: ServerConfig,
    pub queue: QueueConfig,
    /// Connection pool and logging of the database.
    pub database: gproxy_storage::DbOptions,
    /// The seed file's path and its validated contents.
    pub seed: Option<(PathBuf, gproxy_storage::model::Seed)>,
}

/// A parsed seed file with what is needed to report its lines.
#[derive(Debug)]
pub struct SeedSource {
    pub path: PathBuf,
    pub text: String,
    pub file: FileConfig,
}

impl SeedSource {
    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.text.as_bytes()[..offset.min(self.text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    pub fn invalid(&self, offset: usize, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            line: self.line(offset),
            message: message.into(),
        }
    }
}

fn read_seed(cli: &Cli) -> Result<Option<SeedSource>, ConfigError> {
    let (path, explicit) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("gproxy.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    parse_seed(path, text).map(Some)
}

/// Seed-format text read into its tables (the message and line of the first error).
fn parse_seed(path: PathBuf, text: String) -> Result<SeedSource, ConfigError> {
    let file: FileConfig = match toml::from_str(&text) {
        Ok(file) => file,
        // The message and line only: toml's full error quotes the offending source line,
        // which may hold a key or password.
        Err(e) => {
            let message = e.message().trim_end().to_owned();
            let Some(span) = e.span() else {
                return Err(ConfigError::Parse { path, message });
            };
            let src = SeedSource {
                path,
                text,
                file: FileConfig::default(),
            };
            return Err(src.invalid(span.start, message));
        }
    };
    Ok(SeedSource { path, text, file })
}

/// Seed-format text (a `GET /admin/config/export` bundle) read and validated, for
/// `POST /admin/config/import`; errors name `what` as the file.
pub fn seed_from_text(what: &str, text: &str) -> Result<gproxy_storage::model::Seed, ConfigError> {
    let src = parse_seed(PathBuf::from(what), text.to_owned())?;
    crate::seed::to_seed(&src)
}

/// A seed-format file (a `gproxy export` bundle) read and validated, for `gproxy import`.
pub fn seed_from_file(path: &std::path::Path) -> Result<gproxy_storage::model::Seed, ConfigError> {
    let cli = Cli {
        config: Some(path.to_owned()),
        ..Cli::default()
    };
    match read_seed(&cli)? {
        Some(src) => crate::seed::to_seed(&src),
        None => Ok(gproxy_storage::model::Seed::default()),
    }
}

fn value(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        field,
        message: message.into(),
    }
}

/// A retention window in days (at least 1).
fn days(field: &'static str, n: Option<u64>) -> Result<Option<Duration>, ConfigError> {
    match n {
        Some(0) => Err(value(
            field,
            "must be at least 1 (leave it out to keep everything)",
        )),
        Some(d) => Ok(Some(Duration::from_secs(d.saturating_mul(86_400)))),
        None => Ok(None),
    }
}

fn positive(field: &'static str, n: usize) -> Result<usize, ConfigError> {
    if n == 0 {
        return Err(value(field, "must be greater than 0"));
    }
    Ok(n)
}

/// `mask_body_fields`: names trimmed; an empty one is refused (it would match nothing and
/// hide a typo such as a trailing comma).
fn body_fields(fields: Vec<String>) -> Result<std::sync::Arc<[String]>, ConfigError> {
    fields
        .into_iter()
        .map(|f| {
            let f = f.trim();
            if f.is_empty() {
                return Err(value("mask_body_fields", "a field name is empty"));
            }
            Ok(f.to_owned())
        })
        .collect()
}

/// The default DSN: a SQLite file in the data directory.
pub fn default_dsn(data_dir: &Path) -> String {
    let abs = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    format!("sqlite://{}/gproxy.db?mode=rwc", abs.display())
}

/// Resolves and validates the settings.
pub fn load(cli: Cli) -> Result<Settings, ConfigError> {
    let seed = read_seed(&cli)?;
    let empty = crate::file::GlobalFile::default();
    let g = seed.as_ref().map(|s| &s.file.global).unwrap_or(&empty);
    let no_db = crate::file::DatabaseFile::default();
    let d = seed.as_ref().map(|s| &s.file.database).unwrap_or(&no_db);
    let dd = gproxy_storage::DbOptions::default();
    let database = gproxy_storage::DbOptions {
        pool_size: match cli
            .database_pool_size
            .or(d.pool_size)
            .unwrap_or(dd.pool_size)
        {
            n @ 1..=100 => n,
            _ => return Err(value("database.pool_size", "must be between 1 and 100")),
        },
        max_overflow: match cli
            .database_max_overflow
            .or(d.max_overflow)
            .unwrap_or(dd.max_overflow)
        {
            n @ 0..=100 => n,
            _ => return Err(value("database.max_overflow", "must be between 0 and 100")),
        },
        pool_timeout: match cli.database_pool_timeout.or(d.pool_timeout) {
            Some(0) => return Err(value("database.pool_timeout", "must be greater than 0")),
            Some(secs) => Duration::from_secs(secs),
            None => dd.pool_timeout,
        },
        echo: cli.database_echo.or(d.echo).unwrap_or(dd.echo),
        echo_pool: cli
            .database_echo_pool
            .or(d.echo_pool)
            .unwrap_or(dd.echo_pool),
    };

    let host = cli
        .host
        .or(g.host.clone())
        .unwrap_or_else(|| "127.0.0.1".into());
    let port = cli.port.or(g.port).unwrap_or(8787);
    let data_dir = cli
        .data_dir
        .or(g.data_dir.as_ref().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("./data"));
    let dsn = cli
        .dsn
        .or(g.dsn.clone())
        .unwrap_or_else(|| default_dsn(&data_dir));
    let scheme_ok = ["sqlite:", "postgres:", "postgresql:", "mysql:"]
        .iter()
        .any(|s| dsn.starts_with(s));
    if !scheme_ok {
        return Err(value(
            "dsn",
            "must start with sqlite:, postgres:, postgresql: or mysql:",
        ));
    }
    let persistence = match cli.persistence.or(g.persistence.clone()).as_deref() {
        None | Some("db") => Persistence::Db,
        Some("file") => Persistence::File,
        Some(other) => {
            return Err(value(
                "persistence",
                format!("`{other}` is not one of: db, file"),
            ));
        }
    };
    let auto_migrate = cli.auto_migrate.or(g.auto_migrate).unwrap_or(true);
    let master_key = cli
        .master_key
        .or(g.master_key.clone())
        .filter(|k| !k.expose_secret().is_empty());
    if let Some(k) = &master_key {
        gproxy_storage::Sealer::from_base64(k.expose_secret())
            .map_err(|e| value("master_key", e.to_string()))?;
    }
    let proxy = cli.proxy.or(g.proxy.clone()).filter(|p| !p.is_empty());
    if let Some(p) = &proxy
        && !["http://", "https://", "socks5://", "socks5h://"]
            .iter()
            .any(|s| p.starts_with(s))
    {
        return Err(value(
            "proxy",
            "must be an http://, https:// or socks5:// URL",
        ));
    }
    let defaults = ServerConfig::default();
    let server = ServerConfig {
        enable_usage: cli
            .enable_usage
            .or(g.enable_usage)
            .unwrap_or(defaults.enable_usage),
        enable_upstream_log: cli
            .enable_upstream_log
            .or(g.enable_upstream_log)
            .unwrap_or(defaults.enable_upstream_log),
        enable_upstream_log_body: cli
            .enable_upstream_log_body
            .or(g.enable_upstream_log_body)
            .unwrap_or(defaults.enable_upstream_log_body),
        enable_downstream_log: cli
            .enable_downstream_log
            .or(g.enable_downstream_log)
            .unwrap_or(defaults.enable_downstream_log),
        enable_downstream_log_body: cli
            .enable_downstream_log_body
            .or(g.enable_downstream_log_body)
            .unwrap_or(defaults.enable_downstream_log_body),
        mask_sensitive_info: cli
            .mask_sensitive_info
            .or(g.mask_sensitive_info)
            .unwrap_or(defaults.mask_sensitive_info),
        mask_body_fields: match cli.mask_body_fields.or(g.mask_body_fields.clone()) {
            Some(fields) => body_fields(fields)?,
            None => defaults.mask_body_fields.clone(),
        },
        max_request_body_bytes: positive(
            "max_request_body_bytes",
            cli.max_request_body_bytes
                .or(g.max_request_body_bytes)
                .unwrap_or(defaults.max_request_body_bytes),
        )?,
        proxy,
        upstream_timeout: cli
            .upstream_timeout_secs
            .or(g.upstream_timeout_secs)
            .map(Duration::from_secs)
            .unwrap_or(defaults.upstream_timeout),
        max_response_body_bytes: positive(
            "max_response_body_bytes",
            cli.max_response_body_bytes
                .or(g.max_response_body_bytes)
                .unwrap_or(defaults.max_response_body_bytes),
        )?,
        max_stream_event_bytes: positive(
            "max_stream_event_bytes",
            cli.max_stream_event_bytes
                .or(g.max_stream_event_bytes)
                .unwrap_or(defaults.max_stream_event_bytes),
        )?,
        stream_idle_timeout: match cli.stream_idle_timeout_secs.or(g.stream_idle_timeout_secs) {
            Some(0) => return Err(value("stream_idle_timeout_secs", "must be greater than 0")),
            Some(secs) => Duration::from_secs(secs),
            None => defaults.stream_idle_timeout,
        },
        max_recovery_wait: cli
            .max_recovery_wait_secs
            .or(g.max_recovery_wait_secs)
            .map_or(defaults.max_recovery_wait, Duration::from_secs),
        retention: gproxy_server::retention::Windows {
            usage: days(
                "usage_retention_days",
                cli.usage_retention_days.or(g.usage_retention_days),
            )?,
            request_logs: days(
                "request_log_retention_days",
                cli.request_log_retention_days
                    .or(g.request_log_retention_days),
            )?,
            bodies: days(
                "request_body_retention_days",
                cli.request_body_retention_days
                    .or(g.request_body_retention_days),
            )?,
        },
        secure_cookies: cli
            .secure_cookies
            .or(g.secure_cookies)
            .unwrap_or(defaults.secure_cookies),
        first_byte_timeout: match cli.first_byte_timeout_secs.or(g.first_byte_timeout_secs) {
            Some(0) => return Err(value("first_byte_timeout_secs", "must be greater than 0")),
            other => other.map(Duration::from_secs),
        },
    };
    let qd = QueueConfig::default();
    let queue = QueueConfig {
        capacity: positive(
            "storage_write_queue_capacity",
            cli.storage_write_queue_capacity
                .or(g.storage_write_queue_capacity)
                .unwrap_or(qd.capacity),
        )?,
        max_batch: positive(
            "storage_write_max_batch_size",
            cli.storage_write_max_batch_size
                .or(g.storage_write_max_batch_size)
                .unwrap_or(qd.max_batch),
        )?,
        window: cli
            .storage_write_aggregate_window_ms
            .or(g.storage_write_aggregate_window_ms)
            .map(Duration::from_millis)
            .unwrap_or(qd.window),
    };
    for (field, set) in [
        (
            "spoof_emulation",
            cli.spoof_emulation.is_some() || g.spoof_emulation.is_some(),
        ),
        ("hf_token", cli.hf_token.is_some() || g.hf_token.is_some()),
        ("hf_url", cli.hf_url.is_some() || g.hf_url.is_some()),
    ] {
        if set {
            tracing::warn!("`{field}` is accepted but has no effect in this build");
        }
    }
    let redis_url = cli
        .redis_url
        .or(g.redis_url.clone())
        .filter(|u| !u.is_empty());
    if redis_url.is_some() && persistence == Persistence::File {
        return Err(value(
            "persistence",
            "`file` cannot be combined with redis_url: Redis is for several instances, and each would keep its own diverging files; use a database (GPROXY_DSN) with Redis",
        ));
    }
    if let Some(url) = &redis_url
        && !url.starts_with("redis://")
        && !url.starts_with("rediss://")
    {
        return Err(value("redis_url", "must be a redis:// or rediss:// URL"));
    }
    Ok(Settings {
        host,
        port,
        data_dir,
        dsn,
        master_key,
        admin_key: cli
            .admin_key
            .or(g.admin_key.clone())
            .filter(|k| !k.expose_secret().is_empty()),
        admin_user: cli.admin_user.filter(|u| !u.is_empty()),
        admin_password: cli.admin_password.filter(|p| !p.expose_secret().is_empty()),
        admin_api_key: cli.admin_api_key.filter(|k| !k.expose_secret().is_empty()),
        bootstrap_force_config: cli.bootstrap_force_config.unwrap_or(false),
        redis_url,
        persistence,
        auto_migrate,
        server,
        queue,
        database,
        seed: match seed {
            Some(src) => Some((src.path.clone(), crate::seed::to_seed(&src)?)),
            None => None,
        },
    })
}
