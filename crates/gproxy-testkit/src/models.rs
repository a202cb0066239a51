//! `/v1/models` and `/v1/models/{id}`, a path all three APIs share: GETs are answered in the
//! shape of the detected surface, POSTs with a `:action` suffix are Gemini calls.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::call::Call;
use crate::server::AppState;
use crate::surface::Surface;
use crate::{anthropic, gemini, openai};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/models", get(list))
        .route("/v1/models/{id}", get(one).post(gemini::action))
}

async fn list(call: Call) -> Response {
    match call.surface {
        Surface::Gemini => gemini::list(call).await,
        Surface::Anthropic | Surface::OpenAi => {
            if let Err(err) = call.answer() {
                return err.into_response();
            }
            let body = if call.surface == Surface::Anthropic {
                anthropic::model_list()
            } else {
                openai::model_list()
            };
            Json(body).into_response()
        }
    }
}

async fn one(Path(id): Path<String>, call: Call) -> Response {
    match call.surface {
        Surface::Gemini => gemini::get_model(Path(id), call).await,
        Surface::Anthropic | Surface::OpenAi => {
            if let Err(err) = call.answer() {
                return err.into_response();
            }
            let body = if call.surface == Surface::Anthropic {
                anthropic::model(&id)
            } else {
                openai::model(&id)
            };
            Json(body).into_response()
        }
    }
}
