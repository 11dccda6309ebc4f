//! Signing in with a work account: single sign-on through OpenID Connect.
//!
//! `/sign-in/oidc` sends the browser to the organisation's provider;
//! `/sign-in/oidc/callback` is where it comes back. All the checks are in
//! `portfolio_app::sso`; this only carries values between HTTP and the app.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use minijinja::context;
use portfolio_app::sso::{SsoCallback, SsoError};
use serde::Deserialize;

use super::sign_in::safe_next;
use crate::error::PageError;
use crate::session::{session_cookie, SESSION_COOKIE};
use crate::templates::render_status;
use crate::AppState;

/// Ties the callback to the browser that began the sign-in.
pub const SSO_COOKIE: &str = "portfolio_sso";
const SSO_COOKIE_PATH: &str = "/sign-in/oidc";

fn sso_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SSO_COOKIE, value))
        .path(SSO_COOKIE_PATH)
        .http_only(true)
        // Lax: the callback is a top-level navigation from the provider's site.
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

fn refusal(error: SsoError) -> Response {
    if let SsoError::App(e) = error {
        return PageError(e).into_response();
    }
    let (status, title) = match &error {
        SsoError::NotConfigured => (StatusCode::NOT_FOUND, "Page not found"),
        SsoError::InvalidState => (StatusCode::BAD_REQUEST, "Your sign-in has expired"),
        SsoError::ProviderRefused(_) | SsoError::InvalidToken(_) | SsoError::NoEmail => {
            (StatusCode::UNAUTHORIZED, "You have not been signed in")
        }
        SsoError::ProviderUnavailable(_) => (
            StatusCode::BAD_GATEWAY,
            "Sorry, signing in with your work account is not working",
        ),
        SsoError::NoAccount(_)
        | SsoError::NoRole
        | SsoError::Disabled
        | SsoError::OtherOrganisation => (StatusCode::FORBIDDEN, "You cannot sign in to Portfolio"),
        SsoError::App(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, there is a problem with the service",
        ),
    };
    render_status(
        status,
        "sso_refused.html",
        context! { title, message => error.to_string(), signed_in => false },
    )
}

/// The sign-in page's link to begin single sign-on, when it is set up.
pub(super) fn start_href(state: &AppState, next: &str) -> Option<String> {
    if !state.app.sso_enabled() {
        return None;
    }
    let encoded: String = next
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    Some(format!("/sign-in/oidc?next={encoded}"))
}

#[derive(Deserialize)]
pub struct BeginQuery {
    next: Option<String>,
}

pub async fn begin(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<BeginQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    match state.app.sso_begin(&next).await {
        Ok(start) => {
            let jar = jar.add(sso_cookie(start.browser_secret, state.secure_cookies));
            (jar, Redirect::to(&start.authorise_url)).into_response()
        }
        Err(e) => refusal(e),
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    state: String,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let browser_secret = jar.get(SSO_COOKIE).map(|c| c.value().to_string());
    let result = state
        .app
        .sso_finish(&SsoCallback {
            state: &q.state,
            code: q.code.as_deref(),
            error: q.error.as_deref(),
            error_description: q.error_description.as_deref(),
            browser_secret: browser_secret.as_deref(),
        })
        .await;
    let jar = jar.remove(sso_cookie(String::new(), state.secure_cookies));
    match result {
        Ok(signed_in) => {
            if let Some(old) = jar.get(SESSION_COOKIE) {
                let _ = state.app.sign_out(old.value()).await;
            }
            let jar = jar.add(session_cookie(
                signed_in.session.session_id,
                state.secure_cookies,
            ));
            (jar, Redirect::to(&safe_next(Some(&signed_in.next)))).into_response()
        }
        Err(e) => (jar, refusal(e)).into_response(),
    }
}

/// After the local session has ended: the page that sends the browser on to
/// the provider's end-session endpoint, with a link for when it does not go.
pub fn signed_out_at_provider(jar: CookieJar, url: &str) -> Response {
    let body = render_status(
        StatusCode::OK,
        "sso_signed_out.html",
        context! { end_session_url => url, signed_in => false },
    );
    (jar, body).into_response()
}
