//! Intake: the new or changed digital priorities departments submit, and
//! how the programme office triages them into the pipeline.
//!
//! A department lead describes a priority ([`PriorityDraft`]: title, the
//! problem it solves, who benefits, urgency, a rough cost as people write it,
//! department, themes, and optionally the project it changes);
//! [`PriorityDraft::validate`] turns it into a [`PriorityInput`] or errors
//! naming each bad field. A stored [`Priority`] starts `submitted`; the
//! programme office then accepts it (it becomes a project at stage
//! `concept`, see [`Priority::to_project_input`]), links it to an existing
//! project as a change, or declines it with a reason the submitter sees.
//! Only a submitted priority can be triaged ([`Priority::check_can_triage`]).
//!
//! No I/O here: the store keeps priorities, the application services decide
//! who sees which.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::consolidate::money::{parse_money, MoneyUnit};
use crate::errors::ValidationErrors;
use crate::money::Money;
use crate::project::{CostLine, NamedRef, ProjectCode, ProjectInput, Reference, MAX_TITLE};
use crate::quarters::FinancialYear;
use crate::stage::Stage;
use crate::text::clean;

/// Longest description of the problem a priority solves, in characters.
pub const MAX_PROBLEM: usize = 2_000;
/// Longest description of who benefits, in characters.
pub const MAX_BENEFICIARIES: usize = 2_000;
/// Longest reason for declining, in characters.
pub const MAX_REASON: usize = 2_000;

/// How soon a priority needs attention.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    Medium,
    High,
    Critical,
}

impl Urgency {
    pub const ALL: [Urgency; 4] = [
        Urgency::Low,
        Urgency::Medium,
        Urgency::High,
        Urgency::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Medium => "medium",
            Urgency::High => "high",
            Urgency::Critical => "critical",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Urgency::Low => "Low",
            Urgency::Medium => "Medium",
            Urgency::High => "High",
            Urgency::Critical => "Critical",
        }
    }

    /// What the level means, as a form's hint says it.
    pub fn hint(self) -> &'static str {
        match self {
            Urgency::Low => "Useful, but can wait for a later year",
            Urgency::Medium => "Needed within the next year or so",
            Urgency::High => "Needed within months: a service or team is held back",
            Urgency::Critical => "Needed now: a statutory duty, safety or a failing system",
        }
    }

    /// GOV.UK tag colour class suffix.
    pub fn tag_colour(self) -> &'static str {
        match self {
            Urgency::Low => "grey",
            Urgency::Medium => "blue",
            Urgency::High => "orange",
            Urgency::Critical => "red",
        }
    }

    pub fn parse(s: &str) -> Result<Urgency, String> {
        let norm = s.trim().to_ascii_lowercase();
        if norm.is_empty() {
            return Err("choose how urgent it is".into());
        }
        Urgency::ALL
            .into_iter()
            .find(|u| u.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not an urgency; use low, medium, high or critical",
                    s.trim()
                )
            })
    }
}

/// Where a submitted priority is in triage.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PriorityStatus {
    /// Waiting for the programme office.
    Submitted,
    /// Accepted into the register as a new project at stage concept.
    Accepted,
    /// Linked to an existing project as a change to it.
    Linked,
    /// Declined, with a reason.
    Declined,
}

impl PriorityStatus {
    pub const ALL: [PriorityStatus; 4] = [
        PriorityStatus::Submitted,
        PriorityStatus::Accepted,
        PriorityStatus::Linked,
        PriorityStatus::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PriorityStatus::Submitted => "submitted",
            PriorityStatus::Accepted => "accepted",
            PriorityStatus::Linked => "linked",
            PriorityStatus::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PriorityStatus::Submitted => "Awaiting triage",
            PriorityStatus::Accepted => "Accepted",
            PriorityStatus::Linked => "Linked to a project",
            PriorityStatus::Declined => "Declined",
        }
    }

    /// GOV.UK tag colour class suffix.
    pub fn tag_colour(self) -> &'static str {
        match self {
            PriorityStatus::Submitted => "blue",
            PriorityStatus::Accepted => "green",
            PriorityStatus::Linked => "turquoise",
            PriorityStatus::Declined => "red",
        }
    }

    pub fn parse(s: &str) -> Result<PriorityStatus, String> {
        let norm = s.trim().to_ascii_lowercase();
        PriorityStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a status; use submitted, accepted, linked or declined",
                    s.trim()
                )
            })
    }
}

