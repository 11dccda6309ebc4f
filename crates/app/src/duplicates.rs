//! Likely duplicates across an organisation's register, for a person to review.
//!
//! The search itself is the domain's [`find_duplicates`]; this module chooses
//! what it searches (the organisation's projects, leaving out those withdrawn
//! or merged, which are no longer work to consolidate), turns its index pairs
//! back into named projects, and reuses the result while the organisation's
//! data version is unchanged. It suggests; it never merges.

use std::sync::Arc;

use portfolio_domain::consolidate::duplicates::{find_duplicates, DuplicateSettings, Entry};
use portfolio_domain::project::NamedRef;
use portfolio_domain::{Permission, Project, Stage};
use serde::Serialize;

use crate::{App, Caller, Result};

/// The most pairs a caller may ask for at once.
pub const MAX_LIMIT: u32 = 500;

/// One project of a candidate pair, as a reviewer needs to recognise it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DuplicateProject {
    /// Project code, e.g. DP-042.
    pub code: String,
    pub title: String,
    pub department: NamedRef,
    pub stage: Stage,
}

/// Two projects that may describe the same work, with why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DuplicatePair {
    /// The project registered first (the lower position in code order).
    pub a: DuplicateProject,
    pub b: DuplicateProject,
    /// How likely a duplicate or overlap, from 0 to 1.
    pub score: f64,
    /// Why, in words a programme office reads.
    pub reasons: Vec<String>,
}

impl DuplicatePair {
    /// The score as a whole percentage, 0 to 100.
    pub fn percent(&self) -> u8 {
        (self.score.clamp(0.0, 1.0) * 100.0).round() as u8
    }
}

/// Whether a project is still work that could duplicate another.
fn is_candidate(project: &Project) -> bool {
    !matches!(project.stage, Stage::Withdrawn | Stage::Merged)
}

fn entry(project: &Project) -> Entry {
    Entry {
        title: project.title.clone(),
        summary: project.summary.clone(),
        department: Some(project.department.slug.clone()),
        themes: project.themes.iter().map(|t| t.slug.clone()).collect(),
        cost: Some(project.total_cost()).filter(|c| c.pence() > 0),
        start_date: project.start_date,
        end_date: project.end_date,
    }
}

fn named(project: &Project) -> DuplicateProject {
    DuplicateProject {
        code: project.code.clone(),
        title: project.title.clone(),
        department: project.department.clone(),
        stage: project.stage,
    }
}

/// Ranked candidate pairs among `projects`, best first.
pub fn duplicate_pairs(projects: &[Project]) -> Vec<DuplicatePair> {
    let mut active: Vec<&Project> = projects.iter().filter(|p| is_candidate(p)).collect();
    // A fixed order, so the same register always gives the same pairs.
    active.sort_by(|x, y| x.code.cmp(&y.code));
    let entries: Vec<Entry> = active.iter().map(|p| entry(p)).collect();
    find_duplicates(&entries, &DuplicateSettings::default())
        .candidates
        .into_iter()
        .map(|c| DuplicatePair {
            a: named(active[c.a]),
            b: named(active[c.b]),
            score: c.score,
            reasons: c.reasons,
        })
        .collect()
}

/// At most `limit` pairs of a shared ranked list.
fn first(pairs: &[DuplicatePair], limit: u32) -> Vec<DuplicatePair> {
    pairs
        .iter()
        .take(limit.min(MAX_LIMIT) as usize)
        .cloned()
        .collect()
}

impl App {
    /// The caller's organisation's likely duplicates, best first, at most
    /// `limit` (capped at [`MAX_LIMIT`]); searched once per data version.
    pub async fn duplicates(&self, caller: &Caller, limit: u32) -> Result<Vec<DuplicatePair>> {
        caller.require(Permission::ReadProgramme)?;
        let org = caller.organisation_id();
        let version = caller.data_version;
        if let Some(hit) = self.caches.duplicates.get(&org, version) {
            return Ok(first(&hit, limit));
        }
        let projects = self.store.all_projects(org).await?;
        let pairs = Arc::new(duplicate_pairs(&projects));
        self.caches.duplicates.put(org, version, pairs.clone());
        Ok(first(&pairs, limit))
    }

    /// Likely duplicates of an organisation named by slug (the CLI's).
    pub async fn organisation_duplicates(
        &self,
        organisation_slug: &str,
        limit: u32,
    ) -> Result<Vec<DuplicatePair>> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let projects = self.store.all_projects(org.id).await?;
        Ok(first(&duplicate_pairs(&projects), limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn project(code: &str, title: &str, department: &str, stage: Stage) -> Project {
        let now = Utc::now();
        Project {
            id: 0,
            organisation_id: 1,
            code: code.to_string(),
            title: title.to_string(),
            summary: String::new(),
            department: NamedRef {
                id: 1,
                slug: department.to_string(),
                name: department.to_string(),
            },
            themes: Vec::new(),
            stage,
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

    const FIRST: &str = "Children's case mgmt system replacement";
    const SECOND: &str = "Replace children's social care case management system";

    #[test]
    fn names_both_projects_of_a_pair_in_code_order() {
        let projects = [
            project("DP-040", SECOND, "families", Stage::Concept),
            project(
                "DP-002",
                "Microsoft Teams for everyone",
                "corporate",
                Stage::Live,
            ),
            project("DP-012", FIRST, "families", Stage::Design),
        ];
        let pairs = duplicate_pairs(&projects);
        assert_eq!(pairs.len(), 1, "{pairs:?}");
        let pair = &pairs[0];
        assert_eq!(pair.a.code, "DP-012");
        assert_eq!(pair.a.stage, Stage::Design);
        assert_eq!(pair.b.code, "DP-040");
        assert_eq!(pair.b.title, SECOND);
        assert!(!pair.reasons.is_empty());
        assert!(pair.percent() > 0 && pair.percent() <= 100);
    }

    #[test]
    fn withdrawn_and_merged_projects_are_left_out() {
        for stage in [Stage::Withdrawn, Stage::Merged] {
            let projects = [
                project("DP-012", FIRST, "families", Stage::Design),
                project("DP-040", SECOND, "families", stage),
            ];
            assert!(duplicate_pairs(&projects).is_empty(), "{stage:?}");
        }
    }

    #[test]
    fn limits_are_capped() {
        let pair = DuplicatePair {
            a: named(&project("DP-001", "A", "x", Stage::Idea)),
            b: named(&project("DP-002", "B", "x", Stage::Idea)),
            score: 0.834,
            reasons: vec![],
        };
        assert_eq!(pair.percent(), 83);
        let many = vec![pair; 600];
        assert_eq!(first(&many, 2).len(), 2);
        assert_eq!(first(&many, 10_000).len(), MAX_LIMIT as usize);
    }
}
