//! Spreadsheets uploaded through the web between the steps of their import,
//! and the column mappings people saved per source.
//!
//! An upload belongs to the person who sent it: every read and write names
//! the organisation and the user, and another user's upload is "not found".
//! Its mapping is written with optimistic concurrency (two tabs choosing
//! columns for the same upload cannot overwrite each other silently).
//! Uploads older than [`UPLOAD_LIFETIME_DAYS`] are removed when the same
//! person uploads again.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::audit::{insert_audit, AuditRecord};
use crate::{format_time, get, now_text, parse_time, Actor, Result, Store, StoreError};

/// How long an upload is kept for its import to be finished.
pub const UPLOAD_LIFETIME_DAYS: i64 = 7;

/// An uploaded spreadsheet and where its import has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub id: i64,
    pub organisation_id: i64,
    pub user_id: i64,
    pub file_name: String,
    pub content: Vec<u8>,
    /// The source its rows belong to (its file name unless a person named one).
    pub source: String,
    /// Only this sheet of a workbook is imported.
    pub sheet: Option<String>,
    /// The person's mapping as JSON, once chosen.
    pub mapping: Option<String>,
    /// The import's report as JSON, once imported.
    pub outcome: Option<String>,
    /// The rows left out, with their reasons, as CSV.
    pub rejected_csv: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub committed_at: Option<DateTime<Utc>>,
}

/// What a new upload holds.
#[derive(Debug, Clone, Copy)]
pub struct NewUpload<'a> {
    pub organisation_id: i64,
    pub user_id: i64,
    pub file_name: &'a str,
    pub content: &'a [u8],
    pub source: &'a str,
    pub sheet: Option<&'a str>,
}

/// A mapping saved for a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedMapping {
    pub source: String,
    pub mapping: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

const UPLOAD_COLUMNS: &str =
    "id, organisation_id, user_id, file_name, content, source, sheet, mapping, \
     outcome, rejected_csv, version, created_at, committed_at";

fn upload_from(row: &sqlx::any::AnyRow) -> Result<UploadRecord> {
    let committed: Option<String> = get(row, "committed_at")?;
    Ok(UploadRecord {
        id: get(row, "id")?,
        organisation_id: get(row, "organisation_id")?,
        user_id: get(row, "user_id")?,
        file_name: get(row, "file_name")?,
        content: get(row, "content")?,
        source: get(row, "source")?,
        sheet: get(row, "sheet")?,
        mapping: get(row, "mapping")?,
        outcome: get(row, "outcome")?,
        rejected_csv: get(row, "rejected_csv")?,
        version: get(row, "version")?,
        created_at: parse_time(&get::<String>(row, "created_at")?)?,
        committed_at: committed.as_deref().map(parse_time).transpose()?,
    })
}

impl Store {
    /// Keeps an uploaded spreadsheet for the steps of its import, and removes
    /// the same person's uploads older than [`UPLOAD_LIFETIME_DAYS`].
    pub async fn create_upload(&self, upload: NewUpload<'_>, actor: &Actor) -> Result<i64> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let cutoff = format_time(Utc::now() - chrono::Duration::days(UPLOAD_LIFETIME_DAYS));
        sqlx::query(
            "DELETE FROM import_uploads WHERE organisation_id = $1 AND user_id = $2 AND created_at < $3",
        )
        .bind(upload.organisation_id)
        .bind(upload.user_id)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "INSERT INTO import_uploads (organisation_id, user_id, file_name, content, source, sheet, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(upload.organisation_id)
        .bind(upload.user_id)
        .bind(upload.file_name.to_string())
        .bind(upload.content.to_vec())
        .bind(upload.source.to_string())
        .bind(upload.sheet.map(str::to_string))
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        // An upload changes nothing in the programme: it is audited, but the
        // organisation's data version (and its caches) are left alone.
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(upload.organisation_id),
                entity: "import_upload",
                entity_id: id,
                action: "uploaded",
                before: None,
                after: Some(json!({
                    "file_name": upload.file_name,
                    "source": upload.source,
                    "sheet": upload.sheet,
                    "bytes": upload.content.len(),
                })),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One of a person's uploads.
    pub async fn upload(
        &self,
        organisation_id: i64,
        user_id: i64,
        id: i64,
    ) -> Result<UploadRecord> {
        let row = sqlx::query(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM import_uploads WHERE id = $1 AND organisation_id = $2 AND user_id = $3"
        ))
        .bind(id)
        .bind(organisation_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { entity: "upload" })?;
        upload_from(&row)
    }

