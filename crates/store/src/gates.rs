//! Gate storage: checklists per gate, gate requests and their decisions.
//!
//! A decision that approves a gate moves the project in the same
//! transaction as the decision and both audit records; a project that moved
//! since the request, a second decision or a stale version is refused and
//! nothing is written. The caller's `check` (the domain's rules) sees the
//! request and the project as stored inside the transaction.

use portfolio_domain::gates::{
    default_checklist, ChecklistItem, Evidence, Gate, GateChecklist, GateDecision,
    GateDecisionInput, GatePerson, GateRequest, GateRequestInput, GateStatus,
};
use portfolio_domain::notifications;
use portfolio_domain::{Project, Stage, ValidationErrors};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{bump_data_version, insert_audit, AuditRecord};
use crate::notifications::insert_notices;
use crate::{
    get, map_unique, now_text, parse_stored, parse_time, Actor, Result, Store, StoreError,
};

const REQUEST_SELECT: &str = "SELECT g.id, g.project_id, p.code, p.title, g.from_stage, g.to_stage, g.summary, \
     g.evidence, g.status, g.requested_by_user_id, g.requested_by_label, g.requested_at, g.reasons, g.conditions, \
     g.decided_by_user_id, g.decided_by_label, g.decided_at, g.meeting_id, g.version \
     FROM gate_requests g JOIN projects p ON p.id = g.project_id";

/// Which requests a list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateRequestFilter {
    pub status: Option<GateStatus>,
    /// One project's requests, by its id.
    pub project_id: Option<i64>,
}

fn corrupt_json(what: &str, text: &str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what} '{text}': {e}"))
}

fn conflict(current_version: i64) -> StoreError {
    StoreError::Conflict {
        entity: "gate request",
        current_version,
        current: Box::new(None),
    }
}

pub(crate) fn request_from(row: &AnyRow) -> Result<GateRequest> {
    let stage = |column: &str| -> Result<Stage> {
        parse_stored(column, &get::<String>(row, column)?, Stage::parse)
    };
    let evidence_text: String = get(row, "evidence")?;
    let evidence: Vec<Evidence> = serde_json::from_str(&evidence_text)
        .map_err(|e| corrupt_json("evidence", &evidence_text, e))?;
    let status = parse_stored("status", &get::<String>(row, "status")?, GateStatus::parse)?;
    let decided_at: Option<String> = get(row, "decided_at")?;
    let decision = match decided_at {
        Some(at) if status != GateStatus::Pending => Some(GateDecision {
            outcome: status,
            reasons: get::<Option<String>>(row, "reasons")?.unwrap_or_default(),
            conditions: get::<Option<String>>(row, "conditions")?.unwrap_or_default(),
            decided_by: GatePerson {
                user_id: get(row, "decided_by_user_id")?,
                label: get::<Option<String>>(row, "decided_by_label")?.unwrap_or_default(),
            },
            decided_at: parse_time(&at)?,
            meeting_id: get(row, "meeting_id")?,
        }),
        _ => None,
    };
    Ok(GateRequest {
        id: get(row, "id")?,
        project_id: get(row, "project_id")?,
        project_code: get(row, "code")?,
        project_title: get(row, "title")?,
        from_stage: stage("from_stage")?,
        to_stage: stage("to_stage")?,
        summary: get(row, "summary")?,
        evidence,
        status,
        requested_by: GatePerson {
            user_id: get(row, "requested_by_user_id")?,
            label: get(row, "requested_by_label")?,
        },
        requested_at: parse_time(&get::<String>(row, "requested_at")?)?,
        decision,
        version: get(row, "version")?,
    })
}

