//! Projects: create, update with a version check, list with filters, count.

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono::Utc;
use portfolio_domain::dashboard::GroupedCounts;
use portfolio_domain::filter::{ProjectFilter, ProjectSort};
use portfolio_domain::project::NamedRef;
use portfolio_domain::project::Stored;
use portfolio_domain::{
    CostLine, DeliveryConfidence, FinancialYear, GovUkPhase, Money, Project, ProjectCode,
    ProjectInput, Stage,
};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{bump_data_version, insert_audit_texts, record, AuditRecord, AuditText};
use crate::{
    format_time, get, map_unique, parse_stored, parse_time, stored_time, Actor, Backend, Result,
    Store, StoreError,
};

/// One page of a register list.
#[derive(Debug, Clone)]
pub struct ProjectPage {
    pub projects: Vec<Project>,
    /// Projects matching the filter, across all pages.
    pub total: i64,
}

pub(crate) const PROJECT_COLUMNS: &str = "p.id, p.organisation_id, p.code, p.title, p.summary, p.stage, p.phase, p.sponsor, p.manager, \
     p.start_date, p.end_date, p.confidence, p.tags, p.published, p.residents, p.version, p.created_at, p.updated_at, \
     d.id AS department_id, d.slug AS department_slug, d.name AS department_name";

/// A value bound to a dynamically built query.
enum Param {
    Int(i64),
    Text(String),
}

fn stage_rank_sql() -> String {
    let cases: Vec<String> = Stage::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| format!("WHEN '{}' THEN {i}", s.as_str()))
        .collect();
    format!("CASE p.stage {} END", cases.join(" "))
}

fn confidence_rank_sql() -> String {
    let cases: Vec<String> = DeliveryConfidence::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| format!("WHEN '{}' THEN {i}", c.as_str()))
        .collect();
    format!("CASE p.confidence {} ELSE 9 END", cases.join(" "))
}

/// Lower-cased text searched by the register's free-text box.
fn search_text(input: &ProjectInput, code: &str) -> String {
    [
        code,
        &input.title,
        &input.summary,
        &input.sponsor,
        &input.manager,
        &input.tags.join(" "),
    ]
    .join(" ")
    .to_lowercase()
}

fn total_cost(costs: &[CostLine]) -> i64 {
    costs
        .iter()
        .map(|c| c.capital_pence.pence() + c.revenue_pence.pence())
        .sum()
}

pub(crate) fn project_from(row: &AnyRow) -> Result<Project> {
    let stage: String = get(row, "stage")?;
    let phase: Option<String> = get(row, "phase")?;
    let confidence: Option<String> = get(row, "confidence")?;
    let tags: String = get(row, "tags")?;
    let date = |col: &str| -> Result<Option<NaiveDate>> {
        let v: Option<String> = get(row, col)?;
        v.map(|s| parse_stored(col, &s, |s| NaiveDate::parse_from_str(s, "%Y-%m-%d")))
            .transpose()
    };
    Ok(Project {
        id: get(row, "id")?,
        organisation_id: get(row, "organisation_id")?,
        code: get(row, "code")?,
        title: get(row, "title")?,
        summary: get(row, "summary")?,
        department: NamedRef {
            id: get(row, "department_id")?,
            slug: get(row, "department_slug")?,
            name: get(row, "department_name")?,
        },
        themes: Vec::new(),
        stage: parse_stored("stage", &stage, Stage::parse)?,
        phase: phase
            .map(|p| parse_stored("phase", &p, GovUkPhase::parse))
            .transpose()?,
        sponsor: get(row, "sponsor")?,
        manager: get(row, "manager")?,
        start_date: date("start_date")?,
        end_date: date("end_date")?,
        costs: Vec::new(),
        confidence: confidence
            .map(|c| parse_stored("confidence", &c, DeliveryConfidence::parse))
            .transpose()?,
        tags: parse_stored("tags", &tags, |s| serde_json::from_str::<Vec<String>>(s))?,
        published: get::<i64>(row, "published")? != 0,
        residents: get(row, "residents")?,
        version: get(row, "version")?,
        created_at: parse_time(&get::<String>(row, "created_at")?)?,
        updated_at: parse_time(&get::<String>(row, "updated_at")?)?,
    })
}

