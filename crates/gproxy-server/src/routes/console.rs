//! The web console (`console/`, built into `console/dist` and embedded in the binary):
//! `GET /` and the console's client routes answer `index.html` (never cached, so an upgrade
//! is picked up at the next load), `GET /assets/...` the hashed build files (cached for a
//! year, immutable: a new build has new names). Only browser navigations (GET asking for
//! HTML) fall back to `index.html`; an API client's unknown path stays a JSON 404.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../../console/dist"]
struct Dist;

/// The content type of a build file, by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn file(path: &str, cache: &'static str) -> Option<Response> {
    let f = Dist::get(path)?;
    Some(
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(path)),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            f.data.into_owned(),
        )
            .into_response(),
    )
}

/// `index.html`, revalidated on every load.
pub fn index() -> Response {
    file("index.html", "no-cache").unwrap_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            "this gateway was built without its console (console/dist is empty)",
        )
            .into_response()
    })
}

/// `GET /`.
pub async fn root() -> Response {
    index()
}

/// `GET /assets/{*path}`: a hashed build file, immutable.
pub async fn asset(Path(path): Path<String>) -> Response {
    file(
        &format!("assets/{path}"),
        "public, max-age=31536000, immutable",
    )
    .unwrap_or_else(|| crate::ApiError::not_found("no such file").into_response())
}

/// Whether an unmatched request is a browser navigating to one of the console's own
/// routes: a GET or HEAD asking for HTML, outside the gateway's API prefixes.
pub fn is_navigation(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    const API: &[&str] = &[
        "/admin",
        "/user",
        "/v1",
        "/v1beta",
        "/login",
        "/logout",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/assets",
    ];
    let api = API
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')));
    let html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    (method == Method::GET || method == Method::HEAD) && html && !api
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_is_embedded_with_its_hashed_assets() {
        let index = Dist::get("index.html").expect("console/dist/index.html");
        let html = String::from_utf8_lossy(&index.data).into_owned();
        // Every build file index.html loads is embedded (a stale index would 404 them).
        let loaded: Vec<&str> = html
            .split("\"/assets/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(loaded.iter().any(|a| a.ends_with(".js")), "{html}");
        for asset in loaded {
            assert!(Dist::get(&format!("assets/{asset}")).is_some(), "{asset}");
        }
    }

    #[test]
    fn only_browser_navigations_fall_back() {
        let mut html = HeaderMap::new();
        html.insert(header::ACCEPT, HeaderValue::from_static("text/html,*/*"));
        assert!(is_navigation(&Method::GET, "/users/3", &html));
        assert!(is_navigation(&Method::GET, "/usersettings", &html));
        assert!(!is_navigation(&Method::GET, "/admin/users", &html));
        assert!(!is_navigation(&Method::GET, "/user", &html));
        assert!(!is_navigation(&Method::POST, "/users", &html));
        assert!(!is_navigation(&Method::GET, "/users", &HeaderMap::new()));
        assert_eq!(
            content_type("assets/a-1.js"),
            "text/javascript; charset=utf-8"
        );
    }
}
