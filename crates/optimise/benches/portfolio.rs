//! The generated portfolio of 200 projects (5 pools × 12 quarters, budgets
//! for 3 years): the optimal solve, explanations for every project, and a
//! 20-point value-versus-budget frontier. Targets: 0.5 s, 10 s and 5 s.
//! Run one at a time: `cargo bench -p portfolio-optimise -- optimise`.

use criterion::{criterion_group, criterion_main, Criterion};
use portfolio_optimise::portfolio::{
    explain, frontier, generated, optimise, OptimiseOptions, ResultStatus,
};
use std::time::Duration;

fn portfolio(c: &mut Criterion) {
    let problem = generated(2026, 200);
    let options = OptimiseOptions::default();
    // Each re-solve of an explanation or a frontier point stops after a second.
    let quick = OptimiseOptions {
        time_limit: Duration::from_secs(1),
        ..Default::default()
    };
    let base = optimise(&problem, &options).expect("the generated portfolio is feasible");
    assert_eq!(base.status, ResultStatus::Optimal);
    eprintln!(
        "generated portfolio: {} projects, {} chosen, value {}, {} binding limits",
        problem.candidates.len(),
        base.projects.iter().filter(|p| p.chosen).count(),
        base.value,
        base.binding.len()
    );
    let mut group = c.benchmark_group("portfolio_200");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("optimise", |b| {
        b.iter(|| optimise(&problem, &options).expect("feasible"))
    });
    group.bench_function("explain_all", |b| {
        b.iter(|| {
            let e = explain(&problem, &base, &quick, |_, _| true);
            assert_eq!(e.len(), problem.candidates.len());
            e
        })
    });
    group.bench_function("frontier_20", |b| {
        b.iter(|| {
            let f = frontier(&problem, 20, 2.0, &quick, |_, _| true);
            assert_eq!(f.len(), 20);
            f
        })
    });
    group.finish();
}

criterion_group!(benches, portfolio);
criterion_main!(benches);
