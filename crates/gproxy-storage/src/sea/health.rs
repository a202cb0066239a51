//! `credential_statuses` rows: a credential's health with its cooling models as JSON.

use crate::entity::credential_status;
use crate::model::CredentialStatusRecord;
use crate::store::StoreError;
use sea_orm::ActiveValue::Set;

/// A model cooling, as `credential_statuses.cooling` holds it.
#[derive(serde::Deserialize, serde::Serialize)]
pub(super) struct Cooling {
    pub(super) model: String,
    pub(super) until_ms: i64,
}

pub(super) fn status_row(
    s: &CredentialStatusRecord,
    now: i64,
) -> Result<credential_status::ActiveModel, StoreError> {
    let cooling: Vec<Cooling> = s
        .cooling
        .iter()
        .map(|(model, until_ms)| Cooling {
            model: model.clone(),
            until_ms: *until_ms,
        })
        .collect();
    Ok(credential_status::ActiveModel {
        credential_id: Set(s.credential_id),
        state: Set(s.state.clone()),
        cooling: Set(serde_json::to_string(&cooling)
            .map_err(|e| StoreError::Invalid(format!("credential status: {e}")))?),
        last_error: Set(s.last_error.clone()),
        updated_at: Set(now),
    })
}
