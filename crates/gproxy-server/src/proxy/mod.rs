//! The proxy engine. A call goes: [`handle`] → authenticate → read the body (bounded) →
//! peek `model`/`stream` → [`resolve`] provider and model → permission → dispatch →
//! [`forward`] with credential failover → [`relay`] the answer (stream or body) → usage
//! and log records onto the write queue ([`records`]); a stream that ends early has its
//! missing token counts estimated ([`estimate`]).

mod admission;
pub mod estimate;
pub mod forward;
pub mod headers;
pub mod local;
pub mod records;
pub mod relay;
pub mod resolve;
pub mod stream;
pub mod translated;

use crate::auth;
use crate::error::{ApiError, Surface};
use crate::snapshot::Provider;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use gproxy_channels::upstream::{self, UrlError};
use gproxy_channels::{Dispatch, path};
use gproxy_protocol::peek::{force_include_usage, peek_request, replace_top_level_string};
use gproxy_protocol::{Endpoint, Operation, Protocol};
use records::{CallContext, SinkTarget, UsageSink};
use relay::{ModelRewrite, RelayPlan};

/// What a proxy route is, fixed when the router is built.
#[derive(Clone, Copy, Debug)]
pub struct CallSpec {
    pub protocol: Protocol,
    /// `None` on Gemini `models/{model}:{method}` routes, where the method names it.
    pub operation: Option<Operation>,
    /// The route is `/{provider}/...`.
    pub scoped: bool,
    /// The Gemini API version in the path (`v1beta` or `v1`).
    pub gemini_version: &'static str,
}

/// Path parameters a proxy route captures.
#[derive(Clone, Debug, Default)]
pub struct PathParams {
    /// `{provider}`: the scoped provider, or on unscoped Gemini paths the provider segment
    /// of `models/{provider}/{model}`.
    pub provider: Option<String>,
    /// `{id}`: a model id, or Gemini's `{model}:{method}`.
    pub id: Option<String>,
    /// A parameter did not percent-decode to UTF-8.
    pub undecodable: bool,
}

impl PathParams {
    /// 400 for a path whose parameters are not UTF-8 once percent-decoded.
    pub fn check(&self) -> Result<(), ApiError> {
        if self.undecodable {
            return Err(ApiError::bad_request(
                "the path is not valid UTF-8 once percent-decoded",
            ));
        }
        Ok(())
    }
}

/// Serves one proxy call and answers in the caller's protocol, success or not.
pub async fn handle(state: AppState, spec: CallSpec, params: PathParams, req: Request) -> Response {
    let mut ctx = CallContext::new(&req, downstream_log(&state));
    let response = match run(&state, &mut ctx, spec, params, req).await {
        Ok(resp) => resp,
        Err(err) => {
            if state.config().enable_usage
                && let Some(record) = ctx.refusal_record(err.status.as_u16())
            {
                state.queue.push(record).await;
            }
            error_response(&ctx, err, Surface::Protocol(spec.protocol))
        }
    };
    finish(ctx, response, Some(spec.protocol)).await
}

/// Where downstream log entries go, and their masking, when downstream logging is on.
pub(crate) fn downstream_log(state: &AppState) -> Option<records::LogTarget> {
    let config = state.config();
    config.enable_downstream_log.then(|| records::LogTarget {
        queue: state.queue.clone(),
        mask: crate::mask::Masking::new(&config),
    })
}

/// Shapes an error, logging server-side failures once.
pub(crate) fn error_response(ctx: &CallContext, err: ApiError, surface: Surface) -> Response {
    if err.status.is_server_error() {
        tracing::warn!(request_id = %ctx.request_id, status = err.status.as_u16(), message = %err.message, "request failed");
    }
    err.into_response_for(surface)
}

