//! A provider's settings and credentials, typed from the JSON values the seed config and
//! the database hold. Unknown setting keys are kept (later features read them).

use crate::ChannelKind;
use crate::affinity::AffinityConfig;
use crate::breaker::BreakerConfig;
use crate::budget::BudgetConfig;
use crate::outcome::Cooldowns;
use gproxy_protocol::anthropic::messages::cache::{CacheRule, MAX_BREAKPOINTS};
use gproxy_protocol::{Endpoint, Operation, Protocol};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Why a provider's settings or credentials are unusable; names the offending field.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("settings.base_url is required for channel `{0}`")]
    MissingBaseUrl(ChannelKind),
    /// The URL is not quoted: it may carry credentials (`https://user:token@host`).
    #[error("settings.base_url must start with http:// or https://")]
    BadBaseUrl,
    #[error("settings.upstream_stream must be `always` or `never`")]
    UpstreamStream,
    #[error("settings.cache_breakpoints[{index}]: {message}")]
    CacheRule { index: usize, message: String },
    /// The URL is not quoted: it may carry credentials (`http://user:pass@proxy`).
    #[error("settings.proxy must start with http:// or https://")]
    BadProxy,
    #[error("settings.{0} must be {1}")]
    Range(&'static str, &'static str),
    #[error("invalid settings: {0}")]
    Settings(#[source] serde_json::Error),
    /// The parse error is not quoted: it would repeat the value, a secret.
    #[error("credentials[{0}]: must be an object such as {{ api_key = \"...\" }}")]
    BadCredential(usize),
    #[error("credentials[{0}]: `api_key` (or `secret`) is required")]
    MissingKey(usize),
    #[error("settings.dispatch.{key}: {message}")]
    Dispatch { key: String, message: String },
}

/// How a provider serves one operation, overriding its channel's table
/// (`settings.dispatch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DispatchRule {
    /// Sent as the client sent it, in its own protocol (URL and auth follow that protocol).
    Passthrough,
    /// Translated to this endpoint of the upstream.
    To(Endpoint),
    /// Answered by the gateway (token counts).
    Local,
    /// Refused.
    Unsupported,
}

impl DispatchRule {
    /// Reads `"passthrough"`, `"local"`, `"unsupported"` or `"<protocol>.<operation>"`
    /// (`"openai.chat_completions"`, `"openai.responses"`, `"anthropic.messages"`,
    /// `"gemini.generate_content"`).
    fn parse(value: &str) -> Option<DispatchRule> {
        Some(match value {
            "passthrough" => DispatchRule::Passthrough,
            "local" => DispatchRule::Local,
            "unsupported" => DispatchRule::Unsupported,
            _ => {
                let (protocol, op) = value.split_once('.')?;
                let protocol = match protocol {
                    "openai" => Protocol::OpenAi,
                    "anthropic" => Protocol::Anthropic,
                    "gemini" => Protocol::Gemini,
                    _ => return None,
                };
                DispatchRule::To(Endpoint::new(protocol, Operation::parse(op)?))
            }
        })
    }
}

