//! A report of 10,000 projects is a correct document, not a corrupt or
//! truncated one: `portfolio generate` makes the organisation, `portfolio
//! report board` writes the board pack as DOCX and PDF, LibreOffice opens the
//! DOCX, qpdf finds the PDF sound, and both list every project with the total.
//!
//! Needs LibreOffice (`soffice`), poppler (`pdftotext`, `pdfinfo`) and qpdf:
//! a missing tool fails the test, it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_portfolio");
const PROJECTS: usize = 10_000;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn portfolio(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .current_dir(dir)
        .env("PORTFOLIO_PASSWORD", "a long enough password for the test");
    for var in [
        "PORTFOLIO_DATABASE_URL",
        "PORTFOLIO_DATA_DIR",
        "PORTFOLIO_LISTEN",
    ] {
        command.env_remove(var);
    }
    let out = command.output().expect("run portfolio");
    assert!(
        out.status.success(),
        "portfolio {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn tool(name: &str, args: &[&str], dir: &Path) -> String {
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pages(dir: &Path, pdf: &str) -> usize {
    tool("pdfinfo", &[pdf], dir)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo gives no page count for {pdf}"))
}

/// Every generated code (DP-00001 to DP-10000) appears in the appendix.
fn assert_every_project_listed(format: &str, text: &str) {
    let listed: std::collections::BTreeSet<&str> = text
        .split_whitespace()
        .filter(|w| {
            w.strip_prefix("DP-")
                .is_some_and(|n| n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    assert_eq!(
        listed.len(),
        PROJECTS,
        "the {format} lists {} of the {PROJECTS} projects",
        listed.len()
    );
}

#[test]
fn a_board_pack_of_10000_projects_opens_in_libreoffice_and_lists_them_all() {
    let path =
        std::env::temp_dir().join(format!("portfolio-report-scale-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&path).unwrap();
    let tmp = TempDir(path);
    let dir = tmp.0.as_path();
    let projects = PROJECTS.to_string();
    portfolio(
        dir,
        &[
            "generate",
            "--org",
            "big",
            "--name",
            "Big County Council",
            "--projects",
            &projects,
        ],
    );
    let today = chrono::Utc::now().date_naive().to_string();
    for format in ["docx", "pdf"] {
        let file = format!("board.{format}");
        portfolio(
            dir,
            &[
                "report", "board", "--org", "big", "--as-at", &today, "--format", format, "--out",
                &file,
            ],
        );
    }

    tool("qpdf", &["--check", "board.pdf"], dir);
    let pdf = tool("pdftotext", &["-layout", "board.pdf", "-"], dir);
    assert_every_project_listed("PDF", &pdf);
    let pdf_flat = flat(&pdf);
    assert!(
        pdf_flat.contains("All 10,000 projects"),
        "the PDF's appendix caption"
    );
    assert!(
        pdf_flat.contains("Total 10,000 projects"),
        "the PDF's total row"
    );
    let pdf_pages = pages(dir, "board.pdf");
    assert!(pdf_pages > 100, "10,000 rows take {pdf_pages} pages");
    assert!(
        pdf_flat.contains(&format!("Page {pdf_pages} of {pdf_pages}")),
        "the last page is numbered"
    );

    portfolio_testdb::office::soffice(
        dir,
        &["--convert-to", "pdf", "--outdir", "lo", "board.docx"],
        1200,
    );
    assert!(
        dir.join("lo/board.pdf").is_file(),
        "LibreOffice could not open the DOCX: it wrote no PDF"
    );
    let docx = tool("pdftotext", &["-layout", "lo/board.pdf", "-"], dir);
    assert_every_project_listed("DOCX", &docx);
    let docx_flat = flat(&docx);
    assert!(
        docx_flat.contains("All 10,000 projects"),
        "the DOCX's appendix caption"
    );
    assert!(
        docx_flat.contains("Total 10,000 projects"),
        "the DOCX's total row"
    );
}
