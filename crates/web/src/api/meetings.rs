//! API routes for board meetings: meetings with their agendas, decisions
//! and actions, and the decision log.
//!
//! A meeting is created with POST (its agenda built from what awaits the
//! board) and changed with PUT and `If-Match`. Agenda items, decisions and
//! actions are POSTed to the meeting. A decision on a gate request's item
//! carries the gate decision and the request's version (`gate_version`);
//! an action's status is PATCHed with `If-Match`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portfolio_app::AppError;
use portfolio_domain::meetings::{
    AgendaItemDraft, Decision, DecisionDraft, DecisionQuery, LoggedDecision, Meeting,
    MeetingAction, MeetingActionDraft, MeetingDraft, MeetingRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::capacity::{with_etag, with_etag_at};
use super::gates::path_id;
use super::{if_match, JsonBody};
use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_meetings, create_meeting))
        .routes(routes!(get_meeting, put_meeting))
        .routes(routes!(add_agenda_item))
        .routes(routes!(record_decision))
        .routes(routes!(add_action))
        .routes(routes!(patch_action))
        .routes(routes!(decision_log))
}

fn meeting_response(status: StatusCode, r: MeetingRecord) -> Response {
    let location = format!("/api/v1/meetings/{}", r.meeting.id);
    with_etag_at(status, r.meeting.version, &r, &location)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingSummary {
    #[serde(flatten)]
    pub meeting: Meeting,
    pub decisions: i64,
    pub actions: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingList {
    pub meetings: Vec<MeetingSummary>,
}

/// Every meeting, latest date first, with how many decisions and actions each holds.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "governance",
    responses((status = 200, description = "The meetings", body = MeetingList),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn list_meetings(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<MeetingList>, ApiError> {
    let meetings = state
        .app
        .meetings(&caller)
        .await?
        .into_iter()
        .map(|s| MeetingSummary {
            meeting: s.meeting,
            decisions: s.decisions,
            actions: s.actions,
        })
        .collect();
    Ok(Json(MeetingList { meetings }))
}

/// Schedules a meeting; its agenda starts with the pending gate requests,
/// the escalated risks and the projects rated Red or Amber/Red.
#[utoipa::path(post, path = "/api/v1/meetings", tag = "governance", request_body = MeetingDraft,
    responses((status = 201, description = "Scheduled; ETag carries the version, Location the meeting", body = MeetingRecord),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot keep meetings", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "No body or date, an attendee who is not a user, or text too long", body = Problem, content_type = "application/problem+json")))]
async fn create_meeting(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<MeetingDraft>,
) -> Result<Response, ApiError> {
    let record = state.app.create_meeting(&caller, &draft).await?;
    Ok(meeting_response(StatusCode::CREATED, record))
}

#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "governance",
    params(("id" = i64, Path, description = "Meeting id")),
    responses((status = 200, description = "The meeting with its agenda, decisions and actions; ETag carries the version", body = MeetingRecord),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such meeting", body = Problem, content_type = "application/problem+json")))]
async fn get_meeting(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let record = state
        .app
        .meeting(&caller, path_id(&id, "board meeting")?)
        .await?;
    Ok(meeting_response(StatusCode::OK, record))
}

/// Replaces a meeting's details (body, title, date, place, attendees).
#[utoipa::path(put, path = "/api/v1/meetings/{id}", tag = "governance", request_body = MeetingDraft,
    params(("id" = i64, Path, description = "Meeting id"), ("If-Match" = String, Header, description = "ETag of the meeting read, e.g. \"v1\"")),
    responses((status = 200, description = "Saved; ETag carries the new version", body = MeetingRecord),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot keep meetings", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such meeting", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A field is refused, or the new date falls after an action's due date", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn put_meeting(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<MeetingDraft>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "board meeting")?;
    let version = if_match(&headers)?;
    let record = state
        .app
        .update_meeting(&caller, id, version, &draft)
        .await?;
    Ok(meeting_response(StatusCode::OK, record))
}

/// Adds an item by hand to a meeting's agenda.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/agenda-items", tag = "governance", request_body = AgendaItemDraft,
    params(("id" = i64, Path, description = "Meeting id")),
    responses((status = 201, description = "Added; the meeting as it now stands", body = MeetingRecord),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot keep meetings", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such meeting", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "No title, or text too long", body = Problem, content_type = "application/problem+json")))]
async fn add_agenda_item(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    JsonBody(draft): JsonBody<AgendaItemDraft>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "board meeting")?;
    let record = state.app.add_agenda_item(&caller, id, &draft).await?;
    Ok(meeting_response(StatusCode::CREATED, record))
}

/// Records a decision on an agenda item. On a gate request's item, `gate`
/// carries the gate decision and `gate_version` the request's version: an
/// approval moves the project in the same transaction.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/decisions", tag = "governance", request_body = DecisionDraft,
    params(("id" = i64, Path, description = "Meeting id")),
    responses((status = 201, description = "Recorded", body = Decision),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller may not decide for the board (administrators decide until board members exist)", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such meeting", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "The gate request changed since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "An item not on the agenda, no decision text, a gate decision without outcome, reasons or version, or a gate already decided", body = Problem, content_type = "application/problem+json")))]
async fn record_decision(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    JsonBody(draft): JsonBody<DecisionDraft>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "board meeting")?;
    let (_, decision) = state.app.record_decision(&caller, id, &draft).await?;
    Ok((StatusCode::CREATED, Json(decision)).into_response())
}

/// Records an action arising from a meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/actions", tag = "governance", request_body = MeetingActionDraft,
    params(("id" = i64, Path, description = "Meeting id")),
    responses((status = 201, description = "Recorded; ETag carries the version", body = MeetingAction),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot keep meetings", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such meeting", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "No description, an owner who is not a user, or a due date before the meeting", body = Problem, content_type = "application/problem+json")))]
