//! Merging projects that describe the same work, and undoing merges.
//!
//! The domain's [`MergeDraft`] names the survivor, the merged projects (each
//! at the version the person read) and a choice per field; these services
//! check the caller may edit projects, parse the draft, and have the store
//! write the merge in one transaction with its lineage and audit records,
//! running the domain's rules on the projects as the transaction reads them.
//! A merge is undone from its audit record, unless a project changed since.

use std::collections::BTreeMap;

use portfolio_domain::consolidate::merge::{
    check_undo, Lineage, Merge, MergeDraft, MergeMemberDraft, MergePlan, MAX_MERGED,
};
use portfolio_domain::project::Stored;
use portfolio_domain::{Permission, Project, ProjectCode, Stage, ValidationErrors};
use portfolio_store::{Actor, StoreError};

use crate::{App, AppError, Caller, Result};

/// What a merge would give, before it is written.
#[derive(Debug, Clone)]
pub struct MergePreview {
    /// The survivor with its new values (still at the version read).
    pub survivor: Project,
    /// The projects that would be merged into it, as they are now.
    pub merged: Vec<Project>,
}

/// Reads a project of a merge by code, naming `field` when there is none.
async fn read_member(app: &App, organisation_id: i64, field: &str, code: &str) -> Result<Project> {
    match app.store.project(organisation_id, code).await {
        Ok(p) => Ok(p),
        Err(StoreError::NotFound { .. }) => Err(AppError::Validation(ValidationErrors::single(
            field,
            format!("there is no project {code} in this organisation"),
        ))),
        Err(e) => Err(e.into()),
    }
}

impl App {
    /// The projects of a plan as stored now, the survivor first; a code
    /// that names no project is a validation error naming its field.
    async fn read_members(&self, organisation_id: i64, plan: &MergePlan) -> Result<Vec<Project>> {
        let mut projects = Vec::new();
        let fields = std::iter::once("survivor.code".to_string())
            .chain((0..plan.merged.len()).map(|i| format!("merged[{i}].code")));
        for (member, field) in plan.members().zip(fields) {
            projects.push(read_member(self, organisation_id, &field, member.code.as_str()).await?);
        }
        Ok(projects)
    }

    async fn write_merge(
        &self,
        organisation_id: i64,
        plan: &MergePlan,
        actor: &Actor,
    ) -> Result<Merge> {
        self.read_members(organisation_id, plan).await?;
        let result = self
            .store
            .merge_projects(organisation_id, plan, actor, |survivor, merged| {
                plan.apply(survivor, merged)
            })
            .await?;
        result.map_err(AppError::Validation)
    }

    /// Merges projects of the caller's organisation as `draft` says. A
    /// project changed since the caller read it is a conflict carrying it.
    pub async fn merge(&self, caller: &Caller, draft: &MergeDraft) -> Result<Merge> {
        caller.require(Permission::EditProjects)?;
        let plan = draft.parse()?;
        self.write_merge(caller.organisation_id(), &plan, &caller.actor())
            .await
    }

    /// What `draft` would make of the survivor, writing nothing (the merge
    /// page's check-your-answers step). Refuses what the merge would refuse.
    pub async fn preview_merge(&self, caller: &Caller, draft: &MergeDraft) -> Result<MergePreview> {
        caller.require(Permission::EditProjects)?;
        let plan = draft.parse()?;
        let mut projects = self.read_members(caller.organisation_id(), &plan).await?;
        for (project, member) in projects.iter().zip(plan.members()) {
            if project.version != member.version {
                return Err(AppError::Conflict {
                    entity: "project",
                    current: Box::new(Some(project.clone())),
                });
            }
        }
        let survivor = projects.remove(0);
        let input = plan.apply(&survivor, &projects)?;
        Ok(MergePreview {
            survivor: input.to_project(Stored {
                id: survivor.id,
                organisation_id: survivor.organisation_id,
                code: survivor.code.clone(),
                version: survivor.version,
                created_at: survivor.created_at,
                updated_at: survivor.updated_at,
            }),
            merged: projects,
        })
    }

