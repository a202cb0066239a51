//! Quota spending on the SeaORM backend: the costs of a batch of usage records added to
//! their users' quotas in the batch's transaction. The quota rows are read locked (`FOR
//! UPDATE` on PostgreSQL and MySQL; SQLite's write transaction holds the whole database), the
//! charges applied as the file backend applies them ([`crate::limits::charge`]: a later
//! period resets a quota, a charge from before the current period, or from before a reset,
//! is not counted), and the changed rows written back.

use crate::entity::quota;
use crate::store::StoreError;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect,
};

pub(super) async fn charge<C: ConnectionTrait>(
    db: &C,
    charges: &[(i64, i64, i64)],
) -> Result<(), StoreError> {
    if charges.is_empty() {
        return Ok(());
    }
    let mut users: Vec<i64> = charges.iter().map(|&(user, _, _)| user).collect();
    users.sort_unstable();
    users.dedup();
    let mut find = quota::Entity::find().filter(quota::Column::UserId.is_in(users));
    if db.get_database_backend() != DbBackend::Sqlite {
        find = find.lock_exclusive();
    }
    let before = find.all(db).await?;
    let mut after = before.clone();
    crate::limits::charge(&mut after, charges);
    for (old, new) in before.into_iter().zip(after) {
        if old == new {
            continue;
        }
        let mut row = old.into_active_model();
        row.used_nano = Set(new.used_nano);
        row.period_start = Set(new.period_start);
        row.update(db).await?;
    }
    Ok(())
}
