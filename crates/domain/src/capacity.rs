//! Capacity and money: resource pools with supply per quarter, budgets per
//! financial year, each project's plan (its start window, and its demand and
//! costs *relative to its start*), and the supply-versus-demand heat map.
//!
//! A plan says what a project needs counted from whenever it starts: demand
//! per pool in the k-th quarter from the start, costs in the k-th financial
//! year from the year it starts in. So the optimiser can move the start and
//! the needs move with it; the heat map places them from the project's own
//! start date to show the current plan.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::errors::ValidationErrors;
use crate::money::Money;
use crate::project::{CostLine, Project, ProjectCode};
use crate::quarters::{FinancialQuarter, FinancialYear};
use crate::stage::Stage;
use crate::text::{clean, slugify};

pub const MAX_NAME: usize = 100;
pub const MAX_DESCRIPTION: usize = 2_000;
pub const MAX_UNIT: usize = 20;
pub const MAX_SLUG: usize = 60;
/// A project lasts 1 to 40 quarters (ten years).
pub const MAX_DURATION: u32 = 40;
/// Years of costs a plan may list, counted from the start year.
pub const MAX_COST_YEARS: u32 = 11;
/// The largest supply or demand in one quarter (units of the pool).
pub const MAX_AMOUNT: f64 = 100_000.0;
/// Quarters of supply a pool may list (25 years).
pub const MAX_SUPPLY_QUARTERS: usize = 100;
/// Utilisation from which a cell of the heat map is "near" capacity.
pub const NEAR_FROM: f64 = 0.85;
pub const DEFAULT_UNIT: &str = "FTE";

/// Supply of a pool in one quarter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarterSupply {
    #[schema(value_type = String, example = "2027/28 Q1")]
    pub quarter: FinancialQuarter,
    /// Units available (e.g. FTE), at most two decimal places.
    pub amount: f64,
}

/// A kind of scarce capacity with its supply per quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResourcePool {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// What the amounts count, e.g. "FTE".
    pub unit: String,
    pub description: String,
    /// In quarter order, each quarter once; a quarter not listed has no supply.
    pub supply: Vec<QuarterSupply>,
    pub version: i64,
}

impl ResourcePool {
    /// Supply in a quarter (0 when the pool lists none for it).
    pub fn supply_in(&self, quarter: FinancialQuarter) -> f64 {
        self.supply
            .iter()
            .find(|s| s.quarter == quarter)
            .map_or(0.0, |s| s.amount)
    }

    /// Whether the pool says anything about a quarter.
    pub fn lists(&self, quarter: FinancialQuarter) -> bool {
        self.supply.iter().any(|s| s.quarter == quarter)
    }
}

/// Supply as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplyDraft {
    /// e.g. "2027/28 Q1".
    pub quarter: String,
    pub amount: f64,
}

/// A resource pool as a form or JSON body describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolDraft {
    /// Left out, made from the name ("Business analysts" → "business-analysts").
    #[serde(default)]
    pub slug: Option<String>,
    pub name: String,
    /// Defaults to "FTE".
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub supply: Vec<SupplyDraft>,
}

/// A validated pool, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolInput {
    pub slug: String,
    pub name: String,
    pub unit: String,
    pub description: String,
    pub supply: Vec<QuarterSupply>,
}

impl PoolInput {
    pub fn to_pool(&self, id: i64, version: i64) -> ResourcePool {
        ResourcePool {
            id,
            slug: self.slug.clone(),
            name: self.name.clone(),
            unit: self.unit.clone(),
            description: self.description.clone(),
            supply: self.supply.clone(),
            version,
        }
    }
}

/// An amount of a pool: finite, not negative, at most two decimal places.
pub fn parse_amount(amount: f64) -> Result<f64, String> {
    if !amount.is_finite() {
        return Err("must be a number".into());
    }
    if amount < 0.0 {
        return Err("must not be negative".into());
    }
    if amount > MAX_AMOUNT {
        return Err(format!("must be no more than {MAX_AMOUNT}"));
    }
    let hundredths = amount * 100.0;
    if (hundredths - hundredths.round()).abs() > 1e-6 {
        return Err("must have at most two decimal places".into());
    }
    Ok(hundredths.round() / 100.0)
}

/// An amount as typed in a form: blank is 0.
pub fn parse_amount_text(input: &str) -> Result<f64, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(0.0);
    }
    let n: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number, like 2 or 1.5"))?;
    parse_amount(n)
}

fn parse_slug(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("enter a short name made of lower-case letters, digits and hyphens".into());
    }
    if s.len() > MAX_SLUG
        || !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || s.starts_with('-')
        || s.ends_with('-')
    {
        return Err(format!(
            "'{s}' must be lower-case letters, digits and hyphens, at most {MAX_SLUG} characters"
        ));
    }
    Ok(s.to_string())
}

