//! Board meetings: dated meetings of a governing body with attendees, an
//! agenda, the decisions taken on its items and the actions that follow.
//!
//! The same model serves every body that decides on the programme: the
//! programme board, Cabinet and the senior leadership team. An agenda is
//! built from what awaits the body (pending gate requests, escalated risks,
//! projects rated Red or Amber/Red; see [`auto_agenda`]) and from items
//! added by hand. A decision on a gate request's item is the gate decision
//! itself; the store records both in one transaction.
//!
//! This module parses and decides; it reads no clock and stores nothing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::confidence::DeliveryConfidence;
use crate::errors::ValidationErrors;
use crate::gates::{GateDecisionDraft, GateDecisionInput, GateStatus};
use crate::organisation::{parse_email, User};
use crate::raid::{ActionStatus, Person};
use crate::text::clean;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 4_000;
pub const MAX_LOCATION: usize = 200;
/// Most people a meeting's attendance may list.
pub const MAX_ATTENDEES: usize = 60;
/// Most items an agenda may hold.
pub const MAX_AGENDA_ITEMS: usize = 80;

/// A body that meets and decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    ProgrammeBoard,
    Cabinet,
    SeniorLeadershipTeam,
}

impl Body {
    pub const ALL: [Body; 3] = [
        Body::ProgrammeBoard,
        Body::Cabinet,
        Body::SeniorLeadershipTeam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Body::ProgrammeBoard => "programme_board",
            Body::Cabinet => "cabinet",
            Body::SeniorLeadershipTeam => "senior_leadership_team",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Body::ProgrammeBoard => "Programme Board",
            Body::Cabinet => "Cabinet",
            Body::SeniorLeadershipTeam => "Senior Leadership Team",
        }
    }

    /// Accepts the value, the label or "slt", any case.
    pub fn parse(s: &str) -> Result<Body, String> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        if norm == "slt" {
            return Ok(Body::SeniorLeadershipTeam);
        }
        Body::ALL
            .into_iter()
            .find(|b| b.as_str() == norm || b.label().to_ascii_lowercase().replace(' ', "_") == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a governing body; use programme_board, cabinet or senior_leadership_team",
                    s.trim()
                )
            })
    }
}

/// Why an item is on the agenda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgendaKind {
    /// A pending gate request: the decision is the gate decision.
    GateRequest,
    /// An open risk escalated to the board.
    EscalatedRisk,
    /// A project rated Red or Amber/Red.
    ProjectConfidence,
    /// Added by hand.
    Other,
}

impl AgendaKind {
    pub const ALL: [AgendaKind; 4] = [
        AgendaKind::GateRequest,
        AgendaKind::EscalatedRisk,
        AgendaKind::ProjectConfidence,
        AgendaKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgendaKind::GateRequest => "gate_request",
            AgendaKind::EscalatedRisk => "escalated_risk",
            AgendaKind::ProjectConfidence => "project_confidence",
            AgendaKind::Other => "other",
        }
    }

    /// The heading the agenda groups the kind under.
    pub fn label(self) -> &'static str {
        match self {
            AgendaKind::GateRequest => "Gate requests",
            AgendaKind::EscalatedRisk => "Escalated risks",
            AgendaKind::ProjectConfidence => "Projects rated Red or Amber/Red",
            AgendaKind::Other => "Other business",
        }
    }

    pub fn parse(s: &str) -> Result<AgendaKind, String> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        AgendaKind::ALL
            .into_iter()
            .find(|k| k.as_str() == norm)
            .ok_or_else(|| format!("'{}' is not a kind of agenda item", s.trim()))
    }
}

/// Someone at a meeting: a user of the organisation, or a named guest
/// (a councillor or an officer without an account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attendee {
    pub user_id: Option<i64>,
    pub name: String,
}

/// A stored meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Meeting {
    pub id: i64,
    pub body: Body,
    pub title: String,
    pub meets_on: NaiveDate,
    pub location: String,
    pub attendees: Vec<Attendee>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl Meeting {
    /// Whether the meeting is on or after `today`: its agenda can still grow
    /// from what awaits the board.
    pub fn upcoming(&self, today: NaiveDate) -> bool {
        self.meets_on >= today
    }
}

