//! `GET|PATCH /admin/settings` (DESIGN.md §9): the `[global]` fields that can change while
//! the gateway runs: usage and request logging, body capture, masking and the outbound
//! proxy. A change applies to the next request, is audited, and is stored, so it outlives a
//! restart (stored values win over the config file and environment, as the stored control
//! plane wins over the seed). Host, port, DSN and the rest need a restart and are refused.

use super::limit_writes::clearable;
use super::{Admin, applied, store_error};
use crate::ServerConfig;
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use gproxy_storage::model::AuditRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `[global]` fields that need a restart, refused here with a message saying so.
const RESTART: &[&str] = &[
    "host",
    "port",
    "dsn",
    "data_dir",
    "master_key",
    "admin_key",
    "redis_url",
    "persistence",
    "auto_migrate",
    "max_request_body_bytes",
    "max_response_body_bytes",
    "upstream_timeout_secs",
    "database",
];

/// The live settings.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Settings {
    pub enable_usage: bool,
    pub enable_upstream_log: bool,
    pub enable_upstream_log_body: bool,
    pub enable_downstream_log: bool,
    pub enable_downstream_log_body: bool,
    pub mask_sensitive_info: bool,
    /// JSON body fields redacted in logged bodies when `mask_sensitive_info` is on.
    pub mask_body_fields: Vec<String>,
    /// The outbound proxy for upstream calls; a password in it reads back as `***`.
    pub proxy: Option<String>,
}

/// A change: the fields given.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchSettings {
    enable_usage: Option<bool>,
    enable_upstream_log: Option<bool>,
    enable_upstream_log_body: Option<bool>,
    enable_downstream_log: Option<bool>,
    enable_downstream_log_body: Option<bool>,
    mask_sensitive_info: Option<bool>,
    mask_body_fields: Option<Vec<String>>,
    /// `null` or `""`: no proxy.
    #[serde(default, deserialize_with = "clearable")]
    #[schema(value_type = Option<String>)]
    proxy: Option<Option<String>>,
}

/// A proxy URL with any password replaced by `***`.
fn masked_proxy(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn shown(c: &ServerConfig) -> Settings {
    Settings {
        enable_usage: c.enable_usage,
        enable_upstream_log: c.enable_upstream_log,
        enable_upstream_log_body: c.enable_upstream_log_body,
        enable_downstream_log: c.enable_downstream_log,
        enable_downstream_log_body: c.enable_downstream_log_body,
        mask_sensitive_info: c.mask_sensitive_info,
        mask_body_fields: c.mask_body_fields.to_vec(),
        proxy: c.proxy.as_deref().map(masked_proxy),
    }
}

/// Applies `patch` to `config`; 400 naming the field at fault.
fn patched(config: &ServerConfig, patch: PatchSettings) -> Result<ServerConfig, ApiError> {
    let mut c = config.clone();
    let flags = [
        (patch.enable_usage, &mut c.enable_usage),
        (patch.enable_upstream_log, &mut c.enable_upstream_log),
        (
            patch.enable_upstream_log_body,
            &mut c.enable_upstream_log_body,
        ),
        (patch.enable_downstream_log, &mut c.enable_downstream_log),
        (
            patch.enable_downstream_log_body,
            &mut c.enable_downstream_log_body,
        ),
        (patch.mask_sensitive_info, &mut c.mask_sensitive_info),
    ];
    for (given, field) in flags {
        if let Some(v) = given {
            *field = v;
        }
    }
    if let Some(fields) = patch.mask_body_fields {
        if fields.iter().any(|f| f.trim().is_empty() || f.len() > 128) {
            return Err(ApiError::bad_request(
                "mask_body_fields must name fields of 1 to 128 characters",
            )
            .with_field("mask_body_fields"));
        }
        c.mask_body_fields = fields.into();
    }
    if let Some(proxy) = patch.proxy {
        c.proxy = proxy.filter(|p| !p.is_empty());
        if let Some(p) = &c.proxy {
            let scheme_ok = ["http://", "https://", "socks5://", "socks5h://"]
                .iter()
                .any(|s| p.starts_with(s));
            if !scheme_ok || reqwest::Proxy::all(p).is_err() {
                return Err(ApiError::bad_request(
                    "proxy must be an http://, https:// or socks5:// URL",
                )
                .with_field("proxy"));
            }
        }
    }
    Ok(c)
}

/// The stored form of the live settings: each name with its value as JSON text.
fn stored(c: &ServerConfig) -> Vec<(String, String)> {
    let s = Settings {
        proxy: c.proxy.clone(),
        ..shown(c)
    };
    match serde_json::to_value(s) {
        Ok(Value::Object(map)) => map.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
        _ => Vec::new(),
    }
}

/// `config` with the stored live settings applied (at start-up); a stored value that no
/// longer reads is skipped with a warning.
pub fn with_stored(config: ServerConfig, values: &[(String, String)]) -> ServerConfig {
    let mut live = stored(&config)
        .into_iter()
        .filter_map(|(k, v)| Some((k, serde_json::from_str::<Value>(&v).ok()?)))
        .collect::<serde_json::Map<String, Value>>();
    for (name, text) in values {
        match serde_json::from_str::<Value>(text) {
            Ok(v) if live.contains_key(name) => {
                live.insert(name.clone(), v);
            }
            _ => {
                tracing::warn!(setting = %name, "ignoring a stored setting this build does not read")
            }
        }
    }
    match serde_json::from_value::<Settings>(Value::Object(live)) {
        Ok(s) => ServerConfig {
            enable_usage: s.enable_usage,
            enable_upstream_log: s.enable_upstream_log,
            enable_upstream_log_body: s.enable_upstream_log_body,
            enable_downstream_log: s.enable_downstream_log,
            enable_downstream_log_body: s.enable_downstream_log_body,
            mask_sensitive_info: s.mask_sensitive_info,
            mask_body_fields: s.mask_body_fields.into(),
            proxy: s.proxy,
            ..config
        },
        Err(e) => {
            tracing::warn!(error = %e, "ignoring the stored settings");
            config
        }
    }
}

/// `GET /admin/settings`.
#[utoipa::path(
    get,
    path = "/admin/settings",
    operation_id = "get_settings",
    tag = "admin",
    responses(
        (status = 200, description = "The live settings", body = Settings),
        openapi::AdminOnly,
    )
)]
pub async fn get(_: Admin, State(state): State<AppState>) -> Json<Settings> {
    Json(shown(&state.config()))
}

