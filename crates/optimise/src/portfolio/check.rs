//! Validation of a [`PortfolioProblem`] before it is formulated: every
//! message names the project, pool or budget line and the cause.

use super::{Decision, PortfolioProblem, ProblemError};

fn shape(field: impl Into<String>, message: impl Into<String>) -> ProblemError {
    ProblemError::Shape {
        field: field.into(),
        message: message.into(),
    }
}

pub(crate) fn ordinal(n: usize) -> String {
    const WORDS: [&str; 12] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth", "eleventh", "twelfth",
    ];
    match WORDS.get(n.wrapping_sub(1)) {
        Some(w) => (*w).to_string(),
        None => format!("{n}th"),
    }
}

/// Whether the candidate is certainly in the programme.
fn certain(decision: Decision) -> bool {
    matches!(decision, Decision::Mandatory | Decision::Fixed(_))
}

/// Checks the problem; every error found, each naming its cause.
pub fn check(problem: &PortfolioProblem) -> Result<(), Vec<ProblemError>> {
    let mut errors = Vec::new();
    let q = problem.quarters;
    let n = problem.candidates.len();
    if q == 0 {
        errors.push(shape("quarters", "the horizon has no quarters"));
    }
    // Pools.
    for pool in &problem.pools {
        if pool.supply.len() != q {
            errors.push(shape(
                "pools",
                format!(
                    "the supply of {} has {} quarters; the horizon has {q}",
                    pool.name,
                    pool.supply.len()
                ),
            ));
        }
        for (i, &s) in pool.supply.iter().enumerate() {
            if !s.is_finite() {
                errors.push(shape(
                    "pools",
                    format!(
                        "the supply of {} in {} is not a number",
                        pool.name,
                        problem.quarter_label(i as i64)
                    ),
                ));
            } else if s < 0.0 {
                errors.push(ProblemError::NegativeSupply {
                    pool: pool.name.clone(),
                    quarter: i,
                    message: format!(
                        "the supply of {} in {} is negative",
                        pool.name,
                        problem.quarter_label(i as i64)
                    ),
                });
            }
        }
    }
    for budget in &problem.budgets {
        if let Some(l) = budget.limit_pence {
            if l < 0 {
                errors.push(shape(
                    "budgets",
                    format!("the {} budget is negative", budget.name),
                ));
            }
        }
    }
    // Candidates.
    for c in &problem.candidates {
        if !c.value.is_finite() {
            errors.push(shape("value", format!("{}'s value is not a number", c.key)));
        }
        if c.duration == 0 {
            errors.push(shape(
                "duration",
                format!("{}'s duration must be at least one quarter", c.key),
            ));
        }
        if c.demand.len() != problem.pools.len() {
            errors.push(shape(
                "demand",
                format!(
                    "{}'s demand names {} pools; the problem has {}",
                    c.key,
                    c.demand.len(),
                    problem.pools.len()
                ),
            ));
        }
        for cost in &c.cost {
            if cost.capital_pence < 0 || cost.revenue_pence < 0 {
                errors.push(shape("cost", format!("{} has a negative cost", c.key)));
                break;
            }
        }
        match c.decision {
            Decision::Free | Decision::Mandatory => {
                if c.earliest_start > c.latest_start {
                    errors.push(ProblemError::EmptyWindow {
                        project: c.key.clone(),
                        message: format!(
                            "{}'s start window is empty (earliest after latest)",
                            c.key
                        ),
                    });
                } else if q > 0 && c.earliest_start >= q {
                    errors.push(ProblemError::EmptyWindow {
                        project: c.key.clone(),
                        message: format!(
                            "{}'s start window begins after the horizon ends ({} is the last quarter)",
                            c.key,
                            problem.quarter_label(q as i64 - 1)
                        ),
                    });
                }
            }
            Decision::ForcedOut | Decision::Fixed(_) => {}
        }
        if c.decision == Decision::ForcedOut {
            continue;
        }
        for (p, pool) in problem.pools.iter().enumerate() {
            let Some(row) = c.demand.get(p) else { continue };
            let most = pool.supply.iter().cloned().fold(0.0_f64, f64::max);
            for (k, &d) in row.iter().enumerate() {
                if !d.is_finite() || d < 0.0 {
                    errors.push(shape(
                        "demand",
                        format!(
                            "{}'s demand for {} in its {} quarter is not a non-negative number",
                            c.key,
                            pool.name,
                            ordinal(k + 1)
                        ),
                    ));
                    break;
                }
                // A fixed project's quarters outside the horizon are not limited.
                if let Decision::Fixed(s) = c.decision {
                    let at = s + k as i64;
                    if at < 0 || at >= q as i64 {
                        continue;
                    }
                }
                if d > most + 1e-9 {
                    errors.push(ProblemError::DemandExceedsPool {
                        project: c.key.clone(),
                        pool: pool.name.clone(),
                        message: format!(
                            "{} needs {} {} in its {} quarter; the pool never has more than {}",
                            c.key,
                            super::format_units(d),
                            pool.name,
                            ordinal(k + 1),
                            super::format_units(most)
                        ),
                    });
                    break;
                }
            }
        }
    }
    // Indices.
    let mut indices_ok = true;
    for &(a, b) in &problem.dependencies {
        if a >= n || b >= n {
            errors.push(shape(
                "dependencies",
                format!(
                    "a dependency names project number {}, but there are {n}",
                    a.max(b)
                ),
            ));
            indices_ok = false;
        }
    }
    for group in &problem.exclusive {
        for &i in group {
            if i >= n {
                errors.push(shape(
                    "exclusive",
                    format!("an exclusive group names project number {i}, but there are {n}"),
                ));
                indices_ok = false;
            }
        }
    }
    if indices_ok {
        let cycle_free = cycles(problem, &mut errors);
        conflicts(problem, &mut errors);
        if cycle_free {
            timing(problem, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `prerequisites[b]`: the projects `b` depends on.
pub(crate) fn prerequisites(problem: &PortfolioProblem) -> Vec<Vec<usize>> {
    let mut pre = vec![Vec::new(); problem.candidates.len()];
    for &(a, b) in &problem.dependencies {
        if !pre[b].contains(&a) {
            pre[b].push(a);
        }
    }
    pre
}

/// Reports each dependency cycle once; true when there is none.
fn cycles(problem: &PortfolioProblem, errors: &mut Vec<ProblemError>) -> bool {
    let pre = prerequisites(problem);
    let n = pre.len();
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut found = false;
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if *next < pre[v].len() {
                let w = pre[v][*next];
                *next += 1;
                if state[w] == 0 {
                    state[w] = 1;
                    stack.push((w, 0));
                } else if state[w] == 1 {
                    found = true;
                    let from = stack.iter().position(|&(u, _)| u == w).unwrap_or(0);
                    let mut keys: Vec<String> = stack[from..]
                        .iter()
                        .map(|&(u, _)| problem.candidates[u].key.clone())
                        .collect();
                    keys.push(problem.candidates[w].key.clone());
                    let mut message = keys[0].clone();
                    for (i, k) in keys.iter().enumerate().skip(1) {
                        if i == 1 {
                            message.push_str(&format!(" depends on {k}"));
                        } else {
                            message.push_str(&format!(", which depends on {k}"));
                        }
                    }
                    message.push_str(" (a cycle)");
                    errors.push(ProblemError::Cycle {
                        projects: keys,
                        message,
                    });
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    !found
}

/// Projects that must be in: mandatory, fixed, and everything they depend on,
/// each with the chain of keys that makes it required (for messages).
pub(crate) fn required(problem: &PortfolioProblem) -> Vec<Option<Vec<usize>>> {
    let pre = prerequisites(problem);
    let n = problem.candidates.len();
    let mut why: Vec<Option<Vec<usize>>> = vec![None; n];
    let mut queue = Vec::new();
    for (i, c) in problem.candidates.iter().enumerate() {
        if certain(c.decision) {
            why[i] = Some(vec![i]);
            queue.push(i);
        }
    }
    while let Some(b) = queue.pop() {
        for &a in &pre[b] {
            if why[a].is_none() {
                let mut chain = why[b].clone().unwrap_or_default();
                chain.push(a);
                why[a] = Some(chain);
                queue.push(a);
            }
        }
    }
    why
}

fn describe_root(problem: &PortfolioProblem, i: usize) -> &'static str {
    match problem.candidates[i].decision {
        Decision::Fixed(_) => "in delivery",
        _ => "mandatory",
    }
}

fn conflicts(problem: &PortfolioProblem, errors: &mut Vec<ProblemError>) {
    let why = required(problem);
    for (i, c) in problem.candidates.iter().enumerate() {
        if c.decision != Decision::ForcedOut {
            continue;
        }
        let Some(chain) = &why[i] else { continue };
        let root = chain[0];
        let keys: Vec<&str> = chain
            .iter()
            .map(|&j| problem.candidates[j].key.as_str())
            .collect();
        let mut message = format!(
            "{} is both {} and depends on {}",
            keys[0],
            describe_root(problem, root),
            keys[1]
        );
        for k in &keys[2..] {
            message.push_str(&format!(", which depends on {k}"));
        }
        message.push_str(", which is forced out");
        errors.push(ProblemError::Conflict {
            project: keys[0].to_string(),
            message,
        });
    }
    for group in &problem.exclusive {
        let mut members: Vec<usize> = group.clone();
        members.sort_unstable();
        members.dedup();
        let needed: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| why[i].is_some() && problem.candidates[i].decision != Decision::ForcedOut)
            .collect();
        if needed.len() >= 2 {
            let keys: Vec<&str> = needed
                .iter()
                .map(|&j| problem.candidates[j].key.as_str())
                .collect();
            errors.push(ProblemError::Conflict {
                project: keys[0].to_string(),
                message: format!(
                    "{} are alternatives (at most one may be chosen), but each must be in (mandatory, in delivery, or needed by one that is)",
                    join_and(&keys)
                ),
            });
        }
    }
}

pub(crate) fn join_and(items: &[&str]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].to_string(),
        _ => format!(
            "{} and {}",
            items[..items.len() - 1].join(", "),
            items[items.len() - 1]
        ),
    }
}

/// Earliest start of each candidate given its window and its prerequisites'
/// earliest finishes (acyclic problems only); `None` for forced-out ones.
pub(crate) fn earliest_starts(problem: &PortfolioProblem) -> Vec<Option<i64>> {
    let pre = prerequisites(problem);
    let n = problem.candidates.len();
    let mut es: Vec<Option<i64>> = vec![None; n];
    let mut done = vec![false; n];
    // Repeated passes settle an acyclic graph in at most n passes.
    for _ in 0..=n {
        let mut changed = false;
        for b in 0..n {
            if done[b] || pre[b].iter().any(|&a| !done[a]) {
                continue;
            }
            let c = &problem.candidates[b];
            es[b] = match c.decision {
                Decision::ForcedOut => None,
                Decision::Fixed(s) => Some(s),
                _ => {
                    let mut e = Some(c.earliest_start as i64);
                    for &a in &pre[b] {
                        match (e, es[a]) {
                            (Some(x), Some(sa)) => {
                                e = Some(x.max(sa + problem.candidates[a].duration as i64))
                            }
                            _ => e = None,
                        }
                    }
                    e
                }
            };
            done[b] = true;
            changed = true;
        }
        if !changed {
            break;
        }
    }
    es
}

fn timing(problem: &PortfolioProblem, errors: &mut Vec<ProblemError>) {
    let why = required(problem);
    let es = earliest_starts(problem);
    let pre = prerequisites(problem);
    let q = problem.quarters as i64;
    for (b, c) in problem.candidates.iter().enumerate() {
        if why[b].is_none() {
            continue;
        }
        let latest = match c.decision {
            Decision::Fixed(s) => s,
            Decision::ForcedOut => continue,
            _ => (c.latest_start as i64).min(q - 1),
        };
        if c.earliest_start > c.latest_start && !matches!(c.decision, Decision::Fixed(_)) {
            continue; // reported as an empty window
        }
        for &a in &pre[b] {
            let Some(sa) = es[a] else { continue };
            let finish = sa + problem.candidates[a].duration as i64;
            if finish > latest {
                let what = match c.decision {
                    Decision::Fixed(_) => format!(
                        "{} is in delivery from {}",
                        c.key,
                        problem.quarter_label(latest)
                    ),
                    _ => format!("{} must start by {}", c.key, problem.quarter_label(latest)),
                };
                errors.push(ProblemError::Conflict {
                    project: c.key.clone(),
                    message: format!(
                        "{what} but depends on {}, which cannot finish before {}",
                        problem.candidates[a].key,
                        problem.quarter_label(finish)
                    ),
                });
            }
        }
    }
}
