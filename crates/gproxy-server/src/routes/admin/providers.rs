//! Providers in the admin API (DESIGN.md §9): `/admin/providers` and
//! `/admin/providers/{id}`. A provider's channel and settings are checked as the snapshot
//! will read them, so a write never leaves a control plane the gateway cannot load.
//! Deleting a provider removes its credentials (with their health) and models, and is
//! refused while an alias or route member names it.

use super::write::{Plan, commit, conflict, find};
use super::{Admin, Page, control_plane, id, json_body, page_rows, query};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gproxy_channels::{ChannelKind, ChannelSettings};
use gproxy_storage::change::{RowChange, RowValues, Table};
use gproxy_storage::model::{ControlPlane, ProviderRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    channel: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProvider {
    name: String,
    channel: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    #[serde(default = "super::write::yes")]
    enabled: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchProvider {
    name: Option<String>,
    channel: Option<String>,
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    enabled: Option<bool>,
}

/// A provider as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub channel: String,
    #[schema(value_type = Object)]
    pub settings: Value,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

pub fn shown(p: &ProviderRow) -> Provider {
    Provider {
        id: p.id.to_string(),
        name: p.name.clone(),
        channel: p.channel.clone(),
        settings: serde_json::from_str(&p.settings).unwrap_or_default(),
        enabled: p.enabled,
        created_at: crate::time::rfc3339(p.created_at, false),
        updated_at: crate::time::rfc3339(p.updated_at, false),
    }
}

/// A channel name the gateway knows; 400 naming `channel` otherwise.
fn channel(name: &str) -> Result<ChannelKind, ApiError> {
    name.parse().map_err(|_| {
        let known: Vec<&str> = ChannelKind::ALL.iter().map(|k| k.as_str()).collect();
        ApiError::bad_request(format!(
            "unknown channel `{name}`: one of {}",
            known.join(", ")
        ))
        .with_field("channel")
    })
}

/// Settings as the channel reads them: an object (or nothing), valid for `kind`.
fn settings(kind: ChannelKind, v: Option<Value>) -> Result<Value, ApiError> {
    let v = match v {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v,
        Some(_) => {
            return Err(ApiError::bad_request("settings must be an object").with_field("settings"));
        }
    };
    ChannelSettings::parse(kind, &v)
        .map_err(|e| ApiError::bad_request(format!("settings: {e}")).with_field("settings"))?;
    Ok(v)
}

fn name(n: &str) -> Result<(), ApiError> {
    crate::routes::check_provider_name(n).map_err(|e| ApiError::bad_request(e).with_field("name"))
}

/// The provider `id`, or 404.
pub fn row(cp: &ControlPlane, id: i64) -> Result<&ProviderRow, ApiError> {
    find(&cp.providers, id, |p| p.id, "provider")
}

/// `GET /admin/providers`: filters `channel`, `name`.
#[utoipa::path(
    get,
    path = "/admin/providers",
    operation_id = "list_providers",
    tag = "admin",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "Providers, by id", body = Page<Provider>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Provider>>, ApiError> {
    let q = query(q)?;
    let cp = control_plane(&state).await?;
    let rows = cp.providers.iter().filter(|p| {
        q.channel.as_ref().is_none_or(|c| &p.channel == c)
            && q.name.as_ref().is_none_or(|n| &p.name == n)
    });
    Ok(Json(page_rows(
        rows,
        |p| p.id,
        q.limit,
        q.cursor.as_deref(),
        shown,
    )?))
}

/// `POST /admin/providers`.
#[utoipa::path(
    post,
    path = "/admin/providers",
    operation_id = "create_provider",
    tag = "admin",
    request_body = CreateProvider,
    responses(
        (status = 201, description = "Created", body = Provider),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::Conflict,
    )
)]
pub async fn create(
    Admin(who): Admin,
    State(state): State<AppState>,
    body: Result<Json<CreateProvider>, JsonRejection>,
) -> Result<(StatusCode, Json<Provider>), ApiError> {
    let body = json_body(body)?;
    name(&body.name)?;
    let kind = channel(&body.channel)?;
    let settings = settings(kind, body.settings)?;
    let (ids, cp) = commit(&state, |cp| {
        if cp.providers.iter().any(|p| p.name == body.name) {
            return Err(conflict(
                format!("a provider named `{}` exists", body.name),
                "name",
            ));
        }
        let values = RowValues::Provider {
            name: body.name.clone(),
            channel: kind.as_str().to_owned(),
            settings: settings.clone(),
            enabled: body.enabled,
        };
        Ok(Plan::new(&who.user_name, "create", "providers", None)
            .after(&serde_json::json!({
                "name": body.name, "channel": kind.as_str(),
                "settings": settings, "enabled": body.enabled,
            }))
            .with(RowChange::Insert(values)))
    })
    .await?;
    let id = ids.first().copied().unwrap_or_default();
    Ok((StatusCode::CREATED, Json(shown(row(&cp, id)?))))
}

