//! `portfolio-load`: a bounded mixed load against Portfolio instances.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use portfolio_load::{run, Config, MIX};

/// Bounded mixed load (reads, writes, imports, optimisations) against one or
/// more Portfolio instances on loopback.
#[derive(Debug, Parser)]
#[command(
    name = "portfolio-load",
    about = "Bounded mixed load against one or more Portfolio instances",
    long_about = "Sends a mix of reads (register page, project page, dashboard, API list, RAID \
                  list; 80 %), writes (project updates with If-Match, creations; 15 %), CSV \
                  imports (3 %) and scenario runs (2 %; one at a time, polled to their end or \
                  stopped after --optimise-wait) from --connections \
                  workers, spread over every --url, until --duration has passed or --requests \
                  operations were sent. Prints throughput and p50/p95/p99/max per operation; \
                  a 5xx, a failed connection or an unexpected status is an error, a 412 on an \
                  update is counted as refused stale. Exits with status 1 when there was any \
                  error.\n\n\
                  With --out, writes summary.txt, summary.json, minutes.csv (latency per \
                  minute) and rss.csv (the --pid processes' resident memory every \
                  --sample-every seconds).",
    after_help = "Example:\n  \
                  PORTFOLIO_LOAD_TOKEN=$(cat token.txt) PORTFOLIO_LOAD_PASSWORD=… portfolio-load \\\n    \
                  --url http://127.0.0.1:8080 --url http://127.0.0.1:8081 --email admin@big.example \\\n    \
                  --connections 16 --duration 600 --requests 1000000 --pid 4242 --pid 4243 --out soak/"
)]
struct Args {
    /// Base URL of an instance; repeat for several.
    #[arg(long = "url", value_name = "URL", required = true)]
    urls: Vec<String>,
    /// API token of a user who may edit projects and run scenarios.
    #[arg(
        long,
        env = "PORTFOLIO_LOAD_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: String,
    /// Email of the same user, to sign in for the pages.
    #[arg(long, value_name = "EMAIL")]
    email: String,
    /// Password of the same user.
    #[arg(
        long,
        env = "PORTFOLIO_LOAD_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    password: String,
    /// Concurrent workers, each with one request in flight.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    connections: u16,
    /// Stop after this many seconds…
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    duration: u64,
    /// …or after this many operations, whichever comes first.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    requests: u64,
    /// A server process whose resident memory to sample; repeat for several.
    #[arg(long = "pid", value_name = "PID")]
    pids: Vec<u32>,
    /// Seconds between memory samples.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    sample_every: u64,
    /// Seed of the workers' choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Time limit of each scenario run, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=600))]
    optimise_seconds: u32,
    /// Seconds to wait for a scenario run before asking it to stop.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    optimise_wait: u64,
    /// Folder for summary.txt, summary.json, minutes.csv and rss.csv.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = Config {
        urls: args
            .urls
            .iter()
            .map(|u| u.trim_end_matches('/').to_string())
            .collect(),
        token: args.token,
        email: args.email,
        password: args.password,
        connections: args.connections.into(),
        duration: Duration::from_secs(args.duration),
        max_requests: args.requests,
        pids: args.pids,
        sample_every: Duration::from_secs(args.sample_every),
        seed: args.seed,
        optimise_seconds: args.optimise_seconds,
        optimise_wait: Duration::from_secs(args.optimise_wait),
    };
    let mix = MIX
        .iter()
        .map(|(op, w)| format!("{} {:.1}%", op.name(), f64::from(*w) / 10.0))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!(
        "portfolio-load: {} workers over {} instance(s) for at most {} s or {} operations; mix: {mix}",
        config.connections,
        config.urls.len(),
        args.duration,
        config.max_requests
    );
    let report = run(config).await?;
    let table = report.table();
    print!("{table}");
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        std::fs::write(out.join("summary.txt"), &table)?;
        std::fs::write(
            out.join("summary.json"),
            serde_json::to_string_pretty(&report.to_json())?,
        )?;
        std::fs::write(out.join("minutes.csv"), report.minutes_csv())?;
        std::fs::write(out.join("rss.csv"), report.rss_csv())?;
    }
    if report.errors > 0 {
        std::process::exit(1);
    }
    Ok(())
}
