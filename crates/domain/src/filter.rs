//! What a register list asks for: filters, free-text search, sort and page.
//!
//! [`ProjectQuery`] is the raw query string; [`ProjectQuery::parse`] gives a
//! [`ProjectFilter`] or errors naming the bad parameter.

use serde::{Deserialize, Serialize};

use crate::confidence::DeliveryConfidence;
use crate::errors::ValidationErrors;
use crate::stage::Stage;
use crate::text::clean;

pub const MAX_PER_PAGE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ProjectSort {
    #[default]
    Code,
    Title,
    Stage,
    Department,
    Confidence,
    StartDate,
    UpdatedAt,
    TotalCost,
}

impl ProjectSort {
    pub const ALL: [ProjectSort; 8] = [
        ProjectSort::Code,
        ProjectSort::Title,
        ProjectSort::Stage,
        ProjectSort::Department,
        ProjectSort::Confidence,
        ProjectSort::StartDate,
        ProjectSort::UpdatedAt,
        ProjectSort::TotalCost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectSort::Code => "code",
            ProjectSort::Title => "title",
            ProjectSort::Stage => "stage",
            ProjectSort::Department => "department",
            ProjectSort::Confidence => "confidence",
            ProjectSort::StartDate => "start_date",
            ProjectSort::UpdatedAt => "updated_at",
            ProjectSort::TotalCost => "total_cost",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProjectSort::Code => "Code",
            ProjectSort::Title => "Title",
            ProjectSort::Stage => "Stage",
            ProjectSort::Department => "Department",
            ProjectSort::Confidence => "Delivery confidence",
            ProjectSort::StartDate => "Start date",
            ProjectSort::UpdatedAt => "Last updated",
            ProjectSort::TotalCost => "Total cost",
        }
    }
}

/// Query parameters as received; every field optional text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// Stage value, e.g. `design`.
    pub stage: Option<String>,
    /// Department slug.
    pub department: Option<String>,
    /// Theme slug.
    pub theme: Option<String>,
    /// Delivery confidence value, e.g. `amber_red`.
    pub confidence: Option<String>,
    /// Words to find in code, title, summary, sponsor, manager and tags.
    pub q: Option<String>,
    /// Sort key (`code`, `title`, `stage`, `department`, `confidence`, `start_date`, `updated_at`, `total_cost`); prefix with `-` for descending.
    pub sort: Option<String>,
    /// Page number, from 1.
    pub page: Option<String>,
    /// Rows per page, 1 to 500.
    pub limit: Option<String>,
}

/// A parsed register query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectFilter {
    pub stage: Option<Stage>,
    pub department: Option<String>,
    pub theme: Option<String>,
    pub confidence: Option<DeliveryConfidence>,
    /// Lower-cased search words; a project matches when it contains all of them.
    pub words: Vec<String>,
    pub sort: ProjectSort,
    pub descending: bool,
    pub page: u32,
    pub per_page: u32,
}

impl Default for ProjectFilter {
    fn default() -> Self {
        ProjectFilter {
            stage: None,
            department: None,
            theme: None,
            confidence: None,
            words: Vec::new(),
            sort: ProjectSort::Code,
            descending: false,
            page: 1,
            per_page: 50,
        }
    }
}

impl ProjectFilter {
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page)
    }
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ProjectQuery {
    pub fn parse(&self, default_per_page: u32) -> Result<ProjectFilter, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let stage = present(&self.stage).and_then(|s| errors.check("stage", Stage::parse(s)));
        let confidence = present(&self.confidence)
            .and_then(|c| errors.check("confidence", DeliveryConfidence::parse(c)));
        let slug = |v: &Option<String>, field: &str, errors: &mut ValidationErrors| {
            present(v).and_then(|s| {
                let ok = s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if ok {
                    Some(s.to_string())
                } else {
                    errors.push(field, format!("'{s}' is not a {field} identifier"));
                    None
                }
            })
        };
        let department = slug(&self.department, "department", &mut errors);
        let theme = slug(&self.theme, "theme", &mut errors);
        let words = match present(&self.q).map(|q| clean(q, 200, false, false)) {
            Some(Ok(q)) => q
                .to_lowercase()
                .split_whitespace()
                .take(10)
                .map(str::to_string)
                .collect(),
            Some(Err(e)) => {
                errors.push("q", e);
                Vec::new()
            }
            None => Vec::new(),
        };
        let (sort, descending) = match present(&self.sort) {
            None => (ProjectSort::Code, false),
            Some(s) => {
                let (desc, key) = match s.strip_prefix('-') {
                    Some(k) => (true, k),
                    None => (false, s),
                };
                match ProjectSort::ALL.into_iter().find(|k| k.as_str() == key) {
                    Some(k) => (k, desc),
                    None => {
                        errors.push("sort", format!("'{s}' is not a sort key"));
                        (ProjectSort::Code, false)
                    }
                }
            }
        };
        let number = |v: &Option<String>,
                      field: &str,
                      max: u32,
                      default: u32,
                      errors: &mut ValidationErrors| match present(v) {
            None => default,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    errors.push(field, format!("must be a whole number from 1 to {max}"));
                    default
                }
            },
        };
        let page = number(&self.page, "page", 1_000_000, 1, &mut errors);
        let per_page = number(
            &self.limit,
            "limit",
            MAX_PER_PAGE,
            default_per_page,
            &mut errors,
        );
        errors.into_result(|| ProjectFilter {
            stage,
            department,
            theme,
            confidence,
            words,
            sort,
            descending,
            page,
            per_page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_query() {
        let q = ProjectQuery {
            stage: Some("design".into()),
            q: Some("Case  Management".into()),
            sort: Some("-updated_at".into()),
            page: Some("3".into()),
            limit: Some("100".into()),
            ..Default::default()
        };
        let f = q.parse(25).unwrap();
        assert_eq!(f.stage, Some(Stage::Design));
        assert_eq!(f.words, vec!["case", "management"]);
        assert_eq!(f.sort, ProjectSort::UpdatedAt);
        assert!(f.descending);
        assert_eq!(f.offset(), 200);
    }

    #[test]
    fn names_bad_parameters() {
        let q = ProjectQuery {
            stage: Some("nope".into()),
            limit: Some("100000".into()),
            sort: Some("colour".into()),
            department: Some("a b".into()),
            ..Default::default()
        };
        let e = q.parse(25).unwrap_err();
        for field in ["stage", "limit", "sort", "department"] {
            assert!(e.for_field(field).is_some(), "{field}: {e}");
        }
    }
}
