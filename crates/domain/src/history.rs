//! History: what changed in the programme between two dates, and the
//! register as it was at a past date.
//!
//! The audit trail holds every record's state after each change. The store
//! reads, for each record changed in a [`Period`], only its state before the
//! period's first change and after its last ([`RecordChange`]);
//! [`Changes::classify`] turns those into what a board reads: new projects,
//! stage moves, confidence, cost and date changes, risks opened, closed and
//! re-scored, and decisions taken. Audit documents are read leniently, as
//! JSON: a field this version does not know is ignored, a record of an
//! entity it does not know is left out, so old or newer records never stop
//! the page.
//!
//! For the register "as at" a date, [`AsAtRegister`] filters, sorts and
//! pages the projects' states at that date exactly as the store does the
//! live register, and [`grouped_counts`] counts them for the dashboard.
//!
//! No I/O here: the caller passes today's date and the records.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::confidence::DeliveryConfidence;
use crate::dashboard::GroupedCounts;
use crate::errors::ValidationErrors;
use crate::filter::{ProjectFilter, ProjectSort};
use crate::project::{Project, ProjectCode};
use crate::quarters::{MAX_YEAR, MIN_YEAR};
use crate::stage::Stage;

/// The audited entities whose changes a period summarises.
pub const SUMMARISED_ENTITIES: [&str; 4] =
    ["project", "raid_item", "gate_request", "board_decision"];

/// Rows a page shows in one section at most; the API and the command line
/// give every row.
pub const PAGE_SECTION_LIMIT: usize = 200;

/// Days from the start to the end of a period, inclusive, at most (about 30 years).
pub const MAX_PERIOD_DAYS: i64 = 11_000;

// ---------------------------------------------------------------------------
// Dates and periods
// ---------------------------------------------------------------------------

/// A calendar date typed as `YYYY-MM-DD`, or as the three boxes of a GOV.UK
/// date input (day, month, year). Blank means not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateEntry {
    pub iso: Option<String>,
    pub day: Option<String>,
    pub month: Option<String>,
    pub year: Option<String>,
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

impl DateEntry {
    pub fn iso(text: &str) -> DateEntry {
        DateEntry {
            iso: Some(text.to_string()),
            ..DateEntry::default()
        }
    }

    /// Whether nothing was typed.
    pub fn is_blank(&self) -> bool {
        blank(&self.iso) && blank(&self.day) && blank(&self.month) && blank(&self.year)
    }

    /// The date, `None` when blank, or why it is not one.
    pub fn parse(&self) -> Result<Option<NaiveDate>, String> {
        let date = if !blank(&self.iso) {
            let s = self.iso.as_deref().unwrap_or("").trim();
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .filter(|_| s.len() == 10)
                .ok_or_else(|| format!("'{s}' is not a real date; write it like 2026-03-31"))?
        } else if blank(&self.day) && blank(&self.month) && blank(&self.year) {
            return Ok(None);
        } else {
            let part = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
            let (day, month, year) = (part(&self.day), part(&self.month), part(&self.year));
            let missing: Vec<&str> = [("a day", &day), ("a month", &month), ("a year", &year)]
                .iter()
                .filter(|(_, v)| v.is_empty())
                .map(|(name, _)| *name)
                .collect();
            if !missing.is_empty() {
                return Err(format!("must include {}", missing.join(" and ")));
            }
            match (
                day.parse::<u32>(),
                month.parse::<u32>(),
                year.parse::<i32>(),
            ) {
                (Ok(d), Ok(m), Ok(y)) if year.len() == 4 => NaiveDate::from_ymd_opt(y, m, d)
                    .ok_or_else(|| "must be a real date, like 31 3 2026".to_string())?,
                _ => return Err("must be a real date, like 31 3 2026".to_string()),
            }
        };
        if !(MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
            return Err(format!("must be between {MIN_YEAR} and {MAX_YEAR}"));
        }
        Ok(Some(date))
    }
}

/// From the start of `since` to the end of `until`, both days included
/// (days in UTC, as the audit trail records time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub struct Period {
    /// The first day of the period.
    pub since: NaiveDate,
    /// The last day of the period.
    pub until: NaiveDate,
}

