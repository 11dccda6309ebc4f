//! A project's page, and the forms to add and edit projects.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::consolidate::merge::{Lineage, LineageLink, Merge};
use portfolio_domain::{GovUkPhase, Project, ValidationErrors};
use serde::Deserialize;

use super::form::{view_with_errors, ProjectForm};
use super::{confidence_options, confidence_view, layout, long_date, stage_options, stage_view};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
    /// Set after a merge into this project, to the merge's id.
    merged: Option<String>,
    /// Set after a merge was undone, to the merge's id.
    undone: Option<String>,
}

/// What a project page says above the project, after an action.
pub(crate) enum Notice {
    None,
    Saved,
    Merged,
    Undone,
    /// An undo was refused, and why.
    UndoRefused(String),
}

/// The project page to return to after an undo: the one the button was on,
/// if it is a project of the merge, else the survivor's.
pub(crate) fn return_code(back: &str, merge: &Merge) -> String {
    let back = back.trim().to_ascii_uppercase();
    std::iter::once(&merge.survivor)
        .chain(&merge.merged)
        .find(|p| p.code == back)
        .unwrap_or(&merge.survivor)
        .code
        .clone()
}

fn lineage_view(lineage: &Lineage) -> Value {
    let link = |l: &LineageLink| {
        context! {
            merge_id => l.merge_id, code => l.code.clone(), title => l.title.clone(),
            on => long_date(l.merged_at.date_naive()), by => l.merged_by.clone(),
        }
    };
    context! {
        merged_into => lineage.merged_into.as_ref().map(link),
        merged_from => lineage.merged_from.iter().map(link).collect::<Vec<_>>(),
    }
}

fn project_view(p: &Project) -> Value {
    let capital: i64 = p.costs.iter().map(|c| c.capital_pence.pence()).sum();
    let revenue: i64 = p.costs.iter().map(|c| c.revenue_pence.pence()).sum();
    let costs: Vec<Value> = p
        .costs
        .iter()
        .map(|c| {
            context! {
                year => c.year.to_string(), capital => c.capital_pence.pence(), revenue => c.revenue_pence.pence(),
                total => c.capital_pence.pence() + c.revenue_pence.pence(),
            }
        })
        .collect();
    let or_none = |s: &str| {
        if s.is_empty() {
            "Not recorded".to_string()
        } else {
            s.to_string()
        }
    };
    let themes: Vec<String> = p.themes.iter().map(|t| t.name.clone()).collect();
    let details: Vec<(String, String)> = vec![
        ("Code".into(), p.code.clone()),
        ("Department".into(), p.department.name.clone()),
        (
            "Themes".into(),
            if themes.is_empty() {
                "None".into()
            } else {
                themes.join(", ")
            },
        ),
        ("Stage".into(), p.stage.label().into()),
        (
            "GOV.UK service phase".into(),
            p.phase
                .map_or("Not a service project".into(), |ph| ph.label().to_string()),
        ),
        (
            "Delivery confidence".into(),
            p.confidence
                .map_or("Not rated".into(), |c| c.label().to_string()),
        ),
        ("Sponsor".into(), or_none(&p.sponsor)),
        ("Project manager".into(), or_none(&p.manager)),
        (
            "Start date".into(),
            p.start_date.map_or("Not set".into(), long_date),
        ),
        (
            "End date".into(),
            p.end_date.map_or("Not set".into(), long_date),
        ),
        (
            "Tags".into(),
            if p.tags.is_empty() {
                "None".into()
            } else {
                p.tags.join(", ")
            },
        ),
        (
            "What this changes for residents".into(),
            if p.residents.is_empty() {
                "Not written yet".into()
            } else {
                p.residents.clone()
            },
        ),
        (
            "Public roadmap".into(),
            if p.published {
                "Published".into()
            } else {
                "Not published".into()
            },
        ),
        (
            "Version".into(),
            format!(
                "{} (last changed {})",
                p.version,
                p.updated_at.format("%-d %B %Y at %H:%M UTC")
            ),
        ),
    ];
    let summary_paragraphs: Vec<&str> = p
        .summary
        .split("\n\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    context! {
        code => p.code.clone(), title => p.title.clone(), department => p.department.name.clone(),
        stage => stage_view(p.stage), confidence => confidence_view(p.confidence), published => p.published,
        summary_paragraphs, details, costs, capital_total => capital, revenue_total => revenue, total_cost => capital + revenue,
    }
}

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let notice = if q.saved.is_some() {
        Notice::Saved
    } else if q.merged.is_some() {
        Notice::Merged
    } else if q.undone.is_some() {
        Notice::Undone
    } else {
        Notice::None
    };
    page(&state, &session, &code, notice, StatusCode::OK).await
}

