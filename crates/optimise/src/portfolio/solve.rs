//! The formulation of a [`PortfolioProblem`] as a MILP, the greedy start,
//! the solve, and the elastic diagnosis of an infeasible problem.

use super::check::{earliest_starts, prerequisites, required};
use super::{
    format_pence, format_units, Binding, BudgetUse, Decision, Diagnosis, LimitRef, Money,
    OptimiseOptions, PoolUse, PortfolioProblem, PortfolioResult, ProblemError, ProjectOutcome,
    ResultStatus, Shortfall,
};
use crate::model::{self, Model, Sense, SolveOptions, SolveStatus};
use std::time::Instant;

/// Money rows are written in pounds, so their coefficients stay near the
/// size of the capacity rows'.
const PENCE_PER_UNIT: f64 = 100.0;
const EPS: f64 = 1e-6;

/// One limit: a pool in a quarter or a budget line.
#[derive(Debug, Clone)]
pub(crate) struct Limit {
    pub(crate) of: LimitRef,
    pub(crate) name: String,
    /// Supply, or the budget in pence; infinite when unlimited.
    pub(crate) cap: f64,
}

impl Limit {
    pub(crate) fn is_money(&self) -> bool {
        matches!(self.of, LimitRef::Budget { .. })
    }
}

/// The problem as limits and, per candidate and allowed start, what it uses.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) limits: Vec<Limit>,
    /// Allowed starts per candidate (one for a fixed one, none when forced out).
    pub(crate) starts: Vec<Vec<i64>>,
    /// `usage[c][i]`: (limit, amount) of candidate `c` starting at `starts[c][i]`.
    pub(crate) usage: Vec<Vec<Vec<(usize, f64)>>>,
    pub(crate) prerequisites: Vec<Vec<usize>>,
    pub(crate) dependents: Vec<Vec<usize>>,
    /// Exclusive groups each candidate belongs to.
    pub(crate) groups_of: Vec<Vec<usize>>,
    pub(crate) groups: Vec<Vec<usize>>,
}

pub(crate) fn pool_limit_name(problem: &PortfolioProblem, pool: usize, q: usize) -> String {
    format!(
        "{} in {}",
        problem.pools[pool].name,
        problem.quarter_label(q as i64)
    )
}

impl Prepared {
    pub(crate) fn new(problem: &PortfolioProblem) -> Prepared {
        let nq = problem.quarters;
        let mut limits = Vec::new();
        for (p, pool) in problem.pools.iter().enumerate() {
            for q in 0..nq {
                limits.push(Limit {
                    of: LimitRef::Pool {
                        pool: p,
                        quarter: q,
                    },
                    name: pool_limit_name(problem, p, q),
                    cap: pool.supply.get(q).copied().unwrap_or(0.0),
                });
            }
        }
        for (b, budget) in problem.budgets.iter().enumerate() {
            limits.push(Limit {
                of: LimitRef::Budget { budget: b },
                name: budget.name.clone(),
                cap: budget.limit_pence.map_or(f64::INFINITY, |l| l as f64),
            });
        }
        let pool_base = 0;
        let budget_base = problem.pools.len() * nq;
        let mut starts = Vec::new();
        let mut usage = Vec::new();
        for c in &problem.candidates {
            let s: Vec<i64> = match c.decision {
                Decision::ForcedOut => Vec::new(),
                Decision::Fixed(f) => vec![f],
                _ => {
                    let last = c.latest_start.min(nq.saturating_sub(1));
                    (c.earliest_start..=last).map(|x| x as i64).collect()
                }
            };
            let u: Vec<Vec<(usize, f64)>> = s
                .iter()
                .map(|&start| {
                    let mut v = Vec::new();
                    for (p, row) in c.demand.iter().enumerate().take(problem.pools.len()) {
                        for (k, &d) in row.iter().enumerate() {
                            let at = start + k as i64;
                            if d != 0.0 && at >= 0 && (at as usize) < nq {
                                v.push((pool_base + p * nq + at as usize, d));
                            }
                        }
                    }
                    let first_year = start.div_euclid(4);
                    for (b, budget) in problem.budgets.iter().enumerate() {
                        let k = budget.year as i64 - first_year;
                        if k < 0 {
                            continue;
                        }
                        if let Some(cost) = c.cost.get(k as usize) {
                            let amount = match budget.money {
                                Money::Capital => cost.capital_pence,
                                Money::Revenue => cost.revenue_pence,
                            };
                            if amount != 0 {
                                v.push((budget_base + b, amount as f64));
                            }
                        }
                    }
                    v
                })
                .collect();
            starts.push(s);
            usage.push(u);
        }
        let prerequisites = prerequisites(problem);
        let mut dependents = vec![Vec::new(); problem.candidates.len()];
        for (b, pre) in prerequisites.iter().enumerate() {
            for &a in pre {
                dependents[a].push(b);
            }
        }
        let mut groups_of = vec![Vec::new(); problem.candidates.len()];
        let mut groups = Vec::new();
        for group in &problem.exclusive {
            let mut g = group.clone();
            g.sort_unstable();
            g.dedup();
            for &i in &g {
                groups_of[i].push(groups.len());
            }
            groups.push(g);
        }
        Prepared {
            limits,
            starts,
            usage,
            prerequisites,
            dependents,
            groups_of,
            groups,
        }
    }

