//! Scoring services: the organisation's scoring model, project assessments,
//! and the ranked list they make.
//!
//! Every role reads; saving a model or an assessment needs
//! [`Permission::ManagePrioritisation`] (the programme office). Each save
//! names the version it started from and a stale one is refused, never
//! merged. The ranking is computed from the current model and assessments
//! and reused while the organisation's data version is unchanged.

use std::collections::BTreeMap;
use std::sync::Arc;

use portfolio_domain::scoring::{
    priority_score, rank, Assessment, AssessmentDraft, ModelVersionSummary, PriorityScore,
    RankCandidate, Ranking, ScoringModel, ScoringModelDraft,
};
use portfolio_domain::{Permission, ProjectCode, ValidationErrors};

use crate::{App, AppError, Caller, Result};

/// A project's assessment as its page shows it: the project, the model it is
/// scored against, the stored scores and the priority score they make.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectAssessment {
    #[schema(value_type = String)]
    pub code: ProjectCode,
    pub title: String,
    /// The current model version (absent until a model is saved).
    pub model_version: Option<i64>,
    /// The stored scores (absent until first assessed).
    pub assessment: Option<Assessment>,
    /// The priority score, when every criterion of the current model is scored.
    pub priority: Option<PriorityScore>,
    /// Criteria of the current model not yet scored, by name.
    pub not_assessed: Vec<String>,
}

fn project_code(code: &str) -> Result<ProjectCode> {
    ProjectCode::parse(code).map_err(|e| AppError::Validation(ValidationErrors::single("code", e)))
}

impl App {
    /// The organisation's current scoring model, if one has been saved.
    pub async fn scoring_model(&self, caller: &Caller) -> Result<Option<ScoringModel>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.scoring_model(caller.organisation_id()).await?)
    }

    /// One saved version of the scoring model.
    pub async fn scoring_model_version(
        &self,
        caller: &Caller,
        version: i64,
    ) -> Result<ScoringModel> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .scoring_model_version(caller.organisation_id(), version)
            .await?)
    }

    /// Saves the model as the next version. `expected_version` is the version
    /// the edit started from (0 when there was none); a stale one is a conflict.
    pub async fn save_scoring_model(
        &self,
        caller: &Caller,
        expected_version: i64,
        draft: &ScoringModelDraft,
    ) -> Result<ScoringModel> {
        caller.require(Permission::ManagePrioritisation)?;
        let input = draft.validate()?;
        Ok(self
            .store
            .save_scoring_model(
                caller.organisation_id(),
                expected_version,
                &input,
                &caller.actor(),
            )
            .await?)
    }

    /// The saved versions, newest first, with who saved each and when.
    pub async fn scoring_model_versions(
        &self,
        caller: &Caller,
    ) -> Result<Vec<ModelVersionSummary>> {
        caller.require(Permission::ReadProgramme)?;
        let versions = self
            .store
            .scoring_model_versions(caller.organisation_id())
            .await?;
        Ok(versions.iter().map(ModelVersionSummary::from).collect())
    }

    /// A project's assessment against the current model.
    pub async fn assessment(&self, caller: &Caller, code: &str) -> Result<ProjectAssessment> {
        caller.require(Permission::ReadProgramme)?;
        let code = project_code(code)?;
        let org = caller.organisation_id();
        let project = self.store.project(org, code.as_str()).await?;
        let model = self.store.scoring_model(org).await?;
        let assessment = self.store.assessment(org, code.as_str()).await?;
        let empty = BTreeMap::new();
        let scores = assessment.as_ref().map(|a| &a.scores).unwrap_or(&empty);
        let (priority, not_assessed) = match &model {
            None => (None, Vec::new()),
            Some(m) => match priority_score(m, scores) {
                Ok(p) => (Some(p), Vec::new()),
                Err(missing) => (None, missing),
            },
        };
        Ok(ProjectAssessment {
            code,
            title: project.title,
            model_version: model.map(|m| m.version),
            assessment,
            priority,
            not_assessed,
        })
    }

    /// Saves a project's scores against the current model. `expected_version`
    /// is the assessment's version the edit started from (0 when unassessed).
    pub async fn save_assessment(
        &self,
        caller: &Caller,
        code: &str,
        expected_version: i64,
        draft: &AssessmentDraft,
    ) -> Result<Assessment> {
        caller.require(Permission::ManagePrioritisation)?;
        let code = project_code(code)?;
        let org = caller.organisation_id();
        let model = self.store.scoring_model(org).await?.ok_or_else(|| {
            ValidationErrors::single(
                "scores",
                "cannot be saved before the organisation has a scoring model",
            )
        })?;
        let previous = self.store.assessment(org, code.as_str()).await?;
        let scores = draft.validate(&model, previous.as_ref())?;
        Ok(self
            .store
            .save_assessment(
                org,
                code.as_str(),
                expected_version,
                &scores,
                &caller.actor(),
            )
            .await?)
    }

    /// The ranked list of the programme's projects (those not closed, live,
    /// withdrawn or merged) under the current model; "not found" before a
    /// model is saved.
    pub async fn ranking(&self, caller: &Caller) -> Result<Ranking> {
        Ok(self.shared_ranking(caller).await?.as_ref().clone())
    }

    /// Each ranked project's priority score (0–100), the value the optimiser
    /// maximises; empty before a model is saved. Unassessed projects are absent.
    pub async fn priority_scores(&self, caller: &Caller) -> Result<BTreeMap<ProjectCode, f64>> {
        match self.shared_ranking(caller).await {
            Ok(r) => Ok(r
                .entries
                .iter()
                .map(|e| (e.code.clone(), e.score))
                .collect()),
            Err(AppError::NotFound("scoring model")) => Ok(BTreeMap::new()),
            Err(e) => Err(e),
        }
    }

    async fn shared_ranking(&self, caller: &Caller) -> Result<Arc<Ranking>> {
        caller.require(Permission::ReadProgramme)?;
        let org = caller.organisation_id();
        let version = caller.data_version;
        if let Some(hit) = self.caches.rankings.get(&org, version) {
            return Ok(hit);
        }
        let model = self
            .store
            .scoring_model(org)
            .await?
            .ok_or(AppError::NotFound("scoring model"))?;
        let ranking = Arc::new(self.compute_ranking(org, &model).await?);
        self.caches.rankings.put(org, version, ranking.clone());
        Ok(ranking)
    }
}

