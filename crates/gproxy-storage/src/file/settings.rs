//! Live settings on the file backend: `instance_settings.json` rows under [`PREFIX`],
//! written with their audit entry.

use super::FileStore;
use crate::entity::instance_setting;
use crate::model::AuditRecord;
use crate::settings::PREFIX;
use crate::store::StoreError;

impl FileStore {
    pub(super) async fn read_settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        let t = self.inner.control.lock().await;
        Ok(t.instance_settings
            .iter()
            .filter_map(|s| Some((s.key.strip_prefix(PREFIX)?.to_owned(), s.value.clone())))
            .collect())
    }

    pub(super) async fn write_settings(
        &self,
        values: &[(String, String)],
        entry: &AuditRecord,
    ) -> Result<(), StoreError> {
        let values = values.to_vec();
        let entry = entry.clone();
        self.write_audited(move |t, now| {
            for (name, value) in values {
                let key = format!("{PREFIX}{name}");
                match t.instance_settings.iter_mut().find(|s| s.key == key) {
                    Some(s) => {
                        s.value = value;
                        s.updated_at = now;
                    }
                    None => t.instance_settings.push(instance_setting::Model {
                        key,
                        value,
                        updated_at: now,
                    }),
                }
            }
            Ok(((), entry))
        })
        .await
    }
}
