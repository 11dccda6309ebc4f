//! Highlight report services: a project's report per month, the
//! programme's reports for a month, and the confidence trend.
//!
//! Editors of the project ([`Permission::EditProjects`]: the programme
//! office everywhere, a department lead or project manager in their scope) write reports; everyone reads them. The latest month's report
//! sets the project's delivery confidence, in the same transaction.

use portfolio_domain::highlights::{
    programme_trend, HighlightContext, HighlightDraft, HighlightReport, Month, TopItem, TrendPoint,
};
use portfolio_domain::raid::RaidStatus;
use portfolio_domain::{Permission, ValidationErrors};

use crate::meetings::today;
use crate::{App, AppError, Caller, Result};

/// Months the trend covers, ending with the current one.
pub const TREND_MONTHS: usize = 6;

fn month(text: &str) -> Result<Month> {
    Month::parse(text).map_err(|e| AppError::Validation(ValidationErrors::single("period", e)))
}

impl App {
    /// A project's reports, latest month first.
    pub async fn highlight_reports(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<Vec<HighlightReport>> {
        let project = self.project(caller, code).await?;
        Ok(self
            .store
            .highlight_reports(caller.organisation_id(), project.id)
            .await?)
    }

    pub async fn highlight_report(
        &self,
        caller: &Caller,
        code: &str,
        period: &str,
    ) -> Result<HighlightReport> {
        let project = self.project(caller, code).await?;
        let period = Month::parse(period).map_err(|_| AppError::NotFound("highlight report"))?;
        Ok(self
            .store
            .highlight_report(caller.organisation_id(), project.id, period)
            .await?)
    }

    /// The project's open risks and issues, which a report may name.
    pub async fn reportable_items(&self, caller: &Caller, code: &str) -> Result<Vec<TopItem>> {
        let project = self.project(caller, code).await?;
        Ok(self
            .store
            .raid_items(caller.organisation_id())
            .await?
            .into_iter()
            .filter(|i| {
                i.status == RaidStatus::Open
                    && i.project.as_ref().is_some_and(|p| p.id == project.id)
            })
            .map(|i| TopItem {
                id: i.id,
                reference: i.reference(),
                title: i.title.clone(),
            })
            .collect())
    }

    /// Saves a report: a new one (`version` 0) or the stored one of
    /// `period` read at `version` (the draft's period must then match).
    pub async fn save_highlight_report(
        &self,
        caller: &Caller,
        code: &str,
        period: Option<&str>,
        version: i64,
        draft: &HighlightDraft,
    ) -> Result<HighlightReport> {
        caller.require_somewhere(Permission::EditProjects)?;
        let project = self.project(caller, code).await?;
        caller.require_on_project(Permission::EditProjects, (&project).into())?;
        let mut draft = draft.clone();
        if let Some(p) = period {
            draft.period = month(p)?.as_string();
        }
        let open_items = self.reportable_items(caller, code).await?;
        let today = today();
        let code = code.trim().to_ascii_uppercase();
        let result = self
            .store
            .save_highlight_report(
                caller.organisation_id(),
                &code,
                version,
                &caller.actor(),
                |_| {
                    draft.validate(&HighlightContext {
                        open_items: &open_items,
                        today,
                    })
                },
            )
            .await?;
        result.map_err(AppError::Validation)
    }

    /// Every project's report for `period` (default: the current month, or
    /// the one before while nobody has reported for the current one).
    pub async fn programme_highlights(
        &self,
        caller: &Caller,
        period: Option<&str>,
    ) -> Result<(Month, Vec<HighlightReport>)> {
        caller.require(Permission::ReadProgramme)?;
        let org = caller.organisation_id();
        match period.map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) => {
                let period = month(p)?;
                Ok((period, self.store.highlight_reports_for(org, period).await?))
            }
            None => {
                // Early in a month few have reported yet: show the last month then.
                let now = Month::of(today());
                let reports = self.store.highlight_reports_for(org, now).await?;
                if reports.is_empty() {
                    let before = now.previous();
                    Ok((before, self.store.highlight_reports_for(org, before).await?))
                } else {
                    Ok((now, reports))
                }
            }
        }
    }

    /// The programme's confidence trend over the last [`TREND_MONTHS`] months.
    pub async fn confidence_trend(&self, caller: &Caller) -> Result<Vec<TrendPoint>> {
        caller.require(Permission::ReadProgramme)?;
        let months = Month::of(today()).last(TREND_MONTHS);
        let points = self
            .store
            .confidence_points(caller.organisation_id(), months[0])
            .await?;
        Ok(programme_trend(&points, &months))
    }
}
