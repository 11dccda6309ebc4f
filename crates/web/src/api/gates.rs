//! API routes for stage gates: checklists, requests and decisions.
//!
//! A request is created with POST; the decision is a POST to the request's
//! `decision` with `If-Match` naming the request's version (a stale one gets
//! 412). Checklists exist before they are stored (the default), so they read
//! with the ETag `"v0"` and their first PUT may send `If-Match: "v0"`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use portfolio_app::AppError;
use portfolio_domain::gates::{GateChecklist, GateDecisionDraft, GateRequest, GateRequestDraft};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::capacity::{if_match_or_new, with_etag, with_etag_at};
use super::{if_match, JsonBody};
use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_checklists))
        .routes(routes!(put_checklist))
        .routes(routes!(list_requests, create_request))
        .routes(routes!(get_request))
        .routes(routes!(decide_request))
}

/// A numeric id from the path; anything else names nothing.
pub(super) fn path_id(id: &str, entity: &'static str) -> Result<i64, ApiError> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::App(AppError::NotFound(entity)))
}

fn request_response(status: StatusCode, r: GateRequest) -> Response {
    let location = format!("/api/v1/gate-requests/{}", r.id);
    with_etag_at(status, r.version, &r, &location)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistList {
    pub checklists: Vec<GateChecklist>,
}

/// The evidence each gate asks for (the organisation's own, or the default with version 0).
#[utoipa::path(get, path = "/api/v1/gate-checklists", tag = "governance",
    responses((status = 200, description = "Every gate's checklist, in path order", body = ChecklistList),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn list_checklists(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<ChecklistList>, ApiError> {
    Ok(Json(ChecklistList {
        checklists: state.app.gate_checklists(&caller).await?,
    }))
}

/// Body of `PUT /api/v1/gate-checklists/{gate}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistBody {
    /// What the gate asks for, one item each, e.g. "Business case approved".
    pub items: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/gate-checklists/{gate}", tag = "governance", request_body = ChecklistBody,
    params(("gate" = String, Path, description = "The gate, e.g. concept-design"), ("If-Match" = Option<String>, Header, description = "ETag read, \"v0\" for the default")),
    responses((status = 200, description = "Stored; ETag carries the version", body = GateChecklist),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot keep gates", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such gate", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "An item is empty, repeated or too long", body = Problem, content_type = "application/problem+json")))]
async fn put_checklist(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(gate): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ChecklistBody>,
) -> Result<Response, ApiError> {
    let version = if_match_or_new(&headers)?;
    let list = state
        .app
        .put_gate_checklist(&caller, &gate, version, &body.items)
        .await?;
    Ok(with_etag(StatusCode::OK, list.version, &list))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RequestQuery {
    /// pending, approved, approved_with_conditions, deferred or rejected.
    status: Option<String>,
    /// A project's code: its requests only.
    project: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestList {
    pub gate_requests: Vec<GateRequest>,
}

/// Gate requests, newest first.
#[utoipa::path(get, path = "/api/v1/gate-requests", tag = "governance", params(RequestQuery),
    responses((status = 200, description = "The requests, with their decisions", body = RequestList),
              (status = 400, description = "The status is not a gate status", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json")))]
async fn list_requests(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<RequestQuery>,
) -> Result<Json<RequestList>, ApiError> {
    let gate_requests = state
        .app
        .gate_requests(&caller, q.status.as_deref(), q.project.as_deref())
        .await
        .map_err(|e| match e {
            AppError::Validation(v) => ApiError::Query(v),
            other => other.into(),
        })?;
    Ok(Json(RequestList { gate_requests }))
}

/// Requests a project's next gate, with the evidence its checklist asks for.
#[utoipa::path(post, path = "/api/v1/gate-requests", tag = "governance", request_body = GateRequestDraft,
    responses((status = 201, description = "Requested; ETag carries the version, Location the request", body = GateRequest),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot request gates", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A move the stage rules forbid (to_stage), missing evidence (evidence[item]), an unknown project, or one already waiting", body = Problem, content_type = "application/problem+json")))]
async fn create_request(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<GateRequestDraft>,
) -> Result<Response, ApiError> {
    let request = state.app.request_gate(&caller, &draft).await?;
    Ok(request_response(StatusCode::CREATED, request))
}

#[utoipa::path(get, path = "/api/v1/gate-requests/{id}", tag = "governance",
    params(("id" = i64, Path, description = "Gate request id")),
    responses((status = 200, description = "The request; ETag carries the version", body = GateRequest),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json")))]
async fn get_request(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let request = state
        .app
        .gate_request(&caller, path_id(&id, "gate request")?)
        .await?;
    Ok(request_response(StatusCode::OK, request))
}

/// Records the board's decision; an approval moves the project to the next stage.
#[utoipa::path(post, path = "/api/v1/gate-requests/{id}/decision", tag = "governance", request_body = GateDecisionDraft,
    params(("id" = i64, Path, description = "Gate request id"), ("If-Match" = String, Header, description = "ETag of the request read, e.g. \"v1\"")),
    responses((status = 200, description = "Decided; ETag carries the new version", body = GateRequest),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller may not decide gates (administrators decide until board members exist)", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "The request changed since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "No outcome or reasons, no conditions for a conditional approval, already decided, or the project moved", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn decide_request(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<GateDecisionDraft>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "gate request")?;
    let version = if_match(&headers)?;
    let request = state.app.decide_gate(&caller, id, version, &draft).await?;
    Ok(request_response(StatusCode::OK, request))
}
