//! The server-rendered pages, driven in-process: signing in (CSRF cookie,
//! session cookie attributes), the dashboard and register, the project form
//! (CSRF, validation, stale edits), escaping, security headers and assets.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{form_encode, hidden_input, valid_draft, TestApp, ADMIN_EMAIL, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn unauthenticated_visitors_are_sent_to_sign_in() {
    let t = TestApp::start().await;
    let r = t.get("/", None).await;
    assert!(
        matches!(r.status.as_u16(), 302 | 303),
        "GET / gave {}",
        r.status
    );
    assert_eq!(r.header("location"), Some("/sign-in"));

    let r = t.get("/projects/DP-001", None).await;
    assert!(matches!(r.status.as_u16(), 302 | 303), "{}", r.status);
    assert_eq!(r.header("location"), Some("/sign-in?next=/projects/DP-001"));

    let r = t.get("/projects?stage=design&q=a+b", None).await;
    let location = r.header("location").unwrap_or("");
    assert!(
        location.starts_with("/sign-in?next=/projects%3Fstage%3Ddesign"),
        "{location}"
    );

    // A made-up session cookie is no session.
    let r = t
        .call(
            Request::builder()
                .uri("/")
                .header(
                    header::COOKIE,
                    format!("portfolio_session={}", "a".repeat(64)),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.header("location"), Some("/sign-in"));
    t.finish().await;
}

