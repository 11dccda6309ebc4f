//! Merging projects that describe the same work, keeping lineage.
//!
//! A merge names a **survivor** (the project that continues) and one or more
//! projects merged into it, and says field by field which value the survivor
//! keeps: its own, another project's, or (where it makes sense) a
//! combination: costs added year by year, themes and tags united, summaries
//! joined with a blank line, names joined with "; ", the earliest start and
//! the latest end. The merged projects keep their own values and move to the
//! `merged` stage, linked to the survivor, so nothing anyone typed is lost and
//! the merge can be undone.
//!
//! [`MergeDraft`] is what a form or a JSON body says; [`MergeDraft::parse`]
//! turns it into a [`MergePlan`] or names each bad field. [`MergePlan::apply`]
//! is the pure function that, given the projects as stored, checks they can
//! be merged and produces the survivor's new values. [`check_undo`] decides
//! whether a merge can still be undone. Nothing here reads or writes: the
//! store runs these rules inside the transaction that writes the merge.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::errors::ValidationErrors;
use crate::money::Money;
use crate::project::{
    CostLine, NamedRef, Project, ProjectCode, ProjectInput, MAX_COST_LINES, MAX_PERSON,
    MAX_SUMMARY, MAX_TAGS,
};
use crate::stage::Stage;

/// Projects merged into one survivor at once, at most.
pub const MAX_MERGED: usize = 20;

/// What separates combined summaries: a blank line, so each stays a paragraph.
pub const SUMMARY_SEPARATOR: &str = "\n\n";

/// What separates combined names (sponsors, managers).
pub const NAME_SEPARATOR: &str = "; ";

/// A field of a project whose value a merge chooses.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MergeField {
    Title,
    Summary,
    Department,
    Themes,
    Stage,
    Phase,
    Sponsor,
    Manager,
    StartDate,
    EndDate,
    Costs,
    Confidence,
    Tags,
    Published,
}

impl MergeField {
    pub const ALL: [MergeField; 14] = [
        MergeField::Title,
        MergeField::Summary,
        MergeField::Department,
        MergeField::Themes,
        MergeField::Stage,
        MergeField::Phase,
        MergeField::Sponsor,
        MergeField::Manager,
        MergeField::StartDate,
        MergeField::EndDate,
        MergeField::Costs,
        MergeField::Confidence,
        MergeField::Tags,
        MergeField::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MergeField::Title => "title",
            MergeField::Summary => "summary",
            MergeField::Department => "department",
            MergeField::Themes => "themes",
            MergeField::Stage => "stage",
            MergeField::Phase => "phase",
            MergeField::Sponsor => "sponsor",
            MergeField::Manager => "manager",
            MergeField::StartDate => "start_date",
            MergeField::EndDate => "end_date",
            MergeField::Costs => "costs",
            MergeField::Confidence => "confidence",
            MergeField::Tags => "tags",
            MergeField::Published => "published",
        }
    }

    /// The field's name as a page shows it.
    pub fn label(self) -> &'static str {
        match self {
            MergeField::Title => "Title",
            MergeField::Summary => "Summary",
            MergeField::Department => "Department",
            MergeField::Themes => "Themes",
            MergeField::Stage => "Stage",
            MergeField::Phase => "GOV.UK service phase",
            MergeField::Sponsor => "Sponsor",
            MergeField::Manager => "Project manager",
            MergeField::StartDate => "Start date",
            MergeField::EndDate => "End date",
            MergeField::Costs => "Costs",
            MergeField::Confidence => "Delivery confidence",
            MergeField::Tags => "Tags",
            MergeField::Published => "Public roadmap",
        }
    }

    pub fn parse(s: &str) -> Result<MergeField, String> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        MergeField::ALL
            .into_iter()
            .find(|f| f.as_str() == norm)
            .ok_or_else(|| {
                let names: Vec<&str> = MergeField::ALL.iter().map(|f| f.as_str()).collect();
                format!(
                    "'{}' is not a field of a project; use one of {}",
                    s.trim(),
                    names.join(", ")
                )
            })
    }

    /// How values of this field combine, if they can: the words a page offers.
    pub fn combination(self) -> Option<&'static str> {
        match self {
            MergeField::Summary => Some("Combine the summaries, one paragraph each"),
            MergeField::Themes => Some("Use every theme of the projects"),
            MergeField::Sponsor => Some("Name every sponsor"),
            MergeField::Manager => Some("Name every project manager"),
            MergeField::StartDate => Some("Use the earliest start date"),
            MergeField::EndDate => Some("Use the latest end date"),
            MergeField::Costs => Some("Add the costs together, year by year"),
            MergeField::Tags => Some("Use every tag of the projects"),
            MergeField::Title
            | MergeField::Department
            | MergeField::Stage
            | MergeField::Phase
            | MergeField::Confidence
            | MergeField::Published => None,
        }
    }
}

