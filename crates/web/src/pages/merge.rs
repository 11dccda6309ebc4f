//! Merging projects: compare them side by side, choose the survivor and the
//! value of each field, check the result, confirm; and undo a merge.
//!
//! The pages only translate: the form becomes the domain's [`MergeDraft`],
//! which the application previews or writes; its answers become pages.
//! Which values can combine, and every rule of a merge, live in the domain.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::consolidate::merge::{
    add_costs, FieldChoice, MergeDraft, MergeField, MergeMemberDraft,
};
use portfolio_domain::{Money, Permission, Project, ValidationErrors};
use serde::Deserialize;

use super::{layout, long_date, stage_view, ErrorLink};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

/// A field's value as the pages show it.
fn display(p: &Project, field: MergeField) -> String {
    let or = |s: &str, none: &str| {
        if s.trim().is_empty() {
            none.to_string()
        } else {
            s.to_string()
        }
    };
    match field {
        MergeField::Title => p.title.clone(),
        MergeField::Summary => or(&p.summary, "No summary"),
        MergeField::Department => p.department.name.clone(),
        MergeField::Themes => {
            let names: Vec<&str> = p.themes.iter().map(|t| t.name.as_str()).collect();
            or(&names.join(", "), "None")
        }
        MergeField::Stage => p.stage.label().to_string(),
        MergeField::Phase => p
            .phase
            .map_or("Not a service project".into(), |ph| ph.label().to_string()),
        MergeField::Sponsor => or(&p.sponsor, "Not recorded"),
        MergeField::Manager => or(&p.manager, "Not recorded"),
        MergeField::StartDate => p.start_date.map_or("Not set".into(), long_date),
        MergeField::EndDate => p.end_date.map_or("Not set".into(), long_date),
        MergeField::Costs => costs_text(p),
        MergeField::Confidence => p
            .confidence
            .map_or("Not rated".into(), |c| c.label().to_string()),
        MergeField::Tags => or(&p.tags.join(", "), "None"),
        MergeField::Published => if p.published {
            "Published"
        } else {
            "Not published"
        }
        .to_string(),
    }
}

fn costs_text(p: &Project) -> String {
    if p.costs.is_empty() {
        return "No costs recorded".to_string();
    }
    let years: Vec<String> = p
        .costs
        .iter()
        .map(|c| {
            format!(
                "{}: {} capital, {} revenue",
                c.year, c.capital_pence, c.revenue_pence
            )
        })
        .collect();
    format!("{} in all ({})", p.total_cost(), years.join("; "))
}

/// What the form said: the projects in order, their versions, the survivor
/// and a choice per field (a project's code or "combine").
#[derive(Debug, Default)]
struct MergeForm {
    codes: Vec<String>,
    versions: HashMap<String, i64>,
    survivor: String,
    fields: BTreeMap<MergeField, String>,
}

impl MergeForm {
    fn from_pairs(pairs: &[(String, String)]) -> MergeForm {
        let mut form = MergeForm::default();
        for (k, v) in pairs {
            if k == "projects" {
                form.codes = split_codes(v);
            } else if k == "survivor" {
                form.survivor = v.trim().to_string();
            } else if let Some(code) = k.strip_prefix("version-") {
                form.versions
                    .insert(code.to_string(), v.trim().parse().unwrap_or(0));
            } else if let Some(name) = k.strip_prefix("field_") {
                if let Ok(field) = MergeField::parse(name) {
                    form.fields.insert(field, v.trim().to_string());
                }
            }
        }
        form
    }

    /// The first visit: the first project continues and keeps its own values.
    fn initial(projects: &[Project]) -> MergeForm {
        let first = projects.first().map(|p| p.code.clone()).unwrap_or_default();
        MergeForm {
            codes: projects.iter().map(|p| p.code.clone()).collect(),
            versions: projects
                .iter()
                .map(|p| (p.code.clone(), p.version))
                .collect(),
            survivor: first.clone(),
            fields: MergeField::ALL
                .iter()
                .map(|f| (*f, first.clone()))
                .collect(),
        }
    }

    fn draft(&self) -> MergeDraft {
        let member = |code: &str| MergeMemberDraft {
            code: code.to_string(),
            version: self.versions.get(code).copied().unwrap_or(0),
        };
        MergeDraft {
            survivor: member(&self.survivor),
            merged: self
                .codes
                .iter()
                .filter(|c| **c != self.survivor)
                .map(|c| member(c))
                .collect(),
            fields: self
                .fields
                .iter()
                .map(|(f, v)| (f.as_str().to_string(), v.clone()))
                .collect(),
        }
    }

    /// The form's values as hidden inputs, to carry them to the next step.
    fn hidden(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("projects".to_string(), self.codes.join(",")),
            ("survivor".to_string(), self.survivor.clone()),
        ];
        for code in &self.codes {
            if let Some(v) = self.versions.get(code) {
                out.push((format!("version-{code}"), v.to_string()));
            }
        }
        for (field, value) in &self.fields {
            out.push((format!("field_{}", field.as_str()), value.clone()));
        }
        out
    }
}

