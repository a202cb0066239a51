//! Change sets on the SeaORM backend: every row change of a set and its audit entry in one
//! transaction. The database's unique indexes refuse a taken name or key digest (a
//! [`StoreError::Conflict`]), which rolls the whole set back.

use super::admin::{audit, retry_busy};
use super::{SeaStore, now_ms};
use crate::change::{self, SealedChange, Stamped, StoredRow, Table};
use crate::entity::{
    alias, credential, credential_status, provider, provider_model, quota, rate_limit,
    route_permission, user, user_key,
};
use crate::model::AuditRecord;
use crate::store::StoreError;
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, TransactionTrait,
};

/// Inserts a stored row under a new id; evaluates to the id.
macro_rules! insert_row {
    ($txn:expr, $row:expr) => {{
        let mut row = $row.into_active_model().reset_all();
        row.id = NotSet;
        row.insert($txn).await?.id
    }};
}

/// Overwrites row `$id` of `$entity` with a stored row, keeping its creation time.
macro_rules! update_row {
    ($txn:expr, $entity:path, $id:expr, $row:expr, $now:expr) => {{
        let mut row = $row;
        let old = <$entity>::find_by_id($id)
            .one($txn)
            .await?
            .ok_or_else(|| missing(&row, $id))?;
        row.stamp($id, old.created_at, $now);
        row.into_active_model().reset_all().update($txn).await?;
    }};
}

/// The error for an update of row `id`, absent from `row`'s table.
fn missing<R: Stamped>(_row: &R, id: i64) -> StoreError {
    R::TABLE.not_found(id)
}

async fn insert(txn: &DatabaseTransaction, row: StoredRow) -> Result<i64, StoreError> {
    Ok(match row {
        StoredRow::Provider(r) => insert_row!(txn, r),
        StoredRow::Credential(r) => insert_row!(txn, r),
        StoredRow::Model(r) => insert_row!(txn, r),
        StoredRow::Alias(r) => insert_row!(txn, r),
        StoredRow::User(r) => insert_row!(txn, r),
        StoredRow::Key(r) => insert_row!(txn, r),
        StoredRow::Permission(r) => insert_row!(txn, r),
    })
}

async fn update(
    txn: &DatabaseTransaction,
    id: i64,
    row: StoredRow,
    now: i64,
) -> Result<(), StoreError> {
    match row {
        StoredRow::Provider(r) => update_row!(txn, provider::Entity, id, r, now),
        StoredRow::Credential(r) => update_row!(txn, credential::Entity, id, r, now),
        StoredRow::Model(r) => update_row!(txn, provider_model::Entity, id, r, now),
        StoredRow::Alias(r) => update_row!(txn, alias::Entity, id, r, now),
        StoredRow::User(r) => update_row!(txn, user::Entity, id, r, now),
        StoredRow::Key(r) => update_row!(txn, user_key::Entity, id, r, now),
        StoredRow::Permission(r) => update_row!(txn, route_permission::Entity, id, r, now),
    }
    Ok(())
}

/// Deletes row `id` of `table` if it exists.
async fn delete(txn: &DatabaseTransaction, table: Table, id: i64) -> Result<(), StoreError> {
    match table {
        Table::Provider => provider::Entity::delete_by_id(id).exec(txn).await?,
        Table::Credential => credential::Entity::delete_by_id(id).exec(txn).await?,
        Table::CredentialStatus => {
            credential_status::Entity::delete_by_id(id)
                .exec(txn)
                .await?
        }
        Table::Model => provider_model::Entity::delete_by_id(id).exec(txn).await?,
        Table::Alias => alias::Entity::delete_by_id(id).exec(txn).await?,
        Table::User => user::Entity::delete_by_id(id).exec(txn).await?,
        Table::Key => user_key::Entity::delete_by_id(id).exec(txn).await?,
        Table::Permission => route_permission::Entity::delete_by_id(id).exec(txn).await?,
        Table::RateLimit => rate_limit::Entity::delete_by_id(id).exec(txn).await?,
        Table::Quota => quota::Entity::delete_by_id(id).exec(txn).await?,
    };
    Ok(())
}

impl SeaStore {
    /// [`crate::Store::apply_changes`]: the changes sealed once, then written in a
    /// transaction that starts over when SQLite reports the database busy.
    pub(super) async fn apply_change_set(
        &self,
        changes: &[change::RowChange],
        audit: &AuditRecord,
    ) -> Result<Vec<i64>, StoreError> {
        let now = now_ms();
        let sealed = change::seal(changes, &self.sealer, now)?;
        retry_busy(|| self.write_change_set(&sealed, audit, now)).await
    }

    async fn write_change_set(
        &self,
        changes: &[SealedChange],
        entry: &AuditRecord,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let txn = self.db.begin().await?;
        let mut ids = Vec::new();
        for c in changes {
            match c.clone() {
                SealedChange::Insert(row) => ids.push(insert(&txn, row).await?),
                SealedChange::Update(id, row) => update(&txn, id, row, now).await?,
                SealedChange::Delete(table, id) => delete(&txn, table, id).await?,
            }
        }
        audit(&txn, change::created(entry, &ids)).await?;
        txn.commit().await?;
        Ok(ids)
    }
}
