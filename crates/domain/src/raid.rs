//! RAID: the risks, assumptions, issues and dependencies of the programme
//! and of each project, as types and rules.
//!
//! One [`RaidItem`] per entry, whatever its kind: what every kind shares
//! (title, description, owner, status, review date, programme or project
//! level) sits on the item, what only a risk has (cause, event and effect,
//! three scores, a response, actions, proximity, escalation) in
//! [`RiskDetail`], and what only an issue has (priority, resolution, linked
//! risk) in [`IssueDetail`].
//!
//! Scores are likelihood × impact on 1–5 scales whose words each organisation
//! may set ([`RiskScales`]); a score's rating uses the 5×5 bands Low (1–4),
//! Medium (5–10), High (12–16) and Very high (20–25).
//!
//! Rules decided here, so the store and the web never re-check them:
//! - owners (of an item and of each action) must be active users of the
//!   organisation, named by email;
//! - a risk needs all three scores, a response and a review date while open;
//!   a closed item needs the date it was closed, not after today;
//! - a target score above the current one is *allowed* (a risk expected to
//!   grow while it is tolerated, say) but is reported by
//!   [`RaidItem::warnings`], which the risk page and the API show;
//! - fields of another kind (scores on an issue, a priority on a risk) are
//!   refused by name rather than silently dropped.
//!
//! No I/O: "today" is passed in by the caller.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

use crate::errors::ValidationErrors;
use crate::organisation::{parse_email, User};
use crate::project::ProjectCode;
use crate::quarters::FinancialQuarter;
use crate::text::clean;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 4_000;
pub const MAX_ACTIONS: usize = 30;
pub const MAX_DESCRIPTOR: usize = 40;

/// Writes `ALL`, `as_str`, `label` and `parse` for a plain enum of named values.
macro_rules! named_values {
    ($ty:ident, $what:literal, [$($variant:ident => ($value:literal, $label:literal)),+ $(,)?]) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $value),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($ty::$variant => $label),+ }
            }

            /// Accepts the value ("very_high") or the label ("Very high"), any case.
            pub fn parse(s: &str) -> Result<$ty, String> {
                let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == norm || v.label().to_ascii_lowercase().replace([' ', '-'], "_") == norm)
                    .ok_or_else(|| {
                        let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        format!("'{}' is not {}; use {}", s.trim(), $what, names.join(", "))
                    })
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RaidKind {
    Risk,
    Assumption,
    Issue,
    Dependency,
}

named_values!(RaidKind, "a kind of RAID item", [
    Risk => ("risk", "Risk"),
    Assumption => ("assumption", "Assumption"),
    Issue => ("issue", "Issue"),
    Dependency => ("dependency", "Dependency"),
]);

impl RaidKind {
    pub fn plural(self) -> &'static str {
        match self {
            RaidKind::Risk => "Risks",
            RaidKind::Assumption => "Assumptions",
            RaidKind::Issue => "Issues",
            RaidKind::Dependency => "Dependencies",
        }
    }

    /// The letter of its reference: R12, A3, I7, D2.
    pub fn letter(self) -> char {
        match self {
            RaidKind::Risk => 'R',
            RaidKind::Assumption => 'A',
            RaidKind::Issue => 'I',
            RaidKind::Dependency => 'D',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RaidStatus {
    Open,
    Closed,
}

named_values!(RaidStatus, "a status", [Open => ("open", "Open"), Closed => ("closed", "Closed")]);

/// How a risk is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Act to make it less likely or less harmful.
    Treat,
    /// Accept it as it is, and watch it.
    Tolerate,
    /// Pass it to someone better placed (a supplier, insurance).
    Transfer,
    /// Stop the activity that gives rise to it.
    Terminate,
}

named_values!(Response, "a response", [
    Treat => ("treat", "Treat"),
    Tolerate => ("tolerate", "Tolerate"),
    Transfer => ("transfer", "Transfer"),
    Terminate => ("terminate", "Terminate"),
]);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IssuePriority {
    Low,
    Medium,
    High,
    Critical,
}

named_values!(IssuePriority, "a priority", [
    Low => ("low", "Low"),
    Medium => ("medium", "Medium"),
    High => ("high", "High"),
    Critical => ("critical", "Critical"),
]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    NotStarted,
    InProgress,
    Done,
}

named_values!(ActionStatus, "an action status", [
    NotStarted => ("not_started", "Not started"),
    InProgress => ("in_progress", "In progress"),
    Done => ("done", "Done"),
]);

/// The band a score falls in on the 5×5 matrix.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 1 to 4.
    Low,
    /// 5 to 10.
    Medium,
    /// 12 to 16.
    High,
    /// 20 to 25.
    VeryHigh,
}

named_values!(Rating, "a rating", [
    Low => ("low", "Low"),
    Medium => ("medium", "Medium"),
    High => ("high", "High"),
    VeryHigh => ("very_high", "Very high"),
]);

impl Rating {
    pub fn of(score: u8) -> Rating {
        match score {
            0..=4 => Rating::Low,
            5..=10 => Rating::Medium,
            11..=16 => Rating::High,
            _ => Rating::VeryHigh,
        }
    }

