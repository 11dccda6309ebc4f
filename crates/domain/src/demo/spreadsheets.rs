//! The demo council's raw departmental spreadsheets, before consolidation.
//!
//! Each of Northmere's five departments keeps its own list, in its own shape:
//! its own headers ("Project name", "Scheme", "Initiative"…), money written
//! by hand ("£1.2m", "£350k", "45k", "£240,000"), British dates or Excel
//! dates, a CSV saved by Excel on Windows (Windows-1252, semicolons), a
//! workbook with two sheets. Together they hold the 76 projects of the demo
//! programme and 24 rows that describe one of those projects again, in
//! another department's words: the overlaps consolidation must find.
//!
//! This module says what the files hold (pure data, computed from the same
//! catalogue as [`super::projects`]); the application writes them as CSV and
//! XLSX bytes.

use chrono::NaiveDate;

use super::catalogue::CATALOGUE;
use super::{projects, DEPARTMENTS, THEMES};
use crate::confidence::DeliveryConfidence;
use crate::project::ProjectDraft;
use crate::stage::Stage;

/// A cell of a demo spreadsheet.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoCell {
    Empty,
    Text(String),
    /// A number cell (workbooks only; CSV writes its text).
    Number(f64),
    /// A date cell (workbooks only; CSV writes dd/mm/yyyy).
    Date(NaiveDate),
}

impl DemoCell {
    fn text(s: impl Into<String>) -> DemoCell {
        let s = s.into();
        if s.is_empty() {
            DemoCell::Empty
        } else {
            DemoCell::Text(s)
        }
    }
}

/// How a file is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoFormat {
    Xlsx,
    Csv {
        /// Windows-1252, as Excel saves "CSV" on Windows; else UTF-8.
        windows_1252: bool,
        byte_order_mark: bool,
        delimiter: u8,
    },
}

/// One sheet: headers and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSheet {
    pub name: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<DemoCell>>,
}

/// One department's file.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSpreadsheet {
    pub file_name: &'static str,
    pub department: &'static str,
    pub format: DemoFormat,
    pub sheets: Vec<DemoSheet>,
}

/// How many rows describe a project a second time.
pub const OVERLAPS: usize = 24;

/// The catalogue entries described twice, and the second title.
pub fn overlaps() -> Vec<(usize, String)> {
    (0..CATALOGUE.len())
        .filter(|i| i % 3 == 1)
        .take(OVERLAPS)
        .map(|i| (i, reworded(CATALOGUE[i].title)))
        .collect()
}

/// A title as another department would write it: abbreviations, another
/// word order, a verb instead of a noun.
fn reworded(title: &str) -> String {
    let mut t = title
        .replace("management", "mgmt")
        .replace("Management", "Mgmt")
        .replace("system", "sys")
        .replace("information", "info")
        .replace("application", "app")
        .replace("online", "on-line")
        .replace(" and ", " & ");
    if let Some(rest) = t.strip_suffix(" replacement") {
        t = format!("Replace {}", lower_first(rest));
    } else if let Some(rest) = t.strip_suffix(" rollout") {
        t = format!("Roll out {}", lower_first(rest));
    } else if let Some(rest) = t.strip_suffix(" upgrade") {
        t = format!("Upgrade {}", lower_first(rest));
    } else {
        t = format!("{t} (joint project)");
    }
    t
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn total_pence(d: &ProjectDraft) -> i64 {
    d.costs
        .iter()
        .map(|c| c.capital_pence + c.revenue_pence)
        .sum()
}

/// Money as people type it, in one of four styles.
fn by_hand(pence: i64, style: usize) -> String {
    let pounds = pence / 100;
    match style % 4 {
        0 if pounds >= 1_000_000 => format!("£{:.1}m", pounds as f64 / 1_000_000.0),
        0 | 1 => format!("£{}k", pounds / 1_000),
        2 => format!("{}k", pounds / 1_000),
        _ => {
            let digits = pounds.to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            format!("£{out}")
        }
    }
}

fn date(iso: &Option<String>) -> Option<NaiveDate> {
    iso.as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

fn british(iso: &Option<String>) -> String {
    date(iso).map_or("tbc".into(), |d| d.format("%d/%m/%Y").to_string())
}

fn department_name(slug: &str) -> &'static str {
    DEPARTMENTS
        .iter()
        .find(|(s, _)| *s == slug)
        .map_or("", |(_, n)| n)
}

fn theme_names(d: &ProjectDraft) -> String {
    d.themes
        .iter()
        .filter_map(|t| THEMES.iter().find(|(s, _, _)| s == t).map(|(_, n, _)| *n))
        .collect::<Vec<_>>()
        .join("; ")
}

fn stage_label(d: &ProjectDraft) -> &'static str {
    Stage::parse(&d.stage).map_or("Concept", Stage::label)
}

