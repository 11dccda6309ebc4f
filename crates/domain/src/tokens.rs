//! API tokens: what a token may do (its scope) and how long it lives.
//!
//! A token acts as its user and never does more than the user's role allows;
//! its scope narrows that further. A script that only reads the programme
//! gets a read token, so a leaked copy cannot change anything.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::text;
use crate::{Permission, ValidationErrors};

/// What an API token may do, within its user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Reads the programme, its registers and reports; changes nothing.
    Read,
    /// Reads and writes the programme (projects, RAID, gates, meetings,
    /// prioritisation), but manages no users, tokens or organisation settings.
    Write,
    /// Everything the user's role allows, including users and settings.
    Admin,
}

/// Days a new token lives when no expiry is given.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// The longest a token may live: a year, so a forgotten token stops by itself.
pub const MAX_TOKEN_DAYS: i64 = 366;
/// Longest token name, in characters.
pub const MAX_TOKEN_NAME: usize = 100;

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [TokenScope::Read, TokenScope::Write, TokenScope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
            TokenScope::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenScope::Read => "Read only",
            TokenScope::Write => "Read and write",
            TokenScope::Admin => "Administration",
        }
    }

    /// What the scope lets a script do, in one sentence, for the form.
    pub fn hint(self) -> &'static str {
        match self {
            TokenScope::Read => "Reads the programme, registers and reports. Changes nothing.",
            TokenScope::Write => {
                "Also adds and changes projects, RAID items, gate requests, meetings and scenarios."
            }
            TokenScope::Admin => {
                "Also manages users, tokens and the organisation’s settings, if your role allows it."
            }
        }
    }

    pub fn parse(s: &str) -> Result<TokenScope, String> {
        let norm = s.trim().to_ascii_lowercase();
        TokenScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a token scope; use read, write or admin",
                    s.trim().chars().take(40).collect::<String>()
                )
            })
    }

    /// Whether a token of this scope may use the permission (its user's role
    /// is checked as well).
    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::ReadProgramme => true,
            Permission::EditProjects
            | Permission::SubmitPriorities
            | Permission::TriagePriorities
            | Permission::ManagePrioritisation
            | Permission::RequestGates
            | Permission::DecideGates => matches!(self, TokenScope::Write | TokenScope::Admin),
            Permission::ManageUsers | Permission::ManageOrganisation => self == TokenScope::Admin,
        }
    }

    /// Whether this scope includes everything `other` may do (a token may only
    /// make tokens no wider than itself).
    pub fn covers(self, other: TokenScope) -> bool {
        self.rank() >= other.rank()
    }

    fn rank(self) -> u8 {
        match self {
            TokenScope::Read => 0,
            TokenScope::Write => 1,
            TokenScope::Admin => 2,
        }
    }
}

/// A checked request for a new token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub scope: TokenScope,
    pub expires_at: DateTime<Utc>,
}

/// Checks a token's name, scope and lifetime in days (default
/// [`DEFAULT_TOKEN_DAYS`], at most [`MAX_TOKEN_DAYS`]).
pub fn token_request(
    name: &str,
    scope: &str,
    days: Option<i64>,
    now: DateTime<Utc>,
) -> Result<TokenRequest, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let name = match text::clean(name, MAX_TOKEN_NAME, true, false) {
        Ok(name) => name,
        Err(message) => {
            errors.push("name", message);
            String::new()
        }
    };
    let scope = match TokenScope::parse(scope) {
        Ok(scope) => Some(scope),
        Err(message) => {
            errors.push("scope", message);
            None
        }
    };
    let days = days.unwrap_or(DEFAULT_TOKEN_DAYS);
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        errors.push(
            "expires_in_days",
            format!("must be a whole number of days from 1 to {MAX_TOKEN_DAYS}, not {days}"),
        );
    }
    match scope {
        Some(scope) if errors.is_empty() => Ok(TokenRequest {
            name,
            scope,
            expires_at: now + Duration::days(days),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_read_token_reads_and_changes_nothing() {
        let read = TokenScope::Read;
        assert!(read.allows(Permission::ReadProgramme));
        for p in [
            Permission::EditProjects,
            Permission::SubmitPriorities,
            Permission::ManagePrioritisation,
            Permission::RequestGates,
            Permission::DecideGates,
            Permission::ManageUsers,
        ] {
            assert!(!read.allows(p), "{p:?}");
        }
    }

    #[test]
    fn a_write_token_changes_the_programme_but_not_users_or_settings() {
        let write = TokenScope::Write;
        assert!(write.allows(Permission::EditProjects));
        assert!(write.allows(Permission::DecideGates));
        assert!(!write.allows(Permission::ManageUsers));
        assert!(!write.allows(Permission::ManageOrganisation));
        assert!(TokenScope::Admin.allows(Permission::ManageUsers));
    }

    #[test]
    fn a_token_only_makes_tokens_no_wider_than_itself() {
        assert!(TokenScope::Admin.covers(TokenScope::Read));
        assert!(TokenScope::Write.covers(TokenScope::Write));
        assert!(!TokenScope::Write.covers(TokenScope::Admin));
        assert!(!TokenScope::Read.covers(TokenScope::Write));
    }

    #[test]
    fn requests_default_to_ninety_days_and_refuse_more_than_a_year() {
        let ok = token_request(" Monthly report ", "Read", None, now()).unwrap();
        assert_eq!(ok.name, "Monthly report");
        assert_eq!(ok.scope, TokenScope::Read);
        assert_eq!(ok.expires_at, now() + Duration::days(90));

        let err = token_request("", "everything", Some(400), now()).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "scope", "expires_in_days"]);
        assert!(err.0[1]
            .message
            .contains("'everything' is not a token scope"));
        assert!(err.0[2].message.contains("from 1 to 366, not 400"));
        assert!(token_request("x", "write", Some(0), now()).is_err());
        assert!(token_request("x", "write", Some(366), now()).is_ok());
    }
}
