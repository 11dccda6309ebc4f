//! Branch and bound for pure 0/1 models with few rows, with the node LPs
//! solved by a dense bounded dual simplex of its own.
//!
//! HiGHS spends a fixed cost at every node (propagation, cut pools,
//! conflict analysis) that dominates when the LP has a handful of rows: on
//! OR-Library's 100 × 5 knapsacks it explores about as many nodes as CBC but
//! takes ten times longer per node. Here a node costs a few dual simplex
//! pivots on a dense tableau of `rows × (columns + rows)` numbers, so models
//! whose tableau is small are solved here and the rest by HiGHS.
//!
//! The search is depth first. Every node starts from the last basis: the
//! reduced costs depend only on the basis, not on the bounds, so any basis the
//! dual simplex reached stays dual feasible once each nonbasic column is put
//! at the bound its reduced cost asks for, and no node ever refactorises
//! (except every few hundred pivots, for round-off). At each node:
//! - the dual simplex stops early once its objective, an upper bound
//!   throughout, falls below the cut-off;
//! - **reduced-cost fixing**: a nonbasic column whose reduced cost exceeds
//!   the room between the node's bound and the cut-off is fixed at its bound
//!   for the whole subtree;
//! - **reliability branching**: a fractional column's two children are
//!   bounded by a few pivots each (strong branching) until four such trials
//!   make its pseudo-costs (loss of bound per unit of change) reliable, and
//!   by its pseudo-costs after that; a child that cannot reach the cut-off
//!   fixes the column the other way at once, and the column with the largest
//!   product of the two losses is branched on, the child nearer the LP value
//!   first;
//! - rounding the LP solution down (when the rows allow) and any integral LP
//!   solution give incumbents, each checked against the model itself.
//!
//! The cut-off is the incumbent plus one unit when the objective is
//! integer-valued (scaled when the costs are decimals), so the proof is to
//! the unit. When the search meets a numerical difficulty (a pivot too small,
//! too many iterations) it gives up and says so, and the engine falls back to
//! HiGHS: it never reports a proof it does not have.

use super::Run;

/// Pivots smaller than this are refused.
const PIVOT_TOL: f64 = 1e-7;
/// How far a reduced cost may cross zero in Harris's ratio test.
const HARRIS_TOL: f64 = 1e-9;
/// Primal feasibility tolerance on basic values.
const PRIMAL_TOL: f64 = 1e-7;
/// Reduced costs this close to zero count as zero.
const DUAL_TOL: f64 = 1e-9;
/// Integrality tolerance.
const INT_TOL: f64 = 1e-6;
/// Refactorise the tableau after this many pivots.
const REFACTOR_EVERY: usize = 100;
/// Pivots each strong-branching child may take.
const STRONG_PIVOTS: usize = 25;

/// Largest tableau (rows × (columns + rows)) this search takes on; larger
/// models go to HiGHS, whose sparse LU and cuts serve them better.
pub(super) const TABLEAU_LIMIT: usize = 40_000;

/// What the search found.
pub(super) struct Outcome {
    /// The best solution found here (values, objective), if better than the incumbent given.
    pub best: Option<(Vec<f64>, f64)>,
    /// Whether the whole tree was searched: the best solution, or the incumbent given, is optimal.
    pub complete: bool,
    /// When stopped early: the best bound (in the model's sense) on any better solution.
    pub bound: f64,
    pub nodes: i64,
}

/// Whether the search applies: every column 0/1 and the tableau small.
pub(super) fn applies(run: &Run<'_>) -> bool {
    let model = run.model;
    let n = model.columns.len();
    let m = model
        .rows
        .iter()
        .filter(|r| r.lower.is_finite() || r.upper.is_finite())
        .count();
    n > 0 && model.columns.iter().all(super::is_binary) && m * (n + m) <= TABLEAU_LIMIT
}

/// Column state in a node: free, or fixed at 0 or 1.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fix {
    Free,
    Zero,
    One,
}

/// The LP in "goodness" form: maximise `c·x` subject to `A x - r = 0`, with
/// `x` the structural columns in `[0, 1]` (or fixed) and `r` one logical per
/// row within the row's bounds. Variables `0..n` are structural, `n..n+m` logical.
struct Lp {
    n: usize,
    m: usize,
    /// Row-major dense `A` (m × n).
    a: Vec<f64>,
    cost: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    /// Everything that changes with the basis.
    s: State,
}

