//! Hand-solvable portfolio problems whose optimum can be checked by hand,
//! the messages of bad input, the diagnosis of an infeasible mandatory set,
//! explanations, the frontier and marginal values.

use portfolio_optimise::portfolio::{
    check, diagnose, explain, formulate, frontier, generated, marginal_values, optimise,
    BudgetLimit, Candidate, Decision, LimitRef, Money, OptimiseOptions, PoolLimit,
    PortfolioProblem, PortfolioResult, ProblemError, ResultStatus, YearCost,
};

fn opts() -> OptimiseOptions {
    OptimiseOptions::default()
}

/// A candidate needing `devs` developers in each of its `duration` quarters.
fn cand(key: &str, value: f64, window: (usize, usize), duration: usize, devs: f64) -> Candidate {
    Candidate {
        key: key.to_string(),
        value,
        earliest_start: window.0,
        latest_start: window.1,
        duration,
        demand: vec![vec![devs; duration]],
        cost: vec![],
        decision: Decision::Free,
    }
}

fn developers(supply: Vec<f64>) -> PoolLimit {
    PoolLimit {
        name: "Developers".to_string(),
        supply,
    }
}

fn problem(quarters: usize, supply: Vec<f64>, candidates: Vec<Candidate>) -> PortfolioProblem {
    PortfolioProblem {
        quarters,
        pools: vec![developers(supply)],
        candidates,
        ..Default::default()
    }
}

fn capital(pence: i64) -> Vec<YearCost> {
    vec![YearCost {
        capital_pence: pence,
        revenue_pence: 0,
    }]
}

fn start_of(r: &PortfolioResult, key: &str) -> Option<i64> {
    r.projects.iter().find(|p| p.key == key).unwrap().start
}

/// Budget 100: A (60, value 10), B (50, value 8), C (40, value 7).
fn knapsack() -> PortfolioProblem {
    let mut p = problem(
        4,
        vec![10.0; 4],
        vec![
            cand("A", 10.0, (0, 0), 1, 1.0),
            cand("B", 8.0, (0, 0), 1, 1.0),
            cand("C", 7.0, (0, 0), 1, 1.0),
        ],
    );
    for (c, cost) in p.candidates.iter_mut().zip([60, 50, 40]) {
        c.cost = capital(cost);
    }
    p.budgets = vec![BudgetLimit {
        name: "2027/28 capital".to_string(),
        year: 0,
        money: Money::Capital,
        limit_pence: Some(100),
    }];
    p
}

#[test]
fn the_budget_binds_and_the_best_pair_within_it_is_chosen() {
    let p = knapsack();
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(r.status, ResultStatus::Optimal);
    // A+C = 17 for exactly 100; A+B costs 110; B+C is worth 15.
    assert_eq!(r.value, 17.0);
    assert!(start_of(&r, "A").is_some() && start_of(&r, "C").is_some());
    assert_eq!(start_of(&r, "B"), None);
    assert_eq!(r.budgets[0].spent_pence, 100);
    assert!(r.binding.iter().any(|b| b.name == "2027/28 capital"));
    assert!(!r
        .binding
        .iter()
        .any(|b| matches!(b.limit, LimitRef::Pool { .. })));
}

#[test]
fn capacity_binding_in_one_quarter_delays_a_start() {
    // A needs both developers in quarters 1 and 2 and cannot move; B needs
    // both for one quarter and may start in quarters 1 to 3.
    let p = problem(
        4,
        vec![2.0; 4],
        vec![
            cand("A", 10.0, (0, 0), 2, 2.0),
            cand("B", 5.0, (0, 2), 1, 2.0),
        ],
    );
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(r.value, 15.0);
    assert_eq!(start_of(&r, "A"), Some(0));
    assert_eq!(start_of(&r, "B"), Some(2));
    assert_eq!(r.pools[0].used, vec![2.0, 2.0, 2.0, 0.0]);
    let names: Vec<&str> = r.binding.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Developers in quarter 1",
            "Developers in quarter 2",
            "Developers in quarter 3"
        ]
    );
}

