//! Building the demo council, and larger synthetic organisations for benchmarks.

use portfolio_domain::demo;
use portfolio_domain::project::Reference;
use portfolio_domain::{Role, ValidationErrors};
use portfolio_store::{Actor, NewProject};

use crate::{App, AppError, Result};

/// Projects written per transaction when seeding.
const SEED_BATCH: usize = 1_000;

/// What `seed_demo` made.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    pub organisation_slug: String,
    pub admin_email: String,
    /// A department lead, who signs in with the administrator's password.
    pub lead_email: String,
    pub projects: usize,
}

impl App {
    /// Creates an organisation with the demo's departments and themes and the
    /// given projects. Every project goes through the same validation as a form.
    pub async fn seed_organisation(
        &self,
        slug: &str,
        name: &str,
        drafts: &[portfolio_domain::ProjectDraft],
        actor: &Actor,
    ) -> Result<usize> {
        let org = self
            .store
            .create_organisation(slug, name, demo::CODE_PREFIX, actor)
            .await?;
        let mut departments = Vec::new();
        for (dslug, dname) in demo::DEPARTMENTS {
            departments.push(
                self.store
                    .create_department(org.id, dslug, dname, actor)
                    .await?,
            );
        }
        let mut themes = Vec::new();
        for (tslug, tname, description) in demo::THEMES {
            themes.push(
                self.store
                    .create_theme(org.id, tslug, tname, description, actor)
                    .await?,
            );
        }
        let reference = Reference {
            departments: &departments,
            themes: &themes,
        };
        let inputs = drafts
            .iter()
            .map(|draft| draft.validate(&reference).map_err(AppError::Validation))
            .collect::<Result<Vec<_>>>()?;
        for chunk in inputs.chunks(SEED_BATCH) {
            let items: Vec<NewProject<'_>> = chunk
                .iter()
                .map(|input| NewProject { input, actor })
                .collect();
            self.store
                .create_projects(org.id, demo::CODE_PREFIX, &items)
                .await?;
        }
        Ok(drafts.len())
    }

    /// Builds Northmere County Council with its 76 projects, an administrator
    /// and a department lead (who submits priorities), both with `admin_password`.
    /// Refuses when the organisation already exists.
    pub async fn seed_demo(&self, admin_password: &str) -> Result<DemoSeed> {
        if self
            .store
            .organisation_by_slug(demo::ORGANISATION_SLUG)
            .await
            .is_ok()
        {
            return Err(AppError::Validation(ValidationErrors::single(
                "organisation",
                "the demo council already exists in this database",
            )));
        }
        let actor = Actor::system("demo");
        let drafts = demo::projects();
        let n = self
            .seed_organisation(
                demo::ORGANISATION_SLUG,
                demo::ORGANISATION_NAME,
                &drafts,
                &actor,
            )
            .await?;
        self.add_user(
            demo::ORGANISATION_SLUG,
            demo::ADMIN_EMAIL,
            demo::ADMIN_NAME,
            Role::Admin,
            admin_password,
            &actor,
        )
        .await?;
        self.add_user(
            demo::ORGANISATION_SLUG,
            demo::LEAD_EMAIL,
            demo::LEAD_NAME,
            Role::DepartmentLead,
            admin_password,
            &actor,
        )
        .await?;
        Ok(DemoSeed {
            organisation_slug: demo::ORGANISATION_SLUG.to_string(),
            admin_email: demo::ADMIN_EMAIL.to_string(),
            lead_email: demo::LEAD_EMAIL.to_string(),
            projects: n,
        })
    }
}
