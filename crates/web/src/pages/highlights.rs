//! Pages for highlight reports: a project's reports with its confidence
//! trend, one report, the form that writes or changes one, and the
//! programme's reports for a month with the programme's trend.
//!
//! Everyone may read them; editors (`EditProjects`) write them.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use minijinja::{context, Value};
use portfolio_app::meetings::today;
use portfolio_app::AppError;
use portfolio_domain::highlights::{
    HighlightDraft, HighlightReport, MilestoneDraft, Month, TrendPoint,
};
use portfolio_domain::{DeliveryConfidence, Permission, ValidationErrors};
use serde::Deserialize;

use super::{
    confidence_view, conflict_errors, errors_view, layout, long_date, PostedFields as Fields,
};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

/// Milestone rows a form offers beyond those already given.
const SPARE_ROWS: usize = 3;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/highlights", get(programme_page))
        .route(
            "/projects/{code}/highlights",
            get(project_page).post(create),
        )
        .route("/projects/{code}/highlights/new", get(new_page))
        .route("/projects/{code}/highlights/{period}", get(report_page))
        .route(
            "/projects/{code}/highlights/{period}/edit",
            get(edit_page).post(update),
        )
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn report_view(r: &HighlightReport) -> Value {
    let today = today();
    context! {
        code => r.project_code.clone(), title => r.project_title.clone(), period => r.period.as_string(),
        period_label => r.period.label(), confidence => confidence_view(Some(r.confidence)), reason => r.reason.clone(),
        narrative => paragraphs(&r.narrative), decisions_needed => paragraphs(&r.decisions_needed),
        milestones => r.milestones.iter().map(|m| context! {
            name => m.name.clone(), planned => long_date(m.planned), forecast => m.forecast.map(long_date),
            actual => m.actual.map(long_date), status => m.status(today),
        }).collect::<Vec<_>>(),
        top_items => r.top_items.iter().map(|i| context! { id => i.id, reference => i.reference.clone(), title => i.title.clone() }).collect::<Vec<_>>(),
        by => r.submitted_by.clone(), on => long_date(r.submitted_at.date_naive()), version => r.version,
    }
}

fn trend_view(points: &[TrendPoint]) -> Value {
    let ratings: Vec<Value> = DeliveryConfidence::ALL
        .iter()
        .map(|c| context! { label => c.label(), colour => c.tag_colour() })
        .collect();
    let rows: Vec<Value> = points
        .iter()
        .map(|p| {
            context! {
                month => p.month.label(), reported => p.reported,
                counts => p.counts.iter().map(|c| c.count).collect::<Vec<_>>(),
            }
        })
        .collect();
    context! { ratings, rows }
}

#[derive(Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
    done: Option<String>,
}

pub async fn programme_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "dashboard").await?;
    let caller = session.caller();
    let (period, reports, error) = match state
        .app
        .programme_highlights(caller, q.period.as_deref())
        .await
    {
        Ok((p, r)) => (p, r, None),
        Err(AppError::Validation(e)) => (Month::of(today()), Vec::new(), Some(e)),
        Err(e) => return Err(e.into()),
    };
    let (fe, errors) = match &error {
        Some(e) => errors_view(e, |_| ("period".into(), "Month".into())),
        None => (HashMap::new(), Vec::new()),
    };
    let trend = state.app.confidence_trend(caller).await?;
    let months: Vec<Value> = Month::of(today())
        .last(portfolio_app::highlights::TREND_MONTHS)
        .into_iter()
        .rev()
        .map(|m| context! { value => m.as_string(), label => m.label(), selected => m == period })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render_status(
        status,
        "highlights.html",
        context! {
            period => period.label(), months, reports => reports.iter().map(report_view).collect::<Vec<_>>(),
            trend => trend_view(&trend), fe, errors, ..base
        },
    ))
}

pub async fn project_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "register").await?;
    let caller = session.caller();
    let project = state.app.project(caller, &code).await?;
    let reports = state.app.highlight_reports(caller, &project.code).await?;
    let this_month = Month::of(today());
    let has_this_month = reports.iter().any(|r| r.period == this_month);
    let done = q.done.map(|p| match Month::parse(&p) {
        Ok(m) => format!("The highlight report for {} was saved", m.label()),
        Err(_) => "The highlight report was saved".to_string(),
    });
    Ok(render_status(
        StatusCode::OK,
        "project_highlights.html",
        context! {
            p => context! { code => project.code.clone(), title => project.title.clone(), confidence => confidence_view(project.confidence) },
            reports => reports.iter().map(report_view).collect::<Vec<_>>(),
            this_month => this_month.label(), this_month_value => this_month.as_string(), has_this_month, done,
            can_edit => caller.can_on_project(Permission::EditProjects, (&project).into()), ..base
        },
    ))
}

