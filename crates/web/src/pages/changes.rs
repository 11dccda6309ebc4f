//! What changed between two dates: the page with a period form and a
//! section per kind of change (`/changes?since=…&until=…`, the names the
//! board-meeting pages link with).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::history::{
    Changes, DateEntry, DecisionSource, PeriodQuery, PAGE_SECTION_LIMIT,
};

use super::{confidence_view, errors_view, layout, long_date, stage_view};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

/// A date input's boxes as typed, for the form to show again.
pub(crate) fn date_boxes(entry: &DateEntry) -> Value {
    let iso = entry
        .iso
        .as_deref()
        .and_then(|s| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok());
    let part = |typed: &Option<String>, from_iso: Option<String>| {
        typed
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or(from_iso)
            .unwrap_or_default()
    };
    use chrono::Datelike;
    context! {
        day => part(&entry.day, iso.map(|d| d.day().to_string())),
        month => part(&entry.month, iso.map(|d| d.month().to_string())),
        year => part(&entry.year, iso.map(|d| d.year().to_string())),
    }
}

/// One section: its anchor, heading, count and the rows the page shows.
fn section(id: &str, title: &str, rows: Vec<Value>) -> Value {
    let count = rows.len();
    let shown: Vec<Value> = rows.into_iter().take(PAGE_SECTION_LIMIT).collect();
    context! { id, title, count, more => count.saturating_sub(shown.len()), rows => shown }
}

fn sections(c: &Changes) -> Vec<Value> {
    let new_projects = c
        .new_projects
        .iter()
        .map(|n| {
            context! { project => Value::from_serialize(&n.project), department => n.department.clone().unwrap_or_default(),
            stage => n.stage.map(stage_view), total_cost_pence => n.total_cost_pence }
        })
        .collect();
    let stage_moves = c
        .stage_moves
        .iter()
        .map(|m| context! { project => Value::from_serialize(&m.project), from => stage_view(m.from), to => stage_view(m.to) })
        .collect();
    let confidence = c
        .confidence_changes
        .iter()
        .map(|m| context! { project => Value::from_serialize(&m.project), from => confidence_view(m.from), to => confidence_view(m.to) })
        .collect();
    let costs = c.cost_changes.iter().map(Value::from_serialize).collect();
    let date_text = |d: Option<chrono::NaiveDate>| d.map_or("none".to_string(), long_date);
    let dates = c
        .date_changes
        .iter()
        .map(|d| {
            context! { project => Value::from_serialize(&d.project),
            start_changed => d.start_from != d.start_to, start_from => date_text(d.start_from), start_to => date_text(d.start_to),
            end_changed => d.end_from != d.end_to, end_from => date_text(d.end_from), end_to => date_text(d.end_to) }
        })
        .collect();
    let risks = |v: &[portfolio_domain::history::RiskMention]| {
        v.iter().map(Value::from_serialize).collect()
    };
    let decisions = c
        .decisions
        .iter()
        .map(|d| {
            let href = match d.source {
                DecisionSource::Gate => Some(format!("/gates/{}", d.id)),
                DecisionSource::Board => d.meeting_id.map(|m| format!("/meetings/{m}")),
            };
            context! { summary => d.summary.clone(), href, project => d.project.as_ref().map(Value::from_serialize),
            meeting_title => d.meeting_title.clone(), meeting_href => d.meeting_id.map(|m| format!("/meetings/{m}")),
            date => d.decided_at.map(|t| long_date(t.date_naive())).unwrap_or_default() }
        })
        .collect();
    vec![
        section("new-projects", "New projects", new_projects),
        section("stage-moves", "Stage moves", stage_moves),
        section(
            "confidence-changes",
            "Delivery confidence changes",
            confidence,
        ),
        section("cost-changes", "Cost changes", costs),
        section("date-changes", "Date changes", dates),
        section("risks-opened", "Risks opened", risks(&c.risks_opened)),
        section("risks-closed", "Risks closed", risks(&c.risks_closed)),
        section(
            "risks-rescored",
            "Risks re-scored",
            c.risks_rescored.iter().map(Value::from_serialize).collect(),
        ),
        section("decisions", "Decisions taken", decisions),
    ]
}

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "governance").await?;
    let form =
        context! { since => date_boxes(&query.since()), until => date_boxes(&query.until()) };
    if query.is_blank() {
        return Ok(render_status(
            StatusCode::OK,
            "changes.html",
            context! { form, fe => context! {}, changes => false, ..base },
        ));
    }
    let changes = match state
        .app
        .changes(session.caller(), &query.since(), &query.until())
        .await
    {
        Ok(changes) => changes,
        Err(AppError::Validation(e)) => {
            let (fe, errors) = errors_view(&e, |field| {
                let label = if field == "until" {
                    "The last day"
                } else {
                    "The first day"
                };
                (format!("{field}-day"), label.to_string())
            });
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "changes.html",
                context! { form, fe, errors, changes => false, ..base },
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let period = context! {
        since => changes.period.since.to_string(), until => changes.period.until.to_string(),
        since_long => long_date(changes.period.since), until_long => long_date(changes.period.until),
    };
    Ok(render_status(
        StatusCode::OK,
        "changes.html",
        context! {
            form, fe => context! {}, period, changes => true, total => changes.counts.total(),
            sections => sections(&changes), ..base
        },
    ))
}
