//! The public roadmap, open to anyone signed out: `/public/{org}/roadmap`
//! (a page), `/public/{org}/roadmap.json` and `/public/{org}/roadmap.csv`
//! (open data), and `/public/roadmap.schema.json` (the JSON's schema).
//!
//! Caching: the files say `Cache-Control: public, max-age=300` with a strong
//! ETag, and answer `If-None-Match` with 304. A roadmap changes a few times
//! a month; five minutes is as stale as a shared cache may serve it, and a
//! revalidation costs one small read (the organisation's data version) and
//! no body. The page says `max-age=300` too, without an ETag.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minijinja::{context, Value};
use portfolio_app::roadmap::{grouped, PublicStage, SCHEMA};
use portfolio_app::AppError;

use crate::error::PageError;
use crate::templates::render_status;
use crate::AppState;

/// How long a shared cache may serve the roadmap without asking again.
pub const MAX_AGE: &str = "public, max-age=300";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/public/roadmap.schema.json", get(schema))
        .route("/public/{org}/roadmap", get(page))
        .route("/public/{org}/roadmap.json", get(json))
        .route("/public/{org}/roadmap.csv", get(csv))
}

fn not_found() -> Response {
    render_status(
        StatusCode::NOT_FOUND,
        "error.html",
        context! {
            title => "Page not found",
            message => "There is no public roadmap at this address. Check the address, or ask the council for the link to its roadmap.",
            signed_in => false,
        },
    )
}

fn public_error(e: AppError) -> Response {
    match e {
        AppError::NotFound(_) => not_found(),
        other => PageError(other).into_response(),
    }
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

fn file(
    headers: &HeaderMap,
    etag: &str,
    content_type: &str,
    name: Option<&str>,
    body: &str,
) -> Response {
    let mut response = if matches(headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, body.to_string()).into_response();
        if let Ok(v) = HeaderValue::from_str(content_type) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        if let Some(name) =
            name.and_then(|n| HeaderValue::from_str(&format!("inline; filename=\"{n}\"")).ok())
        {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, name);
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn schema(headers: HeaderMap) -> Response {
    let etag = portfolio_app::roadmap::etag(SCHEMA.as_bytes());
    file(&headers, &etag, "application/schema+json", None, SCHEMA)
}

async fn json(
    State(state): State<AppState>,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    match state.app.public_roadmap(&org).await {
        Ok(r) => file(&headers, &r.json_etag, "application/json", None, &r.json),
        Err(e) => public_error(e),
    }
}

async fn csv(
    State(state): State<AppState>,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    match state.app.public_roadmap(&org).await {
        Ok(r) => {
            let name = format!("{}-roadmap.csv", r.roadmap.organisation.slug);
            file(
                &headers,
                &r.csv_etag,
                "text/csv; charset=utf-8",
                Some(&name),
                &r.csv,
            )
        }
        Err(e) => public_error(e),
    }
}

async fn page(State(state): State<AppState>, Path(org): Path<String>) -> Response {
    let files = match state.app.public_roadmap(&org).await {
        Ok(f) => f,
        Err(e) => return public_error(e),
    };
    let roadmap = &files.roadmap;
    let groups: Vec<Value> = grouped(&roadmap.projects)
        .into_iter()
        .enumerate()
        .map(|(i, (theme, stages))| {
            let stages: Vec<Value> = stages
                .into_iter()
                .map(|(stage, projects)| {
                    let projects: Vec<Value> = projects
                        .into_iter()
                        .map(|p| {
                            context! {
                                code => p.code.clone(), title => p.title.clone(),
                                residents => p.what_changes_for_residents.clone(),
                                department => p.department.clone(),
                                start => p.expected_start.clone(), start_quarter => p.expected_start_quarter.clone(),
                                end => p.expected_end.clone(), end_quarter => p.expected_end_quarter.clone(),
                            }
                        })
                        .collect();
                    context! { label => stage.label(), key => stage.as_str(), explanation => stage.explanation(), count => projects.len(), projects }
                })
                .collect();
            context! { theme, id => format!("theme-{}", i + 1), stages }
        })
        .collect();
    let stages: Vec<Value> = PublicStage::ALL
        .iter()
        .map(|s| context! { label => s.label(), explanation => s.explanation() })
        .collect();
    let slug = roadmap.organisation.slug.clone();
    let mut response = render_status(
        StatusCode::OK,
        "public_roadmap.html",
        context! {
            organisation_name => roadmap.organisation.name.clone(),
            signed_in => false,
            public_page => true,
            count => roadmap.projects.len(),
            groups, stages,
            json_href => format!("/public/{slug}/roadmap.json"),
            csv_href => format!("/public/{slug}/roadmap.csv"),
        },
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
    response
}