async fn add_action(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    JsonBody(draft): JsonBody<MeetingActionDraft>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "board meeting")?;
    let action = state.app.add_meeting_action(&caller, id, &draft).await?;
    Ok(with_etag(StatusCode::CREATED, action.version, &action))
}

/// Body of `PATCH /api/v1/meeting-actions/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionStatusBody {
    /// not_started, in_progress or done.
    pub status: String,
}

/// Moves an action on; the programme office or the action's owner may.
#[utoipa::path(patch, path = "/api/v1/meeting-actions/{id}", tag = "governance", request_body = ActionStatusBody,
    params(("id" = i64, Path, description = "Action id"), ("If-Match" = String, Header, description = "ETag of the action read, e.g. \"v1\"")),
    responses((status = 200, description = "Saved; ETag carries the new version", body = MeetingAction),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Neither the programme office nor the action's owner", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such action", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Not an action status", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn patch_action(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ActionStatusBody>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "action")?;
    let version = if_match(&headers)?;
    let action = state
        .app
        .set_meeting_action_status(&caller, id, version, &body.status)
        .await?;
    Ok(with_etag(StatusCode::OK, action.version, &action))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionLog {
    pub decisions: Vec<LoggedDecision>,
}

/// The decision log across meetings, latest first.
#[utoipa::path(get, path = "/api/v1/decisions", tag = "governance", params(DecisionQuery),
    responses((status = 200, description = "The decisions found", body = DecisionLog),
              (status = 400, description = "A date is not a real date, 'from' is after 'to', or the body is unknown", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn decision_log(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<DecisionQuery>,
) -> Result<Json<DecisionLog>, ApiError> {
    let decisions = state
        .app
        .decision_log(&caller, &q)
        .await
        .map_err(|e| match e {
            AppError::Validation(v) => ApiError::Query(v),
            other => other.into(),
        })?;
    Ok(Json(DecisionLog { decisions }))
}
