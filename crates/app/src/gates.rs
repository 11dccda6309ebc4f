//! Gate services: checklists, requests and decisions.
//!
//! The programme office ([`Permission::RequestGates`]) requests a project's
//! next gate and keeps the checklists; a department lead or project manager
//! requests gates for the projects in their scope. Only a decider
//! ([`Permission::DecideGates`]: board members and administrators) records
//! the board's decision. The stage rules and the evidence
//! rules are the domain's, checked inside the store's transaction.

use portfolio_domain::gates::{
    parse_checklist, Gate, GateChecklist, GateDecisionDraft, GateRequest, GateRequestDraft,
    GateStatus,
};
use portfolio_domain::{Permission, ValidationErrors};
use portfolio_store::GateRequestFilter;

use crate::{App, AppError, Caller, Result};

fn parse_gate(slug: &str) -> Result<Gate> {
    Gate::parse(slug).map_err(|_| AppError::NotFound("gate"))
}

impl App {
    pub async fn gate_checklists(&self, caller: &Caller) -> Result<Vec<GateChecklist>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.gate_checklists(caller.organisation_id()).await?)
    }

    pub async fn gate_checklist(&self, caller: &Caller, gate: &str) -> Result<GateChecklist> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .gate_checklist(caller.organisation_id(), parse_gate(gate)?)
            .await?)
    }

    /// Replaces a gate's checklist (labels, one item each) read at `version`.
    pub async fn put_gate_checklist(
        &self,
        caller: &Caller,
        gate: &str,
        version: i64,
        labels: &[String],
    ) -> Result<GateChecklist> {
        caller.require(Permission::RequestGates)?;
        let gate = parse_gate(gate)?;
        let items = parse_checklist(gate, labels)?;
        Ok(self
            .store
            .put_gate_checklist(
                caller.organisation_id(),
                gate,
                version,
                &items,
                &caller.actor(),
            )
            .await?)
    }

    /// Gate requests, newest first; `status` as written ("pending"…).
    pub async fn gate_requests(
        &self,
        caller: &Caller,
        status: Option<&str>,
        project: Option<&str>,
    ) -> Result<Vec<GateRequest>> {
        caller.require(Permission::ReadProgramme)?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                Some(GateStatus::parse(s).map_err(|e| ValidationErrors::single("status", e))?)
            }
            None => None,
        };
        let project_id = match project.map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => Some(self.project(caller, code).await?.id),
            None => None,
        };
        Ok(self
            .store
            .gate_requests(
                caller.organisation_id(),
                &GateRequestFilter { status, project_id },
            )
            .await?)
    }

    pub async fn gate_request(&self, caller: &Caller, id: i64) -> Result<GateRequest> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .gate_request(caller.organisation_id(), id)
            .await?)
    }

    /// Requests the project's next gate with its evidence.
    pub async fn request_gate(
        &self,
        caller: &Caller,
        draft: &GateRequestDraft,
    ) -> Result<GateRequest> {
        caller.require_somewhere(Permission::RequestGates)?;
        let code = draft.project.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(
                ValidationErrors::single("project", "must name the project, e.g. DP-012").into(),
            );
        }
        if !caller.can(Permission::RequestGates) {
            // A department lead or project manager: only for a project in their scope.
            let project = match self.project(caller, &code).await {
                Err(AppError::NotFound(_)) => {
                    return Err(ValidationErrors::single(
                        "project",
                        format!("there is no project {code}"),
                    )
                    .into())
                }
                other => other?,
            };
            caller.require_on_project(Permission::RequestGates, (&project).into())?;
        }
        let result = self
            .store
            .create_gate_request(
                caller.organisation_id(),
                &code,
                &caller.actor(),
                |project, checklist| draft.validate(project.stage, checklist),
            )
            .await
            .map_err(|e| match e {
                portfolio_store::StoreError::NotFound { entity: "project" } => {
                    AppError::Validation(ValidationErrors::single(
                        "project",
                        format!("there is no project {code}"),
                    ))
                }
                other => other.into(),
            })?;
        result.map_err(AppError::Validation)
    }

    /// Records the board's decision on a request read at `version`. Only a
    /// decider may; an approval moves the project in the same transaction.
    pub async fn decide_gate(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        draft: &GateDecisionDraft,
    ) -> Result<GateRequest> {
        caller.require(Permission::DecideGates)?;
        let decision = draft.validate()?;
        let result = self
            .store
            .decide_gate_request(
                caller.organisation_id(),
                id,
                version,
                &decision,
                &caller.actor(),
                |request, project| request.check_can_decide(project.stage),
            )
            .await?;
        result.map_err(AppError::Validation)
    }
}
