//! Reports from bad input, as a programme office could produce it: a date
//! before the organisation existed, an empty programme, a project with no
//! costs, text that breaks XML or templates, and a 20 MB logo. Each gets a clear message or a correct document: every DOCX opens
//! in LibreOffice and every PDF is read by pdftotext and checked by qpdf.
//!
//! Needs LibreOffice (`soffice`), poppler (`pdftotext`) and qpdf: a missing
//! tool fails the test, it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use portfolio_app::reports::{unsaved, ReportFormat};
use portfolio_app::{Actor, App, AppError, Caller, ConnectOptions, Settings};
use portfolio_domain::project::CostDraft;
use portfolio_domain::report::{Narrative, ReportDraft, ReportKind, SavedReport};
use portfolio_domain::{demo, ProjectDraft};

struct TestOrg {
    app: App,
    dir: PathBuf,
    caller: Caller,
}

impl Drop for TestOrg {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new organisation (founded today) with the given projects.
async fn organisation(drafts: &[ProjectDraft]) -> TestOrg {
    let dir = std::env::temp_dir().join(format!("portfolio-reports-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/test.sqlite", dir.display());
    let app = App::open(&url, &ConnectOptions::default(), Settings::default())
        .await
        .expect("open the app");
    app.seed_organisation(
        "testshire",
        "Testshire Council",
        drafts,
        &Actor::system("test"),
    )
    .await
    .expect("seed the organisation");
    let caller = app
        .command_line_caller("testshire", "test")
        .await
        .expect("a caller");
    TestOrg { app, dir, caller }
}

fn today() -> chrono::NaiveDate {
    portfolio_app::history::today()
}

fn project(title: &str, costs: Vec<CostDraft>) -> ProjectDraft {
    ProjectDraft {
        title: title.into(),
        department: demo::DEPARTMENTS[0].0.into(),
        stage: "design".into(),
        start_date: Some("2026-04-01".into()),
        end_date: Some("2027-03-31".into()),
        costs,
        ..ProjectDraft::default()
    }
}

fn tool(name: &str, args: &[&str], dir: &Path) -> std::process::Output {
    let out = Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed to check the documents (install it): {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Writes the report in `format` to `dir/name` and returns its bytes.
async fn write(t: &TestOrg, saved: &SavedReport, format: ReportFormat, name: &str) -> Vec<u8> {
    let document = t
        .app
        .render_report(&t.caller, saved, format)
        .await
        .unwrap_or_else(|e| panic!("the {} report is produced: {e}", format.label()));
    std::fs::write(t.dir.join(name), &document.bytes).unwrap();
    document.bytes
}

/// The text of a PDF, after qpdf finds its structure sound.
fn pdf_text(dir: &Path, pdf: &str) -> String {
    tool("qpdf", &["--check", pdf], dir);
    String::from_utf8(tool("pdftotext", &[pdf, "-"], dir).stdout).expect("text")
}

/// Converts a DOCX to PDF with LibreOffice and returns the PDF's text.
fn libreoffice_text(dir: &Path, docx: &str) -> String {
    portfolio_testdb::office::soffice(dir, &["--convert-to", "pdf", "--outdir", "lo", docx], 180);
    let pdf = format!("lo/{}", docx.replace(".docx", ".pdf"));
    assert!(
        dir.join(&pdf).is_file(),
        "LibreOffice could not open {docx}: it wrote no PDF"
    );
    String::from_utf8(tool("pdftotext", &[&pdf, "-"], dir).stdout).expect("text")
}

/// Text with its line breaks and runs of spaces made single spaces, as a
/// reader reads across wrapped lines and table cells.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_date_before_the_organisation_existed_is_refused_with_the_reason() {
    let t = organisation(&[project("Online forms", vec![])]).await;
    let draft = ReportDraft {
        kind: "cabinet".into(),
        as_at: "2001-01-01".into(),
        ..ReportDraft::default()
    };
    let err = t
        .app
        .validate_report(&t.caller, &draft)
        .await
        .expect_err("a report of 2001 is refused");
    let AppError::Validation(errors) = &err else {
        panic!("a validation error, not {err}");
    };
    let message = errors.to_string();
    assert!(message.contains("as_at"), "{message}");
    assert!(
        message.contains(&format!("must be on or after {}", today())),
        "{message}"
    );
    assert!(t.app.create_report(&t.caller, &draft).await.is_err());
    assert!(t.app.saved_reports(&t.caller).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_empty_programme_gives_a_document_saying_so_in_every_format() {
    let t = organisation(&[]).await;
    for kind in ReportKind::ALL {
        let saved = unsaved(kind, today());
        write(&t, &saved, ReportFormat::Docx, "empty.docx").await;
        let docx = flat(&libreoffice_text(&t.dir, "empty.docx"));
        assert!(
            docx.contains("The programme has no projects as at this date."),
            "{docx}"
        );
        write(&t, &saved, ReportFormat::Pdf, "empty.pdf").await;
        let pdf = flat(&pdf_text(&t.dir, "empty.pdf"));
        assert!(
            pdf.contains("The programme has no projects as at this date."),
            "{pdf}"
        );
        assert!(pdf.contains("Page 1 of"), "{pdf}");
        let html = String::from_utf8(write(&t, &saved, ReportFormat::Html, "empty.html").await)
            .expect("utf-8");
        assert!(html.contains("The programme has no projects as at this date."));
    }
}

#[tokio::test]
async fn a_project_with_no_costs_is_listed_as_having_none() {
    let year = |y: &str, pence: i64| CostDraft {
        year: y.into(),
        capital_pence: pence,
        revenue_pence: 0,
    };
    let t = organisation(&[
        project("Costed case system", vec![year("2026/27", 12_500_000)]),
        project("Uncosted chatbot", vec![]),
    ])
    .await;
    let saved = unsaved(ReportKind::Board, today());
    write(&t, &saved, ReportFormat::Pdf, "board.pdf").await;
    let pdf = flat(&pdf_text(&t.dir, "board.pdf"));
    assert!(pdf.contains("1 project has no planned costs yet."), "{pdf}");
    assert!(pdf.contains("Uncosted chatbot"), "{pdf}");
    assert!(pdf.contains("No costs"), "{pdf}");
    assert!(pdf.contains("£125,000"), "{pdf}");
    write(&t, &saved, ReportFormat::Docx, "board.docx").await;
    let docx = flat(&libreoffice_text(&t.dir, "board.docx"));
    assert!(
        docx.contains("1 project has no planned costs yet."),
        "{docx}"
    );
    assert!(docx.contains("No costs"), "{docx}");
}

#[tokio::test]
async fn a_20_mb_logo_is_refused_and_nothing_is_stored() {
    let t = organisation(&[project("Online forms", vec![])]).await;
    let before = t.app.branding(&t.caller).await.unwrap();
    let mut logo = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x64\0\0\0\x64\x08\x06\0\0\0".to_vec();
    logo.resize(20 * 1024 * 1024, 0);
    let err = t
        .app
        .put_branding(&t.caller, "Testshire", Some(&logo), false, before.version)
        .await
        .expect_err("a 20 MB logo is refused");
    let message = err.to_string();
    assert!(
        message.contains("logo") && message.contains("at most 1 MB"),
        "{message}"
    );
    let after = t.app.branding(&t.caller).await.unwrap();
    assert_eq!(after, before, "nothing was stored");
}

/// Titles an officer could type, each of which breaks a careless writer:
/// XML's own characters, a CDATA end, a WordprocessingML element, template
/// syntax of minijinja and others, HTML, and right-to-left text.
const HOSTILE_TITLES: [&str; 4] = [
    "Bins & <recycling> \"quotes\" 'apostrophes' ]]> <w:p/>",
    "Template {{ 7 * 7 }} {% if true %}yes{% endif %} ${HOME} #{x}",
    "<script>alert('x')</script> <img src=x onerror=alert(1)>",
    "Arabic \u{0627}\u{0644}\u{0639}\u{0631}\u{0628}\u{064A}\u{0629} and \u{202E}reversed\u{202C} text",
];

#[tokio::test]
async fn text_that_breaks_xml_or_templates_is_printed_as_typed_and_control_characters_dropped() {
    let drafts: Vec<ProjectDraft> = HOSTILE_TITLES
        .iter()
        .map(|title| project(title, vec![]))
        .collect();
    let t = organisation(&drafts).await;
    let narrative = Narrative {
        commentary:
            "Bell\u{7} null\u{0} escape\u{1b}[31m form feed\u{c} noncharacter\u{FFFF} end & <w:t>"
                .into(),
        purpose: "{{ report.title }} and {% for x in y %}loop{% endfor %} stay as typed".into(),
        ..Narrative::default()
    };
    let saved = t
        .app
        .create_report(
            &t.caller,
            &ReportDraft {
                kind: "cabinet".into(),
                title: "Report <b>&amp;</b> {{ title }}".into(),
                as_at: today().to_string(),
                narrative,
                ..ReportDraft::default()
            },
        )
        .await
        .expect("the report is kept");
    assert!(
        !saved
            .narrative
            .commentary
            .chars()
            .any(|c| c.is_control() || c == '\u{FFFF}'),
        "control characters are dropped when the narrative is kept: {:?}",
        saved.narrative.commentary
    );
    let expected = [
        "Bell null escape[31m form feed noncharacter end & <w:t>",
        "{{ report.title }} and {% for x in y %}loop{% endfor %} stay as typed",
        "Bins & <recycling>",
        "]]> <w:p/>",
        "Template {{ 7 * 7 }} {% if true %}yes{% endif %} ${HOME} #{x}",
        "<script>alert('x')</script>",
        "Report <b>&amp;</b> {{ title }}",
    ];

    write(&t, &saved, ReportFormat::Docx, "hostile.docx").await;
    let docx = flat(&libreoffice_text(&t.dir, "hostile.docx"));
    write(&t, &saved, ReportFormat::Pdf, "hostile.pdf").await;
    let pdf = flat(&pdf_text(&t.dir, "hostile.pdf"));
    for (format, text) in [("DOCX", &docx), ("PDF", &pdf)] {
        for typed in expected {
            assert!(
                text.contains(typed),
                "the {format} shows {typed:?} as typed: {text}"
            );
        }
        assert!(text.contains("Arabic"), "{format}: {text}");
        assert!(
            !text.contains("Template 49"),
            "{format} evaluated a template: {text}"
        );
    }

    let html = String::from_utf8(write(&t, &saved, ReportFormat::Html, "hostile.html").await)
        .expect("the HTML is UTF-8");
    assert!(
        !html.contains("<script>alert"),
        "script is escaped in the HTML"
    );
    assert!(
        !html.contains("<img src=x"),
        "markup is escaped in the HTML"
    );
    assert!(html.contains("&lt;script&gt;alert("), "{html}");
    assert!(html.contains("{{ 7 * 7 }}"), "templates are not evaluated");
    assert!(!html.contains("Template 49"));
    assert!(!html
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')));
}
