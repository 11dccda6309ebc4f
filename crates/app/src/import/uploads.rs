//! The web's import, one step at a time: upload a spreadsheet, preview it
//! and choose what each column holds, check every row, then import.
//!
//! The upload is kept (by the store) between the steps, with the person's
//! mapping; the check is a dry run of the very import the last step makes,
//! so its counts and problems are exactly what importing would do. A mapping
//! can be saved for the upload's source, and is then offered for every later
//! import of that source, here, through the API and on the command line.

use chrono::{DateTime, Utc};
use portfolio_domain::consolidate::columns::{Field, MappingReason};
use portfolio_domain::{Permission, ValidationErrors};
use portfolio_store::{NewUpload, UploadRecord};

use super::{read, rows, ImportFile, ImportLimits, ImportOptions, ImportReport, MappingFile};
use crate::{App, AppError, Caller, Result};

/// Rows shown in a sheet's preview.
pub const PREVIEW_ROWS: usize = 5;

/// Longest source name accepted.
const MAX_SOURCE_CHARS: usize = 200;

/// An uploaded spreadsheet, as its owner sees it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: i64,
    pub file_name: String,
    pub source: String,
    pub sheet: Option<String>,
    pub size_bytes: usize,
    /// The mapping chosen so far: the person's, else the source's saved one.
    pub mapping: Option<MappingFile>,
    /// Whether `mapping` is the one saved for the source (nobody chose yet).
    pub mapping_is_saved: bool,
    /// The import's report, once imported.
    pub outcome: Option<ImportReport>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub committed_at: Option<DateTime<Utc>>,
}

/// One column of a sheet's preview: what it holds and why.
#[derive(Debug, Clone)]
pub struct ColumnChoice {
    pub letter: String,
    pub header: String,
    pub field: Option<Field>,
    /// Why the column holds the field: "exact synonym", "chosen by a person"…
    pub reason: String,
    /// Whether a person should look at it (a close match, say).
    pub needs_confirming: bool,
}

/// A sheet of an upload: its columns, first rows and size.
#[derive(Debug, Clone)]
pub struct SheetPreview {
    pub name: Option<String>,
    pub columns: Vec<ColumnChoice>,
    /// The first rows' cells, as text, in column order.
    pub rows: Vec<Vec<String>>,
    pub row_count: usize,
}

/// An upload with what it holds.
#[derive(Debug, Clone)]
pub struct UploadPreview {
    pub upload: Upload,
    pub sheets: Vec<SheetPreview>,
}

/// A near miss a person confirms: `value` in a `field` column means option `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueConfirmation {
    pub field: String,
    pub value: String,
    pub key: String,
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(ValidationErrors::single(field, message.into()))
}

impl App {
    /// Keeps an uploaded spreadsheet for the steps of its import. A file that
    /// is empty, too large or cannot be read as CSV or XLSX is refused here,
    /// naming why, so nothing unreadable is kept.
    pub async fn upload_spreadsheet(
        &self,
        caller: &Caller,
        file_name: &str,
        bytes: &[u8],
        source: Option<&str>,
        sheet: Option<&str>,
    ) -> Result<i64> {
        caller.require(Permission::EditProjects)?;
        let limits = ImportLimits::default();
        let file_name = std::path::Path::new(file_name.trim())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if file_name.is_empty() {
            return Err(invalid("file", "Select a CSV or XLSX file"));
        }
        if bytes.is_empty() {
            return Err(invalid(
                "file",
                format!("The selected file {file_name} is empty"),
            ));
        }
        if bytes.len() as u64 > limits.max_file_bytes {
            return Err(invalid(
                "file",
                format!(
                    "The selected file {file_name} {}",
                    read::too_big(bytes.len() as u64, &limits)
                ),
            ));
        }
        let source = source.map(str::trim).filter(|s| !s.is_empty());
        if source.is_some_and(|s| s.chars().count() > MAX_SOURCE_CHARS) {
            return Err(invalid(
                "source",
                format!("Source name must be {MAX_SOURCE_CHARS} characters or fewer"),
            ));
        }
        let sheet = sheet.map(str::trim).filter(|s| !s.is_empty());
        if let Err(e) = read::read_sheets(&file_name, bytes, sheet, &limits) {
            let place = e
                .sheet
                .map(|s| format!(", sheet '{s}'"))
                .unwrap_or_default();
            return Err(invalid(
                "file",
                format!("The selected file {file_name}{place} {}", e.message),
            ));
        }
        let source = source.map_or_else(|| file_name.clone(), str::to_string);
        Ok(self
            .store
            .create_upload(
                NewUpload {
                    organisation_id: caller.organisation_id(),
                    user_id: caller.user.id,
                    file_name: &file_name,
                    content: bytes,
                    source: &source,
                    sheet,
                },
                &caller.actor(),
            )
            .await?)
    }

