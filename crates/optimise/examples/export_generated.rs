//! Writes the generated portfolio's model as MPS (for trials in other
//! solvers): `export_generated [PROJECTS] [BUDGET_SCALE] [SEED]`, with every
//! budget line scaled as a frontier point scales it (1 and 2026 otherwise).
fn main() {
    let arg = |i: usize| std::env::args().nth(i);
    let n: usize = arg(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let scale: f64 = arg(2).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let seed: u64 = arg(3).and_then(|s| s.parse().ok()).unwrap_or(2026);
    let problem = portfolio_optimise::portfolio::generated(seed, n).with_budgets_scaled(scale);
    let f = portfolio_optimise::portfolio::formulate(&problem);
    print!("{}", portfolio_optimise::export::to_mps(&f.model));
}
