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
mod operations;
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
pub use operations::{MigrationState, PoolStats, QueueCounts};
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
    Database(sqlx::Error),
    /// The database's disk is full (SQLite `SQLITE_FULL`, PostgreSQL
    /// `53100`); the write's transaction was rolled back.
    #[error("the database's disk is full; nothing was saved: {0}")]
    DiskFull(sqlx::Error),
    /// The database takes no writes (SQLite `SQLITE_READONLY`, PostgreSQL
    /// `25006`: a read-only file system, file or transaction).
    #[error("the database is read-only; nothing was saved: {0}")]
    ReadOnly(sqlx::Error),
    /// The database could not read or write its file (SQLite
    /// `SQLITE_IOERR`), as when its disk went away.
    #[error("the database could not use its disk; nothing was saved: {0}")]
    DiskError(sqlx::Error),
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

/// Why a database cannot take writes just now, named apart from other
/// failures so the web can say so (and keep serving reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageTrouble {
    DiskFull,
    ReadOnly,
    DiskError,
}

impl StorageTrouble {
    /// The trouble an error reports, by its code: SQLite's primary result
    /// code (the low byte of the extended code) or PostgreSQL's SQLSTATE.
    /// This is the one place those codes are read.
    pub fn of(err: &sqlx::Error) -> Option<StorageTrouble> {
        let sqlx::Error::Database(db) = err else {
            return None;
        };
        let code = db.code()?;
        match code.as_ref() {
            "53100" => return Some(StorageTrouble::DiskFull),
            "25006" => return Some(StorageTrouble::ReadOnly),
            _ => {}
        }
        // SQLite reports numbers; PostgreSQL's five-character SQLSTATEs that
        // happen to be all digits were matched above or are not ours.
        if code.len() == 5 {
            return None;
        }
        match code.parse::<i64>().ok()? & 0xff {
            13 => Some(StorageTrouble::DiskFull),
            8 => Some(StorageTrouble::ReadOnly),
            10 => Some(StorageTrouble::DiskError),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match StorageTrouble::of(&err) {
            Some(StorageTrouble::DiskFull) => StoreError::DiskFull(err),
            Some(StorageTrouble::ReadOnly) => StoreError::ReadOnly(err),
            Some(StorageTrouble::DiskError) => StoreError::DiskError(err),
            None => StoreError::Database(err),
        }
    }
}

impl StoreError {
    /// The storage trouble behind this error, if that is what it is.
    pub fn storage_trouble(&self) -> Option<StorageTrouble> {
        match self {
            StoreError::DiskFull(_) => Some(StorageTrouble::DiskFull),
            StoreError::ReadOnly(_) => Some(StorageTrouble::ReadOnly),
            StoreError::DiskError(_) => Some(StorageTrouble::DiskError),
            _ => None,
        }
    }
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
    StoreError::from(err)
}

pub(crate) fn get<T>(row: &AnyRow, column: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get(column).map_err(StoreError::from)
}