impl std::fmt::Display for MergeField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the survivor's value of one field comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldChoice {
    /// The survivor keeps its own value.
    Survivor,
    /// The value of this project of the merge.
    From(ProjectCode),
    /// Every project's values, combined as [`MergeField::combination`] says.
    Combine,
}

impl FieldChoice {
    /// As a form or JSON body writes it: "survivor", "combine" or a code.
    pub fn as_text(&self) -> String {
        match self {
            FieldChoice::Survivor => "survivor".to_string(),
            FieldChoice::From(code) => code.to_string(),
            FieldChoice::Combine => "combine".to_string(),
        }
    }
}

/// One project of a merge as a request names it: its code and the version
/// the person read, so a change made meanwhile is refused, not overwritten.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeMemberDraft {
    /// Project code, e.g. DP-042.
    pub code: String,
    /// The version read (a project's `version`, or the number in its ETag).
    pub version: i64,
}

/// A merge as a form or an API request describes it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeDraft {
    /// The project that continues.
    pub survivor: MergeMemberDraft,
    /// The projects merged into it: they move to the `merged` stage.
    pub merged: Vec<MergeMemberDraft>,
    /// For each field whose value should not simply be the survivor's:
    /// `"survivor"`, `"combine"` (summary, themes, sponsor, manager,
    /// start_date, end_date, costs, tags) or the code of a project of the merge.
    /// Fields left out keep the survivor's value.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// A project of a parsed merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeMember {
    pub code: ProjectCode,
    pub version: i64,
}

/// A validated merge: who continues, who is merged, and where each field comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergePlan {
    pub survivor: MergeMember,
    pub merged: Vec<MergeMember>,
    /// Only fields not kept from the survivor.
    pub choices: BTreeMap<MergeField, FieldChoice>,
}

fn parse_member(
    errors: &mut ValidationErrors,
    field: &str,
    member: &MergeMemberDraft,
) -> Option<MergeMember> {
    let code = errors.check(&format!("{field}.code"), ProjectCode::parse(&member.code));
    if member.version < 1 {
        errors.push(
            format!("{field}.version"),
            "must be the version you read, a whole number from 1",
        );
        return None;
    }
    code.map(|code| MergeMember {
        code,
        version: member.version,
    })
}

