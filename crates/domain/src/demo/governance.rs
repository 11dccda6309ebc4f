//! The demo council's governance: gate requests waiting for the Digital
//! Programme Board, with the evidence a project manager would give.
//!
//! Requests name projects by stage and position (the n-th project in that
//! stage, in code order), so they follow the catalogue.

use crate::gates::{ChecklistItem, EvidenceDraft};
use crate::stage::Stage;

/// A gate request the demo makes: the project (its stage and its position
/// among that stage's projects in code order) and why it is ready.
pub struct DemoGateRequest {
    pub stage: Stage,
    pub position: usize,
    pub summary: &'static str,
}

/// Requests waiting for the board when the demo starts.
pub const GATE_REQUESTS: [DemoGateRequest; 2] = [
    DemoGateRequest {
        stage: Stage::Concept,
        position: 0,
        summary: "The outline business case was agreed by the Health and Care leadership team; \
                  design can start in the next quarter with the team already in place.",
    },
    DemoGateRequest {
        stage: Stage::Design,
        position: 2,
        summary: "Design is complete and tested with residents; the full business case and \
                  funding were approved by the Section 151 officer.",
    },
];

/// The note a demo project manager gives for a checklist item.
pub fn evidence_note(item: &ChecklistItem) -> String {
    let reference = match item.key.as_str() {
        "outline-business-case" | "business-case" => {
            "Approved by the sponsor; stored in the programme SharePoint, Business cases folder"
        }
        "funding-identified" | "funding-confirmed" => {
            "Digital transformation reserve, capital line agreed with Finance"
        }
        "dpia-screening" | "dpia" => {
            "Reviewed by the Data Protection Officer; no high residual risk"
        }
        "equality-impact" => "Completed with the Equalities team; actions in the plan",
        "procurement" => "Call-off from the Crown Commercial Service framework",
        "risk-register" => "Reviewed at the last project board",
        "resources" => "Business analyst and two developers from the shared pool",
        _ => "Recorded in the project folder",
    };
    format!("{reference}.")
}

/// Every item of a checklist ticked with its demo note.
pub fn evidence(items: &[ChecklistItem]) -> Vec<EvidenceDraft> {
    items
        .iter()
        .map(|i| EvidenceDraft {
            item: i.key.clone(),
            provided: true,
            note: evidence_note(i),
        })
        .collect()
}
