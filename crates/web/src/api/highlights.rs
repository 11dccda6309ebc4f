//! API routes for highlight reports and the confidence trend.
//!
//! A project's report for a month is created with POST and changed with
//! PUT and `If-Match`; the latest month's report sets the project's
//! delivery confidence.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use portfolio_domain::highlights::{HighlightDraft, HighlightReport, TrendPoint};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::capacity::with_etag_at;
use super::{if_match, JsonBody};
use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports, create_report))
        .routes(routes!(get_report, put_report))
        .routes(routes!(trend))
}

fn report_response(status: StatusCode, r: HighlightReport) -> Response {
    let location = format!(
        "/api/v1/projects/{}/highlight-reports/{}",
        r.project_code,
        r.period.as_string()
    );
    with_etag_at(status, r.version, &r, &location)
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HighlightReportList)]
pub struct ReportList {
    pub highlight_reports: Vec<HighlightReport>,
}

/// A project's highlight reports, latest month first: its confidence trend.
#[utoipa::path(get, path = "/api/v1/projects/{code}/highlight-reports", tag = "governance",
    params(("code" = String, Path, description = "Project code, e.g. DP-042")),
    responses((status = 200, description = "The reports", body = ReportList),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json")))]
async fn list_reports(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
) -> Result<Json<ReportList>, ApiError> {
    Ok(Json(ReportList {
        highlight_reports: state.app.highlight_reports(&caller, &code).await?,
    }))
}

/// Writes a project's report for a month.
#[utoipa::path(post, path = "/api/v1/projects/{code}/highlight-reports", tag = "governance", request_body = HighlightDraft,
    params(("code" = String, Path, description = "Project code, e.g. DP-042")),
    responses((status = 201, description = "Saved; ETag carries the version, Location the report", body = HighlightReport),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A month not started or already reported, no rating, reason or narrative, a milestone without a real planned date, an actual date in the future, or a risk that is not the project's", body = Problem, content_type = "application/problem+json")))]
async fn create_report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
    JsonBody(draft): JsonBody<HighlightDraft>,
) -> Result<Response, ApiError> {
    let report = state
        .app
        .save_highlight_report(&caller, &code, None, 0, &draft)
        .await?;
    Ok(report_response(StatusCode::CREATED, report))
}

#[utoipa::path(get, path = "/api/v1/projects/{code}/highlight-reports/{period}", tag = "governance",
    params(("code" = String, Path, description = "Project code"), ("period" = String, Path, description = "The month, e.g. 2026-11")),
    responses((status = 200, description = "The report; ETag carries the version", body = HighlightReport),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project or report", body = Problem, content_type = "application/problem+json")))]
async fn get_report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((code, period)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let report = state.app.highlight_report(&caller, &code, &period).await?;
    Ok(report_response(StatusCode::OK, report))
}

/// Changes a project's report for a month (the body's period is ignored).
#[utoipa::path(put, path = "/api/v1/projects/{code}/highlight-reports/{period}", tag = "governance", request_body = HighlightDraft,
    params(("code" = String, Path, description = "Project code"), ("period" = String, Path, description = "The month, e.g. 2026-11"),
           ("If-Match" = String, Header, description = "ETag of the report read, e.g. \"v1\"")),
    responses((status = 200, description = "Saved; ETag carries the new version", body = HighlightReport),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A field is refused", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn put_report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((code, period)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<HighlightDraft>,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let report = state
        .app
        .save_highlight_report(&caller, &code, Some(&period), version, &draft)
        .await?;
    Ok(report_response(StatusCode::OK, report))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Trend {
    /// The last six months, oldest first.
    pub months: Vec<TrendPoint>,
}

/// The programme's confidence trend: per month, how many reports gave each rating.
#[utoipa::path(get, path = "/api/v1/confidence-trend", tag = "governance",
    responses((status = 200, description = "The trend", body = Trend),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn trend(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Trend>, ApiError> {
    Ok(Json(Trend {
        months: state.app.confidence_trend(&caller).await?,
    }))
}
