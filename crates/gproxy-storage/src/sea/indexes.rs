//! Migration 10: the indexes the time-ordered listings filtered by user need, which an entity
//! cannot declare (several columns). `(user_id, created_at, id)` serves
//! `WHERE user_id = ? [AND created_at range] ORDER BY created_at DESC, id DESC LIMIT n` by
//! reading `n` index entries, where a `user_id` index alone sorts all of the user's rows on
//! every page. Created once, when the migration is pending; an index already there (a run
//! that stopped before recording the migration) is kept.

use crate::store::StoreError;
use sea_orm::sea_query::{Alias, Index};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

pub(super) const VERSION: i64 = 10;

/// (index, table): each on `(user_id, created_at, id)`.
const INDEXES: [(&str, &str); 2] = [
    ("idx-usages-user-time", "usages"),
    ("idx-downstream_requests-user-time", "downstream_requests"),
];

/// Creates the indexes that are missing.
pub(super) async fn create<C: ConnectionTrait>(db: &C) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    for (name, table) in INDEXES {
        // MySQL has no `CREATE INDEX IF NOT EXISTS` (the builder leaves the clause out there).
        if backend == DbBackend::MySql && exists_on_mysql(db, name, table).await? {
            continue;
        }
        let statement = Index::create()
            .if_not_exists()
            .name(name)
            .table(Alias::new(table))
            .col(Alias::new("user_id"))
            .col(Alias::new("created_at"))
            .col(Alias::new("id"))
            .to_owned();
        db.execute(&statement).await?;
    }
    Ok(())
}

async fn exists_on_mysql<C: ConnectionTrait>(
    db: &C,
    name: &str,
    table: &str,
) -> Result<bool, StoreError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            "SELECT COUNT(*) AS n FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?",
            [table.into(), name.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        > 0)
}
