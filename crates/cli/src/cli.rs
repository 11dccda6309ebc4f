//! The command line: every option, subcommand and help text, declared with clap.
//!
//! Nothing here does any work; `commands` carries each subcommand out.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Default address the web server listens on: this machine only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

const MAIN_AFTER_HELP: &str = "\
Getting started:
  portfolio demo                 Try it out: a demo council on http://127.0.0.1:8080
  portfolio migrate              Create or upgrade the database
  portfolio serve                Run the web application

Configuration can also come from environment variables (shown as [env: …]).
Set the log level with RUST_LOG, for example RUST_LOG=debug (default: info).
Run `portfolio <COMMAND> --help` for details and examples of each command.";

/// Portfolio: a register of an organisation's projects, with a web
/// application and a JSON API.
#[derive(Debug, Parser)]
#[command(
    name = "portfolio",
    version,
    about = "Portfolio: one register of an organisation's projects, on the web and as an API",
    long_about = "Portfolio keeps one register of an organisation's projects (stage, \
                  delivery confidence, costs, themes) and serves it as GOV.UK-style web \
                  pages and a JSON API.\n\n\
                  This command runs the web server and does the administration around it: \
                  preparing the database, adding users, issuing API tokens, exporting the \
                  register and taking backups.\n\n\
                  By default everything is stored in an embedded SQLite database in ./data; \
                  point --database-url at PostgreSQL for larger deployments.",
    after_help = MAIN_AFTER_HELP,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// Database to use: sqlite://PATH (embedded) or postgres://USER:PASSWORD@HOST/NAME.
    /// Default: `sqlite://<data-dir>/portfolio.sqlite`
    #[arg(
        long,
        env = "PORTFOLIO_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Folder for the embedded database (created if missing).
    #[arg(
        long,
        env = "PORTFOLIO_DATA_DIR",
        global = true,
        hide_env_values = true,
        value_name = "DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,

    /// Format of log messages written to stderr (set the level with RUST_LOG).
    #[arg(
        long,
        env = "PORTFOLIO_LOG_FORMAT",
        global = true,
        hide_env_values = true,
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web application.
    #[command(
        long_about = "Run the web application: the pages and the JSON API under /api/v1.\n\n\
                      Opens the database (applying any pending migrations), listens on the \
                      given address and prints `Listening on http://ADDRESS`. Stops cleanly \
                      on Ctrl-C or SIGTERM, finishing requests in flight.\n\n\
                      Every option is checked before anything starts: a setting that cannot \
                      work (an address, a URL, an unreachable database, half the single \
                      sign-on settings, a data directory that cannot be written) stops it \
                      with one line naming the option and why, and exit code 2.",
        after_help = "Examples:\n  \
                      portfolio serve\n  \
                      portfolio serve --listen 0.0.0.0:8080 --secure-cookies\n  \
                      portfolio serve --metrics-listen 127.0.0.1:9464\n  \
                      PORTFOLIO_DATABASE_URL=postgres://portfolio@db/portfolio portfolio serve"
    )]
    Serve(ServeArgs),

    /// Try Portfolio out with a demo council (a fresh database each time).
    #[command(
        long_about = "Build the demo council, Northmere County Council with 76 projects, in a \
                      fresh embedded database (<data-dir>/demo.sqlite, replaced on every run) \
                      and serve it.\n\n\
                      The five departmental spreadsheets the demo programme was consolidated \
                      from are written to <data-dir>/demo-spreadsheets/: 100 rows in five \
                      shapes, 24 of them describing a project a second time. With \
                      --from-spreadsheets the council starts with an empty register, to import \
                      them (on the Import page, or with `portfolio import`) and consolidate \
                      them on the Possible duplicates page.\n\n\
                      The administrator's password is PORTFOLIO_DEMO_PASSWORD if set (at least \
                      12 characters), otherwise a random one; it is printed with the sign-in \
                      email. With an explicit --database-url the demo is built there instead, \
                      and reused if that database already holds it.",
        after_help = "Examples:\n  \
                      portfolio demo\n  \
                      portfolio demo --listen 127.0.0.1:3000 --data-dir /tmp/portfolio-demo\n  \
                      PORTFOLIO_DEMO_PASSWORD='a long demo password' portfolio demo\n  \
                      portfolio demo --from-spreadsheets"
    )]
    Demo(DemoArgs),

    /// Create the database tables, or upgrade them to this version.
    #[command(
        long_about = "Create the database tables, or upgrade them to this version of Portfolio. \
                      Safe to run more than once: migrations already applied are skipped. \
                      `serve` does this too when it starts.",
        after_help = "Examples:\n  \
                      portfolio migrate\n  \
                      portfolio migrate --database-url postgres://portfolio@db/portfolio"
    )]
    Migrate,

    /// Organisations in the database.
    #[command(
        subcommand,
        long_about = "Organisations in the database. Each organisation has its own projects, \
                      departments, themes and users; commands name one by its slug.",
        after_help = "Example:\n  portfolio organisation list"
    )]
    Organisation(OrganisationCommand),

    /// Add, list, disable and re-enable users, and set their passwords.
    #[command(
        subcommand,
        long_about = "Manage the people who can sign in. Passwords are read from the \
                      PORTFOLIO_PASSWORD environment variable or, if it is not set, from one \
                      line on standard input; never from an option, which other users of the \
                      machine could see.",
        after_help = "Examples:\n  \
                      portfolio user list --org northmere\n  \
                      PORTFOLIO_PASSWORD='a long password' portfolio user add --org northmere \\\n      \
                      --email jo@example.org --name 'Jo Bloggs' --role editor"
    )]
    User(UserCommand),

    /// Create, list and revoke API tokens.
    #[command(
        subcommand,
        long_about = "API tokens let scripts use the JSON API as a user (send it as \
                      `Authorization: Bearer TOKEN`). A token never does more than its user's \
                      role allows, and its scope narrows that: read (reads only), write (also \
                      changes the programme) or admin (also users and settings). Tokens expire \
                      (90 days unless --expires-in-days says otherwise, at most 366).",
        after_help = "Examples:\n  \
                      portfolio token create --user jo@example.org --name 'Monthly report' --scope read\n  \
                      portfolio token list\n  \
                      portfolio token revoke 12"
    )]
    Token(TokenCommand),

    /// Export an organisation's project register as JSON or CSV.
    #[command(
        long_about = "Export a register of an organisation: the projects (the default), the \
                      RAID register, the decision log or the board's actions, as JSON, CSV or \
                      XLSX. Writes to standard output unless --output names a file (XLSX always \
                      needs --output).\n\n\
                      The projects' CSV has one row per project with costs totalled in pence; \
                      their XLSX has typed cells (dates, £ amounts, yes/no), costs per financial \
                      year, a frozen header and filters, and imports back unchanged with \
                      `portfolio import`. CSV cells that a spreadsheet would run as a formula \
                      are prefixed with an apostrophe.\n\n\
                      With --all, the whole database instead: every organisation and every \
                      table, the audit trail and users' password hashes included, as JSON \
                      lines that `portfolio import --all` reads into an empty SQLite or \
                      PostgreSQL database of the same schema version (ids kept). Signed-in \
                      sessions and single sign-on logins in progress are left out: everyone \
                      signs in again. An existing file is never overwritten.",
        after_help = "Examples:\n  \
                      portfolio export --org northmere --format csv --output register.csv\n  \
                      portfolio export raid --format xlsx --out raid.xlsx\n  \
                      portfolio export --format json | jq length\n  \
                      portfolio export --all --output portfolio-archive.jsonl"
    )]
    Export(ExportArgs),

    /// Import departments' spreadsheets (CSV or XLSX) into an organisation's register.
    #[command(
        long_about = "Import projects from departments' spreadsheets: CSV (UTF-8 or Windows-1252, \
                      comma or semicolon) or XLSX (every sheet, or the one --sheet names).\n\n\
                      Column headers are recognised whatever their wording (\"Scheme\", \
                      \"Directorate\", \"Cost (£k)\"); a mapping file (JSON or TOML) can say \
                      which header holds which field. Money such as \"£1.2m\" or \"350k\", \
                      British dates and \"tbc\" are understood. Department, stage, confidence and \
                      themes must name the organisation's own; a near miss is reported with a \
                      suggestion, not guessed.\n\n\
                      All or nothing: if any row has a problem nothing is written, and every \
                      problem is listed with its file, sheet, row, column, value and reason \
                      (exit code 1). With --valid-only the rows without problems are imported \
                      and the others are left out; --rejected FILE writes them as CSV with a \
                      reason column, to correct and import again. Without --mapping, the \
                      mapping saved for the source (on the import page or through the API) \
                      is used. Importing the same source again updates the projects it \
                      created before instead of duplicating them; rows are matched by their ID \
                      column, or by title when there is none. The source is each file's name \
                      unless --source names one.\n\n\
                      A single cost column becomes one cost line in the financial year of the \
                      start date (or the current one when there is no start date), as capital \
                      unless its header says revenue.\n\n\
                      With --all, FILE is an archive written by `portfolio export --all`: the \
                      whole database is imported, in one transaction, into a database that must \
                      be empty (it is migrated first); a malformed archive is refused with the \
                      line and the reason, and nothing is written.",
        after_help = "Examples:\n  \
                      portfolio import health.csv --org northmere --dry-run\n  \
                      portfolio import budgets.xlsx --org northmere --sheet 'Health and Care'\n  \
                      portfolio import *.csv --org northmere --mapping columns.toml --format json\n  \
                      portfolio import --all portfolio-archive.jsonl --database-url postgres://portfolio@db/portfolio\n\n\
                      A mapping file (columns.toml):\n  \
                      [columns]\n  \
                      \"Scheme\" = \"title\"\n  \
                      \"Directorate\" = \"department\"\n  \
                      \"Notes\" = \"ignore\""
    )]
    Import(ImportArgs),

    /// List likely duplicate projects in an organisation's register, for review.
    #[command(
        long_about = "List pairs of projects that may describe the same work, most likely \
                      first, with a likelihood and the reasons: shared title or summary words \
                      (abbreviations such as \"mgmt\" and word order do not matter), the same \
                      department or themes, close costs, overlapping dates. Withdrawn and merged \
                      projects are left out.\n\n\
                      These are suggestions for the programme office to review; nothing is \
                      changed. Text output is one pair a line: \
                      `DP-012 Title ~ DP-040 Title (83%): reason; reason`.",
        after_help = "Examples:\n  \
                      portfolio duplicates --org northmere\n  \
                      portfolio duplicates --org northmere --limit 10 --format json | jq '.[0].reasons'"
    )]
    Duplicates(DuplicatesArgs),

    /// Show supply against demand per resource pool and quarter (the heat map).
    #[command(
        long_about = "Show the capacity heat map of the current plan: for each resource pool \
                      and quarter, the demand of the active projects with a start date (each \
                      plan's demand placed from the quarter its project starts in) against the \
                      pool's supply, with the utilisation and a level: under (below 85%), near \
                      (85% to 100%) or over capacity. Nothing is changed.",
        after_help = "Examples:\n  \
                      portfolio capacity --org northmere\n  \
                      portfolio capacity --org northmere --from 2027/28 --quarters 8\n  \
                      portfolio capacity --org northmere --format json | jq '.rows[0].cells[0]'"
    )]
    Capacity(CapacityArgs),

    /// List the RAID register (risks, assumptions, issues, dependencies), or its heat map.
    #[command(
        long_about = "List the RAID register of an organisation: its open risks, assumptions, \
                      issues and dependencies (or those the filters choose), each with its \
                      owner, current score and rating for risks, and whether its review is \
                      overdue; or, with --heat-map, the open risks counted on the 5×5 matrix \
                      by current and target score. Nothing is changed.",
        after_help = "Examples:\n  \
                      portfolio raid --org northmere\n  \
                      portfolio raid --org northmere --kind risk --rating very_high\n  \
                      portfolio raid --org northmere --overdue\n  \
                      portfolio raid --org northmere --heat-map\n  \
                      portfolio raid --org northmere --format json | jq '.[0].title'"
    )]
    Raid(RaidArgs),

    /// What changed between two dates: projects, stages, confidence, costs, dates, risks, decisions.
    #[command(
        long_about = "What changed in an organisation from the start of --since to the end of \
                      --until (UTC days, both included; --until defaults to today), read from \
                      the audit trail: new projects, stage moves, delivery confidence, cost and \
                      date changes, risks opened, closed and re-scored, and decisions taken. A \
                      change made and undone within the period is no change. The same as the \
                      What changed page and GET /api/v1/changes. Nothing is changed.",
        after_help = "Examples:\n  \
                      portfolio changes --org northmere --since 2026-03-01\n  \
                      portfolio changes --org northmere --since 2026-03-01 --until 2026-03-31\n  \
                      portfolio changes --org northmere --since 2026-03-01 --format json | jq .counts"
    )]
    Changes(ChangesArgs),

    /// Write a board pack or Cabinet report as at a date, as Word (DOCX), PDF or HTML.
    #[command(
        long_about = "Write a board pack or a Cabinet report of an organisation as at the end \
                      of --as-at: the programme summary (projects by stage and department), \
                      the changes since the previous board or report, decisions required, \
                      delivery confidence, top risks with the heat map, spend and capacity \
                      against budget and the roadmap, with charts. Every total is checked to \
                      add up first; a failed check writes nothing. The same document as the \
                      Reports page and GET /api/v1/report. An existing --out file is never \
                      overwritten.",
        after_help = "Examples:\n  \
                      portfolio report board --as-at 2026-12-01 --format docx --out board.docx\n  \
                      portfolio report cabinet --as-at 2026-12-01 --format pdf --out cabinet.pdf\n  \
                      portfolio report cabinet --as-at 2026-12-01 --format html --out cabinet.html\n  \
                      portfolio report board --as-at 2026-12-01 --meeting 3 --format docx --out pack.docx"
    )]
    Report(ReportArgs),

    /// Store the risk review reminders that are due and send waiting notification emails, once.
    #[command(
        long_about = "Store the risk review reminders that are due (a risk's owner is told from \
                      a week before its review date) and send the notification emails that are \
                      waiting, once, for every organisation: what `serve` does every \
                      --notify-every seconds, for running from a scheduler instead. Running it \
                      twice tells nobody twice. Without --smtp-url nothing is emailed and the \
                      notifications stay in the app.",
        after_help = "Examples:\n  \
                      portfolio notify\n  \
                      portfolio notify --smtp-url smtp://relay.council.example:25 \
                      --mail-from 'Portfolio <portfolio@council.example>' \
                      --public-url https://portfolio.council.example"
    )]
    Notify(NotifyArgs),

    /// Merge duplicate projects into one, keeping lineage; or undo a merge.
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        long_about = "Merge projects that describe the same work: the survivor continues, the \
                      others keep their own values, move to the merged stage and link to the \
                      survivor. Each field keeps the survivor's value unless --take names another \
                      project's or --combine combines them (costs added year by year, themes and \
                      tags united, summaries joined with a blank line, sponsors and managers \
                      named together, the earliest start and the latest end date).\n\n\
                      Fields: title, summary, department, themes, stage, phase, sponsor, manager, \
                      start_date, end_date, costs, confidence, tags, published.\n\n\
                      One transaction with audit records; prints the merge's id, with which \
                      `portfolio merge undo` restores every project, unless one has changed since.",
        after_help = "Examples:\n  \
                      portfolio merge --org northmere --survivor DP-012 --merge DP-040 \\\n      \
                      --take title=DP-040 --combine costs --combine summary\n  \
                      portfolio merge --org northmere --survivor DP-012 --merge DP-040 --merge DP-041 --format json\n  \
                      portfolio merge undo --org northmere 3"
    )]
    Merge(MergeArgs),

    /// Priorities departments submitted, and how the programme office triaged them.
    #[command(
        subcommand,
        long_about = "Priorities are the new or changed pieces of digital work that department \
                      leads submit (on the Submit a priority page or with POST /api/v1/priorities). \
                      The programme office triages each one: accepts it into the register as a \
                      project at stage concept, links it to an existing project as a change, or \
                      declines it with a reason.",
        after_help = "Examples:\n  \
                      portfolio priorities list --org northmere\n  \
                      portfolio priorities list --org northmere --status submitted --format json"
    )]
    Priorities(PrioritiesCommand),

    /// Run a scenario: choose the programme worth most within its limits, and explain it.
    #[command(
        long_about = "Run a scenario's optimisation and print the recommended programme: which \
                      projects are chosen and the quarter each starts, why each other project \
                      waits, spend against budget per year, and what one more unit of each \
                      resource pool or £100,000 on each budget line would buy. The run and its \
                      result are saved, as when the scenario is run from its page, and shown \
                      there. Scenarios are kept on the Scenarios page or with /api/v1/scenarios. \
                      With --recommend a successful run becomes the organisation's recommended \
                      scenario, whose programme board packs and Cabinet reports show.",
        after_help = "Examples:\n  \
                      portfolio optimise --org northmere --scenario \"Current funding\"\n  \
                      portfolio optimise --org northmere --scenario \"Current funding\" --recommend\n  \
                      portfolio optimise --org northmere --scenario with-recovery-investment --format json"
    )]
    Optimise(OptimiseArgs),

    /// The programme's projects ranked by priority score under the scoring model.
    #[command(
        long_about = "Rank the organisation's projects by priority score (0 to 100) under the \
                      current version of its scoring model. Text output is one project a line: \
                      `rank code score title`, each criterion's contribution, then the projects \
                      not yet assessed on every criterion.",
        after_help = "Examples:\n  \
                      portfolio ranking --org northmere\n  \
                      portfolio ranking --org northmere --format json | jq '.entries[0]'"
    )]
    Ranking(RankingArgs),

    /// Copy the embedded database to a file, safely while the server runs.
    #[command(
        long_about = "Write a consistent copy of the embedded SQLite database to a new file, \
                      safe to run while the server is serving. Refuses to overwrite an \
                      existing file.\n\n\
                      For PostgreSQL, back up with pg_dump instead.",
        after_help = "Examples:\n  \
                      portfolio backup --output backups/portfolio-2024-04-01.sqlite\n  \
                      portfolio export --database-url sqlite://backups/portfolio-2024-04-01.sqlite"
    )]
    Backup(BackupArgs),

    /// Put an SQLite backup back in place of the database (with the server stopped).
    #[command(
        long_about = "Replace the embedded SQLite database with a backup made by `portfolio \
                      backup`. Stop the server first: restore refuses while a server is using \
                      the database.\n\n\
                      The backup is checked before anything is replaced: it must open as \
                      SQLite, pass SQLite's integrity check and come from this build or an \
                      older one (a backup from a newer build is refused; an older one is \
                      migrated forward). It is copied beside the database, checked, flushed to \
                      disk and only then renamed over it, so a refused or interrupted restore \
                      leaves the database as it was. An existing database is only replaced \
                      with --force.\n\n\
                      For PostgreSQL, restore a pg_dump archive with pg_restore instead.",
        after_help = "Examples:\n  \
                      portfolio restore --from backups/portfolio-2024-04-01.sqlite --force\n  \
                      portfolio restore --from backup.sqlite --database-url sqlite:///srv/portfolio/new.sqlite"
    )]
    Restore(RestoreArgs),

    /// Create a large synthetic organisation, for benchmarks and load tests.
    #[command(
        long_about = "Create an organisation filled with N generated projects (the demo's \
                      catalogue repeated, deterministic for a seed), plus an administrator \
                      admin@<slug>.example whose password is read from PORTFOLIO_PASSWORD.\n\n\
                      Meant for benchmarks and load tests, not for real data.",
        after_help = "Example:\n  \
                      PORTFOLIO_PASSWORD='a long password' portfolio generate \\\n      \
                      --org big --name 'Big County Council' --projects 10000"
    )]
    Generate(GenerateArgs),

    /// Solve OR-Library multidimensional-knapsack files with the optimiser's engine.
    #[command(
        name = "bench-mkp",
        long_about = "Read an OR-Library 0-1 multidimensional knapsack file (mknap1.txt or \
                      mknapcb1.txt to mknapcb9.txt: the number of problems, then for each \
                      `n m optimum`, the profits, the m rows of weights and the capacities) and \
                      solve every problem with the same engine as the scenarios: a greedy \
                      and local-search start, reduced-cost fixing, then the engine's own \
                      branch and bound (small pure 0/1 models, as these are) or HiGHS, \
                      one thread and no gap.\n\n\
                      Prints, per problem, the value found, whether it is proven optimal, the \
                      gap to the best bound, the branch-and-bound nodes and the time, and the \
                      optimum the file states when it gives one (mknapcb files give none). \
                      Needs no database.",
        after_help = "Examples:\n  \
                      portfolio bench-mkp mknap1.txt\n  \
                      portfolio bench-mkp mknapcb1.txt --first 10 --time-limit 60\n  \
                      portfolio bench-mkp mknap1.txt --export models/   # MPS and LP files too\n  \
                      portfolio bench-mkp mknapcb1.txt --first 3 --format json | jq '.instances[].seconds'"
    )]
    BenchMkp(BenchMkpArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (use port 0 for any free port).
    #[arg(
        long,
        env = "PORTFOLIO_LISTEN",
        hide_env_values = true,
        value_name = "ADDR",
        default_value = DEFAULT_LISTEN
    )]
    pub listen: String,

    /// Mark cookies Secure and send HSTS: set this when users reach Portfolio over HTTPS
    /// (for example behind a TLS-terminating proxy).
    #[arg(long, env = "PORTFOLIO_SECURE_COOKIES", hide_env_values = true)]
    pub secure_cookies: bool,

    /// Take each client's address from the last X-Forwarded-For entry, for throttling
    /// sign-in attempts per address: set this only behind a reverse proxy that appends it.
    #[arg(long, env = "PORTFOLIO_TRUST_FORWARDED_FOR", hide_env_values = true)]
    pub trust_forwarded_for: bool,

    /// Serve Prometheus metrics at `/metrics` on this address, a listener of its own
    /// (keep it private, such as 127.0.0.1:9464; the main listener never serves them).
    /// Without it, no metrics are served.
    #[arg(
        long,
        env = "PORTFOLIO_METRICS_LISTEN",
        hide_env_values = true,
        value_name = "ADDR"
    )]
    pub metrics_listen: Option<String>,

    #[command(flatten)]
    pub mail: MailArgs,

    #[command(flatten)]
    pub sso: SsoArgs,

    /// How often, in seconds, to look for risk reviews falling due and send waiting emails.
    #[arg(
        long,
        env = "PORTFOLIO_NOTIFY_EVERY",
        hide_env_values = true,
        value_name = "SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub notify_every: u64,

    /// After how many seconds without word from a scenario run's worker the run is taken
    /// to have died with its server and is marked failed (by any instance on the database).
    #[arg(
        long,
        env = "PORTFOLIO_RUN_STALE_AFTER",
        hide_env_values = true,
        value_name = "SECONDS",
        default_value_t = 120,
        value_parser = clap::value_parser!(u64).range(4..=86_400)
    )]
    pub run_stale_after: u64,
}

