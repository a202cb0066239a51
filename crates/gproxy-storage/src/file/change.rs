//! Change sets on the file backend: every row change applied to a copy of the tables, the
//! unique values the SeaORM backend's indexes guard checked here, and the changed tables and
//! the audit entry written together (see [`FileStore::write_audited`]).

use super::FileStore;
use super::state::{Tables, max_id};
use crate::change::{self, RowChange, SealedChange, Stamped, StoredRow, Table};
use crate::model::AuditRecord;
use crate::store::StoreError;

impl FileStore {
    /// [`crate::Store::apply_changes`]: the changes sealed before the locks are taken (the
    /// plaintext goes no further), then applied and audited as one write.
    pub(super) async fn apply_change_set(
        &self,
        changes: &[RowChange],
        audit: &AuditRecord,
    ) -> Result<Vec<i64>, StoreError> {
        let sealed = change::seal(changes, &self.inner.sealer, crate::now_ms())?;
        let audit = audit.clone();
        self.write_audited(move |t, now| {
            let ids = apply(t, &sealed, now)?;
            let audit = change::created(&audit, &ids);
            Ok((ids, audit))
        })
        .await
    }
}

/// Applies `changes` in order to `t`; returns the inserted rows' ids. A refusal leaves `t`
/// half-changed: the caller drops that copy.
fn apply(t: &mut Tables, changes: &[SealedChange], now: i64) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::new();
    for c in changes {
        match c.clone() {
            SealedChange::Insert(row) => ids.push(place(t, row, None, now)?),
            SealedChange::Update(id, row) => {
                place(t, row, Some(id), now)?;
            }
            SealedChange::Delete(table, id) => delete(t, table, id),
        }
    }
    Ok(ids)
}

/// The error for a unique value another row holds.
fn taken(what: String) -> StoreError {
    StoreError::Conflict(format!("{what} is taken"))
}

/// Writes `row` as a new row (`target` `None`) or over row `target`, refusing a unique
/// value another row holds; returns its id.
fn place(t: &mut Tables, row: StoredRow, target: Option<i64>, now: i64) -> Result<i64, StoreError> {
    let other = |id: i64| Some(id) != target;
    match row {
        StoredRow::Provider(r) => {
            if t.providers.iter().any(|p| other(p.id) && p.name == r.name) {
                return Err(taken(format!("provider name `{}`", r.name)));
            }
            put(t, |t| &mut t.providers, r, target, now)
        }
        StoredRow::Credential(r) => put(t, |t| &mut t.credentials, r, target, now),
        StoredRow::Model(r) => {
            let dup = |m: &crate::model::ModelRow| {
                other(m.id) && m.provider_id == r.provider_id && m.model_id == r.model_id
            };
            if t.provider_models.iter().any(dup) {
                return Err(taken(format!(
                    "model id `{}` of provider `{}`",
                    r.model_id, r.provider_id
                )));
            }
            put(t, |t| &mut t.provider_models, r, target, now)
        }
        StoredRow::Alias(r) => {
            if t.aliases.iter().any(|a| other(a.id) && a.alias == r.alias) {
                return Err(taken(format!("alias `{}`", r.alias)));
            }
            put(t, |t| &mut t.aliases, r, target, now)
        }
        StoredRow::User(r) => {
            if t.users.iter().any(|u| other(u.id) && u.name == r.name) {
                return Err(taken(format!("user name `{}`", r.name)));
            }
            put(t, |t| &mut t.users, r, target, now)
        }
        StoredRow::Key(r) => {
            if t.user_keys
                .iter()
                .any(|k| other(k.id) && k.digest == r.digest)
            {
                // The same words as `add_user_key`'s refusal; never the key or its digest.
                return Err(StoreError::Conflict(
                    "this API key is already stored (key digests are unique)".into(),
                ));
            }
            put(t, |t| &mut t.user_keys, r, target, now)
        }
        StoredRow::Permission(r) => put(t, |t| &mut t.route_permissions, r, target, now),
    }
}

/// Pushes `row` under the table's next id, or replaces row `target` with it (keeping its
/// creation time; `NotFound` when there is none).
fn put<R: Stamped>(
    t: &mut Tables,
    rows: fn(&mut Tables) -> &mut Vec<R>,
    mut row: R,
    target: Option<i64>,
    now: i64,
) -> Result<i64, StoreError> {
    match target {
        None => {
            let max = max_id(rows(t).iter().map(R::id));
            let id = t.take_id(R::TABLE.name(), max, now)?;
            row.stamp(id, now, now);
            rows(t).push(row);
            Ok(id)
        }
        Some(id) => {
            let rows = rows(t);
            let old = rows
                .iter_mut()
                .find(|r| r.id() == id)
                .ok_or_else(|| R::TABLE.not_found(id))?;
            row.stamp(id, old.created_at(), now);
            *old = row;
            Ok(id)
        }
    }
}

/// Deletes row `id` of `table` if it is there.
fn delete(t: &mut Tables, table: Table, id: i64) {
    match table {
        Table::Provider => t.providers.retain(|r| r.id != id),
        Table::Credential => t.credentials.retain(|r| r.id != id),
        Table::CredentialStatus => t.credential_statuses.retain(|r| r.credential_id != id),
        Table::Model => t.provider_models.retain(|r| r.id != id),
        Table::Alias => t.aliases.retain(|r| r.id != id),
        Table::User => t.users.retain(|r| r.id != id),
        Table::Key => t.user_keys.retain(|r| r.id != id),
        Table::Permission => t.route_permissions.retain(|r| r.id != id),
        Table::RateLimit => t.rate_limits.retain(|r| r.id != id),
        Table::Quota => t.quotas.retain(|r| r.id != id),
    }
}
