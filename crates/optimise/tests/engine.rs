//! The one engine on hand-solvable models and OR-Library's mknap1 file.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portfolio_optimise::mkp;
use portfolio_optimise::model::{solve, Model, Sense, SolveError, SolveOptions, SolveStatus};

fn options() -> SolveOptions {
    SolveOptions {
        time_limit: Duration::from_secs(30),
        ..SolveOptions::default()
    }
}

fn chosen(values: &[f64]) -> Vec<usize> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > 0.5)
        .map(|(j, _)| j)
        .collect()
}

#[test]
fn mknap1_stated_optima_are_reproduced_and_proven() {
    let text = include_str!("data/mknap1.txt");
    let instances = mkp::parse(text).expect("mknap1 parses");
    assert_eq!(instances.len(), 7);
    let stated = [3800.0, 8706.1, 4015.0, 6120.0, 12400.0, 10618.0, 16537.0];
    for (instance, want) in instances.iter().zip(stated) {
        assert_eq!(instance.stated_optimum, Some(want));
        let result = instance.solve(&options()).unwrap();
        assert!(
            result.proven,
            "problem {} not proven: {result:?}",
            instance.index + 1
        );
        let value = result.value.unwrap();
        assert!(
            (value - want).abs() < 1e-6,
            "problem {}: {value} instead of {want}",
            instance.index + 1
        );
        assert_eq!(result.matches_stated, Some(true));
        assert_eq!(result.gap, 0.0);
        // The chosen items really fit and add up to the value.
        let total: f64 = result.chosen.iter().map(|&j| instance.profits[j - 1]).sum();
        assert!((total - want).abs() < 1e-6);
        for (row, cap) in instance.weights.iter().zip(&instance.capacities) {
            let used: f64 = result.chosen.iter().map(|&j| row[j - 1]).sum();
            assert!(used <= cap + 1e-9);
        }
    }
}

#[test]
fn three_item_knapsack_takes_the_two_heavier_items() {
    // Values 60, 100, 120; weights 10, 20, 30; capacity 50. Greedy by ratio
    // takes items 1 and 2 (160); the optimum is items 2 and 3 (220).
    let mut m = Model::new(Sense::Maximise);
    let a = m.add_binary("a", 60.0);
    let b = m.add_binary("b", 100.0);
    let c = m.add_binary("c", 120.0);
    m.add_row(
        "weight",
        f64::NEG_INFINITY,
        50.0,
        vec![(a, 10.0), (b, 20.0), (c, 30.0)],
    );
    let s = solve(&m, &options()).unwrap();
    assert_eq!(s.status, SolveStatus::Optimal);
    assert_eq!(s.objective, 220.0);
    assert_eq!(s.bound, 220.0);
    assert_eq!(chosen(&s.values), vec![b, c]);
    assert_eq!(s.row_activity, vec![50.0]);
}

#[test]
fn minimising_a_cover_picks_the_cheapest_way() {
    // Cover at least 7 units with pieces of 5 (cost 4) and 3 (cost 3):
    // 5+3 costs 7, 3+3+3 costs 9, 5+5 costs 8.
    let mut m = Model::new(Sense::Minimise);
    let five = [m.add_binary("five1", 4.0), m.add_binary("five2", 4.0)];
    let three = [
        m.add_binary("three1", 3.0),
        m.add_binary("three2", 3.0),
        m.add_binary("three3", 3.0),
    ];
    let mut terms: Vec<(usize, f64)> = five.iter().map(|&j| (j, 5.0)).collect();
    terms.extend(three.iter().map(|&j| (j, 3.0)));
    m.add_row("cover", 7.0, f64::INFINITY, terms);
    let s = solve(&m, &options()).unwrap();
    assert_eq!(s.status, SolveStatus::Optimal);
    assert_eq!(s.objective, 7.0);
}

#[test]
fn an_infeasible_model_says_so() {
    let mut m = Model::new(Sense::Maximise);
    let a = m.add_binary("a", 1.0);
    let b = m.add_binary("b", 1.0);
    m.add_row("need three", 3.0, f64::INFINITY, vec![(a, 1.0), (b, 1.0)]);
    let s = solve(&m, &options()).unwrap();
    assert_eq!(s.status, SolveStatus::Infeasible);
    assert!(s.values.is_empty());
}

#[test]
fn an_unbounded_model_says_so() {
    let mut m = Model::new(Sense::Maximise);
    let a = m.add_continuous("a", 1.0, 0.0, f64::INFINITY);
    let b = m.add_binary("b", 1.0);
    m.add_row("link", f64::NEG_INFINITY, 1.0, vec![(b, 1.0), (a, -1.0)]);
    let s = solve(&m, &options()).unwrap();
    assert_eq!(s.status, SolveStatus::Unbounded);
}

