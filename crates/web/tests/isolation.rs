//! One organisation sees nothing of another. Northmere (organisation A) is
//! given a project with a name found nowhere else; Elsewhere (organisation B)
//! has projects of its own. B's administrator and viewer then use every
//! export, report, search, list and page, B's public roadmap and the
//! changes and as-at views, and no response carries any of A's project,
//! RAID, meeting, decision, report or scenario names (workbooks, Word
//! documents and PDFs are opened and their text read).

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use axum::http::{Method, StatusCode};
use common::{valid_draft, Resp, TestApp, PASSWORD};
use portfolio_app::Actor;
use portfolio_domain::{ProjectDraft, Role};
use serde_json::{json, Value};

const A_UNIQUE_TITLE: &str = "Quillfeather ossuary digitisation";
const A_UNIQUE_WORD: &str = "quillfeather";
const B_TITLE: &str = "Lanternwick harbour wifi";
const B_ADMIN: &str = "admin@elsewhere.example";
const B_VIEWER: &str = "viewer@elsewhere.example";

/// The text of a response body: a zip (workbook, Word document) read entry
/// by entry, a PDF through `pdftotext`, anything else as UTF-8.
fn text_of(r: &Resp) -> String {
    let body = &r.body[..];
    if body.starts_with(b"PK") {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a zip archive");
        let mut all = String::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).expect("an entry");
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read an entry");
            all.push_str(&String::from_utf8_lossy(&bytes));
            all.push('\n');
        }
        return all;
    }
    if body.starts_with(b"%PDF") {
        let mut child = Command::new("pdftotext")
            .args(["-", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect(
                "pdftotext (poppler-utils) is needed to read the PDFs; this test does not skip",
            );
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(body).expect("send the PDF");
        }
        let out = child.wait_with_output().expect("pdftotext output");
        assert!(out.status.success(), "pdftotext failed");
        // Lines break where the layout does; words are what is compared.
        return String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
    }
    String::from_utf8_lossy(body).into_owned()
}

/// Every string under the keys that name things, in a JSON document.
fn names(v: &Value, into: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if let Value::String(s) = v {
                    if matches!(
                        k.as_str(),
                        "title" | "name" | "summary" | "decision" | "description" | "text"
                    ) {
                        into.push(s.clone());
                    }
                }
                names(v, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| names(i, into)),
        _ => {}
    }
}

/// A response B may get: 200, 404 for what B does not have, 403 for what a
/// viewer may not see (noted in `not_ok`); anything else fails.
#[track_caller]
fn answered(who: &str, path: &str, r: &Resp, not_ok: &mut Vec<String>) {
    let refused = who.contains("viewer") && r.status == StatusCode::FORBIDDEN;
    let absent = r.status == StatusCode::NOT_FOUND;
    assert!(
        r.status == StatusCode::OK || refused || absent,
        "{who} {path}: {} {}",
        r.status,
        r.text()
    );
    if r.status != StatusCode::OK {
        not_ok.push(format!("{who} {path}: {}", r.status));
    }
}

/// Projects of Elsewhere: distinct names, published for the public roadmap.
fn b_drafts() -> Vec<ProjectDraft> {
    [
        B_TITLE,
        "Elsewhere parking permits online",
        "Borough library self-service kiosks",
    ]
    .iter()
    .map(|title| ProjectDraft {
        title: title.to_string(),
        summary: "An Elsewhere Borough Council scheme.".into(),
        department: "health-and-care".into(),
        stage: "delivery".into(),
        published: true,
        ..Default::default()
    })
    .collect()
}