impl MergeDraft {
    /// Parses every part, collecting all problems rather than stopping at the first.
    pub fn parse(&self) -> Result<MergePlan, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let survivor = parse_member(&mut errors, "survivor", &self.survivor);
        if self.merged.is_empty() {
            errors.push(
                "merged",
                "name at least one project to merge into the survivor",
            );
        }
        if self.merged.len() > MAX_MERGED {
            errors.push(
                "merged",
                format!("must name {MAX_MERGED} projects or fewer at once"),
            );
        }
        let mut merged = Vec::new();
        let mut seen: BTreeSet<ProjectCode> = survivor.iter().map(|s| s.code.clone()).collect();
        for (i, member) in self.merged.iter().enumerate() {
            if let Some(m) = parse_member(&mut errors, &format!("merged[{i}]"), member) {
                if !seen.insert(m.code.clone()) {
                    let why = if survivor.as_ref().is_some_and(|s| s.code == m.code) {
                        format!(
                            "{} is the survivor; a project cannot be merged into itself",
                            m.code
                        )
                    } else {
                        format!("{} is named more than once", m.code)
                    };
                    errors.push(format!("merged[{i}].code"), why);
                } else {
                    merged.push(m);
                }
            }
        }
        let mut choices = BTreeMap::new();
        for (name, value) in &self.fields {
            let key = format!("fields.{}", name.trim());
            let Some(field) = errors.check(&key, MergeField::parse(name)) else {
                continue;
            };
            let value = value.trim();
            let choice = match value.to_ascii_lowercase().as_str() {
                "survivor" | "keep" | "" => FieldChoice::Survivor,
                "combine" => {
                    if field.combination().is_none() {
                        errors.push(
                            &key,
                            format!(
                                "{} values cannot be combined; choose one project's",
                                field.label()
                            ),
                        );
                        continue;
                    }
                    FieldChoice::Combine
                }
                _ => match ProjectCode::parse(value) {
                    Ok(code) if seen.contains(&code) => {
                        if survivor.as_ref().is_some_and(|s| s.code == code) {
                            FieldChoice::Survivor
                        } else {
                            FieldChoice::From(code)
                        }
                    }
                    Ok(code) => {
                        errors.push(
                            &key,
                            format!("{code} is not one of the projects being merged"),
                        );
                        continue;
                    }
                    Err(_) => {
                        errors.push(
                            &key,
                            format!("'{value}' is not a choice; use survivor, combine or the code of a project being merged"),
                        );
                        continue;
                    }
                },
            };
            if choice != FieldChoice::Survivor {
                choices.insert(field, choice);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        match survivor {
            Some(survivor) => Ok(MergePlan {
                survivor,
                merged,
                choices,
            }),
            None => Err(ValidationErrors::single("survivor", "could not be read")),
        }
    }
}

/// Why a project cannot take part in a merge, if it cannot.
fn refuse_stage(project: &Project) -> Option<String> {
    match project.stage {
        Stage::Merged => Some(format!(
            "{} is already merged into another project",
            project.code
        )),
        Stage::Withdrawn => Some(format!(
            "{} is withdrawn; only projects still in the programme can be merged",
            project.code
        )),
        _ => None,
    }
}

/// Values joined without repeats or blanks, in the projects' order.
fn join_distinct<'a>(values: impl Iterator<Item = &'a str>, separator: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for v in values.map(str::trim).filter(|v| !v.is_empty()) {
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen.join(separator)
}

/// Costs of several projects added year by year, capital and revenue apart.
pub fn add_costs(projects: &[&Project]) -> Result<Vec<CostLine>, String> {
    let mut years: BTreeMap<crate::FinancialYear, (Money, Money)> = BTreeMap::new();
    let too_much = || "added together they are more than £10,000,000,000 in a year".to_string();
    for p in projects {
        for c in &p.costs {
            let (capital, revenue) = years.entry(c.year).or_insert((Money::ZERO, Money::ZERO));
            *capital = capital
                .checked_add(c.capital_pence)
                .and_then(|m| Money::from_pence(m.pence()).ok())
                .ok_or_else(too_much)?;
            *revenue = revenue
                .checked_add(c.revenue_pence)
                .and_then(|m| Money::from_pence(m.pence()).ok())
                .ok_or_else(too_much)?;
        }
    }
    Ok(years
        .into_iter()
        .map(|(year, (capital_pence, revenue_pence))| CostLine {
            year,
            capital_pence,
            revenue_pence,
        })
        .collect())
}

impl MergePlan {
    /// Every project of the merge, the survivor first.
    pub fn members(&self) -> impl Iterator<Item = &MergeMember> {
        std::iter::once(&self.survivor).chain(self.merged.iter())
    }

