//! Highlight report storage: one report per project per month.
//!
//! Saving a report is one transaction with its audit record; when the
//! report is the project's latest (no report of a later month exists) and
//! its confidence differs from the project's, the project's delivery
//! confidence moves with it in the same transaction, audited as
//! "highlight_report".

use portfolio_domain::highlights::{HighlightInput, HighlightReport, Milestone, Month, TopItem};
use portfolio_domain::{DeliveryConfidence, Project, ValidationErrors};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::audit::{bump_data_version, insert_audit, AuditRecord};
use crate::{
    get, map_unique, now_text, parse_stored, parse_time, Actor, Result, Store, StoreError,
};

const SELECT: &str = "SELECT h.id, h.project_id, p.code, p.title, h.period, h.confidence, h.reason, h.narrative, \
     h.milestones, h.top_items, h.decisions_needed, h.submitted_by_label, h.submitted_at, h.version \
     FROM highlight_reports h JOIN projects p ON p.id = h.project_id";

fn corrupt(what: &str, text: &str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what} '{text}': {e}"))
}

fn report_from(row: &AnyRow) -> Result<HighlightReport> {
    let milestones_text: String = get(row, "milestones")?;
    let milestones: Vec<Milestone> = serde_json::from_str(&milestones_text)
        .map_err(|e| corrupt("milestones", &milestones_text, e))?;
    let items_text: String = get(row, "top_items")?;
    let top_items: Vec<TopItem> =
        serde_json::from_str(&items_text).map_err(|e| corrupt("top_items", &items_text, e))?;
    Ok(HighlightReport {
        id: get(row, "id")?,
        project_id: get(row, "project_id")?,
        project_code: get(row, "code")?,
        project_title: get(row, "title")?,
        period: parse_stored("period", &get::<String>(row, "period")?, Month::parse)?,
        confidence: parse_stored(
            "confidence",
            &get::<String>(row, "confidence")?,
            DeliveryConfidence::parse,
        )?,
        reason: get(row, "reason")?,
        narrative: get(row, "narrative")?,
        milestones,
        top_items,
        decisions_needed: get(row, "decisions_needed")?,
        submitted_by: get(row, "submitted_by_label")?,
        submitted_at: parse_time(&get::<String>(row, "submitted_at")?)?,
        version: get(row, "version")?,
    })
}

async fn report_in(
    conn: &mut AnyConnection,
    organisation_id: i64,
    project_id: i64,
    period: Month,
) -> Result<Option<HighlightReport>> {
    sqlx::query(&format!(
        "{SELECT} WHERE h.organisation_id = $1 AND h.project_id = $2 AND h.period = $3"
    ))
    .bind(organisation_id)
    .bind(project_id)
    .bind(period.as_string())
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| report_from(&r))
    .transpose()
}