    /// The projects a merge page compares, in the order named: two or more
    /// distinct codes of the caller's organisation, none merged or withdrawn.
    pub async fn merge_candidates(
        &self,
        caller: &Caller,
        codes: &[String],
    ) -> Result<Vec<Project>> {
        caller.require(Permission::EditProjects)?;
        let mut errors = ValidationErrors::default();
        let mut parsed: Vec<ProjectCode> = Vec::new();
        for code in codes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            match ProjectCode::parse(code) {
                Ok(c) if parsed.contains(&c) => {
                    errors.push("projects", format!("{c} is named more than once"))
                }
                Ok(c) => parsed.push(c),
                Err(e) => errors.push("projects", e),
            }
        }
        if parsed.len() < 2 && errors.is_empty() {
            errors.push("projects", "name at least two projects to merge");
        }
        if parsed.len() > MAX_MERGED + 1 {
            errors.push(
                "projects",
                format!("name {} projects or fewer", MAX_MERGED + 1),
            );
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut projects = Vec::new();
        for code in &parsed {
            let project =
                read_member(self, caller.organisation_id(), "projects", code.as_str()).await?;
            match project.stage {
                Stage::Merged => errors.push(
                    "projects",
                    format!("{code} is already merged into another project"),
                ),
                Stage::Withdrawn => errors.push(
                    "projects",
                    format!(
                        "{code} is withdrawn; only projects still in the programme can be merged"
                    ),
                ),
                _ => projects.push(project),
            }
        }
        errors.into_result(|| projects).map_err(AppError::from)
    }

    /// Undoes a merge of the caller's organisation: every project gets back
    /// its values from before it, unless one has changed since.
    pub async fn undo_merge(&self, caller: &Caller, merge_id: i64) -> Result<Merge> {
        caller.require(Permission::EditProjects)?;
        self.write_undo(caller.organisation_id(), merge_id, &caller.actor())
            .await
    }

    async fn write_undo(
        &self,
        organisation_id: i64,
        merge_id: i64,
        actor: &Actor,
    ) -> Result<Merge> {
        let result = self
            .store
            .undo_merge(
                organisation_id,
                merge_id,
                actor,
                |undone, states, current| check_undo(merge_id, undone, states, current),
            )
            .await?;
        result.map_err(AppError::Validation)
    }

    /// A merge of the caller's organisation, with its projects as they are now.
    pub async fn merge_record(&self, caller: &Caller, merge_id: i64) -> Result<Merge> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.merge(caller.organisation_id(), merge_id).await?)
    }

    /// Where a project came from and went to by merges still in force.
    pub async fn lineage(&self, caller: &Caller, project: &Project) -> Result<Lineage> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .lineage(caller.organisation_id(), project.id)
            .await?)
    }

    /// Merges projects of an organisation named by slug at their current
    /// versions (the CLI's, run by whoever administers the deployment).
    pub async fn merge_in_organisation(
        &self,
        organisation_slug: &str,
        survivor: &str,
        merged: &[String],
        fields: BTreeMap<String, String>,
        actor: &Actor,
    ) -> Result<Merge> {
        // The shape of the request first, so every mistake in it is named at once.
        MergeDraft {
            survivor: MergeMemberDraft {
                code: survivor.to_string(),
                version: 1,
            },
            merged: merged
                .iter()
                .map(|code| MergeMemberDraft {
                    code: code.clone(),
                    version: 1,
                })
                .collect(),
            fields: fields.clone(),
        }
        .parse()?;
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let current = |field: String, code: &str| {
            let code = code.trim().to_ascii_uppercase();
            async move {
                let version = read_member(self, org.id, &field, &code).await?.version;
                Ok::<_, AppError>(MergeMemberDraft { code, version })
            }
        };
        let survivor = current("survivor.code".into(), survivor).await?;
        let mut members = Vec::new();
        for (i, code) in merged.iter().enumerate() {
            members.push(current(format!("merged[{i}].code"), code).await?);
        }
        let draft = MergeDraft {
            survivor,
            merged: members,
            fields,
        };
        let plan = draft.parse()?;
        self.write_merge(org.id, &plan, actor).await
    }

    /// Undoes a merge of an organisation named by slug (the CLI's).
    pub async fn undo_merge_in_organisation(
        &self,
        organisation_slug: &str,
        merge_id: i64,
        actor: &Actor,
    ) -> Result<Merge> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        self.write_undo(org.id, merge_id, actor).await
    }
}