/// Single sign-on through OpenID Connect. Without --oidc-issuer, users sign in with passwords only.
/// The client secret is read from the PORTFOLIO_OIDC_CLIENT_SECRET environment variable only
/// (never an option, which other users of the machine could see).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Single sign-on (OpenID Connect)")]
pub struct SsoArgs {
    /// The identity provider's issuer URL, for example
    /// `https://login.microsoftonline.com/TENANT-ID/v2.0` for Microsoft Entra ID.
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_ISSUER",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub oidc_issuer: Option<String>,

    /// The client (application) id Portfolio is registered with at the provider.
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_CLIENT_ID",
        hide_env_values = true,
        value_name = "ID"
    )]
    pub oidc_client_id: Option<String>,

    /// Portfolio's callback address, registered at the provider:
    /// `https://portfolio.council.example/sign-in/oidc/callback`
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_REDIRECT_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub oidc_redirect_url: Option<String>,

    /// Scopes to ask for, separated by spaces.
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_SCOPES",
        hide_env_values = true,
        value_name = "SCOPES",
        default_value = "openid email profile"
    )]
    pub oidc_scopes: String,

    /// The ID-token claim that lists the user's groups (a dotted path such as
    /// realm_access.roles reaches into an object).
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_GROUPS_CLAIM",
        hide_env_values = true,
        value_name = "CLAIM",
        default_value = "groups"
    )]
    pub oidc_groups_claim: String,

    /// Which group gives which role: GROUP=ROLE pairs separated by commas, most powerful
    /// first (the first that matches wins), for example "portfolio-admins=admin,pmo=editor".
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_GROUP_ROLES",
        hide_env_values = true,
        value_name = "MAPPING"
    )]
    pub oidc_group_roles: Option<String>,

    /// The role of a user in none of the mapped groups; without it they are refused.
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_DEFAULT_ROLE",
        hide_env_values = true,
        value_name = "ROLE"
    )]
    pub oidc_default_role: Option<String>,

    /// Create an account the first time someone signs in with their work account
    /// (true or false). When false, an administrator adds users first.
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_CREATE_USERS",
        hide_env_values = true,
        value_name = "BOOL",
        default_value_t = false,
        action = clap::ArgAction::Set
    )]
    pub oidc_create_users: bool,

    /// The slug of the organisation single-sign-on users belong to (see
    /// `portfolio organisation list`); may be left out when there is only one.
    #[arg(
        long,
        env = "PORTFOLIO_OIDC_ORGANISATION",
        hide_env_values = true,
        value_name = "SLUG"
    )]
    pub oidc_organisation: Option<String>,
}

