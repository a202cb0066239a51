//! Importing a seed into the SeaORM backend: providers with their credentials (and seeded
//! health), models, aliases, routes, users with their keys, permissions and rate limits
//! (replaced per user), and quotas (upserted per user), inside the caller's transaction.

use super::SeaStore;
use super::health::status_row;
use crate::entity::{
    alias, credential, credential_status, provider, provider_model, quota, rate_limit, route,
    route_member, route_permission, user, user_key,
};
use crate::limits::{check_quota, check_rate_limit};
use crate::model::{CredentialStatusRecord, Seed};
use crate::seal::key_digest;
use crate::store::StoreError;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;
use std::collections::{HashMap, HashSet};

impl SeaStore {
    pub(super) async fn provider_ids(
        &self,
        txn: &DatabaseTransaction,
    ) -> Result<HashMap<String, i64>, StoreError> {
        Ok(provider::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|p| (p.name, p.id))
            .collect())
    }

    pub(super) async fn import_providers(
        &self,
        txn: &DatabaseTransaction,
        seed: &Seed,
        now: i64,
    ) -> Result<(), StoreError> {
        for p in &seed.providers {
            let existing = provider::Entity::find()
                .filter(provider::Column::Name.eq(&p.name))
                .one(txn)
                .await?;
            let settings = p.settings.to_string();
            let id = match existing {
                Some(row) => {
                    let id = row.id;
                    let mut row: provider::ActiveModel = row.into();
                    row.channel = Set(p.channel.clone());
                    row.settings = Set(settings);
                    row.enabled = Set(p.enabled);
                    row.updated_at = Set(now);
                    row.update(txn).await?;
                    let old: Vec<i64> = credential::Entity::find()
                        .filter(credential::Column::ProviderId.eq(id))
                        .all(txn)
                        .await?
                        .into_iter()
                        .map(|c| c.id)
                        .collect();
                    credential_status::Entity::delete_many()
                        .filter(credential_status::Column::CredentialId.is_in(old))
                        .exec(txn)
                        .await?;
                    credential::Entity::delete_many()
                        .filter(credential::Column::ProviderId.eq(id))
                        .exec(txn)
                        .await?;
                    id
                }
                None => {
                    provider::ActiveModel {
                        id: NotSet,
                        name: Set(p.name.clone()),
                        channel: Set(p.channel.clone()),
                        settings: Set(settings),
                        enabled: Set(p.enabled),
                        created_at: Set(now),
                        updated_at: Set(now),
                    }
                    .insert(txn)
                    .await?
                    .id
                }
            };
            for (k, c) in p.credentials.iter().enumerate() {
                let credential_id = credential::ActiveModel {
                    id: NotSet,
                    provider_id: Set(id),
                    label: Set(c.get("label").and_then(|l| l.as_str()).map(str::to_owned)),
                    secret: Set(self.sealer.seal(&c.to_string())?),
                    enabled: Set(c.get("enabled").and_then(|e| e.as_bool()).unwrap_or(true)),
                    created_at: Set(now),
                }
                .insert(txn)
                .await?
                .id;
                if let Some(Some(status)) = p.health.get(k) {
                    status_row(
                        &CredentialStatusRecord {
                            credential_id,
                            ..status.clone()
                        },
                        now,
                    )?
                    .insert(txn)
                    .await?;
                }
            }
        }
        Ok(())
    }

    pub(super) async fn import_models(
        &self,
        txn: &DatabaseTransaction,
        seed: &Seed,
        now: i64,
    ) -> Result<(), StoreError> {
        let ids = self.provider_ids(txn).await?;
        let provider_id = |name: &str, what: &str| {
            ids.get(name)
                .copied()
                .ok_or_else(|| StoreError::Invalid(format!("{what}: unknown provider `{name}`")))
        };
        for m in &seed.models {
            let pid = provider_id(&m.provider_name, "models")?;
            provider_model::Entity::delete_many()
                .filter(provider_model::Column::ProviderId.eq(pid))
                .filter(provider_model::Column::ModelId.eq(&m.model_id))
                .exec(txn)
                .await?;
            provider_model::ActiveModel {
                id: NotSet,
                provider_id: Set(pid),
                model_id: Set(m.model_id.clone()),
                display_name: Set(m.display_name.clone()),
                enabled: Set(m.enabled),
                pricing: Set(m.pricing.to_string()),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        for a in &seed.aliases {
            let pid = provider_id(&a.provider_name, "model_aliases")?;
            alias::Entity::delete_many()
                .filter(alias::Column::Alias.eq(&a.alias))
                .exec(txn)
                .await?;
            alias::ActiveModel {
                id: NotSet,
                alias: Set(a.alias.clone()),
                provider_id: Set(pid),
                model_id: Set(a.model_id.clone()),
                enabled: Set(a.enabled),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        for r in &seed.routes {
            let old: Vec<i64> = route::Entity::find()
                .filter(route::Column::Name.eq(&r.name))
                .all(txn)
                .await?
                .into_iter()
                .map(|row| row.id)
                .collect();
            route_member::Entity::delete_many()
                .filter(route_member::Column::RouteId.is_in(old.clone()))
                .exec(txn)
                .await?;
            route::Entity::delete_many()
                .filter(route::Column::Id.is_in(old))
                .exec(txn)
                .await?;
            let route_id = route::ActiveModel {
                id: NotSet,
                name: Set(r.name.clone()),
                enabled: Set(r.enabled),
                created_at: Set(now),
            }
            .insert(txn)
            .await?
            .id;
            for m in &r.members {
                route_member::ActiveModel {
                    id: NotSet,
                    route_id: Set(route_id),
                    provider_id: Set(provider_id(&m.provider_name, "routes")?),
                    model_id: Set(m.model_id.clone()),
                    tier: Set(m.tier),
                    weight: Set(m.weight),
                    created_at: Set(now),
                }
                .insert(txn)
                .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn import_users(
        &self,
        txn: &DatabaseTransaction,
        seed: &Seed,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut user_ids = HashMap::new();
        for u in &seed.users {
            let existing = user::Entity::find()
                .filter(user::Column::Name.eq(&u.name))
                .one(txn)
                .await?;
            let id = match existing {
                Some(row) => {
                    let id = row.id;
                    let mut row: user::ActiveModel = row.into();
                    row.password_hash = Set(u.password_hash.clone());
                    row.is_admin = Set(u.is_admin);
                    row.enabled = Set(u.enabled);
                    row.update(txn).await?;
                    id
                }
                None => {
                    user::ActiveModel {
                        id: NotSet,
                        name: Set(u.name.clone()),
                        password_hash: Set(u.password_hash.clone()),
                        is_admin: Set(u.is_admin),
                        enabled: Set(u.enabled),
                        created_at: Set(now),
                    }
                    .insert(txn)
                    .await?
                    .id
                }
            };
            user_ids.insert(u.name.clone(), id);
            for k in &u.keys {
                let digest = key_digest(k.api_key.expose_secret());
                let existing = user_key::Entity::find()
                    .filter(user_key::Column::Digest.eq(&digest))
                    .one(txn)
                    .await?;
                match existing {
                    Some(row) if row.user_id != id => {
                        return Err(StoreError::Invalid(format!(
                            "users.keys: a key of user `{}` is already another user's key",
                            u.name
                        )));
                    }
                    Some(row) => {
                        let mut row: user_key::ActiveModel = row.into();
                        row.label = Set(k.label.clone());
                        row.enabled = Set(k.enabled);
                        row.expires_at = Set(k.expires_at);
                        row.update(txn).await?;
                    }
                    None => {
                        user_key::ActiveModel {
                            id: NotSet,
                            user_id: Set(id),
                            digest: Set(digest),
                            secret: Set(self.sealer.seal(k.api_key.expose_secret())?),
                            label: Set(k.label.clone()),
                            enabled: Set(k.enabled),
                            expires_at: Set(k.expires_at),
                            created_at: Set(now),
                        }
                        .insert(txn)
                        .await?;
                    }
                }
            }
        }
        let providers = self.provider_ids(txn).await?;
        let mut cleared = HashSet::new();
        for p in &seed.permissions {
            let uid = match user_ids.get(&p.user_name) {
                Some(id) => *id,
                None => user::Entity::find()
                    .filter(user::Column::Name.eq(&p.user_name))
                    .one(txn)
                    .await?
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
                route_permission::Entity::delete_many()
                    .filter(route_permission::Column::UserId.eq(uid))
                    .exec(txn)
                    .await?;
            }
            route_permission::ActiveModel {
                id: NotSet,
                user_id: Set(uid),
                provider_id: Set(pid),
                model_pattern: Set(p.model_pattern.clone()),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        Ok(())
    }

    /// Replaces the rate limits of every user `seed.rate_limits` names and upserts
    /// `seed.quotas` by user; run after [`SeaStore::import_users`] so seeded users resolve.
    pub(super) async fn import_limits(
        &self,
        txn: &DatabaseTransaction,
        seed: &Seed,
        now: i64,
    ) -> Result<(), StoreError> {
        if seed.rate_limits.is_empty() && seed.quotas.is_empty() {
            return Ok(());
        }
        let users: HashMap<String, i64> = user::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|u| (u.name, u.id))
            .collect();
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
                rate_limit::Entity::delete_many()
                    .filter(rate_limit::Column::UserId.eq(uid))
                    .exec(txn)
                    .await?;
            }
            rate_limit::ActiveModel {
                id: NotSet,
                user_id: Set(uid),
                model_pattern: Set(r.model_pattern.clone()),
                rpm: Set(r.rpm),
                rpd: Set(r.rpd),
                tpm: Set(r.tpm),
                tpd: Set(r.tpd),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        for q in &seed.quotas {
            check_quota(q)?;
            let uid = user_id(&q.user_name, "quotas")?;
            let existing = quota::Entity::find()
                .filter(quota::Column::UserId.eq(uid))
                .one(txn)
                .await?;
            match existing {
                Some(row) => {
                    // A new period starts now; the same period keeps counting from its start.
                    let restart = row.period != q.period;
                    let mut row: quota::ActiveModel = row.into();
                    row.limit_nano = Set(q.limit_nano);
                    row.used_nano = Set(q.used_nano);
                    row.period = Set(q.period.clone());
                    if restart {
                        row.period_start = Set(now);
                    }
                    row.updated_at = Set(now);
                    row.update(txn).await?;
                }
                None => {
                    quota::ActiveModel {
                        id: NotSet,
                        user_id: Set(uid),
                        limit_nano: Set(q.limit_nano),
                        used_nano: Set(q.used_nano),
                        period: Set(q.period.clone()),
                        period_start: Set(now),
                        created_at: Set(now),
                        updated_at: Set(now),
                    }
                    .insert(txn)
                    .await?;
                }
            }
        }
        Ok(())
    }
}
