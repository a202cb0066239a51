//! Control-plane writes of the admin and user API: under the one writer, read the control
//! plane, check the request against that consistent read and plan its row changes, apply
//! them with their audit entry in one transaction, then rebuild and swap the snapshot. A
//! refused request changes nothing.

use super::{applied, control_plane, store_error};
use crate::error::ApiError;
use crate::state::AppState;
use gproxy_storage::StoreError;
use gproxy_storage::change::RowChange;
use gproxy_storage::model::{AuditRecord, ControlPlane};
use serde::Serialize;
use serde_json::Value;

/// What one request changes: rows, and the audit entry recording it.
pub struct Plan {
    pub changes: Vec<RowChange>,
    pub audit: AuditRecord,
}

impl Plan {
    /// A plan for `action` on row `id` of `resource` by `actor` (`id` is `None` for a
    /// create: the store records the new row's id).
    pub fn new(actor: &str, action: &str, resource: &str, id: Option<i64>) -> Plan {
        Plan {
            changes: Vec::new(),
            audit: AuditRecord {
                actor: actor.to_owned(),
                action: action.to_owned(),
                resource: resource.to_owned(),
                resource_id: id.map(|i| i.to_string()),
                before: None,
                after: None,
            },
        }
    }

    /// The row as the API showed it before (secrets masked).
    pub fn before(mut self, view: &impl Serialize) -> Plan {
        self.audit.before = serde_json::to_value(view).ok();
        self
    }

    /// The row as the API shows it after (secrets masked).
    pub fn after(mut self, view: &impl Serialize) -> Plan {
        self.audit.after = serde_json::to_value(view).ok();
        self
    }

    pub fn with(mut self, change: RowChange) -> Plan {
        self.changes.push(change);
        self
    }

    pub fn with_all(mut self, changes: impl IntoIterator<Item = RowChange>) -> Plan {
        self.changes.extend(changes);
        self
    }
}

/// Runs `plan` against a fresh read of the control plane under the one writer and applies
/// what it returns. Returns the ids of the inserted rows and the control plane the new
/// snapshot was built from.
pub async fn commit(
    state: &AppState,
    plan: impl FnOnce(&ControlPlane) -> Result<Plan, ApiError>,
) -> Result<(Vec<i64>, ControlPlane), ApiError> {
    applied(state, async {
        let cp = control_plane(state).await?;
        let plan = plan(&cp)?;
        state
            .store
            .apply_changes(&plan.changes, &plan.audit)
            .await
            .map_err(|e| conflict_on(e, None))
    })
    .await
}

/// A store refusal; a duplicate unique value names `field` when given.
pub fn conflict_on(e: StoreError, field: Option<&str>) -> ApiError {
    let conflict = matches!(e, StoreError::Conflict(_));
    let err = store_error(e);
    match field {
        Some(f) if conflict => err.with_field(f),
        _ => err,
    }
}

/// A 409 naming `field`.
pub fn conflict(message: impl Into<String>, field: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::CONFLICT,
        gproxy_protocol::ErrorKind::InvalidRequest,
        message,
    )
    .with_field(field)
}

/// A secret as the API reads it back: at most 3 leading characters, `…`, and the last 4
/// (fewer of each for short secrets, so most of it stays hidden).
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let (head, tail) = match chars.len() {
        n if n >= 16 => (3, 4),
        n if n >= 10 => (0, 4),
        _ => (0, 0),
    };
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// A JSON secret with every string in it masked (an object keeps its field names).
pub fn mask_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(mask(s)),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), mask_value(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_value).collect()),
        other => other.clone(),
    }
}

/// The name of provider `id` (empty for one that is gone).
pub fn provider_name(cp: &ControlPlane, id: i64) -> String {
    cp.providers
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

/// A `provider` (name) filter as an id to match: `None` without the filter, `Some(None)`
/// for a name no provider has (nothing matches).
pub fn provider_filter(cp: &ControlPlane, name: Option<&String>) -> Option<Option<i64>> {
    name.map(|n| cp.providers.iter().find(|p| &p.name == n).map(|p| p.id))
}

/// `true`, the default of a create's `enabled`.
pub fn yes() -> bool {
    true
}

/// The row of `rows` with `id`; 404 naming `what` and the raw id otherwise.
pub fn find<'a, R>(
    rows: &'a [R],
    id: i64,
    row_id: impl Fn(&R) -> i64,
    what: &str,
) -> Result<&'a R, ApiError> {
    rows.iter()
        .find(|r| row_id(r) == id)
        .ok_or_else(|| ApiError::not_found(format!("no {what} `{id}`")))
}

/// A name-like text field: 1 to `max` characters, no control characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "{field} must be 1 to {max} characters, without control characters"
        ))
        .with_field(field));
    }
    Ok(())
}

/// An optional label: at most 128 characters, no control characters (empty clears it).
pub fn check_label(label: Option<&str>) -> Result<Option<String>, ApiError> {
    match label {
        None | Some("") => Ok(None),
        Some(l) => check_text("label", l, 128).map(|()| Some(l.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_keep_little() {
        assert_eq!(mask("sk-proj-abcdefgh12345678"), "sk-…5678");
        assert_eq!(mask("0123456789ab"), "…89ab");
        assert_eq!(mask("short"), "…");
        assert_eq!(mask(""), "…");
        assert_eq!(
            mask_value(&json!({"api_key": "sk-ant-0000000000wxyz", "n": 1})),
            json!({"api_key": "sk-…wxyz", "n": 1})
        );
    }

    #[test]
    fn text_fields_are_bounded() {
        assert!(check_text("name", "ok", 8).is_ok());
        assert!(check_text("name", "", 8).is_err());
        assert!(check_text("name", "a\nb", 8).is_err());
        assert!(check_text("name", "123456789", 8).is_err());
        assert_eq!(check_label(Some("")).ok(), Some(None));
    }
}
