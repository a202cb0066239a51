//! Turning the seed file into the store's [`Seed`]: each entry is validated against the
//! channel or user it names (a bad entry is reported with its line), plain-text passwords
//! are hashed with Argon2id, and quota amounts are read as exact nano-USD.

use crate::config::{ConfigError, SeedSource};
use gproxy_channels::{ChannelKind, ChannelSettings, Credential};
use gproxy_server::billing::Money;
use gproxy_storage::key_digest;
use gproxy_storage::model::{
    Seed, SeedAlias, SeedKey, SeedModel, SeedPermission, SeedProvider, SeedQuota, SeedRateLimit,
    SeedRoute, SeedRouteMember, SeedUser,
};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use std::collections::HashSet;

pub use gproxy_server::password::hash as password_hash;

/// An exact amount: a TOML integer, float or string holding a non-negative amount of USD
/// with at most 9 decimal places (a float is read as the decimal it prints as).
fn money(v: &toml::Value) -> Result<Money, String> {
    let text = match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) if f.is_finite() => f.to_string(),
        toml::Value::String(s) => s.clone(),
        _ => return Err("must be a non-negative amount of USD".into()),
    };
    text.parse().map_err(|e| format!("{e}"))
}

/// A price as exact decimal text (see [`money`]).
fn price(v: &toml::Value) -> Result<String, String> {
    money(v).map(|m| m.to_string())
}

/// A point in time (a TOML offset date-time or an RFC 3339 string) as Unix milliseconds.
fn time_ms(v: &toml::Value) -> Result<i64, String> {
    let text = match v {
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::String(s) => s.clone(),
        _ => return Err("must be a date-time such as 2026-12-31T00:00:00Z".into()),
    };
    chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            format!("`{text}` is not a date-time with an offset, such as 2026-12-31T00:00:00Z")
        })
}