fn rag(d: &ProjectDraft) -> String {
    d.confidence
        .as_deref()
        .and_then(|c| DeliveryConfidence::parse(c).ok())
        .map_or(String::new(), |c| c.label().to_string())
}

/// The first sentence of a summary: what a second department would copy.
fn first_sentence(summary: &str) -> String {
    let first = summary.split("\n\n").next().unwrap_or(summary);
    match first.find(". ") {
        Some(end) => first[..=end].to_string(),
        None => first.to_string(),
    }
}

/// A row as a department's file holds it.
struct Row<'a> {
    draft: &'a ProjectDraft,
    title: String,
    summary: String,
    department: &'static str,
    /// The department's own reference for it.
    reference: String,
    n: usize,
}

fn health(rows: &[Row<'_>]) -> Vec<DemoSheet> {
    let headers = vec![
        "Ref",
        "Project name",
        "Directorate",
        "Phase",
        "Cost (£k)",
        "Start date",
        "End date",
        "Themes",
        "RAG",
        "SRO",
        "Project manager",
        "Description",
    ];
    let cells = |r: &Row<'_>| {
        vec![
            DemoCell::text(&r.reference),
            DemoCell::text(&r.title),
            DemoCell::text(r.department),
            DemoCell::text(stage_label(r.draft)),
            DemoCell::Number((total_pence(r.draft) / 100_000) as f64),
            date(&r.draft.start_date).map_or(DemoCell::Empty, DemoCell::Date),
            date(&r.draft.end_date).map_or(DemoCell::Empty, DemoCell::Date),
            DemoCell::text(theme_names(r.draft)),
            DemoCell::text(rag(r.draft)),
            DemoCell::text(&r.draft.sponsor),
            DemoCell::text(&r.draft.manager),
            DemoCell::text(&r.summary),
        ]
    };
    // Work in delivery on one sheet, the pipeline on another.
    let (live, pipeline): (Vec<&Row<'_>>, Vec<&Row<'_>>) = rows
        .iter()
        .partition(|r| r.draft.stage == Stage::Delivery.as_str());
    vec![
        DemoSheet {
            name: "In delivery",
            headers: headers.clone(),
            rows: live.into_iter().map(cells).collect(),
        },
        DemoSheet {
            name: "Pipeline",
            headers,
            rows: pipeline.into_iter().map(cells).collect(),
        },
    ]
}

fn families(rows: &[Row<'_>]) -> Vec<DemoSheet> {
    vec![DemoSheet {
        name: "",
        headers: vec![
            "Scheme",
            "Service area",
            "Status",
            "Indicative cost",
            "Start",
            "Finish",
            "Theme",
            "Lead officer",
            "Summary",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    DemoCell::text(&r.title),
                    DemoCell::text(r.department),
                    DemoCell::text(stage_label(r.draft)),
                    DemoCell::text(by_hand(total_pence(r.draft), r.n)),
                    DemoCell::text(british(&r.draft.start_date)),
                    DemoCell::text(british(&r.draft.end_date)),
                    DemoCell::text(theme_names(r.draft)),
                    DemoCell::text(&r.draft.manager),
                    DemoCell::text(&r.summary),
                ]
            })
            .collect(),
    }]
}