fn split_codes(list: &str) -> Vec<String> {
    list.split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect()
}

/// The form's id for a domain error's field, so the summary links to it.
fn target(field: &str, shown: &[MergeField]) -> String {
    if let Some(name) = field.strip_prefix("fields.") {
        if let Ok(f) = MergeField::parse(name) {
            if shown.contains(&f) {
                return format!("field_{}", f.as_str());
            }
        }
    }
    "survivor".to_string()
}

fn error_links(errors: &ValidationErrors, shown: &[MergeField]) -> Vec<ErrorLink> {
    errors
        .0
        .iter()
        .map(|e| {
            let label = e
                .field
                .strip_prefix("fields.")
                .and_then(|f| MergeField::parse(f).ok())
                .map(|f| f.label())
                .unwrap_or("Projects");
            ErrorLink {
                target: target(&e.field, shown),
                message: format!("{label}: {}", e.message),
            }
        })
        .collect()
}

/// Fields whose values differ between the projects: those the person chooses.
fn differing(projects: &[Project]) -> Vec<MergeField> {
    MergeField::ALL
        .into_iter()
        .filter(|f| {
            let first = projects.first().map(|p| display(p, *f));
            projects.iter().any(|p| Some(display(p, *f)) != first)
        })
        .collect()
}

struct FormPage<'a> {
    projects: &'a [Project],
    form: &'a MergeForm,
    errors: Vec<ErrorLink>,
    field_errors: HashMap<String, String>,
    conflict: Option<Value>,
    status: StatusCode,
}

async fn render_form(
    state: &AppState,
    session: &PageSession,
    page: FormPage<'_>,
) -> Result<Response, PageError> {
    let base = layout(state, session, "duplicates").await?;
    let projects = page.projects;
    let shown = differing(projects);
    let columns: Vec<Value> = projects
        .iter()
        .map(|p| context! { code => p.code.clone(), title => p.title.clone(), version => p.version, stage => stage_view(p.stage) })
        .collect();
    let rows: Vec<Value> = MergeField::ALL
        .iter()
        .map(|f| {
            let values: Vec<String> = projects.iter().map(|p| display(p, *f)).collect();
            context! { label => f.label(), values, differs => shown.contains(f) }
        })
        .collect();
    let fields: Vec<Value> = shown
        .iter()
        .map(|f| {
            let chosen = page.form.fields.get(f).cloned().unwrap_or_default();
            let mut options: Vec<Value> = projects
                .iter()
                .map(|p| {
                    context! {
                        value => p.code.clone(), label => format!("{}’s value", p.code),
                        hint => display(p, *f), checked => chosen == p.code,
                    }
                })
                .collect();
            if let Some(words) = f.combination() {
                let hint = match f {
                    MergeField::Costs => {
                        let all: Vec<&Project> = projects.iter().collect();
                        add_costs(&all).map_or_else(
                            |e| e,
                            |costs| {
                                let total = costs.iter().fold(0i64, |acc, c| {
                                    acc + c.capital_pence.pence() + c.revenue_pence.pence()
                                });
                                format!(
                                    "{} in all",
                                    Money::from_pence(total).map_or(String::new(), |m| m.to_string())
                                )
                            },
                        )
                    }
                    _ => String::new(),
                };
                options.push(context! { value => "combine", label => words, hint, checked => chosen == "combine" });
            }
            let id = format!("field_{}", f.as_str());
            context! { id => id.clone(), name => id.clone(), legend => f.label(), options, error => page.field_errors.get(&id).cloned() }
        })
        .collect();
    let same: Vec<&str> = MergeField::ALL
        .iter()
        .filter(|f| !shown.contains(f))
        .map(|f| f.label())
        .collect();
    let survivors: Vec<Value> = projects
        .iter()
        .map(|p| context! { value => p.code.clone(), label => format!("{} {}", p.code, p.title), checked => page.form.survivor == p.code })
        .collect();
    let versions: Vec<Value> = projects
        .iter()
        .map(|p| context! { code => p.code.clone(), version => page.form.versions.get(&p.code).copied().unwrap_or(p.version) })
        .collect();
    Ok(render_status(
        page.status,
        "merge.html",
        context! {
            columns, rows, fields, same, survivors, versions,
            projects_list => page.form.codes.join(","),
            survivor_error => page.field_errors.get("survivor").cloned(),
            conflict => page.conflict, errors => page.errors, ..base
        },
    ))
}

#[derive(Deserialize)]
pub struct MergeQuery {
    projects: Option<String>,
}

/// The merge page for the projects the address names (`?projects=DP-012,DP-040`).
pub async fn form(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<MergeQuery>,
) -> Result<Response, PageError> {
    session.caller().require(Permission::EditProjects)?;
    let codes = split_codes(q.projects.as_deref().unwrap_or(""));
    let projects = state.app.merge_candidates(session.caller(), &codes).await?;
    let form = MergeForm::initial(&projects);
    render_form(
        &state,
        &session,
        FormPage {
            projects: &projects,
            form: &form,
            errors: Vec::new(),
            field_errors: HashMap::new(),
            conflict: None,
            status: StatusCode::OK,
        },
    )
    .await
}

