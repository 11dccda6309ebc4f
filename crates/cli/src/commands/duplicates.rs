//! `duplicates`: likely duplicate projects of an organisation, as text or JSON.

use anyhow::Context;
use portfolio_app::duplicates::DuplicatePair;

use super::{only_organisation, open_configured, out};
use crate::cli::{DuplicatesArgs, DuplicatesFormat, GlobalOptions};

pub async fn duplicates(global: &GlobalOptions, args: DuplicatesArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let pairs = app.organisation_duplicates(&slug, args.limit).await;
    app.store.close().await;
    let pairs = pairs?;
    let text = match args.format {
        DuplicatesFormat::Json => {
            let mut json = serde_json::to_string_pretty(&pairs)
                .context("could not write the pairs as JSON")?;
            json.push('\n');
            json
        }
        DuplicatesFormat::Text => text(&pairs),
    };
    out(&text)
}

/// One pair a line: `DP-012 Title ~ DP-040 Title (83%): reason; reason`.
fn text(pairs: &[DuplicatePair]) -> String {
    if pairs.is_empty() {
        return "No likely duplicates were found.\n".to_string();
    }
    pairs
        .iter()
        .map(|p| {
            format!(
                "{} {} ~ {} {} ({}%): {}\n",
                p.a.code,
                one_line(&p.a.title),
                p.b.code,
                one_line(&p.b.title),
                p.percent(),
                p.reasons.join("; ")
            )
        })
        .collect()
}

/// A title on one line, whatever control characters it holds.
fn one_line(title: &str) -> String {
    title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
