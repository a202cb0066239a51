//! [`Store`] for [`FileStore`]: each method takes the locks it needs (in the order
//! [`FileStore`] documents) and runs its file work on the blocking pool.

use super::records::{self, RecordLogs};
use super::{
    FileStore, admin, append_audit, backup, blocking, health, limits_admin, retention, schema, seed,
};
use crate::entity::user_key;
use crate::migrate::MigrationState;
use crate::model::{
    AuditRecord, AuditRow, ControlPlane, CredentialStatusRecord, DownstreamRow, NewQuota,
    NewRateLimit, NewRoute, NewRouteMember, Prune, QuotaPatch, QuotaRow, RateLimitPatch,
    RateLimitRow, Record, RouteMemberPatch, RouteMemberRow, RoutePatch, RouteRow, Seed, TimeCursor,
    UpstreamRow, UsageFilter, UsageRow,
};
use crate::seal::{Sealer, key_digest};
use crate::store::{Store, StoreError};
use async_trait::async_trait;
use std::sync::Arc;

impl FileStore {
    /// Appends a batch to the record tables (skipping what is stored already when
    /// `replay`), all three locked for the batch.
    async fn append_records(&self, batch: &[Record], replay: bool) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut usages = Arc::clone(&self.inner.usages).lock_owned().await;
        let mut downstream = Arc::clone(&self.inner.downstream).lock_owned().await;
        let mut upstream = Arc::clone(&self.inner.upstream).lock_owned().await;
        let batch = batch.to_vec();
        let rollups = Arc::clone(&self.inner.rollups);
        let charges = blocking(move || {
            let mut logs = RecordLogs {
                usages: &mut usages,
                downstream: &mut downstream,
                upstream: &mut upstream,
            };
            let fresh: Vec<&Record> = if replay {
                let stored = records::stored(&logs, &batch)?;
                batch.iter().filter(|r| !stored.contains(r)).collect()
            } else {
                batch.iter().collect()
            };
            records::insert(&mut logs, fresh.iter().copied())?;
            // Stored: their usages now count in the rollups (only the fresh ones on a replay).
            super::rollup::add_records(&rollups, &fresh, logs.usages.next_id());
            Ok(crate::limits::charges(fresh.into_iter()))
        })
        .await?;
        if charges.is_empty() {
            return Ok(());
        }
        // The records are stored; their costs go to the quotas (one rewrite of
        // `quotas.json` per batch that spent anything).
        self.write_control(move |t, _, _| {
            crate::limits::charge(&mut t.quotas, &charges);
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Store for FileStore {
    async fn is_empty(&self) -> Result<bool, StoreError> {
        let t = self.inner.control.lock().await;
        Ok(t.providers.is_empty() && t.users.is_empty())
    }

    async fn import_seed(&self, seed: &Seed) -> Result<(), StoreError> {
        let seed = seed.clone();
        self.write_control(move |t, sealer, now| seed::import(t, sealer, &seed, now))
            .await
    }

    async fn load(&self) -> Result<ControlPlane, StoreError> {
        self.load_control().await
    }

    async fn add_user_key(
        &self,
        user_id: i64,
        api_key: &str,
        label: Option<&str>,
    ) -> Result<i64, StoreError> {
        let digest = key_digest(api_key);
        // Sealed before the lock; the plaintext does not travel further.
        let secret = self.inner.sealer.seal(api_key)?;
        let label = label.map(str::to_owned);
        self.write_control(move |t, _, now| {
            if t.user_keys.iter().any(|k| k.digest == digest) {
                return Err(StoreError::Conflict(
                    "this API key is already stored (key digests are unique)".into(),
                ));
            }
            let max = super::state::max_id(t.user_keys.iter().map(|k| k.id));
            let id = t.take_id("user_keys", max, now)?;
            t.user_keys.push(user_key::Model {
                id,
                user_id,
                digest,
                secret,
                label,
                enabled: true,
                expires_at: None,
                created_at: now,
            });
            Ok(id)
        })
        .await
    }

    async fn apply_changes(
        &self,
        changes: &[crate::change::RowChange],
        audit: &AuditRecord,
    ) -> Result<Vec<i64>, StoreError> {
        self.apply_change_set(changes, audit).await
    }

    async fn settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.read_settings().await
    }

    async fn save_settings(
        &self,
        values: &[(String, String)],
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.write_settings(values, audit).await
    }

    async fn credential_statuses(&self) -> Result<Vec<CredentialStatusRecord>, StoreError> {
        let t = self.inner.control.lock().await;
        let mut rows: Vec<_> = t.credential_statuses.iter().collect();
        rows.sort_by_key(|row| row.credential_id);
        rows.into_iter()
            .map(crate::convert::status_record)
            .collect()
    }

    async fn save_credential_statuses(
        &self,
        statuses: &[CredentialStatusRecord],
    ) -> Result<(), StoreError> {
        if statuses.is_empty() {
            return Ok(());
        }
        let statuses = statuses.to_vec();
        self.write_control(move |t, _, now| {
            health::save(&mut t.credential_statuses, &statuses, now)
        })
        .await
    }

    async fn write_records(&self, batch: &[Record]) -> Result<(), StoreError> {
        self.append_records(batch, false).await
    }

    async fn replay_records(&self, batch: &[Record]) -> Result<(), StoreError> {
        self.append_records(batch, true).await
    }

    async fn migrations(&self) -> Result<Vec<MigrationState>, StoreError> {
        let dir = self.inner.dir.clone();
        blocking(move || schema::states(&dir)).await
    }

    async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let _control = self.inner.control.lock().await;
        let dir = self.inner.dir.clone();
        blocking(move || schema::migrate(&dir, crate::now_ms())).await
    }

    async fn write_audit(&self, audit: &AuditRecord) -> Result<(), StoreError> {
        let mut log = Arc::clone(&self.inner.audit).lock_owned().await;
        let audit = audit.clone();
        blocking(move || append_audit(&mut log, &audit, crate::now_ms()).map(|_| ())).await
    }

    async fn audit_entries(&self, limit: u64) -> Result<Vec<AuditRow>, StoreError> {
        self.newest(&self.inner.audit, limit).await
    }

    async fn audit_page(
        &self,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        if before.is_none() {
            return self.newest(&self.inner.audit, limit).await;
        }
        let log = Arc::clone(&self.inner.audit).lock_owned().await;
        blocking(move || {
            log.newest_where(limit, |row: &AuditRow| before.is_none_or(|b| row.id < b))
        })
        .await
    }

    async fn create_route(&self, route: &NewRoute, actor: &str) -> Result<RouteRow, StoreError> {
        let (route, actor) = (route.clone(), actor.to_owned());
        self.write_audited(move |t, now| admin::create_route(t, &route, &actor, now))
            .await
    }

    async fn update_route(
        &self,
        id: i64,
        patch: &RoutePatch,
        actor: &str,
    ) -> Result<RouteRow, StoreError> {
        let (patch, actor) = (patch.clone(), actor.to_owned());
        self.write_audited(move |t, _| admin::update_route(t, id, &patch, &actor))
            .await
    }

    async fn delete_route(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        let actor = actor.to_owned();
        self.write_audited(move |t, _| Ok(((), admin::delete_route(t, id, &actor)?)))
            .await
    }

    async fn create_route_member(
        &self,
        route_id: i64,
        member: &NewRouteMember,
        actor: &str,
    ) -> Result<RouteMemberRow, StoreError> {
        let (member, actor) = (member.clone(), actor.to_owned());
        self.write_audited(move |t, now| admin::create_member(t, route_id, &member, &actor, now))
            .await
    }

    async fn update_route_member(
        &self,
        route_id: i64,
        member_id: i64,
        patch: &RouteMemberPatch,
        actor: &str,
    ) -> Result<RouteMemberRow, StoreError> {
        let (patch, actor) = (patch.clone(), actor.to_owned());
        self.write_audited(move |t, _| admin::update_member(t, route_id, member_id, &patch, &actor))
            .await
    }

    async fn delete_route_member(
        &self,
        route_id: i64,
        member_id: i64,
        actor: &str,
    ) -> Result<(), StoreError> {
        let actor = actor.to_owned();
        self.write_audited(move |t, _| {
            Ok(((), admin::delete_member(t, route_id, member_id, &actor)?))
        })
        .await
    }

    async fn create_rate_limit(
        &self,
        new: &NewRateLimit,
        actor: &str,
    ) -> Result<RateLimitRow, StoreError> {
        let (new, actor) = (new.clone(), actor.to_owned());
        self.write_audited(move |t, now| limits_admin::create_rate_limit(t, &new, &actor, now))
            .await
    }

    async fn update_rate_limit(
        &self,
        id: i64,
        patch: &RateLimitPatch,
        actor: &str,
    ) -> Result<RateLimitRow, StoreError> {
        let (patch, actor) = (patch.clone(), actor.to_owned());
        self.write_audited(move |t, _| limits_admin::update_rate_limit(t, id, &patch, &actor))
            .await
    }

    async fn delete_rate_limit(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        let actor = actor.to_owned();
        self.write_audited(move |t, _| Ok(((), limits_admin::delete_rate_limit(t, id, &actor)?)))
            .await
    }

    async fn create_quota(&self, new: &NewQuota, actor: &str) -> Result<QuotaRow, StoreError> {
        let (new, actor) = (new.clone(), actor.to_owned());
        self.write_audited(move |t, now| limits_admin::create_quota(t, &new, &actor, now))
            .await
    }

    async fn update_quota(
        &self,
        id: i64,
        patch: &QuotaPatch,
        actor: &str,
    ) -> Result<QuotaRow, StoreError> {
        let (patch, actor) = (patch.clone(), actor.to_owned());
        self.write_audited(move |t, now| limits_admin::update_quota(t, id, &patch, &actor, now))
            .await
    }

    async fn reset_quota(&self, id: i64, actor: &str) -> Result<QuotaRow, StoreError> {
        let actor = actor.to_owned();
        self.write_audited(move |t, now| limits_admin::reset_quota(t, id, &actor, now))
            .await
    }

    async fn delete_quota(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        let actor = actor.to_owned();
        self.write_audited(move |t, _| Ok(((), limits_admin::delete_quota(t, id, &actor)?)))
            .await
    }

    async fn prune(&self, what: Prune, before_ms: i64, batch: u64) -> Result<u64, StoreError> {
        let inner = &self.inner;
        Ok(match what {
            Prune::Usages => {
                // Rollups outlive raw rows: the snapshot first counts every row to go.
                let (rollups, dir) = (Arc::clone(&inner.rollups), inner.dir.clone());
                let delete = move |log: &mut super::log::Log, before, batch| {
                    super::rollup::lock(&rollups).save_if_behind(&dir)?;
                    retention::delete_old(log, before, batch)
                };
                self.prune_log(&inner.usages, delete, before_ms, batch)
                    .await?
            }
            Prune::RequestLogs => {
                self.prune_log(&inner.downstream, retention::delete_old, before_ms, batch)
                    .await?
                    + self
                        .prune_log(&inner.upstream, retention::delete_old, before_ms, batch)
                        .await?
            }
            Prune::Bodies => {
                self.prune_log(
                    &inner.downstream,
                    retention::empty_old_bodies,
                    before_ms,
                    batch,
                )
                .await?
                    + self
                        .prune_log(
                            &inner.upstream,
                            retention::empty_old_bodies,
                            before_ms,
                            batch,
                        )
                        .await?
            }
        })
    }

    async fn reseal(&self, to: &Sealer) -> Result<(usize, usize), StoreError> {
        let to = to.clone();
        self.write_control(move |t, from, _| backup::reseal(t, from, &to))
            .await
    }

    async fn backup(&self, path: &std::path::Path) -> Result<(), StoreError> {
        self.copy_to(path).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let dir = self.inner.dir.clone();
        blocking(move || match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(StoreError::Db(format!(
                "{} is not a directory",
                dir.display()
            ))),
            Err(e) => Err(super::table::io_err("reading", &dir, e)),
        })
        .await
    }