/// Validates the seed file and converts it.
pub fn to_seed(src: &SeedSource) -> Result<Seed, ConfigError> {
    let f = &src.file;
    let mut seed = Seed::default();
    let mut providers = HashSet::new();
    for (i, entry) in f.providers.iter().enumerate() {
        let at = entry.span().start;
        let p = entry.get_ref();
        let here = |m: String| src.invalid(at, format!("providers[{i}] (`{}`): {m}", p.name));
        gproxy_server::check_provider_name(&p.name).map_err(here)?;
        if !providers.insert(p.name.clone()) {
            return Err(here("name is used by another provider".into()));
        }
        let kind: ChannelKind = p.channel.get_ref().parse().map_err(|e| {
            src.invalid(
                p.channel.span().start,
                format!("providers[{i}] (`{}`): channel: {e}", p.name),
            )
        })?;
        let settings = p.settings.clone().unwrap_or(Value::Object(Map::new()));
        ChannelSettings::parse(kind, &settings).map_err(|e| here(e.to_string()))?;
        let mut credentials = Vec::with_capacity(p.credentials.len());
        let mut health = Vec::with_capacity(p.credentials.len());
        for (j, c) in p.credentials.iter().enumerate() {
            Credential::parse(j, c).map_err(|e| here(e.to_string()))?;
            let status = gproxy_channels::health::seeded(c)
                .map_err(|e| here(format!("credentials[{j}].state.health: {e}")))?;
            health.push(status.map(|s| gproxy_server::health::record_of(&s)));
            // The health seed is state, not secret: it is kept apart from the sealed JSON.
            let mut c = c.clone();
            if let Some(map) = c.as_object_mut() {
                map.remove("state");
            }
            credentials.push(c);
        }
        seed.providers.push(SeedProvider {
            name: p.name.clone(),
            channel: p.channel.get_ref().clone(),
            settings,
            credentials,
            health,
            enabled: p.enabled,
        });
    }
    for (i, entry) in f.models.iter().enumerate() {
        let m = entry.get_ref();
        let here = |msg: String| src.invalid(entry.span().start, format!("models[{i}]: {msg}"));
        if !providers.contains(&m.provider_name) {
            return Err(here(format!(
                "provider_name: unknown provider `{}`",
                m.provider_name
            )));
        }
        if m.model_id.is_empty() {
            return Err(here("model_id must not be empty".into()));
        }
        let mut pricing = Map::new();
        for (name, v) in [
            ("price_each_call", &m.price_each_call),
            ("price_input_per_mtok", &m.price_input_per_mtok),
            ("price_output_per_mtok", &m.price_output_per_mtok),
            ("price_cache_read_per_mtok", &m.price_cache_read_per_mtok),
            ("price_cache_write_per_mtok", &m.price_cache_write_per_mtok),
        ] {
            if let Some(v) = v {
                let text = price(v).map_err(|e| here(format!("{name}: {e}")))?;
                pricing.insert(name.into(), Value::String(text));
            }
        }
        seed.models.push(SeedModel {
            provider_name: m.provider_name.clone(),
            model_id: m.model_id.clone(),
            display_name: m.display_name.clone(),
            enabled: m.enabled,
            pricing: Value::Object(pricing),
        });
    }
    let mut aliases = HashSet::new();
    for (i, entry) in f.model_aliases.iter().enumerate() {
        let a = entry.get_ref();
        let here =
            |msg: String| src.invalid(entry.span().start, format!("model_aliases[{i}]: {msg}"));
        if !providers.contains(&a.provider_name) {
            return Err(here(format!(
                "provider_name: unknown provider `{}`",
                a.provider_name
            )));
        }
        if a.alias.is_empty() || !aliases.insert(a.alias.clone()) {
            return Err(here(format!("alias `{}` is empty or used twice", a.alias)));
        }
        seed.aliases.push(SeedAlias {
            alias: a.alias.clone(),
            provider_name: a.provider_name.clone(),
            model_id: a.model_id.clone(),
            enabled: a.enabled,
        });
    }
    let mut routes = HashSet::new();
    for (i, entry) in f.routes.iter().enumerate() {
        let r = entry.get_ref();
        let here = |msg: String| src.invalid(entry.span().start, format!("routes[{i}]: {msg}"));
        if r.name.is_empty() || r.name.contains('/') {
            return Err(here("name must be non-empty and without `/`".into()));
        }
        if aliases.contains(&r.name) || !routes.insert(r.name.clone()) {
            return Err(here(format!(
                "name `{}` is used by another route or alias",
                r.name
            )));
        }
        if r.members.is_empty() {
            return Err(here("members: a route needs at least one member".into()));
        }
        let mut members = Vec::with_capacity(r.members.len());
        for (j, m) in r.members.iter().enumerate() {
            if !providers.contains(&m.provider_name) {
                return Err(here(format!(
                    "members[{j}].provider_name: unknown provider `{}`",
                    m.provider_name
                )));
            }
            if m.model_id.is_empty() {
                return Err(here(format!("members[{j}].model_id is required")));
            }
            if m.tier < 0 || m.weight < 1 {
                return Err(here(format!(
                    "members[{j}]: tier must be 0 or more and weight 1 or more"
                )));
            }
            members.push(SeedRouteMember {
                provider_name: m.provider_name.clone(),
                model_id: m.model_id.clone(),
                tier: m.tier,
                weight: m.weight,
            });
        }
        seed.routes.push(SeedRoute {
            name: r.name.clone(),
            enabled: r.enabled,
            members,
        });
    }
    let mut users = HashSet::new();
    let mut keys = HashSet::new();
    for (i, entry) in f.users.iter().enumerate() {
        let u = entry.get_ref();
        let here = |msg: String| {
            src.invalid(
                entry.span().start,
                format!("users[{i}] (`{}`): {msg}", u.name),
            )
        };
        if u.name.is_empty() || !users.insert(u.name.clone()) {
            return Err(here("name is empty or used twice".into()));
        }
        // A user without a password cannot log in; only its keys work.
        let password = u
            .password
            .clone()
            .unwrap_or_else(|| gproxy_server::generate_api_key().into());
        let password_hash =
            password_hash(password.expose_secret()).map_err(|e| here(format!("password: {e}")))?;
        let mut seed_keys = Vec::new();
        for (j, k) in u.keys.iter().enumerate() {
            let key = k.api_key.expose_secret();
            if key.is_empty() || !keys.insert(key_digest(key)) {
                return Err(here(format!("keys[{j}].api_key is empty or used twice")));
            }
            let expires_at = k
                .expires_at
                .as_ref()
                .map(time_ms)
                .transpose()
                .map_err(|e| here(format!("keys[{j}].expires_at: {e}")))?;
            seed_keys.push(SeedKey {
                api_key: k.api_key.clone(),
                label: k.label.clone(),
                enabled: k.enabled,
                expires_at,
            });
        }
        seed.users.push(SeedUser {
            name: u.name.clone(),
            password_hash,
            is_admin: u.is_admin,
            enabled: u.enabled,
            keys: seed_keys,
        });
    }
    for (i, entry) in f.permissions.iter().enumerate() {
        let p = entry.get_ref();
        let here =
            |msg: String| src.invalid(entry.span().start, format!("permissions[{i}]: {msg}"));
        if !users.contains(&p.user_name) {
            return Err(here(format!("user_name: unknown user `{}`", p.user_name)));
        }
        if let Some(name) = &p.provider_name
            && !providers.contains(name)
        {
            return Err(here(format!("provider_name: unknown provider `{name}`")));
        }
        if p.model_pattern.is_empty() {
            return Err(here("model_pattern must not be empty".into()));
        }
        seed.permissions.push(SeedPermission {
            user_name: p.user_name.clone(),
            provider_name: p.provider_name.clone(),
            model_pattern: p.model_pattern.clone(),
        });
    }
    seed.rate_limits = rate_limits(src, &users)?;
    seed.quotas = quotas(src, &users)?;
    for entry in &f.file_permissions {
        let user = &entry.get_ref().user_name;
        if !users.contains(user) {
            return Err(src.invalid(
                entry.span().start,
                format!("file_permissions: unknown user `{user}`"),
            ));
        }
    }
    for (table, given) in [("file_permissions", !f.file_permissions.is_empty())] {
        if given {
            tracing::warn!("[[{table}]] is validated but not enforced yet in this build");
        }
    }
    Ok(seed)
}

