//! Routes in the admin API (DESIGN.md §9): `/admin/routes` and
//! `/admin/routes/{id}/members[/{member_id}]`. Members name their provider; every write is
//! audited in its transaction and applies to traffic at once (the snapshot is rebuilt).

use super::write::provider_name;
use super::{
    Admin, Page, applied, control_plane, id, json_body, page_after, page_limit, query, store_error,
};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gproxy_storage::model::{
    ControlPlane, NewRoute, NewRouteMember, RouteMemberPatch, RouteMemberRow, RoutePatch, RouteRow,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoute {
    name: String,
    #[serde(default = "super::write::yes")]
    enabled: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRoute {
    name: Option<String>,
    enabled: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    /// The provider's name.
    provider: String,
    model_id: String,
    #[serde(default)]
    tier: i32,
    #[serde(default = "one")]
    weight: i32,
}

fn one() -> i32 {
    1
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchMember {
    provider: Option<String>,
    model_id: Option<String>,
    tier: Option<i32>,
    weight: Option<i32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Member {
    id: String,
    provider: String,
    model_id: String,
    tier: i32,
    weight: i32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Route {
    id: String,
    name: String,
    enabled: bool,
    members: Vec<Member>,
}

fn member(cp: &ControlPlane, m: &RouteMemberRow) -> Member {
    Member {
        id: m.id.to_string(),
        provider: provider_name(cp, m.provider_id),
        model_id: m.model_id.clone(),
        tier: m.tier,
        weight: m.weight,
    }
}

fn route(cp: &ControlPlane, r: &RouteRow) -> Route {
    Route {
        id: r.id.to_string(),
        name: r.name.clone(),
        enabled: r.enabled,
        members: cp
            .route_members
            .iter()
            .filter(|m| m.route_id == r.id)
            .map(|m| member(cp, m))
            .collect(),
    }
}

pub(super) fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty()
        || name.len() > 128
        || name.contains('/')
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(
            "name must be 1 to 128 characters, without `/` or control characters",
        )
        .with_field("name"));
    }
    Ok(())
}

fn check_member(
    tier: Option<i32>,
    weight: Option<i32>,
    model_id: Option<&str>,
) -> Result<(), ApiError> {
    if tier.is_some_and(|t| t < 0) {
        return Err(ApiError::bad_request("tier must be 0 or more").with_field("tier"));
    }
    if weight.is_some_and(|w| w < 1) {
        return Err(ApiError::bad_request("weight must be 1 or more").with_field("weight"));
    }
    if model_id.is_some_and(str::is_empty) {
        return Err(ApiError::bad_request("model_id is required").with_field("model_id"));
    }
    Ok(())
}

/// The id of the provider named `name`; 400 naming `provider` when there is none.
pub(super) fn provider_id(cp: &ControlPlane, name: &str) -> Result<i64, ApiError> {
    cp.providers
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.id)
        .ok_or_else(|| {
            ApiError::bad_request(format!("unknown provider `{name}`")).with_field("provider")
        })
}

/// `GET /admin/routes`: by id, with their members.
#[utoipa::path(
    get,
    path = "/admin/routes",
    operation_id = "list_routes",
    tag = "admin",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "Routes with their members, by id", body = Page<Route>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Route>>, ApiError> {
    let q = query(q)?;
    let limit = page_limit(q.limit)?;
    let after = page_after(q.cursor.as_deref())?;
    let cp = control_plane(&state).await?;
    let mut rows: Vec<&RouteRow> = cp.routes.iter().filter(|r| r.id > after).collect();
    rows.sort_by_key(|r| r.id);
    Ok(Json(Page::of(rows, limit, |r| r.id, |r| route(&cp, r))))
}

/// `POST /admin/routes`.
#[utoipa::path(
    post,
    path = "/admin/routes",
    operation_id = "create_route",
    tag = "admin",
    request_body = CreateRoute,
    responses(
        (status = 201, description = "Created", body = Route),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::Conflict,
    )
)]
pub async fn create(
    Admin(who): Admin,
    State(state): State<AppState>,
    body: Result<Json<CreateRoute>, JsonRejection>,
) -> Result<(StatusCode, Json<Route>), ApiError> {
    let body = json_body(body)?;
    check_name(&body.name)?;
    let (row, cp) = applied(&state, async {
        state
            .store
            .create_route(
                &NewRoute {
                    name: body.name,
                    enabled: body.enabled,
                },
                &who.user_name,
            )
            .await
            .map_err(name_error)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(route(&cp, &row))))
}

/// The route `raw` names, read from the store.
async fn find(state: &AppState, raw: &str) -> Result<Route, ApiError> {
    let id = id(raw, "route")?;
    let cp = control_plane(state).await?;
    let row = cp
        .routes
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no route `{raw}`")))?;
    Ok(route(&cp, row))
}

