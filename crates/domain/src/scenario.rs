//! Scenarios: named sets of limits and forced decisions, and what their
//! optimised results say.
//!
//! A [`ScenarioDraft`] is what a form or an API body says; [`ScenarioDraft::validate`]
//! turns it into a [`ScenarioInput`] or errors naming each bad field. The
//! limits of a scenario are the organisation's own budgets and resource pools,
//! adjusted: extra (or less) money per financial year and extra (or fewer)
//! people in a pool in every quarter. Forced-in and forced-out projects are
//! decisions the board has already taken. The objective says what the
//! optimiser maximises: the priority score of the chosen projects, or their
//! cashable benefits.
//!
//! A run's result ([`ScenarioResult`]) is stored as it was computed, so a
//! saved scenario result never changes when the register does; it names the
//! scoring model version that valued the projects.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::errors::ValidationErrors;
use crate::money::Money;
use crate::project::ProjectCode;
use crate::quarters::FinancialYear;
use crate::text::{clean, slugify};

pub const MAX_NAME: usize = 120;
pub const MAX_DESCRIPTION: usize = 2_000;
pub const MAX_YEARS: u32 = 10;
pub const MAX_TIME_LIMIT_SECONDS: u32 = 600;
pub const DEFAULT_TIME_LIMIT_SECONDS: u32 = 30;

/// What the optimiser maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// The sum of the chosen projects' priority scores (from the scoring model).
    PriorityScore,
    /// The sum of the chosen projects' cashable benefits.
    Benefits,
}

impl Objective {
    pub const ALL: [Objective; 2] = [Objective::PriorityScore, Objective::Benefits];

    pub fn as_str(self) -> &'static str {
        match self {
            Objective::PriorityScore => "priority_score",
            Objective::Benefits => "benefits",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Objective::PriorityScore => "Priority score",
            Objective::Benefits => "Cashable benefits",
        }
    }

    pub fn parse(s: &str) -> Result<Objective, String> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Objective::ALL
            .into_iter()
            .find(|o| o.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not an objective; use priority_score or benefits",
                    s.trim()
                )
            })
    }
}

/// Money added to (or, when negative, taken from) one financial year's budgets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetAdjustmentDraft {
    /// Financial year, e.g. "2027/28".
    pub year: String,
    #[serde(default)]
    pub capital_pence: i64,
    #[serde(default)]
    pub revenue_pence: i64,
}

/// People added to (or taken from) a resource pool in every quarter of the horizon.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityAdjustmentDraft {
    /// The pool's slug, e.g. "developers".
    pub pool: String,
    /// Units added in every quarter (may be negative), e.g. 2 developers.
    pub amount: f64,
}

/// A scenario as a form or an API body describes it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioDraft {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// priority_score or benefits.
    #[serde(default = "default_objective")]
    pub objective: String,
    /// First financial year of the horizon, e.g. "2026/27".
    pub first_year: String,
    /// Number of financial years planned (1–10).
    #[serde(default = "default_years")]
    pub years: u32,
    #[serde(default)]
    pub budget_adjustments: Vec<BudgetAdjustmentDraft>,
    #[serde(default)]
    pub capacity_adjustments: Vec<CapacityAdjustmentDraft>,
    /// Codes of projects that must be in the programme.
    #[serde(default)]
    pub forced_in: Vec<String>,
    /// Codes of projects that must be left out.
    #[serde(default)]
    pub forced_out: Vec<String>,
    /// How long the optimiser may search (1–600 seconds).
    #[serde(default = "default_time_limit")]
    pub time_limit_seconds: u32,
}

fn default_objective() -> String {
    Objective::PriorityScore.as_str().to_string()
}

fn default_years() -> u32 {
    3
}

