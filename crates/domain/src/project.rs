//! The project: the unit of the programme.
//!
//! [`ProjectDraft`] is what a form or a JSON body says, loosely typed;
//! [`ProjectDraft::validate`] turns it into a [`ProjectInput`] whose every
//! field has been parsed, or into [`ValidationErrors`] naming each bad field.
//! [`Project`] is a stored project as read back, with its version.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::confidence::DeliveryConfidence;
use crate::errors::ValidationErrors;
use crate::money::Money;
use crate::organisation::{Department, Theme};
use crate::quarters::{FinancialYear, MAX_YEAR, MIN_YEAR};
use crate::stage::{GovUkPhase, Stage};
use crate::text::clean;

pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 5_000;
pub const MAX_PERSON: usize = 200;
pub const MAX_TAG: usize = 50;
pub const MAX_TAGS: usize = 20;
pub const MAX_COST_LINES: usize = 20;
/// "What this changes for residents": a short paragraph for the public roadmap.
pub const MAX_RESIDENTS: usize = 600;

/// A project's code, such as DP-042: letters, a hyphen, digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProjectCode(pub(crate) String);

impl ProjectCode {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_uppercase();
        let bad = || {
            format!(
                "'{}' is not a project code; write it like DP-042",
                input.trim()
            )
        };
        let (prefix, number) = s.split_once('-').ok_or_else(bad)?;
        let prefix_ok =
            (1..=10).contains(&prefix.len()) && prefix.chars().all(|c| c.is_ascii_uppercase());
        let number_ok =
            (1..=6).contains(&number.len()) && number.chars().all(|c| c.is_ascii_digit());
        if prefix_ok && number_ok {
            Ok(ProjectCode(s))
        } else {
            Err(bad())
        }
    }

    /// The code with the given prefix and number, zero-padded to three digits.
    pub fn numbered(prefix: &str, number: u32) -> Result<Self, String> {
        ProjectCode::parse(&format!("{prefix}-{number:03}"))
    }

    /// The number after the hyphen.
    pub fn number(&self) -> u32 {
        self.0
            .split_once('-')
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ProjectCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Money for one financial year of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CostLine {
    /// Financial year, by the calendar year it starts in: 2026 is 2026/27.
    #[schema(value_type = i32, example = 2026)]
    pub year: FinancialYear,
    #[schema(value_type = i64)]
    pub capital_pence: Money,
    #[schema(value_type = i64)]
    pub revenue_pence: Money,
}

/// A cost line as typed, before parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostDraft {
    /// Financial year, e.g. "2026/27".
    pub year: String,
    /// Capital cost in whole pence.
    #[serde(default)]
    pub capital_pence: i64,
    /// Revenue cost in whole pence.
    #[serde(default)]
    pub revenue_pence: i64,
}

/// A project as a form or an API request describes it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDraft {
    /// Project code such as DP-042; left out, the next free code is given.
    #[serde(default)]
    pub code: Option<String>,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Department slug, e.g. "health-and-care".
    pub department: String,
    /// Theme slugs.
    #[serde(default)]
    pub themes: Vec<String>,
    /// idea, concept, design, delivery, live, closed, on_hold or withdrawn.
    pub stage: String,
    /// GOV.UK phase: discovery, alpha, beta or live.
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub sponsor: String,
    #[serde(default)]
    pub manager: String,
    /// ISO date, e.g. 2026-04-01.
    #[serde(default)]
    pub start_date: Option<String>,
    /// ISO date, e.g. 2027-03-31.
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub costs: Vec<CostDraft>,
    /// green, amber_green, amber, amber_red or red.
    #[serde(default)]
    pub confidence: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Shown on the public roadmap.
    #[serde(default)]
    pub published: bool,
    /// What this changes for residents, in plain English (shown on the public roadmap).
    #[serde(default)]
    pub residents: String,
}

/// A validated project, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectInput {
    pub code: Option<ProjectCode>,
    pub title: String,
    pub summary: String,
    /// The department, resolved against the organisation's own.
    pub department: NamedRef,
    /// The themes, resolved, without repeats, in name order (as a stored project lists them).
    pub themes: Vec<NamedRef>,
    pub stage: Stage,
    pub phase: Option<GovUkPhase>,
    pub sponsor: String,
    pub manager: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub costs: Vec<CostLine>,
    pub confidence: Option<DeliveryConfidence>,
    pub tags: Vec<String>,
    pub published: bool,
    pub residents: String,
}