fn economy(rows: &[Row<'_>]) -> Vec<DemoSheet> {
    vec![DemoSheet {
        name: "",
        headers: vec![
            "Project ID",
            "Initiative",
            "Department",
            "Lifecycle",
            "Capital (£)",
            "Revenue (£)",
            "Financial year",
            "Planned start",
            "Go live",
            "Sponsor",
            "Overview",
        ],
        rows: rows
            .iter()
            .map(|r| {
                let capital: i64 = r.draft.costs.iter().map(|c| c.capital_pence).sum();
                let revenue: i64 = r.draft.costs.iter().map(|c| c.revenue_pence).sum();
                vec![
                    DemoCell::text(&r.reference),
                    DemoCell::text(&r.title),
                    DemoCell::text(r.department),
                    DemoCell::text(stage_label(r.draft)),
                    DemoCell::text((capital / 100).to_string()),
                    DemoCell::text((revenue / 100).to_string()),
                    DemoCell::text(
                        r.draft
                            .costs
                            .first()
                            .map_or(String::new(), |c| c.year.clone()),
                    ),
                    DemoCell::text(british(&r.draft.start_date)),
                    DemoCell::text(british(&r.draft.end_date)),
                    DemoCell::text(&r.draft.sponsor),
                    DemoCell::text(&r.summary),
                ]
            })
            .collect(),
    }]
}

fn corporate(rows: &[Row<'_>]) -> Vec<DemoSheet> {
    vec![DemoSheet {
        name: "Corporate projects",
        headers: vec![
            "Title",
            "Dept",
            "Stage",
            "Budget",
            "Start",
            "End",
            "RAG status",
            "Strategic theme",
            "Project lead",
            "Scope",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    DemoCell::text(&r.title),
                    DemoCell::text(r.department),
                    DemoCell::text(stage_label(r.draft)),
                    DemoCell::Number((total_pence(r.draft) / 100) as f64),
                    date(&r.draft.start_date).map_or(DemoCell::Empty, DemoCell::Date),
                    date(&r.draft.end_date).map_or(DemoCell::Empty, DemoCell::Date),
                    DemoCell::text(rag(r.draft)),
                    DemoCell::text(theme_names(r.draft)),
                    DemoCell::text(&r.draft.manager),
                    DemoCell::text(&r.summary),
                ]
            })
            .collect(),
    }]
}

fn public_health(rows: &[Row<'_>]) -> Vec<DemoSheet> {
    vec![DemoSheet {
        name: "",
        headers: vec![
            "Project",
            "Directorate",
            "Project stage",
            "Total cost",
            "Start date",
            "Themes",
            "Senior responsible owner",
            "Project summary",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    DemoCell::text(&r.title),
                    DemoCell::text(r.department),
                    DemoCell::text(stage_label(r.draft)),
                    DemoCell::text(by_hand(total_pence(r.draft), r.n + 1)),
                    DemoCell::text(british(&r.draft.start_date)),
                    DemoCell::text(theme_names(r.draft)),
                    DemoCell::text(&r.draft.sponsor),
                    DemoCell::text(&r.summary),
                ]
            })
            .collect(),
    }]
}