/// The first instant of a day.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// The first instant after a day (the end of a day, exclusive).
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    start_of(day.succ_opt().unwrap_or(day))
}

impl Period {
    /// Parses a period: `since` is required; `until` defaults to `today`; a
    /// `since` after `until` is refused, naming `since`. `until` may be after
    /// today (a meeting not yet held): nothing has changed there yet.
    pub fn parse(
        since: &DateEntry,
        until: &DateEntry,
        today: NaiveDate,
    ) -> Result<Period, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let since_date = match since.parse() {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.push(
                    "since",
                    "enter the first day of the period, like 2026-03-01",
                );
                None
            }
            Err(e) => {
                errors.push("since", e);
                None
            }
        };
        let until_date = match until.parse() {
            Ok(d) => Some(d.unwrap_or(today)),
            Err(e) => {
                errors.push("until", e);
                None
            }
        };
        if let (Some(s), Some(u)) = (since_date, until_date) {
            if s > u {
                errors.push(
                    "since",
                    format!("must be the same as or before the end of the period ('until', {u}), not after it"),
                );
            } else if (u - s).num_days() > MAX_PERIOD_DAYS {
                errors.push(
                    "since",
                    format!("must be within {MAX_PERIOD_DAYS} days of the end of the period"),
                );
            }
        }
        match (since_date, until_date) {
            (Some(since), Some(until)) if errors.is_empty() => Ok(Period { since, until }),
            _ => Err(errors),
        }
    }

    /// The first instant of the period.
    pub fn start(&self) -> DateTime<Utc> {
        start_of(self.since)
    }

    /// The first instant after the period.
    pub fn end(&self) -> DateTime<Utc> {
        end_of(self.until)
    }
}

/// Parses the date of an "as at" view: blank is `None` (the register as it
/// is now); a date after today is refused, naming `field`.
pub fn parse_as_at(
    field: &str,
    entry: &DateEntry,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, ValidationErrors> {
    match entry.parse() {
        Ok(Some(d)) if d > today => Err(ValidationErrors::single(
            field,
            format!("must be today ({today}) or earlier: the register's future is not written yet"),
        )),
        Ok(d) => Ok(d),
        Err(e) => Err(ValidationErrors::single(field, e)),
    }
}

// ---------------------------------------------------------------------------
// Records and their classification
// ---------------------------------------------------------------------------

/// One audited record changed in a period: its state before the period's
/// first change to it and after the last, as the audit trail stores them.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordChange {
    pub entity: String,
    pub entity_id: i64,
    /// Before the first change in the period; `None` if it was created then.
    pub before: Option<Value>,
    /// After the last change in the period; `None` if it was deleted.
    pub after: Option<Value>,
    /// How many changes the period holds for it.
    pub change_count: i64,
    /// When and by whom the last of them was made.
    pub last_at: DateTime<Utc>,
    pub last_actor: String,
}