#[test]
fn a_dependent_starts_after_its_prerequisite_finishes_and_only_with_it() {
    let mut p = problem(
        6,
        vec![10.0; 6],
        vec![
            cand("A", 5.0, (0, 3), 3, 1.0),
            cand("B", 5.0, (0, 5), 1, 1.0),
        ],
    );
    p.dependencies = vec![(0, 1)];
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(r.value, 10.0);
    let (a, b) = (start_of(&r, "A").unwrap(), start_of(&r, "B").unwrap());
    assert!(b >= a + 3, "B starts in {b}, A finishes after {}", a + 3);

    // B's window ends before A can finish: B stays out.
    p.candidates[1].latest_start = 2;
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(r.value, 5.0);
    assert_eq!(start_of(&r, "B"), None);

    // A forced out: B cannot be in either, and says why.
    p.candidates[1].latest_start = 5;
    p.candidates[0].decision = Decision::ForcedOut;
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(r.value, 0.0);
    let b = &r.projects[1];
    assert!(!b.chosen);
    assert_eq!(
        b.why_not.as_deref(),
        Some("depends on A, which is not in the programme")
    );
}

#[test]
fn a_fixed_prerequisite_finishes_at_its_fixed_start_plus_duration() {
    let mut p = problem(
        6,
        vec![10.0; 6],
        vec![
            cand("A", 5.0, (0, 0), 3, 1.0),
            cand("B", 5.0, (0, 5), 1, 1.0),
        ],
    );
    p.candidates[0].decision = Decision::Fixed(-1);
    p.dependencies = vec![(0, 1)];
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(start_of(&r, "A"), Some(-1));
    assert!(start_of(&r, "B").unwrap() >= 2);
    // A started a quarter before the horizon: in it, quarters 1 and 2.
    assert_eq!(r.pools[0].used[..2], [1.0, 1.0]);
    assert_eq!(r.value, 10.0);
}

#[test]
fn only_one_of_an_exclusive_pair_is_chosen() {
    let mut p = problem(
        2,
        vec![10.0; 2],
        vec![
            cand("A", 10.0, (0, 1), 1, 1.0),
            cand("B", 12.0, (0, 1), 1, 1.0),
        ],
    );
    p.exclusive = vec![vec![0, 1]];
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(r.value, 12.0);
    assert_eq!(start_of(&r, "A"), None);
    assert_eq!(
        r.projects[0].why_not.as_deref(),
        Some("B, an alternative to it, is chosen")
    );
}

#[test]
fn a_fixed_project_consumes_capacity_and_pushes_others_later() {
    let mut p = problem(
        4,
        vec![3.0; 4],
        vec![
            cand("F", 1.0, (0, 0), 2, 2.0),
            cand("P", 10.0, (0, 3), 1, 2.0),
        ],
    );
    p.candidates[0].decision = Decision::Fixed(0);
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(start_of(&r, "F"), Some(0));
    assert_eq!(start_of(&r, "P"), Some(2));
    assert_eq!(r.value, 11.0);
}

