//! Models and their prices in the admin API (DESIGN.md §9): `/admin/providers/{id}/models`,
//! `/admin/models` (every provider's, filter `provider`) and `/admin/models/{id}`. Prices
//! are exact decimal strings of USD per million tokens (and per call); `null` clears one.
//! A model without prices of its own is priced from the bundled table when it has an entry.

use super::limit_writes::{amount, clearable};
use super::providers;
use super::write::{Plan, check_text, commit, conflict, find, provider_filter, provider_name};
use super::{Admin, Page, control_plane, id, json_body, page_rows, query};
use crate::billing::Money;
use crate::billing::price::{CACHE_READ, CACHE_WRITE, EACH_CALL, INPUT, OUTPUT};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gproxy_storage::change::{RowChange, RowValues, Table};
use gproxy_storage::model::{ControlPlane, ModelRow};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The price fields, in the order the API shows them.
const PRICES: [&str; 5] = [INPUT, OUTPUT, CACHE_READ, CACHE_WRITE, EACH_CALL];

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    /// The provider's name (`/admin/models` only).
    provider: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateModel {
    model_id: String,
    display_name: Option<String>,
    #[serde(default = "super::write::yes")]
    enabled: bool,
    #[schema(value_type = Option<String>)]
    price_input_per_mtok: Option<Value>,
    #[schema(value_type = Option<String>)]
    price_output_per_mtok: Option<Value>,
    #[schema(value_type = Option<String>)]
    price_cache_read_per_mtok: Option<Value>,
    #[schema(value_type = Option<String>)]
    price_cache_write_per_mtok: Option<Value>,
    #[schema(value_type = Option<String>)]
    price_each_call: Option<Value>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchModel {
    model_id: Option<String>,
    #[serde(default, deserialize_with = "clearable")]
    display_name: Option<Option<String>>,
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "clearable")]
    #[schema(value_type = Option<String>)]
    price_input_per_mtok: Option<Option<Value>>,
    #[serde(default, deserialize_with = "clearable")]
    #[schema(value_type = Option<String>)]
    price_output_per_mtok: Option<Option<Value>>,
    #[serde(default, deserialize_with = "clearable")]
    #[schema(value_type = Option<String>)]
    price_cache_read_per_mtok: Option<Option<Value>>,
    #[serde(default, deserialize_with = "clearable")]
    #[schema(value_type = Option<String>)]
    price_cache_write_per_mtok: Option<Option<Value>>,
    #[serde(default, deserialize_with = "clearable")]
    #[schema(value_type = Option<String>)]
    price_each_call: Option<Option<Value>>,
}

/// A model as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelView {
    id: String,
    provider_id: String,
    provider: String,
    model_id: String,
    display_name: Option<String>,
    enabled: bool,
    price_input_per_mtok: Option<String>,
    price_output_per_mtok: Option<String>,
    price_cache_read_per_mtok: Option<String>,
    price_cache_write_per_mtok: Option<String>,
    price_each_call: Option<String>,
}

/// The stored pricing object's fields as exact decimal strings.
fn prices(pricing: &Map<String, Value>) -> [Option<String>; 5] {
    PRICES.map(|f| {
        pricing
            .get(f)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Money>().ok())
            .map(|m| m.to_string())
    })
}

fn shown(cp: &ControlPlane, m: &ModelRow) -> ModelView {
    let pricing: Map<String, Value> = serde_json::from_str(&m.pricing).unwrap_or_default();
    let [input, output, cache_read, cache_write, each_call] = prices(&pricing);
    ModelView {
        id: m.id.to_string(),
        provider_id: m.provider_id.to_string(),
        provider: provider_name(cp, m.provider_id),
        model_id: m.model_id.clone(),
        display_name: m.display_name.clone(),
        enabled: m.enabled,
        price_input_per_mtok: input,
        price_output_per_mtok: output,
        price_cache_read_per_mtok: cache_read,
        price_cache_write_per_mtok: cache_write,
        price_each_call: each_call,
    }
}