    async fn upload_record(&self, caller: &Caller, id: i64) -> Result<UploadRecord> {
        caller.require(Permission::EditProjects)?;
        Ok(self
            .store
            .upload(caller.organisation_id(), caller.user.id, id)
            .await?)
    }

    async fn upload_view(&self, record: &UploadRecord) -> Result<Upload> {
        let (mapping, mapping_is_saved) = match &record.mapping {
            Some(m) => (MappingFile::parse("upload.json", m).ok(), false),
            None => match self
                .store
                .saved_mapping(record.organisation_id, &record.source)
                .await?
            {
                Some(saved) => (MappingFile::parse("saved.json", &saved.mapping).ok(), true),
                None => (None, false),
            },
        };
        Ok(Upload {
            id: record.id,
            file_name: record.file_name.clone(),
            source: record.source.clone(),
            sheet: record.sheet.clone(),
            size_bytes: record.content.len(),
            mapping,
            mapping_is_saved,
            outcome: record
                .outcome
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok()),
            version: record.version,
            created_at: record.created_at,
            committed_at: record.committed_at,
        })
    }

    /// One of the caller's uploads.
    pub async fn upload(&self, caller: &Caller, id: i64) -> Result<Upload> {
        let record = self.upload_record(caller, id).await?;
        self.upload_view(&record).await
    }

    /// An upload's sheets: each column's field (as the mapping so far would
    /// read it) and the first rows.
    pub async fn upload_preview(&self, caller: &Caller, id: i64) -> Result<UploadPreview> {
        let record = self.upload_record(caller, id).await?;
        let upload = self.upload_view(&record).await?;
        let sheets = read::read_sheets(
            &record.file_name,
            &record.content,
            record.sheet.as_deref(),
            &ImportLimits::default(),
        )
        .map_err(|e| invalid("file", e.message))?;
        let previews = sheets
            .iter()
            .map(|sheet| {
                let place = rows::SheetPlace {
                    file: &record.file_name,
                    sheet: sheet.name.as_deref(),
                };
                let (mapping, _) = rows::map_headers(sheet, &place, upload.mapping.as_ref());
                SheetPreview {
                    name: sheet.name.clone(),
                    columns: mapping
                        .columns
                        .iter()
                        .map(|c| ColumnChoice {
                            letter: c.column.clone(),
                            header: c.header.clone(),
                            field: c.field,
                            reason: c.reason.describe(),
                            needs_confirming: c.reason.needs_confirming()
                                || matches!(c.reason, MappingReason::FieldTaken { .. }),
                        })
                        .collect(),
                    rows: sheet
                        .rows
                        .iter()
                        .take(PREVIEW_ROWS)
                        .map(|r| {
                            (0..mapping.columns.len())
                                .map(|i| r.cells.get(i).map(read::Cell::text).unwrap_or_default())
                                .collect()
                        })
                        .collect(),
                    row_count: sheet.rows.len(),
                }
            })
            .collect();
        Ok(UploadPreview {
            upload,
            sheets: previews,
        })
    }

    /// Records the person's choice of field per header (`None`: ignore the
    /// column), keeping values confirmed earlier; with `save_for_source`, the
    /// mapping is also offered for every later import of the same source.
    pub async fn choose_upload_columns(
        &self,
        caller: &Caller,
        id: i64,
        expected_version: i64,
        columns: &[(String, Option<Field>)],
        save_for_source: bool,
    ) -> Result<i64> {
        let record = self.upload_record(caller, id).await?;
        let current = self.upload_view(&record).await?;
        if record.committed_at.is_some() {
            return Err(already_imported());
        }
        let mut taken: Vec<(Field, &str)> = Vec::new();
        for (header, field) in columns {
            if let Some(field) = field {
                if let Some((_, first)) = taken.iter().find(|(f, _)| f == field) {
                    return Err(invalid(
                        "columns",
                        format!(
                            "'{header}' and '{first}' are both chosen as {}; choose it for one column only",
                            field.label().to_lowercase()
                        ),
                    ));
                }
                taken.push((*field, header));
            }
        }
        let mut mapping = current.mapping.unwrap_or_default();
        for (header, field) in columns {
            mapping.set_column(header, *field);
        }
        self.write_upload_mapping(caller, &record, expected_version, &mapping, save_for_source)
            .await
    }

    /// Confirms near misses ("Health & Care" means Health and Social Care)
    /// for this upload; they are saved with the mapping.
    pub async fn confirm_upload_values(
        &self,
        caller: &Caller,
        id: i64,
        expected_version: i64,
        confirmations: &[ValueConfirmation],
        save_for_source: bool,
    ) -> Result<i64> {
        let record = self.upload_record(caller, id).await?;
        if record.committed_at.is_some() {
            return Err(already_imported());
        }
        let reference = self.reference(caller).await?;
        let mut mapping = self.upload_view(&record).await?.mapping.unwrap_or_default();
        for c in confirmations {
            let known = match c.field.as_str() {
                "department" => reference.departments.iter().any(|d| d.slug == c.key),
                "themes" => reference.themes.iter().any(|t| t.slug == c.key),
                "stage" => portfolio_domain::Stage::parse(&c.key).is_ok(),
                "confidence" => portfolio_domain::DeliveryConfidence::parse(&c.key).is_ok(),
                _ => false,
            };
            if !known {
                return Err(invalid(
                    "values",
                    format!("'{}' is not a {} of this organisation", c.key, c.field),
                ));
            }
            mapping
                .confirm_value(&c.field, &c.value, &c.key)
                .map_err(|e| invalid("values", e))?;
        }
        self.write_upload_mapping(caller, &record, expected_version, &mapping, save_for_source)
            .await
    }

    async fn write_upload_mapping(
        &self,
        caller: &Caller,
        record: &UploadRecord,
        expected_version: i64,
        mapping: &MappingFile,
        save_for_source: bool,
    ) -> Result<i64> {
        self.store
            .set_upload_mapping(
                record,
                expected_version,
                &mapping.to_json(),
                save_for_source,
                &caller.actor(),
            )
            .await
            .map_err(|e| match e {
                portfolio_store::StoreError::Conflict { .. } => AppError::Conflict {
                    entity: "import",
                    current: Box::new(None),
                },
                other => other.into(),
            })
    }

    fn upload_options(upload: &Upload, dry_run: bool, valid_only: bool) -> ImportOptions {
        ImportOptions {
            source: Some(upload.source.clone()),
            sheet: upload.sheet.clone(),
            mapping: upload.mapping.clone(),
            dry_run,
            valid_only,
            limits: ImportLimits::default(),
        }
    }

    /// Checks every row of an upload with its mapping: a dry run of the
    /// import, so the counts and problems are what importing would do.
    pub async fn check_upload(&self, caller: &Caller, id: i64) -> Result<ImportReport> {
        let record = self.upload_record(caller, id).await?;
        let upload = self.upload_view(&record).await?;
        let file = ImportFile {
            name: record.file_name.clone(),
            bytes: record.content.clone(),
        };
        self.import(caller, &[file], &Self::upload_options(&upload, true, false))
            .await
    }

    /// Imports an upload: all or nothing, or (`valid_only`) the rows that
    /// read cleanly, keeping the rejected ones to download. An upload is
    /// imported once.
    pub async fn commit_upload(
        &self,
        caller: &Caller,
        id: i64,
        valid_only: bool,
    ) -> Result<ImportReport> {
        let record = self.upload_record(caller, id).await?;
        if record.committed_at.is_some() {
            return Err(already_imported());
        }
        let upload = self.upload_view(&record).await?;
        let file = ImportFile {
            name: record.file_name.clone(),
            bytes: record.content.clone(),
        };
        let report = self
            .import(
                caller,
                &[file],
                &Self::upload_options(&upload, false, valid_only),
            )
            .await?;
        if report.written {
            let outcome = serde_json::to_string(&report).unwrap_or_else(|_| "{}".into());
            self.store
                .finish_upload(
                    &record,
                    &outcome,
                    report.rejected_csv().as_deref(),
                    &caller.actor(),
                )
                .await
                .map_err(|e| match e {
                    portfolio_store::StoreError::Conflict { .. } => already_imported(),
                    other => other.into(),
                })?;
        }
        Ok(report)
    }

    /// The rows an import of this upload left out, with their reasons, as CSV.
    pub async fn upload_rejected_csv(&self, caller: &Caller, id: i64) -> Result<String> {
        let record = self.upload_record(caller, id).await?;
        record
            .rejected_csv
            .ok_or(AppError::NotFound("rejected rows"))
    }

    /// The mapping saved for a source, if any.
    pub async fn saved_mapping(
        &self,
        caller: &Caller,
        source: &str,
    ) -> Result<Option<MappingFile>> {
        caller.require(Permission::ReadProgramme)?;
        let saved = self
            .store
            .saved_mapping(caller.organisation_id(), source.trim())
            .await?;
        Ok(saved.and_then(|m| MappingFile::parse("saved.json", &m.mapping).ok()))
    }

    /// Saves a mapping for a source (the API's and the command line's way).
    pub async fn save_mapping(
        &self,
        caller: &Caller,
        source: &str,
        mapping: &MappingFile,
    ) -> Result<()> {
        caller.require(Permission::EditProjects)?;
        let source = source.trim();
        if source.is_empty() || source.chars().count() > MAX_SOURCE_CHARS {
            return Err(invalid(
                "source",
                format!("A source name must have 1 to {MAX_SOURCE_CHARS} characters"),
            ));
        }
        self.store
            .save_mapping(
                caller.organisation_id(),
                source,
                &mapping.to_json(),
                &caller.actor(),
            )
            .await?;
        Ok(())
    }
}

fn already_imported() -> AppError {
    invalid(
        "upload",
        "This spreadsheet has already been imported; upload it again to import it again",
    )
}
