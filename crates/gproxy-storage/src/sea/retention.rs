//! Retention on the SeaORM backend: old usage rows and request logs deleted, old bodies
//! emptied, a small batch at a time (the ids first, then the rows by id), so no statement
//! holds a lock for long and MySQL's limits on subqueries do not matter.

use super::SeaStore;
use crate::entity::{downstream_request, upstream_request, usage};
use crate::model::Prune;
use crate::store::StoreError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

impl SeaStore {
    pub(super) async fn prune_batch(
        &self,
        what: Prune,
        before_ms: i64,
        batch: u64,
    ) -> Result<u64, StoreError> {
        match what {
            Prune::Usages => {
                let ids: Vec<i64> = usage::Entity::find()
                    .select_only()
                    .column(usage::Column::Id)
                    .filter(usage::Column::CreatedAt.lt(before_ms))
                    .order_by_asc(usage::Column::CreatedAt)
                    .limit(batch)
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                if ids.is_empty() {
                    return Ok(0);
                }
                Ok(usage::Entity::delete_many()
                    .filter(usage::Column::Id.is_in(ids))
                    .exec(&self.db)
                    .await?
                    .rows_affected)
            }
            Prune::RequestLogs => {
                let down: Vec<i64> = downstream_request::Entity::find()
                    .select_only()
                    .column(downstream_request::Column::Id)
                    .filter(downstream_request::Column::CreatedAt.lt(before_ms))
                    .order_by_asc(downstream_request::Column::CreatedAt)
                    .limit(batch)
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                let up: Vec<i64> = upstream_request::Entity::find()
                    .select_only()
                    .column(upstream_request::Column::Id)
                    .filter(upstream_request::Column::CreatedAt.lt(before_ms))
                    .order_by_asc(upstream_request::Column::CreatedAt)
                    .limit(batch)
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                let mut deleted = 0;
                if !down.is_empty() {
                    deleted += downstream_request::Entity::delete_many()
                        .filter(downstream_request::Column::Id.is_in(down))
                        .exec(&self.db)
                        .await?
                        .rows_affected;
                }
                if !up.is_empty() {
                    deleted += upstream_request::Entity::delete_many()
                        .filter(upstream_request::Column::Id.is_in(up))
                        .exec(&self.db)
                        .await?
                        .rows_affected;
                }
                Ok(deleted)
            }
            Prune::Bodies => {
                let down: Vec<i64> = downstream_request::Entity::find()
                    .select_only()
                    .column(downstream_request::Column::Id)
                    .filter(downstream_request::Column::CreatedAt.lt(before_ms))
                    .filter(
                        downstream_request::Column::RequestBody
                            .is_not_null()
                            .or(downstream_request::Column::ResponseBody.is_not_null()),
                    )
                    .order_by_asc(downstream_request::Column::CreatedAt)
                    .limit(batch)
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                let up: Vec<i64> = upstream_request::Entity::find()
                    .select_only()
                    .column(upstream_request::Column::Id)
                    .filter(upstream_request::Column::CreatedAt.lt(before_ms))
                    .filter(
                        upstream_request::Column::RequestBody
                            .is_not_null()
                            .or(upstream_request::Column::ResponseBody.is_not_null()),
                    )
                    .order_by_asc(upstream_request::Column::CreatedAt)
                    .limit(batch)
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                let mut emptied = 0;
                if !down.is_empty() {
                    emptied += downstream_request::Entity::update_many()
                        .col_expr(
                            downstream_request::Column::RequestBody,
                            Expr::value(Option::<String>::None),
                        )
                        .col_expr(
                            downstream_request::Column::ResponseBody,
                            Expr::value(Option::<String>::None),
                        )
                        .filter(downstream_request::Column::Id.is_in(down))
                        .exec(&self.db)
                        .await?
                        .rows_affected;
                }
                if !up.is_empty() {
                    emptied += upstream_request::Entity::update_many()
                        .col_expr(
                            upstream_request::Column::RequestBody,
                            Expr::value(Option::<String>::None),
                        )
                        .col_expr(
                            upstream_request::Column::ResponseBody,
                            Expr::value(Option::<String>::None),
                        )
                        .filter(upstream_request::Column::Id.is_in(up))
                        .exec(&self.db)
                        .await?
                        .rows_affected;
                }
                Ok(emptied)
            }
        }
    }
}
