//! Running a prepared scenario through the optimiser and reading the answer
//! back in the organisation's words: the recommended programme, why each
//! project is in or out, spend against budget, use of each pool, the
//! value-versus-budget frontier and what one more unit of each limit buys.
//! Pure computation on a blocking thread; progress goes through a callback
//! that also says whether to go on.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use portfolio_domain::scenario::{
    FrontierPoint, MarginalValue, PoolUse, ProjectOutcome, Scenario, ScenarioResult, YearSpend,
};
use portfolio_domain::ValidationErrors;
use portfolio_optimise::portfolio::{
    self as engine, Decision, Money as Line, OptimiseOptions, PortfolioResult, ProblemError,
    ResultStatus,
};
use serde::Serialize;

use super::problem::Prepared;
use super::ModelFormat;
use crate::{AppError, Result};

/// Points of the value-versus-budget frontier a run draws (0 to 2× the budgets).
pub const FRONTIER_POINTS: usize = 21;
/// The frontier runs from no money to this multiple of the scenario's budgets.
pub const FRONTIER_MAX_SCALE: f64 = 2.0;
/// The extra money "what would more buy" asks about, per budget line.
pub const MARGINAL_BUDGET_STEP_PENCE: i64 = 10_000_000;

/// Steps a run reports: the optimisation, one explanation per project, the
/// frontier points and the marginal values.
pub(super) fn steps(prepared: &Prepared) -> i64 {
    let p = &prepared.problem;
    (1 + p.candidates.len() + FRONTIER_POINTS + p.pools.len() + p.budgets.len()) as i64
}

/// Refuses a problem the optimiser cannot take, naming each cause.
pub(super) fn check(prepared: &Prepared) -> Result<()> {
    match engine::check(&prepared.problem) {
        Ok(()) => Ok(()),
        Err(problems) => {
            let mut errors = ValidationErrors::default();
            for p in problems {
                errors.push("scenario", p.message().to_string());
            }
            Err(AppError::Validation(errors))
        }
    }
}

fn options(prepared: &Prepared, cancel: &Arc<AtomicBool>) -> OptimiseOptions {
    OptimiseOptions {
        time_limit: Duration::from_secs(u64::from(prepared.scenario.definition.time_limit_seconds)),
        cancel: Some(cancel.clone()),
    }
}

/// The whole run: optimise, explain, sweep the frontier, price one more unit
/// of each limit. `report(done, total, label)` returns false to stop.
pub(super) fn compute(
    prepared: &Prepared,
    cancel: Arc<AtomicBool>,
    report: &mut dyn FnMut(i64, i64, &str) -> bool,
) -> std::result::Result<ScenarioResult, String> {
    let total = steps(prepared);
    let problem = &prepared.problem;
    let opts = options(prepared, &cancel);
    if !report(0, total, "Choosing the programme") {
        return Err("Cancelled before the optimisation started.".into());
    }
    let base = match engine::optimise(problem, &opts) {
        Ok(base) => base,
        Err(ProblemError::Infeasible { diagnosis, message }) => {
            let mut result = empty_result(prepared);
            result.status = "infeasible".into();
            result.conflicts = if diagnosis.shortfalls.is_empty() {
                vec![message]
            } else {
                diagnosis
                    .shortfalls
                    .iter()
                    .map(|s| s.message.clone())
                    .collect()
            };
            return Ok(result);
        }
        Err(e) => return Err(e.message().to_string()),
    };
    let mut done = 1;
    let explanations = {
        let mut on = |d: usize, _t: usize| -> bool {
            let label = problem
                .candidates
                .get(d.min(problem.candidates.len().saturating_sub(1)))
                .map_or_else(String::new, |c| format!("Explaining {}", c.key));
            report(done + d as i64, total, &label)
        };
        engine::explain(problem, &base, &opts, &mut on)
    };
    done += problem.candidates.len() as i64;
    if !report(done, total, "Drawing the value-versus-budget frontier") {
        return Err("Cancelled while explaining the programme.".into());
    }
    let frontier = {
        let mut on = |d: usize, _t: usize| -> bool {
            report(
                done + d as i64,
                total,
                "Drawing the value-versus-budget frontier",
            )
        };
        engine::frontier(problem, FRONTIER_POINTS, FRONTIER_MAX_SCALE, &opts, &mut on)
    };
    done += FRONTIER_POINTS as i64;
    if !report(done, total, "Pricing one more unit of each limit") {
        return Err("Cancelled while drawing the frontier.".into());
    }
    let marginal = {
        let mut on = |d: usize, _t: usize| -> bool {
            report(
                done + d as i64,
                total,
                "Pricing one more unit of each limit",
            )
        };
        engine::marginal_values(problem, &base, MARGINAL_BUDGET_STEP_PENCE, &opts, &mut on)
    };
    if !report(total, total, "Finished") {
        return Err("Cancelled while pricing the limits.".into());
    }
    Ok(assemble(
        prepared,
        &base,
        &explanations,
        &frontier,
        &marginal,
    ))
}

