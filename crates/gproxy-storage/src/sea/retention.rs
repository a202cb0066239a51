//! Retention on the SeaORM backend: old usage rows and request logs deleted, old bodies
//! emptied, a small batch at a time (the ids first, then the rows by id), so no statement
//! holds a lock for long and MySQL's limits on subqueries do not matter.

use super::SeaStore;
use crate::entity::{downstream_request, upstream_request, usage};
use crate::model::Prune;
use crate::store::StoreError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Deletes at most `$batch` rows of table module `$t` created before `$before`.
macro_rules! delete_old {
    ($db:expr, $t:ident, $before:expr, $batch:expr) => {{
        let ids: Vec<i64> = $t::Entity::find()
            .select_only()
            .column($t::Column::Id)
            .filter($t::Column::CreatedAt.lt($before))
            .order_by_asc($t::Column::CreatedAt)
            .limit($batch)
            .into_tuple()
            .all($db)
            .await?;
        if ids.is_empty() {
            0
        } else {
            $t::Entity::delete_many()
                .filter($t::Column::Id.is_in(ids))
                .exec($db)
                .await?
                .rows_affected
        }
    }};
}

/// Empties the bodies of at most `$batch` log rows of table module `$t` created before
/// `$before` that still hold one.
macro_rules! empty_old_bodies {
    ($db:expr, $t:ident, $before:expr, $batch:expr) => {{
        let ids: Vec<i64> = $t::Entity::find()
            .select_only()
            .column($t::Column::Id)
            .filter($t::Column::CreatedAt.lt($before))
            .filter(
                $t::Column::RequestBody
                    .is_not_null()
                    .or($t::Column::ResponseBody.is_not_null()),
            )
            .order_by_asc($t::Column::CreatedAt)
            .limit($batch)
            .into_tuple()
            .all($db)
            .await?;
        if ids.is_empty() {
            0
        } else {
            $t::Entity::update_many()
                .col_expr($t::Column::RequestBody, Expr::value(Option::<String>::None))
                .col_expr(
                    $t::Column::ResponseBody,
                    Expr::value(Option::<String>::None),
                )
                .filter($t::Column::Id.is_in(ids))
                .exec($db)
                .await?
                .rows_affected
        }
    }};
}

impl SeaStore {
    pub(super) async fn prune_batch(
        &self,
        what: Prune,
        before_ms: i64,
        batch: u64,
    ) -> Result<u64, StoreError> {
        let db = &self.db;
        Ok(match what {
            Prune::Usages => delete_old!(db, usage, before_ms, batch),
            Prune::RequestLogs => {
                delete_old!(db, downstream_request, before_ms, batch)
                    + delete_old!(db, upstream_request, before_ms, batch)
            }
            Prune::Bodies => {
                empty_old_bodies!(db, downstream_request, before_ms, batch)
                    + empty_old_bodies!(db, upstream_request, before_ms, batch)
            }
        })
    }
}