#[tokio::test]
async fn signing_in() {
    let t = TestApp::start().await;
    let form = t.get("/sign-in", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    let csrf = hidden_input(&html, "csrf_token").expect("a csrf_token hidden input");
    assert_eq!(csrf.len(), 64);
    assert!(
        html.contains("type=\"hidden\" name=\"csrf_token\""),
        "{html}"
    );
    let line = form
        .set_cookie_line("portfolio_sign_in")
        .expect("sets the portfolio_sign_in cookie");
    assert!(line.contains("HttpOnly"), "{line}");
    let cookie = form.cookie("portfolio_sign_in").unwrap();
    assert_eq!(
        cookie, csrf,
        "double-submit: the cookie carries the form's token"
    );

    let post = |cookie: Option<String>, csrf: String, password: &'static str| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, format!("portfolio_sign_in={c}"));
        }
        b.body(Body::from(form_encode(&[
            ("email", ADMIN_EMAIL),
            ("password", password),
            ("csrf_token", &csrf),
            ("next", "/"),
        ])))
        .unwrap()
    };

    // Wrong password: the form again, with an error summary.
    let r = t
        .call(post(
            Some(cookie.clone()),
            csrf.clone(),
            "wrong password here",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(html.contains("Enter a correct email address and password"));
    assert!(r.cookie("portfolio_session").is_none());

    // No CSRF cookie, or a token that does not match it: refused.
    let r = t.call(post(None, csrf.clone(), PASSWORD)).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(
        r.cookie("portfolio_session").is_none(),
        "{:?}",
        r.set_cookies()
    );
    assert!(r.text().contains("govuk-error-summary"));
    let r = t
        .call(post(Some(cookie.clone()), "b".repeat(64), PASSWORD))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(r.cookie("portfolio_session").is_none());
    let r = t.call(post(None, String::new(), PASSWORD)).await;
    assert!(r.cookie("portfolio_session").is_none());

    // Right password with the cookie and the token.
    let r = t.call(post(Some(cookie), csrf, PASSWORD)).await;
    assert!(matches!(r.status.as_u16(), 302 | 303), "{}", r.status);
    assert_eq!(r.header("location"), Some("/"));
    let line = r
        .set_cookie_line("portfolio_session")
        .expect("a session cookie");
    assert!(line.contains("HttpOnly"), "{line}");
    assert!(line.contains("SameSite=Lax"), "{line}");
    assert!(line.contains("Path=/"), "{line}");
    let session = r.cookie("portfolio_session").unwrap();

    let r = t
        .call(
            Request::builder()
                .uri("/")
                .header(header::COOKIE, format!("portfolio_session={session}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    t.finish().await;
}

#[tokio::test]
async fn sign_in_follows_only_local_next() {
    let t = TestApp::start().await;
    for (next, expected) in [
        ("/projects/DP-001", "/projects/DP-001"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
    ] {
        let form = t.get("/sign-in", None).await;
        let csrf = hidden_input(&form.text(), "csrf_token").unwrap();
        let r = t
            .call(
                Request::builder()
                    .method(Method::POST)
                    .uri("/sign-in")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("portfolio_sign_in={csrf}"))
                    .body(Body::from(form_encode(&[
                        ("email", ADMIN_EMAIL),
                        ("password", PASSWORD),
                        ("csrf_token", &csrf),
                        ("next", next),
                    ])))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.header("location"), Some(expected), "next={next}");
    }
    t.finish().await;
}

#[tokio::test]
async fn dashboard_and_register() {
    let t = TestApp::start().await;
    let s = t.sign_in(ADMIN_EMAIL).await;
    let r = t.page(&s, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("text/html"),
        "{:?}",
        r.header("content-type")
    );
    let html = r.text();
    assert!(html.contains("id=\"total-projects\">76<"), "{html}");
    assert!(html.contains("Northmere County Council"));

    let r = t.page(&s, "/projects?stage=design").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("of 27 projects"), "{}", r.text());

    let r = t.page(&s, "/projects").await;
    assert!(
        r.text().contains("Showing 1 to 25 of 76 projects"),
        "{}",
        r.text()
    );

    // A bad filter is reported, not a 500.
    let r = t.page(&s, "/projects?stage=nonsense").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("govuk-error-summary"));

    let r = t.page(&s, "/projects.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let csv = r.text();
    assert!(csv.starts_with("code,title,"), "{csv}");
    // Summaries span lines inside quotes; each record starts with its code.
    assert_eq!(csv.lines().filter(|l| l.starts_with("DP-")).count(), 76);

    let r = t.page(&s, "/projects/DP-999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.page(&s, "/no-such-page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.finish().await;
}

#[tokio::test]
async fn adding_a_project_through_the_form() {
    let t = TestApp::start().await;
    let s = t.sign_in(ADMIN_EMAIL).await;
    let r = t.page(&s, "/projects/new").await;
    assert_eq!(r.status, StatusCode::OK);

    let good = [
        ("title", "Library self-service kiosks"),
        ("department_id", "health-and-care"),
        ("stage", "idea"),
        ("theme_ids", "communities"),
        ("start_date-day", "1"),
        ("start_date-month", "4"),
        ("start_date-year", "2026"),
        ("cost_year_0", "2026/27"),
        ("cost_capital_0", "£1,250.50"),
        ("cost_revenue_0", ""),
    ];

    // No CSRF token: refused, nothing written.
    let r = t.post_form(&s, "/projects", &good).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut wrong = good.to_vec();
    wrong.push(("csrf_token", "0000"));
    let r = t.post_form(&s, "/projects", &wrong).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.total().await, 76);

    // Empty title: the form again, its error summary linking to the box.
    let mut empty = good.to_vec();
    empty[0] = ("title", "");
    empty.push(("csrf_token", &s.csrf));
    let r = t.post_form(&s, "/projects", &empty).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(html.contains("href=\"#title\""), "{html}");
    assert!(html.contains("£1,250.50"), "what was typed is kept: {html}");
    assert_eq!(t.total().await, 76);

    // Form-only problems (a date that is not one) are shown with the domain's.
    let mut bad = empty.clone();
    bad[5] = ("start_date-month", "x");
    let r = t.post_form(&s, "/projects", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("href=\"#start_date-day\""), "{html}");
    assert!(html.contains("href=\"#title\""), "{html}");
    assert_eq!(t.total().await, 76);

    let mut ok = good.to_vec();
    ok.push(("csrf_token", &s.csrf));
    let r = t.post_form(&s, "/projects", &ok).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location"), Some("/projects/DP-077?saved=1"));
    assert_eq!(t.total().await, 77);
    let p = t.project("DP-077").await;
    assert_eq!(p.title, "Library self-service kiosks");
    assert_eq!(p.costs[0].capital_pence.pence(), 125_050);

    let r = t.page(&s, "/projects/DP-077?saved=1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Library self-service kiosks"));
    t.finish().await;
}

#[tokio::test]
async fn a_viewer_cannot_use_the_forms() {
    let t = TestApp::start().await;
    let s = t.sign_in(common::VIEWER_EMAIL).await;
    let r = t.page(&s, "/projects/new").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post_form(
            &s,
            "/projects",
            &[
                ("csrf_token", &s.csrf),
                ("title", "Viewer project"),
                ("department_id", "health-and-care"),
                ("stage", "idea"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.total().await, 76);
    t.finish().await;
}

#[tokio::test]
async fn a_stale_edit_shows_the_other_persons_change() {
    let t = TestApp::start().await;
    let s = t.sign_in(ADMIN_EMAIL).await;
    let r = t.page(&s, "/projects/DP-001/edit").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert_eq!(hidden_input(&html, "version").as_deref(), Some("1"));
    let original = t.project("DP-001").await;

    // Meanwhile someone else saves through the API.
    let mut theirs = common::draft_of(&original);
    theirs["title"] = json!("Their saved title");
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001",
            &t.admin_token,
            Some("\"v1\""),
            &theirs,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let stage = original.stage.as_str();
    let r = t
        .post_form(
            &s,
            "/projects/DP-001/edit",
            &[
                ("csrf_token", &s.csrf),
                ("version", "1"),
                ("title", "My unsaved title"),
                ("department_id", &original.department.slug),
                ("stage", stage),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let html = r.text();
    assert!(html.contains("changed by someone else"), "{html}");
    assert!(html.contains("Their saved title"), "{html}");
    assert!(html.contains("My unsaved title"), "yours is kept: {html}");
    assert_eq!(
        hidden_input(&html, "version").as_deref(),
        Some("2"),
        "saving again replaces version 2"
    );
    assert_eq!(t.project("DP-001").await.title, "Their saved title");

    // Saving again from the conflict page works.
    let r = t
        .post_form(
            &s,
            "/projects/DP-001/edit",
            &[
                ("csrf_token", &s.csrf),
                ("version", "2"),
                ("title", "My unsaved title"),
                ("department_id", &original.department.slug),
                ("stage", stage),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(t.project("DP-001").await.title, "My unsaved title");

    // An edit without a CSRF token is refused.
    let r = t
        .post_form(
            &s,
            "/projects/DP-001/edit",
            &[("version", "3"), ("title", "No token")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.project("DP-001").await.title, "My unsaved title");
    t.finish().await;
}

#[tokio::test]
async fn html_in_a_title_is_escaped_on_the_page() {
    let t = TestApp::start().await;
    let mut body = valid_draft();
    body["title"] = json!("<script>alert(1)</script>");
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
    let s = t.sign_in(ADMIN_EMAIL).await;
    for path in [
        "/projects/DP-077",
        "/projects?q=alert",
        "/projects/DP-077/edit",
    ] {
        let r = t.page(&s, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let html = r.text();
        assert!(html.contains("&lt;script&gt;"), "{path}: {html}");
        assert!(!html.contains("<script>alert"), "{path}: unescaped");
    }
    t.finish().await;
}

#[tokio::test]
async fn pages_send_security_headers() {
    let t = TestApp::start().await;
    for r in [
        t.get("/sign-in", None).await,
        t.get("/", None).await,
        t.get("/api/v1/projects", None).await,
    ] {
        let csp = r.header("content-security-policy").expect("CSP");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert!(r.header("referrer-policy").is_some());
        assert!(
            r.header("strict-transport-security").is_none(),
            "no HSTS without TLS"
        );
    }
    t.finish().await;
}

#[tokio::test]
async fn static_files_and_fonts_are_served() {
    let t = TestApp::start().await;
    let r = t.get("/static/govuk-frontend.min.css", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/css"));
    assert!(r.body.len() > 1000);

    let r = t.get("/assets/fonts/bold-b542beb274-v2.woff2", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("font/woff2"));
    assert!(!r.body.is_empty());

    let r = t.get("/static/app.js", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));

    for path in [
        "/static/nope.css",
        "/assets/fonts/nope.woff2",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
    ] {
        let r = t.get(path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    t.finish().await;
}

/// Creates a project titled `title` in Families and Communities; returns its code.
async fn create_titled(t: &TestApp, title: &str) -> String {
    let mut body = valid_draft();
    body["title"] = json!(title);
    body["summary"] = json!("");
    body["department"] = json!("families-and-communities");
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
    r.json()["code"].as_str().expect("code").to_string()
}

#[tokio::test]
async fn possible_duplicates_lists_a_planted_pair_with_reasons() {
    let t = TestApp::start().await;
    let first = create_titled(&t, "Children's case mgmt system replacement").await;
    let second = create_titled(&t, "Replace children's social care case management system").await;
    let s = t.sign_in(common::VIEWER_EMAIL).await;
    let r = t.page(&s, "/duplicates").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<h1 class=\"govuk-heading-l\">Possible duplicates</h1>"));
    assert!(
        html.contains("suggestions to review, not decisions"),
        "{html}"
    );
    assert!(
        html.contains("aria-current=\"page\">Possible duplicates</a>"),
        "the navigation marks the page: {html}"
    );
    // The pair's row: both projects linked, each department, a percentage and reasons.
    let row = html
        .split("<tr class=\"govuk-table__row\">")
        .find(|row| {
            row.contains(&format!("href=\"/projects/{first}\""))
                && row.contains(&format!("href=\"/projects/{second}\""))
        })
        .expect("a row naming both planted projects");
    assert!(
        row.contains("Children&#x27;s case mgmt system replacement"),
        "{row}"
    );
    assert_eq!(row.matches("Families and Communities").count(), 2, "{row}");
    assert!(row.contains("%</td>"), "{row}");
    assert_eq!(
        row.matches(">Concept</strong>").count(),
        2,
        "each stage: {row}"
    );
    assert!(row.contains("<li>titles share"), "{row}");
    assert!(row.contains("same department"), "{row}");
    t.finish().await;
}

#[tokio::test]
async fn possible_duplicates_escape_titles_and_need_signing_in() {
    let t = TestApp::start().await;
    let r = t.get("/duplicates", None).await;
    assert!(matches!(r.status.as_u16(), 302 | 303), "{}", r.status);
    assert_eq!(r.header("location"), Some("/sign-in?next=/duplicates"));

    create_titled(&t, "<script>alert(1)</script> children's case mgmt system").await;
    create_titled(
        &t,
        "Children's case management system <script>alert(2)</script>",
    )
    .await;
    let s = t.sign_in(ADMIN_EMAIL).await;
    let r = t.page(&s, "/duplicates").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("&lt;script&gt;alert(1)"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(2)"), "{html}");
    assert!(!html.contains("<script>alert"), "unescaped: {html}");
    t.finish().await;
}