    /// GOV.UK tag colour class suffix (the label is always shown too).
    pub fn tag_colour(self) -> &'static str {
        match self {
            Rating::Low => "green",
            Rating::Medium => "yellow",
            Rating::High => "orange",
            Rating::VeryHigh => "red",
        }
    }
}

/// A point on a 1–5 scale.
fn point(value: i64, scale: &[String]) -> Result<u8, String> {
    if (1..=5).contains(&value) {
        return Ok(value as u8);
    }
    let word = |i: usize| scale.get(i).map(String::as_str).unwrap_or("");
    Err(format!(
        "must be between 1 ({}) and 5 ({}), not {value}",
        word(0),
        word(4)
    ))
}

/// Likelihood × impact, each 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct Score {
    pub likelihood: u8,
    pub impact: u8,
}

impl Score {
    /// Builds a score from stored or trusted values, each clamped to 1..=5.
    pub fn new(likelihood: u8, impact: u8) -> Score {
        Score {
            likelihood: likelihood.clamp(1, 5),
            impact: impact.clamp(1, 5),
        }
    }

    pub fn value(self) -> u8 {
        self.likelihood * self.impact
    }

    pub fn rating(self) -> Rating {
        Rating::of(self.value())
    }
}

/// Sent with its product and rating, so readers need not work them out.
impl Serialize for Score {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Score", 4)?;
        st.serialize_field("likelihood", &self.likelihood)?;
        st.serialize_field("impact", &self.impact)?;
        st.serialize_field("score", &self.value())?;
        st.serialize_field("rating", &self.rating())?;
        st.end()
    }
}

/// When a risk would bite: a date, or a financial quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proximity {
    Date(NaiveDate),
    Quarter(FinancialQuarter),
}

impl Proximity {
    /// "2027-03-31" or "2026/27 Q4".
    pub fn parse(s: &str) -> Result<Proximity, String> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Proximity::Date(d));
        }
        FinancialQuarter::parse(s)
            .map(Proximity::Quarter)
            .map_err(|_| {
                format!("'{s}' is not a date or a quarter; write it like 2027-03-31 or 2026/27 Q4")
            })
    }
}

impl std::fmt::Display for Proximity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Proximity::Date(d) => write!(f, "{d}"),
            Proximity::Quarter(q) => write!(f, "{q}"),
        }
    }
}

impl Serialize for Proximity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The words of each point of the two scales, per organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskScales {
    /// Five words, for likelihood 1 to 5.
    pub likelihood: Vec<String>,
    /// Five words, for impact 1 to 5.
    pub impact: Vec<String>,
    /// 0 while the organisation uses the defaults.
    pub version: i64,
}

impl Default for RiskScales {
    fn default() -> Self {
        let words = |list: [&str; 5]| list.iter().map(|s| s.to_string()).collect();
        RiskScales {
            likelihood: words(["Rare", "Unlikely", "Possible", "Likely", "Almost certain"]),
            impact: words(["Negligible", "Minor", "Moderate", "Major", "Severe"]),
            version: 0,
        }
    }
}

impl RiskScales {
    pub fn likelihood_word(&self, point: u8) -> &str {
        word(&self.likelihood, point)
    }

    pub fn impact_word(&self, point: u8) -> &str {
        word(&self.impact, point)
    }
}

fn word(list: &[String], point: u8) -> &str {
    list.get(usize::from(point).saturating_sub(1))
        .map(String::as_str)
        .unwrap_or("")
}

/// The scales as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskScalesDraft {
    pub likelihood: Vec<String>,
    pub impact: Vec<String>,
}

impl RiskScalesDraft {
    /// Five short words for each scale; the version is the caller's to set.
    pub fn validate(&self) -> Result<RiskScales, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut read = |name: &str, list: &[String]| -> Vec<String> {
            if list.len() != 5 {
                errors.push(
                    name,
                    format!(
                        "must have five words, one for each point from 1 to 5 (it has {})",
                        list.len()
                    ),
                );
                return Vec::new();
            }
            list.iter()
                .enumerate()
                .filter_map(|(i, w)| {
                    errors.check(
                        &format!("{name}[{i}]"),
                        clean(w, MAX_DESCRIPTOR, true, false),
                    )
                })
                .collect()
        };
        let likelihood = read("likelihood", &self.likelihood);
        let impact = read("impact", &self.impact);
        errors.into_result(|| RiskScales {
            likelihood,
            impact,
            version: 0,
        })
    }
}

/// A user as a RAID item names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// The project an item belongs to (none: a programme-level item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProjectRef {
    pub id: i64,
    pub code: String,
    pub title: String,
}

/// Something to do about a risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RaidAction {
    pub description: String,
    pub owner: Person,
    pub due: Option<NaiveDate>,
    pub status: ActionStatus,
}

impl RaidAction {
    /// Not done and due before `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status != ActionStatus::Done && self.due.is_some_and(|d| d < today)
    }
}