    /// What the fixed candidates use of each limit.
    pub(crate) fn fixed_use(&self, problem: &PortfolioProblem) -> Vec<f64> {
        let mut used = vec![0.0; self.limits.len()];
        for (c, cand) in problem.candidates.iter().enumerate() {
            if matches!(cand.decision, Decision::Fixed(_)) {
                for &(l, a) in &self.usage[c][0] {
                    used[l] += a;
                }
            }
        }
        used
    }

    /// What a programme (a start per candidate) uses of each limit.
    pub(crate) fn use_of(&self, chosen: &[Option<i64>]) -> Vec<f64> {
        let mut used = vec![0.0; self.limits.len()];
        for (c, start) in chosen.iter().enumerate() {
            let Some(s) = start else { continue };
            if let Some(i) = self.starts[c].iter().position(|x| x == s) {
                for &(l, a) in &self.usage[c][i] {
                    used[l] += a;
                }
            }
        }
        used
    }
}

/// The MILP and where each candidate's columns and each limit's row are.
#[derive(Debug, Clone)]
pub struct Formulation {
    pub model: Model,
    /// `columns[c][i]`: the 0/1 column of candidate `c` starting at its
    /// `i`-th allowed start (empty for fixed and forced-out candidates).
    pub columns: Vec<Vec<usize>>,
    /// The allowed starts of each candidate (quarters of the horizon).
    pub starts: Vec<Vec<i64>>,
    /// The value of the fixed candidates, a constant left out of the objective.
    pub fixed_value: f64,
    /// `(limit, row)` for each capacity and budget row.
    pub limit_rows: Vec<(LimitRef, usize)>,
}

/// Which candidates a formulation may include.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Maximise value.
    Value,
    /// Only the candidates that must be in; a slack on every limit row,
    /// minimised.
    Elastic,
}

struct Built {
    formulation: Formulation,
    /// Elastic mode: the slack column of each limit.
    slack: Vec<Option<usize>>,
}