/// Where notification emails go. Without --smtp-url, notifications are shown in the app only.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// SMTP server for notification emails: smtp://relay.council.example:25 (a relay that
    /// takes mail without signing in), smtp://USER:PASSWORD@smtp.example:587?tls=required
    /// (STARTTLS), or smtps://USER:PASSWORD@smtp.example:465. Never logged.
    #[arg(
        long,
        env = "PORTFOLIO_SMTP_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub smtp_url: Option<String>,

    /// The sender of notification emails.
    #[arg(
        long,
        env = "PORTFOLIO_MAIL_FROM",
        hide_env_values = true,
        value_name = "ADDRESS",
        default_value = "Portfolio <portfolio@localhost>"
    )]
    pub mail_from: String,

    /// The address people open Portfolio at, for the links in emails
    /// (default: http:// and the address listened on).
    #[arg(
        long,
        env = "PORTFOLIO_PUBLIC_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub public_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    #[command(flatten)]
    pub mail: MailArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on (use port 0 for any free port).
    #[arg(
        long,
        env = "PORTFOLIO_LISTEN",
        hide_env_values = true,
        value_name = "ADDR",
        default_value = DEFAULT_LISTEN
    )]
    pub listen: String,

    /// Start with an empty register, to import the departments' spreadsheets yourself.
    #[arg(long)]
    pub from_spreadsheets: bool,

    #[command(flatten)]
    pub mail: MailArgs,

    #[command(flatten)]
    pub sso: SsoArgs,
}

