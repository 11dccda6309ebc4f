//! `portfolio report`: the demo council's board pack and Cabinet report as
//! Word documents that LibreOffice opens and as PDF files that qpdf checks
//! and poppler reads, showing 28 / 27 / 21 = 76, and the recommended
//! scenario once `portfolio optimise --recommend` has made one.
//!
//! Needs LibreOffice (`soffice`), poppler (`pdftotext`, `pdftoppm`,
//! `pdfinfo`, `pdffonts`) and qpdf: a missing tool fails the test, it never
//! skips.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_portfolio");

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    let path = std::env::temp_dir().join(format!("portfolio-report-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&path).expect("create temp dir");
    TempDir(path)
}

fn portfolio(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--data-dir").arg(dir.join("data")).args(args);
    for var in [
        "PORTFOLIO_DATABASE_URL",
        "PORTFOLIO_DATA_DIR",
        "PORTFOLIO_LISTEN",
    ] {
        command.env_remove(var);
    }
    command
}

/// Starts the demo (which writes its database), waits until it listens, stops it.
fn demo_database(dir: &Path) -> String {
    let mut child = portfolio(dir, &["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if line
            .expect("read the demo's output")
            .starts_with("Listening on ")
        {
            break;
        }
    }
    child.kill().expect("stop the demo");
    let _ = child.wait();
    format!("sqlite://{}", dir.join("data/demo.sqlite").display())
}

fn tool(name: &str, args: &[&str], dir: &Path) -> std::process::Output {
    let out = Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed to check the documents (install it): {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Converts a DOCX to PDF with LibreOffice, renders its pages and returns its text.
fn open_in_libreoffice(dir: &Path, docx: &str) -> String {
    let profile = format!("-env:UserInstallation=file://{}/lo-profile", dir.display());
    tool(
        "soffice",
        &[&profile, "--headless", "--convert-to", "pdf", docx],
        dir,
    );
    let pdf = docx.replace(".docx", ".pdf");
    assert!(
        dir.join(&pdf).is_file(),
        "LibreOffice wrote no PDF for {docx}"
    );
    let prefix = docx.replace(".docx", "-page");
    tool("pdftoppm", &["-png", "-r", "40", &pdf, &prefix], dir);
    assert!(
        dir.join(format!("{prefix}-01.png")).is_file()
            || dir.join(format!("{prefix}-1.png")).is_file(),
        "no page was rendered"
    );
    String::from_utf8(tool("pdftotext", &["-layout", &pdf, "-"], dir).stdout).expect("text")
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

#[test]
fn the_demo_board_pack_and_cabinet_report_open_in_libreoffice_with_76_projects() {
    let tmp = temp_dir();
    let dir = tmp.0.as_path();
    let url = demo_database(dir);
    let as_at = today();
    for (kind, file) in [("board", "board.docx"), ("cabinet", "cabinet.docx")] {
        let out = portfolio(
            dir,
            &[
                "--database-url",
                &url,
                "report",
                kind,
                "--as-at",
                &as_at,
                "--format",
                "docx",
                "--out",
                file,
            ],
        )
        .current_dir(dir)
        .output()
        .expect("run report");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let board = open_in_libreoffice(dir, "board.docx");
    assert!(
        board.contains(
            "The programme has 76 projects: 28 in concept, 27 in design, 21 in delivery."
        ),
        "{board}"
    );
    for heading in [
        "Decisions required",
        "Officer's commentary",
        "Programme summary",
        "Delivery confidence",
        "Top risks",
        "Spend and capacity against budget",
        "Roadmap",
        "Appendix: the projects",
    ] {
        assert!(board.contains(heading), "board pack lacks {heading}");
    }
    assert!(board.contains("Pipeline by stage") && board.contains("Risk heat map"));
    let cabinet = open_in_libreoffice(dir, "cabinet.docx");
    let mut at = 0;
    for heading in [
        "Purpose of the report",
        "Recommendations",
        "Background",
        "Programme summary",
        "Prioritisation and funding",
        "Top risks",
        "Financial implications",
        "Legal implications",
        "Equality impact",
        "Appendices",
    ] {
        let found = cabinet[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("Cabinet report lacks {heading} after byte {at}"));
        at += found + heading.len();
    }
    assert!(cabinet.contains("76 projects: 28 in concept, 27 in design, 21 in delivery"));
    // The stage × department table's totals row reads 28 27 21 76.
    assert!(
        cabinet.lines().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w == ["Total", "28", "27", "21", "76"]
        }),
        "{cabinet}"
    );

    // HTML too, and an existing file is never overwritten.
    let out = portfolio(
        dir,
        &[
            "--database-url",
            &url,
            "report",
            "board",
            "--as-at",
            &as_at,
            "--format",
            "html",
            "--out",
            "board.html",
        ],
    )
    .current_dir(dir)
    .output()
    .expect("run report");
    assert!(out.status.success());
    let html = std::fs::read_to_string(dir.join("board.html")).expect("html");
    assert!(
        html.contains("<svg")
            && html.contains("<title id=\"chart-1-title\">Pipeline by stage</title>")
    );
    let again = portfolio(
        dir,
        &[
            "--database-url",
            &url,
            "report",
            "board",
            "--as-at",
            &as_at,
            "--out",
            "board.docx",
        ],
    )
    .current_dir(dir)
    .output()
    .expect("run report");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // A date before the organisation existed is refused, naming the option.
    let early = portfolio(
        dir,
        &[
            "--database-url",
            &url,
            "report",
            "cabinet",
            "--as-at",
            "2001-01-01",
            "--out",
            "early.docx",
        ],
    )
    .current_dir(dir)
    .output()
    .expect("run report");
    assert_eq!(early.status.code(), Some(1));
    let err = String::from_utf8_lossy(&early.stderr);
    assert!(err.contains("--as-at: must be on or after"), "{err}");
    assert!(!dir.join("early.docx").exists());
}

/// Text with line breaks and runs of spaces made single spaces, as a reader
/// reads across wrapped lines.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn write_report(dir: &Path, url: &str, kind: &str, format: &str, file: &str) {
    let out = portfolio(
        dir,
        &[
            "--database-url",
            url,
            "report",
            kind,
            "--as-at",
            &today(),
            "--format",
            format,
            "--out",
            file,
        ],
    )
    .current_dir(dir)
    .output()
    .expect("run report");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_demo_reports_as_pdf_show_76_projects_and_the_recommended_scenario() {
    let tmp = temp_dir();
    let dir = tmp.0.as_path();
    let url = demo_database(dir);

    // No scenario is recommended yet: no such section.
    write_report(dir, &url, "board", "pdf", "before.pdf");
    let before = String::from_utf8(tool("pdftotext", &["before.pdf", "-"], dir).stdout).unwrap();
    assert!(!before.contains("Recommended scenario"));

    let optimise = portfolio(
        dir,
        &[
            "--database-url",
            &url,
            "optimise",
            "--org",
            "northmere",
            "--scenario",
            "Current funding",
            "--recommend",
        ],
    )
    .output()
    .expect("run optimise");
    assert!(
        optimise.status.success(),
        "{}",
        String::from_utf8_lossy(&optimise.stderr)
    );
    assert!(String::from_utf8_lossy(&optimise.stderr).contains("is now the recommended scenario"));

    for kind in ["board", "cabinet"] {
        let pdf = format!("{kind}.pdf");
        write_report(dir, &url, kind, "pdf", &pdf);
        let bytes = std::fs::read(dir.join(&pdf)).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "a PDF file");
        tool("qpdf", &["--check", &pdf], dir);
        let info = String::from_utf8(tool("pdfinfo", &[&pdf], dir).stdout).unwrap();
        assert!(
            info.lines()
                .any(|l| l.starts_with("Page size:") && l.ends_with("595.28 x 841.89 pts (A4)")),
            "{info}"
        );
        let fonts = String::from_utf8(tool("pdffonts", &[&pdf], dir).stdout).unwrap();
        assert!(fonts.contains("LiberationSans"), "{fonts}");
        assert!(
            fonts
                .lines()
                .skip(2)
                .all(|l| l.split_whitespace().rev().nth(3) == Some("yes")),
            "every font is embedded:\n{fonts}"
        );
        let prefix = format!("{kind}-page");
        tool("pdftoppm", &["-png", "-r", "40", &pdf, &prefix], dir);
        let pages = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .expect("a page count");
        assert!(pages > 3, "{pages} pages");
        let rendered = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&prefix)
            })
            .count();
        assert_eq!(rendered, pages, "every page renders");

        let text = String::from_utf8(tool("pdftotext", &[&pdf, "-"], dir).stdout).unwrap();
        let layout =
            String::from_utf8(tool("pdftotext", &["-layout", &pdf, "-"], dir).stdout).unwrap();
        assert!(
            flat(&text).contains("76 projects: 28 in concept, 27 in design, 21 in delivery."),
            "{text}"
        );
        assert!(
            layout.lines().any(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w == ["Total", "28", "27", "21", "76"]
            }),
            "the stage × department totals row:\n{layout}"
        );
        assert!(text.contains(&format!("Page {pages} of {pages}")));
        assert!(text.contains("Pipeline by stage") && text.contains("Risk heat map"));
        assert!(text.contains("Recommended scenario"), "{text}");
        assert!(flat(&text).contains("The recommended scenario, Current funding, funds"));
        assert!(text.contains("Projects in and out of the recommended programme"));
        // The header row repeats on the pages the projects' table runs onto.
        assert!(text.contains("(continued)"));
        let headings: &[&str] = if kind == "board" {
            &[
                "Decisions required",
                "Officer's commentary",
                "Programme summary",
                "Delivery confidence",
                "Top risks",
                "Spend and capacity against budget",
                "Recommended scenario",
                "Roadmap",
                "Appendix: the projects",
            ]
        } else {
            &[
                "Purpose of the report",
                "Recommendations",
                "Background",
                "Programme summary",
                "Prioritisation and funding",
                "Top risks",
                "Financial implications",
                "Legal implications",
                "Equality impact",
                "Appendices",
            ]
        };
        let mut at = 0;
        for heading in headings {
            let found = text[at..]
                .find(heading)
                .unwrap_or_else(|| panic!("the {kind} PDF lacks {heading} after byte {at}"));
            at += found + heading.len();
        }
    }

    // Word and HTML show the recommended scenario too.
    write_report(dir, &url, "board", "docx", "board.docx");
    let docx = open_in_libreoffice(dir, "board.docx");
    assert!(docx.contains("Recommended scenario"));
    assert!(docx.contains("Projects in and out of the recommended programme"));
    write_report(dir, &url, "board", "html", "board.html");
    let html = std::fs::read_to_string(dir.join("board.html")).unwrap();
    assert!(html.contains("Recommended scenario"));
}
