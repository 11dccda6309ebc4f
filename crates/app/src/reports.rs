//! Board packs and Cabinet reports: the one path the web, the API and the
//! command line use to gather a report's inputs as at a date, build and
//! check it in the domain, and write it as HTML, Word or PDF — and the stored
//! reports (kind, date, meeting, narrative) and branding that regenerate it.
//!
//! The register (projects, stages, departments, costs) is read as it was at
//! the end of the report's date; RAID, budgets, capacity and the highlight
//! trend are read as they are now (they keep no history of their own), and
//! so is the recommended scenario: the run the programme office recommends.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use portfolio_domain::branding::{parse_display_name, parse_logo};
use portfolio_domain::history::Period;
use portfolio_domain::raid::{RaidStatus, Rating};
use portfolio_domain::report::{
    self, ChangeSummary, ConfidenceSummary, DecisionRequired, HeatMap, MeetingAgenda, Narrative,
    PoolUse, ProjectLine, Report, ReportDraft, ReportInputs, ReportKind, RiskLine, SavedReport,
    ScenarioProject, ScenarioSummary, ScenarioYear, StageDepartment, YearMoney,
};
use portfolio_domain::scenario::{Recommendation, ScenarioResult, ScenarioRun};
use portfolio_domain::{DeliveryConfidence, Permission, Stage, ValidationErrors};
use portfolio_store::StoredBranding;

use crate::history::today;
use crate::{App, AppError, Caller, Result};

/// A document format a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Docx,
    Pdf,
}

impl ReportFormat {
    /// Every format a report can be written in, in the order pages offer them.
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Docx, ReportFormat::Pdf, ReportFormat::Html];

    /// The format's name for people ("Word (DOCX)").
    pub fn label(self) -> &'static str {
        match self {
            ReportFormat::Html => "Web page (HTML)",
            ReportFormat::Docx => "Word (DOCX)",
            ReportFormat::Pdf => "PDF",
        }
    }

    pub fn parse(s: &str) -> std::result::Result<ReportFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "html" => Ok(ReportFormat::Html),
            "docx" | "word" => Ok(ReportFormat::Docx),
            "pdf" => Ok(ReportFormat::Pdf),
            other => Err(format!(
                "'{other}' is not a report format; use docx, pdf or html"
            )),
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            ReportFormat::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Docx => "docx",
            ReportFormat::Pdf => "pdf",
        }
    }
}

/// A written report.
pub struct ReportDocument {
    pub bytes: Vec<u8>,
    pub format: ReportFormat,
    /// A file name such as "board-pack-2026-12-01.docx".
    pub file_name: String,
}

fn check_failed(e: report::CheckFailed) -> AppError {
    AppError::Validation(ValidationErrors::single("report", e.to_string()))
}

fn render_failed(e: portfolio_report::RenderError) -> AppError {
    AppError::Internal(portfolio_store::StoreError::Corrupt(e.to_string()))
}

impl App {
    /// Parses a report's fields against today and the organisation's start.
    pub async fn validate_report(
        &self,
        caller: &Caller,
        draft: &ReportDraft,
    ) -> Result<SavedReport> {
        let founded = self
            .store
            .organisation_founded(caller.organisation_id())
            .await?;
        let report = draft.validate(today(), founded)?;
        if let Some(id) = report.meeting_id {
            if self
                .store
                .meeting(caller.organisation_id(), id)
                .await
                .is_err()
            {
                return Err(ValidationErrors::single(
                    "meeting_id",
                    format!("there is no board meeting {id}"),
                )
                .into());
            }
        }
        Ok(report)
    }

    /// Builds and checks a report from its fields: the domain refuses a
    /// report whose totals do not add up, naming the check.
    pub async fn build_report(&self, caller: &Caller, saved: &SavedReport) -> Result<Report> {
        caller.require(Permission::ReadProgramme)?;
        let inputs = self.report_inputs(caller, saved).await?;
        report::build(&inputs).map_err(check_failed)
    }

