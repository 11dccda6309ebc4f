//! Single sign-on: sign-ins in progress and the identities users sign in with.
//!
//! The state, like session ids, arrives here already hashed.

use portfolio_domain::organisation::User;
use portfolio_domain::Role;
use serde_json::json;

use crate::audit::{record, AuditRecord};
use crate::users::{user_from, USER_COLUMNS};
use crate::{format_time, get, map_unique, now_text, parse_time, Actor, Result, Store};

/// A sign-in begun at the provider, read back (and removed) at the callback.
#[derive(Debug, Clone)]
pub struct SsoLogin {
    /// SHA-256 of the random value in the browser's cookie, tying the
    /// callback to the browser that began the sign-in.
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Who signed in, as the provider vouched for them.
#[derive(Debug, Clone)]
pub struct SsoIdentity<'a> {
    pub organisation_id: i64,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    /// The role the user's groups map to.
    pub role: Role,
    /// Create the user when no account matches.
    pub create: bool,
}

/// What a single sign-on found. Only `SignedIn` wrote anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoSignIn {
    SignedIn {
        user: User,
        created: bool,
    },
    /// No account has this identity or email, and creation is off.
    Unknown,
    /// The account is disabled.
    Disabled,
    /// An account with this email belongs to another organisation.
    OtherOrganisation,
}

/// A password hash nobody can match: single-sign-on accounts have no password
/// until an administrator sets one.
pub const NO_PASSWORD: &str = "!single-sign-on";

impl Store {
    /// Records a sign-in in progress, and removes those that have expired.
    pub async fn create_sso_login(&self, state_hash: &str, login: &SsoLogin) -> Result<()> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sso_logins WHERE expires_at <= $1")
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sso_logins (state_hash, browser_hash, nonce, pkce_verifier, next_path, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(state_hash.to_string())
        .bind(login.browser_hash.clone())
        .bind(login.nonce.clone())
        .bind(login.pkce_verifier.clone())
        .bind(login.next_path.clone())
        .bind(now_text())
        .bind(format_time(login.expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes and returns the sign-in with this state, if it exists and has
    /// not expired: a state can be used once only.
    pub async fn take_sso_login(&self, state_hash: &str) -> Result<Option<SsoLogin>> {
        let _guard = self.write_guard().await;
        let row = sqlx::query(
            "DELETE FROM sso_logins WHERE state_hash = $1 \
             RETURNING browser_hash, nonce, pkce_verifier, next_path, expires_at",
        )
        .bind(state_hash.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let login = SsoLogin {
            browser_hash: get(&row, "browser_hash")?,
            nonce: get(&row, "nonce")?,
            pkce_verifier: get(&row, "pkce_verifier")?,
            next_path: get(&row, "next_path")?,
            expires_at: parse_time(&get::<String>(&row, "expires_at")?)?,
        };
        Ok((login.expires_at > chrono::Utc::now()).then_some(login))
    }

    /// Whether the user has signed in through this provider.
    pub async fn has_sso_identity(&self, user_id: i64, issuer: &str) -> Result<bool> {
        let row =
            sqlx::query("SELECT 1 AS found FROM sso_identities WHERE user_id = $1 AND issuer = $2")
                .bind(user_id)
                .bind(issuer.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// Finds the user an identity belongs to (by issuer and subject, else by
    /// email, linking the identity), creates one when allowed, brings the
    /// role into line with the user's groups, and audits the sign-in: all in
    /// one transaction, so a refusal changes nothing.
    pub async fn sso_sign_in(&self, id: &SsoIdentity<'_>) -> Result<SsoSignIn> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let by_subject = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM sso_identities i JOIN users u ON u.id = i.user_id \
             WHERE i.issuer = $1 AND i.subject = $2"
        ))
        .bind(id.issuer.to_string())
        .bind(id.subject.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let actor = |user: &User| Actor {
            user_id: Some(user.id),
            label: user.email.clone(),
        };
        let (existing, linked) = match by_subject {
            Some(row) => (Some(user_from(&row)?), true),
            None => {
                let row = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"
                ))
                .bind(id.email.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                (row.as_ref().map(user_from).transpose()?, false)
            }
        };
        let (user, created) = match existing {
            Some(found) => {
                if found.user.organisation_id != id.organisation_id {
                    return Ok(SsoSignIn::OtherOrganisation);
                }
                if found.user.disabled {
                    return Ok(SsoSignIn::Disabled);
                }
                let mut user = found.user.clone();
                if user.role != id.role {
                    sqlx::query(
                        "UPDATE users SET role = $1, version = version + 1 WHERE id = $2 AND version = $3",
                    )
                    .bind(id.role.as_str())
                    .bind(user.id)
                    .bind(found.version)
                    .execute(&mut *tx)
                    .await?;
                    user.role = id.role;
                    record(
                        &mut tx,
                        AuditRecord {
                            organisation_id: Some(user.organisation_id),
                            entity: "user",
                            entity_id: user.id,
                            action: "role_changed",
                            before: Some(json!(found.user)),
                            after: Some(json!({ "user": user, "reason": "single sign-on groups" })),
                            actor: &actor(&user),
                        },
                    )
                    .await?;
                }
                (user, false)
            }
            None if id.create => {
                let row = sqlx::query(
                    "INSERT INTO users (organisation_id, email, name, role, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(id.organisation_id)
                .bind(id.email.to_string())
                .bind(id.name.to_string())
                .bind(id.role.as_str())
                .bind(NO_PASSWORD)
                .bind(now_text())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| map_unique(e, "email", id.email))?;
                let user = User {
                    id: get(&row, "id")?,
                    organisation_id: id.organisation_id,
                    email: id.email.to_string(),
                    name: id.name.to_string(),
                    role: id.role,
                    disabled: false,
                    // Departments and projects are given by an administrator.
                    scope: Default::default(),
                };
                record(
                    &mut tx,
                    AuditRecord {
                        organisation_id: Some(user.organisation_id),
                        entity: "user",
                        entity_id: user.id,
                        action: "created",
                        before: None,
                        after: Some(json!({ "user": user, "reason": "first single sign-on" })),
                        actor: &actor(&user),
                    },
                )
                .await?;
                (user, true)
            }
            None => return Ok(SsoSignIn::Unknown),
        };
        if !linked {
            sqlx::query(
                "INSERT INTO sso_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id.issuer.to_string())
            .bind(id.subject.to_string())
            .bind(user.id)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        }
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(user.organisation_id),
                entity: "user",
                entity_id: user.id,
                action: "signed_in",
                before: None,
                after: Some(json!({ "method": "single_sign_on", "issuer": id.issuer })),
                actor: &actor(&user),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(SsoSignIn::SignedIn { user, created })
    }
}
