//! Which provider and upstream model a call goes to: scoped by path, or unscoped by
//! `provider/model`, an alias, or a route (members on several providers).

use crate::error::ApiError;
use crate::snapshot::{Provider, Route, Snapshot};
use std::sync::Arc;

/// Where a call goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub provider: Arc<Provider>,
    /// The upstream model id, when the operation names one.
    pub model: Option<String>,
    /// The name the client used, when it differs from the upstream id (unscoped calls):
    /// responses are rewritten back to it.
    pub client_model: Option<String>,
    /// The alias the client used, if any (permissions may grant it by name).
    pub alias: Option<String>,
    /// The route the client named: its members are tried in order instead of
    /// `provider`/`model` (which name its first member).
    pub route: Option<Arc<Route>>,
}

fn provider(snap: &Snapshot, name: &str) -> Result<Arc<Provider>, ApiError> {
    snap.provider(name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("unknown provider `{name}`")))
}

/// Resolves a call. `scoped` is the provider named by a `/{provider}/...` path; otherwise
/// `model` is `provider/model` or an alias.
pub fn resolve(
    snap: &Snapshot,
    scoped: Option<&str>,
    model: Option<&str>,
) -> Result<Target, ApiError> {
    if let Some(name) = scoped {
        return Ok(Target {
            provider: provider(snap, name)?,
            model: model.map(str::to_owned),
            client_model: None,
            alias: None,
            route: None,
        });
    }
    let model = model.ok_or_else(|| ApiError::bad_request("`model` is required"))?;
    if let Some((provider_name, model_id)) = snap.alias(model) {
        return Ok(Target {
            provider: provider(snap, provider_name)?,
            model: Some(model_id.clone()),
            client_model: Some(model.to_owned()),
            alias: Some(model.to_owned()),
            route: None,
        });
    }
    if let Some(route) = snap.route(model) {
        let first = route
            .tiers
            .first()
            .and_then(|t| t.first())
            .ok_or_else(|| ApiError::not_found(format!("route `{model}` has no members")))?;
        return Ok(Target {
            provider: Arc::clone(&first.provider),
            model: Some(first.model_id.clone()),
            client_model: Some(model.to_owned()),
            alias: Some(model.to_owned()),
            route: Some(Arc::clone(route)),
        });
    }
    match model.split_once('/') {
        Some((name, model_id)) if !model_id.is_empty() => Ok(Target {
            provider: provider(snap, name)?,
            model: Some(model_id.to_owned()),
            client_model: Some(model.to_owned()),
            alias: None,
            route: None,
        }),
        _ => Err(ApiError::not_found(format!(
            "unknown model `{model}`: name it `provider/model` or use a configured alias"
        ))),
    }
}
