//! The dashboard: counts by stage, department, theme and delivery confidence.

use axum::extract::{Query, State};
use axum::response::Response;
use minijinja::{context, Value};
use portfolio_domain::history::AsAtQuery;
use portfolio_domain::Stage;

use super::{errors_view, layout, long_date};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render;
use crate::AppState;

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Query(asked): Query<AsAtQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "dashboard").await?;
    let caller = session.caller();
    let (as_at, errors) = match asked.parse(portfolio_app::history::today()) {
        Ok(d) => (d, Vec::new()),
        Err(e) => (
            None,
            errors_view(&e, |_| ("as_at-day".to_string(), "The date".to_string())).1,
        ),
    };
    let d = match as_at {
        Some(day) => std::sync::Arc::new(state.app.dashboard_as_at(caller, day).await?),
        None => state.app.dashboard(caller).await?,
    };
    // Links to the register keep the past date.
    let as_at_query = as_at.map(|d| format!("&as_at={d}")).unwrap_or_default();
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
        context! {
            total => d.total, stages, main_stages, columns, departments, themes, confidence, errors,
            as_at => as_at.map(|d| d.to_string()), as_at_long => as_at.map(long_date), as_at_query,
            as_at_form => super::changes::date_boxes(&asked.entry()),
            roadmap_href => format!("/public/{}/roadmap", state.app.organisation(caller).await?.slug), ..base
        },
    ))
}
