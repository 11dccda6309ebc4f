//! Notification services: each person's notices in the app, the review
//! reminders, and email through a configurable SMTP server.
//!
//! Notices about gate decisions and board actions are written by the store in
//! the same transaction as the decision or the action. Review reminders come
//! from [`App::remind_reviews`], which the server runs on a timer (and
//! `portfolio notify` runs once, for a scheduler): it is idempotent, so a
//! reminder is stored once whatever the number of runs or servers. Email is
//! sent by [`App::deliver_emails`] from what is pending; with no SMTP server
//! configured the notices stay in the app only.

use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDate, Utc};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::Mailbox;
use lettre::message::{Body, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use portfolio_domain::notifications::{
    self, after_failure, email_expired, email_text, Notice, REVIEW_NOTICE_DAYS,
};
use portfolio_store::{Actor, EmailOutcome, PendingEmail};

use crate::{App, AppError, Caller, Result};

/// The most notices a person's list shows.
pub const NOTICES_SHOWN: i64 = 200;

/// How many emails one delivery round claims.
const EMAILS_PER_ROUND: i64 = 50;

/// Where and how email is sent.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://host:port` (plain, for a relay on the local network),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465` (TLS from the start).
    pub smtp_url: String,
    /// The sender: `Portfolio <portfolio@council.example>`.
    pub from: String,
    /// The address people reach the app at, for links in emails.
    pub public_url: String,
}

/// Sends notification emails through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    /// The server, without credentials, for messages.
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// The part of an SMTP URL that is safe to show: scheme, host and port,
/// never the user name or password.
fn server_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host.split(['?', '/']).next().unwrap_or(host);
    format!("{scheme}://{host}")
}

impl Mailer {
    /// Checks the settings; the server is not contacted until the first email.
    pub fn new(settings: &MailSettings) -> Result<Mailer> {
        let server = server_of(&settings.smtp_url);
        let invalid = |field: &str, message: String| {
            AppError::Validation(portfolio_domain::ValidationErrors::single(field, message))
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .map_err(|e| {
                invalid(
                    "smtp_url",
                    format!("the SMTP server address {server} cannot be used: {e}"),
                )
            })?
            .timeout(Some(StdDuration::from_secs(30)))
            .build();
        let from: Mailbox = settings.from.parse().map_err(|e| {
            invalid(
                "mail_from",
                format!(
                    "the sender {:?} is not an email address: {e}",
                    settings.from
                ),
            )
        })?;
        let public_url = settings.public_url.trim_end_matches('/').to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(invalid(
                "public_url",
                format!(
                    "the public address {:?} must start with http:// or https://",
                    settings.public_url
                ),
            ));
        }
        Ok(Mailer {
            transport,
            from,
            public_url,
            server,
        })
    }

    /// The server emails go to (without credentials).
    pub fn server(&self) -> &str {
        &self.server
    }

    async fn send(&self, email: &PendingEmail) -> std::result::Result<(), String> {
        let to = Mailbox::new(
            Some(email.to_name.clone()),
            email
                .to_email
                .parse()
                .map_err(|e| format!("the address {} cannot be used: {e}", email.to_email))?,
        );
        let (subject, body) = email_text(&email.notice, &email.organisation_name, &self.public_url);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .singlepart(
                SinglePart::builder().header(ContentType::TEXT_PLAIN).body(
                    Body::new_with_encoding(body, ContentTransferEncoding::QuotedPrintable)
                        .map_err(|_| "the message could not be encoded".to_string())?,
                ),
            )
            .map_err(|e| format!("the message could not be built: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", self.server))
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    /// Failed this time (some are tried again later).
    pub failed: usize,
    pub expired: usize,
}

impl App {
    /// The caller's notices, newest first.
    pub async fn notifications(&self, caller: &Caller) -> Result<Vec<Notice>> {
        Ok(self
            .store
            .notices(caller.organisation_id(), caller.user.id, NOTICES_SHOWN)
            .await?)
    }

    /// How many of the caller's notices are unread.
    pub async fn unread_notifications(&self, caller: &Caller) -> Result<i64> {
        Ok(self.store.unread_notices(caller.user.id).await?)
    }

