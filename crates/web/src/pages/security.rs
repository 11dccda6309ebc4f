//! The signed-in person's second factor: set up a TOTP authenticator app
//! (secret and QR code, confirmed by a code from the app), or turn it off.
//!
//! The page holding a secret is never cached; the secret travels only in
//! the page and the confirming form, never in an address.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Value};
use portfolio_app::AppError;
use serde::Deserialize;

use super::{layout, ErrorLink};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/security", get(show))
        .route("/account/security/totp", post(enable))
        .route("/account/security/totp/disable", post(disable))
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn page(
    state: &AppState,
    session: &PageSession,
    secret: Option<&str>,
    error: Option<String>,
    done: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let caller = session.caller();
    let base = layout(state, session, "security").await?;
    let enabled = state.app.totp_enabled(caller).await?;
    let setup = if enabled {
        None
    } else {
        let s = state.app.totp_setup(caller, secret)?;
        Some(context! {
            secret => s.secret,
            uri => s.uri,
            // Drawn by portfolio_app::second_factor::qr_svg from the QR
            // matrix alone: rectangles and a path, no text, no scripts.
            qr_svg => Value::from_safe_string(s.qr_svg),
        })
    };
    let errors: Vec<ErrorLink> = error
        .iter()
        .map(|m| ErrorLink {
            target: "code".into(),
            message: m.clone(),
        })
        .collect();
    let banner = match done {
        Some("enabled") => {
            Some("Your second factor is set up: signing in now asks for a code from your app.")
        }
        Some("disabled") => {
            Some("Your second factor is turned off: signing in asks only for your password.")
        }
        _ => None,
    };
    let mut response = render_status(
        status,
        "account_security.html",
        context! { ..context! { enabled, setup, error, errors, banner }, ..base },
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    page(
        &state,
        &session,
        None,
        None,
        q.done.as_deref(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

fn first_message(e: &portfolio_domain::ValidationErrors) -> String {
    e.0.first().map(|e| e.message.clone()).unwrap_or_default()
}

pub async fn enable(
    State(state): State<AppState>,
    session: PageSession,
    Form(f): Form<TotpForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&f.csrf_token)?;
    match state
        .app
        .enable_totp(session.caller(), &f.secret, &f.code)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/security?done=enabled").into_response()),
        Err(AppError::Validation(e)) => {
            page(
                &state,
                &session,
                Some(&f.secret),
                Some(first_message(&e)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    session: PageSession,
    Form(f): Form<TotpForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&f.csrf_token)?;
    match state.app.disable_totp(session.caller(), &f.code).await {
        Ok(()) => Ok(Redirect::to("/account/security?done=disabled").into_response()),
        Err(AppError::Validation(e)) => {
            page(
                &state,
                &session,
                None,
                Some(first_message(&e)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