#[test]
fn a_forced_in_project_displaces_a_better_one_and_the_value_lost_matches() {
    let mut p = problem(
        1,
        vec![10.0],
        vec![
            cand("A", 10.0, (0, 0), 1, 1.0),
            cand("B", 3.0, (0, 0), 1, 1.0),
        ],
    );
    for c in &mut p.candidates {
        c.cost = capital(100);
    }
    p.budgets = vec![BudgetLimit {
        name: "2027/28 capital".to_string(),
        year: 0,
        money: Money::Capital,
        limit_pence: Some(100),
    }];
    let base = optimise(&p, &opts()).unwrap();
    assert_eq!(base.value, 10.0);
    assert_eq!(start_of(&base, "B"), None);

    let mut forced = p.clone();
    forced.candidates[1].decision = Decision::Mandatory;
    let r = optimise(&forced, &opts()).unwrap();
    assert_eq!(r.value, 3.0);
    assert_eq!(start_of(&r, "A"), None);

    let e = explain(&p, &base, &opts(), |_, _| true);
    assert_eq!(e.len(), 2);
    // B out: forcing it in loses 10 - 3.
    assert!(!e[1].chosen);
    assert_eq!(e[1].reversed_value, Some(3.0));
    assert_eq!(e[1].value_lost, Some(7.0));
    assert_eq!(e[1].blocking.len(), 1);
    assert_eq!(e[1].blocking[0].name, "2027/28 capital");
    assert_eq!(e[1].blocking[0].need, 100.0);
    assert_eq!(e[1].blocking[0].free, 0.0);
    // A in: forcing it out loses 10 - 3.
    assert!(e[0].chosen);
    assert_eq!(e[0].value_lost, Some(7.0));
}

#[test]
fn a_dependency_cycle_is_refused_with_the_cycle_named() {
    let mut p = problem(
        4,
        vec![5.0; 4],
        vec![
            cand("DP-012", 1.0, (0, 3), 1, 1.0),
            cand("DP-040", 1.0, (0, 3), 1, 1.0),
        ],
    );
    p.dependencies = vec![(1, 0), (0, 1)];
    let errors = check(&p).unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|e| e.message()).collect();
    assert_eq!(
        messages,
        vec!["DP-012 depends on DP-040, which depends on DP-012 (a cycle)"]
    );
    assert!(matches!(
        optimise(&p, &opts()),
        Err(ProblemError::Cycle { .. })
    ));
}

#[test]
fn bad_input_gets_messages_naming_the_cause() {
    let mut p = problem(
        4,
        vec![4.0, 4.0, -1.0, 4.0],
        vec![
            cand("DP-003", 1.0, (3, 1), 1, 1.0),
            cand("DP-007", 1.0, (0, 3), 2, 6.0),
            cand("DP-009", 1.0, (0, 3), 1, 1.0),
            cand("DP-010", 1.0, (0, 3), 1, 1.0),
        ],
    );
    p.candidates[2].decision = Decision::Mandatory;
    p.candidates[3].decision = Decision::ForcedOut;
    p.dependencies = vec![(3, 2)];
    let errors = check(&p).unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|e| e.message()).collect();
    for expected in [
        "the supply of Developers in quarter 3 is negative",
        "DP-003's start window is empty (earliest after latest)",
        "DP-007 needs 6 Developers in its first quarter; the pool never has more than 4",
        "DP-009 is both mandatory and depends on DP-010, which is forced out",
    ] {
        assert!(
            messages.contains(&expected),
            "{expected:?} not in {messages:?}"
        );
    }
    assert_eq!(messages.len(), 4, "{messages:?}");
}

#[test]
fn two_required_alternatives_and_an_unreachable_prerequisite_are_refused() {
    let mut p = problem(
        4,
        vec![5.0; 4],
        vec![
            cand("A", 1.0, (0, 3), 1, 1.0),
            cand("B", 1.0, (0, 3), 1, 1.0),
            cand("C", 1.0, (0, 0), 1, 1.0),
            cand("D", 1.0, (0, 1), 3, 1.0),
        ],
    );
    p.candidates[0].decision = Decision::Mandatory;
    p.candidates[1].decision = Decision::Fixed(1);
    p.candidates[2].decision = Decision::Mandatory;
    p.exclusive = vec![vec![0, 1]];
    // C must start in quarter 1 but depends on D, which takes three quarters.
    p.dependencies = vec![(3, 2)];
    let errors = check(&p).unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|e| e.message()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("A and B are alternatives")),
        "{messages:?}"
    );
    assert!(
        messages.contains(
            &"C must start by quarter 1 but depends on D, which cannot finish before quarter 4"
        ),
        "{messages:?}"
    );
}