fn default_time_limit() -> u32 {
    DEFAULT_TIME_LIMIT_SECONDS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BudgetAdjustment {
    /// Financial year, by the calendar year it starts in: 2027 is 2027/28.
    #[schema(value_type = i32, example = 2027)]
    pub year: FinancialYear,
    #[schema(value_type = i64)]
    pub capital: Money,
    #[schema(value_type = i64)]
    pub revenue: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CapacityAdjustment {
    pub pool: String,
    pub amount: f64,
}

/// A validated scenario, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScenarioInput {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub objective: Objective,
    /// Financial year, by the calendar year it starts in: 2026 is 2026/27.
    #[schema(value_type = i32, example = 2026)]
    pub first_year: FinancialYear,
    pub years: u32,
    pub budget_adjustments: Vec<BudgetAdjustment>,
    pub capacity_adjustments: Vec<CapacityAdjustment>,
    #[schema(value_type = Vec<String>)]
    pub forced_in: Vec<ProjectCode>,
    #[schema(value_type = Vec<String>)]
    pub forced_out: Vec<ProjectCode>,
    pub time_limit_seconds: u32,
}

/// A stored scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scenario {
    pub id: i64,
    pub organisation_id: i64,
    #[serde(flatten)]
    pub definition: ScenarioInput,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ScenarioDraft {
    /// Parses every field, collecting all problems. `pools` are the slugs of
    /// the organisation's resource pools; project codes are checked for form
    /// here and against the register when the scenario runs.
    pub fn validate(&self, pools: &[String]) -> Result<ScenarioInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = errors.check("name", clean(&self.name, MAX_NAME, true, false));
        let slug = name.as_deref().map(slugify).unwrap_or_default();
        if name.is_some() && slug.is_empty() {
            errors.push("name", "must contain at least one letter or digit");
        }
        let description = errors.check(
            "description",
            clean(&self.description, MAX_DESCRIPTION, false, true),
        );
        let objective = errors.check("objective", Objective::parse(&self.objective));
        let first_year = errors.check("first_year", FinancialYear::parse(&self.first_year));
        if !(1..=MAX_YEARS).contains(&self.years) {
            errors.push("years", format!("must be between 1 and {MAX_YEARS}"));
        }
        if !(1..=MAX_TIME_LIMIT_SECONDS).contains(&self.time_limit_seconds) {
            errors.push(
                "time_limit_seconds",
                format!("must be between 1 and {MAX_TIME_LIMIT_SECONDS} seconds"),
            );
        }
        let mut budget_adjustments = Vec::new();
        let mut seen_years = BTreeSet::new();
        for (i, a) in self.budget_adjustments.iter().enumerate() {
            let field = format!("budget_adjustments[{i}]");
            let year = errors.check(&format!("{field}.year"), FinancialYear::parse(&a.year));
            if let (Some(y), Some(first)) = (year, first_year) {
                let last = first.start_year() + self.years as i32 - 1;
                if y.start_year() < first.start_year() || y.start_year() > last {
                    errors.push(
                        format!("{field}.year"),
                        format!(
                            "{y} is outside the scenario's years ({first} to {})",
                            FinancialYear::new(last)
                                .map_or_else(|_| last.to_string(), |l| l.to_string())
                        ),
                    );
                }
                if !seen_years.insert(y) {
                    errors.push(
                        format!("{field}.year"),
                        format!("{y} appears more than once"),
                    );
                }
            }
            let capital = errors.check(
                &format!("{field}.capital_pence"),
                Money::from_pence(a.capital_pence),
            );
            let revenue = errors.check(
                &format!("{field}.revenue_pence"),
                Money::from_pence(a.revenue_pence),
            );
            if let (Some(year), Some(capital), Some(revenue)) = (year, capital, revenue) {
                budget_adjustments.push(BudgetAdjustment {
                    year,
                    capital,
                    revenue,
                });
            }
        }
        budget_adjustments.sort_by_key(|a| a.year);
        let mut capacity_adjustments = Vec::new();
        let mut seen_pools = BTreeSet::new();
        for (i, a) in self.capacity_adjustments.iter().enumerate() {
            let field = format!("capacity_adjustments[{i}]");
            let pool = a.pool.trim().to_string();
            if !pools.contains(&pool) {
                errors.push(
                    format!("{field}.pool"),
                    format!("'{pool}' is not a resource pool of this organisation"),
                );
                continue;
            }
            if !seen_pools.insert(pool.clone()) {
                errors.push(
                    format!("{field}.pool"),
                    format!("'{pool}' appears more than once"),
                );
                continue;
            }
            if !a.amount.is_finite() || a.amount.abs() > 10_000.0 {
                errors.push(
                    format!("{field}.amount"),
                    "must be a number between -10000 and 10000",
                );
                continue;
            }
            if (a.amount * 100.0).fract().abs() > 1e-9 {
                errors.push(
                    format!("{field}.amount"),
                    "must have at most two decimal places",
                );
                continue;
            }
            capacity_adjustments.push(CapacityAdjustment {
                pool,
                amount: a.amount,
            });
        }
        let forced_in = codes("forced_in", &self.forced_in, &mut errors);
        let forced_out = codes("forced_out", &self.forced_out, &mut errors);
        for code in &forced_in {
            if forced_out.contains(code) {
                errors.push(
                    "forced_out",
                    format!("{code} cannot be both forced in and forced out"),
                );
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(name), Some(description), Some(objective), Some(first_year)) =
            (name, description, objective, first_year)
        else {
            return Err(errors);
        };
        Ok(ScenarioInput {
            slug,
            name,
            description,
            objective,
            first_year,
            years: self.years,
            budget_adjustments,
            capacity_adjustments,
            forced_in,
            forced_out,
            time_limit_seconds: self.time_limit_seconds,
        })
    }
}

impl ScenarioInput {
    /// The draft that describes this scenario, for editing forms and PUT bodies.
    pub fn to_draft(&self) -> ScenarioDraft {
        ScenarioDraft {
            name: self.name.clone(),
            description: self.description.clone(),
            objective: self.objective.as_str().to_string(),
            first_year: self.first_year.to_string(),
            years: self.years,
            budget_adjustments: self
                .budget_adjustments
                .iter()
                .map(|a| BudgetAdjustmentDraft {
                    year: a.year.to_string(),
                    capital_pence: a.capital.pence(),
                    revenue_pence: a.revenue.pence(),
                })
                .collect(),
            capacity_adjustments: self
                .capacity_adjustments
                .iter()
                .map(|a| CapacityAdjustmentDraft {
                    pool: a.pool.clone(),
                    amount: a.amount,
                })
                .collect(),
            forced_in: self.forced_in.iter().map(|c| c.to_string()).collect(),
            forced_out: self.forced_out.iter().map(|c| c.to_string()).collect(),
            time_limit_seconds: self.time_limit_seconds,
        }
    }

    /// The financial years of the horizon, first to last.
    pub fn horizon_years(&self) -> Vec<FinancialYear> {
        (0..self.years as i32)
            .filter_map(|k| FinancialYear::new(self.first_year.start_year() + k).ok())
            .collect()
    }
}

/// Parses a list of project codes, without repeats, in the order given.
fn codes(field: &str, input: &[String], errors: &mut ValidationErrors) -> Vec<ProjectCode> {
    let mut out: Vec<ProjectCode> = Vec::new();
    for (i, raw) in input.iter().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match ProjectCode::parse(raw) {
            Ok(code) => {
                if !out.contains(&code) {
                    out.push(code);
                }
            }
            Err(message) => errors.push(format!("{field}[{i}]"), message),
        }
    }
    out
}