impl PoolDraft {
    pub fn validate(&self) -> Result<PoolInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = errors.check("name", clean(&self.name, MAX_NAME, true, false));
        let slug = match self
            .slug
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => errors.check("slug", parse_slug(s)),
            None => name.as_deref().and_then(|n| {
                let made = slugify(n);
                let made: String = made.chars().take(MAX_SLUG).collect();
                errors.check("slug", parse_slug(made.trim_end_matches('-')))
            }),
        };
        let unit = errors.check("unit", clean(&self.unit, MAX_UNIT, false, false));
        let description = errors.check(
            "description",
            clean(&self.description, MAX_DESCRIPTION, false, true),
        );
        if self.supply.len() > MAX_SUPPLY_QUARTERS {
            errors.push(
                "supply",
                format!("must list {MAX_SUPPLY_QUARTERS} quarters or fewer"),
            );
        }
        let mut supply: Vec<QuarterSupply> = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, s) in self.supply.iter().enumerate() {
            let quarter = errors.check(
                &format!("supply[{i}].quarter"),
                FinancialQuarter::parse(&s.quarter),
            );
            let Some(quarter) = quarter else { continue };
            if !seen.insert(quarter) {
                errors.push(
                    format!("supply[{i}].quarter"),
                    format!("{quarter} appears more than once"),
                );
                continue;
            }
            match parse_amount(s.amount) {
                Ok(amount) => supply.push(QuarterSupply { quarter, amount }),
                Err(e) => errors.push(
                    format!("supply[{i}].amount"),
                    format!("supply in {quarter} {e}"),
                ),
            }
        }
        supply.sort_by_key(|s| s.quarter);
        if !errors.is_empty() {
            return Err(errors);
        }
        match (name, slug, unit, description) {
            (Some(name), Some(slug), Some(unit), Some(description)) => Ok(PoolInput {
                slug,
                name,
                unit: if unit.is_empty() {
                    DEFAULT_UNIT.to_string()
                } else {
                    unit
                },
                description,
                supply,
            }),
            _ => Err(ValidationErrors::single("pool", "could not be read")),
        }
    }
}

/// Money available in one financial year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Budget {
    #[schema(value_type = String, example = "2027/28")]
    #[serde(with = "year_text")]
    pub year: FinancialYear,
    #[schema(value_type = i64)]
    pub capital: Money,
    #[schema(value_type = i64)]
    pub revenue: Money,
    /// 0 for a year with no budget stored yet.
    pub version: i64,
}

/// A financial year as written ("2027/28") in JSON.
mod year_text {
    use super::FinancialYear;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(year: &FinancialYear, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(year)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FinancialYear, D::Error> {
        let text = String::deserialize(d)?;
        FinancialYear::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A year's budget as typed (the year comes from the address).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetDraft {
    /// Capital available, in pence.
    pub capital_pence: i64,
    /// Revenue available, in pence.
    pub revenue_pence: i64,
}

fn non_negative_money(pence: i64) -> Result<Money, String> {
    let m = Money::from_pence(pence)?;
    if m.pence() < 0 {
        return Err("must not be negative".into());
    }
    Ok(m)
}

impl BudgetDraft {
    /// A budget for `year` (as typed, e.g. "2027-28"); the version is the caller's to set.
    pub fn validate(&self, year: &str) -> Result<Budget, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let year = errors.check("year", FinancialYear::parse(year));
        let capital = errors.check("capital_pence", non_negative_money(self.capital_pence));
        let revenue = errors.check("revenue_pence", non_negative_money(self.revenue_pence));
        match (year, capital, revenue) {
            (Some(year), Some(capital), Some(revenue)) if errors.is_empty() => Ok(Budget {
                year,
                capital,
                revenue,
                version: 0,
            }),
            _ => Err(errors),
        }
    }
}

/// Demand on a pool in the `offset`-th quarter from the start (0-based).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PoolDemand {
    /// The pool's slug.
    pub pool: String,
    pub offset: u32,
    pub amount: f64,
}

/// Costs in the `offset`-th financial year from the year the project starts in (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RelativeCost {
    pub offset: u32,
    #[schema(value_type = i64)]
    pub capital: Money,
    #[schema(value_type = i64)]
    pub revenue: Money,
}

/// What a project needs relative to its start, and the rules it is chosen by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProjectPlan {
    pub project_id: i64,
    #[schema(value_type = String, example = "DP-012")]
    pub code: ProjectCode,
    /// The earliest quarter the project may start in.
    #[schema(value_type = Option<String>, example = "2026/27 Q3")]
    pub earliest_start: Option<FinancialQuarter>,
    #[schema(value_type = Option<String>, example = "2027/28 Q2")]
    pub latest_start: Option<FinancialQuarter>,
    /// Quarters from start to finish, 1 to 40.
    pub duration_quarters: u32,
    pub demand: Vec<PoolDemand>,
    pub costs: Vec<RelativeCost>,
    /// Cashable benefit expected, in pence.
    #[schema(value_type = i64)]
    pub benefits: Money,
    /// Statutory work that must be in the programme.
    pub mandatory: bool,
    /// Projects that must be chosen, and finish, before this one starts.
    #[schema(value_type = Vec<String>)]
    pub depends_on: Vec<ProjectCode>,
    /// Plans sharing a group are alternatives: at most one is chosen.
    pub exclusive_group: Option<String>,
    /// 0 for a plan not stored yet (the defaults made from the project).
    pub version: i64,
}

