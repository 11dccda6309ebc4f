//! Scenarios and their runs.
//!
//! A scenario's definition is stored as the JSON of the validated
//! [`ScenarioInput`]; edits name the version they started from. A run is a
//! row that records the optimisation's progress while it goes (so any
//! instance can show it, and a cancel asked on one instance reaches the
//! worker on another) and, once finished, its result as JSON.

use chrono::Utc;
use serde_json::json;
use sqlx::any::AnyRow;

use portfolio_domain::scenario::{
    Recommendation, RunStatus, Scenario, ScenarioInput, ScenarioResult, ScenarioRun,
};

use crate::audit::{record, AuditRecord};
use crate::{
    format_time, get, map_unique, parse_stored, parse_time, stored_time, Actor, Result, Store,
    StoreError,
};

const SCENARIO_COLUMNS: &str =
    "id, organisation_id, slug, name, definition, version, created_at, updated_at";

const RUN_COLUMNS: &str = "r.id, r.scenario_id, s.slug AS scenario_slug, r.scenario_version, r.status, \
     r.progress_done, r.progress_total, r.progress_label, r.cancel_requested, r.message, r.started_by, \
     r.started_at, r.finished_at";

fn scenario_from(row: &AnyRow) -> Result<Scenario> {
    let definition: String = get(row, "definition")?;
    let definition: ScenarioInput = parse_stored("scenario definition", &definition, |s| {
        serde_json::from_str(s)
    })?;
    Ok(Scenario {
        id: get(row, "id")?,
        organisation_id: get(row, "organisation_id")?,
        definition,
        version: get(row, "version")?,
        created_at: parse_time(&get::<String>(row, "created_at")?)?,
        updated_at: parse_time(&get::<String>(row, "updated_at")?)?,
    })
}

fn run_from(row: &AnyRow) -> Result<ScenarioRun> {
    let status: String = get(row, "status")?;
    let finished_at: Option<String> = get(row, "finished_at")?;
    Ok(ScenarioRun {
        id: get(row, "id")?,
        scenario_id: get(row, "scenario_id")?,
        scenario_slug: get(row, "scenario_slug")?,
        scenario_version: get(row, "scenario_version")?,
        status: parse_stored("run status", &status, RunStatus::parse)?,
        progress_done: get(row, "progress_done")?,
        progress_total: get(row, "progress_total")?,
        progress_label: get(row, "progress_label")?,
        cancel_requested: get::<i64>(row, "cancel_requested")? != 0,
        message: get(row, "message")?,
        started_by: get(row, "started_by")?,
        started_at: parse_time(&get::<String>(row, "started_at")?)?,
        finished_at: finished_at.as_deref().map(parse_time).transpose()?,
    })
}

