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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "start")]
pub enum Decision {
    /// The optimiser chooses whether and when.
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}
