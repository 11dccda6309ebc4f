//! Scenario pages: the list, a scenario's definition and its latest result
//! (the recommended programme, why each project is in or out, spend against
//! budget, use of each pool, the value-versus-budget frontier and what one
//! more unit of each limit buys), the form, a run's progress (refreshing
//! itself without JavaScript, with a cancel button) and the side-by-side
//! comparison.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Value};
use portfolio_app::scenarios::{ModelFormat, FRONTIER_POINTS};
use portfolio_app::AppError;
use portfolio_domain::scenario::{
    BudgetAdjustmentDraft, CapacityAdjustmentDraft, Objective, Scenario, ScenarioDraft,
    ScenarioResult, ScenarioRun,
};
use portfolio_domain::{FinancialYear, Money, Permission, ValidationErrors};

use super::{layout, ErrorLink};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::{render, render_status, thousands};
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/scenarios", get(list).post(create))
        .route("/scenarios/new", get(new_form))
        .route("/scenarios/compare", get(compare))
        .route("/scenarios/{slug}", get(show).post(update))
        .route("/scenarios/{slug}/edit", get(edit_form))
        .route("/scenarios/{slug}/runs", post(start_run))
        .route("/scenarios/{slug}/model.mps", get(model_mps))
        .route("/scenarios/{slug}/model.lp", get(model_lp))
        .route("/scenario-runs/{id}", get(show_run))
        .route("/scenario-runs/{id}/cancel", post(cancel_run))
}

/// "£1,234,567".
fn pounds(pence: i64) -> String {
    Money::from_pence(pence)
        .map(|m| m.to_string())
        .unwrap_or_default()
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %B %Y at %H:%M UTC").to_string()
}

/// A value as the objective counts it: score points, or pounds of benefits.
fn value_text(objective: Objective, v: f64) -> String {
    match objective {
        Objective::PriorityScore => format!("{} points", thousands(v.round() as i64)),
        Objective::Benefits => pounds((v.round() as i64).saturating_mul(100)),
    }
}

/// The value lost by forcing a project out (`out`) or in: exact, or "at
/// least … and at most …" when the re-solve stopped before proving its best.
fn lost_text(
    objective: Objective,
    p: &portfolio_domain::scenario::ProjectOutcome,
    out: bool,
) -> Option<String> {
    if p.included != out {
        return None;
    }
    let (at_least, at_most) = p.value_lost_range()?;
    Some(if p.value_lost_at_least.is_some() {
        format!(
            "at least {} and at most {}",
            value_text(objective, at_least),
            value_text(objective, at_most)
        )
    } else {
        value_text(objective, at_most)
    })
}