/// A priority as a form or an API request describes it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityDraft {
    #[serde(default)]
    pub title: String,
    /// The problem it solves.
    #[serde(default)]
    pub problem: String,
    /// Who benefits: residents, staff, partners.
    #[serde(default)]
    pub beneficiaries: String,
    /// low, medium, high or critical.
    #[serde(default)]
    pub urgency: String,
    /// A rough cost as people write it: "£350k", "£1.2m", "240000". Blank
    /// or "tbc" when not known yet.
    #[serde(default)]
    pub rough_cost: Option<String>,
    /// Department slug, e.g. "health-and-care".
    #[serde(default)]
    pub department: String,
    /// Theme slugs.
    #[serde(default)]
    pub themes: Vec<String>,
    /// Code of the existing project this priority changes, e.g. DP-012;
    /// left out for new work.
    #[serde(default)]
    pub changes_project: Option<String>,
}

/// A validated priority, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityInput {
    pub title: String,
    pub problem: String,
    pub beneficiaries: String,
    pub urgency: Urgency,
    /// None when the submitter does not know yet.
    pub rough_cost: Option<Money>,
    pub department: NamedRef,
    /// Resolved, without repeats, in name order.
    pub themes: Vec<NamedRef>,
    /// The code of the project it changes; the application checks it exists.
    pub changes_project: Option<ProjectCode>,
}

fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl PriorityDraft {
    /// Parses every field, collecting all problems rather than stopping at the first.
    pub fn validate(&self, reference: &Reference<'_>) -> Result<PriorityInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let title = errors.check("title", clean(&self.title, MAX_TITLE, true, false));
        let problem = errors.check(
            "problem",
            clean(&self.problem, MAX_PROBLEM, true, true)
                .map_err(|e| required(e, "describe the problem it solves")),
        );
        let beneficiaries = errors.check(
            "beneficiaries",
            clean(&self.beneficiaries, MAX_BENEFICIARIES, true, true)
                .map_err(|e| required(e, "say who benefits")),
        );
        let urgency = errors.check("urgency", Urgency::parse(&self.urgency));
        let rough_cost = match optional(&self.rough_cost) {
            None => Some(None),
            Some(text) => errors.check(
                "rough_cost",
                parse_money(text, MoneyUnit::Pounds).map(|c| c.known()),
            ),
        };
        let department = reference.department("department", &self.department, &mut errors);
        let themes = reference.themes("themes", &self.themes, &mut errors);
        let changes_project = optional(&self.changes_project)
            .map(|code| errors.check("changes_project", ProjectCode::parse(code)));
        if !errors.is_empty() {
            return Err(errors);
        }
        // Every Option below is Some: a None was recorded in `errors`.
        match (
            title,
            problem,
            beneficiaries,
            urgency,
            rough_cost,
            department,
        ) {
            (
                Some(title),
                Some(problem),
                Some(beneficiaries),
                Some(urgency),
                Some(rough_cost),
                Some(department),
            ) => Ok(PriorityInput {
                title,
                problem,
                beneficiaries,
                urgency,
                rough_cost,
                department,
                themes,
                changes_project: changes_project.flatten(),
            }),
            _ => Err(ValidationErrors::single("priority", "could not be read")),
        }
    }
}

/// "must not be empty" in the words of the field's own question.
fn required(message: String, instead: &str) -> String {
    if message == "must not be empty" {
        instead.to_string()
    } else {
        message
    }
}

/// A project as a priority names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProjectLink {
    pub id: i64,
    /// Project code, e.g. DP-042.
    pub code: String,
    pub title: String,
}

/// Who submitted a priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Submitter {
    /// The user, when a person (not a system task) submitted it.
    pub user_id: Option<i64>,
    pub name: String,
    pub email: String,
}

