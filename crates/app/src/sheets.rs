//! Registers as files: the project register, the RAID register, the decision
//! log and the board's actions as XLSX workbooks and CSV text.
//!
//! A register is first laid out as a [`Table`] of typed cells (text, whole
//! numbers, money in pence, dates, yes/no), then written:
//! - XLSX: a bold header row, frozen, with an autofilter over the table;
//!   column widths to fit; dates as real date cells (dd/mm/yyyy); money as
//!   numbers of pounds with a £ format, made from integer pence exactly;
//!   yes/no as boolean cells. Text is stored as text, so "=SUM(A1)" in a
//!   title is never run as a formula.
//! - CSV: UTF-8, the same columns, cells a spreadsheet would run as a formula
//!   neutralised ([`safe_cell`]), dates ISO (2026-04-01), money in pence.
//!
//! Text that XML cannot hold (control characters other than tab and line
//! breaks, U+FFFE and U+FFFF) is removed before writing, and text over a
//! cell's limit (32,767 characters) is cut short with an ellipsis, so the
//! workbook is never corrupt whatever the stored text.
//!
//! The RAID register is one sheet per kind (Risks, Issues, Assumptions,
//! Dependencies): a risk's scores, response and proximity mean nothing for an
//! assumption, and each sheet's filter then works on columns that all rows
//! fill. Its CSV, one table, is the RAID page's own, with a kind column.
//!
//! The register's workbook is the one [`crate::import`] reads back: its
//! "Register code" column makes each row that project, and its "Capital
//! 2026/27 (£)" / "Revenue 2026/27 (£)" columns are the costs per financial
//! year; its "Total cost (£)" is their sum and is not read as another cost.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use portfolio_domain::filter::ProjectQuery;
use portfolio_domain::meetings::{DecisionQuery, LoggedDecision, MeetingAction};
use portfolio_domain::raid::{RaidItem, RaidKind, RaidQuery};
use portfolio_domain::{FinancialYear, Permission, Project};

use crate::export::safe_cell;
use crate::{App, AppError, Caller, Result};
use portfolio_store::StoreError;

/// The most characters a spreadsheet cell holds.
const MAX_CELL_CHARS: usize = 32_767;

/// One typed cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Int(i64),
    /// Whole pence, shown as pounds.
    Money(i64),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Bool(bool),
}

impl Value {
    fn text(s: impl Into<String>) -> Value {
        let s = s.into();
        if s.is_empty() {
            Value::Empty
        } else {
            Value::Text(s)
        }
    }

    fn date(d: Option<NaiveDate>) -> Value {
        d.map_or(Value::Empty, Value::Date)
    }

    /// The cell as CSV writes it.
    fn csv(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) => safe_cell(&xml_safe(s)),
            Value::Int(n) | Value::Money(n) => n.to_string(),
            Value::Date(d) => d.to_string(),
            Value::DateTime(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        }
    }
}

/// A column: its header as the spreadsheet shows it, and as CSV names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub csv_name: String,
}

fn column(header: impl Into<String>, csv_name: impl Into<String>) -> Column {
    Column {
        header: header.into(),
        csv_name: csv_name.into(),
    }
}

/// One sheet: a name, columns and rows of typed cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub sheet: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
}

