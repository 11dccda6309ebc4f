//! History services: the changes in a period, and the register and the
//! dashboard as they were at a past date.
//!
//! Reading history needs only the right to read the programme. Dates are
//! parsed by the domain against today's date (UTC, as the audit trail keeps
//! time); the store reads only the period's records, or one state per
//! project, never the whole trail.
//!
//! What a past period or day holds never changes (audit records are only
//! ever added, dated when written), so once read it is kept as a snapshot
//! and served again until the cache's bound pushes it out. A period or day
//! that is not over yet is kept only while the organisation's data version
//! is unchanged, like the live register.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use portfolio_domain::dashboard::Dashboard;
use portfolio_domain::filter::ProjectQuery;
use portfolio_domain::history::{
    end_of, grouped_counts, AsAtRegister, Changes, DateEntry, Period, SUMMARISED_ENTITIES,
};
use portfolio_domain::Permission;

use crate::{App, AppError, Caller, Result};

/// Past days whose registers are kept (each is every project of an
/// organisation: about 20 MiB for 10,000 projects).
pub(crate) const PAST_REGISTERS_KEPT: usize = 8;
/// Periods whose changes are kept.
pub(crate) const CHANGES_KEPT: usize = 64;
/// The cache version of a snapshot that can no longer change.
const SEALED: i64 = -1;

/// The version to keep what was read up to `end` at: sealed once `end` is
/// a minute past (a write's audit time is taken just before it commits),
/// else the caller's data version.
fn snapshot_version(caller: &Caller, end: DateTime<Utc>) -> i64 {
    if end <= Utc::now() - chrono::Duration::minutes(1) {
        SEALED
    } else {
        caller.data_version
    }
}

/// Today, as the audit trail dates changes.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

impl App {
    /// What changed in the caller's organisation from the start of `since`
    /// to the end of `until` (today when blank): refuses a missing or bad
    /// date, or a `since` after `until`, naming the field.
    pub async fn changes(
        &self,
        caller: &Caller,
        since: &DateEntry,
        until: &DateEntry,
    ) -> Result<Arc<Changes>> {
        caller.require(Permission::ReadProgramme)?;
        let period = Period::parse(since, until, today())?;
        self.changes_in(caller, period).await
    }

    /// What changed in an already parsed period.
    pub async fn changes_in(&self, caller: &Caller, period: Period) -> Result<Arc<Changes>> {
        caller.require(Permission::ReadProgramme)?;
        let key = (caller.organisation_id(), period);
        let version = snapshot_version(caller, period.end());
        if let Some(hit) = self.caches.changes.get(&key, version) {
            return Ok(hit);
        }
        let records = self
            .store
            .changes_between(
                caller.organisation_id(),
                period.start(),
                period.end(),
                &SUMMARISED_ENTITIES,
            )
            .await?;
        let changes = Arc::new(Changes::classify(period, &records));
        self.caches.changes.put(key, version, changes.clone());
        Ok(changes)
    }

    /// Every project as it was at the end of `as_at`, read once per day
    /// (and per data version while the day is not over).
    pub(crate) async fn projects_at_end_of(
        &self,
        caller: &Caller,
        as_at: NaiveDate,
    ) -> Result<Arc<Vec<portfolio_domain::Project>>> {
        let key = (caller.organisation_id(), as_at);
        let version = snapshot_version(caller, end_of(as_at));
        if let Some(hit) = self.caches.past_registers.get(&key, version) {
            return Ok(hit);
        }
        let projects = Arc::new(
            self.store
                .projects_as_at(caller.organisation_id(), end_of(as_at))
                .await?,
        );
        self.caches
            .past_registers
            .put(key, version, projects.clone());
        Ok(projects)
    }

    /// A page of the register as it was at the end of `as_at`, with the
    /// same filters, sort and pages as the live register.
    pub async fn list_projects_as_at(
        &self,
        caller: &Caller,
        query: &ProjectQuery,
        as_at: NaiveDate,
        default_per_page: u32,
    ) -> Result<AsAtRegister> {
        caller.require(Permission::ReadProgramme)?;
        let filter = query.parse(default_per_page)?;
        let projects = self.projects_at_end_of(caller, as_at).await?;
        Ok(AsAtRegister::page(&projects, &filter))
    }

