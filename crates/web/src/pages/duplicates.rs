//! Possible duplicates: pairs of projects that may describe the same work, for review.
//!
//! The page only shows suggestions; nothing is changed from it. Editors get a
//! link per pair to the merge page, where they choose what to keep.

use axum::extract::State;
use axum::response::Response;
use minijinja::{context, Value};
use portfolio_app::duplicates::{DuplicatePair, DuplicateProject};

use super::{layout, stage_view};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render;
use crate::AppState;

/// Most pairs listed on the page; the rest can be read through the API.
const SHOWN: u32 = 100;

fn project_view(p: &DuplicateProject) -> Value {
    context! {
        code => p.code.clone(),
        title => p.title.clone(),
        department => p.department.name.clone(),
        stage => stage_view(p.stage),
    }
}

fn pair_view(pair: &DuplicatePair) -> Value {
    context! {
        a => project_view(&pair.a),
        b => project_view(&pair.b),
        percent => pair.percent(),
        reasons => pair.reasons.clone(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "duplicates").await?;
    let mut pairs = state.app.duplicates(session.caller(), SHOWN + 1).await?;
    let more = pairs.len() > SHOWN as usize;
    pairs.truncate(SHOWN as usize);
    let pairs: Vec<Value> = pairs.iter().map(pair_view).collect();
    Ok(render(
        "duplicates.html",
        context! { pairs, more, shown => SHOWN, ..base },
    ))
}
