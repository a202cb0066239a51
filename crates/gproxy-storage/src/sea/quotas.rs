//! Quota spending on the SeaORM backend: the costs of a batch of usage records added to
//! their users' quotas in the batch's transaction, with `UPDATE`s that add rather than
//! read-modify-write (instances sharing a database add their own batches safely); a charge
//! in a later period than the stored one resets it first, one for a period already over is
//! not counted (see [`crate::limits::charge_period`]).

use crate::entity::quota;
use crate::limits::{charge_period, period_end};
use crate::store::StoreError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;

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
    let rows = quota::Entity::find()
        .filter(quota::Column::UserId.is_in(users))
        .all(db)
        .await?;
    for row in rows {
        // The row's charges by the start of their period, oldest first.
        let mut periods: BTreeMap<i64, i64> = BTreeMap::new();
        for &(_, at, cost) in charges.iter().filter(|c| c.0 == row.user_id) {
            if let Some(start) = charge_period(&row.period, row.period_start, at) {
                let sum = periods.entry(start).or_default();
                *sum = sum.saturating_add(cost);
            }
        }
        for (start, sum) in periods {
            let add = quota::Entity::update_many()
                .col_expr(
                    quota::Column::UsedNano,
                    Expr::col(quota::Column::UsedNano).add(sum),
                )
                .filter(quota::Column::UserId.eq(row.user_id));
            if row.period == "none" {
                add.exec(db).await?;
                continue;
            }
            let end = period_end(&row.period, start).unwrap_or(i64::MAX);
            quota::Entity::update_many()
                .col_expr(quota::Column::UsedNano, Expr::value(0i64))
                .col_expr(quota::Column::PeriodStart, Expr::value(start))
                .filter(quota::Column::UserId.eq(row.user_id))
                .filter(quota::Column::PeriodStart.lt(start))
                .exec(db)
                .await?;
            // The stored period may begin mid-period (imported at 15:30): it holds `start`
            // when it began on or after `start` and before the period's end.
            add.filter(quota::Column::PeriodStart.gte(start))
                .filter(quota::Column::PeriodStart.lt(end))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}
