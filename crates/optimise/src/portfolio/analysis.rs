//! Explanations, the value-versus-budget frontier and marginal values: each
//! a series of re-solves of the portfolio problem, started from the base
//! programme where it is still feasible.

use super::solve::{optimise_with, starting_pool_rows, Prepared, Warm};
use super::{
    format_pence, format_units, Decision, Explanation, FrontierPoint, LimitNeed, Marginal,
    MarginalTarget, Moved, OptimiseOptions, PortfolioProblem, PortfolioResult, ProblemError,
    ResultStatus, StartBlock,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Records the re-solve with the decision reversed on `e` and says the value
/// lost: exact when the re-solve proved its optimum, otherwise the range
/// between the re-solve's bound and the programme it found.
fn record_reversal(base: &PortfolioResult, r: &PortfolioResult, e: &mut Explanation) -> String {
    let at_most = base.value - r.value;
    e.reversed_value = Some(r.value);
    e.value_lost = Some(at_most);
    e.reversed_status = Some(r.status);
    if r.status == ResultStatus::Optimal {
        e.value_lost_at_least = None;
        return format_units(at_most.max(0.0));
    }
    let at_least = (base.value - r.bound).max(0.0).min(at_most.max(0.0));
    e.value_lost_at_least = Some(at_least);
    format!(
        "at least {} and at most {} (the re-solve stopped before proving its best)",
        format_units(at_least),
        format_units(at_most.max(0.0))
    )
}

fn needs_text(n: &LimitNeed, money: bool) -> String {
    if money {
        format!(
            "{} (needs {}, {} free)",
            n.name,
            format_pence(n.need),
            format_pence(n.free.max(0.0))
        )
    } else {
        format!(
            "{} (needs {}, {} free)",
            n.name,
            format_units(n.need),
            format_units(n.free.max(0.0))
        )
    }
}

/// At most this many explanations or frontier points are worked out at
/// once, each on a thread of its own (each re-solve is one HiGHS thread);
/// fewer when the machine has fewer cores.
const MAX_THREADS: usize = 4;

/// For every project left out: what stops it and the value lost by forcing
/// it in; for every project chosen: the value lost by forcing it out.
/// `progress(done, total)` is called after each project; when it returns
/// false the explanations so far are returned.
///
/// The re-solves are independent, so they run side by side on up to
/// four threads; the explanations come back in the order of
/// the candidates whatever order they finish in.
pub fn explain(
    problem: &PortfolioProblem,
    base: &PortfolioResult,
    options: &OptimiseOptions,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Vec<Explanation> {
    let prep = Prepared::new(problem);
    let chosen = base.starts();
    let n = problem.candidates.len();
    if chosen.len() != n {
        return Vec::new();
    }
    let context = Explaining {
        problem,
        options,
        base,
        used: prep.use_of(&chosen),
        pool_rows: explanation_pool_rows(problem, options, &prep),
        prep,
        chosen,
    };
    let mut out = side_by_side(
        n,
        |c, send| {
            send(explain_one(&context, c));
        },
        |done| progress(done, n),
    );
    out.sort_by_key(|e| e.project);
    out
}

/// The pool rows every explanation's re-solve starts from: those that bind
/// in the LP relaxation of the whole problem. Each re-solve still adds the
/// rows it finds it needs; choosing these once spares every re-solve the LP
/// that would choose them. (Starting also from the rows the base programme
/// fills to 90% of their supply made the explanations slower, not faster:
/// each pool row in the model lengthens HiGHS's proof.)
fn explanation_pool_rows(
    problem: &PortfolioProblem,
    options: &OptimiseOptions,
    prep: &Prepared,
) -> Vec<bool> {
    let mut rows = vec![false; prep.limits.len()];
    for l in starting_pool_rows(problem, prep, options) {
        rows[l] = true;
    }
    rows
}

/// Threads to use for `jobs` independent jobs: one per core, at most
/// [`MAX_THREADS`].
fn workers(jobs: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |w| w.get())
        .clamp(1, MAX_THREADS)
        .min(jobs.max(1))
}

/// Runs `work(chain, send)` for each chain `0..chains` on up to
/// [`workers`] threads. A chain calls `send(item)` for each item it makes,
/// in turn, and stops when `send` returns false. Items are gathered in the
/// order they are sent; `progress(items so far)` is called for each on the
/// calling thread, and when it returns false no further item is asked for
/// (the jobs under way finish; their cancel flag is the caller's).
fn side_by_side<T: Send>(
    chains: usize,
    work: impl Fn(usize, &dyn Fn(T) -> bool) + Sync,
    mut progress: impl FnMut(usize) -> bool,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut out = Vec::new();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..workers(chains) {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                let send = |item: T| tx.send(item).is_ok() && !stop.load(Ordering::Relaxed);
                while !stop.load(Ordering::Relaxed) {
                    let chain = next.fetch_add(1, Ordering::Relaxed);
                    if chain >= chains {
                        break;
                    }
                    work(chain, &send);
                }
            });
        }
        drop(tx);
        for item in rx {
            out.push(item);
            if !progress(out.len()) {
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
    });
    out
}