/// How a scenario run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Running => "Running",
            RunStatus::Succeeded => "Finished",
            RunStatus::Failed => "Failed",
            RunStatus::Cancelled => "Cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<RunStatus, String> {
        [
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Failed,
            RunStatus::Cancelled,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or_else(|| format!("'{s}' is not a run status"))
    }

    pub fn finished(self) -> bool {
        self != RunStatus::Running
    }
}

/// A run of a scenario's optimisation, with its progress and, once finished, its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScenarioRun {
    pub id: i64,
    pub scenario_id: i64,
    pub scenario_slug: String,
    pub scenario_version: i64,
    pub status: RunStatus,
    /// Steps done and to do (the optimisation, then one re-solve per explanation and frontier point).
    pub progress_done: i64,
    pub progress_total: i64,
    /// What the run is doing now, e.g. "Explaining DP-012".
    pub progress_label: String,
    pub cancel_requested: bool,
    /// Why it failed or what stopped it.
    pub message: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The scenario run whose programme an organisation recommends: board packs
/// and Cabinet reports show it as the recommended scenario. An organisation
/// has at most one; recommending another replaces it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recommendation {
    /// The recommended run; None when none is recommended (never, or withdrawn).
    pub run_id: Option<i64>,
    /// Who recommended it (or withdrew it) last.
    pub recommended_by: String,
    pub recommended_at: Option<DateTime<Utc>>,
    /// Increases by one with every change (0: never set); send it back to change it.
    pub version: i64,
}

