//! The portfolio problem: which projects to do and in which quarter each starts.
//!
//! Plain numbers and indices only: the application turns the organisation's
//! projects, pools, budgets and scenario into a [`PortfolioProblem`]; this
//! module formulates it as a [`crate::model::Model`], solves it with the one
//! engine, and explains the result.
//!
//! Time is a horizon of `quarters` financial quarters, index 0 being the
//! first quarter of the first financial year of the horizon; year `y` of the
//! horizon is quarters `4y..4y+4`. A project starting in quarter `s` needs
//! `demand[pool][k]` of a pool in quarter `s + k` and spends `cost[k]` in
//! horizon year `s / 4 + k` (its k-th financial year, counted from the year it
//! starts in). Demand and spend that fall outside the horizon are not limited.

use serde::{Deserialize, Serialize};

mod analysis;
mod check;
mod generate;
mod solve;

pub use analysis::{explain, frontier, marginal_values};
pub use check::check;
pub use generate::generated;
pub use solve::{diagnose, formulate, optimise, Formulation};

/// A kind of scarce capacity with its supply in each quarter of the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolLimit {
    /// Shown in messages, e.g. "Developers".
    pub name: String,
    /// Supply per quarter; `supply.len() == quarters`.
    pub supply: Vec<f64>,
}

/// Which money a budget line limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Money {
    Capital,
    Revenue,
}

/// The money available in one year of the horizon for capital or revenue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetLimit {
    /// Shown in messages, e.g. "2027/28 capital".
    pub name: String,
    /// Year of the horizon, 0-based.
    pub year: usize,
    pub money: Money,
    /// In pence; `None` means no limit for that line.
    pub limit_pence: Option<i64>,
}

/// A project's costs in the k-th financial year from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCost {
    pub capital_pence: i64,
    pub revenue_pence: i64,
}

/// What the scenario decides for a project before optimising.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "start")]
pub enum Decision {
    /// The optimiser chooses whether and when.
    #[default]
    Free,
    /// Must be in the programme (statutory work, or forced in by the scenario);
    /// the optimiser chooses when.
    Mandatory,
    /// Must be left out.
    ForcedOut,
    /// Already under way: in, starting in this quarter of the horizon (negative
    /// when it started before the horizon began); its dates do not move.
    Fixed(i64),
}

/// One project the optimiser may choose.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Candidate {
    /// The project code, e.g. "DP-012".
    pub key: String,
    /// The value the objective counts when the project is chosen.
    pub value: f64,
    /// Start window, quarters of the horizon (inclusive); ignored for `Fixed`.
    pub earliest_start: usize,
    pub latest_start: usize,
    /// Quarters from start to finish (at least 1); a dependent project starts
    /// no earlier than `start + duration`.
    pub duration: usize,
    /// `demand[pool][k]`: units of the pool in the k-th quarter from the start.
    pub demand: Vec<Vec<f64>>,
    /// `cost[k]`: money in the k-th financial year from the start.
    pub cost: Vec<YearCost>,
    pub decision: Decision,
}

/// The whole problem.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PortfolioProblem {
    pub quarters: usize,
    pub pools: Vec<PoolLimit>,
    pub budgets: Vec<BudgetLimit>,
    pub candidates: Vec<Candidate>,
    /// `(before, after)`: `after` only if `before` is chosen, and `after`
    /// starts no earlier than `before` finishes (indices into `candidates`).
    pub dependencies: Vec<(usize, usize)>,
    /// Each group's candidates are alternatives: at most one is chosen.
    pub exclusive: Vec<Vec<usize>>,
    /// Optional names of the quarters for messages, e.g. "2027/28 Q1"
    /// (`quarter_names[q]` for quarter `q`); when absent or short, messages
    /// say "quarter 3" (counting from 1).
    #[serde(default)]
    pub quarter_names: Vec<String>,
}

impl PortfolioProblem {
    /// The same problem with every limited budget line multiplied by
    /// `factor` (rounded down to the penny), as a frontier point has it.
    pub fn with_budgets_scaled(&self, factor: f64) -> PortfolioProblem {
        let mut p = self.clone();
        for b in &mut p.budgets {
            if let Some(l) = b.limit_pence {
                b.limit_pence = Some((l as f64 * factor).floor() as i64);
            }
        }
        p
    }

    /// How messages name quarter `q` of the horizon: its name when one is
    /// given, else "quarter N" counting from 1 (before the horizon for a
    /// negative `q`).
    pub fn quarter_label(&self, q: i64) -> String {
        if q < 0 {
            let n = -q;
            return format!(
                "{n} quarter{} before the horizon",
                if n == 1 { "" } else { "s" }
            );
        }
        match self.quarter_names.get(q as usize) {
            Some(name) if !name.trim().is_empty() => name.clone(),
            _ => format!("quarter {}", q + 1),
        }
    }
}