/// Text as XML can hold it: control characters other than tab, line feed
/// and carriage return removed, and the two non-characters U+FFFE/U+FFFF;
/// at most a cell's worth of characters.
pub fn xml_safe(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|&c| {
            !matches!(c, '\u{FFFE}' | '\u{FFFF}')
                && (!c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        })
        .collect();
    if kept.chars().count() > MAX_CELL_CHARS {
        let mut cut: String = kept.chars().take(MAX_CELL_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        kept
    }
}

/// Sheet names: at most 31 characters, none of []:*?/\.
fn sheet_name(name: &str) -> String {
    let cleaned: String = xml_safe(name)
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if cleaned.trim().is_empty() {
        "Sheet".to_string()
    } else {
        cleaned
    }
}

/// The tables as an XLSX workbook, one sheet each.
pub fn xlsx(tables: &[Table]) -> std::result::Result<Vec<u8>, String> {
    use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};
    let bad = |e: rust_xlsxwriter::XlsxError| format!("the workbook could not be written: {e}");
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_align(FormatAlign::Top);
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let time = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    let money = Format::new().set_num_format("£#,##0.00");
    let wrapped = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for table in tables {
        let ws = book.add_worksheet();
        ws.set_name(sheet_name(&table.sheet)).map_err(bad)?;
        let mut widths: Vec<usize> = table
            .columns
            .iter()
            .map(|c| c.header.chars().count())
            .collect();
        for (c, col) in table.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, xml_safe(&col.header), &header)
                .map_err(bad)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, value) in row.iter().enumerate() {
                let c16 = c as u16;
                let width = match value {
                    Value::Empty => 0,
                    Value::Text(s) => {
                        let s = xml_safe(s);
                        let long = s.chars().count() > 60 || s.contains('\n');
                        if long {
                            ws.write_string_with_format(r, c16, &s, &wrapped)
                                .map_err(bad)?;
                        } else {
                            ws.write_string(r, c16, &s).map_err(bad)?;
                        }
                        s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
                    }
                    Value::Int(n) => {
                        ws.write_number(r, c16, *n as f64).map_err(bad)?;
                        n.to_string().len()
                    }
                    Value::Money(p) => {
                        // Exact: any whole number of pence below 2^53 survives
                        // the division and the reader's rounding back.
                        ws.write_number_with_format(r, c16, *p as f64 / 100.0, &money)
                            .map_err(bad)?;
                        format!("£{:.2}", *p as f64 / 100.0).len() + 3
                    }
                    Value::Date(d) => {
                        let cell = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )
                        .map_err(bad)?;
                        ws.write_datetime_with_format(r, c16, &cell, &date)
                            .map_err(bad)?;
                        10
                    }
                    Value::DateTime(t) => {
                        let n = t.naive_utc();
                        let cell = ExcelDateTime::from_ymd(
                            n.year() as u16,
                            n.month() as u8,
                            n.day() as u8,
                        )
                        .and_then(|d| {
                            d.and_hms(n.hour() as u16, n.minute() as u8, n.second() as f64)
                        })
                        .map_err(bad)?;
                        ws.write_datetime_with_format(r, c16, &cell, &time)
                            .map_err(bad)?;
                        16
                    }
                    Value::Bool(b) => {
                        ws.write_boolean(r, c16, *b).map_err(bad)?;
                        5
                    }
                };
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(width);
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w as f64 + 2.0).clamp(8.0, 60.0))
                .map_err(bad)?;
        }
        ws.set_freeze_panes(1, 0).map_err(bad)?;
        if !table.columns.is_empty() {
            let last_row = table.rows.len() as u32;
            ws.autofilter(0, 0, last_row, table.columns.len() as u16 - 1)
                .map_err(bad)?;
        }
    }
    book.save_to_buffer().map_err(bad)
}

use chrono::Timelike;