/// Typed provider settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelSettings {
    /// Upstream base URL without a trailing slash.
    pub base_url: String,
    /// Overrides of the channel's dispatch table, by the client's operation.
    pub dispatch: Vec<(Operation, DispatchRule)>,
    /// Forward the client's `openai-organization`, `openai-project` and
    /// `x-goog-user-project` headers, which pick the billing scope of the operator's
    /// account (`forward_billing_headers`, default false: they are dropped).
    pub forward_billing_headers: bool,
    /// `upstream_stream`: `"always"` for an upstream that only streams (a client that did
    /// not stream gets the events aggregated), `"never"` for one that never streams (a
    /// streaming client gets the answer replayed as events); `None`: as the client asks.
    /// Applies to translated calls.
    pub upstream_stream: Option<bool>,
    /// How long a credential's model cools after a failure the provider gives no time for
    /// (`cooldown_rate_limit_secs`, `cooldown_quota_secs`, `cooldown_transient_secs`).
    pub cooldowns: Cooldowns,
    /// When the provider's circuit opens (`breaker_min_calls`, `breaker_failure_percent`,
    /// `breaker_window_secs`, `breaker_open_secs`).
    pub breaker: BreakerConfig,
    /// How many retries the provider may take (`retry_budget_percent` of its recent
    /// requests plus `retry_budget_floor`).
    pub retry_budget: BudgetConfig,
    /// `credential_round_robin_enabled` (default true): spread calls over the credentials;
    /// false: sticky, the first eligible credential in configured order serves every call
    /// until it cools or dies.
    pub round_robin: bool,
    /// Cache affinity (with round robin only): calls extending a prompt prefix go to the
    /// credential that served it.
    pub affinity: AffinityConfig,
    /// `proxy`: the outbound HTTP proxy for this provider's calls, instead of the global
    /// one (`GPROXY_PROXY`).
    pub proxy: Option<ProxyUrl>,
    /// `cache_breakpoints`: prompt-cache markers added to Anthropic Messages requests (at
    /// most 4 rules).
    pub cache_breakpoints: Vec<CacheRule>,
    /// Other keys, kept verbatim.
    pub extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawSettings {
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    forward_billing_headers: bool,
    #[serde(default)]
    dispatch: Option<Map<String, Value>>,
    #[serde(default)]
    upstream_stream: Option<String>,
    #[serde(default)]
    cooldown_rate_limit_secs: Option<u64>,
    #[serde(default)]
    cooldown_quota_secs: Option<u64>,
    #[serde(default)]
    cooldown_transient_secs: Option<u64>,
    #[serde(default)]
    breaker_min_calls: Option<u32>,
    #[serde(default)]
    breaker_failure_percent: Option<u32>,
    #[serde(default)]
    breaker_window_secs: Option<u64>,
    #[serde(default)]
    breaker_open_secs: Option<u64>,
    #[serde(default)]
    retry_budget_percent: Option<u32>,
    #[serde(default)]
    retry_budget_floor: Option<u32>,
    #[serde(default)]
    credential_round_robin_enabled: Option<bool>,
    #[serde(default)]
    credential_cache_affinity_enabled: Option<bool>,
    #[serde(default)]
    credential_cache_affinity_max_keys: Option<usize>,
    #[serde(default)]
    cache_affinity_ttl_secs: Option<u64>,
    #[serde(default)]
    proxy: Option<String>,
    #[serde(default)]
    cache_breakpoints: Vec<CacheRule>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl ChannelSettings {
    /// Reads settings for `kind`, falling back to the channel's default base URL.
    pub fn parse(kind: ChannelKind, value: &Value) -> Result<Self, SettingsError> {
        let raw: RawSettings = if value.is_null() {
            RawSettings {
                base_url: None,
                forward_billing_headers: false,
                dispatch: None,
                upstream_stream: None,
                cooldown_rate_limit_secs: None,
                cooldown_quota_secs: None,
                cooldown_transient_secs: None,
                breaker_min_calls: None,
                breaker_failure_percent: None,
                breaker_window_secs: None,
                breaker_open_secs: None,
                retry_budget_percent: None,
                retry_budget_floor: None,
                credential_round_robin_enabled: None,
                credential_cache_affinity_enabled: None,
                credential_cache_affinity_max_keys: None,
                cache_affinity_ttl_secs: None,
                proxy: None,
                cache_breakpoints: Vec::new(),
                extra: Map::new(),
            }
        } else {
            serde_json::from_value(value.clone()).map_err(SettingsError::Settings)?
        };
        let base_url = match raw.base_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => url,
            None => kind
                .default_base_url()
                .ok_or(SettingsError::MissingBaseUrl(kind))?
                .to_owned(),
        };
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(SettingsError::BadBaseUrl);
        }
        let mut dispatch = Vec::new();
        for (key, value) in raw.dispatch.unwrap_or_default() {
            let bad = |message: &str| SettingsError::Dispatch {
                key: key.clone(),
                message: message.to_owned(),
            };
            let op = Operation::parse(&key)
                .ok_or_else(|| bad("not an operation (e.g. `messages`, `chat_completions`)"))?;
            let rule = value
                .as_str()
                .and_then(DispatchRule::parse)
                .ok_or_else(|| {
                    bad("must be `passthrough`, `local`, `unsupported` or `<protocol>.<operation>`")
                })?;
            let counts = matches!(
                op,
                Operation::CountTokens
                    | Operation::GeminiCountTokens
                    | Operation::ResponsesInputTokens
            );
            if rule == DispatchRule::Local && !counts {
                return Err(bad("only token counts can be answered locally"));
            }
            dispatch.push((op, rule));
        }
        let upstream_stream = match raw.upstream_stream.as_deref() {
            None => None,
            Some("always") => Some(true),
            Some("never") => Some(false),
            Some(_) => {
                return Err(SettingsError::UpstreamStream);
            }
        };
        let defaults = Cooldowns::default();
        let secs =
            |v: Option<u64>, d: std::time::Duration| v.map_or(d, std::time::Duration::from_secs);
        let cooldowns = Cooldowns {
            rate_limit: secs(raw.cooldown_rate_limit_secs, defaults.rate_limit),
            quota: secs(raw.cooldown_quota_secs, defaults.quota),
            transient: secs(raw.cooldown_transient_secs, defaults.transient),
        };
        let proxy = raw.proxy.filter(|p| !p.trim().is_empty());
        if proxy
            .as_deref()
            .is_some_and(|p| !(p.starts_with("http://") || p.starts_with("https://")))
        {
            return Err(SettingsError::BadProxy);
        }
        let proxy = proxy.map(ProxyUrl);
        if raw.cache_breakpoints.len() > MAX_BREAKPOINTS {
            return Err(SettingsError::Range(
                "cache_breakpoints",
                "at most 4 rules (Anthropic takes 4 markers per request)",
            ));
        }
        for (i, rule) in raw.cache_breakpoints.iter().enumerate() {
            rule.check()
                .map_err(|message| SettingsError::CacheRule { index: i, message })?;
        }
        let round_robin = raw.credential_round_robin_enabled.unwrap_or(true);
        let a = AffinityConfig::default();
        let affinity = AffinityConfig {
            // Sticky selection keeps one credential anyway.
            enabled: round_robin && raw.credential_cache_affinity_enabled.unwrap_or(a.enabled),
            max_keys: raw.credential_cache_affinity_max_keys.unwrap_or(a.max_keys),
            ttl: secs(raw.cache_affinity_ttl_secs, a.ttl),
        };
        let b = BreakerConfig::default();
        if raw
            .breaker_failure_percent
            .is_some_and(|p| !(1..=100).contains(&p))
        {
            return Err(SettingsError::Range("breaker_failure_percent", "1 to 100"));
        }
        if raw.breaker_window_secs == Some(0) {
            return Err(SettingsError::Range("breaker_window_secs", "at least 1"));
        }
        let breaker = BreakerConfig {
            window: secs(raw.breaker_window_secs, b.window),
            min_calls: raw.breaker_min_calls.unwrap_or(b.min_calls),
            failure_percent: raw.breaker_failure_percent.unwrap_or(b.failure_percent),
            open_for: secs(raw.breaker_open_secs, b.open_for),
        };
        let r = BudgetConfig::default();
        let retry_budget = BudgetConfig {
            window: r.window,
            percent: raw.retry_budget_percent.unwrap_or(r.percent),
            floor: raw.retry_budget_floor.unwrap_or(r.floor),
        };
        Ok(ChannelSettings {
            dispatch,
            upstream_stream,
            cooldowns,
            breaker,
            retry_budget,
            round_robin,
            affinity,
            proxy,
            cache_breakpoints: raw.cache_breakpoints,
            base_url: base_url.trim_end_matches('/').to_owned(),
            forward_billing_headers: raw.forward_billing_headers,
            extra: raw.extra,
        })
    }
}

