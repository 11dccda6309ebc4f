//! API routes for capacity: resource pools, budgets, project plans and the heat map.
//!
//! Pools are created with POST and updated with PUT and `If-Match`. Budgets
//! and plans exist before they are stored (a year with no budget yet, a
//! project's default plan), so they are read with the ETag `"v0"` and their
//! first PUT may send `If-Match: "v0"` or no `If-Match` at all; once stored,
//! a PUT must name the version read, and a stale one gets 412.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portfolio_app::capacity::heat_map_range;
use portfolio_domain::capacity::{
    Budget, BudgetDraft, HeatMap, PlanDraft, PoolDraft, ProjectPlan, ResourcePool,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{if_match, JsonBody};
use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_pools, create_pool))
        .routes(routes!(get_pool, update_pool, delete_pool))
        .routes(routes!(list_budgets))
        .routes(routes!(put_budget))
        .routes(routes!(get_plan, put_plan))
        .routes(routes!(get_heat_map))
}

pub(super) fn with_etag(status: StatusCode, version: i64, body: impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"v{version}\"")) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// A record's response with its ETag and, when it was just created, its
/// `Location`.
pub(super) fn with_etag_at(
    status: StatusCode,
    version: i64,
    body: impl Serialize,
    location: &str,
) -> Response {
    let mut response = with_etag(status, version, body);
    if status == StatusCode::CREATED {
        if let Ok(l) = HeaderValue::from_str(location) {
            response.headers_mut().insert(header::LOCATION, l);
        }
    }
    response
}

/// The version named by `If-Match` for a record that may not be stored yet:
/// absent or `"v0"` means "not stored yet".
pub(super) fn if_match_or_new(headers: &HeaderMap) -> Result<i64, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(0);
    };
    let s = value.to_str().map_err(|_| ApiError::BadIfMatch)?.trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    s.strip_prefix("\"v")
        .and_then(|r| r.strip_suffix('"'))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or(ApiError::BadIfMatch)
}

#[utoipa::path(get, path = "/api/v1/resource-pools", tag = "capacity",
    responses((status = 200, description = "The organisation's resource pools with their supply per quarter", body = Vec<ResourcePool>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn list_pools(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<ResourcePool>>, ApiError> {
    Ok(Json(state.app.resource_pools(&caller).await?))
}

#[utoipa::path(post, path = "/api/v1/resource-pools", tag = "capacity", request_body = PoolDraft,
    responses((status = 201, description = "Created; ETag carries the version", body = ResourcePool),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot manage prioritisation", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid (negative supply names its quarter), or the slug is taken", body = Problem, content_type = "application/problem+json")))]