/// A table as CSV text, UTF-8, with its CSV names as the header row.
pub fn csv(table: &Table) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(table.columns.iter().map(|c| c.csv_name.as_str()));
    for row in &table.rows {
        let _ = w.write_record(row.iter().map(Value::csv));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The register as one sheet: the columns an import reads back.
pub fn register_table(projects: &[Project]) -> Table {
    let years: BTreeSet<FinancialYear> = projects
        .iter()
        .flat_map(|p| p.costs.iter().map(|c| c.year))
        .collect();
    let mut columns = vec![
        column("Register code", "code"),
        column("Title", "title"),
        column("Summary", "summary"),
        column("Department", "department"),
        column("Themes", "themes"),
        column("Stage", "stage"),
        column("GOV.UK phase", "phase"),
        column("Sponsor", "sponsor"),
        column("Project manager", "manager"),
        column("Start date", "start_date"),
        column("End date", "end_date"),
        column("Delivery confidence", "confidence"),
        column("Tags", "tags"),
        column("Published", "published"),
        column("What this changes for residents", "residents"),
    ];
    for y in &years {
        columns.push(column(
            format!("Capital {y} (£)"),
            format!("capital_{}_pence", y.to_string().replace('/', "_")),
        ));
    }
    for y in &years {
        columns.push(column(
            format!("Revenue {y} (£)"),
            format!("revenue_{}_pence", y.to_string().replace('/', "_")),
        ));
    }
    columns.push(column("Total cost (£)", "total_cost_pence"));
    let rows = projects
        .iter()
        .map(|p| {
            let mut row = vec![
                Value::text(p.code.clone()),
                Value::text(p.title.clone()),
                Value::text(p.summary.clone()),
                Value::text(p.department.name.clone()),
                // Names, as people read them; a name holding a list separator
                // is written as its slug, so the import reads it back as one theme.
                Value::text(
                    p.themes
                        .iter()
                        .map(|t| {
                            if t.name.contains([';', ',', '\n']) {
                                t.slug.as_str()
                            } else {
                                t.name.as_str()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                Value::text(p.stage.label()),
                p.phase.map_or(Value::Empty, |x| Value::text(x.as_str())),
                Value::text(p.sponsor.clone()),
                Value::text(p.manager.clone()),
                Value::date(p.start_date),
                Value::date(p.end_date),
                p.confidence
                    .map_or(Value::Empty, |c| Value::text(c.label())),
                Value::text(p.tags.join("; ")),
                Value::Bool(p.published),
                Value::text(p.residents.clone()),
            ];
            let line = |y: &FinancialYear| p.costs.iter().find(|c| c.year == *y);
            for y in &years {
                row.push(line(y).map_or(Value::Empty, |c| Value::Money(c.capital_pence.pence())));
            }
            for y in &years {
                row.push(line(y).map_or(Value::Empty, |c| Value::Money(c.revenue_pence.pence())));
            }
            row.push(if p.costs.is_empty() {
                Value::Empty
            } else {
                Value::Money(p.total_cost().pence())
            });
            row
        })
        .collect();
    Table {
        sheet: "Register".into(),
        columns,
        rows,
    }
}

fn raid_columns(kind: RaidKind) -> Vec<Column> {
    let mut columns = vec![column("Reference", "reference")];
    columns.extend([
        column("Project", "project"),
        column("Title", "title"),
        column("Description", "description"),
        column("Owner", "owner"),
        column("Status", "status"),
        column("Closed on", "closed_on"),
        column("Review date", "review_date"),
        column("Review overdue", "review_overdue"),
    ]);
    if kind == RaidKind::Risk {
        columns.extend([
            column("Cause", "cause"),
            column("Event", "event"),
            column("Effect", "effect"),
            column("Inherent score", "inherent_score"),
            column("Current likelihood", "current_likelihood"),
            column("Current impact", "current_impact"),
            column("Current score", "current_score"),
            column("Current rating", "current_rating"),
            column("Target score", "target_score"),
            column("Response", "response"),
            column("Proximity", "proximity"),
            column("Escalated", "escalated"),
        ]);
    }
    if kind == RaidKind::Issue {
        columns.extend([
            column("Priority", "priority"),
            column("Resolution", "resolution"),
        ]);
    }
    columns
}

fn raid_row(i: &RaidItem, kind: RaidKind, today: NaiveDate) -> Vec<Value> {
    let mut row = vec![Value::text(i.reference())];
    row.extend([
        Value::text(
            i.project
                .as_ref()
                .map(|p| p.code.clone())
                .unwrap_or_default(),
        ),
        Value::text(i.title.clone()),
        Value::text(i.description.clone()),
        Value::text(i.owner.name.clone()),
        Value::text(i.status.label()),
        Value::date(i.closed_on),
        Value::date(i.review_date),
        Value::Bool(i.review_overdue(today)),
    ]);
    if kind == RaidKind::Risk {
        match &i.risk {
            Some(r) => row.extend([
                Value::text(r.cause.clone()),
                Value::text(r.event.clone()),
                Value::text(r.effect.clone()),
                Value::Int(i64::from(r.inherent.value())),
                Value::Int(i64::from(r.current.likelihood)),
                Value::Int(i64::from(r.current.impact)),
                Value::Int(i64::from(r.current.value())),
                Value::text(r.current.rating().label()),
                Value::Int(i64::from(r.target.value())),
                Value::text(r.response.label()),
                r.proximity
                    .map_or(Value::Empty, |p| Value::text(p.to_string())),
                Value::Bool(r.escalated),
            ]),
            None => row.extend(std::iter::repeat_n(Value::Empty, 12)),
        }
    }
    if kind == RaidKind::Issue {
        match &i.issue {
            Some(x) => row.extend([
                Value::text(x.priority.label()),
                Value::text(x.resolution.clone()),
            ]),
            None => row.extend([Value::Empty, Value::Empty]),
        }
    }
    row
}

/// The RAID register as one sheet per kind, each judged overdue against `today`.
pub fn raid_tables(items: &[RaidItem], today: NaiveDate) -> Vec<Table> {
    [
        RaidKind::Risk,
        RaidKind::Issue,
        RaidKind::Assumption,
        RaidKind::Dependency,
    ]
    .into_iter()
    .map(|kind| Table {
        sheet: kind.plural().to_string(),
        columns: raid_columns(kind),
        rows: items
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| raid_row(i, kind, today))
            .collect(),
    })
    .collect()
}

/// The decision log, latest first.
pub fn decisions_table(decisions: &[LoggedDecision]) -> Table {
    Table {
        sheet: "Decisions".into(),
        columns: vec![
            column("Meeting date", "meets_on"),
            column("Body", "body"),
            column("Meeting", "meeting"),
            column("Agenda item", "agenda_item"),
            column("Project", "project"),
            column("Decision", "decision"),
            column("Gate outcome", "gate_outcome"),
            column("Decided by", "decided_by"),
            column("Recorded at (UTC)", "decided_at"),
        ],
        rows: decisions
            .iter()
            .map(|d| {
                vec![
                    Value::Date(d.meets_on),
                    Value::text(d.body.label()),
                    Value::text(d.meeting_title.clone()),
                    Value::text(d.agenda_title.clone()),
                    Value::text(d.project_code.clone().unwrap_or_default()),
                    Value::text(d.decision.text.clone()),
                    d.decision
                        .outcome
                        .map_or(Value::Empty, |o| Value::text(o.label())),
                    Value::text(d.decision.decided_by.clone()),
                    Value::DateTime(d.decision.decided_at),
                ]
            })
            .collect(),
    }
}

/// The board's actions, by due date; `meetings` names each meeting by id.
pub fn actions_table(
    actions: &[MeetingAction],
    meetings: &HashMap<i64, (String, NaiveDate)>,
    today: NaiveDate,
) -> Table {
    Table {
        sheet: "Actions".into(),
        columns: vec![
            column("Action", "action"),
            column("Owner", "owner"),
            column("Due", "due_on"),
            column("Status", "status"),
            column("Overdue", "overdue"),
            column("Meeting", "meeting"),
            column("Meeting date", "meets_on"),
        ],
        rows: actions
            .iter()
            .map(|a| {
                let meeting = meetings.get(&a.meeting_id);
                vec![
                    Value::text(a.description.clone()),
                    Value::text(a.owner.name.clone()),
                    Value::Date(a.due_on),
                    Value::text(a.status.label()),
                    Value::Bool(a.overdue(today)),
                    Value::text(meeting.map(|m| m.0.clone()).unwrap_or_default()),
                    Value::date(meeting.map(|m| m.1)),
                ]
            })
            .collect(),
    }
}

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    Register,
    Raid,
    Decisions,
    Actions,
}

impl Register {
    pub fn parse(s: &str) -> std::result::Result<Register, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "register" | "projects" => Ok(Register::Register),
            "raid" => Ok(Register::Raid),
            "decisions" => Ok(Register::Decisions),
            "actions" => Ok(Register::Actions),
            other => Err(format!(
                "'{other}' is not a register; use register, raid, decisions or actions"
            )),
        }
    }

    /// The file name's middle: "register", "raid", "decisions", "actions".
    pub fn as_str(self) -> &'static str {
        match self {
            Register::Register => "register",
            Register::Raid => "raid",
            Register::Decisions => "decisions",
            Register::Actions => "actions",
        }
    }
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Json,
    Csv,
    Xlsx,
}