/// The basis and what follows from it; cloned to try strong-branching
/// children and restored after.
#[derive(Clone)]
struct State {
    /// Tableau `B⁻¹ [A, -I]`, row-major m × (n + m).
    t: Vec<f64>,
    /// Reduced costs, one per variable (0 on basic ones).
    d: Vec<f64>,
    /// Values of all variables.
    x: Vec<f64>,
    /// Basic variable of each row.
    basis: Vec<usize>,
    /// Row of each basic variable, or `usize::MAX`.
    row_of: Vec<usize>,
    pivots_since_refactor: usize,
}

enum LpEnd {
    /// Primal feasible: optimal.
    Optimal,
    /// The objective fell below the cut-off (or the node is infeasible).
    Pruned,
    /// Stopped by the pivot limit with the node still open.
    Limit,
    /// A numerical difficulty: give up the search.
    Trouble,
}

impl Lp {
    fn new(run: &Run<'_>) -> Lp {
        let model = run.model;
        let n = model.columns.len();
        let rows: Vec<&crate::model::Row> = model
            .rows
            .iter()
            .filter(|r| r.lower.is_finite() || r.upper.is_finite())
            .collect();
        let m = rows.len();
        // Each row scaled so its largest coefficient is 1: budgets in pence
        // and 0/1 rows in one tableau would otherwise make pivots meaningless.
        let mut a = vec![0.0; m * n];
        let mut lower = vec![0.0; n];
        let mut upper = vec![1.0; n];
        for (i, r) in rows.iter().enumerate() {
            let largest = r.terms.iter().fold(0.0f64, |acc, &(_, v)| acc.max(v.abs()));
            let scale = if largest > 0.0 { 1.0 / largest } else { 1.0 };
            for &(j, v) in &r.terms {
                a[i * n + j] = v * scale;
            }
            lower.push(r.lower * scale);
            upper.push(r.upper * scale);
        }
        let mut cost: Vec<f64> = model.columns.iter().map(|c| run.sign * c.cost).collect();
        cost.extend(std::iter::repeat_n(0.0, m));
        let mut lp = Lp {
            n,
            m,
            a,
            cost,
            lower,
            upper,
            s: State {
                t: vec![0.0; m * (n + m)],
                d: vec![0.0; n + m],
                x: vec![0.0; n + m],
                basis: (n..n + m).collect(),
                row_of: vec![usize::MAX; n + m],
                pivots_since_refactor: 0,
            },
        };
        for i in 0..m {
            lp.s.row_of[n + i] = i;
        }
        lp.refactor();
        lp
    }

    fn width(&self) -> usize {
        self.n + self.m
    }

    /// Rebuilds the tableau and reduced costs of the current basis from `A`
    /// by Gauss–Jordan elimination; false when the basis is singular.
    fn refactor(&mut self) -> bool {
        let (n, m, w) = (self.n, self.m, self.width());
        // [B | A, -I] with B the basic columns of [A, -I].
        let column = |k: usize, i: usize| -> f64 {
            if k < n {
                self.a[i * n + k]
            } else if k - n == i {
                -1.0
            } else {
                0.0
            }
        };
        let mut b = vec![0.0; m * m];
        for (p, &k) in self.s.basis.iter().enumerate() {
            for i in 0..m {
                b[i * m + p] = column(k, i);
            }
        }
        let mut t = vec![0.0; m * w];
        for i in 0..m {
            for k in 0..w {
                t[i * w + k] = column(k, i);
            }
        }
        // Solve B T = [A, -I] with partial pivoting; B's column p belongs to row p.
        for p in 0..m {
            let (mut best, mut best_abs) = (p, 0.0);
            for r in p..m {
                let v = b[r * m + p].abs();
                if v > best_abs {
                    best = r;
                    best_abs = v;
                }
            }
            if best_abs < PIVOT_TOL {
                return false;
            }
            if best != p {
                for c in 0..m {
                    b.swap(p * m + c, best * m + c);
                }
                for c in 0..w {
                    t.swap(p * w + c, best * w + c);
                }
            }
            let piv = b[p * m + p];
            for c in 0..m {
                b[p * m + c] /= piv;
            }
            for c in 0..w {
                t[p * w + c] /= piv;
            }
            for r in 0..m {
                if r == p {
                    continue;
                }
                let f = b[r * m + p];
                if f == 0.0 {
                    continue;
                }
                for c in 0..m {
                    b[r * m + c] -= f * b[p * m + c];
                }
                for c in 0..w {
                    t[r * w + c] -= f * t[p * w + c];
                }
            }
        }
        // Row p of T now belongs to basic variable basis[p].
        self.s.t = t;
        self.s.row_of.iter_mut().for_each(|r| *r = usize::MAX);
        for (p, &k) in self.s.basis.iter().enumerate() {
            self.s.row_of[k] = p;
        }
        for k in 0..w {
            let mut dk = self.cost[k];
            if self.s.row_of[k] == usize::MAX {
                for (p, &b) in self.s.basis.iter().enumerate() {
                    dk -= self.cost[b] * self.s.t[p * w + k];
                }
            } else {
                dk = 0.0;
            }
            self.s.d[k] = dk;
        }
        self.s.pivots_since_refactor = 0;
        true
    }