/// What a finished run found: the recommended programme and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScenarioResult {
    pub scenario_name: String,
    pub scenario_version: i64,
    pub objective: Objective,
    /// The scoring model version whose priority scores valued the projects.
    pub scoring_model_version: Option<i64>,
    /// optimal, feasible (stopped by the time limit; see `gap`) or infeasible.
    pub status: String,
    pub proven_optimal: bool,
    /// Relative gap between `value` and the best bound (0 when proven optimal).
    pub gap: f64,
    /// Total value of the chosen projects (score points, or pence of benefits).
    pub value: f64,
    pub bound: f64,
    pub seconds: f64,
    /// Labels of the horizon's quarters ("2026/27 Q1", …).
    pub quarters: Vec<String>,
    pub projects: Vec<ProjectOutcome>,
    pub spend: Vec<YearSpend>,
    pub pools: Vec<PoolUse>,
    /// When the forced and mandatory decisions cannot all be met: which limits conflict.
    pub conflicts: Vec<String>,
    pub frontier: Vec<FrontierPoint>,
    pub marginal: Vec<MarginalValue>,
}

/// One project's part in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProjectOutcome {
    pub code: String,
    pub title: String,
    pub stage: String,
    /// What choosing it adds to the objective.
    pub value: f64,
    pub included: bool,
    /// The quarter it starts in, when included.
    pub start: Option<String>,
    /// free, mandatory, forced in, forced out or fixed (already in delivery).
    pub decision: String,
    /// Why it is in or out, in plain English.
    pub reasons: Vec<String>,
    /// For a chosen project: the value lost by leaving it out.
    pub value_lost_if_forced_out: Option<f64>,
    /// For a project left out: the value lost by forcing it in (None when it cannot be forced in).
    pub value_lost_if_forced_in: Option<f64>,
    /// Set when the re-solve behind the value lost stopped (time limit)
    /// before proving its best: the least the value lost can be. The value
    /// lost above is then the most it can be, not an exact figure.
    #[serde(default)]
    pub value_lost_at_least: Option<f64>,
}

impl ProjectOutcome {
    /// The value lost by reversing this project's decision (out when it is
    /// in, in when it is out), as `(at_least, at_most)`; equal when exact.
    pub fn value_lost_range(&self) -> Option<(f64, f64)> {
        let at_most = if self.included {
            self.value_lost_if_forced_out
        } else {
            self.value_lost_if_forced_in
        }?;
        let at_most = at_most.max(0.0);
        Some((
            self.value_lost_at_least.unwrap_or(at_most).min(at_most),
            at_most,
        ))
    }
}

/// Spend against budget in one financial year of the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YearSpend {
    pub year: String,
    pub capital_budget_pence: Option<i64>,
    pub capital_spend_pence: i64,
    pub revenue_budget_pence: Option<i64>,
    pub revenue_spend_pence: i64,
}

/// Supply and use of one resource pool per quarter of the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PoolUse {
    pub slug: String,
    pub name: String,
    pub supply: Vec<f64>,
    pub used: Vec<f64>,
}

/// One point of the value-versus-budget frontier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FrontierPoint {
    /// Every budget line multiplied by this.
    pub scale: f64,
    /// The total budget over the horizon at that scale, capital and revenue.
    pub budget_pence: i64,
    pub value: f64,
    pub chosen: usize,
    pub proven_optimal: bool,
}

/// What one more unit of a limit would buy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MarginalValue {
    /// e.g. "Developers" or "2027/28 capital".
    pub limit: String,
    /// e.g. "one more in every quarter" or "£100,000 more".
    pub step: String,
    pub value_gain: f64,
    pub added: Vec<String>,
    pub dropped: Vec<String>,
}

impl ScenarioResult {
    pub fn chosen(&self) -> impl Iterator<Item = &ProjectOutcome> {
        self.projects.iter().filter(|p| p.included)
    }

