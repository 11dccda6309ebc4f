//! The demo council's scoring model and the assessments of its projects.
//!
//! Six criteria, weighted by pairwise comparisons whose consistency ratio is
//! well under 0.10, and an assessment of every demo project derived from what
//! the register says about it (themes, statutory tag, delivery confidence,
//! size) with a fixed-seed wobble, so the same council is built every time
//! and statutory work scores high on urgency, large work low on deliverability.

use std::collections::BTreeMap;

use crate::project::Project;
use crate::scoring::{AssessmentDraft, CriterionDraft, ScoreDraft, ScoringModelDraft};
use crate::DeliveryConfidence;

pub const MODEL_NAME: &str = "Northmere digital prioritisation 2027";

/// (key, name, description, descriptors for 0 to 5).
pub const CRITERIA: [(&str, &str, &str, [&str; 6]); 6] = [
    (
        "strategic_fit",
        "Strategic fit",
        "How directly the project advances the council's digital themes: smart and virtual working, virtual service delivery, communities connecting online.",
        [
            "Does not contribute to any theme",
            "Touches a theme indirectly",
            "Contributes to one theme",
            "Clearly advances one theme",
            "Clearly advances two themes",
            "Central to the digital strategy",
        ],
    ),
    (
        "citizen_impact",
        "Citizen impact",
        "How much residents notice the difference, and how many of them.",
        [
            "None",
            "A small group notices a minor change",
            "A small group is noticeably better served",
            "Many residents are noticeably better served",
            "Improves a service used by most residents",
            "Transforms a service used by most residents",
        ],
    ),
    (
        "savings",
        "Savings",
        "Cashable and non-cashable savings: money, staff time, avoided costs.",
        [
            "No savings",
            "Negligible savings",
            "Some staff time released",
            "Savings of up to £100k a year",
            "Savings of £100k to £500k a year",
            "Savings over £500k a year",
        ],
    ),
    (
        "statutory_urgency",
        "Statutory and urgency",
        "Whether the council must do it (a legal duty, an inspection, an end-of-support date) and how soon.",
        [
            "Discretionary, no deadline",
            "Discretionary, would be welcome soon",
            "Needed within two years",
            "Needed within a year",
            "Statutory duty or hard deadline within two years",
            "Statutory duty or hard deadline this year",
        ],
    ),
    (
        "risk",
        "Risk",
        "How safe the project is: a higher score is a lower delivery risk.",
        [
            "Very high risk: likely to fail as planned",
            "High risk",
            "Significant risk, being managed",
            "Moderate risk",
            "Low risk",
            "Very low risk: proven approach",
        ],
    ),
    (
        "deliverability",
        "Deliverability",
        "How readily the council can deliver it with the skills, suppliers and time it has.",
        [
            "Cannot be delivered as things stand",
            "Needs skills or suppliers the council lacks",
            "Deliverable with significant new capacity",
            "Deliverable with some extra capacity",
            "Deliverable with existing teams",
            "Small, well understood, ready to start",
        ],
    ),
];

/// The comparisons above the diagonal, in the order of [`CRITERIA`]:
/// `(i, j, how much more i matters than j)`.
pub const COMPARISONS: [(usize, usize, f64); 15] = [
    (0, 1, 0.5),
    (0, 2, 2.0),
    (0, 3, 0.5),
    (0, 4, 3.0),
    (0, 5, 2.0),
    (1, 2, 2.0),
    (1, 3, 1.0),
    (1, 4, 4.0),
    (1, 5, 3.0),
    (2, 3, 0.5),
    (2, 4, 2.0),
    (2, 5, 1.0),
    (3, 4, 4.0),
    (3, 5, 3.0),
    (4, 5, 0.5),
];

