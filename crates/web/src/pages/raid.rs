//! Pages for the RAID register: the register with its filters (a GET form),
//! a section per kind, the 5×5 heat maps of current and target scores as
//! HTML tables, the CSV export of what the filters show, an item's page with
//! its actions and history, and the add and edit forms.
//!
//! Everyone may read them; the forms are shown, and accepted, only for
//! editors and administrators (`EditProjects`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use minijinja::{context, Value};
use portfolio_app::raid::RaidRegister;
use portfolio_app::AppError;
use portfolio_domain::raid::{
    ActionDraft, ActionStatus, IssuePriority, RaidDraft, RaidItem, RaidKind, RaidLevel, RaidQuery,
    RaidStatus, Rating, Response as RiskResponse, RiskHeatMap, RiskScales, Score, ScoreDraft,
    MAX_ACTIONS,
};
use portfolio_domain::{Permission, ValidationErrors};
use serde::Deserialize;

use super::{conflict_errors, errors_view, layout, long_date, PostedFields as Fields};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/raid", get(register_page).post(create))
        .route("/raid.csv", get(csv))
        .route("/raid/new", get(new_form))
        .route("/raid/{id}", get(item_page))
        .route("/raid/{id}/edit", get(edit_form).post(update))
}

/// Blank action rows a form offers beyond the stored ones.
const SPARE_ACTION_ROWS: usize = 2;
const SCORES: [(&str, &str); 3] = [
    ("inherent", "Inherent"),
    ("current", "Current"),
    ("target", "Target"),
];

/// Whether the caller may add items to some project: the programme office
/// everywhere, a department lead or project manager within their scope.
fn can_edit(session: &PageSession) -> bool {
    session
        .caller()
        .require_somewhere(Permission::EditProjects)
        .is_ok()
}

fn rating_view(r: Rating) -> Value {
    context! { value => r.as_str(), label => r.label(), colour => r.tag_colour() }
}

fn score_view(s: Score, scales: &RiskScales) -> Value {
    context! {
        likelihood => s.likelihood, impact => s.impact, score => s.value(), rating => rating_view(s.rating()),
        likelihood_word => scales.likelihood_word(s.likelihood), impact_word => scales.impact_word(s.impact),
    }
}

fn date_text(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(long_date)
}

/// One item as the register's tables and the item page show it.
fn item_view(item: &RaidItem, scales: &RiskScales, today: chrono::NaiveDate) -> Value {
    let risk = item.risk.as_ref().map(|r| {
        let actions: Vec<Value> = r
            .actions
            .iter()
            .map(|a| {
                context! {
                    description => a.description.clone(), owner => a.owner.name.clone(),
                    due => date_text(a.due), status => a.status.label(), overdue => a.overdue(today),
                }
            })
            .collect();
        context! {
            cause => r.cause.clone(), event => r.event.clone(), effect => r.effect.clone(),
            inherent => score_view(r.inherent, scales), current => score_view(r.current, scales),
            target => score_view(r.target, scales), response => r.response.label(),
            proximity => r.proximity.map(|p| match p {
                portfolio_domain::raid::Proximity::Date(d) => long_date(d),
                portfolio_domain::raid::Proximity::Quarter(q) => q.to_string(),
            }),
            escalated => r.escalated, actions,
        }
    });
    let issue = item.issue.as_ref().map(|i| {
        context! {
            priority => i.priority.label(), priority_value => i.priority.as_str(),
            resolution => i.resolution.clone(), linked_risk => i.linked_risk.map(|id| format!("R{id}")),
            linked_risk_id => i.linked_risk,
        }
    });
    context! {
        id => item.id, reference => item.reference(), kind => item.kind.as_str(), kind_label => item.kind.label(),
        title => item.title.clone(), description => item.description.clone(),
        project => item.project.as_ref().map(|p| context! { code => p.code.clone(), title => p.title.clone() }),
        owner => item.owner.name.clone(), owner_email => item.owner.email.clone(),
        status => item.status.label(), open => item.status == RaidStatus::Open,
        closed_on => date_text(item.closed_on), review_date => date_text(item.review_date),
        overdue => item.review_overdue(today), risk, issue, warnings => item.warnings(), version => item.version,
    }
}