impl Store {
    /// An organisation's scenarios, by name.
    pub async fn scenarios(&self, organisation_id: i64) -> Result<Vec<Scenario>> {
        let rows = sqlx::query(&format!(
            "SELECT {SCENARIO_COLUMNS} FROM scenarios WHERE organisation_id = $1 ORDER BY name, id"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(scenario_from).collect()
    }

    /// One scenario, by slug.
    pub async fn scenario(&self, organisation_id: i64, slug: &str) -> Result<Scenario> {
        let row = sqlx::query(&format!(
            "SELECT {SCENARIO_COLUMNS} FROM scenarios WHERE organisation_id = $1 AND slug = $2"
        ))
        .bind(organisation_id)
        .bind(slug.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { entity: "scenario" })?;
        scenario_from(&row)
    }

    /// Stores a new scenario with its audit record; a taken name is refused.
    pub async fn create_scenario(
        &self,
        organisation_id: i64,
        input: &ScenarioInput,
        actor: &Actor,
    ) -> Result<Scenario> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let now = stored_time(Utc::now());
        let definition = serde_json::to_string(input)
            .map_err(|e| StoreError::Corrupt(format!("scenario definition: {e}")))?;
        let row = sqlx::query(
            "INSERT INTO scenarios (organisation_id, slug, name, definition, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id",
        )
        .bind(organisation_id)
        .bind(input.slug.clone())
        .bind(input.name.clone())
        .bind(definition)
        .bind(format_time(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_unique(e, "name", &input.name))?;
        let scenario = Scenario {
            id: get(&row, "id")?,
            organisation_id,
            definition: input.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "scenario",
                entity_id: scenario.id,
                action: "created",
                before: None,
                after: Some(json!(scenario)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(scenario)
    }

    /// Replaces a scenario's definition if it is still at `expected_version`.
    pub async fn update_scenario(
        &self,
        organisation_id: i64,
        slug: &str,
        expected_version: i64,
        input: &ScenarioInput,
        actor: &Actor,
    ) -> Result<Scenario> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {SCENARIO_COLUMNS} FROM scenarios WHERE organisation_id = $1 AND slug = $2"
        ))
        .bind(organisation_id)
        .bind(slug.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound { entity: "scenario" })?;
        let before = scenario_from(&row)?;
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                entity: "scenario",
                current_version: before.version,
                current: Box::new(None),
            });
        }
        let now = stored_time(Utc::now());
        let definition = serde_json::to_string(input)
            .map_err(|e| StoreError::Corrupt(format!("scenario definition: {e}")))?;
        let updated = sqlx::query(
            "UPDATE scenarios SET slug = $1, name = $2, definition = $3, version = version + 1, updated_at = $4 \
             WHERE id = $5 AND version = $6",
        )
        .bind(input.slug.clone())
        .bind(input.name.clone())
        .bind(definition)
        .bind(format_time(now))
        .bind(before.id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_unique(e, "name", &input.name))?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                entity: "scenario",
                current_version: before.version + 1,
                current: Box::new(None),
            });
        }
        let after = Scenario {
            definition: input.clone(),
            version: before.version + 1,
            updated_at: now,
            ..before.clone()
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "scenario",
                entity_id: after.id,
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

    /// Records that a run of `scenario` has started.
    pub async fn start_scenario_run(
        &self,
        scenario: &Scenario,
        progress_total: i64,
        actor: &Actor,
    ) -> Result<ScenarioRun> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let now = stored_time(Utc::now());
        let row = sqlx::query(
            "INSERT INTO scenario_runs (organisation_id, scenario_id, scenario_version, status, progress_done, \
             progress_total, progress_label, cancel_requested, message, started_by, started_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6, 0, '', $7, $8, $8) RETURNING id",
        )
        .bind(scenario.organisation_id)
        .bind(scenario.id)
        .bind(scenario.version)
        .bind(RunStatus::Running.as_str())
        .bind(progress_total)
        .bind("Starting".to_string())
        .bind(actor.label.clone())
        .bind(format_time(now))
        .fetch_one(&mut *tx)
        .await?;
        let run = ScenarioRun {
            id: get(&row, "id")?,
            scenario_id: scenario.id,
            scenario_slug: scenario.definition.slug.clone(),
            scenario_version: scenario.version,
            status: RunStatus::Running,
            progress_done: 0,
            progress_total,
            progress_label: "Starting".into(),
            cancel_requested: false,
            message: String::new(),
            started_by: actor.label.clone(),
            started_at: now,
            finished_at: None,
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(scenario.organisation_id),
                entity: "scenario_run",
                entity_id: run.id,
                action: "started",
                before: None,
                after: Some(json!({"scenario": scenario.definition.slug, "scenario_version": scenario.version})),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(run)
    }

    /// Records a running run's progress; returns whether a cancel was asked for.
    pub async fn record_run_progress(
        &self,
        run_id: i64,
        done: i64,
        total: i64,
        label: &str,
    ) -> Result<bool> {
        // Through the single-writer lock like every other write: committed
        // beside it, a run's progress (several a second) made a concurrent
        // write transaction's snapshot stale, and SQLite refused that write
        // as busy (code 517) instead of queueing it.
        let _guard = self.write_guard().await;
        let row = sqlx::query(
            "UPDATE scenario_runs SET progress_done = $1, progress_total = $2, progress_label = $3, \
             heartbeat_at = $4 WHERE id = $5 RETURNING cancel_requested",
        )
        .bind(done)
        .bind(total)
        .bind(label.to_string())
        .bind(format_time(Utc::now()))
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { entity: "scenario run" })?;
        Ok(get::<i64>(&row, "cancel_requested")? != 0)
    }

    /// Asks a running run to stop (the worker sees it at its next step).
    pub async fn request_run_cancel(
        &self,
        organisation_id: i64,
        run_id: i64,
        actor: &Actor,
    ) -> Result<ScenarioRun> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE scenario_runs SET cancel_requested = 1 WHERE id = $1 AND organisation_id = $2",
        )
        .bind(run_id)
        .bind(organisation_id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::NotFound {
                entity: "scenario run",
            });
        }
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "scenario_run",
                entity_id: run_id,
                action: "cancel_requested",
                before: None,
                after: None,
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        self.scenario_run(organisation_id, run_id).await
    }

    /// Records how a run ended, with its result when it has one.
    pub async fn finish_scenario_run(
        &self,
        organisation_id: i64,
        run_id: i64,
        status: RunStatus,
        message: &str,
        result: Option<&ScenarioResult>,
        actor: &Actor,
    ) -> Result<()> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let result_text = result
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("scenario result: {e}")))?;
        let updated = sqlx::query(
            "UPDATE scenario_runs SET status = $1, message = $2, result = $3, finished_at = $4, \
             progress_label = $5 WHERE id = $6 AND organisation_id = $7 AND status = $8",
        )
        .bind(status.as_str())
        .bind(message.to_string())
        .bind(result_text)
        .bind(format_time(stored_time(Utc::now())))
        .bind(status.label().to_string())
        .bind(run_id)
        .bind(organisation_id)
        .bind(RunStatus::Running.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::NotFound {
                entity: "running scenario run",
            });
        }
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "scenario_run",
                entity_id: run_id,
                action: status.as_str(),
                before: None,
                after: Some(json!({
                    "message": message,
                    "value": result.map(|r| r.value),
                    "chosen": result.map(|r| r.chosen().count()),
                })),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Tells the database that a run's worker is alive (between progress
    /// steps, which can be far apart); returns whether a cancel was asked for.
    /// `false` also when the run is no longer running (another instance
    /// marked it failed), so the worker stops.
    pub async fn touch_scenario_run(&self, run_id: i64) -> Result<bool> {
        let row = sqlx::query(
            "UPDATE scenario_runs SET heartbeat_at = $1 WHERE id = $2 AND status = $3 \
             RETURNING cancel_requested",
        )
        .bind(format_time(Utc::now()))
        .bind(run_id)
        .bind(RunStatus::Running.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(get::<i64>(&row, "cancel_requested")? != 0),
            None => Ok(true),
        }
    }

    /// Marks runs still "running" whose worker has not reported for
    /// `older_than_seconds` as failed, each with its reason and audit record
    /// in one transaction: its worker stopped with the process that ran it.
    /// Any instance may call this; a run another instance already marked is
    /// left alone (the update names the status it expects).
    pub async fn fail_abandoned_runs(&self, older_than_seconds: i64) -> Result<u64> {
        let cutoff = format_time(Utc::now() - chrono::Duration::seconds(older_than_seconds));
        let rows = sqlx::query(
            "SELECT id, organisation_id, heartbeat_at FROM scenario_runs \
             WHERE status = $1 AND heartbeat_at < $2 ORDER BY id",
        )
        .bind(RunStatus::Running.as_str())
        .bind(cutoff.clone())
        .fetch_all(&self.pool)
        .await?;
        let actor = Actor::system("stale run check");
        let mut failed = 0;
        for row in rows {
            let run_id: i64 = get(&row, "id")?;
            let organisation_id: i64 = get(&row, "organisation_id")?;
            let heartbeat: String = get(&row, "heartbeat_at")?;
            let message = format!(
                "The server running this run stopped before it finished (last heard from at {} UTC); \
                 run the scenario again.",
                heartbeat.get(..19).unwrap_or(heartbeat.as_str()).replace('T', " ")
            );
            let _guard = self.write_guard().await;
            let mut tx = self.pool.begin().await?;
            let done = sqlx::query(
                "UPDATE scenario_runs SET status = $1, message = $2, finished_at = $3, progress_label = $4 \
                 WHERE id = $5 AND status = $6 AND heartbeat_at < $7",
            )
            .bind(RunStatus::Failed.as_str())
            .bind(message.clone())
            .bind(format_time(stored_time(Utc::now())))
            .bind(RunStatus::Failed.label().to_string())
            .bind(run_id)
            .bind(RunStatus::Running.as_str())
            .bind(cutoff.clone())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                continue;
            }
            record(
                &mut tx,
                AuditRecord {
                    organisation_id: Some(organisation_id),
                    entity: "scenario_run",
                    entity_id: run_id,
                    action: RunStatus::Failed.as_str(),
                    before: None,
                    after: Some(json!({ "message": message })),
                    actor: &actor,
                },
            )
            .await?;
            tx.commit().await?;
            failed += 1;
        }
        Ok(failed)
    }

    pub async fn scenario_run(&self, organisation_id: i64, run_id: i64) -> Result<ScenarioRun> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM scenario_runs r JOIN scenarios s ON s.id = r.scenario_id \
             WHERE r.id = $1 AND r.organisation_id = $2"
        ))
        .bind(run_id)
        .bind(organisation_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "scenario run",
        })?;
        run_from(&row)
    }

    /// A scenario's runs, newest first.
    pub async fn scenario_runs(
        &self,
        organisation_id: i64,
        scenario_id: i64,
        limit: i64,
    ) -> Result<Vec<ScenarioRun>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM scenario_runs r JOIN scenarios s ON s.id = r.scenario_id \
             WHERE r.organisation_id = $1 AND r.scenario_id = $2 ORDER BY r.id DESC LIMIT $3"
        ))
        .bind(organisation_id)
        .bind(scenario_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(run_from).collect()
    }

    /// The result a finished run saved, if it has one.
    pub async fn scenario_run_result(
        &self,
        organisation_id: i64,
        run_id: i64,
    ) -> Result<Option<ScenarioResult>> {
        let row =
            sqlx::query("SELECT result FROM scenario_runs WHERE id = $1 AND organisation_id = $2")
                .bind(run_id)
                .bind(organisation_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound {
                    entity: "scenario run",
                })?;
        let text: Option<String> = get(&row, "result")?;
        text.map(|t| parse_stored("scenario result", &t, |s| serde_json::from_str(s)))
            .transpose()
    }

    /// The newest successful run of a scenario and its result.
    pub async fn latest_scenario_result(
        &self,
        organisation_id: i64,
        scenario_id: i64,
    ) -> Result<Option<(ScenarioRun, ScenarioResult)>> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS}, r.result FROM scenario_runs r JOIN scenarios s ON s.id = r.scenario_id \
             WHERE r.organisation_id = $1 AND r.scenario_id = $2 AND r.status = $3 \
             ORDER BY r.id DESC LIMIT 1"
        ))
        .bind(organisation_id)
        .bind(scenario_id)
        .bind(RunStatus::Succeeded.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let run = run_from(&row)?;
        let text: Option<String> = get(&row, "result")?;
        match text {
            Some(t) => Ok(Some((
                run,
                parse_stored("scenario result", &t, |s| serde_json::from_str(s))?,
            ))),
            None => Ok(None),
        }
    }
}