/// Parameters in one statement at most, well under both databases' limits.
pub(crate) const MAX_PARAMS_PER_STATEMENT: usize = 2_048;
/// Rows of a multi-row INSERT into projects (20 parameters each).
const PROJECT_ROWS_PER_INSERT: usize = MAX_PARAMS_PER_STATEMENT / 20;
/// Codes looked up at once when checking that asked-for codes are free.
const CODES_PER_LOOKUP: usize = MAX_PARAMS_PER_STATEMENT - 1;

/// The parameters of a statement built at run time, written as its
/// database likes them: PostgreSQL's numbered `$1, $2…`, or SQLite's
/// anonymous `?`, bound in order. SQLite finds a numbered parameter by
/// scanning the statement's list of names, so binding thousands of them
/// costs the square of their number: three quarters of a 10,000-row import
/// went there before multi-row statements used `?`.
pub(crate) struct Placeholders {
    numbered: bool,
    count: usize,
}

impl Placeholders {
    pub(crate) fn for_connection(conn: &sqlx::AnyConnection) -> Placeholders {
        Placeholders {
            numbered: conn.backend_name() != "SQLite",
            count: 0,
        }
    }

    /// The next parameter.
    pub(crate) fn next(&mut self) -> String {
        self.count += 1;
        if self.numbered {
            format!("${}", self.count)
        } else {
            "?".to_string()
        }
    }

    /// The next `n` parameters, comma-separated.
    pub(crate) fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }
}

/// A project to create, and who creates it.
#[derive(Debug, Clone, Copy)]
pub struct NewProject<'a> {
    pub input: &'a ProjectInput,
    pub actor: &'a Actor,
}

