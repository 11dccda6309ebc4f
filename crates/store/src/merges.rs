//! Merges: one transaction that rewrites the survivor, marks the others
//! merged, records lineage and audit; undo from the merge's audit record.
//!
//! The domain decides the survivor's values and whether an undo is allowed
//! ([`portfolio_domain::consolidate::merge`]); callers pass those rules in as
//! closures, which run inside the transaction on the projects as it read
//! them, so the rule and the write see the same state.

use chrono::Utc;
use portfolio_domain::consolidate::merge::{
    merged_input, Lineage, LineageLink, Merge, MergePlan, MergedState,
};
use portfolio_domain::{Project, ProjectInput};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{bump_data_version, insert_audit, AuditRecord};
use crate::projects::{insert_rows, project_from, PROJECT_COLUMNS};
use crate::{format_time, get, parse_time, stored_time, Actor, Result, Store, StoreError};

/// The projects of a merge at one moment, as its audit record keeps them.
#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    survivor: Project,
    merged: Vec<Project>,
}

impl Snapshot {
    fn all(&self) -> impl Iterator<Item = &Project> {
        std::iter::once(&self.survivor).chain(self.merged.iter())
    }
}

/// A row of `project_merges`.
struct MergeRow {
    id: i64,
    survivor_id: i64,
    merged_at: String,
    merged_by: String,
    undone_at: Option<String>,
    undone_by: Option<String>,
}

fn merge_row(row: &AnyRow) -> Result<MergeRow> {
    Ok(MergeRow {
        id: get(row, "id")?,
        survivor_id: get(row, "survivor_id")?,
        merged_at: get(row, "merged_at")?,
        merged_by: get(row, "merged_by")?,
        undone_at: get(row, "undone_at")?,
        undone_by: get(row, "undone_by")?,
    })
}

fn stale(project: Project) -> StoreError {
    StoreError::Conflict {
        entity: "project",
        current_version: project.version,
        current: Box::new(Some(project)),
    }
}

