//! Pages for capacity: the supply-versus-demand heat map, resource pools
//! (supply per quarter as a grid of inputs), budgets per financial year, and
//! a project's plan (window, duration, demand per pool per quarter from its
//! start, costs per year from its start, benefits, dependencies).
//!
//! Everyone may read them; the forms are shown, and accepted, only for the
//! programme office (`ManagePrioritisation`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::capacity::{
    parse_amount_text, Budget, BudgetDraft, DemandDraft, HeatMap, PlanDraft, PoolDraft,
    ProjectPlan, RelativeCostDraft, ResourcePool, SupplyDraft,
};
use portfolio_domain::quarters::{FinancialQuarter, FinancialYear};
use portfolio_domain::{Money, Permission, Project, ValidationErrors};
use serde::Deserialize;

use super::{layout, ErrorLink};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;
use portfolio_app::capacity::heat_map_range;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/capacity", get(heat_map_page))
        .route("/pools", get(pools_page).post(create_pool))
        .route("/pools/new", get(new_pool))
        .route("/pools/{slug}", get(pool_page).post(update_pool))
        .route("/budgets", get(budgets_page))
        .route("/budgets/{year}", post(put_budget))
        .route("/projects/{code}/plan", get(plan_page).post(put_plan))
}

use super::PostedFields as Fields;

/// The first letter in capitals; messages that start "must…" get the field's label first.
fn sentence(label: &str, message: &str) -> String {
    if ["must ", "cannot ", "is ", "has ", "appears "]
        .iter()
        .any(|p| message.starts_with(p))
    {
        return format!("{label} {message}");
    }
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => format!("{label} is not valid"),
    }
}

/// Errors by input id, and the summary's links, given how to name each field.
pub(super) fn errors_view(
    errors: &ValidationErrors,
    locate: impl Fn(&str) -> (String, String),
) -> (HashMap<String, String>, Vec<ErrorLink>) {
    let mut fields = HashMap::new();
    let mut links = Vec::new();
    for e in &errors.0 {
        let (id, label) = locate(&e.field);
        let message = sentence(&label, &e.message);
        fields.entry(id.clone()).or_insert(message.clone());
        links.push(ErrorLink {
            target: id,
            message,
        });
    }
    (fields, links)
}

fn can_manage(session: &PageSession) -> bool {
    session.caller().can(Permission::ManagePrioritisation)
}

fn amount_text(a: f64) -> String {
    if a == 0.0 {
        String::new()
    } else {
        let s = format!("{a:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn pounds_text(m: Money) -> String {
    if m.pence() == 0 {
        String::new()
    } else {
        m.to_plain_pounds()
    }
}

pub(super) fn conflict_errors(what: &str) -> ValidationErrors {
    ValidationErrors::single(
        "version",
        format!("This {what} was changed by someone else while you were editing it. The form now shows what is stored; make your change again."),
    )
}

// ---------------------------------------------------------------------------
// Heat map
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct HeatMapQuery {
    from: Option<String>,
    quarters: Option<String>,
}

fn heat_map_view(map: &HeatMap) -> Value {
    let rows: Vec<Value> = map
        .rows
        .iter()
        .map(|r| {
            let cells: Vec<Value> = r
                .cells
                .iter()
                .map(|c| {
                    context! {
                        quarter => c.quarter.to_string(),
                        demand => format!("{:.2}", c.demand).trim_end_matches('0').trim_end_matches('.').to_string(),
                        supply => format!("{:.2}", c.supply).trim_end_matches('0').trim_end_matches('.').to_string(),
                        percent => c.utilisation.map(|u| format!("{:.0}%", u * 100.0)),
                        level => c.level.as_str(),
                        level_label => c.level.label(),
                        projects => c.projects.join(", "),
                    }
                })
                .collect();
            context! { slug => r.pool.clone(), name => r.name.clone(), unit => r.unit.clone(), cells }
        })
        .collect();
    context! {
        quarters => map.quarters.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
        rows,
        projects => map.projects.len(),
    }
}

pub async fn heat_map_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<HeatMapQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "capacity").await?;
    let caller = session.caller();
    let start_month = state.app.start_month(caller).await?;
    let (first, quarters, errors) =
        match heat_map_range(q.from.as_deref(), q.quarters.as_deref(), start_month) {
            Ok((first, quarters)) => (first, quarters, Vec::new()),
            Err(AppError::Validation(e)) => {
                let (_, links) = errors_view(&e, |f| {
                    let label = if f == "quarters" { "Quarters" } else { "From" };
                    (f.to_string(), label.to_string())
                });
                let (first, quarters) = heat_map_range(None, None, start_month)?;
                (first, quarters, links)
            }
            Err(e) => return Err(e.into()),
        };
    let map = state.app.heat_map(caller, first, quarters).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        "capacity.html",
        context! {
            map => heat_map_view(&map), from => q.from.clone().unwrap_or_else(|| first.year.to_string()),
            quarters => quarters, errors, manage => can_manage(&session), ..base
        },
    ))
}

