//! An optional second factor for local accounts: time-based one-time codes
//! (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps, as authenticator apps
//! expect).
//!
//! Setting up shows a new secret (and its QR code) and asks for a code from
//! it, so nobody is locked out by a secret their app never took. Signing in
//! then asks for a code after the password; a code is accepted once. Turning
//! it off needs a current code. Each change is audited; the secret is kept
//! in the database (it must be, to check codes) and is never logged.

use portfolio_domain::ValidationErrors;
use portfolio_store::{Actor, SignInOutcome};
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::auth::{secret_hash, NewSession};
use crate::{App, AppError, Caller, Result};

const ISSUER: &str = "Portfolio";
const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;

const ENTER_CODE: &str = "Enter the 6-digit security code shown in your authenticator app";

/// A secret being set up: shown to the user to add to their app.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    /// Base32, as typed into an authenticator app.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub uri: String,
    /// The QR code of `uri` as an SVG image (no scripts, no styles).
    pub qr_svg: String,
}

/// A random new TOTP secret, base32.
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => unreachable!("to_encoded gives an encoded secret"),
    }
}

fn totp(secret: &str, account: &str) -> Result<TOTP> {
    let invalid = || {
        AppError::Validation(ValidationErrors::single(
            "code",
            "The set-up key could not be read: start setting up again",
        ))
    };
    let bytes = Secret::Encoded(secret.trim().to_uppercase())
        .to_bytes()
        .map_err(|_| invalid())?;
    if bytes.len() != SECRET_BYTES {
        return Err(invalid());
    }
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_string()),
        account.replace(':', ""),
    )
    .map_err(|_| invalid())
}

/// The time step a code matches (now, or one step either side for clock
/// drift), or `None`. Compared in constant time.
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| {
            let expected = totp.generate(step * STEP_SECONDS);
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .and_then(|step| i64::try_from(step).ok())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

fn wrong_code() -> AppError {
    AppError::Validation(ValidationErrors::single("code", ENTER_CODE))
}

/// A QR code as a small SVG: one path of dark modules on a white square.
pub fn qr_svg(text: &str) -> Option<String> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let border = 4;
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let dim = size + border * 2;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {dim} {dim}\" width=\"200\" height=\"200\" \
         role=\"img\" aria-label=\"QR code of the set-up key\" shape-rendering=\"crispEdges\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/><path d=\"{path}\" fill=\"#0b0c0c\"/></svg>"
    ))
}

impl App {
    /// Whether the caller has a second factor set up.
    pub async fn totp_enabled(&self, caller: &Caller) -> Result<bool> {
        Ok(self.store.totp_of(caller.user.id).await?.is_some())
    }

    /// What to show for setting up a secret (new, or the one being confirmed).
    pub fn totp_setup(&self, caller: &Caller, secret: Option<&str>) -> Result<TotpSetup> {
        let secret = match secret {
            Some(s) if !s.trim().is_empty() => s.trim().to_uppercase(),
            _ => new_totp_secret(),
        };
        let uri = totp(&secret, &caller.user.email)?.get_url();
        let qr_svg = qr_svg(&uri).unwrap_or_default();
        Ok(TotpSetup {
            secret,
            uri,
            qr_svg,
        })
    }

    /// Turns the second factor on with a secret the caller's app now holds,
    /// proved by a current code from it.
    pub async fn enable_totp(&self, caller: &Caller, secret: &str, code: &str) -> Result<()> {
        if caller.token_scope.is_some() {
            return Err(AppError::Forbidden);
        }
        if self.totp_enabled(caller).await? {
            return Err(AppError::Validation(ValidationErrors::single(
                "code",
                "A second factor is already set up: turn it off first to set up a new one",
            )));
        }
        let secret = secret.trim().to_uppercase();
        let totp = totp(&secret, &caller.user.email)?;
        let step = matching_step(&totp, code, unix_now()).ok_or_else(wrong_code)?;
        let actor = Actor {
            user_id: Some(caller.user.id),
            label: caller.user.email.clone(),
        };
        self.store
            .set_totp(&caller.user, Some((&secret, step)), &actor)
            .await?;
        Ok(())
    }

    /// Turns the second factor off, proved by a current code.
    pub async fn disable_totp(&self, caller: &Caller, code: &str) -> Result<()> {
        if caller.token_scope.is_some() {
            return Err(AppError::Forbidden);
        }
        let Some((secret, _)) = self.store.totp_of(caller.user.id).await? else {
            return Err(AppError::Validation(ValidationErrors::single(
                "code",
                "No second factor is set up",
            )));
        };
        let totp = totp(&secret, &caller.user.email)?;
        let step = matching_step(&totp, code, unix_now()).ok_or_else(wrong_code)?;
        if !self.store.use_totp_step(caller.user.id, step).await? {
            return Err(wrong_code());
        }
        let actor = Actor {
            user_id: Some(caller.user.id),
            label: caller.user.email.clone(),
        };
        self.store.set_totp(&caller.user, None, &actor).await?;
        Ok(())
    }

