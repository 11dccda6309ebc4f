//! Scenario services: keep scenarios, run their optimisation off the async
//! runtime with progress and cancel, and read results back.
//!
//! A run is recorded in the database from the start (`scenario_runs`): its
//! progress is written as it goes, so the run's page on any instance shows
//! it, and a cancel asked anywhere reaches the worker at its next step. The
//! optimisation itself runs on a blocking thread (`spawn_blocking`), never on
//! the runtime's workers, so the server keeps answering while it runs. The
//! result is stored whole when the run finishes. The worker also reports
//! a heartbeat between steps; a run not heard from for
//! [`Settings::run_stale_after`](crate::Settings::run_stale_after) died with
//! its process, and any instance marks it failed with the reason.
//!
//! What goes into the optimiser is built in `problem` (which projects are
//! candidates, their values, windows, demand and costs, the scenario's
//! limits and forced decisions); what comes out is assembled in `compute`.

mod compute;
mod problem;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use portfolio_domain::scenario::{
    Recommendation, RunStatus, Scenario, ScenarioDraft, ScenarioResult, ScenarioRun,
};
use portfolio_domain::{Permission, ValidationErrors};
use portfolio_store::Actor;
use tokio::sync::mpsc;

pub use compute::{compare, ComparedScenario, Comparison, ComparisonRow, FRONTIER_POINTS};
pub use problem::Prepared;

use crate::{App, AppError, Caller, Result};

/// How many runs of a scenario its page lists.
pub const RUNS_LISTED: i64 = 10;

/// A running run's report to the task that records it.
struct Progress {
    done: i64,
    total: i64,
    label: String,
}

