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

pub mod read;
pub mod rows;

use std::collections::HashMap;
use std::path::Path;

use portfolio_store::{Actor, ImportCounts, ImportedRow, RowOrigin};
use serde::Serialize;

pub use read::ImportLimits;
pub use rows::MappingFile;

use crate::{App, OrganisationReference, Result};

/// One problem with an import, placed as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// A person's mapping of headers to fields, over the proposed one.
    pub mapping: Option<MappingFile>,
    /// Check and count, but write nothing.
    pub dry_run: bool,
    pub limits: ImportLimits,
}

/// What an import did, or why it did nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub files: Vec<String>,
    /// Rows below the headers that held any value.
    pub rows_read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dry_run: bool,
    /// Whether the projects were written (false on a dry run or any problem).
    pub written: bool,
    pub problems: Vec<ImportProblem>,
}

/// A row that read cleanly, waiting for the write.
struct Ready {
    input: portfolio_domain::ProjectInput,
    origin: RowOrigin,
}

impl App {
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

    /// Imports files into an organisation, all or nothing. `refused` says a
    /// problem was already found (an unreadable file), so nothing is written.
    pub async fn import_files(
        &self,
        organisation_slug: &str,
        files: &[ImportFile],
        options: &ImportOptions,
        actor: &Actor,
        refused: bool,
    ) -> Result<ImportReport> {
        let organisation = self.store.organisation_by_slug(organisation_slug).await?;
        let reference = OrganisationReference {
            departments: self.store.departments(organisation.id).await?,
            themes: self.store.themes(organisation.id).await?,
            organisation,
        };
        let rules = rows::RowRules {
            reference: &reference,
            today: chrono::Utc::now().date_naive(),
        };
        let mut report = ImportReport {
            files: files.iter().map(|f| f.name.clone()).collect(),
            dry_run: options.dry_run,
            ..ImportReport::default()
        };
        let mut ready: Vec<Ready> = Vec::new();
        // (source, row key) → where it was first seen, to refuse repeats.
        let mut seen: HashMap<(String, String), String> = HashMap::new();
        for file in files {
            let source = options.source.clone().unwrap_or_else(|| file.base_name());
            let sheets = match read::read_sheets(
                &file.name,
                &file.bytes,
                options.sheet.as_deref(),
                &options.limits,
            ) {
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
                    });
                    continue;
                }
            };
            for sheet in &sheets {
                let place = rows::SheetPlace {
                    file: &file.name,
                    sheet: sheet.name.as_deref(),
                };
                report.rows_read += sheet.rows.len();
                let (mapping, header_problems) =
                    rows::map_headers(sheet, &place, options.mapping.as_ref());
                if !header_problems.is_empty() {
                    report.problems.extend(header_problems);
                    continue;
                }
                for row in &sheet.rows {
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
                                report.problems.push(place.problem(
                                    Some(row.number),
                                    column,
                                    None,
                                    format!(
                                        "describes the same project as {first} (same {}); each row must be a different project",
                                        if read.row_key.starts_with("code:") { "ID" } else { "title" }
                                    ),
                                ));
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
                            });
                        }
                        Err(mut problems) => report.problems.append(&mut problems),
                    }
                }
            }
        }
        if refused || !report.problems.is_empty() {
            return Ok(report);
        }
        let imported: Vec<ImportedRow<'_>> = ready
            .iter()
            .map(|r| ImportedRow {
                input: &r.input,
                origin: &r.origin,
            })
            .collect();
        let org = &reference.organisation;
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
            }
            Err(refusals) => {
                for (i, errors) in refusals {
                    let origin = &ready[i].origin;
                    for e in errors.0 {
                        report.problems.push(ImportProblem {
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
                        });
                    }
                }
            }
        }
        Ok(report)
    }
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
