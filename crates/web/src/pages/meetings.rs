//! Pages for board meetings: the list of meetings with the open actions,
//! the form that schedules or changes a meeting, a meeting with its agenda,
//! one agenda item with the decision and action forms, and the decision log.
//!
//! Everyone may read them. The programme office (`RequestGates`) schedules
//! meetings, keeps agendas and records actions; the decision form is shown
//! to, and accepted from, a decider only (`DecideGates`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use minijinja::{context, Value};
use portfolio_app::meetings::today;
use portfolio_app::AppError;
use portfolio_domain::gates::{GateDecisionDraft, GateStatus};
use portfolio_domain::meetings::{
    AgendaItem, AgendaItemDraft, AgendaKind, Body, DecisionDraft, DecisionQuery, LoggedDecision,
    Meeting, MeetingAction, MeetingActionDraft, MeetingDraft, MeetingRecord,
};
use portfolio_domain::raid::ActionStatus;
use portfolio_domain::{Permission, ValidationErrors};
use serde::Deserialize;

use super::gates::{outcome_options, request_view};
use super::{conflict_errors, errors_view, layout, long_date, PostedFields as Fields};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/meetings", get(list_page).post(create))
        .route("/meetings/new", get(new_page))
        .route("/meetings/{id}", get(meeting_page))
        .route("/meetings/{id}/edit", get(edit_page).post(update))
        .route("/meetings/{id}/agenda", post(add_item))
        .route("/meetings/{id}/agenda/refresh", post(refresh))
        .route("/meetings/{id}/items/{item}", get(item_page))
        .route("/meetings/{id}/items/{item}/decision", post(decide))
        .route("/meetings/{id}/items/{item}/actions", post(add_action))
        .route("/meetings/actions/{id}/status", post(action_status))
        .route("/decisions", get(decisions_page))
}

fn id_of(text: &str, entity: &'static str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound(entity))
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn meeting_view(m: &Meeting) -> Value {
    context! {
        id => m.id, version => m.version, title => m.title.clone(), body => m.body.label(),
        body_value => m.body.as_str(), on => long_date(m.meets_on), iso => m.meets_on.to_string(),
        location => m.location.clone(), upcoming => m.upcoming(today()),
        attendees => m.attendees.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
    }
}

fn status_colour(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::NotStarted => "grey",
        ActionStatus::InProgress => "blue",
        ActionStatus::Done => "green",
    }
}

fn action_view(a: &MeetingAction, record: Option<&MeetingRecord>) -> Value {
    let item = record
        .and_then(|r| a.agenda_item_id.and_then(|i| r.item(i)))
        .map(|i| i.title.clone());
    context! {
        id => a.id, version => a.version, meeting_id => a.meeting_id, description => a.description.clone(),
        owner => a.owner.name.clone(), owner_email => a.owner.email.clone(), due => long_date(a.due_on),
        status => a.status.label(), status_value => a.status.as_str(), colour => status_colour(a.status),
        overdue => a.overdue(today()), item,
    }
}

fn status_options(chosen: ActionStatus) -> Vec<Value> {
    ActionStatus::ALL
        .iter()
        .map(|s| context! { value => s.as_str(), label => s.label(), selected => *s == chosen })
        .collect()
}

/// Where an agenda item's subject lives.
fn item_link(i: &AgendaItem) -> Option<String> {
    match (i.kind, i.ref_id) {
        (AgendaKind::GateRequest, Some(id)) => Some(format!("/gates/{id}")),
        (AgendaKind::EscalatedRisk, Some(id)) => Some(format!("/raid/{id}")),
        (AgendaKind::ProjectConfidence, _) => {
            i.project_code.as_ref().map(|c| format!("/projects/{c}"))
        }
        _ => None,
    }
}

fn item_view(i: &AgendaItem, record: &MeetingRecord) -> Value {
    let decisions: Vec<Value> = record
        .decisions
        .iter()
        .filter(|d| d.agenda_item_id == i.id)
        .map(|d| context! {
            text => paragraphs(&d.text), by => d.decided_by.clone(),
            outcome => d.outcome.map(|o| context! { label => o.label(), colour => o.tag_colour() }),
        })
        .collect();
    let actions: Vec<Value> = record
        .actions
        .iter()
        .filter(|a| a.agenda_item_id == Some(i.id))
        .map(|a| action_view(a, None))
        .collect();
    context! {
        id => i.id, position => i.position, kind => i.kind.as_str(), kind_label => i.kind.label(),
        title => i.title.clone(), detail => paragraphs(&i.detail), by_hand => i.by_hand,
        link => item_link(i), decisions, actions,
    }
}

