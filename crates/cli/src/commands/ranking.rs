//! `ranking`: the organisation's projects ranked by priority score, as text or JSON.

use anyhow::Context;
use portfolio_domain::scoring::Ranking;

use super::{only_organisation, open_configured, out};
use crate::cli::{GlobalOptions, RankingArgs, RankingFormat};

pub async fn ranking(global: &GlobalOptions, args: RankingArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let ranking = app.organisation_ranking(&slug).await;
    app.store.close().await;
    let ranking = ranking?;
    let text = match args.format {
        RankingFormat::Json => {
            let mut json = serde_json::to_string_pretty(&ranking)
                .context("could not write the ranking as JSON")?;
            json.push('\n');
            json
        }
        RankingFormat::Text => text(&ranking),
    };
    out(&text)
}

/// A heading naming the model version, then `1 DP-004 82.5 Title` a project,
/// each followed by its contributions, then the projects not yet assessed.
fn text(r: &Ranking) -> String {
    let mut s = format!(
        "Ranking by scoring model version {} ({}): {} ranked, {} not yet assessed\n",
        r.model_version,
        one_line(&r.model_name),
        r.entries.len(),
        r.unassessed.len()
    );
    for e in &r.entries {
        s.push_str(&format!(
            "{:>3} {} {:>5.1} {}\n",
            e.rank,
            e.code,
            e.score,
            one_line(&e.title)
        ));
        let parts: Vec<String> = e
            .contributions
            .iter()
            .map(|c| format!("{} {}/5 = {:.1}", c.name, c.score, c.points))
            .collect();
        s.push_str(&format!("      {}\n", parts.join("; ")));
    }
    for u in &r.unassessed {
        s.push_str(&format!(
            "  - {} {}: not assessed on {}\n",
            u.code,
            one_line(&u.title),
            u.missing.join(", ")
        ));
    }
    s
}

/// Text on one line, whatever control characters it holds.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