    /// Puts each nonbasic variable at the bound its reduced cost asks for
    /// (or its fixed value) and recomputes the basic values.
    fn place_nonbasic(&mut self) {
        let w = self.width();
        for k in 0..w {
            if self.s.row_of[k] != usize::MAX {
                continue;
            }
            let (lo, up) = (self.lower[k], self.upper[k]);
            self.s.x[k] = if lo == up {
                lo
            } else if self.s.d[k] > DUAL_TOL {
                up
            } else if self.s.d[k] < -DUAL_TOL {
                lo
            } else if lo.is_finite() {
                // Zero reduced cost: either bound keeps dual feasibility.
                if self.s.x[k] >= up && up.is_finite() {
                    up
                } else {
                    lo
                }
            } else {
                up
            };
        }
        self.recompute_basic();
    }

    fn recompute_basic(&mut self) {
        let w = self.width();
        for p in 0..self.m {
            let row = &self.s.t[p * w..(p + 1) * w];
            let mut v = 0.0;
            for (k, &tk) in row.iter().enumerate() {
                if tk != 0.0 && self.s.row_of[k] == usize::MAX {
                    v -= tk * self.s.x[k];
                }
            }
            self.s.x[self.s.basis[p]] = v;
        }
    }

    fn objective(&self) -> f64 {
        self.cost
            .iter()
            .zip(&self.s.x)
            .take(self.n)
            .map(|(c, x)| c * x)
            .sum()
    }

    /// Whether the nonbasic placement is dual feasible (it always should be).
    fn dual_feasible(&self) -> bool {
        (0..self.width()).all(|k| {
            if self.s.row_of[k] != usize::MAX || self.lower[k] == self.upper[k] {
                return true;
            }
            let d = self.s.d[k];
            let at_lower = self.s.x[k] <= self.lower[k];
            let at_upper = self.s.x[k] >= self.upper[k];
            (d <= 1e-7 || at_upper) && (d >= -1e-7 || at_lower)
        })
    }

    /// Dual simplex from the current (dual feasible) basis. Stops when
    /// primal feasible, when the objective falls below `cutoff`, or after
    /// `max_pivots`.
    fn dual_simplex(&mut self, cutoff: f64, max_pivots: usize) -> LpEnd {
        let w = self.width();
        let mut pivots = 0;
        loop {
            if self.objective() < cutoff {
                return LpEnd::Pruned;
            }
            // Leaving row: the largest bound violation.
            let (mut p, mut worst, mut delta) = (usize::MAX, PRIMAL_TOL, 0.0);
            for (r, &b) in self.s.basis.iter().enumerate() {
                let v = self.s.x[b];
                let tol = PRIMAL_TOL * (1.0 + v.abs());
                if v < self.lower[b] - tol && self.lower[b] - v > worst {
                    (p, worst, delta) = (r, self.lower[b] - v, 1.0);
                } else if v > self.upper[b] + tol && v - self.upper[b] > worst {
                    (p, worst, delta) = (r, v - self.upper[b], -1.0);
                }
            }
            if p == usize::MAX {
                return LpEnd::Optimal;
            }
            if pivots >= max_pivots {
                return LpEnd::Limit;
            }
            // Entering column: Harris's two-pass dual ratio test. Pass one
            // finds the largest step that keeps every reduced cost within a
            // small tolerance of its sign; pass two takes, among the columns
            // that reach zero within that step, the one with the largest
            // pivot, so no pivot is tiny.
            let row = &self.s.t[p * w..(p + 1) * w];
            let eligible = |k: usize, alpha: f64| {
                if self.s.row_of[k] != usize::MAX || self.lower[k] == self.upper[k] {
                    return false;
                }
                let s = delta * alpha;
                if self.s.x[k] <= self.lower[k] {
                    s < -PIVOT_TOL
                } else {
                    s > PIVOT_TOL
                }
            };
            let mut step = f64::INFINITY;
            for (k, &alpha) in row.iter().enumerate() {
                if eligible(k, alpha) {
                    step = step.min((self.s.d[k].abs() + HARRIS_TOL) / alpha.abs());
                }
            }
            let (mut q, mut best_piv) = (usize::MAX, 0.0);
            for (k, &alpha) in row.iter().enumerate() {
                if eligible(k, alpha)
                    && self.s.d[k].abs() / alpha.abs() <= step
                    && alpha.abs() > best_piv
                {
                    (q, best_piv) = (k, alpha.abs());
                }
            }
            if q == usize::MAX {
                // No column can repair the row: the node is infeasible.
                return LpEnd::Pruned;
            }
            if !self.pivot(p, q) {
                return LpEnd::Trouble;
            }
            // The leaving variable sits at the bound it violated.
            pivots += 1;
        }
    }