/// A store refusal, naming `name` when the name is what clashed.
fn name_error(e: gproxy_storage::StoreError) -> ApiError {
    let conflict = matches!(e, gproxy_storage::StoreError::Conflict(_));
    let err = store_error(e);
    if conflict {
        err.with_field("name")
    } else {
        err
    }
}

/// `GET /admin/routes/{id}`.
#[utoipa::path(
    get,
    path = "/admin/routes/{id}",
    operation_id = "get_route",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The route's id"),
    ),
    responses(
        (status = 200, description = "The route with its members", body = Route),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Route>, ApiError> {
    Ok(Json(find(&state, &raw).await?))
}

/// `PATCH /admin/routes/{id}`.
#[utoipa::path(
    patch,
    path = "/admin/routes/{id}",
    operation_id = "update_route",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The route's id"),
    ),
    request_body = PatchRoute,
    responses(
        (status = 200, description = "The route as changed", body = Route),
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
    body: Result<Json<PatchRoute>, JsonRejection>,
) -> Result<Json<Route>, ApiError> {
    let id = id(&raw, "route")?;
    let body = json_body(body)?;
    if let Some(name) = &body.name {
        check_name(name)?;
    }
    let (row, cp) = applied(&state, async {
        state
            .store
            .update_route(
                id,
                &RoutePatch {
                    name: body.name,
                    enabled: body.enabled,
                },
                &who.user_name,
            )
            .await
            .map_err(name_error)
    })
    .await?;
    Ok(Json(route(&cp, &row)))
}

/// `DELETE /admin/routes/{id}`: the route and its members.
#[utoipa::path(
    delete,
    path = "/admin/routes/{id}",
    operation_id = "delete_route",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The route's id"),
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
    let id = id(&raw, "route")?;
    applied(&state, async {
        state
            .store
            .delete_route(id, &who.user_name)
            .await
            .map_err(store_error)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/routes/{id}/members`.
#[utoipa::path(
    get,
    path = "/admin/routes/{id}/members",
    operation_id = "list_route_members",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The route's id"),
    ),
    responses(
        (status = 200, description = "The route's members (one page)", body = Page<Member>),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn members(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Page<Member>>, ApiError> {
    let r = find(&state, &raw).await?;
    Ok(Json(Page {
        data: r.members,
        next_cursor: None,
    }))
}

/// `POST /admin/routes/{id}/members`.
#[utoipa::path(
    post,
    path = "/admin/routes/{id}/members",
    operation_id = "add_route_member",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The route's id"),
    ),
    request_body = CreateMember,
    responses(
        (status = 201, description = "Created", body = Member),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn add_member(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<CreateMember>, JsonRejection>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    let route_id = id(&raw, "route")?;
    let body = json_body(body)?;
    check_member(Some(body.tier), Some(body.weight), Some(&body.model_id))?;
    let (row, cp) = applied(&state, async {
        let provider_id = provider_id(&control_plane(&state).await?, &body.provider)?;
        state
            .store
            .create_route_member(
                route_id,
                &NewRouteMember {
                    provider_id,
                    model_id: body.model_id,
                    tier: body.tier,
                    weight: body.weight,
                },
                &who.user_name,
            )
            .await
            .map_err(store_error)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(member(&cp, &row))))
}

/// `PATCH /admin/routes/{id}/members/{member_id}`.
#[utoipa::path(
    patch,
    path = "/admin/routes/{id}/members/{member_id}",
    operation_id = "update_route_member",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The route's id"),
        ("member_id" = String, Path, description = "The member's id"),
    ),
    request_body = PatchMember,
    responses(
        (status = 200, description = "The member as changed", body = Member),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn patch_member(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path((raw, raw_member)): Path<(String, String)>,
    body: Result<Json<PatchMember>, JsonRejection>,
) -> Result<Json<Member>, ApiError> {
    let route_id = id(&raw, "route")?;
    let member_id = id(&raw_member, "member")?;
    let body = json_body(body)?;
    check_member(body.tier, body.weight, body.model_id.as_deref())?;
    let (row, cp) = applied(&state, async {
        let provider_id = match &body.provider {
            Some(name) => Some(provider_id(&control_plane(&state).await?, name)?),
            None => None,
        };
        state
            .store
            .update_route_member(
                route_id,
                member_id,
                &RouteMemberPatch {
                    provider_id,
                    model_id: body.model_id,
                    tier: body.tier,
                    weight: body.weight,
                },
                &who.user_name,
            )
            .await
            .map_err(store_error)
    })
    .await?;
    Ok(Json(member(&cp, &row)))
}

/// `DELETE /admin/routes/{id}/members/{member_id}`.
#[utoipa::path(
    delete,
    path = "/admin/routes/{id}/members/{member_id}",
    operation_id = "delete_route_member",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The route's id"),
        ("member_id" = String, Path, description = "The member's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn delete_member(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path((raw, raw_member)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let route_id = id(&raw, "route")?;
    let member_id = id(&raw_member, "member")?;
    applied(&state, async {
        state
            .store
            .delete_route_member(route_id, member_id, &who.user_name)
            .await
            .map_err(store_error)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
