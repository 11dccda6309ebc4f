//! The demo council's two scenarios: the programme its current money and
//! people allow, and what the recovery investment the board is weighing
//! would add (more capital and revenue each year, two more developers and
//! one more business analyst).

use crate::scenario::{BudgetAdjustmentDraft, CapacityAdjustmentDraft, ScenarioDraft};

pub const CURRENT_FUNDING: &str = "Current funding";
pub const RECOVERY_INVESTMENT: &str = "With recovery investment";

/// The scenarios the demo council starts with.
pub fn scenarios() -> Vec<ScenarioDraft> {
    let base = ScenarioDraft {
        objective: "priority_score".into(),
        first_year: "2026/27".into(),
        years: 3,
        time_limit_seconds: 30,
        ..Default::default()
    };
    vec![
        ScenarioDraft {
            name: CURRENT_FUNDING.into(),
            description: "The budgets and teams the council has now. Statutory work and the \
                          projects already in delivery come first."
                .into(),
            ..base.clone()
        },
        ScenarioDraft {
            name: RECOVERY_INVESTMENT.into(),
            description: "The recovery investment put to Cabinet: £600,000 more capital and \
                          £250,000 more revenue in each of the three years, two more developers \
                          and one more business analyst."
                .into(),
            budget_adjustments: ["2026/27", "2027/28", "2028/29"]
                .into_iter()
                .map(|year| BudgetAdjustmentDraft {
                    year: year.into(),
                    capital_pence: 60_000_000,
                    revenue_pence: 25_000_000,
                })
                .collect(),
            capacity_adjustments: vec![
                CapacityAdjustmentDraft {
                    pool: "developers".into(),
                    amount: 2.0,
                },
                CapacityAdjustmentDraft {
                    pool: "business-analysts".into(),
                    amount: 1.0,
                },
            ],
            ..base
        },
    ]
}
