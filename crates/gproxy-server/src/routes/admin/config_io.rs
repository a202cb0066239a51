//! `GET /admin/config/export` and `POST /admin/config/import` (DESIGN.md §9): the control
//! plane as a seed-format TOML bundle (secrets included: the export is meant to move a
//! gateway), and such a bundle upserted by name into the running gateway. The seed format
//! belongs to the binary, which lends it through [`SeedFormat`]; an import is one
//! transaction, audited, and applies to traffic at once.

use super::{Admin, applied, control_plane, store_error};
use crate::error::ApiError;
use crate::routes::openapi;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gproxy_storage::model::{AuditRecord, ControlPlane, Seed};
use serde_json::json;

/// Largest bundle accepted.
const MAX_BUNDLE_BYTES: usize = 16 * 1024 * 1024;

/// The seed format, as the binary reads and writes it.
pub trait SeedFormat: Send + Sync + 'static {
    /// The control plane as a bundle.
    fn export(&self, cp: &ControlPlane) -> Result<String, String>;
    /// A bundle read and validated; the message names the first problem and its line.
    fn import(&self, text: &str) -> Result<Seed, String>;
}

fn format(state: &AppState) -> Result<&dyn SeedFormat, ApiError> {
    state
        .seed_format
        .get()
        .map(|f| &**f)
        .ok_or_else(|| ApiError::not_implemented("this gateway was built without the seed format"))
}

/// `GET /admin/config/export`: `application/toml`.
#[utoipa::path(
    get,
    path = "/admin/config/export",
    operation_id = "export_config",
    tag = "admin",
    responses(
        (status = 200, description = "The control plane as a seed-format TOML bundle, secrets included", body = String, content_type = "application/toml"),
        openapi::AdminOnly,
    )
)]
pub async fn export(_: Admin, State(state): State<AppState>) -> Result<Response, ApiError> {
    let cp = control_plane(&state).await?;
    let text = format(&state)?.export(&cp).map_err(|e| {
        tracing::error!(error = %e, "exporting the control plane failed");
        ApiError::internal("could not export the configuration")
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/toml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}

/// `POST /admin/config/import`: a bundle (the body, TOML) upserted by name; 400 naming the
/// problem (and its line) with nothing changed.
#[utoipa::path(
    post,
    path = "/admin/config/import",
    operation_id = "import_config",
    tag = "admin",
    request_body(content = String, content_type = "application/toml", description = "A seed-format TOML bundle, upserted by name"),
    responses(
        (status = 200, description = "Imported", body = openapi::ImportResult),
        openapi::BadRequest,
        openapi::AdminOnly,
        openapi::Conflict,
        (status = 413, description = "The bundle is too large", body = openapi::ErrorBody),
    )
)]
pub async fn import(
    Admin(who): Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, axum::Json<serde_json::Value>), ApiError> {
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        && !(ct.starts_with("application/toml") || ct.starts_with("text/"))
    {
        return Err(ApiError::bad_request(
            "send the bundle as the body, with Content-Type application/toml",
        ));
    }
    if body.len() > MAX_BUNDLE_BYTES {
        return Err(ApiError::too_large(MAX_BUNDLE_BYTES));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("the bundle is not UTF-8 text"))?;
    let seed = format(&state)?
        .import(text)
        .map_err(|e| ApiError::bad_request(format!("invalid bundle: {e}")))?;
    let counts = json!({
        "providers": seed.providers.len(),
        "models": seed.models.len(),
        "aliases": seed.aliases.len(),
        "routes": seed.routes.len(),
        "users": seed.users.len(),
        "permissions": seed.permissions.len(),
        "rate_limits": seed.rate_limits.len(),
        "quotas": seed.quotas.len(),
    });
    applied(&state, async {
        state.store.import_seed(&seed).await.map_err(store_error)?;
        let audit = AuditRecord {
            actor: who.user_name.clone(),
            action: "import".into(),
            resource: "config".into(),
            resource_id: None,
            before: None,
            after: Some(counts.clone()),
        };
        if let Err(e) = state.store.write_audit(&audit).await {
            tracing::error!(error = %e, "recording the import in the audit log failed");
        }
        Ok(())
    })
    .await?;
    Ok((StatusCode::OK, axum::Json(json!({ "imported": counts }))))
}