/// A project named in a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProjectMention {
    pub id: i64,
    pub code: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NewProject {
    pub project: ProjectMention,
    /// Its stage at the end of the period.
    pub stage: Option<Stage>,
    pub department: Option<String>,
    pub total_cost_pence: i64,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StageMove {
    pub project: ProjectMention,
    pub from: Stage,
    pub to: Stage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConfidenceChange {
    pub project: ProjectMention,
    /// None: no rating.
    pub from: Option<DeliveryConfidence>,
    pub to: Option<DeliveryConfidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CostChange {
    pub project: ProjectMention,
    /// Capital plus revenue over all years, in pence.
    pub from_pence: i64,
    pub to_pence: i64,
    /// `to_pence - from_pence`.
    pub difference_pence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DateChange {
    pub project: ProjectMention,
    pub start_from: Option<NaiveDate>,
    pub start_to: Option<NaiveDate>,
    pub end_from: Option<NaiveDate>,
    pub end_to: Option<NaiveDate>,
}

/// A risk's current score: likelihood × impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskScore {
    pub likelihood: i64,
    pub impact: i64,
    pub score: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskMention {
    pub id: i64,
    /// "R12".
    pub reference: String,
    pub title: String,
    /// None for a programme-level risk.
    pub project: Option<ProjectMention>,
    /// The current score at the end of the period.
    pub score: Option<RiskScore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskRescore {
    pub risk: RiskMention,
    pub from: RiskScore,
    pub to: RiskScore,
}

/// Who took a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionSource {
    /// The board's decision on a gate request.
    Gate,
    /// A decision recorded at a board meeting.
    Board,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeDecision)]
pub struct Decision {
    pub source: DecisionSource,
    /// The gate request's or the board decision's id.
    pub id: i64,
    /// What was decided, in words.
    pub summary: String,
    /// A gate's outcome: approved, approved_with_conditions, deferred or rejected.
    pub outcome: Option<String>,
    pub project: Option<ProjectMention>,
    pub meeting_id: Option<i64>,
    pub meeting_title: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The gate request a board decision was about.
    pub gate_request_id: Option<i64>,
}

/// How many of each kind of change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChangeCounts {
    pub new_projects: usize,
    pub stage_moves: usize,
    pub confidence_changes: usize,
    pub cost_changes: usize,
    pub date_changes: usize,
    pub risks_opened: usize,
    pub risks_closed: usize,
    pub risks_rescored: usize,
    pub decisions: usize,
    /// Projects with any change at all (new or changed).
    pub projects_changed: usize,
}

impl ChangeCounts {
    pub fn total(&self) -> usize {
        self.new_projects
            + self.stage_moves
            + self.confidence_changes
            + self.cost_changes
            + self.date_changes
            + self.risks_opened
            + self.risks_closed
            + self.risks_rescored
            + self.decisions
    }
}

/// What changed in a period, by kind, each list in project-code order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Changes {
    pub period: Period,
    pub counts: ChangeCounts,
    pub new_projects: Vec<NewProject>,
    pub stage_moves: Vec<StageMove>,
    pub confidence_changes: Vec<ConfidenceChange>,
    pub cost_changes: Vec<CostChange>,
    pub date_changes: Vec<DateChange>,
    pub risks_opened: Vec<RiskMention>,
    pub risks_closed: Vec<RiskMention>,
    pub risks_rescored: Vec<RiskRescore>,
    pub decisions: Vec<Decision>,
}

// Lenient readers of audit documents.

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn date(v: &Value, key: &str) -> Option<NaiveDate> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn stage(v: &Value) -> Option<Stage> {
    v.get("stage")
        .and_then(Value::as_str)
        .and_then(|s| Stage::parse(s).ok())
}

fn confidence(v: &Value) -> Option<DeliveryConfidence> {
    v.get("confidence")
        .and_then(Value::as_str)
        .and_then(|s| DeliveryConfidence::parse(s).ok())
}

/// Capital plus revenue over every cost line, in pence.
fn total_cost(v: &Value) -> i64 {
    v.get("costs")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    int(l, "capital_pence")
                        .unwrap_or(0)
                        .saturating_add(int(l, "revenue_pence").unwrap_or(0))
                })
                .fold(0i64, i64::saturating_add)
        })
        .unwrap_or(0)
}

fn project_mention(id: i64, v: &Value) -> ProjectMention {
    ProjectMention {
        id,
        code: text(v, "code").unwrap_or_default(),
        title: text(v, "title").unwrap_or_default(),
    }
}

fn risk_score(v: &Value) -> Option<RiskScore> {
    let current = v.get("risk")?.get("current")?;
    let likelihood = int(current, "likelihood")?;
    let impact = int(current, "impact")?;
    Some(RiskScore {
        likelihood,
        impact,
        score: likelihood * impact,
    })
}

fn is_risk(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("risk")
}

fn status(v: &Value) -> Option<&str> {
    v.get("status").and_then(Value::as_str)
}

fn risk_mention(id: i64, v: &Value) -> RiskMention {
    RiskMention {
        id,
        reference: format!("R{id}"),
        title: text(v, "title").unwrap_or_default(),
        project: v
            .get("project")
            .filter(|p| p.is_object())
            .map(|p| project_mention(int(p, "id").unwrap_or(0), p)),
        score: risk_score(v),
    }
}

/// Sorts by project code number (DP-9 before DP-10), then code, then id.
fn code_key(m: Option<&ProjectMention>) -> (u32, String, i64) {
    match m {
        Some(p) => (
            ProjectCode::parse(&p.code)
                .map(|c| c.number())
                .unwrap_or(u32::MAX),
            p.code.clone(),
            p.id,
        ),
        None => (0, String::new(), 0),
    }
}