    /// Where the survivor's value of `field` comes from.
    pub fn choice(&self, field: MergeField) -> FieldChoice {
        self.choices
            .get(&field)
            .cloned()
            .unwrap_or(FieldChoice::Survivor)
    }

    /// The survivor's values after the merge, from the projects as stored
    /// (`merged` in the plan's order). Refuses, naming the field, projects
    /// that cannot be merged (another organisation, already merged,
    /// withdrawn) and combinations that break a project's limits.
    pub fn apply(
        &self,
        survivor: &Project,
        merged: &[Project],
    ) -> Result<ProjectInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if survivor.code != self.survivor.code.as_str() || merged.len() != self.merged.len() {
            return Err(ValidationErrors::single(
                "merged",
                "the projects read do not match the merge",
            ));
        }
        if let Some(why) = refuse_stage(survivor) {
            errors.push("survivor.code", why);
        }
        for (i, (project, member)) in merged.iter().zip(&self.merged).enumerate() {
            let field = format!("merged[{i}].code");
            if project.code != member.code.as_str() {
                errors.push(&field, "the projects read do not match the merge");
            } else if project.organisation_id != survivor.organisation_id {
                errors.push(
                    &field,
                    format!(
                        "{} belongs to another organisation; only projects of one organisation can be merged",
                        project.code
                    ),
                );
            } else if let Some(why) = refuse_stage(project) {
                errors.push(&field, why);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let all: Vec<&Project> = std::iter::once(survivor).chain(merged.iter()).collect();
        // The project whose value a plain choice takes.
        let source = |field: MergeField| -> &Project {
            match self.choice(field) {
                FieldChoice::From(code) => all
                    .iter()
                    .find(|p| p.code == code.as_str())
                    .copied()
                    .unwrap_or(survivor),
                FieldChoice::Survivor | FieldChoice::Combine => survivor,
            }
        };
        let combine = |field: MergeField| self.choice(field) == FieldChoice::Combine;
        let key = |field: MergeField| format!("fields.{field}");

        let summary = if combine(MergeField::Summary) {
            join_distinct(all.iter().map(|p| p.summary.as_str()), SUMMARY_SEPARATOR)
        } else {
            source(MergeField::Summary).summary.clone()
        };
        let summary_len = summary.chars().count();
        if summary_len > MAX_SUMMARY {
            errors.push(
                key(MergeField::Summary),
                format!("combined, the summaries would have {summary_len} characters; a summary has {MAX_SUMMARY} at most, so choose one"),
            );
        }
        let mut names = |field: MergeField, pick: fn(&Project) -> &str| -> String {
            let value = if combine(field) {
                join_distinct(all.iter().map(|p| pick(p)), NAME_SEPARATOR)
            } else {
                pick(source(field)).to_string()
            };
            let len = value.chars().count();
            if len > MAX_PERSON {
                errors.push(
                    key(field),
                    format!("combined, the names would have {len} characters; {MAX_PERSON} is the most, so choose one"),
                );
            }
            value
        };
        let sponsor = names(MergeField::Sponsor, |p| &p.sponsor);
        let manager = names(MergeField::Manager, |p| &p.manager);

        let themes = if combine(MergeField::Themes) {
            let mut themes: Vec<NamedRef> = Vec::new();
            for t in all.iter().flat_map(|p| &p.themes) {
                if !themes.iter().any(|seen| seen.id == t.id) {
                    themes.push(t.clone());
                }
            }
            themes.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
            themes
        } else {
            source(MergeField::Themes).themes.clone()
        };
        let tags = if combine(MergeField::Tags) {
            let mut tags: Vec<String> = Vec::new();
            for t in all.iter().flat_map(|p| &p.tags) {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
            tags
        } else {
            source(MergeField::Tags).tags.clone()
        };
        if tags.len() > MAX_TAGS {
            errors.push(
                key(MergeField::Tags),
                format!(
                    "together the projects have {} tags; a project has {MAX_TAGS} at most, so choose one project's",
                    tags.len()
                ),
            );
        }
        let start_date = if combine(MergeField::StartDate) {
            all.iter().filter_map(|p| p.start_date).min()
        } else {
            source(MergeField::StartDate).start_date
        };
        let end_date = if combine(MergeField::EndDate) {
            all.iter().filter_map(|p| p.end_date).max()
        } else {
            source(MergeField::EndDate).end_date
        };
        if let (Some(s), Some(e)) = (start_date, end_date) {
            if e < s {
                errors.push(
                    key(MergeField::EndDate),
                    format!("the end date chosen ({e}) is before the start date chosen ({s}); choose dates that go together"),
                );
            }
        }
        let costs = if combine(MergeField::Costs) {
            match add_costs(&all) {
                Ok(costs) => costs,
                Err(e) => {
                    errors.push(key(MergeField::Costs), e);
                    Vec::new()
                }
            }
        } else {
            source(MergeField::Costs).costs.clone()
        };
        if costs.len() > MAX_COST_LINES {
            errors.push(
                key(MergeField::Costs),
                format!(
                    "together the projects have costs in {} years; a project has {MAX_COST_LINES} at most",
                    costs.len()
                ),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let department = source(MergeField::Department).department.clone();
        Ok(ProjectInput {
            code: ProjectCode::parse(&survivor.code).ok(),
            title: source(MergeField::Title).title.clone(),
            summary,
            department,
            themes,
            stage: source(MergeField::Stage).stage,
            phase: source(MergeField::Phase).phase,
            sponsor,
            manager,
            start_date,
            end_date,
            costs,
            confidence: source(MergeField::Confidence).confidence,
            tags,
            published: source(MergeField::Published).published,
            // The residents' text goes with the choice of what is published.
            residents: source(MergeField::Published).residents.clone(),
        })
    }

    /// The choices as a form or JSON body writes them, every field named.
    pub fn fields_as_text(&self) -> BTreeMap<String, String> {
        MergeField::ALL
            .iter()
            .map(|f| (f.as_str().to_string(), self.choice(*f).as_text()))
            .collect()
    }
}

/// A merged project's values after the merge: its own, in the `merged` stage.
pub fn merged_input(project: &Project) -> ProjectInput {
    let mut input = project.to_input();
    input.stage = Stage::Merged;
    input
}

/// One project of a merge as it was when the merge was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedState {
    pub code: String,
    /// The version the merge left the project at.
    pub version_after_merge: i64,
}

/// Whether a merge can be undone: not already undone, and no project of it
/// changed since (undoing would silently throw later changes away).
/// `current` holds the projects as stored now, in any order.
pub fn check_undo(
    merge_id: i64,
    undone: bool,
    states: &[MergedState],
    current: &[Project],
) -> Result<(), ValidationErrors> {
    if undone {
        return Err(ValidationErrors::single(
            "merge",
            format!("merge {merge_id} has already been undone"),
        ));
    }
    let mut errors = ValidationErrors::default();
    for state in states {
        match current.iter().find(|p| p.code == state.code) {
            Some(p) if p.version == state.version_after_merge => {}
            Some(p) => errors.push(
                "merge",
                format!(
                    "{} has changed since the merge (it is at version {}, the merge left it at {}), so undoing would lose those changes; change it back by hand instead",
                    p.code, p.version, state.version_after_merge
                ),
            ),
            None => errors.push("merge", format!("{} no longer exists", state.code)),
        }
    }
    errors.into_result(|| ())
}

/// A merge as written: the survivor and the merged projects as the merge
/// left them (or as the undo restored them), who did it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Merge {
    /// Identifies the merge, e.g. to undo it.
    pub id: i64,
    pub survivor: Project,
    pub merged: Vec<Project>,
    pub merged_at: DateTime<Utc>,
    /// Who merged: a user's email or a system task ("cli").
    pub merged_by: String,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by: Option<String>,
}

/// One end of a lineage link: the other project and the merge that links them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineageLink {
    /// The merge, e.g. to undo it.
    pub merge_id: i64,
    /// The other project's code.
    pub code: String,
    pub title: String,
    pub merged_at: DateTime<Utc>,
    pub merged_by: String,
}

/// Where a project came from and went to by merges still in force (undone
/// merges leave no lineage; they stay in the history).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lineage {
    /// The project this one was merged into, if it was.
    pub merged_into: Option<LineageLink>,
    /// Projects merged into this one, oldest first.
    pub merged_from: Vec<LineageLink>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FinancialYear;
    use chrono::NaiveDate;