impl ProjectPlan {
    /// The plan a project has until someone keeps one: its window is the
    /// quarter of its start date, its duration runs to its end date (four
    /// quarters without one), its costs are its cost lines relative to the
    /// year it starts in, and it has no demand.
    pub fn default_for(project: &Project, start_month: u32) -> ProjectPlan {
        let start = project
            .start_date
            .map(|d| FinancialQuarter::containing(d, start_month));
        let duration = match (project.start_date, project.end_date) {
            (Some(s), Some(e)) => quarters_between(s, e, start_month),
            _ => 4,
        };
        let start_year = start
            .map(|q| q.year)
            .or_else(|| project.costs.first().map(|c| c.year));
        ProjectPlan {
            project_id: project.id,
            // Stored projects' codes were parsed on the way in.
            code: ProjectCode::parse(&project.code)
                .unwrap_or_else(|_| ProjectCode(project.code.clone())),
            earliest_start: start,
            latest_start: start,
            duration_quarters: duration,
            demand: Vec::new(),
            costs: start_year
                .map(|y| relative_costs(&project.costs, y))
                .unwrap_or_default(),
            benefits: Money::ZERO,
            mandatory: false,
            depends_on: Vec::new(),
            exclusive_group: None,
            version: 0,
        }
    }

    /// Demand on `pool` in the `offset`-th quarter from the start.
    pub fn demand_on(&self, pool: &str, offset: u32) -> f64 {
        self.demand
            .iter()
            .filter(|d| d.pool == pool && d.offset == offset)
            .map(|d| d.amount)
            .sum()
    }

    /// Total capital and revenue over all years.
    pub fn total_cost(&self) -> (Money, Money) {
        let sum = |f: fn(&RelativeCost) -> i64| {
            Money::from_pence(self.costs.iter().map(f).sum()).unwrap_or(Money::ZERO)
        };
        (sum(|c| c.capital.pence()), sum(|c| c.revenue.pence()))
    }

    /// The draft that describes this plan (for forms and round trips).
    pub fn to_draft(&self) -> PlanDraft {
        PlanDraft {
            earliest_start: self.earliest_start.map(|q| q.to_string()),
            latest_start: self.latest_start.map(|q| q.to_string()),
            duration_quarters: i64::from(self.duration_quarters),
            demand: self
                .demand
                .iter()
                .map(|d| DemandDraft {
                    pool: d.pool.clone(),
                    offset: i64::from(d.offset),
                    amount: d.amount,
                })
                .collect(),
            costs: self
                .costs
                .iter()
                .map(|c| RelativeCostDraft {
                    offset: i64::from(c.offset),
                    capital_pence: c.capital.pence(),
                    revenue_pence: c.revenue.pence(),
                })
                .collect(),
            benefits_pence: self.benefits.pence(),
            mandatory: self.mandatory,
            depends_on: self.depends_on.iter().map(|c| c.to_string()).collect(),
            exclusive_group: self.exclusive_group.clone(),
        }
    }
}

/// Quarters from the one containing `start` to the one containing `end`, inclusive, 1 to 40.
pub fn quarters_between(start: NaiveDate, end: NaiveDate, start_month: u32) -> u32 {
    let s = FinancialQuarter::containing(start, start_month);
    let e = FinancialQuarter::containing(end, start_month);
    (e.index_from(s) + 1).clamp(1, i64::from(MAX_DURATION)) as u32
}

/// A project's cost lines re-expressed relative to `start_year` (offset 0 is
/// that year). Lines before the start year are counted in its first year, so
/// nothing the project costs is lost.
pub fn relative_costs(lines: &[CostLine], start_year: FinancialYear) -> Vec<RelativeCost> {
    let mut by_offset: BTreeMap<u32, (i64, i64)> = BTreeMap::new();
    for line in lines {
        let offset = (line.year.start_year() - start_year.start_year()).max(0) as u32;
        let e = by_offset.entry(offset).or_default();
        e.0 += line.capital_pence.pence();
        e.1 += line.revenue_pence.pence();
    }
    by_offset
        .into_iter()
        .filter(|(_, (c, r))| *c != 0 || *r != 0)
        .map(|(offset, (c, r))| RelativeCost {
            offset,
            capital: Money::from_pence(c).unwrap_or(Money::ZERO),
            revenue: Money::from_pence(r).unwrap_or(Money::ZERO),
        })
        .collect()
}

/// Demand as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandDraft {
    /// The pool's slug.
    pub pool: String,
    /// Quarter from the start, 0-based.
    pub offset: i64,
    pub amount: f64,
}

/// Costs of one year from the start, as typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelativeCostDraft {
    /// Financial year from the start year, 0-based.
    pub offset: i64,
    #[serde(default)]
    pub capital_pence: i64,
    #[serde(default)]
    pub revenue_pence: i64,
}

/// A project plan as a form or JSON body describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDraft {
    /// e.g. "2026/27 Q3".
    #[serde(default)]
    pub earliest_start: Option<String>,
    #[serde(default)]
    pub latest_start: Option<String>,
    pub duration_quarters: i64,
    #[serde(default)]
    pub demand: Vec<DemandDraft>,
    #[serde(default)]
    pub costs: Vec<RelativeCostDraft>,
    #[serde(default)]
    pub benefits_pence: i64,
    #[serde(default)]
    pub mandatory: bool,
    /// Project codes, e.g. ["DP-012"].
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub exclusive_group: Option<String>,
}

