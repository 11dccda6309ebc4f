//! Registers to files through the pages and the API, on the demo council:
//! download links on the register, RAID, decision log and meetings pages;
//! XLSX and CSV with their content types and file names (organisation and
//! date); the page's filters kept; viewers may export what they read, and no
//! one anything of another organisation.

mod common;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use common::{TestApp, VIEWER_EMAIL};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn rows_of(bytes: &[u8], sheet: &str) -> Vec<Vec<Data>> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX workbook");
    let range = book.worksheet_range(sheet).expect("the sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

#[tokio::test]
async fn pages_link_their_downloads_and_the_files_keep_the_filters() {
    let t = TestApp::start().await;
    let s = t.sign_in(VIEWER_EMAIL).await;

    let page = t.page(&s, "/projects?stage=delivery").await.text();
    assert!(
        page.contains("id=\"download-xlsx\" href=\"&#x2f;projects.xlsx?stage=delivery")
            || page.contains("id=\"download-xlsx\" href=\"/projects.xlsx?stage=delivery"),
        "the register links its XLSX with the filter"
    );
    let r = t.page(&s, "/projects.xlsx?stage=delivery").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some(XLSX));
    assert_eq!(
        r.header("content-disposition"),
        Some(
            format!(
                "attachment; filename=\"northmere-register-{}.xlsx\"",
                today()
            )
            .as_str()
        )
    );
    let rows = rows_of(&r.body, "Register");
    let stage = rows[0].iter().position(|h| *h == "Stage").unwrap();
    assert!(rows.len() > 2);
    assert!(
        rows[1..].iter().all(|r| r[stage] == "Delivery"),
        "only the filtered stage"
    );

    let r = t.page(&s, "/projects.csv?stage=delivery").await;
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        r.header("content-disposition"),
        Some(
            format!(
                "attachment; filename=\"northmere-register-{}.csv\"",
                today()
            )
            .as_str()
        )
    );
    let csv = r.text();
    let records = csv.lines().filter(|l| l.starts_with("DP-")).count();
    assert_eq!(
        records,
        rows.len() - 1,
        "CSV and XLSX hold the same projects"
    );

    let raid = t.page(&s, "/raid?kind=risk").await.text();
    assert!(raid.contains("raid.xlsx?"), "the RAID page links its XLSX");
    let r = t.page(&s, "/raid.xlsx?kind=risk").await;
    assert_eq!(r.status, StatusCode::OK);
    let risks = rows_of(&r.body, "Risks");
    assert!(risks.len() > 1, "the demo's risks are in the Risks sheet");
    assert_eq!(
        rows_of(&r.body, "Issues").len(),
        1,
        "the filter left issues out: header only"
    );

    let decisions = t.page(&s, "/decisions?q=gate").await.text();
    assert!(
        decisions.contains("decisions.xlsx?q=gate"),
        "the decision log links its XLSX"
    );
    for path in [
        "/decisions.xlsx",
        "/decisions.csv",
        "/actions.xlsx",
        "/actions.csv?open=true",
    ] {
        let r = t.page(&s, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.header("content-disposition")
                .unwrap()
                .contains("northmere-"),
            "{path}"
        );
    }
    let meetings = t.page(&s, "/meetings").await.text();
    assert!(
        meetings.contains("actions.xlsx?open=true"),
        "the meetings page links the actions"
    );

    // Signed out: no download.
    let r = t.get("/projects.xlsx", None).await;
    assert_ne!(r.status, StatusCode::OK);
    t.finish().await;
}

#[tokio::test]
async fn the_api_exports_every_register_in_every_format() {
    let t = TestApp::start().await;
    for register in ["register", "raid", "decisions", "actions"] {
        for (format, content_type) in [
            ("json", "application/json"),
            ("csv", "text/csv; charset=utf-8"),
            ("xlsx", XLSX),
        ] {
            let path = format!("/api/v1/exports/{register}?format={format}");
            let r = t.get(&path, Some(&t.viewer_token)).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
            assert_eq!(r.header("content-type"), Some(content_type), "{path}");
            assert_eq!(
                r.header("content-disposition"),
                Some(
                    format!(
                        "attachment; filename=\"northmere-{register}-{}.{format}\"",
                        today()
                    )
                    .as_str()
                )
            );
            if format == "xlsx" {
                assert!(r.body.starts_with(b"PK"), "{path} is a zip");
            }
        }
    }
    let r = t
        .get(
            "/api/v1/exports/register?format=json&department=health-and-care",
            Some(&t.admin_token),
        )
        .await;
    let projects = r.json();
    assert!(projects
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["department"]["slug"] == "health-and-care"));

    let r = t
        .get("/api/v1/exports/register?format=pdf", Some(&t.admin_token))
        .await;
    r.problem(422, Some("format"));
    let r = t.get("/api/v1/exports/budgets", Some(&t.admin_token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/exports/register", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    t.finish().await;
}

#[tokio::test]
async fn nothing_of_another_organisation_is_exported() {
    let t = TestApp::start().await;
    let actor = portfolio_app::Actor::system("test");
    let other = portfolio_domain::ProjectDraft {
        title: "Another council's secret project".into(),
        department: "health-and-care".into(),
        stage: "concept".into(),
        published: true,
        ..Default::default()
    };
    t.app
        .seed_organisation("elsewhere", "Elsewhere Council", &[other], &actor)
        .await
        .unwrap();
    for format in ["json", "csv", "xlsx"] {
        let r = t
            .get(
                &format!("/api/v1/exports/register?format={format}"),
                Some(&t.admin_token),
            )
            .await;
        assert!(
            !String::from_utf8_lossy(&r.body).contains("secret project"),
            "{format}"
        );
        if format == "xlsx" {
            let rows = rows_of(&r.body, "Register");
            assert_eq!(rows.len(), 77, "the header and Northmere's 76 projects");
        }
    }
    t.finish().await;
}
