//! `serve` and `demo`: running the web application.

use std::path::Path;

use anyhow::{bail, Context};
use portfolio_app::auth::check_password_rules;
use portfolio_app::{Actor, App, AppError};
use portfolio_domain::demo;
use portfolio_web::ServeOptions;
use rand::distributions::Alphanumeric;
use rand::Rng;
use tokio::net::TcpListener;

use super::{open, out, DATABASE_FILE};
use crate::checks::{self, ConfigError};
use crate::cli::{DemoArgs, GlobalOptions, ServeArgs};
use crate::config;

/// The demo's embedded database, replaced on every run.
const DEMO_DATABASE_FILE: &str = "demo.sqlite";
/// Environment variable holding the demo administrator's password.
const DEMO_PASSWORD_ENV: &str = "PORTFOLIO_DEMO_PASSWORD";
const RANDOM_PASSWORD_LENGTH: usize = 20;

pub async fn serve(global: &GlobalOptions, args: ServeArgs) -> anyhow::Result<()> {
    // Everything that can be checked without the database first, then the
    // database, single sign-on and the listeners: any mistake stops the
    // server before it listens, with exit code 2.
    checks::check_serve(global, &args)?;
    let url = config::database_url(global, DATABASE_FILE)?;
    let mut app = open(&url).await.map_err(|e| {
        let (option, env) = checks::DATABASE_URL;
        let cause = crate::report::lines(&e)
            .join(" ")
            .trim_start_matches("error: ")
            .to_string();
        ConfigError::one(format!("{}: {cause}", checks::setting(option, env)))
    })?;
    app.settings.run_stale_after = std::time::Duration::from_secs(args.run_stale_after);
    let app = with_sso(app, &args.sso)
        .await
        .map_err(|e| ConfigError::one(format!("{e:#}")))?;
    let listener = bind(&args.listen, checks::LISTEN).await?;
    let metrics_listener = match args.metrics_listen.as_deref().map(str::trim) {
        Some(address) if !address.is_empty() => Some(bind(address, checks::METRICS_LISTEN).await?),
        _ => None,
    };
    fail_abandoned_runs(&app).await?;
    let notifier = Notifier::new(&args.mail, &listener, args.notify_every)
        .map_err(|e| ConfigError::one(format!("{e:#}")))?;
    run(
        app,
        &url,
        listener,
        metrics_listener,
        ServeOptions {
            secure_cookies: args.secure_cookies,
            trust_forwarded_for: args.trust_forwarded_for,
        },
        notifier,
    )
    .await
}

/// The notifications a server sends while it runs.
struct Notifier {
    mailer: Option<portfolio_app::notifications::Mailer>,
    every: std::time::Duration,
}

impl Notifier {
    fn new(
        args: &crate::cli::MailArgs,
        listener: &TcpListener,
        every_seconds: u64,
    ) -> anyhow::Result<Notifier> {
        let address = listener
            .local_addr()
            .context("could not read the address being listened on")?;
        Ok(Notifier {
            mailer: super::notify::mailer(args, &format!("http://{address}"))?,
            every: std::time::Duration::from_secs(every_seconds),
        })
    }
}