pub async fn report_page(
    State(state): State<AppState>,
    session: PageSession,
    Path((code, period)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "register").await?;
    let caller = session.caller();
    let report = state.app.highlight_report(caller, &code, &period).await?;
    let can_edit = state
        .app
        .project_for(caller, &code, Permission::EditProjects)
        .await
        .is_ok();
    Ok(render_status(
        StatusCode::OK,
        "highlight.html",
        context! { r => report_view(&report), can_edit, ..base },
    ))
}

// ---------------------------------------------------------------------------
// The form
// ---------------------------------------------------------------------------

fn values_of(r: &HighlightReport) -> HashMap<String, String> {
    let mut f = HashMap::new();
    f.insert("period".into(), r.period.as_string());
    f.insert("confidence".into(), r.confidence.as_str().to_string());
    f.insert("reason".into(), r.reason.clone());
    f.insert("narrative".into(), r.narrative.clone());
    f.insert("decisions_needed".into(), r.decisions_needed.clone());
    for (i, m) in r.milestones.iter().enumerate() {
        f.insert(format!("milestone-{i}-name"), m.name.clone());
        f.insert(format!("milestone-{i}-planned"), m.planned.to_string());
        f.insert(
            format!("milestone-{i}-forecast"),
            m.forecast.map(|d| d.to_string()).unwrap_or_default(),
        );
        f.insert(
            format!("milestone-{i}-actual"),
            m.actual.map(|d| d.to_string()).unwrap_or_default(),
        );
    }
    for i in &r.top_items {
        f.insert(format!("item-{}", i.id), "yes".into());
    }
    f
}

fn rows_in(values: &HashMap<String, String>) -> usize {
    (0..40)
        .take_while(|i| values.contains_key(&format!("milestone-{i}-name")))
        .count()
}

fn draft_of(fields: &Fields, items: &[i64]) -> HighlightDraft {
    HighlightDraft {
        period: fields.get("period").to_string(),
        confidence: fields.get("confidence").to_string(),
        reason: fields.get("reason").to_string(),
        narrative: fields.get("narrative").to_string(),
        milestones: (0..rows_in(&fields.0))
            .map(|i| {
                let get = |p: &str| fields.get(&format!("milestone-{i}-{p}")).to_string();
                MilestoneDraft {
                    name: get("name"),
                    planned: get("planned"),
                    forecast: get("forecast"),
                    actual: get("actual"),
                }
            })
            .collect(),
        top_items: items
            .iter()
            .copied()
            .filter(|id| fields.get(&format!("item-{id}")) == "yes")
            .collect(),
        decisions_needed: fields.get("decisions_needed").to_string(),
    }
}

