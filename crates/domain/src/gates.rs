//! Stage gates: the evidence an organisation asks for before a project moves
//! to the next stage, the request a project manager makes, and the board's
//! decision on it.
//!
//! A gate is one forward step on the main path (idea → concept → design →
//! delivery → live → closed). Each organisation keeps a checklist per gate;
//! where it has not written one, [`default_checklist`] gives a UK council's.
//! A request must tick every item of the checklist with a note or a link; a
//! decision is approved, approved with conditions, deferred or rejected, with
//! reasons. Only an approved decision (with or without conditions) moves the
//! project, and the store does that in the decision's own transaction.
//!
//! This module parses and decides; it reads no clock and stores nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::errors::ValidationErrors;
use crate::stage::Stage;
use crate::text::{clean, slugify};

/// The longest checklist item label, note, reason or condition, in characters.
pub const MAX_ITEM_LABEL: usize = 200;
pub const MAX_NOTE: usize = 2_000;
pub const MAX_REASONS: usize = 4_000;
/// Most items a checklist may hold.
pub const MAX_ITEMS: usize = 30;

/// One forward step on the main path: the move a gate request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gate {
    pub from: Stage,
    pub to: Stage,
}

impl Gate {
    /// Every gate, in path order.
    pub fn all() -> Vec<Gate> {
        Stage::PATH
            .windows(2)
            .map(|w| Gate {
                from: w[0],
                to: w[1],
            })
            .collect()
    }

    /// The gate for a move, or why the stage rules forbid it (or why it needs no gate).
    pub fn for_move(from: Stage, to: Stage) -> Result<Gate, String> {
        if from == to {
            return Err(format!("the project is already in {}", to.label()));
        }
        from.check_move(to)?;
        Gate::all()
            .into_iter()
            .find(|g| g.from == from && g.to == to)
            .ok_or_else(|| {
                format!(
                    "a move from {} to {} is not a gate: a gate moves a project one stage forward",
                    from.label(),
                    to.label()
                )
            })
    }

    /// The gate out of a stage, if the stage has a next one on the main path.
    pub fn next_from(from: Stage) -> Option<Gate> {
        Gate::all().into_iter().find(|g| g.from == from)
    }

    /// Whether moving a project from `from` to `to` needs an approved gate.
    pub fn is_gated(from: Stage, to: Stage) -> bool {
        Gate::all().iter().any(|g| g.from == from && g.to == to)
    }

    /// "concept-design", as addresses and the API name it.
    pub fn slug(self) -> String {
        format!(
            "{}-{}",
            self.from.as_str().replace('_', "-"),
            self.to.as_str().replace('_', "-")
        )
    }

    pub fn parse(slug: &str) -> Result<Gate, String> {
        let s = slug.trim().to_ascii_lowercase();
        Gate::all()
            .into_iter()
            .find(|g| g.slug() == s)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a gate; use one of {}",
                    slug.trim(),
                    Gate::all()
                        .iter()
                        .map(|g| g.slug())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// "Concept to Design".
    pub fn label(self) -> String {
        format!("{} to {}", self.from.label(), self.to.label())
    }
}

/// One piece of evidence a gate asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChecklistItem {
    /// Stable key, e.g. "business-case"; evidence names it.
    pub key: String,
    /// What is asked, e.g. "Business case approved".
    pub label: String,
}

/// The checklist of one gate in one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GateChecklist {
    /// e.g. "concept-design".
    pub gate: String,
    #[schema(value_type = String)]
    pub from_stage: Stage,
    #[schema(value_type = String)]
    pub to_stage: Stage,
    pub items: Vec<ChecklistItem>,
    /// 0 while the organisation uses the default checklist.
    pub version: i64,
}

fn items(list: &[(&str, &str)]) -> Vec<ChecklistItem> {
    list.iter()
        .map(|(key, label)| ChecklistItem {
            key: key.to_string(),
            label: label.to_string(),
        })
        .collect()
}