// ---------------------------------------------------------------- results

/// How to optimise.
#[derive(Debug, Clone)]
pub struct OptimiseOptions {
    /// For each solve (an explanation or a frontier point is one solve each).
    pub time_limit: std::time::Duration,
    /// Set from another thread to stop; the best solution so far is kept.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for OptimiseOptions {
    fn default() -> Self {
        OptimiseOptions {
            time_limit: std::time::Duration::from_secs(60),
            cancel: None,
        }
    }
}

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultStatus {
    /// Proved optimal (to the unit when every value is a whole number).
    Optimal,
    /// A feasible programme, stopped by the time limit or a cancel; see the gap.
    Feasible,
    /// The limits and decisions cannot all be met.
    Infeasible,
    /// Stopped before any feasible programme was found.
    Stopped,
}

/// One limit of the problem: a pool in one quarter, or a budget line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LimitRef {
    /// `pool` indexes `PortfolioProblem::pools`, `quarter` the horizon.
    Pool { pool: usize, quarter: usize },
    /// `budget` indexes `PortfolioProblem::budgets`.
    Budget { budget: usize },
}

/// What happened to one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectOutcome {
    pub key: String,
    pub chosen: bool,
    /// The start quarter when chosen (negative for a fixed project that
    /// started before the horizon).
    pub start: Option<i64>,
    /// The candidate's value (counted in the total only when chosen).
    pub value: f64,
    pub decision: Decision,
    /// Why it is out, in a sentence, when it is out.
    pub why_not: Option<String>,
}

/// Use of one pool in each quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolUse {
    pub name: String,
    pub supply: Vec<f64>,
    /// Demand of the chosen programme (fixed projects included) per quarter.
    pub used: Vec<f64>,
}

/// Spend against one budget line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetUse {
    pub name: String,
    pub year: usize,
    pub money: Money,
    pub limit_pence: Option<i64>,
    pub spent_pence: i64,
}

/// A limit with no slack left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    pub limit: LimitRef,
    /// E.g. "Developers in 2027/28 Q2" or "2027/28 capital".
    pub name: String,
}

/// The optimised programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortfolioResult {
    /// `Optimal` or `Feasible` (an infeasible problem is an error).
    pub status: ResultStatus,
    /// Total value of the chosen projects (fixed ones included).
    pub value: f64,
    /// The best proven bound on the value.
    pub bound: f64,
    /// Relative gap between value and bound (0 when optimal).
    pub gap: f64,
    pub seconds: f64,
    /// One per candidate, in the order of `PortfolioProblem::candidates`.
    pub projects: Vec<ProjectOutcome>,
    pub pools: Vec<PoolUse>,
    pub budgets: Vec<BudgetUse>,
    pub binding: Vec<Binding>,
}

impl PortfolioResult {
    /// The start quarter of each candidate, `None` when out.
    pub fn starts(&self) -> Vec<Option<i64>> {
        self.projects.iter().map(|p| p.start).collect()
    }
}

/// One limit that would have to grow for the mandatory and fixed projects to fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    pub limit: LimitRef,
    pub name: String,
    /// What the mandatory and fixed projects need (pence for a budget).
    pub need: f64,
    /// The supply or budget (pence for a budget).
    pub supply: f64,
    /// How much it would have to grow: `need - supply`.
    pub increase: f64,
    /// Keys of the mandatory and fixed projects (and the projects they
    /// depend on) that use it.
    pub projects: Vec<String>,
    /// E.g. "Developers in quarter 2: the mandatory and fixed projects need 7,
    /// the supply is 5 (DP-003, DP-010)".
    pub message: String,
}

/// Why the mandatory, fixed and forced decisions cannot all be met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Limits that would have to grow (smallest total growth, each scaled by its size).
    pub shortfalls: Vec<Shortfall>,
    /// The whole diagnosis in sentences.
    pub message: String,
}

/// A problem that cannot be optimised as given, with a message naming the cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ProblemError {
    /// Mismatched lengths, indices out of range, numbers that are not finite or negative.
    #[error("{message}")]
    Shape { field: String, message: String },
    #[error("{message}")]
    NegativeSupply {
        pool: String,
        quarter: usize,
        message: String,
    },
    #[error("{message}")]
    EmptyWindow { project: String, message: String },
    /// A project needs more of a pool in one of its quarters than the pool ever has.
    #[error("{message}")]
    DemandExceedsPool {
        project: String,
        pool: String,
        message: String,
    },
    /// Keys around the cycle, the first repeated at the end.
    #[error("{message}")]
    Cycle {
        projects: Vec<String>,
        message: String,
    },
    /// Forced decisions, dependencies and exclusive options that contradict one another.
    #[error("{message}")]
    Conflict { project: String, message: String },
    /// The mandatory and fixed projects do not fit the limits.
    #[error("{message}")]
    Infeasible {
        diagnosis: Diagnosis,
        message: String,
    },
    /// Stopped (time limit or cancel) before any feasible programme was found.
    #[error("{message}")]
    Stopped { message: String },
    #[error("{message}")]
    Solver { message: String },
}

