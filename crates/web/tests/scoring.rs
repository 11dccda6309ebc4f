//! The scoring model, assessments and ranking through the API and the pages,
//! on the demo council (which is seeded with a model and 76 assessments).

mod common;

use axum::http::{Method, StatusCode};
use common::{hidden_input, TestApp, VIEWER_EMAIL};
use serde_json::{json, Value};

fn criterion(key: &str, weight: f64) -> Value {
    json!({
        "key": key,
        "name": format!("Criterion {key}"),
        "description": "",
        "descriptors": ["none", "a little", "some", "good", "very good", "excellent"],
        "weight": weight,
    })
}

#[tokio::test]
async fn the_demo_model_is_served_and_ranks_every_project() {
    let t = TestApp::start().await;
    let r = t.get("/api/v1/scoring-model", Some(&t.viewer_token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let model = r.json();
    assert_eq!(model["criteria"].as_array().map(Vec::len), Some(6));
    let ratio = model["weighting"]["consistency"]["ratio"].as_f64().unwrap();
    assert!(ratio < 0.10, "{model}");

    let r = t.get("/api/v1/ranking", Some(&t.viewer_token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ranking = r.json();
    assert_eq!(ranking["model_version"], 1);
    let entries = ranking["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 76, "every demo project is assessed");
    assert!(ranking["unassessed"].as_array().unwrap().is_empty());
    let scores: Vec<f64> = entries
        .iter()
        .map(|e| e["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "highest first");
    assert!(scores.first() > scores.last(), "the demo scores vary");
    // Each line's contributions add up to its score (to rounding).
    for e in entries {
        let sum: f64 = e["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["points"].as_f64().unwrap())
            .sum();
        assert!((sum - e["score"].as_f64().unwrap()).abs() < 0.35, "{e}");
    }
    // Statutory work scores high on urgency; other work lower.
    let org = t.project("DP-001").await.organisation_id;
    let projects = t.app.store.all_projects(org).await.unwrap();
    let urgency = |code: &str| {
        let e = entries.iter().find(|e| e["code"] == code).unwrap();
        let c = e["contributions"].as_array().unwrap();
        let u = c.iter().find(|c| c["key"] == "statutory_urgency").unwrap();
        u["score"].as_u64().unwrap()
    };
    let statutory: Vec<&str> = projects
        .iter()
        .filter(|p| p.tags.iter().any(|t| t == "statutory"))
        .map(|p| p.code.as_str())
        .collect();
    assert!(!statutory.is_empty());
    assert!(statutory.iter().all(|c| urgency(c) >= 4), "{statutory:?}");
    assert!(projects
        .iter()
        .filter(|p| !statutory.contains(&p.code.as_str()))
        .all(|p| urgency(&p.code) <= 2));
    t.finish().await;
}

#[tokio::test]
async fn saving_a_model_makes_a_new_version_and_a_stale_save_is_refused() {
    let t = TestApp::start().await;
    let body = json!({ "name": "Two criteria", "criteria": [criterion("impact", 3.0), criterion("savings", 1.0)] });
    let r = t
        .json(
            Method::PUT,
            "/api/v1/scoring-model",
            &t.admin_token,
            Some("\"v1\""),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v2\""));
    assert_eq!(r.json()["criteria"][0]["weight"], 0.75);

    // Someone who read version 1 cannot overwrite version 2.
    let r = t
        .json(
            Method::PUT,
            "/api/v1/scoring-model",
            &t.admin_token,
            Some("\"v1\""),
            &body,
        )
        .await;
    let doc = r.problem(412, None);
    assert_eq!(doc["current_version"], 2, "{doc}");

    let r = t
        .json(
            Method::PUT,
            "/api/v1/scoring-model",
            &t.admin_token,
            None,
            &body,
        )
        .await;
    r.problem(428, Some("If-Match"));

    let r = t
        .get("/api/v1/scoring-model/versions", Some(&t.viewer_token))
        .await;
    let versions: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 1], "version 1 is kept");

    // The ranking names the version that made it. The demo scored `savings`
    // but never `impact`, so no project is scored on every criterion yet.
    let ranking = t.get("/api/v1/ranking", Some(&t.viewer_token)).await.json();
    assert_eq!(ranking["model_version"], 2);
    assert_eq!(ranking["entries"].as_array().unwrap().len(), 0);
    assert_eq!(ranking["unassessed"].as_array().unwrap().len(), 76);
    t.finish().await;
}

#[tokio::test]
async fn bad_models_are_refused_naming_the_field() {
    let t = TestApp::start().await;
    let put = |body: Value| {
        let t = &t;
        async move {
            t.json(
                Method::PUT,
                "/api/v1/scoring-model",
                &t.admin_token,
                Some("\"v1\""),
                &body,
            )
            .await
        }
    };
    put(json!({ "name": "Z", "criteria": [criterion("a", 0.0), criterion("b", 0.0)] }))
        .await
        .problem(422, Some("weights"));
    put(json!({ "name": "N", "criteria": [criterion("a", 1.0), criterion("b", -1.0)] }))
        .await
        .problem(422, Some("criteria[1].weight"));
    put(json!({ "name": "D", "criteria": [criterion("a", 1.0), criterion("a", 1.0)] }))
        .await
        .problem(422, Some("criteria[1].key"));
    put(json!({ "name": "One", "criteria": [criterion("a", 1.0)] }))
        .await
        .problem(422, Some("criteria"));
    let three = json!([
        criterion("a", 0.0),
        criterion("b", 0.0),
        criterion("c", 0.0)
    ]);
    put(json!({ "name": "M", "criteria": three, "pairwise": [[1, 2], [0.5, 1]] }))
        .await
        .problem(422, Some("pairwise"));
    put(json!({ "name": "M", "criteria": three, "pairwise": [[1, 2, 3], [2, 1, 1], [1, 1, 1]] }))
        .await
        .problem(422, Some("pairwise[0][1]"));
    put(json!({ "name": "M", "criteria": three, "pairwise": [[1, 12, 1], [0.0833, 1, 1], [1, 1, 1]] }))
        .await
        .problem(422, Some("pairwise[0][1]"));
    // Inconsistent (a > b, b > c, c > a): refused, then saved when asked.
    let cyclic = json!([[1, 3, 0.2], [0.3333333, 1, 5], [5, 0.2, 1]]);
    let doc = put(json!({ "name": "M", "criteria": three, "pairwise": cyclic }))
        .await
        .problem(422, Some("pairwise"));
    assert!(
        doc["detail"].as_str().unwrap().contains("above 0.10"),
        "{doc}"
    );
    let r = put(json!({ "name": "M", "criteria": three, "pairwise": cyclic, "save_anyway": true }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["weighting"]["consistency"]["most_inconsistent"].is_object());
    // Nothing half-written: only the last request made a version.
    let versions = t
        .get("/api/v1/scoring-model/versions", Some(&t.viewer_token))
        .await
        .json();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    t.finish().await;
}

#[tokio::test]
async fn assessments_are_read_and_saved_with_their_version() {
    let t = TestApp::start().await;
    let r = t
        .get("/api/v1/projects/DP-001/assessment", Some(&t.viewer_token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let before = r.json();
    assert!(before["priority"]["score"].is_number(), "{before}");

    let top = json!({ "scores": {
        "strategic_fit": {"score": 5}, "citizen_impact": {"score": 5, "rationale": "Every resident"},
        "savings": {"score": 5}, "statutory_urgency": {"score": 5}, "risk": {"score": 5}, "deliverability": {"score": 5}
    }});
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001/assessment",
            &t.admin_token,
            Some("\"v1\""),
            &top,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v2\""));
    let ranking = t.get("/api/v1/ranking", Some(&t.viewer_token)).await.json();
    assert_eq!(
        ranking["entries"][0]["code"], "DP-001",
        "full marks rank first"
    );
    assert_eq!(ranking["entries"][0]["score"], 100.0);

    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001/assessment",
            &t.admin_token,
            Some("\"v1\""),
            &top,
        )
        .await;
    assert_eq!(r.problem(412, None)["current_version"], 2);

    let bad = json!({ "scores": { "risk": {"score": 6}, "colour": {"score": 1} } });
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001/assessment",
            &t.admin_token,
            Some("\"v2\""),
            &bad,
        )
        .await;
    let doc = r.problem(422, Some("scores.risk.score"));
    assert!(
        common::fields(&doc).contains(&"scores.colour".to_string()),
        "{doc}"
    );

    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001/assessment",
            &t.viewer_token,
            Some("\"v2\""),
            &top,
        )
        .await;
    r.problem(403, None);
    let r = t
        .get("/api/v1/projects/DP-999/assessment", Some(&t.viewer_token))
        .await;
    r.problem(404, None);
    t.finish().await;
}

#[tokio::test]
async fn the_pages_render_for_everyone_and_only_the_programme_office_edits() {
    let t = TestApp::start().await;
    let viewer = t.sign_in(VIEWER_EMAIL).await;
    let page = t.page(&viewer, "/scoring").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Consistency ratio"), "the ratio is shown");
    assert!(html.contains("Citizen impact") && html.contains("Version history"));
    assert!(
        !html.contains("href=\"/scoring/edit\""),
        "viewers get no edit link"
    );
    let ranking = t.page(&viewer, "/ranking").await;
    assert_eq!(ranking.status, StatusCode::OK);
    assert!(ranking.text().contains("scoring model version 1"));
    let project = t.page(&viewer, "/projects/DP-001").await.text();
    assert!(project.contains("Priority score") && project.contains("/projects/DP-001/assessment"));
    let assessment = t.page(&viewer, "/projects/DP-001/assessment").await.text();
    assert!(
        !assessment.contains("<form method=\"post\" action=\"/projects/DP-001"),
        "no form for viewers"
    );
    assert_eq!(
        t.page(&viewer, "/scoring/edit").await.status,
        StatusCode::FORBIDDEN
    );
    let r = t
        .post_form(
            &viewer,
            "/projects/DP-001/assessment",
            &[
                ("csrf_token", &viewer.csrf),
                ("version", "1"),
                ("s_risk", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    t.finish().await;
}

#[tokio::test]
async fn the_assessment_form_validates_checks_csrf_and_saves() {
    let t = TestApp::start().await;
    let admin = t.sign_in(common::ADMIN_EMAIL).await;
    let form = t.page(&admin, "/projects/DP-002/assessment").await.text();
    assert_eq!(hidden_input(&form, "version").as_deref(), Some("1"));
    let no_csrf = t
        .post_form(
            &admin,
            "/projects/DP-002/assessment",
            &[("csrf_token", "wrong"), ("version", "1")],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);

    let bad = t
        .post_form(
            &admin,
            "/projects/DP-002/assessment",
            &[
                ("csrf_token", &admin.csrf),
                ("version", "1"),
                ("s_risk", "9"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    assert!(
        html.contains("govuk-error-summary") && html.contains("href=\"#s_risk\""),
        "{html}"
    );

    let mut pairs = vec![("csrf_token", admin.csrf.as_str()), ("version", "1")];
    for key in [
        "s_strategic_fit",
        "s_citizen_impact",
        "s_savings",
        "s_statutory_urgency",
        "s_risk",
        "s_deliverability",
    ] {
        pairs.push((key, "0"));
    }
    pairs.push(("r_risk", "Nothing to fear"));
    let saved = t
        .post_form(&admin, "/projects/DP-002/assessment", &pairs)
        .await;
    assert!(saved.status.is_redirection(), "{}", saved.status);
    let api = t
        .get("/api/v1/projects/DP-002/assessment", Some(&t.admin_token))
        .await
        .json();
    assert_eq!(api["priority"]["score"], 0.0);
    assert_eq!(
        api["assessment"]["scores"]["risk"]["rationale"],
        "Nothing to fear"
    );
    // The same form again is stale now.
    let stale = t
        .post_form(&admin, "/projects/DP-002/assessment", &pairs)
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text().contains("changed by someone else"));
    t.finish().await;
}

#[tokio::test]
async fn the_model_forms_validate_and_save_new_versions() {
    let t = TestApp::start().await;
    let admin = t.sign_in(common::ADMIN_EMAIL).await;
    let edit = t.page(&admin, "/scoring/edit").await;
    assert_eq!(edit.status, StatusCode::OK);
    let zero = t
        .post_form(
            &admin,
            "/scoring/edit",
            &[
                ("csrf_token", &admin.csrf),
                ("version", "1"),
                ("name", "Zero"),
                ("c0_key", "a"),
                ("c0_name", "A"),
                ("c0_weight", "0"),
                ("c0_d0", "0"),
                ("c0_d1", "1"),
                ("c0_d2", "2"),
                ("c0_d3", "3"),
                ("c0_d4", "4"),
                ("c0_d5", "5"),
                ("c1_key", "b"),
                ("c1_name", "B"),
                ("c1_weight", "zero"),
                ("c1_d0", "0"),
                ("c1_d1", "1"),
                ("c1_d2", "2"),
                ("c1_d3", "3"),
                ("c1_d4", "4"),
                ("c1_d5", "5"),
            ],
        )
        .await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = zero.text();
    assert!(
        html.contains("govuk-error-summary") && html.contains("href=\"#c1_weight\""),
        "{html}"
    );

    // The pairwise form: answering every pair "equal" gives equal weights.
    let form = t.page(&admin, "/scoring/pairwise").await.text();
    assert!(
        form.contains("Citizen impact or Savings"),
        "a question per pair"
    );
    let mut pairs: Vec<(String, String)> = vec![
        ("csrf_token".into(), admin.csrf.clone()),
        ("version".into(), "1".into()),
    ];
    for i in 0..6 {
        for j in (i + 1)..6 {
            pairs.push((format!("p{i}_{j}_more"), "equal".into()));
        }
    }
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let missing: Vec<(&str, &str)> = borrowed
        .iter()
        .copied()
        .filter(|(k, _)| *k != "p0_1_more")
        .collect();
    let r = t.post_form(&admin, "/scoring/pairwise", &missing).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("href=\"#p0_1_more\""));
    let r = t.post_form(&admin, "/scoring/pairwise", &borrowed).await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    let model = t
        .get("/api/v1/scoring-model", Some(&t.admin_token))
        .await
        .json();
    assert_eq!(model["version"], 2);
    for c in model["criteria"].as_array().unwrap() {
        assert!(
            (c["weight"].as_f64().unwrap() - 1.0 / 6.0).abs() < 1e-9,
            "{c}"
        );
    }
    t.finish().await;
}

#[tokio::test]
async fn an_inconsistent_model_saved_anyway_shows_the_warning_naming_the_pair() {
    let t = TestApp::start().await;
    let three = json!([
        criterion("a", 0.0),
        criterion("b", 0.0),
        criterion("c", 0.0)
    ]);
    let body = json!({ "name": "Cyclic", "criteria": three, "save_anyway": true,
        "pairwise": [[1, 3, 0.2], [0.3333333, 1, 5], [5, 0.2, 1]] });
    let r = t
        .json(
            Method::PUT,
            "/api/v1/scoring-model",
            &t.admin_token,
            Some("\"v1\""),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let viewer = t.sign_in(VIEWER_EMAIL).await;
    let html = t.page(&viewer, "/scoring").await.text();
    assert!(html.contains("govuk-warning-text"), "a warning panel");
    assert!(
        html.contains("above 0.10") && html.contains("The most inconsistent is Criterion"),
        "{html}"
    );
    assert!(
        !html.contains("Consistency ratio 0"),
        "no reassurance when inconsistent"
    );
    t.finish().await;
}
