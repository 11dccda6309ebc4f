//! Highlight reports through the API and the pages, on the demo council:
//! the demo's delivery projects reported for the last two months, a report
//! for this month sets the project's delivery confidence, and bad input is
//! refused with the field named.

mod common;

use axum::http::{Method, StatusCode};
use chrono::Datelike;
use common::{TestApp, ADMIN_EMAIL};
use serde_json::json;

fn this_month() -> String {
    let t = chrono::Utc::now().date_naive();
    format!("{:04}-{:02}", t.year(), t.month())
}

/// A project of the demo in delivery, with its reports.
async fn delivery_project(t: &TestApp) -> String {
    let r = t
        .get(
            "/api/v1/projects?stage=delivery&limit=1",
            Some(&t.admin_token),
        )
        .await;
    r.json()["projects"][0]["code"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_report_for_this_month_sets_the_confidence_and_bad_input_is_named() {
    let t = TestApp::start().await;
    let code = delivery_project(&t).await;
    let path = format!("/api/v1/projects/{code}/highlight-reports");
    let r = t.get(&path, Some(&t.viewer_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let reports = r.json()["highlight_reports"].as_array().unwrap().clone();
    assert_eq!(reports.len(), 2, "the demo reported the last two months");
    assert!(reports[0]["period"].as_str() > reports[1]["period"].as_str());
    let before = t.project(&code).await.confidence.unwrap();
    assert_eq!(
        reports[0]["confidence"],
        before.as_str(),
        "the latest report is the project's rating"
    );

    let good = json!({
        "period": this_month(), "confidence": "red", "reason": "Go-live missed",
        "narrative": "Defects found in testing.", "decisions_needed": "Approve the re-plan",
        "milestones": [{"name": "Go live", "planned": "2027-03-31", "forecast": "2027-05-31"}]
    });
    t.json(Method::POST, &path, &t.viewer_token, None, &good)
        .await
        .problem(403, None);
    let bad = json!({
        "period": "2999-01", "reason": "two\nlines", "narrative": "",
        "milestones": [{"name": "Go live", "planned": "2027-02-30"}], "top_items": [999999]
    });
    let doc = t
        .json(Method::POST, &path, &t.admin_token, None, &bad)
        .await
        .problem(422, None);
    let fields = common::fields(&doc);
    for f in [
        "period",
        "confidence",
        "reason",
        "narrative",
        "milestones[0].planned",
        "top_items",
    ] {
        assert!(fields.contains(&f.to_string()), "{f}: {doc}");
    }
    assert!(doc.to_string().contains("has not started"), "{doc}");

    let r = t
        .json(Method::POST, &path, &t.admin_token, None, &good)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    assert_eq!(
        t.project(&code).await.confidence.map(|c| c.as_str()),
        Some("red")
    );
    t.json(Method::POST, &path, &t.admin_token, None, &good)
        .await
        .problem(422, Some("period"));
    let one = format!("{path}/{}", this_month());
    let changed =
        json!({"confidence": "amber", "reason": "Re-plan agreed", "narrative": "Back on track."});
    t.json(Method::PUT, &one, &t.admin_token, None, &changed)
        .await
        .problem(428, None);
    t.json(Method::PUT, &one, &t.admin_token, Some("\"v7\""), &changed)
        .await
        .problem(412, None);
    let r = t
        .json(Method::PUT, &one, &t.admin_token, Some("\"v1\""), &changed)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["version"], 2);
    assert_eq!(
        t.project(&code).await.confidence.map(|c| c.as_str()),
        Some("amber")
    );
    t.get(&format!("{path}/2026-13"), Some(&t.viewer_token))
        .await
        .problem(404, None);

    let trend = t
        .get("/api/v1/confidence-trend", Some(&t.viewer_token))
        .await
        .json();
    let months = trend["months"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    assert_eq!(months[5]["month"], this_month());
    assert_eq!(months[5]["reported"], 1);
    assert!(
        months[4]["reported"].as_u64().unwrap() > 1,
        "last month's reports"
    );

    // The pages: the project's trend, the report, the programme's month.
    let s = t.sign_in(ADMIN_EMAIL).await;
    let page = t
        .page(&s, &format!("/projects/{code}/highlights"))
        .await
        .text();
    assert!(page.contains("id=\"confidence-trend\""));
    assert!(page.contains("Re-plan agreed"));
    let page = t
        .page(&s, &format!("/projects/{code}/highlights/{}", this_month()))
        .await
        .text();
    assert!(page.contains("Back on track."));
    let form = t
        .page(&s, &format!("/projects/{code}/highlights/new"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let r = t
        .post_form(
            &s,
            &format!("/projects/{code}/highlights"),
            &[
                ("csrf_token", &s.csrf),
                ("period", "2026-13"),
                ("reason", "<script>x</script>"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("href=\"#period\"") && html.contains("href=\"#confidence\""),
        "{html}"
    );
    assert!(!html.contains("<script>x"), "escaped");
    let programme = t
        .page(&s, &format!("/highlights?period={}", this_month()))
        .await
        .text();
    assert!(programme.contains("1 report for"), "{programme}");
    let bad = t.page(&s, "/highlights?period=soon").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.finish().await;
}
