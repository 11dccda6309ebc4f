//! Carrying out each subcommand by calling the application services.

mod admin;
mod archive;
mod backup;
mod bench_mkp;
mod capacity;
mod changes;
mod duplicates;
mod export;
mod generate;
mod import;
mod merge;
mod notify;
mod optimise;
mod priorities;
mod raid;
mod ranking;
mod reports;
mod restore;
mod serve;

use std::io::Write;

use anyhow::{bail, Context};
use portfolio_app::{App, AppError, ConnectOptions, Settings};

use crate::cli::{Cli, Command, GlobalOptions, OrganisationCommand, PrioritiesCommand};
use crate::config;

/// The embedded database file used unless `--database-url` says otherwise.
pub const DATABASE_FILE: &str = "portfolio.sqlite";

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = &cli.global;
    match cli.command {
        Command::Serve(args) => serve::serve(global, args).await,
        Command::Demo(args) => serve::demo(global, args).await,
        Command::Migrate => migrate(global).await,
        Command::Organisation(OrganisationCommand::List) => admin::list_organisations(global).await,
        Command::User(command) => admin::user(global, command).await,
        Command::Token(command) => admin::token(global, command).await,
        Command::Export(args) => export::export(global, args).await,
        Command::Import(args) => import::import(global, args).await,
        Command::Duplicates(args) => duplicates::duplicates(global, args).await,
        Command::Capacity(args) => capacity::capacity(global, args).await,
        Command::Raid(args) => raid::raid(global, args).await,
        Command::Changes(args) => changes::changes(global, args).await,
        Command::Report(args) => reports::report(global, args).await,
        Command::Notify(args) => notify::notify(global, args).await,
        Command::Priorities(PrioritiesCommand::List(args)) => priorities::list(global, args).await,
        Command::Ranking(args) => ranking::ranking(global, args).await,
        Command::Merge(args) => merge::merge(global, args).await,
        Command::Optimise(args) => optimise::optimise(global, args).await,
        Command::Backup(args) => backup::backup(global, args).await,
        Command::Restore(args) => restore::restore(global, args).await,
        Command::Generate(args) => generate::generate(global, args).await,
        Command::BenchMkp(args) => bench_mkp::bench_mkp(args).await,
    }
}

/// Opens the application on the configured database, applying migrations.
pub async fn open_configured(global: &GlobalOptions) -> anyhow::Result<App> {
    open(&config::database_url(global, DATABASE_FILE)?).await
}

/// Opens the application on `url`, applying migrations. The URL is logged
/// and reported with its password redacted.
pub async fn open(url: &str) -> anyhow::Result<App> {
    let shown = config::redact_url(url);
    tracing::debug!(database = %shown, "opening the database");
    App::open(url, &ConnectOptions::default(), Settings::default())
        .await
        .with_context(|| format!("could not open the database {shown}"))
}

async fn migrate(global: &GlobalOptions) -> anyhow::Result<()> {
    let url = config::database_url(global, DATABASE_FILE)?;
    let app = open(&url).await?;
    app.store.close().await;
    out(&format!(
        "The database is up to date: migrations applied to {}\n",
        config::redact_url(&url)
    ))
}

/// The slug of the database's only organisation; an error naming the
/// choices when there are none or several.
async fn only_organisation(app: &App) -> anyhow::Result<String> {
    let organisations = app
        .store
        .list_organisations()
        .await
        .map_err(AppError::from)?;
    match organisations.as_slice() {
        [only] => Ok(only.slug.clone()),
        [] => bail!("there are no organisations in this database; create one with `portfolio generate` or try `portfolio demo`"),
        several => {
            let slugs: Vec<&str> = several.iter().map(|o| o.slug.as_str()).collect();
            bail!(
                "this database holds {} organisations; choose one with --org: {}",
                several.len(),
                slugs.join(", ")
            )
        }
    }
}

/// Writes to stdout and flushes (a closed pipe is an error, not a panic).
pub fn out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