    /// Basis change: `q` enters at row `p`; the leaving variable goes to the
    /// bound it violated. False on a numerical difficulty.
    fn pivot(&mut self, p: usize, q: usize) -> bool {
        let w = self.width();
        let leaving = self.s.basis[p];
        let alpha = self.s.t[p * w + q];
        if alpha.abs() < PIVOT_TOL {
            return false;
        }
        let v = self.s.x[leaving];
        let target = if v < self.lower[leaving] {
            self.lower[leaving]
        } else {
            self.upper[leaving]
        };
        // Entering value so that x_leaving reaches target: x_B[p] = -Σ t_pk x_k.
        let step = (v - target) / alpha;
        let entering_value = self.s.x[q] + step;
        for c in 0..w {
            self.s.t[p * w + c] /= alpha;
        }
        let (head, tail) = self.s.t.split_at_mut(p * w);
        let (prow, rest) = tail.split_at_mut(w);
        for chunk in head.chunks_exact_mut(w).chain(rest.chunks_exact_mut(w)) {
            let f = chunk[q];
            if f != 0.0 {
                for (c, pv) in chunk.iter_mut().zip(prow.iter()) {
                    *c -= f * pv;
                }
            }
        }
        let dq = self.s.d[q];
        if dq != 0.0 {
            for (dk, pv) in self.s.d.iter_mut().zip(prow.iter()) {
                *dk -= dq * pv;
            }
        }
        self.s.d[q] = 0.0;
        self.s.basis[p] = q;
        self.s.row_of[q] = p;
        self.s.row_of[leaving] = usize::MAX;
        self.s.x[leaving] = target;
        self.s.x[q] = entering_value;
        self.s.pivots_since_refactor += 1;
        if self.s.pivots_since_refactor >= REFACTOR_EVERY {
            if !self.refactor() {
                return false;
            }
            self.place_nonbasic();
        } else {
            self.recompute_basic();
        }
        true
    }

    /// Applies a node's column fixings to the bounds.
    fn set_fixings(&mut self, fix: &[Fix]) {
        for (j, f) in fix.iter().enumerate() {
            let (lo, up) = match f {
                Fix::Free => (0.0, 1.0),
                Fix::Zero => (0.0, 0.0),
                Fix::One => (1.0, 1.0),
            };
            self.lower[j] = lo;
            self.upper[j] = up;
        }
    }
}

/// A node waiting on the stack: its fixings and its parent's bound.
struct Node {
    fix: Vec<Fix>,
    bound: f64,
}

/// Per column, the average loss of bound per unit of change when it is
/// branched down and up, learnt from strong branching.
struct PseudoCosts {
    down: Vec<(f64, u32)>,
    up: Vec<(f64, u32)>,
    total: (f64, u32),
}

/// Strong-branching observations, each way, after which a column's
/// pseudo-costs are trusted.
const RELIABLE: u32 = 4;

impl PseudoCosts {
    fn new(n: usize) -> PseudoCosts {
        PseudoCosts {
            down: vec![(0.0, 0); n],
            up: vec![(0.0, 0); n],
            total: (0.0, 0),
        }
    }

    fn reliable(&self, j: usize) -> bool {
        self.down[j].1 >= RELIABLE && self.up[j].1 >= RELIABLE
    }

