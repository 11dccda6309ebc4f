//! Imports: many projects written at once, keyed by where they came from.
//!
//! A department's spreadsheet is imported again and again as it changes. Each
//! row carries a [`RowOrigin`]: the source (a name for the spreadsheet, such
//! as its file name), the row's key within that source (its own ID column, or
//! its normalised title), and where it was read (file, sheet, row). The first
//! import of a key creates a project; a later import of the same source and
//! key updates that project instead of adding a duplicate, or leaves it alone
//! when nothing changed. The whole import is one transaction: projects,
//! their audit records and the provenance rows are all written, or none is.
//!
//! This module does not read files or validate rows: the app layer does both
//! and hands over parsed [`ProjectInput`]s.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use portfolio_domain::project::Stored;
use portfolio_domain::{Project, ProjectInput, ValidationErrors};
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};

use crate::audit::{bump_data_version, insert_audit, AuditRecord};
use crate::projects::{insert_rows, project_from, NewProject, Placeholders, PROJECT_COLUMNS};
use crate::{format_time, get, parse_time, Actor, Result, Store, StoreError};

/// Projects read at once by id.
const IDS_PER_LOOKUP: usize = 1_000;

/// Where an imported row came from, and the key that finds it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowOrigin {
    /// A name for the spreadsheet source: its file name or a name given.
    pub source: String,
    /// The row's key within the source: its own ID, or its normalised title.
    pub row_key: String,
    /// The file the row was read from.
    pub file: String,
    /// The sheet, for workbooks; `None` for CSV files.
    pub sheet: Option<String>,
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: i64,
}

/// One row of an import: the project it describes and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct ImportedRow<'a> {
    pub input: &'a ProjectInput,
    pub origin: &'a RowOrigin,
}

/// What an import did (or, not committed, would have done).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub created: usize,
    pub updated: usize,
    /// Rows imported before whose values have not changed since.
    pub unchanged: usize,
}

/// Where a stored project was imported from, as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    pub project_id: i64,
    pub project_code: String,
    pub origin: RowOrigin,
    pub imported_at: DateTime<Utc>,
}

/// Rows refused by the rule the caller checks against stored projects, by
/// their position in the import.
pub type Refusals = Vec<(usize, ValidationErrors)>;

/// Whether `input` would store exactly `before` again.
fn unchanged(before: &Project, input: &ProjectInput) -> bool {
    let same = input.to_project(Stored {
        id: before.id,
        organisation_id: before.organisation_id,
        code: before.code.clone(),
        version: before.version,
        created_at: before.created_at,
        updated_at: before.updated_at,
    });
    same == *before
}

