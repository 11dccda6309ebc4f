//! Dashboard counts, assembled from grouped counts and checked to add up.
//!
//! The store counts projects grouped by stage × department, by theme and by
//! confidence; [`Dashboard::assemble`] lays them out for every stage and
//! department (zeros included) and refuses figures whose parts do not sum to
//! the whole, so a page can never show 28 + 27 + 21 = 74.

use serde::Serialize;
use std::collections::HashMap;

use crate::confidence::DeliveryConfidence;
use crate::organisation::{Department, Theme};
use crate::stage::Stage;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StageCount {
    pub stage: Stage,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NamedCount {
    pub slug: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DepartmentRow {
    pub slug: String,
    pub name: String,
    /// Count per stage, in the order of `Stage::ALL`.
    pub by_stage: Vec<i64>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConfidenceCount {
    /// None for projects with no rating yet.
    pub confidence: Option<DeliveryConfidence>,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub total: i64,
    pub by_stage: Vec<StageCount>,
    pub by_department: Vec<DepartmentRow>,
    /// Projects per theme; a project with two themes counts under both.
    pub by_theme: Vec<NamedCount>,
    pub by_confidence: Vec<ConfidenceCount>,
}

/// Raw grouped counts as a store returns them.
#[derive(Debug, Clone, Default)]
pub struct GroupedCounts {
    pub total: i64,
    pub stage_department: Vec<(Stage, i64, i64)>,
    pub theme: Vec<(i64, i64)>,
    pub confidence: Vec<(Option<DeliveryConfidence>, i64)>,
}

impl Dashboard {
    pub fn assemble(
        counts: &GroupedCounts,
        departments: &[Department],
        themes: &[Theme],
    ) -> Result<Dashboard, String> {
        let mut cells: HashMap<(Stage, i64), i64> = HashMap::new();
        for (stage, dept, n) in &counts.stage_department {
            *cells.entry((*stage, *dept)).or_default() += n;
        }
        let by_stage: Vec<StageCount> = Stage::ALL
            .iter()
            .map(|s| StageCount {
                stage: *s,
                label: s.label().to_string(),
                count: cells
                    .iter()
                    .filter(|((st, _), _)| st == s)
                    .map(|(_, n)| n)
                    .sum(),
            })
            .collect();
        let by_department: Vec<DepartmentRow> = departments
            .iter()
            .map(|d| {
                let by_stage: Vec<i64> = Stage::ALL
                    .iter()
                    .map(|s| *cells.get(&(*s, d.id)).unwrap_or(&0))
                    .collect();
                DepartmentRow {
                    slug: d.slug.clone(),
                    name: d.name.clone(),
                    total: by_stage.iter().sum(),
                    by_stage,
                }
            })
            .collect();
        let by_theme = themes
            .iter()
            .map(|t| NamedCount {
                slug: t.slug.clone(),
                name: t.name.clone(),
                count: counts
                    .theme
                    .iter()
                    .filter(|(id, _)| *id == t.id)
                    .map(|(_, n)| n)
                    .sum(),
            })
            .collect();
        let mut by_confidence: Vec<ConfidenceCount> = DeliveryConfidence::ALL
            .iter()
            .map(|c| ConfidenceCount {
                confidence: Some(*c),
                label: c.label().to_string(),
                count: counts
                    .confidence
                    .iter()
                    .filter(|(k, _)| *k == Some(*c))
                    .map(|(_, n)| n)
                    .sum(),
            })
            .collect();
        by_confidence.push(ConfidenceCount {
            confidence: None,
            label: "Not rated".to_string(),
            count: counts
                .confidence
                .iter()
                .filter(|(k, _)| k.is_none())
                .map(|(_, n)| n)
                .sum(),
        });

        let stage_sum: i64 = by_stage.iter().map(|s| s.count).sum();
        let dept_sum: i64 = by_department.iter().map(|d| d.total).sum();
        let confidence_sum: i64 = by_confidence.iter().map(|c| c.count).sum();
        if stage_sum != counts.total {
            return Err(format!(
                "stage counts add up to {stage_sum}, not the total of {}",
                counts.total
            ));
        }
        if dept_sum != counts.total {
            return Err(format!(
                "department counts add up to {dept_sum}, not the total of {}",
                counts.total
            ));
        }
        if confidence_sum != counts.total {
            return Err(format!(
                "confidence counts add up to {confidence_sum}, not the total of {}",
                counts.total
            ));
        }
        Ok(Dashboard {
            total: counts.total,
            by_stage,
            by_department,
            by_theme,
            by_confidence,
        })
    }

    pub fn stage_count(&self, stage: Stage) -> i64 {
        self.by_stage
            .iter()
            .find(|s| s.stage == stage)
            .map_or(0, |s| s.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: i64, slug: &str) -> Department {
        Department {
            id,
            slug: slug.into(),
            name: slug.into(),
        }
    }

    #[test]
    fn lays_out_every_stage_and_department() {
        let counts = GroupedCounts {
            total: 5,
            stage_department: vec![(Stage::Concept, 1, 2), (Stage::Design, 2, 3)],
            theme: vec![],
            confidence: vec![(None, 4), (Some(DeliveryConfidence::Red), 1)],
        };
        let d =
            Dashboard::assemble(&counts, &[dept(1, "a"), dept(2, "b"), dept(3, "c")], &[]).unwrap();
        assert_eq!(d.stage_count(Stage::Concept), 2);
        assert_eq!(d.stage_count(Stage::Live), 0);
        assert_eq!(d.by_department[2].total, 0);
        assert_eq!(d.by_department[1].total, 3);
    }

    #[test]
    fn refuses_parts_that_do_not_sum_to_the_whole() {
        let counts = GroupedCounts {
            total: 74,
            stage_department: vec![
                (Stage::Concept, 1, 28),
                (Stage::Design, 1, 27),
                (Stage::Delivery, 1, 21),
            ],
            theme: vec![],
            confidence: vec![(None, 74)],
        };
        let err = Dashboard::assemble(&counts, &[dept(1, "a")], &[]).unwrap_err();
        assert!(err.contains("add up to 76"), "{err}");
    }
}
