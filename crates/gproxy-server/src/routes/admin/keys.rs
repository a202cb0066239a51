//! User API keys, for administrators (`/admin/users/{id}/keys`, `/admin/keys/{id}`) and for
//! each user's own (`/user/keys`, `/user/keys/{id}`) (DESIGN.md §9). A new key is generated
//! by the gateway and shown in full once, in the create response; afterwards it reads back
//! masked. A disabled or expired key is refused at the next request (the snapshot is swapped
//! by the write).

use super::limit_writes::clearable;
use super::write::{Plan, check_label, commit, find, mask};
use super::{Admin, Page, control_plane, id, json_body, page_rows, query, users};
use crate::error::ApiError;
use crate::routes::generate_api_key;
use crate::routes::openapi;
use crate::routes::user::User;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gproxy_storage::change::{RowChange, RowValues, Table};
use gproxy_storage::model::{ControlPlane, KeyRecord};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    label: Option<String>,
    #[serde(default = "super::write::yes")]
    enabled: bool,
    /// RFC 3339 or epoch seconds.
    expires_at: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchKey {
    label: Option<String>,
    enabled: Option<bool>,
    /// `null` clears it (the key never expires).
    #[serde(default, deserialize_with = "clearable")]
    expires_at: Option<Option<String>>,
}

/// A key as the API shows it: masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    id: String,
    user_id: String,
    label: Option<String>,
    enabled: bool,
    expires_at: Option<String>,
    api_key: String,
}

fn shown(k: &KeyRecord) -> KeyView {
    KeyView {
        id: k.id.to_string(),
        user_id: k.user_id.to_string(),
        label: k.label.clone(),
        enabled: k.enabled,
        expires_at: k.expires_at.map(|at| crate::time::rfc3339(at, false)),
        api_key: mask(k.api_key.expose_secret()),
    }
}

/// The key `id`, when it belongs to `owner` (any user's for an administrator: `None`);
/// 404 otherwise, so a user cannot learn which ids other users' keys have.
fn row(cp: &ControlPlane, id: i64, owner: Option<i64>) -> Result<&KeyRecord, ApiError> {
    find(&cp.keys, id, |k| k.id, "key")
        .ok()
        .filter(|k| owner.is_none_or(|o| o == k.user_id))
        .ok_or_else(|| ApiError::not_found(format!("no key `{id}`")))
}

/// An expiry from the API; 400 naming `expires_at` when unreadable or already past.
fn expiry(raw: &str) -> Result<i64, ApiError> {
    let at = crate::routes::usage::time("expires_at", raw)?;
    if at <= gproxy_storage::now_ms() {
        return Err(ApiError::bad_request("expires_at is in the past").with_field("expires_at"));
    }
    Ok(at)
}

fn page(cp: &ControlPlane, user_id: i64, q: ListQuery) -> Result<Page<KeyView>, ApiError> {
    let rows = cp.keys.iter().filter(|k| k.user_id == user_id);
    page_rows(rows, |k| k.id, q.limit, q.cursor.as_deref(), shown)
}

async fn create(
    state: &AppState,
    actor: &str,
    user_id: i64,
    body: CreateKey,
) -> Result<KeyView, ApiError> {
    let label = check_label(body.label.as_deref())?;
    let expires_at = body.expires_at.as_deref().map(expiry).transpose()?;
    let api_key = generate_api_key();
    let (ids, cp) = commit(state, |cp| {
        users::row(cp, user_id)?;
        let new = KeyRecord {
            id: 0,
            user_id,
            digest: String::new(),
            api_key: SecretString::from(api_key.clone()),
            label: label.clone(),
            enabled: body.enabled,
            expires_at,
        };
        Ok(Plan::new(actor, "create", "keys", None)
            .after(&shown(&new))
            .with(RowChange::Insert(RowValues::Key {
                user_id,
                api_key: new.api_key,
                label: new.label,
                enabled: new.enabled,
                expires_at,
            })))
    })
    .await?;
    let id = ids.first().copied().unwrap_or_default();
    // The whole key, this once.
    let mut view = shown(row(&cp, id, None)?);
    view.api_key = api_key;
    Ok(view)
}

async fn patch(
    state: &AppState,
    actor: &str,
    id: i64,
    owner: Option<i64>,
    body: PatchKey,
) -> Result<KeyView, ApiError> {
    let label = body
        .label
        .as_deref()
        .map(|l| check_label(Some(l)))
        .transpose()?;
    let expires_at = match &body.expires_at {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => Some(Some(expiry(raw)?)),
    };
    let (_, cp) = commit(state, |cp| {
        let old = row(cp, id, owner)?;
        let new = KeyRecord {
            label: label.unwrap_or_else(|| old.label.clone()),
            enabled: body.enabled.unwrap_or(old.enabled),
            expires_at: expires_at.unwrap_or(old.expires_at),
            ..old.clone()
        };
        Ok(Plan::new(actor, "update", "keys", Some(id))
            .before(&shown(old))
            .after(&shown(&new))
            .with(RowChange::Update(
                id,
                RowValues::Key {
                    user_id: new.user_id,
                    api_key: new.api_key,
                    label: new.label,
                    enabled: new.enabled,
                    expires_at: new.expires_at,
                },
            )))
    })
    .await?;
    Ok(shown(row(&cp, id, None)?))
}

