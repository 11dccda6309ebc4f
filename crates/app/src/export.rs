//! Exporting the register and the RAID register as JSON and CSV.
//!
//! CSV cells that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) are prefixed with an apostrophe.

use portfolio_domain::raid::{RaidItem, RiskDetail};
use portfolio_domain::{Permission, Project};

use crate::{App, Caller, Result};

pub const CSV_HEADERS: [&str; 18] = [
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
    "residents",
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
            p.residents.clone(),
        ];
        let _ = w.write_record(row.iter().map(|c| safe_cell(c)));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

pub const RAID_CSV_HEADERS: [&str; 24] = [
    "reference",
    "kind",
    "project",
    "title",
    "description",
    "owner",
    "status",
    "closed_on",
    "review_date",
    "review_overdue",
    "cause",
    "event",
    "effect",
    "inherent_score",
    "current_likelihood",
    "current_impact",
    "current_score",
    "current_rating",
    "target_score",
    "response",
    "proximity",
    "escalated",
    "priority",
    "resolution",
];

/// RAID items as CSV text with a header row, judged overdue against `today`.
pub fn raid_csv(items: &[RaidItem], today: chrono::NaiveDate) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(RAID_CSV_HEADERS);
    for i in items {
        let r = i.risk.as_ref();
        let text = |f: fn(&RiskDetail) -> &str| r.map(|r| f(r).to_string()).unwrap_or_default();
        let number = |n: Option<u8>| n.map(|n| n.to_string()).unwrap_or_default();
        let row = [
            i.reference(),
            i.kind.as_str().to_string(),
            i.project
                .as_ref()
                .map(|p| p.code.clone())
                .unwrap_or_default(),
            i.title.clone(),
            i.description.clone(),
            i.owner.email.clone(),
            i.status.as_str().to_string(),
            i.closed_on.map(|d| d.to_string()).unwrap_or_default(),
            i.review_date.map(|d| d.to_string()).unwrap_or_default(),
            i.review_overdue(today).to_string(),
            text(|r| &r.cause),
            text(|r| &r.event),
            text(|r| &r.effect),
            number(r.map(|r| r.inherent.value())),
            number(r.map(|r| r.current.likelihood)),
            number(r.map(|r| r.current.impact)),
            number(r.map(|r| r.current.value())),
            i.rating()
                .map(|x| x.label().to_string())
                .unwrap_or_default(),
            number(r.map(|r| r.target.value())),
            r.map(|r| r.response.as_str().to_string())
                .unwrap_or_default(),
            r.and_then(|r| r.proximity.map(|p| p.to_string()))
                .unwrap_or_default(),
            r.map(|r| r.escalated.to_string()).unwrap_or_default(),
            i.issue
                .as_ref()
                .map(|x| x.priority.as_str().to_string())
                .unwrap_or_default(),
            i.issue
                .as_ref()
                .map(|x| x.resolution.clone())
                .unwrap_or_default(),
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
