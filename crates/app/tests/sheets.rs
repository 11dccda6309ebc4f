//! Registers to files as a programme office uses them: the demo council's
//! register, RAID register, decision log and actions as XLSX and CSV, read
//! back with calamine, opened by LibreOffice, and the register's workbook
//! imported back unchanged.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use portfolio_app::import::{ImportFile, ImportOptions};
use portfolio_app::sheets::{self, ExportFilters, FileFormat, Register, Table, Value};
use portfolio_app::{Actor, App, Caller, ConnectOptions, Settings};
use portfolio_domain::filter::ProjectQuery;
use portfolio_domain::Project;

const PASSWORD: &str = "correct horse battery staple";

struct TestApp {
    app: App,
    dir: PathBuf,
    caller: Caller,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn demo() -> TestApp {
    let dir = std::env::temp_dir().join(format!("portfolio-sheets-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/test.sqlite", dir.display());
    let app = App::open(&url, &ConnectOptions::default(), Settings::default())
        .await
        .expect("open the app");
    app.seed_demo(PASSWORD).await.expect("seed the demo");
    let caller = app
        .command_line_caller("northmere", "test")
        .await
        .expect("a caller");
    TestApp { app, dir, caller }
}

async fn export(t: &TestApp, register: Register, format: FileFormat) -> sheets::ExportFile {
    t.app
        .export_file(&t.caller, register, format, &ExportFilters::default())
        .await
        .expect("the export runs")
}

fn workbook(bytes: &[u8]) -> Xlsx<std::io::Cursor<Vec<u8>>> {
    Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("calamine opens the workbook")
}

/// The XML of a workbook's first sheet.
fn sheet_xml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("the first sheet")
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

/// Converts workbooks to CSV with LibreOffice (first sheet each), returning
/// each one's text. Fails the test when LibreOffice is missing.
fn libreoffice_csv(dir: &Path, files: &[(&str, &[u8])]) -> Vec<String> {
    let soffice = Command::new("soffice").arg("--version").output();
    assert!(
        soffice.as_ref().is_ok_and(|o| o.status.success()),
        "LibreOffice (soffice) is needed to check that exported workbooks open; install libreoffice-calc-nogui"
    );
    let out = dir.join("converted");
    std::fs::create_dir_all(&out).unwrap();
    let mut paths = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
    }
    let mut args: Vec<std::ffi::OsString> = vec![
        "--convert-to".into(),
        "csv:Text - txt - csv (StarCalc):44,34,76".into(),
        "--outdir".into(),
        out.clone().into(),
    ];
    args.extend(paths.into_iter().map(std::path::PathBuf::into_os_string));
    portfolio_testdb::office::soffice(dir, &args, 180);
    files
        .iter()
        .map(|(name, _)| {
            let csv = out.join(Path::new(name).with_extension("csv"));
            std::fs::read_to_string(&csv)
                .unwrap_or_else(|e| panic!("LibreOffice did not convert {name}: {e}"))
        })
        .collect()
}

fn header_row(book: &mut Xlsx<std::io::Cursor<Vec<u8>>>, sheet: &str) -> Vec<String> {
    let range = book.worksheet_range(sheet).expect("the sheet");
    range
        .rows()
        .next()
        .expect("a header row")
        .iter()
        .map(|c| c.to_string())
        .collect()
}

#[tokio::test]
async fn the_register_workbook_has_typed_cells_a_frozen_header_and_a_filter() {
    let t = demo().await;
    let file = export(&t, Register::Register, FileFormat::Xlsx).await;
    assert!(
        file.file_name.starts_with("northmere-register-"),
        "{}",
        file.file_name
    );
    assert!(file.file_name.ends_with(".xlsx"));
    let projects = t
        .app
        .store
        .all_projects(t.caller.organisation_id())
        .await
        .unwrap();
    assert_eq!(file.rows, projects.len());

    let xml = sheet_xml(&file.bytes);
    assert!(
        xml.contains("ySplit=\"1\"") && xml.contains("state=\"frozen\""),
        "no frozen top row"
    );
    assert!(xml.contains("<autoFilter ref=\"A1:"), "no autofilter");
    assert!(xml.contains("<col "), "no column widths");

    let mut book = workbook(&file.bytes);
    assert_eq!(book.sheet_names(), vec!["Register".to_string()]);
    let headers = header_row(&mut book, "Register");
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {headers:?}"))
    };
    let range = book.worksheet_range("Register").unwrap();
    let rows: Vec<&[Data]> = range.rows().skip(1).collect();
    assert_eq!(rows.len(), projects.len());
    for (row, p) in rows.iter().zip(&projects) {
        assert_eq!(row[col("Register code")].to_string(), p.code);
        assert_eq!(row[col("Title")].to_string(), p.title);
        match (&row[col("Start date")], p.start_date) {
            (Data::DateTime(d), Some(start)) => {
                assert!(d.is_datetime());
                let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
                let serial = (start - epoch).num_days() as f64;
                assert_eq!(d.as_f64(), serial, "{}", p.code);
            }
            (Data::Empty, None) => {}
            (other, want) => panic!("{}: start date cell {other:?} for {want:?}", p.code),
        }
        assert_eq!(row[col("Published")], Data::Bool(p.published), "{}", p.code);
        let total = p.total_cost().pence();
        if !p.costs.is_empty() {
            match row[col("Total cost (£)")] {
                Data::Float(f) => assert_eq!((f * 100.0).round() as i64, total, "{}", p.code),
                ref other => panic!("{}: total cost cell {other:?}", p.code),
            }
        }
        for c in &p.costs {
            let cell = &row[col(&format!("Capital {} (£)", c.year))];
            match cell {
                Data::Float(f) => {
                    assert_eq!((f * 100.0).round() as i64, c.capital_pence.pence());
                }
                other => panic!("{}: capital cell {other:?}", p.code),
            }
        }
    }
    assert!(
        String::from_utf8_lossy(&zip_file(&file.bytes, "xl/styles.xml"))
            .contains("formatCode=\"£#,##0.00\""),
        "money has a £ number format"
    );
}

