//! Solves the generated portfolio with budgets scaled, whole model and lazily.
use portfolio_optimise::portfolio::{formulate, generated, optimise, OptimiseOptions};
use std::time::{Duration, Instant};
fn main() {
    let scale: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let mut problem = generated(2026, 200);
    for b in &mut problem.budgets {
        b.limit_pence = b.limit_pence.map(|l| (l as f64 * scale) as i64);
    }
    let f = formulate(&problem);
    let t = Instant::now();
    let opts = portfolio_optimise::model::SolveOptions {
        time_limit: Duration::from_secs(20),
        ..Default::default()
    };
    let s = portfolio_optimise::model::solve(&f.model, &opts).unwrap();
    eprintln!(
        "whole model {:.3}s {:?} {} bound {} nodes {}",
        t.elapsed().as_secs_f64(),
        s.status,
        s.objective + f.fixed_value,
        s.bound + f.fixed_value,
        s.nodes
    );
    let t = Instant::now();
    let r = optimise(
        &problem,
        &OptimiseOptions {
            time_limit: Duration::from_secs(20),
            ..Default::default()
        },
    )
    .unwrap();
    eprintln!(
        "optimise {:.3}s {:?} {} bound {}",
        t.elapsed().as_secs_f64(),
        r.status,
        r.value,
        r.bound
    );
}
