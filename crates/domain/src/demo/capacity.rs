//! The demo council's capacity and money: five resource pools with supply
//! per quarter for 2026/27–2028/29, capital and revenue budgets for those
//! years, and a plan for each of the 76 projects.
//!
//! It is made to be a real choice: under current funding the projects still
//! to start (concept and design) want roughly 1.5–2× the money and the
//! specialists left once delivery projects have taken theirs, so a good
//! programme leaves some out or delays them.

use super::catalogue::CATALOGUE;
use super::Lcg;
use crate::capacity::{
    quarters_between, relative_costs, BudgetDraft, DemandDraft, PlanDraft, PoolDraft,
    RelativeCostDraft, SupplyDraft,
};
use crate::project::{CostLine, ProjectDraft};
use crate::quarters::{FinancialQuarter, FinancialYear};
use crate::Money;

/// The first financial year the demo plans for, and how many.
pub const FIRST_YEAR: i32 = 2026;
pub const YEARS: i32 = 3;

/// Slug, name, description, and supply (FTE) in each of the three years.
pub const POOLS: [(&str, &str, &str, [f64; 3]); 5] = [
    (
        "developers",
        "Developers",
        "Software developers and testers in the digital team, and the contractors it can call on.",
        [16.0, 16.0, 17.0],
    ),
    (
        "business-analysts",
        "Business analysts",
        "Business analysts who map processes and write requirements with services.",
        [9.5, 9.5, 9.5],
    ),
    (
        "rpa-specialists",
        "RPA specialists",
        "Robotic process automation developers in the automation centre of excellence.",
        [1.5, 1.5, 1.5],
    ),
    (
        "change-managers",
        "Change managers",
        "Business change and training leads who help staff adopt new ways of working.",
        [6.0, 6.0, 6.0],
    ),
    (
        "data-engineers",
        "Data engineers",
        "Data engineers and analysts who build integrations, data hubs and dashboards.",
        [1.5, 1.5, 2.0],
    ),
];

/// Capital and revenue (pounds) in each of the three years, under current funding.
pub const BUDGETS: [(i32, i64, i64); 3] = [
    (2026, 3_200_000, 800_000),
    (2027, 3_100_000, 770_000),
    (2028, 2_900_000, 730_000),
];

/// Dependencies, by catalogue position (DP-number): (before, after).
pub const DEPENDENCIES: [(u32, u32); 5] = [
    // The new children's case management system before the SEND portal.
    (19, 20),
    // Teams for every member of staff before Teams telephony in the contact centre.
    (51, 52),
    // The RPA platform before the automations built on it.
    (57, 9),
    (57, 26),
    (57, 56),
];

/// Two options for the same need: modernising how the contact centre answers residents.
pub const EXCLUSIVE: (&str, [u32; 2]) = ("contact-centre-channels", [52, 64]);

pub fn pool_drafts() -> Vec<PoolDraft> {
    POOLS
        .iter()
        .map(|(slug, name, description, per_year)| PoolDraft {
            slug: Some(slug.to_string()),
            name: name.to_string(),
            unit: "FTE".into(),
            description: description.to_string(),
            supply: (0..YEARS)
                .flat_map(|y| {
                    (1..=4).map(move |q| SupplyDraft {
                        quarter: format!(
                            "{}/{:02} Q{q}",
                            FIRST_YEAR + y,
                            (FIRST_YEAR + y + 1) % 100
                        ),
                        amount: per_year[y as usize],
                    })
                })
                .collect(),
        })
        .collect()
}

/// `(year, draft)` for each of the three years.
pub fn budget_drafts() -> Vec<(String, BudgetDraft)> {
    BUDGETS
        .iter()
        .map(|&(year, capital, revenue)| {
            (
                format!("{year}/{:02}", (year + 1) % 100),
                BudgetDraft {
                    capital_pence: capital * 100,
                    revenue_pence: revenue * 100,
                },
            )
        })
        .collect()
}

