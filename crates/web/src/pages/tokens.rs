//! API tokens: the signed-in person makes tokens for their scripts (a name,
//! a scope and a lifetime), sees each one's last use, and revokes them; an
//! administrator also sees and revokes everyone's in the organisation.
//!
//! A new token's secret is shown once, in the answer to the form (never in
//! an address, never stored).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use minijinja::{context, Value};
use portfolio_app::{AppError, TokenRecord};
use portfolio_domain::tokens::{TokenScope, DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS};
use portfolio_domain::{Permission, ValidationErrors};
use serde::Deserialize;

use super::{errors_view, layout, long_date, PostedFields as Fields};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(tokens_page).post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

/// The lifetimes offered on the form, in days.
const LIFETIMES: [i64; 4] = [30, DEFAULT_TOKEN_DAYS, 180, MAX_TOKEN_DAYS];

fn when(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map(|t| long_date(t.date_naive()))
        .unwrap_or_else(|| none.to_string())
}

fn token_view(t: &TokenRecord, now: DateTime<Utc>) -> Value {
    let (status, colour) = match (t.revoked_at, t.active(now)) {
        (Some(_), _) => ("Revoked", "red"),
        (None, false) => ("Expired", "grey"),
        (None, true) => ("Active", "green"),
    };
    context! {
        id => t.id,
        user => t.user_email.clone(),
        name => t.name.clone(),
        scope => t.scope.label(),
        created => long_date(t.created_at.date_naive()),
        expires => when(t.expires_at, "Never"),
        last_used => when(t.last_used_at, "Never used"),
        status, colour,
        revoked_by => t.revoked_by.clone(),
        active => t.active(now),
    }
}

#[derive(Deserialize)]
pub struct Done {
    revoked: Option<i64>,
}

/// What the page shows besides the lists: a new secret, errors, a banner.
#[derive(Default)]
struct Shown {
    created: Option<(TokenRecord, String)>,
    errors: Option<ValidationErrors>,
    posted: Option<Fields>,
    revoked: Option<String>,
}

async fn page(
    state: &AppState,
    session: &PageSession,
    shown: Shown,
) -> Result<Response, PageError> {
    let caller = session.caller();
    let base = layout(state, session, "tokens").await?;
    let now = Utc::now();
    let own = state.app.own_tokens(caller).await?;
    let others = if caller.can(Permission::ManageUsers) {
        let mut all = state.app.organisation_tokens(caller).await?;
        all.retain(|t| t.user_id != caller.user.id);
        Some(all)
    } else {
        None
    };
    let (field_errors, errors) = match &shown.errors {
        Some(e) => errors_view(e, |field| match field {
            "name" => ("token-name".into(), "Name".into()),
            "scope" => ("token-scope".into(), "Scope".into()),
            "expires_in_days" => ("token-expiry".into(), "Expiry".into()),
            "token" => ("your-tokens".into(), "The token".into()),
            other => ("token-name".into(), other.to_string()),
        }),
        None => Default::default(),
    };
    let posted = |name: &str| shown.posted.as_ref().map(|f| f.get(name).to_string());
    let form = context! {
        name => posted("name").unwrap_or_default(),
        scope => posted("scope").unwrap_or_else(|| "read".to_string()),
        days => posted("expires_in_days").unwrap_or_else(|| DEFAULT_TOKEN_DAYS.to_string()),
    };
    let mut response = render(
        "tokens.html",
        context! { ..context! {
            own => own.iter().map(|t| token_view(t, now)).collect::<Vec<_>>(),
            others => others.map(|o| o.iter().map(|t| token_view(t, now)).collect::<Vec<_>>()),
            created => shown.created.as_ref().map(|(t, secret)| context! {
                name => t.name.clone(),
                scope => t.scope.label(),
                expires => when(t.expires_at, "Never"),
                secret => secret.clone(),
            }),
            revoked => shown.revoked,
            scopes => TokenScope::ALL.iter().map(|s| context! {
                value => s.as_str(), label => s.label(), hint => s.hint(),
            }).collect::<Vec<_>>(),
            lifetimes => LIFETIMES.iter().map(|d| context! {
                value => d.to_string(),
                label => format!("{d} days"),
            }).collect::<Vec<_>>(),
            form,
            field_errors,
            errors,
        }, ..base },
    );
    // A page that may hold a secret is never kept by a browser or a proxy.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn tokens_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let mut shown = Shown::default();
    if let Some(id) = q.revoked {
        let own = state.app.own_tokens(session.caller()).await?;
        let mut all = own;
        if session.caller().can(Permission::ManageUsers) {
            all = state.app.organisation_tokens(session.caller()).await?;
        }
        shown.revoked = all.iter().find(|t| t.id == id).map(|t| {
            format!(
                "The token ‘{}’ of {} is revoked: it no longer works",
                t.name, t.user_email
            )
        });
    }
    page(&state, &session, shown).await
}

pub async fn create_token(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let days = match fields.get("expires_in_days").trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(days) => Some(days),
            Err(_) => {
                let errors = ValidationErrors::single(
                    "expires_in_days",
                    format!("must be a whole number of days from 1 to {MAX_TOKEN_DAYS}"),
                );
                let shown = Shown {
                    errors: Some(errors),
                    posted: Some(fields),
                    ..Shown::default()
                };
                return page(&state, &session, shown).await;
            }
        },
    };
    match state
        .app
        .create_own_token(
            session.caller(),
            fields.get("name"),
            fields.get("scope"),
            days,
        )
        .await
    {
        Ok(created) => {
            page(
                &state,
                &session,
                Shown {
                    created: Some(created),
                    ..Shown::default()
                },
            )
            .await
        }
        Err(AppError::Validation(errors)) => {
            let shown = Shown {
                errors: Some(errors),
                posted: Some(fields),
                ..Shown::default()
            };
            page(&state, &session, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    match state.app.revoke_token(session.caller(), id).await {
        Ok(token) => {
            Ok(Redirect::to(&format!("/account/tokens?revoked={}", token.id)).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let shown = Shown {
                errors: Some(errors),
                ..Shown::default()
            };
            page(&state, &session, shown).await
        }
        Err(e) => Err(e.into()),
    }
}
