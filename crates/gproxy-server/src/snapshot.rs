//! The in-memory control plane: everything the request path reads (providers, keys,
//! users, permissions, aliases, models), built from the store and swapped atomically on
//! change so no request ever awaits the database.

use crate::billing::ModelPrice;
use crate::glob;
use crate::limits::{QuotaRule, RateRule};
use gproxy_channels::{ChannelKind, ChannelSettings, Credential, CredentialPool};
use gproxy_storage::model::{ControlPlane, ProviderRow};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::Arc;

/// A provider ready to serve.
#[derive(Debug)]
pub struct Provider {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub settings: ChannelSettings,
    /// Enabled credentials only.
    pub credentials: CredentialPool,
}

/// A configured model (or alias) a caller may list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelEntry {
    pub provider: String,
    pub model_id: String,
    pub display_name: Option<String>,
    /// Set for aliases: the name callers use instead of `provider/model_id`.
    pub alias: Option<String>,
}

/// The user a key belongs to, as the request path needs it.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub user_name: String,
    pub key_id: i64,
    pub is_admin: bool,
}

#[derive(Clone, Debug)]
struct UserEntry {
    name: String,
    enabled: bool,
    is_admin: bool,
    password_hash: String,
}

#[derive(Clone, Debug)]
struct KeyEntry {
    id: i64,
    user_id: i64,
    enabled: bool,
    /// Unix ms after which the key is refused.
    expires_at: Option<i64>,
}

#[derive(Clone, Debug)]
struct Permission {
    provider_id: Option<i64>,
    pattern: String,
}

/// A public model name served by members on one or more providers.
#[derive(Debug)]
pub struct Route {
    pub name: String,
    /// Tiers in the order they are tried (lowest tier first); members of a tier share its
    /// traffic by weight.
    pub tiers: Vec<Vec<RouteMember>>,
}

/// One (provider, model) of a route.
#[derive(Debug, Clone)]
pub struct RouteMember {
    pub provider: Arc<Provider>,
    pub model_id: String,
    pub weight: u32,
}

/// Why a stored control plane cannot be served; names the offending row.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("provider `{name}`: {message}")]
    Provider { name: String, message: String },
}

/// An immutable view of the control plane.
#[derive(Debug, Default)]
pub struct Snapshot {
    providers: HashMap<String, Arc<Provider>>,
    provider_names: HashMap<i64, String>,
    /// Alias name -> (provider name, upstream model id).
    aliases: HashMap<String, (String, String)>,
    /// Route name -> route (members on disabled providers left out).
    routes: HashMap<String, Arc<Route>>,
    models: Vec<ModelEntry>,
    /// User id -> their USD quota.
    quotas: HashMap<i64, QuotaRule>,
    /// User id -> the rate-limit rules on their calls.
    rate_rules: HashMap<i64, Vec<RateRule>>,
    /// (provider name, upstream model id) -> the prices its model row sets.
    prices: HashMap<(String, String), ModelPrice>,
    users: HashMap<i64, UserEntry>,
    user_ids: HashMap<String, i64>,
    /// Key digest -> key.
    keys: HashMap<String, KeyEntry>,
    /// User id -> first enabled key in plaintext (what `/login` hands back).
    login_keys: HashMap<i64, SecretString>,
    permissions: HashMap<i64, Vec<Permission>>,
}

/// A stored provider's channel kind and parsed settings; the message says what is wrong.
pub fn channel_of(p: &ProviderRow) -> Result<(ChannelKind, ChannelSettings), String> {
    let kind: ChannelKind = p.channel.parse().map_err(|e| format!("{e}"))?;
    let settings: serde_json::Value =
        serde_json::from_str(&p.settings).map_err(|e| format!("settings: {e}"))?;
    let settings = ChannelSettings::parse(kind, &settings).map_err(|e| e.to_string())?;
    Ok((kind, settings))
}