    /// Turns off a user's second factor for them (an administrator, from the
    /// command line, for someone who lost their app). Returns the user and
    /// whether they had one; nothing is written when they had none.
    pub async fn reset_totp(
        &self,
        email: &str,
        actor: &Actor,
    ) -> Result<(portfolio_domain::organisation::User, bool)> {
        let email = portfolio_domain::organisation::parse_email(email)
            .map_err(|m| ValidationErrors::single("email", m))?;
        let Some(found) = self.store.user_by_email(&email).await? else {
            return Err(AppError::NotFound("user"));
        };
        if self.store.totp_of(found.user.id).await?.is_none() {
            return Ok((found.user, false));
        }
        self.store.set_totp(&found.user, None, actor).await?;
        Ok((found.user, true))
    }

    /// The CSRF token of a sign-in awaiting its code, if it is still live.
    pub async fn pending_sign_in(&self, pending_id: &str) -> Result<Option<String>> {
        if pending_id.len() != 64 {
            return Ok(None);
        }
        Ok(self
            .store
            .pending_session(&secret_hash(pending_id))
            .await?
            .map(|p| p.csrf_token))
    }

    /// The second step of signing in: the security code. A right code opens
    /// a new session (the pending one is removed); a wrong one counts
    /// towards throttling like a wrong password.
    pub async fn complete_sign_in(
        &self,
        pending_id: &str,
        code: &str,
        address: Option<std::net::IpAddr>,
    ) -> Result<NewSession> {
        if pending_id.len() != 64 {
            return Err(AppError::Unauthenticated);
        }
        let id_hash = secret_hash(pending_id);
        let Some(pending) = self.store.pending_session(&id_hash).await? else {
            return Err(AppError::Unauthenticated);
        };
        let address = address.map(|a| a.to_string()).unwrap_or_default();
        let email = pending.user.email.clone();
        self.check_throttle(&email, &address, Some(&pending.user))
            .await?;
        let totp = totp(&pending.totp_secret, &email)?;
        let accepted = match matching_step(&totp, code, unix_now()) {
            Some(step) => self.store.use_totp_step(pending.user.id, step).await?,
            None => false,
        };
        if !accepted {
            tracing::info!(address, "sign-in failed: wrong security code");
            self.store
                .record_sign_in_attempt(
                    &email,
                    &address,
                    Some(&pending.user),
                    SignInOutcome::Failed("wrong security code"),
                )
                .await?;
            return Err(wrong_code());
        }
        self.store.delete_session(&id_hash).await?;
        self.open_session(pending.user, &address).await
    }
}

/// The current code for a secret, for tests (of this crate and others) that
/// play the authenticator app.
pub fn current_code(secret: &str, at_unix: u64) -> Option<String> {
    let totp = totp(secret, "test").ok()?;
    Some(totp.generate(at_unix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_within_one_step_and_not_beyond() {
        let secret = new_totp_secret();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let t = totp(&secret, "jo@example.org").unwrap();
        let now = 1_800_000_000u64;
        let code = t.generate(now);
        assert_eq!(matching_step(&t, &code, now), Some((now / 30) as i64));
        assert_eq!(
            matching_step(&t, &format!("{} {}", &code[..3], &code[3..]), now),
            Some((now / 30) as i64),
            "spaces are ignored"
        );
        assert!(matching_step(&t, &t.generate(now - 30), now).is_some());
        assert!(matching_step(&t, &t.generate(now + 30), now).is_some());
        assert_eq!(matching_step(&t, &t.generate(now - 90), now), None);
        assert_eq!(matching_step(&t, "12345", now), None);
        assert_eq!(matching_step(&t, "abcdef", now), None);
    }

    #[test]
    fn a_secret_must_be_base32_of_the_right_length() {
        assert!(totp("not base32!", "jo@example.org").is_err());
        assert!(totp("JBSWY3DP", "jo@example.org").is_err(), "too short");
        assert!(totp(&new_totp_secret().to_lowercase(), "jo@example.org").is_ok());
    }

    #[test]
    fn the_qr_code_is_an_svg_without_scripts_or_styles() {
        let svg = qr_svg("otpauth://totp/Portfolio:jo%40example.org?secret=ABC").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<path d=\"M"));
        assert!(!svg.contains("<script") && !svg.contains("style"));
    }
}