impl Store {
    /// Writes an import in one transaction: rows whose (source, row key) was
    /// imported before update the project they created (skipped when nothing
    /// changed), other rows create projects (numbered with `code_prefix`),
    /// and every row's provenance is recorded. `check` may refuse an update
    /// of a stored project (the domain's stage rules); any refusal writes
    /// nothing and is returned by row position. With `commit` false the
    /// transaction is rolled back at the end, so a dry run reports exactly
    /// what a real import would do.
    pub async fn import_projects(
        &self,
        organisation_id: i64,
        code_prefix: &str,
        rows: &[ImportedRow<'_>],
        actor: &Actor,
        commit: bool,
        check: impl Fn(&Project, &ProjectInput) -> Result<(), ValidationErrors>,
    ) -> Result<Result<ImportCounts, Refusals>> {
        let mut keys = HashSet::new();
        for row in rows {
            if !keys.insert((&row.origin.source, &row.origin.row_key)) {
                return Err(StoreError::Duplicate {
                    field: "row_key",
                    value: row.origin.row_key.clone(),
                });
            }
        }
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // Takes the organisation's row lock on PostgreSQL, so two imports of
        // the same source cannot both create a project for one key.
        bump_data_version(&mut tx, organisation_id).await?;

        let sources: HashSet<&str> = rows.iter().map(|r| r.origin.source.as_str()).collect();
        let mut known: HashMap<(String, String), i64> = HashMap::new();
        for source in sources {
            let found = sqlx::query(
                "SELECT row_key, project_id FROM import_provenance WHERE organisation_id = $1 AND source = $2",
            )
            .bind(organisation_id)
            .bind(source.to_string())
            .fetch_all(&mut *tx)
            .await?;
            for row in &found {
                known.insert(
                    (source.to_string(), get(row, "row_key")?),
                    get(row, "project_id")?,
                );
            }
        }
        // A row naming a register code (the register's own export) is that
        // project of the organisation, whatever source it comes from.
        let codes: Vec<String> = rows
            .iter()
            .filter_map(|r| r.input.code.as_ref().map(|c| c.as_str().to_string()))
            .collect();
        let mut by_code: HashMap<String, i64> = HashMap::new();
        for chunk in codes.chunks(IDS_PER_LOOKUP) {
            let mut params = Placeholders::for_connection(&tx);
            let sql = format!(
                "SELECT id, code FROM projects WHERE organisation_id = {} AND code IN ({})",
                params.next(),
                params.list(chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(organisation_id);
            for code in chunk {
                q = q.bind(code.clone());
            }
            for row in q.fetch_all(&mut *tx).await? {
                by_code.insert(get(&row, "code")?, get(&row, "id")?);
            }
        }
        let existing = |r: &ImportedRow<'_>| -> Option<i64> {
            match &r.input.code {
                Some(code) => by_code.get(code.as_str()).copied(),
                None => known
                    .get(&(r.origin.source.clone(), r.origin.row_key.clone()))
                    .copied(),
            }
        };
        let wanted: Vec<i64> = rows.iter().filter_map(&existing).collect();
        let stored = self
            .projects_by_id(&mut tx, organisation_id, &wanted)
            .await?;

        let mut counts = ImportCounts::default();
        let mut refusals = Vec::new();
        let mut updates: Vec<(Project, Project)> = Vec::new();
        let mut creates: Vec<usize> = Vec::new();
        // The project each row ends up with; new ones are filled in below.
        let mut project_ids: Vec<Option<i64>> = vec![None; rows.len()];
        for (i, row) in rows.iter().enumerate() {
            let Some(before) = existing(row).and_then(|id| stored.get(&id)) else {
                creates.push(i);
                continue;
            };
            project_ids[i] = Some(before.id);
            if unchanged(before, row.input) {
                counts.unchanged += 1;
                continue;
            }
            if let Err(e) = check(before, row.input) {
                refusals.push((i, e));
                continue;
            }
            if refusals.is_empty() {
                let after = self
                    .write_update(&mut tx, organisation_id, before, row.input)
                    .await?;
                updates.push((before.clone(), after));
            }
            counts.updated += 1;
        }
        if !refusals.is_empty() {
            tx.rollback().await?;
            return Ok(Err(refusals));
        }

        let items: Vec<NewProject<'_>> = creates
            .iter()
            .map(|&i| NewProject {
                input: rows[i].input,
                actor,
            })
            .collect();
        let created = self
            .insert_projects(&mut tx, organisation_id, code_prefix, &items)
            .await?;
        for (&i, project) in creates.iter().zip(&created) {
            project_ids[i] = Some(project.id);
        }
        counts.created = created.len();

        let records: Vec<AuditRecord<'_>> = updates
            .iter()
            .map(|(before, after)| AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "project",
                entity_id: after.id,
                action: "updated",
                before: Some(json!(before)),
                after: Some(json!(after)),
                actor,
            })
            .collect();
        insert_audit(&mut tx, records).await?;

        let now = format_time(Utc::now());
        let provenance: Vec<(&RowOrigin, i64)> = rows
            .iter()
            .zip(&project_ids)
            .map(|(row, id)| {
                id.map(|id| (row.origin, id))
                    .ok_or(StoreError::NotFound { entity: "project" })
            })
            .collect::<Result<_>>()?;
        insert_rows(
            &mut tx,
            "INSERT INTO import_provenance (organisation_id, source, row_key, project_id, file, sheet, row_number, imported_at)",
            " ON CONFLICT (organisation_id, source, row_key) DO UPDATE SET project_id = excluded.project_id, \
             file = excluded.file, sheet = excluded.sheet, row_number = excluded.row_number, imported_at = excluded.imported_at",
            8,
            &provenance,
            |q, (origin, project_id)| {
                q.bind(organisation_id)
                    .bind(origin.source.clone())
                    .bind(origin.row_key.clone())
                    .bind(*project_id)
                    .bind(origin.file.clone())
                    .bind(origin.sheet.clone())
                    .bind(origin.row)
                    .bind(now.clone())
            },
        )
        .await?;
        if commit {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(Ok(counts))
    }

    /// Stored projects of an organisation by id, read inside `tx`.
    async fn projects_by_id(
        &self,
        tx: &mut Transaction<'_, Any>,
        organisation_id: i64,
        ids: &[i64],
    ) -> Result<HashMap<i64, Project>> {
        let mut found = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let rows = sqlx::query(&format!(
                "SELECT {PROJECT_COLUMNS} FROM projects p JOIN departments d ON d.id = p.department_id \
                 WHERE p.organisation_id = $1 AND p.id IN ({})",
                list.join(",")
            ))
            .bind(organisation_id)
            .fetch_all(&mut **tx)
            .await?;
            let mut projects = rows.iter().map(project_from).collect::<Result<Vec<_>>>()?;
            self.attach_details(tx, &mut projects).await?;
            found.extend(projects.into_iter().map(|p| (p.id, p)));
        }
        Ok(found)
    }

    /// Where an organisation's imported projects came from, by source and row key.
    pub async fn provenance(&self, organisation_id: i64) -> Result<Vec<Provenance>> {
        let rows = sqlx::query(
            "SELECT i.source, i.row_key, i.project_id, p.code, i.file, i.sheet, i.row_number, i.imported_at \
             FROM import_provenance i JOIN projects p ON p.id = i.project_id \
             WHERE i.organisation_id = $1 ORDER BY i.source, i.row_key",
        )
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        provenance_from(&rows)
    }

    /// Where one project was imported from: every source row that created or
    /// updated it, most recently imported first.
    pub async fn project_provenance(
        &self,
        organisation_id: i64,
        project_id: i64,
    ) -> Result<Vec<Provenance>> {
        let rows = sqlx::query(
            "SELECT i.source, i.row_key, i.project_id, p.code, i.file, i.sheet, i.row_number, i.imported_at \
             FROM import_provenance i JOIN projects p ON p.id = i.project_id \
             WHERE i.organisation_id = $1 AND i.project_id = $2 ORDER BY i.imported_at DESC, i.source",
        )
        .bind(organisation_id)
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        provenance_from(&rows)
    }
}

fn provenance_from(rows: &[sqlx::any::AnyRow]) -> Result<Vec<Provenance>> {
    rows.iter()
        .map(|row| {
            Ok(Provenance {
                project_id: get(row, "project_id")?,
                project_code: get(row, "code")?,
                origin: RowOrigin {
                    source: get(row, "source")?,
                    row_key: get(row, "row_key")?,
                    file: get(row, "file")?,
                    sheet: get(row, "sheet")?,
                    row: get(row, "row_number")?,
                },
                imported_at: parse_time(&get::<String>(row, "imported_at")?)?,
            })
        })
        .collect()
}
