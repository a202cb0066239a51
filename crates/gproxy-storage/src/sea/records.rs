//! Record rows on the SeaORM backend: batched inserts, and which records of a replayed
//! batch are already stored.

use crate::convert;
use crate::entity::{downstream_request, upstream_request, usage};
use crate::model::Record;
use crate::replay::{Stored, Table, request_ids};
use crate::store::StoreError;
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};

/// The most rows one insert statement carries.
const MAX_INSERT_ROWS: usize = 64;

/// Splits `rows` into chunks whose sizes are powers of two, at most [`MAX_INSERT_ROWS`]. Each
/// distinct row count is a distinct SQL text, and every pooled connection caches the
/// statements it prepares: with arbitrary batch sizes that cache fills with large one-off
/// statements (memory grew ~1.5 KB per request under load); this way a table has at most
/// seven insert statements.
pub(super) fn pow2_chunks<T>(rows: Vec<T>) -> Vec<Vec<T>> {
    let mut chunks = Vec::new();
    let mut rest = rows.into_iter().peekable();
    let mut left = rest.len();
    while left > 0 {
        let size = if left >= MAX_INSERT_ROWS {
            MAX_INSERT_ROWS
        } else {
            1 << (usize::BITS - 1 - left.leading_zeros())
        };
        chunks.push(rest.by_ref().take(size).collect());
        left -= size;
    }
    chunks
}

/// Inserts `records`, each table's rows in power-of-two chunks, and adds the usages to
/// their rollups.
pub(super) async fn insert<'a, C: ConnectionTrait>(
    db: &C,
    records: impl Iterator<Item = &'a Record>,
) -> Result<(), StoreError> {
    let mut usages = Vec::new();
    let mut usage_records = Vec::new();
    let mut downstream = Vec::new();
    let mut upstream = Vec::new();
    for record in records {
        match record {
            Record::Usage(u) => {
                usage_records.push(u);
                usages.push(usage::ActiveModel {
                    id: NotSet,
                    ..convert::usage_row(0, u).into_active_model().reset_all()
                });
            }
            Record::Downstream(d) => downstream.push(downstream_request::ActiveModel {
                id: NotSet,
                ..convert::downstream_row(0, d)
                    .into_active_model()
                    .reset_all()
            }),
            Record::Upstream(u) => upstream.push(upstream_request::ActiveModel {
                id: NotSet,
                ..convert::upstream_row(0, u).into_active_model().reset_all()
            }),
        }
    }
    for chunk in pow2_chunks(usages) {
        usage::Entity::insert_many(chunk).exec(db).await?;
    }
    super::rollup::add(db, &usage_records).await?;
    for chunk in pow2_chunks(downstream) {
        downstream_request::Entity::insert_many(chunk)
            .exec(db)
            .await?;
    }
    for chunk in pow2_chunks(upstream) {
        upstream_request::Entity::insert_many(chunk)
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The most request ids one lookup carries.
const LOOKUP_IDS: usize = 256;

/// The records of `batch` already in the database, looked up by request id in chunks.
pub(super) async fn stored<C: ConnectionTrait>(
    db: &C,
    batch: &[Record],
) -> Result<Stored, StoreError> {
    let mut stored = Stored::default();
    for chunk in request_ids(batch, Table::Usages).chunks(LOOKUP_IDS) {
        let found: Vec<String> = usage::Entity::find()
            .select_only()
            .column(usage::Column::RequestId)
            .filter(usage::Column::RequestId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        stored.usages.extend(found);
    }
    for chunk in request_ids(batch, Table::Downstream).chunks(LOOKUP_IDS) {
        let found: Vec<String> = downstream_request::Entity::find()
            .select_only()
            .column(downstream_request::Column::RequestId)
            .filter(downstream_request::Column::RequestId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        stored.downstream.extend(found);
    }
    for chunk in request_ids(batch, Table::Upstream).chunks(LOOKUP_IDS) {
        let found: Vec<(String, i64)> = upstream_request::Entity::find()
            .select_only()
            .column(upstream_request::Column::RequestId)
            .column(upstream_request::Column::CreatedAt)
            .filter(upstream_request::Column::RequestId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        stored.upstream.extend(found);
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_and_keep_every_row() {
        for n in [0usize, 1, 3, 7, 64, 65, 100, 1024, 1000] {
            let chunks = pow2_chunks((0..n).collect::<Vec<_>>());
            let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
            assert!(
                sizes
                    .iter()
                    .all(|s| s.is_power_of_two() && *s <= MAX_INSERT_ROWS),
                "{n}: {sizes:?}"
            );
            let all: Vec<usize> = chunks.into_iter().flatten().collect();
            assert_eq!(all, (0..n).collect::<Vec<_>>(), "{n}: order and rows kept");
        }
        let sizes: Vec<usize> = pow2_chunks(vec![(); 100]).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![64, 32, 4]);
    }
}