#[derive(Debug, Subcommand)]
pub enum OrganisationCommand {
    /// List the organisations: slug and name.
    #[command(after_help = "Example:\n  portfolio organisation list")]
    List,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user to an organisation.
    #[command(
        long_about = "Add a user to an organisation. The password (at least 12 characters) is \
                      read from PORTFOLIO_PASSWORD or, if that is not set, from one line on \
                      standard input.",
        after_help = "Examples:\n  \
                      PORTFOLIO_PASSWORD='a long password' portfolio user add --org northmere \\\n      \
                      --email jo@example.org --name 'Jo Bloggs' --role editor\n  \
                      pass show portfolio/jo | portfolio user add --org northmere \\\n      \
                      --email jo@example.org --name 'Jo Bloggs' --role viewer\n  \
                      portfolio user add --org northmere --email lead@example.org --name 'Sam Lead' \\\n      \
                      --role department_lead --department 'Health and Care'"
    )]
    Add(UserAddArgs),

    /// Change a user's role and scope; audited, and signs them out everywhere.
    #[command(
        long_about = "Change a user's role, and the departments (a department lead's) or \
                      projects (a project manager's) it covers. The change is audited and \
                      the user is signed out, so their next sign-in has the new role.",
        after_help = "Examples:\n  \
                      portfolio user set-role --email sam@example.org --role department_lead \\\n      \
                      --department 'Health and Care' --department Housing\n  \
                      portfolio user set-role --email pat@example.org --role project_manager --project DP-012"
    )]
    SetRole(UserRoleArgs),

    /// List an organisation's users.
    #[command(after_help = "Example:\n  portfolio user list --org northmere")]
    List {
        /// The organisation's slug (see `portfolio organisation list`).
        #[arg(long, value_name = "SLUG")]
        org: String,
    },

    /// Set a user's password; signs them out everywhere.
    #[command(
        long_about = "Set a user's password (read from PORTFOLIO_PASSWORD or one line on \
                      standard input). The user is signed out of every session.",
        after_help = "Example:\n  \
                      PORTFOLIO_PASSWORD='a new long password' portfolio user set-password --email jo@example.org"
    )]
    SetPassword {
        /// The user's email address.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },

    /// Stop a user signing in; ends their sessions and stops their API tokens.
    #[command(after_help = "Example:\n  portfolio user disable --email jo@example.org")]
    Disable {
        /// The user's email address.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },

    /// Let a disabled user sign in again.
    #[command(after_help = "Example:\n  portfolio user enable --email jo@example.org")]
    Enable {
        /// The user's email address.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },

    /// Turn off a user's second factor (for someone who lost their authenticator app).
    #[command(
        long_about = "Turn off a user's second factor (TOTP), for someone who no longer has \
                      their authenticator app: they then sign in with their password alone \
                      and can set up a new app. Recorded in the audit trail.",
        after_help = "Example:\n  portfolio user reset-second-factor --email jo@example.org"
    )]
    ResetSecondFactor {
        /// The user's email address.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The organisation's slug (see `portfolio organisation list`).
    #[arg(long, value_name = "SLUG")]
    pub org: String,

    /// Email address the user signs in with.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,

    /// The user's full name, as shown in the audit trail.
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// What the user may do: admin, programme_office (or editor), department_lead,
    /// project_manager, board_member or viewer.
    #[arg(long, value_name = "ROLE", value_parser = parse_role)]
    pub role: portfolio_domain::Role,

    /// A department (name or slug) a department lead leads; repeat for more.
    #[arg(long = "department", value_name = "NAME")]
    pub departments: Vec<String>,

    /// A project (code) a project manager runs; repeat for more.
    #[arg(long = "project", value_name = "CODE")]
    pub projects: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UserRoleArgs {
    /// The user's email address.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,

    /// The user's new role: admin, programme_office (or editor), department_lead,
    /// project_manager, board_member or viewer.
    #[arg(long, value_name = "ROLE", value_parser = parse_role)]
    pub role: portfolio_domain::Role,

    /// A department (name or slug) a department lead leads; repeat for more.
    #[arg(long = "department", value_name = "NAME")]
    pub departments: Vec<String>,

    /// A project (code) a project manager runs; repeat for more.
    #[arg(long = "project", value_name = "CODE")]
    pub projects: Vec<String>,
}

/// Reads `--role` as the domain does: by name or label, `editor` as the
/// programme office; a wrong name is refused listing the roles.
fn parse_role(s: &str) -> Result<portfolio_domain::Role, String> {
    portfolio_domain::Role::parse(s)
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; it is shown once.
    #[command(
        long_about = "Create an API token for a user and print it on standard output. It is \
                      shown only this once (the database keeps only a hash of it), so store \
                      it somewhere safe.",
        after_help = "Example:\n  \
                      portfolio token create --user jo@example.org --name 'Monthly report' --scope read > token.txt"
    )]
    Create {
        /// Email address of the user the token acts as.
        #[arg(long, value_name = "EMAIL")]
        user: String,

        /// What the token is for, so it can be recognised later.
        #[arg(long, value_name = "NAME")]
        name: String,

        /// What the token may do: read, write or admin (within the user's role).
        #[arg(long, value_name = "SCOPE")]
        scope: String,

        /// Days until the token stops working (1 to 366).
        #[arg(long, value_name = "DAYS", default_value_t = portfolio_domain::tokens::DEFAULT_TOKEN_DAYS)]
        expires_in_days: i64,
    },
    /// List tokens (never their secrets): scope, expiry, last use, and whether revoked.
    #[command(after_help = "Examples:\n  \
                      portfolio token list\n  \
                      portfolio token list --org northmere --user jo@example.org")]
    List {
        /// The organisation's slug; may be left out when the database holds only one.
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,

        /// Only this user's tokens.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
    },
    /// Revoke a token, by the number `token list` shows; it stops at once.
    #[command(after_help = "Example:\n  portfolio token revoke --org northmere 12")]
    Revoke {
        /// The organisation's slug; may be left out when the database holds only one.
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,

        /// The token's number.
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum, default_value_t = ExportWhat::Register)]
    pub what: ExportWhat,

    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,

    /// The whole database (every organisation and table) as an archive for `import --all`.
    #[arg(long, conflicts_with_all = ["what", "org", "format"])]
    pub all: bool,

    /// File to write (replaced if it exists, except with --all); default: standard output.
    #[arg(long, short, visible_alias = "out", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportWhat {
    /// The project register.
    Register,
    /// The RAID register: risks, assumptions, issues and dependencies.
    Raid,
    /// The decision log of every meeting.
    Decisions,
    /// The actions meetings set.
    Actions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A pretty-printed JSON array.
    Json,
    /// Comma-separated values with a header row.
    Csv,
    /// An Excel workbook (needs --output).
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV or XLSX files to import, all in one transaction.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The organisation's slug (see `portfolio organisation list`).
    #[arg(long, value_name = "SLUG", required_unless_present = "all")]
    pub org: Option<String>,

    /// Import a whole-database archive from `export --all` into an empty database.
    #[arg(long, conflicts_with_all = ["org", "source", "sheet", "mapping", "dry_run", "valid_only", "rejected"])]
    pub all: bool,

    /// Name of the spreadsheet source, for re-imports; default: each file's name.
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,

    /// Import only this sheet of each workbook.
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,

    /// JSON or TOML file saying which header holds which field.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// Check every row and report what would happen, writing nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Import the rows without problems and leave the others out, instead of all or nothing.
    #[arg(long)]
    pub valid_only: bool,

    /// Write the rows left out, with a reason column, to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub rejected: Option<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A short summary and one line per problem.
    Text,
    /// One JSON object: files, rows_read, created, updated, unchanged, problems.
    Json,
}