#[test]
fn an_infeasible_mandatory_set_is_diagnosed_with_the_pool_and_quarter_named() {
    let mut p = problem(
        3,
        vec![5.0; 3],
        vec![
            cand("DP-003", 9.0, (1, 1), 1, 4.0),
            cand("DP-010", 9.0, (0, 0), 3, 3.0),
            cand("DP-020", 50.0, (0, 2), 1, 1.0),
        ],
    );
    p.candidates[0].decision = Decision::Mandatory;
    p.candidates[1].decision = Decision::Fixed(0);
    let err = optimise(&p, &opts()).unwrap_err();
    let ProblemError::Infeasible { diagnosis, message } = err else {
        panic!("expected infeasible, got {err:?}");
    };
    assert_eq!(diagnosis.shortfalls.len(), 1);
    let s = &diagnosis.shortfalls[0];
    assert_eq!(
        s.limit,
        LimitRef::Pool {
            pool: 0,
            quarter: 1
        }
    );
    assert_eq!(s.increase, 2.0);
    assert_eq!(
        s.message,
        "Developers in quarter 2: the mandatory and fixed projects need 7, the supply is 5 (DP-003, DP-010)"
    );
    assert!(message.contains(&s.message));
    assert_eq!(diagnose(&p), diagnosis);
}

#[test]
fn an_over_budget_mandatory_set_names_the_budget_line_and_the_amount() {
    let mut p = knapsack();
    p.candidates[0].decision = Decision::Mandatory;
    p.candidates[1].decision = Decision::Mandatory;
    let ProblemError::Infeasible { diagnosis, .. } = optimise(&p, &opts()).unwrap_err() else {
        panic!("expected infeasible");
    };
    assert_eq!(diagnosis.shortfalls.len(), 1);
    assert_eq!(diagnosis.shortfalls[0].increase, 10.0);
    assert_eq!(
        diagnosis.shortfalls[0].message,
        "2027/28 capital: the mandatory and fixed projects need £1.10, the budget is £1 (A, B)"
    );
}

#[test]
fn explanations_name_the_binding_pool_and_quarter_for_each_start() {
    let mut p = problem(
        3,
        vec![2.0, 2.0, 3.0],
        vec![
            cand("A", 10.0, (0, 0), 2, 2.0),
            cand("B", 5.0, (0, 0), 1, 1.0),
            cand("C", 4.0, (0, 1), 1, 1.0),
            cand("D", 1.0, (0, 2), 1, 2.0),
        ],
    );
    p.quarter_names = vec![
        "2027/28 Q1".into(),
        "2027/28 Q2".into(),
        "2027/28 Q3".into(),
    ];
    let base = optimise(&p, &opts()).unwrap();
    // A fills quarters 1 and 2; D takes two of the three in quarter 3.
    assert_eq!(base.value, 11.0);
    let e = explain(&p, &base, &opts(), |_, _| true);
    let b = &e[1];
    assert_eq!(b.blocking.len(), 1);
    assert_eq!(b.blocking[0].name, "Developers in 2027/28 Q1");
    assert_eq!((b.blocking[0].need, b.blocking[0].free), (1.0, 0.0));
    assert_eq!(
        b.reasons,
        vec!["every start in its window needs more than is free of Developers in 2027/28 Q1 (needs 1, 0 free)"]
    );
    // B in quarter 1 rules A out, so the best with B is B + C + D = 10.
    assert_eq!(b.reversed_value, Some(10.0));
    assert_eq!(b.value_lost, Some(1.0));
    // C is blocked in a different quarter at each start.
    let c = &e[2];
    assert!(c.blocking.is_empty());
    assert_eq!(c.starts.len(), 2);
    assert_eq!(c.starts[0].limits[0].name, "Developers in 2027/28 Q1");
    assert_eq!(c.starts[1].limits[0].name, "Developers in 2027/28 Q2");
    assert!(
        c.reasons[0].starts_with("no start has room: starting in 2027/28 Q1"),
        "{:?}",
        c.reasons
    );
    // D is chosen; leaving it out loses its value, 1.
    assert!(e[3].chosen);
    assert_eq!(e[3].value_lost, Some(1.0));
}

