//! Provider credentials in the admin API (DESIGN.md §9): `/admin/providers/{id}/credentials`
//! and `/admin/credentials/{id}`. The secret is write-only: a string (the API key) or an
//! object (`{"api_key": ...}`), checked as the channel reads it, sealed by the store, and
//! read back masked. Deleting a credential also forgets its persisted health.

use super::providers;
use super::write::{Plan, check_label, commit, find, mask, mask_value, provider_name};
use super::{Admin, Page, control_plane, id, json_body, page_rows, query};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gproxy_channels::Credential;
use gproxy_storage::change::{RowChange, RowValues, Table};
use gproxy_storage::model::{ControlPlane, CredentialRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

/// No `Debug`: it holds the secret.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(description = "A new credential; `secret` is write-only.")]
pub struct CreateCredential {
    label: Option<String>,
    /// The upstream API key (a string) or an object such as `{"api_key": "..."}`.
    secret: Value,
    #[serde(default = "super::write::yes")]
    enabled: bool,
}

/// No `Debug`: it may hold the secret.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(description = "The fields to change; `secret` is write-only.")]
pub struct PatchCredential {
    label: Option<String>,
    /// The upstream API key (a string) or an object such as `{"api_key": "..."}`.
    secret: Option<Value>,
    enabled: Option<bool>,
}

/// A credential as the API shows it: the secret masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialView {
    id: String,
    provider_id: String,
    provider: String,
    label: Option<String>,
    /// The secret, masked (an object keeps its field names).
    secret: Value,
    enabled: bool,
}

fn shown(cp: &ControlPlane, c: &CredentialRecord) -> CredentialView {
    let only_key = c
        .secret
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("api_key"));
    CredentialView {
        id: c.id.to_string(),
        provider_id: c.provider_id.to_string(),
        provider: provider_name(cp, c.provider_id),
        label: c.label.clone(),
        secret: match only_key {
            Some(Value::String(k)) => Value::String(mask(k)),
            _ => mask_value(&c.secret),
        },
        enabled: c.enabled,
    }
}

/// A secret as stored: a string is the API key; either form must be one the channel reads.
fn secret(v: Value) -> Result<Value, ApiError> {
    let v = match v {
        Value::String(k) => json!({ "api_key": k }),
        v @ Value::Object(_) => v,
        _ => {
            return Err(ApiError::bad_request(
                "secret must be the API key (a string) or an object such as {\"api_key\": \"...\"}",
            )
            .with_field("secret"));
        }
    };
    Credential::parse(0, &v)
        .map_err(|_| ApiError::bad_request("secret has no API key").with_field("secret"))?;
    Ok(v)
}

fn row(cp: &ControlPlane, id: i64) -> Result<&CredentialRecord, ApiError> {
    find(&cp.credentials, id, |c| c.id, "credential")
}

/// `GET /admin/providers/{id}/credentials`.
#[utoipa::path(
    get,
    path = "/admin/providers/{id}/credentials",
    operation_id = "list_credentials",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The provider's id"),
        ListQuery,
    ),
    responses(
        (status = 200, description = "The provider's credentials, secrets masked", body = Page<CredentialView>),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<CredentialView>>, ApiError> {
    let provider_id = id(&raw, "provider")?;
    let q = query(q)?;
    let cp = control_plane(&state).await?;
    providers::row(&cp, provider_id)?;
    let rows = cp
        .credentials
        .iter()
        .filter(|c| c.provider_id == provider_id);
    Ok(Json(page_rows(
        rows,
        |c| c.id,
        q.limit,
        q.cursor.as_deref(),
        |c| shown(&cp, c),
    )?))
}

/// `POST /admin/providers/{id}/credentials`.
#[utoipa::path(
    post,
    path = "/admin/providers/{id}/credentials",
    operation_id = "create_credential",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The provider's id"),
    ),
    request_body = CreateCredential,
    responses(
        (status = 201, description = "Created", body = CredentialView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn create(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<CreateCredential>, JsonRejection>,
) -> Result<(StatusCode, Json<CredentialView>), ApiError> {
    let provider_id = id(&raw, "provider")?;
    let body = json_body(body)?;
    let label = check_label(body.label.as_deref())?;
    let secret = secret(body.secret)?;
    let (ids, cp) = commit(&state, |cp| {
        providers::row(cp, provider_id)?;
        let view = CredentialRecord {
            id: 0,
            provider_id,
            label: label.clone(),
            secret: secret.clone(),
            enabled: body.enabled,
        };
        Ok(Plan::new(&who.user_name, "create", "credentials", None)
            .after(&shown(cp, &view))
            .with(RowChange::Insert(RowValues::Credential {
                provider_id,
                label: label.clone(),
                secret: secret.clone(),
                enabled: body.enabled,
            })))
    })
    .await?;
    let id = ids.first().copied().unwrap_or_default();
    Ok((StatusCode::CREATED, Json(shown(&cp, row(&cp, id)?))))
}

/// `GET /admin/credentials/{id}`.
#[utoipa::path(
    get,
    path = "/admin/credentials/{id}",
    operation_id = "get_credential",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The credential's id"),
    ),
    responses(
        (status = 200, description = "The credential, its secret masked", body = CredentialView),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<CredentialView>, ApiError> {
    let id = id(&raw, "credential")?;
    let cp = control_plane(&state).await?;
    Ok(Json(shown(&cp, row(&cp, id)?)))
}

/// `PATCH /admin/credentials/{id}`: `label` (`""` clears it), `secret`, `enabled`.
#[utoipa::path(
    patch,
    path = "/admin/credentials/{id}",
    operation_id = "update_credential",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The credential's id"),
    ),
    request_body = PatchCredential,
    responses(
        (status = 200, description = "The credential as changed", body = CredentialView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn patch(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<PatchCredential>, JsonRejection>,
) -> Result<Json<CredentialView>, ApiError> {
    let id = id(&raw, "credential")?;
    let body = json_body(body)?;
    let label = body
        .label
        .as_deref()
        .map(|l| check_label(Some(l)))
        .transpose()?;
    let secret = body.secret.map(secret).transpose()?;
    let (_, cp) = commit(&state, |cp| {
        let old = row(cp, id)?;
        let new = CredentialRecord {
            id,
            provider_id: old.provider_id,
            label: label.clone().unwrap_or_else(|| old.label.clone()),
            secret: secret.clone().unwrap_or_else(|| old.secret.clone()),
            enabled: body.enabled.unwrap_or(old.enabled),
        };
        Ok(Plan::new(&who.user_name, "update", "credentials", Some(id))
            .before(&shown(cp, old))
            .after(&shown(cp, &new))
            .with(RowChange::Update(
                id,
                RowValues::Credential {
                    provider_id: new.provider_id,
                    label: new.label,
                    secret: new.secret,
                    enabled: new.enabled,
                },
            )))
    })
    .await?;
    Ok(Json(shown(&cp, row(&cp, id)?)))
}

/// `DELETE /admin/credentials/{id}`.
#[utoipa::path(
    delete,
    path = "/admin/credentials/{id}",
    operation_id = "delete_credential",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The credential's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn delete(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id(&raw, "credential")?;
    commit(&state, |cp| {
        let old = row(cp, id)?;
        Ok(Plan::new(&who.user_name, "delete", "credentials", Some(id))
            .before(&shown(cp, old))
            .with(RowChange::Delete(Table::CredentialStatus, id))
            .with(RowChange::Delete(Table::Credential, id)))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