impl Changes {
    /// What changed in `period`, from each record's state before and after it.
    ///
    /// A project created in the period is new (not also a stage move or a
    /// cost change); a project's stage, confidence, total cost and start or
    /// end date count as changed when they differ between the start and the
    /// end of the period (a change undone within it is no change). A risk is
    /// opened when created open or reopened, closed when it goes from open
    /// (or new) to closed, re-scored when its current likelihood × impact
    /// differs. A gate request is decided when it leaves `pending`; a board
    /// decision when it is recorded. A board decision about a gate request
    /// decided in the same period is listed once, with its meeting.
    pub fn classify(period: Period, records: &[RecordChange]) -> Changes {
        let mut c = Changes {
            period,
            counts: ChangeCounts::default(),
            new_projects: Vec::new(),
            stage_moves: Vec::new(),
            confidence_changes: Vec::new(),
            cost_changes: Vec::new(),
            date_changes: Vec::new(),
            risks_opened: Vec::new(),
            risks_closed: Vec::new(),
            risks_rescored: Vec::new(),
            decisions: Vec::new(),
        };
        let mut changed_projects = std::collections::BTreeSet::new();
        let mut board: Vec<Decision> = Vec::new();
        for r in records {
            let Some(after) = r.after.as_ref().filter(|a| a.is_object()) else {
                continue;
            };
            let before = r.before.as_ref().filter(|b| b.is_object());
            match r.entity.as_str() {
                "project" => {
                    let changed = c.classify_project(r.entity_id, before, after, &r.last_actor);
                    if changed {
                        changed_projects.insert(r.entity_id);
                    }
                }
                "raid_item" if is_risk(after) => {
                    let mention = risk_mention(r.entity_id, after);
                    let was_open = before.map(|b| status(b) == Some("open"));
                    let open_now = status(after) == Some("open");
                    if open_now && was_open != Some(true) {
                        c.risks_opened.push(mention.clone());
                    }
                    if status(after) == Some("closed") && was_open != Some(false) {
                        c.risks_closed.push(mention.clone());
                    }
                    if let (Some(from), Some(to)) = (before.and_then(risk_score), risk_score(after))
                    {
                        if (from.likelihood, from.impact) != (to.likelihood, to.impact) {
                            c.risks_rescored.push(RiskRescore {
                                risk: mention,
                                from,
                                to,
                            });
                        }
                    }
                }
                "gate_request" => {
                    let decided_now = status(after).is_some_and(|s| s != "pending");
                    let pending_before = before.is_none_or(|b| status(b) == Some("pending"));
                    if decided_now && pending_before {
                        c.decisions.push(gate_decision(r.entity_id, after));
                    }
                }
                "board_decision" if before.is_none() => {
                    board.push(board_decision(r.entity_id, after));
                }
                _ => {}
            }
        }
        for b in board {
            let same_gate = b.gate_request_id.and_then(|g| {
                c.decisions
                    .iter_mut()
                    .find(|d| d.source == DecisionSource::Gate && d.id == g)
            });
            match same_gate {
                Some(gate) => {
                    gate.meeting_id = gate.meeting_id.or(b.meeting_id);
                    gate.meeting_title = b.meeting_title.clone();
                }
                None => c.decisions.push(b),
            }
        }
        c.new_projects.sort_by_key(|p| code_key(Some(&p.project)));
        c.stage_moves.sort_by_key(|p| code_key(Some(&p.project)));
        c.confidence_changes
            .sort_by_key(|p| code_key(Some(&p.project)));
        c.cost_changes.sort_by_key(|p| code_key(Some(&p.project)));
        c.date_changes.sort_by_key(|p| code_key(Some(&p.project)));
        let risk_key = |r: &RiskMention| (code_key(r.project.as_ref()), r.id);
        c.risks_opened.sort_by_key(risk_key);
        c.risks_closed.sort_by_key(risk_key);
        c.risks_rescored.sort_by_key(|r| risk_key(&r.risk));
        c.decisions.sort_by(|a, b| {
            a.decided_at
                .cmp(&b.decided_at)
                .then_with(|| code_key(a.project.as_ref()).cmp(&code_key(b.project.as_ref())))
                .then(a.id.cmp(&b.id))
        });
        c.counts = ChangeCounts {
            new_projects: c.new_projects.len(),
            stage_moves: c.stage_moves.len(),
            confidence_changes: c.confidence_changes.len(),
            cost_changes: c.cost_changes.len(),
            date_changes: c.date_changes.len(),
            risks_opened: c.risks_opened.len(),
            risks_closed: c.risks_closed.len(),
            risks_rescored: c.risks_rescored.len(),
            decisions: c.decisions.len(),
            projects_changed: changed_projects.len(),
        };
        c
    }