#[test]
fn explaining_can_be_cancelled_through_progress() {
    let p = knapsack();
    let base = optimise(&p, &opts()).unwrap();
    let mut calls = Vec::new();
    let e = explain(&p, &base, &opts(), |done, total| {
        calls.push((done, total));
        done < 2
    });
    assert_eq!(e.len(), 2);
    assert_eq!(calls, vec![(1, 3), (2, 3)]);
}

#[test]
fn a_forced_in_project_that_cannot_fit_says_why() {
    let mut p = problem(
        1,
        vec![2.0],
        vec![
            cand("A", 10.0, (0, 0), 1, 2.0),
            cand("B", 3.0, (0, 0), 1, 1.0),
        ],
    );
    p.candidates[0].decision = Decision::Mandatory;
    let base = optimise(&p, &opts()).unwrap();
    let e = explain(&p, &base, &opts(), |_, _| true);
    assert_eq!(e[1].reversed_status, Some(ResultStatus::Infeasible));
    assert_eq!(
        e[1].cannot.as_deref(),
        Some("cannot be included: the mandatory and fixed projects do not fit: Developers in quarter 1: the mandatory and fixed projects need 3, the supply is 2 (A, B)")
    );
}

#[test]
fn the_frontier_follows_the_budget_by_hand() {
    let p = knapsack();
    let f = frontier(&p, 4, 1.5, &opts(), |_, _| true);
    let values: Vec<Option<f64>> = f.iter().map(|x| x.value).collect();
    // Budgets 0, 50, 100, 150: nothing; B; A+C; all three.
    assert_eq!(values, vec![Some(0.0), Some(8.0), Some(17.0), Some(25.0)]);
    let budgets: Vec<i64> = f.iter().map(|x| x.budget_pence).collect();
    assert_eq!(budgets, vec![0, 50, 100, 150]);
    assert_eq!(f[3].chosen, 3);
    assert!(f.iter().all(|x| x.status == ResultStatus::Optimal));
}

#[test]
fn the_frontier_of_a_generated_portfolio_never_decreases() {
    let p = generated(11, 40);
    let f = frontier(&p, 9, 4.0, &opts(), |_, _| true);
    assert_eq!(f.len(), 9);
    // No money at all: the fixed projects' spend cannot be met.
    assert_eq!(f[0].status, ResultStatus::Infeasible);
    assert!(
        f[0].message
            .as_deref()
            .unwrap()
            .starts_with("the mandatory and fixed projects do not fit: 2027/28"),
        "{:?}",
        f[0].message
    );
    let values: Vec<f64> = f.iter().filter_map(|x| x.value).collect();
    assert!(values.len() >= 4, "{f:?}");
    assert!(values.windows(2).all(|w| w[1] >= w[0]), "{values:?}");
    assert!(values.last() > values.first());
}

#[test]
fn marginal_values_say_what_more_money_or_people_buy() {
    let p = knapsack();
    let base = optimise(&p, &opts()).unwrap();
    let m = marginal_values(&p, &base, 50, &opts(), |_, _| true);
    assert_eq!(m.len(), 2);
    // One more developer: the budget still binds, nothing changes.
    assert_eq!(m[0].name, "Developers");
    assert_eq!(m[0].gain, Some(0.0));
    assert!(m[0].added.is_empty() && m[0].dropped.is_empty());
    // 50p more: room for all three.
    assert_eq!(m[1].increase, "£0.50 more in 2027/28 capital");
    assert_eq!(m[1].gain, Some(8.0));
    assert_eq!(m[1].added, vec!["B".to_string()]);

    let p = problem(
        2,
        vec![1.0; 2],
        vec![
            cand("A", 10.0, (0, 1), 1, 1.0),
            cand("B", 9.0, (0, 1), 1, 1.0),
            cand("C", 8.0, (0, 1), 1, 1.0),
        ],
    );
    let base = optimise(&p, &opts()).unwrap();
    assert_eq!(base.value, 19.0);
    let m = marginal_values(&p, &base, 10_000_000, &opts(), |_, _| true);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].increase, "1 more Developers in every quarter");
    assert_eq!(m[0].gain, Some(8.0));
    assert_eq!(m[0].added, vec!["C".to_string()]);
}

