//! Board packs and Cabinet reports as data: sections of headings,
//! paragraphs, key figures, tables and charts, built from plain inputs the
//! application gathers as at a date, and checked to add up before any
//! writer (web, Word, PDF) sees them.
//!
//! [`build`] lays the inputs out in the report's order (a board pack leads
//! with the decisions required and the meeting's agenda; a Cabinet report
//! follows the committee-report shape) and runs [`check`] first: a count or
//! sum whose parts do not make the whole refuses the report with a
//! [`CheckFailed`] naming the check and the two numbers, so no document ever
//! prints a wrong total.
//!
//! Every piece of text is made safe for any writer here: control characters
//! (other than line breaks and tabs) and the non-characters XML refuses are
//! dropped.
//!
//! No I/O: the inputs are passed in.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Projects listed by name in a chart that draws one bar per project.
pub const TIMELINE_PROJECTS: usize = 25;
/// Risks listed as the top risks.
pub const TOP_RISKS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// For a programme board meeting.
    Board,
    /// For Cabinet, in the committee-report shape.
    Cabinet,
}

impl ReportKind {
    pub const ALL: [ReportKind; 2] = [ReportKind::Board, ReportKind::Cabinet];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Board => "board",
            ReportKind::Cabinet => "cabinet",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportKind::Board => "Board pack",
            ReportKind::Cabinet => "Cabinet report",
        }
    }

    /// Accepts "board", "board pack", "cabinet" or "cabinet report", any case.
    pub fn parse(s: &str) -> Result<ReportKind, String> {
        let norm = s.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        match norm.as_str() {
            "board" | "board pack" => Ok(ReportKind::Board),
            "cabinet" | "cabinet report" => Ok(ReportKind::Cabinet),
            _ => Err(format!(
                "'{}' is not a kind of report; use board or cabinet",
                s.trim()
            )),
        }
    }
}

/// The narrative an officer writes, kept with the report so it can be
/// generated again. Blank sections get a sentence saying so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Narrative {
    pub commentary: String,
    pub purpose: String,
    pub recommendations: String,
    pub background: String,
    pub financial: String,
    pub legal: String,
    pub equality: String,
}

/// Longest narrative section accepted, in characters.
pub const MAX_NARRATIVE: usize = 20_000;

/// One project as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectLine {
    pub code: String,
    pub title: String,
    pub department: String,
    /// The stage's label ("Design").
    pub stage: String,
    /// The delivery confidence's label, or "Not rated".
    pub confidence: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// Capital plus revenue over all years; zero for a project with no costs.
    pub cost_pence: i64,
    /// Whether the project has any cost lines.
    pub costed: bool,
}

/// Projects counted by stage and department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDepartment {
    pub total: i64,
    /// Stage labels, in stage order.
    pub stages: Vec<String>,
    /// Projects per stage, parallel to `stages`.
    pub stage_totals: Vec<i64>,
    /// (department, count per stage parallel to `stages`, the row's total).
    pub departments: Vec<(String, Vec<i64>, i64)>,
}

/// What changed since the previous report, counted and listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    /// (what, how many): "New projects", 3.
    pub counts: Vec<(String, i64)>,
    /// One line per change, such as "DP-004 moved from Concept to Design".
    pub lines: Vec<String>,
}

/// Something the board or Cabinet is asked to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRequired {
    /// "Gate request", "Escalated risk".
    pub kind: String,
    pub reference: String,
    pub text: String,
}

/// A board meeting's agenda, when the pack is for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingAgenda {
    pub title: String,
    pub date: NaiveDate,
    pub items: Vec<String>,
}

/// An open risk as listed among the top risks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskLine {
    pub reference: String,
    pub title: String,
    pub project: String,
    pub owner: String,
    pub score: u8,
    pub rating: String,
}

/// Open risks on the 5×5 matrix: `cells[l][i]` counts likelihood `5 - l`
/// and impact `i + 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatMap {
    pub cells: [[i64; 5]; 5],
    pub open_risks: i64,
    /// Words of the likelihood scale, 1 to 5.
    pub likelihood_words: Vec<String>,
    /// Words of the impact scale, 1 to 5.
    pub impact_words: Vec<String>,
}

/// Delivery confidence now, with the trend of the highlight reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfidenceSummary {
    /// (label, projects) for each rating then "Not rated".
    pub counts: Vec<(String, i64)>,
    pub total: i64,
    /// Rating labels of the trend's series, Green first.
    pub ratings: Vec<String>,
    /// (month such as "2026-11", reports per rating parallel to `ratings`, reports in all).
    pub trend: Vec<(String, Vec<i64>, i64)>,
}

/// Money planned against the budget for one financial year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearMoney {
    pub year: String,
    pub capital_pence: i64,
    pub revenue_pence: i64,
    pub total_pence: i64,
    pub budget_pence: Option<i64>,
}

/// The demand on one resource pool against what it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUse {
    pub pool: String,
    pub capacity_days: i64,
    pub demand_days: i64,
}

/// The recommended scenario's programme: the run the programme office
/// marked as recommended, as that run found it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSummary {
    pub name: String,
    /// When and by whom it was recommended ("Jo Bloggs", 1 December 2026).
    pub recommended_by: String,
    pub recommended_on: NaiveDate,
    /// The day its run finished.
    pub run_on: NaiveDate,
    /// How many of `projects` it includes.
    pub selected: i64,
    /// Spend over its horizon, every year's capital and revenue.
    pub cost_pence: i64,
    /// The budget over its horizon, when every year has one.
    pub budget_pence: Option<i64>,
    /// Every project it considered, in or out.
    pub projects: Vec<ScenarioProject>,
    /// Spend against budget per financial year of its horizon.
    pub years: Vec<ScenarioYear>,
}

/// One project in or out of the recommended programme.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioProject {
    pub code: String,
    pub title: String,
    pub included: bool,
    /// The quarter it starts in ("2026/27 Q3"), when included.
    pub start: Option<String>,
    /// What choosing it adds to the scenario's objective.
    pub value: f64,
    /// Why it is in or out, the first reason given.
    pub reason: String,
}

