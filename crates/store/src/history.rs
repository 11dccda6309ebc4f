//! History read from the audit trail: the records changed in a period, and
//! every project's state at an instant.
//!
//! Neither replays the trail. The changes in a period read the period's
//! rows alone (index `audit_org_at`), then only two documents per record:
//! the state before its first change in the period and after its last. The
//! register at an instant takes, for each project, one backward step in
//! `audit_org_entity_at` to its latest state at or before the instant, so its
//! cost grows with the number of projects, not with the length of their
//! histories. Order within a record is by time, then id.

use chrono::{DateTime, Utc};
use portfolio_domain::history::RecordChange;
use portfolio_domain::Project;
use serde_json::Value;

use crate::audit::insert_audit_texts_at;
use crate::{format_time, get, parse_time, Actor, Result, Store, StoreError};

/// Ids looked up in one statement at most.
const IDS_PER_LOOKUP: usize = 1_000;

/// One audit record of a generated history (see [`Store::replace_generated_history`]).
#[derive(Debug, Clone)]
pub struct GeneratedAudit {
    pub at: DateTime<Utc>,
    pub entity: &'static str,
    pub entity_id: i64,
    pub action: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The period's first and last audit record of one record.
struct Span {
    entity: String,
    entity_id: i64,
    first_id: i64,
    last_id: i64,
    count: i64,
    last_at: String,
    last_actor: String,
}

impl Store {
    /// Every record of `entities` changed in `[from, to)`, with its state
    /// before the first of those changes and after the last.
    pub async fn changes_between(
        &self,
        organisation_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        entities: &[&str],
    ) -> Result<Vec<RecordChange>> {
        if entities.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.acquire().await?;
        let named: Vec<String> = (0..entities.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "SELECT id, entity, entity_id, at, actor_label FROM audit_log \
             WHERE organisation_id = $1 AND at >= $2 AND at < $3 AND entity IN ({}) ORDER BY at, entity, entity_id, id",
            named.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(organisation_id)
            .bind(format_time(from))
            .bind(format_time(to));
        for entity in entities {
            query = query.bind(entity.to_string());
        }
        let rows = query.fetch_all(&mut *conn).await?;
        let mut spans: Vec<Span> = Vec::new();
        let mut index: std::collections::HashMap<(String, i64), usize> = Default::default();
        for row in &rows {
            let entity: String = get(row, "entity")?;
            let entity_id: i64 = get(row, "entity_id")?;
            let id: i64 = get(row, "id")?;
            let at: String = get(row, "at")?;
            let actor: String = get(row, "actor_label")?;
            match index.get(&(entity.clone(), entity_id)) {
                Some(&i) => {
                    let span = &mut spans[i];
                    span.last_id = id;
                    span.count += 1;
                    span.last_at = at;
                    span.last_actor = actor;
                }
                None => {
                    index.insert((entity.clone(), entity_id), spans.len());
                    spans.push(Span {
                        entity,
                        entity_id,
                        first_id: id,
                        last_id: id,
                        count: 1,
                        last_at: at,
                        last_actor: actor,
                    });
                }
            }
        }
        let firsts: Vec<i64> = spans.iter().map(|s| s.first_id).collect();
        let lasts: Vec<i64> = spans.iter().map(|s| s.last_id).collect();
        let befores = documents(&mut conn, "before_json", &firsts).await?;
        let afters = documents(&mut conn, "after_json", &lasts).await?;
        spans
            .into_iter()
            .map(|s| {
                Ok(RecordChange {
                    before: befores.get(&s.first_id).cloned().flatten(),
                    after: afters.get(&s.last_id).cloned().flatten(),
                    entity: s.entity,
                    entity_id: s.entity_id,
                    change_count: s.count,
                    last_at: parse_time(&s.last_at)?,
                    last_actor: s.last_actor,
                })
            })
            .collect()
    }

    /// Every project of an organisation as it was at `at` (its latest
    /// audited state before that instant), in code order; projects created
    /// later are left out. A state this version cannot read is skipped
    /// and logged.
    pub async fn projects_as_at(
        &self,
        organisation_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Vec<Project>> {
        let rows = sqlx::query(
            "SELECT p.id AS project_id, a.after_json FROM projects p \
             JOIN audit_log a ON a.id = (SELECT b.id FROM audit_log b \
                 WHERE b.organisation_id = $1 AND b.entity = 'project' AND b.entity_id = p.id AND b.at < $2 \
                 ORDER BY b.at DESC, b.id DESC LIMIT 1) \
             WHERE p.organisation_id = $1 ORDER BY p.code_number, p.code",
        )
        .bind(organisation_id)
        .bind(format_time(at))
        .fetch_all(&self.pool)
        .await?;
        let mut projects = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(text) = get::<Option<String>>(row, "after_json")? else {
                continue;
            };
            match serde_json::from_str::<Project>(&text) {
                Ok(p) => projects.push(p),
                Err(e) => {
                    let id: i64 = get(row, "project_id")?;
                    tracing::warn!(project_id = id, error = %e, "a past state of a project could not be read; left out");
                }
            }
        }
        Ok(projects)
    }

    /// For `portfolio generate` alone: replaces the project history of an
    /// organisation it has just filled with `records`, dated in the past, so
    /// that benchmarks of history views have a long trail to read. Refused
    /// for an organisation whose projects have been changed since they were
    /// created (a real one).
    /// `next_batch` gives the records a batch at a time (so a million of them
    /// need not be in memory at once), and `None` when done; all are written
    /// in one transaction.
    pub async fn replace_generated_history(
        &self,
        organisation_id: i64,
        mut next_batch: impl FnMut() -> Option<Vec<GeneratedAudit>> + Send,
        actor: &Actor,
    ) -> Result<u64> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE organisation_id = $1 AND entity = 'project' AND action <> 'created'",
        )
        .bind(organisation_id)
        .fetch_one(&mut *tx)
        .await?;
        if get::<i64>(&row, "n")? > 0 {
            return Err(StoreError::Corrupt(
                "this organisation's projects have a history already; generated history goes only into a freshly generated organisation".into(),
            ));
        }
        sqlx::query("DELETE FROM audit_log WHERE organisation_id = $1 AND entity = 'project'")
            .bind(organisation_id)
            .execute(&mut *tx)
            .await?;
        let mut written = 0u64;
        while let Some(batch) = next_batch() {
            insert_audit_texts_at(&mut tx, organisation_id, &batch, actor).await?;
            written += batch.len() as u64;
        }
        crate::audit::bump_data_version(&mut tx, organisation_id).await?;
        tx.commit().await?;
        Ok(written)
    }
}

/// The documents in `column` of the audit records `ids`, parsed leniently
/// (text that is not JSON reads as none).
async fn documents(
    conn: &mut sqlx::AnyConnection,
    column: &str,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Option<Value>>> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_LOOKUP) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let rows = sqlx::query(&format!(
            "SELECT id, {column} AS doc FROM audit_log WHERE id IN ({})",
            list.join(",")
        ))
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            let doc: Option<String> = get(row, "doc")?;
            out.insert(
                get(row, "id")?,
                doc.and_then(|d| serde_json::from_str(&d).ok()),
            );
        }
    }
    Ok(out)
}