/// The demo's scoring model, weighted by [`COMPARISONS`].
pub fn model() -> ScoringModelDraft {
    let upper: BTreeMap<(usize, usize), f64> =
        COMPARISONS.iter().map(|&(i, j, v)| ((i, j), v)).collect();
    ScoringModelDraft {
        name: MODEL_NAME.to_string(),
        criteria: CRITERIA
            .iter()
            .map(|(key, name, description, descriptors)| CriterionDraft {
                key: key.to_string(),
                name: name.to_string(),
                description: description.to_string(),
                descriptors: descriptors.iter().map(|d| d.to_string()).collect(),
                weight: None,
            })
            .collect(),
        pairwise: Some(crate::scoring::matrix_from_comparisons(
            CRITERIA.len(),
            &upper,
        )),
        save_anyway: false,
    }
}

/// A small deterministic wobble per project and criterion: 0, 1 or 2.
fn wobble(seed: u64, salt: u64) -> u8 {
    let mut x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x % 3) as u8
}

fn clamp(v: i32) -> i64 {
    i64::from(v.clamp(0, 5))
}

/// A plausible assessment of a demo project, from its register entry.
pub fn assessment(project: &Project) -> AssessmentDraft {
    let seed = project
        .code
        .bytes()
        .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let w = |salt: u64| i32::from(wobble(seed, salt));
    let themes: Vec<&str> = project.themes.iter().map(|t| t.slug.as_str()).collect();
    let statutory = project.tags.iter().any(|t| t == "statutory");
    let serves_residents =
        themes.contains(&"virtual-service-delivery") || themes.contains(&"communities");
    let automates =
        project.tags.iter().any(|t| t == "rpa") || project.title.to_lowercase().contains("automat");
    let pounds = project.total_cost().pence() / 100;
    let size = match pounds {
        p if p < 50_000 => 1,
        p if p < 250_000 => 2,
        p if p < 1_000_000 => 3,
        _ => 4,
    };
    let strategic = 1 + themes.len() as i32 + w(1) / 2 + i32::from(size >= 3);
    let citizen = if serves_residents {
        2 + w(2) + i32::from(size >= 3)
    } else {
        w(2)
    };
    let savings = if automates {
        4 + w(3) / 2
    } else if themes.contains(&"smart-and-virtual-working") {
        2 + w(3)
    } else {
        1 + w(3)
    };
    let urgency = if statutory { 4 + w(4) / 2 } else { w(4) };
    let risk = match project.confidence {
        Some(DeliveryConfidence::Green) => 5,
        Some(DeliveryConfidence::AmberGreen) => 4,
        Some(DeliveryConfidence::Amber) => 3,
        Some(DeliveryConfidence::AmberRed) => 2,
        Some(DeliveryConfidence::Red) => 1,
        _ => 2 + w(5),
    };
    let deliverability = 6 - size - w(6) / 2;
    let values = [
        ("strategic_fit", strategic, ""),
        (
            "citizen_impact",
            citizen,
            if serves_residents {
                "Residents use the service directly."
            } else {
                "Mainly internal; residents benefit indirectly."
            },
        ),
        ("savings", savings, ""),
        (
            "statutory_urgency",
            urgency,
            if statutory {
                "A statutory duty: the council must deliver it."
            } else {
                ""
            },
        ),
        ("risk", risk, ""),
        ("deliverability", deliverability, ""),
    ];
    AssessmentDraft {
        scores: values
            .iter()
            .map(|(k, v, why)| {
                (
                    k.to_string(),
                    ScoreDraft {
                        score: Some(clamp(*v)),
                        rationale: Some(why.to_string()).filter(|s| !s.is_empty()),
                    },
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::Weighting;

    #[test]
    fn the_demo_model_is_consistent_and_valid() {
        let input = model().validate().expect("the demo model validates");
        let Weighting::Pairwise { consistency, .. } = &input.weighting else {
            panic!("pairwise expected")
        };
        assert!(consistency.ratio < 0.10, "{consistency:?}");
        let total: f64 = input.criteria.iter().map(|c| c.weight).sum();
        assert!((total - 1.0).abs() < 1e-9);
        let weight = |k: &str| input.criteria.iter().find(|c| c.key == k).unwrap().weight;
        assert!(weight("statutory_urgency") > weight("risk"));
        assert!(weight("citizen_impact") > weight("savings"));
    }
}