// ---------------------------------------------------------------------------
// Resource pools
// ---------------------------------------------------------------------------

/// The quarters a pool's grid shows: three financial years from the pool's
/// first listed quarter's year (or this year), and any other quarter it lists.
fn grid_quarters(pool: Option<&ResourcePool>, start_month: u32) -> Vec<FinancialQuarter> {
    let this_year = FinancialYear::containing(chrono::Utc::now().date_naive(), start_month);
    let first_year = pool
        .and_then(|p| p.supply.first())
        .map(|s| s.quarter.year)
        .unwrap_or(this_year)
        .min(this_year);
    let mut quarters = FinancialQuarter::first_of(first_year).range(12);
    let last = FinancialQuarter::first_of(this_year).plus(11);
    while quarters.last().is_some_and(|q| *q < last) {
        let next = quarters.last().map(|q| q.next()).unwrap_or(last);
        quarters.push(next);
    }
    if let Some(p) = pool {
        for s in &p.supply {
            if !quarters.contains(&s.quarter) {
                quarters.push(s.quarter);
            }
        }
    }
    quarters.sort();
    quarters
}

fn quarter_id(q: FinancialQuarter) -> String {
    format!("supply-{}-q{}", q.year.start_year(), q.quarter)
}

fn pool_fields(pool: &ResourcePool) -> HashMap<String, String> {
    let mut f = HashMap::new();
    f.insert("name".into(), pool.name.clone());
    f.insert("unit".into(), pool.unit.clone());
    f.insert("description".into(), pool.description.clone());
    f.insert("slug".into(), pool.slug.clone());
    for s in &pool.supply {
        f.insert(quarter_id(s.quarter), amount_text(s.amount));
    }
    f
}

/// The draft a pool form describes, and problems found reading it.
fn pool_draft(fields: &Fields, quarters: &[FinancialQuarter]) -> (PoolDraft, ValidationErrors) {
    let mut local = ValidationErrors::default();
    let mut supply = Vec::new();
    for q in quarters {
        let id = quarter_id(*q);
        let text = fields.get(&id);
        if text.trim().is_empty() {
            continue;
        }
        match parse_amount_text(text) {
            Ok(amount) => supply.push(SupplyDraft {
                quarter: q.to_string(),
                amount,
            }),
            Err(e) => local.push(id, format!("supply in {q} {e}")),
        }
    }
    let slug = Some(fields.get("slug").to_string()).filter(|s| !s.trim().is_empty());
    (
        PoolDraft {
            slug,
            name: fields.get("name").to_string(),
            unit: fields.get("unit").to_string(),
            description: fields.get("description").to_string(),
            supply,
        },
        local,
    )
}

