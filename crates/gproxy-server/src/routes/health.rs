//! `GET /healthz` (the process answers) and `GET /readyz`: `ready` when the database
//! answers and takes records, `degraded` (still 200: the gateway serves from its snapshot
//! and spills records) while it does not or spilled records wait to be replayed.

use crate::routes::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "The process answers", body = openapi::Liveness),
    )
)]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Ready, or degraded (still 200)", body = openapi::Readiness),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // A database that hangs (a full pool waiting to connect) must not hang the probe.
    let ping = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping())
        .await
        .unwrap_or_else(|_| Err(gproxy_storage::StoreError::Db("no answer in 2 s".into())));
    let queue = state.queue.status();
    if let Err(err) = &ping {
        tracing::warn!(error = %err, "readiness check: database unreachable");
    }
    let status = if ping.is_ok() && !queue.degraded() {
        "ready"
    } else {
        "degraded"
    };
    (
        StatusCode::OK,
        Json(json!({
            "status": status,
            "database": if ping.is_ok() { "ok" } else { "unreachable" },
            "spilled_records": queue.spilled(),
        })),
    )
}