/// The agenda grouped by kind, in the order the board takes them.
fn agenda_view(record: &MeetingRecord) -> Vec<Value> {
    AgendaKind::ALL
        .iter()
        .filter_map(|kind| {
            let items: Vec<Value> = record
                .agenda
                .iter()
                .filter(|i| i.kind == *kind)
                .map(|i| item_view(i, record))
                .collect();
            (!items.is_empty())
                .then(|| context! { label => kind.label(), kind => kind.as_str(), items })
        })
        .collect()
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

// ---------------------------------------------------------------------------
// The list of meetings
// ---------------------------------------------------------------------------

pub async fn list_page(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "governance").await?;
    let caller = session.caller();
    let meetings = state.app.meetings(caller).await?;
    let today = today();
    let row = |s: &portfolio_app::meetings::MeetingSummary| {
        context! { m => meeting_view(&s.meeting), decisions => s.decisions, actions => s.actions }
    };
    let mut upcoming: Vec<Value> = meetings
        .iter()
        .filter(|s| s.meeting.upcoming(today))
        .map(row)
        .collect();
    upcoming.reverse();
    let past: Vec<Value> = meetings
        .iter()
        .filter(|s| !s.meeting.upcoming(today))
        .map(row)
        .collect();
    let actions: Vec<Value> = state
        .app
        .meeting_actions(caller, true)
        .await?
        .iter()
        .map(|a| action_view(a, None))
        .collect();
    let titles: HashMap<i64, String> = meetings
        .iter()
        .map(|s| (s.meeting.id, s.meeting.title.clone()))
        .collect();
    Ok(render_status(
        StatusCode::OK,
        "meetings.html",
        context! {
            upcoming, past, actions, titles,
            can_schedule => caller.can(Permission::RequestGates), ..base
        },
    ))
}

// ---------------------------------------------------------------------------
// Scheduling and changing a meeting
// ---------------------------------------------------------------------------

/// The meeting form's fields as posted (or as stored, to edit).
fn form_values(m: Option<&Meeting>) -> HashMap<String, String> {
    let mut f = HashMap::new();
    if let Some(m) = m {
        f.insert("body".into(), m.body.as_str().to_string());
        f.insert("title".into(), m.title.clone());
        f.insert("location".into(), m.location.clone());
        f.insert("meets_on-day".into(), m.meets_on.day().to_string());
        f.insert("meets_on-month".into(), m.meets_on.month().to_string());
        f.insert("meets_on-year".into(), m.meets_on.year().to_string());
        let guests: Vec<String> = m
            .attendees
            .iter()
            .filter(|a| a.user_id.is_none())
            .map(|a| a.name.clone())
            .collect();
        f.insert("guests".into(), guests.join("\n"));
        for a in &m.attendees {
            if let Some(id) = a.user_id {
                f.insert(format!("attendee-{id}"), "yes".into());
            }
        }
    }
    f
}

