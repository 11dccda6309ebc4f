//! Project services: list, read, create, update, withdraw, history, dashboard.

use std::sync::Arc;

use portfolio_domain::dashboard::Dashboard;
use portfolio_domain::filter::ProjectQuery;
use portfolio_domain::gates::Gate;
use portfolio_domain::project::Reference;
use portfolio_domain::{
    Permission, Project, ProjectDraft, ProjectInput, ProjectKey, Stage, ValidationErrors,
};
use portfolio_store::{AuditEntry, ProjectPage};

use crate::{App, AppError, Caller, OrganisationReference, Result};

/// Why a stage edit is refused: the move needs an approved gate.
fn gated_move(from: Stage, to: Stage) -> ValidationErrors {
    ValidationErrors::single(
        "stage",
        format!(
            "a project moves from {} to {} only through an approved gate: request the gate from the project's page",
            from.label(),
            to.label()
        ),
    )
}

fn validate_against(
    reference: &OrganisationReference,
    draft: &ProjectDraft,
) -> Result<ProjectInput> {
    Ok(draft.validate(&Reference {
        departments: &reference.departments,
        themes: &reference.themes,
    })?)
}

impl App {
    async fn validate_draft(&self, caller: &Caller, draft: &ProjectDraft) -> Result<ProjectInput> {
        let reference = self.reference(caller).await?;
        validate_against(&reference, draft)
    }

    /// Validates a draft without writing it (for forms with other errors to show too).
    pub async fn check_project(&self, caller: &Caller, draft: &ProjectDraft) -> Result<()> {
        caller.require_somewhere(Permission::EditProjects)?;
        self.validate_draft(caller, draft).await.map(|_| ())
    }

    /// A page of the register; reused while the organisation's data is unchanged.
    pub async fn list_projects(
        &self,
        caller: &Caller,
        query: &ProjectQuery,
        default_per_page: u32,
    ) -> Result<Arc<ProjectPage>> {
        caller.require(Permission::ReadProgramme)?;
        let filter = query.parse(default_per_page)?;
        let org = caller.organisation_id();
        let version = caller.data_version;
        let key = (org, filter);
        if let Some(hit) = self.caches.lists.get(&key, version) {
            return Ok(hit);
        }
        let page = Arc::new(self.store.list_projects(org, &key.1).await?);
        self.caches.lists.put(key, version, page.clone());
        Ok(page)
    }

    pub async fn project(&self, caller: &Caller, code: &str) -> Result<Project> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .project(caller.organisation_id(), &code.to_ascii_uppercase())
            .await?)
    }

    /// The project, if the caller may do this to it (their role everywhere,
    /// or their department or project scope covering it).
    pub async fn project_for(
        &self,
        caller: &Caller,
        code: &str,
        permission: Permission,
    ) -> Result<Project> {
        caller.require_somewhere(permission)?;
        let project = self.project(caller, code).await?;
        caller.require_on_project(permission, (&project).into())?;
        Ok(project)
    }

    pub async fn create_project(&self, caller: &Caller, draft: &ProjectDraft) -> Result<Project> {
        caller.require(Permission::EditProjects)?;
        let reference = self.reference(caller).await?;
        let input = validate_against(&reference, draft)?;
        let org = &reference.organisation;
        Ok(self
            .group_commit
            .create_project(
                &self.store,
                org.id,
                &org.project_code_prefix,
                input,
                caller.actor(),
            )
            .await?)
    }

    /// Updates a project the caller read at `version`; refuses stale versions and disallowed stage moves.
    pub async fn update_project(
        &self,
        caller: &Caller,
        code: &str,
        version: i64,
        draft: &ProjectDraft,
    ) -> Result<Project> {
        caller.require_somewhere(Permission::EditProjects)?;
        let code = code.to_ascii_uppercase();
        let read = self.project(caller, &code).await?;
        caller.require_on_project(Permission::EditProjects, (&read).into())?;
        let input = self.validate_draft(caller, draft).await?;
        // A department lead may not move a project out of their scope.
        caller.require_on_project(
            Permission::EditProjects,
            ProjectKey {
                id: read.id,
                department_id: input.department.id,
            },
        )?;
        // A move to the next stage goes through a gate; an administrator
        // may move it directly, and the audit record says it was an override.
        let overriding = Gate::is_gated(read.stage, input.stage);
        if overriding && !caller.can(Permission::DecideGates) {
            return Err(gated_move(read.stage, input.stage).into());
        }
        let result = self
            .store
            .update_project(
                caller.organisation_id(),
                &code,
                version,
                &input,
                if overriding {
                    "stage_override"
                } else {
                    "updated"
                },
                &caller.actor(),
                |current| {
                    if Gate::is_gated(current.stage, input.stage) != overriding {
                        // The stage changed since it was read; the version check
                        // refuses this too, but never label the record wrongly.
                        return Err(gated_move(current.stage, input.stage));
                    }
                    input.check_update(current)
                },
            )
            .await?;
        result.map_err(AppError::Validation)
    }

    /// Withdraws a project (the API's DELETE): the record and its history stay.
    pub async fn withdraw_project(
        &self,
        caller: &Caller,
        code: &str,
        version: i64,
    ) -> Result<Project> {
        caller.require_somewhere(Permission::EditProjects)?;
        let current = self.project(caller, code).await?;
        caller.require_on_project(Permission::EditProjects, (&current).into())?;
        if current.stage == Stage::Withdrawn && current.version == version {
            // Already withdrawn: nothing to change, nothing to record.
            return Ok(current);
        }
        let mut draft = current.to_draft();
        draft.stage = Stage::Withdrawn.as_str().to_string();
        let input = self.validate_draft(caller, &draft).await?;
        let result = self
            .store
            .update_project(
                caller.organisation_id(),
                &current.code,
                version,
                &input,
                "withdrawn",
                &caller.actor(),
                |stored| {
                    stored
                        .stage
                        .check_move(Stage::Withdrawn)
                        .map_err(|e| ValidationErrors::single("stage", e))
                },
            )
            .await?;
        result.map_err(AppError::Validation)
    }

    pub async fn project_history(
        &self,
        caller: &Caller,
        project: &Project,
    ) -> Result<Vec<AuditEntry>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .history(caller.organisation_id(), "project", project.id)
            .await?)
    }

    /// Where a project was imported from (file, sheet, row), if it was.
    pub async fn project_provenance(
        &self,
        caller: &Caller,
        project: &Project,
    ) -> Result<Vec<portfolio_store::Provenance>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .project_provenance(caller.organisation_id(), project.id)
            .await?)
    }

    /// Dashboard counts for the caller's organisation, checked to add up.
    pub async fn dashboard(&self, caller: &Caller) -> Result<Arc<Dashboard>> {
        let reference = self.reference(caller).await?;
        let org = caller.organisation_id();
        let version = caller.data_version;
        if let Some(hit) = self.caches.dashboards.get(&org, version) {
            return Ok(hit);
        }
        let counts = self.store.project_counts(org).await?;
        let dashboard = Dashboard::assemble(&counts, &reference.departments, &reference.themes)
            .map_err(|e| AppError::Internal(portfolio_store::StoreError::Corrupt(e)))?;
        let dashboard = Arc::new(dashboard);
        self.caches.dashboards.put(org, version, dashboard.clone());
        Ok(dashboard)
    }
}
