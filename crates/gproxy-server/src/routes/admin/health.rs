//! Credential health in the admin API: `GET /admin/credential-statuses` (every credential
//! of every provider, filtered by `provider`) and `POST /admin/credentials/{id}/reset`.

use super::{Admin, Page, page_after, page_limit, query};
use crate::error::ApiError;
use crate::health::now;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use gproxy_channels::health::Status;
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A provider's name.
    provider: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// One credential's health.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CredentialStatus)]
pub struct Row {
    /// The credential's id.
    id: String,
    provider: String,
    credential_id: String,
    /// `healthy`, `partial` or `dead`.
    #[schema(value_type = String)]
    state: &'static str,
    cooling: Vec<CoolingRow>,
    last_error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoolingRow {
    model: String,
    /// RFC 3339.
    until: String,
}

fn rfc3339(t: SystemTime) -> String {
    let ms = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    crate::time::rfc3339(ms, false)
}

fn row(provider: &str, s: Status) -> Row {
    Row {
        id: s.credential_id.to_string(),
        provider: provider.to_owned(),
        credential_id: s.credential_id.to_string(),
        state: s.state.as_str(),
        cooling: s
            .cooling
            .into_iter()
            .map(|c| CoolingRow {
                model: c.model,
                until: rfc3339(c.until),
            })
            .collect(),
        last_error: s.last_error,
    }
}

/// `GET /admin/credential-statuses?provider=&limit=&cursor=`: ordered by credential id.
#[utoipa::path(
    get,
    path = "/admin/credential-statuses",
    operation_id = "list_credential_statuses",
    tag = "admin",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "Every credential's health, by credential id", body = Page<Row>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Row>>, ApiError> {
    let q = query(q)?;
    let limit = page_limit(q.limit)?;
    let after = page_after(q.cursor.as_deref())?;
    let snap = state.snapshot();
    if let Some(name) = &q.provider
        && snap.provider(name).is_none()
    {
        return Err(
            ApiError::bad_request(format!("unknown provider `{name}`")).with_field("provider")
        );
    }
    let mut credentials: Vec<(i64, String)> = snap
        .providers()
        .filter(|p| q.provider.as_ref().is_none_or(|name| *name == p.name))
        .flat_map(|p| {
            p.credentials
                .ids()
                .into_iter()
                .map(|id| (id, p.name.clone()))
        })
        .filter(|(id, _)| *id > after)
        .collect();
    credentials.sort_unstable();
    credentials.truncate(limit + 1);
    let (at, wall) = now();
    Ok(Json(Page::of(
        credentials,
        limit,
        |(id, _)| *id,
        |(id, provider)| row(provider, state.health.status(*id, at, wall)),
    )))
}

/// `POST /admin/credentials/{id}/reset`: the credential is healthy again at once; answers
/// its status row.
#[utoipa::path(
    post,
    path = "/admin/credentials/{id}/reset",
    operation_id = "reset_credential",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The credential's id"),
    ),
    responses(
        (status = 200, description = "The credential, healthy again", body = Row),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn reset(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Row>, ApiError> {
    let snap = state.snapshot();
    let found = id.parse::<i64>().ok().and_then(|id| {
        snap.providers()
            .find(|p| p.credentials.ids().contains(&id))
            .map(|p| (id, p.name.clone()))
    });
    let Some((id, provider)) = found else {
        return Err(ApiError::not_found(format!("no credential `{id}`")));
    };
    let (at, wall) = now();
    let before = state.health.status(id, at, wall);
    state.health.reset(id);
    crate::health::persist(&state).await;
    let after = state.health.status(id, at, wall);
    let record =
        |s: &Status| serde_json::json!({"state": s.state.as_str(), "last_error": s.last_error});
    state
        .store
        .write_audit(&gproxy_storage::model::AuditRecord {
            actor: who.user_name,
            action: "reset".into(),
            resource: "credentials".into(),
            resource_id: Some(id.to_string()),
            before: Some(record(&before)),
            after: Some(record(&after)),
        })
        .await
        .map_err(super::store_error)?;
    Ok(Json(row(&provider, after)))
}
