//! Board meeting storage: meetings with attendees, agenda items, decisions
//! and actions.
//!
//! Every write is one transaction with its audit records. A decision on a
//! gate request's item records the gate decision through the gate store's
//! own writes in the same transaction (and, for an approval, the project's
//! stage move), so the meeting's minute and the gate never disagree. The
//! caller's `check` (the domain's rules) sees the meeting as stored inside
//! the transaction.

use std::collections::HashMap;

use chrono::NaiveDate;
use portfolio_domain::gates::GateStatus;
use portfolio_domain::meetings::{
    AgendaItem, AgendaItemInput, AgendaKind, Attendee, Body, Decision, DecisionInput,
    LoggedDecision, Meeting, MeetingAction, MeetingActionInput, MeetingInput, MeetingRecord,
};
use portfolio_domain::notifications;
use portfolio_domain::raid::{ActionStatus, Person};
use portfolio_domain::ValidationErrors;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Transaction};

use crate::audit::{bump_data_version, insert_audit, AuditRecord};
use crate::notifications::insert_notices;
use crate::{get, now_text, parse_stored, parse_time, Actor, Result, Store, StoreError};

const MEETING_SELECT: &str = "SELECT id, body, title, meets_on, location, attendees, created_at, version FROM board_meetings";

const ITEM_SELECT: &str = "SELECT id, meeting_id, position, kind, ref_id, project_code, title, detail, by_hand FROM agenda_items";

const DECISION_SELECT: &str = "SELECT id, meeting_id, agenda_item_id, text, outcome, gate_request_id, decided_by_label, decided_at FROM board_decisions";

const ACTION_SELECT: &str =
    "SELECT a.id, a.meeting_id, a.agenda_item_id, a.description, a.owner_user_id, \
     u.name AS owner_name, u.email AS owner_email, a.due_on, a.status, a.version \
     FROM board_actions a JOIN users u ON u.id = a.owner_user_id";

