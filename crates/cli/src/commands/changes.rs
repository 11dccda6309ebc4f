//! `changes`: what changed in an organisation between two dates, as text or JSON.

use anyhow::Context;
use portfolio_domain::history::{Changes, DateEntry};
use portfolio_domain::Money;

use super::{only_organisation, open_configured, out};
use crate::cli::{CapacityFormat, ChangesArgs, GlobalOptions};

pub async fn changes(global: &GlobalOptions, args: ChangesArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let since = DateEntry::iso(&args.since);
    let until = args
        .until
        .as_deref()
        .map(DateEntry::iso)
        .unwrap_or_default();
    let found = match app.command_line_caller(&slug, "cli").await {
        Ok(caller) => app.changes(&caller, &since, &until).await,
        Err(e) => Err(e),
    };
    app.store.close().await;
    let changes = found?;
    let format = if args.json {
        CapacityFormat::Json
    } else {
        args.format
    };
    let text = match format {
        CapacityFormat::Json => {
            let mut json = serde_json::to_string_pretty(changes.as_ref())
                .context("could not write the changes as JSON")?;
            json.push('\n');
            json
        }
        CapacityFormat::Text => summary_text(&changes),
    };
    out(&text)
}

fn money(pence: i64) -> String {
    Money::from_pence(pence)
        .map(|m| m.to_string())
        .unwrap_or_else(|_| format!("{pence}p"))
}

fn or_none<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}

/// A heading per kind of change with its count, then a line per change.
fn summary_text(c: &Changes) -> String {
    let mut s = format!(
        "Changes from {} to {} (UTC days, both included): {} in all\n",
        c.period.since,
        c.period.until,
        c.counts.total()
    );
    let mut section = |title: &str, lines: Vec<String>| {
        s.push_str(&format!("\n{title} ({})\n", lines.len()));
        if lines.is_empty() {
            s.push_str("  none\n");
        }
        for line in lines {
            s.push_str(&format!("  {line}\n"));
        }
    };
    section(
        "New projects",
        c.new_projects
            .iter()
            .map(|n| {
                format!(
                    "{}  {}  {}  {}",
                    n.project.code,
                    n.stage.map_or("-", |s| s.label()),
                    money(n.total_cost_pence),
                    n.project.title
                )
            })
            .collect(),
    );
    section(
        "Stage moves",
        c.stage_moves
            .iter()
            .map(|m| {
                format!(
                    "{}  {} -> {}  {}",
                    m.project.code,
                    m.from.label(),
                    m.to.label(),
                    m.project.title
                )
            })
            .collect(),
    );
    section(
        "Delivery confidence changes",
        c.confidence_changes
            .iter()
            .map(|m| {
                let label = |c: Option<portfolio_domain::DeliveryConfidence>| {
                    c.map_or("Not rated", |c| c.label())
                };
                format!(
                    "{}  {} -> {}  {}",
                    m.project.code,
                    label(m.from),
                    label(m.to),
                    m.project.title
                )
            })
            .collect(),
    );
    section(
        "Cost changes",
        c.cost_changes
            .iter()
            .map(|m| {
                let sign = if m.difference_pence > 0 { "+" } else { "" };
                format!(
                    "{}  {} -> {} ({sign}{})  {}",
                    m.project.code,
                    money(m.from_pence),
                    money(m.to_pence),
                    money(m.difference_pence),
                    m.project.title
                )
            })
            .collect(),
    );
    section(
        "Date changes",
        c.date_changes
            .iter()
            .map(|d| {
                format!(
                    "{}  start {} -> {}, end {} -> {}  {}",
                    d.project.code,
                    or_none(d.start_from),
                    or_none(d.start_to),
                    or_none(d.end_from),
                    or_none(d.end_to),
                    d.project.title
                )
            })
            .collect(),
    );
    let risk_line = |r: &portfolio_domain::history::RiskMention| {
        let project = r
            .project
            .as_ref()
            .map_or("Programme".to_string(), |p| p.code.clone());
        let score = r.score.map_or("-".to_string(), |s| s.score.to_string());
        format!("{}  {project}  score {score}  {}", r.reference, r.title)
    };
    section(
        "Risks opened",
        c.risks_opened.iter().map(risk_line).collect(),
    );
    section(
        "Risks closed",
        c.risks_closed.iter().map(risk_line).collect(),
    );
    section(
        "Risks re-scored",
        c.risks_rescored
            .iter()
            .map(|r| {
                format!(
                    "{}  {} -> {}  {}",
                    r.risk.reference, r.from.score, r.to.score, r.risk.title
                )
            })
            .collect(),
    );
    section(
        "Decisions taken",
        c.decisions
            .iter()
            .map(|d| {
                let date = d
                    .decided_at
                    .map_or("-".to_string(), |t| t.date_naive().to_string());
                let project = d
                    .project
                    .as_ref()
                    .map_or(String::new(), |p| format!("{}  ", p.code));
                let meeting = d
                    .meeting_title
                    .as_ref()
                    .map_or(String::new(), |m| format!("  ({m})"));
                format!("{date}  {project}{}{meeting}", d.summary)
            })
            .collect(),
    );
    s
}
