//! Permissions in the admin API (DESIGN.md §9): `/admin/permissions` and
//! `/admin/permissions/{id}`. A permission grants a user the models matching a glob
//! (`*`, `gpt-4*`), on one provider (by name) or on all; nothing is allowed without one.

use super::limit_writes::{clearable, user_id};
use super::routes::provider_id;
use super::write::{Plan, commit, conflict, find, provider_name};
use super::{Admin, Page, control_plane, id, json_body, page_rows, query, query_id};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gproxy_storage::change::{RowChange, RowValues, Table};
use gproxy_storage::model::{ControlPlane, PermissionRow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    user_id: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePermission {
    user_id: String,
    /// The provider's name; absent or `null`: every provider.
    provider: Option<String>,
    model_pattern: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchPermission {
    #[serde(default, deserialize_with = "clearable")]
    provider: Option<Option<String>>,
    model_pattern: Option<String>,
}

/// A permission as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PermissionView {
    id: String,
    user_id: String,
    provider: Option<String>,
    model_pattern: String,
}

fn shown(cp: &ControlPlane, p: &PermissionRow) -> PermissionView {
    PermissionView {
        id: p.id.to_string(),
        user_id: p.user_id.to_string(),
        provider: p.provider_id.map(|id| provider_name(cp, id)),
        model_pattern: p.model_pattern.clone(),
    }
}

fn pattern(p: &str) -> Result<(), ApiError> {
    if p.is_empty() || p.len() > 256 || p.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "model_pattern must be 1 to 256 characters, without control characters",
        )
        .with_field("model_pattern"));
    }
    Ok(())
}

fn row(cp: &ControlPlane, id: i64) -> Result<&PermissionRow, ApiError> {
    find(&cp.permissions, id, |p| p.id, "permission")
}

/// 409 when the same grant exists in another row.
fn unique(cp: &ControlPlane, new: &PermissionRow) -> Result<(), ApiError> {
    if cp.permissions.iter().any(|p| {
        p.id != new.id
            && p.user_id == new.user_id
            && p.provider_id == new.provider_id
            && p.model_pattern == new.model_pattern
    }) {
        return Err(conflict(
            "the user already has this permission",
            "model_pattern",
        ));
    }
    Ok(())
}

/// `GET /admin/permissions`: filter `user_id`.
#[utoipa::path(
    get,
    path = "/admin/permissions",
    operation_id = "list_permissions",
    tag = "admin",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "Permissions, by id", body = Page<PermissionView>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<PermissionView>>, ApiError> {
    let q = query(q)?;
    let user = query_id("user_id", q.user_id.as_deref())?;
    let cp = control_plane(&state).await?;
    let rows = cp
        .permissions
        .iter()
        .filter(|p| user.is_none_or(|u| p.user_id == u));
    Ok(Json(page_rows(
        rows,
        |p| p.id,
        q.limit,
        q.cursor.as_deref(),
        |p| shown(&cp, p),
    )?))
}

/// `POST /admin/permissions`.
#[utoipa::path(
    post,
    path = "/admin/permissions",
    operation_id = "create_permission",
    tag = "admin",
    request_body = CreatePermission,
    responses(
        (status = 201, description = "Created", body = PermissionView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::Conflict,
    )
)]
pub async fn create(
    Admin(who): Admin,
    State(state): State<AppState>,
    body: Result<Json<CreatePermission>, JsonRejection>,
) -> Result<(StatusCode, Json<PermissionView>), ApiError> {
    let body = json_body(body)?;
    pattern(&body.model_pattern)?;
    let (ids, cp) = commit(&state, |cp| {
        let user_id = user_id(cp, &body.user_id)?;
        let provider_id = body
            .provider
            .as_deref()
            .map(|name| provider_id(cp, name))
            .transpose()?;
        let new = PermissionRow {
            id: 0,
            user_id,
            provider_id,
            model_pattern: body.model_pattern.clone(),
            created_at: 0,
        };
        unique(cp, &new)?;
        Ok(Plan::new(&who.user_name, "create", "permissions", None)
            .after(&shown(cp, &new))
            .with(RowChange::Insert(RowValues::Permission {
                user_id,
                provider_id,
                model_pattern: new.model_pattern,
            })))
    })
    .await?;
    let id = ids.first().copied().unwrap_or_default();
    Ok((StatusCode::CREATED, Json(shown(&cp, row(&cp, id)?))))
}

/// `GET /admin/permissions/{id}`.
#[utoipa::path(
    get,
    path = "/admin/permissions/{id}",
    operation_id = "get_permission",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The permission's id"),
    ),
    responses(
        (status = 200, description = "The permission", body = PermissionView),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<PermissionView>, ApiError> {
    let id = id(&raw, "permission")?;
    let cp = control_plane(&state).await?;
    Ok(Json(shown(&cp, row(&cp, id)?)))
}

/// `PATCH /admin/permissions/{id}`: `provider` (`null`: every provider), `model_pattern`.
#[utoipa::path(
    patch,
    path = "/admin/permissions/{id}",
    operation_id = "update_permission",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The permission's id"),
    ),
    request_body = PatchPermission,
    responses(
        (status = 200, description = "The permission as changed", body = PermissionView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
        openapi::Conflict,
    )
)]
pub async fn patch(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<PatchPermission>, JsonRejection>,
) -> Result<Json<PermissionView>, ApiError> {
    let id = id(&raw, "permission")?;
    let body = json_body(body)?;
    if let Some(p) = &body.model_pattern {
        pattern(p)?;
    }
    let (_, cp) = commit(&state, |cp| {
        let old = row(cp, id)?;
        let provider_id = match &body.provider {
            None => old.provider_id,
            Some(None) => None,
            Some(Some(name)) => Some(provider_id(cp, name)?),
        };
        let new = PermissionRow {
            provider_id,
            model_pattern: body
                .model_pattern
                .clone()
                .unwrap_or_else(|| old.model_pattern.clone()),
            ..old.clone()
        };
        unique(cp, &new)?;
        Ok(Plan::new(&who.user_name, "update", "permissions", Some(id))
            .before(&shown(cp, old))
            .after(&shown(cp, &new))
            .with(RowChange::Update(
                id,
                RowValues::Permission {
                    user_id: new.user_id,
                    provider_id,
                    model_pattern: new.model_pattern,
                },
            )))
    })
    .await?;
    Ok(Json(shown(&cp, row(&cp, id)?)))
}

/// `DELETE /admin/permissions/{id}`: refused at the user's next request.
#[utoipa::path(
    delete,
    path = "/admin/permissions/{id}",
    operation_id = "delete_permission",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The permission's id"),
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
    let id = id(&raw, "permission")?;
    commit(&state, |cp| {
        let old = row(cp, id)?;
        Ok(Plan::new(&who.user_name, "delete", "permissions", Some(id))
            .before(&shown(cp, old))
            .with(RowChange::Delete(Table::Permission, id)))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
