//! Signing in and out.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::CookieJar;
use minijinja::context;
use portfolio_app::auth::random_secret;
use portfolio_app::AppError;
use serde::Deserialize;

use super::ErrorLink;
use crate::error::PageError;
use crate::session::{
    constant_time_eq, session_cookie, sign_in_csrf_cookie, PageSession, SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
};
use crate::templates::{render, render_status};
use crate::AppState;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths are followed after signing in (no open redirects).
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 500 =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn page(
    jar: CookieJar,
    state: &AppState,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> Response {
    let token = random_secret();
    let jar = jar.add(sign_in_csrf_cookie(token.clone(), state.secure_cookies));
    let errors: Vec<ErrorLink> = error
        .map(|m| ErrorLink {
            target: "email".into(),
            message: m.to_string(),
        })
        .into_iter()
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let body = render_status(
        status,
        "sign_in.html",
        context! { signed_in => false, csrf_token => token, email, next, error, errors, sso_href => super::sso::start_href(state, next) },
    );
    (jar, body).into_response()
}

pub async fn form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    page(jar, &state, "", &safe_next(q.next.as_deref()), None)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(f): Form<SignInForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    let cookie_ok = jar
        .get(SIGN_IN_CSRF_COOKIE)
        .is_some_and(|c| constant_time_eq(c.value().as_bytes(), f.csrf_token.as_bytes()));
    if !cookie_ok {
        return page(
            jar,
            &state,
            &f.email,
            &next,
            Some("Your sign-in form had expired. Enter your email address and password again"),
        );
    }
    match state.app.sign_in(&f.email, &f.password).await {
        Ok(session) => {
            if let Some(old) = jar.get(SESSION_COOKIE) {
                let _ = state.app.sign_out(old.value()).await;
            }
            let jar = jar
                .remove(sign_in_csrf_cookie(String::new(), state.secure_cookies))
                .add(session_cookie(session.session_id, state.secure_cookies));
            (jar, Redirect::to(&next)).into_response()
        }
        Err(AppError::Validation(e)) => {
            let message = e.0.first().map(|e| e.message.clone()).unwrap_or_default();
            page(jar, &state, &f.email, &next, Some(&message))
        }
        Err(e) => PageError(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    session: PageSession,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf_token) {
        return PageError(e).into_response();
    }
    // Asked before the session ends: the provider's end-session address, for
    // a user who signed in with their work account.
    let provider_sign_out = match state.app.sso_sign_out_url(&session.caller().user).await {
        Ok(url) => url,
        Err(e) => return PageError(e).into_response(),
    };
    if let Some(c) = jar.get(SESSION_COOKIE) {
        if let Err(e) = state.app.sign_out(c.value()).await {
            return PageError(e).into_response();
        }
    }
    let jar = jar.remove(session_cookie(String::new(), state.secure_cookies));
    if let Some(url) = provider_sign_out {
        return super::sso::signed_out_at_provider(jar, &url);
    }
    let _ = render;
    (jar, Redirect::to("/sign-in")).into_response()
}