/// Stamps the request id on the response and queues the downstream log record. The
/// gateway's id is always in `x-gproxy-request-id`; the protocol's own request-id header
/// carries it only when the upstream sent none (its id is what its support asks for).
pub(crate) async fn finish(
    mut ctx: CallContext,
    mut response: Response,
    protocol: Option<Protocol>,
) -> Response {
    if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
        let h = response.headers_mut();
        if protocol == Some(Protocol::Anthropic) {
            h.entry("request-id").or_insert_with(|| id.clone());
        }
        h.entry("x-request-id").or_insert_with(|| id.clone());
        h.insert(headers::GPROXY_REQUEST_ID.clone(), id);
    }
    ctx.log_downstream(response.status().as_u16(), response.headers())
        .await;
    response
}

/// Reads the request body, refusing more than `limit` bytes without reading them all.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let too_large = std::error::Error::source(&err)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::too_large(limit)
        } else {
            ApiError::bad_request("the request body could not be read")
        }
    })
}

async fn run(
    state: &AppState,
    ctx: &mut CallContext,
    spec: CallSpec,
    params: PathParams,
    req: Request,
) -> Result<Response, ApiError> {
    let snap = state.snapshot();
    let (parts, body) = req.into_parts();
    let principal = auth::authenticate(&snap, &parts.headers, parts.uri.query())?;
    ctx.principal = Some(principal.clone());
    params.check()?;
    let config = state.config();
    let body = read_body(&parts.headers, body, config.max_request_body_bytes).await?;
    if config.enable_downstream_log_body {
        ctx.request_body = Some(String::from_utf8_lossy(&body).into_owned());
    }
    let peek = peek_request(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;

    let (operation, model, stream) = match spec.operation {
        Some(op) => (op, peek.model.clone(), peek.stream),
        None => {
            let id = params.id.as_deref().unwrap_or_default();
            let (model, method) = id.rsplit_once(':').ok_or_else(|| {
                ApiError::not_found(format!(
                    "`{id}` names no method: expected `models/{{model}}:{{method}}`"
                ))
            })?;
            let op = Operation::from_gemini_action(method)
                .ok_or_else(|| ApiError::not_found(format!("unknown Gemini method `{method}`")))?;
            // `models/models%2Fx:...` names `x`: stripped here, once, so the id whose
            // permission is checked is the id sent upstream.
            let model = model.strip_prefix("models/").unwrap_or(model);
            // The path's model id names an upstream path: refuse traversal before anything.
            path::check_model_id(model).map_err(|e| ApiError::bad_request(e.to_string()))?;
            (
                op,
                Some(model.to_owned()),
                op == Operation::StreamGenerateContent,
            )
        }
    };
    let endpoint = Endpoint::new(spec.protocol, operation);
    ctx.asked.endpoint = Some(endpoint);
    ctx.asked.stream = stream;
    ctx.asked.model = model.clone();
    // Unscoped Gemini paths may carry the provider as a path segment (`models/{p}/{m}`).
    let scoped = params
        .provider
        .as_deref()
        .filter(|_| spec.scoped || spec.operation.is_none());
    let target = resolve::resolve(&snap, scoped, model.as_deref())?;
    let call = Prepared {
        snap: &snap,
        principal: &principal,
        spec,
        endpoint,
        operation,
        stream,
        include_usage: peek.include_usage,
        max_output: peek.max_output,
        parts: &parts,
    };
    match target.route.clone() {
        Some(route) => serve_route(state, ctx, &call, &route, body).await,
        None => serve(state, ctx, &call, target, body).await,
    }
}

/// What is known of a call once it is authenticated and read, whoever serves it.
struct Prepared<'a> {
    snap: &'a crate::snapshot::Snapshot,
    principal: &'a crate::snapshot::Principal,
    spec: CallSpec,
    endpoint: Endpoint,
    operation: Operation,
    stream: bool,
    /// An OpenAI chat client asked for the usage chunk.
    include_usage: bool,
    /// The most output tokens the request allows, if it says.
    max_output: Option<u64>,
    parts: &'a Parts,
}

