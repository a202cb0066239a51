//! `credential_statuses` rows on the file backend: a credential's health with its cooling
//! models as JSON text, the same format the SeaORM backend stores.

use crate::entity::credential_status;
use crate::model::CredentialStatusRecord;
use crate::store::StoreError;

/// Replaces the statuses of `statuses`' credentials in `rows`: a healthy one's row goes.
pub(super) fn save(
    rows: &mut Vec<credential_status::Model>,
    statuses: &[CredentialStatusRecord],
    now: i64,
) -> Result<(), StoreError> {
    rows.retain(|row| {
        !statuses
            .iter()
            .any(|s| s.credential_id == row.credential_id)
    });
    for s in statuses.iter().filter(|s| s.state != "healthy") {
        // A status given twice for one credential: the later wins (one row per credential).
        rows.retain(|row| row.credential_id != s.credential_id);
        rows.push(crate::convert::status_row(s, now)?);
    }
    rows.sort_by_key(|row| row.credential_id);
    Ok(())
}
