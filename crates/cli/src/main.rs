//! `portfolio`: run the web application and administer it from the command line.
//!
//! This file only parses the arguments, starts logging and hands over to
//! [`commands::run`]; errors are reported by [`report`].

mod checks;
mod cli;
mod commands;
mod config;
mod report;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // Do not wait for blocking tasks still running (e.g. a stdin read).
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if report::is_broken_pipe(&e) => ExitCode::SUCCESS,
        // A setting that cannot work exits like a mistyped option.
        Err(e) => match e.downcast_ref::<checks::ConfigError>() {
            Some(config) => {
                for line in &config.0 {
                    eprintln!("error: {line}");
                }
                ExitCode::from(checks::EXIT_CODE)
            }
            None => {
                report::print(&e);
                ExitCode::FAILURE
            }
        },
    }
}

/// Logs go to stderr (stdout carries command output), filtered by `RUST_LOG`
/// (default `info`), as text or one JSON object per line.
fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
