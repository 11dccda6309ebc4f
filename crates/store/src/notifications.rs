//! Notifications: one notice per person and event, read in the app and sent
//! by email.
//!
//! Notices about a write (a gate decided, an action assigned) are inserted in
//! that write's transaction, so a decision and the news of it are stored
//! together or not at all. `INSERT … ON CONFLICT DO NOTHING` on
//! `(user_id, notice_key)` makes every insert idempotent. Each notice
//! created, read or emailed leaves an audit record ("notification"), which
//! does not change the organisation's data version: nothing in the programme
//! changed.
//!
//! Emails are claimed before they are sent (`pending` → `sending` in one
//! conditional update), so two servers on one database never send the same
//! email; a claim left by a stopped server is released after
//! [`SENDING_TIMEOUT_MINUTES`].

use chrono::{Duration, Utc};
use portfolio_domain::notifications::{
    EmailStatus, NewNotice, Notice, NoticeKind, SENDING_TIMEOUT_MINUTES,
};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{insert_audit, AuditRecord};
use crate::{
    format_time, get, now_text, parse_stored, parse_time, Actor, Result, Store, StoreError,
};

const NOTICE_SELECT: &str = "SELECT id, user_id, kind, subject, body, link, created_at, read_at, \
     email_status, email_attempts, emailed_at, email_error FROM notifications";

/// An email waiting to be sent: the notice and who it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEmail {
    pub notice: Notice,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub to_email: String,
    pub to_name: String,
}

/// How an attempt to send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    Sent,
    /// Refused or unreachable; `status` says whether it is tried again.
    Failed {
        status: EmailStatus,
        error: String,
    },
    /// Too old to send.
    Expired,
}

fn notice_from(row: &AnyRow) -> Result<Notice> {
    let time = |column: &str| -> Result<Option<chrono::DateTime<Utc>>> {
        get::<Option<String>>(row, column)?
            .map(|t| parse_time(&t))
            .transpose()
    };
    Ok(Notice {
        id: get(row, "id")?,
        user_id: get(row, "user_id")?,
        kind: parse_stored("kind", &get::<String>(row, "kind")?, NoticeKind::parse)?,
        subject: get(row, "subject")?,
        body: get(row, "body")?,
        link: get(row, "link")?,
        created_at: parse_time(&get::<String>(row, "created_at")?)?,
        read_at: time("read_at")?,
        email_status: parse_stored(
            "email_status",
            &get::<String>(row, "email_status")?,
            EmailStatus::parse,
        )?,
        email_attempts: get(row, "email_attempts")?,
        emailed_at: time("emailed_at")?,
        email_error: get(row, "email_error")?,
    })
}

/// Stores `notices` in the caller's transaction, each for an active user of
/// the organisation (anyone else is skipped), and audits those that are new;
/// returns how many were new.
pub(crate) async fn insert_notices(
    tx: &mut Transaction<'_, Any>,
    organisation_id: i64,
    notices: &[NewNotice],
    actor: &Actor,
) -> Result<usize> {
    let now = now_text();
    let mut records = Vec::new();
    for n in notices {
        let inserted = sqlx::query(
            "INSERT INTO notifications (organisation_id, user_id, kind, notice_key, subject, body, link, created_at) \
             SELECT $1, u.id, $2, $3, $4, $5, $6, $7 FROM users u \
             WHERE u.id = $8 AND u.organisation_id = $1 AND u.disabled = 0 \
             ON CONFLICT (user_id, notice_key) DO NOTHING RETURNING id",
        )
        .bind(organisation_id)
        .bind(n.kind.as_str())
        .bind(n.key.clone())
        .bind(n.subject.clone())
        .bind(n.body.clone())
        .bind(n.link.clone())
        .bind(now.clone())
        .bind(n.user_id)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = inserted {
            let id: i64 = get(&row, "id")?;
            records.push(AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "notification",
                entity_id: id,
                action: "created",
                before: None,
                after: Some(json!({
                    "user_id": n.user_id,
                    "kind": n.kind.as_str(),
                    "key": n.key,
                    "subject": n.subject,
                    "link": n.link,
                })),
                actor,
            });
        }
    }
    let count = records.len();
    if count > 0 {
        insert_audit(tx, records).await?;
    }
    Ok(count)
}

impl Store {
    /// Stores notices outside any other write (a reminder sweep); returns
    /// how many were new.
    pub async fn add_notices(
        &self,
        organisation_id: i64,
        notices: &[NewNotice],
        actor: &Actor,
    ) -> Result<usize> {
        if notices.is_empty() {
            return Ok(0);
        }
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let count = insert_notices(&mut tx, organisation_id, notices, actor).await?;
        tx.commit().await?;
        Ok(count)
    }