fn empty_result(prepared: &Prepared) -> ScenarioResult {
    let def = &prepared.scenario.definition;
    ScenarioResult {
        scenario_name: def.name.clone(),
        scenario_version: prepared.scenario.version,
        objective: def.objective,
        scoring_model_version: prepared.scoring_model_version,
        status: String::new(),
        proven_optimal: false,
        gap: 0.0,
        value: 0.0,
        bound: 0.0,
        seconds: 0.0,
        quarters: prepared.quarter_labels.clone(),
        projects: Vec::new(),
        spend: Vec::new(),
        pools: Vec::new(),
        conflicts: Vec::new(),
        frontier: Vec::new(),
        marginal: Vec::new(),
    }
}

fn decision_label(d: Decision, decided: &Option<String>) -> String {
    match d {
        Decision::Free => "free".into(),
        Decision::Mandatory => decided
            .as_deref()
            .filter(|s| s.starts_with("forced"))
            .map_or("mandatory".into(), |_| "forced in".into()),
        Decision::ForcedOut => "forced out".into(),
        Decision::Fixed(_) => "fixed".into(),
    }
}

fn assemble(
    prepared: &Prepared,
    base: &PortfolioResult,
    explanations: &[engine::Explanation],
    frontier: &[engine::FrontierPoint],
    marginal: &[engine::Marginal],
) -> ScenarioResult {
    let mut result = empty_result(prepared);
    result.status = match base.status {
        ResultStatus::Optimal => "optimal".into(),
        _ => "feasible".into(),
    };
    result.proven_optimal = base.status == ResultStatus::Optimal;
    result.gap = base.gap;
    result.value = base.value;
    result.bound = base.bound;
    result.seconds = base.seconds;
    let first = prepared.scenario.definition.first_year;
    let label = |q: i64| quarter_name(first, q);
    for (i, outcome) in base.projects.iter().enumerate() {
        let meta = &prepared.projects[i];
        let explanation = explanations.iter().find(|e| e.project == i);
        let mut reasons = Vec::new();
        if let Some(d) = &meta.decided {
            reasons.push(capitalise(d));
        }
        if !meta.assessed
            && prepared.scenario.definition.objective
                == portfolio_domain::scenario::Objective::PriorityScore
        {
            reasons.push("Not yet assessed against the scoring model, so it adds no value.".into());
        }
        match explanation {
            Some(e) if outcome.chosen => {
                if outcome.decision == Decision::Free && !e.summary.is_empty() {
                    reasons.push(capitalise(&e.summary));
                }
                if let Some(c) = &e.cannot {
                    reasons.push(capitalise(c));
                }
            }
            Some(e) => reasons.extend(left_out_reasons(e, &label)),
            None => {
                if let Some(w) = &outcome.why_not {
                    reasons.push(capitalise(w));
                }
            }
        }
        reasons.dedup();
        result.projects.push(ProjectOutcome {
            code: meta.code.clone(),
            title: meta.title.clone(),
            stage: meta.stage.label().to_string(),
            value: outcome.value,
            included: outcome.chosen,
            start: outcome.start.map(label),
            decision: decision_label(outcome.decision, &meta.decided),
            reasons,
            value_lost_if_forced_out: explanation
                .filter(|_| outcome.chosen)
                .and_then(|e| e.value_lost),
            value_lost_if_forced_in: explanation
                .filter(|_| !outcome.chosen)
                .and_then(|e| e.value_lost),
            value_lost_at_least: explanation.and_then(|e| e.value_lost_at_least),
        });
    }
    for (meta, why) in &prepared.excluded {
        result.projects.push(ProjectOutcome {
            code: meta.code.clone(),
            title: meta.title.clone(),
            stage: meta.stage.label().to_string(),
            value: 0.0,
            included: false,
            start: None,
            decision: "not considered".into(),
            reasons: vec![capitalise(why)],
            value_lost_if_forced_out: None,
            value_lost_if_forced_in: None,
            value_lost_at_least: None,
        });
    }
    result.projects.sort_by(|a, b| {
        b.included
            .cmp(&a.included)
            .then(b.value.total_cmp(&a.value))
            .then(a.code.cmp(&b.code))
    });
    for (y, year) in prepared.year_labels.iter().enumerate() {
        let line = |money: Line| {
            base.budgets
                .iter()
                .find(|b| b.year == y && b.money == money)
        };
        let capital = line(Line::Capital);
        let revenue = line(Line::Revenue);
        result.spend.push(YearSpend {
            year: year.clone(),
            capital_budget_pence: capital.and_then(|b| b.limit_pence),
            capital_spend_pence: capital.map_or(0, |b| b.spent_pence),
            revenue_budget_pence: revenue.and_then(|b| b.limit_pence),
            revenue_spend_pence: revenue.map_or(0, |b| b.spent_pence),
        });
    }
    for (i, pool) in base.pools.iter().enumerate() {
        result.pools.push(PoolUse {
            slug: prepared.pool_slugs.get(i).cloned().unwrap_or_default(),
            name: pool.name.clone(),
            supply: pool.supply.clone(),
            used: pool.used.clone(),
        });
    }
    result.frontier = frontier
        .iter()
        .filter_map(|p| {
            p.value.map(|value| FrontierPoint {
                scale: p.scale,
                budget_pence: p.budget_pence,
                value,
                chosen: p.chosen,
                proven_optimal: p.status == ResultStatus::Optimal,
            })
        })
        .collect();
    result.marginal = marginal
        .iter()
        .map(|m| MarginalValue {
            limit: m.name.clone(),
            step: m.increase.clone(),
            value_gain: m.gain.unwrap_or(0.0),
            added: m.added.clone(),
            dropped: m.dropped.clone(),
        })
        .collect();
    result
}