    /// The dashboard's counts as they were at the end of `as_at`, checked
    /// to add up. Departments and themes are today's (a project's past
    /// department is counted under its id).
    pub async fn dashboard_as_at(&self, caller: &Caller, as_at: NaiveDate) -> Result<Dashboard> {
        let reference = self.reference(caller).await?;
        caller.require(Permission::ReadProgramme)?;
        let projects = self.projects_at_end_of(caller, as_at).await?;
        Dashboard::assemble(
            &grouped_counts(&projects),
            &reference.departments,
            &reference.themes,
        )
        .map_err(|e| AppError::Internal(portfolio_store::StoreError::Corrupt(e)))
    }
}

/// Projects whose generated histories are written in one batch.
const PROJECTS_PER_BATCH: usize = 200;
/// Sign-in records written in one batch.
const SIGN_INS_PER_BATCH: u64 = 20_000;
/// The years a generated history spans, before today.
const GENERATED_YEARS: i64 = 3;

impl App {
    /// For `portfolio generate --history N`: gives a freshly generated
    /// organisation `total` audit records dated over the three years before
    /// today: two fifths the projects' changes (an equal share each, the
    /// first its creation, the last the project as it is) and the rest
    /// sign-ins of `user`. Returns how many were written.
    pub async fn seed_generated_history(
        &self,
        organisation_slug: &str,
        user: &portfolio_domain::organisation::User,
        total: u64,
        seed: u64,
        actor: &crate::Actor,
    ) -> Result<u64> {
        use portfolio_domain::demo::history::synthetic_project_history;
        use portfolio_store::GeneratedAudit;

        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let projects = self.store.all_projects(org.id).await?;
        let to = crate::history::start_of_today();
        let from = to - chrono::Duration::days(365 * GENERATED_YEARS);
        let project_records = total * 2 / 5;
        let per_project = usize::try_from(project_records / (projects.len().max(1) as u64))
            .unwrap_or(1)
            .max(1);
        let mut sign_ins = total.saturating_sub((per_project * projects.len()) as u64);
        let mut chunks = projects.chunks(PROJECTS_PER_BATCH);
        let mut rng_state = seed;
        let span = (to - from).num_seconds().max(1) as u64;
        let user_id = user.id;
        let next_batch = move || {
            if let Some(chunk) = chunks.next() {
                let mut batch = Vec::with_capacity(chunk.len() * per_project);
                for p in chunk {
                    for c in synthetic_project_history(p, per_project, from, to, seed) {
                        batch.push(GeneratedAudit {
                            at: c.at,
                            entity: "project",
                            entity_id: p.id,
                            action: c.action,
                            before: c.before.and_then(|b| serde_json::to_string(&b).ok()),
                            after: serde_json::to_string(&c.after).ok(),
                        });
                    }
                }
                return Some(batch);
            }
            if sign_ins == 0 {
                return None;
            }
            let n = sign_ins.min(SIGN_INS_PER_BATCH);
            sign_ins -= n;
            let mut batch = Vec::with_capacity(n as usize);
            for _ in 0..n {
                // xorshift: repeatable times, no statistics needed.
                rng_state ^= rng_state << 13;
                rng_state ^= rng_state >> 7;
                rng_state ^= rng_state << 17;
                batch.push(GeneratedAudit {
                    at: from + chrono::Duration::seconds((rng_state % span) as i64),
                    entity: "user",
                    entity_id: user_id,
                    action: "signed_in",
                    before: None,
                    after: None,
                });
            }
            Some(batch)
        };
        Ok(self
            .store
            .replace_generated_history(org.id, next_batch, actor)
            .await?)
    }
}

/// The first instant of today (UTC).
pub fn start_of_today() -> chrono::DateTime<Utc> {
    portfolio_domain::history::start_of(today())
}