fn zip_file(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn same_fields(p: &Project) -> impl PartialEq + std::fmt::Debug {
    (
        (
            p.code.clone(),
            p.title.clone(),
            p.summary.clone(),
            p.department.slug.clone(),
            p.themes.iter().map(|t| t.slug.clone()).collect::<Vec<_>>(),
            p.stage,
            p.phase,
            p.sponsor.clone(),
        ),
        p.manager.clone(),
        p.start_date,
        p.end_date,
        p.costs.clone(),
        p.confidence,
        p.tags.clone(),
        p.published,
        p.residents.clone(),
    )
}

#[tokio::test]
async fn the_register_workbook_imports_back_unchanged() {
    let t = demo().await;
    let org = t.caller.organisation_id();
    let before = t.app.store.all_projects(org).await.unwrap();
    assert!(
        before.iter().any(|p| p.costs.len() > 1),
        "the demo has costs over several years"
    );
    let file = export(&t, Register::Register, FileFormat::Xlsx).await;
    let upload = ImportFile {
        name: file.file_name.clone(),
        bytes: file.bytes.clone(),
    };
    let actor = Actor::system("test");

    // Into the same organisation: every project found, none changed.
    let report = t
        .app
        .import_files(
            "northmere",
            std::slice::from_ref(&upload),
            &ImportOptions::default(),
            &actor,
            false,
        )
        .await
        .unwrap();
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, before.len()),
        "every project reported unchanged"
    );
    let after = t.app.store.all_projects(org).await.unwrap();
    assert_eq!(after, before, "nothing was rewritten");

    // Into an empty organisation with the same departments and themes: the same projects.
    t.app
        .seed_organisation("empty", "Empty Council", &[], &actor)
        .await
        .unwrap();
    let report = t
        .app
        .import_files("empty", &[upload], &ImportOptions::default(), &actor, false)
        .await
        .unwrap();
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(report.created, before.len());
    let empty = t.app.store.organisation_by_slug("empty").await.unwrap();
    let copied = t.app.store.all_projects(empty.id).await.unwrap();
    assert_eq!(copied.len(), before.len());
    for (a, b) in before.iter().zip(&copied) {
        assert_eq!(same_fields(a), same_fields(b), "{} differs", a.code);
    }
}