/// Recomputes every limit of a result from the problem, independently of the optimiser.
fn assert_meets_every_limit(p: &PortfolioProblem, r: &PortfolioResult) {
    let q = p.quarters as i64;
    for (pi, pool) in p.pools.iter().enumerate() {
        for t in 0..q {
            let used: f64 = p
                .candidates
                .iter()
                .zip(&r.projects)
                .filter_map(|(c, o)| o.start.map(|s| (c, s)))
                .filter_map(|(c, s)| c.demand[pi].get((t - s) as usize).filter(|_| t >= s))
                .sum();
            assert!(
                used <= pool.supply[t as usize] + 1e-6,
                "{} in {t}: {used}",
                pool.name
            );
            assert!((used - r.pools[pi].used[t as usize]).abs() < 1e-6);
        }
    }
    for b in &p.budgets {
        let spent: i64 = p
            .candidates
            .iter()
            .zip(&r.projects)
            .filter_map(|(c, o)| o.start.map(|s| (c, s)))
            .filter_map(|(c, s)| {
                let k = b.year as i64 - s.div_euclid(4);
                (k >= 0).then(|| c.cost.get(k as usize)).flatten()
            })
            .map(|y| match b.money {
                Money::Capital => y.capital_pence,
                Money::Revenue => y.revenue_pence,
            })
            .sum();
        assert!(spent <= b.limit_pence.unwrap(), "{}", b.name);
    }
    for &(a, b) in &p.dependencies {
        if let Some(sb) = r.projects[b].start {
            let sa = r.projects[a].start.expect("prerequisite in");
            assert!(sa + p.candidates[a].duration as i64 <= sb);
        }
    }
    for g in &p.exclusive {
        assert!(g.iter().filter(|&&i| r.projects[i].chosen).count() <= 1);
    }
    for (c, o) in p.candidates.iter().zip(&r.projects) {
        match c.decision {
            Decision::Mandatory => assert!(o.chosen),
            Decision::Fixed(s) => assert_eq!(o.start, Some(s)),
            Decision::ForcedOut => assert!(!o.chosen),
            Decision::Free => {
                if let Some(s) = o.start {
                    assert!(s >= c.earliest_start as i64 && s <= c.latest_start as i64);
                }
            }
        }
    }
    let value: f64 = p
        .candidates
        .iter()
        .zip(&r.projects)
        .filter(|(_, o)| o.chosen)
        .map(|(c, _)| c.value)
        .sum();
    assert_eq!(value, r.value);
}

#[test]
fn the_generated_portfolio_is_valid_scarce_and_solved_to_optimality() {
    let p = generated(2026, 200);
    assert_eq!(generated(2026, 200), p, "the generator is deterministic");
    assert_eq!(
        (p.candidates.len(), p.pools.len(), p.quarters),
        (200, 5, 12)
    );
    assert_eq!(p.budgets.len(), 6);
    assert!(!p.dependencies.is_empty() && !p.exclusive.is_empty());
    assert!(p
        .candidates
        .iter()
        .any(|c| c.decision == Decision::Mandatory));
    assert!(p
        .candidates
        .iter()
        .any(|c| matches!(c.decision, Decision::Fixed(_))));
    check(&p).unwrap();
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(r.status, ResultStatus::Optimal);
    assert_eq!(r.gap, 0.0);
    assert_eq!(r.bound, r.value);
    assert_meets_every_limit(&p, &r);
    let chosen = r.projects.iter().filter(|o| o.chosen).count();
    assert!(
        chosen > 20 && chosen < 180,
        "the choice matters: {chosen} of 200 chosen"
    );
    assert!(!r.binding.is_empty());
}

