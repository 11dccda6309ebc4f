//! Writes the generated 200-project portfolio's model as MPS (for trials in other solvers).
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let problem = portfolio_optimise::portfolio::generated(2026, n);
    let f = portfolio_optimise::portfolio::formulate(&problem);
    print!("{}", portfolio_optimise::export::to_mps(&f.model));
}
