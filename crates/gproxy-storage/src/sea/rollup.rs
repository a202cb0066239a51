//! Usage rollups on the SeaORM backend: a batch's usages added to `usage_rollups` in the
//! batch's transaction (summed per key in memory first, then one upsert per key that adds to
//! what is stored, so two writers' first rows for the same key both count), the backfill of
//! migration 8, and summaries answered from the rollups with `GROUP BY`.

use super::SeaStore;
use crate::model::UsageRecord;
use crate::store::StoreError;
use crate::summary::{
    self, Dims, Fact, Granularity, GroupKey, Level, SummaryQuery, SummaryRow, Sums,
};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The migration that created `usage_rollups` (its backfill runs when it is applied).
pub(super) const VERSION: i64 = 8;

/// The key columns (the primary key), in index order.
const KEY: [&str; 7] = [
    "granularity",
    "bucket_start",
    "user_id",
    "user_key_id",
    "provider",
    "model",
    "status",
];

/// The summed columns.
const SUMS: [&str; 7] = [
    "requests",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_nano",
];

/// The upsert statement for `rows` rows: insert, or add to the stored sums on a key clash.
/// PostgreSQL needs the stored column qualified (`excluded` is in scope too).
fn upsert_sql(backend: DbBackend, rows: usize) -> String {
    let columns = KEY.iter().chain(&SUMS).copied().collect::<Vec<_>>();
    let mut sql = format!("INSERT INTO usage_rollups ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for col in 0..columns.len() {
            n += 1;
            if col > 0 {
                sql.push_str(", ");
            }
            match backend {
                DbBackend::Postgres => {
                    let _ = write!(sql, "${n}");
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    let set = |each: &dyn Fn(&str) -> String| SUMS.map(each).join(", ");
    match backend {
        DbBackend::MySql => {
            sql.push_str(" ON DUPLICATE KEY UPDATE ");
            sql.push_str(&set(&|c| format!("{c} = {c} + VALUES({c})")));
        }
        _ => {
            let _ = write!(sql, " ON CONFLICT ({}) DO UPDATE SET ", KEY.join(", "));
            sql.push_str(&set(&|c| format!("{c} = usage_rollups.{c} + excluded.{c}")));
        }
    }
    sql
}

/// Adds `usages` to their hourly and daily rollups (see [`summary::deltas`]), in chunks of
/// power-of-two row counts like the record inserts.
pub(super) async fn add<C: ConnectionTrait>(
    db: &C,
    usages: &[&UsageRecord],
) -> Result<(), StoreError> {
    if usages.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let deltas: Vec<_> = summary::deltas(usages.iter().map(|u| Fact::from(*u)))
        .into_iter()
        .collect();
    for chunk in super::records::pow2_chunks(deltas) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 14);
        for ((level, bucket, d), s) in &chunk {
            values.extend([
                level.as_str().into(),
                (*bucket).into(),
                d.user_id.into(),
                d.user_key_id.into(),
                d.provider.as_str().into(),
                d.model.as_str().into(),
                d.status.into(),
                s.requests.into(),
                s.input_tokens.into(),
                s.output_tokens.into(),
                s.cache_read_tokens.into(),
                s.cache_write_tokens.into(),
                s.reasoning_tokens.into(),
                s.cost_nano.into(),
            ]);
        }
        let sql = upsert_sql(backend, chunk.len());
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// `x - x mod width`, floored for negative `x` too, as SQL.
fn bucket_sql(column: &str, width: i64) -> String {
    format!("{column} - (({column} % {width} + {width}) % {width})")
}

/// Creates `usage_rollups` for migration 8 before the entities are synced (which then find
/// it in place) where the entity cannot say enough: on MySQL, provider and model compare
/// byte for byte, as on the other backends, so names that differ only in case stay apart
/// under the key (the default collation would merge them). Elsewhere the entity creates it.
pub(super) async fn prepare<C: ConnectionTrait>(db: &C) -> Result<(), StoreError> {
    if db.get_database_backend() != DbBackend::MySql {
        return Ok(());
    }
    let text = "varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL";
    let sums = SUMS.map(|c| format!("{c} bigint NOT NULL")).join(", ");
    db.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS usage_rollups (granularity varchar(8) NOT NULL, \
         bucket_start bigint NOT NULL, user_id bigint NOT NULL, user_key_id bigint NOT NULL, \
         provider {text}, model {text}, status int NOT NULL, {sums}, PRIMARY KEY ({}))",
        KEY.join(", ")
    ))
    .await?;
    Ok(())
}

/// Migration 8's backfill: the rollups rebuilt from every stored usage row, in the
/// migration's transaction, so an upgraded database starts consistent.
pub(super) async fn backfill<C: ConnectionTrait>(db: &C) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let text = |column: &str| match backend {
        DbBackend::MySql => format!("CONVERT({column} USING utf8mb4) COLLATE utf8mb4_bin"),
        _ => column.to_owned(),
    };
    db.execute_unprepared("DELETE FROM usage_rollups").await?;
    for level in Level::ALL {
        let bucket = bucket_sql("created_at", level.width());
        let group = [
            bucket,
            "COALESCE(user_id, 0)".to_owned(),
            "COALESCE(user_key_id, 0)".to_owned(),
            text("provider"),
            text("model"),
            "status".to_owned(),
        ]
        .join(", ");
        let sql = format!(
            "INSERT INTO usage_rollups ({}, {}) SELECT '{}', {group}, COUNT(*), \
             SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), \
             SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(COALESCE(cost_nano, 0)) \
             FROM usages GROUP BY {group}",
            KEY.join(", "),
            SUMS.join(", "),
            level.as_str(),
        );
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// The statement summing the rollups `q` reads, grouped by bucket and the dimensions.
fn summary_statement(backend: DbBackend, q: &SummaryQuery) -> Statement {
    let mut values: Vec<Value> = Vec::new();
    let mut param = |v: Value| -> String {
        values.push(v);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_owned(),
        }
    };
    // Grouped by the stored bucket: hourly rows read for the partial days of a daily
    // summary are merged into their day afterwards (see `SeaStore::summarize`).
    let mut columns: Vec<&str> = Vec::new();
    if q.granularity != Granularity::Total {
        columns.push("bucket_start");
    }
    for (key, column) in [
        (GroupKey::User, "user_id"),
        (GroupKey::Key, "user_key_id"),
        (GroupKey::Provider, "provider"),
        (GroupKey::Model, "model"),
    ] {
        if q.group_by.contains(&key) {
            columns.push(column);
        }
    }
    // SQLite sums integers exactly as integers; PostgreSQL answers NUMERIC and MySQL
    // DECIMAL, cast back to 64 bits.
    let sum = |c: &str| match backend {
        DbBackend::Sqlite => format!("SUM({c}) AS {c}"),
        DbBackend::MySql => format!("CAST(SUM({c}) AS SIGNED) AS {c}"),
        _ => format!("CAST(SUM({c}) AS BIGINT) AS {c}"),
    };
    let segments = summary::segments(q.granularity, q.from_ms, q.to_ms)
        .into_iter()
        .map(|s| {
            let mut cond = format!("(granularity = {}", param(s.level.as_str().into()));
            if let Some(from) = s.from {
                let _ = write!(cond, " AND bucket_start >= {}", param(from.into()));
            }
            if let Some(to) = s.to {
                let _ = write!(cond, " AND bucket_start < {}", param(to.into()));
            }
            cond.push(')');
            cond
        })
        .collect::<Vec<_>>();
    let mut filters = vec![format!("({})", segments.join(" OR "))];
    if let Some(u) = q.user_id {
        filters.push(format!("user_id = {}", param(u.into())));
    }
    if let Some(k) = q.key_id {
        filters.push(format!("user_key_id = {}", param(k.into())));
    }
    if let Some(p) = &q.provider {
        filters.push(format!("provider = {}", param(p.as_str().into())));
    }
    if let Some(m) = &q.model {
        filters.push(format!("model = {}", param(m.as_str().into())));
    }
    if let Some(s) = q.status {
        filters.push(format!("status = {}", param(s.into())));
    }
    let sums = SUMS.map(sum).join(", ");
    let mut sql = String::from("SELECT ");
    for c in &columns {
        let _ = write!(sql, "{c}, ");
    }
    let _ = write!(
        sql,
        "{sums} FROM usage_rollups WHERE {}",
        filters.join(" AND ")
    );
    if !columns.is_empty() {
        let _ = write!(sql, " GROUP BY {}", columns.join(", "));
    }
    Statement::from_sql_and_values(backend, sql, values)
}

/// One summary statement row: its bucket (0 for `Total`), dimensions (those not grouped
/// by: 0 or empty) and sums; `None` for the row of NULLs an aggregate without `GROUP BY`
/// answers when no rollup matched.
fn read_row(q: &SummaryQuery, row: &QueryResult) -> Result<Option<(i64, Dims, Sums)>, StoreError> {
    let Some(requests) = row.try_get::<Option<i64>>("", "requests")? else {
        return Ok(None);
    };
    let by = |k| q.group_by.contains(&k);
    let int = |on: bool, column: &str| -> Result<i64, StoreError> {
        Ok(if on { row.try_get("", column)? } else { 0 })
    };
    let text = |on: bool, column: &str| -> Result<String, StoreError> {
        Ok(if on {
            row.try_get("", column)?
        } else {
            String::new()
        })
    };
    let sum = |column: &str| -> Result<i64, StoreError> {
        Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or(0))
    };
    let bucket = int(q.granularity != Granularity::Total, "bucket_start")?;
    let dims = Dims {
        user_id: int(by(GroupKey::User), "user_id")?,
        user_key_id: int(by(GroupKey::Key), "user_key_id")?,
        provider: text(by(GroupKey::Provider), "provider")?,
        model: text(by(GroupKey::Model), "model")?,
        status: 0,
    };
    let sums = Sums {
        requests,
        input_tokens: sum("input_tokens")?,
        output_tokens: sum("output_tokens")?,
        cache_read_tokens: sum("cache_read_tokens")?,
        cache_write_tokens: sum("cache_write_tokens")?,
        reasoning_tokens: sum("reasoning_tokens")?,
        cost_nano: sum("cost_nano")?,
    };
    Ok(Some((bucket, dims, sums)))
}

