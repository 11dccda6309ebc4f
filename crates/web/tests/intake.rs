//! Intake through the API and the pages: department leads submit priorities,
//! the programme office accepts, links or declines them, and each role sees
//! and does only what it may.

mod common;

use axum::http::{Method, StatusCode};
use common::{fields, TestApp, ADMIN_EMAIL, PASSWORD, VIEWER_EMAIL};
use portfolio_app::Actor;
use portfolio_domain::Role;
use serde_json::{json, Value};

/// The demo council's department lead (same password as its administrator).
const LEAD_EMAIL: &str = "lead@northmere.example";
const OTHER_LEAD_EMAIL: &str = "omar@northmere.example";

async fn token(t: &TestApp, email: &str) -> String {
    t.app
        .create_token(email, "tests", &Actor::system("test"))
        .await
        .expect("token")
        .1
}

async fn other_lead(t: &TestApp) -> String {
    t.app
        .add_user(
            "northmere",
            OTHER_LEAD_EMAIL,
            "Omar Lead",
            Role::DepartmentLead,
            PASSWORD,
            &Actor::system("test"),
        )
        .await
        .expect("add a second department lead");
    token(t, OTHER_LEAD_EMAIL).await
}

fn priority(title: &str) -> Value {
    json!({
        "title": title,
        "problem": "Carers wait six weeks for a home visit before anyone assesses them.",
        "beneficiaries": "About 3,000 unpaid carers, and the social workers who visit them.",
        "urgency": "high",
        "rough_cost": "£350k",
        "department": "health-and-care",
        "themes": ["virtual-service-delivery"]
    })
}

