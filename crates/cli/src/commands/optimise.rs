//! `optimise`: run a scenario's optimisation and print the recommended programme.

use anyhow::{bail, Context};
use portfolio_domain::scenario::{Objective, RunStatus, ScenarioResult};
use portfolio_domain::text::slugify;
use portfolio_domain::Money;

use super::{only_organisation, open_configured, out};
use crate::cli::{GlobalOptions, OptimiseArgs, OptimiseFormat};

pub async fn optimise(global: &GlobalOptions, args: OptimiseArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let scenario = slugify(&args.scenario);
    let outcome = async {
        let caller = app.command_line_caller(&slug, "cli").await?;
        let (run, result) = app.run_scenario(&caller, &scenario).await?;
        let recommended = if args.recommend && run.status == RunStatus::Succeeded {
            let current = app.scenario_recommendation(&caller).await?;
            Some(
                app.recommend_scenario(&caller, &scenario, current.version)
                    .await?,
            )
        } else {
            None
        };
        Ok::<_, portfolio_app::AppError>((run, result, recommended))
    }
    .await;
    app.store.close().await;
    let (run, result, recommended) = outcome?;
    if recommended.is_some() {
        eprintln!(
            "'{}' is now the recommended scenario: board packs and Cabinet reports show this run's programme",
            args.scenario
        );
    }
    let result = match (run.status, result) {
        (RunStatus::Succeeded, Some(result)) => result,
        (status, _) => bail!(
            "the run of '{}' {}: {}",
            args.scenario,
            status.label().to_lowercase(),
            run.message
        ),
    };
    let text = match args.format {
        OptimiseFormat::Json => {
            let mut json = serde_json::to_string_pretty(&serde_json::json!({
                "run": run,
                "result": result,
            }))
            .context("could not write the result as JSON")?;
            json.push('\n');
            json
        }
        OptimiseFormat::Text => text(&result),
    };
    out(&text)
}

fn value(objective: Objective, v: f64) -> String {
    match objective {
        Objective::PriorityScore => format!("{} points", v.round() as i64),
        Objective::Benefits => Money::from_pence((v.round() as i64).saturating_mul(100))
            .map(|m| m.to_string())
            .unwrap_or_default(),
    }
}

fn pounds(pence: i64) -> String {
    Money::from_pence(pence)
        .map(|m| m.to_string())
        .unwrap_or_default()
}

fn text(r: &ScenarioResult) -> String {
    let mut s = String::new();
    if r.status == "infeasible" {
        s.push_str(&format!(
            "{}: the mandatory, fixed and forced projects do not fit the limits.\n",
            r.scenario_name
        ));
        for c in &r.conflicts {
            s.push_str(&format!("  {c}\n"));
        }
        return s;
    }
    let chosen: Vec<_> = r.chosen().collect();
    s.push_str(&format!(
        "{}: {} projects chosen, worth {} ({}{}, {:.2} s)\n",
        r.scenario_name,
        chosen.len(),
        value(r.objective, r.value),
        if r.proven_optimal {
            "proven optimal"
        } else {
            "not proven optimal"
        },
        if r.proven_optimal {
            String::new()
        } else {
            format!(", gap {:.2}%", r.gap * 100.0)
        },
        r.seconds
    ));
    s.push_str("\nChosen:\n");
    for p in &chosen {
        s.push_str(&format!(
            "  {} starts {}  {}  ({})\n",
            p.code,
            p.start.as_deref().unwrap_or("-"),
            p.title,
            value(r.objective, p.value)
        ));
    }
    s.push_str("\nWaiting:\n");
    for p in r.projects.iter().filter(|p| !p.included) {
        s.push_str(&format!(
            "  {}  {}: {}\n",
            p.code,
            p.title,
            p.reasons.first().map(String::as_str).unwrap_or("left out")
        ));
    }
    s.push_str("\nSpend against budget:\n");
    for y in &r.spend {
        let budget = |b: Option<i64>| b.map_or("no limit".to_string(), pounds);
        s.push_str(&format!(
            "  {}  capital {} of {}, revenue {} of {}\n",
            y.year,
            pounds(y.capital_spend_pence),
            budget(y.capital_budget_pence),
            pounds(y.revenue_spend_pence),
            budget(y.revenue_budget_pence)
        ));
    }
    if !r.marginal.is_empty() {
        s.push_str("\nWhat one more would buy:\n");
        for m in &r.marginal {
            s.push_str(&format!(
                "  {}: {}{}\n",
                m.step,
                if m.value_gain > 0.0 {
                    value(r.objective, m.value_gain)
                } else {
                    "nothing".into()
                },
                if m.added.is_empty() {
                    String::new()
                } else {
                    format!(" (brings in {})", m.added.join(", "))
                }
            ));
        }
    }
    s
}
