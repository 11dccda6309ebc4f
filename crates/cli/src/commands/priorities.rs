//! `priorities list`: an organisation's submitted priorities and their outcomes, as text or JSON.

use anyhow::Context;
use portfolio_domain::intake::{Priority, PriorityQuery, PriorityStatus};

use super::{only_organisation, open_configured, out};
use crate::cli::{GlobalOptions, PrioritiesFormat, PrioritiesListArgs};

pub async fn list(global: &GlobalOptions, args: PrioritiesListArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let query = PriorityQuery {
        status: args.status.map(|s| s.as_str().to_string()),
    };
    let priorities = app.organisation_priorities(&slug, &query).await;
    app.store.close().await;
    let priorities = priorities?;
    let text = match args.format {
        PrioritiesFormat::Json => {
            let mut json = serde_json::to_string_pretty(&priorities)
                .context("could not write the priorities as JSON")?;
            json.push('\n');
            json
        }
        PrioritiesFormat::Text => text(&priorities),
    };
    out(&text)
}

/// One priority a line: `#3 accepted high Title (Department, submitted by EMAIL): DP-077`.
fn text(priorities: &[Priority]) -> String {
    if priorities.is_empty() {
        return "No priorities have been submitted.\n".to_string();
    }
    priorities
        .iter()
        .map(|p| {
            format!(
                "#{} {} {} {} ({}, submitted by {}): {}\n",
                p.id,
                p.status.as_str(),
                p.urgency.as_str(),
                one_line(&p.title),
                p.department.name,
                p.submitted_by.email,
                outcome(p)
            )
        })
        .collect()
}

fn outcome(p: &Priority) -> String {
    match (p.status, &p.project) {
        (PriorityStatus::Submitted, _) => "awaiting triage".to_string(),
        (PriorityStatus::Accepted, Some(project)) => format!("accepted as {}", project.code),
        (PriorityStatus::Linked, Some(project)) => format!("linked to {}", project.code),
        (PriorityStatus::Declined, _) => format!(
            "declined: {}",
            one_line(p.decline_reason.as_deref().unwrap_or(""))
        ),
        (status, None) => status.label().to_lowercase(),
    }
}

/// Text on one line, whatever control characters it holds.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
