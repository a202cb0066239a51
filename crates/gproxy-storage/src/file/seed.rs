//! Importing a seed into the file backend's tables, mirroring the SeaORM backend: providers
//! upserted by name with their credentials (and seeded health) replaced, models, aliases and
//! routes replaced by key, users upserted with their keys, permissions and rate limits
//! replaced per user, quotas upserted per user. It runs on a copy of the tables, so a
//! refused seed changes nothing.

use super::state::{Tables, max_id};
use crate::convert::status_row;
use crate::entity::{credential, user_key};
use crate::limits::{check_quota, check_rate_limit};
use crate::model::{
    AliasRow, CredentialStatusRecord, ModelRow, PermissionRow, ProviderRow, QuotaRow, RateLimitRow,
    RouteMemberRow, RouteRow, Seed, UserRow,
};
use crate::seal::{Sealer, key_digest};
use crate::store::StoreError;
use secrecy::ExposeSecret;
use std::collections::{HashMap, HashSet};

/// Imports `seed` into `t` at time `now`.
pub(super) fn import(
    t: &mut Tables,
    sealer: &Sealer,
    seed: &Seed,
    now: i64,
) -> Result<(), StoreError> {
    import_providers(t, sealer, seed, now)?;
    import_models(t, seed, now)?;
    import_users(t, sealer, seed, now)?;
    import_limits(t, seed, now)
}

fn provider_ids(t: &Tables) -> HashMap<String, i64> {
    t.providers.iter().map(|p| (p.name.clone(), p.id)).collect()
}

fn import_providers(
    t: &mut Tables,
    sealer: &Sealer,
    seed: &Seed,
    now: i64,
) -> Result<(), StoreError> {
    for p in &seed.providers {
        let settings = p.settings.to_string();
        let id = match t.providers.iter_mut().find(|row| row.name == p.name) {
            Some(row) => {
                row.channel = p.channel.clone();
                row.settings = settings;
                row.enabled = p.enabled;
                row.updated_at = now;
                let id = row.id;
                let old: HashSet<i64> = t
                    .credentials
                    .iter()
                    .filter(|c| c.provider_id == id)
                    .map(|c| c.id)
                    .collect();
                t.credential_statuses
                    .retain(|s| !old.contains(&s.credential_id));
                t.credentials.retain(|c| c.provider_id != id);
                id
            }
            None => {
                let id = t.take_id("providers", max_id(t.providers.iter().map(|r| r.id)), now)?;
                t.providers.push(ProviderRow {
                    id,
                    name: p.name.clone(),
                    channel: p.channel.clone(),
                    settings,
                    enabled: p.enabled,
                    created_at: now,
                    updated_at: now,
                });
                id
            }
        };
        for (k, c) in p.credentials.iter().enumerate() {
            let credential_id = t.take_id(
                "credentials",
                max_id(t.credentials.iter().map(|r| r.id)),
                now,
            )?;
            t.credentials.push(credential::Model {
                id: credential_id,
                provider_id: id,
                label: c.get("label").and_then(|l| l.as_str()).map(str::to_owned),
                secret: sealer.seal(&c.to_string())?,
                enabled: c.get("enabled").and_then(|e| e.as_bool()).unwrap_or(true),
                created_at: now,
            });
            if let Some(Some(status)) = p.health.get(k) {
                let row = status_row(
                    &CredentialStatusRecord {
                        credential_id,
                        ..status.clone()
                    },
                    now,
                )?;
                t.credential_statuses
                    .retain(|s| s.credential_id != credential_id);
                t.credential_statuses.push(row);
            }
        }
    }
    Ok(())
}

fn import_models(t: &mut Tables, seed: &Seed, now: i64) -> Result<(), StoreError> {
    let ids = provider_ids(t);
    let provider_id = |name: &str, what: &str| {
        ids.get(name)
            .copied()
            .ok_or_else(|| StoreError::Invalid(format!("{what}: unknown provider `{name}`")))
    };
    for m in &seed.models {
        let pid = provider_id(&m.provider_name, "models")?;
        t.provider_models
            .retain(|row| !(row.provider_id == pid && row.model_id == m.model_id));
        let id = t.take_id(
            "provider_models",
            max_id(t.provider_models.iter().map(|r| r.id)),
            now,
        )?;
        t.provider_models.push(ModelRow {
            id,
            provider_id: pid,
            model_id: m.model_id.clone(),
            display_name: m.display_name.clone(),
            enabled: m.enabled,
            pricing: m.pricing.to_string(),
            created_at: now,
        });
    }
    for a in &seed.aliases {
        let pid = provider_id(&a.provider_name, "model_aliases")?;
        t.aliases.retain(|row| row.alias != a.alias);
        let id = t.take_id("aliases", max_id(t.aliases.iter().map(|r| r.id)), now)?;
        t.aliases.push(AliasRow {
            id,
            alias: a.alias.clone(),
            provider_id: pid,
            model_id: a.model_id.clone(),
            enabled: a.enabled,
            created_at: now,
        });
    }
    for r in &seed.routes {
        let old: HashSet<i64> = t
            .routes
            .iter()
            .filter(|row| row.name == r.name)
            .map(|row| row.id)
            .collect();
        t.route_members.retain(|m| !old.contains(&m.route_id));
        t.routes.retain(|row| !old.contains(&row.id));
        let route_id = t.take_id("routes", max_id(t.routes.iter().map(|r| r.id)), now)?;
        t.routes.push(RouteRow {
            id: route_id,
            name: r.name.clone(),
            enabled: r.enabled,
            created_at: now,
        });
        for m in &r.members {
            let provider_id = provider_id(&m.provider_name, "routes")?;
            let id = t.take_id(
                "route_members",
                max_id(t.route_members.iter().map(|r| r.id)),
                now,
            )?;
            t.route_members.push(RouteMemberRow {
                id,
                route_id,
                provider_id,
                model_id: m.model_id.clone(),
                tier: m.tier,
                weight: m.weight,
                created_at: now,
            });
        }
    }
    Ok(())
}