/// What every explanation of one base programme shares.
struct Explaining<'a> {
    problem: &'a PortfolioProblem,
    options: &'a OptimiseOptions,
    base: &'a PortfolioResult,
    prep: Prepared,
    /// The base programme: a start per candidate.
    chosen: Vec<Option<i64>>,
    /// What the base programme uses of each limit.
    used: Vec<f64>,
    /// The pool rows each re-solve starts from.
    pool_rows: Vec<bool>,
}

/// The explanation of candidate `c` of the base programme.
fn explain_one(context: &Explaining<'_>, c: usize) -> Explanation {
    let &Explaining {
        problem,
        options,
        base,
        ref prep,
        ref chosen,
        ref used,
        ref pool_rows,
    } = context;
    // An explanation's start is the base programme with one project more
    // or less: near the optimum, so the solver's own searches for a
    // better programme are skipped.
    let warm = |seed| Warm {
        seed: Some(seed),
        near: true,
        pool_rows_chosen: true,
    };
    let cand = &problem.candidates[c];
    let mut e = Explanation {
        project: c,
        key: cand.key.clone(),
        chosen: chosen[c].is_some(),
        start: chosen[c],
        reasons: Vec::new(),
        starts: Vec::new(),
        blocking: Vec::new(),
        reversed_value: None,
        value_lost: None,
        value_lost_at_least: None,
        reversed_status: None,
        cannot: None,
        summary: String::new(),
    };
    if chosen[c].is_some() {
        match cand.decision {
            Decision::Fixed(_) => {
                e.summary = format!("{} is in delivery; its dates do not move", cand.key);
            }
            Decision::Mandatory => {
                e.summary = format!("{} is mandatory, so it is in", cand.key);
            }
            _ => {
                let mut forced = problem.clone();
                forced.candidates[c].decision = Decision::ForcedOut;
                // The base minus this project and what depends on it is feasible.
                let mut seed = chosen.to_vec();
                let mut stack = vec![c];
                while let Some(x) = stack.pop() {
                    if seed[x].take().is_some() {
                        stack.extend(prep.dependents[x].iter().copied());
                    }
                }
                match optimise_with(&forced, options, warm(&seed), &mut pool_rows.to_vec()) {
                    Ok(r) => {
                        let lost = record_reversal(base, &r, &mut e);
                        e.summary = format!(
                            "{} is chosen, starting in {}; leaving it out would lose {} of value",
                            cand.key,
                            problem.quarter_label(chosen[c].unwrap_or(0)),
                            lost
                        );
                    }
                    Err(err) => {
                        e.cannot = Some(format!("cannot be left out: {}", err.message()));
                        e.summary = format!(
                            "{} is chosen; it cannot be left out: {}",
                            cand.key,
                            err.message()
                        );
                    }
                }
            }
        }
    } else {
        explain_out(problem, prep, chosen, used, c, &mut e);
        let mut forced = problem.clone();
        forced.candidates[c].decision = Decision::Mandatory;
        match optimise_with(&forced, options, warm(chosen), &mut pool_rows.to_vec()) {
            Ok(r) => {
                let lost = record_reversal(base, &r, &mut e);
                e.summary
                    .push_str(&format!("; forcing it in would lose {lost} of value"));
            }
            Err(err) => {
                e.reversed_status = Some(match err {
                    ProblemError::Stopped { .. } => ResultStatus::Stopped,
                    _ => ResultStatus::Infeasible,
                });
                let text = format!("cannot be included: {}", err.message());
                e.summary.push_str(&format!("; it {text}"));
                e.cannot = Some(text);
            }
        }
    }
    e
}

