//! The router: every proxy route of DESIGN.md §1 (provider-scoped and unscoped), model
//! listing, login and health. Routes are data: each names its protocol and operation.

mod admin;
mod console;
mod health;
mod login;
mod models;
pub mod names;
mod openapi;
mod summary;
pub(crate) mod usage;
pub(crate) mod user;

use crate::error::ApiError;
use crate::proxy::{self, CallSpec, PathParams};
use crate::state::AppState;
pub use admin::config_io::SeedFormat;
pub(crate) use admin::settings;
use axum::Router;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post};
use gproxy_protocol::{Operation, Protocol};
pub use login::generate_api_key;
pub use models::ModelsSpec;
pub use names::check_provider_name;

/// Path parameters, percent-decoded; a parameter that does not decode to UTF-8 is marked,
/// to be answered 400 in the caller's protocol shape (not axum's plain-text rejection).
fn path_params(raw: Result<RawPathParams, RawPathParamsRejection>) -> PathParams {
    let mut params = PathParams::default();
    let Ok(raw) = raw else {
        params.undecodable = true;
        return params;
    };
    for (key, value) in &raw {
        match key {
            "provider" => params.provider = Some(value.to_owned()),
            "id" => params.id = Some(value.to_owned()),
            _ => {}
        }
    }
    params
}

fn proxy_post(spec: CallSpec) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              raw: Result<RawPathParams, RawPathParamsRejection>,
              req: Request| async move {
            proxy::handle(state, spec, path_params(raw), req).await
        },
    )
}

fn models_get(spec: ModelsSpec) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>,
              raw: Result<RawPathParams, RawPathParamsRejection>,
              req: Request| async move {
            models::handle(state, spec, path_params(raw), req).await
        },
    )
}

/// The OpenAI and Anthropic body routes under `prefix` (`/{provider}/v1` or `/v1`).
fn body_routes(router: Router<AppState>, prefix: &str, scoped: bool) -> Router<AppState> {
    let spec = |protocol, op| CallSpec {
        protocol,
        operation: Some(op),
        scoped,
        gemini_version: "v1beta",
    };
    router
        .route(
            &format!("{prefix}/chat/completions"),
            proxy_post(spec(Protocol::OpenAi, Operation::ChatCompletions)),
        )
        .route(
            &format!("{prefix}/responses"),
            proxy_post(spec(Protocol::OpenAi, Operation::Responses)),
        )
        .route(
            &format!("{prefix}/responses/input_tokens"),
            proxy_post(spec(Protocol::OpenAi, Operation::ResponsesInputTokens)),
        )
        .route(
            &format!("{prefix}/embeddings"),
            proxy_post(spec(Protocol::OpenAi, Operation::Embeddings)),
        )
        .route(
            &format!("{prefix}/messages"),
            proxy_post(spec(Protocol::Anthropic, Operation::Messages)),
        )
        .route(
            &format!("{prefix}/messages/count_tokens"),
            proxy_post(spec(Protocol::Anthropic, Operation::CountTokens)),
        )
}

/// Model listing and Gemini `models/{model}:{method}` under `prefix` for one API version.
/// `v1` serves both OpenAI/Anthropic model routes and Gemini (google-genai 3.x uses `v1`).
fn model_routes(
    router: Router<AppState>,
    prefix: &str,
    scoped: bool,
    version: &'static str,
) -> Router<AppState> {
    let gemini_only = version == "v1beta";
    let list = ModelsSpec {
        scoped,
        gemini_only,
        get: false,
    };
    let one = ModelsSpec {
        scoped,
        gemini_only,
        get: true,
    };
    let gemini = CallSpec {
        protocol: Protocol::Gemini,
        operation: None,
        scoped,
        gemini_version: version,
    };
    let router = router
        .route(&format!("{prefix}/models"), models_get(list))
        .route(
            &format!("{prefix}/models/{{id}}"),
            models_get(one).merge(proxy_post(gemini)),
        );
    if scoped {
        router
    } else {
        // Unscoped: `models/{provider}/{model}` names the provider in the path.
        router.route(
            &format!("{prefix}/models/{{provider}}/{{id}}"),
            models_get(one).merge(proxy_post(gemini)),
        )
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (prefix, scoped) in [("/{provider}", true), ("", false)] {
        // Misconfigured base URLs are common: an OpenAI base without `/v1` sends
        // `/chat/completions`, an Anthropic base with `/v1` sends `/v1/v1/messages`.
        for version in ["/v1", "", "/v1/v1"] {
            router = body_routes(router, &format!("{prefix}{version}"), scoped);
        }
        router = model_routes(router, &format!("{prefix}/v1"), scoped, "v1");
        router = model_routes(router, &format!("{prefix}/v1beta"), scoped, "v1beta");
    }
    router
        .route("/", get(console::root))
        .route("/assets/{*path}", get(console::asset))
        .route("/login", post(login::login))
        .route("/logout", post(login::logout))
        .route("/user/password", post(user::change_password))
        .merge(admin::router())
        .route("/user/me", get(user::me))
        .route(
            "/user/keys",
            get(admin::keys::user_list).post(admin::keys::user_create),
        )
        .route(
            "/user/keys/{id}",
            axum::routing::patch(admin::keys::user_patch).delete(admin::keys::user_delete),
        )
        .route("/user/quota", get(user::get_quota))
        .route("/user/rate-limits", get(user::rate_limits))
        .route("/user/usage", get(usage::user_usage))
        .route("/admin/usage", get(usage::admin_usage))
        .route("/admin/usage/summary", get(summary::admin_summary))
        .route("/user/usage/summary", get(summary::user_summary))
        .route("/openapi.json", get(openapi::document))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(|method: Method, uri: Uri, headers: HeaderMap| async move {
            if console::is_navigation(&method, uri.path(), &headers) {
                console::index()
            } else {
                ApiError::not_found("no such route").into_response()
            }
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                gproxy_protocol::ErrorKind::InvalidRequest,
                "method not allowed on this route",
            )
        })
        .with_state(state)
}