    /// Builds a report and writes it in `format`.
    pub async fn render_report(
        &self,
        caller: &Caller,
        saved: &SavedReport,
        format: ReportFormat,
    ) -> Result<ReportDocument> {
        let built = self.build_report(caller, saved).await?;
        let branding = self.report_branding(caller).await?;
        let bytes = match format {
            ReportFormat::Html => {
                let logo = branding
                    .logo
                    .as_ref()
                    .map(|l| (l.kind.mime(), l.bytes.as_slice()));
                portfolio_report::html::document(&built, logo).into_bytes()
            }
            ReportFormat::Docx => {
                portfolio_report::docx::write(&built, &branding).map_err(render_failed)?
            }
            ReportFormat::Pdf => {
                portfolio_report::pdf::write(&built, &branding).map_err(render_failed)?
            }
        };
        Ok(ReportDocument {
            bytes,
            format,
            file_name: format!(
                "{}-{}.{}",
                match saved.kind {
                    ReportKind::Board => "board-pack",
                    ReportKind::Cabinet => "cabinet-report",
                },
                saved.as_at,
                format.extension()
            ),
        })
    }

    /// The name and logo a document's title block shows.
    pub async fn report_branding(&self, caller: &Caller) -> Result<portfolio_report::Branding> {
        let stored = self.branding(caller).await?;
        let org = self.organisation(caller).await?;
        Ok(portfolio_report::Branding {
            name: if stored.display_name.is_empty() {
                org.name
            } else {
                stored.display_name
            },
            logo: stored.logo,
        })
    }

