//! The OpenAPI document matches the router both ways: every API route is
//! documented, and every documented path and method is mounted.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "options", "head", "trace",
];

/// (path, method) pairs the document describes.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((path.clone(), m.to_string()));
            }
        }
    }
    out
}

/// Every `$ref` in a JSON document.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_served_and_lists_every_route() {
    let t = TestApp::start().await;
    let r = t.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let doc = r.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "openapi = {}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Portfolio API");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let ops = operations(&doc);
    let expected = [
        ("/api/v1/organisations", "get"),
        ("/api/v1/departments", "get"),
        ("/api/v1/themes", "get"),
        ("/api/v1/projects", "get"),
        ("/api/v1/projects", "post"),
        ("/api/v1/projects/{code}", "get"),
        ("/api/v1/projects/{code}", "put"),
        ("/api/v1/projects/{code}", "delete"),
        ("/api/v1/dashboard", "get"),
        ("/api/v1/duplicates", "get"),
        ("/api/v1/priorities", "get"),
        ("/api/v1/priorities", "post"),
        ("/api/v1/priorities/{id}", "get"),
        ("/api/v1/priorities/{id}/accept", "post"),
        ("/api/v1/priorities/{id}/link", "post"),
        ("/api/v1/priorities/{id}/decline", "post"),
        ("/api/v1/imports", "post"),
        ("/api/v1/import-mappings/{source}", "get"),
        ("/api/v1/import-mappings/{source}", "put"),
        ("/api/v1/merges", "post"),
        ("/api/v1/merges/{id}", "get"),
        ("/api/v1/merges/{id}/undo", "post"),
        ("/api/v1/projects/{code}/lineage", "get"),
        ("/api/v1/scoring-model", "get"),
        ("/api/v1/scoring-model", "put"),
        ("/api/v1/scoring-model/versions", "get"),
        ("/api/v1/projects/{code}/assessment", "get"),
        ("/api/v1/projects/{code}/assessment", "put"),
        ("/api/v1/ranking", "get"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/api/v1/resource-pools", "get"),
        ("/api/v1/resource-pools", "post"),
        ("/api/v1/resource-pools/{slug}", "get"),
        ("/api/v1/resource-pools/{slug}", "put"),
        ("/api/v1/resource-pools/{slug}", "delete"),
        ("/api/v1/budgets", "get"),
        ("/api/v1/budgets/{year}", "put"),
        ("/api/v1/projects/{code}/plan", "get"),
        ("/api/v1/projects/{code}/plan", "put"),
        ("/api/v1/capacity/heat-map", "get"),
        ("/api/v1/scenarios", "get"),
        ("/api/v1/scenarios", "post"),
        ("/api/v1/scenarios/{slug}", "get"),
        ("/api/v1/scenarios/{slug}", "put"),
        ("/api/v1/scenarios/{slug}/runs", "post"),
        ("/api/v1/scenarios/{slug}/result", "get"),
        ("/api/v1/scenarios/{slug}/model", "get"),
        ("/api/v1/scenario-runs/{id}", "get"),
        ("/api/v1/scenario-runs/{id}/cancel", "post"),
        ("/api/v1/scenarios-comparison", "get"),
        ("/api/v1/projects/{code}/explanations", "get"),
        ("/api/v1/raid-items", "get"),
        ("/api/v1/raid-items", "post"),
        ("/api/v1/raid-items/{id}", "get"),
        ("/api/v1/raid-items/{id}", "put"),
        ("/api/v1/raid-heat-map", "get"),
        ("/api/v1/escalated-risks", "get"),
        ("/api/v1/risk-scales", "get"),
        ("/api/v1/risk-scales", "put"),
        ("/api/v1/gate-checklists", "get"),
        ("/api/v1/gate-checklists/{gate}", "put"),
        ("/api/v1/gate-requests", "get"),
        ("/api/v1/gate-requests", "post"),
        ("/api/v1/gate-requests/{id}", "get"),
        ("/api/v1/gate-requests/{id}/decision", "post"),
        ("/api/v1/meetings", "get"),
        ("/api/v1/meetings", "post"),
        ("/api/v1/meetings/{id}", "get"),
        ("/api/v1/meetings/{id}", "put"),
        ("/api/v1/meetings/{id}/agenda-items", "post"),
        ("/api/v1/meetings/{id}/decisions", "post"),
        ("/api/v1/meetings/{id}/actions", "post"),
        ("/api/v1/meeting-actions/{id}", "patch"),
        ("/api/v1/decisions", "get"),
        ("/api/v1/projects/{code}/highlight-reports", "get"),
        ("/api/v1/projects/{code}/highlight-reports", "post"),
        ("/api/v1/projects/{code}/highlight-reports/{period}", "get"),
        ("/api/v1/projects/{code}/highlight-reports/{period}", "put"),
        ("/api/v1/confidence-trend", "get"),
        ("/api/v1/notifications", "get"),
        ("/api/v1/notifications/{id}/read", "post"),
        ("/api/v1/notifications/read", "post"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{id}", "delete"),
        ("/api/v1/changes", "get"),
        ("/api/v1/exports/{register}", "get"),
        ("/api/v1/reports", "get"),
        ("/api/v1/reports", "post"),
        ("/api/v1/reports/{id}", "get"),
        ("/api/v1/reports/{id}", "put"),
        ("/api/v1/reports/{id}/document", "get"),
        ("/api/v1/report", "get"),
        ("/api/v1/branding", "get"),
        ("/api/v1/branding", "put"),
    ];
    for (path, method) in expected {
        assert!(
            ops.contains(&(path.to_string(), method.to_string())),
            "{method} {path} is not documented; documented: {ops:?}"
        );
    }
    assert_eq!(ops.len(), expected.len(), "undocumented extras? {ops:?}");

    // Every schema the operations refer to is in the document.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(
        refs.contains(&"#/components/schemas/DuplicatePair".to_string()),
        "{refs:?}"
    );
    for r in &refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is referred to but not defined"
        );
    }

    // The library function gives the same document.
    let served: Value = doc;
    let built = serde_json::to_value(portfolio_web::openapi_document()).unwrap();
    assert_eq!(served, built);
    t.finish().await;
}