/// What only a risk has.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RiskDetail {
    pub cause: String,
    pub event: String,
    pub effect: String,
    /// Before any response.
    pub inherent: Score,
    /// Now, with the responses in place so far.
    pub current: Score,
    /// Once the actions are done.
    pub target: Score,
    pub response: Response,
    #[schema(value_type = Option<String>, example = "2026/27 Q4")]
    pub proximity: Option<Proximity>,
    /// On the board's agenda.
    pub escalated: bool,
    pub actions: Vec<RaidAction>,
}

/// What only an issue has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IssueDetail {
    pub priority: IssuePriority,
    pub resolution: String,
    /// The risk this issue is (the id of a risk of the same organisation).
    pub linked_risk: Option<i64>,
}

/// A risk, assumption, issue or dependency.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RaidItem {
    pub id: i64,
    pub kind: RaidKind,
    /// None for a programme-level item.
    pub project: Option<ProjectRef>,
    pub title: String,
    pub description: String,
    pub owner: Person,
    pub status: RaidStatus,
    pub closed_on: Option<NaiveDate>,
    pub review_date: Option<NaiveDate>,
    /// Present for risks only.
    pub risk: Option<RiskDetail>,
    /// Present for issues only.
    pub issue: Option<IssueDetail>,
    pub version: i64,
}

impl RaidItem {
    /// "R12", "I3": the kind's letter and the id.
    pub fn reference(&self) -> String {
        format!("{}{}", self.kind.letter(), self.id)
    }

    /// Open, with a review date before `today`.
    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        self.status == RaidStatus::Open && self.review_date.is_some_and(|d| d < today)
    }

    /// A risk's current rating.
    pub fn rating(&self) -> Option<Rating> {
        self.risk.as_ref().map(|r| r.current.rating())
    }

    /// What is allowed but worth a second look.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(r) = &self.risk {
            if r.target.value() > r.current.value() {
                out.push(format!(
                    "The target score ({}) is above the current score ({}): the plan expects this risk to grow. Check the target, or record why.",
                    r.target.value(),
                    r.current.value()
                ));
            }
        }
        out
    }

    /// The draft that describes this item (for forms and round trips).
    pub fn to_draft(&self) -> RaidDraft {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        let score = |s: Score| {
            Some(ScoreDraft {
                likelihood: i64::from(s.likelihood),
                impact: i64::from(s.impact),
            })
        };
        let mut d = RaidDraft {
            kind: self.kind.as_str().to_string(),
            project: self.project.as_ref().map(|p| p.code.clone()),
            title: self.title.clone(),
            description: self.description.clone(),
            owner: self.owner.email.clone(),
            status: self.status.as_str().to_string(),
            closed_on: date(self.closed_on),
            review_date: date(self.review_date),
            ..RaidDraft::default()
        };
        if let Some(r) = &self.risk {
            d.cause = r.cause.clone();
            d.event = r.event.clone();
            d.effect = r.effect.clone();
            d.inherent = score(r.inherent);
            d.current = score(r.current);
            d.target = score(r.target);
            d.response = Some(r.response.as_str().to_string());
            d.proximity = r.proximity.map(|p| p.to_string());
            d.escalated = r.escalated;
            d.actions = r
                .actions
                .iter()
                .map(|a| ActionDraft {
                    description: a.description.clone(),
                    owner: a.owner.email.clone(),
                    due: date(a.due),
                    status: a.status.as_str().to_string(),
                })
                .collect();
        }
        if let Some(i) = &self.issue {
            d.priority = Some(i.priority.as_str().to_string());
            d.resolution = i.resolution.clone();
            d.linked_risk = i.linked_risk;
        }
        d
    }
}

/// A score as typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreDraft {
    pub likelihood: i64,
    pub impact: i64,
}

/// An action as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDraft {
    pub description: String,
    /// The owner's email.
    pub owner: String,
    /// e.g. "2027-01-31".
    #[serde(default)]
    pub due: Option<String>,
    /// not_started (when left out), in_progress or done.
    #[serde(default)]
    pub status: String,
}

/// A RAID item as a form or JSON body describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaidDraft {
    /// risk, assumption, issue or dependency.
    pub kind: String,
    /// A project code; left out for a programme-level item.
    #[serde(default)]
    pub project: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The owner's email: a user of the organisation.
    pub owner: String,
    /// open (when left out) or closed.
    #[serde(default)]
    pub status: String,
    /// Needed when closed, e.g. "2026-11-30".
    #[serde(default)]
    pub closed_on: Option<String>,
    /// e.g. "2027-01-15"; needed for an open risk.
    #[serde(default)]
    pub review_date: Option<String>,
    /// Risks: what gives rise to the risk.
    #[serde(default)]
    pub cause: String,
    /// Risks: what might happen.
    #[serde(default)]
    pub event: String,
    /// Risks: what it would do to the programme.
    #[serde(default)]
    pub effect: String,
    #[serde(default)]
    pub inherent: Option<ScoreDraft>,
    #[serde(default)]
    pub current: Option<ScoreDraft>,
    #[serde(default)]
    pub target: Option<ScoreDraft>,
    /// Risks: treat, tolerate, transfer or terminate.
    #[serde(default)]
    pub response: Option<String>,
    /// Risks: when it would bite, a date ("2027-03-31") or a quarter ("2026/27 Q4").
    #[serde(default)]
    pub proximity: Option<String>,
    /// Risks: on the board's agenda.
    #[serde(default)]
    pub escalated: bool,
    #[serde(default)]
    pub actions: Vec<ActionDraft>,
    /// Issues: low, medium, high or critical.
    #[serde(default)]
    pub priority: Option<String>,
    /// Issues: how it was, or will be, resolved.
    #[serde(default)]
    pub resolution: String,
    /// Issues: the id of the risk this issue is.
    #[serde(default)]
    pub linked_risk: Option<i64>,
}