/// Two items of 50 000 fill the capacity exactly (100 000); the start takes
/// one of them and one of 49 999 (99 999). The LP bound is 100 000, so the
/// start is within HiGHS's default relative gap of 1e-4 and a solver using it
/// would stop one unit short. "At least one item" makes the all-zero vector
/// infeasible, so only branch and bound can find the better solution.
#[test]
fn an_integer_objective_is_proved_to_the_unit() {
    let mut m = Model::new(Sense::Maximise);
    let x1 = m.add_binary("x1", 50_000.0);
    let x2 = m.add_binary("x2", 50_000.0);
    let x3 = m.add_binary("x3", 49_999.0);
    m.add_row(
        "capacity",
        f64::NEG_INFINITY,
        100_000.0,
        vec![(x1, 50_000.0), (x2, 50_000.0), (x3, 49_999.0)],
    );
    m.add_row(
        "at least one",
        1.0,
        f64::INFINITY,
        vec![(x1, 1.0), (x2, 1.0), (x3, 1.0)],
    );
    assert!(m.integer_objective());
    let start = vec![1.0, 0.0, 1.0];
    let s = solve(
        &m,
        &SolveOptions {
            start: Some(start),
            ..options()
        },
    )
    .unwrap();
    assert_eq!(s.status, SolveStatus::Optimal);
    assert_eq!(s.objective, 100_000.0);
    assert_eq!(chosen(&s.values), vec![x1, x2]);
}

#[test]
fn a_better_start_is_kept_and_a_bad_one_ignored() {
    let mut m = Model::new(Sense::Maximise);
    let a = m.add_binary("a", 3.0);
    let b = m.add_binary("b", 2.0);
    m.add_row("one", f64::NEG_INFINITY, 1.0, vec![(a, 1.0), (b, 1.0)]);
    // Infeasible start (both): ignored, the optimum still found.
    let s = solve(
        &m,
        &SolveOptions {
            start: Some(vec![1.0, 1.0]),
            ..options()
        },
    )
    .unwrap();
    assert_eq!((s.status, s.objective), (SolveStatus::Optimal, 3.0));
    // A start of the wrong length is a caller's mistake.
    let err = solve(
        &m,
        &SolveOptions {
            start: Some(vec![1.0]),
            ..options()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, SolveError::Malformed(ref e) if e.contains("start has 1 values but the model has 2 columns")),
        "{err}"
    );
}

#[test]
fn malformed_models_name_the_row_or_column() {
    let base = || {
        let mut m = Model::new(Sense::Maximise);
        m.add_binary("a", 1.0);
        m
    };
    let mut m = base();
    m.add_row("budget", f64::NEG_INFINITY, 1.0, vec![(3, 1.0)]);
    let err = solve(&m, &options()).unwrap_err().to_string();
    assert_eq!(
        err,
        "the model is malformed: row 0 (budget): it names column 3 but the model has 1 columns"
    );

    let mut m = base();
    m.columns[0].cost = f64::NAN;
    let err = solve(&m, &options()).unwrap_err().to_string();
    assert_eq!(
        err,
        "the model is malformed: column 0 (a): its cost NaN is not a finite number"
    );

    let mut m = base();
    m.columns[0].lower = 2.0;
    let err = solve(&m, &options()).unwrap_err().to_string();
    assert_eq!(
        err,
        "the model is malformed: column 0 (a): its lower bound 2 is above its upper bound 1"
    );

    let mut m = base();
    m.add_row("band", 5.0, 1.0, vec![(0, 1.0)]);
    let err = solve(&m, &options()).unwrap_err().to_string();
    assert!(err.contains("row 0 (band): its lower bound 5 is above its upper bound 1"));

    let mut m = base();
    m.add_row("twice", 0.0, 1.0, vec![(0, 1.0), (0, 2.0)]);
    let err = solve(&m, &options()).unwrap_err().to_string();
    assert!(err.contains("row 0 (twice): it names column 0 (a) more than once"));

    let mut m = base();
    m.add_row("nan", 0.0, 1.0, vec![(0, f64::NAN)]);
    let err = solve(&m, &options()).unwrap_err().to_string();
    assert!(err.contains("row 0 (nan): its coefficient on column 0 (a) is NaN"));
}

/// A Chu-Beasley-style instance (profits correlated with weights, tightness
/// 0.5) made with a fixed generator: hard enough that the proof takes far
/// longer than the limits used below.
fn hard_instance(n: usize, m: usize) -> Model {
    let mut state: u64 = 12345;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let weights: Vec<Vec<f64>> = (0..m)
        .map(|_| (0..n).map(|_| (1.0 + 999.0 * next()).floor()).collect())
        .collect();
    let mut model = Model::new(Sense::Maximise);
    for j in 0..n {
        let sum: f64 = weights.iter().map(|r| r[j]).sum();
        let profit = (sum / m as f64 + (500.0 * next()).floor()).floor();
        model.add_binary(format!("x{j}"), profit);
    }
    for (i, row) in weights.iter().enumerate() {
        let cap = (0.5 * row.iter().sum::<f64>()).floor();
        let terms = row.iter().copied().enumerate().collect();
        model.add_row(format!("r{i}"), f64::NEG_INFINITY, cap, terms);
    }
    model
}