/// A project's page, with a notice about what just happened.
pub(crate) async fn page(
    state: &AppState,
    session: &PageSession,
    code: &str,
    notice: Notice,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "register").await?;
    let project = state.app.project(session.caller(), code).await?;
    let lineage = state.app.lineage(session.caller(), &project).await?;
    let project_scenarios =
        super::scenarios::project_section(state, session, project.code.as_str()).await?;
    let history: Vec<Value> = state
        .app
        .project_history(session.caller(), &project)
        .await?
        .iter()
        .rev()
        .map(|h| {
            let action = match h.action.as_str() {
                "created" => "Created".to_string(),
                "updated" => "Updated".to_string(),
                "withdrawn" => "Withdrawn".to_string(),
                "merged" => "Merged".to_string(),
                "merge_undone" => "Merge undone".to_string(),
                other => other.replace('_', " "),
            };
            context! { action, actor => h.actor.clone(), at => h.at.format("%-d %B %Y at %H:%M UTC").to_string(), changes => h.changed_fields() }
        })
        .collect();
    let change_requests = super::priorities::change_requests_view(
        &state
            .app
            .project_priorities(session.caller(), &project)
            .await?,
    );
    let imported_from: Vec<Value> = state
        .app
        .project_provenance(session.caller(), &project)
        .await?
        .iter()
        .map(|p| {
            context! {
                file => p.origin.file.clone(), sheet => p.origin.sheet.clone(), row => p.origin.row,
                source => p.origin.source.clone(), at => long_date(p.imported_at.date_naive()),
            }
        })
        .collect();
    let (undo_error, errors) = match notice {
        Notice::UndoRefused(ref message) => (
            Some(message.clone()),
            vec![super::ErrorLink {
                target: "lineage".into(),
                message: format!("The merge could not be undone: {message}"),
            }],
        ),
        _ => (None, Vec::new()),
    };
    let priority_score = super::scoring::project_score(state, session, &project.code).await?;
    let plan = super::capacity::plan_summary(state, session, &project).await?;
    let raid = super::raid::project_summary(state, session, &project.code).await?;
    let gates = super::gates::project_section(state, session, &project).await?;
    Ok(render_status(
        status,
        "project.html",
        context! {
            plan, raid, gates, p => project_view(&project), history, saved => matches!(notice, Notice::Saved),
            merged => matches!(notice, Notice::Merged), undone => matches!(notice, Notice::Undone),
            priority_score,
            lineage => lineage_view(&lineage), project_scenarios, change_requests, imported_from, undo_error, errors,
            can_edit => session.caller().can_on_project(portfolio_domain::Permission::EditProjects, (&project).into()),
            ..base
        },
    ))
}

/// What was wrong with a submitted form: the form's own findings, the
/// domain's, and which form row each cost line came from.
#[derive(Clone, Copy, Default)]
struct Problems<'a> {
    local: &'a [(String, String)],
    domain: Option<&'a ValidationErrors>,
    cost_rows: &'a [usize],
}

/// What the form page needs besides the form itself.
struct FormPage<'a> {
    heading: &'a str,
    action: String,
    cancel: String,
    editing: bool,
    version: Option<i64>,
    conflict: Option<Value>,
}

async fn render_form(
    state: &AppState,
    session: &PageSession,
    form: &ProjectForm,
    page: FormPage<'_>,
    problems: Problems<'_>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(
        state,
        session,
        if page.editing { "register" } else { "new" },
    )
    .await?;
    let departments = state.app.departments(session.caller()).await?;
    let themes = state.app.themes(session.caller()).await?;
    let (fe, row_errors, errors) =
        form.errors_view(problems.local, problems.domain, problems.cost_rows);
    let phase_options: Vec<Value> = GovUkPhase::ALL
        .iter()
        .map(|p| context! { value => p.as_str(), label => p.label() })
        .collect();
    Ok(render_status(
        status,
        "project_form.html",
        context! {
        heading => page.heading, action => page.action, cancel => page.cancel, editing => page.editing,
        version => page.version, conflict => page.conflict, code => form.get("code"),
        f => view_with_errors(form, &row_errors), fe, errors,
        department_options => departments, theme_options => themes, stage_options => stage_options(false),
        phase_options, confidence_options => confidence_options(), ..base },
    ))
}

