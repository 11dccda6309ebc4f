//! Times the generated portfolio's optimisation, step by step:
//! `time_generated [PROJECTS] [all] [SEED]`.
use portfolio_optimise::portfolio::{
    explain, formulate, frontier, generated, optimise, OptimiseOptions, ResultStatus,
};
use std::time::Instant;
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    // The third argument, when given, is the generator's seed (2026 otherwise).
    let seed: u64 = std::env::args()
        .nth(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2026);
    let problem = generated(seed, n);
    let t = Instant::now();
    let f = formulate(&problem);
    eprintln!("formulate {:.3}s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let s = portfolio_optimise::model::solve(&f.model, &Default::default()).unwrap();
    eprintln!(
        "model::solve {:.3}s {:?} {} nodes {}",
        t.elapsed().as_secs_f64(),
        s.status,
        s.objective,
        s.nodes
    );
    let t = Instant::now();
    let r = optimise(&problem, &OptimiseOptions::default()).unwrap();
    eprintln!(
        "optimise {:.3}s {:?} {} (solver {:.3}s)",
        t.elapsed().as_secs_f64(),
        r.status,
        r.value,
        r.seconds
    );
    if std::env::args().nth(2).as_deref() != Some("all") {
        return;
    }
    let quick = OptimiseOptions {
        time_limit: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let t = Instant::now();
    let e = explain(&problem, &r, &quick, |_, _| true);
    let exact = e
        .iter()
        .filter(|x| x.reversed_status == Some(ResultStatus::Optimal))
        .count();
    let resolved = e.iter().filter(|x| x.reversed_status.is_some()).count();
    eprintln!(
        "explain {:.3}s: {resolved} re-solves, {exact} proved",
        t.elapsed().as_secs_f64()
    );
    // The proved values lost, project by project, to compare two builds.
    let lost: Vec<String> = e
        .iter()
        .filter(|x| x.reversed_status == Some(ResultStatus::Optimal))
        .map(|x| format!("{}:{}", x.key, x.value_lost.unwrap_or(f64::NAN)))
        .collect();
    println!("value lost when proved: {}", lost.join(" "));
    let t = Instant::now();
    let points = frontier(&problem, 20, 2.0, &quick, |_, _| true);
    eprintln!("frontier {:.3}s", t.elapsed().as_secs_f64());
    for p in &points {
        eprintln!(
            "  {:.2} {:?} {:?} bound {:?} {:.3}s",
            p.scale, p.status, p.value, p.bound, p.seconds
        );
    }
}
