//! From the register, the plans and a scenario to the optimiser's problem.
//!
//! Which projects are candidates: those not yet started (idea, concept,
//! design, on hold) may be chosen and scheduled within their start window;
//! those in delivery keep their dates (they are in, and use capacity and
//! money from their start); live, closed, withdrawn and merged projects are
//! not part of the choice. A project's value is its priority score in whole
//! points (or its cashable benefits in whole pounds), so the objective is
//! integer-valued and the optimum is proved to the unit.

use std::collections::BTreeMap;

use portfolio_domain::capacity::{Planning, ProjectPlan};
use portfolio_domain::quarters::{FinancialQuarter, FinancialYear};
use portfolio_domain::scenario::{Objective, Scenario};
use portfolio_domain::{Project, Stage, ValidationErrors};
use portfolio_optimise::portfolio::{
    BudgetLimit, Candidate, Decision, Money as Line, PoolLimit, PortfolioProblem, YearCost,
};

use crate::{App, Caller, Result};

/// Quarters a project lasts when its plan does not say.
const DEFAULT_DURATION: usize = 4;

/// A scenario turned into the optimiser's problem, with what is needed to
/// read its answer back in the organisation's words.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub scenario: Scenario,
    pub problem: PortfolioProblem,
    /// One per candidate, in the same order.
    pub projects: Vec<CandidateProject>,
    /// Projects that could not be considered, and why.
    pub excluded: Vec<(CandidateProject, String)>,
    pub quarter_labels: Vec<String>,
    pub year_labels: Vec<String>,
    pub pool_slugs: Vec<String>,
    pub scoring_model_version: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct CandidateProject {
    pub code: String,
    pub title: String,
    pub stage: Stage,
    /// Why the decision was taken before optimising (mandatory, forced, fixed).
    pub decided: Option<String>,
    pub assessed: bool,
}

impl App {
    /// Builds the optimiser's problem for `scenario` from the register as it is now.
    pub async fn prepare_scenario(&self, caller: &Caller, scenario: &Scenario) -> Result<Prepared> {
        let organisation = self.organisation(caller).await?;
        let projects = self.store.all_projects(caller.organisation_id()).await?;
        let planning = self.planning(caller).await?;
        // Before a scoring model is saved no project has a score: the
        // priority-score objective then values every project at nothing.
        let (scores, model_version) = match self.ranking(caller).await {
            Ok(ranking) => (
                ranking
                    .entries
                    .iter()
                    .map(|e| (e.code.to_string(), e.score))
                    .collect::<BTreeMap<String, f64>>(),
                Some(ranking.model_version),
            ),
            Err(crate::AppError::NotFound("scoring model")) => (BTreeMap::new(), None),
            Err(e) => return Err(e),
        };
        Ok(build(
            scenario,
            &projects,
            &planning,
            &scores,
            model_version,
            organisation.financial_year_start_month,
        )?)
    }
}

/// The index of `q` counted from the first quarter of `first` (may be negative).
fn quarter_index(q: FinancialQuarter, first: FinancialYear) -> i64 {
    (q.year.start_year() - first.start_year()) as i64 * 4 + (q.quarter as i64 - 1)
}

fn quarter_label(first: FinancialYear, index: usize) -> String {
    let year = FinancialYear::new(first.start_year() + (index / 4) as i32)
        .map(|y| y.to_string())
        .unwrap_or_default();
    format!("{year} Q{}", index % 4 + 1)
}

