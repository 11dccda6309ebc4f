//! `POST /api/v1/imports` and the saved mappings, as an integrating system sees them.

mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::json;

const BOUNDARY: &str = "portfolio-test-boundary";

/// A multipart body of (part name, file name, content).
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_import(t: &TestApp, query: &str, token: &str, body: Vec<u8>) -> common::Resp {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    t.raw(
        Method::POST,
        &format!("/api/v1/imports{query}"),
        token,
        &[("content-type", content_type.as_str())],
        body,
    )
    .await
}

const CSV: &str = "Scheme,Directorate,Status,Indicative cost\n\
    API import: parking permits,Economy Infrastructure and Skills,Concept,£350k\n\
    API import: school admissions,Familys and Communities,Design,£1.2m\n\
    \"=HYPERLINK(\"\"http://example.invalid\"\")\",Corporate Services,Concept,£1.2x\n";

#[tokio::test]
async fn imports_all_or_nothing_or_only_the_valid_rows() {
    let t = TestApp::start().await;
    let before = t.total().await;
    let body = || multipart(&[("file", Some("schemes.csv"), CSV.as_bytes())]);

    // All or nothing: 422 with every problem placed, nothing written.
    let refused = post_import(&t, "", &t.admin_token, body()).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    let report = refused.json();
    assert_eq!(report["written"], false);
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{report}");
    let department = problems.iter().find(|p| p["column"] == "B").unwrap();
    assert_eq!(
        (
            department["file"].as_str(),
            department["row"].as_u64(),
            department["value"].as_str()
        ),
        (
            Some("schemes.csv"),
            Some(3),
            Some("Familys and Communities")
        )
    );
    assert_eq!(department["suggestion"]["key"], "families-and-communities");
    let cost = problems.iter().find(|p| p["column"] == "D").unwrap();
    assert_eq!(
        (cost["row"].as_u64(), cost["header"].as_str()),
        (Some(4), Some("Indicative cost"))
    );
    assert_eq!(t.total().await, before, "nothing was written");

    // A mapping part confirms the near miss; a dry run counts without writing.
    let mapping =
        json!({"values": {"department": {"Familys and Communities": "families-and-communities"}}});
    let mapping_text = mapping.to_string();
    let with_mapping = || {
        multipart(&[
            ("file", Some("schemes.csv"), CSV.as_bytes()),
            ("mapping", Some("mapping.json"), mapping_text.as_bytes()),
        ])
    };
    let dry = post_import(
        &t,
        "?dry_run=true&valid_only=true",
        &t.admin_token,
        with_mapping(),
    )
    .await;
    assert_eq!(
        dry.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a dry run with problems is not OK"
    );
    assert_eq!(
        (
            dry.json()["created"].as_u64(),
            dry.json()["written"].as_bool()
        ),
        (Some(2), Some(false))
    );
    assert_eq!(t.total().await, before);

    // Valid rows only: two created, the third returned with its reason.
    let done = post_import(&t, "?valid_only=true", &t.admin_token, with_mapping()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let report = done.json();
    assert_eq!(
        (report["created"].as_u64(), report["written"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(report["rejected"][0]["rows"][0]["row"], 4);
    let csv = report["rejected_csv"].as_str().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "File,Sheet,Row,Reason,Scheme,Directorate,Status,Indicative cost"
    );
    assert!(lines[1].starts_with("schemes.csv,,4,"), "{csv}");
    assert!(
        lines[1].contains("'=HYPERLINK"),
        "the formula is neutralised: {csv}"
    );
    assert_eq!(t.total().await, before + 2);

    // The same source again updates instead of duplicating.
    let again = post_import(&t, "?valid_only=true", &t.admin_token, with_mapping()).await;
    assert_eq!(
        (
            again.json()["created"].as_u64(),
            again.json()["unchanged"].as_u64()
        ),
        (Some(0), Some(2))
    );
    assert_eq!(t.total().await, before + 2);
    t.finish().await;
}

#[tokio::test]
async fn bad_requests_are_named_and_viewers_cannot_import() {
    let t = TestApp::start().await;
    let body = multipart(&[("file", Some("schemes.csv"), CSV.as_bytes())]);
    let viewer = post_import(&t, "", &t.viewer_token, body.clone()).await;
    viewer.problem(403, None);
    post_import(&t, "?dry_run=perhaps", &t.admin_token, body.clone())
        .await
        .problem(400, Some("dry_run"));
    post_import(&t, "", &t.admin_token, multipart(&[("notes", None, b"x")]))
        .await
        .problem(400, Some("notes"));
    post_import(
        &t,
        "",
        &t.admin_token,
        multipart(&[("mapping", None, b"{}")]),
    )
    .await
    .problem(400, Some("file"));
    let bad_mapping = multipart(&[
        ("file", Some("schemes.csv"), CSV.as_bytes()),
        (
            "mapping",
            Some("m.json"),
            br#"{"columns": {"Scheme": "name"}}"#,
        ),
    ]);
    post_import(&t, "", &t.admin_token, bad_mapping)
        .await
        .problem(400, Some("mapping"));
    let json_body = t
        .raw(
            Method::POST,
            "/api/v1/imports",
            &t.admin_token,
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    json_body.problem(400, Some("body"));
    // Garbage named .xlsx: a clear problem, nothing written.
    let garbage = multipart(&[("file", Some("budget.xlsx"), b"\x00\x01 not a workbook")]);
    let r = post_import(&t, "", &t.admin_token, garbage).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["problems"][0]["file"], "budget.xlsx");
    t.finish().await;
}

#[tokio::test]
async fn a_saved_mapping_is_used_for_its_source() {
    let t = TestApp::start().await;
    let csv = "Initiative,Owner team,Where it is\nSaved mapping test,Public Health,Concept\n";
    let missing = t
        .get("/api/v1/import-mappings/team.csv", Some(&t.admin_token))
        .await;
    missing.problem(404, None);
    let mapping = json!({"columns": {"Initiative": "title", "Owner team": "department", "Where it is": "stage"}});
    let saved = t
        .json(
            Method::PUT,
            "/api/v1/import-mappings/team.csv",
            &t.admin_token,
            None,
            &mapping,
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let read = t
        .get("/api/v1/import-mappings/team.csv", Some(&t.admin_token))
        .await;
    assert_eq!(read.json()["columns"]["owner team"], "department");
    let viewer = t
        .json(
            Method::PUT,
            "/api/v1/import-mappings/team.csv",
            &t.viewer_token,
            None,
            &mapping,
        )
        .await;
    viewer.problem(403, None);
    let bad = t
        .json(
            Method::PUT,
            "/api/v1/import-mappings/team.csv",
            &t.admin_token,
            None,
            &json!({"columns": {"A": "colour"}}),
        )
        .await;
    bad.problem(422, Some("mapping"));

    let r = post_import(
        &t,
        "",
        &t.admin_token,
        multipart(&[("file", Some("team.csv"), csv.as_bytes())]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 1);
    assert_eq!(r.json()["saved_mappings_used"], json!(["team.csv"]));
    t.finish().await;
}

#[tokio::test]
async fn the_import_pages_refuse_a_stale_or_wrong_choice_and_say_why() {
    let t = TestApp::start().await;
    let caller = t.app.token_caller(&t.admin_token).await.unwrap();
    let id = t
        .app
        .upload_spreadsheet(&caller, "schemes.csv", CSV.as_bytes(), None, None)
        .await
        .unwrap();
    let s = t.sign_in(common::ADMIN_EMAIL).await;
    let path = format!("/imports/{id}/columns");
    let columns = |version: &'static str, second: &'static str| {
        vec![
            ("csrf_token", s.csrf.as_str()),
            ("version", version),
            ("header_1", "Scheme"),
            ("field_1", "title"),
            ("header_2", "Directorate"),
            ("field_2", second),
        ]
    };
    // The same field chosen twice: the columns page again, naming both headers.
    let twice = t.post_form(&s, &path, &columns("1", "title")).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice
            .text()
            .contains("&#x27;Directorate&#x27; and &#x27;Scheme&#x27; are both chosen as title"),
        "{}",
        twice.text()
    );
    // A good choice moves on to the check.
    let done = t.post_form(&s, &path, &columns("1", "department")).await;
    assert!(done.status.is_redirection());
    assert_eq!(
        done.header("location"),
        Some(format!("/imports/{id}/check").as_str())
    );
    // A second window still at version 1 is refused, and says so.
    let stale = t.post_form(&s, &path, &columns("1", "ignore")).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.text().contains("changed in another window"),
        "{}",
        stale.text()
    );
    let kept = t.app.upload(&caller, id).await.unwrap();
    assert_eq!(
        kept.mapping.unwrap().column("Directorate"),
        Some(Some(
            portfolio_domain::consolidate::columns::Field::Department
        )),
        "the stale choice changed nothing"
    );
    // Confirming values: a stale version is refused on the check page.
    let confirm = t
        .post_form(
            &s,
            &format!("/imports/{id}/values"),
            &[
                ("csrf_token", s.csrf.as_str()),
                ("version", "1"),
                ("confirm", "0"),
                ("field_0", "department"),
                ("value_0", "Familys and Communities"),
                ("key_0", "families-and-communities"),
            ],
        )
        .await;
    assert_eq!(confirm.status, StatusCode::CONFLICT);
    assert!(confirm.text().contains("changed in another window"));
    t.finish().await;
}