/// A heat map as two tables' rows: likelihood 5 (top) to 1, impact 1 to 5.
fn heat_map_view(map: &RiskHeatMap) -> Value {
    let rows: Vec<Value> = map
        .rows
        .iter()
        .map(|row| {
            let likelihood = row.first().map_or(0, |c| c.likelihood);
            let cells: Vec<Value> = row
                .iter()
                .map(|c| {
                    context! {
                        impact => c.impact, score => c.score, rating => rating_view(c.rating),
                        current => c.current, target => c.target,
                    }
                })
                .collect();
            context! { likelihood, word => map.scales.likelihood_word(likelihood), cells }
        })
        .collect();
    let impacts: Vec<Value> = (1..=5u8)
        .map(|i| context! { impact => i, word => map.scales.impact_word(i) })
        .collect();
    context! { rows, impacts, risks => map.risks }
}

// ---------------------------------------------------------------------------
// The register
// ---------------------------------------------------------------------------

fn options<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Value> {
    all.iter()
        .map(|v| context! { value => value(*v), label => label(*v) })
        .collect()
}

fn locate_filter(field: &str) -> (String, String) {
    let label = match field {
        "kind" => "Kind",
        "level" => "Level",
        "project" => "Project",
        "status" => "Status",
        "rating" => "Rating",
        "owner" => "Owner",
        _ => "Overdue",
    };
    (field.to_string(), label.to_string())
}

pub async fn register_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<RaidQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "raid").await?;
    let caller = session.caller();
    let (register, errors, status) = match state.app.raid_register(caller, &q).await {
        Ok(r) => (r, Vec::new(), StatusCode::OK),
        Err(AppError::Validation(e)) => {
            let (_, links) = errors_view(&e, locate_filter);
            let r = state
                .app
                .raid_register(caller, &RaidQuery::default())
                .await?;
            (r, links, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e.into()),
    };
    let scales = state.app.risk_scales(caller).await?;
    let owners = state.app.raid_owners(caller).await?;
    let sections = sections(&register, &scales);
    let f = &register.filter;
    let query = f.to_query_string();
    let filters = context! {
        kind => f.kind.map(RaidKind::as_str), level => f.level.map(RaidLevel::as_str),
        project => q.project.clone().unwrap_or_default(), status => f.status.map_or("all", RaidStatus::as_str),
        rating => f.rating.map(Rating::as_str), owner => f.owner.clone(), overdue => f.overdue,
    };
    Ok(render_status(
        status,
        "raid.html",
        context! {
            sections, filters, query, errors,
            heat_map => heat_map_view(&register.heat_map),
            shown => register.items.len(), overdue_count => register.overdue(),
            kinds => options(RaidKind::ALL, RaidKind::as_str, RaidKind::plural),
            levels => options(RaidLevel::ALL, RaidLevel::as_str, RaidLevel::label),
            ratings => options(Rating::ALL, Rating::as_str, Rating::label),
            owners => owners.iter().map(|o| context! { value => o.email.clone(), label => o.name.clone() }).collect::<Vec<_>>(),
            manage => can_edit(&session), ..base
        },
    ))
}

/// A section per kind (only the filtered kind when one is chosen).
fn sections(register: &RaidRegister, scales: &RiskScales) -> Vec<Value> {
    RaidKind::ALL
        .iter()
        .filter(|k| register.filter.kind.is_none_or(|f| f == **k))
        .map(|&k| {
            let items: Vec<Value> = register
                .of_kind(k)
                .map(|i| item_view(i, scales, register.today))
                .collect();
            context! { kind => k.as_str(), label => k.label(), plural => k.plural(), count => items.len(), items }
        })
        .collect()
}