impl App {
    /// The organisation's scenarios, by name.
    pub async fn scenarios(&self, caller: &Caller) -> Result<Vec<Scenario>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.scenarios(caller.organisation_id()).await?)
    }

    pub async fn scenario(&self, caller: &Caller, slug: &str) -> Result<Scenario> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.scenario(caller.organisation_id(), slug).await?)
    }

    /// The slugs of the organisation's resource pools, which scenarios may adjust.
    pub(crate) async fn pool_slugs(&self, caller: &Caller) -> Result<Vec<String>> {
        Ok(self
            .planning(caller)
            .await?
            .pools
            .into_iter()
            .map(|p| p.slug)
            .collect())
    }

    pub async fn create_scenario(
        &self,
        caller: &Caller,
        draft: &ScenarioDraft,
    ) -> Result<Scenario> {
        caller.require(Permission::ManagePrioritisation)?;
        let input = draft.validate(&self.pool_slugs(caller).await?)?;
        Ok(self
            .store
            .create_scenario(caller.organisation_id(), &input, &caller.actor())
            .await?)
    }

    /// Replaces a scenario's definition; refused if it changed since `expected_version`.
    pub async fn update_scenario(
        &self,
        caller: &Caller,
        slug: &str,
        expected_version: i64,
        draft: &ScenarioDraft,
    ) -> Result<Scenario> {
        caller.require(Permission::ManagePrioritisation)?;
        let input = draft.validate(&self.pool_slugs(caller).await?)?;
        Ok(self
            .store
            .update_scenario(
                caller.organisation_id(),
                slug,
                expected_version,
                &input,
                &caller.actor(),
            )
            .await?)
    }

    /// Starts a run of the scenario and returns at once; the run's record
    /// shows its progress until it finishes.
    pub async fn start_scenario_run(&self, caller: &Caller, slug: &str) -> Result<ScenarioRun> {
        let (run, _finished) = self.launch_run(caller, slug).await?;
        Ok(run)
    }

    /// Runs the scenario and waits for its result (the command line's way).
    /// `on_progress` hears each step as it is recorded.
    pub async fn run_scenario(
        &self,
        caller: &Caller,
        slug: &str,
    ) -> Result<(ScenarioRun, Option<ScenarioResult>)> {
        let (run, finished) = self.launch_run(caller, slug).await?;
        let _ = finished.await;
        let run = self
            .store
            .scenario_run(caller.organisation_id(), run.id)
            .await?;
        let result = self
            .store
            .scenario_run_result(caller.organisation_id(), run.id)
            .await?;
        Ok((run, result))
    }

    /// Builds the problem (refusing bad input before anything is recorded),
    /// records the run, and starts the worker.
    async fn launch_run(
        &self,
        caller: &Caller,
        slug: &str,
    ) -> Result<(ScenarioRun, tokio::task::JoinHandle<()>)> {
        caller.require(Permission::ManagePrioritisation)?;
        let scenario = self.store.scenario(caller.organisation_id(), slug).await?;
        let prepared = self.prepare_scenario(caller, &scenario).await?;
        compute::check(&prepared)?;
        let total = compute::steps(&prepared);
        let actor = caller.actor();
        let run = self
            .store
            .start_scenario_run(&scenario, total, &actor)
            .await?;
        let finished = tokio::spawn(run_worker(
            self.clone(),
            caller.organisation_id(),
            run.id,
            prepared,
            actor,
        ));
        Ok((run, finished))
    }

    /// Asks a running run to stop.
    pub async fn cancel_scenario_run(&self, caller: &Caller, run_id: i64) -> Result<ScenarioRun> {
        caller.require(Permission::ManagePrioritisation)?;
        let run = self
            .store
            .scenario_run(caller.organisation_id(), run_id)
            .await?;
        if run.status.finished() {
            return Err(AppError::Validation(ValidationErrors::single(
                "run",
                format!("this run has already {}", run.status.label().to_lowercase()),
            )));
        }
        Ok(self
            .store
            .request_run_cancel(caller.organisation_id(), run_id, &caller.actor())
            .await?)
    }

    pub async fn scenario_run(&self, caller: &Caller, run_id: i64) -> Result<ScenarioRun> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .scenario_run(caller.organisation_id(), run_id)
            .await?)
    }

    pub async fn scenario_run_result(
        &self,
        caller: &Caller,
        run_id: i64,
    ) -> Result<Option<ScenarioResult>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .scenario_run_result(caller.organisation_id(), run_id)
            .await?)
    }

    /// A scenario's runs, newest first.
    pub async fn scenario_runs(
        &self,
        caller: &Caller,
        scenario: &Scenario,
    ) -> Result<Vec<ScenarioRun>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .scenario_runs(caller.organisation_id(), scenario.id, RUNS_LISTED)
            .await?)
    }

    /// The newest successful run of a scenario and its result.
    pub async fn latest_scenario_result(
        &self,
        caller: &Caller,
        scenario: &Scenario,
    ) -> Result<Option<(ScenarioRun, ScenarioResult)>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .latest_scenario_result(caller.organisation_id(), scenario.id)
            .await?)
    }

    /// The organisation's recommendation (version 0 when none was ever made).
    pub async fn scenario_recommendation(&self, caller: &Caller) -> Result<Recommendation> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .scenario_recommendation(caller.organisation_id())
            .await?)
    }

    /// Recommends a scenario's newest successful run, read at `version` of
    /// the recommendation: reports show its programme from then on. A
    /// scenario never run, or whose run found no feasible programme, is
    /// refused with the reason.
    pub async fn recommend_scenario(
        &self,
        caller: &Caller,
        slug: &str,
        version: i64,
    ) -> Result<Recommendation> {
        caller.require(Permission::ManagePrioritisation)?;
        let scenario = self.scenario(caller, slug).await?;
        let name = &scenario.definition.name;
        let Some((run, result)) = self.latest_scenario_result(caller, &scenario).await? else {
            return Err(ValidationErrors::single(
                "scenario",
                format!("'{name}' has no finished run to recommend; run it first"),
            )
            .into());
        };
        if result.status == "infeasible" {
            return Err(ValidationErrors::single(
                "scenario",
                format!(
                    "'{name}' found no programme that meets its limits, so it cannot be recommended"
                ),
            )
            .into());
        }
        Ok(self
            .store
            .set_scenario_recommendation(
                caller.organisation_id(),
                Some(run.id),
                version,
                &caller.actor(),
            )
            .await?)
    }

    /// Withdraws the recommendation read at `version`: reports then show none.
    pub async fn withdraw_scenario_recommendation(
        &self,
        caller: &Caller,
        version: i64,
    ) -> Result<Recommendation> {
        caller.require(Permission::ManagePrioritisation)?;
        Ok(self
            .store
            .set_scenario_recommendation(caller.organisation_id(), None, version, &caller.actor())
            .await?)
    }

    /// The recommended run and its result, when one is recommended.
    pub async fn recommended_scenario(
        &self,
        caller: &Caller,
    ) -> Result<Option<(Recommendation, ScenarioRun, ScenarioResult)>> {
        let recommendation = self.scenario_recommendation(caller).await?;
        let Some(run_id) = recommendation.run_id else {
            return Ok(None);
        };
        let run = self.scenario_run(caller, run_id).await?;
        Ok(self
            .scenario_run_result(caller, run_id)
            .await?
            .map(|result| (recommendation, run, result)))
    }

    /// Each scenario with a result, and what it says of one project.
    pub async fn project_in_scenarios(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<Vec<(Scenario, portfolio_domain::scenario::ProjectOutcome)>> {
        let mut out = Vec::new();
        for scenario in self.scenarios(caller).await? {
            if let Some((_, result)) = self.latest_scenario_result(caller, &scenario).await? {
                if let Some(outcome) = result.outcome(code) {
                    out.push((scenario, outcome.clone()));
                }
            }
        }
        Ok(out)
    }

    /// Compares the latest results of two or more scenarios side by side.
    pub async fn compare_scenarios(&self, caller: &Caller, slugs: &[String]) -> Result<Comparison> {
        if slugs.len() < 2 {
            return Err(AppError::Validation(ValidationErrors::single(
                "scenarios",
                "choose two or more scenarios to compare",
            )));
        }
        let mut results = Vec::new();
        for slug in slugs {
            let scenario = self.scenario(caller, slug).await?;
            match self.latest_scenario_result(caller, &scenario).await? {
                Some((_, result)) => results.push((scenario, result)),
                None => {
                    return Err(AppError::Validation(ValidationErrors::single(
                        "scenarios",
                        format!(
                            "'{}' has not been run yet: run it before comparing",
                            scenario.definition.name
                        ),
                    )))
                }
            }
        }
        Ok(compare(&results))
    }

    /// The optimisation model of a scenario as MPS or LP text, for checking in another solver.
    pub async fn scenario_model_text(
        &self,
        caller: &Caller,
        slug: &str,
        format: ModelFormat,
    ) -> Result<String> {
        let scenario = self.scenario(caller, slug).await?;
        let prepared = self.prepare_scenario(caller, &scenario).await?;
        compute::model_text(&prepared, format)
    }

    /// Marks runs left "running" by a process that stopped as failed, with
    /// the reason. `grace_seconds` leaves live runs alone: their workers
    /// report more often than that.
    pub async fn fail_abandoned_runs(&self, grace_seconds: i64) -> Result<u64> {
        Ok(self.store.fail_abandoned_runs(grace_seconds).await?)
    }

    /// Looks for abandoned runs every half of [`Settings::run_stale_after`]
    /// until the task is aborted: a run whose instance died (killed, out of
    /// memory, its machine gone) is marked failed by whichever instance
    /// looks first, not only when that instance starts again.
    ///
    /// [`Settings::run_stale_after`]: crate::Settings::run_stale_after
    pub fn spawn_stale_run_check(&self) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let stale = app.settings.run_stale_after;
            let seconds = i64::try_from(stale.as_secs()).unwrap_or(i64::MAX);
            let mut every = tokio::time::interval(stale / 2);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                match app.fail_abandoned_runs(seconds).await {
                    Ok(0) => {}
                    Ok(failed) => tracing::warn!(
                        failed,
                        "scenario runs whose server stopped were marked failed"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look for abandoned scenario runs")
                    }
                }
            }
        })
    }
}