impl Store {
    /// Merges the plan's projects: checks each is still at the version the
    /// caller read (a stale one is refused as a conflict carrying it), lets
    /// `build` turn the survivor and the merged projects as read into the
    /// survivor's new values (or refuse), then writes the survivor, moves the
    /// others to `merged`, records the lineage and one audit record per
    /// project plus one for the merge (holding every project before and
    /// after, from which an undo restores them), all in one transaction.
    pub async fn merge_projects<E>(
        &self,
        organisation_id: i64,
        plan: &MergePlan,
        actor: &Actor,
        build: impl FnOnce(&Project, &[Project]) -> Result<ProjectInput, E>,
    ) -> Result<Result<Merge, E>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // Takes the organisation's row lock on PostgreSQL: merges and other
        // batch writes of one organisation go one at a time.
        bump_data_version(&mut tx, organisation_id).await?;
        let mut read = Vec::new();
        for member in plan.members() {
            let project = self
                .project_in_tx(&mut tx, organisation_id, member.code.as_str())
                .await?
                .ok_or(StoreError::NotFound { entity: "project" })?;
            if project.version != member.version {
                return Err(stale(project));
            }
            read.push(project);
        }
        let survivor = read.remove(0);
        let merged = read;
        let input = match build(&survivor, &merged) {
            Ok(input) => input,
            Err(e) => return Ok(Err(e)),
        };
        let survivor_after = self
            .write_update(&mut tx, organisation_id, &survivor, &input)
            .await?;
        let mut merged_after = Vec::with_capacity(merged.len());
        for project in &merged {
            merged_after.push(
                self.write_update(&mut tx, organisation_id, project, &merged_input(project))
                    .await?,
            );
        }
        let now = Utc::now();
        let row = sqlx::query(
            "INSERT INTO project_merges (organisation_id, survivor_id, merged_at, merged_by) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(organisation_id)
        .bind(survivor.id)
        .bind(format_time(now))
        .bind(actor.label.clone())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        let members: Vec<(i64, i64)> = merged
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i as i64))
            .collect();
        insert_rows(
            &mut tx,
            "INSERT INTO project_merge_members (merge_id, project_id, position)",
            "",
            3,
            &members,
            |q, (project, position)| q.bind(id).bind(*project).bind(*position),
        )
        .await?;
        let before = Snapshot { survivor, merged };
        let after = Snapshot {
            survivor: survivor_after,
            merged: merged_after,
        };
        write_audit(
            &mut tx,
            organisation_id,
            id,
            "merged",
            &before,
            &after,
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(Merge {
            id,
            survivor: after.survivor,
            merged: after.merged,
            merged_at: stored_time(now),
            merged_by: actor.label.clone(),
            undone_at: None,
            undone_by: None,
        }))
    }

    /// Undoes a merge from its audit record: `check` sees whether it was
    /// already undone, the version each project was left at, and the projects
    /// as stored now, and may refuse; then every project gets back its values
    /// from before the merge (with a new version, so readers see the change),
    /// the lineage is closed, and the undo is audited, in one transaction.
    pub async fn undo_merge<E>(
        &self,
        organisation_id: i64,
        merge_id: i64,
        actor: &Actor,
        check: impl FnOnce(bool, &[MergedState], &[Project]) -> Result<(), E>,
    ) -> Result<Result<Merge, E>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let merge = self.merge_row(&mut tx, organisation_id, merge_id).await?;
        let row = sqlx::query(
            "SELECT before_json, after_json FROM audit_log \
             WHERE organisation_id = $1 AND entity = 'merge' AND entity_id = $2 AND action = 'merged' \
             ORDER BY id LIMIT 1",
        )
        .bind(organisation_id)
        .bind(merge_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("merge {merge_id} has no audit record")))?;
        let snapshot = |column: &str| -> Result<Snapshot> {
            let text: Option<String> = get(&row, column)?;
            text.as_deref()
                .map(serde_json::from_str::<Snapshot>)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("merge {merge_id} audit {column}: {e}")))?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("merge {merge_id} audit has no {column}"))
                })
        };
        let before = snapshot("before_json")?;
        let after = snapshot("after_json")?;
        let states: Vec<MergedState> = after
            .all()
            .map(|p| MergedState {
                code: p.code.clone(),
                version_after_merge: p.version,
            })
            .collect();
        let mut current = Vec::new();
        for p in after.all() {
            if let Some(found) = self
                .project_in_tx(&mut tx, organisation_id, &p.code)
                .await?
            {
                current.push(found);
            }
        }
        if let Err(e) = check(merge.undone_at.is_some(), &states, &current) {
            return Ok(Err(e));
        }
        let mut restored = Vec::new();
        for was in before.all() {
            let now = current
                .iter()
                .find(|p| p.id == was.id)
                .ok_or(StoreError::NotFound { entity: "project" })?;
            restored.push(
                self.write_update(&mut tx, organisation_id, now, &was.to_input())
                    .await?,
            );
        }
        let undone_at = Utc::now();
        sqlx::query("UPDATE project_merges SET undone_at = $1, undone_by = $2 WHERE id = $3")
            .bind(format_time(undone_at))
            .bind(actor.label.clone())
            .bind(merge_id)
            .execute(&mut *tx)
            .await?;
        let survivor = restored.remove(0);
        let restored = Snapshot {
            survivor,
            merged: restored,
        };
        let now = Snapshot {
            survivor: current.remove(0),
            merged: current,
        };
        write_audit(
            &mut tx,
            organisation_id,
            merge_id,
            "merge_undone",
            &now,
            &restored,
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(Merge {
            id: merge_id,
            survivor: restored.survivor,
            merged: restored.merged,
            merged_at: parse_time(&merge.merged_at)?,
            merged_by: merge.merged_by,
            undone_at: Some(stored_time(undone_at)),
            undone_by: Some(actor.label.clone()),
        }))
    }

    async fn merge_row(
        &self,
        tx: &mut Transaction<'_, Any>,
        organisation_id: i64,
        merge_id: i64,
    ) -> Result<MergeRow> {
        let row = sqlx::query(
            "SELECT id, survivor_id, merged_at, merged_by, undone_at, undone_by FROM project_merges \
             WHERE id = $1 AND organisation_id = $2",
        )
        .bind(merge_id)
        .bind(organisation_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound { entity: "merge" })?;
        merge_row(&row)
    }

    /// A merge of an organisation, with its projects as they are now.
    pub async fn merge(&self, organisation_id: i64, merge_id: i64) -> Result<Merge> {
        let mut tx = self.pool.begin().await?;
        let merge = self.merge_row(&mut tx, organisation_id, merge_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects p JOIN departments d ON d.id = p.department_id \
             LEFT JOIN project_merge_members mm ON mm.project_id = p.id AND mm.merge_id = $1 \
             WHERE p.organisation_id = $2 AND (p.id = $3 OR mm.merge_id IS NOT NULL) \
             ORDER BY CASE WHEN p.id = $3 THEN -1 ELSE mm.position END"
        ))
        .bind(merge_id)
        .bind(organisation_id)
        .bind(merge.survivor_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut projects = rows.iter().map(project_from).collect::<Result<Vec<_>>>()?;
        self.attach_details(&mut tx, &mut projects).await?;
        tx.commit().await?;
        if projects.first().map(|p| p.id) != Some(merge.survivor_id) {
            return Err(StoreError::Corrupt(format!(
                "merge {merge_id} names a survivor that is not stored"
            )));
        }
        let survivor = projects.remove(0);
        Ok(Merge {
            id: merge.id,
            survivor,
            merged: projects,
            merged_at: parse_time(&merge.merged_at)?,
            merged_by: merge.merged_by,
            undone_at: merge.undone_at.as_deref().map(parse_time).transpose()?,
            undone_by: merge.undone_by,
        })
    }

    /// Where a project came from and went to by merges still in force.
    pub async fn lineage(&self, organisation_id: i64, project_id: i64) -> Result<Lineage> {
        let rows = sqlx::query(
            "SELECT m.id, m.survivor_id, m.merged_at, m.merged_by, mm.project_id, \
             s.code AS survivor_code, s.title AS survivor_title, x.code AS member_code, x.title AS member_title \
             FROM project_merges m \
             JOIN project_merge_members mm ON mm.merge_id = m.id \
             JOIN projects s ON s.id = m.survivor_id \
             JOIN projects x ON x.id = mm.project_id \
             WHERE m.organisation_id = $1 AND m.undone_at IS NULL AND (m.survivor_id = $2 OR mm.project_id = $2) \
             ORDER BY m.id, mm.position",
        )
        .bind(organisation_id)
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let mut lineage = Lineage::default();
        for row in &rows {
            let link = |code: &str, title: &str| -> Result<LineageLink> {
                Ok(LineageLink {
                    merge_id: get(row, "id")?,
                    code: get(row, code)?,
                    title: get(row, title)?,
                    merged_at: parse_time(&get::<String>(row, "merged_at")?)?,
                    merged_by: get(row, "merged_by")?,
                })
            };
            if get::<i64>(row, "survivor_id")? == project_id {
                lineage
                    .merged_from
                    .push(link("member_code", "member_title")?);
            } else if get::<i64>(row, "project_id")? == project_id {
                lineage.merged_into = Some(link("survivor_code", "survivor_title")?);
            }
        }
        Ok(lineage)
    }
}

/// One audit record per project (entity `project`) and one for the merge
/// (entity `merge`), whose before and after hold every project, in one statement.
async fn write_audit(
    tx: &mut Transaction<'_, Any>,
    organisation_id: i64,
    merge_id: i64,
    action: &'static str,
    before: &Snapshot,
    after: &Snapshot,
    actor: &Actor,
) -> Result<()> {
    let mut records: Vec<AuditRecord<'_>> = before
        .all()
        .zip(after.all())
        .map(|(b, a)| AuditRecord {
            organisation_id: Some(organisation_id),
            entity: "project",
            entity_id: a.id,
            action,
            before: Some(json!(b)),
            after: Some(json!(a)),
            actor,
        })
        .collect();
    records.push(AuditRecord {
        organisation_id: Some(organisation_id),
        entity: "merge",
        entity_id: merge_id,
        action,
        before: Some(json!(before)),
        after: Some(json!(after)),
        actor,
    });
    insert_audit(tx, records).await
}
