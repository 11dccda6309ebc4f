//! Prometheus metrics: what the server has answered (counts and latencies
//! per route template) and, read from the database at scrape time through the
//! application services, its connection pool and queues.
//!
//! The metrics are served by [`router`] on a listener of their own
//! (`portfolio serve --metrics-listen`), never on the public one: they say
//! how busy the service is and which routes fail, which is for operators.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use portfolio_app::App;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// The label of a request no route matched (a 404 of the fallback): raw
/// paths are never labels, so ids in them cannot multiply the series.
pub const UNMATCHED: &str = "unmatched";

/// Latency buckets, in seconds: pages answer in milliseconds, reports and
/// imports in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The metrics of one server: shared by the main router, which records
/// requests, and the metrics router, which reports them.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_size: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    database_up: IntGauge,
    scenario_runs: IntGaugeVec,
    emails: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric declared.
    pub fn new() -> Metrics {
        // The names and labels below are constants, so registering cannot
        // fail except by a programming mistake caught by the tests.
        fn registered<C: prometheus::core::Collector + Clone + 'static>(
            registry: &Registry,
            collector: prometheus::Result<C>,
        ) -> C {
            let collector = collector.expect("a metric with a valid name");
            registry
                .register(Box::new(collector.clone()))
                .expect("each metric registered once");
            collector
        }
        let registry = Registry::new();
        let requests = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "http_requests_total",
                    "HTTP requests answered, by method, route template and status",
                ),
                &["method", "route", "status"],
            ),
        );
        let latency = registered(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time to answer HTTP requests, by method and route template",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
                &["method", "route"],
            ),
        );
        let pool_size = registered(
            &registry,
            IntGauge::new(
                "portfolio_db_pool_connections",
                "Database connections open (idle or in use)",
            ),
        );
        let pool_idle = registered(
            &registry,
            IntGauge::new(
                "portfolio_db_pool_idle_connections",
                "Database connections open and idle",
            ),
        );
        let pool_max = registered(
            &registry,
            IntGauge::new(
                "portfolio_db_pool_max_connections",
                "The most database connections the pool opens",
            ),
        );
        let database_up = registered(
            &registry,
            IntGauge::new(
                "portfolio_database_up",
                "1 when the database answered this scrape, else 0",
            ),
        );
        let scenario_runs = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "portfolio_scenario_runs",
                    "Scenario runs in the database, by status",
                ),
                &["status"],
            ),
        );
        let emails = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new("portfolio_notification_emails", "Notification emails in the database, by status (pending and sending are queued)"),
                &["status"],
            ),
        );
        let start = registered(
            &registry,
            Gauge::new(
                "process_start_time_seconds",
                "When the process started, in seconds since the Unix epoch",
            ),
        );
        start.set(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        );
        let build = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "portfolio_build_info",
                    "Always 1; the version label names the running build",
                ),
                &["version"],
            ),
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        Metrics(Arc::new(Inner {
            registry,
            requests,
            latency,
            pool_size,
            pool_idle,
            pool_max,
            database_up,
            scenario_runs,
            emails,
        }))
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.0
            .requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.0
            .latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// Reads the pool and the queues now, then writes every metric in the
    /// Prometheus text format.
    async fn scrape(&self, app: &App) -> Result<String, prometheus::Error> {
        let inner = &self.0;
        let pool = app.store.pool_stats();
        inner.pool_size.set(i64::from(pool.size));
        inner.pool_idle.set(i64::from(pool.idle));
        inner.pool_max.set(i64::from(pool.max));
        match app.operational_stats().await {
            Ok(stats) => {
                inner.database_up.set(1);
                for (status, n) in &stats.scenario_runs {
                    inner
                        .scenario_runs
                        .with_label_values(&[status.as_str()])
                        .set(*n);
                }
                for (status, n) in &stats.emails {
                    inner.emails.with_label_values(&[status.as_str()]).set(*n);
                }
            }
            Err(e) => {
                // The request counters still say what was answered; the
                // queue gauges keep their last values.
                tracing::warn!(error = %e, "metrics: the database did not answer");
                inner.database_up.set(0);
            }
        }
        let mut text = Vec::new();
        TextEncoder::new().encode(&inner.registry.gather(), &mut text)?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}

/// Counts and times every request by its route template.
pub async fn record(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Methods outside the standard ones are one label, like unmatched paths.
    let method: &'static str = match request.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED.to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    metrics.observe(
        method,
        &route,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[derive(Clone)]
struct MetricsState {
    app: App,
    metrics: Metrics,
}

/// `GET /metrics`, for the metrics listener only.
pub fn router(app: App, metrics: Metrics) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(MetricsState { app, metrics })
}

async fn scrape(State(state): State<MetricsState>) -> Response {
    match state.metrics.scrape(&state.app).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics could not be written");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics could not be written\n",
            )
                .into_response()
        }
    }
}