    pub fn outcome(&self, code: &str) -> Option<&ProjectOutcome> {
        self.projects.iter().find(|p| p.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ScenarioDraft {
        ScenarioDraft {
            name: "Current funding".into(),
            first_year: "2026/27".into(),
            years: 3,
            objective: "priority_score".into(),
            time_limit_seconds: 30,
            ..Default::default()
        }
    }

    fn outcome(included: bool, lost: Option<f64>, at_least: Option<f64>) -> ProjectOutcome {
        ProjectOutcome {
            code: "DP-001".into(),
            title: "Online forms".into(),
            stage: "Design".into(),
            value: 10.0,
            included,
            start: None,
            decision: "free".into(),
            reasons: vec![],
            value_lost_if_forced_out: if included { lost } else { None },
            value_lost_if_forced_in: if included { None } else { lost },
            value_lost_at_least: at_least,
        }
    }

    #[test]
    fn the_value_lost_is_exact_or_a_range_never_an_unproven_figure() {
        assert_eq!(
            outcome(true, Some(7.0), None).value_lost_range(),
            Some((7.0, 7.0))
        );
        assert_eq!(
            outcome(false, Some(3.0), None).value_lost_range(),
            Some((3.0, 3.0))
        );
        // A re-solve stopped at its time limit: between its bound and what it found.
        assert_eq!(
            outcome(true, Some(9.0), Some(4.0)).value_lost_range(),
            Some((4.0, 9.0))
        );
        // A project that cannot be forced in has no value lost.
        assert_eq!(outcome(false, None, None).value_lost_range(), None);
        // Results stored before the range existed read as exact.
        let mut json = serde_json::to_value(outcome(true, Some(2.0), None)).unwrap();
        json.as_object_mut().unwrap().remove("value_lost_at_least");
        let old: ProjectOutcome = serde_json::from_value(json).unwrap();
        assert_eq!(old.value_lost_range(), Some((2.0, 2.0)));
    }

    #[test]
    fn a_plain_scenario_validates_with_a_slug_and_its_years() {
        let s = draft().validate(&[]).unwrap();
        assert_eq!(s.slug, "current-funding");
        assert_eq!(s.objective, Objective::PriorityScore);
        let years: Vec<String> = s.horizon_years().iter().map(|y| y.to_string()).collect();
        assert_eq!(years, ["2026/27", "2027/28", "2028/29"]);
        assert_eq!(s.to_draft().validate(&[]).unwrap(), s);
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut d = draft();
        d.name = "  ".into();
        d.years = 0;
        d.objective = "happiness".into();
        d.budget_adjustments = vec![BudgetAdjustmentDraft {
            year: "2031/32".into(),
            capital_pence: 1,
            revenue_pence: 0,
        }];
        d.capacity_adjustments = vec![CapacityAdjustmentDraft {
            pool: "wizards".into(),
            amount: 1.0,
        }];
        d.forced_in = vec!["DP-001".into(), "nonsense".into()];
        d.forced_out = vec!["DP-001".into()];
        let errors = d.validate(&["developers".into()]).unwrap_err();
        for field in [
            "name",
            "years",
            "objective",
            "capacity_adjustments[0].pool",
            "forced_in[1]",
            "forced_out",
        ] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
        assert!(errors
            .for_field("capacity_adjustments[0].pool")
            .unwrap()
            .contains("wizards"));
    }

    #[test]
    fn adjustments_outside_the_horizon_are_refused() {
        let mut d = draft();
        d.budget_adjustments = vec![BudgetAdjustmentDraft {
            year: "2030/31".into(),
            capital_pence: 10_000_000,
            revenue_pence: 0,
        }];
        let errors = d.validate(&[]).unwrap_err();
        let message = errors.for_field("budget_adjustments[0].year").unwrap();
        assert!(message.contains("outside"), "{message}");
        d.budget_adjustments[0].year = "2027/28".into();
        d.capacity_adjustments = vec![CapacityAdjustmentDraft {
            pool: "developers".into(),
            amount: 2.0,
        }];
        let s = d.validate(&["developers".into()]).unwrap();
        assert_eq!(s.budget_adjustments[0].capital.pence(), 10_000_000);
        assert_eq!(s.capacity_adjustments[0].amount, 2.0);
    }
}
