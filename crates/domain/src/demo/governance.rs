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

/// The demo's Programme Board: the last meeting was held this many days
/// before the demo starts, and the next is this many days after.
pub const LAST_MEETING_DAYS_AGO: i64 = 28;
pub const NEXT_MEETING_IN_DAYS: i64 = 14;
pub const MEETING_PLACE: &str = "Committee Room 2, County Hall";

/// Who attends the board, by email (users of the demo council), and a guest.
pub const BOARD_MEMBERS: [&str; 5] = [
    "cdo@northmere.example",
    "programme.manager@northmere.example",
    "finance.head@northmere.example",
    "transformation.head@northmere.example",
    super::ADMIN_EMAIL,
];
pub const BOARD_GUESTS: [&str; 1] = ["Cllr Helen Marsh, Cabinet Member for Resources and Digital"];

/// The item the last meeting added by hand, and its decision.
pub const STRATEGY_ITEM: (&str, &str) = (
    "Digital strategy: six-month review",
    "The Chief Digital Officer presents progress against the digital strategy and the pipeline for next year.",
);
pub const STRATEGY_DECISION: &str =
    "Noted the progress. Agreed that the refreshed strategy goes to Cabinet in March, \
     with next year's pipeline prioritised by the scoring model.";
/// The last meeting's decision on each escalated risk and on each project rated Red or Amber/Red.
pub const RISK_DECISION: &str =
    "Accepted the assessment and its actions; the board reviews the risk again at its next meeting.";
pub const PROJECT_DECISION: &str =
    "Asked the project manager for a recovery plan, with revised dates and costs, by the next meeting.";

/// Actions of the last meeting: (description, owner's email, days after
/// the meeting it is due, status).
pub const ACTIONS: [(&str, &str, i64, &str); 3] = [
    (
        "Circulate the refreshed digital strategy to Cabinet Members before the March Cabinet.",
        "cdo@northmere.example",
        21,
        "in_progress",
    ),
    (
        "Confirm the 2027/28 capital reserve for digital projects with the Section 151 officer.",
        "finance.head@northmere.example",
        14,
        "done",
    ),
    (
        "Bring a costed option for two contract developers to ease the capacity risk.",
        "programme.manager@northmere.example",
        42,
        "not_started",
    ),
];

/// The demo's highlight reports: every project in delivery reported for
/// the two months before the demo starts. The earlier month's rating is
/// one step better for a project now Red or Amber/Red (the trend shows
/// it slipping); the later month's is the project's own.
pub fn earlier_rating(now: crate::DeliveryConfidence) -> crate::DeliveryConfidence {
    use crate::DeliveryConfidence as C;
    match now {
        C::Red => C::AmberRed,
        C::AmberRed => C::Amber,
        other => other,
    }
}

/// The one-line reason and the progress narrative a demo project manager
/// gives for a rating.
pub fn highlight_words(rating: crate::DeliveryConfidence) -> (&'static str, &'static str) {
    use crate::DeliveryConfidence as C;
    match rating {
        C::Green => (
            "On plan, on budget; no issues needing the board",
            "Sprints delivered as planned. User research sessions with residents confirmed the design; the service team is ready for the next release.",
        ),
        C::AmberGreen => (
            "Minor slippage recoverable within the quarter",
            "Most of the planned work is done. Two stories moved to the next sprint after supplier questions; the team expects to recover the time this quarter.",
        ),
        C::Amber => (
            "Supplier dependency puts the next milestone at risk",
            "Integration testing with the supplier's system is behind. The project manager has agreed a recovery plan with the supplier, reviewed weekly.",
        ),
        C::AmberRed => (
            "Key milestone will be missed without more capacity",
            "Data migration is taking longer than planned and the team has lost a developer to another project. The go-live date will slip unless capacity is found.",
        ),
        C::Red => (
            "Go-live date missed; re-plan and more funding needed",
            "The go-live date has passed. Testing found defects in the case management interface; a re-plan with revised costs is being prepared for the board.",
        ),
    }
}
