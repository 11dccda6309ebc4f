//! API routes for the scoring model, project assessments and the ranking.
//!
//! Saves are guarded like every update: `If-Match` with the ETag of the
//! version read (`"v3"`), or `If-None-Match: *` for the first save, when there
//! is nothing to have read. A stale save gets 412 with `current_version`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portfolio_app::scoring::ProjectAssessment;
use portfolio_app::AppError;
use portfolio_domain::scoring::{
    Assessment, AssessmentDraft, ModelVersionSummary, Ranking, ScoringModel, ScoringModelDraft,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{if_match, JsonBody};
use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_scoring_model, put_scoring_model))
        .routes(routes!(scoring_model_versions))
        .routes(routes!(get_assessment, put_assessment))
        .routes(routes!(ranking))
}

fn with_etag(status: StatusCode, body: impl serde::Serialize, version: i64) -> Response {
    let mut response = (status, Json(body)).into_response();
    if version > 0 {
        if let Ok(tag) = HeaderValue::from_str(&format!("\"v{version}\"")) {
            response.headers_mut().insert(header::ETAG, tag);
        }
    }
    response
}

/// The version a save started from: `If-Match: "vN"`, or 0 with `If-None-Match: *`.
fn expected_version(headers: &HeaderMap) -> Result<i64, ApiError> {
    let none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if headers.get(header::IF_MATCH).is_none() && none_match == Some("*") {
        return Ok(0);
    }
    if_match(headers)
}

/// 412 naming the version now stored.
fn stale(what: &str, current_version: i64) -> Response {
    let body = Problem {
        kind: "https://portfolio.invalid/problems/stale-version".into(),
        title: "Changed by someone else".into(),
        status: StatusCode::PRECONDITION_FAILED.as_u16(),
        detail: format!(
            "the {what} was changed by someone else since you read it (now at version {current_version}); \
             fetch it again and reapply your change"
        ),
        errors: vec![],
        current_version: Some(current_version),
        request_id: None,
    };
    let mut response = (StatusCode::PRECONDITION_FAILED, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// The organisation's current scoring model.
#[utoipa::path(get, path = "/api/v1/scoring-model", tag = "prioritisation",
    responses((status = 200, description = "The current version of the model; ETag carries its version", body = ScoringModel),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No scoring model has been saved yet", body = Problem, content_type = "application/problem+json")))]
async fn get_scoring_model(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Response, ApiError> {
    let model = state
        .app
        .scoring_model(&caller)
        .await?
        .ok_or(AppError::NotFound("scoring model"))?;
    let version = model.version;
    Ok(with_etag(StatusCode::OK, model, version))
}

/// Saves the scoring model as a new version (earlier versions are kept).
///
/// Give each criterion a `weight`, or give `pairwise`: the n × n matrix of
/// comparisons on Saaty's 1–9 scale (reciprocals below the diagonal). A
/// matrix with a consistency ratio above 0.10 is refused unless `save_anyway`.
#[utoipa::path(put, path = "/api/v1/scoring-model", tag = "prioritisation", request_body = ScoringModelDraft,
    params(("If-Match" = Option<String>, Header, description = "ETag of the version you read, e.g. \"v3\""),
           ("If-None-Match" = Option<String>, Header, description = "`*` for the first save, when there is no model yet")),
    responses((status = 200, description = "Saved as the next version; ETag carries it", body = ScoringModel),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot manage prioritisation", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Another version was saved since you read it; `current_version` names it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid, or the comparisons are inconsistent", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "Neither If-Match nor If-None-Match: * was sent", body = Problem, content_type = "application/problem+json")))]
async fn put_scoring_model(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<ScoringModelDraft>,
) -> Result<Response, ApiError> {
    let expected = expected_version(&headers)?;
    match state
        .app
        .save_scoring_model(&caller, expected, &draft)
        .await
    {
        Ok(model) => {
            let version = model.version;
            Ok(with_etag(StatusCode::OK, model, version))
        }
        Err(AppError::Conflict { .. }) => {
            let current = state.app.scoring_model(&caller).await?;
            Ok(stale(
                "scoring model",
                current.map(|m| m.version).unwrap_or(0),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every saved version of the scoring model, newest first.
#[utoipa::path(get, path = "/api/v1/scoring-model/versions", tag = "prioritisation",
    responses((status = 200, description = "Versions with who saved each and when", body = Vec<ModelVersionSummary>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn scoring_model_versions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<ModelVersionSummary>>, ApiError> {
    Ok(Json(state.app.scoring_model_versions(&caller).await?))
}

/// A project's assessment against the current scoring model, with its priority score.
#[utoipa::path(get, path = "/api/v1/projects/{code}/assessment", tag = "prioritisation",
    params(("code" = String, Path, description = "Project code, e.g. DP-042")),
    responses((status = 200, description = "Scores, priority score and the criteria not yet assessed; ETag carries the assessment's version once it has one", body = ProjectAssessment),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The code is not a project code", body = Problem, content_type = "application/problem+json")))]
async fn get_assessment(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let found = state.app.assessment(&caller, &code).await?;
    let version = found.assessment.as_ref().map(|a| a.version).unwrap_or(0);
    Ok(with_etag(StatusCode::OK, found, version))
}

/// Saves a project's scores (0–5 per criterion key, with an optional rationale).
#[utoipa::path(put, path = "/api/v1/projects/{code}/assessment", tag = "prioritisation", request_body = AssessmentDraft,
    params(("code" = String, Path, description = "Project code"),
           ("If-Match" = Option<String>, Header, description = "ETag of the assessment you read, e.g. \"v2\""),
           ("If-None-Match" = Option<String>, Header, description = "`*` for a project's first assessment")),
    responses((status = 200, description = "Saved; ETag carries the new version", body = Assessment),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot manage prioritisation", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Saved by someone else since you read it; `current_version` names the version", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A score or criterion is not valid, or there is no scoring model yet", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "Neither If-Match nor If-None-Match: * was sent", body = Problem, content_type = "application/problem+json")))]
async fn put_assessment(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<AssessmentDraft>,
) -> Result<Response, ApiError> {
    let expected = expected_version(&headers)?;
    match state
        .app
        .save_assessment(&caller, &code, expected, &draft)
        .await
    {
        Ok(saved) => {
            let version = saved.version;
            Ok(with_etag(StatusCode::OK, saved, version))
        }
        Err(AppError::Conflict { .. }) => {
            let current = state.app.assessment(&caller, &code).await?;
            let version = current.assessment.map(|a| a.version).unwrap_or(0);
            Ok(stale("assessment", version))
        }
        Err(e) => Err(e.into()),
    }
}

/// The programme's projects ranked by priority score under the current model.
#[utoipa::path(get, path = "/api/v1/ranking", tag = "prioritisation",
    responses((status = 200, description = "Ranked projects with each criterion's contribution, the model version that made the ranking, and the projects not yet assessed", body = Ranking),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No scoring model has been saved yet", body = Problem, content_type = "application/problem+json")))]
async fn ranking(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Ranking>, ApiError> {
    Ok(Json(state.app.ranking(&caller).await?))
}