/// Sets (`Some(Some)`) or clears (`Some(None)`) price `field` in `pricing`; 400 naming it
/// when the value is not an amount.
fn set_price(
    pricing: &mut Map<String, Value>,
    field: &str,
    value: Option<Option<&Value>>,
) -> Result<(), ApiError> {
    match value {
        None => {}
        Some(None) | Some(Some(Value::Null)) => {
            pricing.remove(field);
        }
        Some(Some(v)) => {
            let nanos = amount(field, v)?;
            pricing.insert(
                field.to_owned(),
                Value::String(Money::from_nanos(nanos).to_string()),
            );
        }
    }
    Ok(())
}

fn check_model_id(model_id: &str) -> Result<(), ApiError> {
    check_text("model_id", model_id, 256)
}

fn check_display(name: Option<&str>) -> Result<(), ApiError> {
    name.map_or(Ok(()), |n| check_text("display_name", n, 256))
}

fn row(cp: &ControlPlane, id: i64) -> Result<&ModelRow, ApiError> {
    find(&cp.models, id, |m| m.id, "model")
}

/// 409 naming `model_id` when the provider has that model in another row.
fn unique(
    cp: &ControlPlane,
    provider_id: i64,
    model_id: &str,
    except: i64,
) -> Result<(), ApiError> {
    if cp
        .models
        .iter()
        .any(|m| m.provider_id == provider_id && m.model_id == model_id && m.id != except)
    {
        return Err(conflict(
            format!("the provider already has model `{model_id}`"),
            "model_id",
        ));
    }
    Ok(())
}

/// `GET /admin/providers/{id}/models`.
#[utoipa::path(
    get,
    path = "/admin/providers/{id}/models",
    operation_id = "list_provider_models",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The provider's id"),
        ListQuery,
    ),
    responses(
        (status = 200, description = "The provider's models", body = Page<ModelView>),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn list_of(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<ModelView>>, ApiError> {
    let provider_id = id(&raw, "provider")?;
    let q = query(q)?;
    let cp = control_plane(&state).await?;
    providers::row(&cp, provider_id)?;
    let rows = cp.models.iter().filter(|m| m.provider_id == provider_id);
    Ok(Json(page_rows(
        rows,
        |m| m.id,
        q.limit,
        q.cursor.as_deref(),
        |m| shown(&cp, m),
    )?))
}

/// `GET /admin/models`: every provider's, filter `provider` (name).
#[utoipa::path(
    get,
    path = "/admin/models",
    operation_id = "list_models",
    tag = "admin",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "Every provider's models", body = Page<ModelView>),
        openapi::BadRequest,
        openapi::AdminOnly,
    )
)]
pub async fn list(
    _: Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<ModelView>>, ApiError> {
    let q = query(q)?;
    let cp = control_plane(&state).await?;
    let provider = provider_filter(&cp, q.provider.as_ref());
    let rows = cp
        .models
        .iter()
        .filter(|m| provider.is_none_or(|p| p == Some(m.provider_id)));
    Ok(Json(page_rows(
        rows,
        |m| m.id,
        q.limit,
        q.cursor.as_deref(),
        |m| shown(&cp, m),
    )?))
}

/// `POST /admin/providers/{id}/models`.
#[utoipa::path(
    post,
    path = "/admin/providers/{id}/models",
    operation_id = "create_model",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The provider's id"),
    ),
    request_body = CreateModel,
    responses(
        (status = 201, description = "Created", body = ModelView),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::NotFound,
        openapi::Conflict,
    )
)]
pub async fn create(
    Admin(who): Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<CreateModel>, JsonRejection>,
) -> Result<(StatusCode, Json<ModelView>), ApiError> {
    let provider_id = id(&raw, "provider")?;
    let body = json_body(body)?;
    check_model_id(&body.model_id)?;
    check_display(body.display_name.as_deref())?;
    let mut pricing = Map::new();
    let given = [
        &body.price_input_per_mtok,
        &body.price_output_per_mtok,
        &body.price_cache_read_per_mtok,
        &body.price_cache_write_per_mtok,
        &body.price_each_call,
    ];
    for (field, v) in PRICES.iter().zip(given) {
        set_price(&mut pricing, field, v.as_ref().map(Some))?;
    }
    let (ids, cp) = commit(&state, |cp| {
        providers::row(cp, provider_id)?;
        unique(cp, provider_id, &body.model_id, 0)?;
        let new = ModelRow {
            id: 0,
            provider_id,
            model_id: body.model_id.clone(),
            display_name: body.display_name.clone(),
            enabled: body.enabled,
            pricing: Value::Object(pricing.clone()).to_string(),
            created_at: 0,
        };
        Ok(Plan::new(&who.user_name, "create", "models", None)
            .after(&shown(cp, &new))
            .with(RowChange::Insert(RowValues::Model {
                provider_id,
                model_id: new.model_id,
                display_name: new.display_name,
                enabled: new.enabled,
                pricing: Value::Object(pricing.clone()),
            })))
    })
    .await?;
    let id = ids.first().copied().unwrap_or_default();
    Ok((StatusCode::CREATED, Json(shown(&cp, row(&cp, id)?))))
}

