//! Intake pages: submit a priority, the list (the programme office's triage
//! queue, or a department lead's own submissions), and a priority's page with
//! its outcome and, for the programme office, the three triage decisions.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::intake::{Priority, PriorityDraft, PriorityQuery, PriorityStatus, Urgency};
use portfolio_domain::{Permission, ValidationErrors};
use serde::Deserialize;

use super::{layout, long_date, ErrorLink};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

/// Posted fields, with repeated checkboxes (`themes`) kept together.
struct Fields {
    one: HashMap<String, String>,
    themes: Vec<String>,
}

impl Fields {
    fn from_pairs(pairs: Vec<(String, String)>) -> Fields {
        let mut fields = Fields {
            one: HashMap::new(),
            themes: Vec::new(),
        };
        for (k, v) in pairs {
            if k == "themes" {
                fields.themes.push(v);
            } else {
                fields.one.insert(k, v);
            }
        }
        fields
    }

    fn get(&self, key: &str) -> &str {
        self.one.get(key).map(String::as_str).unwrap_or("")
    }

    fn draft(&self) -> PriorityDraft {
        let optional = |k: &str| Some(self.get(k).to_string()).filter(|s| !s.trim().is_empty());
        PriorityDraft {
            title: self.get("title").to_string(),
            problem: self.get("problem").to_string(),
            beneficiaries: self.get("beneficiaries").to_string(),
            urgency: self.get("urgency").to_string(),
            rough_cost: optional("rough_cost"),
            department: self.get("department").to_string(),
            themes: self.themes.clone(),
            changes_project: optional("changes_project"),
        }
    }

    /// The version a triage form was read at.
    fn version(&self) -> Result<i64, AppError> {
        self.get("version").trim().parse().map_err(|_| {
            AppError::Validation(ValidationErrors::single(
                "version",
                "is missing from the form; open the priority again",
            ))
        })
    }
}

/// The form's label for a field, to start an error sentence.
fn label(field: &str) -> &'static str {
    match field {
        "title" => "Title",
        "problem" => "The problem it solves",
        "beneficiaries" => "Who benefits",
        "urgency" => "Urgency",
        "rough_cost" => "Rough cost",
        "department" => "Department",
        "themes" => "Themes",
        "changes_project" => "The project it changes",
        "project" => "Project",
        "reason" => "Reason for declining",
        "status" => "This priority",
        _ => "Priority",
    }
}

/// "Title must not be empty", or the domain's own instruction ("Choose a department").
fn sentence(field: &str, message: &str) -> String {
    let names_the_field = ["must ", "cannot ", "is ", "has ", "appears "]
        .iter()
        .any(|p| message.starts_with(p));
    if names_the_field {
        format!("{} {message}", label(field))
    } else if message.starts_with('\'') || message.starts_with(char::is_uppercase) {
        message.to_string()
    } else {
        let mut chars = message.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => format!("{} is not valid", label(field)),
        }
    }
}

/// Errors by form field id, and the summary's links.
fn errors_view(errors: Option<&ValidationErrors>) -> (HashMap<String, String>, Vec<ErrorLink>) {
    let mut fields = HashMap::new();
    let mut links = Vec::new();
    for e in errors.map(|e| e.0.as_slice()).unwrap_or_default() {
        let id = if e.field.starts_with("themes") {
            "themes".to_string()
        } else if e.field == "version" {
            "status".to_string()
        } else {
            e.field.clone()
        };
        let message = sentence(&id, &e.message);
        fields.entry(id.clone()).or_insert(message.clone());
        links.push(ErrorLink {
            target: id,
            message,
        });
    }
    (fields, links)
}

fn urgency_options() -> Vec<Value> {
    Urgency::ALL
        .iter()
        .map(|u| context! { value => u.as_str(), label => u.label(), hint => u.hint() })
        .collect()
}

fn status_view(s: PriorityStatus) -> Value {
    context! { value => s.as_str(), label => s.label(), colour => s.tag_colour() }
}

fn urgency_view(u: Urgency) -> Value {
    context! { value => u.as_str(), label => u.label(), colour => u.tag_colour() }
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %B %Y at %H:%M UTC").to_string()
}

