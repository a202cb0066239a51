//! Rate-limit and quota writes for the admin API on the SeaORM backend: like the route
//! writes in [`super::admin`], each change and its audit entry in one transaction. The
//! checks and the new values come from [`crate::limits`], shared with the file backend.

use super::admin::audit;
use super::{SeaStore, now_ms};
use crate::entity::{quota, rate_limit, user};
use crate::limits;
use crate::model::{
    AuditRecord, NewQuota, NewRateLimit, QuotaPatch, QuotaRow, RateLimitPatch, RateLimitRow,
};
use crate::store::StoreError;
use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};

async fn check_user<C: ConnectionTrait>(db: &C, id: i64) -> Result<(), StoreError> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("no user `{id}`")))
}

async fn limit_row<C: ConnectionTrait>(db: &C, id: i64) -> Result<RateLimitRow, StoreError> {
    rate_limit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no rate limit `{id}`")))
}

async fn quota_row<C: ConnectionTrait>(db: &C, id: i64) -> Result<QuotaRow, StoreError> {
    quota::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no quota `{id}`")))
}

/// Stores `after` over `before`: the limit, and when `restart` (a reset or a new period)
/// the period with its start and used 0; otherwise `used_nano` is left to the usage
/// queue's own `UPDATE`s, so a limit change never writes back a balance read before a
/// charge landed.
async fn store_quota<C: ConnectionTrait>(
    db: &C,
    after: &QuotaRow,
    restart: bool,
) -> Result<QuotaRow, StoreError> {
    let mut row = quota::ActiveModel {
        id: Unchanged(after.id),
        user_id: Unchanged(after.user_id),
        limit_nano: Set(after.limit_nano),
        used_nano: Unchanged(after.used_nano),
        period: Unchanged(after.period.clone()),
        period_start: Unchanged(after.period_start),
        created_at: Unchanged(after.created_at),
        updated_at: Set(after.updated_at),
    };
    if restart {
        row.used_nano = Set(after.used_nano);
        row.period = Set(after.period.clone());
        row.period_start = Set(after.period_start);
    }
    Ok(row.update(db).await?)
}

impl SeaStore {
    pub(super) async fn insert_rate_limit(
        &self,
        r: &NewRateLimit,
        actor: &str,
    ) -> Result<RateLimitRow, StoreError> {
        let new = limits::new_limit_row(r, now_ms())?;
        let txn = self.db.begin().await?;
        check_user(&txn, new.user_id).await?;
        let row = rate_limit::ActiveModel {
            id: NotSet,
            user_id: Set(new.user_id),
            model_pattern: Set(new.model_pattern),
            rpm: Set(new.rpm),
            rpd: Set(new.rpd),
            tpm: Set(new.tpm),
            tpd: Set(new.tpd),
            created_at: Set(new.created_at),
        }
        .insert(&txn)
        .await?;
        let mut a = AuditRecord::of(actor, "create", "rate-limits", row.id);
        a.after = Some(row.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(row)
    }

    pub(super) async fn patch_rate_limit(
        &self,
        id: i64,
        p: &RateLimitPatch,
        actor: &str,
    ) -> Result<RateLimitRow, StoreError> {
        let txn = self.db.begin().await?;
        let before = limit_row(&txn, id).await?;
        let after = limits::patched_limit(&before, p)?;
        let after = rate_limit::ActiveModel {
            id: Unchanged(id),
            user_id: Unchanged(after.user_id),
            model_pattern: Set(after.model_pattern),
            rpm: Set(after.rpm),
            rpd: Set(after.rpd),
            tpm: Set(after.tpm),
            tpd: Set(after.tpd),
            created_at: Unchanged(after.created_at),
        }
        .update(&txn)
        .await?;
        let mut a = AuditRecord::of(actor, "update", "rate-limits", id);
        a.before = Some(before.audit_json());
        a.after = Some(after.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(after)
    }

    pub(super) async fn remove_rate_limit(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let before = limit_row(&txn, id).await?;
        rate_limit::Entity::delete_by_id(id).exec(&txn).await?;
        let mut a = AuditRecord::of(actor, "delete", "rate-limits", id);
        a.before = Some(before.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(())
    }

    pub(super) async fn insert_quota(
        &self,
        q: &NewQuota,
        actor: &str,
    ) -> Result<QuotaRow, StoreError> {
        let new = limits::new_quota_row(q, now_ms())?;
        let txn = self.db.begin().await?;
        check_user(&txn, new.user_id).await?;
        let taken = quota::Entity::find()
            .filter(quota::Column::UserId.eq(new.user_id))
            .one(&txn)
            .await?
            .is_some();
        if taken {
            return Err(StoreError::Conflict(format!(
                "user `{}` already has a quota",
                new.user_id
            )));
        }
        let row = quota::ActiveModel {
            id: NotSet,
            user_id: Set(new.user_id),
            limit_nano: Set(new.limit_nano),
            used_nano: Set(new.used_nano),
            period: Set(new.period),
            period_start: Set(new.period_start),
            created_at: Set(new.created_at),
            updated_at: Set(new.updated_at),
        }
        .insert(&txn)
        .await?;
        let mut a = AuditRecord::of(actor, "create", "quotas", row.id);
        a.after = Some(row.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(row)
    }

    pub(super) async fn patch_quota(
        &self,
        id: i64,
        p: &QuotaPatch,
        actor: &str,
    ) -> Result<QuotaRow, StoreError> {
        let txn = self.db.begin().await?;
        let before = quota_row(&txn, id).await?;
        let after = limits::patched_quota(&before, p, now_ms())?;
        let after = store_quota(&txn, &after, after.period != before.period).await?;
        let mut a = AuditRecord::of(actor, "update", "quotas", id);
        a.before = Some(before.audit_json());
        a.after = Some(after.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(after)
    }

    pub(super) async fn zero_quota(&self, id: i64, actor: &str) -> Result<QuotaRow, StoreError> {
        let txn = self.db.begin().await?;
        let before = quota_row(&txn, id).await?;
        let after = store_quota(&txn, &limits::reset_quota(&before, now_ms()), true).await?;
        let mut a = AuditRecord::of(actor, "reset", "quotas", id);
        a.before = Some(before.audit_json());
        a.after = Some(after.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(after)
    }

    pub(super) async fn remove_quota(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let before = quota_row(&txn, id).await?;
        quota::Entity::delete_by_id(id).exec(&txn).await?;
        let mut a = AuditRecord::of(actor, "delete", "quotas", id);
        a.before = Some(before.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(())
    }
}
