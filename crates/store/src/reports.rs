//! Reports and branding storage: the board packs and Cabinet reports kept
//! to be generated again, and each organisation's name and logo on them.
//!
//! Every write is one transaction with its audit record and refuses a stale
//! version with [`StoreError::Conflict`].

use base64::Engine;
use chrono::NaiveDate;
use portfolio_domain::branding::{parse_logo, Logo};
use portfolio_domain::report::{Narrative, ReportKind, SavedReport};
use serde_json::json;
use sqlx::any::AnyRow;

use crate::audit::{record, AuditRecord};
use crate::{get, now_text, parse_stored, parse_time, Actor, Result, Store, StoreError};

fn conflict(entity: &'static str, current_version: i64) -> StoreError {
    StoreError::Conflict {
        entity,
        current_version,
        current: Box::new(None),
    }
}

const SELECT: &str = "SELECT id, kind, title, as_at, meeting_id, narrative, version FROM reports";

fn report_from(row: &AnyRow) -> Result<SavedReport> {
    let narrative: String = get(row, "narrative")?;
    Ok(SavedReport {
        id: get(row, "id")?,
        kind: parse_stored(
            "report kind",
            &get::<String>(row, "kind")?,
            ReportKind::parse,
        )?,
        title: get(row, "title")?,
        as_at: parse_stored("report date", &get::<String>(row, "as_at")?, |s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
        })?,
        meeting_id: get(row, "meeting_id")?,
        narrative: serde_json::from_str::<Narrative>(&narrative)
            .map_err(|e| StoreError::Corrupt(format!("report narrative: {e}")))?,
        version: get(row, "version")?,
    })
}

/// An organisation's branding as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    /// Blank: the organisation's own name.
    pub display_name: String,
    pub logo: Option<Logo>,
    /// 0 when none is stored yet.
    pub version: i64,
}

impl Store {
    /// The day the organisation was created: no report is as at before it.
    pub async fn organisation_founded(&self, organisation_id: i64) -> Result<NaiveDate> {
        let row = sqlx::query("SELECT created_at FROM organisations WHERE id = $1")
            .bind(organisation_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "organisation",
            })?;
        Ok(parse_time(&get::<String>(&row, "created_at")?)?.date_naive())
    }

    /// The organisation's reports, newest date first.
    pub async fn reports(&self, organisation_id: i64) -> Result<Vec<SavedReport>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE organisation_id = $1 ORDER BY as_at DESC, id DESC"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report_from).collect()
    }

    pub async fn report(&self, organisation_id: i64, id: i64) -> Result<SavedReport> {
        let row = sqlx::query(&format!("{SELECT} WHERE organisation_id = $1 AND id = $2"))
            .bind(organisation_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound { entity: "report" })?;
        report_from(&row)
    }

    /// Adds a report (its id and version are set here).
    pub async fn create_report(
        &self,
        organisation_id: i64,
        report: &SavedReport,
        actor: &Actor,
    ) -> Result<SavedReport> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        let row = sqlx::query(
            "INSERT INTO reports (organisation_id, kind, title, as_at, meeting_id, narrative, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id",
        )
        .bind(organisation_id)
        .bind(report.kind.as_str())
        .bind(report.title.clone())
        .bind(report.as_at.to_string())
        .bind(report.meeting_id)
        .bind(json!(report.narrative).to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let saved = SavedReport {
            id: get(&row, "id")?,
            version: 1,
            ..report.clone()
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "report",
                entity_id: saved.id,
                action: "created",
                before: None,
                after: Some(json!(saved)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Replaces a report's fields, read at `report.version`.
    pub async fn update_report(
        &self,
        organisation_id: i64,
        report: &SavedReport,
        actor: &Actor,
    ) -> Result<SavedReport> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!("{SELECT} WHERE organisation_id = $1 AND id = $2"))
            .bind(organisation_id)
            .bind(report.id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound { entity: "report" })?;
        let before = report_from(&row)?;
        if before.version != report.version {
            return Err(conflict("report", before.version));
        }
        let done = sqlx::query(
            "UPDATE reports SET kind = $1, title = $2, as_at = $3, meeting_id = $4, narrative = $5, \
             version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(report.kind.as_str())
        .bind(report.title.clone())
        .bind(report.as_at.to_string())
        .bind(report.meeting_id)
        .bind(json!(report.narrative).to_string())
        .bind(now_text())
        .bind(report.id)
        .bind(report.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict("report", report.version + 1));
        }
        let after = SavedReport {
            version: report.version + 1,
            ..report.clone()
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "report",
                entity_id: report.id,
                action: "updated",
                before: Some(json!(before)),
                after: Some(json!(after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The organisation's branding (blank, version 0, when none is stored).
    pub async fn branding(&self, organisation_id: i64) -> Result<Branding> {
        let row = sqlx::query(
            "SELECT display_name, logo_base64, version FROM organisation_branding WHERE organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Branding::default());
        };
        let logo = match get::<Option<String>>(&row, "logo_base64")? {
            None => None,
            Some(text) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map_err(|e| StoreError::Corrupt(format!("logo: {e}")))?;
                Some(parse_logo(&bytes).map_err(|e| StoreError::Corrupt(format!("logo {e}")))?)
            }
        };
        Ok(Branding {
            display_name: get(&row, "display_name")?,
            logo,
            version: get(&row, "version")?,
        })
    }

    /// Sets the branding read at `branding.version` (0: none stored yet).
    pub async fn put_branding(
        &self,
        organisation_id: i64,
        branding: &Branding,
        actor: &Actor,
    ) -> Result<Branding> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let current: i64 = match sqlx::query(
            "SELECT version FROM organisation_branding WHERE organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_optional(&mut *tx)
        .await?
        {
            Some(row) => get(&row, "version")?,
            None => 0,
        };
        if current != branding.version {
            return Err(conflict("branding", current));
        }
        let mime = branding.logo.as_ref().map(|l| l.kind.mime().to_string());
        let data = branding
            .logo
            .as_ref()
            .map(|l| base64::engine::general_purpose::STANDARD.encode(&l.bytes));
        if current == 0 {
            sqlx::query(
                "INSERT INTO organisation_branding (organisation_id, display_name, logo_mime, logo_base64, version) \
                 VALUES ($1, $2, $3, $4, 1)",
            )
            .bind(organisation_id)
            .bind(branding.display_name.clone())
            .bind(mime.clone())
            .bind(data)
            .execute(&mut *tx)
            .await?;
        } else {
            let done = sqlx::query(
                "UPDATE organisation_branding SET display_name = $1, logo_mime = $2, logo_base64 = $3, \
                 version = version + 1 WHERE organisation_id = $4 AND version = $5",
            )
            .bind(branding.display_name.clone())
            .bind(mime.clone())
            .bind(data)
            .bind(organisation_id)
            .bind(current)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(conflict("branding", current + 1));
            }
        }
        let after = Branding {
            version: current + 1,
            ..branding.clone()
        };
        let summary = |b: &Branding| {
            json!({
                "display_name": b.display_name,
                "logo": b.logo.as_ref().map(|l| json!({"type": l.kind.mime(), "bytes": l.bytes.len(), "width": l.width, "height": l.height})),
            })
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "branding",
                entity_id: organisation_id,
                action: if current == 0 { "created" } else { "updated" },
                before: None,
                after: Some(summary(&after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
