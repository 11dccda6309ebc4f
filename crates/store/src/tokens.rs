//! API tokens: created with a scope and an expiry, listed without their
//! secret, revoked by their owner or an administrator. Only a hash of the
//! secret is stored.

use chrono::{DateTime, Utc};
use portfolio_domain::tokens::TokenScope;
use portfolio_domain::ValidationErrors;
use serde_json::json;

use crate::audit::{record, AuditRecord};
use crate::users::{user_from, SignedIn, USER_COLUMNS};
use crate::{
    format_time, get, now_text, parse_stored, parse_time, Actor, Result, Store, StoreError,
};

/// An API token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub user_id: i64,
    /// The owner's email address, so an administrator's list says whose it is.
    pub user_email: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: DateTime<Utc>,
    /// None for tokens made before tokens expired.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it, when it is revoked.
    pub revoked_by: Option<String>,
}

impl TokenRecord {
    /// Whether the token still lets a script in at `now`.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > now)
    }
}

/// The caller an API token stands for.
#[derive(Debug, Clone)]
pub struct TokenCaller {
    pub signed_in: SignedIn,
    pub token_id: i64,
    pub scope: TokenScope,
}

const TOKEN_COLUMNS: &str =
    "t.id, t.user_id, u.email AS user_email, t.name, t.scope, t.created_at, \
     t.expires_at, t.last_used_at, t.revoked_at, t.revoked_by";

fn token_from(row: &sqlx::any::AnyRow) -> Result<TokenRecord> {
    let time = |column: &str| -> Result<Option<DateTime<Utc>>> {
        get::<Option<String>>(row, column)?
            .as_deref()
            .map(parse_time)
            .transpose()
    };
    let scope: String = get(row, "scope")?;
    Ok(TokenRecord {
        id: get(row, "id")?,
        user_id: get(row, "user_id")?,
        user_email: get(row, "user_email")?,
        name: get(row, "name")?,
        scope: parse_stored("scope", &scope, TokenScope::parse)?,
        created_at: parse_time(&get::<String>(row, "created_at")?)?,
        expires_at: time("expires_at")?,
        last_used_at: time("last_used_at")?,
        revoked_at: time("revoked_at")?,
        revoked_by: get(row, "revoked_by")?,
    })
}

impl Store {
    /// Stores a new token for `user` (its secret already hashed), audited.
    pub async fn create_token(
        &self,
        user: &portfolio_domain::organisation::User,
        name: &str,
        scope: TokenScope,
        expires_at: DateTime<Utc>,
        token_hash: &str,
        actor: &Actor,
    ) -> Result<TokenRecord> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let created = now_text();
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, scope, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.id)
        .bind(name.to_string())
        .bind(token_hash.to_string())
        .bind(created.clone())
        .bind(scope.as_str())
        .bind(format_time(expires_at))
        .fetch_one(&mut *tx)
        .await?;
        let token = TokenRecord {
            id: get(&row, "id")?,
            user_id: user.id,
            user_email: user.email.clone(),
            name: name.to_string(),
            scope,
            created_at: parse_time(&created)?,
            expires_at: Some(parse_time(&format_time(expires_at))?),
            last_used_at: None,
            revoked_at: None,
            revoked_by: None,
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(user.organisation_id),
                entity: "api_token",
                entity_id: token.id,
                action: "created",
                before: None,
                after: Some(json!({
                    "name": name,
                    "user": user.email,
                    "scope": scope.as_str(),
                    "expires_at": format_time(expires_at),
                })),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The enabled user owning an unrevoked, unexpired token with this hash,
    /// with the token's scope. Records the use at most once a minute, so reads
    /// stay reads under load.
    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<TokenCaller>> {
        let now = now_text();
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.scope, t.last_used_at, o.data_version, o.reference_version \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             JOIN organisations o ON o.id = u.organisation_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0 \
             AND (t.expires_at IS NULL OR t.expires_at > $2)"
        ))
        .bind(token_hash.to_string())
        .bind(now.clone())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from(&row)?.user;
        let token_id: i64 = get(&row, "token_id")?;
        let last_used: Option<String> = get(&row, "last_used_at")?;
        let stale = match last_used.as_deref().map(parse_time).transpose()? {
            Some(t) => Utc::now() - t > chrono::Duration::minutes(1),
            None => true,
        };
        if stale {
            let _guard = self.write_guard().await;
            let recorded = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token_id)
                .execute(&self.pool)
                .await
                .map_err(StoreError::from);
            match recorded {
                Ok(_) => {}
                // A full or read-only database still serves reads: the
                // use is recorded at the next request that can write.
                Err(e) if e.storage_trouble().is_some() => {
                    tracing::warn!(error = %e, "could not record an API token's use");
                }
                Err(e) => return Err(e),
            }
        }
        let scope: String = get(&row, "scope")?;
        Ok(Some(TokenCaller {
            signed_in: SignedIn {
                user,
                data_version: get(&row, "data_version")?,
                reference_version: get(&row, "reference_version")?,
            },
            token_id,
            scope: parse_stored("scope", &scope, TokenScope::parse)?,
        }))
    }

    /// A user's tokens, newest first, revoked and expired ones included.
    pub async fn tokens(&self, user_id: i64) -> Result<Vec<TokenRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.user_id = $1 ORDER BY t.id DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from).collect()
    }

    /// Every token of an organisation's users, newest first.
    pub async fn organisation_tokens(&self, organisation_id: i64) -> Result<Vec<TokenRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE u.organisation_id = $1 ORDER BY t.id DESC"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from).collect()
    }

    /// One token of the organisation, if it exists.
    pub async fn token(&self, organisation_id: i64, token_id: i64) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE u.organisation_id = $1 AND t.id = $2"
        ))
        .bind(organisation_id)
        .bind(token_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(token_from).transpose()
    }

    /// Revokes a token of the organisation, audited. A token already revoked
    /// is refused as a conflict naming who revoked it and when.
    pub async fn revoke_token(
        &self,
        organisation_id: i64,
        token_id: i64,
        actor: &Actor,
    ) -> Result<Result<TokenRecord, ValidationErrors>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL \
             AND user_id IN (SELECT id FROM users WHERE organisation_id = $4)",
        )
        .bind(now)
        .bind(actor.label.clone())
        .bind(token_id)
        .bind(organisation_id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE u.organisation_id = $1 AND t.id = $2"
        ))
        .bind(organisation_id)
        .bind(token_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(token) = row.as_ref().map(token_from).transpose()? else {
            return Err(StoreError::NotFound {
                entity: "API token",
            });
        };
        if done.rows_affected() == 0 {
            let when = token
                .revoked_at
                .map(|t| t.format("%-d %B %Y at %H:%M UTC").to_string())
                .unwrap_or_default();
            return Ok(Err(ValidationErrors::single(
                "token",
                format!(
                    "was already revoked by {} on {when}",
                    token.revoked_by.as_deref().unwrap_or("someone")
                ),
            )));
        }
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "api_token",
                entity_id: token.id,
                action: "revoked",
                before: None,
                after: Some(json!({"name": token.name, "user": token.user_email})),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(token))
    }
}