async fn render_form(
    state: &AppState,
    session: &PageSession,
    code: &str,
    editing: Option<&HighlightReport>,
    values: &HashMap<String, String>,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "register").await?;
    let caller = session.caller();
    let project = state.app.project(caller, code).await?;
    let items = state.app.reportable_items(caller, &project.code).await?;
    let (fe, errors) = match errors {
        Some(e) => errors_view(e, |f| {
            if let Some(rest) = f.strip_prefix("milestones[") {
                let (i, part) = rest
                    .split_once("].")
                    .unwrap_or((rest.trim_end_matches(']'), "name"));
                let label = match part {
                    "planned" => "Planned date",
                    "forecast" => "Forecast date",
                    "actual" => "Actual date",
                    _ => "Milestone",
                };
                return (
                    format!("milestone-{i}-{part}"),
                    format!(
                        "{label} of milestone {}",
                        i.parse::<usize>().map_or(1, |n| n + 1)
                    ),
                );
            }
            match f {
                "period" => ("period".into(), "Month".into()),
                "confidence" => ("confidence".into(), "Delivery confidence".into()),
                "reason" => ("reason".into(), "Reason".into()),
                "narrative" => ("narrative".into(), "Progress".into()),
                "decisions_needed" => ("decisions_needed".into(), "Decisions needed".into()),
                "top_items" => ("top-items".into(), "Top risks and issues".into()),
                "version" => ("reason".into(), "Report".into()),
                _ => ("milestone-0-name".into(), "Milestones".into()),
            }
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let chosen = get("confidence");
    let confidences: Vec<Value> = DeliveryConfidence::ALL
        .iter()
        .map(|c| context! { value => c.as_str(), label => c.label(), checked => chosen == c.as_str() })
        .collect();
    let rows: Vec<Value> = (0..rows_in(values) + SPARE_ROWS)
        .map(|i| {
            let id = |p: &str| format!("milestone-{i}-{p}");
            context! {
                n => i + 1, name_id => id("name"), planned_id => id("planned"), forecast_id => id("forecast"), actual_id => id("actual"),
                name => get(&id("name")), planned => get(&id("planned")), forecast => get(&id("forecast")), actual => get(&id("actual")),
                name_error => fe.get(&id("name")).cloned(), planned_error => fe.get(&id("planned")).cloned(),
                forecast_error => fe.get(&id("forecast")).cloned(), actual_error => fe.get(&id("actual")).cloned(),
            }
        })
        .collect();
    let items: Vec<Value> = items
        .iter()
        .map(|i| context! { id => i.id, label => format!("{} {}", i.reference, i.title), checked => get(&format!("item-{}", i.id)) == "yes" })
        .collect();
    let (heading, action) = match editing {
        Some(r) => (
            format!("Change the {} highlight report", r.period.label()),
            format!(
                "/projects/{}/highlights/{}/edit",
                project.code,
                r.period.as_string()
            ),
        ),
        None => (
            "Write a highlight report".to_string(),
            format!("/projects/{}/highlights", project.code),
        ),
    };
    Ok(render_status(
        status,
        "highlight_form.html",
        context! {
            p => context! { code => project.code.clone(), title => project.title.clone() },
            heading, action, editing => editing.map(|r| context! { period => r.period.label(), version => r.version }),
            confidences, rows, items,
            f => context! { period => get("period"), reason => get("reason"), narrative => get("narrative"), decisions_needed => get("decisions_needed") },
            fe, errors, ..base
        },
    ))
}

pub async fn new_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    state
        .app
        .project_for(session.caller(), &code, Permission::EditProjects)
        .await?;
    let mut values = HashMap::new();
    values.insert("period".to_string(), Month::of(today()).as_string());
    // Start from the latest report: milestones and top items carry over.
    if let Some(last) = state
        .app
        .highlight_reports(session.caller(), &code)
        .await?
        .first()
    {
        values = values_of(last);
        values.insert("period".to_string(), Month::of(today()).as_string());
    }
    render_form(&state, &session, &code, None, &values, None, StatusCode::OK).await
}

async fn item_ids(
    state: &AppState,
    session: &PageSession,
    code: &str,
) -> Result<Vec<i64>, PageError> {
    Ok(state
        .app
        .reportable_items(session.caller(), code)
        .await?
        .iter()
        .map(|i| i.id)
        .collect())
}

pub async fn create(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session
        .caller()
        .require_somewhere(Permission::EditProjects)?;
    let draft = draft_of(&fields, &item_ids(&state, &session, &code).await?);
    match state
        .app
        .save_highlight_report(session.caller(), &code, None, 0, &draft)
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!(
            "/projects/{}/highlights?done={}",
            r.project_code,
            r.period.as_string()
        ))
        .into_response()),
        Err(AppError::Validation(e)) => {
            render_form(
                &state,
                &session,
                &code,
                None,
                &fields.0,
                Some(&e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    session: PageSession,
    Path((code, period)): Path<(String, String)>,
) -> Result<Response, PageError> {
    state
        .app
        .project_for(session.caller(), &code, Permission::EditProjects)
        .await?;
    let report = state
        .app
        .highlight_report(session.caller(), &code, &period)
        .await?;
    render_form(
        &state,
        &session,
        &code,
        Some(&report),
        &values_of(&report),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    session: PageSession,
    Path((code, period)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    state
        .app
        .project_for(session.caller(), &code, Permission::EditProjects)
        .await?;
    let report = state
        .app
        .highlight_report(session.caller(), &code, &period)
        .await?;
    let draft = draft_of(&fields, &item_ids(&state, &session, &code).await?);
    let result = match fields.version() {
        Ok(v) => {
            state
                .app
                .save_highlight_report(session.caller(), &code, Some(&period), v, &draft)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!(
            "/projects/{}/highlights?done={}",
            r.project_code,
            r.period.as_string()
        ))
        .into_response()),
        Err(AppError::Validation(e)) => {
            let mut values = fields.0.clone();
            values.insert("period".into(), report.period.as_string());
            render_form(
                &state,
                &session,
                &code,
                Some(&report),
                &values,
                Some(&e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let current = state
                .app
                .highlight_report(session.caller(), &code, &period)
                .await?;
            render_form(
                &state,
                &session,
                &code,
                Some(&current),
                &values_of(&current),
                Some(&conflict_errors("highlight report")),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
