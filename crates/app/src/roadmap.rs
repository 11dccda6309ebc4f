//! The public roadmap: what an organisation is working on, for residents.
//!
//! Open to anyone, so it shows only what the organisation chose to publish
//! and only what a resident needs: of each published project in a stage the
//! roadmap shows (see the store's `ROADMAP_STAGES`), its code, title, what it
//! changes for residents, department, themes, where it is in plain English
//! ("Being designed") and its expected start and finish as financial
//! quarters. Never costs, delivery confidence, people's names, tags or
//! anything of an unpublished, closed, withdrawn or merged project.
//!
//! The same roadmap is open data as JSON and CSV with stable field names
//! (documented in docs/open-data.md, schema in [`SCHEMA`]). Each file is built
//! once per data version of the organisation and reused until a write
//! changes it; its strong ETag is a hash of its bytes, so it changes exactly
//! when the file does.

use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use portfolio_domain::quarters::FinancialQuarter;
use portfolio_domain::{Project, Stage};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::export::safe_cell;
use crate::{App, AppError, Result};

/// The JSON Schema of the roadmap's JSON (served at /public/roadmap.schema.json).
pub const SCHEMA: &str = include_str!("roadmap.schema.json");

/// The field names of the roadmap's CSV, in order.
pub const CSV_FIELDS: [&str; 11] = [
    "code",
    "title",
    "what_changes_for_residents",
    "department",
    "themes",
    "stage",
    "stage_label",
    "expected_start_quarter",
    "expected_start",
    "expected_end_quarter",
    "expected_end",
];

/// Where a project is, as residents read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicStage {
    Exploring,
    Designing,
    Delivering,
    Live,
    Paused,
}

impl PublicStage {
    pub const ALL: [PublicStage; 5] = [
        PublicStage::Exploring,
        PublicStage::Designing,
        PublicStage::Delivering,
        PublicStage::Live,
        PublicStage::Paused,
    ];

    /// The public stage of a register stage; `None` for stages never shown.
    pub fn of(stage: Stage) -> Option<PublicStage> {
        match stage {
            Stage::Idea | Stage::Concept => Some(PublicStage::Exploring),
            Stage::Design => Some(PublicStage::Designing),
            Stage::Delivery => Some(PublicStage::Delivering),
            Stage::Live => Some(PublicStage::Live),
            Stage::OnHold => Some(PublicStage::Paused),
            Stage::Closed | Stage::Withdrawn | Stage::Merged => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PublicStage::Exploring => "exploring",
            PublicStage::Designing => "designing",
            PublicStage::Delivering => "delivering",
            PublicStage::Live => "live",
            PublicStage::Paused => "paused",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PublicStage::Exploring => "Being explored",
            PublicStage::Designing => "Being designed",
            PublicStage::Delivering => "Being delivered",
            PublicStage::Live => "Now available",
            PublicStage::Paused => "Paused",
        }
    }

    /// One sentence for residents about what the stage means.
    pub fn explanation(self) -> &'static str {
        match self {
            PublicStage::Exploring => {
                "We are finding out what people need and whether this is worth doing."
            }
            PublicStage::Designing => {
                "We are designing and testing this with the people who will use it."
            }
            PublicStage::Delivering => "We are building this and bringing it in.",
            PublicStage::Live => "This is in place, and we are improving it.",
            PublicStage::Paused => "Work on this has stopped for now.",
        }
    }
}

/// The organisation the roadmap is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicOrganisation {
    pub slug: String,
    pub name: String,
}

/// One project as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoadmapProject {
    pub code: String,
    pub title: String,
    /// In plain English; empty when the organisation has not written it.
    pub what_changes_for_residents: String,
    pub department: String,
    /// Theme names, in name order.
    pub themes: Vec<String>,
    pub stage: PublicStage,
    pub stage_label: String,
    /// Financial quarter, e.g. "2026/27 Q1".
    pub expected_start_quarter: Option<String>,
    /// The quarter's months, e.g. "April to June 2026".
    pub expected_start: Option<String>,
    pub expected_end_quarter: Option<String>,
    pub expected_end: Option<String>,
}

/// The roadmap as open data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicRoadmap {
    /// The schema this document follows.
    #[serde(rename = "$schema")]
    pub schema: String,
    pub organisation: PublicOrganisation,
    pub projects: Vec<RoadmapProject>,
}

/// A roadmap with its files, built once per data version.
#[derive(Debug)]
pub struct RoadmapFiles {
    pub roadmap: PublicRoadmap,
    pub json: String,
    pub json_etag: String,
    pub csv: String,
    pub csv_etag: String,
}

/// The path the schema is served at.
pub const SCHEMA_PATH: &str = "/public/roadmap.schema.json";

/// A quarter's months in words: "April to June 2026", "December 2026 to February 2027".
pub fn quarter_months(q: FinancialQuarter, start_month: u32) -> String {
    let first = q.start_date(start_month);
    let last = first.checked_add_months(Months::new(2)).unwrap_or(first);
    if first.year() == last.year() {
        format!(
            "{} to {} {}",
            first.format("%B"),
            last.format("%B"),
            last.year()
        )
    } else {
        format!("{} to {}", first.format("%B %Y"), last.format("%B %Y"))
    }
}

fn quarter(date: Option<NaiveDate>, start_month: u32) -> (Option<String>, Option<String>) {
    match date {
        Some(d) => {
            let q = FinancialQuarter::containing(d, start_month);
            (Some(q.to_string()), Some(quarter_months(q, start_month)))
        }
        None => (None, None),
    }
}