impl Snapshot {
    /// Builds the view; a provider with an unknown channel or bad settings is an error.
    pub fn build(cp: ControlPlane) -> Result<Snapshot, SnapshotError> {
        let mut snap = Snapshot::default();
        for p in &cp.providers {
            snap.provider_names.insert(p.id, p.name.clone());
        }
        for p in cp.providers.iter().filter(|p| p.enabled) {
            let err = |message: String| SnapshotError::Provider {
                name: p.name.clone(),
                message,
            };
            crate::routes::check_provider_name(&p.name).map_err(err)?;
            let (kind, settings) = channel_of(p).map_err(err)?;
            let creds = cp
                .credentials
                .iter()
                .filter(|c| c.provider_id == p.id && c.enabled)
                .enumerate()
                .map(|(i, c)| {
                    Ok((
                        c.id,
                        Credential::parse(i, &c.secret).map_err(|e| err(e.to_string()))?,
                    ))
                })
                .collect::<Result<Vec<_>, SnapshotError>>()?;
            snap.providers.insert(
                p.name.clone(),
                Arc::new(Provider {
                    id: p.id,
                    name: p.name.clone(),
                    kind,
                    settings,
                    credentials: CredentialPool::new(creds),
                }),
            );
        }
        for q in &cp.quotas {
            snap.quotas.insert(q.user_id, QuotaRule::from_row(q));
        }
        for r in &cp.rate_limits {
            snap.rate_rules
                .entry(r.user_id)
                .or_default()
                .push(RateRule::from_row(r));
        }
        for m in &cp.models {
            let Some(name) = snap.live_provider_name(m.provider_id) else {
                continue;
            };
            let pricing: serde_json::Value = serde_json::from_str(&m.pricing).unwrap_or_default();
            let price = ModelPrice::from_fields(&pricing).map_err(|e| SnapshotError::Provider {
                name: name.clone(),
                message: format!("model `{}`: {e}", m.model_id),
            })?;
            if let Some(price) = price {
                snap.prices.insert((name, m.model_id.clone()), price);
            }
        }
        for m in cp.models.iter().filter(|m| m.enabled) {
            if let Some(name) = snap.live_provider_name(m.provider_id) {
                snap.models.push(ModelEntry {
                    provider: name,
                    model_id: m.model_id.clone(),
                    display_name: m.display_name.clone(),
                    alias: None,
                });
            }
        }
        for a in cp.aliases.iter().filter(|a| a.enabled) {
            if let Some(name) = snap.live_provider_name(a.provider_id) {
                snap.aliases
                    .insert(a.alias.clone(), (name.clone(), a.model_id.clone()));
                snap.models.push(ModelEntry {
                    provider: name,
                    model_id: a.model_id.clone(),
                    display_name: None,
                    alias: Some(a.alias.clone()),
                });
            }
        }
        for r in cp.routes.iter().filter(|r| r.enabled) {
            let mut members: Vec<(i32, RouteMember)> = cp
                .route_members
                .iter()
                .filter(|m| m.route_id == r.id)
                .filter_map(|m| {
                    let name = snap.live_provider_name(m.provider_id)?;
                    Some((
                        m.tier,
                        RouteMember {
                            provider: Arc::clone(snap.providers.get(&name)?),
                            model_id: m.model_id.clone(),
                            weight: u32::try_from(m.weight.max(1)).unwrap_or(1),
                        },
                    ))
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            members.sort_by_key(|(tier, _)| *tier);
            let mut tiers: Vec<Vec<RouteMember>> = Vec::new();
            let mut current = None;
            for (tier, member) in members {
                if current != Some(tier) {
                    tiers.push(Vec::new());
                    current = Some(tier);
                }
                if let Some(last) = tiers.last_mut() {
                    last.push(member);
                }
            }
            // Listed under its first member (as an alias is under its target).
            if let Some(first) = tiers.first().and_then(|t| t.first()) {
                snap.models.push(ModelEntry {
                    provider: first.provider.name.clone(),
                    model_id: first.model_id.clone(),
                    display_name: None,
                    alias: Some(r.name.clone()),
                });
            }
            snap.routes.insert(
                r.name.clone(),
                Arc::new(Route {
                    name: r.name.clone(),
                    tiers,
                }),
            );
        }
        for u in cp.users {
            snap.user_ids.insert(u.name.clone(), u.id);
            snap.users.insert(
                u.id,
                UserEntry {
                    name: u.name,
                    enabled: u.enabled,
                    is_admin: u.is_admin,
                    password_hash: u.password_hash,
                },
            );
        }
        let now = gproxy_storage::now_ms();
        for k in cp.keys {
            // `/login` hands out a key that does not expire (or not yet).
            if k.enabled && k.expires_at.is_none_or(|at| at > now) {
                snap.login_keys.entry(k.user_id).or_insert(k.api_key);
            }
            snap.keys.insert(
                k.digest,
                KeyEntry {
                    id: k.id,
                    user_id: k.user_id,
                    enabled: k.enabled,
                    expires_at: k.expires_at,
                },
            );
        }
        for p in cp.permissions {
            snap.permissions
                .entry(p.user_id)
                .or_default()
                .push(Permission {
                    provider_id: p.provider_id,
                    pattern: p.model_pattern,
                });
        }
        Ok(snap)
    }

    fn live_provider_name(&self, id: i64) -> Option<String> {
        self.provider_names
            .get(&id)
            .filter(|n| self.providers.contains_key(*n))
            .cloned()
    }

    /// The route a client names, if any.
    pub fn route(&self, name: &str) -> Option<&Arc<Route>> {
        self.routes.get(name)
    }

    /// Every provider, in no particular order.
    pub fn providers(&self) -> impl Iterator<Item = &Arc<Provider>> {
        self.providers.values()
    }

    pub fn provider(&self, name: &str) -> Option<&Arc<Provider>> {
        self.providers.get(name)
    }

    /// The rate-limit rules on `user_id`'s calls to `model` (or the public name `public`
    /// the caller used).
    pub fn rate_rules(&self, user_id: i64, model: &str, public: Option<&str>) -> Vec<RateRule> {
        self.rate_rules
            .get(&user_id)
            .map(|rules| {
                rules
                    .iter()
                    .filter(|r| r.applies(model, public))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every rate-limit rule on `user_id`'s calls.
    pub fn user_rate_rules(&self, user_id: i64) -> &[RateRule] {
        self.rate_rules.get(&user_id).map_or(&[], Vec::as_slice)
    }

    /// `user_id`'s USD quota, if they have one.
    pub fn quota(&self, user_id: i64) -> Option<&QuotaRule> {
        self.quotas.get(&user_id)
    }

    /// What `model` costs on `provider`: its model row's prices, else the bundled list
    /// price for the provider's channel, else `None` (unpriced).
    pub fn price(&self, provider: &Provider, model: &str) -> Option<ModelPrice> {
        self.prices
            .get(&(provider.name.clone(), model.to_owned()))
            .copied()
            .or_else(|| crate::billing::bundled::price(provider.kind, model))
    }

    /// `(provider, upstream model id)` an alias stands for.
    pub fn alias(&self, name: &str) -> Option<&(String, String)> {
        self.aliases.get(name)
    }

    /// Configured models and aliases, in configuration order.
    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    /// The principal behind a key digest, if the key and its user are enabled.
    pub fn principal(&self, digest: &str) -> Option<Principal> {
        let now = gproxy_storage::now_ms();
        let key = self
            .keys
            .get(digest)
            .filter(|k| k.enabled && k.expires_at.is_none_or(|at| at > now))?;
        let user = self.users.get(&key.user_id).filter(|u| u.enabled)?;
        Some(Principal {
            user_id: key.user_id,
            user_name: user.name.clone(),
            key_id: key.id,
            is_admin: user.is_admin,
        })
    }

    /// When the key with `digest` expired, if it exists and has.
    pub fn key_expired_at(&self, digest: &str) -> Option<i64> {
        let now = gproxy_storage::now_ms();
        self.keys
            .get(digest)
            .and_then(|k| k.expires_at)
            .filter(|&at| at <= now)
    }

    /// For `/login`: the user's id, whether enabled, and password hash.
    pub fn login_user(&self, name: &str) -> Option<(i64, bool, &str)> {
        let id = *self.user_ids.get(name)?;
        let u = self.users.get(&id)?;
        Some((id, u.enabled, u.password_hash.as_str()))
    }

    /// The key `/login` hands back for a user.
    pub fn login_key(&self, user_id: i64) -> Option<&str> {
        self.login_keys
            .get(&user_id)
            .map(ExposeSecret::expose_secret)
    }

    /// Whether `user_id` may call every model of `provider` (a `*` grant for it or for all
    /// providers), so nothing the provider lists needs filtering.
    pub fn permits_all(&self, user_id: i64, provider: &Provider) -> bool {
        self.permissions.get(&user_id).is_some_and(|perms| {
            perms
                .iter()
                .any(|p| p.provider_id.is_none_or(|id| id == provider.id) && p.pattern == "*")
        })
    }

    /// Whether `user_id` may call `model_id` on `provider`. An alias the caller used is
    /// matched too, so `chat-*` can grant aliases by name.
    pub fn permits(
        &self,
        user_id: i64,
        provider: &Provider,
        model_id: &str,
        alias: Option<&str>,
    ) -> bool {
        self.permissions.get(&user_id).is_some_and(|perms| {
            perms.iter().any(|p| {
                p.provider_id.is_none_or(|id| id == provider.id)
                    && (glob::matches(&p.pattern, model_id)
                        || alias.is_some_and(|a| glob::matches(&p.pattern, a)))
            })
        })
    }
}

/// What one caller may see of one provider's models (filters an upstream model list).
#[derive(Clone, Debug)]
pub struct ModelVisibility {
    pub snapshot: Arc<Snapshot>,
    pub user_id: i64,
    pub provider: Arc<Provider>,
}

impl ModelVisibility {
    pub fn allows(&self, model_id: &str) -> bool {
        self.snapshot
            .permits(self.user_id, &self.provider, model_id, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gproxy_storage::model::{CredentialRecord, KeyRecord, PermissionRow, UserRow};
    use serde_json::json;

    fn cp() -> ControlPlane {
        ControlPlane {
            providers: vec![
                ProviderRow {
                    id: 1,
                    name: "oa".into(),
                    channel: "openai".into(),
                    settings: r#"{"base_url":"http://x/v1"}"#.into(),
                    enabled: true,
                    created_at: 0,
                    updated_at: 0,
                },
                ProviderRow {
                    id: 2,
                    name: "off".into(),
                    channel: "anthropic".into(),
                    settings: "{}".into(),
                    enabled: false,
                    created_at: 0,
                    updated_at: 0,
                },
            ],
            credentials: vec![CredentialRecord {
                id: 9,
                provider_id: 1,
                label: None,
                secret: json!({"api_key": "k"}),
                enabled: true,
            }],
            users: vec![UserRow {
                id: 5,
                name: "alice".into(),
                password_hash: "h".into(),
                is_admin: false,
                enabled: true,
                created_at: 0,
            }],
            keys: vec![
                KeyRecord {
                    id: 7,
                    user_id: 5,
                    digest: "d1".into(),
                    api_key: "sk-a".into(),
                    label: None,
                    enabled: true,
                    expires_at: None,
                },
                KeyRecord {
                    id: 8,
                    user_id: 5,
                    digest: "d2".into(),
                    api_key: "sk-b".into(),
                    label: None,
                    enabled: false,
                    expires_at: None,
                },
            ],
            permissions: vec![PermissionRow {
                id: 1,
                user_id: 5,
                provider_id: Some(1),
                model_pattern: "gpt-*".into(),
                created_at: 0,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn builds_and_answers() {
        let s = Snapshot::build(cp()).expect("valid");
        let p = s.provider("oa").expect("enabled provider");
        assert_eq!(p.credentials.len(), 1);
        assert!(
            s.provider("off").is_none(),
            "disabled providers are not served"
        );
        let who = s.principal("d1").expect("enabled key");
        assert_eq!((who.user_id, who.key_id), (5, 7));
        assert!(s.principal("d2").is_none(), "disabled key");
        assert!(s.principal("zz").is_none());
        assert!(s.permits(5, p, "gpt-4.1", None));
        assert!(!s.permits(5, p, "o3", None));
        assert!(s.permits(5, p, "o3", Some("gpt-fast")));
        assert!(!s.permits(6, p, "gpt-4.1", None));
        assert_eq!(s.login_key(5), Some("sk-a"));
    }

    #[test]
    fn bad_channel_names_the_provider() {
        let mut c = cp();
        c.providers[0].channel = "claude".into();
        let err = Snapshot::build(c).expect_err("unknown channel");
        assert!(
            err.to_string()
                .starts_with("provider `oa`: unknown channel `claude`"),
            "{err}"
        );
    }
}