#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// How many pairs to list, most likely first (1 to 500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,

    /// Output format.
    #[arg(long, value_enum, default_value_t = DuplicatesFormat::Text)]
    pub format: DuplicatesFormat,
}

#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// The first financial year (2026/27) or quarter (2026/27 Q3); this year when left out.
    #[arg(long, value_name = "YEAR")]
    pub from: Option<String>,

    /// How many quarters to show (1 to 40).
    #[arg(long, default_value = "12")]
    pub quarters: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CapacityFormat::Text)]
    pub format: CapacityFormat,
}

#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// The first day of the period, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub since: String,

    /// The last day of the period, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CapacityFormat::Text)]
    pub format: CapacityFormat,

    /// Shorthand for --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RaidArgs {
    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// risk, assumption, issue or dependency.
    #[arg(long)]
    pub kind: Option<String>,

    /// programme or project.
    #[arg(long)]
    pub level: Option<String>,

    /// A project code: that project's items only.
    #[arg(long, value_name = "CODE")]
    pub project: Option<String>,

    /// open (the default), closed or all.
    #[arg(long)]
    pub status: Option<String>,

    /// A risk's current rating: low, medium, high or very_high.
    #[arg(long)]
    pub rating: Option<String>,

    /// The owner's email.
    #[arg(long, value_name = "EMAIL")]
    pub owner: Option<String>,

    /// Only items whose review date has passed.
    #[arg(long)]
    pub overdue: bool,

    /// Show the 5×5 heat map of the open risks chosen instead of the list.
    #[arg(long)]
    pub heat_map: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CapacityFormat::Text)]
    pub format: CapacityFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CapacityFormat {
    /// One block per pool, one line per quarter: demand / supply, utilisation and level.
    Text,
    /// The heat map as one JSON object: quarters, rows (pool, name, unit, cells), projects.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DuplicatesFormat {
    /// One pair a line: codes, titles, likelihood and reasons.
    Text,
    /// A JSON array of pairs, each with a, b, score (0 to 1) and reasons.
    Json,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(subcommand)]
    pub command: Option<MergeCommand>,

    #[command(flatten)]
    pub merge: MergeProjectsArgs,
}