fn units(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn run_view(run: &ScenarioRun) -> Value {
    let percent = if run.progress_total > 0 {
        (run.progress_done * 100 / run.progress_total).clamp(0, 100)
    } else {
        0
    };
    context! {
        id => run.id,
        status => run.status.as_str(),
        status_label => run.status.label(),
        finished => run.status.finished(),
        done => run.progress_done,
        total => run.progress_total,
        percent,
        label => run.progress_label.clone(),
        cancel_requested => run.cancel_requested,
        message => run.message.clone(),
        started_by => run.started_by.clone(),
        started_at => when(run.started_at),
        finished_at => run.finished_at.map(when),
        scenario_slug => run.scenario_slug.clone(),
    }
}

fn definition_view(s: &Scenario) -> Value {
    let d = &s.definition;
    context! {
        slug => d.slug.clone(),
        name => d.name.clone(),
        description => d.description.clone(),
        objective => d.objective.label(),
        years => d.horizon_years().iter().map(|y| y.to_string()).collect::<Vec<_>>(),
        budget_adjustments => d.budget_adjustments.iter().map(|a| context! {
            year => a.year.to_string(),
            capital => pounds(a.capital.pence()),
            revenue => pounds(a.revenue.pence()),
        }).collect::<Vec<_>>(),
        capacity_adjustments => d.capacity_adjustments.iter().map(|a| context! {
            pool => a.pool.clone(),
            amount => units(a.amount),
            more => a.amount >= 0.0,
        }).collect::<Vec<_>>(),
        forced_in => d.forced_in.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        forced_out => d.forced_out.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        time_limit_seconds => d.time_limit_seconds,
        version => s.version,
        updated_at => when(s.updated_at),
    }
}

/// The frontier as an SVG line chart: positions computed here, drawn by the template.
fn frontier_chart(result: &ScenarioResult) -> Option<Value> {
    let points = &result.frontier;
    if points.len() < 2 {
        return None;
    }
    let (w, h, left, right, top, bottom) = (640.0, 320.0, 72.0, 40.0, 16.0, 48.0);
    let max_x = points
        .iter()
        .map(|p| p.budget_pence)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let max_y = points.iter().map(|p| p.value).fold(0.0, f64::max).max(1.0);
    let x = |v: f64| left + (w - left - right) * v / max_x;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / max_y);
    let path = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.budget_pence as f64), y(p.value)))
        .collect::<Vec<_>>()
        .join(" ");
    let ticks = |max: f64| (0..=4).map(move |i| max * i as f64 / 4.0);
    let x_ticks: Vec<Value> = ticks(max_x)
        .map(|v| context! { at => format!("{:.1}", x(v)), label => short_pounds(v as i64) })
        .collect();
    let y_ticks: Vec<Value> = ticks(max_y)
        .map(|v| context! { at => format!("{:.1}", y(v)), label => short_value(result.objective, v) })
        .collect();
    let dots: Vec<Value> = points
        .iter()
        .map(|p| {
            context! {
                cx => format!("{:.1}", x(p.budget_pence as f64)),
                cy => format!("{:.1}", y(p.value)),
                current => (p.scale - 1.0).abs() < 1e-9,
            }
        })
        .collect();
    let current = points.iter().find(|p| (p.scale - 1.0).abs() < 1e-9);
    let best = points.last();
    let first_words = if points[0].scale <= 0.0 {
        "With no money".to_string()
    } else {
        format!(
            "With {} ({:.0}% of the budgets; with less, the statutory projects and those in delivery do not fit)",
            pounds(points[0].budget_pence),
            points[0].scale * 100.0
        )
    };
    let description = format!(
        "{first_words}, the programme is worth {}. {}With {} (twice the budgets), it is worth {}.",
        value_text(result.objective, points[0].value),
        current.map_or(String::new(), |c| format!(
            "At the scenario's budgets, {}, it is worth {}. ",
            pounds(c.budget_pence),
            value_text(result.objective, c.value)
        )),
        best.map_or(String::new(), |b| pounds(b.budget_pence)),
        best.map_or(String::new(), |b| value_text(result.objective, b.value)),
    );
    Some(context! {
        width => w, height => h,
        left => left, bottom_y => h - bottom, right_x => w - right, top => top,
        path, x_ticks, y_ticks, dots, description,
        y_label => match result.objective { Objective::PriorityScore => "Value (priority points)", Objective::Benefits => "Value (cashable benefits)" },
    })
}

fn short_pounds(pence: i64) -> String {
    let pounds = pence as f64 / 100.0;
    if pounds >= 1_000_000.0 {
        format!("£{:.1}m", pounds / 1_000_000.0)
    } else if pounds >= 1_000.0 {
        format!("£{:.0}k", pounds / 1_000.0)
    } else {
        format!("£{pounds:.0}")
    }
}

fn short_value(objective: Objective, v: f64) -> String {
    match objective {
        Objective::PriorityScore => thousands(v.round() as i64),
        Objective::Benefits => short_pounds((v * 100.0) as i64),
    }
}

