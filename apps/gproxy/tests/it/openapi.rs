//! `GET /openapi.json`: served without a key, listing every path of the admin, user and login
//! API (DESIGN.md §9) with its methods; every operation it lists is one the router serves,
//! and the bodies the gateway answers have the fields their schemas name.

use crate::admin_api::{ROOT, spawn_admin};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The paths of DESIGN.md §9 the gateway serves, with their methods. A new route of the
/// API goes here too (the unit tests in `routes/openapi.rs` already fail while it has no
/// OpenAPI entry).
const API: &[(&str, &[&str])] = &[
    ("/login", &["post"]),
    ("/logout", &["post"]),
    ("/user/me", &["get"]),
    ("/user/keys", &["get", "post"]),
    ("/user/keys/{id}", &["patch", "delete"]),
    ("/user/usage", &["get"]),
    ("/user/usage/summary", &["get"]),
    ("/user/quota", &["get"]),
    ("/user/rate-limits", &["get"]),
    ("/user/password", &["post"]),
    ("/admin/providers", &["get", "post"]),
    ("/admin/providers/{id}", &["get", "patch", "delete"]),
    ("/admin/providers/{id}/credentials", &["get", "post"]),
    ("/admin/credentials/{id}", &["get", "patch", "delete"]),
    ("/admin/credential-statuses", &["get"]),
    ("/admin/credentials/{id}/reset", &["post"]),
    ("/admin/providers/{id}/models", &["get", "post"]),
    ("/admin/models", &["get"]),
    ("/admin/models/{id}", &["get", "patch", "delete"]),
    ("/admin/aliases", &["get", "post"]),
    ("/admin/aliases/{id}", &["get", "patch", "delete"]),
    ("/admin/routes", &["get", "post"]),
    ("/admin/routes/{id}", &["get", "patch", "delete"]),
    ("/admin/routes/{id}/members", &["get", "post"]),
    (
        "/admin/routes/{id}/members/{member_id}",
        &["patch", "delete"],
    ),
    ("/admin/users", &["get", "post"]),
    ("/admin/users/{id}", &["get", "patch", "delete"]),
    ("/admin/users/{id}/keys", &["get", "post"]),
    ("/admin/keys/{id}", &["get", "patch", "delete"]),
    ("/admin/permissions", &["get", "post"]),
    ("/admin/permissions/{id}", &["get", "patch", "delete"]),
    ("/admin/rate-limits", &["get", "post"]),
    ("/admin/rate-limits/{id}", &["get", "patch", "delete"]),
    ("/admin/quotas", &["get", "post"]),
    ("/admin/quotas/{id}", &["get", "patch", "delete"]),
    ("/admin/quotas/{id}/reset", &["post"]),
    ("/admin/usage", &["get"]),
    ("/admin/usage/summary", &["get"]),
    ("/admin/logs", &["get"]),
    ("/admin/logs/{request_id}", &["get"]),
    ("/admin/audit", &["get"]),
    ("/admin/settings", &["get", "patch"]),
    ("/admin/config/export", &["get"]),
    ("/admin/config/import", &["post"]),
    ("/healthz", &["get"]),
    ("/readyz", &["get"]),
    ("/openapi.json", &["get"]),
];

async fn document(app: &TestApp) -> Value {
    let resp = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200, "no key is needed");
    let content_type = resp.headers()["content-type"].to_str().expect("ascii");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    resp.json().await.expect("a JSON document")
}

/// `path` with each `{param}` replaced by a placeholder id.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "1" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_document_lists_every_path_of_the_api_with_its_methods() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, methods) in API {
        let item = &doc["paths"][path];
        assert!(item.is_object(), "{path} is not documented");
        let listed: BTreeSet<&str> = item
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let expected: BTreeSet<&str> = methods.iter().copied().collect();
        assert_eq!(listed, expected, "the methods of {path}");
    }
    for scheme in ["bearer", "api_key", "session"] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "no security scheme {scheme}"
        );
    }
}

/// Every documented operation is routed: without a key the admin and user API refuse it
/// (401), and nothing answers "no such route" (404) or "method not allowed" (405).
#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= API.len());
    for (path, item) in paths {
        for method in item.as_object().expect("path item").keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let resp = app
                .http
                .request(m, app.url(&concrete(path)))
                .send()
                .await
                .expect("request");
            let status = resp.status().as_u16();
            if path.starts_with("/admin/") || path.starts_with("/user/") {
                assert_eq!(status, 401, "{method} {path} without a key");
            } else {
                assert!(![404, 405].contains(&status), "{method} {path}: {status}");
            }
        }
    }
}

/// The property names of schema `name`.
fn properties(doc: &Value, name: &str) -> BTreeSet<String> {
    doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("schema {name} has no properties"))
        .keys()
        .cloned()
        .collect()
}

fn fields(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

/// The bodies the gateway answers have exactly the fields the document names (nullable
/// ones included: the gateway writes `null` rather than leaving them out).
#[tokio::test]
async fn answers_have_the_documented_fields() {
    let app = spawn_admin().await;
    let doc = document(&app).await;

    for (path, schema) in [("/healthz", "Liveness"), ("/readyz", "Readiness")] {
        let body: Value = app
            .http
            .get(app.url(path))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        assert_eq!(fields(&body), properties(&doc, schema), "{path}");
    }

    let login: Value = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "alice", "password": "alice-pw"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(fields(&login), properties(&doc, "LoginResponse"));
    assert_eq!(fields(&login["user"]), properties(&doc, "LoginUser"));

    let (status, me) = app.send(ALICE, Method::GET, "/user/me", None).await;
    assert_eq!(status, 200);
    assert_eq!(fields(&me), properties(&doc, "Me"));

    for (path, item) in [
        ("/admin/providers", "Provider"),
        ("/admin/users", "UserView"),
        ("/admin/credential-statuses", "CredentialStatus"),
        ("/admin/models", "ModelView"),
        ("/admin/aliases", "AliasView"),
    ] {
        let (status, page) = app.send(ROOT, Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert_eq!(
            fields(&page),
            properties(&doc, &format!("Page_{item}")),
            "{path}"
        );
        let first = &page["data"][0];
        assert!(first.is_object(), "{path} lists nothing to compare");
        assert_eq!(fields(first), properties(&doc, item), "{path}");
    }

    let (status, err) = app.send(ALICE, Method::GET, "/admin/users", None).await;
    assert_eq!(status, 403);
    assert!(
        fields(&err).is_subset(&properties(&doc, "ErrorBody")),
        "{err}"
    );
}
