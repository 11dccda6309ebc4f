//! Organisations, departments, themes and users as the rest of the system sees them.

use serde::{Deserialize, Serialize};

use crate::role::{Role, Scope};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// First month of the financial year (4 = April).
    pub financial_year_start_month: u32,
    /// Prefix of project codes, e.g. "DP" for DP-042.
    pub project_code_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Department {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Theme {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub organisation_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    /// The departments or projects a department lead or project manager acts on.
    #[serde(default, skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
}

/// Checks an email address enough to catch typing mistakes; lower-cases it.
pub fn parse_email(input: &str) -> Result<String, String> {
    let s = input.trim().to_ascii_lowercase();
    if s.is_empty() {
        return Err("enter an email address".into());
    }
    if s.chars().count() > 254 {
        return Err("must be 254 characters or fewer".into());
    }
    let Some((local, domain)) = s.split_once('@') else {
        return Err("enter an email address in the correct format, like name@example.org".into());
    };
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(s)
    } else {
        Err("enter an email address in the correct format, like name@example.org".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            parse_email(" Admin@Northmere.Example ").unwrap(),
            "admin@northmere.example"
        );
        assert!(parse_email("nobody").is_err());
        assert!(parse_email("a@b").is_err());
        assert!(parse_email("a b@c.d").is_err());
    }
}
