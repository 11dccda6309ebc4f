//! RAID storage: risks, assumptions, issues and dependencies, and each
//! organisation's words for the likelihood and impact scales.
//!
//! Every write is one transaction with its audit record and refuses a stale
//! version with [`StoreError::Conflict`]. Owners are stored as user ids and
//! read back with their names; a risk's actions are JSON text read and
//! written whole with their risk.

use std::collections::HashMap;

use chrono::NaiveDate;
use portfolio_domain::raid::{
    ActionStatus, IssueDetail, IssuePriority, Person, ProjectRef, Proximity, RaidAction, RaidItem,
    RaidKind, RaidStatus, Response, RiskDetail, RiskScales, Score,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;

use crate::audit::{record, AuditRecord};
use crate::{get, parse_stored, Actor, Result, Store, StoreError};

const ITEM_SELECT: &str = "SELECT r.id, r.kind, r.project_id, p.code AS project_code, p.title AS project_title, \
     r.title, r.description, r.owner_user_id, u.name AS owner_name, u.email AS owner_email, r.status, r.closed_on, \
     r.review_date, r.cause, r.event, r.effect, r.inherent_likelihood, r.inherent_impact, r.current_likelihood, \
     r.current_impact, r.target_likelihood, r.target_impact, r.response, r.proximity, r.escalated, r.actions, \
     r.priority, r.resolution, r.linked_risk_id, r.version \
     FROM raid_items r JOIN users u ON u.id = r.owner_user_id LEFT JOIN projects p ON p.id = r.project_id";

/// An action as stored: its owner by id.
#[derive(Serialize, Deserialize)]
struct StoredAction {
    description: String,
    owner_user_id: i64,
    due: Option<String>,
    status: String,
}

fn conflict(current_version: i64) -> StoreError {
    StoreError::Conflict {
        entity: "RAID item",
        current_version,
        current: Box::new(None),
    }
}

fn date(row: &AnyRow, column: &str) -> Result<Option<NaiveDate>> {
    get::<Option<String>>(row, column)?
        .map(|d| parse_stored(column, &d, |s| NaiveDate::parse_from_str(s, "%Y-%m-%d")))
        .transpose()
}

fn score(row: &AnyRow, prefix: &str) -> Result<Score> {
    let l: Option<i64> = get(row, &format!("{prefix}_likelihood"))?;
    let i: Option<i64> = get(row, &format!("{prefix}_impact"))?;
    match (l, i) {
        (Some(l @ 1..=5), Some(i @ 1..=5)) => Ok(Score::new(l as u8, i as u8)),
        _ => Err(StoreError::Corrupt(format!(
            "{prefix} score of a risk: likelihood {l:?}, impact {i:?}"
        ))),
    }
}

/// The organisation's users by id, to name action owners.
async fn people(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
) -> Result<HashMap<i64, Person>> {
    let rows = sqlx::query("SELECT id, name, email FROM users WHERE organisation_id = $1")
        .bind(organisation_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let p = Person {
                id: get(r, "id")?,
                name: get(r, "name")?,
                email: get(r, "email")?,
            };
            Ok((p.id, p))
        })
        .collect()
}