/// A stored priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Priority {
    pub id: i64,
    pub organisation_id: i64,
    pub title: String,
    pub problem: String,
    pub beneficiaries: String,
    pub urgency: Urgency,
    /// Rough cost in whole pence; null when not known.
    #[schema(value_type = Option<i64>)]
    pub rough_cost_pence: Option<Money>,
    pub department: NamedRef,
    pub themes: Vec<NamedRef>,
    /// The existing project the submitter said this changes.
    pub changes_project: Option<ProjectLink>,
    pub status: PriorityStatus,
    /// The project it was accepted as (a new project) or linked to.
    pub project: Option<ProjectLink>,
    /// Why it was declined, shown to the submitter.
    pub decline_reason: Option<String>,
    pub submitted_by: Submitter,
    pub submitted_at: DateTime<Utc>,
    /// Who triaged it (their email), once triaged.
    pub triaged_by: Option<String>,
    pub triaged_at: Option<DateTime<Utc>>,
    /// Increases by one with every change; send it back as `If-Match` to triage.
    pub version: i64,
}

/// What the programme office decides about a submitted priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Triage {
    /// Into the register as a new project at stage concept.
    Accept,
    /// A change to the existing project with this code.
    Link(ProjectCode),
    /// Not taken forward, for this reason.
    Decline(String),
}

/// The reason for declining: required, because the submitter reads it.
pub fn parse_decline_reason(input: &str) -> Result<String, String> {
    clean(input, MAX_REASON, true, true).map_err(|e| {
        required(
            e,
            "enter the reason for declining; the department lead will see it",
        )
    })
}

/// The project a priority is linked to must still be work in the programme.
pub fn check_link_target(code: &str, stage: Stage) -> Result<(), String> {
    match stage {
        Stage::Withdrawn | Stage::Merged | Stage::Closed => Err(format!(
            "{code} is {}; link to a project that is still in the programme",
            stage.label().to_lowercase()
        )),
        _ => Ok(()),
    }
}

impl Priority {
    /// Only a submitted priority can be triaged; a second decision is refused
    /// saying what the first one was.
    pub fn check_can_triage(&self) -> Result<(), ValidationErrors> {
        let already = match (self.status, &self.project) {
            (PriorityStatus::Submitted, _) => return Ok(()),
            (PriorityStatus::Accepted, Some(p)) => {
                format!("has already been accepted into the register as {}", p.code)
            }
            (PriorityStatus::Linked, Some(p)) => {
                format!("has already been linked to {}", p.code)
            }
            (PriorityStatus::Declined, _) => "has already been declined".to_string(),
            (status, None) => format!("has already been {}", status.as_str()),
        };
        let by = self
            .triaged_by
            .as_deref()
            .map(|who| format!(" by {who}"))
            .unwrap_or_default();
        Err(ValidationErrors::single(
            "status",
            format!("{already}{by}; only a priority awaiting triage can be triaged"),
        ))
    }

    /// The project this priority becomes when accepted: stage concept, its
    /// title, department and themes, a summary from the problem and who
    /// benefits, and its rough cost as capital in `year` (the current
    /// financial year), as an import treats a single cost.
    pub fn to_project_input(&self, year: FinancialYear) -> ProjectInput {
        ProjectInput {
            code: None,
            title: self.title.clone(),
            summary: format!(
                "Problem it solves: {}\n\nWho benefits: {}",
                self.problem, self.beneficiaries
            ),
            department: self.department.clone(),
            themes: self.themes.clone(),
            stage: Stage::Concept,
            phase: None,
            sponsor: String::new(),
            manager: String::new(),
            start_date: None,
            end_date: None,
            costs: self
                .rough_cost_pence
                .filter(|c| c.pence() > 0)
                .map(|capital_pence| CostLine {
                    year,
                    capital_pence,
                    revenue_pence: Money::ZERO,
                })
                .into_iter()
                .collect(),
            confidence: None,
            tags: Vec::new(),
            published: false,
            residents: String::new(),
        }
    }
}