pub async fn csv(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<RaidQuery>,
) -> Result<Response, PageError> {
    let register = state.app.raid_register(session.caller(), &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"raid-register.csv\"",
            ),
        ],
        portfolio_app::export::raid_csv(&register.items, register.today),
    )
        .into_response())
}

// ---------------------------------------------------------------------------
// An item's page
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn parse_id(id: &str) -> Result<i64, AppError> {
    let digits = id
        .trim()
        .trim_start_matches(['R', 'A', 'I', 'D', 'r', 'a', 'i', 'd']);
    digits.parse().map_err(|_| AppError::NotFound("RAID item"))
}

pub async fn item_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "raid").await?;
    let caller = session.caller();
    let item = state.app.raid_item(caller, parse_id(&id)?).await?;
    let scales = state.app.risk_scales(caller).await?;
    let today = portfolio_app::raid::today();
    let linked = match item.issue.as_ref().and_then(|i| i.linked_risk) {
        Some(risk) => state
            .app
            .raid_item(caller, risk)
            .await
            .ok()
            .map(|r| r.title),
        None => None,
    };
    let manage = state
        .app
        .require_raid_scope(session.caller(), item.project.as_ref())
        .await
        .is_ok();
    let history: Vec<Value> = state
        .app
        .raid_history(caller, item.id)
        .await?
        .iter()
        .rev()
        .map(|h| {
            context! {
                action => if h.action == "created" { "Created" } else { "Updated" },
                actor => h.actor.clone(), at => h.at.format("%-d %B %Y at %H:%M UTC").to_string(),
                changes => h.changed_fields(),
            }
        })
        .collect();
    Ok(render_status(
        StatusCode::OK,
        "raid_item.html",
        context! {
            item => item_view(&item, &scales, today), linked_title => linked, history,
            saved => q.done.is_some(), manage, ..base
        },
    ))
}

// ---------------------------------------------------------------------------
// The add and edit forms
// ---------------------------------------------------------------------------

/// The form's boxes, from a stored item.
fn item_fields(item: &RaidItem) -> HashMap<String, String> {
    let d = item.to_draft();
    let mut f = HashMap::new();
    let mut set = |k: &str, v: String| {
        f.insert(k.to_string(), v);
    };
    set("kind", d.kind);
    set("project", d.project.unwrap_or_default());
    set("title", d.title);
    set("description", d.description);
    set("owner", d.owner);
    set("status", d.status);
    set("cause", d.cause);
    set("event", d.event);
    set("effect", d.effect);
    set("response", d.response.unwrap_or_default());
    set("proximity", d.proximity.unwrap_or_default());
    set(
        "escalated",
        if d.escalated {
            "yes".into()
        } else {
            String::new()
        },
    );
    set("priority", d.priority.unwrap_or_default());
    set("resolution", d.resolution);
    set(
        "linked_risk",
        d.linked_risk.map(|r| r.to_string()).unwrap_or_default(),
    );
    for (name, s) in [
        ("inherent", d.inherent),
        ("current", d.current),
        ("target", d.target),
    ] {
        if let Some(s) = s {
            set(&format!("{name}-likelihood"), s.likelihood.to_string());
            set(&format!("{name}-impact"), s.impact.to_string());
        }
    }
    let mut dates = vec![
        ("closed_on".to_string(), item.closed_on),
        ("review_date".to_string(), item.review_date),
    ];
    if let Some(r) = &item.risk {
        for (i, a) in r.actions.iter().enumerate() {
            set(&format!("action-{i}-description"), a.description.clone());
            set(&format!("action-{i}-owner"), a.owner.email.clone());
            set(&format!("action-{i}-status"), a.status.as_str().to_string());
            dates.push((format!("action-{i}-due"), a.due));
        }
    }
    for (name, date) in dates {
        if let Some(date) = date {
            use chrono::Datelike;
            f.insert(format!("{name}-day"), date.day().to_string());
            f.insert(format!("{name}-month"), date.month().to_string());
            f.insert(format!("{name}-year"), date.year().to_string());
        }
    }
    f
}

