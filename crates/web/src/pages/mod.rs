//! Server-rendered pages. Each works without JavaScript; every form carries a CSRF token.

mod capacity;
mod changes;
mod dashboard;
mod downloads;
mod duplicates;
mod form;
mod gates;
mod highlights;
mod imports;
mod meetings;
mod merge;
mod notifications;
mod priorities;
mod project;
mod public;
mod raid;
mod register;
mod reports;
mod scenarios;
mod scoring;
mod security;
mod sign_in;
mod sso;
mod tokens;

use std::collections::HashMap;

use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::{DeliveryConfidence, Permission, Stage, ValidationErrors};
use serde::Serialize;

use crate::error::PageError;
use crate::session::PageSession;
use crate::AppState;

pub(crate) use reports::document_response;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route(
            "/sign-in/code",
            get(sign_in::code_form).post(sign_in::code_submit),
        )
        .route("/sign-out", post(sign_in::sign_out))
        .route("/sign-in/oidc", get(sso::begin))
        .route("/sign-in/oidc/callback", get(sso::callback))
        .route("/projects", get(register::show).post(project::create))
        .route("/projects.csv", get(downloads::register_csv))
        .route("/changes", get(changes::show))
        .route("/duplicates", get(duplicates::show))
        .route("/merge", get(merge::form).post(merge::submit))
        .route("/merges/{id}/undo", axum::routing::post(merge::undo))
        .route("/projects/new", get(project::new_form))
        .route("/imports/new", get(imports::new_form))
        .route("/imports/{id}", get(imports::show))
        .route("/imports/{id}/columns", post(imports::choose_columns))
        .route("/imports/{id}/check", get(imports::check))
        .route("/imports/{id}/values", post(imports::confirm_values))
        .route("/imports/{id}/commit", post(imports::commit))
        .route("/imports/{id}/rejected.csv", get(imports::rejected_csv))
        .route("/projects/{code}", get(project::show))
        .route(
            "/projects/{code}/edit",
            get(project::edit_form).post(project::update),
        )
        .route(
            "/priorities",
            get(priorities::list).post(priorities::submit),
        )
        .route("/priorities/new", get(priorities::new_form))
        .route("/priorities/{id}", get(priorities::show))
        .route("/priorities/{id}/accept", post(priorities::accept))
        .route("/priorities/{id}/link", post(priorities::link))
        .route("/priorities/{id}/decline", post(priorities::decline))
        .merge(scoring::router())
        .merge(capacity::router())
        .merge(gates::router())
        .merge(scenarios::router())
        .merge(raid::router())
        .merge(meetings::router())
        .merge(highlights::router())
        .merge(notifications::router())
        .merge(tokens::router())
        .merge(security::router())
        .merge(downloads::router())
        .merge(public::router())
        .merge(reports::router())
}

/// Pages that take a spreadsheet: served with the upload's larger body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/imports/upload", post(imports::upload))
        .merge(reports::upload_router())
}

/// What every signed-in page's layout needs.
pub(crate) async fn layout(
    state: &AppState,
    session: &PageSession,
    nav: &str,
) -> Result<Value, PageError> {
    let org = state.app.organisation(session.caller()).await?;
    Ok(context! {
        signed_in => true,
        organisation_name => org.name,
        csrf_token => session.session.csrf_token.clone(),
        user_email => session.caller().user.email.clone(),
        user_role => session.caller().user.role.label(),
        can_edit => session.caller().can(Permission::EditProjects),
        can_read => session.caller().can(Permission::ReadProgramme),
        can_submit => session.caller().can(Permission::SubmitPriorities),
        can_triage => session.caller().can(Permission::TriagePriorities),
        nav => nav,
        unread_notifications => state.app.unread_notifications(session.caller()).await?,
        errors => Vec::<ErrorLink>::new(),
    })
}

/// A form's posted fields by name (the last of a repeated name wins).
pub(crate) struct PostedFields(std::collections::HashMap<String, String>);

impl PostedFields {
    pub(crate) fn new(pairs: Vec<(String, String)>) -> PostedFields {
        PostedFields(pairs.into_iter().collect())
    }

