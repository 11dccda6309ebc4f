//! Priorities departments submit: submit, read, list, and triage them.
//!
//! Triage is one transaction with its audit records: accepting a priority
//! creates its concept project through the same path as any new project
//! (next free code, project audit record) and marks the priority accepted
//! with a link to it; linking and declining record the project or the
//! reason. The organisation's data version is bumped first, which also takes
//! its row lock on PostgreSQL, so two triages of one priority run one after
//! the other and the second sees the first's decision.

use chrono::Utc;
use portfolio_domain::intake::{
    Priority, PriorityFilter, PriorityInput, PriorityStatus, ProjectLink, Submitter, Urgency,
};
use portfolio_domain::project::NamedRef;
use portfolio_domain::{Money, Project, ProjectInput};
use serde_json::json;
use sqlx::any::AnyRow;

use crate::audit::{bump_data_version, insert_audit, record, AuditRecord};
use crate::projects::{insert_rows, NewProject};
use crate::{
    format_time, get, parse_stored, parse_time, stored_time, Actor, Result, Store, StoreError,
};

const PRIORITY_SELECT: &str = "SELECT pr.id, pr.organisation_id, pr.title, pr.problem, pr.beneficiaries, pr.urgency, \
     pr.rough_cost_pence, pr.status, pr.decline_reason, pr.submitted_by_user_id, pr.submitted_by_label, \
     pr.submitted_at, pr.triaged_by_label, pr.triaged_at, pr.version, \
     d.id AS department_id, d.slug AS department_slug, d.name AS department_name, \
     cp.id AS changes_id, cp.code AS changes_code, cp.title AS changes_title, \
     p.id AS link_id, p.code AS link_code, p.title AS link_title, \
     u.name AS submitter_name \
     FROM priorities pr JOIN departments d ON d.id = pr.department_id \
     LEFT JOIN projects cp ON cp.id = pr.changes_project_id \
     LEFT JOIN projects p ON p.id = pr.project_id \
     LEFT JOIN users u ON u.id = pr.submitted_by_user_id";

/// What the programme office decided, as the store writes it.
#[derive(Debug, Clone, Copy)]
pub enum TriageDecision<'a> {
    /// Create this project (at stage concept) and mark the priority accepted as it.
    Accept {
        project: &'a ProjectInput,
        code_prefix: &'a str,
    },
    /// Mark the priority a change to this existing project.
    Link { project_id: i64 },
    /// Mark the priority declined for this reason.
    Decline { reason: &'a str },
}

/// A triaged priority, and the project accepting it created.
#[derive(Debug, Clone, PartialEq)]
pub struct Triaged {
    pub priority: Priority,
    pub project: Option<Project>,
}

fn link(row: &AnyRow, prefix: &str) -> Result<Option<ProjectLink>> {
    let id: Option<i64> = get(row, &format!("{prefix}_id"))?;
    match id {
        None => Ok(None),
        Some(id) => Ok(Some(ProjectLink {
            id,
            code: get(row, &format!("{prefix}_code"))?,
            title: get(row, &format!("{prefix}_title"))?,
        })),
    }
}

fn priority_from(row: &AnyRow) -> Result<Priority> {
    let urgency: String = get(row, "urgency")?;
    let status: String = get(row, "status")?;
    let cost: Option<i64> = get(row, "rough_cost_pence")?;
    let label: String = get(row, "submitted_by_label")?;
    let name: Option<String> = get(row, "submitter_name")?;
    let triaged_at: Option<String> = get(row, "triaged_at")?;
    Ok(Priority {
        id: get(row, "id")?,
        organisation_id: get(row, "organisation_id")?,
        title: get(row, "title")?,
        problem: get(row, "problem")?,
        beneficiaries: get(row, "beneficiaries")?,
        urgency: parse_stored("urgency", &urgency, Urgency::parse)?,
        rough_cost_pence: cost
            .map(|p| Money::from_pence(p).map_err(StoreError::Corrupt))
            .transpose()?,
        department: NamedRef {
            id: get(row, "department_id")?,
            slug: get(row, "department_slug")?,
            name: get(row, "department_name")?,
        },
        themes: Vec::new(),
        changes_project: link(row, "changes")?,
        status: parse_stored("status", &status, PriorityStatus::parse)?,
        project: link(row, "link")?,
        decline_reason: get(row, "decline_reason")?,
        submitted_by: Submitter {
            user_id: get(row, "submitted_by_user_id")?,
            name: name.unwrap_or_else(|| label.clone()),
            email: label,
        },
        submitted_at: parse_time(&get::<String>(row, "submitted_at")?)?,
        triaged_by: get(row, "triaged_by_label")?,
        triaged_at: triaged_at.map(|t| parse_time(&t)).transpose()?,
        version: get(row, "version")?,
    })
}