fn recommendation_from(row: &AnyRow) -> Result<Recommendation> {
    Ok(Recommendation {
        run_id: get(row, "scenario_run_id")?,
        recommended_by: get(row, "recommended_by")?,
        recommended_at: Some(parse_time(&get::<String>(row, "recommended_at")?)?),
        version: get(row, "version")?,
    })
}

impl Store {
    /// The organisation's recommended scenario run (version 0: never set).
    pub async fn scenario_recommendation(&self, organisation_id: i64) -> Result<Recommendation> {
        let row = sqlx::query(
            "SELECT scenario_run_id, recommended_by, recommended_at, version \
             FROM scenario_recommendations WHERE organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map_or(Ok(Recommendation::default()), recommendation_from)
    }

    /// Recommends a succeeded run of the organisation (`None` withdraws the
    /// recommendation) if the recommendation is still at `expected_version`,
    /// with its audit record.
    pub async fn set_scenario_recommendation(
        &self,
        organisation_id: i64,
        run_id: Option<i64>,
        expected_version: i64,
        actor: &Actor,
    ) -> Result<Recommendation> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT scenario_run_id, recommended_by, recommended_at, version \
             FROM scenario_recommendations WHERE organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_optional(&mut *tx)
        .await?;
        let before = row
            .as_ref()
            .map_or(Ok(Recommendation::default()), recommendation_from)?;
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                entity: "scenario recommendation",
                current_version: before.version,
                current: Box::new(None),
            });
        }
        if let Some(id) = run_id {
            let found = sqlx::query(
                "SELECT id FROM scenario_runs WHERE id = $1 AND organisation_id = $2 AND status = $3",
            )
            .bind(id)
            .bind(organisation_id)
            .bind(RunStatus::Succeeded.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound {
                    entity: "succeeded scenario run",
                });
            }
        }
        let now = stored_time(Utc::now());
        let after = Recommendation {
            run_id,
            recommended_by: actor.label.clone(),
            recommended_at: Some(now),
            version: before.version + 1,
        };
        let written = if before.version == 0 {
            sqlx::query(
                "INSERT INTO scenario_recommendations \
                 (organisation_id, scenario_run_id, recommended_by, recommended_at, version) \
                 VALUES ($1, $2, $3, $4, 1)",
            )
            .bind(organisation_id)
            .bind(run_id)
            .bind(actor.label.clone())
            .bind(format_time(now))
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE scenario_recommendations SET scenario_run_id = $1, recommended_by = $2, \
                 recommended_at = $3, version = version + 1 WHERE organisation_id = $4 AND version = $5",
            )
            .bind(run_id)
            .bind(actor.label.clone())
            .bind(format_time(now))
            .bind(organisation_id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?
        };
        if written.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                entity: "scenario recommendation",
                current_version: before.version + 1,
                current: Box::new(None),
            });
        }
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "scenario_recommendation",
                entity_id: organisation_id,
                action: if run_id.is_some() {
                    "recommended"
                } else {
                    "withdrawn"
                },
                before: (before.version > 0).then(|| json!(before)),
                after: Some(json!(after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