/// What a list row and a priority's page show.
fn priority_view(p: &Priority) -> Value {
    let paragraphs = |text: &str| -> Vec<String> {
        text.split("\n\n")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    context! {
        id => p.id,
        title => p.title.clone(),
        problem => paragraphs(&p.problem),
        beneficiaries => paragraphs(&p.beneficiaries),
        urgency => urgency_view(p.urgency),
        rough_cost => p.rough_cost_pence.map(|m| m.to_string()),
        department => p.department.name.clone(),
        themes => p.themes.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        changes_project => p.changes_project.clone(),
        status => status_view(p.status),
        project => p.project.clone(),
        decline_reason => p.decline_reason.as_deref().map(paragraphs),
        submitted_by => p.submitted_by.name.clone(),
        submitted_by_email => p.submitted_by.email.clone(),
        submitted_on => long_date(p.submitted_at.date_naive()),
        submitted_at => when(p.submitted_at),
        triaged_by => p.triaged_by.clone(),
        triaged_at => p.triaged_at.map(when),
        version => p.version,
        awaiting => p.status == PriorityStatus::Submitted,
    }
}

async fn render_form(
    state: &AppState,
    session: &PageSession,
    fields: &Fields,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "priorities").await?;
    let departments = state.app.departments(session.caller()).await?;
    let themes = state.app.themes(session.caller()).await?;
    let (fe, errors) = errors_view(errors);
    let f = context! {
        title => fields.get("title"), problem => fields.get("problem"),
        beneficiaries => fields.get("beneficiaries"), urgency => fields.get("urgency"),
        rough_cost => fields.get("rough_cost"), department => fields.get("department"),
        themes => fields.themes.clone(), changes_project => fields.get("changes_project"),
    };
    Ok(render_status(
        status,
        "priority_form.html",
        context! { f, fe, errors, urgency_options => urgency_options(),
        department_options => departments, theme_options => themes, ..base },
    ))
}

pub async fn new_form(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    session.caller().require(Permission::SubmitPriorities)?;
    let fields = Fields::from_pairs(Vec::new());
    render_form(&state, &session, &fields, None, StatusCode::OK).await
}

pub async fn submit(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::from_pairs(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    match state
        .app
        .submit_priority(session.caller(), &fields.draft())
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/priorities/{}?done=submitted", p.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &session,
                &fields,
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "priorities").await?;
    let query = PriorityQuery {
        status: q.status.clone(),
    };
    let chosen = query.status().map_err(AppError::Validation)?;
    let priorities = state.app.priorities(session.caller(), &query).await?;
    let rows: Vec<Value> = priorities.iter().map(priority_view).collect();
    let filters: Vec<Value> = std::iter::once((None, "All"))
        .chain(PriorityStatus::ALL.iter().map(|s| (Some(*s), s.label())))
        .map(|(s, label)| {
            let href = match s {
                Some(s) => format!("/priorities?status={}", s.as_str()),
                None => "/priorities".to_string(),
            };
            context! { href, label, current => s == chosen }
        })
        .collect();
    Ok(render_status(
        StatusCode::OK,
        "priorities.html",
        context! {
            priorities => rows, filters,
            filtered => chosen.map(|s| s.label()),
            queue => session.caller().can(Permission::TriagePriorities),
            ..base
        },
    ))
}

#[derive(Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

/// What a triage form needs shown again: its errors and what was typed.
#[derive(Default)]
struct TriageForm<'a> {
    errors: Option<&'a ValidationErrors>,
    project: &'a str,
    reason: &'a str,
}

