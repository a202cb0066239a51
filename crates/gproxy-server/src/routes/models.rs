//! Model listing. The shape follows the caller's protocol: Anthropic headers get the
//! Anthropic shape, a Gemini key (`x-goog-api-key`, `?key=`) or a `v1beta` path the Gemini
//! shape, anything else OpenAI's. A provider-scoped list whose channel speaks that protocol
//! is forwarded upstream; otherwise the list is the configured models the caller may use
//! (unscoped ids are `provider/model`, aliases by name).

use crate::auth;
use crate::error::{ApiError, Surface};
use crate::proxy::records::CallContext;
use crate::proxy::relay::RelayPlan;
use crate::proxy::{self, PathParams, UpstreamTarget};
use crate::snapshot::{ModelEntry, ModelVisibility, Principal, Snapshot};
use crate::state::AppState;
use axum::Json;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gproxy_channels::path;
use gproxy_protocol::{Endpoint, Operation, Protocol};
use serde_json::{Value, json};
use std::sync::Arc;

/// What a models route is.
#[derive(Clone, Copy, Debug)]
pub struct ModelsSpec {
    /// `/{provider}/...`.
    pub scoped: bool,
    /// A `v1beta` path: always Gemini.
    pub gemini_only: bool,
    /// `GET .../models/{id}` rather than the list.
    pub get: bool,
}

/// The protocol whose shape the caller expects.
fn caller_protocol(spec: ModelsSpec, headers: &HeaderMap, query: Option<&str>) -> Protocol {
    if spec.gemini_only || headers.contains_key("x-goog-api-key") {
        return Protocol::Gemini;
    }
    if headers.contains_key("anthropic-version") {
        return Protocol::Anthropic;
    }
    let has_query_key =
        query.is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "key"));
    if has_query_key {
        Protocol::Gemini
    } else {
        Protocol::OpenAi
    }
}

pub async fn handle(
    state: AppState,
    spec: ModelsSpec,
    params: PathParams,
    req: Request,
) -> Response {
    let protocol = caller_protocol(spec, req.headers(), req.uri().query());
    let mut ctx = CallContext::new(&req, proxy::downstream_log(&state));
    let response = match run(&state, &mut ctx, spec, protocol, params, req).await {
        Ok(resp) => resp,
        Err(err) => proxy::error_response(&ctx, err, Surface::Protocol(protocol)),
    };
    proxy::finish(ctx, response, Some(protocol)).await
}

async fn run(
    state: &AppState,
    ctx: &mut CallContext,
    spec: ModelsSpec,
    protocol: Protocol,
    params: PathParams,
    req: Request,
) -> Result<Response, ApiError> {
    let snap = state.snapshot();
    let (parts, _body) = req.into_parts();
    let principal = auth::authenticate(&snap, &parts.headers, parts.uri.query())?;
    ctx.principal = Some(principal.clone());
    params.check()?;
    let op = if spec.get {
        Operation::ModelsGet
    } else {
        Operation::ModelsList
    };

    let id = params.id.as_deref();
    if spec.scoped {
        let name = params.provider.as_deref().unwrap_or_default();
        let provider = snap
            .provider(name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("unknown provider `{name}`")))?;
        if provider.kind.protocol() == protocol {
            let endpoint = Endpoint::new(protocol, op);
            let model = id.map(|m| m.strip_prefix("models/").unwrap_or(m));
            let mut plan = RelayPlan::default();
            match model {
                // A lookup names one model: the caller must be allowed to use it.
                Some(model) => {
                    path::check_model_id(model)
                        .map_err(|e| ApiError::bad_request(e.to_string()))?;
                    if !snap.permits(principal.user_id, &provider, model, None) {
                        return Err(ApiError::forbidden(format!(
                            "user `{}` may not use model `{model}` on provider `{}`",
                            principal.user_name, provider.name
                        )));
                    }
                }
                // A list shows only what the caller may use.
                None if !snap.permits_all(principal.user_id, &provider) => {
                    plan.visible_models = Some(ModelVisibility {
                        snapshot: Arc::clone(&snap),
                        user_id: principal.user_id,
                        provider: Arc::clone(&provider),
                    });
                }
                None => {}
            }
            let target = UpstreamTarget {
                provider: &provider,
                endpoint,
                model,
                gemini_version: if spec.gemini_only { "v1beta" } else { "v1" },
                query: None,
            };
            return proxy::forward_and_respond(state, ctx, target, &parts, Bytes::new(), plan)
                .await;
        }
        let entries = visible(&snap, &principal, Some(name));
        return local(protocol, &entries, id, false);
    }
    // Unscoped: `models/{provider}/{model}` or `models/{alias or provider/model}`.
    let wanted = match (params.provider.as_deref(), id) {
        (Some(p), Some(m)) => Some(format!("{p}/{m}")),
        (None, Some(m)) => Some(m.strip_prefix("models/").unwrap_or(m).to_owned()),
        _ => None,
    };
    let entries = visible(&snap, &principal, None);
    local(protocol, &entries, wanted.as_deref(), true)
}

/// Configured models the principal may use, optionally on one provider.
fn visible<'a>(snap: &'a Snapshot, who: &Principal, provider: Option<&str>) -> Vec<&'a ModelEntry> {
    snap.models()
        .iter()
        .filter(|m| provider.is_none_or(|p| p == m.provider))
        .filter(|m| {
            snap.provider(&m.provider)
                .is_some_and(|p| snap.permits(who.user_id, p, &m.model_id, m.alias.as_deref()))
        })
        .collect()
}

fn entry_id(m: &ModelEntry, prefixed: bool) -> String {
    match (&m.alias, prefixed) {
        (Some(alias), _) => alias.clone(),
        (None, true) => format!("{}/{}", m.provider, m.model_id),
        (None, false) => m.model_id.clone(),
    }
}

/// A list (or one model when `wanted` is set) in `protocol`'s shape.
fn local(
    protocol: Protocol,
    entries: &[&ModelEntry],
    wanted: Option<&str>,
    prefixed: bool,
) -> Result<Response, ApiError> {
    let objects: Vec<Value> = entries
        .iter()
        .filter(|m| wanted.is_none_or(|w| entry_id(m, prefixed) == w))
        .map(|m| model_object(protocol, &entry_id(m, prefixed), m))
        .collect();
    if let Some(w) = wanted {
        let one = objects
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found(format!("unknown model `{w}`")))?;
        return Ok(Json(one).into_response());
    }
    let body = match protocol {
        Protocol::OpenAi => json!({ "object": "list", "data": objects }),
        Protocol::Anthropic => json!({
            "data": objects,
            "has_more": false,
            "first_id": objects.first().map(|o| o["id"].clone()),
            "last_id": objects.last().map(|o| o["id"].clone()),
        }),
        Protocol::Gemini => json!({ "models": objects }),
    };
    Ok(Json(body).into_response())
}

fn model_object(protocol: Protocol, id: &str, m: &ModelEntry) -> Value {
    let display = m.display_name.clone().unwrap_or_else(|| id.to_owned());
    match protocol {
        Protocol::OpenAi => {
            json!({ "id": id, "object": "model", "created": 0, "owned_by": m.provider })
        }
        Protocol::Anthropic => json!({
            "type": "model",
            "id": id,
            "display_name": display,
            "created_at": "1970-01-01T00:00:00Z",
        }),
        Protocol::Gemini => json!({
            "name": format!("models/{id}"),
            "displayName": display,
            "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens", "embedContent"],
        }),
    }
}
