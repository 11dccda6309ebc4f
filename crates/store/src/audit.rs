//! The audit trail: who changed what, when, with the record before and after.

use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, Transaction};

use crate::{get, now_text, parse_time, Actor, Result, Store};

/// One change to one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub actor: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub entity: String,
    pub entity_id: i64,
    /// created, updated, withdrawn, signed_in…
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEntry {
    /// Top-level fields whose values differ between before and after; empty
    /// for a record that was created or deleted (there is nothing to compare).
    pub fn changed_fields(&self) -> Vec<String> {
        if self.before.is_none() || self.after.is_none() {
            return Vec::new();
        }
        let empty = serde_json::Map::new();
        let before = self
            .before
            .as_ref()
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let after = self
            .after
            .as_ref()
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter(|k| {
                !matches!(
                    k.as_str(),
                    "id" | "organisation_id" | "version" | "updated_at" | "created_at"
                )
            })
            .filter(|k| before.get(*k) != after.get(*k))
            .cloned()
            .collect()
    }
}

/// What a write tells the audit trail.
pub(crate) struct AuditRecord<'a> {
    pub organisation_id: Option<i64>,
    pub entity: &'static str,
    pub entity_id: i64,
    pub action: &'static str,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub actor: &'a Actor,
}

/// Entities whose changes also change the organisation's reference version:
/// the organisation itself, its departments and its themes.
const REFERENCE_ENTITIES: [&str; 3] = ["organisation", "department", "theme"];

/// Writes the audit record of a change, inside the change's transaction, and
/// bumps the organisation's data version (and, for its reference data, its
/// reference version) so cached reads of it are refreshed.
pub(crate) async fn record(tx: &mut Transaction<'_, Any>, r: AuditRecord<'_>) -> Result<()> {
    if let Some(org) = r.organisation_id {
        if REFERENCE_ENTITIES.contains(&r.entity) {
            sqlx::query(
                "UPDATE organisations SET data_version = data_version + 1, \
                 reference_version = reference_version + 1 WHERE id = $1",
            )
            .bind(org)
            .execute(&mut **tx)
            .await?;
        } else {
            bump_data_version(tx, org).await?;
        }
    }
    insert_audit(tx, vec![r]).await
}

/// Marks an organisation's data as changed. A write that calls this itself
/// (to take the organisation's row lock first) then uses [`insert_audit`].
pub(crate) async fn bump_data_version(
    tx: &mut Transaction<'_, Any>,
    organisation_id: i64,
) -> Result<()> {
    sqlx::query("UPDATE organisations SET data_version = data_version + 1 WHERE id = $1")
        .bind(organisation_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Writes audit records alone (one statement for many); the caller has
/// bumped the data version in the same transaction.
pub(crate) async fn insert_audit(
    tx: &mut Transaction<'_, Any>,
    records: Vec<AuditRecord<'_>>,
) -> Result<()> {
    let texts = records
        .into_iter()
        .map(|r| AuditText {
            organisation_id: r.organisation_id,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            before: r.before.map(|v| v.to_string()),
            after: r.after.map(|v| v.to_string()),
            actor: r.actor,
        })
        .collect();
    insert_audit_texts(tx, texts).await
}

/// An audit record whose documents are already JSON text: bulk writes
/// serialise each record straight to text, without building a JSON tree.
pub(crate) struct AuditText<'a> {
    pub organisation_id: Option<i64>,
    pub entity: &'static str,
    pub entity_id: i64,
    pub action: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
    pub actor: &'a Actor,
}

/// Writes audit records given as JSON text (one statement for many), all
/// dated now.
pub(crate) async fn insert_audit_texts(
    tx: &mut Transaction<'_, Any>,
    records: Vec<AuditText<'_>>,
) -> Result<()> {
    let at = now_text();
    insert_dated(tx, &records, |_| at.clone()).await
}

/// Writes generated audit records with their own times, in the order given
/// (see [`Store::replace_generated_history`]).
pub(crate) async fn insert_audit_texts_at(
    tx: &mut Transaction<'_, Any>,
    organisation_id: i64,
    records: &[crate::history::GeneratedAudit],
    actor: &Actor,
) -> Result<()> {
    let texts: Vec<AuditText<'_>> = records
        .iter()
        .map(|r| AuditText {
            organisation_id: Some(organisation_id),
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            before: r.before.clone(),
            after: r.after.clone(),
            actor,
        })
        .collect();
    insert_dated(tx, &texts, |i| crate::format_time(records[i].at)).await
}

/// The one INSERT of audit records; `at` gives the time of the i-th.
async fn insert_dated(
    tx: &mut Transaction<'_, Any>,
    records: &[AuditText<'_>],
    at: impl Fn(usize) -> String,
) -> Result<()> {
    let rows: Vec<(String, &AuditText<'_>)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (at(i), r))
        .collect();
    crate::projects::insert_rows(
        tx,
        "INSERT INTO audit_log (organisation_id, actor_user_id, actor_label, at, entity, entity_id, action, before_json, after_json)",
        "",
        9,
        &rows,
        |q, (at, r)| {
            q.bind(r.organisation_id)
                .bind(r.actor.user_id)
                .bind(r.actor.label.clone())
                .bind(at.clone())
                .bind(r.entity)
                .bind(r.entity_id)
                .bind(r.action)
                .bind(r.before.clone())
                .bind(r.after.clone())
        },
    )
    .await
}

impl Store {
    /// The history of one record in an organisation, oldest first.
    pub async fn history(
        &self,
        organisation_id: i64,
        entity: &str,
        entity_id: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, actor_label, at, entity, entity_id, action, before_json, after_json FROM audit_log \
             WHERE organisation_id = $1 AND entity = $2 AND entity_id = $3 ORDER BY at, id",
        )
        .bind(organisation_id)
        .bind(entity.to_string())
        .bind(entity_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
                Ok(AuditEntry {
                    id: get(row, "id")?,
                    actor: get(row, "actor_label")?,
                    at: parse_time(&get::<String>(row, "at")?)?,
                    entity: get(row, "entity")?,
                    entity_id: get(row, "entity_id")?,
                    action: get(row, "action")?,
                    before: parse(get(row, "before_json")?),
                    after: parse(get(row, "after_json")?),
                })
            })
            .collect()
    }

    /// The organisation's data version: it changes with every audited write,
    /// so a reader can reuse what it read at the same version.
    pub async fn data_version(&self, organisation_id: i64) -> Result<i64> {
        let row = sqlx::query("SELECT data_version FROM organisations WHERE id = $1")
            .bind(organisation_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(crate::StoreError::NotFound {
                entity: "organisation",
            })?;
        get(&row, "data_version")
    }

    /// The organisation's data and reference versions, as a signed-in
    /// caller's request reads them.
    pub async fn versions(&self, organisation_id: i64) -> Result<(i64, i64)> {
        let row =
            sqlx::query("SELECT data_version, reference_version FROM organisations WHERE id = $1")
                .bind(organisation_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(crate::StoreError::NotFound {
                    entity: "organisation",
                })?;
        Ok((get(&row, "data_version")?, get(&row, "reference_version")?))
    }

    /// The number of audit records for an organisation (for tests and health pages).
    pub async fn audit_count(&self, organisation_id: i64) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE organisation_id = $1")
            .bind(organisation_id)
            .fetch_one(&self.pool)
            .await?;
        get(&row, "n")
    }
}