    /// Records the losses of branching column `j` (at value `f`) down and up.
    fn record(&mut self, j: usize, f: f64, loss_down: f64, loss_up: f64) {
        let per_down = loss_down.max(0.0) / f.max(1e-6);
        let per_up = loss_up.max(0.0) / (1.0 - f).max(1e-6);
        self.down[j].0 += per_down;
        self.down[j].1 += 1;
        self.up[j].0 += per_up;
        self.up[j].1 += 1;
        self.total.0 += per_down + per_up;
        self.total.1 += 2;
    }

    /// The two children's estimated bounds.
    fn estimate(&self, j: usize, f: f64, z: f64) -> [f64; 2] {
        let average = if self.total.1 > 0 {
            self.total.0 / f64::from(self.total.1)
        } else {
            1.0
        };
        let per = |(sum, count): (f64, u32)| {
            if count > 0 {
                sum / f64::from(count)
            } else {
                average
            }
        };
        [z - per(self.down[j]) * f, z - per(self.up[j]) * (1.0 - f)]
    }
}

/// The objective's unit: the smallest step between two solutions' values
/// (1 for whole-number costs, 0.1 for costs with one decimal…), or 0 when
/// there is none to rely on.
fn objective_unit(run: &Run<'_>) -> f64 {
    if run.integer_objective {
        return 1.0;
    }
    for digits in 1..=4 {
        let scale = 10f64.powi(digits);
        let whole = run.model.columns.iter().all(|c| {
            let v = c.cost * scale;
            (v - v.round()).abs() <= 1e-9 * (1.0 + v.abs())
        });
        if whole {
            return 1.0 / scale;
        }
    }
    0.0
}

