//! Intake services: departments submit priorities, the programme office triages them.
//!
//! Who sees what: a caller who may triage ([`Permission::TriagePriorities`],
//! the programme office) sees every priority of the organisation; a caller
//! who may only submit (a department lead) sees their own, and another's is
//! "not found" rather than forbidden, so ids reveal nothing. Viewers see
//! none. Triage decisions go through the domain's rules inside the store's
//! transaction, so a second decision on one priority is refused.

use portfolio_domain::intake::{
    check_link_target, parse_decline_reason, Priority, PriorityDraft, PriorityFilter,
    PriorityQuery, ProjectLink, Triage,
};
use portfolio_domain::project::Reference;
use portfolio_domain::{FinancialYear, Permission, Project, ProjectCode, ValidationErrors};
use portfolio_store::{StoreError, TriageDecision, Triaged};

use crate::{App, AppError, Caller, Result};

impl App {
    /// Submits a new or changed priority for the programme office to triage.
    pub async fn submit_priority(
        &self,
        caller: &Caller,
        draft: &PriorityDraft,
    ) -> Result<Priority> {
        caller.require(Permission::SubmitPriorities)?;
        let reference = self.reference(caller).await?;
        let input = draft.validate(&Reference {
            departments: &reference.departments,
            themes: &reference.themes,
        })?;
        let changes_project_id = match &input.changes_project {
            Some(code) => Some(
                self.project_named(caller, "changes_project", code)
                    .await?
                    .id,
            ),
            None => None,
        };
        Ok(self
            .store
            .create_priority(
                caller.organisation_id(),
                &input,
                changes_project_id,
                &caller.actor(),
            )
            .await?)
    }

    /// The priorities the caller may see: all of them for the programme
    /// office, their own for a department lead; newest first.
    pub async fn priorities(
        &self,
        caller: &Caller,
        query: &PriorityQuery,
    ) -> Result<Vec<Priority>> {
        let filter = PriorityFilter {
            status: query.status()?,
            submitted_by: self.visible_submitter(caller)?,
        };
        Ok(self
            .store
            .priorities(caller.organisation_id(), &filter)
            .await?)
    }

    /// One priority the caller may see.
    pub async fn priority(&self, caller: &Caller, id: i64) -> Result<Priority> {
        let only = self.visible_submitter(caller)?;
        let priority = self.store.priority(caller.organisation_id(), id).await?;
        match only {
            Some(user) if priority.submitted_by.user_id != Some(user) => {
                Err(AppError::NotFound("priority"))
            }
            _ => Ok(priority),
        }
    }

    /// Accepts a priority read at `version` into the register: a new project
    /// at stage concept. Returns the priority and the project.
    pub async fn accept_priority(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
    ) -> Result<(Priority, Project)> {
        let triaged = self.triage(caller, id, version, Triage::Accept).await?;
        match triaged.project {
            Some(project) => Ok((triaged.priority, project)),
            None => Err(AppError::Internal(StoreError::NotFound {
                entity: "project",
            })),
        }
    }

    /// Links a priority read at `version` to an existing project (by code) as a change to it.
    pub async fn link_priority(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        project: &str,
    ) -> Result<Priority> {
        let code =
            ProjectCode::parse(project).map_err(|e| ValidationErrors::single("project", e))?;
        Ok(self
            .triage(caller, id, version, Triage::Link(code))
            .await?
            .priority)
    }

    /// Declines a priority read at `version`; the reason is required and the submitter sees it.
    pub async fn decline_priority(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        reason: &str,
    ) -> Result<Priority> {
        let reason =
            parse_decline_reason(reason).map_err(|e| ValidationErrors::single("reason", e))?;
        Ok(self
            .triage(caller, id, version, Triage::Decline(reason))
            .await?
            .priority)
    }

    /// The priorities accepted as, or linked to, a project (its change requests from departments).
    pub async fn project_priorities(
        &self,
        caller: &Caller,
        project: &Project,
    ) -> Result<Vec<Priority>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .project_priorities(caller.organisation_id(), project.id)
            .await?)
    }

    /// The projects a priority may be linked to: those still in the
    /// programme, in code order (the triage page's choices).
    pub async fn link_choices(&self, caller: &Caller) -> Result<Vec<ProjectLink>> {
        caller.require(Permission::TriagePriorities)?;
        let projects = self.store.all_projects(caller.organisation_id()).await?;
        Ok(projects
            .into_iter()
            .filter(|p| check_link_target(&p.code, p.stage).is_ok())
            .map(|p| ProjectLink {
                id: p.id,
                code: p.code,
                title: p.title,
            })
            .collect())
    }

    /// Priorities of an organisation named by slug (the CLI's), newest first.
    pub async fn organisation_priorities(
        &self,
        organisation_slug: &str,
        query: &PriorityQuery,
    ) -> Result<Vec<Priority>> {
        let filter = PriorityFilter {
            status: query.status()?,
            submitted_by: None,
        };
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        Ok(self.store.priorities(org.id, &filter).await?)
    }

    /// None when the caller sees every priority; their own user id when only theirs.
    fn visible_submitter(&self, caller: &Caller) -> Result<Option<i64>> {
        if caller.can(Permission::TriagePriorities) {
            Ok(None)
        } else if caller.can(Permission::SubmitPriorities) {
            Ok(Some(caller.user.id))
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// A project of the caller's organisation by code, or an error naming `field`.
    async fn project_named(
        &self,
        caller: &Caller,
        field: &str,
        code: &ProjectCode,
    ) -> Result<Project> {
        match self
            .store
            .project(caller.organisation_id(), code.as_str())
            .await
        {
            Ok(project) => Ok(project),
            Err(StoreError::NotFound { .. }) => {
                Err(AppError::Validation(ValidationErrors::single(
                    field,
                    format!("{code} is not a project of this organisation"),
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn triage(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        triage: Triage,
    ) -> Result<Triaged> {
        caller.require(Permission::TriagePriorities)?;
        let org = caller.organisation_id();
        let actor = caller.actor();
        let check = Priority::check_can_triage;
        let result = match triage {
            Triage::Accept => {
                let reference = self.reference(caller).await?;
                let current = self.store.priority(org, id).await?;
                let year = FinancialYear::containing(
                    chrono::Utc::now().date_naive(),
                    reference.organisation.financial_year_start_month,
                );
                let project = current.to_project_input(year);
                let decision = TriageDecision::Accept {
                    project: &project,
                    code_prefix: &reference.organisation.project_code_prefix,
                };
                self.store
                    .triage_priority(org, id, version, decision, &actor, check)
                    .await?
            }
            Triage::Link(code) => {
                let project = self.project_named(caller, "project", &code).await?;
                check_link_target(&project.code, project.stage)
                    .map_err(|e| ValidationErrors::single("project", e))?;
                let decision = TriageDecision::Link {
                    project_id: project.id,
                };
                self.store
                    .triage_priority(org, id, version, decision, &actor, check)
                    .await?
            }
            Triage::Decline(reason) => {
                let decision = TriageDecision::Decline { reason: &reason };
                self.store
                    .triage_priority(org, id, version, decision, &actor, check)
                    .await?
            }
        };
        result.map_err(AppError::Validation)
    }
}
