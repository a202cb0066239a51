//! Live settings on the SeaORM backend: `instance_settings` rows under [`PREFIX`], written
//! with their audit entry in one transaction.

use super::admin::{audit, retry_busy};
use super::{SeaStore, now_ms};
use crate::entity::instance_setting;
use crate::model::AuditRecord;
use crate::settings::PREFIX;
use crate::store::StoreError;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

impl SeaStore {
    pub(super) async fn read_settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = instance_setting::Entity::find()
            .filter(instance_setting::Column::Key.starts_with(PREFIX))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((r.key.strip_prefix(PREFIX)?.to_owned(), r.value)))
            .collect())
    }

    pub(super) async fn write_settings(
        &self,
        values: &[(String, String)],
        entry: &AuditRecord,
    ) -> Result<(), StoreError> {
        retry_busy(|| async {
            let txn = self.db.begin().await?;
            let now = now_ms();
            for (name, value) in values {
                let key = format!("{PREFIX}{name}");
                let row = instance_setting::ActiveModel {
                    key: Set(key.clone()),
                    value: Set(value.clone()),
                    updated_at: Set(now),
                };
                if instance_setting::Entity::find_by_id(key)
                    .one(&txn)
                    .await?
                    .is_some()
                {
                    row.update(&txn).await?;
                } else {
                    row.insert(&txn).await?;
                }
            }
            audit(&txn, entry.clone()).await?;
            txn.commit().await?;
            Ok(())
        })
        .await
    }
}
