//! Rotating the master key on the SeaORM backend: every sealed value (provider credentials,
//! user API keys) opened under the current key and sealed under the new one, in one
//! transaction: the database holds either the old key's ciphertext or the new key's, never
//! a mix.

use super::SeaStore;
use crate::entity::{credential, user_key};
use crate::seal::Sealer;
use crate::store::StoreError;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, EntityTrait, TransactionTrait};

impl SeaStore {
    pub(super) async fn reseal_all(&self, to: &Sealer) -> Result<(usize, usize), StoreError> {
        let txn = self.db.begin().await?;
        let credentials = credential::Entity::find().all(&txn).await?;
        let n_credentials = credentials.len();
        for row in credentials {
            let plain = self.sealer.open(&row.secret)?;
            let mut row: credential::ActiveModel = row.into();
            row.secret = Set(to.seal(&plain)?);
            row.update(&txn).await?;
        }
        let keys = user_key::Entity::find().all(&txn).await?;
        let n_keys = keys.len();
        for row in keys {
            let plain = self.sealer.open(&row.secret)?;
            let mut row: user_key::ActiveModel = row.into();
            row.secret = Set(to.seal(&plain)?);
            row.update(&txn).await?;
        }
        txn.commit().await?;
        Ok((n_credentials, n_keys))
    }
}