/// Use as a share of supply, with a level in words (colour is never the only signal).
fn utilisation(used: f64, supply: f64) -> Value {
    let (level, label) = if supply <= 0.0 {
        if used > 0.0 {
            ("over", "Over")
        } else {
            ("none", "None")
        }
    } else if used > supply + 1e-9 {
        ("over", "Over")
    } else if used >= supply * 0.9 - 1e-9 && used > 0.0 {
        ("full", "Full")
    } else {
        ("spare", "Spare")
    };
    context! { used => units(used), supply => units(supply), level, label }
}

fn result_view(result: &ScenarioResult) -> Value {
    let objective = result.objective;
    let outcome = |p: &portfolio_domain::scenario::ProjectOutcome| {
        context! {
            code => p.code.clone(),
            title => p.title.clone(),
            stage => p.stage.clone(),
            value => value_text(objective, p.value),
            start => p.start.clone(),
            decision => p.decision.clone(),
            reasons => p.reasons.clone(),
            lost_out => lost_text(objective, p, true),
            lost_in => lost_text(objective, p, false),
        }
    };
    let chosen: Vec<Value> = result
        .projects
        .iter()
        .filter(|p| p.included)
        .map(outcome)
        .collect();
    let left_out: Vec<Value> = result
        .projects
        .iter()
        .filter(|p| !p.included)
        .map(outcome)
        .collect();
    let spend: Vec<Value> = result
        .spend
        .iter()
        .map(|s| {
            context! {
                year => s.year.clone(),
                capital_budget => s.capital_budget_pence.map(pounds),
                capital_spend => pounds(s.capital_spend_pence),
                capital_over => s.capital_budget_pence.is_some_and(|b| s.capital_spend_pence > b),
                revenue_budget => s.revenue_budget_pence.map(pounds),
                revenue_spend => pounds(s.revenue_spend_pence),
                revenue_over => s.revenue_budget_pence.is_some_and(|b| s.revenue_spend_pence > b),
            }
        })
        .collect();
    let pools: Vec<Value> = result
        .pools
        .iter()
        .map(|p| {
            context! {
                name => p.name.clone(),
                cells => p.used.iter().zip(&p.supply).map(|(u, s)| utilisation(*u, *s)).collect::<Vec<_>>(),
            }
        })
        .collect();
    let frontier_rows: Vec<Value> = result
        .frontier
        .iter()
        .map(|p| {
            context! {
                scale => format!("{:.0}%", p.scale * 100.0),
                budget => pounds(p.budget_pence),
                value => value_text(objective, p.value),
                chosen => p.chosen,
                current => (p.scale - 1.0).abs() < 1e-9,
                proven => p.proven_optimal,
            }
        })
        .collect();
    let marginal: Vec<Value> = result
        .marginal
        .iter()
        .map(|m| {
            context! {
                limit => m.limit.clone(),
                step => m.step.clone(),
                gain => value_text(objective, m.value_gain),
                gains => m.value_gain > 0.0,
                added => m.added.join(", "),
                dropped => m.dropped.join(", "),
            }
        })
        .collect();
    context! {
        status => result.status.clone(),
        proven => result.proven_optimal,
        gap_percent => format!("{:.2}", result.gap * 100.0),
        value => value_text(objective, result.value),
        seconds => format!("{:.2}", result.seconds),
        objective => objective.label(),
        scoring_model_version => result.scoring_model_version,
        chosen_count => chosen.len(),
        left_out_count => left_out.len(),
        chosen, left_out, spend, pools,
        quarters => result.quarters.clone(),
        conflicts => result.conflicts.clone(),
        frontier => frontier_rows,
        chart => frontier_chart(result),
        marginal,
    }
}