/// Action rows posted (the form numbers them from 0).
fn action_rows(fields: &Fields) -> usize {
    (0..MAX_ACTIONS + SPARE_ACTION_ROWS)
        .take_while(|i| fields.0.contains_key(&format!("action-{i}-description")))
        .count()
}

/// What a form describes: the draft, the form row of each action in the
/// draft (to place the domain's errors), and problems only the form sees.
struct FormRead {
    draft: RaidDraft,
    action_rows: Vec<usize>,
    local: ValidationErrors,
}

fn read_form(fields: &Fields, kind: RaidKind) -> FormRead {
    let mut local = ValidationErrors::default();
    let mut date = |name: &str| match fields.date(name) {
        Ok(d) => d,
        Err(e) => {
            local.push(name, e);
            None
        }
    };
    let closed_on = date("closed_on");
    let review_date = date("review_date");
    let optional = |k: &str| Some(fields.get(k).trim().to_string()).filter(|s| !s.is_empty());
    let mut draft = RaidDraft {
        kind: kind.as_str().to_string(),
        project: optional("project"),
        title: fields.get("title").to_string(),
        description: fields.get("description").to_string(),
        owner: fields.get("owner").to_string(),
        status: fields.get("status").to_string(),
        closed_on,
        review_date,
        ..RaidDraft::default()
    };
    let mut action_rows_read = Vec::new();
    if kind == RaidKind::Risk {
        draft.cause = fields.get("cause").to_string();
        draft.event = fields.get("event").to_string();
        draft.effect = fields.get("effect").to_string();
        draft.response = optional("response");
        draft.proximity = optional("proximity");
        draft.escalated = fields.get("escalated") == "yes";
        for (name, label) in SCORES {
            let l = fields.get(&format!("{name}-likelihood")).trim();
            let i = fields.get(&format!("{name}-impact")).trim();
            let score = match (l.parse::<i64>(), i.parse::<i64>()) {
                (Ok(l), Ok(i)) => Some(ScoreDraft {
                    likelihood: l,
                    impact: i,
                }),
                _ if l.is_empty() && i.is_empty() => None,
                _ => {
                    let missing = if l.parse::<i64>().is_err() {
                        "likelihood"
                    } else {
                        "impact"
                    };
                    local.push(
                        format!("{name}.{missing}"),
                        format!("choose the {} {missing}", label.to_lowercase()),
                    );
                    None
                }
            };
            set_score(&mut draft, name, score);
        }
        for row in 0..action_rows(fields) {
            let get = |f: &str| fields.get(&format!("action-{row}-{f}")).trim().to_string();
            let due = match fields.date(&format!("action-{row}-due")) {
                Ok(d) => d,
                Err(e) => {
                    local.push(format!("action-{row}-due"), e);
                    None
                }
            };
            let (description, owner) = (get("description"), get("owner"));
            if description.is_empty() && owner.is_empty() && due.is_none() {
                continue;
            }
            draft.actions.push(ActionDraft {
                description,
                owner,
                due,
                status: get("status"),
            });
            action_rows_read.push(row);
        }
    }
    if kind == RaidKind::Issue {
        draft.priority = optional("priority");
        draft.resolution = fields.get("resolution").to_string();
        draft.linked_risk = fields.get("linked_risk").trim().parse().ok();
    }
    FormRead {
        draft,
        action_rows: action_rows_read,
        local,
    }
}

fn set_score(draft: &mut RaidDraft, name: &str, score: Option<ScoreDraft>) {
    match name {
        "inherent" => draft.inherent = score,
        "current" => draft.current = score,
        _ => draft.target = score,
    }
}

