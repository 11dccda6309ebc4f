//! The register: filter, search, sort and page through projects; download as XLSX or CSV.

use axum::extract::{Query, State};
use axum::response::Response;
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::filter::{ProjectQuery, ProjectSort};
use portfolio_domain::history::AsAtQuery;
use portfolio_domain::Project;

use super::{confidence_options, confidence_view, layout, stage_options, stage_view, ErrorLink};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render;
use crate::AppState;

const PER_PAGE: u32 = 25;

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The register URL for the same query at another page (and the same past date).
fn page_href(q: &ProjectQuery, as_at: Option<chrono::NaiveDate>, page: u32) -> String {
    let mut parts = Vec::new();
    if let Some(d) = as_at {
        parts.push(format!("as_at={d}"));
    }
    for (k, v) in [
        ("q", &q.q),
        ("stage", &q.stage),
        ("department", &q.department),
        ("theme", &q.theme),
        ("confidence", &q.confidence),
        ("sort", &q.sort),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/projects".to_string()
    } else {
        format!("/projects?{}", parts.join("&"))
    }
}

/// Page numbers to show: first, last, and two either side of the current one.
fn page_links(
    q: &ProjectQuery,
    as_at: Option<chrono::NaiveDate>,
    current: u32,
    count: u32,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut last_shown = 0;
    for n in 1..=count {
        if n == 1 || n == count || n.abs_diff(current) <= 2 {
            if last_shown != 0 && n > last_shown + 1 {
                out.push(context! { ellipsis => true });
            }
            out.push(context! { ellipsis => false, number => n, current => n == current, href => page_href(q, as_at, n) });
            last_shown = n;
        }
    }
    out
}

pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Query(query): Query<ProjectQuery>,
    Query(as_at_query): Query<AsAtQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "register").await?;
    let caller = session.caller();
    let to_links = |e: &portfolio_domain::ValidationErrors| -> Vec<ErrorLink> {
        e.0.iter()
            .map(|f| ErrorLink {
                target: if f.field == "as_at" {
                    "as_at-day".to_string()
                } else {
                    f.field.clone()
                },
                message: format!("{}: {}", f.field, f.message),
            })
            .collect()
    };
    let mut errors = Vec::new();
    let as_at = match as_at_query.parse(portfolio_app::history::today()) {
        Ok(d) => d,
        Err(e) => {
            errors.extend(to_links(&e));
            None
        }
    };
    let listed = match as_at {
        Some(d) => state
            .app
            .list_projects_as_at(caller, &query, d, PER_PAGE)
            .await
            .map(|r| (r.projects, r.total)),
        None => state
            .app
            .list_projects(caller, &query, PER_PAGE)
            .await
            .map(|p| (p.projects.clone(), p.total)),
    };
    let ((listed, total), used_query): ((Vec<Project>, i64), ProjectQuery) = match listed {
        Ok(found) => (found, query.clone()),
        Err(AppError::Validation(e)) => {
            errors.extend(to_links(&e));
            let fallback = ProjectQuery::default();
            let found = match as_at {
                Some(d) => {
                    let r = state
                        .app
                        .list_projects_as_at(caller, &fallback, d, PER_PAGE)
                        .await?;
                    (r.projects, r.total)
                }
                None => {
                    let p = state.app.list_projects(caller, &fallback, PER_PAGE).await?;
                    (p.projects.clone(), p.total)
                }
            };
            (found, fallback)
        }
        Err(e) => return Err(e.into()),
    };
    let filter = used_query.parse(PER_PAGE).unwrap_or_default();
    let departments = state.app.departments(caller).await?;
    let themes = state.app.themes(caller).await?;
    let projects: Vec<Value> = listed
        .iter()
        .map(|p| {
            context! {
                code => p.code.clone(), title => p.title.clone(), department => p.department.name.clone(),
                stage => stage_view(p.stage), confidence => confidence_view(p.confidence), total_cost => p.total_cost().pence(),
            }
        })
        .collect();
    let page_count =
        u32::try_from((total + i64::from(filter.per_page) - 1) / i64::from(filter.per_page))
            .unwrap_or(1)
            .max(1);
    let first = filter.offset() as i64 + 1;
    let last = filter.offset() as i64 + listed.len() as i64;
    let mut sort_options = Vec::new();
    for key in ProjectSort::ALL {
        sort_options.push(context! { value => key.as_str(), label => format!("{} (A to Z, low to high)", key.label()) });
        sort_options.push(context! { value => format!("-{}", key.as_str()), label => format!("{} (Z to A, high to low)", key.label()) });
    }
    let query_view = context! {
        q => query.q.clone().unwrap_or_default(), stage => query.stage.clone().unwrap_or_default(),
        department => query.department.clone().unwrap_or_default(), theme => query.theme.clone().unwrap_or_default(),
        confidence => query.confidence.clone().unwrap_or_default(), sort => query.sort.clone().unwrap_or_else(|| "code".into()),
    };
    Ok(render(
        "register.html",
        context! {
        errors, projects, total, first, last, query => query_view,
        as_at => as_at.map(|d| d.to_string()), as_at_long => as_at.map(super::long_date),
        as_at_form => super::changes::date_boxes(&as_at_query.entry()),
        stage_options => stage_options(true), confidence_options => confidence_options(),
        department_options => departments, theme_options => themes, sort_options,
        pages => page_links(&used_query, as_at, filter.page, page_count),
        download_query => page_href(&used_query, None, 1).split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default(),
        previous => (filter.page > 1).then(|| page_href(&used_query, as_at, filter.page - 1)),
        next => (filter.page < page_count).then(|| page_href(&used_query, as_at, filter.page + 1)), ..base },
    ))
}