impl FileFormat {
    pub fn parse(s: &str) -> std::result::Result<FileFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(FileFormat::Json),
            "csv" => Ok(FileFormat::Csv),
            "xlsx" => Ok(FileFormat::Xlsx),
            other => Err(format!("'{other}' is not a format; use json, csv or xlsx")),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Json => "json",
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Json => "application/json",
            FileFormat::Csv => "text/csv; charset=utf-8",
            FileFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The filters a download keeps: those of the page it is linked from.
#[derive(Debug, Clone, Default)]
pub struct ExportFilters {
    pub projects: ProjectQuery,
    pub raid: RaidQuery,
    pub decisions: DecisionQuery,
    /// Actions: only those not done.
    pub open_actions_only: bool,
}

/// A file ready to send or save.
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// Such as "demo-council-register-2026-12-02.xlsx".
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    /// Rows written (projects, items, decisions or actions).
    pub rows: usize,
}

impl App {
    /// A register of the caller's organisation as a file, under the filters
    /// of the page it is downloaded from. Anyone who may read the programme
    /// may export it.
    pub async fn export_file(
        &self,
        caller: &Caller,
        register: Register,
        format: FileFormat,
        filters: &ExportFilters,
    ) -> Result<ExportFile> {
        caller.require(Permission::ReadProgramme)?;
        let org = self.store.organisation(caller.organisation_id()).await?;
        let today = crate::history::today();
        let to_json = |v: serde_json::Result<String>| {
            v.map(|mut j| {
                j.push('\n');
                j
            })
            .map_err(|e| AppError::Internal(StoreError::Corrupt(e.to_string())))
        };
        // (rows, JSON, the workbook's sheets, the CSV text)
        let (rows, json, tables, flat): (usize, String, Vec<Table>, String) = match register {
            Register::Register => {
                let projects = self.matching_projects(caller, &filters.projects).await?;
                (
                    projects.len(),
                    to_json(serde_json::to_string_pretty(&projects))?,
                    vec![register_table(&projects)],
                    // The register's CSV keeps the columns it has always had.
                    crate::export::projects_csv(&projects),
                )
            }
            Register::Raid => {
                let reg = self.raid_register(caller, &filters.raid).await?;
                (
                    reg.items.len(),
                    to_json(serde_json::to_string_pretty(&reg.items))?,
                    raid_tables(&reg.items, reg.today),
                    // The RAID page's own CSV: one table with a kind column.
                    crate::export::raid_csv(&reg.items, reg.today),
                )
            }
            Register::Decisions => {
                let log = self.decision_log(caller, &filters.decisions).await?;
                let table = decisions_table(&log);
                (
                    log.len(),
                    to_json(serde_json::to_string_pretty(&log))?,
                    vec![table.clone()],
                    csv(&table),
                )
            }
            Register::Actions => {
                let actions = self
                    .meeting_actions(caller, filters.open_actions_only)
                    .await?;
                let meetings: HashMap<i64, (String, NaiveDate)> = self
                    .meetings(caller)
                    .await?
                    .into_iter()
                    .map(|m| (m.meeting.id, (m.meeting.title.clone(), m.meeting.meets_on)))
                    .collect();
                let table = actions_table(&actions, &meetings, today);
                (
                    actions.len(),
                    to_json(serde_json::to_string_pretty(&actions))?,
                    vec![table.clone()],
                    csv(&table),
                )
            }
        };
        let bytes = match format {
            FileFormat::Json => json.into_bytes(),
            FileFormat::Csv => flat.into_bytes(),
            FileFormat::Xlsx => {
                xlsx(&tables).map_err(|e| AppError::Internal(StoreError::Corrupt(e)))?
            }
        };
        Ok(ExportFile {
            file_name: format!(
                "{}-{}-{today}.{}",
                org.slug,
                register.as_str(),
                format.extension()
            ),
            content_type: format.content_type(),
            bytes,
            rows,
        })
    }

