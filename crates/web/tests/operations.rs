//! What an operator relies on: metrics by route template, readiness that
//! follows the database and its migrations, and request ids on every
//! response, in the logs' spans and on server-error pages.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::{Resp, TestApp};
use portfolio_app::{App, ConnectOptions, Settings};
use portfolio_testdb::PostgresDatabase;
use portfolio_web::{metrics, router_with_metrics, Metrics, ServeOptions};
use sqlx::{Connection, Executor};
use tower::ServiceExt;

async fn send(router: &Router, request: Request<Body>) -> Resp {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("read body");
    Resp {
        status,
        headers,
        body,
    }
}

fn get(path: &str, token: Option<&str>, request_id: Option<&[u8]>) -> Request<Body> {
    let mut b = Request::builder().uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(id) = request_id {
        b = b.header(
            "x-request-id",
            axum::http::HeaderValue::from_bytes(id).expect("a header value"),
        );
    }
    b.body(Body::empty()).unwrap()
}

/// One sample of the Prometheus text: the metric's labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("NAME VALUE");
            let value: f64 = value.parse().expect("a number");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let inner = rest.strip_suffix('}').expect("closing brace");
                    let labels = inner
                        .split("\",")
                        .filter(|p| !p.is_empty())
                        .map(|pair| {
                            let (k, v) = pair.split_once("=\"").expect("k=\"v\"");
                            (k.to_string(), v.trim_end_matches('"').to_string())
                        })
                        .collect();
                    (name.to_string(), labels)
                }
                None => (series.to_string(), BTreeMap::new()),
            };
            Sample {
                name,
                labels,
                value,
            }
        })
        .collect()
}