pub async fn list(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "scenarios").await?;
    let caller = session.caller();
    let mut rows = Vec::new();
    for s in state.app.scenarios(caller).await? {
        let latest = state.app.latest_scenario_result(caller, &s).await?;
        rows.push(context! {
            slug => s.definition.slug.clone(),
            name => s.definition.name.clone(),
            description => s.definition.description.clone(),
            objective => s.definition.objective.label(),
            years => format!("{} to {}", s.definition.first_year, s.definition.horizon_years().last().map(|y| y.to_string()).unwrap_or_default()),
            value => latest.as_ref().map(|(_, r)| value_text(r.objective, r.value)),
            chosen => latest.as_ref().map(|(_, r)| r.chosen().count()),
            run_at => latest.as_ref().map(|(run, _)| when(run.started_at)),
        });
    }
    Ok(render(
        "scenarios.html",
        context! { scenarios => rows, can_manage => caller.can(Permission::ManagePrioritisation), ..base },
    ))
}

/// Posted scenario fields, kept as typed so a refused form shows them again.
struct Fields {
    one: HashMap<String, String>,
}

impl Fields {
    fn from_pairs(pairs: Vec<(String, String)>) -> Fields {
        Fields {
            one: pairs.into_iter().collect(),
        }
    }

    fn from_draft(d: &ScenarioDraft, pools: &[String]) -> Fields {
        let mut one = HashMap::new();
        one.insert("name".into(), d.name.clone());
        one.insert("description".into(), d.description.clone());
        one.insert("objective".into(), d.objective.clone());
        one.insert("first_year".into(), d.first_year.clone());
        one.insert("years".into(), d.years.to_string());
        one.insert(
            "time_limit_seconds".into(),
            d.time_limit_seconds.to_string(),
        );
        one.insert("forced_in".into(), d.forced_in.join(", "));
        one.insert("forced_out".into(), d.forced_out.join(", "));
        for a in &d.budget_adjustments {
            let key = a.year.replace('/', "-");
            if a.capital_pence != 0 {
                one.insert(format!("capital-{key}"), plain_pounds(a.capital_pence));
            }
            if a.revenue_pence != 0 {
                one.insert(format!("revenue-{key}"), plain_pounds(a.revenue_pence));
            }
        }
        for slug in pools {
            if let Some(a) = d.capacity_adjustments.iter().find(|a| &a.pool == slug) {
                one.insert(format!("pool-{slug}"), units(a.amount));
            }
        }
        Fields { one }
    }

    fn get(&self, key: &str) -> &str {
        self.one.get(key).map(String::as_str).unwrap_or("")
    }

