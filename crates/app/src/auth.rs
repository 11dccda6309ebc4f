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

use portfolio_store::SignInOutcome;

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

/// The most common passwords, one a line (see the file's header for its source
/// and licence), embedded in the binary.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Whether a password is on the deny-list of common passwords, ignoring case.
pub fn is_common_password(password: &str) -> bool {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let list = LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });
    list.contains(password.trim().to_lowercase().as_str())
}

/// The password rules, following NCSC guidance: length over complexity, and
/// none of the most common passwords.
pub fn check_password_rules(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LENGTH {
        return Err(format!("must be at least {MIN_PASSWORD_LENGTH} characters"));
    }
    if len > MAX_PASSWORD_LENGTH {
        return Err(format!("must be {MAX_PASSWORD_LENGTH} characters or fewer"));
    }
    if is_common_password(password) {
        return Err(
            "is one of the most commonly used passwords, so it is easy to guess: choose another, for example three random words"
                .to_string(),
        );
    }
    Ok(())
}

/// The password rules, and the password must not be the user's email address.
pub fn check_password_for(email: &str, password: &str) -> Result<(), String> {
    check_password_rules(password)?;
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err("must not be your email address".to_string());
    }
    Ok(())
}

/// Hashes a new password for the user with this email, after checking the rules.
pub fn hash_password_for(email: &str, password: &str) -> Result<String> {
    check_password_for(email, password)
        .map_err(|m| AppError::Validation(ValidationErrors::single("password", m)))?;
    hash_password(password)
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

/// Throttling of sign-in attempts: at most this many failures for one account
/// (email address, known or not) within [`THROTTLE_WINDOW_MINUTES`]...
pub const ACCOUNT_FAILURE_LIMIT: usize = 5;
/// ...and at most this many from one client address.
pub const ADDRESS_FAILURE_LIMIT: usize = 20;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// How long a password-checked sign-in waits for its security code.
const PENDING_SECOND_FACTOR_MINUTES: i64 = 5;

/// How long until attempts are allowed again, given the times of the recent
/// failures (oldest first): `None` while fewer than `limit` fall within the
/// window. Attempts resume when enough of them have aged out of the window.
pub fn throttle_wait(
    failures: &[chrono::DateTime<chrono::Utc>],
    limit: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::Duration> {
    let window = chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let recent: Vec<_> = failures.iter().filter(|t| **t > now - window).collect();
    if limit == 0 || recent.len() < limit {
        return None;
    }
    let reopens = *recent[recent.len() - limit] + window;
    (reopens > now).then(|| reopens - now)
}

/// Whole minutes to tell the user, rounded up, at least one.
fn minutes_to_wait(wait: chrono::Duration) -> i64 {
    ((wait.num_seconds() + 59) / 60).max(1)
}

/// Where a sign-in attempt came from, for throttling and the audit trail.
fn address_text(address: Option<std::net::IpAddr>) -> String {
    address.map(|a| a.to_string()).unwrap_or_default()
}

/// The first step of signing in: either signed in, or the password was right
/// and the account's security code is needed next.
#[derive(Debug, Clone)]
pub enum SignInStep {
    SignedIn(NewSession),
    CodeNeeded(PendingSignIn),
}

/// A sign-in waiting for its security code: the secret id for a short-lived
/// cookie and the CSRF token for the code form.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub pending_id: String,
    pub csrf_token: String,
}

impl App {
    /// Refuses with [`AppError::TooManyAttempts`] while the account or the
    /// address has failed too often recently (recorded in the audit trail
    /// for a known user).
    pub(crate) async fn check_throttle(
        &self,
        email: &str,
        address: &str,
        user: Option<&User>,
    ) -> Result<()> {
        let now = chrono::Utc::now();
        let since = now - chrono::Duration::minutes(THROTTLE_WINDOW_MINUTES);
        let (by_account, by_address) = self
            .store
            .sign_in_failures_since(email, address, since)
            .await?;
        let wait = [
            throttle_wait(&by_account, ACCOUNT_FAILURE_LIMIT, now),
            throttle_wait(&by_address, ADDRESS_FAILURE_LIMIT, now),
        ]
        .into_iter()
        .flatten()
        .max();
        let Some(wait) = wait else { return Ok(()) };
        tracing::warn!(address, "sign-in refused: too many failed attempts");
        self.store
            .record_sign_in_attempt(email, address, user, SignInOutcome::Throttled)
            .await?;
        Err(AppError::TooManyAttempts {
            minutes: minutes_to_wait(wait),
        })
    }

    /// Checks an email and password; on success opens a session, or, when
    /// the account has a second factor, a pending sign-in awaiting the code.
    /// Failures count towards throttling per account and per address.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        address: Option<std::net::IpAddr>,
    ) -> Result<SignInStep> {
        let refuse = || AppError::Validation(ValidationErrors::single("email", SIGN_IN_FAILED));
        let email = parse_email(email).map_err(|_| refuse())?;
        let address = address_text(address);
        let found = self.store.user_by_email(&email).await?;
        self.check_throttle(&email, &address, found.as_ref().map(|f| &f.user))
            .await?;
        let failed = |user: Option<User>, reason: &'static str| {
            let (email, address) = (email.clone(), address.clone());
            async move {
                tracing::info!(address, reason, "sign-in failed");
                self.store
                    .record_sign_in_attempt(
                        &email,
                        &address,
                        user.as_ref(),
                        SignInOutcome::Failed(reason),
                    )
                    .await?;
                Err::<SignInStep, AppError>(refuse())
            }
        };
        if password.is_empty() || password.len() > MAX_PASSWORD_LENGTH * 4 {
            return failed(found.map(|f| f.user), "no usable password given").await;
        }
        let Some(found) = found else {
            verify_password(password, decoy_hash());
            return failed(None, "unknown email address").await;
        };
        if !verify_password(password, &found.password_hash) {
            return failed(Some(found.user), "wrong password").await;
        }
        if found.user.disabled {
            return failed(Some(found.user), "account disabled").await;
        }
        if self.store.totp_of(found.user.id).await?.is_some() {
            let pending_id = random_secret();
            let csrf_token = random_secret();
            let expires =
                chrono::Utc::now() + chrono::Duration::minutes(PENDING_SECOND_FACTOR_MINUTES);
            self.store
                .create_pending_session(
                    &secret_hash(&pending_id),
                    found.user.id,
                    &csrf_token,
                    expires,
                )
                .await?;
            self.store
                .record_sign_in_attempt(
                    &email,
                    &address,
                    Some(&found.user),
                    SignInOutcome::CodeNeeded,
                )
                .await?;
            return Ok(SignInStep::CodeNeeded(PendingSignIn {
                pending_id,
                csrf_token,
            }));
        }
        let session = self.open_session(found.user, &address).await?;
        Ok(SignInStep::SignedIn(session))
    }

    /// Opens a new session (a fresh id each time) for a user who has just
    /// proved who they are, and records the sign-in.
    pub(crate) async fn open_session(&self, user: User, address: &str) -> Result<NewSession> {
        let session = self.new_session(user).await?;
        self.store
            .record_sign_in_attempt(
                &session.user.email,
                address,
                Some(&session.user),
                SignInOutcome::SignedIn,
            )
            .await?;
        Ok(session)
    }

    /// A new session (a fresh id and CSRF token) for `user`, lasting the
    /// configured session lifetime. The caller records the sign-in.
    pub(crate) async fn new_session(&self, user: User) -> Result<NewSession> {
        let session_id = random_secret();
        let csrf_token = random_secret();
        let expires = chrono::Utc::now() + self.settings.session_lifetime;
        self.store
            .create_session(&secret_hash(&session_id), user.id, &csrf_token, expires)
            .await?;
        Ok(NewSession {
            session_id,
            csrf_token,
            user,
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
            tracing::info!("API request refused: not an API token");
            return Err(AppError::Unauthenticated);
        }
        match self.store.user_by_token(&secret_hash(token)).await? {
            Some(token) => Ok(Caller {
                user: token.signed_in.user,
                data_version: token.signed_in.data_version,
                reference_version: token.signed_in.reference_version,
                token_scope: Some(token.scope),
            }),
            None => {
                tracing::info!("API request refused: unknown, expired or revoked token");
                Err(AppError::Unauthenticated)
            }
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
    fn common_passwords_are_refused_whatever_their_case() {
        for common in [
            "qwerty123456",
            "QWERTY123456",
            "1qaz2wsx3edc",
            " LeaveMeAlone ",
        ] {
            let err = check_password_rules(common).expect_err(common);
            assert!(err.contains("most commonly used"), "{common}: {err}");
            assert!(hash_password(common).is_err());
        }
        assert!(is_common_password("password"));
        assert!(!is_common_password("correct horse battery staple"));
        assert!(check_password_rules("correct horse battery staple").is_ok());
    }

    #[test]
    fn the_email_address_is_not_a_password() {
        let err = check_password_for("Jo.Bloggs@example.org", "jo.bloggs@EXAMPLE.org").unwrap_err();
        assert_eq!(err, "must not be your email address");
        assert!(hash_password_for("jo.bloggs@example.org", "jo.bloggs@example.org").is_err());
        assert!(check_password_for("jo.bloggs@example.org", "a long and unusual phrase").is_ok());
    }

    #[test]
    fn throttling_starts_at_the_limit_and_ends_as_failures_age() {
        let now = chrono::Utc::now();
        let ago = |m: i64| now - chrono::Duration::minutes(m);
        let four = [ago(10), ago(8), ago(6), ago(1)];
        assert_eq!(throttle_wait(&four, ACCOUNT_FAILURE_LIMIT, now), None);
        let five = [ago(10), ago(8), ago(6), ago(2), ago(1)];
        let wait = throttle_wait(&five, ACCOUNT_FAILURE_LIMIT, now).expect("throttled");
        assert_eq!(
            wait,
            chrono::Duration::minutes(5),
            "the oldest ages out in 5 minutes"
        );
        assert_eq!(minutes_to_wait(wait), 5);
        // Failures older than the window do not count.
        let old = [ago(40), ago(30), ago(20), ago(2), ago(1)];
        assert_eq!(throttle_wait(&old, ACCOUNT_FAILURE_LIMIT, now), None);
        // Six failures: open again when the second oldest ages out.
        let six = [ago(14), ago(12), ago(6), ago(3), ago(2), ago(1)];
        let wait = throttle_wait(&six, ACCOUNT_FAILURE_LIMIT, now).unwrap();
        assert_eq!(minutes_to_wait(wait), 3);
        assert_eq!(minutes_to_wait(chrono::Duration::seconds(5)), 1);
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