/// A proxy URL; its `Debug` hides it (it may carry a password).
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(String);

impl ProxyUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProxyUrl(..)")
    }
}

/// One upstream credential of a provider.
#[derive(Clone, Debug)]
pub struct Credential {
    /// The upstream API key; its `Debug` is redacted.
    pub api_key: SecretString,
}

#[derive(Deserialize)]
struct RawCredential {
    #[serde(default)]
    api_key: Option<String>,
    /// The upstream gproxy v1 name for the same field.
    #[serde(default)]
    secret: Option<String>,
}

impl Credential {
    /// Reads credential `index` of a provider (`{ api_key = "..." }`).
    pub fn parse(index: usize, value: &Value) -> Result<Self, SettingsError> {
        let raw: RawCredential = serde_json::from_value(value.clone())
            .map_err(|_| SettingsError::BadCredential(index))?;
        let api_key = raw
            .api_key
            .or(raw.secret)
            .filter(|k| !k.is_empty())
            .ok_or(SettingsError::MissingKey(index))?;
        Ok(Credential {
            api_key: SecretString::from(api_key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    #[test]
    fn base_url_defaults_and_trims() {
        let s = ChannelSettings::parse(ChannelKind::OpenAi, &Value::Null).expect("default");
        assert_eq!(s.base_url, "https://api.openai.com/v1");
        let s = ChannelSettings::parse(
            ChannelKind::Custom,
            &json!({"base_url": "http://h:1/v1/", "x": 1}),
        )
        .expect("custom");
        assert_eq!(s.base_url, "http://h:1/v1");
        assert_eq!(s.extra["x"], 1);
        assert!(!s.forward_billing_headers);
        let s = ChannelSettings::parse(
            ChannelKind::OpenAi,
            &json!({"forward_billing_headers": true}),
        )
        .expect("flag");
        assert!(s.forward_billing_headers);
        assert!(
            ChannelSettings::parse(ChannelKind::OpenAi, &json!({"forward_billing_headers": 1}))
                .is_err()
        );
        assert!(matches!(
            ChannelSettings::parse(ChannelKind::Custom, &json!({})),
            Err(SettingsError::MissingBaseUrl(_))
        ));
        assert!(
            ChannelSettings::parse(ChannelKind::OpenAi, &json!({"base_url": "ftp://x"})).is_err()
        );
        let stream =
            |v: Value| ChannelSettings::parse(ChannelKind::OpenAi, &json!({"upstream_stream": v}));
        assert_eq!(
            stream(json!("always")).expect("ok").upstream_stream,
            Some(true)
        );
        assert_eq!(
            stream(json!("never")).expect("ok").upstream_stream,
            Some(false)
        );
        assert!(matches!(
            stream(json!("sometimes")),
            Err(SettingsError::UpstreamStream)
        ));
        let s = ChannelSettings::parse(ChannelKind::OpenAi, &Value::Null).expect("default");
        assert_eq!(s.upstream_stream, None);
    }

    #[test]
    fn dispatch_overrides_are_read_and_checked() {
        let s = ChannelSettings::parse(
            ChannelKind::Custom,
            &json!({"base_url": "http://h/v1", "dispatch": {
                "messages": "passthrough", "count_tokens": "local",
                "responses": "anthropic.messages", "embeddings": "unsupported"}}),
        )
        .expect("valid");
        assert!(
            s.dispatch
                .contains(&(Operation::Messages, DispatchRule::Passthrough))
        );
        assert!(s.dispatch.contains(&(
            Operation::Responses,
            DispatchRule::To(Endpoint::new(Protocol::Anthropic, Operation::Messages))
        )));
        for (dispatch, field) in [
            (
                json!({"mesages": "passthrough"}),
                "settings.dispatch.mesages",
            ),
            (
                json!({"messages": "anthropic.chat"}),
                "settings.dispatch.messages",
            ),
            (json!({"messages": "local"}), "only token counts"),
            (json!({"messages": 1}), "settings.dispatch.messages"),
        ] {
            let err = ChannelSettings::parse(
                ChannelKind::Custom,
                &json!({"base_url": "http://h/v1", "dispatch": dispatch}),
            )
            .expect_err("invalid");
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn credentials_need_a_key_and_never_print_it() {
        let c = Credential::parse(0, &json!({"api_key": "sk-1"})).expect("key");
        assert_eq!(c.api_key.expose_secret(), "sk-1");
        assert!(!format!("{c:?}").contains("sk-1"));
        assert_eq!(
            Credential::parse(0, &json!({"secret": "s"}))
                .expect("secret")
                .api_key
                .expose_secret(),
            "s"
        );
        assert!(matches!(
            Credential::parse(2, &json!({})),
            Err(SettingsError::MissingKey(2))
        ));
        let err = Credential::parse(1, &json!("sk-live-secret")).expect_err("a bare string");
        assert!(!err.to_string().contains("sk-live-secret"), "{err}");
        let err = ChannelSettings::parse(
            ChannelKind::Custom,
            &json!({"base_url": "ftp://user:tok-secret@h"}),
        )
        .expect_err("scheme");
        assert!(!err.to_string().contains("tok-secret"), "{err}");
    }
}