/// One item of an agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgendaItem {
    pub id: i64,
    pub meeting_id: i64,
    /// 1, 2, 3… in the order the agenda reads.
    pub position: i64,
    pub kind: AgendaKind,
    /// The gate request, risk or project the item is about.
    pub ref_id: Option<i64>,
    /// The project it concerns, e.g. DP-012, for links.
    pub project_code: Option<String>,
    pub title: String,
    pub detail: String,
    /// Added by hand rather than built from what awaits the board.
    pub by_hand: bool,
}

/// An item as the agenda builder or a person proposes it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaItemInput {
    pub kind: AgendaKind,
    pub ref_id: Option<i64>,
    pub project_code: Option<String>,
    pub title: String,
    pub detail: String,
    pub by_hand: bool,
}

/// A decision recorded against an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    pub id: i64,
    pub meeting_id: i64,
    pub agenda_item_id: i64,
    /// What was decided, in the minutes' words.
    pub text: String,
    /// For a gate request's item: the gate's outcome.
    pub outcome: Option<GateStatus>,
    pub gate_request_id: Option<i64>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// A decision with its meeting and item, as the decision log lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoggedDecision {
    #[serde(flatten)]
    pub decision: Decision,
    pub body: Body,
    pub meeting_title: String,
    pub meets_on: NaiveDate,
    pub agenda_title: String,
    pub project_code: Option<String>,
}

/// Something a meeting asked someone to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeetingAction {
    pub id: i64,
    pub meeting_id: i64,
    pub agenda_item_id: Option<i64>,
    pub description: String,
    pub owner: Person,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    pub version: i64,
}

impl MeetingAction {
    /// Not done and due before `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status != ActionStatus::Done && self.due_on < today
    }
}

/// A meeting with everything recorded in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeetingRecord {
    pub meeting: Meeting,
    pub agenda: Vec<AgendaItem>,
    pub decisions: Vec<Decision>,
    pub actions: Vec<MeetingAction>,
}

impl MeetingRecord {
    pub fn item(&self, id: i64) -> Option<&AgendaItem> {
        self.agenda.iter().find(|i| i.id == id)
    }
}

fn parse_date(field: &str, s: &str, errors: &mut ValidationErrors) -> Option<NaiveDate> {
    crate::text::required_date(field, s, errors)
}

/// The active user with this email, or why not.
fn person(users: &[User], email: &str) -> Result<Person, String> {
    let email = email.trim();
    if email.is_empty() {
        return Err("choose an owner".into());
    }
    let parsed = parse_email(email)?;
    match users.iter().find(|u| u.email == parsed) {
        Some(u) if !u.disabled => Ok(Person {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
        }),
        Some(_) => Err(format!("'{parsed}' is disabled and cannot own an action")),
        None => Err(format!("'{parsed}' is not a user of this organisation")),
    }
}

/// A meeting as a form or the API describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingDraft {
    /// programme_board, cabinet or senior_leadership_team.
    #[serde(default)]
    pub body: String,
    /// Optional: "Programme Board, 14 January 2027" when empty.
    #[serde(default)]
    pub title: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub meets_on: String,
    #[serde(default)]
    pub location: String,
    /// Users attending, by email.
    #[serde(default)]
    pub attendees: Vec<String>,
    /// Others attending, e.g. "Cllr Jane Smith, Cabinet Member for Digital".
    #[serde(default)]
    pub guests: Vec<String>,
}

/// A validated meeting, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingInput {
    pub body: Body,
    pub title: String,
    pub meets_on: NaiveDate,
    pub location: String,
    pub attendees: Vec<Attendee>,
}

