//! Users, their sessions and their API tokens.
//!
//! Passwords, session ids and tokens arrive here already hashed: the store
//! never sees a secret in clear.

use portfolio_domain::organisation::User;
use portfolio_domain::{Role, Scope};
use serde_json::json;

use crate::audit::{record, AuditRecord};
use crate::{
    format_time, get, map_unique, now_text, parse_stored, parse_time, Actor, Result, Store,
    StoreError,
};

/// A user with the hash of their password, for signing in.
#[derive(Debug, Clone)]
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
    pub version: i64,
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: User,
    /// The organisation's data and reference versions, read with the session (see [`SignedIn`]).
    pub data_version: i64,
    pub reference_version: i64,
    pub csrf_token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The user an API token belongs to, with their organisation's data version
/// read in the same query: a request then needs no second round trip to
/// know whether what it cached is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user: User,
    /// Changes with every audited write to the organisation's data.
    pub data_version: i64,
    /// Changes only when the organisation, its departments or its themes change.
    pub reference_version: i64,
}

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.organisation_id, u.email, u.name, u.role, u.scope AS user_scope, u.disabled, u.password_hash, u.version";

pub(crate) fn user_from(row: &sqlx::any::AnyRow) -> Result<UserWithHash> {
    let role: String = get(row, "role")?;
    let scope: String = get(row, "user_scope")?;
    Ok(UserWithHash {
        user: User {
            id: get(row, "id")?,
            organisation_id: get(row, "organisation_id")?,
            email: get(row, "email")?,
            name: get(row, "name")?,
            role: parse_stored("role", &role, Role::parse)?,
            disabled: get::<i64>(row, "disabled")? != 0,
            scope: parse_stored("scope", &scope, |s| serde_json::from_str::<Scope>(s))?,
        },
        password_hash: get(row, "password_hash")?,
        version: get(row, "version")?,
    })
}

fn scope_text(scope: &Scope) -> String {
    json!({ "departments": scope.departments, "projects": scope.projects }).to_string()
}

impl Store {
    /// Adds a user with no scope (see [`Store::create_scoped_user`]).
    pub async fn create_user(
        &self,
        organisation_id: i64,
        email: &str,
        name: &str,
        role: Role,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User> {
        let scope = Scope::default();
        self.create_scoped_user(
            organisation_id,
            email,
            name,
            role,
            &scope,
            password_hash,
            actor,
        )
        .await
    }

    /// Adds a user with a role and the departments or projects it is scoped to.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_scoped_user(
        &self,
        organisation_id: i64,
        email: &str,
        name: &str,
        role: Role,
        scope: &Scope,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO users (organisation_id, email, name, role, scope, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(organisation_id)
        .bind(email.to_string())
        .bind(name.to_string())
        .bind(role.as_str())
        .bind(scope_text(scope))
        .bind(password_hash.to_string())
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_unique(e, "email", email))?;
        let user = User {
            id: get(&row, "id")?,
            organisation_id,
            email: email.to_string(),
            name: name.to_string(),
            role,
            disabled: false,
            scope: scope.clone(),
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "user",
                entity_id: user.id,
                action: "created",
                before: None,
                after: Some(json!(user)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn users(&self, organisation_id: i64) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.organisation_id = $1 ORDER BY u.email"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| user_from(r).map(|u| u.user)).collect()
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserWithHash>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"
        ))
        .bind(email.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    /// Changes a user's password hash and/or disabled flag, audited.
    /// Signing a user out everywhere (deleting sessions) goes with both.
    pub async fn update_user_credentials(
        &self,
        user_id: i64,
        password_hash: Option<&str>,
        disabled: Option<bool>,
        actor: &Actor,
    ) -> Result<User> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        // Lock the row before reading it (PostgreSQL), so a concurrent change is
        // applied after this one rather than matching no row and being lost.
        sqlx::query("UPDATE users SET version = version WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ))
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound { entity: "user" })?;
        let before = user_from(&row)?;
        let mut after = before.user.clone();
        if let Some(d) = disabled {
            after.disabled = d;
        }
        sqlx::query(
            "UPDATE users SET password_hash = $1, disabled = $2, version = version + 1 WHERE id = $3 AND version = $4",
        )
        .bind(password_hash.unwrap_or(&before.password_hash).to_string())
        .bind(i64::from(after.disabled))
        .bind(user_id)
        .bind(before.version)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let action = match (password_hash.is_some(), disabled) {
            (true, _) => "password_changed",
            (false, Some(true)) => "disabled",
            (false, Some(false)) => "enabled",
            (false, None) => "updated",
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(before.user.organisation_id),
                entity: "user",
                entity_id: user_id,
                action,
                before: Some(json!(before.user)),
                after: Some(json!(after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes a user's role and scope, audited with the before and after
    /// (the row is locked first, so concurrent changes apply one after the
    /// other). The user's sessions end, so they sign in again under the new
    /// role; an unchanged role and scope writes nothing.
    pub async fn update_user_role(
        &self,
        organisation_id: i64,
        user_id: i64,
        role: Role,
        scope: &Scope,
        actor: &Actor,
    ) -> Result<User> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET version = version WHERE id = $1 AND organisation_id = $2")
            .bind(user_id)
            .bind(organisation_id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.organisation_id = $2"
        ))
        .bind(user_id)
        .bind(organisation_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound { entity: "user" })?;
        let before = user_from(&row)?;
        let mut after = before.user.clone();
        after.role = role;
        after.scope = scope.clone();
        if after == before.user {
            return Ok(after);
        }
        sqlx::query(
            "UPDATE users SET role = $1, scope = $2, version = version + 1 WHERE id = $3 AND version = $4",
        )
        .bind(role.as_str())
        .bind(scope_text(scope))
        .bind(user_id)
        .bind(before.version)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "user",
                entity_id: user_id,
                action: "role_changed",
                before: Some(json!(before.user)),
                after: Some(json!(after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.insert_session(id_hash, user_id, csrf_token, expires_at, false)
            .await
    }

    /// Inserts a session; `pending_second_factor` marks one that waits for
    /// its security code and signs nobody in.
    pub(crate) async fn insert_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
        pending_second_factor: bool,
    ) -> Result<()> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, pending_second_factor) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id_hash.to_string())
        .bind(user_id)
        .bind(csrf_token.to_string())
        .bind(now_text())
        .bind(format_time(expires_at))
        .bind(i32::from(pending_second_factor))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session with this id hash, if it exists, has not expired and its user is enabled.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.expires_at, o.data_version, o.reference_version FROM sessions s JOIN users u ON u.id = s.user_id \
             JOIN organisations o ON o.id = u.organisation_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.pending_second_factor = 0 AND u.disabled = 0"
        ))
        .bind(id_hash.to_string())
        .bind(now_text())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SessionRecord {
            user: user_from(&row)?.user,
            data_version: get(&row, "data_version")?,
            reference_version: get(&row, "reference_version")?,
            csrf_token: get(&row, "csrf_token")?,
            expires_at: parse_time(&get::<String>(&row, "expires_at")?)?,
        }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        let _guard = self.write_guard().await;
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
