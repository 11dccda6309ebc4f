//! Portfolio's persistence: one [`Store`] over SQLite (embedded) or PostgreSQL.
//!
//! The backend is chosen by the URL scheme (`sqlite://…` or `postgres://…`).
//! Both share one schema (the `migrations/` folders hold the same tables in
//! each dialect) and one set of queries, written to the common subset of SQL
//! both speak and run through sqlx's `Any` driver; the shared test-suite in
//! `tests/store_suite.rs` runs every query against a real SQLite file and a
//! real PostgreSQL server.
//!
//! Rules every write follows:
//! - one transaction, which also writes the audit record (who, when, entity,
//!   before and after);
//! - optimistic concurrency: updates name the version they started from, and
//!   a stale version is refused with [`StoreError::Conflict`] carrying the
//!   current record, never merged.
//!
//! This crate does not validate input: it stores what the domain parsed.

pub mod archive;
mod audit;
pub mod backup;
mod capacity;
mod gates;
mod highlights;
mod history;
mod imports;
mod intake;
mod meetings;
mod merges;
mod notifications;
mod organisations;
mod projects;
mod raid;
mod reports;
pub mod roadmap;
mod scenarios;
mod scoring;
mod sign_in;
pub mod sso;
mod tokens;
mod uploads;
mod users;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use tokio::sync::{Mutex, MutexGuard};

pub use audit::AuditEntry;
pub use gates::GateRequestFilter;
pub use history::GeneratedAudit;
pub use imports::{ImportCounts, ImportedRow, Provenance, RowOrigin};
pub use intake::{TriageDecision, Triaged};
pub use notifications::{EmailOutcome, PendingEmail};
pub use projects::{NewProject, ProjectPage};
pub use reports::Branding as StoredBranding;
pub use sign_in::{PendingSecondFactor, SignInOutcome};
pub use tokens::{TokenCaller, TokenRecord};
pub use uploads::{NewUpload, SavedMapping, UploadRecord, UPLOAD_LIFETIME_DAYS};
pub use users::{SessionRecord, SignedIn, UserWithHash};

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who made a change, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// The user's email, or the name of a system task ("cli", "demo").
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor {
            user_id: None,
            label: label.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The record changed since the caller read it; `current` is what is stored now.
    #[error("{entity} was changed by someone else (now at version {current_version})")]
    Conflict {
        entity: &'static str,
        current_version: i64,
        current: Box<Option<portfolio_domain::Project>>,
    },
    /// A unique key is taken (a project code, an email address, a slug).
    #[error("{field} '{value}' is already in use")]
    Duplicate { field: &'static str, value: String },
    #[error("the database is unavailable: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
    /// The task writing this change stopped before it finished (the server is
    /// shutting down); its transaction was rolled back.
    #[error("the write was interrupted before it finished; nothing was saved")]
    Interrupted,
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A backup that cannot be restored; the text says why.
    #[error("{0}")]
    Backup(String),
    /// A whole-database archive that cannot be written or read; the text
    /// names where and why.
    #[error("{0}")]
    Archive(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The store: a connection pool and the knowledge of its backend.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time; writes queue here instead of
    /// failing with `SQLITE_BUSY` when a deferred transaction tries to upgrade.
    write_lock: Option<Arc<Mutex<()>>>,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections kept to an SQLite database at most.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

impl Store {
    /// Connects to the database named by `url`: `sqlite://PATH` (created if
    /// missing) or `postgres://…`.
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                "the database URL must start with sqlite:// or postgres://".into(),
            )));
        };
        let pool = match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                // One writer at a time anyway, and reads are CPU-bound: a few
                // connections serve as well as many and keep less page cache.
                // A local file cannot drop a connection as a network can, so
                // pinging it before every use would only cost a round trip.
                AnyPoolOptions::new()
                    .max_connections(options.max_connections.min(SQLITE_MAX_CONNECTIONS))
                    .test_before_acquire(false)
                    .acquire_timeout(options.acquire_timeout)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; \
                                 PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .connect(url)
                    .await?
            }
        };
        Ok(Store {
            pool,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
        })
    }

    /// Applies the migrations this binary carries that the database lacks.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Writes a consistent copy of an SQLite database to `path` while it is
    /// in use (`VACUUM INTO`). PostgreSQL deployments use `pg_dump`.
    pub async fn backup_sqlite(&self, path: &str) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                "backup copies SQLite databases; for PostgreSQL use pg_dump".into(),
            )));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes the single-writer lock on SQLite (a no-op on PostgreSQL).
    async fn write_guard(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }
}

/// The current time as stored: RFC 3339, UTC, microseconds.
pub(crate) fn now_text() -> String {
    format_time(Utc::now())
}

/// A time as it reads back from the store: stored text keeps microseconds,
/// so a record built in memory equals the one read back.
pub(crate) fn stored_time(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp '{s}': {e}")))
}

pub(crate) fn parse_stored<T, E: std::fmt::Display>(
    what: &str,
    s: &str,
    f: impl Fn(&str) -> Result<T, E>,
) -> Result<T> {
    f(s).map_err(|e| StoreError::Corrupt(format!("{what} '{s}': {e}")))
}

/// Maps a unique-key violation to [`StoreError::Duplicate`].
pub(crate) fn map_unique(err: sqlx::Error, field: &'static str, value: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() {
            return StoreError::Duplicate {
                field,
                value: value.to_string(),
            };
        }
    }
    StoreError::Database(err)
}

pub(crate) fn get<T>(row: &AnyRow, column: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get(column).map_err(StoreError::from)
}
