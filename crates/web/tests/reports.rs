//! Board packs and Cabinet reports on the web and in the API: the list,
//! the form that makes one (and refuses bad dates naming the field), the
//! web view of the demo council's 28 / 27 / 21 = 76, the downloads in every
//! format, the narrative edit refused when stale, a meeting's board pack,
//! the branding with a logo far too large, and tokens that may only read.

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{Datelike, NaiveDate};
use common::{hidden_input, Resp, Session, TestApp, ADMIN_EMAIL, EDITOR_EMAIL};
use portfolio_app::reports::ReportFormat;
use serde_json::{json, Value};

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The form fields of the report form for a date.
fn date_fields(d: NaiveDate) -> [(String, String); 3] {
    [
        ("as_at-day".into(), d.day().to_string()),
        ("as_at-month".into(), d.month().to_string()),
        ("as_at-year".into(), d.year().to_string()),
    ]
}

async fn post_report_form(t: &TestApp, s: &Session, extra: &[(&str, &str)]) -> Resp {
    let mut pairs: Vec<(&str, &str)> = vec![("csrf_token", &s.csrf)];
    pairs.extend_from_slice(extra);
    t.post_form(s, "/reports", &pairs).await
}

/// The value shown for a headline figure of the web view.
fn figure(html: &str, label: &str) -> Option<i64> {
    let marker = format!("data-figure=\"{label}\"><span class=\"app-count\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')?;
    html[start..start + end].trim().parse().ok()
}

/// The text of the GOV.UK error summary of a page.
fn error_summary(html: &str) -> String {
    let start = html
        .find("govuk-error-summary__list")
        .unwrap_or_else(|| panic!("no error summary: {html}"));
    let end = html[start..].find("</ul>").unwrap() + start;
    unescape(&html[start..end])
}

fn unescape(html: &str) -> String {
    html.replace("&#x27;", "'").replace("&#x2f;", "/")
}

fn location(r: &Resp) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    r.header("location").expect("location").to_string()
}

/// A report id from a `/reports/{id}…` address.
fn report_id(path: &str) -> i64 {
    path.trim_start_matches("/reports/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("not a report address: {path}"))
}

/// Makes a board pack through the form as at today; returns its id.
async fn make_board_pack(t: &TestApp, s: &Session) -> i64 {
    let [d, m, y] = date_fields(today());
    let r = post_report_form(
        t,
        s,
        &[("kind", "board"), (&d.0, &d.1), (&m.0, &m.1), (&y.0, &y.1)],
    )
    .await;
    report_id(&location(&r))
}

#[tokio::test]
async fn a_board_pack_is_made_listed_and_shows_the_programme_that_adds_up() {
    let (t, _) = TestApp::with_editor().await;
    let s = t.sign_in(EDITOR_EMAIL).await;

    let list = t.page(&s, "/reports").await;
    assert_eq!(list.status, StatusCode::OK);
    let html = unescape(&list.text());
    assert!(
        html.contains("href=\"/reports\" aria-current=\"page\">Reports</a>"),
        "the service navigation has Reports: {html}"
    );
    assert!(html.contains("No report has been made yet"), "{html}");
    assert!(html.contains("href=\"/reports/new\""), "{html}");

    let form = t.page(&s, "/reports/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(
        html.contains("name=\"as_at-day\""),
        "a GOV.UK date input: {html}"
    );
    assert!(html.contains("name=\"meeting_id\""), "{html}");

    let id = make_board_pack(&t, &s).await;
    let view = t.page(&s, &format!("/reports/{id}?done=made")).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.text());
    let html = view.text();
    assert!(html.contains("The report was made"), "{html}");
    assert_eq!(figure(&html, "Projects"), Some(76), "{html}");
    assert_eq!(figure(&html, "Concept"), Some(28));
    assert_eq!(figure(&html, "Design"), Some(27));
    assert_eq!(figure(&html, "Delivery"), Some(21));
    // Board order: decisions first, the commentary, then the summary.
    let decisions = html
        .find("id=\"decisions-heading\"")
        .expect("decisions section");
    let commentary = html
        .find("id=\"commentary-heading\"")
        .expect("commentary section");
    let summary = html
        .find("id=\"summary-heading\"")
        .expect("summary section");
    assert!(
        decisions < commentary && commentary < summary,
        "sections in the board's order"
    );
    assert!(html.contains("No commentary has been written for this pack."));
    // Charts inline, each with its text alternative and its data as a table.
    assert!(
        html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{html}"
    );
    assert!(html.contains("aria-labelledby=\"chart-1-title chart-1-desc\""));
    assert!(html.contains("<desc id=\"chart-1-desc\">"));
    let charts = html.matches("<figure class=\"app-report-chart\"").count();
    assert!(charts >= 3, "charts: {charts}");
    assert!(
        html.matches("<table class=\"govuk-table\">").count() >= charts,
        "a data table with each chart"
    );
    for f in ReportFormat::ALL {
        assert!(
            html.contains(&format!("/reports/{id}/document?format={}", f.extension())),
            "a download of {} on the page",
            f.label()
        );
        assert!(html.contains(f.label()));
    }

    let list = t.page(&s, "/reports").await.text();
    assert!(list.contains(&format!("href=\"/reports/{id}\"")), "{list}");
    assert!(list.contains("Board pack"));
    assert!(
        list.contains(&format!("by {EDITOR_EMAIL}")),
        "last changed by: {list}"
    );
    t.finish().await;
}

