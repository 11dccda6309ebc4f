//! API routes for API tokens: the caller lists, makes and revokes their own;
//! an administrator lists and revokes any of the organisation's.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use portfolio_app::TokenRecord;
use portfolio_domain::tokens::TokenScope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::JsonBody;
use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// A token as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    /// The owner's email address.
    pub user: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: DateTime<Utc>,
    /// Null for tokens made before tokens expired.
    pub expires_at: Option<DateTime<Utc>>,
    /// Recorded at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    /// Whether it lets a script in now (not revoked, not expired).
    pub active: bool,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        let active = t.active(Utc::now());
        TokenView {
            id: t.id,
            user: t.user_email,
            name: t.name,
            scope: t.scope,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            revoked_by: t.revoked_by,
            active,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `true` lists every token of the organisation's users (administrators only).
    #[serde(default)]
    pub all: bool,
}

/// What a new token is for, what it may do and how long it lives.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// read, write or admin; never wider than the token making it.
    pub scope: String,
    /// 1 to 366; default 90.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// A new token with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// Send it as `Authorization: Bearer …`; only a hash of it is kept.
    pub secret: String,
    pub token: TokenView,
}

/// The caller's own tokens (or, with `all=true`, the organisation's), newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "access", params(ListQuery),
    responses((status = 200, description = "Tokens, without their secrets", body = Vec<TokenView>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "all=true needs an administrator with an admin-scoped token", body = Problem, content_type = "application/problem+json")))]
async fn list_tokens(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = if query.all {
        state.app.organisation_tokens(&caller).await?
    } else {
        state.app.own_tokens(&caller).await?
    };
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// Makes a token for the caller; its secret is in the answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "access", request_body = NewToken,
    responses((status = 201, description = "Created; the secret is shown this once", body = CreatedToken),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A value is not valid, each named (an unknown scope, more than 366 days, a scope wider than the caller's token)", body = Problem, content_type = "application/problem+json")))]
async fn create_token(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let (record, secret) = state
        .app
        .create_own_token(&caller, &body.name, &body.scope, body.expires_in_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            secret,
            token: record.into(),
        }),
    ))
}

/// Revokes a token at once: the caller's own, or any of the organisation's
/// for an administrator.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "access",
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 200, description = "Revoked", body = TokenView),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such token of the caller's (or, for an administrator, of the organisation's)", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Already revoked: says by whom and when", body = Problem, content_type = "application/problem+json")))]
async fn revoke_token(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<TokenView>, ApiError> {
    Ok(Json(state.app.revoke_token(&caller, id).await?.into()))
}
