//! Capacity services: resource pools, budgets, project plans, the planning
//! data the optimiser works from, and the supply-versus-demand heat map.
//!
//! Everyone who may read the programme may read these; changing them needs
//! [`Permission::ManagePrioritisation`] (the programme office).

use portfolio_domain::capacity::{
    dependency_cycle, heat_map, Budget, BudgetDraft, HeatMap, PlanContext, PlanDraft, Planning,
    PoolDraft, ProjectPlan, ResourcePool,
};
use portfolio_domain::project::ProjectCode;
use portfolio_domain::quarters::{FinancialQuarter, FinancialYear};
use portfolio_domain::{Permission, Project, Stage, ValidationErrors};

use crate::{App, AppError, Caller, Result};

/// The most quarters a heat map shows (ten years).
pub const MAX_HEAT_MAP_QUARTERS: usize = 40;

/// Stages whose projects the optimiser plans: not yet started, or under way.
pub const PLANNED_STAGES: [Stage; 4] =
    [Stage::Idea, Stage::Concept, Stage::Design, Stage::Delivery];

impl App {
    /// The caller's organisation's financial year start month.
    pub async fn start_month(&self, caller: &Caller) -> Result<u32> {
        Ok(self
            .reference(caller)
            .await?
            .organisation
            .financial_year_start_month)
    }

    pub async fn resource_pools(&self, caller: &Caller) -> Result<Vec<ResourcePool>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.resource_pools(caller.organisation_id()).await?)
    }

    pub async fn resource_pool(&self, caller: &Caller, slug: &str) -> Result<ResourcePool> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .resource_pool(caller.organisation_id(), slug.trim())
            .await?)
    }

    pub async fn create_resource_pool(
        &self,
        caller: &Caller,
        draft: &PoolDraft,
    ) -> Result<ResourcePool> {
        caller.require(Permission::ManagePrioritisation)?;
        let input = draft.validate()?;
        Ok(self
            .store
            .create_resource_pool(caller.organisation_id(), &input, &caller.actor())
            .await?)
    }

    /// Updates the pool read at `version`; its slug cannot change (plans name it).
    pub async fn update_resource_pool(
        &self,
        caller: &Caller,
        slug: &str,
        version: i64,
        draft: &PoolDraft,
    ) -> Result<ResourcePool> {
        caller.require(Permission::ManagePrioritisation)?;
        let slug = slug.trim();
        let current = self
            .store
            .resource_pool(caller.organisation_id(), slug)
            .await?;
        let mut errors = ValidationErrors::default();
        if let Some(wanted) = draft.slug.as_deref().map(str::trim) {
            if !wanted.is_empty() && wanted != current.slug {
                errors.push(
                    "slug",
                    "cannot be changed once a pool is created (project plans name it)",
                );
            }
        }
        let input = PoolDraft {
            slug: Some(current.slug.clone()),
            ..draft.clone()
        }
        .validate();
        let input = match input {
            Ok(i) if errors.is_empty() => i,
            Ok(_) => return Err(errors.into()),
            Err(mut e) => {
                e.0.extend(errors.0);
                return Err(e.into());
            }
        };
        Ok(self
            .store
            .update_resource_pool(
                caller.organisation_id(),
                slug,
                version,
                &input,
                &caller.actor(),
            )
            .await?)
    }

    /// Deletes a pool no project plan uses.
    pub async fn delete_resource_pool(
        &self,
        caller: &Caller,
        slug: &str,
        version: i64,
    ) -> Result<()> {
        caller.require(Permission::ManagePrioritisation)?;
        match self
            .store
            .delete_resource_pool(
                caller.organisation_id(),
                slug.trim(),
                version,
                &caller.actor(),
            )
            .await?
        {
            Ok(()) => Ok(()),
            Err(users) => Err(AppError::Validation(ValidationErrors::single(
                "pool",
                format!(
                    "cannot be deleted: the plans of {} need it; remove their demand for it first",
                    users
                        .iter()
                        .map(ProjectCode::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))),
        }
    }

    /// The organisation's budgets, in year order.
    pub async fn budgets(&self, caller: &Caller) -> Result<Vec<Budget>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.budgets(caller.organisation_id()).await?)
    }

    /// Sets the budget of `year` ("2027-28" or "2027/28") read at `version` (0: none yet).
    pub async fn put_budget(
        &self,
        caller: &Caller,
        year: &str,
        version: i64,
        draft: &BudgetDraft,
    ) -> Result<Budget> {
        caller.require(Permission::ManagePrioritisation)?;
        let budget = Budget {
            version,
            ..draft.validate(year)?
        };
        Ok(self
            .store
            .put_budget(caller.organisation_id(), &budget, &caller.actor())
            .await?)
    }

    /// A project's plan: the one stored, or the default made from the project (version 0).
    pub async fn project_plan(&self, caller: &Caller, code: &str) -> Result<ProjectPlan> {
        let project = self.project(caller, code).await?;
        let start_month = self.start_month(caller).await?;
        Ok(self
            .store
            .project_plan(caller.organisation_id(), project.id)
            .await?
            .unwrap_or_else(|| ProjectPlan::default_for(&project, start_month)))
    }

    /// Stores a project's plan, read at `version` (0 for the default plan).
    pub async fn put_project_plan(
        &self,
        caller: &Caller,
        code: &str,
        version: i64,
        draft: &PlanDraft,
    ) -> Result<ProjectPlan> {
        caller.require(Permission::ManagePrioritisation)?;
        let project = self.project(caller, code).await?;
        let plan = self.validate_plan(caller, &project, draft).await?;
        let plan = ProjectPlan { version, ..plan };
        let written = self
            .store
            .put_project_plan(caller.organisation_id(), &plan, &caller.actor(), |all| {
                // Again inside the transaction: another plan may have changed since.
                match dependency_cycle(&plan.code, &plan.depends_on, all) {
                    Some(cycle) => Err(ValidationErrors::single(
                        "depends_on",
                        format!(
                            "these dependencies would go round in a circle: {}",
                            cycle
                                .iter()
                                .map(ProjectCode::as_str)
                                .collect::<Vec<_>>()
                                .join(" → ")
                        ),
                    )),
                    None => Ok(()),
                }
            })
            .await?;
        Ok(written?)
    }

    /// Checks a plan for a project without storing it.
    pub async fn validate_plan(
        &self,
        caller: &Caller,
        project: &Project,
        draft: &PlanDraft,
    ) -> Result<ProjectPlan> {
        let org = caller.organisation_id();
        let pools = self.store.resource_pools(org).await?;
        let plans = self.store.project_plans(org).await?;
        let codes: Vec<ProjectCode> = self
            .store
            .all_projects(org)
            .await?
            .iter()
            .filter_map(|p| ProjectCode::parse(&p.code).ok())
            .collect();
        let start_month = self.start_month(caller).await?;
        Ok(draft.validate(
            project,
            &PlanContext {
                pools: &pools,
                codes: &codes,
                plans: &plans,
                start_month,
            },
        )?)
    }

    /// What the optimiser plans against: the pools, the budgets, and a plan
    /// for every project in idea, concept, design or delivery (the stored
    /// plan, or the default made from the project, version 0).
    pub async fn planning(&self, caller: &Caller) -> Result<Planning> {
        caller.require(Permission::ReadProgramme)?;
        let org = caller.organisation_id();
        let start_month = self.start_month(caller).await?;
        let projects = self.store.all_projects(org).await?;
        let stored = self.store.project_plans(org).await?;
        let mut plans: Vec<ProjectPlan> = projects
            .iter()
            .filter(|p| PLANNED_STAGES.contains(&p.stage))
            .map(|p| {
                stored
                    .iter()
                    .find(|s| s.project_id == p.id)
                    .cloned()
                    .unwrap_or_else(|| ProjectPlan::default_for(p, start_month))
            })
            .collect();
        plans.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Planning {
            pools: self.store.resource_pools(org).await?,
            budgets: self.store.budgets(org).await?,
            plans,
        })
    }

    /// The heat map of an organisation named by slug, for the command line
    /// (which is trusted with the whole database); `from` and `quarters` as
    /// [`heat_map_range`] reads them.
    pub async fn organisation_heat_map(
        &self,
        organisation_slug: &str,
        from: Option<&str>,
        quarters: Option<&str>,
    ) -> Result<HeatMap> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let (first, quarters) = heat_map_range(from, quarters, org.financial_year_start_month)?;
        let projects = self.store.all_projects(org.id).await?;
        let pools = self.store.resource_pools(org.id).await?;
        let plans = self.store.project_plans(org.id).await?;
        Ok(heat_map(
            &pools,
            &plans,
            &projects,
            first,
            quarters,
            org.financial_year_start_month,
        ))
    }

    /// Supply versus demand of the current plan for `quarters` quarters from `first`.
    pub async fn heat_map(
        &self,
        caller: &Caller,
        first: FinancialQuarter,
        quarters: usize,
    ) -> Result<HeatMap> {
        caller.require(Permission::ReadProgramme)?;
        if !(1..=MAX_HEAT_MAP_QUARTERS).contains(&quarters) {
            return Err(AppError::Validation(ValidationErrors::single(
                "quarters",
                format!("must be between 1 and {MAX_HEAT_MAP_QUARTERS}"),
            )));
        }
        let org = caller.organisation_id();
        let start_month = self.start_month(caller).await?;
        let projects = self.store.all_projects(org).await?;
        let pools = self.store.resource_pools(org).await?;
        let plans = self.store.project_plans(org).await?;
        Ok(heat_map(
            &pools,
            &plans,
            &projects,
            first,
            quarters,
            start_month,
        ))
    }
}