#[tokio::test]
async fn bad_dates_and_meetings_are_refused_naming_the_field_and_nothing_is_kept() {
    let (t, editor) = TestApp::with_editor().await;
    let s = t.sign_in(EDITOR_EMAIL).await;
    let cases: [(&str, [&str; 3], &str, &str); 4] = [
        (
            "board",
            ["1", "1", "2000"],
            "",
            "The report's date must be on or after",
        ),
        (
            "cabinet",
            ["1", "1", "2100"],
            "",
            "The report's date must be today",
        ),
        (
            "board",
            ["31", "2", "2026"],
            "",
            "The report's date must be a real date",
        ),
        (
            "board",
            ["", "", ""],
            "999999",
            "There is no board meeting 999999",
        ),
    ];
    let [d, m, y] = date_fields(today());
    for (kind, date, meeting, expected) in cases {
        let (day, month, year) = if date[0].is_empty() {
            (d.1.as_str(), m.1.as_str(), y.1.as_str())
        } else {
            (date[0], date[1], date[2])
        };
        let r = post_report_form(
            &t,
            &s,
            &[
                ("kind", kind),
                ("as_at-day", day),
                ("as_at-month", month),
                ("as_at-year", year),
                ("meeting_id", meeting),
            ],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{expected}: {}",
            r.text()
        );
        let html = r.text();
        let summary = error_summary(&html);
        assert!(summary.contains(expected), "{expected}: {summary}");
        let target = if meeting.is_empty() {
            "#as_at-day"
        } else {
            "#meeting_id"
        };
        assert!(summary.contains(&format!("href=\"{target}\"")), "{summary}");
        assert!(
            html.contains(&format!("value=\"{year}\"")),
            "the form keeps what was typed"
        );
    }
    let r = post_report_form(
        &t,
        &s,
        &[
            ("kind", "cabinet"),
            (&d.0, &d.1),
            (&m.0, &m.1),
            (&y.0, &y.1),
            ("meeting_id", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_summary(&r.text()).contains("A Cabinet report is not for a board meeting"));
    let r = t.get("/api/v1/reports", Some(&editor)).await;
    assert_eq!(r.json()["reports"], json!([]), "nothing was kept");
    t.finish().await;
}

#[tokio::test]
async fn a_stale_narrative_edit_is_refused_keeping_the_first_and_the_typed_text() {
    let (t, editor) = TestApp::with_editor().await;
    let first = t.sign_in(EDITOR_EMAIL).await;
    let second = t.sign_in(ADMIN_EMAIL).await;
    let id = make_board_pack(&t, &first).await;
    let path = format!("/reports/{id}/edit");

    let form_a = t.page(&first, &path).await;
    let form_b = t.page(&second, &path).await;
    assert_eq!(form_a.status, StatusCode::OK);
    let version_a = hidden_input(&form_a.text(), "version").expect("version");
    let version_b = hidden_input(&form_b.text(), "version").expect("version");
    assert!(form_a.text().contains("name=\"commentary\""));

    let r = t
        .post_form(
            &first,
            &path,
            &[
                ("csrf_token", &first.csrf),
                ("version", &version_a),
                (
                    "commentary",
                    "Delivery is on track.\n\nTwo gates await the board.",
                ),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/reports/{id}?done=saved"));
    let view = t.page(&first, &format!("/reports/{id}")).await.text();
    assert!(view.contains("Delivery is on track."), "{view}");
    assert!(view.contains("Two gates await the board."));

    let r = t
        .post_form(
            &second,
            &path,
            &[
                ("csrf_token", &second.csrf),
                ("version", &version_b),
                ("commentary", "My <own> words."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let html = r.text();
    assert!(
        error_summary(&html).contains("changed by someone else"),
        "{html}"
    );
    assert!(
        html.contains(">My &lt;own&gt; words.</textarea>"),
        "the typed text stays: {html}"
    );
    assert!(
        html.contains("Delivery is on track."),
        "what is stored is shown"
    );
    let stored = t
        .get(&format!("/api/v1/reports/{id}"), Some(&editor))
        .await
        .json();
    assert_eq!(
        stored["narrative"]["commentary"], "Delivery is on track.\n\nTwo gates await the board.",
        "the first save is kept"
    );

    // Saving again, knowingly, from the refused form replaces it.
    let newer = hidden_input(&html, "version").expect("version");
    assert_ne!(newer, version_b);
    let r = t
        .post_form(
            &second,
            &path,
            &[
                ("csrf_token", &second.csrf),
                ("version", &newer),
                ("commentary", "My <own> words."),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/reports/{id}?done=saved"));
    let stored = t
        .get(&format!("/api/v1/reports/{id}"), Some(&editor))
        .await
        .json();
    assert_eq!(stored["narrative"]["commentary"], "My <own> words.");
    t.finish().await;
}

fn unzip(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("no {name} in the archive"));
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 XML");
    text
}

#[tokio::test]
async fn every_format_downloads_as_a_named_attachment() {
    let (t, _) = TestApp::with_editor().await;
    let s = t.sign_in(EDITOR_EMAIL).await;
    let id = make_board_pack(&t, &s).await;
    for f in ReportFormat::ALL {
        let r = t
            .page(
                &s,
                &format!("/reports/{id}/document?format={}", f.extension()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", f.label(), r.text());
        assert_eq!(r.header("content-type"), Some(f.mime()));
        assert_eq!(
            r.header("content-disposition"),
            Some(
                format!(
                    "attachment; filename=\"board-pack-{}.{}\"",
                    today(),
                    f.extension()
                )
                .as_str()
            )
        );
        match f {
            ReportFormat::Docx => {
                let xml = unzip(&r.body, "word/document.xml");
                assert!(xml.contains("Programme summary"), "{xml}");
            }
            ReportFormat::Html => {
                let html = r.text();
                assert!(html.starts_with("<!DOCTYPE html>"));
                assert!(html.contains("<svg"));
            }
            #[allow(unreachable_patterns)]
            _ => assert!(!r.body.is_empty()),
        }
    }
    let r = t
        .page(&s, &format!("/reports/{id}/document?format=odt"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        unescape(&r.text()).contains("'odt' is not a report format"),
        "{}",
        r.text()
    );
    t.finish().await;
}

#[tokio::test]
async fn the_api_keeps_reads_changes_and_writes_reports() {
    let (t, editor) = TestApp::with_editor().await;
    let today = today().to_string();
    let r = t
        .json(
            Method::POST,
            "/api/v1/reports",
            &editor,
            None,
            &json!({"kind": "cabinet", "as_at": today}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let created = r.json();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/reports/{id}").as_str())
    );
    assert_eq!(created["kind"], "cabinet");

    let r = t.get(&format!("/api/v1/reports/{id}"), Some(&editor)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["as_at"], today);

    let narrative = |purpose: &str| json!({"commentary": "", "purpose": purpose, "recommendations": "", "background": "", "financial": "", "legal": "", "equality": ""});
    let body = json!({"kind": "cabinet", "as_at": today, "narrative": narrative("To set out the programme for September.")});
    let path = format!("/api/v1/reports/{id}");
    let r = t
        .json(Method::PUT, &path, &editor, Some("\"v1\""), &body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v2\""));
    let stale = json!({"kind": "cabinet", "as_at": today, "narrative": narrative("Overwritten?")});
    let r = t
        .json(Method::PUT, &path, &editor, Some("\"v1\""), &stale)
        .await;
    let doc = r.problem(412, None);
    assert!(
        doc["detail"]
            .as_str()
            .unwrap()
            .contains("changed by someone else"),
        "{doc}"
    );
    let kept = t.get(&path, Some(&editor)).await.json();
    assert_eq!(
        kept["narrative"]["purpose"],
        "To set out the programme for September."
    );

    let r = t
        .json(
            Method::POST,
            "/api/v1/reports",
            &editor,
            None,
            &json!({"kind": "board", "as_at": "1999-12-31"}),
        )
        .await;
    r.problem(422, Some("as_at"));

    let r = t
        .get(&format!("{path}/document?format=docx"), Some(&editor))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), Some(ReportFormat::Docx.mime()));
    let xml = unzip(&r.body, "word/document.xml");
    assert!(
        xml.contains("To set out the programme for September."),
        "the narrative is printed"
    );
    t.get(&format!("{path}/document"), Some(&editor))
        .await
        .problem(400, Some("format"));
    t.get("/api/v1/reports/999999/document?format=docx", Some(&editor))
        .await
        .problem(404, None);

    let r = t
        .get(
            &format!("/api/v1/report?kind=board&as_at={today}&format=html"),
            Some(&editor),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains(&format!("board-pack-{today}.html")));
    let html = r.text();
    assert!(
        html.contains(">76</span> <span class=\"govuk-body\">Projects</span>"),
        "{html}"
    );
    t.get(
        &format!("/api/v1/report?kind=annual&as_at={today}&format=html"),
        Some(&editor),
    )
    .await
    .problem(422, Some("kind"));
    t.get(
        "/api/v1/report?kind=board&as_at=2100-01-01&format=docx",
        Some(&editor),
    )
    .await
    .problem(422, Some("as_at"));
    let list = t.get("/api/v1/reports", Some(&editor)).await.json();
    assert_eq!(
        list["reports"].as_array().unwrap().len(),
        1,
        "the one-shot report is not kept"
    );
    t.finish().await;
}

#[tokio::test]
async fn a_read_only_token_reads_reports_but_cannot_write_them() {
    let (t, editor) = TestApp::with_editor().await;
    let r = t
        .json(
            Method::POST,
            "/api/v1/tokens",
            &t.admin_token,
            None,
            &json!({"name": "reader", "scope": "read"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let read = r.json()["secret"].as_str().unwrap().to_string();
    let today = today().to_string();
    let r = t
        .json(
            Method::POST,
            "/api/v1/reports",
            &read,
            None,
            &json!({"kind": "board", "as_at": today}),
        )
        .await;
    let doc = r.problem(403, None);
    assert!(
        doc["type"].as_str().unwrap().ends_with("/token-scope"),
        "{doc}"
    );
    let r = t
        .json(
            Method::PUT,
            "/api/v1/branding",
            &read,
            None,
            &json!({"display_name": "Read only"}),
        )
        .await;
    r.problem(403, None);
    // Reads are allowed.
    let r = t
        .get(
            &format!("/api/v1/report?kind=board&as_at={today}&format=docx"),
            Some(&read),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        t.get("/api/v1/reports", Some(&read)).await.status,
        StatusCode::OK
    );
    // A viewer's own token cannot make one either.
    let r = t
        .json(
            Method::POST,
            "/api/v1/reports",
            &t.viewer_token,
            None,
            &json!({"kind": "board", "as_at": today}),
        )
        .await;
    r.problem(403, None);
    assert_eq!(
        t.get("/api/v1/reports", Some(&editor)).await.json()["reports"],
        json!([])
    );
    t.finish().await;
}

/// A PNG's signature and header: enough for the logo check.
fn png(width: u32, height: u32, size: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([8, 6, 0, 0, 0]);
    b.resize(size.max(b.len()), 0);
    b
}

/// A multipart body of the branding form.
fn branding_form(csrf: &str, version: &str, name: &str, logo: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----portfolio-test-boundary";
    let mut body = Vec::new();
    for (field, value) in [
        ("csrf_token", csrf),
        ("version", version),
        ("display_name", name),
    ] {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"crest.png\"\r\nContent-Type: image/png\r\n\r\n")
            .as_bytes(),
    );
    body.extend(logo);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_branding(t: &TestApp, s: &Session, name: &str, logo: &[u8]) -> Resp {
    let page = t.page(s, "/settings/branding").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let version = hidden_input(&page.text(), "version").expect("version");
    let (content_type, body) = branding_form(&s.csrf, &version, name, logo);
    t.call(
        Request::builder()
            .method(Method::POST)
            .uri("/settings/branding")
            .header(header::COOKIE, format!("portfolio_session={}", s.cookie))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_20_mb_logo_is_refused_with_a_message_and_nothing_is_stored() {
    let (t, _) = TestApp::with_editor().await;
    let admin = t.sign_in(ADMIN_EMAIL).await;
    let r = post_branding(
        &t,
        &admin,
        "Northmere Council",
        &png(300, 120, 20 * 1024 * 1024),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let summary = error_summary(&r.text());
    assert!(
        summary.contains("The logo is 21.0 MB; a logo must be at most 1 MB"),
        "{summary}"
    );
    assert!(summary.contains("href=\"#logo\""), "{summary}");
    assert!(
        r.text().contains("value=\"Northmere Council\""),
        "the name typed stays"
    );
    let stored = t.get("/api/v1/branding", Some(&t.admin_token)).await.json();
    assert_eq!(
        (stored["version"].clone(), stored["logo"].clone()),
        (json!(0), Value::Null),
        "nothing stored"
    );

    // Through the API, base64 in JSON: the same message, naming the field.
    use base64::Engine;
    let big = base64::engine::general_purpose::STANDARD.encode(png(300, 120, 20 * 1024 * 1024));
    let r = t
        .json(
            Method::PUT,
            "/api/v1/branding",
            &t.admin_token,
            None,
            &json!({"display_name": "", "logo_base64": big}),
        )
        .await;
    let doc = r.problem(422, Some("logo_base64"));
    assert!(
        doc["detail"].as_str().unwrap().contains("at most 1 MB"),
        "{doc}"
    );
    assert_eq!(
        t.get("/api/v1/branding", Some(&t.admin_token)).await.json()["version"],
        0
    );

    // A logo of a sensible size is kept, shown and served.
    let r = post_branding(&t, &admin, "Northmere Council", &png(300, 120, 4_000)).await;
    assert_eq!(location(&r), "/settings/branding?saved=yes");
    let page = t.page(&admin, "/settings/branding?saved=yes").await.text();
    assert!(page.contains("The branding was saved"));
    assert!(page.contains("A PNG image, 300 × 120 pixels"), "{page}");
    let logo = t.page(&admin, "/settings/branding/logo").await;
    assert_eq!(logo.header("content-type"), Some("image/png"));
    assert_eq!(logo.body.len(), 4_000);
    let stored = t.get("/api/v1/branding", Some(&t.admin_token)).await;
    assert_eq!(stored.header("etag"), Some("\"v1\""));
    let stored = stored.json();
    assert_eq!(stored["display_name"], "Northmere Council");
    assert_eq!(stored["logo"]["width"], 300);

    // The API refuses a stale change and keeps the logo unless told to remove it.
    let r = t
        .json(
            Method::PUT,
            "/api/v1/branding",
            &t.admin_token,
            Some("\"v0\""),
            &json!({"display_name": "Stale"}),
        )
        .await;
    r.problem(412, None);
    let r = t
        .json(
            Method::PUT,
            "/api/v1/branding",
            &t.admin_token,
            Some("\"v1\""),
            &json!({"display_name": "Northmere", "remove_logo": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["logo"], Value::Null);

    // A body over the upload limit is not read at all: a page says so.
    let r = t
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/settings/branding")
                .header(
                    header::COOKIE,
                    format!("portfolio_session={}", admin.cookie),
                )
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
                .header(header::CONTENT_LENGTH, (60 * 1024 * 1024).to_string())
                .body(Body::from("--x--\r\n"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().contains("The file is too large"), "{}", r.text());

    // Only administrators set the branding.
    let editor = t.sign_in(EDITOR_EMAIL).await;
    assert_eq!(
        t.page(&editor, "/settings/branding").await.status,
        StatusCode::FORBIDDEN
    );
    t.finish().await;
}

#[tokio::test]
async fn a_meeting_opens_its_board_pack_making_it_once() {
    let (t, editor) = TestApp::with_editor().await;
    let s = t.sign_in(EDITOR_EMAIL).await;
    let meetings = t.get("/api/v1/meetings", Some(&editor)).await.json();
    let meetings = meetings["meetings"].as_array().unwrap().clone();
    let when =
        |m: &Value| NaiveDate::parse_from_str(m["meets_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let upcoming = meetings
        .iter()
        .find(|m| when(m) >= today())
        .expect("an upcoming meeting");
    let held = meetings
        .iter()
        .find(|m| when(m) < today())
        .expect("a meeting held");
    let id = upcoming["id"].as_i64().unwrap();

    let page = t.page(&s, &format!("/meetings/{id}")).await.text();
    assert!(
        page.contains(&format!("action=\"/meetings/{id}/board-pack\"")),
        "{page}"
    );
    let r = t
        .post_form(
            &s,
            &format!("/meetings/{id}/board-pack"),
            &[("csrf_token", &s.csrf)],
        )
        .await;
    let pack = report_id(&location(&r));
    let view = t.page(&s, &format!("/reports/{pack}")).await.text();
    assert!(
        view.contains(&format!("href=\"/meetings/{id}\"")),
        "the pack names its meeting"
    );
    assert!(
        view.contains("id=\"agenda-heading\""),
        "and has its agenda: {view}"
    );
    assert_eq!(figure(&view, "Projects"), Some(76));
    let saved = t
        .get(&format!("/api/v1/reports/{pack}"), Some(&editor))
        .await
        .json();
    assert_eq!(
        saved["as_at"],
        today().to_string(),
        "a meeting to come: as at today"
    );
    assert_eq!(saved["meeting_id"], id);

    let page = t.page(&s, &format!("/meetings/{id}")).await.text();
    assert!(
        page.contains(&format!("href=\"/reports/{pack}\"")),
        "the meeting links its pack"
    );
    let r = t
        .post_form(
            &s,
            &format!("/meetings/{id}/board-pack"),
            &[("csrf_token", &s.csrf)],
        )
        .await;
    assert_eq!(report_id(&location(&r)), pack, "opened, not made twice");

    // The demo's past meeting predates the organisation: said, not made.
    let held = held["id"].as_i64().unwrap();
    let r = t
        .post_form(
            &s,
            &format!("/meetings/{held}/board-pack"),
            &[("csrf_token", &s.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let summary = error_summary(&r.text());
    assert!(
        summary.contains("The board pack could not be made: The report's date must be on or after"),
        "{summary}"
    );
    assert!(summary.contains("href=\"#board-pack\""));
    let list = t.get("/api/v1/reports", Some(&editor)).await.json();
    assert_eq!(list["reports"].as_array().unwrap().len(), 1);
    t.finish().await;
}