/// The evidence a UK council typically asks for at each gate.
pub fn default_checklist(gate: Gate) -> GateChecklist {
    let list: &[(&str, &str)] = match (gate.from, gate.to) {
        (Stage::Idea, Stage::Concept) => &[
            ("sponsor", "Senior sponsor named"),
            ("problem-statement", "Problem statement and outcomes agreed"),
            (
                "strategic-fit",
                "Fit with the council's digital strategy shown",
            ),
        ],
        (Stage::Concept, Stage::Design) => &[
            ("outline-business-case", "Outline business case approved"),
            ("funding-identified", "Funding identified for design"),
            (
                "dpia-screening",
                "Data protection impact assessment screening done",
            ),
            ("resources", "Design team and capacity agreed"),
        ],
        (Stage::Design, Stage::Delivery) => &[
            ("business-case", "Full business case approved"),
            ("funding-confirmed", "Funding confirmed for delivery"),
            ("dpia", "Data protection impact assessment completed"),
            ("equality-impact", "Equality impact assessment completed"),
            ("procurement", "Procurement route agreed"),
            ("risk-register", "Risk register reviewed"),
        ],
        (Stage::Delivery, Stage::Live) => &[
            (
                "service-assessment",
                "Service assessment or acceptance testing passed",
            ),
            ("security", "Security and penetration testing done"),
            ("accessibility", "Accessibility (WCAG 2.2 AA) checked"),
            ("support", "Support and operating model in place"),
        ],
        _ => &[
            ("benefits", "Benefits realisation handed over"),
            ("lessons", "Lessons learned recorded"),
            ("handover", "Service handed over to business as usual"),
        ],
    };
    GateChecklist {
        gate: gate.slug(),
        from_stage: gate.from,
        to_stage: gate.to,
        items: items(list),
        version: 0,
    }
}

/// Parses a checklist written one item per line (the form's textarea, or
/// the API's list of labels); keys are made from the labels.
pub fn parse_checklist(
    gate: Gate,
    labels: &[String],
) -> Result<Vec<ChecklistItem>, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let mut out: Vec<ChecklistItem> = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        if label.trim().is_empty() {
            continue;
        }
        let Some(label) = errors.check(
            &format!("items[{i}]"),
            clean(label, MAX_ITEM_LABEL, true, false),
        ) else {
            continue;
        };
        let key = slugify(&label);
        if key.is_empty() {
            errors.push(
                format!("items[{i}]"),
                format!("'{label}' needs a letter or a digit"),
            );
        } else if out.iter().any(|o| o.key == key) {
            errors.push(format!("items[{i}]"), format!("'{label}' is listed twice"));
        } else {
            out.push(ChecklistItem { key, label });
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(
            "items",
            format!(
                "the {} gate needs at least one item of evidence",
                gate.label()
            ),
        );
    }
    if out.len() > MAX_ITEMS {
        errors.push(
            "items",
            format!(
                "must list {MAX_ITEMS} items or fewer (it has {})",
                out.len()
            ),
        );
    }
    errors.into_result(|| out)
}

/// What a request says about one checklist item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidenceDraft {
    /// The checklist item's key.
    pub item: String,
    /// Ticked: the evidence exists.
    #[serde(default)]
    pub provided: bool,
    /// Where it is or what it says: a note or a link.
    #[serde(default)]
    pub note: String,
}

/// A gate request as a form or the API describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GateRequestDraft {
    /// The project's code, e.g. DP-012.
    #[serde(default)]
    pub project: String,
    /// The stage asked for; the next stage on the path.
    #[serde(default)]
    pub to_stage: String,
    /// Why the project is ready, in a sentence or two.
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub evidence: Vec<EvidenceDraft>,
}

/// One item of evidence as stored: the checklist's label kept with it, so a
/// later change to the checklist does not rewrite what was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    pub item: String,
    pub label: String,
    pub note: String,
}

/// A validated request, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRequestInput {
    pub gate: Gate,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

