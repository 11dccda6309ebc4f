//! The dashboard: counts by stage, department, theme and delivery confidence.

use axum::extract::State;
use axum::response::Response;
use minijinja::{context, Value};
use portfolio_domain::Stage;

use super::layout;
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render;
use crate::AppState;

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "dashboard").await?;
    let d = state.app.dashboard(session.caller()).await?;
    let stages: Vec<Value> = d
        .by_stage
        .iter()
        .map(|s| context! { value => s.stage.as_str(), label => s.label.clone(), count => s.count })
        .collect();
    let main_stages: Vec<Value> = [Stage::Concept, Stage::Design, Stage::Delivery]
        .iter()
        .map(|s| context! { value => s.as_str(), label => s.label(), count => d.stage_count(*s) })
        .collect();
    // Columns of the stage × department table: stages that have projects.
    let shown: Vec<usize> = (0..Stage::ALL.len())
        .filter(|i| d.by_stage[*i].count > 0)
        .collect();
    let columns: Vec<Value> = shown
        .iter()
        .map(|i| context! { label => d.by_stage[*i].label.clone(), count => d.by_stage[*i].count })
        .collect();
    let departments: Vec<Value> = d
        .by_department
        .iter()
        .map(|row| {
            let cells: Vec<i64> = shown.iter().map(|i| row.by_stage[*i]).collect();
            context! { name => row.name.clone(), slug => row.slug.clone(), cells, total => row.total }
        })
        .collect();
    let themes: Vec<Value> = d
        .by_theme
        .iter()
        .map(|t| context! { name => t.name.clone(), slug => t.slug.clone(), count => t.count })
        .collect();
    let confidence: Vec<Value> = d
        .by_confidence
        .iter()
        .map(|c| context! { value => c.confidence.map(|c| c.as_str()), label => c.label.clone(), count => c.count })
        .collect();
    Ok(render(
        "dashboard.html",
        context! { total => d.total, stages, main_stages, columns, departments, themes, confidence, ..base },
    ))
}
