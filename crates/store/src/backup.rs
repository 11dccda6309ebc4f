//! Checking an SQLite backup before it replaces a database: it must open as
//! SQLite, pass `PRAGMA integrity_check`, and carry only migrations this
//! build knows (a backup from a newer build is refused; an older one is
//! migrated forward). Moving files about is the caller's business; this
//! module only looks inside the copy it is given.

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, Row};

use crate::{Result, StoreError, SQLITE_MIGRATOR};

/// What a checked backup held and what the check did to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCheck {
    /// Migrations the backup had when it was taken.
    pub migrations_in_backup: usize,
    /// Migrations applied to bring it up to this build's schema.
    pub migrated_forward: usize,
    /// The newest migration now applied.
    pub schema_version: i64,
}

/// The newest migration version this build carries for `backend`.
pub fn latest_schema_version(backend: crate::Backend) -> i64 {
    let migrator = match backend {
        crate::Backend::Sqlite => &SQLITE_MIGRATOR,
        crate::Backend::Postgres => &crate::POSTGRES_MIGRATOR,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Checks the SQLite database at `path` (a copy the caller may change) and
/// migrates it forward when it comes from an older build. Every refusal is a
/// [`StoreError::Backup`] saying why in words a user can act on.
pub async fn check_sqlite_backup(path: &str) -> Result<BackupCheck> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=rw", encode_path(path));
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
                    .await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| not_usable(&e))?;
    let checked = check_open(&pool).await;
    pool.close().await;
    checked
}

async fn check_open(pool: &AnyPool) -> Result<BackupCheck> {
    let problems: Vec<String> = sqlx::query("PRAGMA integrity_check")
        .fetch_all(pool)
        .await
        .map_err(|e| not_usable(&e))?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<_, _>>()
        .map_err(|e| not_usable(&e))?;
    if problems != ["ok"] {
        let shown: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
        return Err(StoreError::Backup(format!(
            "it fails SQLite's integrity check ({})",
            shown.join("; ")
        )));
    }
    let has_migrations: i64 = sqlx::query(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await
    .map_err(|e| not_usable(&e))?
    .try_get(0)
    .map_err(|e| not_usable(&e))?;
    if has_migrations == 0 {
        return Err(StoreError::Backup(
            "it is an SQLite database but not a Portfolio one (it has no migration history)".into(),
        ));
    }
    let applied =
        sqlx::query("SELECT version, CAST(success AS INTEGER), checksum FROM _sqlx_migrations")
            .fetch_all(pool)
            .await
            .map_err(|e| not_usable(&e))?;
    let mut unknown = Vec::new();
    for row in &applied {
        let version: i64 = row.try_get(0).map_err(|e| not_usable(&e))?;
        let success = row.try_get::<i64, _>(1).map_err(|e| not_usable(&e))? != 0;
        let checksum: Vec<u8> = row.try_get(2).map_err(|e| not_usable(&e))?;
        match SQLITE_MIGRATOR.iter().find(|m| m.version == version) {
            None => unknown.push(version),
            Some(known) if *known.checksum != checksum[..] => {
                return Err(StoreError::Backup(format!(
                    "its migration {version} differs from the one this build carries"
                )))
            }
            Some(_) if !success => {
                return Err(StoreError::Backup(format!(
                    "its migration {version} did not finish"
                )))
            }
            Some(_) => {}
        }
    }
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(StoreError::Backup(format!(
            "it was made by a newer build of Portfolio (its schema has migration{} {} that this \
             build does not know); restore it with that build or a later one",
            if unknown.len() == 1 { "" } else { "s" },
            unknown
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let missing = SQLITE_MIGRATOR.iter().count() - applied.len();
    if missing > 0 {
        SQLITE_MIGRATOR.run(pool).await?;
    }
    Ok(BackupCheck {
        migrations_in_backup: applied.len(),
        migrated_forward: missing,
        schema_version: latest_schema_version(crate::Backend::Sqlite),
    })
}

/// Folds the write-ahead log of the SQLite database at `path` into the
/// database file and removes it, so the file alone holds every commit.
/// Fails if another process holds the database.
pub async fn checkpoint_sqlite(path: &str) -> Result<()> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=rw", encode_path(path));
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    let outcome = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&pool)
        .await;
    pool.close().await;
    let busy: i64 = outcome?.try_get(0)?;
    if busy != 0 {
        return Err(StoreError::Backup(
            "the database is in use by another process (its log could not be folded in)".into(),
        ));
    }
    Ok(())
}

/// Why SQLite could not read a file, in words for a user.
fn not_usable(err: &sqlx::Error) -> StoreError {
    let detail = err.to_string();
    let reason = if detail.contains("not a database") {
        "it is not an SQLite database".to_string()
    } else if detail.contains("malformed") || detail.contains("corrupt") {
        "it is damaged or truncated (SQLite reports: database disk image is malformed)".to_string()
    } else {
        format!("SQLite could not read it ({detail})")
    };
    StoreError::Backup(reason)
}

/// A path as the SQLite URL parser reads it back.
fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
        .replace(' ', "%20")
}