/// Serves a call by a route's members: tier by tier, each tier's members in an order drawn
/// by weight; a member that fails before any byte reached the client (every credential
/// cooling, dead or failing, the circuit open) hands the call to the next. The answer after
/// such a move carries `x-should-retry: false`.
async fn serve_route(
    state: &AppState,
    ctx: &mut CallContext,
    call: &Prepared<'_>,
    route: &crate::snapshot::Route,
    body: Bytes,
) -> Result<Response, ApiError> {
    let members: Vec<crate::snapshot::RouteMember> = route_order(route)
        .into_iter()
        .filter(|m| {
            call.snap.permits(
                call.principal.user_id,
                &m.provider,
                &m.model_id,
                Some(&route.name),
            )
        })
        .collect();
    if members.is_empty() {
        return Err(ApiError::forbidden(format!(
            "user `{}` may not use model `{}`",
            call.principal.user_name, route.name
        )));
    }
    let last = members.len() - 1;
    let mut moved = false;
    for (i, m) in members.into_iter().enumerate() {
        let target = resolve::Target {
            provider: m.provider,
            model: Some(m.model_id),
            client_model: Some(route.name.clone()),
            alias: Some(route.name.clone()),
            route: None,
        };
        ctx.fallback = i < last;
        ctx.fell_through = false;
        let result = serve(state, ctx, call, target, body.clone()).await;
        ctx.fallback = false;
        match result {
            Err(_) if ctx.fell_through => moved = true,
            Ok(mut resp) => {
                if moved {
                    resp.headers_mut()
                        .insert("x-should-retry", HeaderValue::from_static("false"));
                }
                return Ok(resp);
            }
            Err(err) => return Err(err),
        }
    }
    Err(ApiError::unavailable(format!(
        "no member of route `{}` could serve the call",
        route.name
    )))
}

/// A route's members in the order one call tries them: lower tiers first; within a tier,
/// a weighted random order (each pick proportional to weight among those left).
fn route_order(route: &crate::snapshot::Route) -> Vec<crate::snapshot::RouteMember> {
    let mut out = Vec::new();
    for tier in &route.tiers {
        let mut left: Vec<&crate::snapshot::RouteMember> = tier.iter().collect();
        while !left.is_empty() {
            let total: u32 = left.iter().map(|m| m.weight).sum();
            let mut ticket = rand::random_range(0..total.max(1));
            let mut pick = 0;
            for (k, m) in left.iter().enumerate() {
                if ticket < m.weight {
                    pick = k;
                    break;
                }
                ticket -= m.weight;
            }
            out.push(left.remove(pick).clone());
        }
    }
    out
}