/// What a draft is checked against.
pub struct RaidContext<'a> {
    /// The organisation's users (disabled ones cannot own anything).
    pub users: &'a [User],
    pub projects: &'a [ProjectRef],
    /// The organisation's risks, by id and title (for an issue's linked risk).
    pub risks: &'a [(i64, String)],
    pub scales: &'a RiskScales,
    pub today: NaiveDate,
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    crate::text::parse_iso_date(s)
}

impl RaidContext<'_> {
    /// The active user with this email, or why not.
    fn person(&self, email: &str) -> Result<Person, String> {
        let email = email.trim();
        if email.is_empty() {
            return Err("choose an owner".into());
        }
        let parsed = parse_email(email)?;
        match self.users.iter().find(|u| u.email == parsed) {
            Some(u) if !u.disabled => Ok(Person {
                id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
            }),
            Some(_) => Err(format!("'{parsed}' is disabled and cannot own anything")),
            None => Err(format!("'{parsed}' is not a user of this organisation")),
        }
    }
}

impl RaidDraft {
    /// Parses and checks the draft, collecting every problem. The item comes
    /// back with id 0 and version 0, for the caller to set.
    pub fn validate(&self, ctx: &RaidContext<'_>) -> Result<RaidItem, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let kind = errors.check("kind", RaidKind::parse(&self.kind));
        let title = errors.check("title", clean(&self.title, MAX_TITLE, true, false));
        let description = errors.check(
            "description",
            clean(&self.description, MAX_TEXT, false, true),
        );
        let owner = errors.check("owner", ctx.person(&self.owner));
        let project = match present(&self.project) {
            None => None,
            Some(code) => match ProjectCode::parse(code) {
                Ok(code) => match ctx.projects.iter().find(|p| p.code == code.as_str()) {
                    Some(p) => Some(p.clone()),
                    None => {
                        errors.push(
                            "project",
                            format!("'{code}' is not a project of this organisation"),
                        );
                        None
                    }
                },
                Err(e) => {
                    errors.push("project", e);
                    None
                }
            },
        };
        let status = if self.status.trim().is_empty() {
            Some(RaidStatus::Open)
        } else {
            errors.check("status", RaidStatus::parse(&self.status))
        };
        let closed_on =
            present(&self.closed_on).and_then(|d| errors.check("closed_on", parse_date(d)));
        let closed_on = match status {
            Some(RaidStatus::Closed) => match closed_on {
                None if !errors.0.iter().any(|e| e.field == "closed_on") => {
                    errors.push("closed_on", "enter the date it was closed");
                    None
                }
                Some(d) if d > ctx.today => {
                    errors.push("closed_on", "must be today or in the past");
                    None
                }
                other => other,
            },
            // An open item has no closing date.
            _ => None,
        };
        let review_date =
            present(&self.review_date).and_then(|d| errors.check("review_date", parse_date(d)));

        let risk = if kind == Some(RaidKind::Risk) {
            if review_date.is_none()
                && status == Some(RaidStatus::Open)
                && present(&self.review_date).is_none()
            {
                errors.push("review_date", "enter the date the risk is next reviewed");
            }
            self.risk_detail(ctx, &mut errors)
        } else {
            let risk_only = [
                ("cause", !self.cause.trim().is_empty()),
                ("event", !self.event.trim().is_empty()),
                ("effect", !self.effect.trim().is_empty()),
                ("inherent", self.inherent.is_some()),
                ("current", self.current.is_some()),
                ("target", self.target.is_some()),
                ("response", present(&self.response).is_some()),
                ("proximity", present(&self.proximity).is_some()),
                ("escalated", self.escalated),
                ("actions", !self.actions.is_empty()),
            ];
            for (field, given) in risk_only {
                if given && kind.is_some() {
                    errors.push(field, "applies to risks only");
                }
            }
            None
        };
        let issue = if kind == Some(RaidKind::Issue) {
            self.issue_detail(ctx, &mut errors)
        } else {
            let issue_only = [
                ("priority", present(&self.priority).is_some()),
                ("resolution", !self.resolution.trim().is_empty()),
                ("linked_risk", self.linked_risk.is_some()),
            ];
            for (field, given) in issue_only {
                if given && kind.is_some() {
                    errors.push(field, "applies to issues only");
                }
            }
            None
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        match (kind, title, description, owner, status) {
            (Some(kind), Some(title), Some(description), Some(owner), Some(status)) => {
                Ok(RaidItem {
                    id: 0,
                    kind,
                    project,
                    title,
                    description,
                    owner,
                    status,
                    closed_on,
                    review_date,
                    risk,
                    issue,
                    version: 0,
                })
            }
            _ => Err(ValidationErrors::single("item", "could not be read")),
        }
    }

    fn risk_detail(
        &self,
        ctx: &RaidContext<'_>,
        errors: &mut ValidationErrors,
    ) -> Option<RiskDetail> {
        let text = |errors: &mut ValidationErrors, field: &str, value: &str| {
            errors.check(field, clean(value, MAX_TEXT, false, true))
        };
        let cause = text(errors, "cause", &self.cause);
        let event = text(errors, "event", &self.event);
        let effect = text(errors, "effect", &self.effect);
        let mut score = |name: &str, draft: Option<ScoreDraft>| -> Option<Score> {
            let Some(d) = draft else {
                errors.push(name, format!("enter the {name} likelihood and impact"));
                return None;
            };
            let l = errors.check(
                &format!("{name}.likelihood"),
                point(d.likelihood, &ctx.scales.likelihood),
            );
            let i = errors.check(
                &format!("{name}.impact"),
                point(d.impact, &ctx.scales.impact),
            );
            Some(Score::new(l?, i?))
        };
        let inherent = score("inherent", self.inherent);
        let current = score("current", self.current);
        let target = score("target", self.target);
        let response = match present(&self.response) {
            None => {
                errors.push(
                    "response",
                    "choose how the risk is answered: treat, tolerate, transfer or terminate",
                );
                None
            }
            Some(r) => errors.check("response", Response::parse(r)),
        };
        let proximity =
            present(&self.proximity).and_then(|p| errors.check("proximity", Proximity::parse(p)));
        if self.actions.len() > MAX_ACTIONS {
            errors.push("actions", format!("must be {MAX_ACTIONS} or fewer"));
        }
        let mut actions = Vec::new();
        for (i, a) in self.actions.iter().enumerate().take(MAX_ACTIONS) {
            let field = |f: &str| format!("actions[{i}].{f}");
            let description = errors.check(
                &field("description"),
                clean(&a.description, MAX_TITLE * 2, true, false),
            );
            let owner = errors.check(&field("owner"), ctx.person(&a.owner));
            let due = present(&a.due).and_then(|d| errors.check(&field("due"), parse_date(d)));
            let status = if a.status.trim().is_empty() {
                Some(ActionStatus::NotStarted)
            } else {
                errors.check(&field("status"), ActionStatus::parse(&a.status))
            };
            if let (Some(description), Some(owner), Some(status)) = (description, owner, status) {
                actions.push(RaidAction {
                    description,
                    owner,
                    due,
                    status,
                });
            }
        }
        Some(RiskDetail {
            cause: cause?,
            event: event?,
            effect: effect?,
            inherent: inherent?,
            current: current?,
            target: target?,
            response: response?,
            proximity,
            escalated: self.escalated,
            actions,
        })
    }

    fn issue_detail(
        &self,
        ctx: &RaidContext<'_>,
        errors: &mut ValidationErrors,
    ) -> Option<IssueDetail> {
        let priority = match present(&self.priority) {
            None => {
                errors.push(
                    "priority",
                    "choose a priority: low, medium, high or critical",
                );
                None
            }
            Some(p) => errors.check("priority", IssuePriority::parse(p)),
        };
        let resolution = errors.check("resolution", clean(&self.resolution, MAX_TEXT, false, true));
        if let Some(id) = self.linked_risk {
            if !ctx.risks.iter().any(|(r, _)| *r == id) {
                errors.push(
                    "linked_risk",
                    format!("R{id} is not a risk of this organisation"),
                );
            }
        }
        Some(IssueDetail {
            priority: priority?,
            resolution: resolution?,
            linked_risk: self.linked_risk,
        })
    }
}

// ---------------------------------------------------------------------------
// The register's filters
// ---------------------------------------------------------------------------

/// Programme-level or project-level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RaidLevel {
    Programme,
    Project,
}

