//! A mixed-integer linear programme and the one engine that solves it.
//!
//! Every optimisation in Portfolio (a scenario, a frontier point, an
//! explanation's re-solve, an OR-Library benchmark instance) builds a
//! [`Model`] and calls [`solve`]. The model is plain data, so it can also be
//! written out as MPS or LP text for checking in another solver.

use serde::Serialize;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Whether the objective is maximised or minimised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Sense {
    Maximise,
    Minimise,
}

/// A variable of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// A name for exports and messages, such as `x_DP-012_2027Q1`.
    pub name: String,
    pub cost: f64,
    pub lower: f64,
    pub upper: f64,
    pub integer: bool,
}

/// A constraint `lower <= sum(coefficient * column) <= upper`
/// (either side may be infinite).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// A name for exports and messages, such as `capacity_developers_2027Q1`.
    pub name: String,
    pub lower: f64,
    pub upper: f64,
    /// (column index, coefficient); each column at most once.
    pub terms: Vec<(usize, f64)>,
}

/// A mixed-integer linear programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    pub sense: Sense,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl Model {
    pub fn new(sense: Sense) -> Model {
        Model {
            sense,
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Adds a 0/1 variable and returns its index.
    pub fn add_binary(&mut self, name: impl Into<String>, cost: f64) -> usize {
        self.columns.push(Column {
            name: name.into(),
            cost,
            lower: 0.0,
            upper: 1.0,
            integer: true,
        });
        self.columns.len() - 1
    }

    /// Adds a continuous variable and returns its index.
    pub fn add_continuous(
        &mut self,
        name: impl Into<String>,
        cost: f64,
        lower: f64,
        upper: f64,
    ) -> usize {
        self.columns.push(Column {
            name: name.into(),
            cost,
            lower,
            upper,
            integer: false,
        });
        self.columns.len() - 1
    }

    /// Adds a constraint and returns its index.
    pub fn add_row(
        &mut self,
        name: impl Into<String>,
        lower: f64,
        upper: f64,
        terms: Vec<(usize, f64)>,
    ) -> usize {
        self.rows.push(Row {
            name: name.into(),
            lower,
            upper,
            terms,
        });
        self.rows.len() - 1
    }

    /// Whether every objective coefficient is a whole number on integer
    /// columns and continuous columns carry no cost, so the optimum is a
    /// whole number and must be proved to the unit, not to a relative gap.
    pub fn integer_objective(&self) -> bool {
        self.columns.iter().all(|c| {
            if c.integer {
                c.cost.fract() == 0.0
            } else {
                c.cost == 0.0
            }
        })
    }
}

/// How to solve.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// Stop after this long and report the best solution found and its gap.
    pub time_limit: Duration,
    /// A known feasible solution (one value per column) to start from.
    pub start: Option<Vec<f64>>,
    /// Set from another thread to stop the solve; the best solution so far is kept.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The start is known to be close to the optimum (an explanation's
    /// re-solve starts from the programme with one project more or less).
    /// The engine then first searches the start's reduced-cost
    /// neighbourhood itself (a small model, solved in milliseconds), and
    /// HiGHS skips what that makes redundant or what costs more than it
    /// gains so near the optimum: its sub-MIP heuristics (RINS, RENS and
    /// the root reduced-cost heuristic) and cut separation below the root.
    /// On the generated 200-project portfolio the neighbourhood search and
    /// the cut separation left at the root halved the explanations' time
    /// (11.8 s to 5.9 s on two cores); on harder generated portfolios more
    /// re-solves were also proved within their time limit. From a start
    /// far from the optimum HiGHS's heuristics find better programmes
    /// quickly, so they stay on by default.
    pub near_optimal_start: bool,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            time_limit: Duration::from_secs(60),
            start: None,
            cancel: None,
            near_optimal_start: false,
        }
    }
}

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SolveStatus {
    /// The solution is proved optimal (to the unit when the objective is integer-valued).
    Optimal,
    /// A feasible solution, stopped by the time limit or a cancel; `gap` says how far from proof.
    Feasible,
    /// No solution satisfies every constraint.
    Infeasible,
    /// The objective can be improved without limit (a limit is missing).
    Unbounded,
    /// Stopped before any feasible solution was found.
    NoSolution,
}

/// The result of [`solve`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    pub status: SolveStatus,
    /// Objective value of `values` (0 when there is none).
    pub objective: f64,
    /// The best proven bound on the objective.
    pub bound: f64,
    /// Relative gap between objective and bound (0 when optimal).
    pub gap: f64,
    /// One value per column (empty when there is no solution).
    pub values: Vec<f64>,
    /// Activity of each row at `values` (empty when there is no solution).
    pub row_activity: Vec<f64>,
    /// The dual value of each row, for a model with no integer columns
    /// solved to optimality (empty otherwise).
    pub row_duals: Vec<f64>,
    pub seconds: f64,
    /// Branch-and-bound nodes explored (by the engine's own search or by HiGHS).
    pub nodes: i64,
    /// Whether the run was stopped by a cancel.
    pub cancelled: bool,
    /// Binary columns fixed by reduced-cost fixing before branch and bound
    /// (each provably at its value in every solution better than the
    /// heuristic's, so the proof of optimality still holds).
    pub fixed_by_reduced_cost: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    #[error("the model is malformed: {0}")]
    Malformed(String),
    #[error("the solver failed: {0}")]
    Solver(String),
}

/// Solves `model`: the one engine behind scenarios, frontiers, explanations
/// and the OR-Library benchmark.
pub fn solve(model: &Model, options: &SolveOptions) -> Result<Solution, SolveError> {
    crate::engine::solve(model, options)
}
