//! The public roadmap's read: an organisation's published projects.
//!
//! Read-only and scoped by organisation. Only projects marked published and
//! in a stage the public roadmap shows (not closed, withdrawn or merged)
//! are read; what of each is shown to the public is the app's choice.

use portfolio_domain::{Project, Stage};

use crate::projects::{project_from, PROJECT_COLUMNS};
use crate::{Result, Store};

/// Stages a published project is shown in: what is being explored, designed,
/// delivered, paused or is now live. Finished, stopped and merged projects
/// are left out.
pub const ROADMAP_STAGES: [Stage; 6] = [
    Stage::Idea,
    Stage::Concept,
    Stage::Design,
    Stage::Delivery,
    Stage::OnHold,
    Stage::Live,
];

impl Store {
    /// The organisation's published projects in the roadmap's stages, in code order.
    pub async fn published_projects(&self, organisation_id: i64) -> Result<Vec<Project>> {
        let stages: Vec<String> = ROADMAP_STAGES
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let sql = format!(
            "SELECT {PROJECT_COLUMNS} FROM projects p JOIN departments d ON d.id = p.department_id \
             WHERE p.organisation_id = $1 AND p.published = 1 AND p.stage IN ({}) \
             ORDER BY p.code_number, p.code",
            stages.join(", ")
        );
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(&sql)
            .bind(organisation_id)
            .fetch_all(&mut *conn)
            .await?;
        let mut projects = rows.iter().map(project_from).collect::<Result<Vec<_>>>()?;
        self.attach_details(&mut conn, &mut projects).await?;
        Ok(projects)
    }
}
