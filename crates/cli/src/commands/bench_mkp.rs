//! `bench-mkp`: OR-Library multidimensional-knapsack problems solved by the
//! optimiser's one engine, with the value, proof, gap, nodes and time of each.

use std::time::Duration;

use anyhow::Context;
use portfolio_optimise::export::{to_lp, to_mps};
use portfolio_optimise::mkp::{self, InstanceResult};
use portfolio_optimise::model::SolveOptions;

use super::out;
use crate::cli::{BenchMkpArgs, BenchMkpFormat};

pub async fn bench_mkp(args: BenchMkpArgs) -> anyhow::Result<()> {
    let shown = args.file.display().to_string();
    let text =
        std::fs::read_to_string(&args.file).with_context(|| format!("could not read {shown}"))?;
    let mut instances = mkp::parse(&text).with_context(|| format!("could not read {shown}"))?;
    if let Some(first) = args.first {
        instances.truncate(first as usize);
    }
    if let Some(dir) = &args.export {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        let stem = args
            .file
            .file_stem()
            .map_or("mkp".into(), |s| s.to_string_lossy().into_owned());
        for instance in &instances {
            let model = instance.to_model();
            for (ext, text) in [("mps", to_mps(&model)), ("lp", to_lp(&model))] {
                let path = dir.join(format!("{stem}-{}.{ext}", instance.index + 1));
                std::fs::write(&path, text)
                    .with_context(|| format!("could not write {}", path.display()))?;
            }
        }
    }
    let options = SolveOptions {
        time_limit: Duration::from_secs_f64(args.time_limit),
        ..SolveOptions::default()
    };
    let format = args.format;
    let name = shown.clone();
    // Solving is CPU-bound: off the async runtime, one problem after another,
    // each line printed as soon as its problem is done.
    let results = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<InstanceResult>> {
        let mut results = Vec::with_capacity(instances.len());
        if format == BenchMkpFormat::Text {
            out(&format!(
                "{name}: {} problems, time limit {} s each\n",
                instances.len(),
                args.time_limit
            ))?;
        }
        for instance in &instances {
            let result = instance
                .solve(&options)
                .with_context(|| format!("problem {} of {name}", instance.index + 1))?;
            if format == BenchMkpFormat::Text {
                out(&line(&result))?;
            }
            results.push(result);
        }
        Ok(results)
    })
    .await
    .context("the solver stopped unexpectedly")??;
    match args.format {
        BenchMkpFormat::Text => out(&summary(&results)),
        BenchMkpFormat::Json => {
            let report = serde_json::json!({
                "file": shown,
                "time_limit_seconds": args.time_limit,
                "instances": results,
            });
            let mut json =
                serde_json::to_string_pretty(&report).context("could not write the JSON")?;
            json.push('\n');
            out(&json)
        }
    }
}

/// A value as the files write them: whole numbers without decimals, others
/// to at most six decimals (no float round-off such as 8706.099999999999).
fn number(v: f64) -> String {
    let text = format!("{v:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `#1 (6 x 10): 3800 optimal, gap 0.000%, 1 nodes, 0.01 s; stated optimum 3800 (matches)`
fn line(r: &InstanceResult) -> String {
    let value = r.value.map_or("no solution".to_string(), number);
    let proof = if r.proven {
        "optimal".to_string()
    } else {
        format!("not proven ({})", status(r))
    };
    let stated = match (r.stated_optimum, r.matches_stated) {
        (Some(opt), Some(true)) => format!("; stated optimum {} (matches)", number(opt)),
        (Some(opt), _) => format!("; stated optimum {} (DIFFERS)", number(opt)),
        (None, _) => String::new(),
    };
    format!(
        "#{} ({} items x {} constraints): {value} {proof}, gap {:.3}%, {} nodes, {} fixed, {:.2} s{stated}\n",
        r.index + 1,
        r.items,
        r.constraints,
        100.0 * r.gap,
        r.nodes,
        r.fixed_by_reduced_cost,
        r.seconds
    )
}

fn status(r: &InstanceResult) -> &'static str {
    use portfolio_optimise::model::SolveStatus::*;
    match r.status {
        Optimal => "optimal",
        Feasible => "stopped by the time limit",
        Infeasible => "infeasible",
        Unbounded => "unbounded",
        NoSolution => "stopped before finding a solution",
    }
}

fn summary(results: &[InstanceResult]) -> String {
    let proven = results.iter().filter(|r| r.proven).count();
    let stated = results
        .iter()
        .filter(|r| r.stated_optimum.is_some())
        .count();
    let matched = results
        .iter()
        .filter(|r| r.matches_stated == Some(true))
        .count();
    let total: f64 = results.iter().map(|r| r.seconds).sum();
    let mut text = format!(
        "{} problems: {proven} proven optimal, {:.2} s in all",
        results.len(),
        total
    );
    if stated > 0 {
        text.push_str(&format!("; {matched} of {stated} stated optima matched"));
    }
    text.push('\n');
    text
}