    /// Records the person's mapping for an upload, if the upload is still at
    /// `expected_version`, and with `save_for_source` also saves it for the
    /// upload's source, in one transaction; returns the upload's new version.
    pub async fn set_upload_mapping(
        &self,
        upload: &UploadRecord,
        expected_version: i64,
        mapping: &str,
        save_for_source: bool,
        actor: &Actor,
    ) -> Result<i64> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE import_uploads SET mapping = $1, version = version + 1 \
             WHERE id = $2 AND organisation_id = $3 AND user_id = $4 AND version = $5 AND committed_at IS NULL",
        )
        .bind(mapping.to_string())
        .bind(upload.id)
        .bind(upload.organisation_id)
        .bind(upload.user_id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let current = self
                .upload(upload.organisation_id, upload.user_id, upload.id)
                .await?;
            return Err(StoreError::Conflict {
                entity: "upload",
                current_version: current.version,
                current: Box::new(None),
            });
        }
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(upload.organisation_id),
                entity: "import_upload",
                entity_id: upload.id,
                action: "mapped",
                before: upload
                    .mapping
                    .as_deref()
                    .and_then(|m| serde_json::from_str(m).ok()),
                after: serde_json::from_str(mapping).ok(),
                actor,
            }],
        )
        .await?;
        if save_for_source {
            save_mapping_in(
                &mut tx,
                upload.organisation_id,
                &upload.source,
                mapping,
                actor,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(expected_version + 1)
    }

    /// Records that an upload was imported: the report and the rows left out.
    /// An upload is imported once; a second attempt is a conflict.
    pub async fn finish_upload(
        &self,
        upload: &UploadRecord,
        outcome: &str,
        rejected_csv: Option<&str>,
        actor: &Actor,
    ) -> Result<()> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE import_uploads SET outcome = $1, rejected_csv = $2, committed_at = $3, version = version + 1 \
             WHERE id = $4 AND organisation_id = $5 AND user_id = $6 AND committed_at IS NULL",
        )
        .bind(outcome.to_string())
        .bind(rejected_csv.map(str::to_string))
        .bind(now_text())
        .bind(upload.id)
        .bind(upload.organisation_id)
        .bind(upload.user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                entity: "upload",
                current_version: upload.version + 1,
                current: Box::new(None),
            });
        }
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(upload.organisation_id),
                entity: "import_upload",
                entity_id: upload.id,
                action: "imported",
                before: None,
                after: serde_json::from_str(outcome).ok(),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The mapping saved for a source, if any.
    pub async fn saved_mapping(
        &self,
        organisation_id: i64,
        source: &str,
    ) -> Result<Option<SavedMapping>> {
        let row = sqlx::query(
            "SELECT source, mapping, version, updated_at FROM import_mappings WHERE organisation_id = $1 AND source = $2",
        )
        .bind(organisation_id)
        .bind(source.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(SavedMapping {
                source: get(&row, "source")?,
                mapping: get(&row, "mapping")?,
                version: get(&row, "version")?,
                updated_at: parse_time(&get::<String>(&row, "updated_at")?)?,
            })
        })
        .transpose()
    }

    /// Saves (or replaces) the mapping for a source, with its audit record.
    pub async fn save_mapping(
        &self,
        organisation_id: i64,
        source: &str,
        mapping: &str,
        actor: &Actor,
    ) -> Result<SavedMapping> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let saved = save_mapping_in(&mut tx, organisation_id, source, mapping, actor).await?;
        tx.commit().await?;
        Ok(saved)
    }
}

/// Saves a source's mapping inside a transaction, with its audit record.
async fn save_mapping_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    organisation_id: i64,
    source: &str,
    mapping: &str,
    actor: &Actor,
) -> Result<SavedMapping> {
    let before = sqlx::query(
        "SELECT id, mapping FROM import_mappings WHERE organisation_id = $1 AND source = $2",
    )
    .bind(organisation_id)
    .bind(source.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    let now = now_text();
    let row = sqlx::query(
        "INSERT INTO import_mappings (organisation_id, source, mapping, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (organisation_id, source) DO UPDATE SET mapping = excluded.mapping, \
         updated_at = excluded.updated_at, version = import_mappings.version + 1 \
         RETURNING id, version",
    )
    .bind(organisation_id)
    .bind(source.to_string())
    .bind(mapping.to_string())
    .bind(now.clone())
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = get(&row, "id")?;
    let version: i64 = get(&row, "version")?;
    let before_json = match &before {
        Some(row) => serde_json::from_str(&get::<String>(row, "mapping")?).ok(),
        None => None,
    };
    insert_audit(
        tx,
        vec![AuditRecord {
            organisation_id: Some(organisation_id),
            entity: "import_mapping",
            entity_id: id,
            action: if before.is_some() {
                "updated"
            } else {
                "created"
            },
            before: before_json,
            after: serde_json::from_str(mapping).ok(),
            actor,
        }],
    )
    .await?;
    Ok(SavedMapping {
        source: source.to_string(),
        mapping: mapping.to_string(),
        version,
        updated_at: parse_time(&now)?,
    })
}