/// The pure part of [`App::prepare_scenario`].
pub(crate) fn build(
    scenario: &Scenario,
    projects: &[Project],
    planning: &Planning,
    scores: &BTreeMap<String, f64>,
    scoring_model_version: Option<i64>,
    start_month: u32,
) -> Result<Prepared, ValidationErrors> {
    let def = &scenario.definition;
    let first = def.first_year;
    let quarters = def.years as usize * 4;
    let mut errors = ValidationErrors::default();

    let pool_slugs: Vec<String> = planning.pools.iter().map(|p| p.slug.clone()).collect();
    let pools: Vec<PoolLimit> = planning
        .pools
        .iter()
        .map(|pool| {
            let extra = def
                .capacity_adjustments
                .iter()
                .filter(|a| a.pool == pool.slug)
                .map(|a| a.amount)
                .sum::<f64>();
            let mut supply = vec![0.0; quarters];
            for s in &pool.supply {
                let i = quarter_index(s.quarter, first);
                if (0..quarters as i64).contains(&i) {
                    supply[i as usize] = s.amount;
                }
            }
            PoolLimit {
                name: pool.name.clone(),
                supply: supply.into_iter().map(|s| (s + extra).max(0.0)).collect(),
            }
        })
        .collect();

    let mut budgets = Vec::new();
    for (y, year) in def.horizon_years().into_iter().enumerate() {
        let budget = planning.budgets.iter().find(|b| b.year == year);
        let adjustment = def.budget_adjustments.iter().find(|a| a.year == year);
        for line in [Line::Capital, Line::Revenue] {
            let base = budget.map(|b| match line {
                Line::Capital => b.capital.pence(),
                Line::Revenue => b.revenue.pence(),
            });
            let extra = adjustment.map_or(0, |a| match line {
                Line::Capital => a.capital.pence(),
                Line::Revenue => a.revenue.pence(),
            });
            let limit = match base {
                Some(b) => Some((b + extra).max(0)),
                None if extra != 0 => Some(extra.max(0)),
                None => None,
            };
            budgets.push(BudgetLimit {
                name: format!(
                    "{year} {}",
                    if line == Line::Capital {
                        "capital"
                    } else {
                        "revenue"
                    }
                ),
                year: y,
                money: line,
                limit_pence: limit,
            });
        }
    }

    let plans: BTreeMap<&str, &ProjectPlan> = planning
        .plans
        .iter()
        .map(|p| (p.code.as_str(), p))
        .collect();
    let by_code: BTreeMap<&str, &Project> = projects.iter().map(|p| (p.code.as_str(), p)).collect();
    for (field, codes) in [
        ("forced_in", &def.forced_in),
        ("forced_out", &def.forced_out),
    ] {
        for (i, code) in codes.iter().enumerate() {
            match by_code.get(code.as_str()) {
                None => errors.push(
                    format!("{field}[{i}]"),
                    format!("{code} is not a project of this organisation"),
                ),
                Some(p) if !considered(p.stage) => errors.push(
                    format!("{field}[{i}]"),
                    format!(
                        "{code} is {} and is not part of the choice",
                        p.stage.label().to_lowercase()
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    let mut candidates = Vec::new();
    let mut meta = Vec::new();
    let mut excluded = Vec::new();
    for project in projects.iter().filter(|p| considered(p.stage)) {
        let code = project.code.to_string();
        let plan = plans.get(code.as_str()).copied();
        let score = scores.get(&code).copied();
        let value = match def.objective {
            Objective::PriorityScore => score.unwrap_or(0.0).round(),
            Objective::Benefits => {
                plan.map_or(0.0, |p| (p.benefits.pence() as f64 / 100.0).round())
            }
        };
        let project_meta = CandidateProject {
            code: code.clone(),
            title: project.title.clone(),
            stage: project.stage,
            decided: None,
            assessed: score.is_some(),
        };
        let start_quarter = project
            .start_date
            .map(|d| FinancialQuarter::containing(d, start_month));
        let (earliest, latest) = match plan {
            Some(p) => (
                p.earliest_start.map_or(0, |q| quarter_index(q, first)),
                p.latest_start
                    .map_or(quarters as i64 - 1, |q| quarter_index(q, first)),
            ),
            None => match (project.stage, start_quarter) {
                (Stage::Delivery, _) | (_, None) => (0, quarters as i64 - 1),
                (_, Some(q)) => {
                    let i = quarter_index(q, first).max(0);
                    (i, quarters as i64 - 1)
                }
            },
        };
        let duration = plan
            .map_or(DEFAULT_DURATION, |p| p.duration_quarters as usize)
            .max(1);
        let demand: Vec<Vec<f64>> = planning
            .pools
            .iter()
            .map(|pool| {
                let mut row = Vec::new();
                for d in plan
                    .iter()
                    .flat_map(|p| p.demand.iter())
                    .filter(|d| d.pool == pool.slug)
                {
                    let k = d.offset as usize;
                    if row.len() <= k {
                        row.resize(k + 1, 0.0);
                    }
                    row[k] += d.amount;
                }
                row
            })
            .collect();
        let cost = relative_costs(project, plan, start_month);
        let forced_in = def.forced_in.iter().any(|c| c.as_str() == project.code);
        let forced_out = def.forced_out.iter().any(|c| c.as_str() == project.code);
        let mut decided = None;
        let decision = if forced_out {
            decided = Some("forced out by the scenario".to_string());
            Decision::ForcedOut
        } else if project.stage == Stage::Delivery {
            decided = Some("in delivery: keeps its dates".to_string());
            let start = start_quarter.map_or(earliest.max(0), |q| quarter_index(q, first));
            Decision::Fixed(start)
        } else if forced_in {
            decided = Some("forced in by the scenario".to_string());
            Decision::Mandatory
        } else if plan.is_some_and(|p| p.mandatory) {
            decided = Some("statutory: must be in the programme".to_string());
            Decision::Mandatory
        } else {
            Decision::Free
        };
        if !matches!(decision, Decision::Fixed(_) | Decision::ForcedOut) {
            if earliest > quarters as i64 - 1 {
                excluded.push((
                    project_meta,
                    format!(
                        "its start window opens in {}, after this scenario's years",
                        quarter_label(first, earliest as usize)
                    ),
                ));
                continue;
            }
            if latest < 0 {
                excluded.push((
                    project_meta,
                    "its start window closed before this scenario's first year".to_string(),
                ));
                continue;
            }
        }
        let earliest = earliest.clamp(0, quarters as i64 - 1) as usize;
        let latest = latest.clamp(earliest as i64, quarters as i64 - 1) as usize;
        candidates.push(Candidate {
            key: code,
            value,
            earliest_start: earliest,
            latest_start: latest,
            duration,
            demand,
            cost,
            decision,
        });
        meta.push(CandidateProject {
            decided,
            ..project_meta
        });
    }

    let index: BTreeMap<&str, usize> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key.as_str(), i))
        .collect();
    let mut dependencies = Vec::new();
    let mut exclusive: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (after, candidate) in candidates.iter().enumerate() {
        let Some(plan) = plans.get(candidate.key.as_str()) else {
            continue;
        };
        for before in &plan.depends_on {
            match index.get(before.as_str()) {
                Some(&b) => dependencies.push((b, after)),
                None => {
                    // A prerequisite already live or closed is done; one
                    // withdrawn, merged or unknown can never be met.
                    let done = by_code
                        .get(before.as_str())
                        .is_some_and(|p| matches!(p.stage, Stage::Live | Stage::Closed));
                    if !done {
                        errors.push(
                            "scenario",
                            format!(
                                "{} depends on {before}, which is not in the programme ({}); change {}'s plan",
                                candidate.key,
                                by_code
                                    .get(before.as_str())
                                    .map_or("not in the register".to_string(), |p| p.stage.label().to_lowercase()),
                                candidate.key
                            ),
                        );
                    }
                }
            }
        }
        if let Some(group) = &plan.exclusive_group {
            exclusive.entry(group.clone()).or_default().push(after);
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Prepared {
        scenario: scenario.clone(),
        problem: PortfolioProblem {
            quarters,
            pools,
            budgets,
            candidates,
            dependencies,
            exclusive: exclusive.into_values().filter(|g| g.len() > 1).collect(),
            quarter_names: (0..quarters).map(|i| quarter_label(first, i)).collect(),
        },
        projects: meta,
        excluded,
        quarter_labels: (0..quarters).map(|i| quarter_label(first, i)).collect(),
        year_labels: def.horizon_years().iter().map(|y| y.to_string()).collect(),
        pool_slugs,
        scoring_model_version,
    })
}

/// Whether a project at this stage is part of the choice.
fn considered(stage: Stage) -> bool {
    matches!(
        stage,
        Stage::Idea | Stage::Concept | Stage::Design | Stage::Delivery | Stage::OnHold
    )
}

/// A project's costs per financial year counted from its start: the plan's
/// when it has them, else its own cost lines re-expressed from the year of
/// its start date (or its first costed year).
fn relative_costs(
    project: &Project,
    plan: Option<&ProjectPlan>,
    start_month: u32,
) -> Vec<YearCost> {
    let mut out: Vec<YearCost> = Vec::new();
    let mut put = |k: usize, capital: i64, revenue: i64| {
        if out.len() <= k {
            out.resize(
                k + 1,
                YearCost {
                    capital_pence: 0,
                    revenue_pence: 0,
                },
            );
        }
        out[k].capital_pence += capital;
        out[k].revenue_pence += revenue;
    };
    if let Some(plan) = plan.filter(|p| !p.costs.is_empty()) {
        for c in &plan.costs {
            put(c.offset as usize, c.capital.pence(), c.revenue.pence());
        }
        return out;
    }
    let first = project
        .start_date
        .map(|d| FinancialYear::containing(d, start_month))
        .or_else(|| project.costs.iter().map(|c| c.year).min());
    if let Some(first) = first {
        for c in &project.costs {
            let k = c.year.start_year() - first.start_year();
            if k >= 0 {
                put(k as usize, c.capital_pence.pence(), c.revenue_pence.pence());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Utc};
    use portfolio_domain::capacity::{
        Budget, PoolDemand, QuarterSupply, RelativeCost, ResourcePool,
    };
    use portfolio_domain::project::NamedRef;
    use portfolio_domain::scenario::{ScenarioDraft, ScenarioInput};
    use portfolio_domain::{CostLine, Money, ProjectCode};

    fn fy(y: i32) -> FinancialYear {
        FinancialYear::new(y).unwrap()
    }

    fn q(y: i32, n: u8) -> FinancialQuarter {
        FinancialQuarter {
            year: fy(y),
            quarter: n,
        }
    }

    fn project(code: &str, stage: Stage, start: Option<(i32, u32, u32)>) -> Project {
        Project {
            id: code[3..].parse().unwrap(),
            organisation_id: 1,
            code: code.into(),
            title: format!("Project {code}"),
            summary: String::new(),
            department: NamedRef {
                id: 1,
                slug: "corporate".into(),
                name: "Corporate".into(),
            },
            themes: Vec::new(),
            stage,
            phase: None,
            sponsor: String::new(),
            manager: String::new(),
            start_date: start.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
            end_date: None,
            costs: vec![CostLine {
                year: fy(2026),
                capital_pence: Money::from_pence(10_000_000).unwrap(),
                revenue_pence: Money::from_pence(2_000_000).unwrap(),
            }],
            confidence: None,
            tags: Vec::new(),
            published: false,
            residents: String::new(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn plan(code: &str) -> ProjectPlan {
        ProjectPlan {
            project_id: code[3..].parse().unwrap(),
            code: ProjectCode::parse(code).unwrap(),
            earliest_start: Some(q(2026, 2)),
            latest_start: Some(q(2027, 4)),
            duration_quarters: 3,
            demand: vec![PoolDemand {
                pool: "developers".into(),
                offset: 1,
                amount: 2.0,
            }],
            costs: vec![RelativeCost {
                offset: 0,
                capital: Money::from_pence(5_000_000).unwrap(),
                revenue: Money::ZERO,
            }],
            benefits: Money::from_pence(1_234_567).unwrap(),
            mandatory: false,
            depends_on: Vec::new(),
            exclusive_group: None,
            version: 1,
        }
    }

    fn scenario(draft: ScenarioDraft) -> Scenario {
        let definition: ScenarioInput = draft.validate(&["developers".into()]).unwrap();
        Scenario {
            id: 1,
            organisation_id: 1,
            definition,
            version: 3,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn draft() -> ScenarioDraft {
        ScenarioDraft {
            name: "Current funding".into(),
            objective: "priority_score".into(),
            first_year: "2026/27".into(),
            years: 2,
            time_limit_seconds: 10,
            ..Default::default()
        }
    }

    fn planning(plans: Vec<ProjectPlan>) -> Planning {
        Planning {
            pools: vec![ResourcePool {
                id: 1,
                slug: "developers".into(),
                name: "Developers".into(),
                unit: "FTE".into(),
                description: String::new(),
                supply: (1..=4)
                    .map(|n| QuarterSupply {
                        quarter: q(2026, n),
                        amount: 4.0,
                    })
                    .collect(),
                version: 1,
            }],
            budgets: vec![Budget {
                year: fy(2026),
                capital: Money::from_pence(100_000_000).unwrap(),
                revenue: Money::from_pence(20_000_000).unwrap(),
                version: 1,
            }],
            plans,
        }
    }

    fn scores(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(c, s)| (c.to_string(), *s)).collect()
    }

    #[test]
    fn candidates_windows_demand_costs_and_limits_come_from_the_plans() {
        let projects = vec![
            project("DP-001", Stage::Concept, None),
            project("DP-002", Stage::Live, None),
            project("DP-003", Stage::Delivery, Some((2025, 10, 1))),
        ];
        let mut d = draft();
        d.capacity_adjustments = vec![portfolio_domain::scenario::CapacityAdjustmentDraft {
            pool: "developers".into(),
            amount: 1.5,
        }];
        d.budget_adjustments = vec![portfolio_domain::scenario::BudgetAdjustmentDraft {
            year: "2026/27".into(),
            capital_pence: 10_000_000,
            revenue_pence: 0,
        }];
        let p = build(
            &scenario(d),
            &projects,
            &planning(vec![plan("DP-001")]),
            &scores(&[("DP-001", 61.6), ("DP-003", 40.0)]),
            Some(2),
            4,
        )
        .unwrap();
        let problem = &p.problem;
        assert_eq!(problem.quarters, 8);
        assert_eq!(p.quarter_labels[0], "2026/27 Q1");
        assert_eq!(p.quarter_labels[7], "2027/28 Q4");
        // Live projects are not part of the choice.
        let keys: Vec<&str> = problem.candidates.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["DP-001", "DP-003"]);
        let one = &problem.candidates[0];
        assert_eq!(one.value, 62.0, "scores count in whole points");
        assert_eq!(
            (one.earliest_start, one.latest_start, one.duration),
            (1, 7, 3)
        );
        assert_eq!(one.demand, vec![vec![0.0, 2.0]]);
        assert_eq!(one.cost[0].capital_pence, 5_000_000);
        assert_eq!(one.decision, Decision::Free);
        // In delivery since 2025/26 Q3: fixed two quarters before the horizon,
        // with costs from its own cost lines (its start year is 2025/26).
        let three = &problem.candidates[1];
        assert_eq!(three.decision, Decision::Fixed(-2));
        assert_eq!(three.cost.len(), 2);
        assert_eq!(three.cost[1].capital_pence, 10_000_000);
        // Supply plus the scenario's 1.5 more; no supply recorded for 2027/28.
        assert_eq!(problem.pools[0].supply[0], 5.5);
        assert_eq!(problem.pools[0].supply[4], 1.5);
        let capital_2026 = problem
            .budgets
            .iter()
            .find(|b| b.name == "2026/27 capital")
            .unwrap();
        assert_eq!(capital_2026.limit_pence, Some(110_000_000));
        let capital_2027 = problem
            .budgets
            .iter()
            .find(|b| b.name == "2027/28 capital")
            .unwrap();
        assert_eq!(
            capital_2027.limit_pence, None,
            "no budget kept for the year: no limit"
        );
        assert_eq!(p.scoring_model_version, Some(2));
    }

    #[test]
    fn the_benefits_objective_values_projects_in_whole_pounds() {
        let mut d = draft();
        d.objective = "benefits".into();
        let p = build(
            &scenario(d),
            &[project("DP-001", Stage::Design, None)],
            &planning(vec![plan("DP-001")]),
            &scores(&[]),
            None,
            4,
        )
        .unwrap();
        assert_eq!(p.problem.candidates[0].value, 12_346.0);
    }

    #[test]
    fn forced_statutory_dependencies_and_alternatives_become_decisions_and_rows() {
        let projects: Vec<Project> = (1..=5)
            .map(|i| project(&format!("DP-00{i}"), Stage::Concept, None))
            .collect();
        let mut plans: Vec<ProjectPlan> = (1..=5).map(|i| plan(&format!("DP-00{i}"))).collect();
        plans[1].mandatory = true;
        plans[2].depends_on = vec![ProjectCode::parse("DP-001").unwrap()];
        plans[3].exclusive_group = Some("case management".into());
        plans[4].exclusive_group = Some("case management".into());
        let mut d = draft();
        d.forced_in = vec!["DP-004".into()];
        d.forced_out = vec!["DP-005".into()];
        let p = build(
            &scenario(d),
            &projects,
            &planning(plans),
            &scores(&[]),
            None,
            4,
        )
        .unwrap();
        let decisions: Vec<Decision> = p.problem.candidates.iter().map(|c| c.decision).collect();
        assert_eq!(
            decisions,
            [
                Decision::Free,
                Decision::Mandatory,
                Decision::Free,
                Decision::Mandatory,
                Decision::ForcedOut
            ]
        );
        assert_eq!(
            p.projects[1].decided.as_deref(),
            Some("statutory: must be in the programme")
        );
        assert_eq!(
            p.projects[3].decided.as_deref(),
            Some("forced in by the scenario")
        );
        assert_eq!(p.problem.dependencies, vec![(0, 2)]);
        assert_eq!(p.problem.exclusive, vec![vec![3, 4]]);
    }

    #[test]
    fn unknown_or_finished_forced_projects_and_broken_dependencies_are_named() {
        let projects = vec![
            project("DP-001", Stage::Concept, None),
            project("DP-002", Stage::Withdrawn, None),
            project("DP-003", Stage::Closed, None),
        ];
        let mut plans = vec![plan("DP-001")];
        plans[0].depends_on = vec![ProjectCode::parse("DP-002").unwrap()];
        let mut d = draft();
        d.forced_in = vec!["DP-099".into()];
        d.forced_out = vec!["DP-003".into()];
        let errors = build(
            &scenario(d),
            &projects,
            &planning(plans),
            &scores(&[]),
            None,
            4,
        )
        .unwrap_err();
        let text = format!("{errors:?}");
        assert!(text.contains("DP-099 is not a project"), "{text}");
        assert!(text.contains("DP-003 is closed"), "{text}");
        assert!(text.contains("DP-001 depends on DP-002"), "{text}");
    }

    #[test]
    fn a_window_after_the_horizon_leaves_the_project_out_with_the_reason() {
        let mut late = plan("DP-001");
        late.earliest_start = Some(q(2029, 1));
        late.latest_start = Some(q(2029, 4));
        let p = build(
            &scenario(draft()),
            &[project("DP-001", Stage::Concept, None)],
            &planning(vec![late]),
            &scores(&[("DP-001", 50.0)]),
            None,
            4,
        )
        .unwrap();
        assert!(p.problem.candidates.is_empty());
        assert!(
            p.excluded[0].1.contains("2029/30 Q1"),
            "{}",
            p.excluded[0].1
        );
    }
}