/// The organisation's departments and themes, against which references are checked.
pub struct Reference<'a> {
    pub departments: &'a [Department],
    pub themes: &'a [Theme],
}

impl Reference<'_> {
    /// The department named by slug (or id), or an error recorded against `field`.
    pub fn department(
        &self,
        field: &str,
        wanted: &str,
        errors: &mut ValidationErrors,
    ) -> Option<NamedRef> {
        let wanted = wanted.trim();
        if wanted.is_empty() {
            errors.push(field, "choose a department");
            return None;
        }
        let found = self
            .departments
            .iter()
            .find(|d| d.slug == wanted || d.id.to_string() == wanted);
        if found.is_none() {
            errors.push(
                field,
                format!("'{wanted}' is not a department of this organisation"),
            );
        }
        found.map(|d| NamedRef {
            id: d.id,
            slug: d.slug.clone(),
            name: d.name.clone(),
        })
    }

    /// The themes named by slug (or id), without repeats, in name order; each
    /// unknown one recorded as `field[i]`.
    pub fn themes(
        &self,
        field: &str,
        wanted: &[String],
        errors: &mut ValidationErrors,
    ) -> Vec<NamedRef> {
        let mut themes: Vec<NamedRef> = Vec::new();
        for (i, slug) in wanted.iter().enumerate() {
            let slug = slug.trim();
            match self
                .themes
                .iter()
                .find(|t| t.slug == slug || t.id.to_string() == slug)
            {
                Some(t) => {
                    if !themes.iter().any(|seen| seen.id == t.id) {
                        themes.push(NamedRef {
                            id: t.id,
                            slug: t.slug.clone(),
                            name: t.name.clone(),
                        });
                    }
                }
                None => errors.push(
                    format!("{field}[{i}]"),
                    format!("'{slug}' is not a theme of this organisation"),
                ),
            }
        }
        themes.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        themes
    }
}

fn parse_date(input: &str) -> Result<NaiveDate, String> {
    let s = input.trim();
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a real date; write it like 2026-04-01"))?;
    let year = chrono::Datelike::year(&date);
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(format!("must be between {MIN_YEAR} and {MAX_YEAR}"));
    }
    Ok(date)
}

fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ProjectDraft {
    /// Parses every field, collecting all problems rather than stopping at the first.
    pub fn validate(&self, reference: &Reference<'_>) -> Result<ProjectInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let code = optional(&self.code).and_then(|c| errors.check("code", ProjectCode::parse(c)));
        let title = errors.check("title", clean(&self.title, MAX_TITLE, true, false));
        let summary = errors.check("summary", clean(&self.summary, MAX_SUMMARY, false, true));
        let residents = errors.check(
            "residents",
            clean(&self.residents, MAX_RESIDENTS, false, true),
        );
        let department = reference.department("department", &self.department, &mut errors);
        let themes = reference.themes("themes", &self.themes, &mut errors);
        let stage = errors.check(
            "stage",
            Stage::parse(&self.stage).and_then(|s| s.can_start_in().map(|_| s)),
        );
        let phase = optional(&self.phase).map(|p| errors.check("phase", GovUkPhase::parse(p)));
        let sponsor = errors.check("sponsor", clean(&self.sponsor, MAX_PERSON, false, false));
        let manager = errors.check("manager", clean(&self.manager, MAX_PERSON, false, false));
        let start_date =
            optional(&self.start_date).map(|d| errors.check("start_date", parse_date(d)));
        let end_date = optional(&self.end_date).map(|d| errors.check("end_date", parse_date(d)));
        if let (Some(Some(s)), Some(Some(e))) = (start_date, end_date) {
            if e < s {
                errors.push("end_date", "must be the same as or after the start date");
            }
        }
        if self.costs.len() > MAX_COST_LINES {
            errors.push(
                "costs",
                format!("must have {MAX_COST_LINES} years or fewer"),
            );
        }
        let mut costs = Vec::new();
        let mut years = BTreeSet::new();
        for (i, line) in self.costs.iter().enumerate() {
            let year = errors.check(
                &format!("costs[{i}].year"),
                FinancialYear::parse(&line.year),
            );
            let mut amount = |field: &str, pence: i64| {
                let parsed = Money::from_pence(pence).and_then(|m| {
                    if m.pence() < 0 {
                        Err("must not be negative".to_string())
                    } else {
                        Ok(m)
                    }
                });
                errors.check(&format!("costs[{i}].{field}"), parsed)
            };
            let capital = amount("capital_pence", line.capital_pence);
            let revenue = amount("revenue_pence", line.revenue_pence);
            if let Some(y) = year {
                if !years.insert(y) {
                    errors.push(
                        format!("costs[{i}].year"),
                        format!("{y} appears more than once"),
                    );
                }
            }
            if let (Some(year), Some(capital_pence), Some(revenue_pence)) = (year, capital, revenue)
            {
                costs.push(CostLine {
                    year,
                    capital_pence,
                    revenue_pence,
                });
            }
        }
        costs.sort_by_key(|c| c.year);
        let confidence = optional(&self.confidence)
            .map(|c| errors.check("confidence", DeliveryConfidence::parse(c)));
        if self.tags.len() > MAX_TAGS {
            errors.push("tags", format!("must have {MAX_TAGS} tags or fewer"));
        }
        let mut tags = Vec::new();
        for (i, tag) in self.tags.iter().enumerate() {
            if let Some(t) = errors.check(&format!("tags[{i}]"), clean(tag, MAX_TAG, false, false))
            {
                let t = t.to_lowercase();
                if !t.is_empty() && !tags.contains(&t) {
                    tags.push(t);
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Every Option below is Some: a None was recorded in `errors`.
        match (
            title, summary, department, stage, sponsor, manager, residents,
        ) {
            (
                Some(title),
                Some(summary),
                Some(department),
                Some(stage),
                Some(sponsor),
                Some(manager),
                Some(residents),
            ) => Ok(ProjectInput {
                code,
                title,
                summary,
                department,
                themes,
                stage,
                phase: phase.flatten(),
                sponsor,
                manager,
                start_date: start_date.flatten(),
                end_date: end_date.flatten(),
                costs,
                confidence: confidence.flatten(),
                tags,
                published: self.published,
                residents,
            }),
            _ => Err(ValidationErrors::single("project", "could not be read")),
        }
    }
}

/// What the store assigns to a project: identity, code, version and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub organisation_id: i64,
    pub code: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProjectInput {
    /// The project this input describes once stored, so a write need not read back what it wrote.
    pub fn to_project(&self, stored: Stored) -> Project {
        Project {
            id: stored.id,
            organisation_id: stored.organisation_id,
            code: stored.code,
            title: self.title.clone(),
            summary: self.summary.clone(),
            department: self.department.clone(),
            themes: self.themes.clone(),
            stage: self.stage,
            phase: self.phase,
            sponsor: self.sponsor.clone(),
            manager: self.manager.clone(),
            start_date: self.start_date,
            end_date: self.end_date,
            costs: self.costs.clone(),
            confidence: self.confidence,
            tags: self.tags.clone(),
            published: self.published,
            residents: self.residents.clone(),
            version: stored.version,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        }
    }

    /// Rules for changing an existing project: the code stays, the stage move is allowed.
    pub fn check_update(&self, current: &Project) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if let Some(code) = &self.code {
            if code.as_str() != current.code {
                errors.push("code", "cannot be changed once a project is created");
            }
        }
        if let Err(e) = current.stage.check_move(self.stage) {
            errors.push("stage", e);
        }
        errors.into_result(|| ())
    }
}

/// A department or theme as shown on a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NamedRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A stored project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Project {
    pub id: i64,
    pub organisation_id: i64,
    pub code: String,
    pub title: String,
    pub summary: String,
    pub department: NamedRef,
    pub themes: Vec<NamedRef>,
    pub stage: Stage,
    pub phase: Option<GovUkPhase>,
    pub sponsor: String,
    pub manager: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub costs: Vec<CostLine>,
    pub confidence: Option<DeliveryConfidence>,
    pub tags: Vec<String>,
    pub published: bool,
    /// What this changes for residents, in plain English (the public roadmap shows it).
    #[serde(default)]
    pub residents: String,
    /// Increases by one with every change; send it back as `If-Match` to update.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Project {
    /// Capital plus revenue over all years.
    pub fn total_cost(&self) -> Money {
        self.costs.iter().fold(Money::ZERO, |acc, c| {
            acc.checked_add(c.capital_pence)
                .and_then(|a| a.checked_add(c.revenue_pence))
                .unwrap_or(acc)
        })
    }

    /// The project's own values as an input, to write them again unchanged
    /// (or with one change, such as a new stage).
    pub fn to_input(&self) -> ProjectInput {
        ProjectInput {
            code: ProjectCode::parse(&self.code).ok(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            department: self.department.clone(),
            themes: self.themes.clone(),
            stage: self.stage,
            phase: self.phase,
            sponsor: self.sponsor.clone(),
            manager: self.manager.clone(),
            start_date: self.start_date,
            end_date: self.end_date,
            costs: self.costs.clone(),
            confidence: self.confidence,
            tags: self.tags.clone(),
            published: self.published,
            residents: self.residents.clone(),
        }
    }

    /// The draft that, validated, gives this project back: used to fill edit forms.
    pub fn to_draft(&self) -> ProjectDraft {
        ProjectDraft {
            code: Some(self.code.clone()),
            title: self.title.clone(),
            summary: self.summary.clone(),
            department: self.department.slug.clone(),
            themes: self.themes.iter().map(|t| t.slug.clone()).collect(),
            stage: self.stage.as_str().to_string(),
            phase: self.phase.map(|p| p.as_str().to_string()),
            sponsor: self.sponsor.clone(),
            manager: self.manager.clone(),
            start_date: self.start_date.map(|d| d.to_string()),
            end_date: self.end_date.map(|d| d.to_string()),
            costs: self
                .costs
                .iter()
                .map(|c| CostDraft {
                    year: c.year.to_string(),
                    capital_pence: c.capital_pence.pence(),
                    revenue_pence: c.revenue_pence.pence(),
                })
                .collect(),
            confidence: self.confidence.map(|c| c.as_str().to_string()),
            tags: self.tags.clone(),
            published: self.published,
            residents: self.residents.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> (Vec<Department>, Vec<Theme>) {
        (
            vec![Department {
                id: 1,
                slug: "health-and-care".into(),
                name: "Health and Care".into(),
            }],
            vec![Theme {
                id: 7,
                slug: "communities".into(),
                name: "Communities".into(),
                description: String::new(),
            }],
        )
    }

    fn draft() -> ProjectDraft {
        ProjectDraft {
            code: Some("dp-042".into()),
            title: "Virtual social work assessments".into(),
            department: "health-and-care".into(),
            themes: vec!["communities".into()],
            stage: "concept".into(),
            start_date: Some("2026-04-01".into()),
            end_date: Some("2027-03-31".into()),
            costs: vec![CostDraft {
                year: "2026/27".into(),
                capital_pence: 10_000_000,
                revenue_pence: 250_000,
            }],
            confidence: Some("Amber/Green".into()),
            tags: vec!["Teams".into(), "teams".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_good_draft_validates() {
        let (d, t) = reference();
        let input = draft()
            .validate(&Reference {
                departments: &d,
                themes: &t,
            })
            .unwrap();
        assert_eq!(input.code.unwrap().as_str(), "DP-042");
        assert_eq!(input.department.id, 1);
        assert_eq!(input.department.slug, "health-and-care");
        assert_eq!(
            input.themes.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![7]
        );
        assert_eq!(input.confidence, Some(DeliveryConfidence::AmberGreen));
        assert_eq!(input.tags, vec!["teams".to_string()]);
        assert_eq!(input.costs[0].capital_pence.pence(), 10_000_000);
    }

    #[test]
    fn every_bad_field_is_named() {
        let (d, t) = reference();
        let mut bad = draft();
        bad.title = "x".repeat(10_000);
        bad.department = "nowhere".into();
        bad.stage = "merged".into();
        bad.start_date = Some("2026-02-30".into());
        bad.costs[0].capital_pence = -5;
        bad.themes.push("space".into());
        let errors = bad
            .validate(&Reference {
                departments: &d,
                themes: &t,
            })
            .unwrap_err();
        for field in [
            "title",
            "department",
            "stage",
            "start_date",
            "costs[0].capital_pence",
            "themes[1]",
        ] {
            assert!(
                errors.for_field(field).is_some(),
                "no error for {field}: {errors}"
            );
        }
    }

    #[test]
    fn end_before_start_is_refused() {
        let (d, t) = reference();
        let mut bad = draft();
        bad.end_date = Some("2025-01-01".into());
        let errors = bad
            .validate(&Reference {
                departments: &d,
                themes: &t,
            })
            .unwrap_err();
        assert!(errors
            .for_field("end_date")
            .unwrap()
            .contains("after the start date"));
    }

    #[test]
    fn codes() {
        assert_eq!(ProjectCode::parse(" dp-7 ").unwrap().as_str(), "DP-7");
        assert_eq!(ProjectCode::numbered("DP", 42).unwrap().as_str(), "DP-042");
        assert_eq!(ProjectCode::parse("DP-042").unwrap().number(), 42);
        assert!(ProjectCode::parse("DP042").is_err());
        assert!(ProjectCode::parse("<b>-1").is_err());
    }
}