fn explain_out(
    problem: &PortfolioProblem,
    prep: &Prepared,
    chosen: &[Option<i64>],
    used: &[f64],
    c: usize,
    e: &mut Explanation,
) {
    let cand = &problem.candidates[c];
    if cand.decision == Decision::ForcedOut {
        e.reasons.push("forced out by the scenario".to_string());
    }
    for &a in &prep.prerequisites[c] {
        if chosen[a].is_none() {
            e.reasons.push(format!(
                "depends on {}, which is not in the programme",
                problem.candidates[a].key
            ));
        }
    }
    for &g in &prep.groups_of[c] {
        for &other in &prep.groups[g] {
            if other != c && chosen[other].is_some() {
                e.reasons.push(format!(
                    "{}, an alternative to it, is chosen",
                    problem.candidates[other].key
                ));
            }
        }
    }
    // The starts of its window, even when forced out, so the page can show them.
    let starts: Vec<i64> = if cand.decision == Decision::ForcedOut {
        let last = cand.latest_start.min(problem.quarters.saturating_sub(1));
        (cand.earliest_start..=last).map(|s| s as i64).collect()
    } else {
        prep.starts[c].clone()
    };
    let usage: Vec<Vec<(usize, f64)>> = if cand.decision == Decision::ForcedOut {
        let mut free = problem.clone();
        free.candidates[c].decision = Decision::Free;
        Prepared::new(&free).usage[c].clone()
    } else {
        prep.usage[c].clone()
    };
    let mut per_start: Vec<Vec<LimitNeed>> = Vec::new();
    for (i, &s) in starts.iter().enumerate() {
        let mut block = StartBlock {
            start: s.max(0) as usize,
            limits: Vec::new(),
            other: Vec::new(),
        };
        if let Some(u) = usage.get(i) {
            for &(l, a) in u {
                let limit = &prep.limits[l];
                let free = limit.cap - used[l];
                let tol = if limit.is_money() { 0.5 } else { 1e-6 };
                if a > free + tol {
                    block.limits.push(LimitNeed {
                        limit: limit.of,
                        name: limit.name.clone(),
                        need: a,
                        free,
                    });
                }
            }
        }
        for &a in &prep.prerequisites[c] {
            if let Some(sa) = chosen[a] {
                let finish = sa + problem.candidates[a].duration.max(1) as i64;
                if finish > s {
                    block.other.push(format!(
                        "{} finishes in {}",
                        problem.candidates[a].key,
                        problem.quarter_label(finish - 1)
                    ));
                }
            }
        }
        per_start.push(block.limits.clone());
        e.starts.push(block);
    }
    // Limits that block every start: keep the start where the shortfall is smallest.
    if let Some(first) = per_start.first() {
        for need in first {
            let everywhere: Option<Vec<&LimitNeed>> = per_start
                .iter()
                .map(|v| v.iter().find(|x| x.limit == need.limit))
                .collect();
            if let Some(all) = everywhere {
                if let Some(best) = all
                    .into_iter()
                    .min_by(|x, y| (x.need - x.free).total_cmp(&(y.need - y.free)))
                {
                    e.blocking.push(best.clone());
                }
            }
        }
    }
    // A limit of a pool may block every start in a different quarter each
    // time: name the pool once per start-blocking pattern.
    if e.blocking.is_empty() && !per_start.is_empty() && per_start.iter().all(|v| !v.is_empty()) {
        let mut text = Vec::new();
        for (block, limits) in e.starts.iter().zip(&per_start) {
            let names: Vec<String> = limits
                .iter()
                .map(|n| needs_text(n, matches!(n.limit, super::LimitRef::Budget { .. })))
                .collect();
            text.push(format!(
                "starting in {}: {}",
                problem.quarter_label(block.start as i64),
                names.join(", ")
            ));
        }
        e.reasons
            .push(format!("no start has room: {}", text.join("; ")));
    } else if !e.blocking.is_empty() {
        let names: Vec<String> = e
            .blocking
            .iter()
            .map(|n| needs_text(n, matches!(n.limit, super::LimitRef::Budget { .. })))
            .collect();
        e.reasons.push(format!(
            "every start in its window needs more than is free of {}",
            names.join(", ")
        ));
    }
    if e.reasons.is_empty() {
        let open: Vec<String> = e
            .starts
            .iter()
            .filter(|b| b.limits.is_empty() && b.other.is_empty())
            .map(|b| problem.quarter_label(b.start as i64))
            .collect();
        if open.is_empty() {
            e.reasons
                .push("no start in its window fits the programme's dates".to_string());
        } else {
            e.reasons.push(format!(
                "it would fit (starting in {}) but adds no value",
                open[0]
            ));
        }
    }
    e.summary = format!("{} is left out: {}", cand.key, e.reasons.join("; "));
}