async fn create_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<PoolDraft>,
) -> Result<Response, ApiError> {
    let pool = state.app.create_resource_pool(&caller, &draft).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/resource-pools/{}", pool.slug)).ok();
    let mut response = with_etag(StatusCode::CREATED, pool.version, &pool);
    if let Some(l) = location {
        response.headers_mut().insert(header::LOCATION, l);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/resource-pools/{slug}", tag = "capacity",
    params(("slug" = String, Path, description = "The pool's slug, e.g. developers")),
    responses((status = 200, description = "The pool; ETag carries the version", body = ResourcePool),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json")))]
async fn get_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let pool = state.app.resource_pool(&caller, &slug).await?;
    Ok(with_etag(StatusCode::OK, pool.version, &pool))
}

#[utoipa::path(put, path = "/api/v1/resource-pools/{slug}", tag = "capacity", request_body = PoolDraft,
    params(("slug" = String, Path, description = "The pool's slug"), ("If-Match" = String, Header, description = "ETag of the version you read, e.g. \"v3\"")),
    responses((status = 200, description = "Updated; ETag carries the new version", body = ResourcePool),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot manage prioritisation", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn update_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<PoolDraft>,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let pool = state
        .app
        .update_resource_pool(&caller, &slug, version, &draft)
        .await?;
    Ok(with_etag(StatusCode::OK, pool.version, &pool))
}

#[utoipa::path(delete, path = "/api/v1/resource-pools/{slug}", tag = "capacity",
    params(("slug" = String, Path, description = "The pool's slug"), ("If-Match" = String, Header, description = "ETag of the version you read")),
    responses((status = 204, description = "Deleted"),
              (status = 400, description = "If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot manage prioritisation", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Project plans still need the pool (they are named)", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn delete_pool(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let version = if_match(&headers)?;
    state
        .app
        .delete_resource_pool(&caller, &slug, version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/budgets", tag = "capacity",
    responses((status = 200, description = "Capital and revenue available per financial year, in year order", body = Vec<Budget>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn list_budgets(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<Budget>>, ApiError> {
    Ok(Json(state.app.budgets(&caller).await?))
}

#[utoipa::path(put, path = "/api/v1/budgets/{year}", tag = "capacity", request_body = BudgetDraft,
    params(("year" = String, Path, description = "Financial year, e.g. 2027-28"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read; \"v0\" or none for a year with no budget yet")),
    responses((status = 200, description = "Stored; ETag carries the new version", body = Budget),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot manage prioritisation", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it (or stored already)", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid", body = Problem, content_type = "application/problem+json")))]
async fn put_budget(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(year): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<BudgetDraft>,
) -> Result<Response, ApiError> {
    let version = if_match_or_new(&headers)?;
    let budget = state
        .app
        .put_budget(&caller, &year, version, &draft)
        .await?;
    Ok(with_etag(StatusCode::OK, budget.version, budget))
}

#[utoipa::path(get, path = "/api/v1/projects/{code}/plan", tag = "capacity",
    params(("code" = String, Path, description = "Project code, e.g. DP-042")),
    responses((status = 200, description = "The project's plan (version 0: the default made from the project, not stored yet); ETag carries the version", body = ProjectPlan),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json")))]
async fn get_plan(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let plan = state.app.project_plan(&caller, &code).await?;
    Ok(with_etag(StatusCode::OK, plan.version, &plan))
}

#[utoipa::path(put, path = "/api/v1/projects/{code}/plan", tag = "capacity", request_body = PlanDraft,
    params(("code" = String, Path, description = "Project code"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read; \"v0\" or none for a plan not stored yet")),
    responses((status = 200, description = "Stored; ETag carries the new version", body = ProjectPlan),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot manage prioritisation", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid: window, duration, unknown pool or project, a dependency cycle, demand beyond a pool's supply", body = Problem, content_type = "application/problem+json")))]
async fn put_plan(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<PlanDraft>,
) -> Result<Response, ApiError> {
    let version = if_match_or_new(&headers)?;
    let plan = state
        .app
        .put_project_plan(&caller, &code, version, &draft)
        .await?;
    Ok(with_etag(StatusCode::OK, plan.version, &plan))
}

/// Which quarters the heat map covers.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct HeatMapQuery {
    /// First financial year ("2026-27", its first quarter) or quarter ("2026/27 Q3"); this year when left out.
    pub from: Option<String>,
    /// How many quarters, 1 to 40; 12 when left out.
    pub quarters: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/capacity/heat-map", tag = "capacity", params(HeatMapQuery),
    responses((status = 200, description = "Supply versus demand per pool and quarter for the current plan (active projects with a start date)", body = HeatMap),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "from or quarters is not valid", body = Problem, content_type = "application/problem+json")))]
async fn get_heat_map(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<HeatMapQuery>,
) -> Result<Json<HeatMap>, ApiError> {
    let start_month = state.app.start_month(&caller).await?;
    let (first, quarters) = heat_map_range(
        query.from.as_deref(),
        query.quarters.as_deref(),
        start_month,
    )?;
    let map = state.app.heat_map(&caller, first, quarters).await?;
    Ok(Json(map))
}