/// Which priorities a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PriorityFilter {
    /// Only this status.
    pub status: Option<PriorityStatus>,
    /// Only those this user submitted.
    pub submitted_by: Option<i64>,
}

/// A list's query parameters as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriorityQuery {
    /// Only this status: submitted, accepted, linked or declined.
    pub status: Option<String>,
}

impl PriorityQuery {
    /// The status asked for, if any; a blank one means all.
    pub fn status(&self) -> Result<Option<PriorityStatus>, ValidationErrors> {
        optional(&self.status)
            .map(PriorityStatus::parse)
            .transpose()
            .map_err(|e| ValidationErrors::single("status", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organisation::{Department, Theme};

    fn reference() -> (Vec<Department>, Vec<Theme>) {
        (
            vec![Department {
                id: 1,
                slug: "health-and-care".into(),
                name: "Health and Care".into(),
            }],
            vec![
                Theme {
                    id: 7,
                    slug: "virtual-service-delivery".into(),
                    name: "Virtual service delivery".into(),
                    description: String::new(),
                },
                Theme {
                    id: 8,
                    slug: "communities".into(),
                    name: "Communities connecting online".into(),
                    description: String::new(),
                },
            ],
        )
    }

    fn draft() -> PriorityDraft {
        PriorityDraft {
            title: "Online carers' assessments".into(),
            problem: "Carers wait six weeks for a home visit.".into(),
            beneficiaries: "Unpaid carers and social workers.".into(),
            urgency: "High".into(),
            rough_cost: Some("£350k".into()),
            department: "health-and-care".into(),
            themes: vec![
                "virtual-service-delivery".into(),
                "communities".into(),
                "communities".into(),
            ],
            changes_project: None,
        }
    }

    fn validate(d: &PriorityDraft) -> Result<PriorityInput, ValidationErrors> {
        let (departments, themes) = reference();
        d.validate(&Reference {
            departments: &departments,
            themes: &themes,
        })
    }

    fn stored(input: &PriorityInput) -> Priority {
        Priority {
            id: 3,
            organisation_id: 1,
            title: input.title.clone(),
            problem: input.problem.clone(),
            beneficiaries: input.beneficiaries.clone(),
            urgency: input.urgency,
            rough_cost_pence: input.rough_cost,
            department: input.department.clone(),
            themes: input.themes.clone(),
            changes_project: None,
            status: PriorityStatus::Submitted,
            project: None,
            decline_reason: None,
            submitted_by: Submitter {
                user_id: Some(2),
                name: "Lead".into(),
                email: "lead@northmere.example".into(),
            },
            submitted_at: Utc::now(),
            triaged_by: None,
            triaged_at: None,
            version: 1,
        }
    }

    #[test]
    fn a_good_draft_validates_with_money_as_people_write_it() {
        let input = validate(&draft()).unwrap();
        assert_eq!(input.urgency, Urgency::High);
        assert_eq!(input.rough_cost.map(Money::pence), Some(35_000_000));
        assert_eq!(input.department.slug, "health-and-care");
        let themes: Vec<i64> = input.themes.iter().map(|t| t.id).collect();
        assert_eq!(themes, vec![8, 7], "no repeats, in name order");

        for (written, pence) in [("£1.2m", Some(120_000_000)), ("tbc", None), ("", None)] {
            let mut d = draft();
            d.rough_cost = Some(written.into());
            assert_eq!(
                validate(&d).unwrap().rough_cost.map(Money::pence),
                pence,
                "{written}"
            );
        }
        let mut d = draft();
        d.changes_project = Some(" dp-12 ".into());
        assert_eq!(
            validate(&d).unwrap().changes_project.unwrap().as_str(),
            "DP-12"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = PriorityDraft {
            title: "x".repeat(500),
            problem: "  ".into(),
            beneficiaries: String::new(),
            urgency: "whenever".into(),
            rough_cost: Some("(£5k)".into()),
            department: "nowhere".into(),
            themes: vec!["space".into()],
            changes_project: Some("twelve".into()),
        };
        let errors = validate(&bad).unwrap_err();
        for field in [
            "title",
            "problem",
            "beneficiaries",
            "urgency",
            "rough_cost",
            "department",
            "themes[0]",
            "changes_project",
        ] {
            assert!(
                errors.for_field(field).is_some(),
                "no error for {field}: {errors}"
            );
        }
        assert_eq!(
            errors.for_field("problem"),
            Some("describe the problem it solves")
        );
        assert!(errors.for_field("rough_cost").unwrap().contains("negative"));
        let empty = validate(&PriorityDraft::default()).unwrap_err();
        assert_eq!(empty.for_field("urgency"), Some("choose how urgent it is"));
        assert_eq!(empty.for_field("department"), Some("choose a department"));
    }

    #[test]
    fn only_a_submitted_priority_can_be_triaged() {
        let mut p = stored(&validate(&draft()).unwrap());
        assert!(p.check_can_triage().is_ok());
        p.status = PriorityStatus::Accepted;
        p.project = Some(ProjectLink {
            id: 9,
            code: "DP-077".into(),
            title: p.title.clone(),
        });
        p.triaged_by = Some("pmo@northmere.example".into());
        let refusal = p.check_can_triage().unwrap_err();
        let message = refusal.for_field("status").unwrap();
        assert!(
            message.contains("already been accepted into the register as DP-077"),
            "{message}"
        );
        assert!(message.contains("pmo@northmere.example"), "{message}");
        p.status = PriorityStatus::Declined;
        assert!(p
            .check_can_triage()
            .unwrap_err()
            .for_field("status")
            .unwrap()
            .contains("already been declined"));
    }

    #[test]
    fn an_accepted_priority_becomes_a_concept_project() {
        let p = stored(&validate(&draft()).unwrap());
        let year = FinancialYear::new(2026).unwrap();
        let project = p.to_project_input(year);
        assert_eq!(project.stage, Stage::Concept);
        assert_eq!(project.title, "Online carers' assessments");
        assert!(project.summary.contains("Carers wait six weeks"));
        assert!(project.summary.contains("Who benefits: Unpaid carers"));
        assert_eq!(project.department.id, 1);
        assert_eq!(project.themes.len(), 2);
        assert_eq!(project.costs.len(), 1);
        assert_eq!(project.costs[0].year, year);
        assert_eq!(project.costs[0].capital_pence.pence(), 35_000_000);
        assert_eq!(project.code, None, "the next free code is given");

        let mut unknown = p.clone();
        unknown.rough_cost_pence = None;
        assert!(unknown.to_project_input(year).costs.is_empty());
    }

    #[test]
    fn declining_needs_a_reason_and_links_need_live_projects() {
        assert!(parse_decline_reason("   ")
            .unwrap_err()
            .contains("enter the reason for declining"));
        assert_eq!(
            parse_decline_reason(" Covered by DP-012.\r\nTalk to us. ").unwrap(),
            "Covered by DP-012.\nTalk to us."
        );
        assert!(parse_decline_reason(&"x".repeat(MAX_REASON + 1)).is_err());
        assert!(check_link_target("DP-012", Stage::Design).is_ok());
        assert!(check_link_target("DP-012", Stage::Withdrawn)
            .unwrap_err()
            .contains("DP-012 is withdrawn"));
    }

    #[test]
    fn labels_and_parsing() {
        for u in Urgency::ALL {
            assert_eq!(Urgency::parse(u.as_str()), Ok(u));
            assert!(!u.label().is_empty() && !u.hint().is_empty());
        }
        for s in PriorityStatus::ALL {
            assert_eq!(PriorityStatus::parse(s.as_str()), Ok(s));
        }
        assert!(PriorityStatus::parse("lost").is_err());
        let q = PriorityQuery {
            status: Some("declined".into()),
        };
        assert_eq!(q.status().unwrap(), Some(PriorityStatus::Declined));
        assert_eq!(PriorityQuery::default().status().unwrap(), None);
        assert!(PriorityQuery {
            status: Some("x".into())
        }
        .status()
        .unwrap_err()
        .for_field("status")
        .is_some());
    }
}
