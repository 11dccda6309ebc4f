//! Signing in, hardened: failed attempts for throttling, the outcome of each
//! attempt in the audit trail, TOTP secrets and sessions awaiting a code.
//!
//! Nothing secret arrives here in clear except the TOTP secret, which must be
//! kept to check codes; it is never written to the audit trail.

use chrono::{DateTime, Utc};
use portfolio_domain::organisation::User;
use serde_json::{json, Value};

use crate::audit::{record, AuditRecord};
use crate::users::{user_from, USER_COLUMNS};
use crate::{format_time, get, now_text, parse_time, Actor, Result, Store};

/// How long failed attempts are kept: longer than any throttling window.
const KEEP_FAILURES_HOURS: i64 = 24;

/// What happened to one sign-in attempt, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    /// Signed in (password, and security code when set up).
    SignedIn,
    /// The password was right; a security code is still needed.
    CodeNeeded,
    /// Wrong password, wrong code, or a disabled account: counts for throttling.
    Failed(&'static str),
    /// Refused before checking anything, because of too many failures.
    Throttled,
}

/// A session whose password step passed, awaiting the security code.
#[derive(Debug, Clone)]
pub struct PendingSecondFactor {
    pub user: User,
    pub csrf_token: String,
    pub totp_secret: String,
}

impl Store {
    /// Times of the failed attempts since `since` for an email and from an
    /// address, oldest first.
    pub async fn sign_in_failures_since(
        &self,
        email: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(Vec<DateTime<Utc>>, Vec<DateTime<Utc>>)> {
        let by_email = self.failure_times("email", email, since).await?;
        let by_address = if address.is_empty() {
            Vec::new()
        } else {
            self.failure_times("address", address, since).await?
        };
        Ok((by_email, by_address))
    }

    async fn failure_times(
        &self,
        column: &'static str,
        value: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        let rows = sqlx::query(&format!(
            "SELECT attempted_at FROM sign_in_failures WHERE {column} = $1 AND attempted_at > $2 \
             ORDER BY attempted_at LIMIT 1000"
        ))
        .bind(value.to_string())
        .bind(format_time(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| parse_time(&get::<String>(r, "attempted_at")?))
            .collect()
    }

    /// Records one sign-in attempt: a failure is kept for throttling, a
    /// success clears its account's failures; for a known user the outcome
    /// goes in the audit trail in the same transaction (with the address,
    /// never the password or code).
    pub async fn record_sign_in_attempt(
        &self,
        email: &str,
        address: &str,
        user: Option<&User>,
        outcome: SignInOutcome,
    ) -> Result<()> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let now = Utc::now();
        sqlx::query("DELETE FROM sign_in_failures WHERE attempted_at < $1")
            .bind(format_time(
                now - chrono::Duration::hours(KEEP_FAILURES_HOURS),
            ))
            .execute(&mut *tx)
            .await?;
        match outcome {
            SignInOutcome::Failed(_) => {
                sqlx::query(
                    "INSERT INTO sign_in_failures (email, address, attempted_at) VALUES ($1, $2, $3)",
                )
                .bind(email.to_string())
                .bind(address.to_string())
                .bind(format_time(now))
                .execute(&mut *tx)
                .await?;
            }
            SignInOutcome::SignedIn => {
                sqlx::query("DELETE FROM sign_in_failures WHERE email = $1")
                    .bind(email.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            SignInOutcome::CodeNeeded | SignInOutcome::Throttled => {}
        }
        if let Some(user) = user {
            let (action, reason) = match outcome {
                SignInOutcome::SignedIn => ("signed_in", None),
                SignInOutcome::CodeNeeded => ("sign_in_code_needed", None),
                SignInOutcome::Failed(reason) => ("sign_in_failed", Some(reason)),
                SignInOutcome::Throttled => ("sign_in_throttled", None),
            };
            let mut after = json!({ "address": address });
            if let Some(reason) = reason {
                after["reason"] = Value::from(reason);
            }
            record(
                &mut tx,
                AuditRecord {
                    organisation_id: Some(user.organisation_id),
                    entity: "user",
                    entity_id: user.id,
                    action,
                    before: None,
                    after: Some(after),
                    actor: &Actor {
                        user_id: Some(user.id),
                        label: user.email.clone(),
                    },
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A user's TOTP secret and the last time step a code was accepted for.
    pub async fn totp_of(&self, user_id: i64) -> Result<Option<(String, Option<i64>)>> {
        let row = sqlx::query("SELECT totp_secret, totp_last_step FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let secret: Option<String> = get(&row, "totp_secret")?;
        let step: Option<i64> = get(&row, "totp_last_step")?;
        Ok(secret.map(|s| (s, step)))
    }

    /// Sets up (`Some`, with the step of the code that confirmed it) or
    /// removes (`None`) a user's TOTP secret, audited as `totp_enabled` or
    /// `totp_disabled` (without the secret).
    pub async fn set_totp(
        &self,
        user: &User,
        secret: Option<(&str, i64)>,
        actor: &Actor,
    ) -> Result<()> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = $2 WHERE id = $3")
            .bind(secret.map(|(s, _)| s.to_string()))
            .bind(secret.map(|(_, step)| step))
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(user.organisation_id),
                entity: "user",
                entity_id: user.id,
                action: if secret.is_some() {
                    "totp_enabled"
                } else {
                    "totp_disabled"
                },
                before: None,
                after: None,
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a time step as used for a user's TOTP; false when it (or a later
    /// one) was already used, so a code works once.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let _guard = self.write_guard().await;
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_secret IS NOT NULL \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Opens a session that waits for the security code: it signs nobody in.
    pub async fn create_pending_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.insert_session(id_hash, user_id, csrf_token, expires_at, true)
            .await
    }

    /// A live session awaiting its security code, with the user's secret.
    pub async fn pending_session(&self, id_hash: &str) -> Result<Option<PendingSecondFactor>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, u.totp_secret FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.pending_second_factor = 1 AND u.disabled = 0"
        ))
        .bind(id_hash.to_string())
        .bind(now_text())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(totp_secret) = get::<Option<String>>(&row, "totp_secret")? else {
            return Ok(None);
        };
        Ok(Some(PendingSecondFactor {
            user: user_from(&row)?.user,
            csrf_token: get(&row, "csrf_token")?,
            totp_secret,
        }))
    }
}