    fn named(id: i64, name: &str) -> NamedRef {
        NamedRef {
            id,
            slug: name.to_lowercase(),
            name: name.to_string(),
        }
    }

    fn cost(year: i32, capital: i64, revenue: i64) -> CostLine {
        CostLine {
            year: FinancialYear::new(year).unwrap(),
            capital_pence: Money::from_pence(capital).unwrap(),
            revenue_pence: Money::from_pence(revenue).unwrap(),
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn project(code: &str, title: &str) -> Project {
        let now = Utc::now();
        Project {
            id: ProjectCode::parse(code).unwrap().number().into(),
            organisation_id: 1,
            code: code.to_string(),
            title: title.to_string(),
            summary: String::new(),
            department: named(1, "Families"),
            themes: Vec::new(),
            stage: Stage::Concept,
            phase: None,
            sponsor: String::new(),
            manager: String::new(),
            start_date: None,
            end_date: None,
            costs: Vec::new(),
            confidence: None,
            tags: Vec::new(),
            published: false,
            residents: String::new(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn member(code: &str, version: i64) -> MergeMemberDraft {
        MergeMemberDraft {
            code: code.to_string(),
            version,
        }
    }

    fn draft(fields: &[(&str, &str)]) -> MergeDraft {
        MergeDraft {
            survivor: member("DP-012", 1),
            merged: vec![member("DP-040", 1)],
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn pair() -> (Project, Project) {
        let mut a = project("DP-012", "Children's case management system");
        a.summary = "Replace the ageing system.".into();
        a.themes = vec![named(7, "Smart working")];
        a.tags = vec!["children".into(), "case".into()];
        a.sponsor = "Director of Children's Services".into();
        a.start_date = Some(date("2026-04-01"));
        a.end_date = Some(date("2027-03-31"));
        a.costs = vec![cost(2026, 10_000, 500), cost(2027, 2_000, 0)];
        let mut b = project("DP-040", "Replace children's social care case management");
        b.summary = "Social workers need one record.".into();
        b.themes = vec![named(3, "Communities"), named(7, "Smart working")];
        b.tags = vec!["case".into(), "send".into()];
        b.sponsor = "Head of Social Work".into();
        b.start_date = Some(date("2026-01-01"));
        b.end_date = Some(date("2028-03-31"));
        b.costs = vec![cost(2026, 1_000, 250), cost(2028, 0, 75)];
        b.stage = Stage::Design;
        b.confidence = Some(crate::DeliveryConfidence::Amber);
        (a, b)
    }

    #[test]
    fn keeping_the_survivors_values_changes_nothing_but_what_is_chosen() {
        let (a, b) = pair();
        let plan = draft(&[("title", "DP-040"), ("stage", "dp-040")])
            .parse()
            .unwrap();
        let input = plan.apply(&a, std::slice::from_ref(&b)).unwrap();
        assert_eq!(input.title, b.title);
        assert_eq!(input.stage, Stage::Design);
        assert_eq!(input.summary, a.summary);
        assert_eq!(input.costs, a.costs);
        assert_eq!(input.confidence, None);
        assert_eq!(input.code.unwrap().as_str(), "DP-012");
    }

    #[test]
    fn costs_add_up_year_by_year() {
        let (a, b) = pair();
        let plan = draft(&[("costs", "combine")]).parse().unwrap();
        let input = plan.apply(&a, &[b]).unwrap();
        assert_eq!(
            input.costs,
            vec![
                cost(2026, 11_000, 750),
                cost(2027, 2_000, 0),
                cost(2028, 0, 75)
            ]
        );
        let total: i64 = input
            .costs
            .iter()
            .map(|c| c.capital_pence.pence() + c.revenue_pence.pence())
            .sum();
        assert_eq!(total, 10_500 + 2_000 + 1_250 + 75);
    }

    #[test]
    fn costs_that_would_pass_the_limit_are_refused() {
        let (mut a, mut b) = pair();
        a.costs = vec![cost(2026, 900_000_000_000, 0)];
        b.costs = vec![cost(2026, 200_000_000_000, 0)];
        let plan = draft(&[("costs", "combine")]).parse().unwrap();
        let errors = plan.apply(&a, &[b]).unwrap_err();
        assert!(errors.for_field("fields.costs").is_some(), "{errors}");
    }

    #[test]
    fn themes_and_tags_unite_without_repeats() {
        let (a, b) = pair();
        let plan = draft(&[("themes", "combine"), ("tags", "combine")])
            .parse()
            .unwrap();
        let input = plan.apply(&a, &[b]).unwrap();
        let themes: Vec<&str> = input.themes.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(themes, vec!["Communities", "Smart working"]);
        assert_eq!(input.tags, vec!["children", "case", "send"]);
    }

    #[test]
    fn text_joins_with_a_blank_line_and_names_with_a_semicolon() {
        let (a, mut b) = pair();
        let mut c = project("DP-050", "Third");
        c.summary = "Replace the ageing system.".into();
        b.sponsor = " Head of Social Work ".into();
        let mut d = draft(&[("summary", "combine"), ("sponsor", "combine")]);
        d.merged.push(member("DP-050", 1));
        let plan = d.parse().unwrap();
        let input = plan.apply(&a, &[b, c]).unwrap();
        assert_eq!(
            input.summary,
            "Replace the ageing system.\n\nSocial workers need one record."
        );
        assert_eq!(
            input.sponsor,
            "Director of Children's Services; Head of Social Work"
        );
    }

    #[test]
    fn combined_dates_span_every_project() {
        let (a, b) = pair();
        let plan = draft(&[("start_date", "combine"), ("end_date", "combine")])
            .parse()
            .unwrap();
        let input = plan.apply(&a, &[b]).unwrap();
        assert_eq!(input.start_date, Some(date("2026-01-01")));
        assert_eq!(input.end_date, Some(date("2028-03-31")));
    }

    #[test]
    fn dates_that_do_not_go_together_are_refused() {
        let (a, mut b) = pair();
        b.start_date = Some(date("2027-06-01"));
        let plan = draft(&[("start_date", "DP-040")]).parse().unwrap();
        let errors = plan.apply(&a, &[b]).unwrap_err();
        assert!(errors.for_field("fields.end_date").is_some(), "{errors}");
    }

    #[test]
    fn combined_text_over_the_limit_is_refused_naming_the_field() {
        let (mut a, mut b) = pair();
        a.summary = "a".repeat(3_000);
        b.summary = "b".repeat(3_000);
        let plan = draft(&[("summary", "combine")]).parse().unwrap();
        let errors = plan.apply(&a, &[b]).unwrap_err();
        assert!(
            errors
                .for_field("fields.summary")
                .unwrap()
                .contains("6002 characters"),
            "{errors}"
        );
    }

    #[test]
    fn merged_and_withdrawn_projects_and_other_organisations_are_refused() {
        let (a, b) = pair();
        let plan = draft(&[]).parse().unwrap();
        for (stage, words) in [
            (Stage::Merged, "already merged"),
            (Stage::Withdrawn, "withdrawn"),
        ] {
            let mut gone = b.clone();
            gone.stage = stage;
            let errors = plan.apply(&a, &[gone]).unwrap_err();
            assert!(
                errors.for_field("merged[0].code").unwrap().contains(words),
                "{errors}"
            );
            let mut survivor = a.clone();
            survivor.stage = stage;
            let errors = plan.apply(&survivor, std::slice::from_ref(&b)).unwrap_err();
            assert!(errors.for_field("survivor.code").is_some(), "{errors}");
        }
        let mut elsewhere = b.clone();
        elsewhere.organisation_id = 2;
        let errors = plan.apply(&a, &[elsewhere]).unwrap_err();
        assert!(
            errors
                .for_field("merged[0].code")
                .unwrap()
                .contains("another organisation"),
            "{errors}"
        );
    }

    #[test]
    fn a_plan_names_each_bad_part() {
        let mut d = draft(&[
            ("title", "combine"),
            ("colour", "DP-040"),
            ("summary", "DP-099"),
            ("manager", "whoever"),
        ]);
        d.merged.push(member("DP-012", 1));
        d.merged.push(member("DP-040", 2));
        d.merged.push(member("nonsense", 1));
        d.merged.push(member("DP-041", 0));
        let errors = d.parse().unwrap_err();
        for field in [
            "fields.title",
            "fields.colour",
            "fields.summary",
            "fields.manager",
            "merged[1].code",
            "merged[2].code",
            "merged[3].code",
            "merged[4].version",
        ] {
            assert!(
                errors.for_field(field).is_some(),
                "no error for {field}: {errors}"
            );
        }
        assert!(errors
            .for_field("merged[1].code")
            .unwrap()
            .contains("survivor"));

        let alone = MergeDraft {
            survivor: member("DP-012", 1),
            ..MergeDraft::default()
        };
        assert!(alone.parse().unwrap_err().for_field("merged").is_some());
    }

    #[test]
    fn choices_read_as_written_and_survivor_choices_are_dropped() {
        let plan = draft(&[
            ("Start date", "combine"),
            ("title", "dp-012"),
            ("stage", "survivor"),
            ("phase", ""),
        ])
        .parse()
        .unwrap();
        assert_eq!(
            plan.choices.into_iter().collect::<Vec<_>>(),
            vec![(MergeField::StartDate, FieldChoice::Combine)]
        );
    }

    #[test]
    fn a_merged_project_keeps_its_values_in_the_merged_stage() {
        let (_, b) = pair();
        let input = merged_input(&b);
        assert_eq!(input.stage, Stage::Merged);
        assert_eq!(input.title, b.title);
        assert_eq!(input.costs, b.costs);
    }

    #[test]
    fn undo_is_refused_once_undone_or_after_a_later_change() {
        let (a, mut b) = pair();
        let states = vec![
            MergedState {
                code: a.code.clone(),
                version_after_merge: 1,
            },
            MergedState {
                code: b.code.clone(),
                version_after_merge: 1,
            },
        ];
        assert!(check_undo(3, false, &states, &[a.clone(), b.clone()]).is_ok());
        let done = check_undo(3, true, &states, &[a.clone(), b.clone()]).unwrap_err();
        assert!(done
            .for_field("merge")
            .unwrap()
            .contains("already been undone"));
        b.version = 2;
        let changed = check_undo(3, false, &states, &[a, b]).unwrap_err();
        assert!(
            changed
                .for_field("merge")
                .unwrap()
                .starts_with("DP-040 has changed since the merge"),
            "{changed}"
        );
    }
}
