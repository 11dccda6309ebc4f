//! Pages for stage gates: the list of requests awaiting the board, one
//! request with its evidence and the decision form, the form that requests
//! a project's next gate, the checklists, and the gate section of a
//! project's page.
//!
//! Everyone may read them. The request form is for the programme office
//! (`RequestGates`); the decision form is shown to, and accepted from, a
//! decider only (`DecideGates`: administrators until board members exist).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::gates::{
    EvidenceDraft, Gate, GateChecklist, GateDecisionDraft, GateRequest, GateRequestDraft,
    GateStatus,
};
use portfolio_domain::{Permission, Project, ValidationErrors};
use serde::{Deserialize, Serialize};

use super::{conflict_errors, errors_view};
use super::{layout, long_date, stage_view, ErrorLink, PostedFields as Fields};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/governance", get(governance_page))
        .route("/gates", get(list_page))
        .route("/gates/checklists", get(checklists_page))
        .route("/gates/checklists/{gate}", post(put_checklist))
        .route("/gates/{id}", get(request_page))
        .route("/gates/{id}/decision", post(decide))
        .route(
            "/projects/{code}/gate-request",
            get(new_request).post(create_request),
        )
}

#[derive(Serialize)]
struct StatusView {
    value: &'static str,
    label: &'static str,
    colour: &'static str,
}

fn status_view(s: GateStatus) -> StatusView {
    StatusView {
        value: s.as_str(),
        label: s.label(),
        colour: s.tag_colour(),
    }
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn at_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %B %Y at %H:%M UTC").to_string()
}

/// A request as the pages show it.
pub(crate) fn request_view(r: &GateRequest) -> Value {
    let decision = r.decision.as_ref().map(|d| {
        context! {
            reasons => paragraphs(&d.reasons), conditions => paragraphs(&d.conditions),
            by => d.decided_by.label.clone(), at => at_text(d.decided_at), on => long_date(d.decided_at.date_naive()),
            meeting_id => d.meeting_id,
        }
    });
    context! {
        id => r.id, version => r.version, code => r.project_code.clone(), title => r.project_title.clone(),
        gate => r.gate().label(), from => stage_view(r.from_stage), to => stage_view(r.to_stage),
        summary => paragraphs(&r.summary),
        evidence => r.evidence.iter().map(|e| context! { label => e.label.clone(), note => paragraphs(&e.note) }).collect::<Vec<_>>(),
        status => status_view(r.status), pending => r.status == GateStatus::Pending,
        requested_by => r.requested_by.label.clone(), requested_at => at_text(r.requested_at),
        requested_on => long_date(r.requested_at.date_naive()),
        decision,
    }
}

/// The decisions a board may take, for radios; `chosen` is checked.
pub(crate) fn outcome_options(chosen: &str) -> Vec<Value> {
    GateStatus::ALL
        .into_iter()
        .filter(|s| *s != GateStatus::Pending)
        .map(|s| context! { value => s.as_str(), label => s.label(), checked => chosen == s.as_str() })
        .collect()
}

/// The gate section of a project's page: its requests and the way to the next one.
pub(crate) async fn project_section(
    state: &AppState,
    session: &PageSession,
    project: &Project,
) -> Result<Value, PageError> {
    let requests = state
        .app
        .gate_requests(session.caller(), None, Some(project.code.as_str()))
        .await?;
    let pending = requests.iter().any(|r| r.status == GateStatus::Pending);
    let next = Gate::next_from(project.stage).map(|g| g.label());
    Ok(context! {
        requests => requests.iter().map(request_view).collect::<Vec<_>>(),
        next, pending,
        can_request => session.caller().can_on_project(Permission::RequestGates, project.into()) && next.is_some() && !pending,
    })
}

/// The governance hub: what awaits the board, and where each part lives.
pub async fn governance_page(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "governance").await?;
    let pending = state
        .app
        .gate_requests(session.caller(), Some("pending"), None)
        .await?
        .len();
    let today = portfolio_app::meetings::today();
    let next_meeting = state
        .app
        .meetings(session.caller())
        .await?
        .into_iter()
        .rev()
        .find(|s| s.meeting.upcoming(today))
        .map(|s| context! { id => s.meeting.id, title => s.meeting.title });
    let open_actions = state
        .app
        .meeting_actions(session.caller(), true)
        .await?
        .len();
    Ok(render_status(
        StatusCode::OK,
        "governance.html",
        context! { pending, next_meeting, open_actions, changes_since => (portfolio_app::history::today() - chrono::Duration::days(30)).to_string(), ..base },
    ))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

