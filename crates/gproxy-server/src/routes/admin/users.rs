//! Users in the admin API (DESIGN.md §9): `/admin/users` and `/admin/users/{id}`. The
//! password is write-only (hashed with Argon2id before the write); a user's own keys are
//! under [`super::keys`]. Deleting a user removes their keys, permissions, rate limits and
//! quota (their usage stays). The last enabled administrator cannot be deleted, disabled or
//! demoted, so the gateway never locks its operators out.

use super::write::{Plan, check_text, commit, conflict, find};
use super::{Admin, Page, control_plane, id, json_body, page_rows, query};
use crate::error::ApiError;
use crate::password;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gproxy_storage::change::{RowChange, RowValues, Table};
use gproxy_storage::model::{ControlPlane, UserRow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    name: Option<String>,
}

/// No `Debug`: it holds the password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(description = "A new user; `password` is write-only.")]
pub struct CreateUser {
    name: String,
    #[schema(write_only)]
    password: String,
    #[serde(default)]
    is_admin: bool,
    #[serde(default = "super::write::yes")]
    enabled: bool,
}

/// No `Debug`: it may hold the password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(description = "The fields to change; `password` is write-only.")]
pub struct PatchUser {
    name: Option<String>,
    #[schema(write_only)]
    password: Option<String>,
    is_admin: Option<bool>,
    enabled: Option<bool>,
}

/// A user as the API shows it (never the password).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub created_at: String,
}

pub fn shown(u: &UserRow) -> UserView {
    UserView {
        id: u.id.to_string(),
        name: u.name.clone(),
        is_admin: u.is_admin,
        enabled: u.enabled,
        created_at: crate::time::rfc3339(u.created_at, false),
    }
}

/// The user `id`, or 404.
pub fn row(cp: &ControlPlane, id: i64) -> Result<&UserRow, ApiError> {
    find(&cp.users, id, |u| u.id, "user")
}

fn user_name(name: &str) -> Result<(), ApiError> {
    check_text("name", name, 64)
}

/// A new password's hash; 400 naming `password` when it is too short or long.
async fn new_hash(password: String) -> Result<String, ApiError> {
    password::check_new(&password)
        .map_err(|e| ApiError::bad_request(format!("password {e}")).with_field("password"))?;
    password::hash_blocking(password).await.map_err(|e| {
        tracing::error!(error = %e, "hashing a password failed");
        ApiError::internal("could not hash the password")
    })
}

fn unique(cp: &ControlPlane, name: &str, except: i64) -> Result<(), ApiError> {
    if cp.users.iter().any(|u| u.name == name && u.id != except) {
        return Err(conflict(format!("a user named `{name}` exists"), "name"));
    }
    Ok(())
}

/// 409 when `id` is the last enabled administrator and would stop being one.
fn keeps_an_admin(cp: &ControlPlane, id: i64, field: &str) -> Result<(), ApiError> {
    let others = cp
        .users
        .iter()
        .any(|u| u.id != id && u.is_admin && u.enabled);
    if others {
        return Ok(());
    }
    Err(conflict(
        "this is the last enabled administrator: make another user an administrator first",
        field,
    ))
}

/// `GET /admin/users`: filter `name`.
#[utoipa::path(
    get,
    path = "/admin/users",
    operation_id = "list_users",
    tag = "admin",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "Users, by id", body = Page<UserView>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<UserView>>, ApiError> {
    let q = query(q)?;
    let cp = control_plane(&state).await?;
    let rows = cp
        .users
        .iter()
        .filter(|u| q.name.as_ref().is_none_or(|n| &u.name == n));
    Ok(Json(page_rows(
        rows,
        |u| u.id,
        q.limit,
        q.cursor.as_deref(),
        shown,
    )?))
}

/// `POST /admin/users`.
#[utoipa::path(
    post,
    path = "/admin/users",
    operation_id = "create_user",
    tag = "admin",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::Conflict,
    )
)]
pub async fn create(
    Admin(who): Admin,
    State(state): State<AppState>,
    body: Result<Json<CreateUser>, JsonRejection>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let body = json_body(body)?;
    user_name(&body.name)?;
    let hash = new_hash(body.password).await?;
    let (ids, cp) = commit(&state, |cp| {
        unique(cp, &body.name, 0)?;
        let new = UserRow {
            id: 0,
            name: body.name.clone(),
            password_hash: String::new(),
            is_admin: body.is_admin,
            enabled: body.enabled,
            created_at: 0,
        };
        Ok(Plan::new(&who.user_name, "create", "users", None)
            .after(&shown(&new))
            .with(RowChange::Insert(RowValues::User {
                name: new.name,
                password_hash: hash,
                is_admin: new.is_admin,
                enabled: new.enabled,
            })))
    })
    .await?;
    let id = ids.first().copied().unwrap_or_default();
    Ok((StatusCode::CREATED, Json(shown(row(&cp, id)?))))
}

