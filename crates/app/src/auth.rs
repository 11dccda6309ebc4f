//! Signing in: password hashes, sessions and API tokens.
//!
//! Passwords are hashed with Argon2id. Session ids and API tokens are 256-bit
//! random values given to the client once; the database keeps only their
//! SHA-256, so a copy of the database cannot be used to sign in.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

use portfolio_domain::organisation::{parse_email, User};
use portfolio_domain::ValidationErrors;

use crate::{App, AppError, Caller, Result};

/// Minimum password length (NCSC: length over complexity rules).
pub const MIN_PASSWORD_LENGTH: usize = 12;
const MAX_PASSWORD_LENGTH: usize = 256;

/// Prefix of API tokens, so a leaked token is recognisable in a scan.
pub const TOKEN_PREFIX: &str = "pf_";

/// A new session: the secret id for the cookie and the CSRF token for forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session_id: String,
    pub csrf_token: String,
    pub user: User,
}

/// A session as found from its cookie.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub caller: Caller,
    pub csrf_token: String,
}

pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of a high-entropy secret (session id, API token), hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn check_password_rules(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LENGTH {
        return Err(format!("must be at least {MIN_PASSWORD_LENGTH} characters"));
    }
    if len > MAX_PASSWORD_LENGTH {
        return Err(format!("must be {MAX_PASSWORD_LENGTH} characters or fewer"));
    }
    Ok(())
}

pub fn hash_password(password: &str) -> Result<String> {
    check_password_rules(password)
        .map_err(|m| AppError::Validation(ValidationErrors::single("password", m)))?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            AppError::Validation(ValidationErrors::single(
                "password",
                format!("could not be hashed: {e}"),
            ))
        })
}

fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, verified when the email is unknown so a
/// wrong email takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(random_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

const SIGN_IN_FAILED: &str = "Enter a correct email address and password";

impl App {
    /// Checks an email and password; on success opens a session.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<NewSession> {
        let refuse = || AppError::Validation(ValidationErrors::single("email", SIGN_IN_FAILED));
        let email = parse_email(email).map_err(|_| refuse())?;
        if password.is_empty() || password.len() > MAX_PASSWORD_LENGTH * 4 {
            return Err(refuse());
        }
        let found = self.store.user_by_email(&email).await?;
        let Some(found) = found else {
            verify_password(password, decoy_hash());
            return Err(refuse());
        };
        if !verify_password(password, &found.password_hash) || found.user.disabled {
            self.store.record_sign_in(&found.user, false).await?;
            return Err(refuse());
        }
        self.store.record_sign_in(&found.user, true).await?;
        let session_id = random_secret();
        let csrf_token = random_secret();
        let expires = chrono::Utc::now() + self.settings.session_lifetime;
        self.store
            .create_session(
                &secret_hash(&session_id),
                found.user.id,
                &csrf_token,
                expires,
            )
            .await?;
        Ok(NewSession {
            session_id,
            csrf_token,
            user: found.user,
        })
    }

    /// The session for a cookie value, if it is live.
    pub async fn session(&self, session_id: &str) -> Result<Option<ActiveSession>> {
        if session_id.len() != 64 {
            return Ok(None);
        }
        Ok(self
            .store
            .session(&secret_hash(session_id))
            .await?
            .map(|s| ActiveSession {
                caller: Caller {
                    user: s.user,
                    data_version: s.data_version,
                    reference_version: s.reference_version,
                    token_scope: None,
                },
                csrf_token: s.csrf_token,
            }))
    }

    pub async fn sign_out(&self, session_id: &str) -> Result<()> {
        Ok(self.store.delete_session(&secret_hash(session_id)).await?)
    }

    /// The caller an API token belongs to.
    pub async fn token_caller(&self, token: &str) -> Result<Caller> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        match self.store.user_by_token(&secret_hash(token)).await? {
            Some(token) => Ok(Caller {
                user: token.signed_in.user,
                data_version: token.signed_in.data_version,
                reference_version: token.signed_in.reference_version,
                token_scope: Some(token.scope),
            }),
            None => Err(AppError::Unauthenticated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("wrong horse battery", &a));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(hash_password("short").is_err());
        assert!(check_password_rules(&"a".repeat(12)).is_ok());
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let s = random_secret();
        assert_eq!(s.len(), 64);
        assert_ne!(s, random_secret());
        assert_eq!(secret_hash(&s).len(), 64);
        assert_ne!(secret_hash(&s), s);
    }
}
