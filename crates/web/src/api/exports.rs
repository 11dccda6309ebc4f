//! API route for registers as files: the project register, RAID register,
//! decision log and actions as JSON, CSV or XLSX, under the same filters
//! as their pages (see `portfolio_app::sheets`).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use portfolio_app::sheets::{ExportFilters, FileFormat, Register};
use portfolio_app::AppError;
use portfolio_domain::filter::ProjectQuery;
use portfolio_domain::meetings::DecisionQuery;
use portfolio_domain::raid::RaidQuery;
use portfolio_domain::ValidationErrors;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

/// The file format, and for actions whether to leave out done ones.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// json (default), csv or xlsx.
    format: Option<String>,
    /// Actions only: `true` leaves out actions that are done.
    open: Option<String>,
}

/// Sends an export as a download named after the organisation and the date.
pub(crate) fn file_response(file: portfolio_app::sheets::ExportFile) -> Response {
    (
        [
            (header::CONTENT_TYPE, file.content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        file.bytes,
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/v1/exports/{register}", tag = "exports",
    params(("register" = String, Path, description = "register, raid, decisions or actions"), ExportParams,
           ProjectQuery, RaidQuery,
           ("body" = Option<String>, Query, description = "Decisions only: programme_board, cabinet or senior_leadership_team"),
           ("from" = Option<String>, Query, description = "Decisions only: meetings on or after this date (YYYY-MM-DD)"),
           ("to" = Option<String>, Query, description = "Decisions only: meetings on or before this date (YYYY-MM-DD)")),
    responses((status = 200, description = "The register as a file (Content-Disposition names it: organisation, register, date). \
                JSON: the records as the other routes send them; CSV: UTF-8, formula-safe; XLSX: typed cells, frozen header, filters. \
                The register's filters are those of /api/v1/projects, the RAID register's those of /api/v1/raid-items, the decision log's q (words), body, from and to.",
                content(("application/json"), ("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such register", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The format or a filter is not valid", body = Problem, content_type = "application/problem+json")))]
async fn export(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(register): Path<String>,
    Query(params): Query<ExportParams>,
    Query(projects): Query<ProjectQuery>,
    Query(raid): Query<RaidQuery>,
    Query(decisions): Query<DecisionQuery>,
) -> Result<Response, ApiError> {
    let register =
        Register::parse(&register).map_err(|_| ApiError::App(AppError::NotFound("register")))?;
    let format = FileFormat::parse(params.format.as_deref().unwrap_or("json"))
        .map_err(|e| ApiError::App(AppError::Validation(ValidationErrors::single("format", e))))?;
    let filters = ExportFilters {
        projects,
        raid,
        decisions,
        open_actions_only: params.open.as_deref() == Some("true"),
    };
    let file = state
        .app
        .export_file(&caller, register, format, &filters)
        .await?;
    Ok(file_response(file))
}