async fn render_priority(
    state: &AppState,
    session: &PageSession,
    priority: &Priority,
    done: Option<&str>,
    form: TriageForm<'_>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "priorities").await?;
    let can_triage = session.caller().can(Permission::TriagePriorities);
    let choices = if can_triage && priority.status == PriorityStatus::Submitted {
        state.app.link_choices(session.caller()).await?
    } else {
        Vec::new()
    };
    let chosen = if form.project.is_empty() {
        priority
            .changes_project
            .as_ref()
            .map(|p| p.code.clone())
            .unwrap_or_default()
    } else {
        form.project.to_string()
    };
    let (fe, errors) = errors_view(form.errors);
    let done = match done {
        Some("submitted") => Some("Priority submitted. The programme office will triage it."),
        Some("triaged") => Some("Decision recorded. The department lead can see the outcome."),
        _ => None,
    };
    Ok(render_status(
        status,
        "priority.html",
        context! {
            p => priority_view(priority), done, can_triage, choices, chosen,
            reason => form.reason, fe, errors, ..base
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let priority = state.app.priority(session.caller(), parse_id(&id)?).await?;
    render_priority(
        &state,
        &session,
        &priority,
        q.done.as_deref(),
        TriageForm::default(),
        StatusCode::OK,
    )
    .await
}

/// A priority id from the path; anything else is a page that does not exist.
fn parse_id(id: &str) -> Result<i64, AppError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound("priority"))
}

/// Which triage decision a form posts.
#[derive(Clone, Copy)]
enum Decision {
    Accept,
    Link,
    Decline,
}

async fn triage(
    state: AppState,
    session: PageSession,
    id: String,
    pairs: Vec<(String, String)>,
    decision: Decision,
) -> Result<Response, PageError> {
    let fields = Fields::from_pairs(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let id = parse_id(&id)?;
    let caller = session.caller();
    // A caller who may not triage is told so before anything about the form.
    let allowed_version = caller
        .require(Permission::TriagePriorities)
        .and_then(|()| fields.version());
    let result = match allowed_version {
        Err(e) => Err(e),
        Ok(version) => match decision {
            Decision::Accept => state
                .app
                .accept_priority(caller, id, version)
                .await
                .map(|(p, _)| p),
            Decision::Link => {
                state
                    .app
                    .link_priority(caller, id, version, fields.get("project"))
                    .await
            }
            Decision::Decline => {
                state
                    .app
                    .decline_priority(caller, id, version, fields.get("reason"))
                    .await
            }
        },
    };
    let refused = match result {
        Ok(p) => {
            return Ok(Redirect::to(&format!("/priorities/{}?done=triaged", p.id)).into_response())
        }
        Err(AppError::Validation(errors)) => errors,
        Err(AppError::Conflict { .. }) => ValidationErrors::single(
            "status",
            "has been changed by someone else since you opened it; check its outcome below",
        ),
        Err(e) => return Err(e.into()),
    };
    // Shown again as it is now, with what was typed and why it was refused.
    let current = state.app.priority(caller, id).await?;
    let status = if refused.for_field("status").is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_priority(
        &state,
        &session,
        &current,
        None,
        TriageForm {
            errors: Some(&refused),
            project: fields.get("project"),
            reason: fields.get("reason"),
        },
        status,
    )
    .await
}

pub async fn accept(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    triage(state, session, id, pairs, Decision::Accept).await
}

pub async fn link(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    triage(state, session, id, pairs, Decision::Link).await
}

pub async fn decline(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    triage(state, session, id, pairs, Decision::Decline).await
}

/// The change requests from departments shown on a project's page.
pub(crate) fn change_requests_view(priorities: &[Priority]) -> Vec<Value> {
    priorities.iter().map(priority_view).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_sentences_and_link_to_fields() {
        let mut errors = ValidationErrors::single("title", "must not be empty");
        errors.push("themes[1]", "'space' is not a theme of this organisation");
        errors.push("urgency", "choose how urgent it is");
        let (fields, links) = errors_view(Some(&errors));
        assert_eq!(fields["title"], "Title must not be empty");
        assert_eq!(
            fields["themes"],
            "'space' is not a theme of this organisation"
        );
        assert_eq!(fields["urgency"], "Choose how urgent it is");
        let targets: Vec<&str> = links.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(targets, ["title", "themes", "urgency"]);
    }

    #[test]
    fn repeated_themes_are_kept() {
        let fields = Fields::from_pairs(vec![
            ("themes".into(), "a".into()),
            ("themes".into(), "b".into()),
            ("rough_cost".into(), "  ".into()),
            ("changes_project".into(), "DP-012".into()),
        ]);
        let draft = fields.draft();
        assert_eq!(draft.themes, ["a", "b"]);
        assert_eq!(draft.rough_cost, None);
        assert_eq!(draft.changes_project.as_deref(), Some("DP-012"));
    }
}