fn date(column: &str, text: &str) -> Result<NaiveDate> {
    parse_stored(column, text, |s| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
}

fn meeting_from(row: &AnyRow) -> Result<Meeting> {
    let attendees_text: String = get(row, "attendees")?;
    let attendees: Vec<Attendee> = serde_json::from_str(&attendees_text)
        .map_err(|e| StoreError::Corrupt(format!("attendees '{attendees_text}': {e}")))?;
    Ok(Meeting {
        id: get(row, "id")?,
        body: parse_stored("body", &get::<String>(row, "body")?, Body::parse)?,
        title: get(row, "title")?,
        meets_on: date("meets_on", &get::<String>(row, "meets_on")?)?,
        location: get(row, "location")?,
        attendees,
        version: get(row, "version")?,
        created_at: parse_time(&get::<String>(row, "created_at")?)?,
    })
}

fn item_from(row: &AnyRow) -> Result<AgendaItem> {
    Ok(AgendaItem {
        id: get(row, "id")?,
        meeting_id: get(row, "meeting_id")?,
        position: get(row, "position")?,
        kind: parse_stored("kind", &get::<String>(row, "kind")?, AgendaKind::parse)?,
        ref_id: get(row, "ref_id")?,
        project_code: get(row, "project_code")?,
        title: get(row, "title")?,
        detail: get(row, "detail")?,
        by_hand: get::<i64>(row, "by_hand")? != 0,
    })
}

fn decision_from(row: &AnyRow) -> Result<Decision> {
    let outcome = match get::<Option<String>>(row, "outcome")? {
        Some(o) => Some(parse_stored("outcome", &o, GateStatus::parse)?),
        None => None,
    };
    Ok(Decision {
        id: get(row, "id")?,
        meeting_id: get(row, "meeting_id")?,
        agenda_item_id: get(row, "agenda_item_id")?,
        text: get(row, "text")?,
        outcome,
        gate_request_id: get(row, "gate_request_id")?,
        decided_by: get(row, "decided_by_label")?,
        decided_at: parse_time(&get::<String>(row, "decided_at")?)?,
    })
}

fn action_from(row: &AnyRow) -> Result<MeetingAction> {
    Ok(MeetingAction {
        id: get(row, "id")?,
        meeting_id: get(row, "meeting_id")?,
        agenda_item_id: get(row, "agenda_item_id")?,
        description: get(row, "description")?,
        owner: Person {
            id: get(row, "owner_user_id")?,
            name: get(row, "owner_name")?,
            email: get(row, "owner_email")?,
        },
        due_on: date("due_on", &get::<String>(row, "due_on")?)?,
        status: parse_stored(
            "status",
            &get::<String>(row, "status")?,
            ActionStatus::parse,
        )?,
        version: get(row, "version")?,
    })
}

fn meeting_conflict(current_version: i64) -> StoreError {
    StoreError::Conflict {
        entity: "board meeting",
        current_version,
        current: Box::new(None),
    }
}

fn not_found(entity: &'static str) -> StoreError {
    StoreError::NotFound { entity }
}

/// The rows `sql` selects for one meeting (bound as `$1`), each read by `from`.
async fn rows_of<T>(
    conn: &mut AnyConnection,
    sql: &str,
    meeting_id: i64,
    from: fn(&AnyRow) -> Result<T>,
) -> Result<Vec<T>> {
    sqlx::query(sql)
        .bind(meeting_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(from)
        .collect()
}

async fn meeting_in(
    conn: &mut AnyConnection,
    organisation_id: i64,
    id: i64,
) -> Result<Option<MeetingRecord>> {
    let Some(row) = sqlx::query(&format!(
        "{MEETING_SELECT} WHERE organisation_id = $1 AND id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let meeting = meeting_from(&row)?;
    let agenda = rows_of(
        conn,
        &format!("{ITEM_SELECT} WHERE meeting_id = $1 ORDER BY position"),
        id,
        item_from,
    )
    .await?;
    let decisions = rows_of(
        conn,
        &format!("{DECISION_SELECT} WHERE meeting_id = $1 ORDER BY id"),
        id,
        decision_from,
    )
    .await?;
    let actions = rows_of(
        conn,
        &format!("{ACTION_SELECT} WHERE a.meeting_id = $1 ORDER BY a.id"),
        id,
        action_from,
    )
    .await?;
    Ok(Some(MeetingRecord {
        meeting,
        agenda,
        decisions,
        actions,
    }))
}

async fn action_in(
    conn: &mut AnyConnection,
    organisation_id: i64,
    id: i64,
) -> Result<Option<MeetingAction>> {
    sqlx::query(&format!(
        "{ACTION_SELECT} WHERE a.organisation_id = $1 AND a.id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| action_from(&r))
    .transpose()
}

fn attendees_text(attendees: &[Attendee]) -> Result<String> {
    serde_json::to_string(attendees).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Appends items to a meeting's agenda after its last, inside `tx`; an item
/// already on it (the same gate request, risk or project) is left out.
async fn insert_items(
    tx: &mut Transaction<'_, Any>,
    organisation_id: i64,
    meeting_id: i64,
    items: &[AgendaItemInput],
    actor: &Actor,
) -> Result<usize> {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(position), 0) AS last FROM agenda_items WHERE meeting_id = $1",
    )
    .bind(meeting_id)
    .fetch_one(&mut **tx)
    .await?;
    let mut position: i64 = get(&row, "last")?;
    let mut added = 0;
    let mut records = Vec::new();
    for item in items {
        if let Some(ref_id) = item.ref_id {
            let there = sqlx::query(
                "SELECT id FROM agenda_items WHERE meeting_id = $1 AND kind = $2 AND ref_id = $3",
            )
            .bind(meeting_id)
            .bind(item.kind.as_str())
            .bind(ref_id)
            .fetch_optional(&mut **tx)
            .await?;
            if there.is_some() {
                continue;
            }
        }
        position += 1;
        let row = sqlx::query(
            "INSERT INTO agenda_items (organisation_id, meeting_id, position, kind, ref_id, project_code, title, detail, by_hand) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(organisation_id)
        .bind(meeting_id)
        .bind(position)
        .bind(item.kind.as_str())
        .bind(item.ref_id)
        .bind(item.project_code.clone())
        .bind(item.title.clone())
        .bind(item.detail.clone())
        .bind(i64::from(item.by_hand))
        .fetch_one(&mut **tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        records.push(AuditRecord {
            organisation_id: Some(organisation_id),
            entity: "agenda_item",
            entity_id: id,
            action: "added",
            before: None,
            after: Some(json!(AgendaItem {
                id,
                meeting_id,
                position,
                kind: item.kind,
                ref_id: item.ref_id,
                project_code: item.project_code.clone(),
                title: item.title.clone(),
                detail: item.detail.clone(),
                by_hand: item.by_hand,
            })),
            actor,
        });
        added += 1;
    }
    if !records.is_empty() {
        insert_audit(tx, records).await?;
    }
    Ok(added)
}

impl Store {
    /// Every meeting of the organisation, latest date first.
    pub async fn meetings(&self, organisation_id: i64) -> Result<Vec<Meeting>> {
        sqlx::query(&format!(
            "{MEETING_SELECT} WHERE organisation_id = $1 ORDER BY meets_on DESC, id DESC"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(meeting_from)
        .collect()
    }

    /// A meeting with its agenda, decisions and actions.
    pub async fn meeting(&self, organisation_id: i64, id: i64) -> Result<MeetingRecord> {
        let mut conn = self.pool.acquire().await?;
        meeting_in(&mut conn, organisation_id, id)
            .await?
            .ok_or(not_found("board meeting"))
    }

    /// Stores a meeting with the agenda built for it, in one transaction.
    pub async fn create_meeting(
        &self,
        organisation_id: i64,
        input: &MeetingInput,
        agenda: &[AgendaItemInput],
        actor: &Actor,
    ) -> Result<MeetingRecord> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let row = sqlx::query(
            "INSERT INTO board_meetings (organisation_id, body, title, meets_on, location, attendees, created_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1) RETURNING id",
        )
        .bind(organisation_id)
        .bind(input.body.as_str())
        .bind(input.title.clone())
        .bind(input.meets_on.to_string())
        .bind(input.location.clone())
        .bind(attendees_text(&input.attendees)?)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        let meeting = meeting_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(not_found("board meeting"))?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "board_meeting",
                entity_id: id,
                action: "created",
                before: None,
                after: Some(json!(meeting.meeting)),
                actor,
            }],
        )
        .await?;
        insert_items(&mut tx, organisation_id, id, agenda, actor).await?;
        let stored = meeting_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(not_found("board meeting"))?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Replaces a meeting's details (body, title, date, place, attendees)
    /// read at `expected_version`. `check` sees the meeting as stored (its
    /// actions, say, which a later date must not leave due before it).
    pub async fn update_meeting(
        &self,
        organisation_id: i64,
        id: i64,
        expected_version: i64,
        input: &MeetingInput,
        actor: &Actor,
        check: impl FnOnce(&MeetingRecord) -> Result<(), ValidationErrors>,
    ) -> Result<Result<MeetingRecord, ValidationErrors>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let before = meeting_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(not_found("board meeting"))?;
        if before.meeting.version != expected_version {
            return Err(meeting_conflict(before.meeting.version));
        }
        if let Err(e) = check(&before) {
            return Ok(Err(e));
        }
        let done = sqlx::query(
            "UPDATE board_meetings SET body = $1, title = $2, meets_on = $3, location = $4, attendees = $5, \
             version = version + 1 WHERE organisation_id = $6 AND id = $7 AND version = $8",
        )
        .bind(input.body.as_str())
        .bind(input.title.clone())
        .bind(input.meets_on.to_string())
        .bind(input.location.clone())
        .bind(attendees_text(&input.attendees)?)
        .bind(organisation_id)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(meeting_conflict(expected_version + 1));
        }
        let after = meeting_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(not_found("board meeting"))?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "board_meeting",
                entity_id: id,
                action: "updated",
                before: Some(json!(before.meeting)),
                after: Some(json!(after.meeting)),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(after))
    }

    /// Adds items to a meeting's agenda; `build` sees the meeting as stored
    /// and returns the items (the hand-added one, or what now awaits the
    /// board and is not on it yet). Returns the meeting and how many items
    /// were added.
    pub async fn add_agenda_items(
        &self,
        organisation_id: i64,
        meeting_id: i64,
        actor: &Actor,
        build: impl FnOnce(&MeetingRecord) -> Vec<AgendaItemInput>,
    ) -> Result<(MeetingRecord, usize)> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let before = meeting_in(&mut tx, organisation_id, meeting_id)
            .await?
            .ok_or(not_found("board meeting"))?;
        let items = build(&before);
        let added = insert_items(&mut tx, organisation_id, meeting_id, &items, actor).await?;
        let after = meeting_in(&mut tx, organisation_id, meeting_id)
            .await?
            .ok_or(not_found("board meeting"))?;
        if added > 0 {
            tx.commit().await?;
        }
        Ok((after, added))
    }

    /// Records a decision on one of a meeting's agenda items. `check` sees
    /// the meeting as stored and returns the validated decision; a gate
    /// decision in it is recorded on the gate request in the same
    /// transaction (refused, with nothing written, if the request was
    /// decided or changed meanwhile).
    pub async fn record_decision(
        &self,
        organisation_id: i64,
        meeting_id: i64,
        actor: &Actor,
        check: impl FnOnce(&MeetingRecord) -> Result<DecisionInput, ValidationErrors>,
    ) -> Result<Result<(MeetingRecord, Decision), ValidationErrors>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let record = meeting_in(&mut tx, organisation_id, meeting_id)
            .await?
            .ok_or(not_found("board meeting"))?;
        let input = match check(&record) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        let item = record
            .item(input.agenda_item_id)
            .cloned()
            .ok_or(not_found("agenda item"))?;
        if let Some(gate) = &input.gate {
            let decided = self
                .decide_in_tx(
                    &mut tx,
                    organisation_id,
                    gate.request_id,
                    gate.version,
                    &gate.decision,
                    actor,
                    |r, p| r.check_can_decide(p.stage),
                )
                .await?;
            if let Err(e) = decided {
                return Ok(Err(e));
            }
        }
        let decided_at = now_text();
        let row = sqlx::query(
            "INSERT INTO board_decisions (organisation_id, meeting_id, agenda_item_id, text, outcome, gate_request_id, \
             decided_by_user_id, decided_by_label, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(organisation_id)
        .bind(meeting_id)
        .bind(item.id)
        .bind(input.text.clone())
        .bind(input.gate.as_ref().map(|g| g.decision.outcome.as_str()))
        .bind(input.gate.as_ref().map(|g| g.request_id))
        .bind(actor.user_id)
        .bind(actor.label.clone())
        .bind(decided_at.clone())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        let decision = Decision {
            id,
            meeting_id,
            agenda_item_id: item.id,
            text: input.text.clone(),
            outcome: input.gate.as_ref().map(|g| g.decision.outcome),
            gate_request_id: input.gate.as_ref().map(|g| g.request_id),
            decided_by: actor.label.clone(),
            decided_at: parse_time(&decided_at)?,
        };
        let logged = LoggedDecision {
            decision: decision.clone(),
            body: record.meeting.body,
            meeting_title: record.meeting.title.clone(),
            meets_on: record.meeting.meets_on,
            agenda_title: item.title.clone(),
            project_code: item.project_code.clone(),
        };
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "board_decision",
                entity_id: id,
                action: "recorded",
                before: None,
                after: Some(json!(logged)),
                actor,
            }],
        )
        .await?;
        let after = meeting_in(&mut tx, organisation_id, meeting_id)
            .await?
            .ok_or(not_found("board meeting"))?;
        tx.commit().await?;
        Ok(Ok((after, decision)))
    }

    /// Every decision of the organisation's meetings, latest meeting first.
    pub async fn decision_log(&self, organisation_id: i64) -> Result<Vec<LoggedDecision>> {
        let rows = sqlx::query(
            "SELECT d.id, d.meeting_id, d.agenda_item_id, d.text, d.outcome, d.gate_request_id, d.decided_by_label, \
             d.decided_at, m.body, m.title AS meeting_title, m.meets_on, i.title AS agenda_title, i.project_code \
             FROM board_decisions d JOIN board_meetings m ON m.id = d.meeting_id \
             JOIN agenda_items i ON i.id = d.agenda_item_id \
             WHERE d.organisation_id = $1 ORDER BY m.meets_on DESC, d.id DESC",
        )
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LoggedDecision {
                    decision: decision_from(row)?,
                    body: parse_stored("body", &get::<String>(row, "body")?, Body::parse)?,
                    meeting_title: get(row, "meeting_title")?,
                    meets_on: date("meets_on", &get::<String>(row, "meets_on")?)?,
                    agenda_title: get(row, "agenda_title")?,
                    project_code: get(row, "project_code")?,
                })
            })
            .collect()
    }

    /// Records an action; `check` sees the meeting as stored (its date and
    /// agenda) and returns the validated action.
    pub async fn add_meeting_action(
        &self,
        organisation_id: i64,
        meeting_id: i64,
        actor: &Actor,
        check: impl FnOnce(&MeetingRecord) -> Result<MeetingActionInput, ValidationErrors>,
    ) -> Result<Result<MeetingAction, ValidationErrors>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let record = meeting_in(&mut tx, organisation_id, meeting_id)
            .await?
            .ok_or(not_found("board meeting"))?;
        let input = match check(&record) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        let row = sqlx::query(
            "INSERT INTO board_actions (organisation_id, meeting_id, agenda_item_id, description, owner_user_id, due_on, status, version) \
             VALUES ($1, $2, $3, $4, $5, $6, 'not_started', 1) RETURNING id",
        )
        .bind(organisation_id)
        .bind(meeting_id)
        .bind(input.agenda_item_id)
        .bind(input.description.clone())
        .bind(input.owner.id)
        .bind(input.due_on.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        let action = action_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(not_found("action"))?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "board_action",
                entity_id: id,
                action: "assigned",
                before: None,
                after: Some(json!(action)),
                actor,
            }],
        )
        .await?;
        if let Some(notice) =
            notifications::action_assigned(&action, &record.meeting, actor.user_id)
        {
            insert_notices(&mut tx, organisation_id, &[notice], actor).await?;
        }
        tx.commit().await?;
        Ok(Ok(action))
    }

    pub async fn meeting_action(&self, organisation_id: i64, id: i64) -> Result<MeetingAction> {
        let mut conn = self.pool.acquire().await?;
        action_in(&mut conn, organisation_id, id)
            .await?
            .ok_or(not_found("action"))
    }

    /// Every action of the organisation's meetings, by due date.
    pub async fn meeting_actions(&self, organisation_id: i64) -> Result<Vec<MeetingAction>> {
        sqlx::query(&format!(
            "{ACTION_SELECT} WHERE a.organisation_id = $1 ORDER BY a.due_on, a.id"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(action_from)
        .collect()
    }

    /// Moves an action read at `expected_version` to `status`.
    pub async fn set_meeting_action_status(
        &self,
        organisation_id: i64,
        id: i64,
        expected_version: i64,
        status: ActionStatus,
        actor: &Actor,
    ) -> Result<MeetingAction> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let before = action_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(not_found("action"))?;
        let conflict = |v| StoreError::Conflict {
            entity: "action",
            current_version: v,
            current: Box::new(None),
        };
        if before.version != expected_version {
            return Err(conflict(before.version));
        }
        let done = sqlx::query(
            "UPDATE board_actions SET status = $1, version = version + 1 \
             WHERE organisation_id = $2 AND id = $3 AND version = $4",
        )
        .bind(status.as_str())
        .bind(organisation_id)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict(expected_version + 1));
        }
        let after = action_in(&mut tx, organisation_id, id)
            .await?
            .ok_or(not_found("action"))?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "board_action",
                entity_id: id,
                action: "updated",
                before: Some(json!(before)),
                after: Some(json!(after)),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The latest meeting of `body` held before `on`, for "since the last board".
    pub async fn previous_meeting(
        &self,
        organisation_id: i64,
        body: Body,
        on: NaiveDate,
    ) -> Result<Option<Meeting>> {
        sqlx::query(&format!(
            "{MEETING_SELECT} WHERE organisation_id = $1 AND body = $2 AND meets_on < $3 \
             ORDER BY meets_on DESC, id DESC LIMIT 1"
        ))
        .bind(organisation_id)
        .bind(body.as_str())
        .bind(on.to_string())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| meeting_from(&r))
        .transpose()
    }

    /// How many decisions and actions each meeting holds, by meeting id.
    pub async fn meeting_counts(&self, organisation_id: i64) -> Result<HashMap<i64, (i64, i64)>> {
        let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
        for (sql, decisions) in [
            (
                "SELECT meeting_id, COUNT(*) AS n FROM board_decisions WHERE organisation_id = $1 GROUP BY meeting_id",
                true,
            ),
            (
                "SELECT meeting_id, COUNT(*) AS n FROM board_actions WHERE organisation_id = $1 GROUP BY meeting_id",
                false,
            ),
        ] {
            for row in sqlx::query(sql)
                .bind(organisation_id)
                .fetch_all(&self.pool)
                .await?
            {
                let entry = out.entry(get(&row, "meeting_id")?).or_default();
                let n: i64 = get(&row, "n")?;
                if decisions {
                    entry.0 = n;
                } else {
                    entry.1 = n;
                }
            }
        }
        Ok(out)
    }
}