impl SeaStore {
    pub(super) async fn summarize(&self, q: &SummaryQuery) -> Result<Vec<SummaryRow>, StoreError> {
        if summary::segments(q.granularity, q.from_ms, q.to_ms).is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.db.get_database_backend();
        let mut groups = BTreeMap::new();
        for row in self.db.query_all_raw(summary_statement(backend, q)).await? {
            let Some((bucket, dims, sums)) = read_row(q, &row)? else {
                continue;
            };
            // Hourly rows of a daily summary (its partial days) merge into their day here.
            groups
                .entry(summary::group_of(q, bucket, &dims))
                .or_insert_with(Sums::default)
                .add(&sums);
        }
        Ok(summary::rows(groups))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_add_to_the_stored_sums() {
        let pg = upsert_sql(DbBackend::Postgres, 2);
        assert!(pg.contains("($1, $2,"), "{pg}");
        assert!(pg.contains("$28)"), "{pg}");
        assert!(
            pg.contains("cost_nano = usage_rollups.cost_nano + excluded.cost_nano"),
            "{pg}"
        );
        let my = upsert_sql(DbBackend::MySql, 1);
        assert!(
            my.contains("requests = requests + VALUES(requests)"),
            "{my}"
        );
        assert_eq!(my.matches('?').count(), 14);
    }
}