    pub async fn branding(&self, caller: &Caller) -> Result<StoredBranding> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.branding(caller.organisation_id()).await?)
    }

    /// Sets the display name and, when `logo` is given, the logo (checked by
    /// its bytes; `remove_logo` drops it), read at `version`.
    pub async fn put_branding(
        &self,
        caller: &Caller,
        display_name: &str,
        logo: Option<&[u8]>,
        remove_logo: bool,
        version: i64,
    ) -> Result<StoredBranding> {
        caller.require(Permission::ManageOrganisation)?;
        let display_name = parse_display_name(display_name)?;
        let current = self.store.branding(caller.organisation_id()).await?;
        let logo = match logo {
            Some(bytes) if !bytes.is_empty() => Some(
                parse_logo(bytes)
                    .map_err(|e| ValidationErrors::single("logo", format!("The logo {e}")))?,
            ),
            _ if remove_logo => None,
            _ => current.logo,
        };
        Ok(self
            .store
            .put_branding(
                caller.organisation_id(),
                &StoredBranding {
                    display_name,
                    logo,
                    version,
                },
                &caller.actor(),
            )
            .await?)
    }

    pub async fn saved_reports(&self, caller: &Caller) -> Result<Vec<SavedReport>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.reports(caller.organisation_id()).await?)
    }

    pub async fn saved_report(&self, caller: &Caller, id: i64) -> Result<SavedReport> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.report(caller.organisation_id(), id).await?)
    }

    /// Keeps a new report; it is built (and checked) first, so a report
    /// that cannot be produced is never kept.
    pub async fn create_report(&self, caller: &Caller, draft: &ReportDraft) -> Result<SavedReport> {
        caller.require(Permission::EditProjects)?;
        let report = self.validate_report(caller, draft).await?;
        self.build_report(caller, &report).await?;
        Ok(self
            .store
            .create_report(caller.organisation_id(), &report, &caller.actor())
            .await?)
    }

    /// Replaces a report's fields, read at `version`.
    pub async fn update_report(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        draft: &ReportDraft,
    ) -> Result<SavedReport> {
        caller.require(Permission::EditProjects)?;
        self.store.report(caller.organisation_id(), id).await?;
        let report = SavedReport {
            id,
            version,
            ..self.validate_report(caller, draft).await?
        };
        self.build_report(caller, &report).await?;
        Ok(self
            .store
            .update_report(caller.organisation_id(), &report, &caller.actor())
            .await?)
    }

    /// When a report was last changed, and by whom (its latest audit record).
    pub async fn report_last_changed(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<Option<crate::AuditEntry>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .history(caller.organisation_id(), "report", id)
            .await?
            .pop())
    }

    /// The board pack kept for a board meeting, if one is.
    pub async fn meeting_board_pack(
        &self,
        caller: &Caller,
        meeting_id: i64,
    ) -> Result<Option<SavedReport>> {
        Ok(self
            .saved_reports(caller)
            .await?
            .into_iter()
            .find(|r| r.kind == ReportKind::Board && r.meeting_id == Some(meeting_id)))
    }

    /// The board pack for a board meeting: the one kept, or a new one as at
    /// the meeting's date (today, when the meeting is still to come).
    pub async fn open_board_pack(&self, caller: &Caller, meeting_id: i64) -> Result<SavedReport> {
        // Readers follow the meeting page's link to a pack; this may make one.
        caller.require(Permission::EditProjects)?;
        if let Some(pack) = self.meeting_board_pack(caller, meeting_id).await? {
            return Ok(pack);
        }
        let record = self.meeting(caller, meeting_id).await?;
        let as_at = record.meeting.meets_on.min(today());
        self.create_report(
            caller,
            &ReportDraft {
                kind: ReportKind::Board.as_str().into(),
                title: format!("Board pack for {}", record.meeting.title),
                as_at: as_at.to_string(),
                meeting_id: Some(meeting_id),
                ..ReportDraft::default()
            },
        )
        .await
    }

    /// Gathers everything a report is built from, as at its date.
    async fn report_inputs(&self, caller: &Caller, saved: &SavedReport) -> Result<ReportInputs> {
        let org_id = caller.organisation_id();
        let reference = self.reference(caller).await?;
        let as_at = saved.as_at;
        let projects = self.projects_at_end_of(caller, as_at).await?;

        // Projects by stage × department, every stage in order.
        let departments_named: BTreeMap<i64, String> = reference
            .departments
            .iter()
            .map(|d| (d.id, d.name.clone()))
            .collect();
        let stages: Vec<Stage> = Stage::ALL.to_vec();
        let mut rows: BTreeMap<(String, i64), Vec<i64>> = BTreeMap::new();
        for d in &reference.departments {
            rows.insert((d.name.clone(), d.id), vec![0; stages.len()]);
        }
        let mut lines = Vec::with_capacity(projects.len());
        for p in projects.iter() {
            let name = departments_named
                .get(&p.department.id)
                .cloned()
                .unwrap_or_else(|| p.department.name.clone());
            let row = rows
                .entry((name.clone(), p.department.id))
                .or_insert_with(|| vec![0; stages.len()]);
            if let Some(i) = stages.iter().position(|s| *s == p.stage) {
                row[i] += 1;
            }
            lines.push(ProjectLine {
                code: p.code.clone(),
                title: p.title.clone(),
                department: name,
                stage: p.stage.label().to_string(),
                confidence: p
                    .confidence
                    .map_or("Not rated".to_string(), |c| c.label().to_string()),
                start: p.start_date,
                end: p.end_date,
                cost_pence: p.total_cost().pence(),
                costed: !p.costs.is_empty(),
            });
        }
        lines.sort_by(|a, b| a.code.cmp(&b.code));
        let stage_totals: Vec<i64> = (0..stages.len())
            .map(|i| rows.values().map(|r| r[i]).sum())
            .collect();
        let stage_department = StageDepartment {
            total: projects.len() as i64,
            stages: stages.iter().map(|s| s.label().to_string()).collect(),
            stage_totals,
            departments: rows
                .into_iter()
                .map(|((name, _), r)| {
                    let t = r.iter().sum();
                    (name, r, t)
                })
                .collect(),
        };

        // Delivery confidence of the projects as at the date.
        let mut counts: Vec<(String, i64)> = DeliveryConfidence::ALL
            .iter()
            .map(|c| {
                (
                    c.label().to_string(),
                    projects.iter().filter(|p| p.confidence == Some(*c)).count() as i64,
                )
            })
            .collect();
        counts.push((
            "Not rated".into(),
            projects.iter().filter(|p| p.confidence.is_none()).count() as i64,
        ));
        let trend = self.confidence_trend(caller).await?;
        let confidence = ConfidenceSummary {
            counts,
            total: projects.len() as i64,
            ratings: DeliveryConfidence::ALL
                .iter()
                .map(|c| c.label().to_string())
                .collect(),
            trend: trend
                .iter()
                .filter(|t| t.reported > 0)
                .map(|t| {
                    (
                        t.month.as_string(),
                        DeliveryConfidence::ALL
                            .iter()
                            .map(|c| {
                                t.counts
                                    .iter()
                                    .filter(|x| x.confidence == *c)
                                    .map(|x| x.count as i64)
                                    .sum()
                            })
                            .collect(),
                        t.reported as i64,
                    )
                })
                .collect(),
        };

        // Money by financial year against the budgets.
        let budgets = self.store.budgets(org_id).await?;
        let mut years: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
        for p in projects.iter() {
            for c in &p.costs {
                let e = years.entry(c.year.start_year()).or_default();
                e.0 += c.capital_pence.pence();
                e.1 += c.revenue_pence.pence();
            }
        }
        let money = years
            .into_iter()
            .map(|(y, (capital, revenue))| YearMoney {
                year: format!("{}/{:02}", y, (y + 1) % 100),
                capital_pence: capital,
                revenue_pence: revenue,
                total_pence: capital + revenue,
                budget_pence: budgets
                    .iter()
                    .find(|b| b.year.start_year() == y)
                    .map(|b| b.capital.pence() + b.revenue.pence()),
            })
            .collect();

        // Capacity over the financial year of the date.
        let start_month = reference.organisation.financial_year_start_month;
        let fy = if as_at.month() >= start_month {
            as_at.year()
        } else {
            as_at.year() - 1
        };
        let (first, quarters) = crate::capacity::heat_map_range(
            Some(&format!("{fy}-{:02}", (fy + 1) % 100)),
            Some("4"),
            start_month,
        )?;
        let capacity = self
            .heat_map(caller, first, quarters)
            .await?
            .rows
            .iter()
            .map(|r| PoolUse {
                pool: r.name.clone(),
                capacity_days: r.cells.iter().map(|c| c.supply).sum::<f64>().round() as i64,
                demand_days: r.cells.iter().map(|c| c.demand).sum::<f64>().round() as i64,
            })
            .collect();

        // Risks now: the open ones on the heat map, the top by score.
        let items = self.store.raid_items(org_id).await?;
        let scales = self.store.risk_scales(org_id).await?;
        let mut cells = [[0i64; 5]; 5];
        let mut risks = Vec::new();
        let mut any_risk = false;
        for i in &items {
            let Some(r) = &i.risk else { continue };
            any_risk = true;
            if i.status != RaidStatus::Open {
                continue;
            }
            let (l, im) = (r.current.likelihood, r.current.impact);
            if (1..=5).contains(&l) && (1..=5).contains(&im) {
                cells[usize::from(5 - l)][usize::from(im - 1)] += 1;
            }
            risks.push(RiskLine {
                reference: i.reference(),
                title: i.title.clone(),
                project: i
                    .project
                    .as_ref()
                    .map_or("Programme".into(), |p| p.code.clone()),
                owner: i.owner.name.clone(),
                score: r.current.value(),
                rating: Rating::of(r.current.value()).label().to_string(),
            });
        }
        risks.sort_by(|a, b| b.score.cmp(&a.score).then(a.reference.cmp(&b.reference)));
        let heat_map = any_risk.then(|| HeatMap {
            cells,
            open_risks: risks.len() as i64,
            likelihood_words: scales.likelihood.clone(),
            impact_words: scales.impact.clone(),
        });

        // Decisions required and the meeting's agenda.
        let pending = self.pending_for_board(caller).await?;
        let mut decisions: Vec<DecisionRequired> = pending
            .gate_requests
            .iter()
            .map(|(_, code, title, gate)| DecisionRequired {
                kind: "Gate request".into(),
                reference: code.clone(),
                text: format!("{title}: {gate}"),
            })
            .collect();
        decisions.extend(pending.escalated_risks.iter().map(
            |(_, reference, title, score, code)| DecisionRequired {
                kind: "Escalated risk".into(),
                reference: reference.clone(),
                text: format!(
                    "{title} (score {score}{})",
                    code.as_ref().map(|c| format!(", {c}")).unwrap_or_default()
                ),
            },
        ));
        let mut previous = None;
        let agenda = match saved.meeting_id {
            Some(id) => {
                let record = self.meeting(caller, id).await?;
                previous = self
                    .previous_meeting(caller, &record.meeting)
                    .await?
                    .map(|m| m.meets_on);
                Some(MeetingAgenda {
                    title: record.meeting.title.clone(),
                    date: record.meeting.meets_on,
                    items: record
                        .agenda
                        .iter()
                        .map(|a| {
                            if a.detail.is_empty() {
                                a.title.clone()
                            } else {
                                format!("{}: {}", a.title, a.detail)
                            }
                        })
                        .collect(),
                })
            }
            None => None,
        };
        // Changes since the previous meeting, or the previous report of the
        // same kind, or over the month before the date.
        if previous.is_none() {
            previous = self
                .store
                .reports(org_id)
                .await?
                .iter()
                .filter(|r| r.kind == saved.kind && r.as_at < as_at && r.id != saved.id)
                .map(|r| r.as_at)
                .max();
        }
        let since = previous
            .and_then(|d| d.succ_opt())
            .unwrap_or_else(|| as_at - chrono::Duration::days(30))
            .min(as_at);
        let changes = self
            .changes_in(
                caller,
                Period {
                    since,
                    until: as_at,
                },
            )
            .await?;
        let c = &changes.counts;
        let mut change_lines: Vec<String> = Vec::new();
        change_lines.extend(
            changes
                .new_projects
                .iter()
                .map(|n| format!("{} {} was added", n.project.code, n.project.title)),
        );
        change_lines.extend(changes.stage_moves.iter().map(|m| {
            format!(
                "{} {} moved from {} to {}",
                m.project.code,
                m.project.title,
                m.from.label(),
                m.to.label()
            )
        }));
        change_lines.extend(changes.confidence_changes.iter().map(|m| {
            let l = |c: Option<DeliveryConfidence>| c.map_or("not rated", |c| c.label());
            format!(
                "{} {}: delivery confidence from {} to {}",
                m.project.code,
                m.project.title,
                l(m.from),
                l(m.to)
            )
        }));
        change_lines.extend(changes.decisions.iter().map(|d| d.summary.clone()));
        let change_summary = ChangeSummary {
            counts: vec![
                ("New projects".into(), c.new_projects as i64),
                ("Stage moves".into(), c.stage_moves as i64),
                (
                    "Delivery confidence changes".into(),
                    c.confidence_changes as i64,
                ),
                ("Cost changes".into(), c.cost_changes as i64),
                ("Date changes".into(), c.date_changes as i64),
                ("Risks opened".into(), c.risks_opened as i64),
                ("Risks closed".into(), c.risks_closed as i64),
                ("Risks rescored".into(), c.risks_rescored as i64),
                ("Decisions".into(), c.decisions as i64),
            ],
            lines: change_lines,
        };

        let scenario = self
            .recommended_scenario(caller)
            .await?
            .map(|(recommendation, run, result)| scenario_summary(&recommendation, &run, &result));

        let branding = self.report_branding(caller).await?;
        Ok(ReportInputs {
            kind: saved.kind,
            organisation: branding.name,
            title: saved.title.clone(),
            as_at,
            previous: Some(since.pred_opt().unwrap_or(since)),
            projects: lines,
            stage_department,
            changes: Some(change_summary),
            decisions,
            agenda,
            risks,
            heat_map,
            confidence,
            money,
            capacity,
            scenario,
            narrative: saved.narrative.clone(),
        })
    }
}

