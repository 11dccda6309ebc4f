//! Importing departments' spreadsheets (CSV and XLSX) into the register.
//!
//! An import reads every file ([`read`]), maps each sheet's headers and turns
//! each row into a validated project ([`rows`]), and then writes them all in
//! one transaction through the store, which creates new rows' projects and
//! updates those a previous import of the same source created. Nothing is
//! written when any row has a problem: the [`ImportReport`] lists every
//! problem with its file, sheet, row (as the spreadsheet shows it, the header
//! being row 1), column letter and header, the value and the reason. A dry
//! run does all of this, including the write, and rolls it back, so its
//! counts are exactly what a real import would do.
//!
//! The source of a row is `--source` when given, else its file's name: a
//! re-import of "health.csv" updates what "health.csv" created before.
//!
//! What it must not do: hold SQL (the store's), or parse a cell itself (the
//! domain's consolidation parsers do).

pub use portfolio_readers as read;
pub mod rows;
pub mod uploads;

use std::collections::HashMap;
use std::path::Path;

use portfolio_store::{Actor, ImportCounts, ImportedRow, RowOrigin};
use serde::{Deserialize, Serialize};

pub use read::ImportLimits;
pub use rows::MappingFile;

use portfolio_domain::Permission;

use crate::{App, Caller, OrganisationReference, Result};

/// One problem with an import, placed as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportProblem {
    pub file: String,
    pub sheet: Option<String>,
    /// As the spreadsheet shows it; the header row is 1.
    pub row: Option<u32>,
    /// The column's letter: A, B, … AA.
    pub column: Option<String>,
    pub header: Option<String>,
    pub value: Option<String>,
    pub reason: String,
    /// A near miss's likely option, for a person to confirm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<ValueSuggestion>,
}

/// "Health & Care" in a department column probably means "Health and Social
/// Care": the import does not guess, but offers the option to confirm. A
/// confirmed value goes into the mapping ([`MappingFile::confirm_value`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValueSuggestion {
    /// The field's name: department, stage, confidence or themes.
    pub field: String,
    /// The value as the cell holds it.
    pub value: String,
    /// The option's key (a slug, or a stage's or confidence's name).
    pub key: String,
    /// The option as people read it.
    pub label: String,
}

impl std::fmt::Display for ImportProblem {
    /// `health.xlsx, sheet 'Projects', row 7, column D (Cost £k): '£1.2x' is not…`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, ", sheet '{sheet}'")?;
        }
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
            if let Some(header) = &self.header {
                write!(f, " ({header})")?;
            }
        }
        f.write_str(": ")?;
        if let Some(value) = &self.value {
            // The domain's parsers often quote the value in their reason already.
            let quoted = format!("'{value}'");
            if !self.reason.starts_with(&quoted) {
                write!(f, "{quoted} ")?;
            }
        }
        f.write_str(&self.reason)
    }
}

/// A file to import: its name (for reports and the default source) and bytes.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl ImportFile {
    /// Reads a file from disk, refusing one over the size limit before reading it.
    pub fn read(path: &Path, limits: &ImportLimits) -> Result<ImportFile, Box<ImportProblem>> {
        let name = path.display().to_string();
        let problem = |reason: String| {
            Box::new(ImportProblem {
                file: name.clone(),
                sheet: None,
                row: None,
                column: None,
                header: None,
                value: None,
                reason,
                suggestion: None,
            })
        };
        let size = std::fs::metadata(path)
            .map_err(|e| problem(format!("could not be read: {e}")))?
            .len();
        if size > limits.max_file_bytes {
            return Err(problem(read::too_big(size, limits)));
        }
        let bytes = std::fs::read(path).map_err(|e| problem(format!("could not be read: {e}")))?;
        Ok(ImportFile { name, bytes })
    }

    /// The file's own name, without its folder: the default source.
    fn base_name(&self) -> String {
        Path::new(&self.name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.name.clone())
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The source every file's rows belong to; default: each file's own name.
    pub source: Option<String>,
    /// Import only this sheet of each workbook.
    pub sheet: Option<String>,
    /// A person's mapping of headers to fields, over the proposed one. Without
    /// one, the mapping saved for the source (if any) is used.
    pub mapping: Option<MappingFile>,
    /// Check and count, but write nothing.
    pub dry_run: bool,
    /// Import the rows that read cleanly and leave out the others (listed in
    /// [`ImportReport::rejected`]), instead of all or nothing.
    pub valid_only: bool,
    pub limits: ImportLimits,
}