#[test]
fn the_formulation_has_a_column_per_allowed_start() {
    let mut p = knapsack();
    p.candidates[0].latest_start = 2;
    p.candidates[1].decision = Decision::ForcedOut;
    let f = formulate(&p);
    assert_eq!(f.columns[0].len(), 3);
    assert!(f.columns[1].is_empty());
    assert_eq!(f.columns[2].len(), 1);
    assert_eq!(f.model.columns.len(), 4);
}

#[test]
fn results_round_trip_through_json() {
    let p = knapsack();
    let r = optimise(&p, &opts()).unwrap();
    let text = serde_json::to_string(&r).unwrap();
    let back: PortfolioResult = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    let e = explain(&p, &r, &opts(), |_, _| true);
    let text = serde_json::to_string(&e).unwrap();
    assert_eq!(serde_json::from_str::<Vec<_>>(&text).ok(), Some(e));
    let err = ProblemError::Cycle {
        projects: vec!["A".into()],
        message: "m".into(),
    };
    let text = serde_json::to_string(&err).unwrap();
    assert_eq!(serde_json::from_str::<ProblemError>(&text).unwrap(), err);
}

/// The budgets of `p` multiplied by `factor`.
fn with_budgets_scaled(mut p: PortfolioProblem, factor: f64) -> PortfolioProblem {
    for b in &mut p.budgets {
        b.limit_pence = b.limit_pence.map(|l| (l as f64 * factor) as i64);
    }
    p
}