named_values!(RaidLevel, "a level", [Programme => ("programme", "Programme"), Project => ("project", "Project")]);

/// The register's filters as a query string gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RaidQuery {
    /// risk, assumption, issue or dependency; all kinds when left out.
    pub kind: Option<String>,
    /// programme or project.
    pub level: Option<String>,
    /// A project code: that project's items only.
    pub project: Option<String>,
    /// open (when left out), closed or all.
    pub status: Option<String>,
    /// A risk's current rating: low, medium, high or very_high (other kinds are left out).
    pub rating: Option<String>,
    /// The owner's email.
    pub owner: Option<String>,
    /// "true": only items whose review date has passed.
    pub overdue: Option<String>,
}

/// The register's filters, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RaidFilter {
    pub kind: Option<RaidKind>,
    pub level: Option<RaidLevel>,
    pub project: Option<String>,
    /// None: open and closed.
    pub status: Option<RaidStatus>,
    pub rating: Option<Rating>,
    pub owner: Option<String>,
    pub overdue: bool,
}

impl RaidQuery {
    pub fn parse(&self) -> Result<RaidFilter, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let kind = present(&self.kind).and_then(|k| errors.check("kind", RaidKind::parse(k)));
        let level = present(&self.level).and_then(|l| errors.check("level", RaidLevel::parse(l)));
        let project = present(&self.project)
            .and_then(|p| errors.check("project", ProjectCode::parse(p)))
            .map(|c| c.to_string());
        let status = match present(&self.status) {
            None => Some(RaidStatus::Open),
            Some(s) if s.eq_ignore_ascii_case("all") => None,
            Some(s) => errors.check("status", RaidStatus::parse(s)),
        };
        let rating = present(&self.rating).and_then(|r| errors.check("rating", Rating::parse(r)));
        let owner = present(&self.owner).and_then(|o| errors.check("owner", parse_email(o)));
        let overdue = match present(&self.overdue) {
            None | Some("false") | Some("no") => false,
            Some("true") | Some("yes") | Some("on") => true,
            Some(other) => {
                errors.push("overdue", format!("'{other}' is not true or false"));
                false
            }
        };
        errors.into_result(|| RaidFilter {
            kind,
            level,
            project,
            status,
            rating,
            owner,
            overdue,
        })
    }
}

