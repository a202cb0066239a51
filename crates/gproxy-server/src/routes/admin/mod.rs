//! The admin API (DESIGN.md §9): `/admin/...`, for admin users' keys (`Authorization:
//! Bearer` or `x-api-key`). Errors are `{"error": "..."}` (with `field` when one field is at
//! fault); collections are `{"data": [...], "next_cursor": ...}` with `limit` (default 50,
//! at most 500) and an opaque `cursor`.

pub(super) mod aliases;
pub(super) mod audit;
pub mod config_io;
pub(super) mod credentials;
pub(super) mod health;
pub(crate) mod keys;
pub(super) mod limit_writes;
pub(super) mod limits;
pub(super) mod logs;
pub(super) mod models;
pub(super) mod permissions;
pub(super) mod probe;
pub(super) mod providers;
pub(super) mod routes;
pub(crate) mod settings;
pub(crate) mod users;
pub(crate) mod write;

use crate::auth;
use crate::error::ApiError;
use crate::snapshot::Principal;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Query};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::routing::{get, patch, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/providers",
            get(providers::list).post(providers::create),
        )
        .route(
            "/admin/providers/{id}",
            get(providers::get)
                .patch(providers::patch)
                .delete(providers::delete),
        )
        .route(
            "/admin/providers/{id}/credentials",
            get(credentials::list).post(credentials::create),
        )
        .route(
            "/admin/credentials/{id}",
            get(credentials::get)
                .patch(credentials::patch)
                .delete(credentials::delete),
        )
        .route(
            "/admin/providers/{id}/models",
            get(models::list_of).post(models::create),
        )
        .route("/admin/models", get(models::list))
        .route(
            "/admin/models/{id}",
            get(models::get).patch(models::patch).delete(models::delete),
        )
        .route("/admin/aliases", get(aliases::list).post(aliases::create))
        .route(
            "/admin/aliases/{id}",
            get(aliases::get)
                .patch(aliases::patch)
                .delete(aliases::delete),
        )
        .route("/admin/users", get(users::list).post(users::create))
        .route(
            "/admin/users/{id}",
            get(users::get).patch(users::patch).delete(users::delete),
        )
        .route(
            "/admin/users/{id}/keys",
            get(keys::admin_list).post(keys::admin_create),
        )
        .route(
            "/admin/keys/{id}",
            get(keys::admin_get)
                .patch(keys::admin_patch)
                .delete(keys::admin_delete),
        )
        .route(
            "/admin/permissions",
            get(permissions::list).post(permissions::create),
        )
        .route(
            "/admin/permissions/{id}",
            get(permissions::get)
                .patch(permissions::patch)
                .delete(permissions::delete),
        )
        .route("/admin/audit", get(audit::list))
        .route("/admin/settings", get(settings::get).patch(settings::patch))
        .route("/admin/config/export", get(config_io::export))
        .route("/admin/config/import", post(config_io::import))
        .route("/admin/logs", get(logs::list))
        .route("/admin/logs/{request_id}", get(logs::get))
        .route("/admin/credential-statuses", get(health::list))
        .route("/admin/credentials/{id}/reset", post(health::reset))
        .route("/admin/credentials/{id}/test", post(probe::test))
        .route(
            "/admin/rate-limits",
            get(limits::rate_limits).post(limit_writes::create_rate_limit),
        )
        .route(
            "/admin/rate-limits/{id}",
            get(limit_writes::get_rate_limit)
                .patch(limit_writes::patch_rate_limit)
                .delete(limit_writes::delete_rate_limit),
        )
        .route(
            "/admin/quotas",
            get(limits::quotas).post(limit_writes::create_quota),
        )
        .route(
            "/admin/quotas/{id}",
            get(limit_writes::get_quota)
                .patch(limit_writes::patch_quota)
                .delete(limit_writes::delete_quota),
        )
        .route("/admin/quotas/{id}/reset", post(limit_writes::reset_quota))
        .route("/admin/routes", get(routes::list).post(routes::create))
        .route(
            "/admin/routes/{id}",
            get(routes::get).patch(routes::patch).delete(routes::delete),
        )
        .route(
            "/admin/routes/{id}/members",
            get(routes::members).post(routes::add_member),
        )
        .route(
            "/admin/routes/{id}/members/{member_id}",
            patch(routes::patch_member).delete(routes::delete_member),
        )
}