/// The value-versus-budget frontier: every budget line scaled by
/// `max_scale * k / (points - 1)` for `k = 0..points` (one point at
/// `max_scale` when `points == 1`). Each point starts from the previous
/// point's programme, which a larger budget keeps feasible.
pub fn frontier(
    problem: &PortfolioProblem,
    points: usize,
    max_scale: f64,
    options: &OptimiseOptions,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Vec<FrontierPoint> {
    let max_scale = if max_scale.is_finite() && max_scale > 0.0 {
        max_scale
    } else {
        1.0
    };
    let factor = |k: usize| {
        if points <= 1 {
            max_scale
        } else {
            max_scale * k as f64 / (points - 1) as f64
        }
    };
    // The points are shared out in chains (k, k + chains, …), each point
    // started from the programme of the one before it in its chain, which
    // has less money and so still fits.
    let chains = workers(points);
    let mut out = side_by_side(
        chains.min(points),
        |chain, send| {
            let mut previous: Option<Vec<Option<i64>>> = None;
            let mut pool_rows = Vec::new();
            for k in (chain..points).step_by(chains) {
                let (point, programme) = frontier_point(
                    problem,
                    factor(k),
                    options,
                    previous.as_deref(),
                    &mut pool_rows,
                );
                previous = programme.or(previous);
                if !send(point) {
                    break;
                }
            }
        },
        |done| progress(done, points),
    );
    out.sort_by(|a, b| a.scale.total_cmp(&b.scale));
    // A programme that fits a smaller budget fits a larger one too: a point
    // whose search stopped on less value than a point before it takes that
    // value and count (its own bound stands), so the frontier never falls.
    let mut best: Option<(f64, usize)> = None;
    for point in &mut out {
        match (point.value, best) {
            (Some(v), Some((b, chosen))) if v < b => {
                point.value = Some(b);
                point.chosen = chosen;
            }
            (Some(v), _) => best = Some((v, point.chosen)),
            _ => {}
        }
    }
    out
}

/// One point of the frontier, and its programme when it has one.
fn frontier_point(
    problem: &PortfolioProblem,
    factor: f64,
    options: &OptimiseOptions,
    previous: Option<&[Option<i64>]>,
    pool_rows: &mut Vec<bool>,
) -> (FrontierPoint, Option<Vec<Option<i64>>>) {
    let p = problem.with_budgets_scaled(factor);
    let budget_pence = p.budgets.iter().filter_map(|b| b.limit_pence).sum();
    let warm = Warm {
        seed: previous,
        ..Warm::default()
    };
    match optimise_with(&p, options, warm, pool_rows) {
        Ok(r) => (
            FrontierPoint {
                scale: factor,
                budget_pence,
                status: r.status,
                value: Some(r.value),
                bound: Some(r.bound),
                chosen: r.projects.iter().filter(|x| x.chosen).count(),
                seconds: r.seconds,
                message: None,
            },
            Some(r.starts()),
        ),
        Err(e) => (
            FrontierPoint {
                scale: factor,
                budget_pence,
                status: match e {
                    ProblemError::Stopped { .. } => ResultStatus::Stopped,
                    _ => ResultStatus::Infeasible,
                },
                value: None,
                bound: None,
                chosen: 0,
                seconds: 0.0,
                message: Some(e.message().to_string()),
            },
            None,
        ),
    }
}

/// "What would one more unit of X buy": for each pool, one more unit in
/// every quarter of the horizon; for each limited budget line,
/// `budget_step_pence` more (10,000,000 pence is £100,000). Each re-solve
/// starts from the base programme, which stays feasible.
pub fn marginal_values(
    problem: &PortfolioProblem,
    base: &PortfolioResult,
    budget_step_pence: i64,
    options: &OptimiseOptions,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Vec<Marginal> {
    let seed = base.starts();
    let limited: Vec<usize> = (0..problem.budgets.len())
        .filter(|&b| problem.budgets[b].limit_pence.is_some())
        .collect();
    let total = problem.pools.len() + limited.len();
    let mut out = Vec::with_capacity(total);
    let mut done = 0;
    let targets: Vec<MarginalTarget> = (0..problem.pools.len())
        .map(|pool| MarginalTarget::Pool { pool })
        .chain(
            limited
                .iter()
                .map(|&budget| MarginalTarget::Budget { budget }),
        )
        .collect();
    let mut pool_rows = Vec::new();
    for target in targets {
        let mut p = problem.clone();
        let (name, increase, amount) = match target {
            MarginalTarget::Pool { pool } => {
                for s in &mut p.pools[pool].supply {
                    *s += 1.0;
                }
                let name = problem.pools[pool].name.clone();
                (name.clone(), format!("1 more {name} in every quarter"), 1.0)
            }
            MarginalTarget::Budget { budget } => {
                let b = &mut p.budgets[budget];
                b.limit_pence = b.limit_pence.map(|l| l.saturating_add(budget_step_pence));
                let name = problem.budgets[budget].name.clone();
                (
                    name.clone(),
                    format!("{} more in {name}", format_pence(budget_step_pence as f64)),
                    budget_step_pence as f64,
                )
            }
        };
        let warm = Warm {
            seed: Some(&seed),
            ..Warm::default()
        };
        let m = match optimise_with(&p, options, warm, &mut pool_rows) {
            Ok(r) => {
                let mut added = Vec::new();
                let mut dropped = Vec::new();
                let mut moved = Vec::new();
                for (c, (before, after)) in seed.iter().zip(r.starts()).enumerate() {
                    let key = problem.candidates[c].key.clone();
                    match (before, after) {
                        (None, Some(_)) => added.push(key),
                        (Some(_), None) => dropped.push(key),
                        (Some(a), Some(b)) if *a != b => moved.push(Moved {
                            key,
                            from: *a,
                            to: b,
                        }),
                        _ => {}
                    }
                }
                Marginal {
                    target,
                    name,
                    increase,
                    amount,
                    status: r.status,
                    value: Some(r.value),
                    gain: Some(r.value - base.value),
                    added,
                    dropped,
                    moved,
                }
            }
            Err(e) => Marginal {
                target,
                name,
                increase,
                amount,
                status: match e {
                    ProblemError::Stopped { .. } => ResultStatus::Stopped,
                    _ => ResultStatus::Infeasible,
                },
                value: None,
                gain: None,
                added: Vec::new(),
                dropped: Vec::new(),
                moved: Vec::new(),
            },
        };
        out.push(m);
        done += 1;
        if !progress(done, total) {
            break;
        }
    }
    out
}