/// The five departments' files, always the same: 76 projects and 24 overlaps.
pub fn spreadsheets() -> Vec<DemoSpreadsheet> {
    let drafts = projects();
    let overlaps = overlaps();
    let mut by_department: Vec<Vec<Row<'_>>> = DEPARTMENTS.iter().map(|_| Vec::new()).collect();
    for (i, (entry, draft)) in CATALOGUE.iter().zip(&drafts).enumerate() {
        let d = DEPARTMENTS
            .iter()
            .position(|(s, _)| *s == entry.department)
            .unwrap_or(0);
        let n = by_department[d].len();
        by_department[d].push(Row {
            draft,
            title: entry.title.to_string(),
            summary: draft.summary.clone(),
            department: department_name(entry.department),
            reference: format!("{}-{:02}", initials(DEPARTMENTS[d].1), n + 1),
            n: i,
        });
    }
    for (k, (i, title)) in overlaps.into_iter().enumerate() {
        let entry = &CATALOGUE[i];
        let own = DEPARTMENTS
            .iter()
            .position(|(s, _)| *s == entry.department)
            .unwrap_or(0);
        // The partner department lists it as its own work.
        let other = (own + 1 + k % (DEPARTMENTS.len() - 1)) % DEPARTMENTS.len();
        let n = by_department[other].len();
        by_department[other].push(Row {
            draft: &drafts[i],
            title,
            summary: format!(
                "{} Led with {}.",
                first_sentence(&drafts[i].summary),
                department_name(entry.department)
            ),
            department: DEPARTMENTS[other].1,
            reference: format!("{}-{:02}", initials(DEPARTMENTS[other].1), n + 1),
            n: i + k,
        });
    }
    let mut rows = by_department.into_iter();
    let mut next = || rows.next().unwrap_or_default();
    let (h, f, e, c, p) = (next(), next(), next(), next(), next());
    vec![
        DemoSpreadsheet {
            file_name: "health-and-care.xlsx",
            department: DEPARTMENTS[0].0,
            format: DemoFormat::Xlsx,
            sheets: health(&h),
        },
        DemoSpreadsheet {
            file_name: "families-and-communities.csv",
            department: DEPARTMENTS[1].0,
            format: DemoFormat::Csv {
                windows_1252: true,
                byte_order_mark: false,
                delimiter: b';',
            },
            sheets: families(&f),
        },
        DemoSpreadsheet {
            file_name: "economy-infrastructure-and-skills.csv",
            department: DEPARTMENTS[2].0,
            format: DemoFormat::Csv {
                windows_1252: false,
                byte_order_mark: true,
                delimiter: b',',
            },
            sheets: economy(&e),
        },
        DemoSpreadsheet {
            file_name: "corporate-services.xlsx",
            department: DEPARTMENTS[3].0,
            format: DemoFormat::Xlsx,
            sheets: corporate(&c),
        },
        DemoSpreadsheet {
            file_name: "public-health.csv",
            department: DEPARTMENTS[4].0,
            format: DemoFormat::Csv {
                windows_1252: false,
                byte_order_mark: false,
                delimiter: b',',
            },
            sheets: public_health(&p),
        },
    ]
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .filter_map(|w| w.chars().next())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_differently_shaped_files_hold_a_hundred_rows() {
        let files = spreadsheets();
        assert_eq!(files.len(), 5);
        let rows: usize = files
            .iter()
            .flat_map(|f| &f.sheets)
            .map(|s| s.rows.len())
            .sum();
        assert_eq!(rows, CATALOGUE.len() + OVERLAPS);
        let mut headers: Vec<&str> = files.iter().map(|f| f.sheets[0].headers[0]).collect();
        headers.dedup();
        assert_eq!(
            headers.len(),
            5,
            "each department names its columns differently"
        );
        for f in &files {
            for s in &f.sheets {
                assert!(
                    s.rows.iter().all(|r| r.len() == s.headers.len()),
                    "{}",
                    f.file_name
                );
            }
        }
    }

    #[test]
    fn money_is_written_by_hand() {
        assert_eq!(by_hand(120_000_000, 0), "£1.2m");
        assert_eq!(by_hand(35_000_000, 1), "£350k");
        assert_eq!(by_hand(4_500_000, 2), "45k");
        assert_eq!(by_hand(24_000_000, 3), "£240,000");
    }

    #[test]
    fn overlaps_are_reworded() {
        assert_eq!(
            reworded("Adult social care case management system replacement"),
            "Replace adult social care case mgmt sys"
        );
        let o = overlaps();
        assert_eq!(o.len(), OVERLAPS);
        assert!(o.iter().all(|(i, t)| CATALOGUE[*i].title != t));
    }
}