/// `[[rate_limits]]` for the users the seed defines; `total_tokens` is read as `tpd`.
fn rate_limits(
    src: &SeedSource,
    users: &HashSet<String>,
) -> Result<Vec<SeedRateLimit>, ConfigError> {
    let mut out = Vec::with_capacity(src.file.rate_limits.len());
    for (i, entry) in src.file.rate_limits.iter().enumerate() {
        let r = entry.get_ref();
        let here =
            |msg: String| src.invalid(entry.span().start, format!("rate_limits[{i}]: {msg}"));
        if !users.contains(&r.user_name) {
            return Err(here(format!("user_name: unknown user `{}`", r.user_name)));
        }
        if r.model_pattern.is_empty() {
            return Err(here("model_pattern must not be empty".into()));
        }
        let tpd = match (r.tpd, r.total_tokens) {
            (Some(_), Some(_)) => {
                return Err(here(
                    "tpd: give `tpd` or `total_tokens` (tokens per day), not both".into(),
                ));
            }
            (Some(v), None) => Some(("tpd", v)),
            (None, Some(v)) => Some(("total_tokens", v)),
            (None, None) => None,
        };
        let ceiling = |field: &str, v: Option<u64>| -> Result<Option<i64>, ConfigError> {
            match v.map(i64::try_from) {
                None => Ok(None),
                Some(Ok(n)) if n >= 1 => Ok(Some(n)),
                Some(Ok(_)) => Err(here(format!("{field} must be 1 or more"))),
                Some(Err(_)) => Err(here(format!("{field} is too large"))),
            }
        };
        out.push(SeedRateLimit {
            user_name: r.user_name.clone(),
            model_pattern: r.model_pattern.clone(),
            rpm: ceiling("rpm", r.rpm)?,
            rpd: ceiling("rpd", r.rpd)?,
            tpm: ceiling("tpm", r.tpm)?,
            tpd: match tpd {
                Some((field, v)) => ceiling(field, Some(v))?,
                None => None,
            },
        });
    }
    Ok(out)
}

/// `[[quotas]]`, one per user the seed defines, with exact amounts.
fn quotas(src: &SeedSource, users: &HashSet<String>) -> Result<Vec<SeedQuota>, ConfigError> {
    let mut out: Vec<SeedQuota> = Vec::with_capacity(src.file.quotas.len());
    for (i, entry) in src.file.quotas.iter().enumerate() {
        let q = entry.get_ref();
        let here = |msg: String| src.invalid(entry.span().start, format!("quotas[{i}]: {msg}"));
        if !users.contains(&q.user_name) {
            return Err(here(format!("user_name: unknown user `{}`", q.user_name)));
        }
        if out.iter().any(|o| o.user_name == q.user_name) {
            return Err(here(format!(
                "user_name: `{}` has a quota already (one per user)",
                q.user_name
            )));
        }
        let limit = money(&q.quota).map_err(|e| here(format!("quota: {e}")))?;
        if limit == Money::ZERO {
            return Err(here("quota must be more than 0".into()));
        }
        let used = match &q.cost_used {
            Some(v) => money(v).map_err(|e| here(format!("cost_used: {e}")))?,
            None => Money::ZERO,
        };
        let period = q.period.as_deref().unwrap_or("none");
        if !gproxy_storage::limits::PERIODS.contains(&period) {
            return Err(here(format!(
                "period: `{period}` is not one of none, daily, monthly"
            )));
        }
        out.push(SeedQuota {
            user_name: q.user_name.clone(),
            limit_nano: limit.nanos(),
            used_nano: used.nanos(),
            period: period.to_owned(),
        });
    }
    Ok(out)
}