#[tokio::test]
async fn no_route_shows_one_organisation_anything_of_another() {
    let t = TestApp::start().await;
    let actor = Actor::system("test");

    // Organisation A: the demo council, and a published project with a
    // name nobody else uses.
    let mut body = valid_draft();
    body["title"] = json!(A_UNIQUE_TITLE);
    body["summary"] = json!("Quillfeather records scanned for the archive.");
    body["published"] = json!(true);
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

    // What A holds, as A's administrator reads it.
    let mut a_strings = vec!["Northmere".to_string()];
    for path in [
        "/api/v1/projects?limit=500",
        "/api/v1/raid-items",
        "/api/v1/meetings",
        "/api/v1/decisions",
        "/api/v1/reports",
        "/api/v1/scenarios",
        "/api/v1/resource-pools",
        "/api/v1/gate-requests",
        "/api/v1/priorities",
    ] {
        let r = t.get(path, Some(&t.admin_token)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        names(&r.json(), &mut a_strings);
    }
    // The departments and themes every seeded council starts with are
    // shared by design; a name made only of them is not A's own.
    let mut shared = Vec::new();
    for path in ["/api/v1/departments", "/api/v1/themes"] {
        names(&t.get(path, Some(&t.admin_token)).await.json(), &mut shared);
    }
    let shared: Vec<String> = shared.iter().map(|s| s.to_lowercase()).collect();
    let mut a_strings: Vec<String> = a_strings
        .into_iter()
        .map(|s| s.trim().to_lowercase())
        // Plain words only, so escaping in HTML, CSV or XML cannot hide a match.
        .filter(|s| s.len() >= 12 || s == "northmere")
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        })
        .filter(|s| !shared.iter().any(|d| d.contains(s.as_str())))
        .collect();
    a_strings.sort();
    a_strings.dedup();
    assert!(
        a_strings.len() > 60 && a_strings.contains(&A_UNIQUE_TITLE.to_lowercase()),
        "too few of A's names to look for: {a_strings:?}"
    );

    // Organisation B with an administrator and a viewer, each signed in
    // (pages) and with a token (the API).
    t.app
        .seed_organisation(
            "elsewhere",
            "Elsewhere Borough Council",
            &b_drafts(),
            &actor,
        )
        .await
        .expect("organisation B");
    for (email, role) in [(B_ADMIN, Role::Administrator), (B_VIEWER, Role::Viewer)] {
        t.app
            .add_user("elsewhere", email, "Elsewhere user", role, PASSWORD, &actor)
            .await
            .expect("a user of B");
    }
    let b_admin_token = t
        .app
        .create_token(B_ADMIN, "isolation", &actor)
        .await
        .unwrap()
        .1;
    let b_viewer_token = t
        .app
        .create_token(B_VIEWER, "isolation", &actor)
        .await
        .unwrap()
        .1;
    // Some of B's own records, so its lists and exports are not empty.
    let r = t
        .json(
            Method::POST,
            "/api/v1/raid-items",
            &b_admin_token,
            None,
            &json!({
                "kind": "risk",
                "title": "Lanternwick mast may need planning consent",
                "owner": B_ADMIN,
                "cause": "A new mast",
                "event": "Consent is refused",
                "effect": "The harbour has no wifi",
                "inherent": {"likelihood": 4, "impact": 4},
                "current": {"likelihood": 3, "impact": 4},
                "target": {"likelihood": 2, "impact": 2},
                "response": "treat",
                "review_date": chrono::Utc::now().date_naive().to_string(),
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let b_admin = t.sign_in(B_ADMIN).await;
    let b_viewer = t.sign_in(B_VIEWER).await;

    let today = chrono::Utc::now().date_naive().to_string();
    let mut api: Vec<String> = [
        "/api/v1/organisations",
        "/api/v1/departments",
        "/api/v1/themes",
        "/api/v1/projects",
        "/api/v1/projects?limit=500",
        "/api/v1/projects?sort=-updated_at",
        "/api/v1/dashboard",
        "/api/v1/duplicates",
        "/api/v1/priorities",
        "/api/v1/scoring-model",
        "/api/v1/scoring-model/versions",
        "/api/v1/ranking",
        "/api/v1/resource-pools",
        "/api/v1/budgets",
        "/api/v1/capacity/heat-map",
        "/api/v1/scenarios",
        "/api/v1/raid-items",
        "/api/v1/raid-heat-map",
        "/api/v1/escalated-risks",
        "/api/v1/risk-scales",
        "/api/v1/gate-checklists",
        "/api/v1/gate-requests",
        "/api/v1/meetings",
        "/api/v1/decisions",
        "/api/v1/confidence-trend",
        "/api/v1/reports",
        "/api/v1/branding",
        "/api/v1/notifications",
        "/api/v1/tokens",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    api.push(format!("/api/v1/projects?q={A_UNIQUE_WORD}"));
    api.push("/api/v1/projects?q=digital".into());
    api.push(format!("/api/v1/projects?as_at={today}"));
    api.push(format!("/api/v1/dashboard?as_at={today}"));
    api.push(format!("/api/v1/changes?since={today}"));
    for register in ["register", "raid", "decisions", "actions"] {
        for format in ["json", "csv", "xlsx"] {
            api.push(format!("/api/v1/exports/{register}?format={format}"));
        }
    }
    api.push(format!(
        "/api/v1/exports/register?format=csv&q={A_UNIQUE_WORD}"
    ));
    for kind in ["board", "cabinet"] {
        for format in ["docx", "pdf", "html"] {
            api.push(format!(
                "/api/v1/report?kind={kind}&format={format}&as_at={today}"
            ));
        }
    }

    let mut pages: Vec<String> = [
        "/",
        "/projects",
        "/projects.csv",
        "/projects.xlsx",
        "/changes",
        "/duplicates",
        "/priorities",
        "/scoring",
        "/ranking",
        "/capacity",
        "/pools",
        "/budgets",
        "/scenarios",
        "/raid",
        "/raid.csv",
        "/raid.xlsx",
        "/governance",
        "/gates",
        "/gates/checklists",
        "/meetings",
        "/decisions",
        "/decisions.csv",
        "/decisions.xlsx",
        "/actions.csv",
        "/actions.xlsx",
        "/highlights",
        "/reports",
        "/notifications",
        "/account/tokens",
        "/public/elsewhere/roadmap",
        "/public/elsewhere/roadmap.json",
        "/public/elsewhere/roadmap.csv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    pages.push(format!("/projects?q={A_UNIQUE_WORD}"));
    pages.push("/projects?q=digital".into());
    pages.push(format!("/projects?as_at={today}"));
    pages.push(format!("/?as_at={today}"));
    pages.push(format!("/changes?since={today}"));
    pages.push(format!("/projects.csv?q={A_UNIQUE_WORD}"));

    let mut seen_b_title = 0;
    let mut checked = 0;
    let leaks = |who: &str, path: &str, r: &Resp| -> Vec<String> {
        let text = text_of(r).to_lowercase();
        a_strings
            .iter()
            .filter(|s| text.contains(s.as_str()))
            .map(|s| format!("{who} {path}: {s:?}"))
            .collect()
    };
    let mut found = Vec::new();
    let mut not_ok = Vec::new();
    for (who, token, session) in [
        ("B's administrator", &b_admin_token, &b_admin),
        ("B's viewer", &b_viewer_token, &b_viewer),
    ] {
        for path in &api {
            let r = t.get(path, Some(token)).await;
            answered(who, path, &r, &mut not_ok);
            found.extend(leaks(who, path, &r));
            checked += 1;
            if text_of(&r).contains(B_TITLE) {
                seen_b_title += 1;
            }
        }
        for path in &pages {
            let r = t.page(session, path).await;
            answered(who, path, &r, &mut not_ok);
            found.extend(leaks(who, path, &r));
            checked += 1;
            if text_of(&r).contains(B_TITLE) {
                seen_b_title += 1;
            }
        }
    }
    assert!(
        found.is_empty(),
        "A's names reached B:\n{}",
        found.join("\n")
    );
    // Only what B does not have (a scoring model) or a viewer may not see.
    assert!(not_ok.len() <= 8, "too few real answers: {not_ok:?}");
    // B's own data does show, so the responses were real answers.
    assert!(
        seen_b_title >= 20,
        "B's own project appeared in only {seen_b_title} of {checked} responses"
    );

    // Searching B's register for A's word finds nothing, where A finds it.
    let r = t
        .get(
            &format!("/api/v1/projects?q={A_UNIQUE_WORD}"),
            Some(&t.admin_token),
        )
        .await;
    assert_eq!(r.json()["total"], 1, "{}", r.text());
    let r = t
        .get(
            &format!("/api/v1/projects?q={A_UNIQUE_WORD}"),
            Some(&b_admin_token),
        )
        .await;
    assert_eq!(r.json()["total"], 0, "{}", r.text());
    // A's public roadmap shows the published project: the strings looked
    // for are there to be found.
    let r = t.get("/public/northmere/roadmap.json", None).await;
    assert!(text_of(&r)
        .to_lowercase()
        .contains(&A_UNIQUE_TITLE.to_lowercase()));
    t.finish().await;
}