async fn render_form(
    state: &AppState,
    session: &PageSession,
    editing: Option<&Meeting>,
    values: &HashMap<String, String>,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "governance").await?;
    let people = state.app.meeting_people(session.caller()).await?;
    let (fe, errors) = match errors {
        Some(e) => errors_view(e, |f| match f {
            "body" => ("body".into(), "Body".into()),
            "meets_on" => ("meets_on-day".into(), "Date".into()),
            "title" => ("title".into(), "Title".into()),
            "location" => ("location".into(), "Place".into()),
            "version" => ("title".into(), "Meeting".into()),
            f if f.starts_with("guests") => ("guests".into(), "Others attending".into()),
            _ => ("attendees".into(), "Attendees".into()),
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let chosen = get("body");
    let bodies: Vec<Value> = Body::ALL
        .iter()
        .map(|b| context! { value => b.as_str(), label => b.label(), checked => chosen == b.as_str() })
        .collect();
    let people: Vec<Value> = people
        .iter()
        .map(|u| context! {
            id => u.id, name => u.name.clone(), email => u.email.clone(), role => u.role.label(),
            checked => values.get(&format!("attendee-{}", u.id)).is_some_and(|v| v == "yes"),
        })
        .collect();
    let (heading, action) = match editing {
        Some(m) => (
            format!("Change {}", m.title),
            format!("/meetings/{}/edit", m.id),
        ),
        None => ("Schedule a meeting".to_string(), "/meetings".to_string()),
    };
    Ok(render_status(
        status,
        "meeting_form.html",
        context! {
            heading, action, bodies, people, editing => editing.map(meeting_view),
            version => editing.map(|m| m.version),
            f => context! {
                title => get("title"), location => get("location"), guests => get("guests"),
                meets_on => context! { day => get("meets_on-day"), month => get("meets_on-month"), year => get("meets_on-year") },
            },
            fe, errors, ..base
        },
    ))
}

/// Reads the form into a draft; a date the boxes cannot make is the form's own error.
fn read_meeting(
    fields: &Fields,
    people: &[portfolio_domain::organisation::User],
) -> (MeetingDraft, ValidationErrors) {
    let mut local = ValidationErrors::default();
    let meets_on = match fields.date("meets_on") {
        Ok(d) => d.unwrap_or_default(),
        Err(e) => {
            local.push("meets_on", e);
            String::new()
        }
    };
    let draft = MeetingDraft {
        body: fields.get("body").to_string(),
        title: fields.get("title").to_string(),
        meets_on,
        location: fields.get("location").to_string(),
        attendees: people
            .iter()
            .filter(|u| fields.get(&format!("attendee-{}", u.id)) == "yes")
            .map(|u| u.email.clone())
            .collect(),
        guests: fields.get("guests").lines().map(str::to_string).collect(),
    };
    (draft, local)
}

pub async fn new_page(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    session.caller().require(Permission::RequestGates)?;
    let mut values = HashMap::new();
    values.insert(
        "body".to_string(),
        Body::ProgrammeBoard.as_str().to_string(),
    );
    render_form(&state, &session, None, &values, None, StatusCode::OK).await
}

/// Merges the form's own errors (a date the boxes cannot make) with the service's.
fn with_local(
    local: ValidationErrors,
    result: Result<MeetingRecord, AppError>,
) -> Result<MeetingRecord, AppError> {
    match (local.is_empty(), result) {
        (true, r) => r,
        (false, Err(AppError::Validation(mut e))) => {
            e.0.retain(|x| x.field != "meets_on");
            let mut all = local;
            all.0.extend(e.0);
            Err(AppError::Validation(all))
        }
        (false, Err(e)) => Err(e),
        // Not reached: a draft without a date does not validate.
        (false, Ok(_)) => Err(AppError::Validation(local)),
    }
}

pub async fn create(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::RequestGates)?;
    let people = state.app.meeting_people(session.caller()).await?;
    let (draft, local) = read_meeting(&fields, &people);
    let result = with_local(
        local,
        state.app.create_meeting(session.caller(), &draft).await,
    );
    match result {
        Ok(m) => {
            Ok(Redirect::to(&format!("/meetings/{}?done=scheduled", m.meeting.id)).into_response())
        }
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &session,
                None,
                &fields.0,
                Some(&errors),
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
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    session.caller().require(Permission::RequestGates)?;
    let record = state
        .app
        .meeting(session.caller(), id_of(&id, "board meeting")?)
        .await?;
    let values = form_values(Some(&record.meeting));
    render_form(
        &state,
        &session,
        Some(&record.meeting),
        &values,
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::RequestGates)?;
    let id = id_of(&id, "board meeting")?;
    let people = state.app.meeting_people(session.caller()).await?;
    let (draft, local) = read_meeting(&fields, &people);
    let result = match fields.version() {
        Ok(version) => with_local(
            local,
            state
                .app
                .update_meeting(session.caller(), id, version, &draft)
                .await,
        ),
        Err(e) => Err(e),
    };
    let current = state.app.meeting(session.caller(), id).await?;
    match result {
        Ok(m) => {
            Ok(Redirect::to(&format!("/meetings/{}?done=changed", m.meeting.id)).into_response())
        }
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &session,
                Some(&current.meeting),
                &fields.0,
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let values = form_values(Some(&current.meeting));
            render_form(
                &state,
                &session,
                Some(&current.meeting),
                &values,
                Some(&conflict_errors("meeting")),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// One meeting
// ---------------------------------------------------------------------------

async fn render_meeting(
    state: &AppState,
    session: &PageSession,
    record: &MeetingRecord,
    item_form: (&HashMap<String, String>, Option<&ValidationErrors>),
    done: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "governance").await?;
    let caller = session.caller();
    let previous = state.app.previous_meeting(caller, &record.meeting).await?;
    let board_pack = state
        .app
        .meeting_board_pack(caller, record.meeting.id)
        .await?;
    let since = context! {
        since => previous.as_ref().map(|p| p.meets_on.to_string()),
        since_on => previous.as_ref().map(|p| long_date(p.meets_on)),
        until => record.meeting.meets_on.to_string(),
        four_weeks_before => (record.meeting.meets_on - chrono::Duration::days(28)).to_string(),
        previous_id => previous.as_ref().map(|p| p.id),
    };
    let (fe, errors) = match item_form.1 {
        Some(e) => errors_view(e, |f| match f {
            "detail" => ("detail".into(), "Details".into()),
            "board_pack" => ("board-pack".into(), "Board pack".into()),
            _ => ("item-title".into(), "Item".into()),
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let get = |k: &str| item_form.0.get(k).cloned().unwrap_or_default();
    let actions: Vec<Value> = record
        .actions
        .iter()
        .map(|a| {
            let mut v = action_view(a, Some(record));
            v = context! { statuses => status_options(a.status), ..v };
            v
        })
        .collect();
    let decisions = record.decisions.len();
    Ok(render_status(
        status,
        "meeting.html",
        context! {
            m => meeting_view(&record.meeting), agenda => agenda_view(record), actions, decisions,
            agenda_count => record.agenda.len(), since, done,
            f => context! { title => get("title"), detail => get("detail") }, fe, errors,
            can_keep => caller.can(Permission::RequestGates), can_decide => caller.can(Permission::DecideGates),
            board_pack => board_pack.map(|r| r.id), can_make_pack => caller.can(Permission::EditProjects),
            pack_as_at => long_date(record.meeting.meets_on.min(today())),
            ..base
        },
    ))
}

/// The meeting page again, saying why its board pack could not be made.
pub(super) async fn refused_board_pack(
    state: &AppState,
    session: &PageSession,
    id: i64,
    errors: &ValidationErrors,
) -> Result<Response, PageError> {
    let record = state.app.meeting(session.caller(), id).await?;
    let why: Vec<String> = errors
        .0
        .iter()
        .map(|e| {
            let label = match e.field.as_str() {
                "as_at" => "The report's date",
                "title" => "The pack's title",
                _ => "The pack",
            };
            super::sentence(label, &e.message)
        })
        .collect();
    let errors = ValidationErrors::single(
        "board_pack",
        format!("The board pack could not be made: {}", why.join(" ")),
    );
    render_meeting(
        state,
        session,
        &record,
        (&HashMap::new(), Some(&errors)),
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn meeting_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let record = state
        .app
        .meeting(session.caller(), id_of(&id, "board meeting")?)
        .await?;
    let done = q
        .done
        .as_deref()
        .map(|d| match d {
            "scheduled" => format!(
                "The meeting was scheduled with {} items on its agenda",
                record.agenda.len()
            ),
            "changed" => "The meeting's details were saved".to_string(),
            "item" => "The item was added to the agenda".to_string(),
            "refreshed-0" => {
                "Nothing new awaits the board: the agenda already holds it all".to_string()
            }
            d if d.starts_with("refreshed-") => format!(
                "{} items were added to the agenda",
                d.trim_start_matches("refreshed-")
            ),
            "decided" => "The decision was recorded".to_string(),
            "action" => "The action was recorded".to_string(),
            "status" => "The action's status was saved".to_string(),
            _ => String::new(),
        })
        .filter(|d| !d.is_empty());
    render_meeting(
        &state,
        &session,
        &record,
        (&HashMap::new(), None),
        done,
        StatusCode::OK,
    )
    .await
}

pub async fn add_item(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let id = id_of(&id, "board meeting")?;
    let draft = AgendaItemDraft {
        title: fields.get("title").to_string(),
        detail: fields.get("detail").to_string(),
    };
    match state
        .app
        .add_agenda_item(session.caller(), id, &draft)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/meetings/{id}?done=item#agenda")).into_response()),
        Err(AppError::Validation(errors)) => {
            let record = state.app.meeting(session.caller(), id).await?;
            render_meeting(
                &state,
                &session,
                &record,
                (&fields.0, Some(&errors)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn refresh(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let id = id_of(&id, "board meeting")?;
    let (_, added) = state.app.refresh_agenda(session.caller(), id).await?;
    Ok(Redirect::to(&format!("/meetings/{id}?done=refreshed-{added}#agenda")).into_response())
}

pub async fn action_status(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let id = id_of(&id, "action")?;
    let version = fields.version()?;
    match state
        .app
        .set_meeting_action_status(session.caller(), id, version, fields.get("status"))
        .await
    {
        Ok(a) => Ok(
            Redirect::to(&format!("/meetings/{}?done=status#actions", a.meeting_id))
                .into_response(),
        ),
        Err(AppError::Conflict { .. }) => {
            let caller = session.caller();
            let action = state.app.meeting_action(caller, id).await?;
            let record = state.app.meeting(caller, action.meeting_id).await?;
            let errors = ValidationErrors::single("title", format!("The action '{}' was changed by someone else; the page now shows its status as stored. Make your change again.", action.description));
            render_meeting(
                &state,
                &session,
                &record,
                (&HashMap::new(), Some(&errors)),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// One agenda item: the decision and the actions
// ---------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
async fn render_item(
    state: &AppState,
    session: &PageSession,
    record: &MeetingRecord,
    item: &AgendaItem,
    values: &HashMap<String, String>,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "governance").await?;
    let caller = session.caller();
    let gate = match (item.kind, item.ref_id) {
        (AgendaKind::GateRequest, Some(id)) => Some(state.app.gate_request(caller, id).await?),
        _ => None,
    };
    let people = state.app.meeting_people(caller).await?;
    let (fe, errors) = match errors {
        Some(e) => errors_view(e, |f| match f {
            "outcome" | "gate_version" | "agenda_item" => ("outcome".into(), "Decision".into()),
            "reasons" => ("reasons".into(), "Reasons".into()),
            "conditions" => ("conditions".into(), "Conditions".into()),
            "text" => ("text".into(), "Decision".into()),
            "description" => ("description".into(), "Action".into()),
            "owner" => ("owner".into(), "Owner".into()),
            "due_on" => ("due_on-day".into(), "Due date".into()),
            _ => ("text".into(), "Decision".into()),
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let owner = get("owner");
    let owners: Vec<Value> = people
        .iter()
        .map(|u| context! { value => u.email.clone(), label => format!("{} ({})", u.name, u.email), selected => owner == u.email })
        .collect();
    let item_v = item_view(item, record);
    let gate_pending = gate
        .as_ref()
        .is_some_and(|g| g.status == GateStatus::Pending);
    Ok(render_status(
        status,
        "meeting_item.html",
        context! {
            m => meeting_view(&record.meeting), i => item_v,
            gate => gate.as_ref().map(request_view), gate_pending,
            gate_version => gate.as_ref().map(|g| g.version),
            outcomes => outcome_options(&get("outcome")), owners,
            f => context! {
                reasons => get("reasons"), conditions => get("conditions"), text => get("text"),
                description => get("description"),
                due_on => context! { day => get("due_on-day"), month => get("due_on-month"), year => get("due_on-year") },
            },
            fe, errors,
            can_keep => caller.can(Permission::RequestGates), can_decide => caller.can(Permission::DecideGates),
            ..base
        },
    ))
}

async fn record_and_item(
    state: &AppState,
    session: &PageSession,
    id: &str,
    item: &str,
) -> Result<(MeetingRecord, AgendaItem), PageError> {
    let record = state
        .app
        .meeting(session.caller(), id_of(id, "board meeting")?)
        .await?;
    let item_id = id_of(item, "agenda item")?;
    let item = record
        .item(item_id)
        .cloned()
        .ok_or(AppError::NotFound("agenda item"))?;
    Ok((record, item))
}

pub async fn item_page(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, item)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (record, item) = record_and_item(&state, &session, &id, &item).await?;
    render_item(
        &state,
        &session,
        &record,
        &item,
        &HashMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn decide(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, item)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let (record, item) = record_and_item(&state, &session, &id, &item).await?;
    let gate = (item.kind == AgendaKind::GateRequest).then(|| GateDecisionDraft {
        outcome: fields.get("outcome").to_string(),
        reasons: fields.get("reasons").to_string(),
        conditions: fields.get("conditions").to_string(),
    });
    let draft = DecisionDraft {
        agenda_item: item.id,
        text: fields.get("text").to_string(),
        gate,
        gate_version: fields.get("gate_version").trim().parse().ok(),
    };
    let result = state
        .app
        .record_decision(session.caller(), record.meeting.id, &draft)
        .await;
    let refusal = match result {
        Ok(_) => return Ok(Redirect::to(&format!("/meetings/{}?done=decided#item-{}", record.meeting.id, item.id)).into_response()),
        Err(AppError::Validation(errors)) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Forbidden | AppError::Needs(_)) => (
            ValidationErrors::single("outcome", "can be recorded only by someone with the right to decide for the board (a board member or an administrator); your role cannot"),
            StatusCode::FORBIDDEN,
        ),
        Err(AppError::Conflict { .. }) => (
            ValidationErrors::single("outcome", "The gate request was changed by someone else while you were reading it. The page now shows it as stored; record the decision again."),
            StatusCode::CONFLICT,
        ),
        Err(e) => return Err(e.into()),
    };
    let record = state
        .app
        .meeting(session.caller(), record.meeting.id)
        .await?;
    let values = if refusal.1 == StatusCode::CONFLICT {
        HashMap::new()
    } else {
        fields.0.clone()
    };
    render_item(
        &state,
        &session,
        &record,
        &item,
        &values,
        Some(&refusal.0),
        refusal.1,
    )
    .await
}

pub async fn add_action(
    State(state): State<AppState>,
    session: PageSession,
    Path((id, item)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let (record, item) = record_and_item(&state, &session, &id, &item).await?;
    let mut local = ValidationErrors::default();
    let due_on = match fields.date("due_on") {
        Ok(d) => d.unwrap_or_default(),
        Err(e) => {
            local.push("due_on", e);
            String::new()
        }
    };
    let draft = MeetingActionDraft {
        agenda_item: Some(item.id),
        description: fields.get("description").to_string(),
        owner: fields.get("owner").to_string(),
        due_on,
    };
    let result = state
        .app
        .add_meeting_action(session.caller(), record.meeting.id, &draft)
        .await;
    let errors = match result {
        Ok(_) if local.is_empty() => {
            return Ok(Redirect::to(&format!(
                "/meetings/{}?done=action#item-{}",
                record.meeting.id, item.id
            ))
            .into_response())
        }
        Ok(_) => local,
        Err(AppError::Validation(mut e)) => {
            if !local.is_empty() {
                e.0.retain(|x| x.field != "due_on");
                local.0.extend(e.0);
                local
            } else {
                e
            }
        }
        Err(e) => return Err(e.into()),
    };
    render_item(
        &state,
        &session,
        &record,
        &item,
        &fields.0,
        Some(&errors),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

// ---------------------------------------------------------------------------
// The decision log
// ---------------------------------------------------------------------------

fn logged_view(d: &LoggedDecision) -> Value {
    context! {
        meeting_id => d.decision.meeting_id, item_id => d.decision.agenda_item_id,
        meeting => d.meeting_title.clone(), body => d.body.label(), on => long_date(d.meets_on),
        item => d.agenda_title.clone(), text => paragraphs(&d.decision.text), by => d.decision.decided_by.clone(),
        code => d.project_code.clone(),
        outcome => d.decision.outcome.map(|o| context! { label => o.label(), colour => o.tag_colour() }),
    }
}

pub async fn decisions_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<DecisionQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "governance").await?;
    let (decisions, errors, status) = match state.app.decision_log(session.caller(), &q).await {
        Ok(d) => (d, None, StatusCode::OK),
        Err(AppError::Validation(e)) => (Vec::new(), Some(e), StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    let (fe, errors) = match &errors {
        Some(e) => errors_view(e, |f| match f {
            "body" => ("body".into(), "Body".into()),
            "to" => ("to".into(), "To".into()),
            _ => ("from".into(), "From".into()),
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let chosen = q.body.clone().unwrap_or_default();
    let bodies: Vec<Value> = Body::ALL
        .iter()
        .map(|b| context! { value => b.as_str(), label => b.label(), selected => chosen == b.as_str() })
        .collect();
    let searched = [&q.q, &q.body, &q.from, &q.to]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
    Ok(render_status(
        status,
        "decisions.html",
        context! {
            decisions => decisions.iter().map(logged_view).collect::<Vec<_>>(), count => decisions.len(),
            bodies, searched,
            download_query => super::downloads::query_string(&[("q", &q.q), ("body", &q.body), ("from", &q.from), ("to", &q.to)]),
            f => context! { q => q.q.clone().unwrap_or_default(), from => q.from.clone().unwrap_or_default(), to => q.to.clone().unwrap_or_default() },
            fe, errors, ..base
        },
    ))
}