/// What a plan is checked against: the organisation's pools, its project
/// codes, and the other projects' plans (for dependency cycles).
pub struct PlanContext<'a> {
    pub pools: &'a [ResourcePool],
    pub codes: &'a [ProjectCode],
    pub plans: &'a [ProjectPlan],
    pub start_month: u32,
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl PlanDraft {
    /// Parses and checks a plan for `project`, collecting every problem.
    pub fn validate(
        &self,
        project: &Project,
        ctx: &PlanContext<'_>,
    ) -> Result<ProjectPlan, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let code = match ProjectCode::parse(&project.code) {
            Ok(c) => c,
            Err(e) => return Err(ValidationErrors::single("project", e)),
        };
        let earliest = optional(&self.earliest_start)
            .and_then(|s| errors.check("earliest_start", FinancialQuarter::parse(s)));
        let latest = optional(&self.latest_start)
            .and_then(|s| errors.check("latest_start", FinancialQuarter::parse(s)));
        if let (Some(e), Some(l)) = (earliest, latest) {
            if e > l {
                errors.push(
                    "latest_start",
                    format!("must be the same as or after the earliest start ({e})"),
                );
            }
        }
        let duration = if !(1..=i64::from(MAX_DURATION)).contains(&self.duration_quarters) {
            errors.push(
                "duration_quarters",
                format!("must be between 1 and {MAX_DURATION} quarters"),
            );
            None
        } else {
            Some(self.duration_quarters as u32)
        };

        let mut demand: Vec<PoolDemand> = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, d) in self.demand.iter().enumerate() {
            let slug = d.pool.trim();
            let pool = ctx.pools.iter().find(|p| p.slug == slug);
            if pool.is_none() {
                errors.push(
                    format!("demand[{i}].pool"),
                    format!("'{slug}' is not a resource pool of this organisation"),
                );
            }
            let offset = if d.offset < 0 {
                errors.push(
                    format!("demand[{i}].offset"),
                    "must be 0 (the first quarter) or more",
                );
                None
            } else if duration.is_some_and(|n| d.offset >= i64::from(n)) {
                errors.push(
                    format!("demand[{i}].offset"),
                    format!(
                        "must fall within the project's {} quarters (0 to {})",
                        self.duration_quarters,
                        self.duration_quarters - 1
                    ),
                );
                None
            } else if d.offset >= i64::from(MAX_DURATION) {
                errors.push(
                    format!("demand[{i}].offset"),
                    format!("must be less than {MAX_DURATION}"),
                );
                None
            } else {
                Some(d.offset as u32)
            };
            let amount = match parse_amount(d.amount) {
                Ok(a) => Some(a),
                Err(e) => {
                    let name = pool.map_or(slug, |p| p.name.as_str());
                    errors.push(
                        format!("demand[{i}].amount"),
                        format!("demand for {name} {e}"),
                    );
                    None
                }
            };
            if let (Some(_), Some(offset), Some(amount)) = (pool, offset, amount) {
                if !seen.insert((slug.to_string(), offset)) {
                    errors.push(
                        format!("demand[{i}].offset"),
                        format!(
                            "{slug} in the {} quarter appears more than once",
                            ordinal(offset + 1)
                        ),
                    );
                } else if amount > 0.0 {
                    demand.push(PoolDemand {
                        pool: slug.to_string(),
                        offset,
                        amount,
                    });
                }
            }
        }
        demand.sort_by(|a, b| a.pool.cmp(&b.pool).then(a.offset.cmp(&b.offset)));

        let mut costs: Vec<RelativeCost> = Vec::new();
        let mut years = BTreeSet::new();
        for (i, c) in self.costs.iter().enumerate() {
            let offset = if !(0..i64::from(MAX_COST_YEARS)).contains(&c.offset) {
                errors.push(
                    format!("costs[{i}].offset"),
                    format!("must be between 0 and {}", MAX_COST_YEARS - 1),
                );
                None
            } else {
                Some(c.offset as u32)
            };
            let capital = errors.check(
                &format!("costs[{i}].capital_pence"),
                non_negative_money(c.capital_pence),
            );
            let revenue = errors.check(
                &format!("costs[{i}].revenue_pence"),
                non_negative_money(c.revenue_pence),
            );
            if let Some(o) = offset {
                if !years.insert(o) {
                    errors.push(
                        format!("costs[{i}].offset"),
                        format!("year {} from the start appears more than once", o + 1),
                    );
                    continue;
                }
            }
            if let (Some(offset), Some(capital), Some(revenue)) = (offset, capital, revenue) {
                if capital.pence() != 0 || revenue.pence() != 0 {
                    costs.push(RelativeCost {
                        offset,
                        capital,
                        revenue,
                    });
                }
            }
        }
        costs.sort_by_key(|c| c.offset);
        let benefits = errors.check("benefits_pence", non_negative_money(self.benefits_pence));

        let mut depends_on: Vec<ProjectCode> = Vec::new();
        for (i, d) in self.depends_on.iter().enumerate() {
            if d.trim().is_empty() {
                continue;
            }
            let field = format!("depends_on[{i}]");
            let Some(dep) = errors.check(&field, ProjectCode::parse(d)) else {
                continue;
            };
            if dep == code {
                errors.push(field, format!("{code} cannot depend on itself"));
            } else if !ctx.codes.contains(&dep) {
                errors.push(
                    field,
                    format!("'{dep}' is not a project of this organisation"),
                );
            } else if !depends_on.contains(&dep) {
                depends_on.push(dep);
            }
        }
        depends_on.sort();
        if let Some(cycle) = dependency_cycle(&code, &depends_on, ctx.plans) {
            errors.push(
                "depends_on",
                format!(
                    "these dependencies would go round in a circle: {}",
                    cycle
                        .iter()
                        .map(ProjectCode::as_str)
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
            );
        }
        let exclusive_group = optional(&self.exclusive_group)
            .and_then(|g| errors.check("exclusive_group", clean(g, MAX_NAME, false, false)))
            .filter(|g| !g.is_empty());

        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(duration), Some(benefits)) = (duration, benefits) else {
            return Err(ValidationErrors::single("plan", "could not be read"));
        };
        let plan = ProjectPlan {
            project_id: project.id,
            code,
            earliest_start: earliest,
            latest_start: latest,
            duration_quarters: duration,
            demand,
            costs,
            benefits,
            mandatory: self.mandatory,
            depends_on,
            exclusive_group,
            version: 0,
        };
        if let Some(message) = demand_beyond_supply(&plan, project, ctx) {
            return Err(ValidationErrors::single("demand", message));
        }
        Ok(plan)
    }
}

