//! Scenarios through the API: keep them, run them (a run is started and then
//! polled, so no request waits on the optimiser), cancel a run, read results,
//! compare scenarios, see a project's explanation in each, and export a
//! scenario's model as MPS or LP text.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portfolio_app::scenarios::{Comparison, ModelFormat};
use portfolio_domain::scenario::{
    ProjectOutcome, Scenario, ScenarioDraft, ScenarioResult, ScenarioRun,
};
use portfolio_domain::ValidationErrors;
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
        .routes(routes!(list_scenarios, create_scenario))
        .routes(routes!(get_scenario, update_scenario))
        .routes(routes!(start_run))
        .routes(routes!(get_result))
        .routes(routes!(get_run))
        .routes(routes!(cancel_run))
        .routes(routes!(compare))
        .routes(routes!(project_explanations))
        .routes(routes!(scenario_model))
}

fn scenario_response(status: StatusCode, s: Scenario) -> Response {
    let tag = HeaderValue::from_str(&format!("\"v{}\"", s.version))
        .unwrap_or_else(|_| HeaderValue::from_static("\"v0\""));
    let location = HeaderValue::from_str(&format!("/api/v1/scenarios/{}", s.definition.slug)).ok();
    let mut response = (status, Json(s)).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    if status == StatusCode::CREATED {
        if let Some(l) = location {
            response.headers_mut().insert(header::LOCATION, l);
        }
    }
    response
}