#[test]
fn a_time_limit_stops_with_the_gap_reported() {
    let model = hard_instance(250, 10);
    let started = Instant::now();
    let s = solve(
        &model,
        &SolveOptions {
            time_limit: Duration::from_millis(300),
            ..SolveOptions::default()
        },
    )
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(s.status, SolveStatus::Feasible);
    assert!(s.gap > 0.0 && s.gap < 0.05, "gap {}", s.gap);
    assert!(s.bound > s.objective);
    assert!(!s.cancelled);
}

#[test]
fn a_cancel_stops_a_long_solve() {
    let model = hard_instance(250, 10);
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let started = Instant::now();
    let s = solve(
        &model,
        &SolveOptions {
            time_limit: Duration::from_secs(120),
            cancel: Some(cancel),
            ..SolveOptions::default()
        },
    )
    .unwrap();
    stopper.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(s.cancelled);
    assert_eq!(s.status, SolveStatus::Feasible);
    assert!(s.objective > 0.0);
}

#[test]
fn the_same_model_gives_the_same_answer() {
    let model = hard_instance(60, 5);
    let a = solve(&model, &options()).unwrap();
    let b = solve(&model, &options()).unwrap();
    assert_eq!(a.status, SolveStatus::Optimal);
    assert_eq!(a.values, b.values);
    assert_eq!(a.nodes, b.nodes);
    assert_eq!(a.fixed_by_reduced_cost, b.fixed_by_reduced_cost);
}

/// Small random 0/1 models of every row shape (≤, ≥, =, ranges, negative
/// coefficients), maximised and minimised, with whole and decimal costs:
/// the engine's optimum, or its "infeasible", agrees with enumerating every
/// 0/1 vector.
#[test]
fn small_models_agree_with_enumeration() {
    let mut state: u64 = 2026;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let (mut infeasible, mut optimal) = (0, 0);
    for case in 0..300 {
        let n = 3 + next(10) as usize;
        let m = 1 + next(4) as usize;
        let sense = if next(3) == 0 {
            Sense::Minimise
        } else {
            Sense::Maximise
        };
        let decimal = next(4) == 0;
        let mut model = Model::new(sense);
        for j in 0..n {
            let whole = next(14) as f64 - 3.0;
            let cost = if decimal {
                whole + next(10) as f64 / 10.0
            } else {
                whole
            };
            model.add_binary(format!("x{j}"), cost);
        }
        for i in 0..m {
            let mut terms: Vec<(usize, f64)> = Vec::new();
            for j in 0..n {
                if next(4) != 0 {
                    terms.push((j, next(15) as f64 - 5.0));
                }
            }
            let total: f64 = terms.iter().map(|t| t.1.abs()).sum();
            let level = (total * (next(60) as f64 + 10.0) / 100.0).floor();
            let (lower, upper) = match next(5) {
                0 => (level, f64::INFINITY),
                1 => (level, level),
                2 => (level - 3.0, level + 2.0),
                _ => (f64::NEG_INFINITY, level),
            };
            model.add_row(format!("r{i}"), lower, upper, terms);
        }
        // Every 0/1 vector.
        let mut best: Option<f64> = None;
        for bits in 0u32..(1 << n) {
            let x: Vec<f64> = (0..n).map(|j| f64::from((bits >> j) & 1)).collect();
            let fits = model.rows.iter().all(|r| {
                let act: f64 = r.terms.iter().map(|&(j, a)| a * x[j]).sum();
                act >= r.lower - 1e-9 && act <= r.upper + 1e-9
            });
            if fits {
                let obj: f64 = model.columns.iter().zip(&x).map(|(c, v)| c.cost * v).sum();
                let better = match (best, sense) {
                    (None, _) => true,
                    (Some(b), Sense::Maximise) => obj > b + 1e-9,
                    (Some(b), Sense::Minimise) => obj < b - 1e-9,
                };
                if better {
                    best = Some(obj);
                }
            }
        }
        let s = solve(&model, &options()).unwrap();
        match best {
            None => {
                assert_eq!(s.status, SolveStatus::Infeasible, "case {case}: {model:?}");
                infeasible += 1;
            }
            Some(b) => {
                assert_eq!(s.status, SolveStatus::Optimal, "case {case}: {model:?}");
                assert!(
                    (s.objective - b).abs() < 1e-6,
                    "case {case}: engine {} but enumeration {b}: {model:?}",
                    s.objective
                );
                optimal += 1;
            }
        }
    }
    // Both outcomes were exercised.
    assert!(
        infeasible > 20 && optimal > 100,
        "{infeasible} infeasible, {optimal} optimal"
    );
}