/// The start window a plan is checked against: its own, or the quarter of
/// the project's start date; `None` when neither says.
pub fn start_window(
    plan: &ProjectPlan,
    project: &Project,
    start_month: u32,
) -> Option<(FinancialQuarter, FinancialQuarter)> {
    let from_date = project
        .start_date
        .map(|d| FinancialQuarter::containing(d, start_month));
    let earliest = plan.earliest_start.or(plan.latest_start).or(from_date)?;
    let latest = plan
        .latest_start
        .unwrap_or(earliest.max(from_date.unwrap_or(earliest)));
    Some((earliest, latest.max(earliest)))
}

/// Whether the plan's demand alone exceeds a pool's supply wherever in its
/// window the project could start (quarters a pool lists no supply for are
/// not limited, as in the optimiser).
fn demand_beyond_supply(
    plan: &ProjectPlan,
    project: &Project,
    ctx: &PlanContext<'_>,
) -> Option<String> {
    let (earliest, latest) = start_window(plan, project, ctx.start_month)?;
    for pool in ctx.pools {
        let needs: Vec<&PoolDemand> = plan.demand.iter().filter(|d| d.pool == pool.slug).collect();
        if needs.is_empty() {
            continue;
        }
        let fits_somewhere = (0..=latest.index_from(earliest)).any(|s| {
            let start = earliest.plus(s);
            needs.iter().all(|d| {
                let q = start.plus(i64::from(d.offset));
                !pool.lists(q) || d.amount <= pool.supply_in(q) + 1e-9
            })
        });
        if !fits_somewhere {
            let most = needs.iter().map(|d| d.amount).fold(0.0, f64::max);
            let window = if earliest == latest {
                format!("starting in {earliest}")
            } else {
                format!("starting anywhere from {earliest} to {latest}")
            };
            return Some(format!(
                "{code} alone needs more {name} than the pool has ({most} {unit} at most in one quarter): \
                 {window}, some quarter's demand exceeds its supply",
                code = plan.code,
                name = pool.name,
                unit = pool.unit,
            ));
        }
    }
    None
}

/// The dependency cycle `code`'s new dependencies would close, if any, named
/// from `code` back to itself: DP-012 → DP-040 → DP-012.
pub fn dependency_cycle(
    code: &ProjectCode,
    depends_on: &[ProjectCode],
    plans: &[ProjectPlan],
) -> Option<Vec<ProjectCode>> {
    let mut graph: BTreeMap<&ProjectCode, &[ProjectCode]> = plans
        .iter()
        .filter(|p| &p.code != code)
        .map(|p| (&p.code, p.depends_on.as_slice()))
        .collect();
    graph.insert(code, depends_on);
    // Depth-first from `code`, looking for a path back to it.
    fn walk<'a>(
        at: &'a ProjectCode,
        target: &ProjectCode,
        graph: &BTreeMap<&'a ProjectCode, &'a [ProjectCode]>,
        path: &mut Vec<&'a ProjectCode>,
        visited: &mut BTreeSet<&'a ProjectCode>,
    ) -> bool {
        for next in graph.get(at).copied().unwrap_or(&[]) {
            if next == target {
                path.push(next);
                return true;
            }
            if visited.insert(next) {
                path.push(next);
                if walk(next, target, graph, path, visited) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![code];
    let mut visited = BTreeSet::new();
    if walk(code, code, &graph, &mut path, &mut visited) {
        Some(path.into_iter().cloned().collect())
    } else {
        None
    }
}

/// Everything the optimiser plans against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Planning {
    pub pools: Vec<ResourcePool>,
    /// In year order.
    pub budgets: Vec<Budget>,
    /// In project code order.
    pub plans: Vec<ProjectPlan>,
}

/// How loaded a pool is in a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Below 85% of supply.
    Under,
    /// From 85% up to 100% of supply.
    Near,
    /// More demand than supply.
    Over,
}