fn pool_locate(quarters: &[FinancialQuarter]) -> impl Fn(&str) -> (String, String) + '_ {
    move |field: &str| {
        if field.starts_with("supply-") {
            return (field.to_string(), "Supply".into());
        }
        if let Some(rest) = field.strip_prefix("supply[") {
            // The draft lists only filled-in quarters; its messages name the quarter.
            let _ = rest;
            return (
                quarters
                    .first()
                    .map(|q| quarter_id(*q))
                    .unwrap_or_else(|| "supply".into()),
                "Supply".into(),
            );
        }
        let label = match field {
            "name" => "Name",
            "slug" => "Short name",
            "unit" => "Unit",
            "description" => "Description",
            _ => "Pool",
        };
        let id = match field {
            "name" | "slug" | "unit" | "description" => field.to_string(),
            _ => "name".to_string(),
        };
        (id, label.to_string())
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_pool(
    state: &AppState,
    session: &PageSession,
    pool: Option<&ResourcePool>,
    values: HashMap<String, String>,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "capacity").await?;
    let start_month = state.app.start_month(session.caller()).await?;
    let quarters = grid_quarters(pool, start_month);
    let (fe, errors) = match errors {
        Some(e) => errors_view(e, pool_locate(&quarters)),
        None => (HashMap::new(), Vec::new()),
    };
    // Supply errors are reported by quarter: put each on its quarter's input.
    let mut fe = fe;
    if let Some(e) = errors_of(&errors) {
        for q in &quarters {
            let qs = q.to_string();
            if let Some(m) = e.iter().find(|m| m.contains(&format!(" {qs} "))) {
                fe.insert(quarter_id(*q), m.clone());
            }
        }
    }
    let years: Vec<Value> = {
        let mut by_year: Vec<(FinancialYear, Vec<Value>)> = Vec::new();
        for q in &quarters {
            let id = quarter_id(*q);
            let cell = context! {
                id => id.clone(), label => q.to_string(), quarter => format!("Q{}", q.quarter),
                value => values.get(&id).cloned().unwrap_or_default(),
                error => fe.get(&id).cloned(),
            };
            match by_year.last_mut() {
                Some((y, cells)) if *y == q.year => cells.push(cell),
                _ => by_year.push((q.year, vec![cell])),
            }
        }
        by_year
            .into_iter()
            .map(|(y, cells)| context! { year => y.to_string(), cells })
            .collect()
    };
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    Ok(render_status(
        status,
        "pool_form.html",
        context! {
            pool => pool.map(|p| context! { slug => p.slug.clone(), name => p.name.clone(), version => p.version }),
            f => context! { name => get("name"), unit => get("unit"), description => get("description"), slug => get("slug") },
            fe, errors, years, manage => can_manage(session), ..base
        },
    ))
}

fn errors_of(links: &[ErrorLink]) -> Option<Vec<String>> {
    (!links.is_empty()).then(|| links.iter().map(|l| l.message.clone()).collect())
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn pools_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "capacity").await?;
    let pools = state.app.resource_pools(session.caller()).await?;
    let rows: Vec<Value> = pools
        .iter()
        .map(|p| {
            let first = p.supply.first().map(|s| s.quarter.to_string());
            let last = p.supply.last().map(|s| s.quarter.to_string());
            let peak = p.supply.iter().map(|s| s.amount).fold(0.0, f64::max);
            context! {
                slug => p.slug.clone(), name => p.name.clone(), unit => p.unit.clone(),
                description => p.description.clone(), first, last, peak => amount_text(peak),
            }
        })
        .collect();
    Ok(render_status(
        StatusCode::OK,
        "pools.html",
        context! { pools => rows, manage => can_manage(&session), done => q.done, ..base },
    ))
}

pub async fn new_pool(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    session.caller().require(Permission::ManagePrioritisation)?;
    let mut values = HashMap::new();
    values.insert("unit".to_string(), "FTE".to_string());
    render_pool(&state, &session, None, values, None, StatusCode::OK).await
}