/// `GET /admin/users/{id}`.
#[utoipa::path(
    get,
    path = "/admin/users/{id}",
    operation_id = "get_user",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The user's id"),
    ),
    responses(
        (status = 200, description = "The user", body = UserView),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id = id(&raw, "user")?;
    let cp = control_plane(&state).await?;
    Ok(Json(shown(row(&cp, id)?)))
}

/// `PATCH /admin/users/{id}`: a disabled user's keys are refused at the next request.
#[utoipa::path(
    patch,
    path = "/admin/users/{id}",
    operation_id = "update_user",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The user's id"),
    ),
    request_body = PatchUser,
    responses(
        (status = 200, description = "The user as changed", body = UserView),
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
    body: Result<Json<PatchUser>, JsonRejection>,
) -> Result<Json<UserView>, ApiError> {
    let id = id(&raw, "user")?;
    let body = json_body(body)?;
    if let Some(n) = &body.name {
        user_name(n)?;
    }
    let hash = match body.password {
        Some(p) => Some(new_hash(p).await?),
        None => None,
    };
    let (_, cp) = commit(&state, |cp| {
        let old = row(cp, id)?;
        let new = UserRow {
            name: body.name.clone().unwrap_or_else(|| old.name.clone()),
            password_hash: hash.unwrap_or_else(|| old.password_hash.clone()),
            is_admin: body.is_admin.unwrap_or(old.is_admin),
            enabled: body.enabled.unwrap_or(old.enabled),
            ..old.clone()
        };
        unique(cp, &new.name, id)?;
        if old.is_admin && old.enabled && !(new.is_admin && new.enabled) {
            let field = if new.is_admin { "enabled" } else { "is_admin" };
            keeps_an_admin(cp, id, field)?;
        }
        Ok(Plan::new(&who.user_name, "update", "users", Some(id))
            .before(&shown(old))
            .after(&shown(&new))
            .with(RowChange::Update(
                id,
                RowValues::User {
                    name: new.name,
                    password_hash: new.password_hash,
                    is_admin: new.is_admin,
                    enabled: new.enabled,
                },
            )))
    })
    .await?;
    Ok(Json(shown(row(&cp, id)?)))
}

/// Row changes deleting user `id` and everything that is theirs but their usage.
fn cascade(cp: &ControlPlane, id: i64) -> Vec<RowChange> {
    let keys = cp
        .keys
        .iter()
        .filter(|k| k.user_id == id)
        .map(|k| (Table::Key, k.id));
    let perms = cp
        .permissions
        .iter()
        .filter(|p| p.user_id == id)
        .map(|p| (Table::Permission, p.id));
    let limits = cp
        .rate_limits
        .iter()
        .filter(|r| r.user_id == id)
        .map(|r| (Table::RateLimit, r.id));
    let quota = cp
        .quotas
        .iter()
        .filter(|q| q.user_id == id)
        .map(|q| (Table::Quota, q.id));
    keys.chain(perms)
        .chain(limits)
        .chain(quota)
        .chain([(Table::User, id)])
        .map(|(t, i)| RowChange::Delete(t, i))
        .collect()
}

/// `DELETE /admin/users/{id}`.
#[utoipa::path(
    delete,
    path = "/admin/users/{id}",
    operation_id = "delete_user",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The user's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        openapi::AdminOnly,
        openapi::NotFound,
        openapi::Conflict,
    )
)]
pub async fn delete(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id(&raw, "user")?;
    commit(&state, |cp| {
        let old = row(cp, id)?;
        if old.is_admin && old.enabled {
            keeps_an_admin(cp, id, "id")?;
        }
        Ok(Plan::new(&who.user_name, "delete", "users", Some(id))
            .before(&shown(old))
            .with_all(cascade(cp, id)))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