    /// A user's notices, newest first, at most `limit`.
    pub async fn notices(
        &self,
        organisation_id: i64,
        user_id: i64,
        limit: i64,
    ) -> Result<Vec<Notice>> {
        sqlx::query(&format!(
            "{NOTICE_SELECT} WHERE organisation_id = $1 AND user_id = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(organisation_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(notice_from)
        .collect()
    }

    /// How many of a user's notices are unread.
    pub async fn unread_notices(&self, user_id: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        get(&row, "n")
    }

    /// Marks one of a user's notices read (`Some(id)`), or all of them;
    /// returns how many changed. Reading a notice twice changes nothing.
    pub async fn mark_notices_read(
        &self,
        organisation_id: i64,
        user_id: i64,
        id: Option<i64>,
        actor: &Actor,
    ) -> Result<u64> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        if let Some(id) = id {
            let exists = sqlx::query(
                "SELECT id FROM notifications WHERE id = $1 AND organisation_id = $2 AND user_id = $3",
            )
            .bind(id)
            .bind(organisation_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound {
                    entity: "notification",
                });
            }
        }
        let now = now_text();
        let ids: Vec<i64> = sqlx::query(
            "UPDATE notifications SET read_at = $1 \
             WHERE organisation_id = $2 AND user_id = $3 AND read_at IS NULL AND ($4 = 0 OR id = $5) \
             RETURNING id",
        )
        .bind(now.clone())
        .bind(organisation_id)
        .bind(user_id)
        .bind(i64::from(id.is_some()))
        .bind(id.unwrap_or(0))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| get(r, "id"))
        .collect::<Result<_>>()?;
        let records = ids
            .iter()
            .map(|&id| AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "notification",
                entity_id: id,
                action: "read",
                before: None,
                after: Some(json!({ "read_at": now })),
                actor,
            })
            .collect::<Vec<_>>();
        if !records.is_empty() {
            insert_audit(&mut tx, records).await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    /// Claims up to `limit` emails to send, oldest first, across every
    /// organisation: each moves from pending to sending here, so no other
    /// server sends it too. Claims older than [`SENDING_TIMEOUT_MINUTES`]
    /// (a server stopped while sending) are released first.
    pub async fn claim_emails(&self, limit: i64) -> Result<Vec<PendingEmail>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let stale = format_time(Utc::now() - Duration::minutes(SENDING_TIMEOUT_MINUTES));
        sqlx::query(
            "UPDATE notifications SET email_status = 'pending' \
             WHERE email_status = 'sending' AND emailed_at < $1",
        )
        .bind(stale)
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "SELECT n.id, n.user_id, n.kind, n.subject, n.body, n.link, n.created_at, n.read_at, \
             n.email_status, n.email_attempts, n.emailed_at, n.email_error, n.organisation_id, \
             o.name AS organisation_name, u.email AS to_email, u.name AS to_name \
             FROM notifications n JOIN users u ON u.id = n.user_id \
             JOIN organisations o ON o.id = n.organisation_id \
             WHERE n.email_status = 'pending' ORDER BY n.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let now = now_text();
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let notice = notice_from(row)?;
            let done = sqlx::query(
                "UPDATE notifications SET email_status = 'sending', emailed_at = $1 \
                 WHERE id = $2 AND email_status = 'pending'",
            )
            .bind(now.clone())
            .bind(notice.id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                claimed.push(PendingEmail {
                    notice: Notice {
                        email_status: EmailStatus::Sending,
                        ..notice
                    },
                    organisation_id: get(row, "organisation_id")?,
                    organisation_name: get(row, "organisation_name")?,
                    to_email: get(row, "to_email")?,
                    to_name: get(row, "to_name")?,
                });
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records how sending a claimed email ended, with its audit record.
    pub async fn record_email(
        &self,
        email: &PendingEmail,
        outcome: &EmailOutcome,
        actor: &Actor,
    ) -> Result<()> {
        let (status, error, attempted) = match outcome {
            EmailOutcome::Sent => (EmailStatus::Sent, None, 1),
            EmailOutcome::Failed { status, error } => (*status, Some(error.clone()), 1),
            EmailOutcome::Expired => (EmailStatus::Expired, None, 0),
        };
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        let emailed_at = (status == EmailStatus::Sent).then(|| now.clone());
        sqlx::query(
            "UPDATE notifications SET email_status = $1, email_error = $2, \
             email_attempts = email_attempts + $3, emailed_at = $4 \
             WHERE id = $5 AND email_status = 'sending'",
        )
        .bind(status.as_str())
        .bind(error.clone())
        .bind(attempted)
        .bind(emailed_at)
        .bind(email.notice.id)
        .execute(&mut *tx)
        .await?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(email.organisation_id),
                entity: "notification",
                entity_id: email.notice.id,
                action: match status {
                    EmailStatus::Sent => "emailed",
                    EmailStatus::Expired => "email_expired",
                    _ => "email_failed",
                },
                before: None,
                after: Some(json!({
                    "to": email.to_email,
                    "email_status": status.as_str(),
                    "error": error,
                })),
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