#[derive(Debug, Args)]
pub struct MergeProjectsArgs {
    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// The project that continues, e.g. DP-012.
    #[arg(long, value_name = "CODE", required = true)]
    pub survivor: Option<String>,

    /// A project to merge into the survivor (repeat for several).
    #[arg(long = "merge", value_name = "CODE", required = true)]
    pub merged: Vec<String>,

    /// Take a field's value from another project of the merge, e.g. title=DP-040 (repeatable).
    #[arg(long, value_name = "FIELD=CODE")]
    pub take: Vec<String>,

    /// Combine a field's values: costs, themes, tags, summary, sponsor, manager,
    /// start_date, end_date (repeatable).
    #[arg(long, value_name = "FIELD")]
    pub combine: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = MergeFormat::Text)]
    pub format: MergeFormat,
}

#[derive(Debug, Subcommand)]
pub enum MergeCommand {
    /// Undo a merge: every project gets back its values from before it.
    #[command(
        long_about = "Undo a merge by its id (printed by `portfolio merge`, shown in the API): \
                      every project gets back its values from before the merge, in one \
                      transaction with audit records. Refused if the merge was already undone \
                      or a project of it has changed since.",
        after_help = "Example:\n  portfolio merge undo --org northmere 3"
    )]
    Undo {
        /// The organisation's slug; may be left out when the database holds only one.
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,

        /// The merge's id.
        #[arg(value_name = "ID")]
        id: i64,

        /// Output format.
        #[arg(long, value_enum, default_value_t = MergeFormat::Text)]
        format: MergeFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// One line saying what was merged (or restored), with the merge's id.
    Text,
    /// The merge as JSON: id, survivor, merged, merged_at, merged_by, undone_at, undone_by.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum PrioritiesCommand {
    /// List an organisation's priorities, newest first, with their triage outcome.
    #[command(
        long_about = "List an organisation's priorities, newest first. Text output is one \
                      priority a line: `#ID status urgency Title (department, submitted by EMAIL): \
                      outcome`.",
        after_help = "Examples:\n  \
                      portfolio priorities list --org northmere\n  \
                      portfolio priorities list --org northmere --status submitted --format json | jq length"
    )]
    List(PrioritiesListArgs),
}