pub async fn create_pool(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let start_month = state.app.start_month(session.caller()).await?;
    let quarters = grid_quarters(None, start_month);
    let (draft, local) = pool_draft(&fields, &quarters);
    let result = if local.is_empty() {
        state
            .app
            .create_resource_pool(session.caller(), &draft)
            .await
    } else {
        Err(AppError::Validation(local))
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/pools/{}?done=saved", p.slug)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_pool(
                &state,
                &session,
                None,
                fields.0.clone(),
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn pool_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let pool = state.app.resource_pool(session.caller(), &slug).await?;
    render_pool(
        &state,
        &session,
        Some(&pool),
        pool_fields(&pool),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn update_pool(
    State(state): State<AppState>,
    session: PageSession,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let pool = state.app.resource_pool(session.caller(), &slug).await?;
    let start_month = state.app.start_month(session.caller()).await?;
    let quarters = grid_quarters(Some(&pool), start_month);
    let (draft, local) = pool_draft(&fields, &quarters);
    let draft = PoolDraft {
        slug: None,
        ..draft
    };
    let result = match (local.is_empty(), fields.version()) {
        (false, _) => Err(AppError::Validation(local)),
        (true, Err(e)) => Err(e),
        (true, Ok(version)) => {
            state
                .app
                .update_resource_pool(session.caller(), &slug, version, &draft)
                .await
        }
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/pools/{}?done=saved", p.slug)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_pool(
                &state,
                &session,
                Some(&pool),
                fields.0.clone(),
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let current = state.app.resource_pool(session.caller(), &slug).await?;
            render_pool(
                &state,
                &session,
                Some(&current),
                pool_fields(&current),
                Some(&conflict_errors("pool")),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// Budgets
// ---------------------------------------------------------------------------

fn year_slug(y: FinancialYear) -> String {
    format!("{}-{:02}", y.start_year(), (y.start_year() + 1) % 100)
}

async fn render_budgets(
    state: &AppState,
    session: &PageSession,
    failed: Option<(FinancialYear, &Fields, &ValidationErrors)>,
    done: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "budgets").await?;
    let budgets = state.app.budgets(session.caller()).await?;
    let start_month = state.app.start_month(session.caller()).await?;
    let this_year = FinancialYear::containing(chrono::Utc::now().date_naive(), start_month);
    // The years stored, and the next three from this year, so a new one can be set.
    let mut years: Vec<FinancialYear> = budgets.iter().map(|b| b.year).collect();
    for k in 0..3 {
        if let Ok(y) = FinancialYear::new(this_year.start_year() + k) {
            if !years.contains(&y) {
                years.push(y);
            }
        }
    }
    years.sort();
    let mut links = Vec::new();
    let rows: Vec<Value> = years
        .iter()
        .map(|&y| {
            let stored: Option<&Budget> = budgets.iter().find(|b| b.year == y);
            let slug = year_slug(y);
            let (capital, revenue, fe) = match failed {
                Some((fy, fields, errors)) if fy == y => {
                    let (fe, l) = errors_view(errors, |field| {
                        let (suffix, label) = match field {
                            "revenue_pence" | "revenue" => ("revenue", "Revenue"),
                            _ => ("capital", "Capital"),
                        };
                        (format!("{suffix}-{slug}"), format!("{label} for {y}"))
                    });
                    links = l;
                    (
                        fields.get("capital").to_string(),
                        fields.get("revenue").to_string(),
                        fe,
                    )
                }
                _ => (
                    stored.map(|b| pounds_text(b.capital)).unwrap_or_default(),
                    stored.map(|b| pounds_text(b.revenue)).unwrap_or_default(),
                    HashMap::new(),
                ),
            };
            context! {
                year => y.to_string(), slug => slug.clone(),
                stored => stored.is_some(), version => stored.map_or(0, |b| b.version),
                capital_shown => stored.map(|b| b.capital.to_string()),
                revenue_shown => stored.map(|b| b.revenue.to_string()),
                capital, revenue,
                capital_error => fe.get(&format!("capital-{slug}")).cloned(),
                revenue_error => fe.get(&format!("revenue-{slug}")).cloned(),
            }
        })
        .collect();
    Ok(render_status(
        status,
        "budgets.html",
        context! { rows, errors => links, manage => can_manage(session), done, ..base },
    ))
}

pub async fn budgets_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    render_budgets(&state, &session, None, q.done, StatusCode::OK).await
}

pub async fn put_budget(
    State(state): State<AppState>,
    session: PageSession,
    Path(year): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let fy = FinancialYear::parse(&year)
        .map_err(|e| AppError::Validation(ValidationErrors::single("year", e)))?;
    let mut local = ValidationErrors::default();
    let mut pounds = |field: &str| -> i64 {
        let text = fields.get(field).trim();
        if text.is_empty() {
            return 0;
        }
        match Money::parse_pounds(text) {
            Ok(m) => m.pence(),
            Err(e) => {
                local.push(field, e);
                0
            }
        }
    };
    let draft = BudgetDraft {
        capital_pence: pounds("capital"),
        revenue_pence: pounds("revenue"),
    };
    let result = match (local.is_empty(), fields.version()) {
        (false, _) => Err(AppError::Validation(local)),
        (true, Err(e)) => Err(e),
        (true, Ok(version)) => {
            state
                .app
                .put_budget(session.caller(), &year, version, &draft)
                .await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/budgets?done=saved").into_response()),
        Err(AppError::Validation(errors)) => {
            render_budgets(
                &state,
                &session,
                Some((fy, &fields, &errors)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let errors = conflict_errors("budget");
            let empty = Fields(HashMap::new());
            let _ = empty;
            render_budgets(
                &state,
                &session,
                Some((fy, &Fields(HashMap::new()), &errors)),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// Project plans
// ---------------------------------------------------------------------------

/// Years of costs a plan form shows for a duration.
fn cost_years(duration: u32) -> u32 {
    (duration.div_ceil(4) + 1).clamp(1, portfolio_domain::capacity::MAX_COST_YEARS)
}

fn demand_id(pool: &str, k: u32) -> String {
    format!("demand-{pool}-{k}")
}

fn plan_fields(plan: &ProjectPlan) -> HashMap<String, String> {
    let mut f = HashMap::new();
    let q = |q: Option<FinancialQuarter>| q.map(|q| q.to_string()).unwrap_or_default();
    f.insert("earliest_start".into(), q(plan.earliest_start));
    f.insert("latest_start".into(), q(plan.latest_start));
    f.insert(
        "duration_quarters".into(),
        plan.duration_quarters.to_string(),
    );
    for d in &plan.demand {
        f.insert(demand_id(&d.pool, d.offset), amount_text(d.amount));
    }
    for c in &plan.costs {
        f.insert(format!("capital-{}", c.offset), pounds_text(c.capital));
        f.insert(format!("revenue-{}", c.offset), pounds_text(c.revenue));
    }
    f.insert("benefits".into(), pounds_text(plan.benefits));
    if plan.mandatory {
        f.insert("mandatory".into(), "yes".into());
    }
    f.insert(
        "depends_on".into(),
        plan.depends_on
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );
    f.insert(
        "exclusive_group".into(),
        plan.exclusive_group.clone().unwrap_or_default(),
    );
    f
}

/// What a plan form describes: the draft, the input id of each demand and
/// cost line (to place the domain's errors), and problems reading numbers.
struct PlanFormRead {
    draft: PlanDraft,
    demand_ids: Vec<String>,
    cost_ids: Vec<String>,
    local: ValidationErrors,
}

fn read_plan_form(fields: &Fields, pools: &[ResourcePool], columns: u32) -> PlanFormRead {
    let mut local = ValidationErrors::default();
    let duration_text = fields.get("duration_quarters").trim();
    let duration_quarters = match duration_text.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            local.push(
                "duration_quarters",
                format!("'{duration_text}' is not a whole number of quarters, like 4"),
            );
            1
        }
    };
    let mut demand = Vec::new();
    let mut demand_ids = Vec::new();
    for pool in pools {
        for k in 0..columns {
            let id = demand_id(&pool.slug, k);
            let text = fields.get(&id);
            if text.trim().is_empty() {
                continue;
            }
            match parse_amount_text(text) {
                Ok(amount) => {
                    demand.push(DemandDraft {
                        pool: pool.slug.clone(),
                        offset: i64::from(k),
                        amount,
                    });
                    demand_ids.push(id);
                }
                Err(e) => local.push(
                    id,
                    format!("demand for {} in quarter {} {e}", pool.name, k + 1),
                ),
            }
        }
    }
    let mut costs = Vec::new();
    let mut cost_ids = Vec::new();
    for k in 0..cost_years(columns.max(1)) {
        let mut pounds = |field: String, label: &str| -> i64 {
            let text = fields.get(&field).trim();
            if text.is_empty() {
                return 0;
            }
            match Money::parse_pounds(text) {
                Ok(m) => m.pence(),
                Err(e) => {
                    local.push(field, format!("{label} in year {} {e}", k + 1));
                    0
                }
            }
        };
        let capital = pounds(format!("capital-{k}"), "capital");
        let revenue = pounds(format!("revenue-{k}"), "revenue");
        if capital != 0 || revenue != 0 {
            costs.push(RelativeCostDraft {
                offset: i64::from(k),
                capital_pence: capital,
                revenue_pence: revenue,
            });
            cost_ids.push(format!("capital-{k}"));
        }
    }
    let benefits_text = fields.get("benefits").trim();
    let benefits_pence = if benefits_text.is_empty() {
        0
    } else {
        match Money::parse_pounds(benefits_text) {
            Ok(m) => m.pence(),
            Err(e) => {
                local.push("benefits", e);
                0
            }
        }
    };
    let optional = |k: &str| Some(fields.get(k).trim().to_string()).filter(|s| !s.is_empty());
    PlanFormRead {
        draft: PlanDraft {
            earliest_start: optional("earliest_start"),
            latest_start: optional("latest_start"),
            duration_quarters,
            demand,
            costs,
            benefits_pence,
            mandatory: !fields.get("mandatory").is_empty(),
            depends_on: fields
                .get("depends_on")
                .split([',', ' ', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            exclusive_group: optional("exclusive_group"),
        },
        demand_ids,
        cost_ids,
        local,
    }
}

fn plan_locate<'a>(read: &'a PlanFormRead) -> impl Fn(&str) -> (String, String) + 'a {
    move |field: &str| {
        let indexed = |prefix: &str, ids: &[String]| -> Option<String> {
            let rest = field.strip_prefix(prefix)?;
            let i: usize = rest.split(']').next()?.parse().ok()?;
            ids.get(i).cloned()
        };
        if let Some(id) = indexed("demand[", &read.demand_ids) {
            return (id, "Demand".into());
        }
        if let Some(id) = indexed("costs[", &read.cost_ids) {
            let id = if field.ends_with("revenue_pence") {
                id.replace("capital-", "revenue-")
            } else {
                id
            };
            return (id, "Cost".into());
        }
        if field.starts_with("demand-")
            || field.starts_with("capital-")
            || field.starts_with("revenue-")
        {
            return (field.to_string(), "Amount".into());
        }
        let (id, label) = match field {
            "earliest_start" => ("earliest_start", "Earliest start"),
            "latest_start" => ("latest_start", "Latest start"),
            "duration_quarters" => ("duration_quarters", "Duration"),
            "benefits" | "benefits_pence" => ("benefits", "Cashable benefits"),
            "exclusive_group" => ("exclusive_group", "Alternatives group"),
            f if f.starts_with("depends_on") => ("depends_on", "Depends on"),
            "demand" => ("demand", "Demand"),
            "version" => ("earliest_start", "This plan"),
            _ => ("earliest_start", "Plan"),
        };
        (id.to_string(), label.to_string())
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_plan(
    state: &AppState,
    session: &PageSession,
    project: &Project,
    plan: &ProjectPlan,
    values: &HashMap<String, String>,
    read: Option<(&PlanFormRead, &ValidationErrors)>,
    done: bool,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "register").await?;
    let pools = state.app.resource_pools(session.caller()).await?;
    let (fe, errors) = match read {
        Some((read, errors)) => errors_view(errors, plan_locate(read)),
        None => (HashMap::new(), Vec::new()),
    };
    let columns = plan.duration_quarters.clamp(1, 40);
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let demand_rows: Vec<Value> = pools
        .iter()
        .map(|p| {
            let cells: Vec<Value> = (0..columns)
                .map(|k| {
                    let id = demand_id(&p.slug, k);
                    context! { id => id.clone(), label => format!("{} in quarter {}", p.name, k + 1), value => get(&id), error => fe.get(&id).cloned() }
                })
                .collect();
            context! { name => p.name.clone(), unit => p.unit.clone(), cells }
        })
        .collect();
    let cost_rows: Vec<Value> = (0..cost_years(columns))
        .map(|k| {
            let (c, r) = (format!("capital-{k}"), format!("revenue-{k}"));
            context! {
                year => k + 1, capital_id => c.clone(), revenue_id => r.clone(),
                capital => get(&c), revenue => get(&r),
                capital_error => fe.get(&c).cloned(), revenue_error => fe.get(&r).cloned(),
            }
        })
        .collect();
    Ok(render_status(
        status,
        "plan_form.html",
        context! {
            project => context! { code => project.code.clone(), title => project.title.clone() },
            version => plan.version, stored => plan.version > 0,
            f => context! {
                earliest_start => get("earliest_start"), latest_start => get("latest_start"),
                duration_quarters => get("duration_quarters"), benefits => get("benefits"),
                mandatory => !get("mandatory").is_empty(), depends_on => get("depends_on"),
                exclusive_group => get("exclusive_group"),
            },
            fe, errors, demand_rows, cost_rows, columns, has_pools => !pools.is_empty(),
            manage => can_manage(session), done, ..base
        },
    ))
}

pub async fn plan_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let project = state.app.project(session.caller(), &code).await?;
    let plan = state.app.project_plan(session.caller(), &code).await?;
    render_plan(
        &state,
        &session,
        &project,
        &plan,
        &plan_fields(&plan),
        None,
        q.done.is_some(),
        StatusCode::OK,
    )
    .await
}

pub async fn put_plan(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let project = state.app.project(session.caller(), &code).await?;
    let current = state.app.project_plan(session.caller(), &code).await?;
    let pools = state.app.resource_pools(session.caller()).await?;
    let columns = current.duration_quarters.clamp(1, 40);
    let read = read_plan_form(&fields, &pools, columns);
    let result = match (read.local.is_empty(), fields.version()) {
        (false, _) => {
            // Show the plan's other problems too, not only the numbers that did not read.
            let mut errors = read.local.clone();
            if let Err(AppError::Validation(more)) = state
                .app
                .validate_plan(session.caller(), &project, &read.draft)
                .await
            {
                errors.0.extend(more.0);
            }
            Err(AppError::Validation(errors))
        }
        (true, Err(e)) => Err(e),
        (true, Ok(version)) => {
            state
                .app
                .put_project_plan(session.caller(), &code, version, &read.draft)
                .await
        }
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/projects/{}/plan?done=saved", project.code)).into_response(),
        ),
        Err(AppError::Validation(errors)) => {
            render_plan(
                &state,
                &session,
                &project,
                &current,
                &fields.0,
                Some((&read, &errors)),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let errors = conflict_errors("plan");
            render_plan(
                &state,
                &session,
                &project,
                &current,
                &plan_fields(&current),
                Some((&read, &errors)),
                false,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The plan summary the project page shows (`project_plan.html`).
pub(crate) async fn plan_summary(
    state: &AppState,
    session: &PageSession,
    project: &Project,
) -> Result<Value, PageError> {
    let plan = state
        .app
        .project_plan(session.caller(), &project.code)
        .await?;
    let pools = state.app.resource_pools(session.caller()).await?;
    let (capital, revenue) = plan.total_cost();
    let demand: Vec<String> = pools
        .iter()
        .filter_map(|p| {
            let total: f64 = plan
                .demand
                .iter()
                .filter(|d| d.pool == p.slug)
                .map(|d| d.amount)
                .sum();
            (total > 0.0).then(|| format!("{}: {} {}-quarters", p.name, amount_text(total), p.unit))
        })
        .collect();
    let window = match (plan.earliest_start, plan.latest_start) {
        (Some(e), Some(l)) if e == l => Some(format!("Starts in {e}")),
        (Some(e), Some(l)) => Some(format!("Starts between {e} and {l}")),
        (Some(e), None) => Some(format!("Starts in {e} or later")),
        (None, Some(l)) => Some(format!("Starts by {l}")),
        (None, None) => None,
    };
    Ok(context! {
        stored => plan.version > 0, window, duration => plan.duration_quarters,
        capital => capital.to_string(), revenue => revenue.to_string(),
        benefits => plan.benefits.to_string(), mandatory => plan.mandatory,
        depends_on => plan.depends_on.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        exclusive_group => plan.exclusive_group.clone(), demand,
        code => project.code.clone(), manage => can_manage(session),
    })
}