    /// Records a project's changes; whether it changed in a way listed.
    fn classify_project(
        &mut self,
        id: i64,
        before: Option<&Value>,
        after: &Value,
        actor: &str,
    ) -> bool {
        let mention = project_mention(id, after);
        let Some(before) = before else {
            self.new_projects.push(NewProject {
                project: mention,
                stage: stage(after),
                department: after.get("department").and_then(|d| text(d, "name")),
                total_cost_pence: total_cost(after),
                by: actor.to_string(),
            });
            return true;
        };
        let mut changed = false;
        if let (Some(from), Some(to)) = (stage(before), stage(after)) {
            if from != to {
                self.stage_moves.push(StageMove {
                    project: mention.clone(),
                    from,
                    to,
                });
                changed = true;
            }
        }
        let (from, to) = (confidence(before), confidence(after));
        if from != to {
            self.confidence_changes.push(ConfidenceChange {
                project: mention.clone(),
                from,
                to,
            });
            changed = true;
        }
        let (from_pence, to_pence) = (total_cost(before), total_cost(after));
        if from_pence != to_pence {
            self.cost_changes.push(CostChange {
                project: mention.clone(),
                from_pence,
                to_pence,
                difference_pence: to_pence.saturating_sub(from_pence),
            });
            changed = true;
        }
        let dates = |v: &Value| (date(v, "start_date"), date(v, "end_date"));
        let ((start_from, end_from), (start_to, end_to)) = (dates(before), dates(after));
        if (start_from, end_from) != (start_to, end_to) {
            self.date_changes.push(DateChange {
                project: mention,
                start_from,
                start_to,
                end_from,
                end_to,
            });
            changed = true;
        }
        changed
    }
}

fn gate_decision(id: i64, after: &Value) -> Decision {
    let decision = after.get("decision").filter(|d| d.is_object());
    let outcome = decision
        .and_then(|d| text(d, "outcome"))
        .or_else(|| text(after, "status"));
    let from = text(after, "from_stage").and_then(|s| Stage::parse(&s).ok());
    let to = text(after, "to_stage").and_then(|s| Stage::parse(&s).ok());
    let gate = match (from, to) {
        (Some(f), Some(t)) => format!("{} to {}", f.label(), t.label()),
        _ => "a stage gate".to_string(),
    };
    let outcome_words = outcome
        .as_deref()
        .map(|o| o.replace('_', " "))
        .unwrap_or_else(|| "decided".to_string());
    let mut summary = format!("Gate {gate}: {outcome_words}");
    if let Some(reasons) = decision
        .and_then(|d| text(d, "reasons"))
        .filter(|r| !r.trim().is_empty())
    {
        summary.push_str(&format!(" — {reasons}"));
    }
    Decision {
        source: DecisionSource::Gate,
        id,
        summary,
        outcome,
        project: int(after, "project_id").map(|pid| ProjectMention {
            id: pid,
            code: text(after, "project_code").unwrap_or_default(),
            title: text(after, "project_title").unwrap_or_default(),
        }),
        meeting_id: decision.and_then(|d| int(d, "meeting_id")),
        meeting_title: None,
        decided_at: decision.and_then(|d| time(d, "decided_at")),
        gate_request_id: Some(id),
    }
}