/// The input id and label of a field the domain or the form named.
fn locate<'a>(action_rows: &'a [usize]) -> impl Fn(&str) -> (String, String) + 'a {
    move |field: &str| {
        if let Some(rest) = field.strip_prefix("actions[") {
            let index: usize = rest
                .split(']')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let row = action_rows.get(index).copied().unwrap_or(index);
            let part = rest.rsplit('.').next().unwrap_or("description");
            let (suffix, label) = match part {
                "owner" => ("owner", "owner"),
                "due" => ("due-day", "due date"),
                "status" => ("status", "status"),
                _ => ("description", "description"),
            };
            return (
                format!("action-{row}-{suffix}"),
                format!("Action {} {label}", row + 1),
            );
        }
        if let Some(row) = field
            .strip_prefix("action-")
            .and_then(|r| r.strip_suffix("-due"))
        {
            let n: usize = row.parse().unwrap_or(0);
            return (format!("{field}-day"), format!("Action {} due date", n + 1));
        }
        for (name, label) in SCORES {
            if let Some(part) = field.strip_prefix(name) {
                let part = part.trim_start_matches('.');
                let part = if part == "impact" {
                    "impact"
                } else {
                    "likelihood"
                };
                return (format!("{name}-{part}"), format!("{label} {part}"));
            }
        }
        let (id, label) = match field {
            "project" => ("project", "Project"),
            "title" => ("title", "Title"),
            "description" => ("description", "Description"),
            "owner" => ("owner", "Owner"),
            "status" => ("status", "Status"),
            "closed_on" => ("closed_on-day", "Date closed"),
            "review_date" => ("review_date-day", "Review date"),
            "cause" => ("cause", "Cause"),
            "event" => ("event", "Event"),
            "effect" => ("effect", "Effect"),
            "response" => ("response", "Response"),
            "proximity" => ("proximity", "Proximity"),
            "escalated" => ("escalated", "Escalation"),
            "actions" => ("action-0-description", "Actions"),
            "priority" => ("priority", "Priority"),
            "resolution" => ("resolution", "Resolution"),
            "linked_risk" => ("linked_risk", "Linked risk"),
            "version" => ("title", "This item"),
            _ => ("title", "Item"),
        };
        (id.to_string(), label.to_string())
    }
}

struct FormPage<'a> {
    kind: RaidKind,
    editing: Option<&'a RaidItem>,
    values: HashMap<String, String>,
    read: Option<(&'a FormRead, &'a ValidationErrors)>,
    status: StatusCode,
}