    /// The financial years the form offers adjustments for.
    fn years(&self) -> Vec<FinancialYear> {
        let first = FinancialYear::parse(self.get("first_year")).ok();
        let n: i32 = self.get("years").trim().parse().unwrap_or(3).clamp(1, 10);
        first
            .map(|f| {
                (0..n)
                    .filter_map(|k| FinancialYear::new(f.start_year() + k).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The draft, and errors of fields the page parses itself (money, numbers).
    fn draft(&self, pools: &[String]) -> (ScenarioDraft, ValidationErrors) {
        let mut errors = ValidationErrors::default();
        let mut money = |field: String| -> i64 {
            let text = self.get(&field).trim();
            if text.is_empty() {
                return 0;
            }
            match Money::parse_pounds(text) {
                Ok(m) => m.pence(),
                Err(e) => {
                    errors.push(field, e);
                    0
                }
            }
        };
        let mut budget_adjustments = Vec::new();
        for y in self.years() {
            let key = y.to_string().replace('/', "-");
            let capital = money(format!("capital-{key}"));
            let revenue = money(format!("revenue-{key}"));
            if capital != 0 || revenue != 0 {
                budget_adjustments.push(BudgetAdjustmentDraft {
                    year: y.to_string(),
                    capital_pence: capital,
                    revenue_pence: revenue,
                });
            }
        }
        let mut capacity_adjustments = Vec::new();
        for slug in pools {
            let field = format!("pool-{slug}");
            let text = self.get(&field).trim();
            if text.is_empty() {
                continue;
            }
            match text.trim_start_matches('+').parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    if v != 0.0 {
                        capacity_adjustments.push(CapacityAdjustmentDraft {
                            pool: slug.clone(),
                            amount: v,
                        });
                    }
                }
                _ => errors.push(
                    field,
                    format!("'{text}' is not a number of people, like 2 or 0.5"),
                ),
            }
        }
        let number = |field: &str, default: u32, errors: &mut ValidationErrors| -> u32 {
            let text = self.get(field).trim();
            if text.is_empty() {
                return default;
            }
            text.parse().unwrap_or_else(|_| {
                errors.push(field, format!("'{text}' is not a whole number"));
                default
            })
        };
        let years = number("years", 3, &mut errors);
        let time_limit_seconds = number("time_limit_seconds", 30, &mut errors);
        let codes = |field: &str| -> Vec<String> {
            self.get(field)
                .split(|c: char| c == ',' || c.is_whitespace())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let draft = ScenarioDraft {
            name: self.get("name").to_string(),
            description: self.get("description").to_string(),
            objective: self.get("objective").to_string(),
            first_year: self.get("first_year").to_string(),
            years,
            budget_adjustments,
            capacity_adjustments,
            forced_in: codes("forced_in"),
            forced_out: codes("forced_out"),
            time_limit_seconds,
        };
        (draft, errors)
    }
}

fn plain_pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.abs();
    if p % 100 == 0 {
        format!("{sign}{}", p / 100)
    } else {
        format!("{sign}{}.{:02}", p / 100, p % 100)
    }
}

fn label(field: &str) -> String {
    if let Some(y) = field.strip_prefix("capital-") {
        return format!("Extra capital for {}", y.replace('-', "/"));
    }
    if let Some(y) = field.strip_prefix("revenue-") {
        return format!("Extra revenue for {}", y.replace('-', "/"));
    }
    if let Some(p) = field.strip_prefix("pool-") {
        return format!("Extra {p}");
    }
    match field {
        "name" => "Name",
        "description" => "Description",
        "objective" => "What to maximise",
        "first_year" => "First financial year",
        "years" => "Number of years",
        "time_limit_seconds" => "Time limit",
        "forced_in" => "Projects forced in",
        "forced_out" => "Projects forced out",
        _ => "Scenario",
    }
    .to_string()
}

/// Maps the domain's field names (budget_adjustments[0].year…) onto the form's inputs.
fn errors_view(
    errors: &ValidationErrors,
    draft: &ScenarioDraft,
) -> (HashMap<String, String>, Vec<ErrorLink>) {
    let mut fields = HashMap::new();
    let mut links = Vec::new();
    for e in &errors.0 {
        let id = if let Some(rest) = e.field.strip_prefix("budget_adjustments[") {
            let i: usize = rest
                .split(']')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let year = draft
                .budget_adjustments
                .get(i)
                .map(|a| a.year.replace('/', "-"))
                .unwrap_or_default();
            if e.field.ends_with("revenue_pence") {
                format!("revenue-{year}")
            } else {
                format!("capital-{year}")
            }
        } else if let Some(rest) = e.field.strip_prefix("capacity_adjustments[") {
            let i: usize = rest
                .split(']')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            draft
                .capacity_adjustments
                .get(i)
                .map(|a| format!("pool-{}", a.pool))
                .unwrap_or_else(|| "name".into())
        } else if e.field.starts_with("forced_in") {
            "forced_in".into()
        } else if e.field.starts_with("forced_out") {
            "forced_out".into()
        } else if e.field == "scenario" || e.field == "version" {
            "name".into()
        } else {
            e.field.clone()
        };
        let message = if e.message.starts_with(char::is_uppercase) || e.message.starts_with('\'') {
            e.message.clone()
        } else {
            format!(
                "{} {}",
                label(if e.field == "version" { "version" } else { &id }),
                e.message
            )
        };
        fields.entry(id.clone()).or_insert(message.clone());
        links.push(ErrorLink {
            target: id,
            message,
        });
    }
    (fields, links)
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    state: &AppState,
    session: &PageSession,
    fields: &Fields,
    editing: Option<&Scenario>,
    errors: Option<(&ValidationErrors, &ScenarioDraft)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "scenarios").await?;
    let planning = state.app.planning(session.caller()).await?;
    let (fe, errors) = match errors {
        Some((e, d)) => errors_view(e, d),
        None => (HashMap::new(), Vec::new()),
    };
    let years: Vec<Value> = fields
        .years()
        .iter()
        .map(|y| {
            let key = y.to_string().replace('/', "-");
            context! {
                label => y.to_string(),
                capital_id => format!("capital-{key}"),
                revenue_id => format!("revenue-{key}"),
                capital => fields.get(&format!("capital-{key}")),
                revenue => fields.get(&format!("revenue-{key}")),
                capital_error => fe.get(&format!("capital-{key}")),
                revenue_error => fe.get(&format!("revenue-{key}")),
            }
        })
        .collect();
    let pools: Vec<Value> = planning
        .pools
        .iter()
        .map(|p| {
            let id = format!("pool-{}", p.slug);
            context! {
                id => id.clone(),
                name => p.name.clone(),
                unit => p.unit.clone(),
                value => fields.get(&id),
                error => fe.get(&id),
            }
        })
        .collect();
    let objectives: Vec<Value> = Objective::ALL
        .iter()
        .map(|o| {
            context! {
                value => o.as_str(),
                label => o.label(),
                hint => match o {
                    Objective::PriorityScore => "The sum of the chosen projects' priority scores from the scoring model.",
                    Objective::Benefits => "The sum of the chosen projects' expected cashable benefits.",
                },
            }
        })
        .collect();
    let f = context! {
        name => fields.get("name"), description => fields.get("description"),
        objective => fields.get("objective"), first_year => fields.get("first_year"),
        years => fields.get("years"), time_limit_seconds => fields.get("time_limit_seconds"),
        forced_in => fields.get("forced_in"), forced_out => fields.get("forced_out"),
    };
    Ok(render_status(
        status,
        "scenario_form.html",
        context! {
            f, fe, errors, years, pools, objectives,
            editing => editing.map(|s| context! { slug => s.definition.slug.clone(), name => s.definition.name.clone(), version => s.version }),
            ..base
        },
    ))
}

pub async fn new_form(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    session.caller().require(Permission::ManagePrioritisation)?;
    let today = chrono::Utc::now().date_naive();
    let org = state.app.organisation(session.caller()).await?;
    let first = FinancialYear::containing(today, org.financial_year_start_month);
    let draft = ScenarioDraft {
        objective: Objective::PriorityScore.as_str().into(),
        first_year: first.to_string(),
        years: 3,
        time_limit_seconds: portfolio_domain::scenario::DEFAULT_TIME_LIMIT_SECONDS,
        ..Default::default()
    };
    let fields = Fields::from_draft(&draft, &[]);
    render_form(&state, &session, &fields, None, None, StatusCode::OK).await
}

async fn pool_slugs(state: &AppState, session: &PageSession) -> Result<Vec<String>, PageError> {
    Ok(state
        .app
        .planning(session.caller())
        .await?
        .pools
        .into_iter()
        .map(|p| p.slug)
        .collect())
}

pub async fn create(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::from_pairs(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let pools = pool_slugs(&state, &session).await?;
    let (draft, parse_errors) = fields.draft(&pools);
    let outcome = if parse_errors.is_empty() {
        state.app.create_scenario(session.caller(), &draft).await
    } else {
        Err(AppError::Validation(parse_errors))
    };
    match outcome {
        Ok(s) => Ok(
            Redirect::to(&format!("/scenarios/{}?done=created", s.definition.slug)).into_response(),
        ),
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &session,
                &fields,
                None,
                Some((&errors, &draft)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    session: PageSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    session.caller().require(Permission::ManagePrioritisation)?;
    let scenario = state.app.scenario(session.caller(), &slug).await?;
    let pools = pool_slugs(&state, &session).await?;
    let fields = Fields::from_draft(&scenario.definition.to_draft(), &pools);
    render_form(
        &state,
        &session,
        &fields,
        Some(&scenario),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    session: PageSession,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::from_pairs(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let scenario = state.app.scenario(session.caller(), &slug).await?;
    let pools = pool_slugs(&state, &session).await?;
    let (draft, parse_errors) = fields.draft(&pools);
    let outcome = match super::PostedFields::parse_version(fields.get("version")) {
        _ if !parse_errors.is_empty() => Err(AppError::Validation(parse_errors)),
        Err(e) => Err(e),
        Ok(version) => {
            state
                .app
                .update_scenario(session.caller(), &slug, version, &draft)
                .await
        }
    };
    match outcome {
        Ok(s) => Ok(
            Redirect::to(&format!("/scenarios/{}?done=saved", s.definition.slug)).into_response(),
        ),
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &session,
                &fields,
                Some(&scenario),
                Some((&errors, &draft)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let current = state.app.scenario(session.caller(), &slug).await?;
            let errors = ValidationErrors::single(
                "version",
                format!(
                    "Someone else saved this scenario while you were editing it (it is now at version {}). Your changes are shown below and were not saved: check them against the scenario's page and save again.",
                    current.version
                ),
            );
            render_form(
                &state,
                &session,
                &fields,
                Some(&current),
                Some((&errors, &draft)),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Path(slug): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "scenarios").await?;
    let caller = session.caller();
    let scenario = state.app.scenario(caller, &slug).await?;
    let latest = state.app.latest_scenario_result(caller, &scenario).await?;
    let runs = state.app.scenario_runs(caller, &scenario).await?;
    let others: Vec<Value> = state
        .app
        .scenarios(caller)
        .await?
        .into_iter()
        .filter(|s| s.id != scenario.id)
        .map(|s| context! { slug => s.definition.slug, name => s.definition.name })
        .collect();
    Ok(render(
        "scenario.html",
        context! {
            scenario => definition_view(&scenario),
            result => latest.as_ref().map(|(_, r)| result_view(r)),
            result_run => latest.as_ref().map(|(run, _)| run_view(run)),
            result_stale => latest.as_ref().is_some_and(|(run, _)| run.scenario_version != scenario.version),
            runs => runs.iter().map(run_view).collect::<Vec<_>>(),
            running => runs.iter().find(|r| !r.status.finished()).map(run_view),
            others,
            frontier_points => FRONTIER_POINTS,
            done => q.done,
            can_manage => caller.can(Permission::ManagePrioritisation),
            ..base
        },
    ))
}

pub async fn start_run(
    State(state): State<AppState>,
    session: PageSession,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::from_pairs(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    match state.app.start_scenario_run(session.caller(), &slug).await {
        Ok(run) => Ok(Redirect::to(&format!("/scenario-runs/{}", run.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let base = layout(&state, &session, "scenarios").await?;
            let scenario = state.app.scenario(session.caller(), &slug).await?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "scenario_refused.html",
                context! {
                    scenario => definition_view(&scenario),
                    problems => errors.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>(),
                    errors => errors.0.iter().map(|e| ErrorLink { target: "problems".into(), message: e.message.clone() }).collect::<Vec<_>>(),
                    ..base
                },
            ))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn show_run(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "scenarios").await?;
    let run = state.app.scenario_run(session.caller(), id).await?;
    let scenario = state
        .app
        .scenario(session.caller(), &run.scenario_slug)
        .await?;
    Ok(render(
        "scenario_run.html",
        context! {
            run => run_view(&run),
            scenario => definition_view(&scenario),
            can_manage => session.caller().can(Permission::ManagePrioritisation),
            ..base
        },
    ))
}

pub async fn cancel_run(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::from_pairs(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    match state.app.cancel_scenario_run(session.caller(), id).await {
        Ok(_) | Err(AppError::Validation(_)) => {
            Ok(Redirect::to(&format!("/scenario-runs/{id}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn compare(
    State(state): State<AppState>,
    session: PageSession,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "scenarios").await?;
    let slugs: Vec<String> = pairs
        .into_iter()
        .filter(|(k, _)| k == "scenario")
        .map(|(_, v)| v)
        .collect();
    let all: Vec<Value> = state
        .app
        .scenarios(session.caller())
        .await?
        .into_iter()
        .map(|s| {
            let checked = slugs.contains(&s.definition.slug);
            context! { slug => s.definition.slug, name => s.definition.name, checked }
        })
        .collect();
    let (comparison, errors) = if slugs.is_empty() {
        (None, Vec::new())
    } else {
        match state.app.compare_scenarios(session.caller(), &slugs).await {
            Ok(c) => (Some(c), Vec::new()),
            Err(AppError::Validation(e)) => (
                None,
                e.0.iter()
                    .map(|e| ErrorLink {
                        target: "scenario".into(),
                        message: e.message.clone(),
                    })
                    .collect(),
            ),
            Err(e) => return Err(e.into()),
        }
    };
    let view = comparison.as_ref().map(|c| {
        context! {
            scenarios => c.scenarios.iter().map(|s| context! {
                slug => s.slug.clone(), name => s.name.clone(), value => thousands(s.value.round() as i64),
                chosen => s.chosen, status => s.status.clone(),
                spend => s.spend_pence.iter().map(|p| pounds(*p)).collect::<Vec<_>>(),
                budget => s.budget_pence.iter().map(|b| b.map(pounds)).collect::<Vec<_>>(),
                utilisation => s.peak_utilisation.iter().map(|u| u.map(|u| format!("{:.0}%", u * 100.0))).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
            years => c.years.clone(),
            pools => c.pools.clone(),
            projects => c.projects.iter().map(|p| context! {
                code => p.code.clone(), title => p.title.clone(), starts => p.starts.clone(), differs => p.differs,
            }).collect::<Vec<_>>(),
            differing => c.projects.iter().filter(|p| p.differs).count(),
        }
    });
    Ok(render(
        "scenario_compare.html",
        context! { all, comparison => view, errors, ..base },
    ))
}

async fn model_download(
    state: &AppState,
    session: &PageSession,
    slug: &str,
    format: ModelFormat,
) -> Result<Response, PageError> {
    let text = state
        .app
        .scenario_model_text(session.caller(), slug, format)
        .await?;
    let ext = match format {
        ModelFormat::Mps => "mps",
        ModelFormat::Lp => "lp",
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}.{ext}\""),
            ),
        ],
        text,
    )
        .into_response())
}

pub async fn model_mps(
    State(state): State<AppState>,
    session: PageSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    model_download(&state, &session, &slug, ModelFormat::Mps).await
}

pub async fn model_lp(
    State(state): State<AppState>,
    session: PageSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    model_download(&state, &session, &slug, ModelFormat::Lp).await
}

/// What the project page shows of the scenarios: in or out of each, and why.
pub(crate) async fn project_section(
    state: &AppState,
    session: &PageSession,
    code: &str,
) -> Result<Vec<Value>, PageError> {
    let rows = state
        .app
        .project_in_scenarios(session.caller(), code)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(s, o)| {
            let objective = s.definition.objective;
            context! {
                slug => s.definition.slug.clone(),
                name => s.definition.name.clone(),
                included => o.included,
                start => o.start.clone(),
                decision => o.decision.clone(),
                reasons => o.reasons.clone(),
                lost_out => lost_text(objective, &o, true),
                lost_in => lost_text(objective, &o, false),
            }
        })
        .collect())
}