fn text_of<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// A project's reports, latest month first.
    pub async fn highlight_reports(
        &self,
        organisation_id: i64,
        project_id: i64,
    ) -> Result<Vec<HighlightReport>> {
        sqlx::query(&format!(
            "{SELECT} WHERE h.organisation_id = $1 AND h.project_id = $2 ORDER BY h.period DESC"
        ))
        .bind(organisation_id)
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(report_from)
        .collect()
    }

    pub async fn highlight_report(
        &self,
        organisation_id: i64,
        project_id: i64,
        period: Month,
    ) -> Result<HighlightReport> {
        let mut conn = self.pool.acquire().await?;
        report_in(&mut conn, organisation_id, project_id, period)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "highlight report",
            })
    }

    /// Every project's report for one month, by project code.
    pub async fn highlight_reports_for(
        &self,
        organisation_id: i64,
        period: Month,
    ) -> Result<Vec<HighlightReport>> {
        sqlx::query(&format!(
            "{SELECT} WHERE h.organisation_id = $1 AND h.period = $2 ORDER BY p.code"
        ))
        .bind(organisation_id)
        .bind(period.as_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(report_from)
        .collect()
    }

    /// (project id, month, rating) of every report from `from` on, for the trend.
    pub async fn confidence_points(
        &self,
        organisation_id: i64,
        from: Month,
    ) -> Result<Vec<(i64, Month, DeliveryConfidence)>> {
        let rows = sqlx::query(
            "SELECT project_id, period, confidence FROM highlight_reports \
             WHERE organisation_id = $1 AND period >= $2 ORDER BY period, project_id",
        )
        .bind(organisation_id)
        .bind(from.as_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    get(r, "project_id")?,
                    parse_stored("period", &get::<String>(r, "period")?, Month::parse)?,
                    parse_stored(
                        "confidence",
                        &get::<String>(r, "confidence")?,
                        DeliveryConfidence::parse,
                    )?,
                ))
            })
            .collect()
    }

    /// Saves `project_code`'s report for the month `check` returns: a new
    /// one when `expected_version` is 0, else the stored one read at that
    /// version. `check` sees the project as stored.
    pub async fn save_highlight_report(
        &self,
        organisation_id: i64,
        project_code: &str,
        expected_version: i64,
        actor: &Actor,
        check: impl FnOnce(&Project) -> Result<HighlightInput, ValidationErrors>,
    ) -> Result<Result<HighlightReport, ValidationErrors>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let project = self
            .project_in_tx(&mut tx, organisation_id, project_code)
            .await?
            .ok_or(StoreError::NotFound { entity: "project" })?;
        let input = match check(&project) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        let before = report_in(&mut tx, organisation_id, project.id, input.period).await?;
        let conflict = |v| StoreError::Conflict {
            entity: "highlight report",
            current_version: v,
            current: Box::new(None),
        };
        let current = before.as_ref().map_or(0, |r| r.version);
        if current != expected_version {
            if before.is_some() && expected_version == 0 {
                return Ok(Err(ValidationErrors::single(
                    "period",
                    format!(
                        "{} already has a report for {}; change that one instead",
                        project.code,
                        input.period.label()
                    ),
                )));
            }
            return Err(conflict(current));
        }
        let (milestones, top_items) = (text_of(&input.milestones)?, text_of(&input.top_items)?);
        let id: i64 = match &before {
            None => {
                let row = sqlx::query(
                    "INSERT INTO highlight_reports (organisation_id, project_id, period, confidence, reason, narrative, milestones, \
                     top_items, decisions_needed, submitted_by_label, submitted_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1) RETURNING id",
                )
                .bind(organisation_id)
                .bind(project.id)
                .bind(input.period.as_string())
                .bind(input.confidence.as_str())
                .bind(input.reason.clone())
                .bind(input.narrative.clone())
                .bind(milestones)
                .bind(top_items)
                .bind(input.decisions_needed.clone())
                .bind(actor.label.clone())
                .bind(now_text())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match map_unique(e, "period", &input.period.as_string()) {
                    StoreError::Duplicate { .. } => conflict(1),
                    other => other,
                })?;
                get(&row, "id")?
            }
            Some(b) => {
                let done = sqlx::query(
                    "UPDATE highlight_reports SET confidence = $1, reason = $2, narrative = $3, milestones = $4, top_items = $5, \
                     decisions_needed = $6, submitted_by_label = $7, submitted_at = $8, version = version + 1 \
                     WHERE id = $9 AND version = $10",
                )
                .bind(input.confidence.as_str())
                .bind(input.reason.clone())
                .bind(input.narrative.clone())
                .bind(milestones)
                .bind(top_items)
                .bind(input.decisions_needed.clone())
                .bind(actor.label.clone())
                .bind(now_text())
                .bind(b.id)
                .bind(expected_version)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(conflict(expected_version + 1));
                }
                b.id
            }
        };
        let after = report_in(&mut tx, organisation_id, project.id, input.period)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "highlight report",
            })?;
        let mut records = vec![AuditRecord {
            organisation_id: Some(organisation_id),
            entity: "highlight_report",
            entity_id: id,
            action: if before.is_some() {
                "updated"
            } else {
                "submitted"
            },
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
            actor,
        }];
        let later = sqlx::query(
            "SELECT COUNT(*) AS n FROM highlight_reports WHERE project_id = $1 AND period > $2",
        )
        .bind(project.id)
        .bind(input.period.as_string())
        .fetch_one(&mut *tx)
        .await?;
        let later: i64 = get(&later, "n")?;
        if later == 0 && project.confidence != Some(input.confidence) {
            let mut changed = project.to_input();
            changed.confidence = Some(input.confidence);
            let moved = self
                .write_update(&mut tx, organisation_id, &project, &changed)
                .await?;
            records.push(AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "project",
                entity_id: project.id,
                action: "highlight_report",
                before: Some(json!(project)),
                after: Some(json!(moved)),
                actor,
            });
        }
        insert_audit(&mut tx, records).await?;
        tx.commit().await?;
        Ok(Ok(after))
    }
}