/// Serves a call on one (provider, model): permission, dispatch, then passthrough or
/// translation.
async fn serve(
    state: &AppState,
    ctx: &mut CallContext,
    call: &Prepared<'_>,
    target: resolve::Target,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Prepared {
        snap,
        principal,
        spec,
        endpoint,
        operation,
        stream,
        include_usage,
        parts,
        ..
    } = *call;
    let model_id = target
        .model
        .clone()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ApiError::bad_request("`model` is required"))?;
    let provider = &target.provider;
    ctx.asked.provider = Some(provider.name.clone());
    ctx.asked.model = Some(model_id.clone());
    if !snap.permits(
        principal.user_id,
        provider,
        &model_id,
        target.alias.as_deref(),
    ) {
        return Err(ApiError::forbidden(format!(
            "user `{}` may not use model `{model_id}` on provider `{}`",
            principal.user_name, provider.name
        )));
    }
    admission::reserve(state, ctx, call, &target, &model_id, body.len())?;
    let upstream_endpoint = match check_dispatch(provider, endpoint)? {
        Served::Upstream(target) => target,
        Served::Local => return local::count_tokens(endpoint, body).await,
    };
    if upstream_endpoint != endpoint {
        let call = translated::TranslatedCall {
            provider,
            client: endpoint,
            upstream: upstream_endpoint,
            model_id: &model_id,
            client_model: target
                .client_model
                .clone()
                .unwrap_or_else(|| model_id.clone()),
            stream,
            include_usage,
            gemini_version: spec.gemini_version,
        };
        return translated::forward(state, ctx, call, parts, body).await;
    }

    let (body, rewrite): (Bytes, ModelRewrite) = match (&target.client_model, spec.protocol) {
        // The body names the client's model (an alias, `provider/model`): the upstream
        // must get the resolved id, never the unchecked original.
        (Some(client), Protocol::OpenAi | Protocol::Anthropic) => (
            replace_top_level_string(&body, "model", &model_id)
                .map(Bytes::from)
                .ok_or_else(|| ApiError::bad_request("`model` must be a top-level string"))?,
            Some((model_id.clone(), client.clone())),
        ),
        _ => (body, None),
    };
    // Chat streams report usage only when asked: ask on the client's behalf (also when it
    // said `include_usage: false`: no stream goes unbilled), and keep the extra usage chunk
    // from a client that did not ask (it may index `choices[0]`).
    let ask_usage = operation == Operation::ChatCompletions && stream && !include_usage;
    let body = match ask_usage.then(|| force_include_usage(&body)).flatten() {
        Some(with_usage) => Bytes::from(with_usage),
        None => body,
    };
    let plan = RelayPlan {
        stream,
        rewrite,
        hide_usage_chunk: ask_usage,
        ..RelayPlan::default()
    };
    let upstream = UpstreamTarget {
        provider,
        endpoint,
        model: Some(&model_id),
        gemini_version: spec.gemini_version,
        query: None,
    };
    forward_and_respond(state, ctx, upstream, parts, body, plan).await
}

/// Who serves a call.
pub(crate) enum Served {
    /// This upstream endpoint: the caller's own, or its translation.
    Upstream(Endpoint),
    /// The gateway itself.
    Local,
}

/// Who serves the caller's `endpoint` on `provider`; 501 when nobody can.
pub(crate) fn check_dispatch(provider: &Provider, endpoint: Endpoint) -> Result<Served, ApiError> {
    match provider.kind.dispatch_with(&provider.settings, endpoint) {
        Dispatch::Passthrough => Ok(Served::Upstream(endpoint)),
        Dispatch::Transform(target) => Ok(Served::Upstream(target)),
        Dispatch::Local => Ok(Served::Local),
        Dispatch::NeedsTranslation => Err(ApiError::not_implemented(format!(
            "provider `{}` (channel {}) speaks the {} protocol; serving {} `{}` requests on it needs translation, which is not supported yet",
            provider.name,
            provider.kind,
            provider.kind.protocol(),
            endpoint.protocol,
            endpoint.operation
        ))),
        Dispatch::Unsupported => Err(ApiError::not_implemented(format!(
            "provider `{}` (channel {}) does not support `{}`",
            provider.name, provider.kind, endpoint.operation
        ))),
    }
}

/// An Anthropic Messages body with the provider's prompt-cache breakpoints added (passthrough
/// and translated calls alike); unchanged when it has none to add or is not JSON.
fn with_cache_breakpoints(provider: &Provider, endpoint: Endpoint, body: Bytes) -> Bytes {
    let rules = &provider.settings.cache_breakpoints;
    if rules.is_empty() || endpoint != Endpoint::new(Protocol::Anthropic, Operation::Messages) {
        return body;
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return body;
    };
    if gproxy_protocol::anthropic::messages::cache::apply(&mut value, rules) == 0 {
        return body;
    }
    serde_json::to_vec(&value).map_or(body, Bytes::from)
}