fn item_from(row: &AnyRow, people: &HashMap<i64, Person>) -> Result<RaidItem> {
    let kind = parse_stored("kind", &get::<String>(row, "kind")?, RaidKind::parse)?;
    let text = |column: &str| -> Result<String> {
        Ok(get::<Option<String>>(row, column)?.unwrap_or_default())
    };
    let project = match get::<Option<i64>>(row, "project_id")? {
        Some(id) => Some(ProjectRef {
            id,
            code: get(row, "project_code")?,
            title: get(row, "project_title")?,
        }),
        None => None,
    };
    let risk = if kind == RaidKind::Risk {
        let stored: Vec<StoredAction> = serde_json::from_str(&get::<String>(row, "actions")?)
            .map_err(|e| StoreError::Corrupt(format!("actions: {e}")))?;
        let actions = stored
            .into_iter()
            .map(|a| {
                Ok(RaidAction {
                    owner: people.get(&a.owner_user_id).cloned().ok_or_else(|| {
                        StoreError::Corrupt(format!("action owner {} is no user", a.owner_user_id))
                    })?,
                    due: a
                        .due
                        .map(|d| {
                            parse_stored("due", &d, |s| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
                        })
                        .transpose()?,
                    status: parse_stored("action status", &a.status, ActionStatus::parse)?,
                    description: a.description,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Some(RiskDetail {
            cause: text("cause")?,
            event: text("event")?,
            effect: text("effect")?,
            inherent: score(row, "inherent")?,
            current: score(row, "current")?,
            target: score(row, "target")?,
            response: parse_stored("response", &text("response")?, Response::parse)?,
            proximity: get::<Option<String>>(row, "proximity")?
                .map(|p| parse_stored("proximity", &p, Proximity::parse))
                .transpose()?,
            escalated: get::<i64>(row, "escalated")? != 0,
            actions,
        })
    } else {
        None
    };
    let issue = if kind == RaidKind::Issue {
        Some(IssueDetail {
            priority: parse_stored("priority", &text("priority")?, IssuePriority::parse)?,
            resolution: text("resolution")?,
            linked_risk: get(row, "linked_risk_id")?,
        })
    } else {
        None
    };
    Ok(RaidItem {
        id: get(row, "id")?,
        kind,
        project,
        title: get(row, "title")?,
        description: get(row, "description")?,
        owner: Person {
            id: get(row, "owner_user_id")?,
            name: get(row, "owner_name")?,
            email: get(row, "owner_email")?,
        },
        status: parse_stored("status", &get::<String>(row, "status")?, RaidStatus::parse)?,
        closed_on: date(row, "closed_on")?,
        review_date: date(row, "review_date")?,
        risk,
        issue,
        version: get(row, "version")?,
    })
}

async fn item_in(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
    id: i64,
) -> Result<Option<RaidItem>> {
    let people = people(conn, organisation_id).await?;
    sqlx::query(&format!(
        "{ITEM_SELECT} WHERE r.organisation_id = $1 AND r.id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| item_from(&r, &people))
    .transpose()
}

/// The values of an item's columns, in the order [`TEXT_COLUMNS`] and [`NUMBER_COLUMNS`] name them.
struct Columns {
    text: Vec<Option<String>>,
    numbers: Vec<Option<i64>>,
}

/// Columns written from an item, text ones then numeric ones.
const TEXT_COLUMNS: [&str; 14] = [
    "kind",
    "title",
    "description",
    "status",
    "closed_on",
    "review_date",
    "cause",
    "event",
    "effect",
    "response",
    "proximity",
    "actions",
    "priority",
    "resolution",
];
const NUMBER_COLUMNS: [&str; 10] = [
    "project_id",
    "owner_user_id",
    "inherent_likelihood",
    "inherent_impact",
    "current_likelihood",
    "current_impact",
    "target_likelihood",
    "target_impact",
    "escalated",
    "linked_risk_id",
];

fn columns(item: &RaidItem) -> Result<Columns> {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let r = item.risk.as_ref();
    let i = item.issue.as_ref();
    let actions: Vec<StoredAction> = r
        .map(|r| {
            r.actions
                .iter()
                .map(|a| StoredAction {
                    description: a.description.clone(),
                    owner_user_id: a.owner.id,
                    due: date(a.due),
                    status: a.status.as_str().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let actions =
        serde_json::to_string(&actions).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let score = |s: Option<Score>| {
        (
            s.map(|s| i64::from(s.likelihood)),
            s.map(|s| i64::from(s.impact)),
        )
    };
    let (il, ii) = score(r.map(|r| r.inherent));
    let (cl, ci) = score(r.map(|r| r.current));
    let (tl, ti) = score(r.map(|r| r.target));
    Ok(Columns {
        text: vec![
            Some(item.kind.as_str().to_string()),
            Some(item.title.clone()),
            Some(item.description.clone()),
            Some(item.status.as_str().to_string()),
            date(item.closed_on),
            date(item.review_date),
            r.map(|r| r.cause.clone()),
            r.map(|r| r.event.clone()),
            r.map(|r| r.effect.clone()),
            r.map(|r| r.response.as_str().to_string()),
            r.and_then(|r| r.proximity.map(|p| p.to_string())),
            Some(actions),
            i.map(|i| i.priority.as_str().to_string()),
            i.map(|i| i.resolution.clone()),
        ],
        numbers: vec![
            item.project.as_ref().map(|p| p.id),
            Some(item.owner.id),
            il,
            ii,
            cl,
            ci,
            tl,
            ti,
            Some(i64::from(r.is_some_and(|r| r.escalated))),
            i.and_then(|i| i.linked_risk),
        ],
    })
}

/// Binds an item's columns, text then numbers, after what `q` has bound.
fn bind_item<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    c: Columns,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for t in c.text {
        q = q.bind(t);
    }
    for n in c.numbers {
        q = q.bind(n);
    }
    q
}

/// The written columns' names, in binding order.
fn written_columns() -> Vec<&'static str> {
    TEXT_COLUMNS
        .iter()
        .chain(NUMBER_COLUMNS.iter())
        .copied()
        .collect()
}

/// Reads back the item just written inside `tx` and records the change
/// (created when there is no `before`) in the audit trail.
async fn audited(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    organisation_id: i64,
    id: i64,
    before: Option<RaidItem>,
    actor: &Actor,
) -> Result<RaidItem> {
    let after = item_in(tx, organisation_id, id)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "RAID item",
        })?;
    record(
        tx,
        AuditRecord {
            organisation_id: Some(organisation_id),
            entity: "raid_item",
            entity_id: id,
            action: if before.is_some() {
                "updated"
            } else {
                "created"
            },
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
            actor,
        },
    )
    .await?;
    Ok(after)
}

/// The organisation's own scale words, if it set any.
async fn scales_in(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
) -> Result<Option<RiskScales>> {
    let row = sqlx::query(
        "SELECT likelihood, impact, version FROM risk_scales WHERE organisation_id = $1",
    )
    .bind(organisation_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let list = |column: &str| -> Result<Vec<String>> {
        let text: String = get(&row, column)?;
        serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("{column} '{text}': {e}")))
    };
    Ok(Some(RiskScales {
        likelihood: list("likelihood")?,
        impact: list("impact")?,
        version: get(&row, "version")?,
    }))
}

impl Store {
    /// Every RAID item of an organisation, oldest first.
    pub async fn raid_items(&self, organisation_id: i64) -> Result<Vec<RaidItem>> {
        let mut conn = self.pool.acquire().await?;
        let people = people(&mut conn, organisation_id).await?;
        let rows = sqlx::query(&format!(
            "{ITEM_SELECT} WHERE r.organisation_id = $1 ORDER BY r.id"
        ))
        .bind(organisation_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| item_from(r, &people)).collect()
    }

    /// Open risks whose review date is on or before `by`, for the review
    /// reminders.
    pub async fn risks_due_for_review(
        &self,
        organisation_id: i64,
        by: NaiveDate,
    ) -> Result<Vec<RaidItem>> {
        let mut conn = self.pool.acquire().await?;
        let people = people(&mut conn, organisation_id).await?;
        let rows = sqlx::query(&format!(
            "{ITEM_SELECT} WHERE r.organisation_id = $1 AND r.kind = 'risk' AND r.status = 'open' \
             AND r.review_date <= $2 ORDER BY r.review_date, r.id"
        ))
        .bind(organisation_id)
        .bind(by.to_string())
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| item_from(r, &people)).collect()
    }

    pub async fn raid_item(&self, organisation_id: i64, id: i64) -> Result<RaidItem> {
        let mut conn = self.pool.acquire().await?;
        item_in(&mut conn, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "RAID item",
            })
    }

    /// Stores a new item (its id and version are assigned here).
    pub async fn create_raid_item(
        &self,
        organisation_id: i64,
        item: &RaidItem,
        actor: &Actor,
    ) -> Result<RaidItem> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let names = written_columns();
        let params: Vec<String> = (2..names.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "INSERT INTO raid_items (organisation_id, {}, version) VALUES ($1, {}, 1) RETURNING id",
            names.join(", "),
            params.join(", ")
        );
        let row = bind_item(sqlx::query(&sql).bind(organisation_id), columns(item)?)
            .fetch_one(&mut *tx)
            .await?;
        let id: i64 = get(&row, "id")?;
        let after = audited(&mut tx, organisation_id, id, None, actor).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Updates the item `id` read at `expected_version`.
    pub async fn update_raid_item(
        &self,
        organisation_id: i64,
        id: i64,
        expected_version: i64,
        item: &RaidItem,
        actor: &Actor,
    ) -> Result<RaidItem> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let before = item_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "RAID item",
            })?;
        if before.version != expected_version {
            return Err(conflict(before.version));
        }
        let names = written_columns();
        let sets: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n} = ${}", i + 1))
            .collect();
        let n = names.len();
        let sql = format!(
            "UPDATE raid_items SET {}, version = version + 1 WHERE id = ${} AND organisation_id = ${} AND version = ${}",
            sets.join(", "),
            n + 1,
            n + 2,
            n + 3
        );
        let done = bind_item(sqlx::query(&sql), columns(item)?)
            .bind(id)
            .bind(organisation_id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(conflict(before.version + 1));
        }
        let after = audited(&mut tx, organisation_id, id, Some(before), actor).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The organisation's scale words: its own, or the defaults (version 0).
    pub async fn risk_scales(&self, organisation_id: i64) -> Result<RiskScales> {
        let mut conn = self.pool.acquire().await?;
        Ok(scales_in(&mut conn, organisation_id)
            .await?
            .unwrap_or_default())
    }

    /// Sets the scale words; `scales.version` is the version read (0: the defaults).
    pub async fn put_risk_scales(
        &self,
        organisation_id: i64,
        scales: &RiskScales,
        actor: &Actor,
    ) -> Result<RiskScales> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let before = scales_in(&mut tx, organisation_id).await?;
        let current = before.as_ref().map(|b| b.version);
        let stored = current.unwrap_or(0);
        if stored != scales.version {
            return Err(StoreError::Conflict {
                entity: "risk scales",
                current_version: stored,
                current: Box::new(None),
            });
        }
        let to_json =
            |l: &[String]| serde_json::to_string(l).map_err(|e| StoreError::Corrupt(e.to_string()));
        let done = if current.is_none() {
            sqlx::query(
                "INSERT INTO risk_scales (organisation_id, likelihood, impact, version) VALUES ($1, $2, $3, 1)",
            )
            .bind(organisation_id)
            .bind(to_json(&scales.likelihood)?)
            .bind(to_json(&scales.impact)?)
            .execute(&mut *tx)
            .await
            .map_err(|e| match crate::map_unique(e, "organisation", "") {
                StoreError::Duplicate { .. } => StoreError::Conflict {
                    entity: "risk scales",
                    current_version: 1,
                    current: Box::new(None),
                },
                other => other,
            })?
        } else {
            sqlx::query(
                "UPDATE risk_scales SET likelihood = $1, impact = $2, version = version + 1 \
                 WHERE organisation_id = $3 AND version = $4",
            )
            .bind(to_json(&scales.likelihood)?)
            .bind(to_json(&scales.impact)?)
            .bind(organisation_id)
            .bind(stored)
            .execute(&mut *tx)
            .await?
        };
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                entity: "risk scales",
                current_version: stored + 1,
                current: Box::new(None),
            });
        }
        let after = RiskScales {
            version: stored + 1,
            ..scales.clone()
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "risk_scales",
                entity_id: organisation_id,
                action: if current.is_some() {
                    "updated"
                } else {
                    "created"
                },
                before: before.map(|b| json!(b)),
                after: Some(json!(after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
