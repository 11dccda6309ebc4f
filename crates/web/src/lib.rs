//! Portfolio's HTTP layer: GOV.UK pages and the JSON API under `/api/v1`.
//!
//! Handlers translate requests into calls on [`portfolio_app::App`] and
//! results into responses. They hold no SQL and no business rules: parsing
//! and permission checks happen in the domain and the application services.
//!
//! Layout:
//! - `pages/`: server-rendered HTML (minijinja templates in `templates/`,
//!   escaped by default), forms protected by CSRF tokens;
//! - `api`: the JSON API and its OpenAPI document (utoipa), errors as
//!   `application/problem+json`;
//! - `session`: who is asking (session cookie for pages, bearer token for the API);
//! - `error`: the one mapping from [`portfolio_app::AppError`] to HTTP;
//! - `assets`: GOV.UK Frontend's CSS, JavaScript, fonts and images, embedded.

mod api;
mod assets;
mod error;
pub mod metrics;
mod pages;
pub mod request_id;
mod session;
mod templates;

use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::Router;
use portfolio_app::App;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use api::openapi_document;
pub use metrics::Metrics;

/// Largest request body accepted (JSON or form).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Largest request body of a spreadsheet upload: the import's 50 MB file
/// limit and room for the form around it.
pub const MAX_UPLOAD_BODY_BYTES: usize = 51 * 1024 * 1024;

/// Options for serving.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Mark cookies `Secure` and send HSTS (set when served over TLS).
    pub secure_cookies: bool,
    /// Take the client's address from the last `X-Forwarded-For` entry (set
    /// only behind a reverse proxy that appends it), for sign-in throttling.
    pub trust_forwarded_for: bool,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub secure_cookies: bool,
    pub trust_forwarded_for: bool,
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// The whole application as a router: pages, API, assets, health. Its
/// requests are counted in metrics of its own; see [`router_with_metrics`].
pub fn router(app: App, options: &ServeOptions) -> Router {
    router_with_metrics(app, options, &Metrics::new())
}

/// The whole application as a router, counting its requests in `metrics`
/// (which [`metrics::router`] serves).
pub fn router_with_metrics(app: App, options: &ServeOptions, metrics: &Metrics) -> Router {
    let state = AppState {
        app,
        secure_cookies: options.secure_cookies,
        trust_forwarded_for: options.trust_forwarded_for,
    };
    let small_bodies = Router::new()
        .merge(pages::router())
        .merge(api::router())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let uploads = Router::new()
        .merge(pages::upload_router())
        .merge(api::upload_router())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BODY_BYTES));
    let mut router = Router::new()
        .merge(small_bodies)
        .merge(uploads)
        .merge(assets::router())
        .fallback(pages::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(oversized_api_body_problem))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ));
    if options.secure_cookies {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    // Outermost last: an unacceptable incoming id is dropped, a fresh one
    // set, copied to the response, recorded in the log span and made known
    // to error pages; requests are counted inside all of that.
    router
        .layer(axum::middleware::from_fn_with_state(
            metrics.clone(),
            metrics::record,
        ))
        .layer(axum::middleware::from_fn(request_id::scope))
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &axum::http::Request<axum::body::Body>| {
                tracing::info_span!(
                    "request",
                    request_id = %request_id::of(request),
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            },
        ))
        .layer(PropagateRequestIdLayer::new(request_id::HEADER))
        .layer(SetRequestIdLayer::new(
            request_id::HEADER,
            request_id::RandomId,
        ))
        .layer(axum::middleware::from_fn(request_id::drop_unacceptable))
}

/// The body limit refuses a too-large `Content-Length` with a bare 413 before
/// any handler runs; API callers get a problem document instead, and pages a
/// GOV.UK error page saying what happened.
async fn oversized_api_body_problem(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let too_large = response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE;
    if api && too_large && !is_problem {
        return error::ApiError::PayloadTooLarge.into_response();
    }
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !api && too_large && !is_page {
        return templates::render_status(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "error.html",
            minijinja::context! {
                title => "The file is too large",
                message => "What you sent was too large to be read, so nothing was saved. Go back and send less: a spreadsheet of at most 50 MB, a logo of at most 1 MB.",
                signed_in => false,
            },
        );
    }
    response
}

/// Serves the app on an already-bound listener until ctrl-c or SIGTERM, then
/// finishes in-flight requests before returning. With `metrics_listener`,
/// `GET /metrics` is served there (and only there) at the same time.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    options: ServeOptions,
    metrics_listener: Option<tokio::net::TcpListener>,
) -> std::io::Result<()> {
    let store = app.store.clone();
    let metrics = Metrics::new();
    let router = router_with_metrics(app.clone(), &options, &metrics);
    let metrics_server = metrics_listener.map(|listener| {
        let router = metrics::router(app, metrics);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        })
    });
    // The client's address reaches handlers (sign-in throttling, the audit
    // trail) as ConnectInfo.
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    if let Some(server) = metrics_server {
        server.abort();
    }
    store.close().await;
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