async fn delete(
    state: &AppState,
    actor: &str,
    id: i64,
    owner: Option<i64>,
) -> Result<(), ApiError> {
    commit(state, |cp| {
        let old = row(cp, id, owner)?;
        Ok(Plan::new(actor, "delete", "keys", Some(id))
            .before(&shown(old))
            .with(RowChange::Delete(Table::Key, id)))
    })
    .await?;
    Ok(())
}

/// `GET /admin/users/{id}/keys`.
#[utoipa::path(
    get,
    path = "/admin/users/{id}/keys",
    operation_id = "list_user_keys",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The user's id"),
        ListQuery,
    ),
    responses(
        (status = 200, description = "The user's keys, masked", body = Page<KeyView>),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn admin_list(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<KeyView>>, ApiError> {
    let user_id = id(&raw, "user")?;
    let q = query(q)?;
    let cp = control_plane(&state).await?;
    users::row(&cp, user_id)?;
    Ok(Json(page(&cp, user_id, q)?))
}

/// `POST /admin/users/{id}/keys`.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/keys",
    operation_id = "create_user_key",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The user's id"),
    ),
    request_body = CreateKey,
    responses(
        (status = 201, description = "Created: `api_key` is the whole key, shown this once", body = KeyView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn admin_create(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<CreateKey>, JsonRejection>,
) -> Result<(StatusCode, Json<KeyView>), ApiError> {
    let user_id = id(&raw, "user")?;
    let body = json_body(body)?;
    let created = create(&state, &who.user_name, user_id, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /admin/keys/{id}`.
#[utoipa::path(
    get,
    path = "/admin/keys/{id}",
    operation_id = "get_key",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "The key, masked", body = KeyView),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn admin_get(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<KeyView>, ApiError> {
    let id = id(&raw, "key")?;
    let cp = control_plane(&state).await?;
    Ok(Json(shown(row(&cp, id, None)?)))
}

/// `PATCH /admin/keys/{id}`.
#[utoipa::path(
    patch,
    path = "/admin/keys/{id}",
    operation_id = "update_key",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The key's id"),
    ),
    request_body = PatchKey,
    responses(
        (status = 200, description = "The key as changed, masked", body = KeyView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn admin_patch(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<PatchKey>, JsonRejection>,
) -> Result<Json<KeyView>, ApiError> {
    let id = id(&raw, "key")?;
    let body = json_body(body)?;
    Ok(Json(patch(&state, &who.user_name, id, None, body).await?))
}

/// `DELETE /admin/keys/{id}`.
#[utoipa::path(
    delete,
    path = "/admin/keys/{id}",
    operation_id = "delete_key",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The key's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn admin_delete(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id(&raw, "key")?;
    delete(&state, &who.user_name, id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /user/keys`: the caller's own.
#[utoipa::path(
    get,
    path = "/user/keys",
    operation_id = "list_own_keys",
    tag = "user",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "The caller's keys, masked", body = Page<KeyView>),
        openapi::BadRequest,
        openapi::Unauthorized,
    )
)]
pub async fn user_list(
    User(who): User,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<KeyView>>, ApiError> {
    let q = query(q)?;
    let cp = control_plane(&state).await?;
    Ok(Json(page(&cp, who.user_id, q)?))
}

/// `POST /user/keys`.
#[utoipa::path(
    post,
    path = "/user/keys",
    operation_id = "create_own_key",
    tag = "user",
    request_body = CreateKey,
    responses(
        (status = 201, description = "Created: `api_key` is the whole key, shown this once", body = KeyView),
        openapi::BadRequest,
        openapi::Unauthorized,
    )
)]
pub async fn user_create(
    User(who): User,
    State(state): State<AppState>,
    body: Result<Json<CreateKey>, JsonRejection>,
) -> Result<(StatusCode, Json<KeyView>), ApiError> {
    let body = json_body(body)?;
    let created = create(&state, &who.user_name, who.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `PATCH /user/keys/{id}`: only the caller's own keys (others' are 404).
#[utoipa::path(
    patch,
    path = "/user/keys/{id}",
    operation_id = "update_own_key",
    tag = "user",
    params(
        ("id" = String, Path, description = "The key's id"),
    ),
    request_body = PatchKey,
    responses(
        (status = 200, description = "The key as changed, masked", body = KeyView),
        openapi::BadRequest,
        openapi::Unauthorized,
        openapi::NotFound,
    )
)]
pub async fn user_patch(
    User(who): User,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<PatchKey>, JsonRejection>,
) -> Result<Json<KeyView>, ApiError> {
    let id = id(&raw, "key")?;
    let body = json_body(body)?;
    Ok(Json(
        patch(&state, &who.user_name, id, Some(who.user_id), body).await?,
    ))
}

/// `DELETE /user/keys/{id}`.
#[utoipa::path(
    delete,
    path = "/user/keys/{id}",
    operation_id = "delete_own_key",
    tag = "user",
    params(
        ("id" = String, Path, description = "The key's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        openapi::Unauthorized,
        openapi::NotFound,
    )
)]
pub async fn user_delete(
    User(who): User,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id(&raw, "key")?;
    delete(&state, &who.user_name, id, Some(who.user_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