impl App {
    /// Gives a demo organisation the demo's scoring model and an assessment
    /// of each of its projects (through the same validation as a form).
    pub async fn seed_demo_scoring(
        &self,
        organisation_id: i64,
        actor: &portfolio_store::Actor,
    ) -> Result<()> {
        use portfolio_domain::demo::scoring as demo;
        let input = demo::model().validate()?;
        let model = self
            .store
            .save_scoring_model(organisation_id, 0, &input, actor)
            .await?;
        for project in self.store.all_projects(organisation_id).await? {
            let scores = demo::assessment(&project).validate(&model, None)?;
            self.store
                .save_assessment(organisation_id, &project.code, 0, &scores, actor)
                .await?;
        }
        Ok(())
    }
}

impl App {
    /// The ranking of an organisation named by slug, for the command line
    /// (which runs with the database's own authority, like every command).
    pub async fn organisation_ranking(&self, organisation_slug: &str) -> Result<Ranking> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let model = self.store.scoring_model(org.id).await?.ok_or_else(|| {
            ValidationErrors::single(
                "organisation",
                format!(
                    "{organisation_slug} has no scoring model yet; save one on the Scoring page or with PUT /api/v1/scoring-model"
                ),
            )
        })?;
        let ranking = self.compute_ranking(org.id, &model).await?;
        Ok(ranking)
    }

    async fn compute_ranking(&self, org: i64, model: &ScoringModel) -> Result<Ranking> {
        let assessments = self.store.assessments(org).await?;
        let by_code: BTreeMap<&ProjectCode, &Assessment> =
            assessments.iter().map(|a| (&a.project_code, a)).collect();
        let projects = self.store.all_projects(org).await?;
        let candidates: Vec<RankCandidate<'_>> = projects
            .iter()
            .filter(|p| p.stage.is_active() && p.stage != portfolio_domain::Stage::Live)
            .filter_map(|p| {
                let code = ProjectCode::parse(&p.code).ok()?;
                let assessment = by_code.get(&code).copied();
                Some(RankCandidate {
                    code,
                    title: p.title.clone(),
                    assessment,
                })
            })
            .collect();
        Ok(rank(model, &candidates))
    }
}