/// `GET /admin/providers/{id}`.
#[utoipa::path(
    get,
    path = "/admin/providers/{id}",
    operation_id = "get_provider",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The provider's id"),
    ),
    responses(
        (status = 200, description = "The provider", body = Provider),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Provider>, ApiError> {
    let id = id(&raw, "provider")?;
    let cp = control_plane(&state).await?;
    Ok(Json(shown(row(&cp, id)?)))
}

/// `PATCH /admin/providers/{id}`: a new channel needs settings valid for it (the current
/// settings are checked again).
#[utoipa::path(
    patch,
    path = "/admin/providers/{id}",
    operation_id = "update_provider",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The provider's id"),
    ),
    request_body = PatchProvider,
    responses(
        (status = 200, description = "The provider as changed", body = Provider),
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
    body: Result<Json<PatchProvider>, JsonRejection>,
) -> Result<Json<Provider>, ApiError> {
    let id = id(&raw, "provider")?;
    let body = json_body(body)?;
    if let Some(n) = &body.name {
        name(n)?;
    }
    let kind = body.channel.as_deref().map(channel).transpose()?;
    let (_, cp) = commit(&state, |cp| {
        let old = row(cp, id)?;
        let kind = match kind {
            Some(k) => k,
            None => channel(&old.channel)?,
        };
        let settings = match body.settings.clone() {
            Some(s) => settings(kind, Some(s))?,
            None => settings(kind, serde_json::from_str(&old.settings).ok())?,
        };
        let new_name = body.name.clone().unwrap_or_else(|| old.name.clone());
        if cp
            .providers
            .iter()
            .any(|p| p.name == new_name && p.id != id)
        {
            return Err(conflict(
                format!("a provider named `{new_name}` exists"),
                "name",
            ));
        }
        let mut after = shown(old);
        after.name = new_name.clone();
        after.channel = kind.as_str().to_owned();
        after.settings = settings.clone();
        after.enabled = body.enabled.unwrap_or(old.enabled);
        Ok(Plan::new(&who.user_name, "update", "providers", Some(id))
            .before(&shown(old))
            .after(&after)
            .with(RowChange::Update(
                id,
                RowValues::Provider {
                    name: new_name,
                    channel: kind.as_str().to_owned(),
                    settings,
                    enabled: after.enabled,
                },
            )))
    })
    .await?;
    Ok(Json(shown(row(&cp, id)?)))
}

/// `DELETE /admin/providers/{id}`: with its credentials and models; 409 while an alias or a
/// route member names it.
#[utoipa::path(
    delete,
    path = "/admin/providers/{id}",
    operation_id = "delete_provider",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The provider's id"),
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
    let id = id(&raw, "provider")?;
    commit(&state, |cp| {
        let old = row(cp, id)?;
        if let Some(a) = cp.aliases.iter().find(|a| a.provider_id == id) {
            return Err(conflict(
                format!(
                    "alias `{}` names provider `{}`: delete it first",
                    a.alias, old.name
                ),
                "id",
            ));
        }
        if let Some(m) = cp.route_members.iter().find(|m| m.provider_id == id) {
            let route = cp
                .routes
                .iter()
                .find(|r| r.id == m.route_id)
                .map_or("?", |r| r.name.as_str());
            return Err(conflict(
                format!(
                    "a member of route `{route}` names provider `{}`: remove it first",
                    old.name
                ),
                "id",
            ));
        }
        let credentials = cp.credentials.iter().filter(|c| c.provider_id == id);
        let changes = credentials
            .flat_map(|c| {
                [
                    RowChange::Delete(Table::CredentialStatus, c.id),
                    RowChange::Delete(Table::Credential, c.id),
                ]
            })
            .chain(
                cp.models
                    .iter()
                    .filter(|m| m.provider_id == id)
                    .map(|m| RowChange::Delete(Table::Model, m.id)),
            )
            .chain(
                cp.permissions
                    .iter()
                    .filter(|p| p.provider_id == Some(id))
                    .map(|p| RowChange::Delete(Table::Permission, p.id)),
            )
            .chain([RowChange::Delete(Table::Provider, id)]);
        Ok(Plan::new(&who.user_name, "delete", "providers", Some(id))
            .before(&shown(old))
            .with_all(changes))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