/// Builds the MILP. `pool_rows[l]` says whether the row of pool limit `l`
/// is written (budget rows always are): the optimiser leaves out the pool
/// rows no programme it has met needed, and adds them as it meets them.
fn build(problem: &PortfolioProblem, prep: &Prepared, mode: Mode, pool_rows: &[bool]) -> Built {
    let n = problem.candidates.len();
    let sense = match mode {
        Mode::Value => Sense::Maximise,
        Mode::Elastic => Sense::Minimise,
    };
    let mut model = Model::new(sense);
    let needed = required(problem);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut fixed_value = 0.0;
    for (c, cand) in problem.candidates.iter().enumerate() {
        match cand.decision {
            Decision::Fixed(_) => fixed_value += cand.value,
            Decision::ForcedOut => {}
            _ => {
                if mode == Mode::Elastic && needed[c].is_none() {
                    continue;
                }
                let cost = if mode == Mode::Value { cand.value } else { 0.0 };
                for &s in &prep.starts[c] {
                    columns[c].push(model.add_binary(format!("x_{}_{}", cand.key, s), cost));
                }
            }
        }
    }
    // One start at most (exactly one when the candidate must be in).
    for (c, cand) in problem.candidates.iter().enumerate() {
        if columns[c].is_empty() {
            continue;
        }
        let must =
            cand.decision == Decision::Mandatory || (mode == Mode::Elastic && needed[c].is_some());
        let terms = columns[c].iter().map(|&j| (j, 1.0)).collect();
        model.add_row(
            format!("one_start_{}", cand.key),
            if must { 1.0 } else { f64::NEG_INFINITY },
            1.0,
            terms,
        );
    }
    // Capacity and budget rows.
    let fixed = prep.fixed_use(problem);
    let mut terms: Vec<Vec<(usize, f64)>> = vec![Vec::new(); prep.limits.len()];
    for (c, cols) in columns.iter().enumerate() {
        for (i, &j) in cols.iter().enumerate() {
            for &(l, a) in &prep.usage[c][i] {
                terms[l].push((j, a));
            }
        }
    }
    let mut limit_rows = Vec::new();
    let mut slack = vec![None; prep.limits.len()];
    for (l, limit) in prep.limits.iter().enumerate() {
        if !limit.cap.is_finite()
            || (!limit.is_money() && !pool_rows.get(l).copied().unwrap_or(true))
        {
            continue;
        }
        let scale = if limit.is_money() {
            1.0 / PENCE_PER_UNIT
        } else {
            1.0
        };
        let rhs = (limit.cap - fixed[l]) * scale;
        let mut row: Vec<(usize, f64)> = terms[l].iter().map(|&(j, a)| (j, a * scale)).collect();
        match mode {
            Mode::Value => {
                if row.is_empty() && rhs >= -EPS {
                    continue;
                }
            }
            Mode::Elastic => {
                if row.is_empty() && rhs >= -EPS {
                    continue;
                }
                let weight = 1.0 / (limit.cap * scale).max(1.0);
                let s = model.add_continuous(
                    format!("slack_{}", limit.name.replace(' ', "_")),
                    weight,
                    0.0,
                    f64::INFINITY,
                );
                row.push((s, -1.0));
                slack[l] = Some(s);
            }
        }
        let r = model.add_row(
            format!("limit_{}", limit.name.replace(' ', "_")),
            f64::NEG_INFINITY,
            rhs,
            row,
        );
        limit_rows.push((limit.of, r));
    }
    // Dependencies, time-indexed: for each start t of `b`,
    // sum_{s<=t} x[b][s] <= sum_{s + dur(a) <= t} x[a][s].
    for &(a, b) in &problem.dependencies {
        let (ca, cb) = (&problem.candidates[a], &problem.candidates[b]);
        let dur_a = ca.duration.max(1) as i64;
        let b_fixed = matches!(cb.decision, Decision::Fixed(_));
        let a_fixed = matches!(ca.decision, Decision::Fixed(_));
        if columns[b].is_empty() && !b_fixed {
            continue; // b cannot be in
        }
        for &t in &prep.starts[b] {
            let mut row = Vec::new();
            let mut rhs = 0.0;
            for (i, &s) in prep.starts[b].iter().enumerate() {
                if s <= t {
                    if b_fixed {
                        rhs -= 1.0;
                    } else {
                        row.push((columns[b][i], 1.0));
                    }
                }
            }
            for (i, &s) in prep.starts[a].iter().enumerate() {
                if s + dur_a <= t {
                    if a_fixed {
                        rhs += 1.0;
                    } else if let Some(&j) = columns[a].get(i) {
                        row.push((j, -1.0));
                    }
                }
            }
            if row.is_empty() && rhs >= 0.0 {
                continue;
            }
            model.add_row(
                format!("dep_{}_{}_{}", ca.key, cb.key, t),
                f64::NEG_INFINITY,
                rhs,
                row,
            );
        }
    }
    // Exclusive options.
    for (g, group) in prep.groups.iter().enumerate() {
        let fixed_in = group
            .iter()
            .filter(|&&i| matches!(problem.candidates[i].decision, Decision::Fixed(_)))
            .count() as f64;
        let row: Vec<(usize, f64)> = group
            .iter()
            .flat_map(|&i| columns[i].iter().map(|&j| (j, 1.0)))
            .collect();
        if row.is_empty() && fixed_in <= 1.0 {
            continue;
        }
        model.add_row(
            format!("exclusive_{g}"),
            f64::NEG_INFINITY,
            1.0 - fixed_in,
            row,
        );
    }
    Built {
        formulation: Formulation {
            model,
            columns,
            starts: prep.starts.clone(),
            fixed_value,
            limit_rows,
        },
        slack,
    }
}

/// The MILP of the problem (maximise value), e.g. for export as MPS or LP.
pub fn formulate(problem: &PortfolioProblem) -> Formulation {
    let prep = Prepared::new(problem);
    build(problem, &prep, Mode::Value, &[]).formulation
}