/// At most this many limits are named in one reason; the rest are counted.
const LIMITS_NAMED: usize = 4;

fn need_text(n: &engine::LimitNeed) -> String {
    if matches!(n.limit, engine::LimitRef::Budget { .. }) {
        format!(
            "{} (needs {}, {} free)",
            n.name,
            engine::format_pence(n.need),
            engine::format_pence(n.free.max(0.0))
        )
    } else {
        format!(
            "{} (needs {}, {} free)",
            n.name,
            engine::format_units(n.need),
            engine::format_units(n.free.max(0.0))
        )
    }
}

fn named_limits(needs: &[engine::LimitNeed]) -> String {
    let mut names: Vec<String> = needs.iter().take(LIMITS_NAMED).map(need_text).collect();
    if needs.len() > LIMITS_NAMED {
        names.push(format!("{} more", needs.len() - LIMITS_NAMED));
    }
    names.join(", ")
}

/// Why a project waits, in a few short sentences: the decisions and
/// dependencies that rule it out, then the limits that block it.
fn left_out_reasons(e: &engine::Explanation, label: &dyn Fn(i64) -> String) -> Vec<String> {
    let mut out: Vec<String> = e
        .reasons
        .iter()
        .filter(|r| {
            !r.starts_with("no start has room") && !r.starts_with("every start in its window")
        })
        .map(|r| capitalise(r))
        .collect();
    if !e.blocking.is_empty() {
        out.push(format!(
            "Every start in its window needs more than is free of: {}.",
            named_limits(&e.blocking)
        ));
    } else if let Some(closest) = e
        .starts
        .iter()
        .filter(|b| !b.limits.is_empty())
        .min_by_key(|b| b.limits.len())
    {
        out.push(format!(
            "No start in its window has room. The closest, starting in {}, needs: {}.",
            label(closest.start as i64),
            named_limits(&closest.limits)
        ));
    }
    if let Some(c) = &e.cannot {
        out.push(capitalise(c));
    }
    out
}

