//! What an operator asks of a running server: is it ready to serve, and
//! what do its pool and queues look like (for `/ready` and `/metrics`).

use portfolio_store::{MigrationState, PoolStats};

use crate::{App, Result};

/// Whether the server can serve requests now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Not ready, and why (one sentence an operator can act on).
    NotReady(String),
}

/// The numbers `/metrics` reports from the database at scrape time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationalStats {
    pub pool: PoolStats,
    /// Scenario runs per status, every status listed (zero when none).
    pub scenario_runs: Vec<(String, i64)>,
    /// Notification emails per status, every status listed (zero when none).
    pub emails: Vec<(String, i64)>,
}

const RUN_STATUSES: [&str; 4] = ["running", "succeeded", "failed", "cancelled"];
const EMAIL_STATUSES: [&str; 5] = ["pending", "sending", "sent", "failed", "expired"];

/// Every known status with its count (zero when absent), then any status the
/// database holds that this version does not know, so none is hidden.
fn with_every_status(known: &[&str], counted: Vec<(String, i64)>) -> Vec<(String, i64)> {
    let mut all: Vec<(String, i64)> = known
        .iter()
        .map(|status| {
            let n = counted
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            (status.to_string(), n)
        })
        .collect();
    all.extend(
        counted
            .into_iter()
            .filter(|(s, _)| !known.contains(&s.as_str())),
    );
    all
}

impl App {
    /// Ready when the database answers and holds exactly the migrations this
    /// binary carries; otherwise the reason.
    pub async fn readiness(&self) -> Readiness {
        if let Err(e) = self.store.ping().await {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            return Readiness::NotReady("the database cannot be reached".into());
        }
        let list = |versions: &[i64]| {
            versions
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self.store.migration_state().await {
            Ok(MigrationState::Current) => Readiness::Ready,
            Ok(MigrationState::Behind(missing)) => Readiness::NotReady(format!(
                "the database lacks migrations this version needs ({}); run `portfolio migrate`",
                list(&missing)
            )),
            Ok(MigrationState::Ahead(unknown)) => Readiness::NotReady(format!(
                "the database holds migrations this version does not know ({}); \
                 a newer version of Portfolio migrated it",
                list(&unknown)
            )),
            Err(e) => {
                tracing::warn!(error = %e, "not ready: the migrations could not be read");
                Readiness::NotReady("the database's migrations cannot be read".into())
            }
        }
    }

    /// The pool's state and the queues' counts, read now.
    pub async fn operational_stats(&self) -> Result<OperationalStats> {
        let queues = self.store.queue_counts().await?;
        Ok(OperationalStats {
            pool: self.store.pool_stats(),
            scenario_runs: with_every_status(&RUN_STATUSES, queues.scenario_runs),
            emails: with_every_status(&EMAIL_STATUSES, queues.emails),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_listed_and_unknown_ones_kept() {
        let all = with_every_status(
            &RUN_STATUSES,
            vec![("failed".into(), 2), ("paused".into(), 1)],
        );
        assert_eq!(
            all,
            vec![
                ("running".to_string(), 0),
                ("succeeded".to_string(), 0),
                ("failed".to_string(), 2),
                ("cancelled".to_string(), 0),
                ("paused".to_string(), 1),
            ]
        );
    }
}