/// What an import did, or why it did nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub files: Vec<String>,
    /// Rows below the headers that held any value.
    pub rows_read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dry_run: bool,
    /// Whether valid rows were imported without the rejected ones.
    pub valid_only: bool,
    /// Whether the projects were written (false on a dry run, or on any
    /// problem unless only valid rows were asked for).
    pub written: bool,
    pub problems: Vec<ImportProblem>,
    /// The rows with problems, as the file holds them, with their reasons:
    /// left out of a valid-only import, or the reason an all-or-nothing
    /// import wrote nothing.
    pub rejected: Vec<RejectedSheet>,
    /// The sources whose saved mapping was applied.
    pub saved_mappings_used: Vec<String>,
}

/// A sheet's rejected rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RejectedSheet {
    pub file: String,
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<RejectedRow>,
}

/// A row left out, its cells as text and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RejectedRow {
    /// As the spreadsheet shows it; the header row is 1.
    pub row: u32,
    pub cells: Vec<String>,
    pub reasons: Vec<String>,
}

impl ImportReport {
    /// How many rows were rejected.
    pub fn rejected_rows(&self) -> usize {
        self.rejected.iter().map(|s| s.rows.len()).sum()
    }

    /// The rejected rows as CSV, to correct and import again: the file,
    /// sheet, row and reason, then every header the rejected rows' sheets
    /// have, each row's cells under its own headers. Cells a spreadsheet
    /// would run as a formula are neutralised. `None` when nothing was rejected.
    pub fn rejected_csv(&self) -> Option<String> {
        if self.rejected_rows() == 0 {
            return None;
        }
        let mut headers: Vec<&str> = Vec::new();
        for sheet in &self.rejected {
            for h in &sheet.headers {
                if !headers.contains(&h.as_str()) {
                    headers.push(h);
                }
            }
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head = vec!["File", "Sheet", "Row", "Reason"];
        head.extend(headers.iter().copied());
        let _ = w.write_record(head.iter().map(|h| crate::export::safe_cell(h)));
        for sheet in &self.rejected {
            let positions: Vec<usize> = sheet
                .headers
                .iter()
                .map(|h| headers.iter().position(|x| x == h).unwrap_or(0))
                .collect();
            for row in &sheet.rows {
                let mut record = vec![
                    sheet.file.clone(),
                    sheet.sheet.clone().unwrap_or_default(),
                    row.row.to_string(),
                    row.reasons.join("; "),
                ];
                let mut cells = vec![String::new(); headers.len()];
                for (i, cell) in row.cells.iter().enumerate() {
                    if let Some(&at) = positions.get(i) {
                        cells[at].clone_from(cell);
                    }
                }
                record.extend(cells);
                let _ = w.write_record(record.iter().map(|c| crate::export::safe_cell(c)));
            }
        }
        w.into_inner()
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Adds a rejected row (its sheet entry made on first use).
    fn reject(
        &mut self,
        sheet: &read::Sheet,
        file: &str,
        row: &read::DataRow,
        reasons: Vec<String>,
    ) {
        let same = |s: &RejectedSheet| s.file == file && s.sheet == sheet.name;
        if !self.rejected.last().is_some_and(same) {
            self.rejected.push(RejectedSheet {
                file: file.to_string(),
                sheet: sheet.name.clone(),
                headers: sheet.headers.clone(),
                rows: Vec::new(),
            });
        }
        if let Some(last) = self.rejected.last_mut() {
            last.rows.push(RejectedRow {
                row: row.number,
                cells: row.cells.iter().map(read::Cell::text).collect(),
                reasons,
            });
        }
    }
}

/// A row that read cleanly, waiting for the write, and where its cells are.
struct Ready {
    input: portfolio_domain::ProjectInput,
    origin: RowOrigin,
    /// (file, sheet, row) positions in the sheets read.
    at: (usize, usize, usize),
}

impl App {
    /// Imports files into the caller's organisation (the web and the API).
    pub async fn import(
        &self,
        caller: &Caller,
        files: &[ImportFile],
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        caller.require(Permission::EditProjects)?;
        let organisation = self.store.organisation(caller.organisation_id()).await?;
        self.import_into(organisation, files, options, &caller.actor(), false)
            .await
    }

    /// Imports files from disk into an organisation (the command line's import).
    pub async fn import_paths(
        &self,
        organisation_slug: &str,
        paths: &[&Path],
        options: &ImportOptions,
        actor: &Actor,
    ) -> Result<ImportReport> {
        let mut files = Vec::new();
        let mut unreadable = Vec::new();
        for path in paths {
            match ImportFile::read(path, &options.limits) {
                Ok(file) => files.push(file),
                Err(problem) => unreadable.push(*problem),
            }
        }
        let mut report = self
            .import_files(
                organisation_slug,
                &files,
                options,
                actor,
                !unreadable.is_empty(),
            )
            .await?;
        report.files = paths.iter().map(|p| p.display().to_string()).collect();
        unreadable.append(&mut report.problems);
        report.problems = unreadable;
        Ok(report)
    }

    /// Imports files into an organisation. `refused` says a problem was
    /// already found (an unreadable file), so an all-or-nothing import writes nothing.
    pub async fn import_files(
        &self,
        organisation_slug: &str,
        files: &[ImportFile],
        options: &ImportOptions,
        actor: &Actor,
        refused: bool,
    ) -> Result<ImportReport> {
        let organisation = self.store.organisation_by_slug(organisation_slug).await?;
        self.import_into(organisation, files, options, actor, refused)
            .await
    }

    /// The mapping to read a source with: the one given, else the one saved for it.
    async fn mapping_for(
        &self,
        organisation_id: i64,
        source: &str,
        options: &ImportOptions,
        saved: &mut HashMap<String, Option<MappingFile>>,
    ) -> Result<Option<MappingFile>> {
        if let Some(given) = &options.mapping {
            return Ok(Some(given.clone()));
        }
        if !saved.contains_key(source) {
            let found = self.store.saved_mapping(organisation_id, source).await?;
            let parsed = found.and_then(|m| MappingFile::parse("saved.json", &m.mapping).ok());
            saved.insert(source.to_string(), parsed);
        }
        Ok(saved.get(source).cloned().flatten())
    }

    async fn import_into(
        &self,
        organisation: portfolio_domain::organisation::Organisation,
        files: &[ImportFile],
        options: &ImportOptions,
        actor: &Actor,
        refused: bool,
    ) -> Result<ImportReport> {
        let reference = OrganisationReference {
            departments: self.store.departments(organisation.id).await?,
            themes: self.store.themes(organisation.id).await?,
            organisation,
        };
        let org_id = reference.organisation.id;
        let started = std::time::Instant::now();
        let mut read_time = std::time::Duration::ZERO;
        let mut report = ImportReport {
            files: files.iter().map(|f| f.name.clone()).collect(),
            dry_run: options.dry_run,
            valid_only: options.valid_only,
            ..ImportReport::default()
        };
        let mut ready: Vec<Ready> = Vec::new();
        let mut read_files: Vec<Vec<read::Sheet>> = Vec::new();
        let mut saved: HashMap<String, Option<MappingFile>> = HashMap::new();
        let row_options = rows::RowOptions::new(&reference);
        // (source, row key) → where it was first seen, to refuse repeats.
        let mut seen: HashMap<(String, String), String> = HashMap::new();
        for (file_index, file) in files.iter().enumerate() {
            let source = options.source.clone().unwrap_or_else(|| file.base_name());
            let file_mapping = self
                .mapping_for(org_id, &source, options, &mut saved)
                .await?;
            if options.mapping.is_none()
                && file_mapping.is_some()
                && !report.saved_mappings_used.contains(&source)
            {
                report.saved_mappings_used.push(source.clone());
            }
            let rules = rows::RowRules {
                reference: &reference,
                today: chrono::Utc::now().date_naive(),
                mapping: file_mapping.as_ref(),
                options: &row_options,
            };
            let reading = std::time::Instant::now();
            let sheets = read::read_sheets(
                &file.name,
                &file.bytes,
                options.sheet.as_deref(),
                &options.limits,
            );
            read_time += reading.elapsed();
            let sheets = match sheets {
                Ok(sheets) => sheets,
                Err(e) => {
                    report.problems.push(ImportProblem {
                        file: file.name.clone(),
                        sheet: e.sheet,
                        row: e.row,
                        column: e.column,
                        header: None,
                        value: None,
                        reason: e.message,
                        suggestion: None,
                    });
                    read_files.push(Vec::new());
                    continue;
                }
            };
            for (sheet_index, sheet) in sheets.iter().enumerate() {
                let place = rows::SheetPlace {
                    file: &file.name,
                    sheet: sheet.name.as_deref(),
                };
                report.rows_read += sheet.rows.len();
                let (mapping, header_problems) =
                    rows::map_headers(sheet, &place, file_mapping.as_ref());
                if !header_problems.is_empty() {
                    let reasons: Vec<String> =
                        header_problems.iter().map(|p| p.to_string()).collect();
                    for row in &sheet.rows {
                        report.reject(sheet, &file.name, row, reasons.clone());
                    }
                    report.problems.extend(header_problems);
                    continue;
                }
                for (row_index, row) in sheet.rows.iter().enumerate() {
                    match rows::read_row(row, &mapping, &place, &rules) {
                        Ok(read) => {
                            let here = match &sheet.name {
                                Some(s) => {
                                    format!("{}, sheet '{s}', row {}", file.name, row.number)
                                }
                                None => format!("{}, row {}", file.name, row.number),
                            };
                            let key = (source.clone(), read.row_key.clone());
                            if let Some(first) = seen.get(&key) {
                                let column = mapping
                                    .column_for(portfolio_domain::consolidate::columns::Field::Code)
                                    .or_else(|| {
                                        mapping.column_for(
                                            portfolio_domain::consolidate::columns::Field::Title,
                                        )
                                    });
                                let problem = place.problem(
                                    Some(row.number),
                                    column,
                                    None,
                                    format!(
                                        "describes the same project as {first} (same {}); each row must be a different project",
                                        if read.row_key.starts_with("code:") { "ID" } else if read.row_key.starts_with("register:") { "register code" } else { "title" }
                                    ),
                                );
                                report.reject(sheet, &file.name, row, vec![problem.reason.clone()]);
                                report.problems.push(problem);
                                continue;
                            }
                            seen.insert(key, here);
                            ready.push(Ready {
                                input: read.input,
                                origin: RowOrigin {
                                    source: source.clone(),
                                    row_key: read.row_key,
                                    file: file.name.clone(),
                                    sheet: sheet.name.clone(),
                                    row: i64::from(row.number),
                                },
                                at: (file_index, sheet_index, row_index),
                            });
                        }
                        Err(problems) => {
                            let reasons = problems.iter().map(cell_reason).collect();
                            report.reject(sheet, &file.name, row, reasons);
                            report.problems.extend(problems);
                        }
                    }
                }
            }
            // Only a valid-only import needs the cells again (to return rows
            // the store refuses); otherwise they are let go now.
            read_files.push(if options.valid_only {
                sheets
            } else {
                Vec::new()
            });
        }
        tracing::debug!(
            rows = report.rows_read,
            read_ms = read_time.as_millis() as u64,
            check_ms = (started.elapsed() - read_time).as_millis() as u64,
            "import: files read and rows checked"
        );
        let writing = std::time::Instant::now();
        let stopped = refused || !report.problems.is_empty();
        if (stopped && !options.valid_only) || ready.is_empty() {
            return Ok(report);
        }
        let org = &reference.organisation;
        // A valid-only import leaves out rows the store refuses too, and tries again once.
        for attempt in 0..2 {
            let imported: Vec<ImportedRow<'_>> = ready
                .iter()
                .map(|r| ImportedRow {
                    input: &r.input,
                    origin: &r.origin,
                })
                .collect();
            let outcome = self
                .store
                .import_projects(
                    org.id,
                    &org.project_code_prefix,
                    &imported,
                    actor,
                    !options.dry_run,
                    |current, input| input.check_update(current),
                )
                .await?;
            match outcome {
                Ok(ImportCounts {
                    created,
                    updated,
                    unchanged,
                }) => {
                    report.created = created;
                    report.updated = updated;
                    report.unchanged = unchanged;
                    report.written = !options.dry_run;
                    break;
                }
                Err(refusals) => {
                    let mut refused_rows = Vec::new();
                    for (i, errors) in refusals {
                        let origin = &ready[i].origin;
                        let mut reasons = Vec::new();
                        for e in errors.0 {
                            let problem = ImportProblem {
                                file: origin.file.clone(),
                                sheet: origin.sheet.clone(),
                                row: u32::try_from(origin.row).ok(),
                                column: None,
                                header: None,
                                value: None,
                                reason: format!(
                                    "would change the project this row created before, but its {} {}",
                                    e.field, e.message
                                ),
                                suggestion: None,
                            };
                            reasons.push(problem.reason.clone());
                            report.problems.push(problem);
                        }
                        let (f, s, r) = ready[i].at;
                        if let Some(sheet) = read_files.get(f).and_then(|sheets| sheets.get(s)) {
                            report.reject(sheet, &files[f].name, &sheet.rows[r], reasons);
                        }
                        refused_rows.push(i);
                    }
                    if !options.valid_only || attempt == 1 {
                        break;
                    }
                    let mut index = 0;
                    ready.retain(|_| {
                        let keep = !refused_rows.contains(&index);
                        index += 1;
                        keep
                    });
                    if ready.is_empty() {
                        break;
                    }
                }
            }
        }
        tracing::debug!(
            created = report.created,
            updated = report.updated,
            write_ms = writing.elapsed().as_millis() as u64,
            "import: written"
        );
        Ok(report)
    }
}

/// A problem's reason as a rejected row's reason column says it: the column and the reason.
fn cell_reason(problem: &ImportProblem) -> String {
    let mut out = String::new();
    if let Some(column) = &problem.column {
        out.push_str(&format!("column {column}"));
        if let Some(header) = &problem.header {
            out.push_str(&format!(" ({header})"));
        }
        out.push_str(": ");
    }
    if let Some(value) = &problem.value {
        let quoted = format!("'{value}'");
        if !problem.reason.starts_with(&quoted) {
            out.push_str(&quoted);
            out.push(' ');
        }
    }
    out.push_str(&problem.reason);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(value: &str, reason: &str) -> ImportProblem {
        ImportProblem {
            file: "health.csv".into(),
            sheet: None,
            row: Some(4),
            column: Some("E".into()),
            header: Some("Start".into()),
            value: Some(value.into()),
            reason: reason.into(),
            suggestion: None,
        }
    }

    #[test]
    fn a_problem_names_its_place_and_quotes_the_value_once() {
        assert_eq!(
            problem("31/02/2026", "'31/02/2026' is not a real date: February 2026 has 28 days")
                .to_string(),
            "health.csv, row 4, column E (Start): '31/02/2026' is not a real date: February 2026 has 28 days"
        );
        assert_eq!(
            problem("soon", "is not a date").to_string(),
            "health.csv, row 4, column E (Start): 'soon' is not a date"
        );
    }
}