impl GateRequestDraft {
    /// Checks the move against the stage rules and the evidence against the
    /// checklist: every item ticked, each with a note or a link.
    pub fn validate(
        &self,
        current: Stage,
        checklist: &GateChecklist,
    ) -> Result<GateRequestInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let gate = match Stage::parse(&self.to_stage) {
            Ok(to) => errors.check("to_stage", Gate::for_move(current, to)),
            Err(e) => {
                errors.push("to_stage", e);
                None
            }
        };
        let summary = errors.check("summary", clean(&self.summary, MAX_NOTE, false, true));
        if let Some(unknown) = self
            .evidence
            .iter()
            .find(|e| !checklist.items.iter().any(|i| i.key == e.item.trim()))
        {
            errors.push(
                "evidence",
                format!("'{}' is not on this gate's checklist", unknown.item.trim()),
            );
        }
        let mut evidence = Vec::new();
        for item in &checklist.items {
            let field = format!("evidence[{}]", item.key);
            let given = self.evidence.iter().find(|e| e.item.trim() == item.key);
            match given {
                Some(e) if e.provided => match clean(&e.note, MAX_NOTE, true, true) {
                    Ok(note) => evidence.push(Evidence {
                        item: item.key.clone(),
                        label: item.label.clone(),
                        note,
                    }),
                    Err(m) if m.starts_with("must not be empty") => errors.push(
                        field,
                        format!("'{}' needs a note or a link to the evidence", item.label),
                    ),
                    Err(m) => errors.push(field, m),
                },
                _ => errors.push(
                    field,
                    format!(
                        "'{}' must be ticked, with a note or a link to the evidence",
                        item.label
                    ),
                ),
            }
        }
        match (gate, summary) {
            (Some(gate), Some(summary)) if errors.is_empty() => Ok(GateRequestInput {
                gate,
                summary,
                evidence,
            }),
            _ => Err(errors),
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    Pending,
    Approved,
    ApprovedWithConditions,
    Deferred,
    Rejected,
}

impl GateStatus {
    pub const ALL: [GateStatus; 5] = [
        GateStatus::Pending,
        GateStatus::Approved,
        GateStatus::ApprovedWithConditions,
        GateStatus::Deferred,
        GateStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GateStatus::Pending => "pending",
            GateStatus::Approved => "approved",
            GateStatus::ApprovedWithConditions => "approved_with_conditions",
            GateStatus::Deferred => "deferred",
            GateStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GateStatus::Pending => "Awaiting decision",
            GateStatus::Approved => "Approved",
            GateStatus::ApprovedWithConditions => "Approved with conditions",
            GateStatus::Deferred => "Deferred",
            GateStatus::Rejected => "Rejected",
        }
    }

    pub fn tag_colour(self) -> &'static str {
        match self {
            GateStatus::Pending => "yellow",
            GateStatus::Approved => "green",
            GateStatus::ApprovedWithConditions => "turquoise",
            GateStatus::Deferred => "orange",
            GateStatus::Rejected => "red",
        }
    }

    pub fn parse(s: &str) -> Result<GateStatus, String> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        GateStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a gate status; use pending, approved, approved_with_conditions, deferred or rejected",
                    s.trim()
                )
            })
    }

    /// Whether a decision with this outcome moves the project.
    pub fn moves_stage(self) -> bool {
        matches!(
            self,
            GateStatus::Approved | GateStatus::ApprovedWithConditions
        )
    }
}

/// The board's decision as a form or the API describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GateDecisionDraft {
    /// approved, approved_with_conditions, deferred or rejected.
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub reasons: String,
    /// Required when the outcome is approved_with_conditions.
    #[serde(default)]
    pub conditions: String,
}

/// A validated decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateDecisionInput {
    pub outcome: GateStatus,
    pub reasons: String,
    pub conditions: String,
    /// The board meeting the decision was taken in, if any (set by the
    /// meeting services, never by the caller's draft).
    pub meeting_id: Option<i64>,
}

