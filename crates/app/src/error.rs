//! The application's one error type.
//!
//! Variants say what the caller did wrong (validation, not found, conflict,
//! forbidden) or that something inside failed (`Internal`, whose detail is
//! logged, never shown). The web maps each variant to a status once.

use portfolio_domain::{Project, ValidationErrors};
use portfolio_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The record changed since the caller read it.
    #[error("this {entity} was changed by someone else while you were editing it")]
    Conflict {
        entity: &'static str,
        current: Box<Option<Project>>,
    },
    #[error("you are not signed in, or your session has ended")]
    Unauthenticated,
    #[error("you do not have permission to do that")]
    Forbidden,
    /// The caller's role (or scope) does not allow this; names what is needed.
    #[error("your role does not allow this: it needs {0}")]
    Needs(&'static str),
    /// The user may, but the API token they sent is too narrow.
    #[error("this API token's scope ({}) does not allow that; use a token with a wider scope", .0.label().to_lowercase())]
    TokenScope(portfolio_domain::tokens::TokenScope),
    /// Sign-in throttled after too many failed attempts.
    #[error("Too many attempts — try again in {}", in_minutes(.minutes))]
    TooManyAttempts { minutes: i64 },
    #[error("internal error")]
    Internal(#[source] StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity } => AppError::NotFound(entity),
            StoreError::Conflict {
                entity, current, ..
            } => AppError::Conflict { entity, current },
            StoreError::Duplicate { field, value } => AppError::Validation(
                ValidationErrors::single(field, format!("'{value}' is already in use")),
            ),
            other => AppError::Internal(other),
        }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        AppError::Validation(e)
    }
}

/// "1 minute", "5 minutes".
fn in_minutes(minutes: &i64) -> String {
    if *minutes == 1 {
        "1 minute".to_string()
    } else {
        format!("{minutes} minutes")
    }
}
