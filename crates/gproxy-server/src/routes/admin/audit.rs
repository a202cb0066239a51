//! The audit log in the admin API (DESIGN.md §9): `GET /admin/audit`, newest first, paged
//! with `limit` and `cursor`. Each entry: `id`, `time`, `actor`, `action`, `resource`,
//! `resource_id`, and the row `before` and `after` the write (secrets left out).

use super::{Admin, Page, page_after, page_limit, query, store_error};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use gproxy_storage::model::AuditRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
pub struct Entry {
    id: String,
    time: String,
    actor: String,
    action: String,
    resource: String,
    resource_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
}

fn shown(r: &AuditRow) -> Entry {
    let json = |text: &Option<String>| text.as_deref().and_then(|t| serde_json::from_str(t).ok());
    Entry {
        id: r.id.to_string(),
        time: crate::time::rfc3339(r.created_at, true),
        actor: r.actor.clone(),
        action: r.action.clone(),
        resource: r.resource.clone(),
        resource_id: r.resource_id.clone(),
        before: json(&r.before),
        after: json(&r.after),
    }
}

/// `GET /admin/audit`.
#[utoipa::path(
    get,
    path = "/admin/audit",
    operation_id = "list_audit",
    tag = "admin",
    params(
        AuditQuery,
    ),
    responses(
        (status = 200, description = "Audit entries, newest first", body = Page<Entry>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Page<Entry>>, ApiError> {
    let q = query(q)?;
    let limit = page_limit(q.limit)?;
    let before = q
        .cursor
        .as_deref()
        .map(|c| page_after(Some(c)))
        .transpose()?;
    let rows = state
        .store
        .audit_page(before, limit as u64 + 1)
        .await
        .map_err(store_error)?;
    Ok(Json(Page::of(rows, limit, |r| r.id, shown)))
}
