//! Stage gates through the API and the pages, on the demo council: a
//! project manager requests the next gate with evidence, only an
//! administrator decides, and an approval moves the project's stage.

mod common;

use axum::http::{Method, StatusCode};
use common::{
    concept_design_keys, draft_of, evidence, free_concept_project, hidden_input, TestApp,
    ADMIN_EMAIL, EDITOR_EMAIL, VIEWER_EMAIL,
};
use portfolio_domain::Stage;
use serde_json::json;

async fn stage_count(t: &TestApp, stage: &str) -> i64 {
    let r = t.get("/api/v1/dashboard", Some(&t.admin_token)).await;
    r.json()["by_stage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["stage"] == stage)
        .map(|c| c["count"].as_i64().unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_api_requests_decides_and_moves_the_stage() {
    let (t, editor) = TestApp::with_editor().await;
    let code = free_concept_project(&t).await;
    let keys = concept_design_keys(&t).await;
    let (concept, design) = (
        stage_count(&t, "concept").await,
        stage_count(&t, "design").await,
    );

    // A move the stage rules forbid, named on to_stage.
    let body = json!({"project": code, "to_stage": "delivery", "evidence": evidence(&keys, "x")});
    let doc = t
        .json(Method::POST, "/api/v1/gate-requests", &editor, None, &body)
        .await
        .problem(422, Some("to_stage"));
    assert!(doc.to_string().contains("skipped"), "{doc}");
    // Missing evidence, named by item.
    let mut partial = evidence(&keys, "see the business case");
    partial[0]["note"] = json!("");
    let body = json!({"project": code, "to_stage": "design", "evidence": partial});
    t.json(Method::POST, "/api/v1/gate-requests", &editor, None, &body)
        .await
        .problem(422, Some(&format!("evidence[{}]", keys[0])));
    // A viewer may not request.
    let body = json!({"project": code, "to_stage": "design", "evidence": evidence(&keys, "x")});
    t.json(
        Method::POST,
        "/api/v1/gate-requests",
        &t.viewer_token,
        None,
        &body,
    )
    .await
    .problem(403, None);
    // An unknown project is named.
    let body = json!({"project": "DP-999", "to_stage": "design", "evidence": evidence(&keys, "x")});
    t.json(Method::POST, "/api/v1/gate-requests", &editor, None, &body)
        .await
        .problem(422, Some("project"));
    assert_eq!(
        stage_count(&t, "concept").await,
        concept,
        "nothing half-written"
    );

    let body = json!({"project": code, "to_stage": "design", "summary": "Ready", "evidence": evidence(&keys, "https://intranet.example/obc")});
    let r = t
        .json(Method::POST, "/api/v1/gate-requests", &editor, None, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let id = r.json()["id"].as_i64().unwrap();
    let location = r.header("location").unwrap().to_string();
    assert_eq!(location, format!("/api/v1/gate-requests/{id}"));
    let r = t
        .get(
            "/api/v1/gate-requests?status=pending",
            Some(&t.viewer_token),
        )
        .await;
    assert!(r.json()["gate_requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == id));
    t.get("/api/v1/gate-requests?status=maybe", Some(&t.viewer_token))
        .await
        .problem(400, Some("status"));

    let decision = format!("/api/v1/gate-requests/{id}/decision");
    let approve = json!({"outcome": "approved", "reasons": "Evidence complete"});
    // Only a decider: an editor is refused.
    t.json(Method::POST, &decision, &editor, Some("\"v1\""), &approve)
        .await
        .problem(403, None);
    t.json(Method::POST, &decision, &t.admin_token, None, &approve)
        .await
        .problem(428, None);
    t.json(
        Method::POST,
        &decision,
        &t.admin_token,
        Some("\"v9\""),
        &approve,
    )
    .await
    .problem(412, None);
    t.json(
        Method::POST,
        &decision,
        &t.admin_token,
        Some("\"v1\""),
        &json!({"outcome": "approved_with_conditions", "reasons": "Good"}),
    )
    .await
    .problem(422, Some("conditions"));
    assert_eq!(t.project(&code).await.stage, Stage::Concept);

    let r = t
        .json(
            Method::POST,
            &decision,
            &t.admin_token,
            Some("\"v1\""),
            &approve,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "approved");
    assert_eq!(r.json()["decision"]["reasons"], "Evidence complete");
    assert_eq!(t.project(&code).await.stage, Stage::Design);
    assert_eq!(stage_count(&t, "concept").await, concept - 1);
    assert_eq!(stage_count(&t, "design").await, design + 1);
    // Decided once.
    t.json(
        Method::POST,
        &decision,
        &t.admin_token,
        Some("\"v2\""),
        &approve,
    )
    .await
    .problem(422, Some("outcome"));
    t.finish().await;
}

/// Puts project `code` at `stage` through the API, at its stored version,
/// everything else unchanged.
async fn put_stage(t: &TestApp, token: &str, code: &str, stage: &str) -> common::Resp {
    let project = t.project(code).await;
    let mut body = draft_of(&project);
    body["stage"] = json!(stage);
    t.json(
        Method::PUT,
        &format!("/api/v1/projects/{code}"),
        token,
        Some(&format!("\"v{}\"", project.version)),
        &body,
    )
    .await
}

#[tokio::test]
async fn a_stage_edit_needs_a_gate_unless_an_administrator_overrides() {
    let (t, editor) = TestApp::with_editor().await;
    let code = free_concept_project(&t).await;
    let project = t.project(&code).await;
    let mut body = draft_of(&project);
    body["stage"] = json!("design");
    let path = format!("/api/v1/projects/{code}");
    let doc = t
        .json(Method::PUT, &path, &editor, Some("\"v1\""), &body)
        .await
        .problem(422, Some("stage"));
    assert!(
        doc.to_string().contains("only through an approved gate"),
        "{doc}"
    );
    assert_eq!(t.project(&code).await.stage, Stage::Concept);
    // Putting a project on hold, and back, is no gate.
    let r = put_stage(&t, &editor, &code, "on_hold").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = put_stage(&t, &editor, &code, "concept").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // An administrator may override, and the record says so.
    let r = put_stage(&t, &t.admin_token, &code, "design").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let now = t.project(&code).await;
    assert_eq!(now.stage, Stage::Design);
    let org = t.app.store.organisation_by_slug("northmere").await.unwrap();
    let history = t
        .app
        .store
        .history(org.id, "project", now.id)
        .await
        .unwrap();
    assert_eq!(history.last().unwrap().action, "stage_override");
    t.finish().await;
}

#[tokio::test]
async fn the_pages_request_decide_and_escape() {
    let (t, _) = TestApp::with_editor().await;
    let code = free_concept_project(&t).await;
    let keys = concept_design_keys(&t).await;
    let pm = t.sign_in(EDITOR_EMAIL).await;

    let page = t.page(&pm, &format!("/projects/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Request the next gate"), "{html}");
    assert!(html.contains("id=\"gates\""));
    let form = t.page(&pm, &format!("/projects/{code}/gate-request")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("Request the Concept to Design gate"));

    let hostile = "<script>alert('x')</script> & \"quotes\"";
    let path = format!("/projects/{code}/gate-request");
    let mut pairs: Vec<(String, String)> = vec![
        ("csrf_token".into(), pm.csrf.clone()),
        ("to_stage".into(), "design".into()),
        ("summary".into(), hostile.into()),
    ];
    // The first item ticked without a note, the others not ticked at all.
    pairs.push((format!("provided-{}", keys[0]), "yes".into()));
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = t.post_form(&pm, &path, &borrowed).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("There is a problem"));
    assert!(
        html.contains(&format!("href=\"#note-{}\"", keys[0])),
        "links to the note: {html}"
    );
    assert!(html.contains("needs a note or a link"), "{html}");
    assert!(html.contains("must be ticked"), "{html}");
    assert!(!html.contains("<script>alert"), "escaped");

    // Without the CSRF token: refused.
    let mut no_csrf = borrowed.clone();
    no_csrf.retain(|(k, _)| *k != "csrf_token");
    let r = t.post_form(&pm, &path, &no_csrf).await;
    assert!(r.status.is_client_error(), "{}", r.status);

    let mut pairs: Vec<(String, String)> = vec![
        ("csrf_token".into(), pm.csrf.clone()),
        ("to_stage".into(), "design".into()),
        ("summary".into(), hostile.into()),
    ];
    for k in &keys {
        pairs.push((format!("provided-{k}"), "yes".into()));
        pairs.push((format!("note-{k}"), hostile.into()));
    }
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = t.post_form(&pm, &path, &borrowed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap().to_string();
    let id: i64 = location
        .trim_start_matches("/gates/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = t.page(&pm, &location).await.text();
    assert!(page.contains("The gate request was sent to the board"));
    assert!(page.contains("&lt;script&gt;alert("), "escaped: {page}");
    assert!(!page.contains("<script>alert"));
    assert!(
        !page.contains("Record the board&#x27;s decision")
            && !page.contains("Record the board's decision"),
        "an editor sees no decision form"
    );
    let list = t.page(&pm, "/gates").await.text();
    assert!(list.contains(&format!("href=\"/gates/{id}\"")), "{list}");
    // An editor's decision is refused with a clear message, nothing written.
    let decide = format!("/gates/{id}/decision");
    let r = t
        .post_form(
            &pm,
            &decide,
            &[
                ("csrf_token", &pm.csrf),
                ("version", "1"),
                ("outcome", "approved"),
                ("reasons", "Fine"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("right to decide gates"));
    assert_eq!(t.project(&code).await.stage, Stage::Concept);

    let admin = t.sign_in(ADMIN_EMAIL).await;
    let page = t.page(&admin, &format!("/gates/{id}")).await.text();
    assert!(page.contains("Record the board"));
    assert_eq!(hidden_input(&page, "version").as_deref(), Some("1"));
    let r = t
        .post_form(
            &admin,
            &decide,
            &[
                ("csrf_token", &admin.csrf),
                ("version", "1"),
                ("outcome", "approved"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("href=\"#reasons\""));
    // Stale: someone decided meanwhile is shown as a conflict.
    let r = t
        .post_form(
            &admin,
            &decide,
            &[
                ("csrf_token", &admin.csrf),
                ("version", "0"),
                ("outcome", "approved"),
                ("reasons", "ok"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .post_form(
            &admin,
            &decide,
            &[
                ("csrf_token", &admin.csrf),
                ("version", "1"),
                ("outcome", "approved"),
                ("reasons", "Evidence <b>complete</b>"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(t.project(&code).await.stage, Stage::Design);
    let page = t.page(&admin, &format!("/projects/{code}")).await.text();
    assert!(page.contains("id=\"gate-history\""));
    assert!(page.contains("Approved"));
    let viewer = t.sign_in(VIEWER_EMAIL).await;
    let r = t.page(&viewer, "/governance").await;
    assert_eq!(r.status, StatusCode::OK);
    t.finish().await;
}

#[tokio::test]
async fn checklists_are_kept_per_organisation_with_versions() {
    let (t, editor) = TestApp::with_editor().await;
    let r = t
        .json(
            Method::PUT,
            "/api/v1/gate-checklists/concept-design",
            &editor,
            Some("\"v0\""),
            &json!({"items": ["Outline business case approved", "DPIA screening"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    t.json(
        Method::PUT,
        "/api/v1/gate-checklists/concept-design",
        &editor,
        Some("\"v0\""),
        &json!({"items": ["A"]}),
    )
    .await
    .problem(412, None);
    t.json(
        Method::PUT,
        "/api/v1/gate-checklists/concept-design",
        &editor,
        Some("\"v1\""),
        &json!({"items": ["A", "a"]}),
    )
    .await
    .problem(422, Some("items[1]"));
    t.json(
        Method::PUT,
        "/api/v1/gate-checklists/concept-delivery",
        &editor,
        None,
        &json!({"items": ["A"]}),
    )
    .await
    .problem(404, None);
    let s = t.sign_in(EDITOR_EMAIL).await;
    let page = t.page(&s, "/gates/checklists").await.text();
    assert!(page.contains("DPIA screening"));
    let r = t
        .post_form(
            &s,
            "/gates/checklists/design-delivery",
            &[("csrf_token", &s.csrf), ("version", "0"), ("items", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("href=\"#items-design-delivery\""));
    let r = t
        .post_form(
            &s,
            "/gates/checklists/design-delivery",
            &[
                ("csrf_token", &s.csrf),
                ("version", "0"),
                ("items", "Business case\nFunding"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    t.finish().await;
}