impl GateDecisionDraft {
    pub fn validate(&self) -> Result<GateDecisionInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let outcome = match GateStatus::parse(&self.outcome) {
            Ok(GateStatus::Pending) => {
                errors.push(
                    "outcome",
                    "choose approved, approved with conditions, deferred or rejected",
                );
                None
            }
            Ok(o) => Some(o),
            Err(_) if self.outcome.trim().is_empty() => {
                errors.push("outcome", "choose the board's decision");
                None
            }
            Err(e) => {
                errors.push("outcome", e);
                None
            }
        };
        let reasons = errors.check(
            "reasons",
            clean(&self.reasons, MAX_REASONS, true, true).map_err(|e| {
                if e.starts_with("must not be empty") {
                    "must give the reasons for the decision".to_string()
                } else {
                    e
                }
            }),
        );
        let conditions = errors.check(
            "conditions",
            clean(&self.conditions, MAX_REASONS, false, true),
        );
        if outcome == Some(GateStatus::ApprovedWithConditions)
            && conditions.as_deref().is_some_and(str::is_empty)
        {
            errors.push("conditions", "must say the conditions of the approval");
        }
        match (outcome, reasons, conditions) {
            (Some(outcome), Some(reasons), Some(conditions)) if errors.is_empty() => {
                Ok(GateDecisionInput {
                    outcome,
                    reasons,
                    conditions,
                    meeting_id: None,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Who asked for or decided a gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GatePerson {
    pub user_id: Option<i64>,
    pub label: String,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GateDecision {
    pub outcome: GateStatus,
    pub reasons: String,
    pub conditions: String,
    pub decided_by: GatePerson,
    pub decided_at: DateTime<Utc>,
    pub meeting_id: Option<i64>,
}

/// A stored request, with its decision once taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GateRequest {
    pub id: i64,
    pub project_id: i64,
    pub project_code: String,
    pub project_title: String,
    #[schema(value_type = String)]
    pub from_stage: Stage,
    #[schema(value_type = String)]
    pub to_stage: Stage,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub status: GateStatus,
    pub requested_by: GatePerson,
    pub requested_at: DateTime<Utc>,
    pub decision: Option<GateDecision>,
    pub version: i64,
}

impl GateRequest {
    pub fn gate(&self) -> Gate {
        Gate {
            from: self.from_stage,
            to: self.to_stage,
        }
    }

    /// Refuses a second decision, and a decision on a project that has moved
    /// since the request was made.
    pub fn check_can_decide(&self, project_stage: Stage) -> Result<(), ValidationErrors> {
        if self.status != GateStatus::Pending {
            return Err(ValidationErrors::single(
                "outcome",
                format!(
                    "this request was already decided ({}); a project asks again with a new request",
                    self.status.label().to_lowercase()
                ),
            ));
        }
        if project_stage != self.from_stage {
            return Err(ValidationErrors::single(
                "outcome",
                format!(
                    "the project is now in {}, not {} as when the request was made; it needs a new request",
                    project_stage.label(),
                    self.from_stage.label()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concept_design() -> GateChecklist {
        default_checklist(Gate::for_move(Stage::Concept, Stage::Design).unwrap())
    }

    fn full_evidence(list: &GateChecklist) -> Vec<EvidenceDraft> {
        list.items
            .iter()
            .map(|i| EvidenceDraft {
                item: i.key.clone(),
                provided: true,
                note: format!("See https://example.org/{}", i.key),
            })
            .collect()
    }

    #[test]
    fn gates_are_the_forward_steps_of_the_path() {
        let all = Gate::all();
        assert_eq!(all.len(), 5);
        assert_eq!(all[1].slug(), "concept-design");
        assert_eq!(Gate::parse("design-delivery").unwrap().to, Stage::Delivery);
        assert!(Gate::parse("concept-delivery").is_err());
        assert!(Gate::is_gated(Stage::Design, Stage::Delivery));
        assert!(!Gate::is_gated(Stage::Design, Stage::Concept));
        assert!(!Gate::is_gated(Stage::Design, Stage::OnHold));
    }

    #[test]
    fn a_move_the_stage_rules_forbid_is_refused_by_them() {
        let skip = Gate::for_move(Stage::Concept, Stage::Delivery).unwrap_err();
        assert!(skip.contains("cannot be skipped"), "{skip}");
        let back = Gate::for_move(Stage::Design, Stage::Concept).unwrap_err();
        assert!(back.contains("not a gate"), "{back}");
        let ended = Gate::for_move(Stage::Closed, Stage::Live).unwrap_err();
        assert!(ended.contains("has ended"), "{ended}");
    }

    #[test]
    fn every_item_needs_a_tick_and_a_note() {
        let list = concept_design();
        let mut draft = GateRequestDraft {
            project: "DP-001".into(),
            to_stage: "design".into(),
            summary: "Ready".into(),
            evidence: full_evidence(&list),
        };
        let input = draft.validate(Stage::Concept, &list).unwrap();
        assert_eq!(input.evidence.len(), list.items.len());
        draft.evidence[0].note = "  ".into();
        draft.evidence[1].provided = false;
        let errors = draft.validate(Stage::Concept, &list).unwrap_err();
        assert!(errors
            .for_field("evidence[outline-business-case]")
            .unwrap()
            .contains("needs a note"));
        assert!(errors
            .for_field("evidence[funding-identified]")
            .unwrap()
            .contains("must be ticked"));
    }

    #[test]
    fn the_wrong_stage_names_the_field() {
        let list = concept_design();
        let draft = GateRequestDraft {
            to_stage: "delivery".into(),
            evidence: full_evidence(&list),
            ..Default::default()
        };
        let errors = draft.validate(Stage::Concept, &list).unwrap_err();
        assert!(errors.for_field("to_stage").unwrap().contains("skipped"));
    }

    #[test]
    fn decisions_need_reasons_and_conditions_when_conditional() {
        let d = GateDecisionDraft {
            outcome: "approved_with_conditions".into(),
            reasons: "Strong case".into(),
            ..Default::default()
        };
        let e = d.validate().unwrap_err();
        assert!(e.for_field("conditions").is_some());
        let e = GateDecisionDraft::default().validate().unwrap_err();
        assert!(e.for_field("outcome").is_some());
        assert!(e.for_field("reasons").is_some());
        let ok = GateDecisionDraft {
            outcome: "Deferred".into(),
            reasons: "Come back with costs".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.outcome, GateStatus::Deferred);
        assert!(!ok.outcome.moves_stage());
        assert!(GateStatus::ApprovedWithConditions.moves_stage());
    }

    #[test]
    fn checklists_parse_one_item_per_line() {
        let gate = Gate::parse("concept-design").unwrap();
        let items = parse_checklist(
            gate,
            &[
                "Business case approved".into(),
                "".into(),
                "DPIA done".into(),
            ],
        )
        .unwrap();
        assert_eq!(items[1].key, "dpia-done");
        let e = parse_checklist(gate, &["A".into(), "a".into()]).unwrap_err();
        assert!(e.for_field("items[1]").unwrap().contains("twice"));
        assert!(parse_checklist(gate, &[]).is_err());
    }

    #[test]
    fn a_decided_request_cannot_be_decided_again() {
        let list = concept_design();
        let mut r = GateRequest {
            id: 1,
            project_id: 1,
            project_code: "DP-001".into(),
            project_title: "T".into(),
            from_stage: Stage::Concept,
            to_stage: Stage::Design,
            summary: String::new(),
            evidence: Vec::new(),
            status: GateStatus::Pending,
            requested_by: GatePerson {
                user_id: None,
                label: "x".into(),
            },
            requested_at: Utc::now(),
            decision: None,
            version: 1,
        };
        assert!(r.check_can_decide(Stage::Concept).is_ok());
        assert!(r.check_can_decide(Stage::Design).is_err());
        r.status = GateStatus::Rejected;
        assert!(r.check_can_decide(Stage::Concept).is_err());
        assert_eq!(list.version, 0);
    }
}