async fn render_form(
    state: &AppState,
    session: &PageSession,
    page: FormPage<'_>,
) -> Result<Response, PageError> {
    let base = layout(state, session, "raid").await?;
    let caller = session.caller();
    let scales = state.app.risk_scales(caller).await?;
    let owners = state.app.raid_owners(caller).await?;
    let (fe, errors) = match page.read {
        Some((read, e)) => errors_view(e, locate(&read.action_rows)),
        None => (HashMap::new(), Vec::new()),
    };
    let get = |k: &str| page.values.get(k).cloned().unwrap_or_default();
    let date = |name: &str| context! { day => get(&format!("{name}-day")), month => get(&format!("{name}-month")), year => get(&format!("{name}-year")) };
    let stored_actions = page
        .editing
        .and_then(|i| i.risk.as_ref())
        .map_or(0, |r| r.actions.len());
    let rows = (0..MAX_ACTIONS + SPARE_ACTION_ROWS)
        .take_while(|i| page.values.contains_key(&format!("action-{i}-description")))
        .count()
        .max(stored_actions + SPARE_ACTION_ROWS)
        .min(MAX_ACTIONS);
    let actions: Vec<Value> = (0..rows)
        .map(|i| {
            let id = |f: &str| format!("action-{i}-{f}");
            context! {
                n => i + 1, description => get(&id("description")), owner => get(&id("owner")),
                status => get(&id("status")), due => date(&id("due")),
                description_error => fe.get(&id("description")).cloned(), owner_error => fe.get(&id("owner")).cloned(),
                due_error => fe.get(&id("due-day")).cloned(), status_error => fe.get(&id("status")).cloned(),
            }
        })
        .collect();
    let scores: Vec<Value> = SCORES
        .iter()
        .map(|(name, label)| {
            context! {
                name => *name, label => *label,
                likelihood => get(&format!("{name}-likelihood")), impact => get(&format!("{name}-impact")),
                likelihood_error => fe.get(&format!("{name}-likelihood")).cloned(),
                impact_error => fe.get(&format!("{name}-impact")).cloned(),
            }
        })
        .collect();
    let scale = |words: &[String]| -> Vec<Value> {
        words
            .iter()
            .enumerate()
            .map(|(i, w)| context! { value => (i + 1).to_string(), label => format!("{} – {w}", i + 1) })
            .collect()
    };
    let risks: Vec<Value> = if page.kind == RaidKind::Issue {
        state
            .app
            .raid_register(caller, &RaidQuery { kind: Some("risk".into()), status: Some("all".into()), ..RaidQuery::default() })
            .await?
            .items
            .iter()
            .map(|r| context! { value => r.id.to_string(), label => format!("{} {}", r.reference(), r.title) })
            .collect()
    } else {
        Vec::new()
    };
    let f = context! {
        project => get("project"), title => get("title"), description => get("description"),
        owner => get("owner"), status => if get("status").is_empty() { "open".to_string() } else { get("status") },
        closed_on => date("closed_on"), review_date => date("review_date"),
        cause => get("cause"), event => get("event"), effect => get("effect"), response => get("response"),
        proximity => get("proximity"), escalated => get("escalated") == "yes",
        priority => get("priority"), resolution => get("resolution"), linked_risk => get("linked_risk"),
    };
    let (heading, action) = match page.editing {
        Some(item) => (
            format!(
                "Change {} {}",
                item.kind.label().to_lowercase(),
                item.reference()
            ),
            format!("/raid/{}/edit", item.id),
        ),
        None => (
            format!(
                "Add a{} {}",
                if page.kind == RaidKind::Assumption || page.kind == RaidKind::Issue {
                    "n"
                } else {
                    ""
                },
                page.kind.label().to_lowercase()
            ),
            "/raid".to_string(),
        ),
    };
    Ok(render_status(
        page.status,
        "raid_form.html",
        context! {
            heading, action, kind => page.kind.as_str(), kind_label => page.kind.label(),
            editing => page.editing.map(|i| context! { id => i.id, reference => i.reference(), version => i.version }),
            f, fe, errors, actions, scores, risks,
            likelihoods => scale(&scales.likelihood), impacts => scale(&scales.impact),
            owners => owners.iter().map(|o| context! { value => o.email.clone(), label => format!("{} ({})", o.name, o.email) }).collect::<Vec<_>>(),
            responses => options(RiskResponse::ALL, RiskResponse::as_str, RiskResponse::label),
            priorities => options(IssuePriority::ALL, IssuePriority::as_str, IssuePriority::label),
            action_statuses => options(ActionStatus::ALL, ActionStatus::as_str, ActionStatus::label),
            ..base
        },
    ))
}