/// Submits through the API; returns the new priority.
async fn submit(t: &TestApp, token: &str, title: &str) -> Value {
    let r = t
        .json(
            Method::POST,
            "/api/v1/priorities",
            token,
            None,
            &priority(title),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

fn ids(list: &Value) -> Vec<i64> {
    list["priorities"]
        .as_array()
        .expect("priorities")
        .iter()
        .map(|p| p["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn a_department_lead_submits_and_sees_only_their_own() {
    let t = TestApp::start().await;
    let lead = token(&t, LEAD_EMAIL).await;
    let omar = other_lead(&t).await;

    let r = t
        .json(
            Method::POST,
            "/api/v1/priorities",
            &lead,
            None,
            &priority("Online carers' assessments"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let mine = r.json();
    let id = mine["id"].as_i64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/priorities/{id}").as_str())
    );
    assert_eq!(mine["status"], "submitted");
    assert_eq!(mine["urgency"], "high");
    assert_eq!(mine["rough_cost_pence"], 35_000_000, "£350k in pence");
    assert_eq!(mine["department"]["slug"], "health-and-care");
    assert_eq!(mine["submitted_by"]["email"], LEAD_EMAIL);
    assert_eq!(mine["project"], Value::Null);

    // Every bad field is named; nothing is written.
    let r = t
        .json(
            Method::POST,
            "/api/v1/priorities",
            &lead,
            None,
            &json!({
                "title": "",
                "urgency": "whenever",
                "rough_cost": "lots",
                "department": "nowhere",
                "themes": ["space"],
                "changes_project": "DP-999"
            }),
        )
        .await;
    let doc = r.problem(422, Some("title"));
    for field in [
        "problem",
        "beneficiaries",
        "urgency",
        "rough_cost",
        "department",
        "themes[0]",
    ] {
        assert!(fields(&doc).iter().any(|f| f == field), "{field}: {doc}");
    }
    let mut unknown_project = priority("Change to a project that is not there");
    unknown_project["changes_project"] = json!("DP-999");
    let r = t
        .json(
            Method::POST,
            "/api/v1/priorities",
            &lead,
            None,
            &unknown_project,
        )
        .await;
    let doc = r.problem(422, Some("changes_project"));
    assert!(
        doc["detail"]
            .as_str()
            .unwrap()
            .contains("DP-999 is not a project of this organisation"),
        "{doc}"
    );
    let r = t
        .json(
            Method::POST,
            "/api/v1/priorities",
            &lead,
            None,
            &json!({"title": "x", "colour": "red"}),
        )
        .await;
    r.problem(400, Some("colour"));

    let theirs = submit(&t, &omar, "Omar's priority").await;
    let theirs_id = theirs["id"].as_i64().unwrap();

    // The lead sees their own; the other lead's is not found, not forbidden.
    let r = t.get("/api/v1/priorities", Some(&lead)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(ids(&r.json()), vec![id]);
    let r = t
        .get(&format!("/api/v1/priorities/{theirs_id}"), Some(&lead))
        .await;
    r.problem(404, None);
    let r = t
        .get(&format!("/api/v1/priorities/{id}"), Some(&lead))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), mine);

    // The programme office sees both, newest first, and can filter by status.
    let r = t.get("/api/v1/priorities", Some(&t.admin_token)).await;
    assert_eq!(ids(&r.json()), vec![theirs_id, id]);
    let r = t
        .get("/api/v1/priorities?status=declined", Some(&t.admin_token))
        .await;
    assert!(ids(&r.json()).is_empty());
    let r = t
        .get("/api/v1/priorities?status=lost", Some(&t.admin_token))
        .await;
    r.problem(400, Some("status"));

    // A viewer neither submits nor reads priorities.
    let r = t
        .json(
            Method::POST,
            "/api/v1/priorities",
            &t.viewer_token,
            None,
            &priority("Viewer's idea"),
        )
        .await;
    r.problem(403, None);
    t.get("/api/v1/priorities", Some(&t.viewer_token))
        .await
        .problem(403, None);
    t.get(&format!("/api/v1/priorities/{id}"), Some(&t.viewer_token))
        .await
        .problem(403, None);
    let r = t.get("/api/v1/priorities", Some(&t.admin_token)).await;
    assert_eq!(ids(&r.json()).len(), 2, "nothing else was written");
    assert_eq!(t.total().await, 76);
    t.finish().await;
}

#[tokio::test]
async fn the_programme_office_triages_and_the_submitter_sees_the_outcome() {
    let t = TestApp::start().await;
    let lead = token(&t, LEAD_EMAIL).await;
    let accepted = submit(&t, &lead, "Online carers' assessments").await;
    let id = accepted["id"].as_i64().unwrap();
    let accept = format!("/api/v1/priorities/{id}/accept");

    // A department lead cannot triage, not even their own.
    let r = t
        .raw(
            Method::POST,
            &accept,
            &lead,
            &[("if-match", "\"v1\"")],
            axum::body::Body::empty(),
        )
        .await;
    r.problem(403, None);
    // Triage needs the version read.
    let r = t
        .raw(
            Method::POST,
            &accept,
            &t.admin_token,
            &[],
            axum::body::Body::empty(),
        )
        .await;
    r.problem(428, Some("If-Match"));
    assert_eq!(t.total().await, 76);

    let r = t
        .raw(
            Method::POST,
            &accept,
            &t.admin_token,
            &[("if-match", "\"v1\"")],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v2\""));
    let done = r.json();
    assert_eq!(done["status"], "accepted");
    assert_eq!(done["project"]["code"], "DP-077");
    assert_eq!(done["triaged_by"], ADMIN_EMAIL);
    let project = t.project("DP-077").await;
    assert_eq!(project.stage.as_str(), "concept");
    assert_eq!(project.title, "Online carers' assessments");
    assert_eq!(project.department.slug, "health-and-care");
    assert_eq!(project.total_cost().pence(), 35_000_000);
    assert_eq!(t.total().await, 77);

    // A second decision is refused, saying what the first was; nothing is written.
    for version in ["\"v1\"", "\"v2\""] {
        let r = t
            .raw(
                Method::POST,
                &accept,
                &t.admin_token,
                &[("if-match", version)],
                axum::body::Body::empty(),
            )
            .await;
        let doc = r.problem(422, Some("status"));
        assert!(
            doc["detail"]
                .as_str()
                .unwrap()
                .contains("already been accepted into the register as DP-077"),
            "{doc}"
        );
    }
    let r = t
        .json(
            Method::POST,
            &format!("/api/v1/priorities/{id}/decline"),
            &t.admin_token,
            Some("\"v2\""),
            &json!({"reason": "Second thoughts"}),
        )
        .await;
    r.problem(422, Some("status"));
    assert_eq!(t.total().await, 77);

    // The submitter sees the outcome.
    let r = t
        .get(&format!("/api/v1/priorities/{id}"), Some(&lead))
        .await;
    let seen = r.json();
    assert_eq!(seen["status"], "accepted");
    assert_eq!(seen["project"]["code"], "DP-077");

    // Declining needs a reason, which the submitter then reads.
    let declined = submit(&t, &lead, "Drones for bin rounds").await;
    let decline = format!("/api/v1/priorities/{}/decline", declined["id"]);
    let r = t
        .json(
            Method::POST,
            &decline,
            &t.admin_token,
            Some("\"v1\""),
            &json!({"reason": "   "}),
        )
        .await;
    r.problem(422, Some("reason"));
    let r = t
        .json(
            Method::POST,
            &decline,
            &t.admin_token,
            Some("\"v1\""),
            &json!({"reason": "Not a digital priority this year."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t
        .get(
            &format!("/api/v1/priorities/{}", declined["id"]),
            Some(&lead),
        )
        .await;
    assert_eq!(
        r.json()["decline_reason"],
        "Not a digital priority this year."
    );

    // Linking names an existing project still in the programme.
    let change = submit(&t, &lead, "Add carers to the case system").await;
    let link = format!("/api/v1/priorities/{}/link", change["id"]);
    let r = t
        .json(
            Method::POST,
            &link,
            &t.admin_token,
            Some("\"v1\""),
            &json!({"project": "DP-999"}),
        )
        .await;
    r.problem(422, Some("project"));
    let r = t
        .json(
            Method::POST,
            &link,
            &t.admin_token,
            Some("\"v7\""),
            &json!({"project": "DP-001"}),
        )
        .await;
    r.problem(412, None);
    let r = t
        .json(
            Method::POST,
            &link,
            &t.admin_token,
            Some("\"v1\""),
            &json!({"project": "dp-001"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["project"]["code"], "DP-001");
    assert_eq!(t.total().await, 77, "linking adds no project");

    // The project page lists its change request.
    let s = t.sign_in(VIEWER_EMAIL).await;
    let html = t.page(&s, "/projects/DP-001").await.text();
    assert!(html.contains("Change requests from departments"), "{html}");
    assert!(html.contains("Add carers to the case system"), "{html}");
    t.finish().await;
}

#[tokio::test]
async fn submitting_and_triaging_through_the_pages() {
    let t = TestApp::start().await;
    let lead = t.sign_in(LEAD_EMAIL).await;
    let html = t.page(&lead, "/").await.text();
    assert!(
        html.contains(">Priorities</a>"),
        "lead's navigation: {html}"
    );
    assert!(
        !html.contains(">Add a project</a>"),
        "a department lead is not offered Add a project"
    );
    assert_eq!(
        t.page(&lead, "/projects/new").await.status,
        StatusCode::FORBIDDEN
    );
    let r = t.page(&lead, "/priorities/new").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Submit a priority"));

    let good = [
        ("title", "Online carers' assessments"),
        ("problem", "Carers wait six weeks for a home visit."),
        ("beneficiaries", "Unpaid carers."),
        ("urgency", "critical"),
        ("rough_cost", "£1.2m"),
        ("department", "health-and-care"),
        ("themes", "communities"),
        ("themes", "virtual-service-delivery"),
        ("changes_project", ""),
    ];
    let r = t.post_form(&lead, "/priorities", &good).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");

    let mut bad = good.to_vec();
    bad[0] = ("title", "");
    bad[3] = ("urgency", "");
    bad[4] = ("rough_cost", "a lot");
    bad.push(("csrf_token", &lead.csrf));
    let r = t.post_form(&lead, "/priorities", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    for target in ["#title", "#urgency", "#rough_cost"] {
        assert!(
            html.contains(&format!("href=\"{target}\"")),
            "{target}: {html}"
        );
    }
    assert!(html.contains("Choose how urgent it is"), "{html}");
    assert!(html.contains("Unpaid carers."), "what was typed is kept");
    let r = t.get("/api/v1/priorities", Some(&t.admin_token)).await;
    assert!(ids(&r.json()).is_empty(), "nothing was written");

    let mut ok = good.to_vec();
    ok.push(("csrf_token", &lead.csrf));
    let r = t.post_form(&lead, "/priorities", &ok).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap().to_string();
    let id: i64 = location
        .strip_prefix("/priorities/")
        .and_then(|rest| rest.strip_suffix("?done=submitted"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("redirect to the priority: {location}"));
    let html = t.page(&lead, &location).await.text();
    assert!(html.contains("Priority submitted"), "{html}");
    assert!(html.contains("Awaiting triage"), "{html}");
    assert!(html.contains("£1,200,000"), "{html}");
    assert!(
        !html.contains("Accept into the register"),
        "leads do not triage"
    );

    // The programme office's queue, and the triage forms.
    let office = t.sign_in(ADMIN_EMAIL).await;
    let html = t.page(&office, "/priorities").await.text();
    assert!(
        html.contains("<h1 class=\"govuk-heading-l\">Priorities</h1>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/priorities/{id}\"")),
        "{html}"
    );
    assert!(html.contains("Awaiting triage"), "{html}");
    let page = t.page(&office, &format!("/priorities/{id}")).await.text();
    let version = common::hidden_input(&page, "version").expect("the version in the forms");
    assert_eq!(version, "1");

    let r = t
        .post_form(
            &office,
            &format!("/priorities/{id}/decline"),
            &[
                ("csrf_token", &office.csrf),
                ("version", "1"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("href=\"#reason\""), "{html}");
    assert!(html.contains("Enter the reason for declining"), "{html}");

    let accept = [("csrf_token", office.csrf.as_str()), ("version", "1")];
    let r = t
        .post_form(&office, &format!("/priorities/{id}/accept"), &accept)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.header("location"),
        Some(format!("/priorities/{id}?done=triaged").as_str())
    );
    assert_eq!(t.project("DP-077").await.stage.as_str(), "concept");

    // The same form sent again (a second tab) is refused, saying what happened.
    let r = t
        .post_form(&office, &format!("/priorities/{id}/accept"), &accept)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let html = r.text();
    assert!(html.contains("href=\"#status\""), "{html}");
    assert!(
        html.contains("already been accepted into the register as DP-077"),
        "{html}"
    );
    assert_eq!(t.total().await, 77);

    // The submitter sees the outcome in their list, linked to the project.
    let html = t.page(&lead, "/priorities").await.text();
    assert!(html.contains("Your submitted priorities"), "{html}");
    assert!(
        html.contains("Accepted as <a class=\"govuk-link\" href=\"/projects/DP-077\">"),
        "{html}"
    );
    let html = t.page(&lead, "/projects/DP-077").await.text();
    assert!(
        html.contains("The priority this project came from"),
        "{html}"
    );

    // Viewers have no priorities page.
    let viewer = t.sign_in(VIEWER_EMAIL).await;
    let html = t.page(&viewer, "/").await.text();
    assert!(!html.contains(">Priorities</a>"), "{html}");
    assert!(!html.contains(">Add a project</a>"), "{html}");
    assert_eq!(
        t.page(&viewer, "/priorities").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.page(&viewer, "/priorities/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.page(&office, "/priorities/nonsense").await.status,
        StatusCode::NOT_FOUND
    );
    t.finish().await;
}

#[tokio::test]
async fn titles_are_escaped_on_every_intake_page() {
    let t = TestApp::start().await;
    let lead = token(&t, LEAD_EMAIL).await;
    let p = submit(&t, &lead, "<script>alert(1)</script> carers").await;
    let office = t.sign_in(ADMIN_EMAIL).await;
    for path in [
        "/priorities".to_string(),
        format!("/priorities/{}", p["id"]),
    ] {
        let html = t.page(&office, &path).await.text();
        assert!(html.contains("&lt;script&gt;alert(1)"), "{path}: {html}");
        assert!(!html.contains("<script>alert"), "{path} unescaped");
    }
    t.finish().await;
}