fn board_decision(id: i64, after: &Value) -> Decision {
    let summary = text(after, "text")
        .or_else(|| text(after, "body"))
        .unwrap_or_else(|| "A decision of the board".to_string());
    let project = after
        .get("project")
        .filter(|p| p.is_object())
        .map(|p| project_mention(int(p, "id").unwrap_or(0), p));
    Decision {
        source: DecisionSource::Board,
        id,
        summary,
        outcome: text(after, "outcome"),
        project,
        meeting_id: int(after, "meeting_id"),
        meeting_title: text(after, "meeting_title"),
        decided_at: time(after, "decided_at").or_else(|| date(after, "decided_at").map(start_of)),
        gate_request_id: int(after, "gate_request_id"),
    }
}

// ---------------------------------------------------------------------------
// The register as at a date
// ---------------------------------------------------------------------------

/// The projects as they were at a past date, filtered, sorted and paged as
/// the store does the live register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsAtRegister {
    pub projects: Vec<Project>,
    /// Projects matching the filter, across all pages.
    pub total: i64,
}

/// Lower-cased text searched by the register's free-text box (as the store keeps it).
fn search_text(p: &Project) -> String {
    [
        p.code.as_str(),
        &p.title,
        &p.summary,
        &p.sponsor,
        &p.manager,
        &p.tags.join(" "),
    ]
    .join(" ")
    .to_lowercase()
}

/// Whether a project matches the register's filters.
pub fn matches(p: &Project, filter: &ProjectFilter) -> bool {
    if filter.stage.is_some_and(|s| s != p.stage) {
        return false;
    }
    if filter
        .department
        .as_ref()
        .is_some_and(|d| *d != p.department.slug)
    {
        return false;
    }
    if filter
        .theme
        .as_ref()
        .is_some_and(|t| !p.themes.iter().any(|pt| pt.slug == *t))
    {
        return false;
    }
    if filter.confidence.is_some() && filter.confidence != p.confidence {
        return false;
    }
    if !filter.words.is_empty() {
        let text = search_text(p);
        return filter.words.iter().all(|w| text.contains(w.as_str()));
    }
    true
}

fn number(p: &Project) -> u32 {
    ProjectCode::parse(&p.code).map(|c| c.number()).unwrap_or(0)
}

fn rank<T: PartialEq>(all: &[T], v: &T) -> usize {
    all.iter().position(|x| x == v).unwrap_or(all.len())
}

/// The register's order for a sort key (ties by code number, as the store breaks them).
fn compare(a: &Project, b: &Project, sort: ProjectSort, descending: bool) -> Ordering {
    let by_code = number(a).cmp(&number(b)).then_with(|| a.code.cmp(&b.code));
    let key = match sort {
        ProjectSort::Code => Ordering::Equal,
        ProjectSort::Title => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
        ProjectSort::Stage => rank(&Stage::ALL, &a.stage).cmp(&rank(&Stage::ALL, &b.stage)),
        ProjectSort::Department => a.department.name.cmp(&b.department.name),
        ProjectSort::Confidence => {
            let r =
                |c: Option<DeliveryConfidence>| c.map_or(9, |c| rank(&DeliveryConfidence::ALL, &c));
            r(a.confidence).cmp(&r(b.confidence))
        }
        ProjectSort::StartDate => {
            let d = |p: &Project| {
                p.start_date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "9999".into())
            };
            d(a).cmp(&d(b))
        }
        ProjectSort::UpdatedAt => a.updated_at.cmp(&b.updated_at),
        ProjectSort::TotalCost => a.total_cost().cmp(&b.total_cost()),
    };
    match sort {
        ProjectSort::Code if descending => by_code.reverse(),
        ProjectSort::Code => by_code,
        _ if descending => key.reverse().then(by_code),
        _ => key.then(by_code),
    }
}

impl AsAtRegister {
    /// One page of `projects` (their states at a date) under `filter`:
    /// only the page's projects are copied.
    pub fn page(projects: &[Project], filter: &ProjectFilter) -> AsAtRegister {
        let mut chosen: Vec<&Project> = projects.iter().filter(|p| matches(p, filter)).collect();
        chosen.sort_by(|a, b| compare(a, b, filter.sort, filter.descending));
        let total = chosen.len() as i64;
        let offset = usize::try_from(filter.offset()).unwrap_or(usize::MAX);
        let per_page = usize::try_from(filter.per_page).unwrap_or(usize::MAX);
        let projects = chosen
            .into_iter()
            .skip(offset)
            .take(per_page)
            .cloned()
            .collect();
        AsAtRegister { projects, total }
    }
}

