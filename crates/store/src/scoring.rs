//! The scoring model's versions and project assessments.
//!
//! Saving a model inserts the next version (never updates one): the save
//! names the version it started from, and a stale one is
//! [`StoreError::Conflict`] carrying the version now current. Two saves
//! racing for the same next version are serialised by the organisation's row
//! lock (taken first, by bumping its data version) and, on SQLite, by the
//! writer lock; the unique (organisation, version) key is the last guard.
//! Assessments follow the same rule with their own version per project.

use std::collections::BTreeMap;

use chrono::Utc;
use portfolio_domain::scoring::{
    Assessment, Criterion, CriterionScore, ScoringModel, ScoringModelInput, Weighting,
};
use portfolio_domain::ProjectCode;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{bump_data_version, insert_audit, AuditRecord};
use crate::{
    format_time, get, parse_stored, parse_time, stored_time, Actor, Result, Store, StoreError,
};

const MODEL_SELECT: &str = "SELECT organisation_id, version, name, criteria_json, weighting_json, \
     created_by_label, created_at FROM scoring_models";

fn model_from(row: &AnyRow) -> Result<ScoringModel> {
    let criteria: String = get(row, "criteria_json")?;
    let weighting: String = get(row, "weighting_json")?;
    Ok(ScoringModel {
        organisation_id: get(row, "organisation_id")?,
        version: get(row, "version")?,
        name: get(row, "name")?,
        criteria: parse_stored("criteria", &criteria, |s| {
            serde_json::from_str::<Vec<Criterion>>(s)
        })?,
        weighting: parse_stored("weighting", &weighting, |s| {
            serde_json::from_str::<Weighting>(s)
        })?,
        created_by: get(row, "created_by_label")?,
        created_at: parse_time(&get::<String>(row, "created_at")?)?,
    })
}

async fn latest_model(conn: &mut sqlx::AnyConnection, org: i64) -> Result<Option<ScoringModel>> {
    let row = sqlx::query(&format!(
        "{MODEL_SELECT} WHERE organisation_id = $1 ORDER BY version DESC LIMIT 1"
    ))
    .bind(org)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(model_from).transpose()
}

const ASSESSMENT_SELECT: &str =
    "SELECT a.id, a.version, a.updated_by_label, a.updated_at, p.code, \
     s.criterion_key, s.score, s.rationale \
     FROM project_assessments a JOIN projects p ON p.id = a.project_id \
     LEFT JOIN assessment_scores s ON s.assessment_id = a.id";

/// Assessments from rows of [`ASSESSMENT_SELECT`] ordered by assessment id.
fn assessments_from(rows: &[AnyRow]) -> Result<Vec<Assessment>> {
    let mut out: Vec<(i64, Assessment)> = Vec::new();
    for row in rows {
        let id: i64 = get(row, "id")?;
        if out.last().map(|(last, _)| *last) != Some(id) {
            let code: String = get(row, "code")?;
            out.push((
                id,
                Assessment {
                    project_code: parse_stored("project code", &code, ProjectCode::parse)?,
                    scores: BTreeMap::new(),
                    version: get(row, "version")?,
                    updated_by: get(row, "updated_by_label")?,
                    updated_at: parse_time(&get::<String>(row, "updated_at")?)?,
                },
            ));
        }
        let key: Option<String> = get(row, "criterion_key")?;
        if let (Some(key), Some((_, a))) = (key, out.last_mut()) {
            let score: i64 = get(row, "score")?;
            let score = u8::try_from(score)
                .ok()
                .filter(|s| *s <= portfolio_domain::scoring::MAX_SCORE)
                .ok_or_else(|| StoreError::Corrupt(format!("assessment score {score}")))?;
            a.scores.insert(
                key,
                CriterionScore {
                    score,
                    rationale: get(row, "rationale")?,
                },
            );
        }
    }
    Ok(out.into_iter().map(|(_, a)| a).collect())
}

async fn assessment_in(
    tx: &mut Transaction<'_, Any>,
    org: i64,
    project_id: i64,
) -> Result<Option<(i64, Assessment)>> {
    let rows = sqlx::query(&format!(
        "{ASSESSMENT_SELECT} WHERE a.organisation_id = $1 AND a.project_id = $2 ORDER BY a.id, s.criterion_key"
    ))
    .bind(org)
    .bind(project_id)
    .fetch_all(&mut **tx)
    .await?;
    let id = match rows.first() {
        Some(row) => get::<i64>(row, "id")?,
        None => return Ok(None),
    };
    Ok(assessments_from(&rows)?.pop().map(|a| (id, a)))
}

async fn project_id(tx: &mut Transaction<'_, Any>, org: i64, code: &str) -> Result<i64> {
    let row = sqlx::query("SELECT id FROM projects WHERE organisation_id = $1 AND code = $2")
        .bind(org)
        .bind(code.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound { entity: "project" })?;
    get(&row, "id")
}

fn conflict(entity: &'static str, current_version: i64) -> StoreError {
    StoreError::Conflict {
        entity,
        current_version,
        current: Box::new(None),
    }
}

impl Store {
    /// The organisation's current scoring model (its latest version), if one was saved.
    pub async fn scoring_model(&self, organisation_id: i64) -> Result<Option<ScoringModel>> {
        let mut conn = self.pool.acquire().await?;
        latest_model(&mut conn, organisation_id).await
    }

