//! API routes for history: what changed between two dates.
//!
//! The register and the dashboard "as at" a date are the `as_at` parameter
//! of `GET /api/v1/projects` and `GET /api/v1/dashboard`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portfolio_domain::history::{Changes, PeriodQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(changes))
}

/// What changed from the start of `since` to the end of `until` (UTC days):
/// new projects, stage moves, delivery confidence, cost and date changes,
/// risks opened, closed and re-scored, and decisions taken, each list
/// complete and in project-code order. "Since the last board" is
/// `since=<the previous meeting's date>&until=<this meeting's date>`.
#[utoipa::path(get, path = "/api/v1/changes", tag = "governance", params(PeriodQuery),
    responses((status = 200, description = "The changes in the period, by kind, with counts", body = Changes),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A date is missing or not valid, or `since` is after `until`; the problem names the field", body = Problem, content_type = "application/problem+json")))]
async fn changes(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, ApiError> {
    let changes = state
        .app
        .changes(&caller, &query.since(), &query.until())
        .await?;
    Ok(Json(changes.as_ref()).into_response())
}
