//! The one mapping from application errors to HTTP responses.
//!
//! The API answers `application/problem+json` (RFC 9457) with the field and
//! reason for each problem; pages answer a GOV.UK error page. Internal errors
//! are logged with their cause chain and shown only as "Sorry, there is a
//! problem with the service". A database that cannot take writes (disk full,
//! read-only) answers 503 naming that cause, and nothing more.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portfolio_app::AppError;
use portfolio_domain::{FieldError, Project, ValidationErrors};
use serde::Serialize;

use crate::templates;

/// A problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Each bad field and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a stale update: the version now stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// For a failure on the server's side: the request's id (also in the
    /// `x-request-id` header), to quote when reporting it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The body could not be read as the JSON the endpoint expects.
    Body(ValidationErrors),
    /// A query-string parameter is not one the endpoint accepts.
    Query(ValidationErrors),
    UnsupportedMediaType,
    /// An update without `If-Match`.
    PreconditionRequired,
    /// A malformed `If-Match`.
    BadIfMatch,
    /// The body is over [`crate::MAX_BODY_BYTES`].
    PayloadTooLarge,
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

fn problem(
    status: StatusCode,
    kind: &str,
    title: &str,
    detail: String,
    errors: Vec<FieldError>,
) -> Problem {
    Problem {
        kind: format!("https://portfolio.invalid/problems/{kind}"),
        title: title.to_string(),
        status: status.as_u16(),
        detail,
        errors,
        current_version: None,
        request_id: None,
    }
}

/// A refusal for want of a role or scope, logged so an administrator can
/// see who tried what (the trace layer adds the request's method and path).
pub fn log_refusal(e: &AppError) {
    tracing::warn!(refusal = %e, "request refused");
}

