//! API routes for board packs and Cabinet reports, and the branding on
//! them.
//!
//! Reports are kept (`/api/v1/reports`: kind, date, meeting, narrative)
//! and changed with PUT and `If-Match`, a stale one getting 412 like every
//! update of this API; each is written as a document in any
//! [`ReportFormat`] at `/api/v1/reports/{id}/document`. `/api/v1/report`
//! writes one without keeping it. A report whose totals do not add up is
//! refused with 422 naming the check and both numbers, never written.
//!
//! The branding (`/api/v1/branding`) takes its logo base64-encoded in the
//! JSON body; it is mounted with the upload routes' body limit, so a logo
//! far over the logo limit is read and refused with a message.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use base64::Engine;
use portfolio_app::reports::ReportFormat;
use portfolio_app::AppError;
use portfolio_domain::report::{ReportDraft, SavedReport};
use portfolio_domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::capacity::{if_match_or_new, with_etag, with_etag_at};
use super::gates::path_id;
use super::{if_match, JsonBody};
use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports, create_report))
        .routes(routes!(get_report, put_report))
        .routes(routes!(report_document))
        .routes(routes!(one_shot_report))
        .routes(routes!(get_branding))
}

/// Routes that take a logo: mounted with the upload routes' body limit.
pub(super) fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(put_branding))
}

fn report_response(status: StatusCode, r: SavedReport) -> Response {
    let location = format!("/api/v1/reports/{}", r.id);
    with_etag_at(status, r.version, &r, &location)
}

/// The reports kept, latest date first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<SavedReport>,
}

/// The reports kept: kind, date, board meeting and narrative of each.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports",
    responses((status = 200, description = "The reports, latest date first", body = ReportList),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn list_reports(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<ReportList>, ApiError> {
    Ok(Json(ReportList {
        reports: state.app.saved_reports(&caller).await?,
    }))
}

/// Keeps a new report. It is built and checked first: one that cannot be
/// produced (a date before the organisation began or after today, an
/// unknown meeting, totals that do not add up) is refused and not kept.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = ReportDraft,
    responses((status = 201, description = "Kept; ETag carries the version, Location the report", body = SavedReport),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role, or the token's scope, cannot make reports", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A field is not valid (named), or the report's totals do not add up", body = Problem, content_type = "application/problem+json")))]
async fn create_report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<ReportDraft>,
) -> Result<Response, ApiError> {
    let report = state.app.create_report(&caller, &draft).await?;
    Ok(report_response(StatusCode::CREATED, report))
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, description = "The report's fields; ETag carries the version", body = SavedReport),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json")))]
async fn get_report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let report = state
        .app
        .saved_report(&caller, path_id(&id, "report")?)
        .await?;
    Ok(report_response(StatusCode::OK, report))
}

/// Replaces a report's fields (kind, title, date, meeting, narrative).
#[utoipa::path(put, path = "/api/v1/reports/{id}", tag = "reports", request_body = ReportDraft,
    params(("id" = i64, Path, description = "Report id"), ("If-Match" = String, Header, description = "ETag of the report read, e.g. \"v1\"")),
    responses((status = 200, description = "Saved; ETag carries the new version", body = SavedReport),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role, or the token's scope, cannot change reports", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A field is not valid (named), or the report's totals do not add up", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn put_report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<ReportDraft>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "report")?;
    let version = if_match(&headers)?;
    let report = state
        .app
        .update_report(&caller, id, version, &draft)
        .await?;
    Ok(report_response(StatusCode::OK, report))
}

/// The document format asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// The format: docx, pdf or html.
    format: Option<String>,
}

fn parse_format(format: Option<&str>) -> Result<ReportFormat, ApiError> {
    let text = format.unwrap_or("").trim();
    if text.is_empty() {
        let names: Vec<&str> = ReportFormat::ALL.iter().map(|f| f.extension()).collect();
        return Err(ApiError::Query(ValidationErrors::single(
            "format",
            format!("is required: one of {}", names.join(", ")),
        )));
    }
    ReportFormat::parse(text).map_err(|e| ApiError::Query(ValidationErrors::single("format", e)))
}

