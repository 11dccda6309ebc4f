//! Downloads of the registers as files, linked from their pages: the
//! register (`/projects.xlsx`, `/projects.csv`), the RAID register
//! (`/raid.xlsx`; `/raid.csv` is the RAID page's own), the decision log
//! (`/decisions.xlsx`, `/decisions.csv`) and the board's actions
//! (`/actions.xlsx`, `/actions.csv`). Each keeps the filters of the page it
//! is linked from and is named after the organisation and the date.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use portfolio_app::sheets::{ExportFilters, FileFormat, Register};
use portfolio_domain::filter::ProjectQuery;
use portfolio_domain::meetings::DecisionQuery;
use portfolio_domain::raid::RaidQuery;
use serde::Deserialize;

use crate::error::PageError;
use crate::session::PageSession;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/projects.xlsx", get(register_xlsx))
        .route("/raid.xlsx", get(raid_xlsx))
        .route("/decisions.xlsx", get(decisions_xlsx))
        .route("/decisions.csv", get(decisions_csv))
        .route("/actions.xlsx", get(actions_xlsx))
        .route("/actions.csv", get(actions_csv))
}

/// A query string's value, percent-encoded.
pub(super) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `key=value&…` for the values given, to carry a page's filters to its downloads.
pub(super) fn query_string(pairs: &[(&str, &Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn send(
    state: &AppState,
    session: &PageSession,
    register: Register,
    format: FileFormat,
    filters: ExportFilters,
) -> Result<Response, PageError> {
    let file = state
        .app
        .export_file(session.caller(), register, format, &filters)
        .await?;
    Ok(crate::api::exports::file_response(file))
}

/// The register's CSV, under the register page's filters.
pub(super) async fn register_csv(
    State(state): State<AppState>,
    session: PageSession,
    Query(projects): Query<ProjectQuery>,
) -> Result<Response, PageError> {
    let filters = ExportFilters {
        projects,
        ..Default::default()
    };
    send(
        &state,
        &session,
        Register::Register,
        FileFormat::Csv,
        filters,
    )
    .await
}

async fn register_xlsx(
    State(state): State<AppState>,
    session: PageSession,
    Query(projects): Query<ProjectQuery>,
) -> Result<Response, PageError> {
    let filters = ExportFilters {
        projects,
        ..Default::default()
    };
    send(
        &state,
        &session,
        Register::Register,
        FileFormat::Xlsx,
        filters,
    )
    .await
}

async fn raid_xlsx(
    State(state): State<AppState>,
    session: PageSession,
    Query(raid): Query<RaidQuery>,
) -> Result<Response, PageError> {
    let filters = ExportFilters {
        raid,
        ..Default::default()
    };
    send(&state, &session, Register::Raid, FileFormat::Xlsx, filters).await
}

async fn decisions(
    state: AppState,
    session: PageSession,
    decisions: DecisionQuery,
    format: FileFormat,
) -> Result<Response, PageError> {
    let filters = ExportFilters {
        decisions,
        ..Default::default()
    };
    send(&state, &session, Register::Decisions, format, filters).await
}

async fn decisions_xlsx(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<DecisionQuery>,
) -> Result<Response, PageError> {
    decisions(state, session, q, FileFormat::Xlsx).await
}

async fn decisions_csv(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<DecisionQuery>,
) -> Result<Response, PageError> {
    decisions(state, session, q, FileFormat::Csv).await
}

/// `?open=true` leaves out actions that are done (the meetings page lists open ones).
#[derive(Debug, Default, Deserialize)]
struct ActionsQuery {
    open: Option<String>,
}

async fn actions(
    state: AppState,
    session: PageSession,
    q: ActionsQuery,
    format: FileFormat,
) -> Result<Response, PageError> {
    let filters = ExportFilters {
        open_actions_only: q.open.as_deref() == Some("true"),
        ..Default::default()
    };
    send(&state, &session, Register::Actions, format, filters).await
}

async fn actions_xlsx(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<ActionsQuery>,
) -> Result<Response, PageError> {
    actions(state, session, q, FileFormat::Xlsx).await
}

async fn actions_csv(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<ActionsQuery>,
) -> Result<Response, PageError> {
    actions(state, session, q, FileFormat::Csv).await
}