#[tokio::test]
async fn every_register_exports_and_libreoffice_opens_each_workbook() {
    let t = demo().await;
    let mut books = Vec::new();
    for register in [
        Register::Register,
        Register::Raid,
        Register::Decisions,
        Register::Actions,
    ] {
        let xlsx = export(&t, register, FileFormat::Xlsx).await;
        assert!(xlsx.rows > 0, "the demo has some {register:?}");
        let csv = export(&t, register, FileFormat::Csv).await;
        let text = String::from_utf8(csv.bytes.clone()).expect("UTF-8");
        assert!(
            text.lines().count() > xlsx.rows,
            "{register:?} CSV has every row"
        );
        let json = export(&t, register, FileFormat::Json).await;
        let value: serde_json::Value = serde_json::from_slice(&json.bytes).expect("JSON");
        assert_eq!(value.as_array().map(Vec::len), Some(xlsx.rows));
        books.push((register, xlsx));
    }

    let mut raid = workbook(&books[1].1.bytes);
    assert_eq!(
        raid.sheet_names(),
        vec!["Risks", "Issues", "Assumptions", "Dependencies"]
    );
    let risk_headers = header_row(&mut raid, "Risks");
    for h in ["Current score", "Response", "Review date", "Review overdue"] {
        assert!(risk_headers.iter().any(|x| x == h), "risks have {h}");
    }
    let risks = raid.worksheet_range("Risks").unwrap();
    let score = risk_headers
        .iter()
        .position(|h| h == "Current score")
        .unwrap();
    let overdue = risk_headers
        .iter()
        .position(|h| h == "Review overdue")
        .unwrap();
    for row in risks.rows().skip(1) {
        assert!(
            matches!(row[score], Data::Float(_) | Data::Int(_)),
            "scores are numbers"
        );
        assert!(matches!(row[overdue], Data::Bool(_)), "overdue is yes/no");
    }
    let mut decisions = workbook(&books[2].1.bytes);
    let range = decisions.worksheet_range("Decisions").unwrap();
    assert!(
        matches!(range.rows().nth(1).unwrap()[0], Data::DateTime(_)),
        "meeting dates are dates"
    );

    let names = [
        "register.xlsx",
        "raid.xlsx",
        "decisions.xlsx",
        "actions.xlsx",
    ];
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .zip(&books)
        .map(|(n, (_, f))| (*n, f.bytes.as_slice()))
        .collect();
    let converted = libreoffice_csv(&t.dir, &files);
    let projects = t
        .app
        .store
        .all_projects(t.caller.organisation_id())
        .await
        .unwrap();
    assert!(
        converted[0].starts_with("Register code,Title,"),
        "{}",
        &converted[0][..80]
    );
    for p in &projects {
        assert!(
            converted[0].contains(&p.code),
            "LibreOffice shows {}",
            p.code
        );
    }
    assert!(converted[0].contains('£'), "money shows in pounds");
    assert!(converted[1].starts_with("Reference,Project,Title"));
    assert!(converted[2].starts_with("Meeting date,Body,Meeting"));
    assert!(converted[3].starts_with("Action,Owner,Due"));
}

#[tokio::test]
async fn the_register_export_keeps_the_page_filters() {
    let t = demo().await;
    let filters = ExportFilters {
        projects: ProjectQuery {
            stage: Some("delivery".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let file = t
        .app
        .export_file(&t.caller, Register::Register, FileFormat::Xlsx, &filters)
        .await
        .unwrap();
    let all = t
        .app
        .store
        .all_projects(t.caller.organisation_id())
        .await
        .unwrap();
    let delivering = all
        .iter()
        .filter(|p| p.stage.as_str() == "delivery")
        .count();
    assert!(delivering > 0 && delivering < all.len());
    assert_eq!(file.rows, delivering);
    let mut book = workbook(&file.bytes);
    let range = book.worksheet_range("Register").unwrap();
    assert_eq!(range.rows().count(), delivering + 1);
}

#[tokio::test]
async fn hostile_text_never_corrupts_a_workbook() {
    let dir = std::env::temp_dir().join(format!("portfolio-hostile-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let hostile = "=HYPERLINK(\"http://evil.example\",\"Click\")\u{0}\u{1}\u{8}\u{B}\u{1F} <b>&amp;</b> ]]> \u{FFFF}emoji 🚌";
    let table = Table {
        sheet: "Bad: [sheet]/name?*".into(),
        columns: vec![
            sheets::Column {
                header: "Title\u{7}".into(),
                csv_name: "title".into(),
            },
            sheets::Column {
                header: "Long".into(),
                csv_name: "long".into(),
            },
        ],
        rows: vec![vec![
            Value::Text(hostile.into()),
            Value::Text("x".repeat(40_000)),
        ]],
    };
    let bytes = sheets::xlsx(std::slice::from_ref(&table)).expect("a workbook");
    let mut book = workbook(&bytes);
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let cell = range.get((1, 0)).unwrap().to_string();
    assert_eq!(
        cell, "=HYPERLINK(\"http://evil.example\",\"Click\") <b>&amp;</b> ]]> emoji 🚌",
        "control characters removed, the rest kept as text"
    );
    assert!(
        !String::from_utf8_lossy(&zip_file(&bytes, "xl/worksheets/sheet1.xml")).contains("<f>"),
        "no formula"
    );
    let converted = libreoffice_csv(&dir, &[("hostile.xlsx", &bytes)]);
    assert!(
        converted[0].contains("HYPERLINK") && converted[0].contains("emoji 🚌"),
        "{}",
        converted[0]
    );

    let csv = sheets::csv(&table);
    assert!(
        csv.contains("\"'=HYPERLINK("),
        "formula neutralised in CSV: {csv}"
    );
    assert!(!csv.contains('\u{0}'));
    let _ = std::fs::remove_dir_all(&dir);
}
