//! Signing in and out.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::CookieJar;
use minijinja::context;
use portfolio_app::auth::{random_secret, NewSession, SignInStep};
use portfolio_app::AppError;
use serde::Deserialize;

use super::ErrorLink;
use crate::error::PageError;
use crate::session::{
    constant_time_eq, session_cookie, sign_in_code_cookie, sign_in_csrf_cookie, ClientAddress,
    PageSession, SESSION_COOKIE, SIGN_IN_CODE_COOKIE, SIGN_IN_CSRF_COOKIE,
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
    status: axum::http::StatusCode,
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
    page(
        jar,
        &state,
        "",
        &safe_next(q.next.as_deref()),
        None,
        axum::http::StatusCode::OK,
    )
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
    ClientAddress(address): ClientAddress,
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
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match state.app.sign_in(&f.email, &f.password, address).await {
        Ok(SignInStep::SignedIn(session)) => signed_in(&state, jar, session, &next).await,
        Ok(SignInStep::CodeNeeded(pending)) => {
            let jar = jar
                .remove(sign_in_csrf_cookie(String::new(), state.secure_cookies))
                .add(sign_in_code_cookie(
                    pending.pending_id,
                    state.secure_cookies,
                ));
            let to = format!("/sign-in/code?next={}", encode_query(&next));
            (jar, Redirect::to(&to)).into_response()
        }
        Err(e @ AppError::TooManyAttempts { .. }) => page(
            jar,
            &state,
            &f.email,
            &next,
            Some(&e.to_string()),
            axum::http::StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(AppError::Validation(e)) => {
            let message = e.0.first().map(|e| e.message.clone()).unwrap_or_default();
            page(
                jar,
                &state,
                &f.email,
                &next,
                Some(&message),
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => PageError(e).into_response(),
    }
}

/// Percent-encodes a local path for a query string.
fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Finishes signing in: the session of any cookie the browser still had is
/// ended (a new session id at every sign-in), the new one is set.
async fn signed_in(state: &AppState, jar: CookieJar, session: NewSession, next: &str) -> Response {
    if let Some(old) = jar.get(SESSION_COOKIE) {
        if let Err(e) = state.app.sign_out(old.value()).await {
            return PageError(e).into_response();
        }
    }
    let jar = jar
        .remove(sign_in_csrf_cookie(String::new(), state.secure_cookies))
        .remove(sign_in_code_cookie(String::new(), state.secure_cookies))
        .add(session_cookie(session.session_id, state.secure_cookies));
    (jar, Redirect::to(next)).into_response()
}

fn code_page(
    csrf_token: &str,
    next: &str,
    error: Option<&str>,
    status: axum::http::StatusCode,
) -> Response {
    let errors: Vec<ErrorLink> = error
        .map(|m| ErrorLink {
            target: "code".into(),
            message: m.to_string(),
        })
        .into_iter()
        .collect();
    render_status(
        status,
        "sign_in_code.html",
        context! { signed_in => false, csrf_token, next, error, errors },
    )
}

/// The second step of signing in, for an account with a second factor.
pub async fn code_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    let Some(cookie) = jar.get(SIGN_IN_CODE_COOKIE) else {
        return Redirect::to("/sign-in").into_response();
    };
    match state.app.pending_sign_in(cookie.value()).await {
        Ok(Some(csrf)) => code_page(&csrf, &next, None, axum::http::StatusCode::OK),
        Ok(None) => Redirect::to("/sign-in").into_response(),
        Err(e) => PageError(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

pub async fn code_submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    let Some(pending_id) = jar.get(SIGN_IN_CODE_COOKIE).map(|c| c.value().to_string()) else {
        return Redirect::to("/sign-in").into_response();
    };
    let csrf = match state.app.pending_sign_in(&pending_id).await {
        Ok(Some(csrf)) => csrf,
        Ok(None) => return Redirect::to("/sign-in").into_response(),
        Err(e) => return PageError(e).into_response(),
    };
    if !constant_time_eq(csrf.as_bytes(), f.csrf_token.as_bytes()) {
        return PageError(AppError::Forbidden).into_response();
    }
    match state
        .app
        .complete_sign_in(&pending_id, &f.code, address)
        .await
    {
        Ok(session) => signed_in(&state, jar, session, &next).await,
        Err(e @ AppError::TooManyAttempts { .. }) => code_page(
            &csrf,
            &next,
            Some(&e.to_string()),
            axum::http::StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(AppError::Validation(e)) => {
            let message = e.0.first().map(|e| e.message.clone()).unwrap_or_default();
            code_page(
                &csrf,
                &next,
                Some(&message),
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(AppError::Unauthenticated) => Redirect::to("/sign-in").into_response(),
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