impl MeetingDraft {
    pub fn validate(&self, users: &[User]) -> Result<MeetingInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let body = if self.body.trim().is_empty() {
            errors.push("body", "choose the body that meets");
            None
        } else {
            errors.check("body", Body::parse(&self.body))
        };
        let meets_on = parse_date("meets_on", &self.meets_on, &mut errors);
        let title = errors.check("title", clean(&self.title, MAX_TITLE, false, false));
        let location = errors.check(
            "location",
            clean(&self.location, MAX_LOCATION, false, false),
        );
        let mut attendees: Vec<Attendee> = Vec::new();
        for (i, email) in self.attendees.iter().enumerate() {
            if email.trim().is_empty() {
                continue;
            }
            match parse_email(email) {
                Ok(e) => match users.iter().find(|u| u.email == e) {
                    Some(u) if attendees.iter().any(|a| a.user_id == Some(u.id)) => {}
                    Some(u) => attendees.push(Attendee {
                        user_id: Some(u.id),
                        name: u.name.clone(),
                    }),
                    None => errors.push(
                        format!("attendees[{i}]"),
                        format!("'{e}' is not a user of this organisation"),
                    ),
                },
                Err(m) => errors.push(format!("attendees[{i}]"), m),
            }
        }
        for (i, guest) in self.guests.iter().enumerate() {
            if guest.trim().is_empty() {
                continue;
            }
            if let Some(name) = errors.check(
                &format!("guests[{i}]"),
                clean(guest, MAX_TITLE, true, false),
            ) {
                if !attendees
                    .iter()
                    .any(|a| a.user_id.is_none() && a.name == name)
                {
                    attendees.push(Attendee {
                        user_id: None,
                        name,
                    });
                }
            }
        }
        if attendees.len() > MAX_ATTENDEES {
            errors.push(
                "attendees",
                format!(
                    "must list {MAX_ATTENDEES} people or fewer (it lists {})",
                    attendees.len()
                ),
            );
        }
        match (body, meets_on, title, location) {
            (Some(body), Some(meets_on), Some(title), Some(location)) if errors.is_empty() => {
                let title = if title.is_empty() {
                    format!("{}, {}", body.label(), meets_on.format("%-d %B %Y"))
                } else {
                    title
                };
                Ok(MeetingInput {
                    body,
                    title,
                    meets_on,
                    location,
                    attendees,
                })
            }
            _ => Err(errors),
        }
    }
}

/// An item added by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemDraft {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub detail: String,
}

impl AgendaItemDraft {
    pub fn validate(&self) -> Result<AgendaItemInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let title = errors.check("title", clean(&self.title, MAX_TITLE, true, false));
        let detail = errors.check("detail", clean(&self.detail, MAX_TEXT, false, true));
        match (title, detail) {
            (Some(title), Some(detail)) => Ok(AgendaItemInput {
                kind: AgendaKind::Other,
                ref_id: None,
                project_code: None,
                title,
                detail,
                by_hand: true,
            }),
            _ => Err(errors),
        }
    }
}

/// What awaits a board, as the agenda builder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// (gate request id, project code, project title, gate label such as "Concept to Design").
    pub gate_requests: Vec<(i64, String, String, String)>,
    /// (risk id, reference such as "R-12", title, current score, project code if a project's).
    pub escalated_risks: Vec<(i64, String, String, u8, Option<String>)>,
    /// (project id, code, title, confidence) for projects still running.
    pub projects: Vec<(i64, String, String, DeliveryConfidence)>,
}