#[derive(Deserialize)]
pub struct NewQuery {
    kind: Option<String>,
    project: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    session
        .caller()
        .require_somewhere(Permission::EditProjects)?;
    let kind = q
        .kind
        .as_deref()
        .map_or(Ok(RaidKind::Risk), RaidKind::parse)
        .map_err(|e| AppError::Validation(ValidationErrors::single("kind", e)))?;
    let mut values = HashMap::new();
    if let Some(p) = q.project {
        values.insert("project".to_string(), p);
    }
    values.insert("owner".to_string(), session.caller().user.email.clone());
    render_form(
        &state,
        &session,
        FormPage {
            kind,
            editing: None,
            values,
            read: None,
            status: StatusCode::OK,
        },
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session
        .caller()
        .require_somewhere(Permission::EditProjects)?;
    let kind = RaidKind::parse(fields.get("kind"))
        .map_err(|e| AppError::Validation(ValidationErrors::single("kind", e)))?;
    let read = read_form(&fields, kind);
    let result = if read.local.is_empty() {
        state
            .app
            .create_raid_item(session.caller(), &read.draft)
            .await
    } else {
        Err(AppError::Validation(
            with_domain_errors(&state, &session, &read).await,
        ))
    };
    match result {
        Ok(item) => Ok(Redirect::to(&format!("/raid/{}?done=saved", item.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &session,
                FormPage {
                    kind,
                    editing: None,
                    values: fields.0.clone(),
                    read: Some((&read, &errors)),
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The form's own problems and the domain's, so one submission shows them all.
async fn with_domain_errors(
    state: &AppState,
    session: &PageSession,
    read: &FormRead,
) -> ValidationErrors {
    // "current.likelihood" and "current" name the same boxes: one message each.
    let root = |field: &str| field.split(['.', '[']).next().unwrap_or(field).to_string();
    let mut errors = read.local.clone();
    if let Err(AppError::Validation(more)) = state
        .app
        .validate_raid_item(session.caller(), &read.draft, None)
        .await
    {
        let named: Vec<String> = errors.0.iter().map(|e| root(&e.field)).collect();
        errors.0.extend(
            more.0
                .into_iter()
                .filter(|e| !named.contains(&root(&e.field))),
        );
    }
    errors
}

pub async fn edit_form(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    session
        .caller()
        .require_somewhere(Permission::EditProjects)?;
    let item = state
        .app
        .raid_item(session.caller(), parse_id(&id)?)
        .await?;
    state
        .app
        .require_raid_scope(session.caller(), item.project.as_ref())
        .await?;
    render_form(
        &state,
        &session,
        FormPage {
            kind: item.kind,
            editing: Some(&item),
            values: item_fields(&item),
            read: None,
            status: StatusCode::OK,
        },
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
    session
        .caller()
        .require_somewhere(Permission::EditProjects)?;
    let id = parse_id(&id)?;
    let item = state.app.raid_item(session.caller(), id).await?;
    state
        .app
        .require_raid_scope(session.caller(), item.project.as_ref())
        .await?;
    let read = read_form(&fields, item.kind);
    let result = match (read.local.is_empty(), fields.version()) {
        (false, _) => Err(AppError::Validation(
            with_domain_errors(&state, &session, &read).await,
        )),
        (true, Err(e)) => Err(e),
        (true, Ok(version)) => {
            state
                .app
                .update_raid_item(session.caller(), id, version, &read.draft)
                .await
        }
    };
    match result {
        Ok(item) => Ok(Redirect::to(&format!("/raid/{}?done=saved", item.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &session,
                FormPage {
                    kind: item.kind,
                    editing: Some(&item),
                    values: fields.0.clone(),
                    read: Some((&read, &errors)),
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                },
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let current = state.app.raid_item(session.caller(), id).await?;
            let errors = conflict_errors(&current.kind.label().to_lowercase());
            render_form(
                &state,
                &session,
                FormPage {
                    kind: current.kind,
                    editing: Some(&current),
                    values: item_fields(&current),
                    read: Some((&read, &errors)),
                    status: StatusCode::CONFLICT,
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The RAID summary a project's page shows (`project_raid.html`): its open items by kind.
pub(crate) async fn project_summary(
    state: &AppState,
    session: &PageSession,
    code: &str,
) -> Result<Value, PageError> {
    let register = state
        .app
        .raid_register(
            session.caller(),
            &RaidQuery {
                project: Some(code.to_string()),
                ..RaidQuery::default()
            },
        )
        .await?;
    let scales = state.app.risk_scales(session.caller()).await?;
    let counts: Vec<Value> = RaidKind::ALL
        .iter()
        .map(|&k| context! { plural => k.plural(), count => register.of_kind(k).count() })
        .collect();
    let risks: Vec<Value> = register
        .of_kind(RaidKind::Risk)
        .map(|i| item_view(i, &scales, register.today))
        .collect();
    let manage = state
        .app
        .project_for(session.caller(), code, Permission::EditProjects)
        .await
        .is_ok();
    Ok(context! { code => code, counts, risks, open => register.items.len(), manage })
}