/// An authenticated admin: 401 without a valid key, 403 for a user who is not an admin.
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = caller(parts, state)?;
        if !principal.is_admin {
            return Err(ApiError::forbidden(format!(
                "user `{}` is not an administrator",
                principal.user_name
            )));
        }
        Ok(Admin(principal))
    }
}

/// The caller of the admin or user API: by the key in `Authorization: Bearer` or
/// `x-api-key`, else by the console session cookie; 401 without either, or when the key is
/// refused or the session is over.
pub(crate) fn caller(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let headers = admin_headers(&parts.headers);
    let snap = state.snapshot();
    if auth::extract_key(&headers, None).is_none() {
        match state.sessions.principal(&snap, &parts.headers) {
            Some(Some(p)) => return Ok(p),
            Some(None) => {
                return Err(ApiError::unauthorized("the session is over: log in again"));
            }
            None => {}
        }
    }
    auth::authenticate(&snap, &headers, None)
}

/// Only the headers the admin API takes its key from (not Gemini's header, not `?key=`).
pub(crate) fn admin_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in ["authorization", "x-api-key"] {
        if let Some(v) = headers.get(name) {
            out.insert(name, v.clone());
        }
    }
    out
}

/// A page of a collection: `{"data": [...], "next_cursor": ...}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of at most `limit` of `rows` (fetched with one more, to know whether more
    /// follow), the next cursor being the last shown row's `cursor` (its id, or a
    /// [`TimeCursor`] in a time-ordered listing).
    pub fn of<R, C: std::fmt::Display>(
        mut rows: Vec<R>,
        limit: usize,
        cursor: impl Fn(&R) -> C,
        show: impl Fn(&R) -> T,
    ) -> Page<T> {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = more
            .then(|| rows.last().map(|r| cursor(r).to_string()))
            .flatten();
        Page {
            data: rows.iter().map(show).collect(),
            next_cursor,
        }
    }
}

/// Where a time-ordered listing (usage, request logs) continues: the last row shown, as
/// `<created_at ms>_<id>` in `next_cursor`; opaque to clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeCursor(pub gproxy_storage::model::TimeCursor);

impl TimeCursor {
    pub fn at(created_at: i64, id: i64) -> TimeCursor {
        TimeCursor(gproxy_storage::model::TimeCursor { created_at, id })
    }

    /// The `cursor` query parameter of a time-ordered listing; 400 naming it when it is not
    /// one that listing gave out.
    pub fn parse(raw: Option<&str>) -> Result<Option<gproxy_storage::model::TimeCursor>, ApiError> {
        let Some(raw) = raw else { return Ok(None) };
        raw.split_once('_')
            .and_then(|(t, id)| Some(TimeCursor::at(t.parse().ok()?, id.parse().ok()?).0))
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "cursor `{raw}` is not a next_cursor this listing gave out"
                ))
                .with_field("cursor")
            })
    }
}

impl std::fmt::Display for TimeCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.0.created_at, self.0.id)
    }
}

/// The control plane as stored now (what the admin API lists and shows).
pub async fn control_plane(
    state: &AppState,
) -> Result<gproxy_storage::model::ControlPlane, ApiError> {
    state.store.load().await.map_err(store_error)
}

/// A page of control-plane rows in id order: those after the `cursor`'s id, at most
/// `limit` (default 50) of them.
pub fn page_rows<'a, R: 'a, T>(
    rows: impl IntoIterator<Item = &'a R>,
    id: impl Fn(&R) -> i64,
    limit: Option<u32>,
    cursor: Option<&str>,
    show: impl Fn(&R) -> T,
) -> Result<Page<T>, ApiError> {
    let limit = page_limit(limit)?;
    let after = page_after(cursor)?;
    let mut rows: Vec<&R> = rows.into_iter().filter(|r| id(r) > after).collect();
    rows.sort_by_key(|r| id(r));
    rows.truncate(limit + 1);
    Ok(Page::of(rows, limit, |r| id(r), |r| show(r)))
}