    /// Every project matching a register query (all pages), in its order.
    pub async fn matching_projects(
        &self,
        caller: &Caller,
        query: &ProjectQuery,
    ) -> Result<Vec<Project>> {
        caller.require(Permission::ReadProgramme)?;
        let mut filter = query.parse(500)?;
        filter.per_page = 500;
        filter.page = 1;
        let org = caller.organisation_id();
        let mut out = Vec::new();
        loop {
            let page = self.store.list_projects(org, &filter).await?;
            let got = page.projects.len();
            out.extend(page.projects);
            if got == 0 || out.len() as i64 >= page.total {
                break;
            }
            filter.page += 1;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_breaking_characters_are_removed() {
        assert_eq!(
            xml_safe("Bins\u{0}\u{7} & <roads>\u{FFFF}"),
            "Bins & <roads>"
        );
        assert_eq!(xml_safe("line\nbreak\ttab"), "line\nbreak\ttab");
        let long = "x".repeat(40_000);
        assert_eq!(xml_safe(&long).chars().count(), MAX_CELL_CHARS);
    }

    #[test]
    fn sheet_names_are_ones_excel_accepts() {
        assert_eq!(sheet_name("Risks/Issues: [all]?"), "RisksIssues all");
        assert_eq!(sheet_name(&"a".repeat(40)).len(), 31);
        assert_eq!(sheet_name("\u{1}"), "Sheet");
    }

    #[test]
    fn csv_cells_are_formula_safe_and_typed() {
        let table = Table {
            sheet: "T".into(),
            columns: vec![column("A", "a"), column("B", "b"), column("C", "c")],
            rows: vec![vec![
                Value::text("=HYPERLINK(\"http://x\")"),
                Value::Money(123_456),
                Value::Bool(true),
            ]],
        };
        assert_eq!(
            csv(&table),
            "a,b,c\n\"'=HYPERLINK(\"\"http://x\"\")\",123456,yes\n"
        );
    }
}