fn contains_any(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

fn date(s: &Option<String>) -> Option<chrono::NaiveDate> {
    s.as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// A plan for each demo project, in the order of `projects` (the demo's 76):
/// costs from its cost lines, demand by the kind of project, windows that let
/// concept and design projects start within the three years, and delivery
/// projects kept to their dates.
pub fn plan_drafts(projects: &[ProjectDraft]) -> Vec<(String, PlanDraft)> {
    let mut rng = Lcg(0x706c_616e);
    projects
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let number = i as u32 + 1;
            let entry = &CATALOGUE[i % CATALOGUE.len()];
            let title = p.title.to_lowercase();
            let start = date(&p.start_date).unwrap_or_default();
            let end = date(&p.end_date).unwrap_or(start);
            let start_q = FinancialQuarter::containing(start, 4);
            let duration = quarters_between(start, end, 4).max(2);
            let lines: Vec<CostLine> = p
                .costs
                .iter()
                .filter_map(|c| {
                    Some(CostLine {
                        year: FinancialYear::parse(&c.year).ok()?,
                        capital_pence: Money::from_pence(c.capital_pence).ok()?,
                        revenue_pence: Money::from_pence(c.revenue_pence).ok()?,
                    })
                })
                .collect();
            let costs = relative_costs(&lines, start_q.year);
            let total: i64 = costs
                .iter()
                .map(|c| c.capital.pence() + c.revenue.pence())
                .sum();
            let (earliest, latest) = match p.stage.as_str() {
                "delivery" => (start_q, start_q),
                "design" => (
                    FinancialQuarter::parse("2026/27 Q1").unwrap_or(start_q),
                    FinancialQuarter::parse("2028/29 Q1").unwrap_or(start_q),
                ),
                _ => (
                    FinancialQuarter::parse("2026/27 Q3").unwrap_or(start_q),
                    FinancialQuarter::parse("2028/29 Q2").unwrap_or(start_q),
                ),
            };
            // Demand by the kind of project, scaled by its size.
            let size = f64::from(entry.size);
            let mut per_quarter: Vec<(&str, f64, bool)> = Vec::new();
            let rpa = contains_any(&title, &["rpa", "robotic process"]);
            let data = contains_any(
                &title,
                &[
                    "data",
                    "dashboard",
                    "record integration",
                    "hub",
                    "intelligence",
                ],
            );
            let change = contains_any(
                &title,
                &[
                    "teams",
                    "microsoft 365",
                    "skills",
                    "hybrid",
                    "refresh",
                    "self-service",
                    "case management",
                ],
            );
            let build = !contains_any(
                &title,
                &[
                    "teams for every",
                    "laptop",
                    "network",
                    "voucher",
                    "device lending",
                    "charge point",
                ],
            );
            if rpa {
                per_quarter.push(("rpa-specialists", 0.5 * size.min(3.0), false));
            }
            if build {
                per_quarter.push((
                    "developers",
                    0.25 * size + 0.25 * rng.below(2) as f64,
                    false,
                ));
            }
            per_quarter.push((
                "business-analysts",
                if size >= 3.0 { 0.5 } else { 0.25 },
                false,
            ));
            if data {
                per_quarter.push(("data-engineers", if size >= 3.0 { 1.0 } else { 0.5 }, false));
            }
            if change || size >= 3.0 {
                // Change managers work in the second half of a project.
                per_quarter.push(("change-managers", if size >= 4.0 { 1.0 } else { 0.5 }, true));
            }
            let mut demand = Vec::new();
            for (pool, amount, second_half) in per_quarter {
                for k in 0..duration {
                    if second_half && k < duration / 2 {
                        continue;
                    }
                    demand.push(DemandDraft {
                        pool: pool.to_string(),
                        offset: i64::from(k),
                        amount,
                    });
                }
            }
            // Cashable benefits: most for automation and self-service, none for statutory work.
            let factor = if entry.statutory {
                0
            } else if rpa || contains_any(&title, &["self-service", "online", "portal"]) {
                100 + rng.below(150) as i64
            } else {
                rng.below(90) as i64
            };
            let benefits = total * factor / 100 / 100_000 * 100_000;
            let depends_on = DEPENDENCIES
                .iter()
                .filter(|(_, after)| *after == number)
                .map(|(before, _)| format!("{}-{before:03}", super::CODE_PREFIX))
                .collect();
            let exclusive_group = EXCLUSIVE
                .1
                .contains(&number)
                .then(|| EXCLUSIVE.0.to_string());
            (
                p.code.clone().unwrap_or_default(),
                PlanDraft {
                    earliest_start: Some(earliest.to_string()),
                    latest_start: Some(latest.to_string()),
                    duration_quarters: i64::from(duration),
                    demand,
                    costs: costs
                        .iter()
                        .map(|c| RelativeCostDraft {
                            offset: i64::from(c.offset),
                            capital_pence: c.capital.pence(),
                            revenue_pence: c.revenue.pence(),
                        })
                        .collect(),
                    benefits_pence: benefits,
                    mandatory: entry.statutory,
                    depends_on,
                    exclusive_group,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Money and specialists the projects still to start want, against what
    /// is left over the three years once delivery projects have theirs.
    #[test]
    fn current_funding_is_a_real_choice() {
        let projects = super::super::projects();
        let plans = plan_drafts(&projects);
        assert_eq!(plans.len(), 76);
        let horizon = FinancialQuarter::parse("2026/27 Q1").unwrap();
        let (mut cand_money, mut fixed_money) = ([0i64; 2], [0i64; 2]);
        let mut cand_demand = [0f64; 5];
        let mut fixed_demand = [0f64; 5];
        for (p, (_, plan)) in projects.iter().zip(&plans) {
            let delivery = p.stage == "delivery";
            let start = FinancialQuarter::parse(plan.earliest_start.as_deref().unwrap()).unwrap();
            for c in &plan.costs {
                let year = start.year.start_year() + c.offset as i32;
                let in_horizon = (FIRST_YEAR..FIRST_YEAR + YEARS).contains(&year);
                if delivery && in_horizon {
                    fixed_money[0] += c.capital_pence;
                    fixed_money[1] += c.revenue_pence;
                } else if !delivery {
                    cand_money[0] += c.capital_pence;
                    cand_money[1] += c.revenue_pence;
                }
            }
            for d in &plan.demand {
                let pool = POOLS.iter().position(|(s, ..)| *s == d.pool).unwrap();
                let q = start.plus(d.offset).index_from(horizon);
                if delivery && (0..12).contains(&q) {
                    fixed_demand[pool] += d.amount;
                } else if !delivery {
                    cand_demand[pool] += d.amount;
                }
            }
        }
        let budget: [i64; 2] = [
            BUDGETS.iter().map(|b| b.1 * 100).sum(),
            BUDGETS.iter().map(|b| b.2 * 100).sum(),
        ];
        for m in 0..2 {
            let ratio = cand_money[m] as f64 / (budget[m] - fixed_money[m]) as f64;
            assert!(
                (1.5..=2.0).contains(&ratio),
                "money {m}: candidates want {ratio:.2}× what is left"
            );
        }
        for (i, (slug, _, _, per_year)) in POOLS.iter().enumerate() {
            let supply: f64 = per_year.iter().map(|a| a * 4.0).sum();
            let ratio = cand_demand[i] / (supply - fixed_demand[i]);
            assert!(
                (1.3..=2.2).contains(&ratio),
                "{slug}: candidates want {ratio:.2}× what is left"
            );
        }
    }
}