/// The recommended run's programme as a report shows it.
fn scenario_summary(
    recommendation: &Recommendation,
    run: &ScenarioRun,
    result: &ScenarioResult,
) -> ScenarioSummary {
    let years: Vec<ScenarioYear> = result
        .spend
        .iter()
        .map(|y| ScenarioYear {
            year: y.year.clone(),
            spend_pence: y.capital_spend_pence + y.revenue_spend_pence,
            budget_pence: match (y.capital_budget_pence, y.revenue_budget_pence) {
                (None, None) => None,
                (c, r) => Some(c.unwrap_or(0) + r.unwrap_or(0)),
            },
        })
        .collect();
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or(run.started_at.date_naive(), |t| t.date_naive())
    };
    ScenarioSummary {
        name: result.scenario_name.clone(),
        recommended_by: recommendation.recommended_by.clone(),
        recommended_on: day(recommendation.recommended_at),
        run_on: day(run.finished_at),
        selected: result.chosen().count() as i64,
        cost_pence: years.iter().map(|y| y.spend_pence).sum(),
        budget_pence: years
            .iter()
            .map(|y| y.budget_pence)
            .sum::<Option<i64>>()
            .filter(|_| !years.is_empty()),
        projects: result
            .projects
            .iter()
            .map(|p| ScenarioProject {
                code: p.code.clone(),
                title: p.title.clone(),
                included: p.included,
                start: p.start.clone(),
                value: p.value,
                reason: p.reasons.first().cloned().unwrap_or_default(),
            })
            .collect(),
        years,
    }
}

/// A report not kept: its fields from a kind and a date, for the direct
/// API route and the command line.
pub fn unsaved(kind: ReportKind, as_at: NaiveDate) -> SavedReport {
    SavedReport {
        id: 0,
        kind,
        title: format!("{} {}", kind.label(), as_at.format("%-d %B %Y")),
        as_at,
        meeting_id: None,
        narrative: Narrative::default(),
        version: 0,
    }
}