    async fn usages(
        &self,
        filter: &UsageFilter,
        before: Option<TimeCursor>,
        limit: u64,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let log = Arc::clone(&self.inner.usages).lock_owned().await;
        let filter = filter.clone();
        blocking(move || {
            log.top_where(
                limit,
                |row: UsageRow| {
                    (before.is_none_or(|b| b.older(row.created_at, row.id)) && filter.matches(&row))
                        .then_some(row)
                },
                |row| (row.created_at, row.id),
            )
        })
        .await
    }

    async fn request_logs(
        &self,
        filter: &crate::model::LogFilter,
        before: Option<TimeCursor>,
        limit: u64,
    ) -> Result<Vec<DownstreamRow>, StoreError> {
        let log = Arc::clone(&self.inner.downstream).lock_owned().await;
        let filter = filter.clone();
        blocking(move || super::logs_query::list(&log, &filter, before, limit)).await
    }

    async fn request_log(
        &self,
        request_id: &str,
    ) -> Result<Option<(DownstreamRow, Vec<UpstreamRow>)>, StoreError> {
        let down = Arc::clone(&self.inner.downstream).lock_owned().await;
        let up = Arc::clone(&self.inner.upstream).lock_owned().await;
        let id = request_id.to_owned();
        blocking(move || {
            let Some(row) = super::logs_query::downstream(&down, &id)? else {
                return Ok(None);
            };
            Ok(Some((row, super::logs_query::attempts(&up, &id)?)))
        })
        .await
    }

    async fn usage_summary(
        &self,
        query: &crate::summary::SummaryQuery,
    ) -> Result<Vec<crate::summary::SummaryRow>, StoreError> {
        self.summarize(query).await
    }

    async fn recent_usages(&self, limit: u64) -> Result<Vec<UsageRow>, StoreError> {
        self.newest(&self.inner.usages, limit).await
    }

    async fn recent_downstream(&self, limit: u64) -> Result<Vec<DownstreamRow>, StoreError> {
        self.newest(&self.inner.downstream, limit).await
    }

    async fn recent_upstream(&self, limit: u64) -> Result<Vec<UpstreamRow>, StoreError> {
        self.newest(&self.inner.upstream, limit).await
    }
}
