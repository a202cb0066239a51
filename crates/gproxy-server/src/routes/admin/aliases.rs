//! Model aliases in the admin API (DESIGN.md §9): `/admin/aliases` and
//! `/admin/aliases/{id}`. An alias is a public model name for one provider's model; it
//! shares its namespace with routes, and names its provider by name.

use super::routes::{check_name, provider_id};
use super::write::{Plan, check_text, commit, conflict, find, provider_filter, provider_name};
use super::{Admin, Page, control_plane, id, json_body, page_rows, query};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gproxy_storage::change::{RowChange, RowValues, Table};
use gproxy_storage::model::{AliasRow, ControlPlane};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    provider: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAlias {
    alias: String,
    provider: String,
    model_id: String,
    #[serde(default = "super::write::yes")]
    enabled: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchAlias {
    alias: Option<String>,
    provider: Option<String>,
    model_id: Option<String>,
    enabled: Option<bool>,
}

/// An alias as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AliasView {
    id: String,
    alias: String,
    provider: String,
    model_id: String,
    enabled: bool,
}

fn shown(cp: &ControlPlane, a: &AliasRow) -> AliasView {
    AliasView {
        id: a.id.to_string(),
        alias: a.alias.clone(),
        provider: provider_name(cp, a.provider_id),
        model_id: a.model_id.clone(),
        enabled: a.enabled,
    }
}

fn alias_name(name: &str) -> Result<(), ApiError> {
    check_name(name).map_err(|e| e.with_field("alias"))
}

/// 409 naming `alias` when another alias or a route has the name.
fn unique(cp: &ControlPlane, name: &str, except: i64) -> Result<(), ApiError> {
    if cp.aliases.iter().any(|a| a.alias == name && a.id != except)
        || cp.routes.iter().any(|r| r.name == name)
    {
        return Err(conflict(
            format!("name `{name}` is taken by another alias or route"),
            "alias",
        ));
    }
    Ok(())
}

fn row(cp: &ControlPlane, id: i64) -> Result<&AliasRow, ApiError> {
    find(&cp.aliases, id, |a| a.id, "alias")
}

/// `GET /admin/aliases`: filter `provider` (name).
#[utoipa::path(
    get,
    path = "/admin/aliases",
    operation_id = "list_aliases",
    tag = "admin",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "Aliases, by id", body = Page<AliasView>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<AliasView>>, ApiError> {
    let q = query(q)?;
    let cp = control_plane(&state).await?;
    let provider = provider_filter(&cp, q.provider.as_ref());
    let rows = cp
        .aliases
        .iter()
        .filter(|a| provider.is_none_or(|p| p == Some(a.provider_id)));
    Ok(Json(page_rows(
        rows,
        |a| a.id,
        q.limit,
        q.cursor.as_deref(),
        |a| shown(&cp, a),
    )?))
}

/// `POST /admin/aliases`.
#[utoipa::path(
    post,
    path = "/admin/aliases",
    operation_id = "create_alias",
    tag = "admin",
    request_body = CreateAlias,
    responses(
        (status = 201, description = "Created", body = AliasView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::Conflict,
    )
)]
pub async fn create(
    Admin(who): Admin,
    State(state): State<AppState>,
    body: Result<Json<CreateAlias>, JsonRejection>,
) -> Result<(StatusCode, Json<AliasView>), ApiError> {
    let body = json_body(body)?;
    alias_name(&body.alias)?;
    check_text("model_id", &body.model_id, 256)?;
    let (ids, cp) = commit(&state, |cp| {
        let provider_id = provider_id(cp, &body.provider)?;
        unique(cp, &body.alias, 0)?;
        let new = AliasRow {
            id: 0,
            alias: body.alias.clone(),
            provider_id,
            model_id: body.model_id.clone(),
            enabled: body.enabled,
            created_at: 0,
        };
        Ok(Plan::new(&who.user_name, "create", "aliases", None)
            .after(&shown(cp, &new))
            .with(RowChange::Insert(RowValues::Alias {
                alias: new.alias,
                provider_id,
                model_id: new.model_id,
                enabled: new.enabled,
            })))
    })
    .await?;
    let id = ids.first().copied().unwrap_or_default();
    Ok((StatusCode::CREATED, Json(shown(&cp, row(&cp, id)?))))
}

/// `GET /admin/aliases/{id}`.
#[utoipa::path(
    get,
    path = "/admin/aliases/{id}",
    operation_id = "get_alias",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The alias's id"),
    ),
    responses(
        (status = 200, description = "The alias", body = AliasView),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<AliasView>, ApiError> {
    let id = id(&raw, "alias")?;
    let cp = control_plane(&state).await?;
    Ok(Json(shown(&cp, row(&cp, id)?)))
}

/// `PATCH /admin/aliases/{id}`.
#[utoipa::path(
    patch,
    path = "/admin/aliases/{id}",
    operation_id = "update_alias",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The alias's id"),
    ),
    request_body = PatchAlias,
    responses(
        (status = 200, description = "The alias as changed", body = AliasView),
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
    body: Result<Json<PatchAlias>, JsonRejection>,
) -> Result<Json<AliasView>, ApiError> {
    let id = id(&raw, "alias")?;
    let body = json_body(body)?;
    if let Some(a) = &body.alias {
        alias_name(a)?;
    }
    if let Some(m) = &body.model_id {
        check_text("model_id", m, 256)?;
    }
    let (_, cp) = commit(&state, |cp| {
        let old = row(cp, id)?;
        let provider_id = match &body.provider {
            Some(name) => provider_id(cp, name)?,
            None => old.provider_id,
        };
        let new = AliasRow {
            alias: body.alias.clone().unwrap_or_else(|| old.alias.clone()),
            provider_id,
            model_id: body
                .model_id
                .clone()
                .unwrap_or_else(|| old.model_id.clone()),
            enabled: body.enabled.unwrap_or(old.enabled),
            ..old.clone()
        };
        unique(cp, &new.alias, id)?;
        Ok(Plan::new(&who.user_name, "update", "aliases", Some(id))
            .before(&shown(cp, old))
            .after(&shown(cp, &new))
            .with(RowChange::Update(
                id,
                RowValues::Alias {
                    alias: new.alias,
                    provider_id,
                    model_id: new.model_id,
                    enabled: new.enabled,
                },
            )))
    })
    .await?;
    Ok(Json(shown(&cp, row(&cp, id)?)))
}

/// `DELETE /admin/aliases/{id}`.
#[utoipa::path(
    delete,
    path = "/admin/aliases/{id}",
    operation_id = "delete_alias",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The alias's id"),
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
    let id = id(&raw, "alias")?;
    commit(&state, |cp| {
        let old = row(cp, id)?;
        Ok(Plan::new(&who.user_name, "delete", "aliases", Some(id))
            .before(&shown(cp, old))
            .with(RowChange::Delete(Table::Alias, id)))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
