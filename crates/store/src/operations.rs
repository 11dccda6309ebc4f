//! What an operator watches: the connection pool, the migrations the
//! database holds against those this binary carries, and the work queued in
//! the database (scenario runs, notification emails).

use std::collections::BTreeSet;

use crate::{get, Backend, Result, Store, POSTGRES_MIGRATOR, SQLITE_MIGRATOR};

/// The connection pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open (idle or in use).
    pub size: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// How the database's migrations compare with this binary's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    /// The database holds exactly the migrations this binary carries.
    Current,
    /// Migrations this binary carries are missing from the database
    /// (`portfolio migrate` applies them); their versions.
    Behind(Vec<i64>),
    /// The database holds migrations this binary does not know: a newer
    /// version of Portfolio migrated it. Their versions.
    Ahead(Vec<i64>),
}

/// Work waiting in the database, counted across organisations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Scenario runs by status (`running`, `succeeded`, `failed`, `cancelled`).
    pub scenario_runs: Vec<(String, i64)>,
    /// Notifications by email status (`pending`, `sending`, `sent`, `failed`, `expired`).
    pub emails: Vec<(String, i64)>,
}

impl Store {
    /// The connection pool's size, idle connections and maximum.
    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    /// Compares the migrations recorded in the database with those built
    /// into this binary.
    pub async fn migration_state(&self) -> Result<MigrationState> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        let known: BTreeSet<i64> = migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| m.version)
            .collect();
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        let mut applied = BTreeSet::new();
        for row in &rows {
            applied.insert(get::<i64>(row, "version")?);
        }
        let ahead: Vec<i64> = applied.difference(&known).copied().collect();
        if !ahead.is_empty() {
            return Ok(MigrationState::Ahead(ahead));
        }
        let behind: Vec<i64> = known.difference(&applied).copied().collect();
        if !behind.is_empty() {
            return Ok(MigrationState::Behind(behind));
        }
        Ok(MigrationState::Current)
    }

    /// Scenario runs by status and notification emails by status.
    pub async fn queue_counts(&self) -> Result<QueueCounts> {
        let count = |sql: &'static str| async move {
            let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
            rows.iter()
                .map(|row| Ok((get::<String>(row, "status")?, get::<i64>(row, "n")?)))
                .collect::<Result<Vec<_>>>()
        };
        Ok(QueueCounts {
            scenario_runs: count(
                "SELECT status, COUNT(*) AS n FROM scenario_runs GROUP BY status ORDER BY status",
            )
            .await?,
            emails: count(
                "SELECT email_status AS status, COUNT(*) AS n FROM notifications \
                 GROUP BY email_status ORDER BY email_status",
            )
            .await?,
        })
    }
}
