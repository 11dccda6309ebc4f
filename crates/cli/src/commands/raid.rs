//! `raid`: an organisation's RAID register or its 5×5 heat map, as text or JSON.

use anyhow::Context;
use portfolio_app::raid::RaidRegister;
use portfolio_domain::raid::{RaidQuery, RiskHeatMap};

use super::{only_organisation, open_configured, out};
use crate::cli::{CapacityFormat, GlobalOptions, RaidArgs};

pub async fn raid(global: &GlobalOptions, args: RaidArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let query = RaidQuery {
        kind: args.kind,
        level: args.level,
        project: args.project,
        status: args.status,
        rating: args.rating,
        owner: args.owner,
        overdue: args.overdue.then(|| "true".to_string()),
    };
    let register = app.organisation_raid_register(&slug, &query).await;
    app.store.close().await;
    let register = register?;
    let text = match (args.format, args.heat_map) {
        (CapacityFormat::Json, true) => json(serde_json::to_string_pretty(&register.heat_map))?,
        (CapacityFormat::Json, false) => json(serde_json::to_string_pretty(&register.items))?,
        (CapacityFormat::Text, true) => heat_map_text(&register.heat_map),
        (CapacityFormat::Text, false) => list_text(&register),
    };
    out(&text)
}

fn json(written: serde_json::Result<String>) -> anyhow::Result<String> {
    let mut json = written.context("could not write the register as JSON")?;
    json.push('\n');
    Ok(json)
}

/// A line per item: `R1  risk  Programme  16 High  Rachel Adeyemi  review 2027-01-12 OVERDUE  title`.
fn list_text(register: &RaidRegister) -> String {
    if register.items.is_empty() {
        return "No RAID items match.\n".to_string();
    }
    let mut s = String::new();
    for i in &register.items {
        let score = i
            .risk
            .as_ref()
            .map(|r| format!("{} {}", r.current.value(), r.current.rating().label()))
            .or_else(|| i.issue.as_ref().map(|x| x.priority.label().to_string()))
            .unwrap_or_else(|| "-".to_string());
        let review = match i.review_date {
            Some(d) if i.review_overdue(register.today) => format!("review {d} OVERDUE"),
            Some(d) => format!("review {d}"),
            None => "no review date".to_string(),
        };
        let place = i
            .project
            .as_ref()
            .map_or("Programme".to_string(), |p| p.code.clone());
        s.push_str(&format!(
            "{:<5} {:<10} {:<9} {:<14} {:<22} {:<26} {}\n",
            i.reference(),
            i.kind.as_str(),
            place,
            score,
            i.owner.name,
            review,
            i.title
        ));
    }
    s.push_str(&format!(
        "{} item{}, {} with an overdue review\n",
        register.items.len(),
        if register.items.len() == 1 { "" } else { "s" },
        register.overdue()
    ));
    s
}

/// The matrix twice (current, then target): a row per likelihood, a column per impact.
fn heat_map_text(map: &RiskHeatMap) -> String {
    let mut s = format!(
        "{} open risk{}\n",
        map.risks,
        if map.risks == 1 { "" } else { "s" }
    );
    for (title, target) in [("Current scores", false), ("Target scores", true)] {
        s.push_str(&format!("\n{title} (likelihood down, impact across)\n"));
        s.push_str(&format!("{:<18}", ""));
        for i in 1..=5u8 {
            s.push_str(&format!(
                "{:>12}",
                format!("{i} {}", map.scales.impact_word(i))
            ));
        }
        s.push('\n');
        for row in &map.rows {
            let l = row.first().map_or(0, |c| c.likelihood);
            s.push_str(&format!(
                "{:<18}",
                format!("{l} {}", map.scales.likelihood_word(l))
            ));
            for c in row {
                let n = if target { c.target } else { c.current };
                s.push_str(&format!("{n:>12}"));
            }
            s.push('\n');
        }
    }
    s
}
