//! GOV.UK Frontend's files, embedded in the binary and served with long cache lifetimes.
//!
//! `static/` is copied from the govuk-frontend npm package by
//! `scripts/vendor-govuk.sh`; its CSS refers to fonts and images under `/assets/`.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use include_dir::{include_dir, Dir};

use crate::AppState;

static STATIC: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static");

/// Our own small files (the script that starts GOV.UK Frontend's components).
const APP_JS: &str = "import { initAll } from '/static/govuk-frontend.min.js';\ndocument.body.classList.add('js-enabled', 'govuk-frontend-supported');\ninitAll();\n";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.js", get(app_js))
        .route("/static/{*path}", get(static_file))
        .route("/assets/{*path}", get(asset_file))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "json" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(path: &str) -> Response {
    match STATIC.get_file(path) {
        Some(file) if !path.contains("..") => (
            [
                (header::CONTENT_TYPE, content_type(path)),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            file.contents(),
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "Not found").into_response(),
    }
}

async fn static_file(Path(path): Path<String>) -> Response {
    serve(&path)
}

async fn asset_file(Path(path): Path<String>) -> Response {
    serve(&format!("assets/{path}"))
}

async fn app_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}
