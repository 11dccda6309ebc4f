//! API routes for the caller's own notifications: list them, and mark one
//! or all read. Each token's owner sees only their own.

use axum::extract::{Path, State};
use axum::Json;
use portfolio_domain::notifications::Notice;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    /// How many of the caller's notifications are unread.
    pub unread: i64,
    /// Newest first, the latest 200 at most.
    pub notifications: Vec<Notice>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many notifications were unread and are now read.
    pub marked: u64,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "governance",
    responses((status = 200, description = "The caller's notifications", body = NotificationList),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn list_notifications(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<NotificationList>, ApiError> {
    Ok(Json(NotificationList {
        unread: state.app.unread_notifications(&caller).await?,
        notifications: state.app.notifications(&caller).await?,
    }))
}

/// Marks one of the caller's notifications read (reading it again changes nothing).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "governance",
    params(("id" = i64, Path, description = "Notification id")),
    responses((status = 200, description = "Marked read", body = MarkedRead),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "Not one of the caller's notifications", body = Problem, content_type = "application/problem+json")))]
async fn mark_read(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<MarkedRead>, ApiError> {
    Ok(Json(MarkedRead {
        marked: state.app.mark_notification_read(&caller, id).await?,
    }))
}

/// Marks all the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "governance",
    responses((status = 200, description = "Marked read", body = MarkedRead),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn mark_all_read(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<MarkedRead>, ApiError> {
    Ok(Json(MarkedRead {
        marked: state.app.mark_all_notifications_read(&caller).await?,
    }))
}