impl ProblemError {
    pub fn message(&self) -> &str {
        match self {
            ProblemError::Shape { message, .. }
            | ProblemError::NegativeSupply { message, .. }
            | ProblemError::EmptyWindow { message, .. }
            | ProblemError::DemandExceedsPool { message, .. }
            | ProblemError::Cycle { message, .. }
            | ProblemError::Conflict { message, .. }
            | ProblemError::Infeasible { message, .. }
            | ProblemError::Stopped { message }
            | ProblemError::Solver { message } => message,
        }
    }
}

/// What one limit asks of a start and what it has free.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitNeed {
    pub limit: LimitRef,
    pub name: String,
    /// What the project would need of it (pence for a budget).
    pub need: f64,
    /// What the chosen programme leaves free (pence for a budget).
    pub free: f64,
}

/// The limits that stop one start quarter of a project left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartBlock {
    pub start: usize,
    /// Limits where the need is more than what is free.
    pub limits: Vec<LimitNeed>,
    /// Other causes for this start, e.g. a prerequisite that finishes too late.
    pub other: Vec<String>,
}

/// Why a project is in or out, and what reversing that would cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Index into `PortfolioProblem::candidates`.
    pub project: usize,
    pub key: String,
    pub chosen: bool,
    pub start: Option<i64>,
    /// For a project left out: forced out, a prerequisite out, an
    /// alternative chosen, the limits that block every start.
    pub reasons: Vec<String>,
    /// For a project left out: each start of its window and what blocks it.
    pub starts: Vec<StartBlock>,
    /// Limits that block every start (the need and free of the start where
    /// the shortfall is smallest).
    pub blocking: Vec<LimitNeed>,
    /// Value of the best programme with the decision reversed (forced in
    /// when out, forced out when in); `None` when not re-solved.
    pub reversed_value: Option<f64>,
    /// `base value - reversed_value`: the value lost by reversing the decision.
    /// Exact when `reversed_status` is optimal; otherwise the most it can be
    /// (the re-solve found that much and may have missed better).
    pub value_lost: Option<f64>,
    /// When the re-solve stopped before proving its optimum: the least the
    /// value lost can be (`base value - the re-solve's bound`, not below 0).
    #[serde(default)]
    pub value_lost_at_least: Option<f64>,
    /// How the re-solve ended.
    pub reversed_status: Option<ResultStatus>,
    /// "cannot be included: …" (or "cannot be left out: …") with the cause.
    pub cannot: Option<String>,
    /// The explanation in a sentence or two.
    pub summary: String,
}

/// One point of the value-versus-budget frontier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// Every budget line's limit is multiplied by this.
    pub scale: f64,
    /// Total of the scaled limits of the limited budget lines.
    pub budget_pence: i64,
    pub status: ResultStatus,
    /// Total value (`None` when infeasible or stopped without a programme).
    pub value: Option<f64>,
    pub bound: Option<f64>,
    pub chosen: usize,
    pub seconds: f64,
    /// Why there is no programme, when there is none.
    pub message: Option<String>,
}

/// What gets more of a limit in [`marginal_values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MarginalTarget {
    /// One more unit of the pool in every quarter of the horizon.
    Pool { pool: usize },
    /// The budget line grows by the step.
    Budget { budget: usize },
}

/// A project whose start moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    pub key: String,
    pub from: i64,
    pub to: i64,
}

/// "What would one more unit of X buy".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marginal {
    pub target: MarginalTarget,
    /// The pool's or budget line's name.
    pub name: String,
    /// E.g. "1 more Developers in every quarter" or "£100,000 more in 2027/28 capital".
    pub increase: String,
    /// The amount added (units per quarter, or pence).
    pub amount: f64,
    pub status: ResultStatus,
    /// Total value with the increase.
    pub value: Option<f64>,
    /// Value gained over the base programme.
    pub gain: Option<f64>,
    pub added: Vec<String>,
    pub dropped: Vec<String>,
    pub moved: Vec<Moved>,
}

// ---------------------------------------------------------------- formatting

/// "£1,234,567" or "£1,234.50".
pub fn format_pence(pence: f64) -> String {
    let negative = pence < 0.0;
    let p = pence.abs().round() as i64;
    let pounds = p / 100;
    let rest = p % 100;
    let digits = pounds.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if negative { "-" } else { "" };
    if rest == 0 {
        format!("{sign}£{grouped}")
    } else {
        format!("{sign}£{grouped}.{rest:02}")
    }
}

/// A number of units without needless decimals: "7", "6.5", "0.25".
pub fn format_units(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
