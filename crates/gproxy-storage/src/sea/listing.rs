//! Time-ordered listings on the SeaORM backend (usage records, request logs): newest first
//! by creation time then id, continued by keyset from a [`TimeCursor`]. On SQLite and InnoDB
//! the `created_at` index's entries end with the primary key, so it gives this order and a
//! page reads `limit` index entries however many rows the time range holds; PostgreSQL reads
//! the same index backwards and sorts only the rows sharing a millisecond (an incremental
//! sort). With a user filter, the `(user_id, created_at, id)` index (`super::indexes`)
//! gives the order on every backend.

use crate::entity::usage;
use crate::model::{TimeCursor, UsageFilter, UsageRow};
use crate::store::StoreError;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

/// `q` ordered newest first by `created` then `id`, holding only rows older than `before`
/// when given. The bound is written as `created <= t AND (created < t OR id < i)`: its
/// first term is an index range on every backend, which a row-value or an `OR` alone is not.
pub(super) fn newest_first<E: EntityTrait>(
    q: Select<E>,
    created: E::Column,
    id: E::Column,
    before: Option<TimeCursor>,
) -> Select<E> {
    let q = match before {
        Some(c) => q.filter(created.lte(c.created_at)).filter(
            Condition::any()
                .add(created.lt(c.created_at))
                .add(id.lt(c.id)),
        ),
        None => q,
    };
    q.order_by_desc(created).order_by_desc(id)
}

/// See [`crate::Store::usages`].
pub(super) async fn usages<C: ConnectionTrait>(
    db: &C,
    f: &UsageFilter,
    before: Option<TimeCursor>,
    limit: u64,
) -> Result<Vec<UsageRow>, StoreError> {
    use usage::Column;
    let mut q = usage::Entity::find();
    if let Some(u) = f.user_id {
        q = q.filter(Column::UserId.eq(u));
    }
    if let Some(k) = f.key_id {
        q = q.filter(Column::UserKeyId.eq(k));
    }
    if let Some(p) = &f.provider {
        q = q.filter(Column::Provider.eq(p.as_str()));
    }
    if let Some(m) = &f.model {
        q = q.filter(Column::Model.eq(m.as_str()));
    }
    if let Some(from) = f.from_ms {
        q = q.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to_ms {
        q = q.filter(Column::CreatedAt.lt(to));
    }
    Ok(newest_first(q, Column::CreatedAt, Column::Id, before)
        .limit(limit)
        .all(db)
        .await?)
}
