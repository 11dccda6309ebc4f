//! The application's one error type.
//!
//! Variants say what the caller did wrong (validation, not found, conflict,
//! forbidden) or that something inside failed (`Internal`, whose detail is
//! logged, never shown). The web maps each variant to a status once.

use portfolio_domain::{Project, ValidationErrors};
use portfolio_store::{StorageTrouble, StoreError};

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
    /// The database cannot take writes now (its disk is full, it is
    /// read-only, or its disk failed); nothing was saved. Reads still work.
    #[error("{}", storage_message(.trouble))]
    Storage {
        trouble: StorageTrouble,
        #[source]
        source: StoreError,
    },
    #[error("internal error")]
    Internal(#[source] StoreError),
}

/// What a user is told about a storage trouble: the cause, without internals.
pub fn storage_message(trouble: &StorageTrouble) -> &'static str {
    match trouble {
        StorageTrouble::DiskFull => "The database's disk is full; nothing was saved. Try again once an administrator has freed space.",
        StorageTrouble::ReadOnly => "The database is read-only; nothing was saved. Try again once an administrator has made it writable.",
        StorageTrouble::DiskError => "The database could not write to its disk; nothing was saved. Try again later.",
    }
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
            other => match other.storage_trouble() {
                Some(trouble) => AppError::Storage {
                    trouble,
                    source: other,
                },
                None => AppError::Internal(other),
            },
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