/// `GET /admin/models/{id}`.
#[utoipa::path(
    get,
    path = "/admin/models/{id}",
    operation_id = "get_model",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The model's id"),
    ),
    responses(
        (status = 200, description = "The model", body = ModelView),
        openapi::AdminOnly,
        openapi::NotFound,
    )
)]
pub async fn get(
    _: Admin,
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<ModelView>, ApiError> {
    let id = id(&raw, "model")?;
    let cp = control_plane(&state).await?;
    Ok(Json(shown(&cp, row(&cp, id)?)))
}

/// `PATCH /admin/models/{id}`.
#[utoipa::path(
    patch,
    path = "/admin/models/{id}",
    operation_id = "update_model",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The model's id"),
    ),
    request_body = PatchModel,
    responses(
        (status = 200, description = "The model as changed", body = ModelView),
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
    body: Result<Json<PatchModel>, JsonRejection>,
) -> Result<Json<ModelView>, ApiError> {
    let id = id(&raw, "model")?;
    let body = json_body(body)?;
    if let Some(m) = &body.model_id {
        check_model_id(m)?;
    }
    check_display(body.display_name.as_ref().and_then(Option::as_deref))?;
    let given = [
        &body.price_input_per_mtok,
        &body.price_output_per_mtok,
        &body.price_cache_read_per_mtok,
        &body.price_cache_write_per_mtok,
        &body.price_each_call,
    ];
    // Checked before the write (the stored object is only known under the writer).
    for (field, v) in PRICES.iter().zip(given) {
        set_price(&mut Map::new(), field, v.as_ref().map(Option::as_ref))?;
    }
    let (_, cp) = commit(&state, |cp| {
        let old = row(cp, id)?;
        let mut pricing: Map<String, Value> =
            serde_json::from_str(&old.pricing).unwrap_or_default();
        for (field, v) in PRICES.iter().zip(given) {
            set_price(&mut pricing, field, v.as_ref().map(Option::as_ref))?;
        }
        let model_id = body
            .model_id
            .clone()
            .unwrap_or_else(|| old.model_id.clone());
        unique(cp, old.provider_id, &model_id, id)?;
        let new = ModelRow {
            model_id,
            display_name: body
                .display_name
                .clone()
                .unwrap_or_else(|| old.display_name.clone()),
            enabled: body.enabled.unwrap_or(old.enabled),
            pricing: Value::Object(pricing.clone()).to_string(),
            ..old.clone()
        };
        Ok(Plan::new(&who.user_name, "update", "models", Some(id))
            .before(&shown(cp, old))
            .after(&shown(cp, &new))
            .with(RowChange::Update(
                id,
                RowValues::Model {
                    provider_id: new.provider_id,
                    model_id: new.model_id,
                    display_name: new.display_name,
                    enabled: new.enabled,
                    pricing: Value::Object(pricing),
                },
            )))
    })
    .await?;
    Ok(Json(shown(&cp, row(&cp, id)?)))
}

/// `DELETE /admin/models/{id}`.
#[utoipa::path(
    delete,
    path = "/admin/models/{id}",
    operation_id = "delete_model",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The model's id"),
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
    let id = id(&raw, "model")?;
    commit(&state, |cp| {
        let old = row(cp, id)?;
        Ok(Plan::new(&who.user_name, "delete", "models", Some(id))
            .before(&shown(cp, old))
            .with(RowChange::Delete(Table::Model, id)))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