/// The value of the sample `name` whose labels include `labels`.
fn value(all: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    all.iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

async fn scrape(metrics_router: &Router) -> Vec<Sample> {
    let r = send(metrics_router, get("/metrics", None, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        r.header("content-type")
    );
    let text = r.text();
    assert!(
        !text.contains("DP-00"),
        "a raw path became a label:\n{text}"
    );
    samples(&text)
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_show_the_pool_and_queues() {
    let t = TestApp::start().await;
    let metrics = Metrics::new();
    let app_router = router_with_metrics(t.app.clone(), &ServeOptions::default(), &metrics);
    let metrics_router = metrics::router(t.app.clone(), metrics.clone());

    let route = [("method", "GET"), ("route", "/api/v1/projects/{code}")];
    let before = scrape(&metrics_router).await;
    let counted = |all: &[Sample], status: &str| {
        let mut labels = route.to_vec();
        labels.push(("status", status));
        value(all, "http_requests_total", &labels).unwrap_or(0.0)
    };
    assert_eq!(counted(&before, "200"), 0.0);

    for code in ["DP-001", "DP-002", "DP-003"] {
        let r = send(
            &app_router,
            get(
                &format!("/api/v1/projects/{code}"),
                Some(&t.admin_token),
                None,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = send(
        &app_router,
        get("/api/v1/projects/DP-999", Some(&t.admin_token), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for path in ["/no/such/page/12345", "/api/v1/nothing-here/DP-001"] {
        let r = send(&app_router, get(path, Some(&t.admin_token), None)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The public listener does not serve the metrics.
    let r = send(&app_router, get("/metrics", None, None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let after = scrape(&metrics_router).await;
    assert_eq!(counted(&after, "200"), 3.0);
    assert_eq!(counted(&after, "404"), 1.0);
    assert_eq!(
        value(&after, "http_request_duration_seconds_count", &route),
        Some(4.0)
    );
    let unmatched = value(
        &after,
        "http_requests_total",
        &[("method", "GET"), ("route", "unmatched"), ("status", "404")],
    );
    // Two unknown paths and the refused /metrics.
    assert_eq!(unmatched, Some(3.0));

    // The pool (SQLite keeps at most four connections) and the queues.
    assert_eq!(
        value(&after, "portfolio_db_pool_max_connections", &[]),
        Some(4.0)
    );
    let open = value(&after, "portfolio_db_pool_connections", &[]).expect("pool size");
    let idle = value(&after, "portfolio_db_pool_idle_connections", &[]).expect("idle");
    assert!(open >= 1.0 && idle <= open, "open {open}, idle {idle}");
    assert_eq!(value(&after, "portfolio_database_up", &[]), Some(1.0));
    for status in ["running", "succeeded", "failed", "cancelled"] {
        assert!(
            value(&after, "portfolio_scenario_runs", &[("status", status)]).is_some(),
            "no scenario run gauge for {status}"
        );
    }
    for status in ["pending", "sending", "sent", "failed", "expired"] {
        assert!(
            value(
                &after,
                "portfolio_notification_emails",
                &[("status", status)]
            )
            .is_some(),
            "no email gauge for {status}"
        );
    }
    assert!(value(&after, "process_start_time_seconds", &[]).is_some_and(|v| v > 0.0));

    // A scenario run started now is counted at the next scrape.
    let r = send(
        &app_router,
        get("/api/v1/scenarios", Some(&t.admin_token), None),
    )
    .await;
    let slug = r.json()[0]["slug"]
        .as_str()
        .expect("a demo scenario")
        .to_string();
    let runs_before: f64 = ["running", "succeeded", "failed", "cancelled"]
        .iter()
        .map(|s| value(&after, "portfolio_scenario_runs", &[("status", s)]).unwrap())
        .sum();
    let r = send(
        &app_router,
        Request::builder()
            .method("POST")
            .uri(format!("/api/v1/scenarios/{slug}/runs"))
            .header(header::AUTHORIZATION, format!("Bearer {}", t.admin_token))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let later = scrape(&metrics_router).await;
    let runs_after: f64 = ["running", "succeeded", "failed", "cancelled"]
        .iter()
        .map(|s| value(&later, "portfolio_scenario_runs", &[("status", s)]).unwrap())
        .sum();
    assert_eq!(runs_after, runs_before + 1.0);
    let id = r.json()["id"].as_i64().expect("run id");
    // Let the run finish before the database is closed.
    let mut finished = false;
    for _ in 0..600 {
        let r = send(
            &app_router,
            get(
                &format!("/api/v1/scenario-runs/{id}"),
                Some(&t.admin_token),
                None,
            ),
        )
        .await;
        if r.json()["status"] != "running" {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        finished,
        "scenario run {id} did not finish within 60 seconds"
    );
    t.finish().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_hostile_one_is_replaced() {
    let t = TestApp::start().await;
    let fresh = |r: &Resp| {
        let id = r.header("x-request-id").expect("x-request-id").to_string();
        assert_eq!(id.len(), 16, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        id
    };
    let a = fresh(&t.call(get("/health", None, None)).await);
    let b = fresh(&t.call(get("/sign-in", None, None)).await);
    assert_ne!(a, b, "each request has its own id");
    let r = t.call(get("/api/v1/projects/DP-999", None, None)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    fresh(&r);

    // A proxy's sane id is kept.
    let r = t.call(get("/health", None, Some(b"lb-7f3a.0042_x"))).await;
    assert_eq!(r.header("x-request-id"), Some("lb-7f3a.0042_x"));

    // Too long, or with characters that could forge or garble log lines.
    let long = vec![b'a'; 65];
    let hostile: [&[u8]; 4] = [
        &long,
        b"abc\tdef",
        b"x\" level=error msg=\"forged",
        b"caf\xc3\xa9",
    ];
    for id in hostile {
        let r = t.call(get("/health", None, Some(id))).await;
        assert_eq!(r.status, StatusCode::OK);
        let given = fresh(&r);
        assert_ne!(given.as_bytes(), id);
    }
    t.finish().await;
}

// ---------------------------------------------------------------------------
// Readiness on a real PostgreSQL database
// ---------------------------------------------------------------------------

async fn readiness(router: &Router) -> (StatusCode, serde_json::Value) {
    let r = send(router, get("/ready", None, None)).await;
    (r.status, r.json())
}

#[tokio::test]
async fn readiness_follows_the_database_and_its_migrations_on_postgres() {
    let created = PostgresDatabase::create("portfolio_ready").await;
    let (database, url) = (created.name.clone(), created.url.clone());
    let app = App::open(&url, &ConnectOptions::default(), Settings::default())
        .await
        .expect("open the app on PostgreSQL");
    let seed = app.seed_demo(common::PASSWORD).await.expect("seed");
    let actor = portfolio_app::Actor::system("test");
    let (_, token) = app
        .create_token(&seed.admin_email, "ready", &actor)
        .await
        .expect("token");
    let router = portfolio_web::router(app.clone(), &ServeOptions::default());

    let (status, body) = readiness(&router).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert!(body.get("reason").is_none(), "{body}");

    let mut db = portfolio_testdb::connect(&url).await;
    // A migration from a newer binary.
    db.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (29991231000000, 'from a newer version', TRUE, '\\x00'::bytea, 0)",
    )
    .await
    .expect("record a future migration");
    let (status, body) = readiness(&router).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    let reason = body["reason"].as_str().expect("a reason");
    assert!(reason.contains("29991231000000"), "{reason}");
    assert!(reason.contains("newer version"), "{reason}");
    // Liveness is not readiness.
    let r = send(&router, get("/health", None, None)).await;
    assert_eq!(r.status, StatusCode::OK);

    // A migration of this binary missing from the database.
    db.execute("DELETE FROM _sqlx_migrations WHERE version = 29991231000000")
        .await
        .expect("forget the future");
    let latest: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&mut db)
        .await
        .expect("latest migration");
    db.execute(
        format!(
            "CREATE TABLE kept_migration AS SELECT * FROM _sqlx_migrations WHERE version = {latest}; \
             DELETE FROM _sqlx_migrations WHERE version = {latest}"
        )
        .as_str(),
    )
    .await
    .expect("forget the latest migration");
    let (status, body) = readiness(&router).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let reason = body["reason"].as_str().expect("a reason");
    assert!(reason.contains(&latest.to_string()), "{reason}");
    assert!(reason.contains("portfolio migrate"), "{reason}");

    // Recorded again, it is ready again.
    db.execute(
        "INSERT INTO _sqlx_migrations SELECT * FROM kept_migration; DROP TABLE kept_migration",
    )
    .await
    .expect("record the latest migration again");
    let _ = db.close().await;
    let (status, body) = readiness(&router).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The database goes away: its connections are cut and it is dropped.
    let mut admin = portfolio_testdb::admin_connection().await;
    admin
        .execute(
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{database}' AND pid <> pg_backend_pid()"
            )
            .as_str(),
        )
        .await
        .expect("terminate the app's connections");
    admin
        .execute(format!("DROP DATABASE {database} WITH (FORCE)").as_str())
        .await
        .expect("drop the database");
    let (status, body) = readiness(&router).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"]
            .as_str()
            .is_some_and(|r| r.contains("cannot be reached")),
        "{body}"
    );
    let r = send(&router, get("/health", None, None)).await;
    assert_eq!(r.status, StatusCode::OK);

    // A request that fails on the server's side names its id, for the
    // user to quote: in the problem document and on the page.
    let r = send(
        &router,
        get("/api/v1/dashboard", Some(&token), Some(b"quote-me-42")),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    assert_eq!(r.header("x-request-id"), Some("quote-me-42"));
    assert_eq!(r.json()["request_id"], "quote-me-42", "{}", r.text());
    let r = send(
        &router,
        Request::builder()
            .uri("/public/northmere/roadmap")
            .header("x-request-id", "page-ref-7")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    assert!(r.text().contains("page-ref-7"), "{}", r.text());

    app.store.close().await;
    let _ = admin.close().await;
}