/// The items a meeting's agenda should carry for what awaits the board, in
/// agenda order (gate requests, escalated risks, then Red before Amber/Red
/// projects), leaving out any already on it.
pub fn auto_agenda(pending: &Pending, existing: &[AgendaItem]) -> Vec<AgendaItemInput> {
    let on_agenda = |kind: AgendaKind, id: i64| {
        existing
            .iter()
            .any(|i| i.kind == kind && i.ref_id == Some(id))
    };
    let mut out = Vec::new();
    for (id, code, title, gate) in &pending.gate_requests {
        if !on_agenda(AgendaKind::GateRequest, *id) {
            out.push(AgendaItemInput {
                kind: AgendaKind::GateRequest,
                ref_id: Some(*id),
                project_code: Some(code.clone()),
                title: format!("{code} {title}: {gate} gate"),
                detail: format!("Gate request {id} asks the board to approve the move {gate}."),
                by_hand: false,
            });
        }
    }
    for (id, reference, title, score, code) in &pending.escalated_risks {
        if !on_agenda(AgendaKind::EscalatedRisk, *id) {
            let owner = match code {
                Some(c) => format!("a risk of {c}"),
                None => "a programme risk".to_string(),
            };
            out.push(AgendaItemInput {
                kind: AgendaKind::EscalatedRisk,
                ref_id: Some(*id),
                project_code: code.clone(),
                title: format!("{reference} {title}"),
                detail: format!("Escalated to the board: {owner}, current score {score}."),
                by_hand: false,
            });
        }
    }
    let mut projects: Vec<&(i64, String, String, DeliveryConfidence)> = pending
        .projects
        .iter()
        .filter(|p| matches!(p.3, DeliveryConfidence::Red | DeliveryConfidence::AmberRed))
        .collect();
    projects.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.1.cmp(&b.1)));
    for (id, code, title, confidence) in projects {
        if !on_agenda(AgendaKind::ProjectConfidence, *id) {
            out.push(AgendaItemInput {
                kind: AgendaKind::ProjectConfidence,
                ref_id: Some(*id),
                project_code: Some(code.clone()),
                title: format!("{code} {title}: rated {}", confidence.label()),
                detail: format!(
                    "Delivery confidence is {}; the board reviews the recovery plan.",
                    confidence.label()
                ),
                by_hand: false,
            });
        }
    }
    out
}

/// A decision as a form or the API describes it. For a gate request's
/// item, `gate` carries the gate decision and `text` may be empty (the
/// reasons are the minute); otherwise `text` is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionDraft {
    /// The agenda item's id.
    #[serde(default)]
    pub agenda_item: i64,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub gate: Option<GateDecisionDraft>,
    /// For a gate decision: the gate request's version as read (the number
    /// in its ETag), so a request changed meanwhile is not decided blind.
    #[serde(default)]
    pub gate_version: Option<i64>,
}

/// The gate decision a meeting's decision carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateChoice {
    pub request_id: i64,
    /// The request's version as the decider read it.
    pub version: i64,
    pub decision: GateDecisionInput,
}

/// A validated decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionInput {
    pub agenda_item_id: i64,
    pub text: String,
    /// The gate decision, for a gate request's item (meeting id set).
    pub gate: Option<GateChoice>,
}

impl DecisionDraft {
    /// Checks the draft against the item it is recorded on.
    pub fn validate(&self, record: &MeetingRecord) -> Result<DecisionInput, ValidationErrors> {
        let Some(item) = record.item(self.agenda_item) else {
            return Err(ValidationErrors::single(
                "agenda_item",
                format!(
                    "item {} is not on the agenda of this meeting",
                    self.agenda_item
                ),
            ));
        };
        let mut errors = ValidationErrors::default();
        let text = errors.check("text", clean(&self.text, MAX_TEXT, false, true));
        let gate = match (item.kind, item.ref_id) {
            (AgendaKind::GateRequest, Some(request_id)) => {
                let draft = self.gate.clone().unwrap_or_default();
                if self.gate_version.is_none() {
                    errors.push(
                        "gate_version",
                        "must give the gate request's version as read (its ETag)",
                    );
                }
                match draft.validate() {
                    Ok(mut d) => {
                        d.meeting_id = Some(record.meeting.id);
                        self.gate_version.map(|version| GateChoice {
                            request_id,
                            version,
                            decision: d,
                        })
                    }
                    Err(e) => {
                        for fe in e.0 {
                            errors.push(fe.field, fe.message);
                        }
                        None
                    }
                }
            }
            _ => {
                if self.gate.is_some() {
                    errors.push(
                        "outcome",
                        "a gate decision can be recorded only on a gate request's item",
                    );
                }
                if text.as_deref().is_some_and(str::is_empty) {
                    errors.push("text", "must say what was decided");
                }
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let text = text.unwrap_or_default();
        let text = match &gate {
            Some(GateChoice { decision: g, .. }) if text.is_empty() => {
                let mut t = format!("{}. {}", g.outcome.label(), g.reasons);
                if !g.conditions.is_empty() {
                    t.push_str(&format!(" Conditions: {}", g.conditions));
                }
                t
            }
            _ => text,
        };
        Ok(DecisionInput {
            agenda_item_id: item.id,
            text,
            gate,
        })
    }
}

/// An action as a form or the API describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingActionDraft {
    /// The agenda item it follows from, if any.
    #[serde(default)]
    pub agenda_item: Option<i64>,
    #[serde(default)]
    pub description: String,
    /// The owner's email: a user of the organisation.
    #[serde(default)]
    pub owner: String,
    /// YYYY-MM-DD, on or after the meeting.
    #[serde(default)]
    pub due_on: String,
}

/// A validated action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingActionInput {
    pub agenda_item_id: Option<i64>,
    pub description: String,
    pub owner: Person,
    pub due_on: NaiveDate,
}

