//! The JSON API, driven in-process: authentication, listing and filters,
//! the dashboard, creating and updating with optimistic locking, refusing bad
//! input (always a named field, never a 500, never a partial write), roles
//! and organisation boundaries.

mod common;

use axum::http::{Method, StatusCode};
use common::{draft_of, fields, valid_draft, TestApp, PASSWORD};
use portfolio_app::Actor;
use portfolio_domain::{Project, Role};
use serde_json::{json, Value};

fn codes(list: &Value) -> Vec<String> {
    list["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .map(|p| p["code"].as_str().expect("code").to_string())
        .collect()
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    let t = TestApp::start().await;

    let r = t.get("/api/v1/projects", None).await;
    r.problem(401, None);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));

    let wrong = format!("pf_{}", "0".repeat(64));
    for token in [wrong.as_str(), "not-a-token", ""] {
        let r = t.get("/api/v1/projects", Some(token)).await;
        r.problem(401, None);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{token:?}");
    }

    // Other schemes are not bearer tokens.
    let r = t
        .call(
            axum::http::Request::builder()
                .uri("/api/v1/dashboard")
                .header("authorization", format!("Basic {}", t.admin_token))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    r.problem(401, None);

    let r = t.get("/api/v1/projects", Some(&t.admin_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    t.finish().await;
}

#[tokio::test]
async fn lists_pages_and_filters_projects() {
    let t = TestApp::start().await;
    let token = Some(t.admin_token.as_str());

    let r = t.get("/api/v1/projects?limit=100", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let all = r.json();
    assert_eq!(all["total"], 76);
    assert_eq!(all["limit"], 100);
    assert_eq!(all["page"], 1);
    let all_codes = codes(&all);
    assert_eq!(all_codes.len(), 76);
    assert_eq!(all_codes[0], "DP-001");
    assert_eq!(all_codes[75], "DP-076");

    let r = t.get("/api/v1/projects", token).await;
    assert_eq!(
        r.json()["projects"].as_array().unwrap().len(),
        50,
        "default limit"
    );

    let r = t.get("/api/v1/projects?limit=10&page=2", token).await;
    assert_eq!(r.status, StatusCode::OK);
    let page2 = r.json();
    assert_eq!(page2["total"], 76);
    assert_eq!(page2["page"], 2);
    assert_eq!(codes(&page2), all_codes[10..20].to_vec());

    let r = t
        .get("/api/v1/projects?stage=design&limit=100", token)
        .await;
    let design = r.json();
    assert_eq!(design["total"], 27);
    let rows = design["projects"].as_array().unwrap();
    assert_eq!(rows.len(), 27);
    assert!(rows.iter().all(|p| p["stage"] == "design"));

    let r = t.get("/api/v1/projects?q=teams&limit=100", token).await;
    assert_eq!(r.status, StatusCode::OK);
    let found = r.json();
    let n = found["total"].as_i64().unwrap();
    assert!(n > 0 && n < 76, "q=teams found {n}");
    for p in found["projects"].as_array().unwrap() {
        let hay = p.to_string().to_lowercase();
        assert!(hay.contains("teams"), "{hay}");
    }

    let r = t.get("/api/v1/projects?stage=nonsense", token).await;
    r.problem(422, Some("stage"));
    let r = t.get("/api/v1/projects?limit=100000", token).await;
    r.problem(422, Some("limit"));
    let r = t.get("/api/v1/projects?limit=0", token).await;
    r.problem(422, Some("limit"));
    let r = t.get("/api/v1/projects?page=-1", token).await;
    r.problem(422, Some("page"));
    let r = t.get("/api/v1/projects?sort=colour", token).await;
    r.problem(422, Some("sort"));
    t.finish().await;
}

#[tokio::test]
async fn dashboard_counts_the_demo() {
    let t = TestApp::start().await;
    let r = t.get("/api/v1/dashboard", Some(&t.admin_token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = r.json();
    assert_eq!(d["total"], 76);
    let stage = |s: &str| {
        d["by_stage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["stage"] == s)
            .unwrap_or_else(|| panic!("no {s} in by_stage: {d}"))["count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(stage("concept"), 28);
    assert_eq!(stage("design"), 27);
    assert_eq!(stage("delivery"), 21);
    let sum: i64 = d["by_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 76);
    t.finish().await;
}

#[tokio::test]
async fn creates_a_project() {
    let t = TestApp::start().await;
    let r = t
        .json(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            None,
            &valid_draft(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header("location"), Some("/api/v1/projects/DP-077"));
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let p = r.json();
    assert_eq!(p["code"], "DP-077");
    assert_eq!(p["version"], 1);
    assert_eq!(p["costs"][0]["capital_pence"], 12_500_000);

    let r = t.get("/api/v1/projects/DP-077", Some(&t.admin_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["title"], valid_draft()["title"]);
    assert_eq!(t.total().await, 77);
    t.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let t = TestApp::start().await;
    let with = |patch: Value| {
        let mut d = valid_draft();
        for (k, v) in patch.as_object().unwrap() {
            d[k] = v.clone();
        }
        d.to_string()
    };
    let long_title = "x".repeat(10_000);
    // (what, body, expected status, field named)
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("malformed JSON", "{\"title\": \"x\",,}".into(), 400, "body"),
        ("truncated JSON", "{\"title\": ".into(), 400, "title"),
        (
            "malformed nested JSON",
            with(json!({"costs": "@@"})).replace("\"@@\"", "[{,}]"),
            400,
            "costs[0]",
        ),
        ("not an object", "\"a string\"".into(), 400, "body"),
        ("empty body", String::new(), 400, "body"),
        (
            "trailing data",
            format!("{} {{}}", valid_draft()),
            400,
            "body",
        ),
        ("wrong type", with(json!({"title": 5})), 400, "title"),
        (
            "unknown field",
            with(json!({"colour": "red"})),
            400,
            "colour",
        ),
        (
            "fraction of a penny",
            with(json!({"costs": [{"year": "2026/27", "capital_pence": 12.5}]})),
            400,
            "costs[0].capital_pence",
        ),
        (
            "negative money",
            with(json!({"costs": [{"year": "2026/27", "capital_pence": -100}]})),
            422,
            "costs[0].capital_pence",
        ),
        (
            "money beyond the cap",
            with(json!({"costs": [{"year": "2026/27", "revenue_pence": i64::MAX}]})),
            422,
            "costs[0].revenue_pence",
        ),
        (
            "money beyond i64",
            with(json!({"costs": [{"year": "2026/27", "revenue_pence": 1e30}]})),
            400,
            "costs[0].revenue_pence",
        ),
        (
            "bad financial year",
            with(json!({"costs": [{"year": "next year"}]})),
            422,
            "costs[0].year",
        ),
        (
            "date out of range",
            with(json!({"start_date": "3026-01-01"})),
            422,
            "start_date",
        ),
        (
            "not a date",
            with(json!({"start_date": "2026-02-30"})),
            422,
            "start_date",
        ),
        (
            "end before start",
            with(json!({"start_date": "2026-04-01", "end_date": "2025-04-01"})),
            422,
            "end_date",
        ),
        (
            "title too long",
            with(json!({"title": long_title})),
            422,
            "title",
        ),
        ("empty title", with(json!({"title": "   "})), 422, "title"),
        (
            "control character",
            with(json!({"title": "a\u{0007}b"})),
            422,
            "title",
        ),
        (
            "missing title",
            {
                let mut d = valid_draft();
                d.as_object_mut().unwrap().remove("title");
                d.to_string()
            },
            400,
            "body",
        ),
        (
            "unknown department",
            with(json!({"department": "space"})),
            422,
            "department",
        ),
        (
            "unknown theme",
            with(json!({"themes": ["space"]})),
            422,
            "themes[0]",
        ),
        (
            "stage merged",
            with(json!({"stage": "merged"})),
            422,
            "stage",
        ),
        (
            "stage unknown",
            with(json!({"stage": "finished"})),
            422,
            "stage",
        ),
        (
            "bad confidence",
            with(json!({"confidence": "purple"})),
            422,
            "confidence",
        ),
        ("bad code", with(json!({"code": "<b>-1"})), 422, "code"),
    ];
    let mut failures = Vec::new();
    for (what, body, status, field) in &cases {
        let r = t
            .raw(
                Method::POST,
                "/api/v1/projects",
                &t.admin_token,
                &[("content-type", "application/json")],
                body.clone(),
            )
            .await;
        let problem_json = r
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/problem+json"));
        let named = if problem_json {
            fields(&r.json())
        } else {
            Vec::new()
        };
        if r.status.as_u16() != *status || !problem_json || !named.iter().any(|f| f == field) {
            failures.push(format!(
                "{what}: expected {status} naming {field:?}, got {} naming {named:?}: {}",
                r.status,
                r.text()
            ));
        } else {
            r.problem(*status, Some(field));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Each problem is reported, not just the first.
    let r = t
        .json(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            None,
            &json!({"title": "", "department": "nowhere", "stage": "merged", "start_date": "2026-02-30"}),
        )
        .await;
    let doc = r.problem(422, None);
    for f in ["title", "department", "stage", "start_date"] {
        assert!(fields(&doc).iter().any(|x| x == f), "{f}: {doc}");
    }

    // Not JSON at all.
    let r = t
        .raw(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            &[],
            valid_draft().to_string(),
        )
        .await;
    r.problem(415, None);
    let r = t
        .raw(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            &[("content-type", "text/plain")],
            valid_draft().to_string(),
        )
        .await;
    r.problem(415, None);
    // JSON with parameters and a +json type are accepted.
    let r = t
        .raw(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            &[("content-type", "application/json; charset=utf-8")],
            with(json!({"title": "charset is fine"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let written = 1;

    // Over 256 KiB: with a Content-Length, and streamed without one.
    let huge = with(json!({"summary": "a".repeat(300 * 1024)}));
    let len = huge.len().to_string();
    let r = t
        .raw(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            &[
                ("content-type", "application/json"),
                ("content-length", &len),
            ],
            huge.clone(),
        )
        .await;
    r.problem(413, None);
    // No Content-Length header: the limit is met while reading the body.
    let r = t
        .raw(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            &[("content-type", "application/json")],
            huge,
        )
        .await;
    r.problem(413, None);

    assert_eq!(
        t.total().await,
        76 + written,
        "a refused request wrote something"
    );
    t.finish().await;
}

#[tokio::test]
async fn a_disallowed_stage_move_is_refused() {
    let t = TestApp::start().await;
    let r = t
        .get(
            "/api/v1/projects?stage=concept&limit=1",
            Some(&t.admin_token),
        )
        .await;
    let code = codes(&r.json())[0].clone();
    let before = t.project(&code).await;
    let mut body = draft_of(&before);
    body["stage"] = json!("live");
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{code}"),
            &t.admin_token,
            Some(&format!("\"v{}\"", before.version)),
            &body,
        )
        .await;
    let doc = r.problem(422, Some("stage"));
    assert!(doc.to_string().contains("cannot be skipped"), "{doc}");
    let after = t.project(&code).await;
    assert_eq!(after, before, "nothing written");

    // Changing the code is refused too.
    let mut body = draft_of(&before);
    body["code"] = json!("DP-999");
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{code}"),
            &t.admin_token,
            Some(&format!("\"v{}\"", before.version)),
            &body,
        )
        .await;
    r.problem(422, Some("code"));
    assert_eq!(t.project(&code).await, before);
    t.finish().await;
}

#[tokio::test]
async fn html_in_text_is_stored_and_returned_as_typed() {
    let t = TestApp::start().await;
    let title = "<script>alert(\"x\")</script> & <b>bold</b> 'quoted'";
    let mut body = valid_draft();
    body["title"] = json!(title);
    body["summary"] = json!("<img src=x onerror=alert(1)>");
    let r = t
        .json(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            None,
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["title"], title);
    let r = t.get("/api/v1/projects/DP-077", Some(&t.admin_token)).await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    let p = r.json();
    assert_eq!(p["title"], title);
    assert_eq!(p["summary"], "<img src=x onerror=alert(1)>");
    t.finish().await;
}

#[tokio::test]
async fn updates_need_the_current_etag() {
    let t = TestApp::start().await;
    let path = "/api/v1/projects/DP-001";
    let r = t.get(path, Some(&t.admin_token)).await;
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let original: Project = serde_json::from_slice(&r.body).unwrap();
    let mut first = draft_of(&original);
    first["title"] = json!("First update");

    let r = t
        .json(Method::PUT, path, &t.admin_token, None, &first)
        .await;
    r.problem(428, Some("If-Match"));
    for bad in ["v1", "\"1\"", "*", "\"v0\"", "\"v-1\"", "\"vx\""] {
        let r = t
            .json(Method::PUT, path, &t.admin_token, Some(bad), &first)
            .await;
        r.problem(400, Some("If-Match"));
    }
    assert_eq!(t.project("DP-001").await, original, "nothing written yet");

    let r = t
        .json(Method::PUT, path, &t.admin_token, Some("\"v1\""), &first)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v2\""));
    assert_eq!(r.json()["version"], 2);

    // Someone who read v1 too now saves their change: refused, not lost.
    let mut second = draft_of(&original);
    second["title"] = json!("Second update from a stale read");
    let r = t
        .json(Method::PUT, path, &t.admin_token, Some("\"v1\""), &second)
        .await;
    let doc = r.problem(412, None);
    assert_eq!(doc["current_version"], 2);
    let now = t.project("DP-001").await;
    assert_eq!(now.title, "First update");
    assert_eq!(now.version, 2);

    // A weak ETag of the current version is accepted.
    let r = t
        .json(Method::PUT, path, &t.admin_token, Some("W/\"v2\""), &second)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v3\""));

    // Unknown project.
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-999",
            &t.admin_token,
            Some("\"v1\""),
            &first,
        )
        .await;
    r.problem(404, None);
    t.finish().await;
}

#[tokio::test]
async fn delete_withdraws_and_keeps_the_record() {
    let t = TestApp::start().await;
    let path = "/api/v1/projects/DP-002";
    let r = t
        .raw(
            Method::DELETE,
            path,
            &t.admin_token,
            &[],
            axum::body::Body::empty(),
        )
        .await;
    r.problem(428, Some("If-Match"));

    let r = t
        .raw(
            Method::DELETE,
            path,
            &t.admin_token,
            &[("if-match", "\"v1\"")],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["stage"], "withdrawn");
    assert_eq!(r.header("etag"), Some("\"v2\""));

    let r = t.get(path, Some(&t.admin_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["stage"], "withdrawn");

    // Stale, then from an ended stage.
    let r = t
        .raw(
            Method::DELETE,
            path,
            &t.admin_token,
            &[("if-match", "\"v1\"")],
            axum::body::Body::empty(),
        )
        .await;
    let doc = r.problem(412, None);
    assert_eq!(doc["current_version"], 2);
    // Withdrawing again is harmless: still withdrawn.
    let r = t
        .raw(
            Method::DELETE,
            path,
            &t.admin_token,
            &[("if-match", "\"v2\"")],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["stage"], "withdrawn");

    // A closed project cannot be withdrawn.
    let r = t
        .get(
            "/api/v1/projects?stage=delivery&limit=1",
            Some(&t.admin_token),
        )
        .await;
    let code = codes(&r.json())[0].clone();
    let path = format!("/api/v1/projects/{code}");
    for (stage, version) in [("live", 1), ("closed", 2)] {
        let mut body = draft_of(&t.project(&code).await);
        body["stage"] = json!(stage);
        let r = t
            .json(
                Method::PUT,
                &path,
                &t.admin_token,
                Some(&format!("\"v{version}\"")),
                &body,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "to {stage}: {}", r.text());
    }
    let r = t
        .raw(
            Method::DELETE,
            &path,
            &t.admin_token,
            &[("if-match", "\"v3\"")],
            axum::body::Body::empty(),
        )
        .await;
    r.problem(422, Some("stage"));
    assert_eq!(t.project(&code).await.stage.as_str(), "closed");
    t.finish().await;
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_write() {
    let t = TestApp::start().await;
    let token = t.viewer_token.clone();
    for path in [
        "/api/v1/projects",
        "/api/v1/projects/DP-001",
        "/api/v1/dashboard",
        "/api/v1/organisations",
        "/api/v1/departments",
        "/api/v1/themes",
    ] {
        let r = t.get(path, Some(&token)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    }
    let r = t
        .json(
            Method::POST,
            "/api/v1/projects",
            &token,
            None,
            &valid_draft(),
        )
        .await;
    r.problem(403, None);

    let before = t.project("DP-001").await;
    let mut body = draft_of(&before);
    body["title"] = json!("Viewer edit");
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001",
            &token,
            Some("\"v1\""),
            &body,
        )
        .await;
    r.problem(403, None);
    let r = t
        .raw(
            Method::DELETE,
            "/api/v1/projects/DP-001",
            &token,
            &[("if-match", "\"v1\"")],
            axum::body::Body::empty(),
        )
        .await;
    r.problem(403, None);

    assert_eq!(t.total().await, 76);
    assert_eq!(t.project("DP-001").await, before);
    t.finish().await;
}

#[tokio::test]
async fn organisations_do_not_see_each_other() {
    let t = TestApp::start().await;
    let actor = Actor::system("test");
    let drafts = portfolio_domain::demo::synthetic(3, 1);
    let synthetic_codes: Vec<String> = drafts.iter().map(|d| d.code.clone().unwrap()).collect();
    assert_eq!(synthetic_codes, ["DP-00001", "DP-00002", "DP-00003"]);
    let other = other_organisation(&t, &drafts, &actor).await;
    let northmere = t.project("DP-001").await;

    let r = t.get("/api/v1/organisations", Some(&other)).await;
    let orgs = r.json();
    assert_eq!(orgs.as_array().unwrap().len(), 1);
    assert_eq!(orgs[0]["name"], "Other Council");
    let other_org = orgs[0]["id"].as_i64().unwrap();
    assert_ne!(other_org, northmere.organisation_id);

    let r = t.get("/api/v1/dashboard", Some(&other)).await;
    assert_eq!(r.json()["total"], 3);
    let r = t.get("/api/v1/projects?limit=500", Some(&other)).await;
    let list = r.json();
    assert_eq!(list["total"], 3);
    assert_eq!(codes(&list), synthetic_codes);
    assert!(list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["organisation_id"] == other_org));

    // Its own first project, by its own code.
    let r = t.get("/api/v1/projects/DP-00001", Some(&other)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = r.json();
    assert_eq!(p["organisation_id"], other_org);
    assert_eq!(p["title"], drafts[0].title);
    assert_ne!(p["id"], northmere.id);

    // Northmere's codes are not found, never shown.
    for code in ["DP-001", "DP-076", "dp-001"] {
        let r = t
            .get(&format!("/api/v1/projects/{code}"), Some(&other))
            .await;
        r.problem(404, None);
        assert!(!r.text().contains(&northmere.title), "{code} leaked");
    }
    // And it cannot change them.
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001",
            &other,
            Some("\"v1\""),
            &draft_of(&northmere),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let r = t
        .raw(
            Method::DELETE,
            "/api/v1/projects/DP-076",
            &other,
            &[("if-match", "\"v1\"")],
            axum::body::Body::empty(),
        )
        .await;
    r.problem(404, None);
    assert_eq!(t.project("DP-001").await, northmere);
    assert_eq!(t.project("DP-076").await.version, 1);

    // Northmere does not see the other council's projects either.
    let r = t
        .get("/api/v1/projects/DP-00001", Some(&t.admin_token))
        .await;
    r.problem(404, None);
    assert_eq!(t.total().await, 76);

    // A project it creates is numbered in its own sequence.
    let mut body = valid_draft();
    body["title"] = json!("Other council project");
    let r = t
        .json(Method::POST, "/api/v1/projects", &other, None, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["organisation_id"], other_org);
    assert_eq!(t.total().await, 76);
    t.finish().await;
}

#[tokio::test]
async fn health_readiness_and_unknown_routes() {
    let t = TestApp::start().await;
    let r = t.get("/health", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let r = t.get("/ready", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");

    for path in [
        "/api/v1/nope",
        "/api/v2/projects",
        "/api/v1/projects/DP-001/nope",
    ] {
        let r = t.get(path, Some(&t.admin_token)).await;
        let doc = r.problem(404, None);
        assert!(
            doc["type"].as_str().unwrap().ends_with("/not-found"),
            "{doc}"
        );
    }
    let r = t.get("/api/v1/projects/DP-999", Some(&t.admin_token)).await;
    r.problem(404, None);
    t.finish().await;
}

const TWIN_A: &str = "Children's case mgmt system replacement";
const TWIN_B: &str = "Replace children's social care case management system";

/// Creates a project titled `title` in Families and Communities; returns its code.
/// A second organisation, "other", holding `drafts`, and an administrator's API token for it.
async fn other_organisation(
    t: &TestApp,
    drafts: &[portfolio_domain::ProjectDraft],
    actor: &Actor,
) -> String {
    t.app
        .seed_organisation("other", "Other Council", drafts, actor)
        .await
        .unwrap();
    t.app
        .add_user(
            "other",
            "someone@other.example",
            "Someone",
            Role::Administrator,
            PASSWORD,
            actor,
        )
        .await
        .unwrap();
    t.app
        .create_token("someone@other.example", "tests", actor)
        .await
        .unwrap()
        .1
}

async fn create_titled(t: &TestApp, token: &str, title: &str) -> String {
    let mut body = valid_draft();
    body["title"] = json!(title);
    body["summary"] = json!("");
    body["department"] = json!("families-and-communities");
    let r = t
        .json(Method::POST, "/api/v1/projects", token, None, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["code"].as_str().expect("code").to_string()
}

/// The pair naming both codes, in either order.
fn pair_of<'a>(list: &'a Value, x: &str, y: &str) -> Option<&'a Value> {
    list["pairs"].as_array().expect("pairs").iter().find(|p| {
        let (a, b) = (&p["a"]["code"], &p["b"]["code"]);
        (a == x && b == y) || (a == y && b == x)
    })
}

/// Every project code named by the pairs of a list.
fn pair_codes(list: &Value) -> Vec<String> {
    list["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .flat_map(|p| [&p["a"]["code"], &p["b"]["code"]])
        .map(|c| c.as_str().expect("code").to_string())
        .collect()
}

#[tokio::test]
async fn duplicates_rank_a_planted_pair_with_reasons() {
    let t = TestApp::start().await;
    let first = create_titled(&t, &t.admin_token, TWIN_A).await;
    let second = create_titled(&t, &t.admin_token, TWIN_B).await;

    let r = t.get("/api/v1/duplicates", None).await;
    r.problem(401, None);

    let r = t
        .get("/api/v1/duplicates?limit=500", Some(&t.viewer_token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = r.json();
    assert_eq!(list["limit"], 500);
    let pair = pair_of(&list, &first, &second).expect("the planted pair is found");
    assert_eq!(pair["a"]["department"]["slug"], "families-and-communities");
    assert_eq!(pair["b"]["stage"], "concept");
    let score = pair["score"].as_f64().expect("score");
    assert!(score > 0.0 && score <= 1.0, "{score}");
    let reasons: Vec<&str> = pair["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| r.as_str().expect("a reason"))
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("children")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("same department")),
        "{reasons:?}"
    );
    // Best first.
    let scores: Vec<f64> = list["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // The default limit is 50, and a smaller one is honoured.
    let r = t.get("/api/v1/duplicates", Some(&t.admin_token)).await;
    assert_eq!(r.json()["limit"], 50);
    let r = t
        .get("/api/v1/duplicates?limit=1", Some(&t.admin_token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["pairs"].as_array().unwrap().len(), 1);

    // A withdrawn project is no longer a candidate (the cached list is not reused).
    let r = t
        .raw(
            Method::DELETE,
            &format!("/api/v1/projects/{second}"),
            &t.admin_token,
            &[("if-match", "\"v1\"")],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t
        .get("/api/v1/duplicates?limit=500", Some(&t.admin_token))
        .await;
    assert!(!pair_codes(&r.json()).contains(&second), "{}", r.text());
    t.finish().await;
}

#[tokio::test]
async fn a_bad_duplicates_limit_is_refused_naming_it() {
    let t = TestApp::start().await;
    for bad in ["0", "501", "-1", "ten", "", "1.5", "99999999999"] {
        let r = t
            .get(
                &format!("/api/v1/duplicates?limit={bad}"),
                Some(&t.admin_token),
            )
            .await;
        let doc = r.problem(400, Some("limit"));
        assert!(
            doc["detail"].as_str().unwrap().contains("1 to 500"),
            "{doc}"
        );
    }
    t.finish().await;
}

#[tokio::test]
async fn duplicates_stay_within_the_organisation() {
    let t = TestApp::start().await;
    let actor = Actor::system("test");
    let mut drafts = portfolio_domain::demo::synthetic(3, 1);
    let mut twin = drafts[0].clone();
    twin.code = Some("DP-00004".to_string());
    twin.title = TWIN_B.to_string();
    twin.summary = String::new();
    drafts.push(twin);
    let other = other_organisation(&t, &drafts, &actor).await;
    let first = create_titled(&t, &t.admin_token, TWIN_A).await;

    let own: Vec<String> = drafts.iter().map(|d| d.code.clone().unwrap()).collect();
    let r = t.get("/api/v1/duplicates?limit=500", Some(&other)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let codes = pair_codes(&r.json());
    assert!(codes.iter().all(|c| own.contains(c)), "{codes:?}");
    assert!(!r.text().contains(TWIN_A), "{}", r.text());

    let r = t
        .get("/api/v1/duplicates?limit=500", Some(&t.admin_token))
        .await;
    let codes = pair_codes(&r.json());
    assert!(!codes.iter().any(|c| own.contains(c)), "{codes:?}");
    assert!(!r.text().contains(TWIN_B), "{}", r.text());
    assert!(pair_of(&r.json(), &first, "DP-00004").is_none());
    t.finish().await;
}