    /// Marks one of the caller's notices read; someone else's is not found.
    pub async fn mark_notification_read(&self, caller: &Caller, id: i64) -> Result<u64> {
        Ok(self
            .store
            .mark_notices_read(
                caller.organisation_id(),
                caller.user.id,
                Some(id),
                &caller.actor(),
            )
            .await?)
    }

    /// Marks all the caller's notices read; returns how many were unread.
    pub async fn mark_all_notifications_read(&self, caller: &Caller) -> Result<u64> {
        Ok(self
            .store
            .mark_notices_read(
                caller.organisation_id(),
                caller.user.id,
                None,
                &caller.actor(),
            )
            .await?)
    }

    /// Tells the owner of every open risk whose review falls due within
    /// [`REVIEW_NOTICE_DAYS`] of `today` (or is past), in every
    /// organisation; returns how many new notices were stored. Running it
    /// again the same day stores nothing new.
    pub async fn remind_reviews(&self, today: NaiveDate) -> Result<usize> {
        let actor = Actor::system("reminders");
        let by = today + Duration::days(REVIEW_NOTICE_DAYS);
        let mut stored = 0;
        for org in self.store.list_organisations().await? {
            let notices: Vec<_> = self
                .store
                .risks_due_for_review(org.id, by)
                .await?
                .iter()
                .filter_map(|risk| notifications::review_due(risk, today))
                .collect();
            stored += self.store.add_notices(org.id, &notices, &actor).await?;
        }
        Ok(stored)
    }

    /// Sends what is waiting to be emailed, in rounds until nothing is left
    /// or a round sends nothing; each email's outcome is recorded (a failure
    /// is tried again in a later call, up to the attempt limit).
    pub async fn deliver_emails(&self, mailer: &Mailer) -> Result<Delivery> {
        let actor = Actor::system("mailer");
        let mut done = Delivery::default();
        loop {
            let claimed = self.store.claim_emails(EMAILS_PER_ROUND).await?;
            if claimed.is_empty() {
                break;
            }
            let mut sent_this_round = 0;
            for email in &claimed {
                let outcome = if email_expired(email.notice.created_at, Utc::now()) {
                    done.expired += 1;
                    EmailOutcome::Expired
                } else {
                    match mailer.send(email).await {
                        Ok(()) => {
                            done.sent += 1;
                            sent_this_round += 1;
                            EmailOutcome::Sent
                        }
                        Err(error) => {
                            done.failed += 1;
                            tracing::warn!(notice = email.notice.id, %error, "email not sent");
                            EmailOutcome::Failed {
                                status: after_failure(email.notice.email_attempts),
                                error,
                            }
                        }
                    }
                };
                self.store.record_email(email, &outcome, &actor).await?;
            }
            if sent_this_round == 0 {
                // The server refuses everything: stop and try again later.
                break;
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_shown_without_credentials() {
        assert_eq!(
            server_of("smtp://portfolio:s3cret@mail.council.example:587?tls=required"),
            "smtp://mail.council.example:587"
        );
        assert_eq!(server_of("smtps://relay:465"), "smtps://relay:465");
    }

    #[test]
    fn bad_mail_settings_name_the_setting() {
        let good = MailSettings {
            smtp_url: "smtp://127.0.0.1:2525".into(),
            from: "Portfolio <portfolio@council.example>".into(),
            public_url: "https://portfolio.council.example".into(),
        };
        assert!(Mailer::new(&good).is_ok());
        let field = |s: MailSettings| match Mailer::new(&s) {
            Err(AppError::Validation(e)) => e.0[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(
            field(MailSettings {
                smtp_url: "ftp://x".into(),
                ..good.clone()
            }),
            "smtp_url"
        );
        assert_eq!(
            field(MailSettings {
                from: "not an address".into(),
                ..good.clone()
            }),
            "mail_from"
        );
        assert_eq!(
            field(MailSettings {
                public_url: "portfolio.example".into(),
                ..good
            }),
            "public_url"
        );
    }
}