/// The quarters a heat map covers, as a caller wrote them: `from` a
/// financial year ("2026-27", its first quarter) or a quarter ("2026/27 Q3"),
/// this year when left out; `quarters` 1 to 40, 12 when left out.
pub fn heat_map_range(
    from: Option<&str>,
    quarters: Option<&str>,
    start_month: u32,
) -> Result<(FinancialQuarter, usize)> {
    let mut errors = ValidationErrors::default();
    let first = match from.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(FinancialQuarter::first_of(FinancialYear::containing(
            chrono::Utc::now().date_naive(),
            start_month,
        ))),
        Some(s) => {
            let parsed = FinancialQuarter::parse(s)
                .or_else(|_| FinancialYear::parse(s).map(FinancialQuarter::first_of));
            if parsed.is_err() {
                errors.push(
                    "from",
                    format!("'{s}' is not a financial year or quarter; write it like 2026-27 or 2026/27 Q3"),
                );
            }
            parsed.ok()
        }
    };
    let count = match quarters.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(12),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_HEAT_MAP_QUARTERS).contains(&n) => Some(n),
            _ => {
                errors.push(
                    "quarters",
                    format!("must be a whole number from 1 to {MAX_HEAT_MAP_QUARTERS}, not '{s}'"),
                );
                None
            }
        },
    };
    match (first, count) {
        (Some(f), Some(n)) if errors.is_empty() => Ok((f, n)),
        _ => Err(AppError::Validation(errors)),
    }
}
