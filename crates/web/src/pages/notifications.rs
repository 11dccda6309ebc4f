//! The signed-in person's notifications: what was decided, assigned or fell
//! due for them, newest first, with a button to mark each (or all) read.
//!
//! Everyone signed in has notifications; each person sees only their own.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Value};
use portfolio_domain::notifications::{EmailStatus, Notice};
use serde::Deserialize;

use super::{layout, long_date, PostedFields as Fields};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list_page))
        .route("/notifications/read", post(mark_all_read))
        .route("/notifications/{id}/read", post(mark_read))
}

fn notice_view(n: &Notice) -> Value {
    context! {
        id => n.id,
        kind => n.kind.label(),
        subject => n.subject.clone(),
        paragraphs => n.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
        link => n.link.clone(),
        on => long_date(n.created_at.date_naive()),
        time => n.created_at.format("%H:%M").to_string(),
        unread => n.unread(),
        email => match n.email_status {
            EmailStatus::Sent => Some(format!("Emailed on {}", n.emailed_at.map(|t| long_date(t.date_naive())).unwrap_or_default())),
            EmailStatus::Failed => Some("The email could not be sent".to_string()),
            _ => None,
        },
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn list_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "notifications").await?;
    let notices = state.app.notifications(session.caller()).await?;
    let unread = notices.iter().filter(|n| n.unread()).count();
    let done = match q.done.as_deref() {
        Some("all") => Some("All your notifications are marked as read"),
        Some("one") => Some("Notification marked as read"),
        _ => None,
    };
    Ok(render(
        "notifications.html",
        context! { ..base, ..context! {
            notices => notices.iter().map(notice_view).collect::<Vec<_>>(),
            unread, done,
            shown_limit => portfolio_app::notifications::NOTICES_SHOWN,
        }},
    ))
}

pub async fn mark_read(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    state
        .app
        .mark_notification_read(session.caller(), id)
        .await?;
    Ok(Redirect::to(&format!("/notifications?done=one#notice-{id}")).into_response())
}

pub async fn mark_all_read(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    state
        .app
        .mark_all_notifications_read(session.caller())
        .await?;
    Ok(Redirect::to("/notifications?done=all").into_response())
}