/// A greedy programme: the candidates that must be in first (prerequisites
/// before dependents), then `preferred` (in the order given, each at its
/// given start if it fits), then the rest by value per unit of scarce
/// resource; each at the first start that fits every limit, dependency and
/// exclusive group. `None` when a candidate that must be in does not fit.
pub(crate) fn greedy(
    problem: &PortfolioProblem,
    prep: &Prepared,
    preferred: &[(usize, Option<i64>)],
) -> Option<Vec<Option<i64>>> {
    let n = problem.candidates.len();
    let fixed = prep.fixed_use(problem);
    let mut free: Vec<f64> = prep
        .limits
        .iter()
        .zip(&fixed)
        .map(|(l, f)| l.cap - f)
        .collect();
    let mut chosen = fixed_programme(problem);
    let mut group_taken: Vec<bool> = prep
        .groups
        .iter()
        .map(|g| g.iter().any(|&i| chosen[i].is_some()))
        .collect();
    let needed = required(problem);
    // Order: required ones by earliest start (prerequisites first), then preferred, then by score.
    let es = earliest_starts(problem);
    let mut req: Vec<usize> = (0..n)
        .filter(|&c| needed[c].is_some() && chosen[c].is_none())
        .collect();
    req.sort_by_key(|&c| (es[c].unwrap_or(i64::MAX), c));
    // Pressure of each limit: demand at earliest starts over supply.
    let mut demand = vec![0.0; prep.limits.len()];
    for c in 0..n {
        if let Some(u) = prep.usage[c].first() {
            for &(l, a) in u {
                demand[l] += a;
            }
        }
    }
    let weight: Vec<f64> = prep
        .limits
        .iter()
        .zip(&demand)
        .map(|(l, &d)| {
            if l.cap.is_finite() && l.cap > 0.0 {
                (d / l.cap) / l.cap
            } else if l.cap.is_finite() {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let score = |c: usize| -> f64 {
        let use_: f64 = prep.usage[c]
            .first()
            .map(|u| u.iter().map(|&(l, a)| weight[l] * a).sum())
            .unwrap_or(0.0);
        problem.candidates[c].value / (use_ + 1e-9)
    };
    let mut rest: Vec<usize> = (0..n)
        .filter(|&c| {
            needed[c].is_none()
                && problem.candidates[c].decision == Decision::Free
                && !preferred.iter().any(|&(p, _)| p == c)
        })
        .collect();
    rest.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
    let mut order: Vec<(usize, Option<i64>)> = req
        .iter()
        .map(|&c| {
            let pref = preferred
                .iter()
                .find(|&&(p, _)| p == c)
                .and_then(|&(_, s)| s);
            (c, pref)
        })
        .collect();
    order.extend(
        preferred.iter().copied().filter(|&(c, _)| {
            needed[c].is_none() && problem.candidates[c].decision == Decision::Free
        }),
    );
    order.extend(rest.iter().map(|&c| (c, None)));

    let fits = |c: usize, i: usize, chosen: &[Option<i64>], free: &[f64], taken: &[bool]| -> bool {
        let s = prep.starts[c][i];
        if prep.groups_of[c].iter().any(|&g| taken[g]) {
            return false;
        }
        for &a in &prep.prerequisites[c] {
            match chosen[a] {
                Some(sa) if sa + problem.candidates[a].duration.max(1) as i64 <= s => {}
                _ => return false,
            }
        }
        for &b in &prep.dependents[c] {
            if let Some(sb) = chosen[b] {
                if s + problem.candidates[c].duration.max(1) as i64 > sb {
                    return false;
                }
            }
        }
        prep.usage[c][i].iter().all(|&(l, a)| {
            let tol = if prep.limits[l].is_money() { 0.5 } else { EPS };
            a <= free[l] + tol
        })
    };
    for _pass in 0..4 {
        let mut changed = false;
        for &(c, pref) in &order {
            if chosen[c].is_some() || prep.starts[c].is_empty() {
                continue;
            }
            let mut tries: Vec<usize> = (0..prep.starts[c].len()).collect();
            if let Some(p) = pref {
                if let Some(i) = prep.starts[c].iter().position(|&s| s == p) {
                    tries.retain(|&x| x != i);
                    tries.insert(0, i);
                }
            }
            if let Some(&i) = tries
                .iter()
                .find(|&&i| fits(c, i, &chosen, &free, &group_taken))
            {
                chosen[c] = Some(prep.starts[c][i]);
                for &(l, a) in &prep.usage[c][i] {
                    free[l] -= a;
                }
                for &g in &prep.groups_of[c] {
                    group_taken[g] = true;
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if (0..n).any(|c| needed[c].is_some() && chosen[c].is_none()) {
        return None;
    }
    Some(chosen)
}

/// Column values for a programme.
fn start_vector(f: &Formulation, chosen: &[Option<i64>]) -> Vec<f64> {
    let mut v = vec![0.0; f.model.columns.len()];
    for (c, cols) in f.columns.iter().enumerate() {
        if let Some(s) = chosen[c] {
            if let Some(i) = f.starts[c].iter().position(|&x| x == s) {
                if let Some(&j) = cols.get(i) {
                    v[j] = 1.0;
                }
            }
        }
    }
    v
}

fn value_of(problem: &PortfolioProblem, chosen: &[Option<i64>]) -> f64 {
    chosen
        .iter()
        .zip(&problem.candidates)
        .filter(|(s, _)| s.is_some())
        .map(|(_, c)| c.value)
        .sum()
}

/// Chooses and schedules the projects: the best total value within every
/// limit, dependency, exclusive group and decision.
pub fn optimise(
    problem: &PortfolioProblem,
    options: &OptimiseOptions,
) -> Result<PortfolioResult, ProblemError> {
    optimise_from(problem, options, None)
}

/// [`optimise`] started from a known programme (one start per candidate)
/// where it is feasible; the greedy start otherwise.
///
/// Pool rows are added lazily. Money is what usually binds, and every pool
/// row in the model slows the proof (on the generated 200-project portfolio
/// the 60 pool rows make HiGHS's search about four times as long), so the
/// first model has the budget rows only. Leaving rows out relaxes the
/// problem, so its optimum bounds the real one. When the relaxed optimum
/// overruns a pool, the optimiser first moves the chosen projects' starts to
/// clear the overrun (the same projects, so the same value): if that works,
/// the programme is optimal. Otherwise the overrun rows are added and the
/// model solved again, from the best programme that meets every limit.
pub(crate) fn optimise_from(
    problem: &PortfolioProblem,
    options: &OptimiseOptions,
    seed: Option<&[Option<i64>]>,
) -> Result<PortfolioResult, ProblemError> {
    let warm = Warm {
        seed,
        ..Warm::default()
    };
    optimise_with(problem, options, warm, &mut Vec::new())
}

/// How a solve starts, beyond the problem itself.
#[derive(Clone, Copy, Default)]
pub(crate) struct Warm<'a> {
    /// A known programme (one start per candidate), used where it is
    /// feasible; the greedy rebuilds from it where it is not.
    pub seed: Option<&'a [Option<i64>]>,
    /// The seed is known to be close to the optimum (see
    /// [`SolveOptions::near_optimal_start`]).
    pub near: bool,
    /// The pool rows given are taken as they are, without first adding the
    /// ones that bind in the LP relaxation of the whole problem (the caller
    /// has already chosen them, for a series of re-solves of one problem).
    pub pool_rows_chosen: bool,
}

/// [`optimise_from`], starting with the pool rows `pool_rows` marks (one
/// flag per limit; empty for none) and marking in it the rows this solve
/// found it needed, so that a series of related solves (the points of a
/// frontier, the marginal values, the explanations) does not find them
/// again.
pub(crate) fn optimise_with(
    problem: &PortfolioProblem,
    options: &OptimiseOptions,
    warm: Warm<'_>,
    pool_rows: &mut Vec<bool>,
) -> Result<PortfolioResult, ProblemError> {
    let seed = warm.seed;
    if let Err(mut errors) = super::check(problem) {
        return Err(errors.remove(0));
    }
    let began = Instant::now();
    let deadline = began + options.time_limit;
    let prep = Prepared::new(problem);
    let greedy_start = match seed {
        Some(seed) => {
            let mut preferred = in_programme(seed);
            preferred.sort_by_key(|&(c, s)| (s, c));
            greedy(problem, &prep, &preferred)
        }
        None => greedy(problem, &prep, &[]),
    };
    // The seed itself may be better than what the greedy rebuilt from it.
    let mut best = greedy_start;
    if let Some(seed) = seed {
        if feasible(problem, &prep, seed)
            && best
                .as_ref()
                .is_none_or(|g| value_of(problem, seed) > value_of(problem, g))
        {
            best = Some(seed.to_vec());
        }
    }
    pool_rows.resize(prep.limits.len(), false);
    if !warm.pool_rows_chosen {
        for l in starting_pool_rows(problem, &prep, options) {
            pool_rows[l] = true;
        }
    }
    // The best bound proved so far on the value (a relaxation's bound holds
    // for the whole problem).
    let mut bound = f64::INFINITY;
    loop {
        let built = build(problem, &prep, Mode::Value, pool_rows);
        let f = &built.formulation;
        let solve_options = SolveOptions {
            time_limit: deadline.saturating_duration_since(Instant::now()),
            start: best.as_ref().map(|s| start_vector(f, s)),
            cancel: options.cancel.clone(),
            near_optimal_start: warm.near,
        };
        let solution =
            model::solve(&f.model, &solve_options).map_err(|e| ProblemError::Solver {
                message: e.to_string(),
            })?;
        match solution.status {
            SolveStatus::Optimal | SolveStatus::Feasible => {
                let relaxed = programme_of(problem, f, &solution.values);
                let relaxed_value = value_of(problem, &relaxed);
                let proved = solution.status == SolveStatus::Optimal;
                bound = bound.min(if proved {
                    relaxed_value
                } else {
                    (solution.bound + f.fixed_value).max(relaxed_value)
                });
                // A programme that meets every limit: the relaxed optimum
                // itself, or with its starts moved, or else the greedy
                // keeping as much of it as fits.
                let full = if feasible(problem, &prep, &relaxed) {
                    Some(relaxed.clone())
                } else {
                    repair(problem, &prep, &relaxed).or_else(|| {
                        let mut preferred = in_programme(&relaxed);
                        preferred.sort_by(|a, b| {
                            let (va, vb) =
                                (problem.candidates[a.0].value, problem.candidates[b.0].value);
                            vb.total_cmp(&va).then(a.0.cmp(&b.0))
                        });
                        greedy(problem, &prep, &preferred)
                    })
                };
                if let Some(full) = full {
                    if best
                        .as_ref()
                        .is_none_or(|b| value_of(problem, &full) > value_of(problem, b))
                    {
                        best = Some(full);
                    }
                }
                let best_value = best.as_ref().map(|b| value_of(problem, b));
                if proved && best_value.is_some_and(|v| v >= relaxed_value - EPS) {
                    return finish(problem, &prep, best, ResultStatus::Optimal, bound, began);
                }
                // Add the pool rows the relaxed optimum overruns; all of them
                // if (through round-off) it overruns none that is left out.
                let used = prep.use_of(&relaxed);
                let mut added = false;
                for (l, limit) in prep.limits.iter().enumerate() {
                    if !limit.is_money() && !pool_rows[l] && used[l] > limit.cap + EPS {
                        pool_rows[l] = true;
                        added = true;
                    }
                }
                let stopped = !proved
                    || solution.cancelled
                    || Instant::now() >= deadline
                    || (!added && pool_rows.iter().all(|&r| r));
                if stopped {
                    return finish(problem, &prep, best, ResultStatus::Feasible, bound, began);
                }
                if !added {
                    pool_rows.iter_mut().for_each(|r| *r = true);
                }
            }
            SolveStatus::Infeasible => {
                // A relaxation with no solution: neither has the problem.
                let diagnosis = diagnose(problem);
                return Err(ProblemError::Infeasible {
                    message: diagnosis.message.clone(),
                    diagnosis,
                });
            }
            // Every column is bounded, so an unbounded report cannot be a real
            // answer: it is a solver failure, said as such.
            SolveStatus::Unbounded => {
                return Err(ProblemError::Solver {
                    message: "the solver reported the programme's value as unbounded, which a \
                              portfolio (every project in or out) cannot be"
                        .to_string(),
                })
            }
            SolveStatus::NoSolution => {
                bound = bound.min(solution.bound + f.fixed_value);
                return finish(problem, &prep, best, ResultStatus::Feasible, bound, began);
            }
        }
    }
}

/// The pool rows to start from: those that bind in the LP relaxation of the
/// whole problem (a dual value other than zero). When more pool rows bind
/// there than budget rows, people rather than money are what limit the
/// programme, the relaxation without them is far from the real problem,
/// and every pool row goes in.
pub(crate) fn starting_pool_rows(
    problem: &PortfolioProblem,
    prep: &Prepared,
    options: &OptimiseOptions,
) -> Vec<usize> {
    let built = build(problem, prep, Mode::Value, &[]);
    let f = &built.formulation;
    let mut lp = f.model.clone();
    for c in &mut lp.columns {
        c.integer = false;
    }
    let lp_options = SolveOptions {
        time_limit: options.time_limit,
        cancel: options.cancel.clone(),
        ..SolveOptions::default()
    };
    let Ok(solution) = model::solve(&lp, &lp_options) else {
        return Vec::new();
    };
    if solution.status != SolveStatus::Optimal {
        return Vec::new();
    }
    let binds = |r: usize| solution.row_duals.get(r).is_some_and(|d| d.abs() > 1e-9);
    let pool_index = |limit: LimitRef| match limit {
        LimitRef::Pool { pool, quarter } => Some(pool * problem.quarters + quarter),
        LimitRef::Budget { .. } => None,
    };
    let budgets_binding = f
        .limit_rows
        .iter()
        .filter(|&&(limit, r)| pool_index(limit).is_none() && binds(r))
        .count();
    let pools: Vec<(usize, bool)> = f
        .limit_rows
        .iter()
        .filter_map(|&(limit, r)| pool_index(limit).map(|l| (l, binds(r))))
        .collect();
    let pools_binding = pools.iter().filter(|(_, b)| *b).count();
    pools
        .into_iter()
        .filter(|&(_, b)| b || pools_binding > budgets_binding)
        .map(|(l, _)| l)
        .collect()
}

/// The result for the best programme found, or the error saying none was.
fn finish(
    problem: &PortfolioProblem,
    prep: &Prepared,
    best: Option<Vec<Option<i64>>>,
    status: ResultStatus,
    bound: f64,
    began: Instant,
) -> Result<PortfolioResult, ProblemError> {
    let seconds = began.elapsed().as_secs_f64();
    let Some(chosen) = best else {
        return Err(ProblemError::Stopped {
            message: format!(
                "the optimiser stopped after {seconds:.1} seconds before it found a programme that meets every limit"
            ),
        });
    };
    let value = value_of(problem, &chosen);
    let (bound, gap) = if status == ResultStatus::Optimal {
        (value, 0.0)
    } else {
        let bound = if bound.is_finite() {
            bound.max(value)
        } else {
            bound
        };
        (bound, (bound - value).abs() / value.abs().max(1e-9))
    };
    Ok(result(
        problem, prep, chosen, status, value, bound, gap, seconds,
    ))
}

/// The candidates a programme has in, each with its start, for the greedy's
/// `preferred`.
fn in_programme(programme: &[Option<i64>]) -> Vec<(usize, Option<i64>)> {
    programme
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_some())
        .map(|(c, &s)| (c, s))
        .collect()
}

/// The programme of the fixed candidates alone, each at its fixed start.
fn fixed_programme(problem: &PortfolioProblem) -> Vec<Option<i64>> {
    problem
        .candidates
        .iter()
        .map(|c| match c.decision {
            Decision::Fixed(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// The programme (a start per candidate) of a solution's column values.
fn programme_of(problem: &PortfolioProblem, f: &Formulation, values: &[f64]) -> Vec<Option<i64>> {
    let mut chosen = fixed_programme(problem);
    for (c, cols) in f.columns.iter().enumerate() {
        for (i, &j) in cols.iter().enumerate() {
            if values.get(j).is_some_and(|&v| v > 0.5) {
                chosen[c] = Some(f.starts[c][i]);
            }
        }
    }
    chosen
}

/// Moves chosen candidates to other starts in their windows, one at a time,
/// each move the one that most reduces the overrun of the limits (relative
/// to each limit's size), until every limit is met. The same candidates, so
/// the same value. `None` when no move reduces the overrun any more.
fn repair(
    problem: &PortfolioProblem,
    prep: &Prepared,
    chosen: &[Option<i64>],
) -> Option<Vec<Option<i64>>> {
    let mut chosen = chosen.to_vec();
    let mut used = prep.use_of(&chosen);
    let over = |l: usize, u: f64| -> f64 {
        let limit = &prep.limits[l];
        if !limit.cap.is_finite() {
            return 0.0;
        }
        let tol = if limit.is_money() { 0.5 } else { EPS };
        (u - limit.cap - tol).max(0.0) / limit.cap.max(1.0)
    };
    let duration = |c: usize| problem.candidates[c].duration.max(1) as i64;
    let on_time = |chosen: &[Option<i64>], c: usize, t: i64| -> bool {
        prep.prerequisites[c]
            .iter()
            .all(|&a| chosen[a].is_some_and(|sa| sa + duration(a) <= t))
            && prep.dependents[c]
                .iter()
                .all(|&b| chosen[b].is_none_or(|sb| t + duration(c) <= sb))
    };
    // Each move strictly lowers the overrun; this bounds the work regardless.
    for _ in 0..4 * problem.candidates.len() + 16 {
        if (0..prep.limits.len()).all(|l| over(l, used[l]) == 0.0) {
            return feasible(problem, prep, &chosen).then_some(chosen);
        }
        let mut best_move: Option<(usize, usize, usize, f64)> = None;
        for (c, start) in chosen.iter().enumerate() {
            let Some(s) = *start else { continue };
            if matches!(problem.candidates[c].decision, Decision::Fixed(_)) {
                continue;
            }
            let Some(cur) = prep.starts[c].iter().position(|&x| x == s) else {
                continue;
            };
            if !prep.usage[c][cur]
                .iter()
                .any(|&(l, _)| over(l, used[l]) > 0.0)
            {
                continue;
            }
            for (i, &t) in prep.starts[c].iter().enumerate() {
                if i == cur || !on_time(&chosen, c, t) {
                    continue;
                }
                let mut change: Vec<(usize, f64)> = prep.usage[c][i].clone();
                for &(l, a) in &prep.usage[c][cur] {
                    match change.iter_mut().find(|(x, _)| *x == l) {
                        Some(entry) => entry.1 -= a,
                        None => change.push((l, -a)),
                    }
                }
                let delta: f64 = change
                    .iter()
                    .map(|&(l, d)| over(l, used[l] + d) - over(l, used[l]))
                    .sum();
                if delta < -1e-12 && best_move.is_none_or(|(.., b)| delta < b) {
                    best_move = Some((c, cur, i, delta));
                }
            }
        }
        let (c, cur, i, _) = best_move?;
        for &(l, a) in &prep.usage[c][cur] {
            used[l] -= a;
        }
        for &(l, a) in &prep.usage[c][i] {
            used[l] += a;
        }
        chosen[c] = Some(prep.starts[c][i]);
    }
    None
}

/// Whether a programme meets every limit, dependency, group and decision.
pub(crate) fn feasible(
    problem: &PortfolioProblem,
    prep: &Prepared,
    chosen: &[Option<i64>],
) -> bool {
    if chosen.len() != problem.candidates.len() {
        return false;
    }
    let needed = required(problem);
    for (c, cand) in problem.candidates.iter().enumerate() {
        match (cand.decision, chosen[c]) {
            (Decision::Fixed(f), s) if s != Some(f) => return false,
            (Decision::ForcedOut, Some(_)) => return false,
            (_, None) if needed[c].is_some() => return false,
            (_, Some(s)) if !prep.starts[c].contains(&s) => return false,
            _ => {}
        }
    }
    for &(a, b) in &problem.dependencies {
        if let Some(sb) = chosen[b] {
            match chosen[a] {
                Some(sa) if sa + problem.candidates[a].duration.max(1) as i64 <= sb => {}
                _ => return false,
            }
        }
    }
    for g in &prep.groups {
        if g.iter().filter(|&&i| chosen[i].is_some()).count() > 1 {
            return false;
        }
    }
    let used = prep.use_of(chosen);
    prep.limits.iter().zip(&used).all(|(l, &u)| {
        let tol = if l.is_money() { 0.5 } else { EPS };
        u <= l.cap + tol
    })
}

#[allow(clippy::too_many_arguments)]
fn result(
    problem: &PortfolioProblem,
    prep: &Prepared,
    chosen: Vec<Option<i64>>,
    status: ResultStatus,
    value: f64,
    bound: f64,
    gap: f64,
    seconds: f64,
) -> PortfolioResult {
    let used = prep.use_of(&chosen);
    let nq = problem.quarters;
    let pools = problem
        .pools
        .iter()
        .enumerate()
        .map(|(p, pool)| PoolUse {
            name: pool.name.clone(),
            supply: pool.supply.clone(),
            used: (0..nq).map(|q| used[p * nq + q]).collect(),
        })
        .collect();
    let base = problem.pools.len() * nq;
    let budgets = problem
        .budgets
        .iter()
        .enumerate()
        .map(|(b, budget)| BudgetUse {
            name: budget.name.clone(),
            year: budget.year,
            money: budget.money,
            limit_pence: budget.limit_pence,
            spent_pence: used[base + b].round() as i64,
        })
        .collect();
    let binding = prep
        .limits
        .iter()
        .zip(&used)
        .filter(|(l, &u)| {
            l.cap.is_finite() && {
                let tol = if l.is_money() { 0.5 } else { EPS };
                l.cap - u <= tol && u > 0.0
            }
        })
        .map(|(l, _)| Binding {
            limit: l.of,
            name: l.name.clone(),
        })
        .collect();
    let projects = problem
        .candidates
        .iter()
        .enumerate()
        .map(|(c, cand)| ProjectOutcome {
            key: cand.key.clone(),
            chosen: chosen[c].is_some(),
            start: chosen[c],
            value: cand.value,
            decision: cand.decision,
            why_not: if chosen[c].is_some() {
                None
            } else {
                Some(why_not(problem, prep, &chosen, c))
            },
        })
        .collect();
    PortfolioResult {
        status,
        value,
        bound,
        gap,
        seconds,
        projects,
        pools,
        budgets,
        binding,
    }
}

/// A sentence on why a candidate is out of `chosen`.
pub(crate) fn why_not(
    problem: &PortfolioProblem,
    prep: &Prepared,
    chosen: &[Option<i64>],
    c: usize,
) -> String {
    let cand = &problem.candidates[c];
    if cand.decision == Decision::ForcedOut {
        return "forced out by the scenario".to_string();
    }
    for &a in &prep.prerequisites[c] {
        if chosen[a].is_none() {
            return format!(
                "depends on {}, which is not in the programme",
                problem.candidates[a].key
            );
        }
    }
    for &g in &prep.groups_of[c] {
        if let Some(&other) = prep.groups[g]
            .iter()
            .find(|&&i| i != c && chosen[i].is_some())
        {
            return format!(
                "{}, an alternative to it, is chosen",
                problem.candidates[other].key
            );
        }
    }
    "the limits it would need are used by projects of more value".to_string()
}

/// Why the mandatory, fixed and forced decisions cannot all be met: an
/// elastic version with only the projects that must be in and a slack on
/// every capacity and budget row (each scaled by its size), minimised.
pub fn diagnose(problem: &PortfolioProblem) -> Diagnosis {
    if let Err(errors) = super::check(problem) {
        let message = errors
            .iter()
            .map(|e| e.message().to_string())
            .collect::<Vec<_>>()
            .join("; ");
        return Diagnosis {
            shortfalls: Vec::new(),
            message,
        };
    }
    let prep = Prepared::new(problem);
    let built = build(problem, &prep, Mode::Elastic, &[]);
    let f = &built.formulation;
    let solution = match model::solve(&f.model, &SolveOptions::default()) {
        Ok(s) => s,
        Err(e) => {
            return Diagnosis {
                shortfalls: Vec::new(),
                message: format!("the diagnosis failed: {e}"),
            }
        }
    };
    if !matches!(
        solution.status,
        SolveStatus::Optimal | SolveStatus::Feasible
    ) {
        return Diagnosis {
            shortfalls: Vec::new(),
            message: "the mandatory and fixed projects' start windows, dependencies and exclusive options cannot all be met, whatever the limits".to_string(),
        };
    }
    let chosen = programme_of(problem, f, &solution.values);
    let used = prep.use_of(&chosen);
    let mut shortfalls = Vec::new();
    for (l, limit) in prep.limits.iter().enumerate() {
        let tol = if limit.is_money() { 0.5 } else { 1e-6 };
        let over = used[l] - limit.cap;
        if built.slack[l].is_none() || over <= tol {
            continue;
        }
        let mut users: Vec<String> = Vec::new();
        for (c, s) in chosen.iter().enumerate() {
            let Some(s) = s else { continue };
            let Some(i) = prep.starts[c].iter().position(|x| x == s) else {
                continue;
            };
            if prep.usage[c][i].iter().any(|&(m, a)| m == l && a > 0.0) {
                users.push(problem.candidates[c].key.clone());
            }
        }
        let (need, supply) = if limit.is_money() {
            (
                format_pence(used[l]),
                format!("the budget is {}", format_pence(limit.cap)),
            )
        } else {
            (
                format_units(used[l]),
                format!("the supply is {}", format_units(limit.cap)),
            )
        };
        let message = format!(
            "{}: the mandatory and fixed projects need {need}, {supply} ({})",
            limit.name,
            users.join(", ")
        );
        shortfalls.push(Shortfall {
            limit: limit.of,
            name: limit.name.clone(),
            need: used[l],
            supply: limit.cap,
            increase: over,
            projects: users,
            message,
        });
    }
    let message = if shortfalls.is_empty() {
        "the mandatory and fixed projects cannot all be met".to_string()
    } else {
        format!(
            "the mandatory and fixed projects do not fit: {}",
            shortfalls
                .iter()
                .map(|s| s.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    Diagnosis {
        shortfalls,
        message,
    }
}