/// The whole model of `p`, every row in, solved by the engine from scratch.
fn whole_model(
    p: &PortfolioProblem,
) -> (
    portfolio_optimise::portfolio::Formulation,
    portfolio_optimise::model::Solution,
) {
    let whole = portfolio_optimise::model::SolveOptions {
        time_limit: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    let f = formulate(p);
    let solution = portfolio_optimise::model::solve(&f.model, &whole).unwrap();
    (f, solution)
}

#[test]
fn leaving_pool_rows_out_until_needed_reaches_the_whole_models_optimum() {
    // The optimiser starts from the budget rows (and the pool rows the LP
    // relaxation binds) and adds pool rows as the relaxed optima overrun
    // them. Where money binds and where people do, its proven optimum must
    // be the whole model's.
    let mut pool_bound = 0;
    for seed in 1..=4 {
        for factor in [0.9, 1.0, 1.6, 3.0] {
            let p = with_budgets_scaled(generated(seed, 36), factor);
            let (f, reference) = whole_model(&p);
            match optimise(&p, &opts()) {
                Ok(r) => {
                    assert_eq!(
                        reference.status,
                        portfolio_optimise::model::SolveStatus::Optimal
                    );
                    assert_eq!(r.status, ResultStatus::Optimal, "seed {seed} × {factor}");
                    assert_eq!(
                        r.value,
                        reference.objective + f.fixed_value,
                        "seed {seed} × {factor}"
                    );
                    assert_meets_every_limit(&p, &r);
                    if r.binding
                        .iter()
                        .any(|b| matches!(b.limit, LimitRef::Pool { .. }))
                    {
                        pool_bound += 1;
                    }
                }
                Err(e) => {
                    assert_eq!(
                        reference.status,
                        portfolio_optimise::model::SolveStatus::Infeasible,
                        "seed {seed} × {factor}: {e}"
                    );
                }
            }
        }
    }
    assert!(
        pool_bound >= 4,
        "pools bind in some of the cases: {pool_bound}"
    );
}

#[test]
fn starts_are_moved_apart_when_money_alone_would_put_two_projects_together() {
    // One developer; A and B fit the budget together and each could start
    // in either quarter of the year, but only one at a time.
    let mut p = problem(
        4,
        vec![1.0; 4],
        vec![
            cand("A", 5.0, (0, 1), 1, 1.0),
            cand("B", 4.0, (0, 1), 1, 1.0),
        ],
    );
    for c in &mut p.candidates {
        c.cost = capital(10);
    }
    p.budgets = vec![BudgetLimit {
        name: "2027/28 capital".to_string(),
        year: 0,
        money: Money::Capital,
        limit_pence: Some(20),
    }];
    let r = optimise(&p, &opts()).unwrap();
    assert_eq!(r.status, ResultStatus::Optimal);
    assert_eq!(r.value, 9.0);
    let (a, b) = (start_of(&r, "A").unwrap(), start_of(&r, "B").unwrap());
    assert_ne!(a, b, "one developer cannot do both in one quarter");
    assert_meets_every_limit(&p, &r);
}

#[test]
fn explanations_worked_out_side_by_side_come_back_in_candidate_order() {
    let p = generated(1, 36);
    let base = optimise(&p, &opts()).unwrap();
    let mut calls = Vec::new();
    let e = explain(&p, &base, &opts(), |done, total| {
        calls.push((done, total));
        true
    });
    assert_eq!(e.len(), 36);
    assert!(e.iter().enumerate().all(|(i, x)| x.project == i));
    assert!(e.iter().zip(&p.candidates).all(|(x, c)| x.key == c.key));
    // Progress counts every explanation once, up to the total.
    assert_eq!(calls.last(), Some(&(36, 36)));
    assert!(calls.windows(2).all(|w| w[1].0 == w[0].0 + 1));
    // Each re-solve was proved, so each value lost is exact and not negative.
    for x in e.iter().filter(|x| x.reversed_status.is_some()) {
        if x.reversed_status == Some(ResultStatus::Optimal) {
            assert!(x.value_lost.unwrap() >= 0.0, "{x:?}");
            assert_eq!(
                x.reversed_value.unwrap() + x.value_lost.unwrap(),
                base.value
            );
        }
    }
}

#[test]
fn each_proven_value_lost_is_the_whole_models_optimum_with_that_decision_reversed() {
    // An explanation's re-solve starts near the base programme: the engine
    // searches that start's neighbourhood first and HiGHS then skips some of
    // its own searches. The value it proves must still be the optimum of the
    // whole model with the one decision reversed, solved from scratch.
    let mut checked = 0;
    for (seed, factor) in [(1, 1.0), (2, 1.0), (3, 1.6)] {
        let p = with_budgets_scaled(generated(seed, 36), factor);
        let base = optimise(&p, &opts()).unwrap();
        for x in explain(&p, &base, &opts(), |_, _| true) {
            let Some(status) = x.reversed_status else {
                continue;
            };
            let mut reversed = p.clone();
            reversed.candidates[x.project].decision = if x.chosen {
                Decision::ForcedOut
            } else {
                Decision::Mandatory
            };
            let (f, reference) = whole_model(&reversed);
            match status {
                ResultStatus::Optimal => {
                    assert_eq!(
                        x.reversed_value,
                        Some(reference.objective + f.fixed_value),
                        "seed {seed}: {}",
                        x.summary
                    );
                    checked += 1;
                }
                ResultStatus::Infeasible => assert_eq!(
                    reference.status,
                    portfolio_optimise::model::SolveStatus::Infeasible,
                    "seed {seed}: {}",
                    x.summary
                ),
                _ => panic!(
                    "seed {seed}: a re-solve of 36 projects stopped: {}",
                    x.summary
                ),
            }
        }
    }
    assert!(checked >= 60, "most explanations were re-solved: {checked}");
}