impl Level {
    pub fn of(demand: f64, supply: f64) -> Level {
        if demand > supply + 1e-9 {
            Level::Over
        } else if supply > 0.0 && demand >= NEAR_FROM * supply - 1e-9 {
            Level::Near
        } else {
            Level::Under
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Under => "under",
            Level::Near => "near",
            Level::Over => "over",
        }
    }

    /// In words, for people (colour is never the only signal).
    pub fn label(self) -> &'static str {
        match self {
            Level::Under => "Under capacity",
            Level::Near => "Near capacity",
            Level::Over => "Over capacity",
        }
    }
}

/// One pool in one quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeatCell {
    #[schema(value_type = String, example = "2027/28 Q1")]
    pub quarter: FinancialQuarter,
    pub supply: f64,
    pub demand: f64,
    /// Demand as a fraction of supply; `None` when there is no supply.
    pub utilisation: Option<f64>,
    pub level: Level,
    /// Codes of the projects with demand in this quarter.
    pub projects: Vec<String>,
}

/// One pool across the quarters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeatRow {
    pub pool: String,
    pub name: String,
    pub unit: String,
    pub cells: Vec<HeatCell>,
}

/// Supply versus demand per pool × quarter for the current plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeatMap {
    #[schema(value_type = Vec<String>)]
    pub quarters: Vec<FinancialQuarter>,
    pub rows: Vec<HeatRow>,
    /// Codes of the projects placed (active, with a start date and a plan with demand).
    pub projects: Vec<String>,
}

/// Whether a project is in the current plan: an active stage, other than live, with a start date.
pub fn in_current_plan(project: &Project) -> bool {
    project.stage.is_active() && project.stage != Stage::Live && project.start_date.is_some()
}