/// The form shown again: with the domain's errors, or after a conflict with
/// the projects as they are now.
async fn form_again(
    state: &AppState,
    session: &PageSession,
    form: &mut MergeForm,
    error: AppError,
) -> Result<Response, PageError> {
    match error {
        AppError::Validation(errors) => {
            let projects = state
                .app
                .merge_candidates(session.caller(), &form.codes)
                .await?;
            let shown = differing(&projects);
            let links = error_links(&errors, &shown);
            let field_errors: HashMap<String, String> = links
                .iter()
                .map(|l| (l.target.clone(), l.message.clone()))
                .collect();
            render_form(
                state,
                session,
                FormPage {
                    projects: &projects,
                    form,
                    errors: links,
                    field_errors,
                    conflict: None,
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                },
            )
            .await
        }
        AppError::Conflict { current, .. } => {
            let projects = state
                .app
                .merge_candidates(session.caller(), &form.codes)
                .await?;
            let changed = current.as_ref().as_ref().map(|p| p.code.clone());
            // The comparison now shows the stored values; merging again uses them.
            for p in &projects {
                form.versions.insert(p.code.clone(), p.version);
            }
            let history = match current.as_ref() {
                Some(p) => state.app.project_history(session.caller(), p).await?,
                None => Vec::new(),
            };
            let actor = history
                .last()
                .map(|h| h.actor.clone())
                .unwrap_or_else(|| "Someone".into());
            render_form(
                state,
                session,
                FormPage {
                    projects: &projects,
                    form,
                    errors: Vec::new(),
                    field_errors: HashMap::new(),
                    conflict: Some(context! { code => changed, actor }),
                    status: StatusCode::CONFLICT,
                },
            )
            .await
        }
        other => Err(other.into()),
    }
}

/// "Continue" (check the result), "Change your choices" or "Merge projects".
pub async fn submit(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    session.check_csrf(get("csrf_token"))?;
    session.caller().require(Permission::EditProjects)?;
    let mut form = MergeForm::from_pairs(&pairs);
    let draft = form.draft();
    match get("step") {
        "confirm" => match state.app.merge(session.caller(), &draft).await {
            Ok(merge) => Ok(Redirect::to(&format!(
                "/projects/{}?merged={}",
                merge.survivor.code, merge.id
            ))
            .into_response()),
            Err(e) => form_again(&state, &session, &mut form, e).await,
        },
        "edit" => {
            let projects = state
                .app
                .merge_candidates(session.caller(), &form.codes)
                .await?;
            render_form(
                &state,
                &session,
                FormPage {
                    projects: &projects,
                    form: &form,
                    errors: Vec::new(),
                    field_errors: HashMap::new(),
                    conflict: None,
                    status: StatusCode::OK,
                },
            )
            .await
        }
        _ => match state.app.preview_merge(session.caller(), &draft).await {
            Ok(preview) => {
                let base = layout(&state, &session, "duplicates").await?;
                let plan = draft.parse().map_err(AppError::Validation)?;
                let rows: Vec<Value> = MergeField::ALL
                    .iter()
                    .map(|f| {
                        let from = match plan.choice(*f) {
                            FieldChoice::Survivor => preview.survivor.code.clone(),
                            FieldChoice::From(code) => code.to_string(),
                            FieldChoice::Combine => "Combined".to_string(),
                        };
                        context! { label => f.label(), value => display(&preview.survivor, *f), from }
                    })
                    .collect();
                let merged: Vec<Value> = preview
                    .merged
                    .iter()
                    .map(|p| context! { code => p.code.clone(), title => p.title.clone() })
                    .collect();
                let hidden: Vec<Value> = form
                    .hidden()
                    .into_iter()
                    .map(|(name, value)| context! { name, value })
                    .collect();
                Ok(render_status(
                    StatusCode::OK,
                    "merge_check.html",
                    context! {
                        survivor => context! { code => preview.survivor.code.clone(), title => preview.survivor.title.clone() },
                        merged, rows, hidden, ..base
                    },
                ))
            }
            Err(e) => form_again(&state, &session, &mut form, e).await,
        },
    }
}

#[derive(Deserialize)]
pub struct UndoForm {
    csrf_token: String,
    /// The project page the button was on, to return to.
    #[serde(default)]
    back: String,
}

/// "Undo this merge", from either project's page.
pub async fn undo(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(form): Form<UndoForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf_token)?;
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| PageError(AppError::NotFound("merge")))?;
    match state.app.undo_merge(session.caller(), id).await {
        Ok(merge) => {
            let back = super::project::return_code(&form.back, &merge);
            Ok(Redirect::to(&format!("/projects/{back}?undone={id}")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let merge = state.app.merge_record(session.caller(), id).await?;
            let back = super::project::return_code(&form.back, &merge);
            let message = errors
                .0
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            super::project::page(
                &state,
                &session,
                &back,
                super::project::Notice::UndoRefused(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