/// The public view of published projects (others are dropped here too).
pub fn public_projects(projects: &[Project], start_month: u32) -> Vec<RoadmapProject> {
    projects
        .iter()
        .filter(|p| p.published)
        .filter_map(|p| {
            let stage = PublicStage::of(p.stage)?;
            let (start_q, start) = quarter(p.start_date, start_month);
            let (end_q, end) = quarter(p.end_date, start_month);
            Some(RoadmapProject {
                code: p.code.clone(),
                title: p.title.clone(),
                what_changes_for_residents: p.residents.clone(),
                department: p.department.name.clone(),
                themes: p.themes.iter().map(|t| t.name.clone()).collect(),
                stage,
                stage_label: stage.label().to_string(),
                expected_start_quarter: start_q,
                expected_start: start,
                expected_end_quarter: end_q,
                expected_end: end,
            })
        })
        .collect()
}

/// The roadmap as CSV text (formula-safe, UTF-8), themes joined by "; ".
pub fn roadmap_csv(projects: &[RoadmapProject]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_FIELDS);
    for p in projects {
        let row = [
            p.code.clone(),
            p.title.clone(),
            p.what_changes_for_residents.clone(),
            p.department.clone(),
            p.themes.join("; "),
            p.stage.as_str().to_string(),
            p.stage_label.clone(),
            p.expected_start_quarter.clone().unwrap_or_default(),
            p.expected_start.clone().unwrap_or_default(),
            p.expected_end_quarter.clone().unwrap_or_default(),
            p.expected_end.clone().unwrap_or_default(),
        ];
        let _ = w.write_record(row.iter().map(|c| safe_cell(c)));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A strong ETag for some bytes: a quoted hash.
pub fn etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// A stage's projects within a theme.
pub type StageGroup<'a> = (PublicStage, Vec<&'a RoadmapProject>);

/// Projects grouped for the page: by theme (name order, projects with no
/// theme last under "Other projects"), then by stage. A project with two
/// themes is listed under each.
pub fn grouped(projects: &[RoadmapProject]) -> Vec<(String, Vec<StageGroup<'_>>)> {
    let mut themes: Vec<String> = projects
        .iter()
        .flat_map(|p| p.themes.iter().cloned())
        .collect();
    themes.sort();
    themes.dedup();
    let mut groups = Vec::new();
    let by_stage = |in_group: &dyn Fn(&RoadmapProject) -> bool| {
        PublicStage::ALL
            .iter()
            .filter_map(|s| {
                let list: Vec<&RoadmapProject> = projects
                    .iter()
                    .filter(|p| p.stage == *s && in_group(p))
                    .collect();
                (!list.is_empty()).then_some((*s, list))
            })
            .collect::<Vec<_>>()
    };
    for theme in themes {
        let stages = by_stage(&|p: &RoadmapProject| p.themes.contains(&theme));
        groups.push((theme, stages));
    }
    let other = by_stage(&|p: &RoadmapProject| p.themes.is_empty());
    if !other.is_empty() {
        groups.push(("Other projects".to_string(), other));
    }
    groups
}

/// An organisation slug as URLs carry it: lower-case letters, digits, hyphens.
fn plausible_slug(slug: &str) -> bool {
    (1..=100).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl App {
    /// The public roadmap of an organisation named by slug, open to anyone.
    /// Read-only; an unknown organisation is not found.
    pub async fn public_roadmap(&self, slug: &str) -> Result<Arc<RoadmapFiles>> {
        if !plausible_slug(slug) {
            return Err(AppError::NotFound("organisation"));
        }
        let org = self.store.organisation_by_slug(slug).await?;
        let version = self.store.data_version(org.id).await?;
        if let Some(hit) = self.caches.roadmaps.get(&org.id, version) {
            return Ok(hit);
        }
        let projects = self.store.published_projects(org.id).await?;
        let roadmap = PublicRoadmap {
            schema: SCHEMA_PATH.to_string(),
            organisation: PublicOrganisation {
                slug: org.slug.clone(),
                name: org.name.clone(),
            },
            projects: public_projects(&projects, org.financial_year_start_month),
        };
        let mut json = serde_json::to_string_pretty(&roadmap)
            .map_err(|e| AppError::Internal(portfolio_store::StoreError::Corrupt(e.to_string())))?;
        json.push('\n');
        let csv = roadmap_csv(&roadmap.projects);
        let files = Arc::new(RoadmapFiles {
            json_etag: etag(json.as_bytes()),
            csv_etag: etag(csv.as_bytes()),
            roadmap,
            json,
            csv,
        });
        self.caches.roadmaps.put(org.id, version, files.clone());
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_in_words() {
        let q = FinancialQuarter::containing(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(), 4);
        assert_eq!(q.to_string(), "2026/27 Q1");
        assert_eq!(quarter_months(q, 4), "April to June 2026");
        let q4 = FinancialQuarter::containing(NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(), 4);
        assert_eq!(quarter_months(q4, 4), "January to March 2027");
        let dec = FinancialQuarter::containing(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), 6);
        assert_eq!(quarter_months(dec, 6), "December 2026 to February 2027");
    }

    #[test]
    fn closed_and_merged_stages_are_never_public() {
        for s in [Stage::Closed, Stage::Withdrawn, Stage::Merged] {
            assert_eq!(PublicStage::of(s), None);
        }
        assert_eq!(
            PublicStage::of(Stage::Design).unwrap().label(),
            "Being designed"
        );
    }

    #[test]
    fn etags_are_strong_and_follow_the_bytes() {
        assert!(etag(b"a").starts_with('"') && !etag(b"a").starts_with("W/"));
        assert_ne!(etag(b"a"), etag(b"b"));
        assert_eq!(etag(b"a"), etag(b"a"));
    }
}