/// The text formats a scenario's model exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFormat {
    Mps,
    Lp,
}

/// Runs the optimisation on a blocking thread, recording its progress and
/// honouring a cancel, then records how it ended.
async fn run_worker(app: App, organisation_id: i64, run_id: i64, prepared: Prepared, actor: Actor) {
    let cancel = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::channel::<Progress>(64);
    let worker_cancel = cancel.clone();
    let work = tokio::task::spawn_blocking(move || {
        let mut report = |done: i64, total: i64, label: &str| -> bool {
            // A full channel only means the recorder is behind: skip this tick.
            let _ = tx.try_send(Progress {
                done,
                total,
                label: label.to_string(),
            });
            !worker_cancel.load(Ordering::Relaxed)
        };
        compute::compute(&prepared, worker_cancel.clone(), &mut report)
    });
    // Progress steps can be minutes apart (one solve); a heartbeat between
    // them tells other instances the worker is alive.
    let mut heartbeat = tokio::time::interval(app.settings.run_stale_after / 4);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    heartbeat.tick().await;
    loop {
        let recorded = tokio::select! {
            progress = rx.recv() => match progress {
                Some(p) => app.store.record_run_progress(run_id, p.done, p.total, &p.label).await,
                None => break,
            },
            _ = heartbeat.tick() => app.store.touch_scenario_run(run_id).await,
        };
        match recorded {
            Ok(true) => cancel.store(true, Ordering::Relaxed),
            Ok(false) => {}
            Err(e) => tracing::warn!(run_id, error = %e, "could not record a run's progress"),
        }
    }
    let (status, message, result) = match work.await {
        Ok(Ok(result)) if cancel.load(Ordering::Relaxed) => (
            RunStatus::Cancelled,
            "Cancelled before it finished; nothing from this run is used.".to_string(),
            Some(result),
        ),
        Ok(Ok(result)) => (RunStatus::Succeeded, String::new(), Some(result)),
        Ok(Err(message)) if cancel.load(Ordering::Relaxed) => (RunStatus::Cancelled, message, None),
        Ok(Err(message)) => (RunStatus::Failed, message, None),
        Err(e) => {
            tracing::error!(run_id, error = %e, "the optimisation stopped unexpectedly");
            (
                RunStatus::Failed,
                "The optimisation stopped unexpectedly; the error is in the server's log."
                    .to_string(),
                None,
            )
        }
    };
    // A cancelled run's partial result is not kept: only finished runs count.
    let keep = if status == RunStatus::Succeeded {
        result.as_ref()
    } else {
        None
    };
    if let Err(e) = app
        .store
        .finish_scenario_run(organisation_id, run_id, status, &message, keep, &actor)
        .await
    {
        tracing::error!(run_id, error = %e, "could not record how a run ended");
    }
}