/// Runs a multi-row INSERT of `rows`, `per_row` parameters each, in chunks
/// of at most [`MAX_PARAMS_PER_STATEMENT`] parameters;
/// `bind` adds one row's parameters; `tail` follows the values (an
/// `ON CONFLICT` clause, or nothing).
pub(crate) async fn insert_rows<T>(
    tx: &mut Transaction<'_, Any>,
    head: &str,
    tail: &str,
    per_row: usize,
    rows: &[T],
    bind: impl for<'q> Fn(
        sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        &T,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
) -> Result<()> {
    let chunk = (MAX_PARAMS_PER_STATEMENT / per_row.max(1)).max(1);
    for part in rows.chunks(chunk) {
        let mut params = Placeholders::for_connection(tx);
        let values: Vec<String> = (0..part.len())
            .map(|_| format!("({})", params.list(per_row)))
            .collect();
        let sql = format!("{head} VALUES {}{tail}", values.join(", "));
        let mut q = sqlx::query(&sql);
        for row in part {
            q = bind(q, row);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Binds a project's own fields, in the order both the INSERT and the UPDATE
/// list them: title, summary, department, stage, phase, sponsor, manager,
/// start and end dates, confidence, tags, published, total cost, search text,
/// what it changes for residents.
fn bind_fields<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    input: &ProjectInput,
    code: &str,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    q.bind(input.title.clone())
        .bind(input.summary.clone())
        .bind(input.department.id)
        .bind(input.stage.as_str())
        .bind(input.phase.map(|p| p.as_str()))
        .bind(input.sponsor.clone())
        .bind(input.manager.clone())
        .bind(input.start_date.map(|d| d.to_string()))
        .bind(input.end_date.map(|d| d.to_string()))
        .bind(input.confidence.map(|c| c.as_str()))
        .bind(json!(input.tags).to_string())
        .bind(i64::from(input.published))
        .bind(total_cost(&input.costs))
        .bind(search_text(input, code))
        .bind(input.residents.clone())
}

/// Writes the themes and costs of freshly written projects (a few statements for any number).
async fn write_details(
    tx: &mut Transaction<'_, Any>,
    projects: &[(i64, &ProjectInput)],
) -> Result<()> {
    let themes: Vec<(i64, i64)> = projects
        .iter()
        .flat_map(|(id, input)| input.themes.iter().map(move |t| (*id, t.id)))
        .collect();
    insert_rows(
        tx,
        "INSERT INTO project_themes (project_id, theme_id)",
        "",
        2,
        &themes,
        |q, (project, theme)| q.bind(*project).bind(*theme),
    )
    .await?;
    let costs: Vec<(i64, &CostLine)> = projects
        .iter()
        .flat_map(|(id, input)| input.costs.iter().map(move |c| (*id, c)))
        .collect();
    insert_rows(
        tx,
        "INSERT INTO project_costs (project_id, financial_year, capital_pence, revenue_pence)",
        "",
        4,
        &costs,
        |q, (project, c)| {
            q.bind(*project)
                .bind(i64::from(c.year.start_year()))
                .bind(c.capital_pence.pence())
                .bind(c.revenue_pence.pence())
        },
    )
    .await
}

impl Store {
    /// Fills in themes and costs for already-loaded projects (two queries for any number).
    pub(crate) async fn attach_details(
        &self,
        conn: &mut sqlx::AnyConnection,
        projects: &mut [Project],
    ) -> Result<()> {
        if projects.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = projects.iter().map(|p| p.id.to_string()).collect();
        let list = ids.join(",");
        let index: HashMap<i64, usize> = projects
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        let theme_rows = sqlx::query(&format!(
            "SELECT pt.project_id, t.id, t.slug, t.name FROM project_themes pt JOIN themes t ON t.id = pt.theme_id \
             WHERE pt.project_id IN ({list}) ORDER BY t.name"
        ))
        .fetch_all(&mut *conn)
        .await?;
        for row in &theme_rows {
            let pid: i64 = get(row, "project_id")?;
            if let Some(&i) = index.get(&pid) {
                projects[i].themes.push(NamedRef {
                    id: get(row, "id")?,
                    slug: get(row, "slug")?,
                    name: get(row, "name")?,
                });
            }
        }
        let cost_rows = sqlx::query(&format!(
            "SELECT project_id, financial_year, capital_pence, revenue_pence FROM project_costs \
             WHERE project_id IN ({list}) ORDER BY financial_year"
        ))
        .fetch_all(&mut *conn)
        .await?;
        for row in &cost_rows {
            let pid: i64 = get(row, "project_id")?;
            if let Some(&i) = index.get(&pid) {
                let year: i64 = get(row, "financial_year")?;
                let money = |col: &str| -> Result<Money> {
                    let p: i64 = get(row, col)?;
                    Money::from_pence(p).map_err(StoreError::Corrupt)
                };
                projects[i].costs.push(CostLine {
                    year: FinancialYear::new(year as i32).map_err(StoreError::Corrupt)?,
                    capital_pence: money("capital_pence")?,
                    revenue_pence: money("revenue_pence")?,
                });
            }
        }
        Ok(())
    }

    pub(crate) async fn project_in_tx(
        &self,
        tx: &mut Transaction<'_, Any>,
        organisation_id: i64,
        code: &str,
    ) -> Result<Option<Project>> {
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects p JOIN departments d ON d.id = p.department_id \
             WHERE p.organisation_id = $1 AND p.code = $2"
        ))
        .bind(organisation_id)
        .bind(code.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut projects = vec![project_from(&row)?];
        self.attach_details(tx, &mut projects).await?;
        Ok(projects.pop())
    }

    /// One project of an organisation by its code.
    pub async fn project(&self, organisation_id: i64, code: &str) -> Result<Project> {
        let mut tx = self.pool.begin().await?;
        let found = self.project_in_tx(&mut tx, organisation_id, code).await?;
        tx.commit().await?;
        found.ok_or(StoreError::NotFound { entity: "project" })
    }

    /// The next free code number for an organisation's projects.
    async fn next_code_number(
        &self,
        tx: &mut Transaction<'_, Any>,
        organisation_id: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(code_number), 0) AS n FROM projects WHERE organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(get::<i64>(&row, "n")? + 1)
    }

    /// Creates a project; gives it the next free code when it has none.
    pub async fn create_project(
        &self,
        organisation_id: i64,
        code_prefix: &str,
        input: &ProjectInput,
        actor: &Actor,
    ) -> Result<Project> {
        let mut created = self
            .create_projects(organisation_id, code_prefix, &[NewProject { input, actor }])
            .await?;
        created
            .pop()
            .ok_or(StoreError::NotFound { entity: "project" })
    }

    /// Creates several projects of one organisation in one transaction, each
    /// with its own audit record: all are written or none is. Projects without
    /// a code get the next free numbers, in order. A few multi-row statements
    /// serve the whole batch, so a thousand projects cost little more than one.
    pub async fn create_projects(
        &self,
        organisation_id: i64,
        code_prefix: &str,
        items: &[NewProject<'_>],
    ) -> Result<Vec<Project>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // Bumping the data version first takes the organisation's row lock on
        // PostgreSQL (SQLite already has one writer), so two batches at once
        // cannot both take the same codes.
        bump_data_version(&mut tx, organisation_id).await?;
        let projects = self
            .insert_projects(&mut tx, organisation_id, code_prefix, items)
            .await?;
        tx.commit().await?;
        Ok(projects)
    }

    /// Writes new projects with their audit records inside `tx`, whose
    /// caller has already bumped the organisation's data version (which also
    /// takes its row lock, so codes cannot be taken twice).
    pub(crate) async fn insert_projects(
        &self,
        tx: &mut Transaction<'_, Any>,
        organisation_id: i64,
        code_prefix: &str,
        items: &[NewProject<'_>],
    ) -> Result<Vec<Project>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let codes = self
            .assign_codes(tx, organisation_id, code_prefix, items)
            .await?;
        let now = Utc::now();
        let now_stored = format_time(now);

        let mut ids: HashMap<String, i64> = HashMap::with_capacity(items.len());
        for (chunk_items, chunk_codes) in items
            .chunks(PROJECT_ROWS_PER_INSERT)
            .zip(codes.chunks(PROJECT_ROWS_PER_INSERT))
        {
            let mut params = Placeholders::for_connection(tx);
            let rows: Vec<String> = (0..chunk_items.len())
                .map(|_| format!("({}, 1, {})", params.list(18), params.list(2)))
                .collect();
            let sql = format!(
                "INSERT INTO projects (organisation_id, code, code_number, title, summary, department_id, stage, phase, sponsor, manager, \
                 start_date, end_date, confidence, tags, published, total_cost_pence, search_text, residents, version, created_at, updated_at) \
                 VALUES {} RETURNING id, code",
                rows.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (item, code) in chunk_items.iter().zip(chunk_codes) {
                let input = item.input;
                q = bind_fields(
                    q.bind(organisation_id)
                        .bind(code.as_str().to_string())
                        .bind(i64::from(code.number())),
                    input,
                    code.as_str(),
                )
                .bind(now_stored.clone())
                .bind(now_stored.clone());
            }
            let returned = q.fetch_all(&mut **tx).await.map_err(|e| {
                let first = chunk_codes.first().map(ProjectCode::as_str).unwrap_or("");
                map_unique(e, "code", first)
            })?;
            for row in &returned {
                ids.insert(get(row, "code")?, get(row, "id")?);
            }
        }

        let mut projects = Vec::with_capacity(items.len());
        for (item, code) in items.iter().zip(&codes) {
            let id = *ids
                .get(code.as_str())
                .ok_or(StoreError::NotFound { entity: "project" })?;
            projects.push(item.input.to_project(Stored {
                id,
                organisation_id,
                code: code.as_str().to_string(),
                version: 1,
                created_at: stored_time(now),
                updated_at: stored_time(now),
            }));
        }
        let details: Vec<(i64, &ProjectInput)> = projects
            .iter()
            .zip(items)
            .map(|(p, item)| (p.id, item.input))
            .collect();
        write_details(tx, &details).await?;
        let records: Vec<AuditText<'_>> = projects
            .iter()
            .zip(items)
            .map(|(project, item)| AuditText {
                organisation_id: Some(organisation_id),
                entity: "project",
                entity_id: project.id,
                action: "created",
                before: None,
                after: serde_json::to_string(project).ok(),
                actor: item.actor,
            })
            .collect();
        insert_audit_texts(tx, records).await?;
        Ok(projects)
    }

    /// The code of each new project: its own, or the next free number.
    /// Codes asked for that are taken, or asked for twice, are refused by name.
    async fn assign_codes(
        &self,
        tx: &mut Transaction<'_, Any>,
        organisation_id: i64,
        code_prefix: &str,
        items: &[NewProject<'_>],
    ) -> Result<Vec<ProjectCode>> {
        let wanted: Vec<&ProjectCode> =
            items.iter().filter_map(|i| i.input.code.as_ref()).collect();
        let mut seen = std::collections::HashSet::new();
        for code in &wanted {
            if !seen.insert(code.as_str()) {
                return Err(StoreError::Duplicate {
                    field: "code",
                    value: code.as_str().to_string(),
                });
            }
        }
        for chunk in wanted.chunks(CODES_PER_LOOKUP) {
            let mut params = Placeholders::for_connection(tx);
            // No ORDER BY … LIMIT 1 here: with it, PostgreSQL's generic plan
            // walked the organisation's whole code index testing each code
            // against the list (1.4 s a chunk beside 100,000 projects); the
            // first taken code is picked here instead.
            let sql = format!(
                "SELECT code FROM projects WHERE organisation_id = {} AND code IN ({})",
                params.next(),
                params.list(chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(organisation_id);
            for code in chunk {
                q = q.bind(code.as_str().to_string());
            }
            let mut taken = Vec::new();
            for row in q.fetch_all(&mut **tx).await? {
                taken.push(get::<String>(&row, "code")?);
            }
            if let Some(code) = taken.into_iter().min() {
                return Err(StoreError::Duplicate {
                    field: "code",
                    value: code,
                });
            }
        }
        let mut next = if wanted.len() < items.len() {
            let highest_asked = wanted
                .iter()
                .map(|c| i64::from(c.number()))
                .max()
                .unwrap_or(0);
            self.next_code_number(tx, organisation_id)
                .await?
                .max(highest_asked + 1)
        } else {
            0
        };
        items
            .iter()
            .map(|item| match &item.input.code {
                Some(code) => Ok(code.clone()),
                None => {
                    let n = u32::try_from(next).map_err(|_| {
                        StoreError::Corrupt(format!("project number {next} is out of range"))
                    })?;
                    next += 1;
                    ProjectCode::numbered(code_prefix, n).map_err(StoreError::Corrupt)
                }
            })
            .collect()
    }

    /// Replaces a project's fields if it is still at `expected_version`.
    ///
    /// `check` sees the stored project inside the transaction and may refuse
    /// the change (the domain's stage rules), so the rule and the write see
    /// the same state.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_project<E>(
        &self,
        organisation_id: i64,
        code: &str,
        expected_version: i64,
        input: &ProjectInput,
        action: &'static str,
        actor: &Actor,
        check: impl FnOnce(&Project) -> Result<(), E>,
    ) -> Result<Result<Project, E>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let before = self
            .project_in_tx(&mut tx, organisation_id, code)
            .await?
            .ok_or(StoreError::NotFound { entity: "project" })?;
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                entity: "project",
                current_version: before.version,
                current: Box::new(Some(before)),
            });
        }
        if let Err(e) = check(&before) {
            return Ok(Err(e));
        }
        let after = self
            .write_update(&mut tx, organisation_id, &before, input)
            .await?;
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "project",
                entity_id: before.id,
                action,
                before: Some(json!(before)),
                after: Some(json!(after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(after))
    }

    /// Replaces the fields of `before` (as read in `tx`) with `input`,
    /// bumping its version; a concurrent write since the read is a conflict.
    /// The caller writes the audit record.
    pub(crate) async fn write_update(
        &self,
        tx: &mut Transaction<'_, Any>,
        organisation_id: i64,
        before: &Project,
        input: &ProjectInput,
    ) -> Result<Project> {
        let now = Utc::now();
        let done = bind_fields(
            sqlx::query(
                "UPDATE projects SET title = $1, summary = $2, department_id = $3, stage = $4, phase = $5, sponsor = $6, manager = $7, \
                 start_date = $8, end_date = $9, confidence = $10, tags = $11, published = $12, total_cost_pence = $13, search_text = $14, \
                 residents = $15, version = version + 1, updated_at = $16 WHERE id = $17 AND version = $18",
            ),
            input,
            &before.code,
        )
        .bind(format_time(now))
        .bind(before.id)
        .bind(before.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            // Another instance wrote between our read and our update (PostgreSQL, read committed).
            let current = self
                .project_in_tx(tx, organisation_id, &before.code)
                .await?;
            return Err(StoreError::Conflict {
                entity: "project",
                current_version: current.as_ref().map_or(0, |p| p.version),
                current: Box::new(current),
            });
        }
        sqlx::query("DELETE FROM project_themes WHERE project_id = $1")
            .bind(before.id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM project_costs WHERE project_id = $1")
            .bind(before.id)
            .execute(&mut **tx)
            .await?;
        write_details(tx, &[(before.id, input)]).await?;
        let after = input.to_project(Stored {
            id: before.id,
            organisation_id,
            code: before.code.clone(),
            version: before.version + 1,
            created_at: before.created_at,
            updated_at: stored_time(now),
        });
        Ok(after)
    }

    /// A page of an organisation's projects matching `filter`.
    pub async fn list_projects(
        &self,
        organisation_id: i64,
        filter: &ProjectFilter,
    ) -> Result<ProjectPage> {
        let mut params = vec![Param::Int(organisation_id)];
        let mut clauses = vec!["p.organisation_id = $1".to_string()];
        let next = |params: &mut Vec<Param>, p: Param| {
            params.push(p);
            format!("${}", params.len())
        };
        if let Some(stage) = filter.stage {
            let n = next(&mut params, Param::Text(stage.as_str().to_string()));
            clauses.push(format!("p.stage = {n}"));
        }
        if let Some(dept) = &filter.department {
            let n = next(&mut params, Param::Text(dept.clone()));
            clauses.push(format!("d.slug = {n}"));
        }
        if let Some(theme) = &filter.theme {
            let n = next(&mut params, Param::Text(theme.clone()));
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM project_themes pt JOIN themes t ON t.id = pt.theme_id WHERE pt.project_id = p.id AND t.slug = {n})"
            ));
        }
        if let Some(c) = filter.confidence {
            let n = next(&mut params, Param::Text(c.as_str().to_string()));
            clauses.push(format!("p.confidence = {n}"));
        }
        for word in &filter.words {
            let escaped = word
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let n = next(&mut params, Param::Text(format!("%{escaped}%")));
            clauses.push(format!("p.search_text LIKE {n} ESCAPE '\\'"));
        }
        let where_sql = clauses.join(" AND ");
        let from = "FROM projects p JOIN departments d ON d.id = p.department_id";
        fn bind_all<'q>(
            sql: &'q str,
            params: &[Param],
        ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
            let mut q = sqlx::query(sql);
            for p in params {
                q = match p {
                    Param::Int(i) => q.bind(*i),
                    Param::Text(s) => q.bind(s.clone()),
                };
            }
            q
        }
        let count_sql = format!("SELECT COUNT(*) AS n {from} WHERE {where_sql}");
        let direction = if filter.descending { "DESC" } else { "ASC" };
        let order = match filter.sort {
            ProjectSort::Code => format!("p.code_number {direction}, p.code {direction}"),
            ProjectSort::Title => format!("LOWER(p.title) {direction}, p.code_number"),
            ProjectSort::Stage => format!("{} {direction}, p.code_number", stage_rank_sql()),
            ProjectSort::Department => format!("d.name {direction}, p.code_number"),
            ProjectSort::Confidence => {
                format!("{} {direction}, p.code_number", confidence_rank_sql())
            }
            ProjectSort::StartDate => {
                format!("COALESCE(p.start_date, '9999') {direction}, p.code_number")
            }
            ProjectSort::UpdatedAt => format!("p.updated_at {direction}, p.code_number"),
            ProjectSort::TotalCost => format!("p.total_cost_pence {direction}, p.code_number"),
        };
        let list_sql = format!(
            "SELECT {PROJECT_COLUMNS} {from} WHERE {where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
            filter.per_page,
            filter.offset()
        );
        let mut conn = self.pool.acquire().await?;
        let total: i64 = get(
            &bind_all(&count_sql, &params).fetch_one(&mut *conn).await?,
            "n",
        )?;
        let rows = bind_all(&list_sql, &params).fetch_all(&mut *conn).await?;
        let mut projects = rows.iter().map(project_from).collect::<Result<Vec<_>>>()?;
        self.attach_details(&mut conn, &mut projects).await?;
        Ok(ProjectPage { projects, total })
    }

    /// Every project of an organisation, in code order (exports).
    pub async fn all_projects(&self, organisation_id: i64) -> Result<Vec<Project>> {
        let filter = ProjectFilter {
            per_page: u32::MAX,
            ..ProjectFilter::default()
        };
        Ok(self.list_projects(organisation_id, &filter).await?.projects)
    }

    /// Counts for the dashboard, grouped; `Dashboard::assemble` lays them out.
    pub async fn project_counts(&self, organisation_id: i64) -> Result<GroupedCounts> {
        // One snapshot for the four counts: read one by one, a project added
        // between them made the total disagree with the groups (the dashboard
        // then refused to show, as it should). SQLite's read transaction holds
        // one snapshot from its first read; PostgreSQL needs REPEATABLE READ.
        let mut conn = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *conn)
                .await?;
        }
        let rows = sqlx::query(
            "SELECT stage, department_id, COUNT(*) AS n FROM projects WHERE organisation_id = $1 GROUP BY stage, department_id",
        )
        .bind(organisation_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut counts = GroupedCounts::default();
        for row in &rows {
            let stage: String = get(row, "stage")?;
            counts.stage_department.push((
                parse_stored("stage", &stage, Stage::parse)?,
                get(row, "department_id")?,
                get(row, "n")?,
            ));
        }
        // Driven from the organisation's own themes, each counted through
        // the theme index: joining from projects made PostgreSQL scan every
        // organisation's theme links (a cost that grew with the others).
        let rows = sqlx::query(
            "SELECT t.id AS theme_id, \
             (SELECT COUNT(*) FROM project_themes pt WHERE pt.theme_id = t.id) AS n \
             FROM themes t WHERE t.organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            let n: i64 = get(row, "n")?;
            if n > 0 {
                counts.theme.push((get(row, "theme_id")?, n));
            }
        }
        let rows = sqlx::query("SELECT confidence, COUNT(*) AS n FROM projects WHERE organisation_id = $1 GROUP BY confidence")
            .bind(organisation_id)
            .fetch_all(&mut *conn)
            .await?;
        for row in &rows {
            let c: Option<String> = get(row, "confidence")?;
            counts.confidence.push((
                c.map(|c| parse_stored("confidence", &c, DeliveryConfidence::parse))
                    .transpose()?,
                get(row, "n")?,
            ));
        }
        let row = sqlx::query("SELECT COUNT(*) AS n FROM projects WHERE organisation_id = $1")
            .bind(organisation_id)
            .fetch_one(&mut *conn)
            .await?;
        counts.total = get(&row, "n")?;
        conn.commit().await?;
        Ok(counts)
    }
}