async fn request_in(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
    id: i64,
) -> Result<Option<GateRequest>> {
    sqlx::query(&format!(
        "{REQUEST_SELECT} WHERE g.organisation_id = $1 AND g.id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| request_from(&r))
    .transpose()
}

async fn stored_checklist(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
    gate: Gate,
) -> Result<Option<GateChecklist>> {
    let row = sqlx::query(
        "SELECT items, version FROM gate_checklists WHERE organisation_id = $1 AND gate = $2",
    )
    .bind(organisation_id)
    .bind(gate.slug())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let text: String = get(&row, "items")?;
    let items: Vec<ChecklistItem> =
        serde_json::from_str(&text).map_err(|e| corrupt_json("items", &text, e))?;
    Ok(Some(GateChecklist {
        gate: gate.slug(),
        from_stage: gate.from,
        to_stage: gate.to,
        items,
        version: get(&row, "version")?,
    }))
}

impl Store {
    /// The checklist of every gate: the organisation's own, or the default.
    pub async fn gate_checklists(&self, organisation_id: i64) -> Result<Vec<GateChecklist>> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        for gate in Gate::all() {
            out.push(
                stored_checklist(&mut conn, organisation_id, gate)
                    .await?
                    .unwrap_or_else(|| default_checklist(gate)),
            );
        }
        Ok(out)
    }

    pub async fn gate_checklist(&self, organisation_id: i64, gate: Gate) -> Result<GateChecklist> {
        let mut conn = self.pool.acquire().await?;
        Ok(stored_checklist(&mut conn, organisation_id, gate)
            .await?
            .unwrap_or_else(|| default_checklist(gate)))
    }

    /// Replaces a gate's checklist read at `expected_version` (0: the default, not stored yet).
    pub async fn put_gate_checklist(
        &self,
        organisation_id: i64,
        gate: Gate,
        expected_version: i64,
        items: &[ChecklistItem],
        actor: &Actor,
    ) -> Result<GateChecklist> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let before = stored_checklist(&mut tx, organisation_id, gate).await?;
        let current = before.as_ref().map_or(0, |c| c.version);
        if current != expected_version {
            return Err(StoreError::Conflict {
                entity: "gate checklist",
                current_version: current,
                current: Box::new(None),
            });
        }
        let text = serde_json::to_string(items).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let entity_id: i64 = if before.is_none() {
            let row = sqlx::query(
                "INSERT INTO gate_checklists (organisation_id, gate, items, version) VALUES ($1, $2, $3, 1) RETURNING id",
            )
            .bind(organisation_id)
            .bind(gate.slug())
            .bind(text)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match map_unique(e, "gate", &gate.slug()) {
                StoreError::Duplicate { .. } => StoreError::Conflict {
                    entity: "gate checklist",
                    current_version: 1,
                    current: Box::new(None),
                },
                other => other,
            })?;
            get(&row, "id")?
        } else {
            let row = sqlx::query(
                "UPDATE gate_checklists SET items = $1, version = version + 1 \
                 WHERE organisation_id = $2 AND gate = $3 AND version = $4 RETURNING id",
            )
            .bind(text)
            .bind(organisation_id)
            .bind(gate.slug())
            .bind(expected_version)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::Conflict {
                entity: "gate checklist",
                current_version: current + 1,
                current: Box::new(None),
            })?;
            get(&row, "id")?
        };
        let after = stored_checklist(&mut tx, organisation_id, gate)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "gate checklist",
            })?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "gate_checklist",
                entity_id,
                action: if before.is_some() {
                    "updated"
                } else {
                    "created"
                },
                before: Some(json!(before.unwrap_or_else(|| default_checklist(gate)))),
                after: Some(json!(after)),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Gate requests, newest first.
    pub async fn gate_requests(
        &self,
        organisation_id: i64,
        filter: &GateRequestFilter,
    ) -> Result<Vec<GateRequest>> {
        let mut sql = format!("{REQUEST_SELECT} WHERE g.organisation_id = $1");
        if filter.status.is_some() {
            sql.push_str(" AND g.status = $2");
        }
        if filter.project_id.is_some() {
            sql.push_str(if filter.status.is_some() {
                " AND g.project_id = $3"
            } else {
                " AND g.project_id = $2"
            });
        }
        sql.push_str(" ORDER BY g.id DESC");
        let mut q = sqlx::query(&sql).bind(organisation_id);
        if let Some(s) = filter.status {
            q = q.bind(s.as_str());
        }
        if let Some(p) = filter.project_id {
            q = q.bind(p);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(request_from).collect()
    }

    pub async fn gate_request(&self, organisation_id: i64, id: i64) -> Result<GateRequest> {
        let mut conn = self.pool.acquire().await?;
        request_in(&mut conn, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "gate request",
            })
    }

    /// Stores a request for `project_code`'s next gate. `check` sees the
    /// project as stored and the gate's checklist, inside the transaction,
    /// and returns the validated request (or why it is refused). A project
    /// already waiting on a gate is refused on `to_stage`.
    pub async fn create_gate_request(
        &self,
        organisation_id: i64,
        project_code: &str,
        actor: &Actor,
        check: impl FnOnce(&Project, &GateChecklist) -> Result<GateRequestInput, ValidationErrors>,
    ) -> Result<Result<GateRequest, ValidationErrors>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // The organisation's row lock first, so the project read below is the
        // one the request is checked against.
        bump_data_version(&mut tx, organisation_id).await?;
        let project = self
            .project_in_tx(&mut tx, organisation_id, project_code)
            .await?
            .ok_or(StoreError::NotFound { entity: "project" })?;
        let Some(next) = Gate::next_from(project.stage) else {
            return Ok(Err(ValidationErrors::single(
                "to_stage",
                format!(
                    "a project in {} has no next stage to ask for",
                    project.stage.label()
                ),
            )));
        };
        let checklist = stored_checklist(&mut tx, organisation_id, next)
            .await?
            .unwrap_or_else(|| default_checklist(next));
        let input = match check(&project, &checklist) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        let evidence = serde_json::to_string(&input.evidence)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let inserted = sqlx::query(
            "INSERT INTO gate_requests (organisation_id, project_id, from_stage, to_stage, summary, evidence, status, \
             requested_by_user_id, requested_by_label, requested_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, 1) RETURNING id",
        )
        .bind(organisation_id)
        .bind(project.id)
        .bind(input.gate.from.as_str())
        .bind(input.gate.to.as_str())
        .bind(input.summary.clone())
        .bind(evidence)
        .bind(actor.user_id)
        .bind(actor.label.clone())
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await;
        let row = match inserted.map_err(|e| map_unique(e, "to_stage", &project.code)) {
            Ok(row) => row,
            Err(StoreError::Duplicate { .. }) => {
                return Ok(Err(ValidationErrors::single(
                    "to_stage",
                    format!(
                        "{} is already waiting on a gate request; the board decides it before another is made",
                        project.code
                    ),
                )))
            }
            Err(e) => return Err(e),
        };
        let id: i64 = get(&row, "id")?;
        let stored =
            request_in(&mut tx, organisation_id, id)
                .await?
                .ok_or(StoreError::NotFound {
                    entity: "gate request",
                })?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "gate_request",
                entity_id: id,
                action: "requested",
                before: None,
                after: Some(json!(stored)),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(stored))
    }

    /// Records the decision on request `id` read at `expected_version`; an
    /// approval moves the project to the gate's stage in the same
    /// transaction (audited as "gate_approved"). `check` sees the request
    /// and the project as stored and may refuse (already decided, moved).
    pub async fn decide_gate_request(
        &self,
        organisation_id: i64,
        id: i64,
        expected_version: i64,
        decision: &GateDecisionInput,
        actor: &Actor,
        check: impl FnOnce(&GateRequest, &Project) -> Result<(), ValidationErrors>,
    ) -> Result<Result<GateRequest, ValidationErrors>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let result = self
            .decide_in_tx(
                &mut tx,
                organisation_id,
                id,
                expected_version,
                decision,
                actor,
                check,
            )
            .await?;
        if result.is_ok() {
            tx.commit().await?;
        }
        Ok(result)
    }

    /// The decision's writes inside a caller's transaction (the data version
    /// already bumped); meetings record gate decisions through this too.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn decide_in_tx(
        &self,
        tx: &mut Transaction<'_, Any>,
        organisation_id: i64,
        id: i64,
        expected_version: i64,
        decision: &GateDecisionInput,
        actor: &Actor,
        check: impl FnOnce(&GateRequest, &Project) -> Result<(), ValidationErrors>,
    ) -> Result<Result<GateRequest, ValidationErrors>> {
        let before = request_in(tx, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "gate request",
            })?;
        if before.version != expected_version {
            return Err(conflict(before.version));
        }
        let project = self
            .project_in_tx(tx, organisation_id, &before.project_code)
            .await?
            .ok_or(StoreError::NotFound { entity: "project" })?;
        if let Err(e) = check(&before, &project) {
            return Ok(Err(e));
        }
        let done = sqlx::query(
            "UPDATE gate_requests SET status = $1, reasons = $2, conditions = $3, decided_by_user_id = $4, \
             decided_by_label = $5, decided_at = $6, meeting_id = $7, version = version + 1 \
             WHERE id = $8 AND organisation_id = $9 AND version = $10",
        )
        .bind(decision.outcome.as_str())
        .bind(decision.reasons.clone())
        .bind(decision.conditions.clone())
        .bind(actor.user_id)
        .bind(actor.label.clone())
        .bind(now_text())
        .bind(decision.meeting_id)
        .bind(id)
        .bind(organisation_id)
        .bind(expected_version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict(expected_version + 1));
        }
        let after = request_in(tx, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "gate request",
            })?;
        let mut records = vec![AuditRecord {
            organisation_id: Some(organisation_id),
            entity: "gate_request",
            entity_id: id,
            action: "decided",
            before: Some(json!(before)),
            after: Some(json!(after)),
            actor,
        }];
        if decision.outcome.moves_stage() {
            let mut input = project.to_input();
            input.stage = before.to_stage;
            let moved = self
                .write_update(tx, organisation_id, &project, &input)
                .await?;
            records.push(AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "project",
                entity_id: project.id,
                action: "gate_approved",
                before: Some(json!(project)),
                after: Some(json!(moved)),
                actor,
            });
        }
        insert_audit(tx, records).await?;
        if let Some(notice) = notifications::gate_decided(&after, actor.user_id) {
            insert_notices(tx, organisation_id, &[notice], actor).await?;
        }
        Ok(Ok(after))
    }
}