pub fn log_internal(e: &AppError) {
    let mut chain = format!("{e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    tracing::error!(error = %chain, "request failed");
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, mut body) = match self {
            ApiError::Body(errors) => {
                let detail = errors.to_string();
                (StatusCode::BAD_REQUEST, problem(StatusCode::BAD_REQUEST, "malformed-body", "The request body could not be read", detail, errors.0))
            }
            ApiError::Query(errors) => {
                let detail = errors.to_string();
                (StatusCode::BAD_REQUEST, problem(StatusCode::BAD_REQUEST, "bad-query", "A query parameter is not valid", detail, errors.0))
            }
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Send JSON", "the body must be application/json".into(), vec![]),
            ),
            ApiError::PreconditionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                problem(
                    StatusCode::PRECONDITION_REQUIRED,
                    "if-match-required",
                    "If-Match is required",
                    "send the ETag of the version you read as If-Match, so a change made meanwhile is not overwritten".into(),
                    vec![FieldError::new("If-Match", "is required")],
                ),
            ),
            ApiError::BadIfMatch => (
                StatusCode::BAD_REQUEST,
                problem(
                    StatusCode::BAD_REQUEST,
                    "bad-if-match",
                    "If-Match is not an ETag of this API",
                    "send the ETag header of a GET, like \"v3\"".into(),
                    vec![FieldError::new("If-Match", "is not an ETag like \"v3\"")],
                ),
            ),
            ApiError::PayloadTooLarge => {
                let limit = format!("must be {} KiB or smaller", crate::MAX_BODY_BYTES / 1024);
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    problem(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body-too-large",
                        "The request body is too large",
                        format!("the body {limit}"),
                        vec![FieldError::new("body", limit)],
                    ),
                )
            }
            ApiError::App(e) => match e {
                AppError::Validation(errors) => {
                    let detail = errors.to_string();
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        problem(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Some values are not valid", detail, errors.0),
                    )
                }
                AppError::NotFound(what) => (
                    StatusCode::NOT_FOUND,
                    problem(StatusCode::NOT_FOUND, "not-found", "Not found", format!("{what} not found"), vec![]),
                ),
                AppError::Conflict { entity, current } => {
                    // Name the record when it is known: a merge names several projects.
                    let which = match current.as_ref() {
                        Some(c) => format!("{entity} {} (now at version {})", c.code, c.version),
                        None => format!("this {entity}"),
                    };
                    let mut p = problem(
                        StatusCode::PRECONDITION_FAILED,
                        "stale-version",
                        "Changed by someone else",
                        format!("{which} was changed by someone else since you read it; fetch it again and reapply your change"),
                        vec![],
                    );
                    p.current_version = current.as_ref().as_ref().map(|c: &Project| c.version);
                    (StatusCode::PRECONDITION_FAILED, p)
                }
                AppError::Unauthenticated => (
                    StatusCode::UNAUTHORIZED,
                    problem(
                        StatusCode::UNAUTHORIZED,
                        "unauthenticated",
                        "Sign in required",
                        "send a valid API token as 'Authorization: Bearer pf_…'".into(),
                        vec![],
                    ),
                ),
                AppError::Forbidden => (
                    StatusCode::FORBIDDEN,
                    problem(StatusCode::FORBIDDEN, "forbidden", "Not allowed", "your role does not allow this".into(), vec![]),
                ),
                e @ AppError::Needs(_) => {
                    log_refusal(&e);
                    (
                    StatusCode::FORBIDDEN,
                    problem(StatusCode::FORBIDDEN, "forbidden", "Not allowed", e.to_string(), vec![]),
                )
                }
                e @ AppError::TokenScope(_) => (
                    StatusCode::FORBIDDEN,
                    problem(StatusCode::FORBIDDEN, "token-scope", "Not allowed by this token", e.to_string(), vec![]),
                ),
                e @ AppError::TooManyAttempts { .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    problem(StatusCode::TOO_MANY_REQUESTS, "too-many-attempts", "Too many attempts", e.to_string(), vec![]),
                ),
                e @ AppError::Storage { .. } => {
                    log_internal(&e);
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        problem(StatusCode::SERVICE_UNAVAILABLE, "storage-unavailable", "Nothing was saved", e.to_string(), vec![]),
                    )
                }
                e @ AppError::Internal(_) => {
                    log_internal(&e);
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "something went wrong on our side; it has been logged".into(), vec![]),
                    )
                }
            },
        };
        body.status = status.as_u16();
        if status.is_server_error() {
            body.request_id = crate::request_id::current();
        }
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// An error on a page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self.0 {
            AppError::Unauthenticated => return Redirect::to("/sign-in").into_response(),
            AppError::NotFound(what) => (StatusCode::NOT_FOUND, "Page not found", format!("The {what} you asked for does not exist. Check the address, or find it in the register.")),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You do not have permission to do that",
                "Your role does not allow this. If you think it should, ask your programme office administrator. If you were filling in a form, go back, refresh the page and try again.".to_string(),
            ),
            AppError::Needs(needed) => {
                log_refusal(&self.0);
                (
                StatusCode::FORBIDDEN,
                "You do not have permission to do that",
                format!("This needs {needed}. If you think your role should allow it, ask your programme office administrator."),
            )
            }
            AppError::TokenScope(_) => (StatusCode::FORBIDDEN, "You do not have permission to do that", self.0.to_string()),
            AppError::Validation(errors) => (StatusCode::BAD_REQUEST, "There is a problem", errors.to_string()),
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "Changed by someone else", self.0.to_string()),
            AppError::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts", self.0.to_string()),
            AppError::Storage { .. } => {
                log_internal(&self.0);
                (StatusCode::SERVICE_UNAVAILABLE, "Nothing was saved", self.0.to_string())
            }
            AppError::Internal(_) => {
                log_internal(&self.0);
                (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service", "Try again later. The problem has been logged.".to_string())
            }
        };
        let request_id = status
            .is_server_error()
            .then(crate::request_id::current)
            .flatten();
        templates::render_status(
            status,
            "error.html",
            minijinja::context! { title, message, request_id, signed_in => false },
        )
    }
}