/// The recommended programme's spend in one financial year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioYear {
    pub year: String,
    pub spend_pence: i64,
    pub budget_pence: Option<i64>,
}

/// Everything a report is built from.
#[derive(Debug, Clone)]
pub struct ReportInputs {
    pub kind: ReportKind,
    pub organisation: String,
    pub title: String,
    pub as_at: NaiveDate,
    /// The date of the previous report (or board meeting), when there is one.
    pub previous: Option<NaiveDate>,
    pub projects: Vec<ProjectLine>,
    pub stage_department: StageDepartment,
    pub changes: Option<ChangeSummary>,
    pub decisions: Vec<DecisionRequired>,
    pub agenda: Option<MeetingAgenda>,
    pub risks: Vec<RiskLine>,
    pub heat_map: Option<HeatMap>,
    pub confidence: ConfidenceSummary,
    pub money: Vec<YearMoney>,
    pub capacity: Vec<PoolUse>,
    pub scenario: Option<ScenarioSummary>,
    pub narrative: Narrative,
}

/// A check whose parts did not make the whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the report was not produced: {check} add up to {parts}, not {whole}")]
pub struct CheckFailed {
    pub check: String,
    pub parts: i64,
    pub whole: i64,
}

fn must_equal(check: impl Into<String>, parts: i64, whole: i64) -> Result<(), CheckFailed> {
    if parts == whole {
        Ok(())
    } else {
        Err(CheckFailed {
            check: check.into(),
            parts,
            whole,
        })
    }
}

/// Checks that every count and sum the report prints adds up.
pub fn check(inputs: &ReportInputs) -> Result<(), CheckFailed> {
    let sd = &inputs.stage_department;
    must_equal(
        "the projects listed",
        inputs.projects.len() as i64,
        sd.total,
    )?;
    must_equal("the stage counts", sd.stage_totals.iter().sum(), sd.total)?;
    must_equal(
        "the department totals",
        sd.departments.iter().map(|d| d.2).sum(),
        sd.total,
    )?;
    for (name, row, total) in &sd.departments {
        must_equal(
            format!("the stage counts of {name}"),
            row.iter().sum(),
            *total,
        )?;
    }
    for (i, stage) in sd.stages.iter().enumerate() {
        let column: i64 = sd
            .departments
            .iter()
            .map(|d| d.1.get(i).copied().unwrap_or(0))
            .sum();
        must_equal(
            format!("the departments' {stage} projects"),
            column,
            sd.stage_totals.get(i).copied().unwrap_or(0),
        )?;
    }
    for (i, stage) in sd.stages.iter().enumerate() {
        let listed = inputs.projects.iter().filter(|p| &p.stage == stage).count() as i64;
        must_equal(
            format!("the projects listed in {stage}"),
            listed,
            sd.stage_totals.get(i).copied().unwrap_or(0),
        )?;
    }
    must_equal(
        "the delivery confidence counts",
        inputs.confidence.counts.iter().map(|c| c.1).sum(),
        inputs.confidence.total,
    )?;
    must_equal(
        "the projects rated for delivery confidence",
        inputs.confidence.total,
        sd.total,
    )?;
    for (month, counts, reported) in &inputs.confidence.trend {
        must_equal(
            format!("the highlight reports of {month}"),
            counts.iter().sum(),
            *reported,
        )?;
    }
    if let Some(map) = &inputs.heat_map {
        must_equal(
            "the heat map's cells",
            map.cells.iter().flatten().sum(),
            map.open_risks,
        )?;
    }
    for y in &inputs.money {
        must_equal(
            format!("capital and revenue in {}", y.year),
            y.capital_pence + y.revenue_pence,
            y.total_pence,
        )?;
    }
    if let Some(s) = &inputs.scenario {
        must_equal(
            "the recommended scenario's projects in",
            s.projects.iter().filter(|p| p.included).count() as i64,
            s.selected,
        )?;
        must_equal(
            "the recommended scenario's spend by year (pence)",
            s.years.iter().map(|y| y.spend_pence).sum(),
            s.cost_pence,
        )?;
    }
    let by_year: i64 = inputs.money.iter().map(|y| y.total_pence).sum();
    let by_project: i64 = inputs.projects.iter().map(|p| p.cost_pence).sum();
    must_equal("the costs by year (pence)", by_year, by_project)?;
    Ok(())
}