#[tokio::test]
async fn every_documented_operation_is_mounted() {
    let t = TestApp::start().await;
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    let ops = operations(&doc);
    assert!(!ops.is_empty());
    for (path, method) in &ops {
        // Token 1 is the probe's own: revoking it would end the probe.
        let id = if path.starts_with("/api/v1/tokens/") {
            "999999"
        } else {
            "1"
        };
        let uri = path
            .replace("{code}", "DP-001")
            .replace("{id}", id)
            .replace("{source}", "health.csv")
            .replace("{slug}", "developers")
            .replace("{year}", "2027-28")
            .replace("{gate}", "concept-design")
            .replace("{period}", "2026-11")
            .replace("{register}", "raid");
        assert!(!uri.contains('{'), "unfilled parameter in {path}");
        let method: Method = method.to_uppercase().parse().unwrap();
        let mut b = Request::builder()
            .method(method.clone())
            .uri(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", t.admin_token));
        let body = if method == Method::POST || method == Method::PUT {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from("{}")
        } else {
            Body::empty()
        };
        let r = t.call(b.body(body).unwrap()).await;
        assert_ne!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri} is documented but not allowed"
        );
        assert!(
            !r.status.is_server_error(),
            "{method} {uri}: {} {}",
            r.status,
            r.text()
        );
        if r.status == StatusCode::NOT_FOUND {
            let fallback = serde_json::from_slice::<Value>(&r.body).is_ok_and(|d| {
                d["type"]
                    .as_str()
                    .is_some_and(|k| k.ends_with("/not-found"))
                    && d["detail"] == "resource not found"
            });
            assert!(
                !fallback,
                "{method} {uri} is documented but falls through to the 404 fallback"
            );
        }
    }
    // The probes wrote nothing.
    assert_eq!(t.total().await, 76);
    assert_eq!(t.project("DP-001").await.version, 1);
    t.finish().await;
}

#[tokio::test]
async fn the_fallback_is_recognisable() {
    // The check above relies on this shape for unmounted API paths.
    let t = TestApp::start().await;
    let r = t.get("/api/v1/not-a-route", Some(&t.admin_token)).await;
    let d = r.problem(404, None);
    assert!(d["type"].as_str().unwrap().ends_with("/not-found"));
    assert_eq!(d["detail"], "resource not found");
    // A method a mounted path does not have is 405, not the fallback.
    let r = t
        .call(
            Request::builder()
                .method(Method::PATCH)
                .uri("/api/v1/projects/DP-001")
                .header(header::AUTHORIZATION, format!("Bearer {}", t.admin_token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    t.finish().await;
}

#[tokio::test]
async fn report_documents_are_described_in_every_format_the_server_writes() {
    let t = TestApp::start().await;
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    for path in ["/api/v1/reports/{id}/document", "/api/v1/report"] {
        let content = doc["paths"][path]["get"]["responses"]["200"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{path} documents no content for 200"));
        for format in portfolio_app::reports::ReportFormat::ALL {
            let media_type = format.mime().split(';').next().unwrap_or_default();
            assert!(
                content.contains_key(media_type),
                "{path} does not document {} ({}); it lists {:?}",
                format.label(),
                media_type,
                content.keys().collect::<Vec<_>>()
            );
        }
    }
    t.finish().await;
}
