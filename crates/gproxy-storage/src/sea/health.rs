//! `credential_statuses` rows on the SeaORM backend: the shared row (see
//! [`crate::convert::status_row`]) as an active model to insert.

use crate::entity::credential_status;
use crate::model::CredentialStatusRecord;
use crate::store::StoreError;
use sea_orm::{ActiveModelTrait, IntoActiveModel};

pub(super) fn status_row(
    s: &CredentialStatusRecord,
    now: i64,
) -> Result<credential_status::ActiveModel, StoreError> {
    Ok(crate::convert::status_row(s, now)?
        .into_active_model()
        .reset_all())
}