/// A built report: what every writer draws.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub kind: ReportKind,
    pub organisation: String,
    pub title: String,
    #[schema(value_type = String, example = "2026-12-01")]
    pub as_at: NaiveDate,
    #[schema(value_type = Option<String>, example = "2026-11-01")]
    pub previous: Option<NaiveDate>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Section {
    /// A stable anchor: "summary", "risks".
    pub id: String,
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Subheading {
        text: String,
    },
    Paragraph {
        text: String,
    },
    /// Headline numbers: (label, value).
    Figures {
        figures: Vec<Figure>,
    },
    Table {
        table: Table,
    },
    Chart {
        chart: Chart,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// A totals row, when the table has one.
    pub footer: Option<Vec<String>>,
    /// Columns holding numbers (aligned right).
    pub numeric: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    PipelineByStage,
    StageByDepartment,
    ConfidenceTrend,
    RiskHeatMap,
    SpendAgainstBudget,
    CapacityByPool,
    Timeline,
}

/// A chart with its data, its text alternative and the data as a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    /// The text alternative: what the chart shows, in words.
    pub description: String,
    pub data: ChartData,
    pub table: Table,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum ChartData {
    /// Bars per category, one bar per series side by side (or stacked).
    Bars {
        categories: Vec<String>,
        series: Vec<Series>,
        stacked: bool,
        /// How values are written: "projects", "£", "days".
        unit: String,
    },
    /// The 5×5 matrix, rows from likelihood 5 down to 1.
    Matrix {
        rows: Vec<Vec<i64>>,
        row_labels: Vec<String>,
        column_labels: Vec<String>,
    },
    /// One bar per item from its start to its end.
    Timeline {
        #[schema(value_type = Vec<Object>)]
        items: Vec<TimelineItem>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Series {
    pub name: String,
    pub values: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineItem {
    pub label: String,
    pub group: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Drops characters no document format can hold: control characters
/// other than line breaks and tabs, and U+FFFE/U+FFFF.
pub fn safe_text(s: &str) -> String {
    s.chars()
        .filter(|c| {
            (!c.is_control() || matches!(c, '\n' | '\t')) && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
        .collect()
}

/// "£1,250", "£1,250.50", "-£3": money as the report prints it.
pub fn pounds(pence: i64) -> String {
    match Money::from_pence(pence) {
        Ok(m) => m.to_string(),
        // Beyond £10bn (a sum of many projects): whole pounds, grouped.
        Err(_) => {
            let sign = if pence < 0 { "-" } else { "" };
            format!("{sign}£{}", grouped(pence.unsigned_abs() / 100))
        }
    }
}

/// Digits in groups of three, as a report prints a count: 10,000.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count as printed: grouped, with its sign.
pub fn whole(n: impl Into<i64>) -> String {
    let n: i64 = n.into();
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", grouped(n.unsigned_abs()))
}

fn count_word(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", whole(n), if n == 1 { one } else { many })
}

fn paragraphs(text: &str, blank: &str) -> Vec<Block> {
    let text = safe_text(text);
    let parts: Vec<Block> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Block::Paragraph { text: p.into() })
        .collect();
    if parts.is_empty() {
        vec![Block::Paragraph { text: blank.into() }]
    } else {
        parts
    }
}

fn section(id: &str, heading: &str, blocks: Vec<Block>) -> Section {
    Section {
        id: id.into(),
        heading: heading.into(),
        blocks,
    }
}

/// Checks the inputs, then lays out the report.
pub fn build(inputs: &ReportInputs) -> Result<Report, CheckFailed> {
    check(inputs)?;
    let sd = &inputs.stage_department;
    let date = |d: NaiveDate| d.format("%-d %B %Y").to_string();

    let summary = summary_section(inputs);
    let changes = changes_section(inputs);
    let decisions = decisions_section(inputs);
    let confidence = confidence_section(inputs);
    let risks = risks_section(inputs);
    let money = money_section(inputs);
    let roadmap = roadmap_section(inputs);
    let scenario = scenario_section(inputs);
    let appendix = appendix_section(inputs);
    let n = &inputs.narrative;
    let mut sections = Vec::new();
    match inputs.kind {
        ReportKind::Board => {
            sections.push(decisions);
            if let Some(agenda) = &inputs.agenda {
                let mut blocks = vec![Block::Paragraph {
                    text: safe_text(&format!("{}, {}.", agenda.title, date(agenda.date))),
                }];
                if agenda.items.is_empty() {
                    blocks.push(Block::Paragraph {
                        text: "The agenda has no items yet.".into(),
                    });
                } else {
                    blocks.push(Block::Table {
                        table: Table {
                            caption: "Agenda".into(),
                            header: vec!["Item".into(), "Subject".into()],
                            rows: agenda
                                .items
                                .iter()
                                .enumerate()
                                .map(|(i, t)| vec![(i + 1).to_string(), safe_text(t)])
                                .collect(),
                            footer: None,
                            numeric: vec![0],
                        },
                    });
                }
                sections.push(section("agenda", "Agenda", blocks));
            }
            sections.push(section(
                "commentary",
                "Officer's commentary",
                paragraphs(
                    &n.commentary,
                    "No commentary has been written for this pack.",
                ),
            ));
            sections.push(summary);
            sections.extend(changes);
            sections.push(confidence);
            sections.push(risks);
            sections.push(money);
            sections.extend(scenario);
            sections.push(roadmap);
            sections.push(appendix);
        }
        ReportKind::Cabinet => {
            sections.push(section(
                "purpose",
                "Purpose of the report",
                paragraphs(
                    &n.purpose,
                    &format!(
                        "To report the progress of {}'s programme of digital projects as at {}.",
                        safe_text(&inputs.organisation),
                        date(inputs.as_at)
                    ),
                ),
            ));
            let mut recs = paragraphs(
                &n.recommendations,
                "Cabinet is asked to note the progress of the programme.",
            );
            if let Block::Table { .. } | Block::Paragraph { .. } = &decisions.blocks[0] {
                if !inputs.decisions.is_empty() {
                    recs.push(Block::Subheading {
                        text: "Decisions required".into(),
                    });
                    recs.extend(decisions.blocks.clone());
                }
            }
            sections.push(section("recommendations", "Recommendations", recs));
            sections.push(section(
                "background",
                "Background",
                paragraphs(
                    &n.background,
                    "No background has been written for this report.",
                ),
            ));
            let mut programme = summary;
            programme.id = "programme-summary".into();
            programme.heading = "Programme summary".into();
            if !n.commentary.trim().is_empty() {
                programme.blocks.splice(0..0, paragraphs(&n.commentary, ""));
            }
            if let Some(c) = changes {
                programme.blocks.push(Block::Subheading { text: c.heading });
                programme.blocks.extend(c.blocks);
            }
            programme.blocks.push(Block::Subheading {
                text: confidence.heading,
            });
            programme.blocks.extend(confidence.blocks);
            sections.push(programme);
            let mut funding = money;
            funding.id = "prioritisation-and-funding".into();
            funding.heading = "Prioritisation and funding".into();
            if let Some(s) = scenario {
                funding.blocks.push(Block::Subheading { text: s.heading });
                funding.blocks.extend(s.blocks);
            }
            sections.push(funding);
            sections.push(risks);
            let total_cost: i64 = inputs.projects.iter().map(|p| p.cost_pence).sum();
            let mut financial = vec![Block::Paragraph {
                text: format!(
                    "The programme's planned costs total {} over all years.",
                    pounds(total_cost)
                ),
            }];
            if !n.financial.trim().is_empty() {
                financial.extend(paragraphs(&n.financial, ""));
            }
            sections.push(section(
                "financial-implications",
                "Financial implications",
                financial,
            ));
            sections.push(section(
                "legal-implications",
                "Legal implications",
                paragraphs(&n.legal, "No legal implications have been recorded."),
            ));
            sections.push(section(
                "equality-impact",
                "Equality impact",
                paragraphs(&n.equality, "No equality impact has been recorded."),
            ));
            let mut appendices = appendix;
            appendices.id = "appendices".into();
            appendices.heading = "Appendices".into();
            appendices.blocks.splice(
                0..0,
                [Block::Subheading {
                    text: roadmap.heading.replace("Roadmap", "Appendix A: roadmap"),
                }]
                .into_iter()
                .chain(roadmap.blocks)
                .chain([Block::Subheading {
                    text: "Appendix B: the projects".into(),
                }]),
            );
            sections.push(appendices);
        }
    }
    let _ = sd;
    Ok(Report {
        kind: inputs.kind,
        organisation: safe_text(&inputs.organisation),
        title: safe_text(&inputs.title),
        as_at: inputs.as_at,
        previous: inputs.previous,
        sections,
    })
}

fn summary_section(inputs: &ReportInputs) -> Section {
    let sd = &inputs.stage_department;
    let mut figures = vec![Figure {
        label: "Projects".into(),
        value: whole(sd.total),
    }];
    for (stage, n) in sd.stages.iter().zip(&sd.stage_totals) {
        if *n > 0 {
            figures.push(Figure {
                label: stage.clone(),
                value: whole(*n),
            });
        }
    }
    let mut blocks = Vec::new();
    if sd.total == 0 {
        blocks.push(Block::Paragraph {
            text: "The programme has no projects as at this date.".into(),
        });
        blocks.push(Block::Figures { figures });
        return section("summary", "Programme summary", blocks);
    }
    let parts: Vec<String> = sd
        .stages
        .iter()
        .zip(&sd.stage_totals)
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{} in {}", whole(*n), s.to_lowercase()))
        .collect();
    blocks.push(Block::Paragraph {
        text: format!(
            "The programme has {}: {}.",
            count_word(sd.total, "project", "projects"),
            parts.join(", ")
        ),
    });
    blocks.push(Block::Figures { figures });
    let stage_table = Table {
        caption: "Projects by stage".into(),
        header: vec!["Stage".into(), "Projects".into()],
        rows: sd
            .stages
            .iter()
            .zip(&sd.stage_totals)
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| vec![s.clone(), whole(*n)])
            .collect(),
        footer: Some(vec!["Total".into(), whole(sd.total)]),
        numeric: vec![1],
    };
    let shown: Vec<usize> = (0..sd.stages.len())
        .filter(|i| sd.stage_totals[*i] > 0)
        .collect();
    blocks.push(Block::Chart {
        chart: Chart {
            kind: ChartKind::PipelineByStage,
            title: "Pipeline by stage".into(),
            description: format!(
                "Bar chart of the {} projects by stage: {}.",
                whole(sd.total),
                parts.join(", ")
            ),
            data: ChartData::Bars {
                categories: shown.iter().map(|i| sd.stages[*i].clone()).collect(),
                series: vec![Series {
                    name: "Projects".into(),
                    values: shown.iter().map(|i| sd.stage_totals[*i]).collect(),
                }],
                stacked: false,
                unit: "projects".into(),
            },
            table: stage_table,
        },
    });
    let mut header = vec!["Department".into()];
    header.extend(shown.iter().map(|i| sd.stages[*i].clone()));
    header.push("Total".into());
    let depts: Vec<&(String, Vec<i64>, i64)> = sd.departments.iter().filter(|d| d.2 > 0).collect();
    let rows: Vec<Vec<String>> = depts
        .iter()
        .map(|(name, row, total)| {
            let mut r = vec![safe_text(name)];
            r.extend(shown.iter().map(|i| whole(row[*i])));
            r.push(whole(*total));
            r
        })
        .collect();
    let mut footer = vec!["Total".to_string()];
    footer.extend(shown.iter().map(|i| whole(sd.stage_totals[*i])));
    footer.push(whole(sd.total));
    let table = Table {
        caption: "Projects by stage and department".into(),
        numeric: (1..header.len()).collect(),
        header,
        rows,
        footer: Some(footer),
    };
    let biggest = depts.iter().max_by_key(|d| d.2);
    blocks.push(Block::Chart {
        chart: Chart {
            kind: ChartKind::StageByDepartment,
            title: "Projects by stage and department".into(),
            description: format!(
                "Stacked bar chart of each department's projects by stage, {} departments in all{}.",
                depts.len(),
                biggest
                    .map(|d| format!("; {} has the most, {}", safe_text(&d.0), d.2))
                    .unwrap_or_default()
            ),
            data: ChartData::Bars {
                categories: depts.iter().map(|d| safe_text(&d.0)).collect(),
                series: shown
                    .iter()
                    .map(|i| Series {
                        name: sd.stages[*i].clone(),
                        values: depts.iter().map(|d| d.1[*i]).collect(),
                    })
                    .collect(),
                stacked: true,
                unit: "projects".into(),
            },
            table,
        },
    });
    section("summary", "Programme summary", blocks)
}

fn changes_section(inputs: &ReportInputs) -> Option<Section> {
    let changes = inputs.changes.as_ref()?;
    let since = inputs
        .previous
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|| "the previous report".into());
    let mut blocks = Vec::new();
    let total: i64 = changes.counts.iter().map(|c| c.1).sum();
    if total == 0 {
        blocks.push(Block::Paragraph {
            text: format!("Nothing has changed since {since}."),
        });
    } else {
        blocks.push(Block::Table {
            table: Table {
                caption: format!("Changes since {since}"),
                header: vec!["Change".into(), "How many".into()],
                rows: changes
                    .counts
                    .iter()
                    .map(|(w, n)| vec![safe_text(w), n.to_string()])
                    .collect(),
                footer: Some(vec!["Total".into(), total.to_string()]),
                numeric: vec![1],
            },
        });
        for line in changes.lines.iter().take(200) {
            blocks.push(Block::Paragraph {
                text: safe_text(line),
            });
        }
        if changes.lines.len() > 200 {
            blocks.push(Block::Paragraph {
                text: format!(
                    "And {} more changes, listed on the What changed page.",
                    changes.lines.len() - 200
                ),
            });
        }
    }
    Some(section(
        "changes",
        &format!("Changes since {since}"),
        blocks,
    ))
}

fn decisions_section(inputs: &ReportInputs) -> Section {
    let blocks = if inputs.decisions.is_empty() {
        vec![Block::Paragraph {
            text: "No decisions are awaiting the board.".into(),
        }]
    } else {
        vec![Block::Table {
            table: Table {
                caption: "Decisions required".into(),
                header: vec!["Kind".into(), "Reference".into(), "Decision".into()],
                rows: inputs
                    .decisions
                    .iter()
                    .map(|d| {
                        vec![
                            safe_text(&d.kind),
                            safe_text(&d.reference),
                            safe_text(&d.text),
                        ]
                    })
                    .collect(),
                footer: None,
                numeric: vec![],
            },
        }]
    };
    section("decisions", "Decisions required", blocks)
}

fn confidence_section(inputs: &ReportInputs) -> Section {
    let c = &inputs.confidence;
    let mut blocks = Vec::new();
    let rated: Vec<String> = c
        .counts
        .iter()
        .filter(|x| x.1 > 0)
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    blocks.push(Block::Paragraph {
        text: if rated.is_empty() {
            "No project has a delivery confidence rating.".into()
        } else {
            format!(
                "Delivery confidence of the {} projects: {}.",
                c.total,
                rated.join(", ")
            )
        },
    });
    blocks.push(Block::Table {
        table: Table {
            caption: "Delivery confidence".into(),
            header: vec!["Rating".into(), "Projects".into()],
            rows: c
                .counts
                .iter()
                .map(|(l, n)| vec![l.clone(), whole(*n)])
                .collect(),
            footer: Some(vec!["Total".into(), whole(c.total)]),
            numeric: vec![1],
        },
    });
    if !c.trend.is_empty() {
        let mut header = vec!["Month".to_string()];
        header.extend(c.ratings.iter().cloned());
        header.push("Reports".into());
        let table = Table {
            caption: "Highlight reports by delivery confidence and month".into(),
            numeric: (1..header.len()).collect(),
            header,
            rows: c
                .trend
                .iter()
                .map(|(m, counts, n)| {
                    let mut r = vec![m.clone()];
                    r.extend(counts.iter().map(|x| x.to_string()));
                    r.push(n.to_string());
                    r
                })
                .collect(),
            footer: None,
        };
        let last = c.trend.last().expect("not empty");
        blocks.push(Block::Chart {
            chart: Chart {
                kind: ChartKind::ConfidenceTrend,
                title: "Delivery confidence trend".into(),
                description: format!(
                    "Stacked bar chart of highlight reports by delivery confidence over {} months, from {} to {}; {} reports in {}.",
                    c.trend.len(),
                    c.trend[0].0,
                    last.0,
                    last.2,
                    last.0
                ),
                data: ChartData::Bars {
                    categories: c.trend.iter().map(|t| t.0.clone()).collect(),
                    series: c
                        .ratings
                        .iter()
                        .enumerate()
                        .map(|(i, r)| Series {
                            name: r.clone(),
                            values: c.trend.iter().map(|t| t.1.get(i).copied().unwrap_or(0)).collect(),
                        })
                        .collect(),
                    stacked: true,
                    unit: "reports".into(),
                },
                table,
            },
        });
    }
    section("confidence", "Delivery confidence", blocks)
}

fn risks_section(inputs: &ReportInputs) -> Section {
    let mut blocks = Vec::new();
    match &inputs.heat_map {
        None => blocks.push(Block::Paragraph {
            text: "No risks are recorded.".into(),
        }),
        Some(map) if map.open_risks == 0 => blocks.push(Block::Paragraph {
            text: "No risks are open.".into(),
        }),
        Some(map) => {
            blocks.push(Block::Paragraph {
                text: format!(
                    "{} open. The top {} by current score:",
                    count_word(map.open_risks, "risk is", "risks are"),
                    inputs.risks.len().min(TOP_RISKS)
                ),
            });
            blocks.push(Block::Table {
                table: Table {
                    caption: "Top risks".into(),
                    header: vec![
                        "Reference".into(),
                        "Risk".into(),
                        "Project".into(),
                        "Owner".into(),
                        "Score".into(),
                        "Rating".into(),
                    ],
                    rows: inputs
                        .risks
                        .iter()
                        .take(TOP_RISKS)
                        .map(|r| {
                            vec![
                                safe_text(&r.reference),
                                safe_text(&r.title),
                                safe_text(&r.project),
                                safe_text(&r.owner),
                                r.score.to_string(),
                                r.rating.clone(),
                            ]
                        })
                        .collect(),
                    footer: None,
                    numeric: vec![4],
                },
            });
            let mut header = vec!["Likelihood".to_string()];
            header.extend(
                map.impact_words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| format!("{} {}", i + 1, safe_text(w))),
            );
            let row_labels: Vec<String> = (0..5)
                .map(|l| {
                    format!(
                        "{} {}",
                        5 - l,
                        safe_text(map.likelihood_words.get(4 - l).map_or("", |s| s.as_str()))
                    )
                })
                .collect();
            let table = Table {
                caption: "Open risks by likelihood and impact".into(),
                numeric: (1..6).collect(),
                header: header.clone(),
                rows: (0..5)
                    .map(|l| {
                        let mut r = vec![row_labels[l].clone()];
                        r.extend(map.cells[l].iter().map(|n| n.to_string()));
                        r
                    })
                    .collect(),
                footer: None,
            };
            let high: i64 = (0..5)
                .flat_map(|l| (0..5).map(move |i| (l, i)))
                .filter(|(l, i)| (5 - *l as i64) * (*i as i64 + 1) >= 12)
                .map(|(l, i)| map.cells[l][i])
                .sum();
            blocks.push(Block::Chart {
                chart: Chart {
                    kind: ChartKind::RiskHeatMap,
                    title: "Risk heat map".into(),
                    description: format!(
                        "A 5 by 5 matrix of the {} open risks by likelihood (rows, 5 at the top) and impact (columns, 1 on the left); {} score 12 or more (High or Very high).",
                        map.open_risks, high
                    ),
                    data: ChartData::Matrix {
                        rows: map.cells.iter().map(|r| r.to_vec()).collect(),
                        row_labels,
                        column_labels: header[1..].to_vec(),
                    },
                    table,
                },
            });
        }
    }
    section("risks", "Top risks", blocks)
}

fn money_section(inputs: &ReportInputs) -> Section {
    let mut blocks = Vec::new();
    let uncosted = inputs.projects.iter().filter(|p| !p.costed).count() as i64;
    if inputs.money.is_empty() {
        blocks.push(Block::Paragraph {
            text: "No project has planned costs.".into(),
        });
    } else {
        let total: i64 = inputs.money.iter().map(|y| y.total_pence).sum();
        let capital: i64 = inputs.money.iter().map(|y| y.capital_pence).sum();
        let revenue: i64 = inputs.money.iter().map(|y| y.revenue_pence).sum();
        blocks.push(Block::Paragraph {
            text: format!(
                "Planned spend totals {} over {} financial years ({} capital, {} revenue).",
                pounds(total),
                inputs.money.len(),
                pounds(capital),
                pounds(revenue)
            ),
        });
        let table = Table {
            caption: "Spend against budget by financial year".into(),
            header: vec![
                "Year".into(),
                "Capital".into(),
                "Revenue".into(),
                "Total".into(),
                "Budget".into(),
            ],
            rows: inputs
                .money
                .iter()
                .map(|y| {
                    vec![
                        y.year.clone(),
                        pounds(y.capital_pence),
                        pounds(y.revenue_pence),
                        pounds(y.total_pence),
                        y.budget_pence
                            .map(pounds)
                            .unwrap_or_else(|| "No budget".into()),
                    ]
                })
                .collect(),
            footer: Some(vec![
                "Total".into(),
                pounds(capital),
                pounds(revenue),
                pounds(total),
                String::new(),
            ]),
            numeric: vec![1, 2, 3, 4],
        };
        let over: Vec<&YearMoney> = inputs
            .money
            .iter()
            .filter(|y| y.budget_pence.is_some_and(|b| y.total_pence > b))
            .collect();
        let mut series = vec![Series {
            name: "Planned spend".into(),
            values: inputs.money.iter().map(|y| y.total_pence).collect(),
        }];
        if inputs.money.iter().any(|y| y.budget_pence.is_some()) {
            series.push(Series {
                name: "Budget".into(),
                values: inputs
                    .money
                    .iter()
                    .map(|y| y.budget_pence.unwrap_or(0))
                    .collect(),
            });
        }
        blocks.push(Block::Chart {
            chart: Chart {
                kind: ChartKind::SpendAgainstBudget,
                title: "Spend against budget by year".into(),
                description: format!(
                    "Bar chart of planned spend{} in each financial year from {} to {}; {}.",
                    if series.len() > 1 { " and budget" } else { "" },
                    inputs.money[0].year,
                    inputs.money[inputs.money.len() - 1].year,
                    if over.is_empty() {
                        "no year is over its budget".to_string()
                    } else {
                        format!(
                            "over budget in {}",
                            over.iter()
                                .map(|y| y.year.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ),
                data: ChartData::Bars {
                    categories: inputs.money.iter().map(|y| y.year.clone()).collect(),
                    series,
                    stacked: false,
                    unit: "£".into(),
                },
                table,
            },
        });
    }
    if uncosted > 0 {
        blocks.push(Block::Paragraph {
            text: format!(
                "{} no planned costs yet.",
                count_word(uncosted, "project has", "projects have")
            ),
        });
    }
    if !inputs.capacity.is_empty() {
        let table = Table {
            caption: "Capacity use by resource pool".into(),
            header: vec![
                "Resource pool".into(),
                "Capacity (days)".into(),
                "Demand (days)".into(),
                "Use".into(),
            ],
            rows: inputs
                .capacity
                .iter()
                .map(|p| {
                    vec![
                        safe_text(&p.pool),
                        p.capacity_days.to_string(),
                        p.demand_days.to_string(),
                        if p.capacity_days > 0 {
                            format!("{}%", p.demand_days * 100 / p.capacity_days)
                        } else {
                            "No capacity".into()
                        },
                    ]
                })
                .collect(),
            footer: None,
            numeric: vec![1, 2, 3],
        };
        let over: Vec<String> = inputs
            .capacity
            .iter()
            .filter(|p| p.demand_days > p.capacity_days)
            .map(|p| safe_text(&p.pool))
            .collect();
        blocks.push(Block::Chart {
            chart: Chart {
                kind: ChartKind::CapacityByPool,
                title: "Capacity use by resource pool".into(),
                description: format!(
                    "Bar chart of demand against capacity in days for {} resource pools; {}.",
                    inputs.capacity.len(),
                    if over.is_empty() {
                        "no pool is over capacity".into()
                    } else {
                        format!("over capacity: {}", over.join(", "))
                    }
                ),
                data: ChartData::Bars {
                    categories: inputs.capacity.iter().map(|p| safe_text(&p.pool)).collect(),
                    series: vec![
                        Series {
                            name: "Capacity".into(),
                            values: inputs.capacity.iter().map(|p| p.capacity_days).collect(),
                        },
                        Series {
                            name: "Demand".into(),
                            values: inputs.capacity.iter().map(|p| p.demand_days).collect(),
                        },
                    ],
                    stacked: false,
                    unit: "days".into(),
                },
                table,
            },
        });
    }
    section("spend", "Spend and capacity against budget", blocks)
}

fn scenario_section(inputs: &ReportInputs) -> Option<Section> {
    let s = inputs.scenario.as_ref()?;
    let date = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    let considered = s.projects.len() as i64;
    let mut blocks = vec![Block::Paragraph {
        text: safe_text(&format!(
            "The recommended scenario, {}, funds {} of the {} projects considered at a cost of {}{}. {} recommended it on {}, from its run of {}.",
            s.name,
            s.selected,
            considered,
            pounds(s.cost_pence),
            s.budget_pence
                .map(|b| format!(" against a budget of {}", pounds(b)))
                .unwrap_or_default(),
            s.recommended_by,
            date(s.recommended_on),
            date(s.run_on),
        )),
    }];
    if !s.years.is_empty() {
        let budgeted = s.years.iter().all(|y| y.budget_pence.is_some());
        blocks.push(Block::Table {
            table: Table {
                caption: "Spend of the recommended programme by year".into(),
                header: vec!["Year".into(), "Spend".into(), "Budget".into()],
                rows: s
                    .years
                    .iter()
                    .map(|y| {
                        vec![
                            safe_text(&y.year),
                            pounds(y.spend_pence),
                            y.budget_pence.map_or("No budget".into(), pounds),
                        ]
                    })
                    .collect(),
                footer: Some(vec![
                    "Total".into(),
                    pounds(s.cost_pence),
                    if budgeted {
                        pounds(s.years.iter().filter_map(|y| y.budget_pence).sum())
                    } else {
                        String::new()
                    },
                ]),
                numeric: vec![1, 2],
            },
        });
    }
    if !s.projects.is_empty() {
        let mut projects: Vec<&ScenarioProject> = s.projects.iter().collect();
        // The programme first, by start, then the projects left out.
        projects.sort_by(|a, b| {
            b.included
                .cmp(&a.included)
                .then(a.start.cmp(&b.start))
                .then(a.code.cmp(&b.code))
        });
        blocks.push(Block::Table {
            table: Table {
                caption: "Projects in and out of the recommended programme".into(),
                header: vec![
                    "Project".into(),
                    "In or out".into(),
                    "Starts".into(),
                    "Value".into(),
                    "Why".into(),
                ],
                rows: projects
                    .iter()
                    .map(|p| {
                        vec![
                            safe_text(&format!("{} {}", p.code, p.title)),
                            if p.included { "In" } else { "Out" }.into(),
                            p.start.as_deref().map(safe_text).unwrap_or_default(),
                            format!("{:.1}", p.value),
                            safe_text(&p.reason),
                        ]
                    })
                    .collect(),
                footer: Some(vec![
                    "Total".into(),
                    format!("{} in, {} out", s.selected, considered - s.selected),
                    String::new(),
                    format!(
                        "{:.1}",
                        s.projects
                            .iter()
                            .filter(|p| p.included)
                            .map(|p| p.value)
                            .sum::<f64>()
                    ),
                    String::new(),
                ]),
                numeric: vec![3],
            },
        });
    }
    Some(section("scenario", "Recommended scenario", blocks))
}

fn roadmap_section(inputs: &ReportInputs) -> Section {
    let mut dated: Vec<&ProjectLine> = inputs
        .projects
        .iter()
        .filter(|p| matches!((p.start, p.end), (Some(s), Some(e)) if s <= e))
        .collect();
    dated.sort_by(|a, b| a.start.cmp(&b.start).then(a.code.cmp(&b.code)));
    let total_dated = dated.len();
    // The projects running at the date come first, then the next to start.
    let mut shown: Vec<&ProjectLine> = dated
        .iter()
        .copied()
        .filter(|p| {
            p.start.is_some_and(|s| s <= inputs.as_at) && p.end.is_some_and(|e| e >= inputs.as_at)
        })
        .take(TIMELINE_PROJECTS)
        .collect();
    for p in &dated {
        if shown.len() >= TIMELINE_PROJECTS {
            break;
        }
        if !shown.iter().any(|s| s.code == p.code) && p.start.is_some_and(|s| s > inputs.as_at) {
            shown.push(p);
        }
    }
    shown.sort_by(|a, b| a.start.cmp(&b.start).then(a.code.cmp(&b.code)));
    if shown.is_empty() {
        return section(
            "roadmap",
            "Roadmap",
            vec![Block::Paragraph {
                text: "No project running or to come has both a start and an end date.".into(),
            }],
        );
    }
    let items: Vec<TimelineItem> = shown
        .iter()
        .map(|p| TimelineItem {
            label: safe_text(&format!("{} {}", p.code, p.title)),
            group: p.stage.clone(),
            start: p.start.expect("dated"),
            end: p.end.expect("dated"),
        })
        .collect();
    let first = items.iter().map(|i| i.start).min().expect("not empty");
    let last = items.iter().map(|i| i.end).max().expect("not empty");
    let table = Table {
        caption: "Roadmap".into(),
        header: vec![
            "Project".into(),
            "Stage".into(),
            "Start".into(),
            "End".into(),
        ],
        rows: items
            .iter()
            .map(|i| {
                vec![
                    i.label.clone(),
                    i.group.clone(),
                    i.start.format("%-d %b %Y").to_string(),
                    i.end.format("%-d %b %Y").to_string(),
                ]
            })
            .collect(),
        footer: None,
        numeric: vec![],
    };
    section(
        "roadmap",
        "Roadmap",
        vec![Block::Chart {
            chart: Chart {
                kind: ChartKind::Timeline,
                title: "Roadmap of projects".into(),
                description: format!(
                    "Timeline of {} of the {} projects with dates (those running at the date, then the next to start), from {} to {}.",
                    items.len(),
                    total_dated,
                    first.format("%B %Y"),
                    last.format("%B %Y")
                ),
                data: ChartData::Timeline { items },
                table,
            },
        }],
    )
}

/// Most rows in one appendix table: a longer department continues in a
/// further table with the same header, so a word processor lays out each
/// table quickly (LibreOffice's time grows with the square of a table's rows).
pub const APPENDIX_TABLE_ROWS: usize = 500;

fn cost_text(p: &ProjectLine) -> String {
    if p.costed {
        pounds(p.cost_pence)
    } else {
        "No costs".into()
    }
}

fn appendix_section(inputs: &ReportInputs) -> Section {
    if inputs.projects.is_empty() {
        return section(
            "projects",
            "Appendix: the projects",
            vec![Block::Paragraph {
                text: "The programme has no projects as at this date.".into(),
            }],
        );
    }
    // Departments by name; projects in the register's order within each.
    let mut departments: std::collections::BTreeMap<&str, Vec<&ProjectLine>> =
        std::collections::BTreeMap::new();
    for p in &inputs.projects {
        departments.entry(&p.department).or_default().push(p);
    }
    let total: i64 = inputs.projects.iter().map(|p| p.cost_pence).sum();
    let mut blocks = vec![Block::Table {
        table: Table {
            caption: format!("All {} projects", whole(inputs.projects.len() as i64)),
            header: vec!["Department".into(), "Projects".into(), "Cost".into()],
            rows: departments
                .iter()
                .map(|(d, list)| {
                    vec![
                        safe_text(d),
                        whole(list.len() as i64),
                        pounds(list.iter().map(|p| p.cost_pence).sum()),
                    ]
                })
                .collect(),
            footer: Some(vec![
                "Total".into(),
                format!("{} projects", whole(inputs.projects.len() as i64)),
                pounds(total),
            ]),
            numeric: vec![1, 2],
        },
    }];
    for (department, list) in &departments {
        let chunks = list.len().div_ceil(APPENDIX_TABLE_ROWS);
        for (i, chunk) in list.chunks(APPENDIX_TABLE_ROWS).enumerate() {
            let name = safe_text(department);
            blocks.push(Block::Table {
                table: Table {
                    caption: if i == 0 {
                        format!(
                            "{name}: {}",
                            count_word(list.len() as i64, "project", "projects")
                        )
                    } else {
                        format!("{name} (continued, {} of {chunks})", i + 1)
                    },
                    header: vec![
                        "Code".into(),
                        "Project".into(),
                        "Stage".into(),
                        "Confidence".into(),
                        "Cost".into(),
                    ],
                    rows: chunk
                        .iter()
                        .map(|p| {
                            vec![
                                safe_text(&p.code),
                                safe_text(&p.title),
                                p.stage.clone(),
                                p.confidence.clone(),
                                cost_text(p),
                            ]
                        })
                        .collect(),
                    footer: (i + 1 == chunks).then(|| {
                        vec![
                            "Total".into(),
                            count_word(list.len() as i64, "project", "projects"),
                            String::new(),
                            String::new(),
                            pounds(list.iter().map(|p| p.cost_pence).sum()),
                        ]
                    }),
                    numeric: vec![4],
                },
            });
        }
    }
    section("projects", "Appendix: the projects", blocks)
}

#[cfg(test)]
mod tests;

/// A report kept so it can be generated again: what it is, the date it is
/// as at, the meeting it is for, and the officer's narrative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SavedReport {
    pub id: i64,
    pub kind: ReportKind,
    pub title: String,
    #[schema(value_type = String, example = "2026-12-01")]
    pub as_at: NaiveDate,
    /// The board meeting a board pack is for.
    pub meeting_id: Option<i64>,
    pub narrative: Narrative,
    /// Increases by one with every change; send it back to update.
    pub version: i64,
}

/// A report as typed, before parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDraft {
    /// board or cabinet.
    pub kind: String,
    /// Blank: "Board pack" or "Cabinet report" with the date.
    #[serde(default)]
    pub title: String,
    /// YYYY-MM-DD.
    pub as_at: String,
    #[serde(default)]
    pub meeting_id: Option<i64>,
    #[serde(default)]
    pub narrative: Narrative,
}

pub const MAX_REPORT_TITLE: usize = 200;

impl ReportDraft {
    /// Parses the draft: `today` bounds the date (a report's future is not
    /// written yet) and `founded` is the day the organisation began.
    pub fn validate(
        &self,
        today: NaiveDate,
        founded: NaiveDate,
    ) -> Result<SavedReport, crate::ValidationErrors> {
        let mut errors = crate::ValidationErrors::default();
        let kind = ReportKind::parse(&self.kind)
            .map_err(|e| errors.push("kind", e))
            .ok();
        let as_at = match parse_as_at_date(&self.as_at, today, founded) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push("as_at", e);
                None
            }
        };
        let title = crate::text::clean(&self.title, MAX_REPORT_TITLE, false, false)
            .map_err(|e| errors.push("title", e))
            .ok();
        let mut narrative = Narrative::default();
        for (field, from, to) in [
            (
                "commentary",
                &self.narrative.commentary,
                &mut narrative.commentary,
            ),
            ("purpose", &self.narrative.purpose, &mut narrative.purpose),
            (
                "recommendations",
                &self.narrative.recommendations,
                &mut narrative.recommendations,
            ),
            (
                "background",
                &self.narrative.background,
                &mut narrative.background,
            ),
            (
                "financial",
                &self.narrative.financial,
                &mut narrative.financial,
            ),
            ("legal", &self.narrative.legal, &mut narrative.legal),
            (
                "equality",
                &self.narrative.equality,
                &mut narrative.equality,
            ),
        ] {
            let len = from.chars().count();
            if len > MAX_NARRATIVE {
                errors.push(
                    field,
                    format!("must be {MAX_NARRATIVE} characters or fewer (it has {len})"),
                );
            } else {
                *to = safe_text(from.trim()).replace("\r\n", "\n");
            }
        }
        if kind == Some(ReportKind::Cabinet) && self.meeting_id.is_some() {
            errors.push("meeting_id", "a Cabinet report is not for a board meeting");
        }
        match (kind, as_at, title) {
            (Some(kind), Some(as_at), Some(title)) if errors.is_empty() => Ok(SavedReport {
                id: 0,
                kind,
                title: if title.is_empty() {
                    format!("{} {}", kind.label(), as_at.format("%-d %B %Y"))
                } else {
                    title
                },
                as_at,
                meeting_id: self.meeting_id,
                narrative,
                version: 0,
            }),
            _ => Err(errors),
        }
    }
}

/// Parses a report's date: YYYY-MM-DD, not after `today` and not before
/// the organisation began (`founded`).
pub fn parse_as_at_date(
    s: &str,
    today: NaiveDate,
    founded: NaiveDate,
) -> Result<NaiveDate, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("enter the date the report is as at, like 2026-12-01".into());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        format!(
            "'{}' is not a date; use YYYY-MM-DD, like 2026-12-01",
            safe_text(s)
        )
    })?;
    if d > today {
        return Err(format!(
            "must be today ({today}) or earlier: the programme's future is not written yet"
        ));
    }
    if d < founded {
        return Err(format!(
            "must be on or after {founded}, the day the organisation began using Portfolio: there is no programme before it"
        ));
    }
    Ok(d)
}