/// "2027/28 Q2" for quarter `q` of the horizon starting in `first`, also
/// before the horizon (a project in delivery that started earlier).
fn quarter_name(first: portfolio_domain::FinancialYear, q: i64) -> String {
    let year = first.start_year() as i64 + q.div_euclid(4);
    portfolio_domain::FinancialYear::new(year as i32)
        .map(|y| format!("{y} Q{}", q.rem_euclid(4) + 1))
        .unwrap_or_else(|_| format!("quarter {}", q + 1))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// The model of a prepared scenario as text in another solver's format.
pub(super) fn model_text(prepared: &Prepared, format: ModelFormat) -> Result<String> {
    check(prepared)?;
    let model = engine::formulate(&prepared.problem).model;
    Ok(match format {
        ModelFormat::Mps => portfolio_optimise::export::to_mps(&model),
        ModelFormat::Lp => portfolio_optimise::export::to_lp(&model),
    })
}

/// Scenarios side by side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub scenarios: Vec<ComparedScenario>,
    /// Every project that is in at least one of them, or out in one and in another.
    pub projects: Vec<ComparisonRow>,
    pub years: Vec<String>,
    pub pools: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedScenario {
    pub slug: String,
    pub name: String,
    pub value: f64,
    pub chosen: usize,
    pub status: String,
    /// Capital and revenue spend per year, in pence, in the order of `years`.
    pub spend_pence: Vec<i64>,
    pub budget_pence: Vec<Option<i64>>,
    /// Peak use as a share of supply per pool over the horizon, in the order of `pools`.
    pub peak_utilisation: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparisonRow {
    pub code: String,
    pub title: String,
    /// The start quarter in each scenario, or None when left out.
    pub starts: Vec<Option<String>>,
    /// Whether the scenarios disagree about this project.
    pub differs: bool,
}

/// Compares results side by side.
pub fn compare(results: &[(Scenario, ScenarioResult)]) -> Comparison {
    let years: Vec<String> = results
        .first()
        .map(|(_, r)| r.spend.iter().map(|s| s.year.clone()).collect())
        .unwrap_or_default();
    let mut pools: Vec<String> = Vec::new();
    for (_, r) in results {
        for p in &r.pools {
            if !pools.contains(&p.name) {
                pools.push(p.name.clone());
            }
        }
    }
    let scenarios = results
        .iter()
        .map(|(s, r)| ComparedScenario {
            slug: s.definition.slug.clone(),
            name: s.definition.name.clone(),
            value: r.value,
            chosen: r.chosen().count(),
            status: r.status.clone(),
            spend_pence: years
                .iter()
                .map(|y| {
                    r.spend
                        .iter()
                        .find(|s| &s.year == y)
                        .map_or(0, |s| s.capital_spend_pence + s.revenue_spend_pence)
                })
                .collect(),
            budget_pence: years
                .iter()
                .map(|y| {
                    r.spend.iter().find(|s| &s.year == y).and_then(|s| {
                        match (s.capital_budget_pence, s.revenue_budget_pence) {
                            (None, None) => None,
                            (c, r) => Some(c.unwrap_or(0) + r.unwrap_or(0)),
                        }
                    })
                })
                .collect(),
            peak_utilisation: pools
                .iter()
                .map(|name| {
                    r.pools.iter().find(|p| &p.name == name).and_then(|p| {
                        p.used
                            .iter()
                            .zip(&p.supply)
                            .filter(|(_, s)| **s > 0.0)
                            .map(|(u, s)| u / s)
                            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
                    })
                })
                .collect(),
        })
        .collect();
    let mut codes: Vec<(String, String)> = Vec::new();
    for (_, r) in results {
        for p in &r.projects {
            if !codes.iter().any(|(c, _)| c == &p.code) {
                codes.push((p.code.clone(), p.title.clone()));
            }
        }
    }
    codes.sort();
    let projects = codes
        .into_iter()
        .filter_map(|(code, title)| {
            let starts: Vec<Option<String>> = results
                .iter()
                .map(|(_, r)| {
                    r.outcome(&code)
                        .filter(|o| o.included)
                        .map(|o| o.start.clone().unwrap_or_default())
                })
                .collect();
            if starts.iter().all(Option::is_none) {
                return None;
            }
            let differs = starts.windows(2).any(|w| w[0] != w[1]);
            Some(ComparisonRow {
                code,
                title,
                starts,
                differs,
            })
        })
        .collect();
    Comparison {
        scenarios,
        projects,
        years,
        pools,
    }
}
