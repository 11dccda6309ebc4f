//! `capacity`: the supply-versus-demand heat map of an organisation, as text or JSON.

use anyhow::Context;
use portfolio_domain::capacity::HeatMap;

use super::{only_organisation, open_configured, out};
use crate::cli::{CapacityArgs, CapacityFormat, GlobalOptions};

pub async fn capacity(global: &GlobalOptions, args: CapacityArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let map = app
        .organisation_heat_map(&slug, args.from.as_deref(), Some(&args.quarters))
        .await;
    app.store.close().await;
    let map = map?;
    let text = match args.format {
        CapacityFormat::Json => {
            let mut json = serde_json::to_string_pretty(&map)
                .context("could not write the heat map as JSON")?;
            json.push('\n');
            json
        }
        CapacityFormat::Text => text(&map),
    };
    out(&text)
}

fn number(n: f64) -> String {
    let s = format!("{n:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A block per pool: `2026/27 Q1  12.5 / 16 FTE  78%  under capacity`.
fn text(map: &HeatMap) -> String {
    if map.rows.is_empty() {
        return "There are no resource pools yet.\n".to_string();
    }
    let mut s = String::new();
    for row in &map.rows {
        s.push_str(&format!("{} ({})\n", row.name, row.unit));
        for c in &row.cells {
            let percent = c
                .utilisation
                .map(|u| format!("{:.0}%", u * 100.0))
                .unwrap_or_else(|| "-".to_string());
            s.push_str(&format!(
                "  {}  {} / {}  {}  {}\n",
                c.quarter,
                number(c.demand),
                number(c.supply),
                percent,
                c.level.label().to_lowercase()
            ));
        }
    }
    s
}