/// Fills in the themes of already-loaded priorities (one query for any number).
async fn attach_themes(conn: &mut sqlx::AnyConnection, priorities: &mut [Priority]) -> Result<()> {
    if priorities.is_empty() {
        return Ok(());
    }
    let list = priorities
        .iter()
        .map(|p| p.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT pt.priority_id, t.id, t.slug, t.name FROM priority_themes pt JOIN themes t ON t.id = pt.theme_id \
         WHERE pt.priority_id IN ({list}) ORDER BY t.name, t.id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let id: i64 = get(row, "priority_id")?;
        if let Some(p) = priorities.iter_mut().find(|p| p.id == id) {
            p.themes.push(NamedRef {
                id: get(row, "id")?,
                slug: get(row, "slug")?,
                name: get(row, "name")?,
            });
        }
    }
    Ok(())
}

async fn priority_in(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
    id: i64,
) -> Result<Option<Priority>> {
    let row = sqlx::query(&format!(
        "{PRIORITY_SELECT} WHERE pr.organisation_id = $1 AND pr.id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut found = vec![priority_from(&row)?];
    attach_themes(conn, &mut found).await?;
    Ok(found.pop())
}

async fn priorities_where(
    conn: &mut sqlx::AnyConnection,
    clauses: &str,
    params: &[i64],
    status: Option<PriorityStatus>,
) -> Result<Vec<Priority>> {
    let mut sql = format!("{PRIORITY_SELECT} WHERE {clauses}");
    if status.is_some() {
        sql.push_str(&format!(" AND pr.status = ${}", params.len() + 1));
    }
    sql.push_str(" ORDER BY pr.submitted_at DESC, pr.id DESC");
    let mut q = sqlx::query(&sql);
    for p in params {
        q = q.bind(*p);
    }
    if let Some(s) = status {
        q = q.bind(s.as_str());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut found = rows.iter().map(priority_from).collect::<Result<Vec<_>>>()?;
    attach_themes(conn, &mut found).await?;
    Ok(found)
}

impl Store {
    /// Stores a submitted priority with its audit record, in one transaction.
    /// `changes_project_id` is the project it changes, already resolved in
    /// the organisation.
    pub async fn create_priority(
        &self,
        organisation_id: i64,
        input: &PriorityInput,
        changes_project_id: Option<i64>,
        actor: &Actor,
    ) -> Result<Priority> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let now = format_time(stored_time(Utc::now()));
        let row = sqlx::query(
            "INSERT INTO priorities (organisation_id, title, problem, beneficiaries, urgency, rough_cost_pence, \
             department_id, changes_project_id, status, submitted_by_user_id, submitted_by_label, submitted_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1) RETURNING id",
        )
        .bind(organisation_id)
        .bind(input.title.clone())
        .bind(input.problem.clone())
        .bind(input.beneficiaries.clone())
        .bind(input.urgency.as_str())
        .bind(input.rough_cost.map(Money::pence))
        .bind(input.department.id)
        .bind(changes_project_id)
        .bind(PriorityStatus::Submitted.as_str())
        .bind(actor.user_id)
        .bind(actor.label.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        let themes: Vec<(i64, i64)> = input.themes.iter().map(|t| (id, t.id)).collect();
        insert_rows(
            &mut tx,
            "INSERT INTO priority_themes (priority_id, theme_id)",
            "",
            2,
            &themes,
            |q, (priority, theme)| q.bind(*priority).bind(*theme),
        )
        .await?;
        let priority = priority_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound { entity: "priority" })?;
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "priority",
                entity_id: id,
                action: "submitted",
                before: None,
                after: Some(json!(priority)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(priority)
    }

    /// One priority of an organisation.
    pub async fn priority(&self, organisation_id: i64, id: i64) -> Result<Priority> {
        let mut conn = self.pool.acquire().await?;
        priority_in(&mut conn, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound { entity: "priority" })
    }

    /// An organisation's priorities matching `filter`, newest first.
    pub async fn priorities(
        &self,
        organisation_id: i64,
        filter: &PriorityFilter,
    ) -> Result<Vec<Priority>> {
        let mut conn = self.pool.acquire().await?;
        match filter.submitted_by {
            Some(user) => {
                priorities_where(
                    &mut conn,
                    "pr.organisation_id = $1 AND pr.submitted_by_user_id = $2",
                    &[organisation_id, user],
                    filter.status,
                )
                .await
            }
            None => {
                priorities_where(
                    &mut conn,
                    "pr.organisation_id = $1",
                    &[organisation_id],
                    filter.status,
                )
                .await
            }
        }
    }

    /// The priorities accepted as, or linked to, one project, newest first.
    pub async fn project_priorities(
        &self,
        organisation_id: i64,
        project_id: i64,
    ) -> Result<Vec<Priority>> {
        let mut conn = self.pool.acquire().await?;
        priorities_where(
            &mut conn,
            "pr.organisation_id = $1 AND pr.project_id = $2",
            &[organisation_id, project_id],
            None,
        )
        .await
    }

    /// Records the programme office's decision on a priority read at
    /// `expected_version`, in one transaction with its audit records.
    ///
    /// `check` sees the stored priority inside the transaction and may refuse
    /// (the domain's rule that only a submitted priority is triaged), so the
    /// rule and the write see the same state; a refusal writes nothing. A
    /// stale version is [`StoreError::Conflict`].
    pub async fn triage_priority<E>(
        &self,
        organisation_id: i64,
        id: i64,
        expected_version: i64,
        decision: TriageDecision<'_>,
        actor: &Actor,
        check: impl FnOnce(&Priority) -> Result<(), E>,
    ) -> Result<Result<Triaged, E>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // First, so a concurrent triage of the same priority waits for this one.
        bump_data_version(&mut tx, organisation_id).await?;
        let before = priority_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound { entity: "priority" })?;
        if let Err(e) = check(&before) {
            return Ok(Err(e));
        }
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                entity: "priority",
                current_version: before.version,
                current: Box::new(None),
            });
        }
        let (status, project_id, reason, created) = match decision {
            TriageDecision::Accept {
                project,
                code_prefix,
            } => {
                let created = self
                    .insert_projects(
                        &mut tx,
                        organisation_id,
                        code_prefix,
                        &[NewProject {
                            input: project,
                            actor,
                        }],
                    )
                    .await?
                    .pop()
                    .ok_or(StoreError::NotFound { entity: "project" })?;
                (
                    PriorityStatus::Accepted,
                    Some(created.id),
                    None,
                    Some(created),
                )
            }
            TriageDecision::Link { project_id } => {
                (PriorityStatus::Linked, Some(project_id), None, None)
            }
            TriageDecision::Decline { reason } => (
                PriorityStatus::Declined,
                None,
                Some(reason.to_string()),
                None,
            ),
        };
        let done = sqlx::query(
            "UPDATE priorities SET status = $1, project_id = $2, decline_reason = $3, triaged_by_label = $4, \
             triaged_at = $5, version = version + 1 WHERE id = $6 AND organisation_id = $7 AND version = $8",
        )
        .bind(status.as_str())
        .bind(project_id)
        .bind(reason)
        .bind(actor.label.clone())
        .bind(format_time(Utc::now()))
        .bind(id)
        .bind(organisation_id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                entity: "priority",
                current_version: before.version + 1,
                current: Box::new(None),
            });
        }
        let after = priority_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound { entity: "priority" })?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "priority",
                entity_id: id,
                action: status.as_str(),
                before: Some(json!(before)),
                after: Some(json!(after)),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(Triaged {
            priority: after,
            project: created,
        }))
    }
}