/// `PATCH /admin/settings`.
#[utoipa::path(
    patch,
    path = "/admin/settings",
    operation_id = "patch_settings",
    tag = "admin",
    request_body = PatchSettings,
    responses(
        (status = 200, description = "The live settings after the change", body = Settings),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn patch(
    Admin(who): Admin,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Settings>, ApiError> {
    let raw = super::json_body(body)?;
    if let Some(name) = raw
        .as_object()
        .and_then(|o| o.keys().find(|k| RESTART.contains(&k.as_str())))
    {
        return Err(ApiError::bad_request(format!(
            "`{name}` needs a restart: set it in gproxy.toml, a flag or the environment"
        ))
        .with_field(name.clone()));
    }
    let patch: PatchSettings =
        serde_json::from_value(raw).map_err(|e| super::invalid_body(&e.to_string()))?;
    let (config, _) = applied(&state, async {
        let before = state.config();
        let after = patched(&before, patch)?;
        let audit = AuditRecord {
            actor: who.user_name.clone(),
            action: "update".into(),
            resource: "settings".into(),
            resource_id: None,
            before: serde_json::to_value(shown(&before)).ok(),
            after: serde_json::to_value(shown(&after)).ok(),
        };
        state
            .store
            .save_settings(&stored(&after), &audit)
            .await
            .map_err(store_error)?;
        state.set_config(after.clone()).map_err(|e| {
            tracing::error!(error = %e, "building the upstream client failed");
            ApiError::internal("the settings are stored but the proxy could not be applied")
        })?;
        Ok(after)
    })
    .await?;
    Ok(Json(shown(&config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_settings_apply_over_the_config_and_odd_ones_are_skipped() {
        let config = ServerConfig::default();
        let applied = with_stored(
            config.clone(),
            &[
                ("enable_usage".into(), "false".into()),
                ("proxy".into(), "\"http://u:pw@p:3128\"".into()),
                ("no_such_setting".into(), "1".into()),
                ("mask_sensitive_info".into(), "not json".into()),
            ],
        );
        assert!(!applied.enable_usage);
        assert_eq!(applied.proxy.as_deref(), Some("http://u:pw@p:3128"));
        assert!(applied.mask_sensitive_info);
        assert_eq!(
            shown(&applied).proxy.as_deref(),
            Some("http://u:***@p:3128/")
        );
        let round = with_stored(config, &stored(&applied));
        assert_eq!(round, applied);
    }

    #[test]
    fn patches_are_checked() {
        let c = ServerConfig::default();
        let bad = PatchSettings {
            proxy: Some(Some("ftp://x".into())),
            ..Default::default()
        };
        assert!(patched(&c, bad).is_err());
        let cleared = PatchSettings {
            proxy: Some(Some(String::new())),
            enable_downstream_log_body: Some(true),
            ..Default::default()
        };
        let c = patched(&c, cleared).expect("valid");
        assert!(c.proxy.is_none() && c.enable_downstream_log_body);
    }
}