/// An id from the path; ids are opaque, so anything that is not one is unknown (404).
pub fn id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no {what} `{raw}`")))
}

/// An id given as a query parameter `field`; 400 naming it when it is not one.
pub fn query_id(field: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|r| {
        r.parse().map_err(|_| {
            ApiError::bad_request(format!("{field} `{r}` is not an id")).with_field(field)
        })
    })
    .transpose()
}

/// An HTTP status filter; 400 naming `status` for anything but 100..=599.
pub fn status(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| {
            ApiError::bad_request(format!("status `{raw}` is not an HTTP status"))
                .with_field("status")
        })
}

/// A collection's page size from its `limit` parameter; 400 naming `limit` outside 1..=500.
pub fn page_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=500) => Ok(n as usize),
        Some(_) => {
            Err(ApiError::bad_request("limit must be between 1 and 500").with_field("limit"))
        }
    }
}

/// Where a page starts: after the id its `cursor` names (the first page without one).
pub fn page_after(cursor: Option<&str>) -> Result<i64, ApiError> {
    match cursor {
        None => Ok(i64::MIN),
        Some(c) => c.parse().map_err(|_| {
            ApiError::bad_request("cursor is not one this API gave").with_field("cursor")
        }),
    }
}

/// Runs an admin write as the one writer, then rebuilds and swaps the snapshot, so the
/// change applies to traffic at once and an older snapshot never replaces a newer one.
/// Returns the write's result and the rows the new snapshot was built from.
pub async fn applied<T>(
    state: &AppState,
    write: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<(T, gproxy_storage::model::ControlPlane), ApiError> {
    let _writer = state.writer.lock().await;
    let out = write.await?;
    let cp = state.reload().await.map_err(reload_error)?;
    Ok((out, cp))
}

/// A JSON body decoded into `T`: malformed JSON, a missing or mistyped field, or an unknown
/// one is a 400 (naming the field when serde does).
pub fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(t)| t)
        .map_err(|e| invalid_body(&e.body_text()))
}

/// A body that did not decode: 400 with the decoder's message, naming the field when it
/// names one.
pub fn invalid_body(text: &str) -> ApiError {
    let field = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| text.split_once(p))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name.to_owned());
    let err = ApiError::bad_request(format!("invalid body: {text}"));
    match field {
        Some(f) => err.with_field(f),
        None => err,
    }
}

/// A store refusal in the admin API's terms: 404 unknown row, 409 duplicate name; anything
/// else is the gateway's failure (logged, not shown).
pub fn store_error(e: gproxy_storage::StoreError) -> ApiError {
    match e {
        gproxy_storage::StoreError::NotFound(m) => ApiError::not_found(m),
        gproxy_storage::StoreError::Conflict(m) => ApiError::new(
            axum::http::StatusCode::CONFLICT,
            gproxy_protocol::ErrorKind::InvalidRequest,
            m,
        ),
        other => {
            tracing::error!(error = %other, "admin write failed");
            ApiError::internal("the database refused the change")
        }
    }
}

/// A store refusal of a write's values: the store's own checks (the handlers check first,
/// naming the field; this is the backstop) are the caller's 400; the rest as
/// [`store_error`].
pub fn write_error(e: gproxy_storage::StoreError) -> ApiError {
    match e {
        gproxy_storage::StoreError::Invalid(m) => ApiError::bad_request(m),
        other => store_error(other),
    }
}

/// The snapshot could not be rebuilt after a write (the write stands; traffic keeps the
/// previous snapshot until the next successful rebuild).
pub fn reload_error(e: crate::state::LoadError) -> ApiError {
    tracing::error!(error = %e, "rebuilding the snapshot after an admin write failed");
    ApiError::internal("the change is stored but could not be applied; see the gateway's log")
}

/// A query string decoded into `T`: unknown or malformed parameters are a 400.
pub fn query<T: serde::de::DeserializeOwned>(
    q: Result<Query<T>, QueryRejection>,
) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError::bad_request(format!("invalid query: {}", e.body_text())))
}