/// Dashboard counts of projects (their states at a date), grouped as the
/// store groups the live register for [`crate::dashboard::Dashboard::assemble`].
pub fn grouped_counts(projects: &[Project]) -> GroupedCounts {
    let mut stage_department: BTreeMap<(usize, i64), i64> = BTreeMap::new();
    let mut theme: HashMap<i64, i64> = HashMap::new();
    let mut by_confidence: Vec<(Option<DeliveryConfidence>, i64)> = Vec::new();
    for p in projects {
        *stage_department
            .entry((rank(&Stage::ALL, &p.stage), p.department.id))
            .or_default() += 1;
        for t in &p.themes {
            *theme.entry(t.id).or_default() += 1;
        }
        match by_confidence.iter_mut().find(|(c, _)| *c == p.confidence) {
            Some((_, n)) => *n += 1,
            None => by_confidence.push((p.confidence, 1)),
        }
    }
    GroupedCounts {
        total: projects.len() as i64,
        stage_department: stage_department
            .into_iter()
            .filter_map(|((s, d), n)| Stage::ALL.get(s).map(|s| (*s, d, n)))
            .collect(),
        theme: theme.into_iter().collect(),
        confidence: by_confidence,
    }
}

/// A query naming the period of a changes view (the page's form sends the
/// GOV.UK date boxes; links and the API send `since` and `until`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The first day of the period, YYYY-MM-DD (included).
    pub since: Option<String>,
    /// The last day of the period, YYYY-MM-DD (included); today if left out.
    pub until: Option<String>,
    /// The day box of the page's "since" date input (instead of `since`).
    #[serde(rename = "since-day")]
    #[param(rename = "since-day")]
    pub since_day: Option<String>,
    #[serde(rename = "since-month")]
    #[param(rename = "since-month")]
    pub since_month: Option<String>,
    #[serde(rename = "since-year")]
    #[param(rename = "since-year")]
    pub since_year: Option<String>,
    #[serde(rename = "until-day")]
    #[param(rename = "until-day")]
    pub until_day: Option<String>,
    #[serde(rename = "until-month")]
    #[param(rename = "until-month")]
    pub until_month: Option<String>,
    #[serde(rename = "until-year")]
    #[param(rename = "until-year")]
    pub until_year: Option<String>,
}

impl PeriodQuery {
    pub fn since(&self) -> DateEntry {
        DateEntry {
            iso: self.since.clone(),
            day: self.since_day.clone(),
            month: self.since_month.clone(),
            year: self.since_year.clone(),
        }
    }

    pub fn until(&self) -> DateEntry {
        DateEntry {
            iso: self.until.clone(),
            day: self.until_day.clone(),
            month: self.until_month.clone(),
            year: self.until_year.clone(),
        }
    }

    /// Whether no part of the period was given (a page shows just its form).
    pub fn is_blank(&self) -> bool {
        self.since().is_blank() && self.until().is_blank()
    }

    pub fn parse(&self, today: NaiveDate) -> Result<Period, ValidationErrors> {
        Period::parse(&self.since(), &self.until(), today)
    }
}

/// The date of an "as at" view of the register or the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsAtQuery {
    /// Show the register as it was at the end of this day, YYYY-MM-DD (today or earlier).
    pub as_at: Option<String>,
    #[serde(rename = "as_at-day")]
    #[param(rename = "as_at-day")]
    pub as_at_day: Option<String>,
    #[serde(rename = "as_at-month")]
    #[param(rename = "as_at-month")]
    pub as_at_month: Option<String>,
    #[serde(rename = "as_at-year")]
    #[param(rename = "as_at-year")]
    pub as_at_year: Option<String>,
}

impl AsAtQuery {
    pub fn entry(&self) -> DateEntry {
        DateEntry {
            iso: self.as_at.clone(),
            day: self.as_at_day.clone(),
            month: self.as_at_month.clone(),
            year: self.as_at_year.clone(),
        }
    }

    /// The date, `None` for the register as it is now.
    pub fn parse(&self, today: NaiveDate) -> Result<Option<NaiveDate>, ValidationErrors> {
        parse_as_at("as_at", &self.entry(), today)
    }
}

#[cfg(test)]
mod tests;