pub async fn list_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "governance").await?;
    let status = q.status.as_deref().unwrap_or("pending");
    let status = if status == "all" { None } else { Some(status) };
    let requests = match state
        .app
        .gate_requests(session.caller(), status, None)
        .await
    {
        Ok(r) => r,
        Err(AppError::Validation(_)) => {
            return Err(AppError::NotFound("list of gate requests").into())
        }
        Err(e) => return Err(e.into()),
    };
    let filters: Vec<Value> = [("pending", "Awaiting decision"), ("all", "All requests")]
        .iter()
        .map(|(value, label)| context! { value, label, current => Some(*value) == Some(status.unwrap_or("all")) })
        .collect();
    Ok(render_status(
        StatusCode::OK,
        "gates.html",
        context! {
            requests => requests.iter().map(request_view).collect::<Vec<_>>(),
            filters, pending_only => status == Some("pending"),
            can_decide => session.caller().can(Permission::DecideGates), ..base
        },
    ))
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn request_id(id: &str) -> Result<i64, AppError> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound("gate request"))
}

async fn render_request(
    state: &AppState,
    session: &PageSession,
    request: &GateRequest,
    values: HashMap<String, String>,
    errors: Option<&ValidationErrors>,
    done: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "governance").await?;
    let (fe, errors) = match errors {
        Some(e) => errors_view(e, |f| {
            let label = match f {
                "outcome" => "Decision",
                "reasons" => "Reasons",
                "conditions" => "Conditions",
                _ => "Decision",
            };
            let id = match f {
                "reasons" | "conditions" => f.to_string(),
                _ => "outcome".to_string(),
            };
            (id, label.to_string())
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let outcomes = outcome_options(&get("outcome"));
    Ok(render_status(
        status,
        "gate.html",
        context! {
            r => request_view(request), outcomes,
            f => context! { reasons => get("reasons"), conditions => get("conditions") },
            fe, errors, done,
            can_decide => session.caller().can(Permission::DecideGates), ..base
        },
    ))
}

pub async fn request_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let request = state
        .app
        .gate_request(session.caller(), request_id(&id)?)
        .await?;
    let done = match q.done.as_deref() {
        Some("requested") => Some("The gate request was sent to the board".to_string()),
        Some("decided") => Some(format!(
            "The decision was recorded: {}",
            request.status.label().to_lowercase()
        )),
        _ => None,
    };
    render_request(
        &state,
        &session,
        &request,
        HashMap::new(),
        None,
        done,
        StatusCode::OK,
    )
    .await
}

pub async fn decide(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let id = request_id(&id)?;
    let draft = GateDecisionDraft {
        outcome: fields.get("outcome").to_string(),
        reasons: fields.get("reasons").to_string(),
        conditions: fields.get("conditions").to_string(),
    };
    // A caller who may not decide is told so before anything about the form.
    let allowed_version = session
        .caller()
        .require(Permission::DecideGates)
        .and_then(|()| fields.version());
    let result = match allowed_version {
        Ok(version) => {
            state
                .app
                .decide_gate(session.caller(), id, version, &draft)
                .await
        }
        Err(e) => Err(e),
    };
    let request = state.app.gate_request(session.caller(), id).await?;
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/gates/{}?done=decided", r.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_request(
                &state,
                &session,
                &request,
                fields.0.clone(),
                Some(&errors),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Forbidden | AppError::Needs(_)) => {
            let errors = ValidationErrors::single(
                "outcome",
                "can be recorded only by someone with the right to decide gates (a board member or an administrator); your role cannot",
            );
            render_request(
                &state,
                &session,
                &request,
                fields.0.clone(),
                Some(&errors),
                None,
                StatusCode::FORBIDDEN,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            render_request(
                &state,
                &session,
                &request,
                HashMap::new(),
                Some(&conflict_errors("gate request")),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// Requesting a gate
// ---------------------------------------------------------------------------

fn note_id(key: &str) -> String {
    format!("note-{key}")
}

async fn render_request_form(
    state: &AppState,
    session: &PageSession,
    project: &Project,
    values: &Fields,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "governance").await?;
    let Some(gate) = Gate::next_from(project.stage) else {
        return Err(AppError::Validation(ValidationErrors::single(
            "to_stage",
            format!(
                "a project in {} has no next stage to ask for",
                project.stage.label()
            ),
        ))
        .into());
    };
    let checklist = state
        .app
        .gate_checklist(session.caller(), &gate.slug())
        .await?;
    let labels: HashMap<String, String> = checklist
        .items
        .iter()
        .map(|i| (format!("evidence[{}]", i.key), i.label.clone()))
        .collect();
    let (fe, errors) = match errors {
        Some(e) => errors_view(e, |f| match labels.get(f) {
            Some(label) => (
                note_id(f.trim_start_matches("evidence[").trim_end_matches(']')),
                label.clone(),
            ),
            None if f == "summary" => ("summary".into(), "Summary".into()),
            None => ("summary".into(), "Request".into()),
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let items: Vec<Value> = checklist
        .items
        .iter()
        .map(|i| {
            let id = note_id(&i.key);
            context! {
                key => i.key.clone(), label => i.label.clone(), id => id.clone(),
                provided => values.get(&format!("provided-{}", i.key)) == "yes",
                note => values.get(&id).to_string(), error => fe.get(&id).cloned(),
            }
        })
        .collect();
    Ok(render_status(
        status,
        "gate_request_form.html",
        context! {
            p => context! { code => project.code.clone(), title => project.title.clone(), version => project.version, stage => stage_view(project.stage) },
            gate => gate.label(), to => stage_view(gate.to), to_stage => gate.to.as_str(), items,
            summary => values.get("summary").to_string(), summary_error => fe.get("summary").cloned(),
            errors, ..base
        },
    ))
}

pub async fn new_request(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    session
        .caller()
        .require_somewhere(Permission::RequestGates)?;
    let project = state.app.project(session.caller(), &code).await?;
    session
        .caller()
        .require_on_project(Permission::RequestGates, (&project).into())?;
    render_request_form(
        &state,
        &session,
        &project,
        &Fields::new(Vec::new()),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn create_request(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session
        .caller()
        .require_somewhere(Permission::RequestGates)?;
    let project = state.app.project(session.caller(), &code).await?;
    session
        .caller()
        .require_on_project(Permission::RequestGates, (&project).into())?;
    let checklist: Option<GateChecklist> = match Gate::next_from(project.stage) {
        Some(gate) => Some(
            state
                .app
                .gate_checklist(session.caller(), &gate.slug())
                .await?,
        ),
        None => None,
    };
    let evidence = checklist
        .iter()
        .flat_map(|c| c.items.iter())
        .map(|i| EvidenceDraft {
            item: i.key.clone(),
            provided: fields.get(&format!("provided-{}", i.key)) == "yes",
            note: fields.get(&note_id(&i.key)).to_string(),
        })
        .collect();
    let draft = GateRequestDraft {
        project: project.code.clone(),
        to_stage: fields.get("to_stage").to_string(),
        summary: fields.get("summary").to_string(),
        evidence,
    };
    match state.app.request_gate(session.caller(), &draft).await {
        Ok(r) => Ok(Redirect::to(&format!("/gates/{}?done=requested", r.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let current = state.app.project(session.caller(), &code).await?;
            render_request_form(
                &state,
                &session,
                &current,
                &fields,
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// Checklists
// ---------------------------------------------------------------------------

async fn render_checklists(
    state: &AppState,
    session: &PageSession,
    failed: Option<(&str, Option<&Fields>, &ValidationErrors)>,
    done: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "governance").await?;
    let lists = state.app.gate_checklists(session.caller()).await?;
    let mut errors: Vec<ErrorLink> = Vec::new();
    let gates: Vec<Value> = lists
        .iter()
        .map(|c| {
            let id = format!("items-{}", c.gate);
            let stored = c.items.iter().map(|i| i.label.clone()).collect::<Vec<_>>().join("\n");
            let (text, error, version) = match failed {
                Some((gate, fields, e)) if gate == c.gate => {
                    let message = e.0.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join("; ");
                    let message = format!("The checklist {message}");
                    errors.push(ErrorLink { target: id.clone(), message: message.clone() });
                    match fields {
                        // What was typed, to correct.
                        Some(f) => (f.get("items").to_string(), Some(message), f.get("version").to_string()),
                        // A stale form: what is stored now, to make the change again.
                        None => (stored, Some(message), c.version.to_string()),
                    }
                }
                _ => (stored, None, c.version.to_string()),
            };
            let gate = Gate::parse(&c.gate).map(|g| g.label()).unwrap_or_default();
            context! {
                slug => c.gate.clone(), label => gate, id, text, error, version,
                items => c.items.iter().map(|i| i.label.clone()).collect::<Vec<_>>(), default => c.version == 0,
            }
        })
        .collect();
    Ok(render_status(
        status,
        "gate_checklists.html",
        context! { gates, errors, done, manage => session.caller().can(Permission::RequestGates), ..base },
    ))
}

pub async fn checklists_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let done = q.done.map(|g| {
        let label = Gate::parse(&g).map(|g| g.label()).unwrap_or_default();
        format!("The {label} checklist was saved")
    });
    render_checklists(&state, &session, None, done, StatusCode::OK).await
}

pub async fn put_checklist(
    State(state): State<AppState>,
    session: PageSession,
    Path(gate): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::RequestGates)?;
    let labels: Vec<String> = fields.get("items").lines().map(str::to_string).collect();
    let result = match Fields::parse_version(fields.get("version")) {
        Ok(version) => {
            state
                .app
                .put_gate_checklist(session.caller(), &gate, version, &labels)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/gates/checklists?done={}", c.gate)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_checklists(
                &state,
                &session,
                Some((&gate, Some(&fields), &errors)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let errors = ValidationErrors::single("items", "was changed by someone else while you were editing it; the form now shows what is stored");
            render_checklists(
                &state,
                &session,
                Some((&gate, None, &errors)),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