pub async fn demo(global: &GlobalOptions, args: DemoArgs) -> anyhow::Result<()> {
    let configured_password = demo_password_from_env()?;
    // Bind first, so a port in use fails before any work is done.
    let listener = bind(&args.listen, checks::LISTEN).await?;
    let url = match global.database_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => url.to_string(),
        _ => {
            let path = config::default_sqlite_path(&global.data_dir, DEMO_DATABASE_FILE)?;
            remove_sqlite_files(&path)?;
            config::sqlite_url(&path)
        }
    };
    let app = open(&url).await?;
    fail_abandoned_runs(&app).await?;

    let sign_in = match app
        .store
        .organisation_by_slug(demo::ORGANISATION_SLUG)
        .await
    {
        Ok(org) => {
            let projects = app
                .store
                .all_projects(org.id)
                .await
                .map_err(AppError::from)?;
            out(&format!(
                "Reusing the demo council already in {}\n\
                 Demo council: {} ({} projects)\n",
                config::redact_url(&url),
                org.name,
                projects.len()
            ))?;
            match configured_password {
                Some(password) => {
                    for email in [demo::ADMIN_EMAIL, demo::LEAD_EMAIL] {
                        app.set_password(email, &password, &Actor::system("demo"))
                            .await?;
                    }
                    Some(password)
                }
                None => None,
            }
        }
        Err(portfolio_store::StoreError::NotFound { .. }) => {
            let password = configured_password.unwrap_or_else(random_password);
            let seed = app
                .seed_demo_council(&password, !args.from_spreadsheets)
                .await?;
            out(&format!(
                "Demo council: {} ({} projects)\n",
                demo::ORGANISATION_NAME,
                seed.projects
            ))?;
            if !args.from_spreadsheets {
                // Run the demo's scenarios while the server starts, so their
                // programmes are ready to read; their pages show the progress.
                let caller = app
                    .command_line_caller(demo::ORGANISATION_SLUG, "demo")
                    .await?;
                for draft in demo::scenarios::scenarios() {
                    let slug = portfolio_domain::text::slugify(&draft.name);
                    app.start_scenario_run(&caller, &slug).await?;
                }
                out("Running the demo's two scenarios in the background (see Scenarios)\n")?;
            }
            Some(password)
        }
        Err(e) => return Err(AppError::from(e)).context("could not look for the demo council"),
    };
    let sheets = write_demo_spreadsheets(&global.data_dir)?;
    out(&format!(
        "The departments' spreadsheets it was consolidated from: {}\n",
        sheets.display()
    ))?;
    if args.from_spreadsheets {
        out(&format!(
            "The register is empty: import them on the Import page, or with\n  \
             portfolio import --org {} --database-url '{}' {}/*\n",
            demo::ORGANISATION_SLUG,
            config::redact_url(&url),
            sheets.display()
        ))?;
    }
    match sign_in {
        Some(password) => out(&format!(
            "Sign in as {} with password: {password}\n\
             A department lead, who submits priorities: {} with the same password\n",
            demo::ADMIN_EMAIL,
            demo::LEAD_EMAIL
        ))?,
        None => out(&format!(
            "Sign in as {} with the password it was given before \
             (set {DEMO_PASSWORD_ENV} to reset it)\n\
             A department lead, who submits priorities: {} with the same password\n",
            demo::ADMIN_EMAIL,
            demo::LEAD_EMAIL
        ))?,
    }
    let app = with_sso(app, &args.sso).await?;
    let notifier = Notifier::new(&args.mail, &listener, 60)?;
    run(app, &url, listener, None, ServeOptions::default(), notifier).await
}

/// The app with single sign-on set up, when an issuer is configured: the
/// settings are checked and the provider's metadata read now, so a mistake
/// stops the server with a message rather than failing at the first sign-in.
async fn with_sso(app: App, args: &crate::cli::SsoArgs) -> anyhow::Result<App> {
    let organisations: Vec<String> = app
        .store
        .list_organisations()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|o| o.slug)
        .collect();
    let Some(settings) = config::sso_settings(args, &organisations)? else {
        return Ok(app);
    };
    let issuer = settings.issuer.clone();
    let sso = portfolio_app::sso::Sso::connect(&app, settings)
        .await
        .map_err(|e| anyhow::anyhow!("single sign-on: {e}"))?;
    out(&format!("Single sign-on through {issuer}\n"))?;
    Ok(app.with_sso(sso))
}