/// The heat map of the current plan: each project in an active stage with a
/// start date has its plan's demand placed from the quarter of that date.
pub fn heat_map(
    pools: &[ResourcePool],
    plans: &[ProjectPlan],
    projects: &[Project],
    first: FinancialQuarter,
    quarters: usize,
    start_month: u32,
) -> HeatMap {
    let span = first.range(quarters);
    let mut rows: Vec<HeatRow> = pools
        .iter()
        .map(|pool| HeatRow {
            pool: pool.slug.clone(),
            name: pool.name.clone(),
            unit: pool.unit.clone(),
            cells: span
                .iter()
                .map(|&q| HeatCell {
                    quarter: q,
                    supply: pool.supply_in(q),
                    demand: 0.0,
                    utilisation: None,
                    level: Level::Under,
                    projects: Vec::new(),
                })
                .collect(),
        })
        .collect();
    let mut placed = BTreeSet::new();
    for project in projects.iter().filter(|p| in_current_plan(p)) {
        let Some(plan) = plans.iter().find(|p| p.project_id == project.id) else {
            continue;
        };
        let Some(date) = project.start_date else {
            continue;
        };
        let start = FinancialQuarter::containing(date, start_month);
        for d in &plan.demand {
            let i = start.plus(i64::from(d.offset)).index_from(first);
            if i < 0 || i >= quarters as i64 {
                continue;
            }
            if let Some(row) = rows.iter_mut().find(|r| r.pool == d.pool) {
                let cell = &mut row.cells[i as usize];
                cell.demand += d.amount;
                if !cell.projects.contains(&project.code) {
                    cell.projects.push(project.code.clone());
                }
                placed.insert(project.code.clone());
            }
        }
    }
    for cell in rows.iter_mut().flat_map(|r| r.cells.iter_mut()) {
        cell.demand = (cell.demand * 100.0).round() / 100.0;
        cell.utilisation = (cell.supply > 0.0).then(|| cell.demand / cell.supply);
        cell.level = Level::of(cell.demand, cell.supply);
        cell.projects.sort();
    }
    HeatMap {
        quarters: span,
        rows,
        projects: placed.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::NamedRef;
    use chrono::Utc;

    fn q(s: &str) -> FinancialQuarter {
        FinancialQuarter::parse(s).unwrap()
    }

    fn pool(slug: &str, from: &str, amounts: &[f64]) -> ResourcePool {
        ResourcePool {
            id: 1,
            slug: slug.into(),
            name: slug.to_uppercase(),
            unit: "FTE".into(),
            description: String::new(),
            supply: amounts
                .iter()
                .enumerate()
                .map(|(i, &a)| QuarterSupply {
                    quarter: q(from).plus(i as i64),
                    amount: a,
                })
                .collect(),
            version: 1,
        }
    }

    fn project(id: i64, code: &str, stage: Stage, start: Option<&str>) -> Project {
        Project {
            id,
            organisation_id: 1,
            code: code.into(),
            title: code.into(),
            summary: String::new(),
            department: NamedRef {
                id: 1,
                slug: "d".into(),
                name: "D".into(),
            },
            themes: vec![],
            stage,
            phase: None,
            sponsor: String::new(),
            manager: String::new(),
            start_date: start.map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()),
            end_date: None,
            costs: vec![],
            confidence: None,
            tags: vec![],
            published: false,
            residents: String::new(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn codes(list: &[&str]) -> Vec<ProjectCode> {
        list.iter()
            .map(|c| ProjectCode::parse(c).unwrap())
            .collect()
    }

    fn draft(duration: i64) -> PlanDraft {
        PlanDraft {
            duration_quarters: duration,
            ..PlanDraft::default()
        }
    }

    #[test]
    fn negative_supply_is_refused_naming_the_quarter() {
        let d = PoolDraft {
            name: "Developers".into(),
            supply: vec![
                SupplyDraft {
                    quarter: "2026/27 Q1".into(),
                    amount: 4.0,
                },
                SupplyDraft {
                    quarter: "2026/27 Q2".into(),
                    amount: -1.0,
                },
                SupplyDraft {
                    quarter: "2026/27 Q3".into(),
                    amount: 1.234,
                },
            ],
            ..PoolDraft::default()
        };
        let e = d.validate().unwrap_err();
        assert_eq!(
            e.for_field("supply[1].amount"),
            Some("supply in 2026/27 Q2 must not be negative")
        );
        assert!(e
            .for_field("supply[2].amount")
            .unwrap()
            .contains("two decimal"));
        let ok = PoolDraft {
            supply: vec![SupplyDraft {
                quarter: "2026/27 Q1".into(),
                amount: 4.5,
            }],
            ..d
        }
        .validate()
        .unwrap();
        assert_eq!(ok.slug, "developers");
        assert_eq!(ok.unit, "FTE");
        assert_eq!(ok.supply[0].amount, 4.5);
    }

    #[test]
    fn budgets_refuse_negative_money_and_bad_years() {
        let e = BudgetDraft {
            capital_pence: -1,
            revenue_pence: 5,
        }
        .validate("2027-29")
        .unwrap_err();
        assert!(e.for_field("capital_pence").is_some());
        assert!(e.for_field("year").is_some());
        let b = BudgetDraft {
            capital_pence: 100,
            revenue_pence: 5,
        }
        .validate("2027-28")
        .unwrap();
        assert_eq!(b.year.to_string(), "2027/28");
    }

    #[test]
    fn plan_validation_names_each_bad_field() {
        let pools = [pool("developers", "2026/27 Q1", &[4.0; 8])];
        let all = codes(&["DP-001", "DP-002"]);
        let ctx = PlanContext {
            pools: &pools,
            codes: &all,
            plans: &[],
            start_month: 4,
        };
        let p = project(1, "DP-001", Stage::Design, None);
        let mut d = draft(0);
        d.earliest_start = Some("2027/28 Q2".into());
        d.latest_start = Some("2027/28 Q1".into());
        d.demand = vec![
            DemandDraft {
                pool: "testers".into(),
                offset: 0,
                amount: 1.0,
            },
            DemandDraft {
                pool: "developers".into(),
                offset: 0,
                amount: -2.0,
            },
        ];
        d.depends_on = vec!["DP-001".into(), "DP-099".into()];
        let e = d.validate(&p, &ctx).unwrap_err();
        assert!(e
            .for_field("latest_start")
            .unwrap()
            .contains("after the earliest"));
        assert!(e
            .for_field("duration_quarters")
            .unwrap()
            .contains("between 1 and 40"));
        assert!(e.for_field("demand[0].pool").unwrap().contains("'testers'"));
        assert!(e
            .for_field("demand[1].amount")
            .unwrap()
            .contains("must not be negative"));
        assert_eq!(
            e.for_field("depends_on[0]"),
            Some("DP-001 cannot depend on itself")
        );
        assert!(e
            .for_field("depends_on[1]")
            .unwrap()
            .contains("'DP-099' is not a project"));
        assert!(draft(41)
            .validate(&p, &ctx)
            .unwrap_err()
            .for_field("duration_quarters")
            .is_some());
        let mut beyond = draft(2);
        beyond.demand = vec![DemandDraft {
            pool: "developers".into(),
            offset: 2,
            amount: 1.0,
        }];
        assert!(beyond
            .validate(&p, &ctx)
            .unwrap_err()
            .for_field("demand[0].offset")
            .is_some());
    }

    #[test]
    fn a_dependency_cycle_is_named() {
        let all = codes(&["DP-012", "DP-040", "DP-050"]);
        let existing = ProjectPlan {
            depends_on: codes(&["DP-050"]),
            ..ProjectPlan::default_for(&project(40, "DP-040", Stage::Design, None), 4)
        };
        let existing2 = ProjectPlan {
            depends_on: codes(&["DP-012"]),
            ..ProjectPlan::default_for(&project(50, "DP-050", Stage::Design, None), 4)
        };
        let plans = [existing, existing2];
        let ctx = PlanContext {
            pools: &[],
            codes: &all,
            plans: &plans,
            start_month: 4,
        };
        let mut d = draft(4);
        d.depends_on = vec!["dp-040".into()];
        let e = d
            .validate(&project(12, "DP-012", Stage::Design, None), &ctx)
            .unwrap_err();
        assert_eq!(
            e.for_field("depends_on"),
            Some(
                "these dependencies would go round in a circle: DP-012 → DP-040 → DP-050 → DP-012"
            )
        );
        // Without the closing edge there is no cycle.
        let ctx = PlanContext {
            plans: &plans[..1],
            ..ctx
        };
        let ok = d
            .validate(&project(12, "DP-012", Stage::Design, None), &ctx)
            .unwrap();
        assert_eq!(ok.depends_on, codes(&["DP-040"]));
    }

    #[test]
    fn demand_beyond_supply_in_every_start_of_the_window_is_refused() {
        // Supply 2 everywhere but 5 in 2026/27 Q3.
        let pools = [pool(
            "developers",
            "2026/27 Q1",
            &[2.0, 2.0, 5.0, 2.0, 2.0, 2.0],
        )];
        let all = codes(&["DP-001"]);
        let ctx = PlanContext {
            pools: &pools,
            codes: &all,
            plans: &[],
            start_month: 4,
        };
        let p = project(1, "DP-001", Stage::Design, None);
        let mut d = draft(2);
        d.demand = vec![DemandDraft {
            pool: "developers".into(),
            offset: 1,
            amount: 4.0,
        }];
        d.earliest_start = Some("2026/27 Q1".into());
        d.latest_start = Some("2026/27 Q1".into());
        // Its second quarter (Q2) has only 2: refused.
        let e = d.validate(&p, &ctx).unwrap_err();
        assert!(e
            .for_field("demand")
            .unwrap()
            .contains("DP-001 alone needs more DEVELOPERS"));
        // A window reaching a start in Q2 puts the need in Q3, where 5 are supplied.
        d.latest_start = Some("2026/27 Q2".into());
        assert!(d.validate(&p, &ctx).is_ok());
    }

    #[test]
    fn default_plan_takes_costs_relative_to_the_start_year() {
        let mut p = project(3, "DP-003", Stage::Delivery, Some("2026-10-01"));
        p.end_date = NaiveDate::from_ymd_opt(2027, 9, 30);
        let fy = |y| FinancialYear::new(y).unwrap();
        let m = |p| Money::from_pence(p).unwrap();
        p.costs = vec![
            CostLine {
                year: fy(2025),
                capital_pence: m(1),
                revenue_pence: m(0),
            },
            CostLine {
                year: fy(2026),
                capital_pence: m(100),
                revenue_pence: m(10),
            },
            CostLine {
                year: fy(2027),
                capital_pence: m(50),
                revenue_pence: m(20),
            },
        ];
        let plan = ProjectPlan::default_for(&p, 4);
        assert_eq!(plan.earliest_start, Some(q("2026/27 Q3")));
        assert_eq!(plan.duration_quarters, 4);
        assert_eq!(
            plan.costs,
            vec![
                RelativeCost {
                    offset: 0,
                    capital: m(101),
                    revenue: m(10)
                },
                RelativeCost {
                    offset: 1,
                    capital: m(50),
                    revenue: m(20)
                }
            ]
        );
    }

    #[test]
    fn heat_map_places_demand_from_the_start_quarter() {
        let pools = [pool("developers", "2026/27 Q1", &[2.0, 2.0, 2.0, 2.0])];
        let a = project(1, "DP-001", Stage::Delivery, Some("2026-07-15"));
        let b = project(2, "DP-002", Stage::Design, Some("2026-10-01"));
        let idea_without_date = project(3, "DP-003", Stage::Concept, None);
        let closed = project(4, "DP-004", Stage::Closed, Some("2026-04-01"));
        let need = |p: &Project, amounts: &[f64]| ProjectPlan {
            demand: amounts
                .iter()
                .enumerate()
                .map(|(i, &a)| PoolDemand {
                    pool: "developers".into(),
                    offset: i as u32,
                    amount: a,
                })
                .collect(),
            ..ProjectPlan::default_for(p, 4)
        };
        let plans = [
            need(&a, &[1.0, 1.0]),
            need(&b, &[0.75, 2.0]),
            need(&idea_without_date, &[5.0]),
            need(&closed, &[5.0]),
        ];
        let map = heat_map(
            &pools,
            &plans,
            &[a, b, idea_without_date, closed],
            q("2026/27 Q1"),
            5,
            4,
        );
        let cells = &map.rows[0].cells;
        let demand: Vec<f64> = cells.iter().map(|c| c.demand).collect();
        assert_eq!(demand, vec![0.0, 1.0, 1.75, 2.0, 0.0]);
        let levels: Vec<Level> = cells.iter().map(|c| c.level).collect();
        assert_eq!(
            levels,
            vec![
                Level::Under,
                Level::Under,
                Level::Near,
                Level::Near,
                Level::Under
            ]
        );
        assert_eq!(cells[2].projects, vec!["DP-001", "DP-002"]);
        assert_eq!(cells[2].utilisation, Some(0.875));
        // No supply listed in 2027/28 Q1.
        assert_eq!(cells[4].supply, 0.0);
        assert_eq!(cells[4].utilisation, None);
        assert_eq!(map.projects, vec!["DP-001", "DP-002"]);
        assert_eq!(Level::of(2.5, 2.0), Level::Over);
        assert_eq!(Level::of(1.0, 0.0), Level::Over);
    }
}