fn import_users(t: &mut Tables, sealer: &Sealer, seed: &Seed, now: i64) -> Result<(), StoreError> {
    let mut user_ids = HashMap::new();
    for u in &seed.users {
        let id = match t.users.iter_mut().find(|row| row.name == u.name) {
            Some(row) => {
                row.password_hash = u.password_hash.clone();
                row.is_admin = u.is_admin;
                row.enabled = u.enabled;
                row.id
            }
            None => {
                let id = t.take_id("users", max_id(t.users.iter().map(|r| r.id)), now)?;
                t.users.push(UserRow {
                    id,
                    name: u.name.clone(),
                    password_hash: u.password_hash.clone(),
                    is_admin: u.is_admin,
                    enabled: u.enabled,
                    created_at: now,
                });
                id
            }
        };
        user_ids.insert(u.name.clone(), id);
        for k in &u.keys {
            let digest = key_digest(k.api_key.expose_secret());
            match t.user_keys.iter_mut().find(|row| row.digest == digest) {
                Some(row) if row.user_id != id => {
                    return Err(StoreError::Invalid(format!(
                        "users.keys: a key of user `{}` is already another user's key",
                        u.name
                    )));
                }
                Some(row) => {
                    row.label = k.label.clone();
                    row.enabled = k.enabled;
                    row.expires_at = k.expires_at;
                }
                None => {
                    let key_id =
                        t.take_id("user_keys", max_id(t.user_keys.iter().map(|r| r.id)), now)?;
                    t.user_keys.push(user_key::Model {
                        id: key_id,
                        user_id: id,
                        digest,
                        secret: sealer.seal(k.api_key.expose_secret())?,
                        label: k.label.clone(),
                        enabled: k.enabled,
                        expires_at: k.expires_at,
                        created_at: now,
                    });
                }
            }
        }
    }
    let providers = provider_ids(t);
    let mut cleared = HashSet::new();
    for p in &seed.permissions {
        let uid = match user_ids.get(&p.user_name) {
            Some(id) => *id,
            None => t
                .users
                .iter()
                .find(|u| u.name == p.user_name)
                .map(|u| u.id)
                .ok_or_else(|| {
                    StoreError::Invalid(format!("permissions: unknown user `{}`", p.user_name))
                })?,
        };
        let pid = match &p.provider_name {
            Some(name) => Some(*providers.get(name).ok_or_else(|| {
                StoreError::Invalid(format!("permissions: unknown provider `{name}`"))
            })?),
            None => None,
        };
        if cleared.insert(uid) {
            t.route_permissions.retain(|row| row.user_id != uid);
        }
        let id = t.take_id(
            "route_permissions",
            max_id(t.route_permissions.iter().map(|r| r.id)),
            now,
        )?;
        t.route_permissions.push(PermissionRow {
            id,
            user_id: uid,
            provider_id: pid,
            model_pattern: p.model_pattern.clone(),
            created_at: now,
        });
    }
    Ok(())
}

/// Replaces the rate limits of every user `seed.rate_limits` names and upserts
/// `seed.quotas` by user; runs after [`import_users`] so seeded users resolve.
fn import_limits(t: &mut Tables, seed: &Seed, now: i64) -> Result<(), StoreError> {
    let users: HashMap<String, i64> = t.users.iter().map(|u| (u.name.clone(), u.id)).collect();
    let user_id = |name: &str, what: &str| {
        users
            .get(name)
            .copied()
            .ok_or_else(|| StoreError::Invalid(format!("{what}: unknown user `{name}`")))
    };
    let mut cleared = HashSet::new();
    for r in &seed.rate_limits {
        check_rate_limit(r)?;
        let uid = user_id(&r.user_name, "rate_limits")?;
        if cleared.insert(uid) {
            t.rate_limits.retain(|row| row.user_id != uid);
        }
        let id = t.take_id(
            "rate_limits",
            max_id(t.rate_limits.iter().map(|r| r.id)),
            now,
        )?;
        t.rate_limits.push(RateLimitRow {
            id,
            user_id: uid,
            model_pattern: r.model_pattern.clone(),
            rpm: r.rpm,
            rpd: r.rpd,
            tpm: r.tpm,
            tpd: r.tpd,
            created_at: now,
        });
    }
    for q in &seed.quotas {
        check_quota(q)?;
        let uid = user_id(&q.user_name, "quotas")?;
        match t.quotas.iter_mut().find(|row| row.user_id == uid) {
            Some(row) => {
                // A new period starts now; the same period keeps counting from its start.
                if row.period != q.period {
                    row.period_start = now;
                }
                row.limit_nano = q.limit_nano;
                row.used_nano = q.used_nano;
                row.period = q.period.clone();
                row.updated_at = now;
            }
            None => {
                let id = t.take_id("quotas", max_id(t.quotas.iter().map(|r| r.id)), now)?;
                t.quotas.push(QuotaRow {
                    id,
                    user_id: uid,
                    limit_nano: q.limit_nano,
                    used_nano: q.used_nano,
                    period: q.period.clone(),
                    period_start: now,
                    created_at: now,
                    updated_at: now,
                });
            }
        }
    }
    Ok(())
}