    /// The field's value, or "" when it was not posted.
    pub(crate) fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    /// The version the form was read at, which an update names.
    pub(crate) fn version(&self) -> Result<i64, AppError> {
        Self::parse_version(self.get("version"))
    }

    /// A GOV.UK date input's three boxes (`name-day`, `name-month`,
    /// `name-year`) as an ISO date; `None` when all three are blank.
    pub(crate) fn date(&self, name: &str) -> Result<Option<String>, String> {
        let part = |p: &str| self.get(&format!("{name}-{p}")).trim().to_string();
        let (day, month, year) = (part("day"), part("month"), part("year"));
        if day.is_empty() && month.is_empty() && year.is_empty() {
            return Ok(None);
        }
        match (
            day.parse::<u32>(),
            month.parse::<u32>(),
            year.parse::<i32>(),
        ) {
            (Ok(d), Ok(m), Ok(y)) if year.len() == 4 => chrono::NaiveDate::from_ymd_opt(y, m, d)
                .map(|date| Some(date.to_string()))
                .ok_or_else(|| "must be a real date, like 31 1 2027".to_string()),
            _ => Err("must be a real date, like 31 1 2027".to_string()),
        }
    }

    /// A posted version, or an error naming the field.
    pub(crate) fn parse_version(text: &str) -> Result<i64, AppError> {
        text.trim().parse().map_err(|_| {
            AppError::Validation(portfolio_domain::ValidationErrors::single(
                "version",
                "is missing from the form; open the page again",
            ))
        })
    }
}

/// The first letter in capitals; messages that start "must…" get the field's label first.
pub(crate) fn sentence(label: &str, message: &str) -> String {
    if ["must ", "cannot ", "is ", "has ", "appears "]
        .iter()
        .any(|p| message.starts_with(p))
    {
        return format!("{label} {message}");
    }
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => format!("{label} is not valid"),
    }
}

/// Errors by input id, and the summary's links, given how to name each field.
pub(crate) fn errors_view(
    errors: &ValidationErrors,
    locate: impl Fn(&str) -> (String, String),
) -> (HashMap<String, String>, Vec<ErrorLink>) {
    let mut fields = HashMap::new();
    let mut links = Vec::new();
    for e in &errors.0 {
        let (id, label) = locate(&e.field);
        let message = sentence(&label, &e.message);
        fields.entry(id.clone()).or_insert(message.clone());
        links.push(ErrorLink {
            target: id,
            message,
        });
    }
    (fields, links)
}

/// The error a form shows when its record changed while it was being edited.
pub(crate) fn conflict_errors(what: &str) -> ValidationErrors {
    ValidationErrors::single(
        "version",
        format!("This {what} was changed by someone else while you were editing it. The form now shows what is stored; make your change again."),
    )
}

/// A line of a GOV.UK error summary: the message and the id of the field it links to.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorLink {
    pub target: String,
    pub message: String,
}

#[derive(Serialize)]
pub(crate) struct Labelled {
    pub value: &'static str,
    pub label: &'static str,
    pub colour: &'static str,
}

pub(crate) fn stage_view(s: Stage) -> Labelled {
    Labelled {
        value: s.as_str(),
        label: s.label(),
        colour: s.tag_colour(),
    }
}

pub(crate) fn confidence_view(c: Option<DeliveryConfidence>) -> Option<Labelled> {
    c.map(|c| Labelled {
        value: c.as_str(),
        label: c.label(),
        colour: c.tag_colour(),
    })
}

pub(crate) fn stage_options(include_merged: bool) -> Vec<Labelled> {
    Stage::ALL
        .into_iter()
        .filter(|s| include_merged || *s != Stage::Merged)
        .map(stage_view)
        .collect()
}

pub(crate) fn confidence_options() -> Vec<Labelled> {
    DeliveryConfidence::ALL
        .into_iter()
        .filter_map(|c| confidence_view(Some(c)))
        .collect()
}

/// "1 April 2026", the GOV.UK date style.
pub(crate) fn long_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

pub async fn not_found(uri: Uri, jar: CookieJar) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::App(AppError::NotFound("resource")).into_response();
    }
    let _ = jar;
    PageError(AppError::NotFound("page")).into_response()
}