    /// One saved version of the organisation's scoring model.
    pub async fn scoring_model_version(
        &self,
        organisation_id: i64,
        version: i64,
    ) -> Result<ScoringModel> {
        let row = sqlx::query(&format!(
            "{MODEL_SELECT} WHERE organisation_id = $1 AND version = $2"
        ))
        .bind(organisation_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "scoring model version",
        })?;
        model_from(&row)
    }

    /// Every saved version of the organisation's scoring model, newest first.
    pub async fn scoring_model_versions(&self, organisation_id: i64) -> Result<Vec<ScoringModel>> {
        let rows = sqlx::query(&format!(
            "{MODEL_SELECT} WHERE organisation_id = $1 ORDER BY version DESC"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(model_from).collect()
    }

    /// Saves a validated model as the next version, in one transaction with
    /// its audit record. `expected_version` is the version the edit started
    /// from (0 when the organisation had none); any other current version is
    /// [`StoreError::Conflict`] and nothing is written.
    pub async fn save_scoring_model(
        &self,
        organisation_id: i64,
        expected_version: i64,
        input: &ScoringModelInput,
        actor: &Actor,
    ) -> Result<ScoringModel> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // First: takes the organisation's row lock, so saves run one at a time.
        bump_data_version(&mut tx, organisation_id).await?;
        let before = latest_model(&mut tx, organisation_id).await?;
        let current = before.as_ref().map(|m| m.version).unwrap_or(0);
        if current != expected_version {
            return Err(conflict("scoring model", current));
        }
        let model = ScoringModel {
            organisation_id,
            version: current + 1,
            name: input.name.clone(),
            criteria: input.criteria.clone(),
            weighting: input.weighting.clone(),
            created_by: actor.label.clone(),
            created_at: stored_time(Utc::now()),
        };
        let criteria = serde_json::to_string(&model.criteria)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let weighting = serde_json::to_string(&model.weighting)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let row = sqlx::query(
            "INSERT INTO scoring_models (organisation_id, version, name, criteria_json, weighting_json, \
             created_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(organisation_id)
        .bind(model.version)
        .bind(model.name.clone())
        .bind(criteria)
        .bind(weighting)
        .bind(model.created_by.clone())
        .bind(format_time(model.created_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match crate::map_unique(e, "version", "") {
            StoreError::Duplicate { .. } => conflict("scoring model", current + 1),
            other => other,
        })?;
        let id: i64 = get(&row, "id")?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "scoring_model",
                entity_id: id,
                action: if before.is_some() {
                    "updated"
                } else {
                    "created"
                },
                before: before.map(|b| json!(b)),
                after: Some(json!(model)),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(model)
    }

    /// A project's assessment, if it has been assessed.
    pub async fn assessment(&self, organisation_id: i64, code: &str) -> Result<Option<Assessment>> {
        let mut tx = self.pool.begin().await?;
        let id = project_id(&mut tx, organisation_id, code).await?;
        let found = assessment_in(&mut tx, organisation_id, id).await?;
        tx.commit().await?;
        Ok(found.map(|(_, a)| a))
    }

    /// Every assessment of the organisation's projects, by project code.
    pub async fn assessments(&self, organisation_id: i64) -> Result<Vec<Assessment>> {
        let rows = sqlx::query(&format!(
            "{ASSESSMENT_SELECT} WHERE a.organisation_id = $1 ORDER BY a.id, s.criterion_key"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        assessments_from(&rows)
    }

    /// Replaces a project's scores, in one transaction with its audit record.
    /// `expected_version` is the assessment's version the edit started from
    /// (0 when it had none); any other is [`StoreError::Conflict`].
    pub async fn save_assessment(
        &self,
        organisation_id: i64,
        code: &str,
        expected_version: i64,
        scores: &BTreeMap<String, CriterionScore>,
        actor: &Actor,
    ) -> Result<Assessment> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let project = project_id(&mut tx, organisation_id, code).await?;
        let before = assessment_in(&mut tx, organisation_id, project).await?;
        let current = before.as_ref().map(|(_, a)| a.version).unwrap_or(0);
        if current != expected_version {
            return Err(conflict("assessment", current));
        }
        let now = format_time(stored_time(Utc::now()));
        let id = match &before {
            Some((id, _)) => {
                let done = sqlx::query(
                    "UPDATE project_assessments SET version = version + 1, updated_by_label = $1, updated_at = $2 \
                     WHERE id = $3 AND version = $4",
                )
                .bind(actor.label.clone())
                .bind(now)
                .bind(*id)
                .bind(expected_version)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(conflict("assessment", current + 1));
                }
                sqlx::query("DELETE FROM assessment_scores WHERE assessment_id = $1")
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
                *id
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO project_assessments (organisation_id, project_id, version, updated_by_label, updated_at) \
                     VALUES ($1, $2, 1, $3, $4) RETURNING id",
                )
                .bind(organisation_id)
                .bind(project)
                .bind(actor.label.clone())
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match crate::map_unique(e, "project", code) {
                    StoreError::Duplicate { .. } => conflict("assessment", 1),
                    other => other,
                })?;
                get(&row, "id")?
            }
        };
        let rows: Vec<(&String, &CriterionScore)> = scores.iter().collect();
        crate::projects::insert_rows(
            &mut tx,
            "INSERT INTO assessment_scores (assessment_id, criterion_key, score, rationale)",
            "",
            4,
            &rows,
            |q, (key, s)| {
                q.bind(id)
                    .bind((*key).clone())
                    .bind(i64::from(s.score))
                    .bind(s.rationale.clone())
            },
        )
        .await?;
        let after = assessment_in(&mut tx, organisation_id, project)
            .await?
            .map(|(_, a)| a)
            .ok_or(StoreError::NotFound {
                entity: "assessment",
            })?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "assessment",
                entity_id: id,
                action: if before.is_some() {
                    "updated"
                } else {
                    "created"
                },
                before: before.map(|(_, b)| json!(b)),
                after: Some(json!(after)),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
