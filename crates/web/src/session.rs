//! Who is asking: the session cookie for pages, a bearer token for the API.
//!
//! Page forms carry the session's CSRF token, compared in constant time; the
//! sign-in form, before any session exists, uses a double-submit cookie.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use portfolio_app::auth::ActiveSession;
use portfolio_app::{AppError, Caller};

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "portfolio_session";
pub const SIGN_IN_CSRF_COOKIE: &str = "portfolio_sign_in";

/// A signed-in page visitor.
pub struct PageSession {
    pub session: ActiveSession,
}

impl PageSession {
    pub fn caller(&self) -> &Caller {
        &self.session.caller
    }

    /// Checks a submitted form's CSRF token against the session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if constant_time_eq(submitted.as_bytes(), self.session.csrf_token.as_bytes()) {
            Ok(())
        } else {
            tracing::warn!(
                user_id = self.session.caller.user.id,
                "form refused: its CSRF token is not this session's"
            );
            Err(AppError::Forbidden)
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where to send a visitor who is not signed in.
fn sign_in_redirect(uri: &Uri) -> Response {
    let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if next == "/" {
        Redirect::to("/sign-in").into_response()
    } else {
        let encoded: String = next
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        Redirect::to(&format!("/sign-in?next={encoded}")).into_response()
    }
}

impl<S> FromRequestParts<S> for PageSession
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(sign_in_redirect(&parts.uri));
        };
        match state.app.session(cookie.value()).await {
            Ok(Some(session)) => Ok(PageSession { session }),
            Ok(None) => {
                tracing::info!("session cookie matches no live session: sent to sign in");
                Err(sign_in_redirect(&parts.uri))
            }
            Err(e) => Err(crate::error::PageError(e).into_response()),
        }
    }
}

/// A caller of the JSON API, identified by `Authorization: Bearer pf_…`.
pub struct ApiCaller(pub Caller);

impl<S> FromRequestParts<S> for ApiCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        match token {
            Some(token) => Ok(ApiCaller(state.app.token_caller(token).await?)),
            None => Err(ApiError::App(AppError::Unauthenticated)),
        }
    }
}

pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

pub fn sign_in_csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SIGN_IN_CSRF_COOKIE, value))
        .path("/sign-in")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// A sign-in whose password was right, waiting for its security code.
pub const SIGN_IN_CODE_COOKIE: &str = "portfolio_sign_in_code";

pub fn sign_in_code_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SIGN_IN_CODE_COOKIE, value))
        .path("/sign-in")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// The client's IP address (for throttling sign-in attempts and the audit
/// trail): the connection's peer, or, behind a trusted reverse proxy, the
/// last address in `X-Forwarded-For` (the one the proxy appended); `None`
/// when neither is known.
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S> FromRequestParts<S> for ClientAddress
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        if state.trust_forwarded_for {
            // Only the last entry: the earlier ones are whatever the client sent.
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok());
            if forwarded.is_some() {
                return Ok(ClientAddress(forwarded));
            }
        }
        Ok(ClientAddress(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