impl MeetingActionDraft {
    pub fn validate(
        &self,
        record: &MeetingRecord,
        users: &[User],
    ) -> Result<MeetingActionInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if let Some(id) = self.agenda_item {
            if record.item(id).is_none() {
                errors.push(
                    "agenda_item",
                    format!("item {id} is not on the agenda of this meeting"),
                );
            }
        }
        let description = errors.check(
            "description",
            clean(&self.description, MAX_TEXT, true, true),
        );
        let owner = errors.check("owner", person(users, &self.owner));
        let due_on = parse_date("due_on", &self.due_on, &mut errors);
        if let Some(d) = due_on {
            if d < record.meeting.meets_on {
                errors.push(
                    "due_on",
                    format!(
                        "must be on or after the meeting's date ({}); {} is before it",
                        record.meeting.meets_on.format("%-d %B %Y"),
                        d.format("%-d %B %Y")
                    ),
                );
            }
        }
        match (description, owner, due_on) {
            (Some(description), Some(owner), Some(due_on)) if errors.is_empty() => {
                Ok(MeetingActionInput {
                    agenda_item_id: self.agenda_item,
                    description,
                    owner,
                    due_on,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What the decision log searches by, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::IntoParams)]
pub struct DecisionQuery {
    /// Words to find in the decision, its agenda item or its meeting.
    pub q: Option<String>,
    /// programme_board, cabinet or senior_leadership_team.
    pub body: Option<String>,
    /// Meetings on or after this date (YYYY-MM-DD).
    pub from: Option<String>,
    /// Meetings on or before this date (YYYY-MM-DD).
    pub to: Option<String>,
}

/// A parsed decision-log search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionFilter {
    /// Lower-cased words; a decision matches when it contains all of them.
    pub words: Vec<String>,
    pub body: Option<Body>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DecisionQuery {
    pub fn parse(&self) -> Result<DecisionFilter, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let present = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let words = present(&self.q)
            .map(|q| {
                q.to_lowercase()
                    .split_whitespace()
                    .take(10)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let body = present(&self.body).and_then(|b| errors.check("body", Body::parse(&b)));
        let from = present(&self.from).and_then(|d| parse_date("from", &d, &mut errors));
        let to = present(&self.to).and_then(|d| parse_date("to", &d, &mut errors));
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                errors.push(
                    "from",
                    format!("must be on or before the 'to' date ({t}); {f} is after it"),
                );
            }
        }
        errors.into_result(|| DecisionFilter {
            words,
            body,
            from,
            to,
        })
    }
}

impl DecisionFilter {
    pub fn matches(&self, d: &LoggedDecision) -> bool {
        if self.body.is_some_and(|b| b != d.body) {
            return false;
        }
        if self.from.is_some_and(|f| d.meets_on < f) || self.to.is_some_and(|t| d.meets_on > t) {
            return false;
        }
        if self.words.is_empty() {
            return true;
        }
        let haystack = format!(
            "{} {} {} {}",
            d.decision.text,
            d.agenda_title,
            d.meeting_title,
            d.project_code.as_deref().unwrap_or("")
        )
        .to_lowercase();
        self.words.iter().all(|w| haystack.contains(w.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;

    fn users() -> Vec<User> {
        vec![
            User {
                id: 1,
                organisation_id: 1,
                email: "chair@council.example".into(),
                name: "Alex Chair".into(),
                role: Role::Administrator,
                disabled: false,
                scope: Default::default(),
            },
            User {
                id: 2,
                organisation_id: 1,
                email: "gone@council.example".into(),
                name: "Former Officer".into(),
                role: Role::ProgrammeOffice,
                disabled: true,
                scope: Default::default(),
            },
        ]
    }

    fn record(items: Vec<AgendaItem>) -> MeetingRecord {
        MeetingRecord {
            meeting: Meeting {
                id: 7,
                body: Body::ProgrammeBoard,
                title: "Programme Board, 14 January 2027".into(),
                meets_on: NaiveDate::from_ymd_opt(2027, 1, 14).unwrap(),
                location: String::new(),
                attendees: Vec::new(),
                version: 1,
                created_at: Utc::now(),
            },
            agenda: items,
            decisions: Vec::new(),
            actions: Vec::new(),
        }
    }

    fn item(id: i64, kind: AgendaKind, ref_id: Option<i64>) -> AgendaItem {
        AgendaItem {
            id,
            meeting_id: 7,
            position: id,
            kind,
            ref_id,
            project_code: None,
            title: format!("Item {id}"),
            detail: String::new(),
            by_hand: kind == AgendaKind::Other,
        }
    }

    #[test]
    fn a_meeting_needs_a_body_and_a_real_date_and_names_itself() {
        let e = MeetingDraft::default().validate(&users()).unwrap_err();
        assert!(e.for_field("body").is_some());
        assert!(e.for_field("meets_on").is_some());
        let e = MeetingDraft {
            body: "board of wizards".into(),
            meets_on: "2027-02-30".into(),
            ..Default::default()
        }
        .validate(&users())
        .unwrap_err();
        assert!(e
            .for_field("body")
            .unwrap()
            .contains("not a governing body"));
        assert!(e.for_field("meets_on").unwrap().contains("not a real date"));
        let m = MeetingDraft {
            body: "SLT".into(),
            meets_on: "2027-01-14".into(),
            attendees: vec![
                "Chair@Council.example".into(),
                "chair@council.example".into(),
            ],
            guests: vec!["Cllr Jane Smith".into(), "".into()],
            ..Default::default()
        }
        .validate(&users())
        .unwrap();
        assert_eq!(m.body, Body::SeniorLeadershipTeam);
        assert_eq!(m.title, "Senior Leadership Team, 14 January 2027");
        assert_eq!(m.attendees.len(), 2);
        assert_eq!(m.attendees[0].user_id, Some(1));
        assert_eq!(m.attendees[1].user_id, None);
    }

    #[test]
    fn an_attendee_who_is_not_a_user_is_named() {
        let e = MeetingDraft {
            body: "cabinet".into(),
            meets_on: "2027-01-14".into(),
            attendees: vec!["stranger@else.example".into()],
            ..Default::default()
        }
        .validate(&users())
        .unwrap_err();
        assert!(e
            .for_field("attendees[0]")
            .unwrap()
            .contains("not a user of this organisation"));
    }

    #[test]
    fn the_agenda_builder_orders_items_and_skips_what_is_already_there() {
        let pending = Pending {
            gate_requests: vec![(
                4,
                "DP-003".into(),
                "Blue badges".into(),
                "Concept to Design".into(),
            )],
            escalated_risks: vec![(9, "R-9".into(), "Capacity".into(), 20, None)],
            projects: vec![
                (1, "DP-010".into(), "A".into(), DeliveryConfidence::AmberRed),
                (2, "DP-002".into(), "B".into(), DeliveryConfidence::Green),
                (3, "DP-020".into(), "C".into(), DeliveryConfidence::Red),
            ],
        };
        let items = auto_agenda(&pending, &[]);
        let kinds: Vec<(AgendaKind, Option<i64>)> =
            items.iter().map(|i| (i.kind, i.ref_id)).collect();
        assert_eq!(
            kinds,
            vec![
                (AgendaKind::GateRequest, Some(4)),
                (AgendaKind::EscalatedRisk, Some(9)),
                (AgendaKind::ProjectConfidence, Some(3)),
                (AgendaKind::ProjectConfidence, Some(1)),
            ]
        );
        assert!(items[0].title.contains("Concept to Design"));
        let existing = vec![
            item(1, AgendaKind::GateRequest, Some(4)),
            item(2, AgendaKind::ProjectConfidence, Some(3)),
        ];
        let again = auto_agenda(&pending, &existing);
        assert_eq!(again.len(), 2);
        assert!(again
            .iter()
            .all(|i| i.ref_id != Some(4) && i.ref_id != Some(3)));
    }

    #[test]
    fn a_gate_item_takes_the_gate_decision_and_others_take_words() {
        let r = record(vec![
            item(1, AgendaKind::GateRequest, Some(4)),
            item(2, AgendaKind::Other, None),
        ]);
        let d = DecisionDraft {
            agenda_item: 1,
            gate: Some(GateDecisionDraft {
                outcome: "approved_with_conditions".into(),
                reasons: "A sound case".into(),
                conditions: "Report costs monthly".into(),
            }),
            gate_version: Some(2),
            ..Default::default()
        }
        .validate(&r)
        .unwrap();
        let gate = d.gate.unwrap();
        assert_eq!((gate.request_id, gate.version), (4, 2));
        assert_eq!(gate.decision.meeting_id, Some(7));
        assert_eq!(
            d.text,
            "Approved with conditions. A sound case Conditions: Report costs monthly"
        );
        let e = DecisionDraft {
            agenda_item: 1,
            ..Default::default()
        }
        .validate(&r)
        .unwrap_err();
        assert!(e.for_field("outcome").is_some());
        let e = DecisionDraft {
            agenda_item: 2,
            ..Default::default()
        }
        .validate(&r)
        .unwrap_err();
        assert!(e.for_field("text").unwrap().contains("what was decided"));
        let e = DecisionDraft {
            agenda_item: 99,
            text: "Noted".into(),
            ..Default::default()
        }
        .validate(&r)
        .unwrap_err();
        assert!(e
            .for_field("agenda_item")
            .unwrap()
            .contains("not on the agenda"));
    }

    #[test]
    fn an_action_is_due_on_or_after_the_meeting_and_owned_by_an_active_user() {
        let r = record(vec![item(1, AgendaKind::Other, None)]);
        let e = MeetingActionDraft {
            agenda_item: Some(1),
            description: "Bring back costs".into(),
            owner: "gone@council.example".into(),
            due_on: "2027-01-13".into(),
        }
        .validate(&r, &users())
        .unwrap_err();
        assert!(e
            .for_field("due_on")
            .unwrap()
            .contains("on or after the meeting's date"));
        assert!(e.for_field("owner").unwrap().contains("disabled"));
        let e = MeetingActionDraft {
            description: "x".into(),
            owner: "nobody@council.example".into(),
            due_on: "2027-01-14".into(),
            ..Default::default()
        }
        .validate(&r, &users())
        .unwrap_err();
        assert!(e.for_field("owner").unwrap().contains("not a user"));
        let ok = MeetingActionDraft {
            description: "Bring back costs".into(),
            owner: "chair@council.example".into(),
            due_on: "2027-01-14".into(),
            ..Default::default()
        }
        .validate(&r, &users())
        .unwrap();
        assert_eq!(ok.owner.id, 1);
    }

    #[test]
    fn the_decision_log_finds_words_and_refuses_a_backwards_period() {
        let e = DecisionQuery {
            from: Some("2027-02-01".into()),
            to: Some("2027-01-01".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert!(e.for_field("from").unwrap().contains("after"));
        let f = DecisionQuery {
            q: Some("Blue BADGES".into()),
            body: Some("programme board".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let logged = LoggedDecision {
            decision: Decision {
                id: 1,
                meeting_id: 7,
                agenda_item_id: 1,
                text: "Approved the blue badges design".into(),
                outcome: Some(GateStatus::Approved),
                gate_request_id: Some(4),
                decided_by: "Alex Chair".into(),
                decided_at: Utc::now(),
            },
            body: Body::ProgrammeBoard,
            meeting_title: "Programme Board".into(),
            meets_on: NaiveDate::from_ymd_opt(2027, 1, 14).unwrap(),
            agenda_title: "DP-003".into(),
            project_code: Some("DP-003".into()),
        };
        assert!(f.matches(&logged));
        let cabinet = DecisionFilter {
            body: Some(Body::Cabinet),
            ..Default::default()
        };
        assert!(!cabinet.matches(&logged));
    }
}