#[derive(Debug, Args)]
pub struct PrioritiesListArgs {
    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// Only priorities with this status.
    #[arg(long, value_enum)]
    pub status: Option<PriorityStatusArg>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = PrioritiesFormat::Text)]
    pub format: PrioritiesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorityStatusArg {
    /// Awaiting triage.
    Submitted,
    /// Accepted into the register as a new project.
    Accepted,
    /// Linked to an existing project as a change.
    Linked,
    /// Declined, with a reason.
    Declined,
}

impl PriorityStatusArg {
    pub fn as_str(self) -> &'static str {
        match self {
            PriorityStatusArg::Submitted => "submitted",
            PriorityStatusArg::Accepted => "accepted",
            PriorityStatusArg::Linked => "linked",
            PriorityStatusArg::Declined => "declined",
        }
    }
}

#[derive(Debug, Args)]
pub struct OptimiseArgs {
    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// The scenario's name or slug.
    #[arg(long, value_name = "NAME")]
    pub scenario: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OptimiseFormat::Text)]
    pub format: OptimiseFormat,

    /// Make this run the recommended scenario that reports show (replacing any other).
    #[arg(long)]
    pub recommend: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimiseFormat {
    /// The programme, the projects that wait and why, spend and marginal values.
    Text,
    /// The run and its whole result as JSON, as the API returns them.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrioritiesFormat {
    /// One priority a line.
    Text,
    /// A JSON array of priorities, as the API returns them.
    Json,
}

