//! History through the API and the pages, on the demo council given a
//! generated past (three years of changes ending yesterday): what changed
//! since a date, the "since after until" error naming the field, and the
//! register and the dashboard as at a past date.

mod common;

use axum::http::{Method, StatusCode};
use common::{draft_of, valid_draft, TestApp, VIEWER_EMAIL};
use portfolio_app::Actor;
use serde_json::Value;

/// The demo council with a generated past, so that today holds only the
/// test's own changes.
async fn with_a_past() -> TestApp {
    let t = TestApp::start().await;
    let org = t.app.store.organisation_by_slug("northmere").await.unwrap();
    let admin = t
        .app
        .store
        .users(org.id)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == common::ADMIN_EMAIL)
        .unwrap();
    let written = t
        .app
        .seed_generated_history("northmere", &admin, 2_000, 1, &Actor::system("test"))
        .await
        .expect("a generated past");
    assert_eq!(written, 2_000);
    t
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn yesterday() -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string()
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|c| c["project"]["code"].as_str().unwrap().to_string())
        .collect()
}

/// Changes a demo project's delivery confidence and adds a project, through the API.
async fn change_today(t: &TestApp) -> (String, String) {
    let p = t.project("DP-001").await;
    let mut body = draft_of(&p);
    let to = if p.confidence.map(|c| c.as_str()) == Some("red") {
        "green"
    } else {
        "red"
    };
    body["confidence"] = Value::from(to);
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001",
            &t.admin_token,
            Some(&format!("\"v{}\"", p.version)),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
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
    (
        to.to_string(),
        r.json()["code"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn the_api_lists_exactly_todays_changes() {
    let t = with_a_past().await;
    let r = t
        .get(
            &format!("/api/v1/changes?since={}", today()),
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["counts"]["new_projects"], 0, "{}", r.text());
    let (to, new_code) = change_today(&t).await;

    let r = t
        .get(
            &format!("/api/v1/changes?since={}&until={}", today(), today()),
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let c = r.json();
    assert_eq!(c["period"]["since"], today());
    assert_eq!(codes(&c["new_projects"]), vec![new_code.clone()]);
    assert_eq!(codes(&c["confidence_changes"]), vec!["DP-001"]);
    assert_eq!(c["confidence_changes"][0]["to"], to);
    assert_eq!(c["counts"]["confidence_changes"], 1);
    assert_eq!(c["counts"]["stage_moves"], 0);
    assert_eq!(c["counts"]["cost_changes"], 0);
    // Yesterday's view has none of today's changes.
    let r = t
        .get(
            &format!(
                "/api/v1/changes?since={}&until={}",
                yesterday(),
                yesterday()
            ),
            Some(&t.viewer_token),
        )
        .await;
    let c = r.json();
    assert!(c["counts"]["new_projects"].as_u64().is_some(), "{c}");
    assert!(c["new_projects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["project"]["code"] != new_code.as_str()));
    t.finish().await;
}

#[tokio::test]
async fn bad_periods_are_refused_naming_the_field() {
    let t = TestApp::start().await;
    let r = t
        .get(
            "/api/v1/changes?since=2026-04-02&until=2026-04-01",
            Some(&t.viewer_token),
        )
        .await;
    let doc = r.problem(422, Some("since"));
    assert!(
        doc["detail"]
            .as_str()
            .unwrap()
            .contains("before the end of the period"),
        "{doc}"
    );
    t.get("/api/v1/changes", Some(&t.viewer_token))
        .await
        .problem(422, Some("since"));
    t.get("/api/v1/changes?since=2026-02-30", Some(&t.viewer_token))
        .await
        .problem(422, Some("since"));
    t.get(
        "/api/v1/changes?since=2026-01-01&until=tomorrow",
        Some(&t.viewer_token),
    )
    .await
    .problem(422, Some("until"));
    t.get("/api/v1/changes?since=2026-01-01", None)
        .await
        .problem(401, None);
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
    t.get(
        &format!("/api/v1/projects?as_at={tomorrow}"),
        Some(&t.viewer_token),
    )
    .await
    .problem(422, Some("as_at"));
    t.get("/api/v1/dashboard?as_at=2026-13-01", Some(&t.viewer_token))
        .await
        .problem(422, Some("as_at"));
    t.finish().await;
}

#[tokio::test]
async fn the_register_and_dashboard_as_at_yesterday_are_yesterdays() {
    let t = with_a_past().await;
    let then = t
        .get(
            &format!("/api/v1/projects?as_at={}&limit=500", yesterday()),
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(then.status, StatusCode::OK, "{}", then.text());
    let before: Value = then.json();
    assert_eq!(before["total"], 76);
    assert_eq!(before["as_at"], yesterday());
    let dp1_then = before["projects"][0].clone();
    assert_eq!(dp1_then["code"], "DP-001");
    let (to, _) = change_today(&t).await;
    let now = t
        .get(
            &format!("/api/v1/projects?as_at={}&limit=500", yesterday()),
            Some(&t.viewer_token),
        )
        .await
        .json();
    assert_eq!(
        now["total"], 76,
        "the project added today is not in yesterday's register"
    );
    assert_eq!(
        now["projects"][0], dp1_then,
        "yesterday's state, not today's edit"
    );
    assert_ne!(now["projects"][0]["confidence"], to);
    let live = t
        .get("/api/v1/projects?limit=1", Some(&t.viewer_token))
        .await
        .json();
    assert_eq!(live["total"], 77);
    assert!(live.get("as_at").is_none());
    let d = t
        .get(
            &format!("/api/v1/dashboard?as_at={}", yesterday()),
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    assert_eq!(d.json()["total"], 76);
    let stage_sum: i64 = d.json()["by_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .sum();
    assert_eq!(stage_sum, 76, "the past counts add up");
    // Filters work on the past view as on the live one.
    let design = t
        .get(
            &format!(
                "/api/v1/projects?as_at={}&stage=design&limit=500",
                yesterday()
            ),
            Some(&t.viewer_token),
        )
        .await
        .json();
    assert!(design["projects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["stage"] == "design"));
    t.finish().await;
}

#[tokio::test]
async fn the_changes_page_shows_each_kind_with_counts_and_refuses_a_bad_period() {
    let t = with_a_past().await;
    let (_, new_code) = change_today(&t).await;
    let s = t.sign_in(VIEWER_EMAIL).await;
    let form = t.page(&s, "/changes").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("id=\"since-day\""));
    assert!(
        !form.text().contains("id=\"change-counts\""),
        "no results before a period is chosen"
    );

    let r = t
        .page(&s, &format!("/changes?since={}&until={}", today(), today()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("New projects (1)"), "{html}");
    assert!(html.contains("Delivery confidence changes (1)"));
    assert!(html.contains("Stage moves (0)"));
    assert!(html.contains(&format!("href=\"/projects/{new_code}\"")));
    assert!(html.contains("href=\"/projects/DP-001\""));
    // The form's boxes carry the period shown.
    assert!(html.contains(&format!(
        "name=\"since-year\" type=\"text\" inputmode=\"numeric\" value=\"{}\"",
        &today()[..4]
    )));

    // The GOV.UK date boxes, with "since" after "until": 422 and a summary naming the field.
    let r = t
        .page(&s, "/changes?since-day=2&since-month=4&since-year=2026&until-day=1&until-month=4&until-year=2026")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("govuk-error-summary"));
    assert!(html.contains("href=\"#since-day\""));
    assert!(
        html.contains("The first day must be the same as or before the end of the period"),
        "{html}"
    );
    let r = t
        .page(&s, "/changes?since-day=31&since-month=2&since-year=2026")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("must be a real date"));

    let gov = t.page(&s, "/governance").await.text();
    assert!(
        gov.contains("href=\"/changes?since="),
        "the governance hub links the changes page"
    );
    t.finish().await;
}

#[tokio::test]
async fn the_past_register_and_dashboard_pages_are_labelled_as_past() {
    let t = with_a_past().await;
    change_today(&t).await;
    let s = t.sign_in(VIEWER_EMAIL).await;
    let r = t
        .page(&s, &format!("/projects?as_at={}", yesterday()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("id=\"as-at-banner\""));
    assert!(html.contains("A past view"));
    assert!(
        html.contains("of 76 projects"),
        "yesterday's register: {html}"
    );
    assert!(
        html.contains(&format!("name=\"as_at\" value=\"{}\"", yesterday())),
        "filters keep the date"
    );
    let live = t.page(&s, "/projects").await.text();
    assert!(!live.contains("id=\"as-at-banner\""));
    assert!(live.contains("of 77 projects"));
    let d = t.page(&s, &format!("/?as_at={}", yesterday())).await;
    assert_eq!(d.status, StatusCode::OK);
    let html = d.text();
    assert!(html.contains("id=\"as-at-banner\""));
    assert!(
        html.contains("<span class=\"app-count\" id=\"total-projects\">76</span>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("&amp;as_at={}", yesterday())),
        "links to the register keep the date"
    );
    t.finish().await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_history_routes() {
    let t = TestApp::start().await;
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    let changes = &doc["paths"]["/api/v1/changes"]["get"];
    assert!(changes.is_object(), "{}", doc["paths"]);
    let params: Vec<&str> = changes["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        params.contains(&"since") && params.contains(&"until"),
        "{params:?}"
    );
    assert!(changes["responses"]["422"].is_object());
    let list: Vec<&str> = doc["paths"]["/api/v1/projects"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(list.contains(&"as_at"), "{list:?}");
    assert!(doc["components"]["schemas"]["Changes"].is_object());
    t.finish().await;
}