/// Writes the demo's departmental spreadsheets into `<data-dir>/demo-spreadsheets/`,
/// replacing what an earlier run wrote there.
fn write_demo_spreadsheets(data_dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let dir = data_dir.join("demo-spreadsheets");
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    for file in portfolio_app::demo::demo_spreadsheets() {
        let path = dir.join(&file.name);
        std::fs::write(&path, &file.bytes)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    Ok(dir)
}

/// The demo password from the environment, checked against the password rules.
fn demo_password_from_env() -> anyhow::Result<Option<String>> {
    let Some(value) = std::env::var_os(DEMO_PASSWORD_ENV) else {
        return Ok(None);
    };
    let Ok(password) = value.into_string() else {
        bail!("{DEMO_PASSWORD_ENV} is not valid UTF-8");
    };
    if let Err(message) = check_password_rules(&password) {
        bail!("{DEMO_PASSWORD_ENV} {message}");
    }
    Ok(Some(password))
}

/// A random password of letters and digits from the thread's CSPRNG.
fn random_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(RANDOM_PASSWORD_LENGTH)
        .map(char::from)
        .collect()
}

/// Deletes an SQLite database and its write-ahead log, so it starts clean.
fn remove_sqlite_files(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "could not delete the old demo database {}",
                        Path::new(&file).display()
                    )
                })
            }
        }
    }
    Ok(())
}

/// Marks scenario runs whose worker died with an earlier process as failed.
/// An embedded SQLite database has one server, so every run still "running"
/// is abandoned; instances sharing PostgreSQL leave each other's live runs
/// alone (a live run's worker reports four times within the stale period).
/// While serving, [`App::spawn_stale_run_check`] keeps looking.
async fn fail_abandoned_runs(app: &App) -> anyhow::Result<()> {
    let grace = match app.store.backend() {
        portfolio_app::Backend::Sqlite => 0,
        portfolio_app::Backend::Postgres => {
            i64::try_from(app.settings.run_stale_after.as_secs()).unwrap_or(i64::MAX)
        }
    };
    let failed = app.fail_abandoned_runs(grace).await?;
    if failed > 0 {
        tracing::warn!(
            failed,
            "scenario runs left unfinished by an earlier process marked failed"
        );
    }
    Ok(())
}

/// Listens on `address`, given by `setting` (`--listen` or `--metrics-listen`).
async fn bind(address: &str, (option, env): (&str, &str)) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address.trim()).await.map_err(|e| {
        ConfigError::one(format!(
            "{}: could not listen on {address}: {e} (is another program using it? choose another address)",
            checks::setting(option, env)
        ))
        .into()
    })
}

/// Announces the address (tests and scripts read this line) and serves.
async fn run(
    app: App,
    url: &str,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    options: ServeOptions,
    notifier: Notifier,
) -> anyhow::Result<()> {
    let address = listener
        .local_addr()
        .context("could not read the address being listened on")?;
    // Held while serving, so that `restore` refuses to replace the database.
    let _in_use = super::restore::mark_in_use(url)?;
    out(&format!("Listening on http://{address}\n"))?;
    if let Some(metrics) = &metrics_listener {
        let metrics = metrics
            .local_addr()
            .context("could not read the metrics address")?;
        out(&format!("Metrics on http://{metrics}/metrics\n"))?;
    }
    tracing::info!(
        %address,
        database = %config::redact_url(url),
        secure_cookies = options.secure_cookies,
        "serving"
    );
    let notifications = super::notify::spawn_notifier(app.clone(), notifier.mailer, notifier.every);
    let stale_runs = app.spawn_stale_run_check();
    let served = serve_web(app, listener, options, metrics_listener).await;
    notifications.abort();
    stale_runs.abort();
    served.context("the web server stopped with an error")?;
    tracing::info!("stopped");
    Ok(())
}

/// The one call into the web crate: serves until Ctrl-C or SIGTERM.
async fn serve_web(
    app: App,
    listener: TcpListener,
    options: ServeOptions,
    metrics_listener: Option<TcpListener>,
) -> std::io::Result<()> {
    portfolio_web::serve(app, listener, options, metrics_listener).await
}
