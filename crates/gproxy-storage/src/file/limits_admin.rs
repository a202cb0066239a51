//! Rate-limit and quota writes for the admin API on the file backend, mirroring the SeaORM
//! backend's checks and messages (both take them from [`crate::limits`]): each change
//! builds the new tables and its audit entry; the caller writes both or neither.

use super::state::{Tables, max_id};
use crate::limits;
use crate::model::{
    AuditRecord, NewQuota, NewRateLimit, QuotaPatch, QuotaRow, RateLimitPatch, RateLimitRow,
};
use crate::store::StoreError;

fn check_user(t: &Tables, id: i64) -> Result<(), StoreError> {
    if t.users.iter().any(|u| u.id == id) {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("no user `{id}`")))
    }
}

fn limit_index(t: &Tables, id: i64) -> Result<usize, StoreError> {
    t.rate_limits
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("no rate limit `{id}`")))
}

fn quota_index(t: &Tables, id: i64) -> Result<usize, StoreError> {
    t.quotas
        .iter()
        .position(|q| q.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("no quota `{id}`")))
}

pub(super) fn create_rate_limit(
    t: &mut Tables,
    r: &NewRateLimit,
    actor: &str,
    now: i64,
) -> Result<(RateLimitRow, AuditRecord), StoreError> {
    let mut row = limits::new_limit_row(r, now)?;
    check_user(t, row.user_id)?;
    row.id = t.take_id(
        "rate_limits",
        max_id(t.rate_limits.iter().map(|r| r.id)),
        now,
    )?;
    t.rate_limits.push(row.clone());
    let mut a = AuditRecord::of(actor, "create", "rate-limits", row.id);
    a.after = Some(row.audit_json());
    Ok((row, a))
}

pub(super) fn update_rate_limit(
    t: &mut Tables,
    id: i64,
    p: &RateLimitPatch,
    actor: &str,
) -> Result<(RateLimitRow, AuditRecord), StoreError> {
    let i = limit_index(t, id)?;
    let before = t.rate_limits[i].clone();
    let after = limits::patched_limit(&before, p)?;
    t.rate_limits[i] = after.clone();
    let mut a = AuditRecord::of(actor, "update", "rate-limits", id);
    a.before = Some(before.audit_json());
    a.after = Some(after.audit_json());
    Ok((after, a))
}

pub(super) fn delete_rate_limit(
    t: &mut Tables,
    id: i64,
    actor: &str,
) -> Result<AuditRecord, StoreError> {
    let before = t.rate_limits.remove(limit_index(t, id)?);
    let mut a = AuditRecord::of(actor, "delete", "rate-limits", id);
    a.before = Some(before.audit_json());
    Ok(a)
}

pub(super) fn create_quota(
    t: &mut Tables,
    q: &NewQuota,
    actor: &str,
    now: i64,
) -> Result<(QuotaRow, AuditRecord), StoreError> {
    let mut row = limits::new_quota_row(q, now)?;
    check_user(t, row.user_id)?;
    if t.quotas.iter().any(|q| q.user_id == row.user_id) {
        return Err(StoreError::Conflict(format!(
            "user `{}` already has a quota",
            row.user_id
        )));
    }
    row.id = t.take_id("quotas", max_id(t.quotas.iter().map(|q| q.id)), now)?;
    t.quotas.push(row.clone());
    let mut a = AuditRecord::of(actor, "create", "quotas", row.id);
    a.after = Some(row.audit_json());
    Ok((row, a))
}

/// Replaces quota `id` with what `change` makes of it, audited as `action`.
fn change_quota(
    t: &mut Tables,
    id: i64,
    action: &str,
    actor: &str,
    change: impl FnOnce(&QuotaRow) -> Result<QuotaRow, StoreError>,
) -> Result<(QuotaRow, AuditRecord), StoreError> {
    let i = quota_index(t, id)?;
    let before = t.quotas[i].clone();
    let after = change(&before)?;
    t.quotas[i] = after.clone();
    let mut a = AuditRecord::of(actor, action, "quotas", id);
    a.before = Some(before.audit_json());
    a.after = Some(after.audit_json());
    Ok((after, a))
}

pub(super) fn update_quota(
    t: &mut Tables,
    id: i64,
    p: &QuotaPatch,
    actor: &str,
    now: i64,
) -> Result<(QuotaRow, AuditRecord), StoreError> {
    change_quota(t, id, "update", actor, |q| limits::patched_quota(q, p, now))
}

pub(super) fn reset_quota(
    t: &mut Tables,
    id: i64,
    actor: &str,
    now: i64,
) -> Result<(QuotaRow, AuditRecord), StoreError> {
    change_quota(t, id, "reset", actor, |q| Ok(limits::reset_quota(q, now)))
}

pub(super) fn delete_quota(
    t: &mut Tables,
    id: i64,
    actor: &str,
) -> Result<AuditRecord, StoreError> {
    let before = t.quotas.remove(quota_index(t, id)?);
    let mut a = AuditRecord::of(actor, "delete", "quotas", id);
    a.before = Some(before.audit_json());
    Ok(a)
}
