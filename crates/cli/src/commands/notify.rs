//! `notify`, and the notifications `serve` and `demo` send while they run:
//! risk review reminders and notification emails.

use std::time::Duration;

use portfolio_app::meetings::today;
use portfolio_app::notifications::{MailSettings, Mailer};
use portfolio_app::App;

use super::{open_configured, out};
use crate::cli::{GlobalOptions, MailArgs, NotifyArgs};

/// The mailer the arguments describe; none without --smtp-url. Links in
/// emails go to --public-url, or to `fallback_url` (the address served).
pub fn mailer(args: &MailArgs, fallback_url: &str) -> anyhow::Result<Option<Mailer>> {
    let Some(smtp_url) = args
        .smtp_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    let settings = MailSettings {
        smtp_url: smtp_url.to_string(),
        from: args.mail_from.clone(),
        public_url: args
            .public_url
            .clone()
            .unwrap_or_else(|| fallback_url.to_string()),
    };
    Ok(Some(Mailer::new(&settings)?))
}

/// One round: the reminders due today, then the waiting emails.
async fn round(
    app: &App,
    mailer: Option<&Mailer>,
) -> anyhow::Result<(usize, Option<portfolio_app::notifications::Delivery>)> {
    let reminded = app.remind_reviews(today()).await?;
    let delivered = match mailer {
        Some(m) => Some(app.deliver_emails(m).await?),
        None => None,
    };
    Ok((reminded, delivered))
}

pub async fn notify(global: &GlobalOptions, args: NotifyArgs) -> anyhow::Result<()> {
    let mailer = mailer(&args.mail, "http://127.0.0.1:8080")?;
    if mailer.is_some() && args.mail.public_url.is_none() {
        anyhow::bail!(
            "--public-url is needed with --smtp-url: the emails link to the address people open Portfolio at"
        );
    }
    let app = open_configured(global).await?;
    let result = round(&app, mailer.as_ref()).await;
    app.store.close().await;
    let (reminded, delivered) = result?;
    out(&format!("Risk review reminders stored: {reminded}\n"))?;
    match (delivered, &mailer) {
        (Some(d), Some(m)) => out(&format!(
            "Emails through {}: {} sent, {} failed (tried again next time), {} too old to send\n",
            m.server(),
            d.sent,
            d.failed,
            d.expired
        ))?,
        _ => out("No SMTP server configured (--smtp-url): notifications are in the app only\n")?,
    }
    Ok(())
}

/// Runs a round every `every` for as long as the server runs; a failed
/// round is logged and the next one tries again.
pub fn spawn_notifier(
    app: App,
    mailer: Option<Mailer>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    match &mailer {
        Some(m) => tracing::info!(
            server = m.server(),
            every_seconds = every.as_secs(),
            "emailing notifications"
        ),
        None => tracing::info!("no SMTP server configured: notifications are in the app only"),
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match round(&app, mailer.as_ref()).await {
                Ok((reminded, Some(d))) if reminded + d.sent + d.failed + d.expired > 0 => {
                    tracing::info!(
                        reminded,
                        sent = d.sent,
                        failed = d.failed,
                        expired = d.expired,
                        "notifications"
                    )
                }
                Ok((reminded, None)) if reminded > 0 => {
                    tracing::info!(reminded, "risk review reminders")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "notifications round failed"),
            }
        }
    })
}