#[derive(Debug, Args)]
pub struct RankingArgs {
    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = RankingFormat::Text)]
    pub format: RankingFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RankingFormat {
    /// One project a line, with each criterion's contribution.
    Text,
    /// The ranking as the API returns it.
    Json,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// File to write the copy to; must not exist yet.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore (made by `portfolio backup`).
    #[arg(long, value_name = "BACKUP")]
    pub from: PathBuf,

    /// Replace the existing database (every change since the backup is lost).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Slug of the new organisation: lower-case letters, digits and hyphens.
    #[arg(long, value_name = "SLUG", value_parser = parse_slug)]
    pub org: String,

    /// Name of the new organisation.
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// How many projects to generate.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub projects: u32,

    /// Seed of the generator: the same seed gives the same projects.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Also give the organisation a past: N audit records in all, dated over
    /// the three years before today (two fifths of them the projects'
    /// changes, each ending at the project as generated, the rest the
    /// administrator's sign-ins), for benchmarks of the history views.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=20_000_000))]
    pub history: Option<u64>,
}

/// A slug: 1 to 63 lower-case letters, digits and single hyphens, not at either end.
fn parse_slug(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(s.to_string())
    } else {
        Err("use 1 to 63 lower-case letters, digits and hyphens, like 'big-county'".into())
    }
}

#[derive(Debug, Args)]
pub struct BenchMkpArgs {
    /// The OR-Library file to read.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Solve only the first N problems of the file.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub first: Option<u32>,

    /// Stop each problem after this many seconds, reporting the best value and its gap.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = parse_seconds)]
    pub time_limit: f64,

    /// Also write each problem's model to this folder as `<file>-<n>.mps` and
    /// `<file>-<n>.lp` (created if missing), to check in another solver.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = BenchMkpFormat::Text)]
    pub format: BenchMkpFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchMkpFormat {
    /// One line per problem, then a summary.
    Text,
    /// One JSON object: file, time_limit_seconds and instances (value, proven, gap, nodes, seconds...).
    Json,
}

fn parse_seconds(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err("use a number of seconds above 0 and at most 86400, like 60 or 0.5".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli = Cli::try_parse_from(["portfolio", "demo", "--data-dir", "/tmp/x"]).unwrap();
        assert_eq!(cli.global.data_dir, PathBuf::from("/tmp/x"));
        assert!(matches!(cli.command, Command::Demo(_)));
    }

    #[test]
    fn slugs_are_checked() {
        assert!(parse_slug("big-county").is_ok());
        assert!(parse_slug("Big County").is_err());
        assert!(parse_slug("-x").is_err());
        assert!(parse_slug("").is_err());
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportKindArg {
    /// A board pack.
    Board,
    /// A Cabinet report.
    Cabinet,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which report: board or cabinet.
    #[arg(value_enum)]
    pub kind: ReportKindArg,

    /// The organisation's slug; may be left out when the database holds only one.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,

    /// The date the report is as at, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub as_at: String,

    /// The board meeting a board pack is for (its agenda leads the pack).
    #[arg(long, value_name = "ID")]
    pub meeting: Option<i64>,

    /// docx, pdf or html.
    #[arg(long, default_value = "docx")]
    pub format: String,

    /// The file to write (never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: std::path::PathBuf,
}