/// The organisation's scenarios.
#[utoipa::path(get, path = "/api/v1/scenarios", tag = "scenarios",
    responses((status = 200, description = "Scenarios by name", body = Vec<Scenario>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn list_scenarios(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<Scenario>>, ApiError> {
    Ok(Json(state.app.scenarios(&caller).await?))
}

/// Creates a scenario: limits (budget and capacity adjustments), forced decisions and the objective.
#[utoipa::path(post, path = "/api/v1/scenarios", tag = "scenarios", request_body = ScenarioDraft,
    responses((status = 201, description = "Created; ETag carries the version", body = Scenario),
              (status = 400, description = "The body is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot keep scenarios", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid, or the name is taken", body = Problem, content_type = "application/problem+json")))]
async fn create_scenario(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<ScenarioDraft>,
) -> Result<Response, ApiError> {
    let s = state.app.create_scenario(&caller, &draft).await?;
    Ok(scenario_response(StatusCode::CREATED, s))
}

#[utoipa::path(get, path = "/api/v1/scenarios/{slug}", tag = "scenarios", params(("slug" = String, Path, description = "The scenario's slug, e.g. current-funding")),
    responses((status = 200, description = "The scenario; ETag carries the version", body = Scenario),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such scenario", body = Problem, content_type = "application/problem+json")))]
async fn get_scenario(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    Ok(scenario_response(
        StatusCode::OK,
        state.app.scenario(&caller, &slug).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/scenarios/{slug}", tag = "scenarios", request_body = ScenarioDraft,
    params(("slug" = String, Path, description = "The scenario's slug"), ("If-Match" = String, Header, description = "ETag of the version you read, e.g. \"v3\"")),
    responses((status = 200, description = "Updated; ETag carries the new version", body = Scenario),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot keep scenarios", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such scenario", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn update_scenario(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<ScenarioDraft>,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let s = state
        .app
        .update_scenario(&caller, &slug, version, &draft)
        .await?;
    Ok(scenario_response(StatusCode::OK, s))
}

/// Starts a run. The optimisation goes on in the background: poll the run
/// (`GET /api/v1/scenario-runs/{id}`) for its progress and result.
#[utoipa::path(post, path = "/api/v1/scenarios/{slug}/runs", tag = "scenarios", params(("slug" = String, Path, description = "The scenario's slug")),
    responses((status = 202, description = "Started; Location is the run", body = ScenarioRun),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot run scenarios", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such scenario", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The scenario cannot run as it stands (a dependency cycle, a project that alone overloads a pool…): nothing was started", body = Problem, content_type = "application/problem+json")))]
async fn start_run(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let run = state.app.start_scenario_run(&caller, &slug).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/scenario-runs/{}", run.id)).ok();
    let mut response = (StatusCode::ACCEPTED, Json(run)).into_response();
    if let Some(l) = location {
        response.headers_mut().insert(header::LOCATION, l);
    }
    Ok(response)
}

/// The latest finished run's result of a scenario.
#[utoipa::path(get, path = "/api/v1/scenarios/{slug}/result", tag = "scenarios", params(("slug" = String, Path, description = "The scenario's slug")),
    responses((status = 200, description = "The recommended programme, explanations, spend, pool use, frontier and marginal values", body = ScenarioResult),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such scenario, or it has not been run", body = Problem, content_type = "application/problem+json")))]
async fn get_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> Result<Json<ScenarioResult>, ApiError> {
    let scenario = state.app.scenario(&caller, &slug).await?;
    match state.app.latest_scenario_result(&caller, &scenario).await? {
        Some((_, result)) => Ok(Json(result)),
        None => Err(portfolio_app::AppError::NotFound("scenario result").into()),
    }
}

/// A run with its progress and, once it has succeeded, its result.
#[derive(Serialize, ToSchema)]
struct RunWithResult {
    #[serde(flatten)]
    run: ScenarioRun,
    result: Option<ScenarioResult>,
}

#[utoipa::path(get, path = "/api/v1/scenario-runs/{id}", tag = "scenarios", params(("id" = i64, Path, description = "The run's id")),
    responses((status = 200, description = "The run's status and progress; its result once it has succeeded", body = RunWithResult),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json")))]
async fn get_run(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<RunWithResult>, ApiError> {
    let run = state.app.scenario_run(&caller, id).await?;
    let result = state.app.scenario_run_result(&caller, id).await?;
    Ok(Json(RunWithResult { run, result }))
}

#[utoipa::path(post, path = "/api/v1/scenario-runs/{id}/cancel", tag = "scenarios", params(("id" = i64, Path, description = "The run's id")),
    responses((status = 202, description = "Cancel asked for; the run stops at its next step", body = ScenarioRun),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot run scenarios", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The run has already finished", body = Problem, content_type = "application/problem+json")))]
async fn cancel_run(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let run = state.app.cancel_scenario_run(&caller, id).await?;
    Ok((StatusCode::ACCEPTED, Json(run)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CompareQuery {
    /// Slugs of two or more scenarios, separated by commas.
    scenarios: String,
}

/// The latest results of two or more scenarios side by side.
#[utoipa::path(get, path = "/api/v1/scenarios-comparison", tag = "scenarios", params(CompareQuery),
    responses((status = 200, description = "In/out and start quarter per project, value, spend per year and peak use per pool", body = Comparison),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such scenario", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Fewer than two scenarios, or one not run yet", body = Problem, content_type = "application/problem+json")))]
async fn compare(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<CompareQuery>,
) -> Result<Json<Comparison>, ApiError> {
    let slugs: Vec<String> = q
        .scenarios
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Json(state.app.compare_scenarios(&caller, &slugs).await?))
}

/// What one scenario's latest result says of a project.
#[derive(Serialize, ToSchema)]
struct ProjectInScenario {
    scenario: String,
    scenario_name: String,
    #[serde(flatten)]
    outcome: ProjectOutcome,
}

/// Why a project is in or out of each scenario's latest result, and the value
/// lost by reversing that.
#[utoipa::path(get, path = "/api/v1/projects/{code}/explanations", tag = "scenarios", params(("code" = String, Path, description = "Project code")),
    responses((status = 200, description = "One entry per scenario whose latest result includes the project", body = Vec<ProjectInScenario>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json")))]
async fn project_explanations(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
) -> Result<Json<Vec<ProjectInScenario>>, ApiError> {
    let project = state.app.project(&caller, &code).await?;
    let rows = state
        .app
        .project_in_scenarios(&caller, project.code.as_str())
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(s, outcome)| ProjectInScenario {
                scenario: s.definition.slug,
                scenario_name: s.definition.name,
                outcome,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ModelQuery {
    /// mps (free MPS) or lp (CPLEX LP).
    format: String,
}

/// The scenario's optimisation model, to check it in another solver.
#[utoipa::path(get, path = "/api/v1/scenarios/{slug}/model", tag = "scenarios", params(("slug" = String, Path, description = "The scenario's slug"), ModelQuery),
    responses((status = 200, description = "The model as MPS or LP text", body = String, content_type = "text/plain"),
              (status = 400, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such scenario", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The scenario cannot be built as it stands", body = Problem, content_type = "application/problem+json")))]
async fn scenario_model(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    Query(q): Query<ModelQuery>,
) -> Result<Response, ApiError> {
    let format = match q.format.trim().to_ascii_lowercase().as_str() {
        "mps" => ModelFormat::Mps,
        "lp" => ModelFormat::Lp,
        other => {
            return Err(ApiError::Query(ValidationErrors::single(
                "format",
                format!("'{other}' is not a model format; use mps or lp"),
            )))
        }
    };
    let text = state
        .app
        .scenario_model_text(&caller, &slug, format)
        .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