fn new_page() -> FormPage<'static> {
    FormPage {
        heading: "Add a project",
        action: "/projects".into(),
        cancel: "/projects".into(),
        editing: false,
        version: None,
        conflict: None,
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    session
        .caller()
        .require(portfolio_domain::Permission::EditProjects)?;
    let form = ProjectForm::from_pairs(vec![("stage".into(), "idea".into())]);
    render_form(
        &state,
        &session,
        &form,
        new_page(),
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

/// Runs `save` when the form itself found nothing wrong; otherwise only
/// validates the draft, so the page lists the form's and the domain's
/// problems together and nothing is written.
async fn save_unless_form_errors(
    state: &AppState,
    session: &PageSession,
    draft: &portfolio_domain::ProjectDraft,
    local: &[(String, String)],
    save: impl std::future::Future<Output = Result<Project, AppError>>,
) -> Result<Project, AppError> {
    if local.is_empty() {
        return save.await;
    }
    match state.app.check_project(session.caller(), draft).await {
        Ok(()) => Err(AppError::Validation(ValidationErrors::default())),
        Err(e) => Err(e),
    }
}

pub async fn create(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = ProjectForm::from_pairs(pairs);
    session.check_csrf(form.get("csrf_token"))?;
    let (draft, local, cost_rows) = form.to_draft();
    let result = save_unless_form_errors(
        &state,
        &session,
        &draft,
        &local,
        state.app.create_project(session.caller(), &draft),
    )
    .await;
    match result {
        Ok(project) => {
            Ok(Redirect::to(&format!("/projects/{}?saved=1", project.code)).into_response())
        }
        Err(AppError::Validation(domain)) => {
            render_form(
                &state,
                &session,
                &form,
                new_page(),
                Problems {
                    local: &local,
                    domain: Some(&domain),
                    cost_rows: &cost_rows,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

fn edit_page(code: &str, version: i64, conflict: Option<Value>) -> FormPage<'static> {
    FormPage {
        heading: "Edit project",
        action: format!("/projects/{code}/edit"),
        cancel: format!("/projects/{code}"),
        editing: true,
        version: Some(version),
        conflict,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    session
        .caller()
        .require_somewhere(portfolio_domain::Permission::EditProjects)?;
    let project = state.app.project(session.caller(), &code).await?;
    session.caller().require_on_project(
        portfolio_domain::Permission::EditProjects,
        (&project).into(),
    )?;
    let form = ProjectForm::from_project(&project);
    render_form(
        &state,
        &session,
        &form,
        edit_page(&project.code, project.version, None),
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

/// The fields that differ between the stored project and what the person typed.
fn differences(theirs: &ProjectForm, yours: &ProjectForm) -> Vec<Value> {
    let fields = [
        ("title", "Title"),
        ("summary", "Summary"),
        ("department_id", "Department"),
        ("stage", "Stage"),
        ("phase", "GOV.UK service phase"),
        ("sponsor", "Sponsor"),
        ("manager", "Project manager"),
        ("confidence", "Delivery confidence"),
        ("tags", "Tags"),
        ("published", "Public roadmap"),
        ("residents", "What this changes for residents"),
    ];
    fields
        .iter()
        .filter(|(id, _)| theirs.get(id).trim() != yours.get(id).trim())
        .map(|(id, label)| context! { field => *label, theirs => theirs.get(id), yours => yours.get(id) })
        .collect()
}

pub async fn update(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = ProjectForm::from_pairs(pairs);
    session.check_csrf(form.get("csrf_token"))?;
    let version: i64 = match form.get("version").parse() {
        Ok(v) => v,
        Err(_) => {
            return Err(AppError::Validation(ValidationErrors::single(
                "version",
                "is missing from the form; open the edit page again",
            ))
            .into())
        }
    };
    let (mut draft, local, cost_rows) = form.to_draft();
    let current = state.app.project(session.caller(), &code).await?;
    draft.code = Some(current.code.clone());
    let save = state
        .app
        .update_project(session.caller(), &current.code, version, &draft);
    let result = save_unless_form_errors(&state, &session, &draft, &local, save).await;
    match result {
        Ok(project) => {
            Ok(Redirect::to(&format!("/projects/{}?saved=1", project.code)).into_response())
        }
        Err(AppError::Validation(domain)) => {
            render_form(
                &state,
                &session,
                &form,
                edit_page(&current.code, version, None),
                Problems {
                    local: &local,
                    domain: Some(&domain),
                    cost_rows: &cost_rows,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict {
            current: stored, ..
        }) => {
            let stored = match *stored {
                Some(p) => p,
                None => state.app.project(session.caller(), &code).await?,
            };
            let history = state.app.project_history(session.caller(), &stored).await?;
            let actor = history
                .last()
                .map(|h| h.actor.clone())
                .unwrap_or_else(|| "Someone".into());
            let theirs = ProjectForm::from_project(&stored);
            let conflict = context! { actor, version => stored.version, differences => differences(&theirs, &form) };
            render_form(
                &state,
                &session,
                &form,
                edit_page(&stored.code, stored.version, Some(conflict)),
                Problems::default(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