impl RaidFilter {
    pub fn matches(&self, item: &RaidItem, today: NaiveDate) -> bool {
        self.kind.is_none_or(|k| item.kind == k)
            && self.level.is_none_or(|l| match l {
                RaidLevel::Programme => item.project.is_none(),
                RaidLevel::Project => item.project.is_some(),
            })
            && self
                .project
                .as_deref()
                .is_none_or(|c| item.project.as_ref().is_some_and(|p| p.code == c))
            && self.status.is_none_or(|s| item.status == s)
            && self.rating.is_none_or(|r| item.rating() == Some(r))
            && self.owner.as_deref().is_none_or(|o| item.owner.email == o)
            && (!self.overdue || item.review_overdue(today))
    }

    /// The filters as a query string (for links and the CSV export), "" for none.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if let Some(k) = self.kind {
            parts.push(("kind", k.as_str().into()));
        }
        if let Some(l) = self.level {
            parts.push(("level", l.as_str().into()));
        }
        if let Some(p) = &self.project {
            parts.push(("project", p.clone()));
        }
        parts.push((
            "status",
            self.status.map_or("all", RaidStatus::as_str).to_string(),
        ));
        if let Some(r) = self.rating {
            parts.push(("rating", r.as_str().into()));
        }
        if let Some(o) = &self.owner {
            parts.push(("owner", o.clone()));
        }
        if self.overdue {
            parts.push(("overdue", "true".into()));
        }
        parts
            .into_iter()
            .map(|(k, v)| format!("{k}={}", query_escape(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes what a query value cannot hold as is.
fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The 5×5 heat map
// ---------------------------------------------------------------------------

/// One cell of the matrix: how many open risks score here now, and at target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskHeatCell {
    pub likelihood: u8,
    pub impact: u8,
    pub score: u8,
    pub rating: Rating,
    pub current: usize,
    pub target: usize,
}

/// Open risks counted on the 5×5 matrix, likelihood 5 (top row) down to 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskHeatMap {
    /// Rows from likelihood 5 to 1, each with impact 1 to 5.
    pub rows: Vec<Vec<RiskHeatCell>>,
    /// Open risks counted.
    pub risks: usize,
    pub scales: RiskScales,
}

impl RiskHeatMap {
    pub fn cell(&self, likelihood: u8, impact: u8) -> Option<&RiskHeatCell> {
        self.rows
            .iter()
            .flatten()
            .find(|c| c.likelihood == likelihood && c.impact == impact)
    }
}

/// Counts the open risks among `items` by their current and target scores.
pub fn risk_heat_map(items: &[RaidItem], scales: &RiskScales) -> RiskHeatMap {
    let mut rows: Vec<Vec<RiskHeatCell>> = (1..=5u8)
        .rev()
        .map(|l| {
            (1..=5u8)
                .map(|i| RiskHeatCell {
                    likelihood: l,
                    impact: i,
                    score: l * i,
                    rating: Rating::of(l * i),
                    current: 0,
                    target: 0,
                })
                .collect()
        })
        .collect();
    let mut risks = 0;
    for item in items.iter().filter(|i| i.status == RaidStatus::Open) {
        let Some(r) = &item.risk else { continue };
        risks += 1;
        let at = |s: Score| (usize::from(5 - s.likelihood), usize::from(s.impact - 1));
        let (row, col) = at(r.current);
        rows[row][col].current += 1;
        let (row, col) = at(r.target);
        rows[row][col].target += 1;
    }
    RiskHeatMap {
        rows,
        risks,
        scales: scales.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;

    fn user(id: i64, email: &str, disabled: bool) -> User {
        User {
            id,
            organisation_id: 1,
            email: email.into(),
            name: format!("User {id}"),
            role: Role::Viewer,
            disabled,
            scope: Default::default(),
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    struct Fixture {
        users: Vec<User>,
        projects: Vec<ProjectRef>,
        risks: Vec<(i64, String)>,
        scales: RiskScales,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                users: vec![
                    user(1, "owner@northmere.example", false),
                    user(2, "gone@northmere.example", true),
                ],
                projects: vec![ProjectRef {
                    id: 7,
                    code: "DP-007".into(),
                    title: "Teams".into(),
                }],
                risks: vec![(3, "Capacity".into())],
                scales: RiskScales::default(),
            }
        }

        fn ctx(&self) -> RaidContext<'_> {
            RaidContext {
                users: &self.users,
                projects: &self.projects,
                risks: &self.risks,
                scales: &self.scales,
                today: day("2026-12-01"),
            }
        }
    }

    fn score(l: i64, i: i64) -> Option<ScoreDraft> {
        Some(ScoreDraft {
            likelihood: l,
            impact: i,
        })
    }

    fn risk() -> RaidDraft {
        RaidDraft {
            kind: "risk".into(),
            title: "Not enough developers".into(),
            owner: "Owner@Northmere.Example".into(),
            review_date: Some("2027-01-15".into()),
            inherent: score(5, 4),
            current: score(4, 4),
            target: score(2, 3),
            response: Some("Treat".into()),
            proximity: Some("2026/27 Q4".into()),
            ..RaidDraft::default()
        }
    }

    #[test]
    fn a_valid_risk_is_scored_and_rated() {
        let f = Fixture::new();
        let item = risk().validate(&f.ctx()).unwrap();
        let r = item.risk.as_ref().unwrap();
        assert_eq!(item.owner.id, 1);
        assert_eq!(r.current.value(), 16);
        assert_eq!(r.current.rating(), Rating::High);
        assert_eq!(r.inherent.rating(), Rating::VeryHigh);
        assert_eq!(r.target.rating(), Rating::Medium);
        assert_eq!(r.response, Response::Treat);
        assert_eq!(r.proximity.unwrap().to_string(), "2026/27 Q4");
        assert_eq!(item.status, RaidStatus::Open);
        assert!(item.warnings().is_empty());
        // A round trip through the draft gives the same item.
        assert_eq!(item.to_draft().validate(&f.ctx()).unwrap(), item);
    }

    #[test]
    fn bad_values_are_named_by_field() {
        let f = Fixture::new();
        let mut d = risk();
        d.title = "   ".into();
        d.current = score(6, 0);
        d.owner = "stranger@example.org".into();
        d.response = Some("ignore".into());
        d.project = Some("DP-999".into());
        d.actions = vec![ActionDraft {
            description: "Recruit".into(),
            owner: "gone@northmere.example".into(),
            due: Some("2027-02-30".into()),
            status: "finished".into(),
        }];
        let e = d.validate(&f.ctx()).unwrap_err();
        assert_eq!(e.for_field("title"), Some("must not be empty"));
        assert_eq!(
            e.for_field("current.likelihood"),
            Some("must be between 1 (Rare) and 5 (Almost certain), not 6")
        );
        assert_eq!(
            e.for_field("current.impact"),
            Some("must be between 1 (Negligible) and 5 (Severe), not 0")
        );
        assert_eq!(
            e.for_field("owner"),
            Some("'stranger@example.org' is not a user of this organisation")
        );
        assert!(e.for_field("response").unwrap().contains("'ignore'"));
        assert!(e.for_field("project").unwrap().contains("'DP-999'"));
        assert!(e
            .for_field("actions[0].owner")
            .unwrap()
            .contains("disabled"));
        assert!(e
            .for_field("actions[0].due")
            .unwrap()
            .contains("not a real date"));
        assert!(e
            .for_field("actions[0].status")
            .unwrap()
            .contains("'finished'"));
    }

    #[test]
    fn the_scale_words_come_from_the_organisation() {
        let mut f = Fixture::new();
        f.scales.likelihood[0] = "Very rare".into();
        let mut d = risk();
        d.target = score(0, 1);
        let e = d.validate(&f.ctx()).unwrap_err();
        assert!(e
            .for_field("target.likelihood")
            .unwrap()
            .contains("1 (Very rare)"));
    }

    #[test]
    fn a_target_above_the_current_score_is_allowed_with_a_warning() {
        let f = Fixture::new();
        let mut d = risk();
        d.target = score(5, 5);
        let item = d.validate(&f.ctx()).unwrap();
        let w = item.warnings();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("target score (25) is above the current score (16)"),
            "{w:?}"
        );
    }

    #[test]
    fn closing_needs_a_date_not_in_the_future() {
        let f = Fixture::new();
        let mut d = risk();
        d.status = "closed".into();
        assert_eq!(
            d.validate(&f.ctx()).unwrap_err().for_field("closed_on"),
            Some("enter the date it was closed")
        );
        d.closed_on = Some("2026-12-02".into());
        assert_eq!(
            d.validate(&f.ctx()).unwrap_err().for_field("closed_on"),
            Some("must be today or in the past")
        );
        d.closed_on = Some("2026-11-30".into());
        d.review_date = None;
        let item = d.validate(&f.ctx()).unwrap();
        assert_eq!(item.closed_on, Some(day("2026-11-30")));
        assert!(!item.review_overdue(day("2030-01-01")));
    }

    #[test]
    fn other_kinds_refuse_risk_fields_and_issues_need_a_priority() {
        let f = Fixture::new();
        let mut d = risk();
        d.kind = "assumption".into();
        let e = d.validate(&f.ctx()).unwrap_err();
        assert_eq!(e.for_field("current"), Some("applies to risks only"));
        let issue = RaidDraft {
            kind: "issue".into(),
            title: "Supplier late".into(),
            owner: "owner@northmere.example".into(),
            linked_risk: Some(4),
            ..RaidDraft::default()
        };
        let e = issue.validate(&f.ctx()).unwrap_err();
        assert!(e
            .for_field("priority")
            .unwrap()
            .contains("choose a priority"));
        assert_eq!(
            e.for_field("linked_risk"),
            Some("R4 is not a risk of this organisation")
        );
        let ok = RaidDraft {
            priority: Some("High".into()),
            linked_risk: Some(3),
            project: Some("dp-007".into()),
            ..issue
        }
        .validate(&f.ctx())
        .unwrap();
        assert_eq!(ok.issue.unwrap().priority, IssuePriority::High);
        assert_eq!(ok.project.unwrap().code, "DP-007");
    }

    #[test]
    fn hostile_text_is_kept_as_text() {
        let f = Fixture::new();
        let mut d = risk();
        d.title = "<script>alert(1)</script>".into();
        d.cause = "=HYPERLINK(\"http://x\")".into();
        let item = d.validate(&f.ctx()).unwrap();
        assert_eq!(item.title, "<script>alert(1)</script>");
        assert_eq!(item.risk.unwrap().cause, "=HYPERLINK(\"http://x\")");
    }

    #[test]
    fn ratings_follow_the_five_by_five_bands() {
        let bands: Vec<(u8, Rating)> = [1, 4, 5, 10, 12, 16, 20, 25]
            .into_iter()
            .map(|s| (s, Rating::of(s)))
            .collect();
        use Rating::*;
        assert_eq!(
            bands,
            vec![
                (1, Low),
                (4, Low),
                (5, Medium),
                (10, Medium),
                (12, High),
                (16, High),
                (20, VeryHigh),
                (25, VeryHigh)
            ]
        );
        assert_eq!(Rating::parse("Very high"), Ok(VeryHigh));
    }

    #[test]
    fn filters_and_the_heat_map_count_the_same_risks() {
        let f = Fixture::new();
        let mut items = Vec::new();
        for (i, (l, imp, review)) in [
            (4, 4, "2026-11-01"),
            (4, 4, "2027-01-01"),
            (2, 2, "2027-01-01"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut d = risk();
            d.current = score(l, imp);
            d.review_date = Some(review.into());
            let mut item = d.validate(&f.ctx()).unwrap();
            item.id = i as i64 + 1;
            items.push(item);
        }
        let mut closed = items[0].clone();
        closed.status = RaidStatus::Closed;
        items.push(closed);
        let today = day("2026-12-01");
        let open = RaidQuery::default().parse().unwrap();
        let shown: Vec<RaidItem> = items
            .iter()
            .filter(|i| open.matches(i, today))
            .cloned()
            .collect();
        assert_eq!(shown.len(), 3);
        let map = risk_heat_map(&shown, &f.scales);
        assert_eq!(map.risks, 3);
        assert_eq!(map.cell(4, 4).unwrap().current, 2);
        assert_eq!(map.cell(2, 2).unwrap().current, 1);
        assert_eq!(map.cell(2, 3).unwrap().target, 3);
        assert_eq!(map.rows[0][0].likelihood, 5);
        let overdue = RaidQuery {
            overdue: Some("true".into()),
            rating: Some("high".into()),
            ..RaidQuery::default()
        }
        .parse()
        .unwrap();
        let ids: Vec<i64> = items
            .iter()
            .filter(|i| overdue.matches(i, today))
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, vec![1]);
        let e = RaidQuery {
            kind: Some("rumour".into()),
            overdue: Some("maybe".into()),
            ..RaidQuery::default()
        }
        .parse()
        .unwrap_err();
        assert!(e.for_field("kind").is_some());
        assert!(e.for_field("overdue").is_some());
        assert_eq!(
            overdue.to_query_string(),
            "status=open&rating=high&overdue=true"
        );
    }

    #[test]
    fn scales_need_five_words_each() {
        let e = RiskScalesDraft {
            likelihood: vec!["a".into(); 4],
            impact: vec!["".into(), "b".into(), "c".into(), "d".into(), "e".into()],
        }
        .validate()
        .unwrap_err();
        assert!(e.for_field("likelihood").unwrap().contains("five words"));
        assert_eq!(e.for_field("impact[0]"), Some("must not be empty"));
    }
}
