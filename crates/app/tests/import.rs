//! Imports as a programme office sees them: real files into a real SQLite database.

use std::path::PathBuf;

use portfolio_app::import::{ImportFile, ImportOptions, ImportReport, MappingFile};
use portfolio_app::{Actor, App, ConnectOptions, Settings};
use portfolio_domain::Stage;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

struct TestApp {
    app: App,
    dir: PathBuf,
    org: i64,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn test_app() -> TestApp {
    let dir = std::env::temp_dir().join(format!("portfolio-import-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/test.sqlite", dir.display());
    let app = App::open(&url, &ConnectOptions::default(), Settings::default())
        .await
        .expect("open the app");
    app.seed_organisation("northmere", "Northmere County Council", &[], &actor())
        .await
        .expect("seed the organisation");
    let org = app
        .store
        .organisation_by_slug("northmere")
        .await
        .unwrap()
        .id;
    TestApp { app, dir, org }
}

fn actor() -> Actor {
    Actor::system("test")
}

fn file(name: &str, bytes: impl Into<Vec<u8>>) -> ImportFile {
    ImportFile {
        name: name.to_string(),
        bytes: bytes.into(),
    }
}

async fn import(t: &TestApp, files: &[ImportFile], options: &ImportOptions) -> ImportReport {
    t.app
        .import_files("northmere", files, options, &actor(), false)
        .await
        .expect("the import runs")
}

async fn total(t: &TestApp) -> i64 {
    t.app.store.project_counts(t.org).await.unwrap().total
}

/// A CSV as Excel saves it on Windows: Windows-1252, semicolons.
fn windows_csv(rows: &[&str]) -> Vec<u8> {
    let text = format!(
        "Project name;Directorate;Phase;Cost (£k);Start date;Themes\r\n{}\r\n",
        rows.join("\r\n")
    );
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

const TWO_ROWS: [&str; 2] = [
    "Teams for everyone;Health & Care;Delivery;£1.2m;01/04/2026;Smart and virtual working",
    "\"Robotic process automation; phase 2\";Corporate Services;Concept;tbc;tbc;",
];

#[tokio::test]
async fn imports_a_windows_1252_semicolon_csv() {
    let t = test_app().await;
    let bytes = windows_csv(&TWO_ROWS);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test file is not UTF-8"
    );
    let report = import(&t, &[file("health.csv", bytes)], &ImportOptions::default()).await;
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(
        (report.rows_read, report.created, report.written),
        (2, 2, true)
    );

    let teams = t.app.store.project(t.org, "DP-001").await.unwrap();
    assert_eq!(teams.title, "Teams for everyone");
    assert_eq!(teams.department.slug, "health-and-care");
    assert_eq!(teams.stage, Stage::Delivery);
    assert_eq!(teams.start_date.unwrap().to_string(), "2026-04-01");
    assert_eq!(teams.themes[0].slug, "smart-and-virtual-working");
    assert_eq!(teams.costs.len(), 1);
    assert_eq!(teams.costs[0].year.to_string(), "2026/27");
    assert_eq!(teams.costs[0].capital_pence.pence(), 120_000_000);
    assert_eq!(teams.costs[0].revenue_pence.pence(), 0);

    let rpa = t.app.store.project(t.org, "DP-002").await.unwrap();
    assert_eq!(rpa.title, "Robotic process automation; phase 2");
    assert!(rpa.costs.is_empty(), "tbc is not known, not zero");
    assert_eq!(rpa.start_date, None);

    let provenance = t.app.store.provenance(t.org).await.unwrap();
    assert_eq!(provenance.len(), 2);
    assert_eq!(provenance[1].origin.source, "health.csv");
    assert_eq!(provenance[1].origin.row, 2);
    assert_eq!(provenance[1].origin.row_key, "title:teams for everyone");
}

#[tokio::test]
async fn imports_every_sheet_of_a_workbook_or_one() {
    let t = test_app().await;
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let health = workbook.add_worksheet().set_name("Health").unwrap();
    for (col, header) in ["Ref", "Scheme", "Dept", "Stage", "Budget", "Start"]
        .iter()
        .enumerate()
    {
        health.write_string(0, col as u16, *header).unwrap();
    }
    health.write_string(1, 0, "HC-1").unwrap();
    health.write_string(1, 1, "Virtual social work").unwrap();
    health.write_string(1, 2, "Health and Care").unwrap();
    health.write_string(1, 3, "design").unwrap();
    health
        .write_formula(1, 4, Formula::new("=100000*2").set_result("200000"))
        .unwrap();
    health
        .write_datetime_with_format(1, 5, ExcelDateTime::from_ymd(2025, 7, 1).unwrap(), &date)
        .unwrap();
    // Row 3 left empty: skipped. Row 4 has an Excel serial as a plain number.
    health.write_string(3, 0, "HC-2").unwrap();
    health
        .write_string(3, 1, "Streamlined assessments")
        .unwrap();
    health.write_string(3, 2, "health-and-care").unwrap();
    health.write_string(3, 3, "Idea").unwrap();
    health.write_number(3, 4, 45_000).unwrap();
    health.write_number(3, 5, 46_023).unwrap(); // 1 January 2026
    let families = workbook.add_worksheet().set_name("Families").unwrap();
    for (col, header) in ["Title", "Department", "Status", "Published"]
        .iter()
        .enumerate()
    {
        families.write_string(0, col as u16, *header).unwrap();
    }
    families.write_string(1, 0, "SEND case management").unwrap();
    families
        .write_string(1, 1, "Families and Communities")
        .unwrap();
    families.write_string(1, 2, "Concept").unwrap();
    families.write_boolean(1, 3, true).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let only = ImportOptions {
        sheet: Some("families".into()),
        dry_run: true,
        ..ImportOptions::default()
    };
    let report = import(&t, &[file("budgets.xlsx", bytes.clone())], &only).await;
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(
        (report.rows_read, report.created, report.written),
        (1, 1, false)
    );
    assert_eq!(total(&t).await, 0, "a dry run writes nothing");

    let report = import(
        &t,
        &[file("budgets.xlsx", bytes)],
        &ImportOptions::default(),
    )
    .await;
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!((report.rows_read, report.created), (3, 3));
    let social = t.app.store.project(t.org, "DP-001").await.unwrap();
    assert_eq!(social.start_date.unwrap().to_string(), "2025-07-01");
    assert_eq!(social.costs[0].year.to_string(), "2025/26");
    assert_eq!(
        social.costs[0].capital_pence.pence(),
        20_000_000,
        "the formula's cached value"
    );
    let assessments = t.app.store.project(t.org, "DP-002").await.unwrap();
    assert_eq!(assessments.start_date.unwrap().to_string(), "2026-01-01");
    assert_eq!(assessments.costs[0].year.to_string(), "2025/26");
    let send = t.app.store.project(t.org, "DP-003").await.unwrap();
    assert!(send.published);
    let provenance = t.app.store.provenance(t.org).await.unwrap();
    let hc2 = provenance
        .iter()
        .find(|p| p.origin.row_key == "code:HC-2")
        .unwrap();
    assert_eq!(
        (hc2.origin.sheet.as_deref(), hc2.origin.row),
        (Some("Health"), 4)
    );
}

#[tokio::test]
async fn one_bad_row_writes_nothing_and_is_named() {
    let t = test_app().await;
    let bytes = windows_csv(&[
        TWO_ROWS[0],
        "Online library;Health and Care;In delivery;£1.2x;31/02/2026;",
        TWO_ROWS[1],
    ]);
    let report = import(&t, &[file("health.csv", bytes)], &ImportOptions::default()).await;
    assert!(!report.written);
    assert_eq!(total(&t).await, 0);
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(report.problems.len(), 3, "{problems:#?}");
    let cost = report
        .problems
        .iter()
        .find(|p| p.column.as_deref() == Some("D"))
        .unwrap();
    assert_eq!(cost.row, Some(3));
    assert_eq!(cost.header.as_deref(), Some("Cost (£k)"));
    assert_eq!(cost.value.as_deref(), Some("£1.2x"));
    assert!(cost.reason.contains("not a unit"), "{}", cost.reason);
    let stage = report
        .problems
        .iter()
        .find(|p| p.column.as_deref() == Some("C"))
        .unwrap();
    assert!(
        stage.reason.contains("did you mean 'Delivery'"),
        "{}",
        stage.reason
    );
    let date = report
        .problems
        .iter()
        .find(|p| p.column.as_deref() == Some("E"))
        .unwrap();
    assert_eq!(date.value.as_deref(), Some("31/02/2026"));
    assert!(
        problems[0].starts_with("health.csv, row 3, column C (Phase): 'In delivery' "),
        "{problems:#?}"
    );
}

#[tokio::test]
async fn reimporting_updates_instead_of_duplicating() {
    let t = test_app().await;
    let first = import(
        &t,
        &[file("health.csv", windows_csv(&TWO_ROWS))],
        &ImportOptions::default(),
    )
    .await;
    assert_eq!(first.created, 2);
    let again = import(
        &t,
        &[file("health.csv", windows_csv(&TWO_ROWS))],
        &ImportOptions::default(),
    )
    .await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    let changed = windows_csv(&[
        "Teams for everyone;Health & Care;Live;£1.5m;01/04/2026;Smart and virtual working",
        TWO_ROWS[1],
        "Digital front door;Public Health;Idea;45k;;",
    ]);
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let preview = import(&t, &[file("health.csv", changed.clone())], &dry).await;
    assert_eq!(
        (preview.created, preview.updated, preview.unchanged),
        (1, 1, 1)
    );
    assert_eq!(total(&t).await, 2);
    let third = import(
        &t,
        &[file("health.csv", changed)],
        &ImportOptions::default(),
    )
    .await;
    assert_eq!((third.created, third.updated, third.unchanged), (1, 1, 1));
    assert_eq!(total(&t).await, 3);
    let teams = t.app.store.project(t.org, "DP-001").await.unwrap();
    assert_eq!((teams.stage, teams.version), (Stage::Live, 2));
    let history = t
        .app
        .store
        .history(t.org, "project", teams.id)
        .await
        .unwrap();
    assert_eq!(
        history.last().unwrap().changed_fields(),
        vec!["costs", "stage"]
    );
}

#[tokio::test]
async fn a_mapping_file_chooses_columns() {
    let t = test_app().await;
    let csv = "Initiative name,Owner dept,Where,Notes\nTeams,Corporate Services,concept,x\n";
    let mapping = MappingFile::parse(
        "m.toml",
        "[columns]\n\"Owner dept\" = \"department\"\n\"Where\" = \"stage\"\n\"Initiative name\" = \"title\"\n",
    )
    .unwrap();
    let without = import(&t, &[file("a.csv", csv)], &ImportOptions::default()).await;
    assert!(without
        .problems
        .iter()
        .any(|p| p.reason.contains("no column holds the stage")));
    let options = ImportOptions {
        mapping: Some(mapping),
        ..ImportOptions::default()
    };
    let with = import(&t, &[file("a.csv", csv)], &options).await;
    assert!(with.problems.is_empty(), "{:#?}", with.problems);
    assert_eq!(with.created, 1);
}

#[tokio::test]
async fn hostile_files_give_clear_reasons_and_write_nothing() {
    let t = test_app().await;
    let good = file("health.csv", windows_csv(&TWO_ROWS));
    let cases = [
        (
            file("garbage.xlsx", vec![0u8, 159, 146, 150, 7, 7]),
            "is not an XLSX workbook",
        ),
        (
            file("fake.xlsx", b"PK\x03\x04 truncated zip".to_vec()),
            "is not a readable XLSX workbook",
        ),
        (file("empty.csv", Vec::new()), "is empty"),
        (
            file("header.csv", b"Title,Department,Stage\r\n".to_vec()),
            "no rows of projects",
        ),
        (
            file(
                "twice.csv",
                b"Title,Department,Stage,Title\nA,Public Health,idea,B\n".to_vec(),
            ),
            "repeats the header of column A",
        ),
    ];
    for (bad, reason) in cases {
        let name = bad.name.clone();
        let report = import(&t, &[good.clone(), bad], &ImportOptions::default()).await;
        assert_eq!(report.problems.len(), 1, "{name}: {:#?}", report.problems);
        assert_eq!(report.problems[0].file, name);
        assert!(
            report.problems[0].reason.contains(reason),
            "{name}: {}",
            report.problems[0].reason
        );
        assert!(!report.written);
    }
    assert_eq!(total(&t).await, 0);
}

#[tokio::test]
async fn spreadsheet_limits_and_layouts_give_clear_reasons() {
    let t = test_app().await;
    // Excel's maximum sheet: 1,048,576 rows. Refused with the limit named.
    let mut huge = String::from("Title,Department,Stage\n");
    for i in 0..1_048_575 {
        huge.push_str(&format!("Project {i},Public Health,Concept\n"));
    }
    let report = import(
        &t,
        &[file("huge.csv", huge.into_bytes())],
        &ImportOptions::default(),
    )
    .await;
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert!(
        report.problems[0].reason.contains("more than 200000 rows"),
        "{}",
        report.problems[0].reason
    );

    // A file over 50 MB is refused before it is read.
    let dir = std::env::temp_dir().join(format!("portfolio-big-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.csv");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(51 * 1024 * 1024)
        .unwrap();
    let report = t
        .app
        .import_paths(
            "northmere",
            &[big.as_path()],
            &ImportOptions::default(),
            &actor(),
        )
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].reason.contains("50 MB"),
        "{}",
        report.problems[0].reason
    );

    // Merged cells: the value sits in the first cell of the range; the
    // others read as empty, so a merged department is reported on the rows
    // it spans, not guessed.
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Projects").unwrap();
    for (c, h) in ["Title", "Department", "Stage"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "Merged one").unwrap();
    ws.write_string(2, 0, "Merged two").unwrap();
    ws.merge_range(1, 1, 2, 1, "Public Health", &Format::new())
        .unwrap();
    ws.write_string(1, 2, "Concept").unwrap();
    ws.write_string(2, 2, "Concept").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let report = import(&t, &[file("merged.xlsx", bytes)], &ImportOptions::default()).await;
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let p = &report.problems[0];
    assert_eq!((p.row, p.column.as_deref()), (Some(3), Some("B")));
    assert!(p.reason.contains("is empty"), "{}", p.reason);
    assert_eq!(total(&t).await, 0);
}

#[tokio::test]
async fn formulas_in_text_are_stored_as_written_and_neutralised_on_export() {
    let t = test_app().await;
    let csv = "Title,Department,Stage,Summary\n\
               \"=HYPERLINK(\"\"http://example.invalid\"\",\"\"Click\"\")\",Public Health,Concept,+SUM(A1:A9)\n";
    let report = import(&t, &[file("hostile.csv", csv)], &ImportOptions::default()).await;
    assert!(report.written, "{:#?}", report.problems);
    let projects = t.app.export_organisation("northmere").await.unwrap();
    assert_eq!(
        projects[0].title, "=HYPERLINK(\"http://example.invalid\",\"Click\")",
        "stored exactly as written"
    );
    let exported = portfolio_app::export::projects_csv(&projects);
    assert!(exported.contains("\"'=HYPERLINK("), "{exported}");
    assert!(exported.contains(",'+SUM(A1:A9),"), "{exported}");
}