/// Where an upstream call goes.
pub(crate) struct UpstreamTarget<'a> {
    pub provider: &'a Provider,
    pub endpoint: Endpoint,
    pub model: Option<&'a str>,
    pub gemini_version: &'a str,
    /// The query to send instead of the client's (a translated call speaks the upstream's
    /// protocol, not the client's); still filtered by the operation's allow-list.
    pub query: Option<&'a str>,
}

/// Sends the call upstream and relays the answer; settles the usage record either way.
pub(crate) async fn forward_and_respond(
    state: &AppState,
    ctx: &mut CallContext,
    target: UpstreamTarget<'_>,
    parts: &Parts,
    body: Bytes,
    plan: RelayPlan,
) -> Result<Response, ApiError> {
    let UpstreamTarget {
        provider,
        endpoint,
        model,
        gemini_version,
        query,
    } = target;
    let url = upstream::url(
        &provider.settings.base_url,
        endpoint,
        model,
        gemini_version,
        query.or(parts.uri.query()),
    )
    .map_err(|err| match err {
        UrlError::Path(err) => ApiError::bad_request(err.to_string()),
        UrlError::NoRoute => ApiError::not_implemented(format!(
            "provider `{}` has no URL for `{}`",
            provider.name, endpoint.operation
        )),
    })?;
    // Breakpoints first: the prefix keys see the markers (and their TTL) the upstream gets.
    let body = with_cache_breakpoints(provider, endpoint, body);
    // Affinity (cache and reasoning) matters only where there is a choice of credential.
    let pooled = provider.settings.affinity.enabled && provider.credentials.len() > 1;
    let call = forward::UpstreamCall {
        provider,
        protocol: endpoint.protocol,
        model: model.unwrap_or_default(),
        prefix: if pooled {
            gproxy_protocol::affinity::prefix_keys(endpoint, model.unwrap_or_default(), &body)
        } else {
            Default::default()
        },
        endpoint,
        reasoning: pooled && gproxy_protocol::affinity::carries_reasoning(endpoint, &body),
        method: parts.method.clone(),
        url,
        headers: {
            let mut h = headers::upstream_request(
                &parts.headers,
                provider.settings.forward_billing_headers,
            );
            if let Some(t) = &plan.translation {
                headers::drop_protocol_headers(&mut h, t.client.protocol);
            }
            h
        },
        body: body.clone(),
    };
    // The usage record exists before the call goes out, so a client that goes away while
    // the upstream works still leaves one (status 499).
    let mut sink = UsageSink::new(
        SinkTarget {
            queue: state.config().enable_usage.then(|| state.queue.clone()),
            estimates: state.estimates.clone(),
        },
        ctx,
        endpoint,
        &provider.name,
        model.unwrap_or_default(),
        plan.stream,
        body,
    )
    .priced(model.and_then(|m| state.snapshot().price(provider, m)))
    .granted(ctx.grant.take(), ctx.quota.take());
    ctx.usage_live = true;
    let fwd = match forward::send(state, ctx, call).await {
        Ok(fwd) if ctx.fallback && fwd.retryable => {
            // Nothing reached the client: the route's next member takes the call.
            sink.discard();
            ctx.usage_live = false;
            ctx.fell_through = true;
            return Err(ApiError::bad_gateway(format!(
                "provider `{}` answered {}",
                provider.name,
                fwd.response.status().as_u16()
            )));
        }
        Ok(fwd) => fwd,
        Err(err) if ctx.fallback && matches!(err.status.as_u16(), 429 | 502 | 503 | 504) => {
            sink.discard();
            ctx.usage_live = false;
            ctx.fell_through = true;
            return Err(err);
        }
        Err(err) => {
            sink.answered(err.status.as_u16(), None);
            sink.finish(None, false, None).await;
            return Err(err);
        }
    };
    sink.answered(fwd.response.status().as_u16(), Some(fwd.credential_id));
    relay::respond(ctx, fwd, endpoint, plan, sink, &state.config()).await
}
