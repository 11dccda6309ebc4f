//! Exporting the register as JSON and CSV.
//!
//! CSV cells that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) are prefixed with an apostrophe.

use portfolio_domain::{Permission, Project};

use crate::{App, Caller, Result};

pub const CSV_HEADERS: [&str; 17] = [
    "code",
    "title",
    "summary",
    "department",
    "themes",
    "stage",
    "phase",
    "sponsor",
    "manager",
    "start_date",
    "end_date",
    "confidence",
    "capital_pence",
    "revenue_pence",
    "total_cost_pence",
    "tags",
    "published",
];

/// Neutralises a cell a spreadsheet would treat as a formula.
pub fn safe_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

/// The register as CSV text with a header row.
pub fn projects_csv(projects: &[Project]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_HEADERS);
    for p in projects {
        let capital: i64 = p.costs.iter().map(|c| c.capital_pence.pence()).sum();
        let revenue: i64 = p.costs.iter().map(|c| c.revenue_pence.pence()).sum();
        let themes: Vec<&str> = p.themes.iter().map(|t| t.slug.as_str()).collect();
        let row = [
            p.code.clone(),
            p.title.clone(),
            p.summary.clone(),
            p.department.slug.clone(),
            themes.join(";"),
            p.stage.as_str().to_string(),
            p.phase.map(|x| x.as_str().to_string()).unwrap_or_default(),
            p.sponsor.clone(),
            p.manager.clone(),
            p.start_date.map(|d| d.to_string()).unwrap_or_default(),
            p.end_date.map(|d| d.to_string()).unwrap_or_default(),
            p.confidence
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            capital.to_string(),
            revenue.to_string(),
            (capital + revenue).to_string(),
            p.tags.join(";"),
            p.published.to_string(),
        ];
        let _ = w.write_record(row.iter().map(|c| safe_cell(c)));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

impl App {
    /// Every project of the caller's organisation.
    pub async fn export_projects(&self, caller: &Caller) -> Result<Vec<Project>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.all_projects(caller.organisation_id()).await?)
    }

    /// Every project of an organisation named by slug (the CLI's export).
    pub async fn export_organisation(&self, organisation_slug: &str) -> Result<Vec<Project>> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        Ok(self.store.all_projects(org.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Teams"), "Teams");
    }
}