/// Searches for a solution better than `incumbent` (objective in the
/// model's sense), with `fixed` columns held at their values. `None` when
/// the search met a numerical difficulty and HiGHS should take over.
pub(super) fn search(
    run: &Run<'_>,
    fixed: &[Option<f64>],
    incumbent: Option<f64>,
) -> Option<Outcome> {
    let mut lp = Lp::new(run);
    let n = lp.n;
    let unit = objective_unit(run);
    // Goodness of the best solution so far, and the cut-off a better one must reach.
    let mut best_good = incumbent.map(|z| run.sign * z);
    let cutoff_of = |good: Option<f64>| match good {
        None => f64::NEG_INFINITY,
        Some(g) if unit > 0.0 => g + unit - (1e-6 * unit).max(1e-11 * g.abs()).min(0.5 * unit),
        Some(g) => g + 1e-9 * (1.0 + g.abs()),
    };
    let mut best: Option<(Vec<f64>, f64)> = None;
    let mut snapshot = lp.s.clone();
    let max_pivots = 50 * (lp.n + lp.m) + 1000;
    // Rounding down keeps rows whose coefficients are all non-negative with
    // no lower bound; try it only when every row is so.
    let round_down_ok = run.model.rows.iter().all(|r| {
        !r.lower.is_finite() && r.terms.iter().all(|&(_, a)| a >= 0.0)
            || !r.upper.is_finite() && !r.lower.is_finite()
    });

    let root: Vec<Fix> = (0..n)
        .map(|j| match fixed.get(j).copied().flatten() {
            Some(v) if v > 0.5 => Fix::One,
            Some(_) => Fix::Zero,
            None => Fix::Free,
        })
        .collect();
    let mut stack = vec![Node {
        fix: root,
        bound: f64::INFINITY,
    }];
    let mut nodes: i64 = 0;
    let mut stopped = false;
    let mut costs = PseudoCosts::new(n);

    'nodes: while let Some(node) = stack.pop() {
        let mut cutoff = cutoff_of(best_good);
        if node.bound < cutoff {
            continue;
        }
        if nodes % 64 == 0 && run.out_of_time() {
            stack.push(node);
            stopped = true;
            break;
        }
        nodes += 1;
        let mut fix = node.fix;
        lp.set_fixings(&fix);
        lp.place_nonbasic();
        // Re-solve, fixing columns as strong branching and reduced costs allow.
        loop {
            match lp.dual_simplex(cutoff, max_pivots) {
                LpEnd::Optimal => {}
                LpEnd::Pruned => continue 'nodes,
                LpEnd::Limit | LpEnd::Trouble => return None,
            }
            if !lp.dual_feasible() {
                return None;
            }
            let z = lp.objective();
            // An integral LP solution is a candidate incumbent.
            let fractional: Vec<usize> = (0..n)
                .filter(|&j| {
                    let v = lp.s.x[j];
                    (v - v.round()).abs() > INT_TOL
                })
                .collect();
            if fractional.is_empty() || round_down_ok {
                let values: Vec<f64> = (0..n)
                    .map(|j| {
                        let v = lp.s.x[j];
                        if (v - v.round()).abs() <= INT_TOL {
                            v.round()
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let good: f64 = values.iter().zip(&lp.cost).map(|(v, c)| v * c).sum();
                if good >= cutoff && run.feasible(&values) {
                    let obj = run.objective_of(&values);
                    best_good = Some(run.sign * obj);
                    best = Some((values, obj));
                    cutoff = cutoff_of(best_good);
                }
            }
            if fractional.is_empty() || z < cutoff {
                continue 'nodes;
            }
            // Reduced-cost fixing for the subtree.
            let room = z - cutoff;
            let mut newly_fixed = false;
            for (j, f) in fix.iter_mut().enumerate() {
                if *f != Fix::Free || lp.s.row_of[j] != usize::MAX {
                    continue;
                }
                if lp.s.d[j].abs() > room {
                    *f = if lp.s.x[j] > 0.5 { Fix::One } else { Fix::Zero };
                    newly_fixed = true;
                }
            }
            if newly_fixed {
                lp.set_fixings(&fix);
            }
            // Choose the branching column: strong branching until a
            // column's pseudo-costs are reliable, then its pseudo-costs.
            let mut saved = false;
            let mut chosen = None;
            let mut best_score = f64::NEG_INFINITY;
            let mut forced = None;
            for &j in &fractional {
                let f = lp.s.x[j];
                let child = if costs.reliable(j) {
                    costs.estimate(j, f, z)
                } else {
                    if !saved {
                        snapshot.clone_from(&lp.s);
                        saved = true;
                    }
                    let mut child = [z; 2];
                    for (side, value) in [(0usize, 0.0), (1, 1.0)] {
                        lp.lower[j] = value;
                        lp.upper[j] = value;
                        lp.place_nonbasic();
                        child[side] = match lp.dual_simplex(cutoff, STRONG_PIVOTS) {
                            LpEnd::Optimal | LpEnd::Limit => lp.objective(),
                            LpEnd::Pruned => f64::NEG_INFINITY,
                            LpEnd::Trouble => return None,
                        };
                        lp.s.clone_from(&snapshot);
                        lp.lower[j] = 0.0;
                        lp.upper[j] = 1.0;
                    }
                    if child[0] < cutoff || child[1] < cutoff {
                        forced = Some((j, child));
                        break;
                    }
                    costs.record(j, f, z - child[0], z - child[1]);
                    child
                };
                let score = (z - child[0]).max(1e-6) * (z - child[1]).max(1e-6);
                if score > best_score {
                    best_score = score;
                    chosen = Some(j);
                }
            }
            if saved {
                lp.place_nonbasic();
            }
            if let Some((j, child)) = forced {
                if child[0] < cutoff && child[1] < cutoff {
                    continue 'nodes;
                }
                fix[j] = if child[0] < cutoff {
                    Fix::One
                } else {
                    Fix::Zero
                };
                lp.set_fixings(&fix);
                lp.place_nonbasic();
                continue;
            }
            let j = chosen?;
            // The child nearer the LP value goes first, the other waits.
            let up_first = lp.s.x[j] >= 0.5;
            let mut later = fix.clone();
            later[j] = if up_first { Fix::Zero } else { Fix::One };
            stack.push(Node {
                fix: later,
                bound: z,
            });
            fix[j] = if up_first { Fix::One } else { Fix::Zero };
            lp.set_fixings(&fix);
            lp.place_nonbasic();
            nodes += 1;
            if nodes % 64 == 0 && run.out_of_time() {
                stack.push(Node { fix, bound: z });
                stopped = true;
                break 'nodes;
            }
        }
    }

    let bound_good = if stopped {
        let open = stack
            .iter()
            .map(|n| n.bound)
            .fold(f64::NEG_INFINITY, f64::max);
        let floor = best_good.unwrap_or(f64::NEG_INFINITY);
        let b = open.max(floor);
        if unit > 0.0 && b.is_finite() {
            // Nothing better fits below the next unit.
            (b / unit + 1e-6).floor() * unit
        } else {
            b
        }
    } else {
        best_good.unwrap_or(f64::NEG_INFINITY)
    };
    Some(Outcome {
        best,
        complete: !stopped,
        bound: run.sign * bound_good,
        nodes,
    })
}
