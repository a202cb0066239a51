//! `gproxy export`: the control plane as one TOML bundle in the seed format (providers with
//! their credentials, models with prices, aliases, routes, users with their keys and
//! password hashes, permissions, rate limits, quotas with exact amounts), secrets included,
//! so `gproxy import` of it into an empty database of any backend reproduces the same state.

use anyhow::Context;
use gproxy_server::billing::Money;
use gproxy_storage::model::ControlPlane;
use secrecy::ExposeSecret;
use serde_json::Value;
use toml::{Table, Value as Toml};

/// A JSON value as TOML; `null`s have no TOML form and are left out.
fn toml_of(v: &Value) -> Option<Toml> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => Toml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Toml::Integer(i),
            None => Toml::Float(n.as_f64()?),
        },
        Value::String(s) => Toml::String(s.clone()),
        Value::Array(items) => Toml::Array(items.iter().filter_map(toml_of).collect()),
        Value::Object(map) => Toml::Table(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), toml_of(v)?)))
                .collect(),
        ),
    })
}

fn table(pairs: impl IntoIterator<Item = (&'static str, Option<Toml>)>) -> Toml {
    Toml::Table(
        pairs
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_owned(), v?)))
            .collect(),
    )
}

fn s(v: &str) -> Option<Toml> {
    Some(Toml::String(v.to_owned()))
}

fn b(v: bool) -> Option<Toml> {
    Some(Toml::Boolean(v))
}

fn int(v: Option<i64>) -> Option<Toml> {
    v.map(Toml::Integer)
}

/// An amount in nano-USD as its exact decimal string (a TOML float could round it).
fn usd(nanos: i64) -> Option<Toml> {
    s(&Money::from_nanos(nanos).to_string())
}

/// The seed-format TOML of `cp`.
pub fn to_toml(cp: &ControlPlane) -> anyhow::Result<String> {
    let provider_name = |id: i64| {
        cp.providers
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .with_context(|| format!("a row names provider {id}, which does not exist"))
    };
    let user_name = |id: i64| {
        cp.users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.name.clone())
            .with_context(|| format!("a row names user {id}, which does not exist"))
    };
    let mut providers = Vec::new();
    for p in &cp.providers {
        let settings: Value = serde_json::from_str(&p.settings)
            .with_context(|| format!("provider `{}`: stored settings", p.name))?;
        let credentials: Vec<Toml> = cp
            .credentials
            .iter()
            .filter(|c| c.provider_id == p.id)
            .filter_map(|c| {
                let mut secret = c.secret.clone();
                if let Some(map) = secret.as_object_mut() {
                    map.insert("enabled".into(), Value::Bool(c.enabled));
                    match &c.label {
                        Some(label) => map.insert("label".into(), Value::String(label.clone())),
                        None => map.remove("label"),
                    };
                }
                toml_of(&secret)
            })
            .collect();
        providers.push(table([
            ("name", s(&p.name)),
            ("channel", s(&p.channel)),
            ("enabled", b(p.enabled)),
            ("settings", toml_of(&settings)),
            ("credentials", Some(Toml::Array(credentials))),
        ]));
    }
    let mut models = Vec::new();
    for m in &cp.models {
        let pricing: Value = serde_json::from_str(&m.pricing).unwrap_or_default();
        let Toml::Table(mut row) = table([
            ("provider_name", s(&provider_name(m.provider_id)?)),
            ("model_id", s(&m.model_id)),
            ("display_name", m.display_name.as_deref().and_then(s)),
            ("enabled", b(m.enabled)),
        ]) else {
            continue;
        };
        if let Some(Toml::Table(prices)) = toml_of(&pricing) {
            row.extend(prices);
        }
        models.push(Toml::Table(row));
    }
    let mut aliases = Vec::new();
    for a in &cp.aliases {
        aliases.push(table([
            ("alias", s(&a.alias)),
            ("provider_name", s(&provider_name(a.provider_id)?)),
            ("model_id", s(&a.model_id)),
            ("enabled", b(a.enabled)),
        ]));
    }
    let mut routes = Vec::new();
    for r in &cp.routes {
        let mut members = Vec::new();
        for m in cp.route_members.iter().filter(|m| m.route_id == r.id) {
            members.push(table([
                ("provider_name", s(&provider_name(m.provider_id)?)),
                ("model_id", s(&m.model_id)),
                ("tier", Some(Toml::Integer(i64::from(m.tier)))),
                ("weight", Some(Toml::Integer(i64::from(m.weight)))),
            ]));
        }
        routes.push(table([
            ("name", s(&r.name)),
            ("enabled", b(r.enabled)),
            ("members", Some(Toml::Array(members))),
        ]));
    }
    let mut users = Vec::new();
    for u in &cp.users {
        let keys: Vec<Toml> = cp
            .keys
            .iter()
            .filter(|k| k.user_id == u.id)
            .map(|k| {
                table([
                    ("api_key", s(k.api_key.expose_secret())),
                    ("label", k.label.as_deref().and_then(s)),
                    ("enabled", b(k.enabled)),
                    (
                        "expires_at",
                        k.expires_at
                            .and_then(chrono::DateTime::from_timestamp_millis)
                            .map(|t| {
                                Toml::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                            }),
                    ),
                ])
            })
            .collect();
        users.push(table([
            ("name", s(&u.name)),
            // The Argon2 hash: the import keeps it as it is.
            ("password", s(&u.password_hash)),
            ("is_admin", b(u.is_admin)),
            ("enabled", b(u.enabled)),
            ("keys", Some(Toml::Array(keys))),
        ]));
    }
    let mut permissions = Vec::new();
    for p in &cp.permissions {
        permissions.push(table([
            ("user_name", s(&user_name(p.user_id)?)),
            (
                "provider_name",
                match p.provider_id {
                    Some(id) => s(&provider_name(id)?),
                    None => None,
                },
            ),
            ("model_pattern", s(&p.model_pattern)),
        ]));
    }
    let mut rate_limits = Vec::new();
    for r in &cp.rate_limits {
        rate_limits.push(table([
            ("user_name", s(&user_name(r.user_id)?)),
            ("model_pattern", s(&r.model_pattern)),
            ("rpm", int(r.rpm)),
            ("rpd", int(r.rpd)),
            ("tpm", int(r.tpm)),
            ("tpd", int(r.tpd)),
        ]));
    }
    let mut quotas = Vec::new();
    for q in &cp.quotas {
        quotas.push(table([
            ("user_name", s(&user_name(q.user_id)?)),
            ("quota", usd(q.limit_nano)),
            ("cost_used", usd(q.used_nano)),
            ("period", s(&q.period)),
        ]));
    }
    let mut root = Table::new();
    for (name, rows) in [
        ("providers", providers),
        ("models", models),
        ("model_aliases", aliases),
        ("routes", routes),
        ("users", users),
        ("permissions", permissions),
        ("rate_limits", rate_limits),
        ("quotas", quotas),
    ] {
        if !rows.is_empty() {
            root.insert(name.to_owned(), Toml::Array(rows));
        }
    }
    let body = toml::to_string(&root).context("writing the bundle")?;
    Ok(format!(
        "# gproxy export: the control plane in the seed format. It holds every provider\n\
         # credential and API key in plain text: keep it as secret as the keys themselves.\n\
         # Load it with `gproxy import FILE` into an empty database.\n\n{body}"
    ))
}
