//! The embedded console: `/` and client routes answer `index.html` (never cached), hashed
//! assets are immutable, and an API client's unknown path stays a JSON 404.

use crate::helpers::*;

#[tokio::test]
async fn the_console_is_served_from_the_binary() {
    let app = spawn_app().await;
    let get = |path: &str, accept: &'static str| {
        app.http.get(app.url(path)).header("accept", accept).send()
    };
    let index = get("/", "text/html").await.expect("send");
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["cache-control"], "no-cache");
    assert!(
        index.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let html = index.text().await.expect("text");
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script in index.html")
        .to_owned();
    assert!(script.starts_with("/assets/"), "{script}");

    let asset = get(&script, "*/*").await.expect("send");
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .contains("javascript")
    );

    for route in ["/users", "/providers/3", "/logs?request_id=x"] {
        let page = get(route, "text/html,application/xhtml+xml")
            .await
            .expect("send");
        assert_eq!(page.status(), 200, "{route}");
        assert_eq!(page.text().await.expect("text"), html, "{route} is the app");
    }
    let api = get("/users", "application/json").await.expect("send");
    assert_eq!(api.status(), 404);
    assert!(json(api).await["error"].is_string());
    let missing = get("/assets/nope.js", "*/*").await.expect("send");
    assert_eq!(missing.status(), 404);
    let admin = get("/admin/nope", "text/html").await.expect("send");
    assert_eq!(
        admin.status(),
        404,
        "API prefixes never fall back to the app"
    );
}
