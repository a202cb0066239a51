//! The schema lifecycle on the SeaORM backend: tables, columns and indexes are created from
//! the entity definitions (additive, idempotent), then every pending migration is recorded in
//! `schema_migrations`, all or nothing. Databases from before the tracker carry their version
//! in the `instance_settings` stamp; their versions count as applied at the stamp's time and
//! are written into the tracker on the next migration.

use super::{SeaStore, now_ms};
use crate::entity::{
    alias, audit_log, credential, credential_status, downstream_request, instance_setting,
    provider, provider_model, quota, rate_limit, route, route_member, route_permission,
    schema_migration, upstream_request, usage, usage_rollup, user, user_key,
};
use crate::migrate::{self, LATEST, MigrationState};
use crate::store::StoreError;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, EntityTrait, TransactionTrait};
use std::collections::BTreeMap;

/// The `instance_settings` key of the schema version stamp (kept for tools that read it).
const SCHEMA_VERSION_KEY: &str = "schema_version";

impl SeaStore {
    /// Applied versions and when: the tracker's rows, and for a database from before the
    /// tracker, every version up to its stamp (empty for an empty database); and which
    /// versions the tracker itself holds.
    async fn applied(&self) -> Result<(BTreeMap<i64, i64>, Vec<i64>), StoreError> {
        self.db.ping().await?;
        // A missing table reads as "nothing applied": the database answered the ping.
        let rows = schema_migration::Entity::find()
            .all(&self.db)
            .await
            .unwrap_or_default();
        let tracked: Vec<i64> = rows.iter().map(|row| row.version).collect();
        let mut applied: BTreeMap<i64, i64> = rows
            .into_iter()
            .map(|row| (row.version, row.applied_at))
            .collect();
        let stamp = instance_setting::Entity::find_by_id(SCHEMA_VERSION_KEY.to_owned())
            .one(&self.db)
            .await
            .ok()
            .flatten();
        if let Some(stamp) = stamp {
            let version: i64 = stamp.value.parse().map_err(|_| {
                StoreError::Invalid(format!("schema version stamp {:?}", stamp.value))
            })?;
            for v in 1..=version.min(LATEST) {
                applied.entry(v).or_insert(stamp.updated_at);
            }
            if version > LATEST {
                applied.entry(version).or_insert(stamp.updated_at);
            }
        }
        Ok((applied, tracked))
    }

    pub(super) async fn migration_states(&self) -> Result<Vec<MigrationState>, StoreError> {
        let (applied, _) = self.applied().await?;
        Ok(migrate::states(|v| applied.get(&v).copied()))
    }

    pub(super) async fn run_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let (applied, tracked) = self.applied().await?;
        if let Some((&newest, _)) = applied.last_key_value()
            && newest > LATEST
        {
            return Err(StoreError::Invalid(format!(
                "the database schema is at version {newest}, newer than this build's {LATEST}: run a newer gproxy"
            )));
        }
        let states = migrate::states(|v| applied.get(&v).copied());
        if states.iter().all(|s| tracked.contains(&s.version)) {
            return Ok(Vec::new());
        }
        let rollups_pending = states
            .iter()
            .any(|s| s.version == super::rollup::VERSION && s.applied_at.is_none());
        if rollups_pending {
            super::rollup::prepare(&self.db).await?;
        }
        self.create_tables().await?;
        if states
            .iter()
            .any(|s| s.version == super::indexes::VERSION && s.applied_at.is_none())
        {
            super::indexes::create(&self.db).await?;
        }
        let now = now_ms();
        let txn = self.db.begin().await?;
        if rollups_pending {
            super::rollup::backfill(&txn).await?;
        }
        let mut ran = Vec::new();
        for state in states.iter().filter(|s| !tracked.contains(&s.version)) {
            if state.applied_at.is_none() {
                ran.push(state.version);
            }
            schema_migration::ActiveModel {
                version: Set(state.version),
                name: Set(state.name.clone()),
                applied_at: Set(state.applied_at.unwrap_or(now)),
            }
            .insert(&txn)
            .await?;
        }
        let stamp = instance_setting::ActiveModel {
            key: Set(SCHEMA_VERSION_KEY.to_owned()),
            value: Set(LATEST.to_string()),
            updated_at: Set(now),
        };
        if instance_setting::Entity::find_by_id(SCHEMA_VERSION_KEY.to_owned())
            .one(&txn)
            .await?
            .is_some()
        {
            stamp.update(&txn).await?;
        } else {
            stamp.insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(ran)
    }

    /// Creates every missing table, column and index the entities describe.
    async fn create_tables(&self) -> Result<(), StoreError> {
        self.db
            .get_schema_builder()
            .register(provider::Entity)
            .register(credential::Entity)
            .register(credential_status::Entity)
            .register(provider_model::Entity)
            .register(alias::Entity)
            .register(user::Entity)
            .register(user_key::Entity)
            .register(route::Entity)
            .register(route_member::Entity)
            .register(route_permission::Entity)
            .register(rate_limit::Entity)
            .register(quota::Entity)
            .register(audit_log::Entity)
            .register(usage::Entity)
            .register(usage_rollup::Entity)
            .register(downstream_request::Entity)
            .register(upstream_request::Entity)
            .register(instance_setting::Entity)
            .register(schema_migration::Entity)
            .sync(&self.db)
            .await?;
        Ok(())
    }
}