/// A kept report written as a document, from the register as at its date.
#[utoipa::path(get, path = "/api/v1/reports/{id}/document", tag = "reports",
    params(("id" = i64, Path, description = "Report id"), DocumentQuery),
    responses((status = 200, description = "The document; Content-Disposition names it (kind and date)",
                content(("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), ("application/pdf"), ("text/html"))),
              (status = 400, description = "The format is missing or not one the server writes", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The report's totals do not add up: the problem names the check and both numbers", body = Problem, content_type = "application/problem+json")))]
async fn report_document(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<DocumentQuery>,
) -> Result<Response, ApiError> {
    let saved = state
        .app
        .saved_report(&caller, path_id(&id, "report")?)
        .await?;
    let format = parse_format(q.format.as_deref())?;
    let doc = state.app.render_report(&caller, &saved, format).await?;
    Ok(crate::pages::document_response(doc))
}

/// A report written once, without keeping it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OneShotQuery {
    /// board or cabinet.
    kind: Option<String>,
    /// The date the report is as at, YYYY-MM-DD: not after today, not before the organisation began.
    as_at: Option<String>,
    /// The format: docx, pdf or html.
    format: Option<String>,
}

/// A board pack or Cabinet report as at a date, written as a document
/// without being kept (no narrative, no meeting).
#[utoipa::path(get, path = "/api/v1/report", tag = "reports", params(OneShotQuery),
    responses((status = 200, description = "The document; Content-Disposition names it (kind and date)",
                content(("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), ("application/pdf"), ("text/html"))),
              (status = 400, description = "The format is missing or not one the server writes", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The kind or date is not valid (named), or the report's totals do not add up", body = Problem, content_type = "application/problem+json")))]
async fn one_shot_report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<OneShotQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let draft = ReportDraft {
        kind: q.kind.unwrap_or_default(),
        as_at: q.as_at.unwrap_or_default(),
        ..ReportDraft::default()
    };
    let saved = state.app.validate_report(&caller, &draft).await?;
    let doc = state.app.render_report(&caller, &saved, format).await?;
    Ok(crate::pages::document_response(doc))
}

/// A logo as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogoView {
    /// image/png or image/jpeg.
    #[serde(rename = "type")]
    pub kind: String,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
    /// The image itself, base64-encoded.
    pub data_base64: String,
}

/// The name and logo on the organisation's reports.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrandingView {
    /// The name reports show; empty means the organisation's own name.
    pub display_name: String,
    /// The organisation's own name.
    pub organisation_name: String,
    pub logo: Option<LogoView>,
    /// 0 until branding is first saved; send it back as If-Match ("v0" or none the first time).
    pub version: i64,
}

#[utoipa::path(get, path = "/api/v1/branding", tag = "reports",
    responses((status = 200, description = "The branding; ETag carries the version", body = BrandingView),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn get_branding(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Response, ApiError> {
    let view = branding_view(&state, &caller).await?;
    Ok(with_etag(StatusCode::OK, view.version, &view))
}

async fn branding_view(
    state: &AppState,
    caller: &portfolio_app::Caller,
) -> Result<BrandingView, ApiError> {
    let stored = state.app.branding(caller).await?;
    let org = state.app.organisation(caller).await?;
    Ok(BrandingView {
        display_name: stored.display_name,
        organisation_name: org.name,
        logo: stored.logo.map(|l| LogoView {
            kind: l.kind.mime().to_string(),
            width: l.width,
            height: l.height,
            bytes: l.bytes.len(),
            data_base64: base64::engine::general_purpose::STANDARD.encode(&l.bytes),
        }),
        version: stored.version,
    })
}

/// Body of `PUT /api/v1/branding`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingBody {
    /// The name reports show; empty for the organisation's own name.
    pub display_name: String,
    /// A new logo, PNG or JPEG (recognised by its bytes), base64-encoded; at most 1 MB.
    #[serde(default)]
    pub logo_base64: Option<String>,
    /// Drop the logo (ignored when a new one is sent).
    #[serde(default)]
    pub remove_logo: bool,
}

/// Sets the name and logo on reports (administrators).
#[utoipa::path(put, path = "/api/v1/branding", tag = "reports", request_body = BrandingBody,
    params(("If-Match" = Option<String>, Header, description = "ETag of the branding read, e.g. \"v1\"; none (or \"v0\") the first time")),
    responses((status = 200, description = "Saved; ETag carries the new version", body = BrandingView),
              (status = 400, description = "The body or If-Match is malformed, or the logo is not base64", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Only an administrator, with a token of admin scope, sets the branding", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 413, description = "The request is over 51 MB", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The name is too long, or the logo is not a PNG or JPEG, is over 1 MB or over 4,000 pixels", body = Problem, content_type = "application/problem+json")))]
async fn put_branding(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BrandingBody>,
) -> Result<Response, ApiError> {
    let version = if_match_or_new(&headers)?;
    let logo = match body.logo_base64.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Some(
            base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| {
                    ApiError::Body(ValidationErrors::single(
                        "logo_base64",
                        format!("is not base64: {e}"),
                    ))
                })?,
        ),
        _ => None,
    };
    match state
        .app
        .put_branding(
            &caller,
            &body.display_name,
            logo.as_deref(),
            body.remove_logo,
            version,
        )
        .await
    {
        Ok(_) => {}
        // The service names the logo as `logo`; this body calls it `logo_base64`.
        Err(AppError::Validation(mut e)) => {
            for f in &mut e.0 {
                if f.field == "logo" {
                    f.field = "logo_base64".into();
                }
            }
            return Err(AppError::Validation(e).into());
        }
        Err(e) => return Err(e.into()),
    }
    let view = branding_view(&state, &caller).await?;
    Ok(with_etag(StatusCode::OK, view.version, &view))
}
