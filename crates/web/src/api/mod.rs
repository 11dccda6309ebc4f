//! The JSON API under `/api/v1`, and its OpenAPI 3.1 document.
//!
//! Routes are declared once with `utoipa_axum::routes!`, which both mounts
//! them and adds them to the document, so the document cannot leave a route
//! out. Updates need `If-Match` with the ETag of the version read; a stale
//! one gets 412 and the version now stored.

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use portfolio_app::duplicates::{DuplicatePair, MAX_LIMIT};
use portfolio_app::AppError;
use portfolio_domain::consolidate::merge::{Lineage, Merge, MergeDraft};
use portfolio_domain::dashboard::Dashboard;
use portfolio_domain::filter::ProjectQuery;
use portfolio_domain::history::AsAtQuery;
use portfolio_domain::intake::{Priority, PriorityDraft, PriorityQuery};
use portfolio_domain::organisation::{Department, Organisation, Theme};
use portfolio_domain::{Project, ProjectDraft, ValidationErrors};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

mod capacity;
pub(crate) mod exports;
mod gates;
mod highlights;
mod history;
mod meetings;
mod notifications;
mod raid;
mod reports;
mod scenarios;
mod scoring;
mod tokens;

const DEFAULT_LIMIT: u32 = 50;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portfolio API",
        version = "1",
        description = "The programme register of a public body: projects, departments, themes and dashboard counts. \
                       Authenticate with a personal API token: `Authorization: Bearer pf_…` (create one with `portfolio token create`). \
                       Errors are `application/problem+json` documents naming each bad field."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "projects", description = "The register"), (name = "priorities", description = "Intake: priorities departments submit, triaged by the programme office"), (name = "reference", description = "Organisation, departments and themes"), (name = "imports", description = "Importing departments' spreadsheets"), (name = "merges", description = "Merging duplicate projects, keeping lineage, and undoing merges"), (name = "prioritisation", description = "The scoring model, project assessments and the ranked list"), (name = "capacity", description = "Resource pools, budgets, project plans and the supply-versus-demand heat map"), (name = "scenarios", description = "Prioritisation scenarios: limits and forced decisions, optimised runs, results with explanations, comparison, model export"), (name = "raid", description = "The RAID register: risks, assumptions, issues and dependencies, the 5×5 heat map, escalated risks and the scale words"), (name = "governance", description = "Stage gates: checklists, requests and the board's decisions; what changed between two dates"), (name = "access", description = "API tokens: scopes (read, write, admin), expiry, last use and revocation"), (name = "reports", description = "Board packs and Cabinet reports kept with their narrative, written as documents (Word, web page…), and the branding on them"), (name = "operations", description = "Health checks: liveness and readiness"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pf_ token")
                    .build(),
            ),
        );
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(organisations))
        .routes(routes!(departments))
        .routes(routes!(themes))
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, withdraw_project))
        .routes(routes!(dashboard))
        .routes(routes!(duplicates))
        .routes(routes!(list_priorities, submit_priority))
        .routes(routes!(get_priority))
        .routes(routes!(accept_priority))
        .routes(routes!(link_priority))
        .routes(routes!(decline_priority))
        .routes(routes!(get_import_mapping, put_import_mapping))
        .routes(routes!(create_merge))
        .routes(routes!(get_merge))
        .routes(routes!(undo_merge))
        .routes(routes!(project_lineage))
        .routes(routes!(health))
        .routes(routes!(ready))
        .merge(scoring::routes())
        .merge(capacity::routes())
        .merge(gates::routes())
        .merge(history::routes())
        .merge(scenarios::routes())
        .merge(raid::routes())
        .merge(meetings::routes())
        .merge(highlights::routes())
        .merge(notifications::routes())
        .merge(tokens::routes())
        .merge(exports::routes())
        .merge(reports::routes())
}

/// Routes that take a spreadsheet: served with the upload's larger body limit.
fn upload_api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_spreadsheets))
        .merge(reports::upload_routes())
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = api_router().split_for_parts().1;
    doc.merge(upload_api_router().split_for_parts().1);
    doc
}

/// The API's spreadsheet routes, mounted apart for their body limit.
pub fn upload_router() -> Router<AppState> {
    upload_api_router().split_for_parts().0
}

pub fn router() -> Router<AppState> {
    let (router, _) = api_router().split_for_parts();
    let doc = std::sync::Arc::new(openapi_document());
    router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
}

/// A JSON body, read with errors that name the field (`costs[0].capital_pence: invalid type…`).
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|v| {
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                return ApiError::PayloadTooLarge;
            }
            ApiError::Body(ValidationErrors::single(
                "body",
                format!("could not be read: {}", e.body_text()),
            ))
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            // `?` is the path segment of a key that could not be read (malformed
            // JSON): name the value that encloses it instead.
            let mut named = path.as_str();
            while let Some(rest) = named.strip_suffix('?') {
                named = rest.strip_suffix('.').unwrap_or(rest);
            }
            let field = if named == "." || named.is_empty() {
                "body".to_string()
            } else {
                named.to_string()
            };
            ApiError::Body(ValidationErrors::single(field, e.inner().to_string()))
        })?;
        de.end().map_err(|e| {
            ApiError::Body(ValidationErrors::single(
                "body",
                format!("unexpected data after the JSON value: {e}"),
            ))
        })?;
        Ok(JsonBody(value))
    }
}

fn etag(p: &Project) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{}\"", p.version))
        .unwrap_or_else(|_| HeaderValue::from_static("\"v0\""))
}

/// The version named by `If-Match: "v3"`.
fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let value = headers
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    let s = value.to_str().map_err(|_| ApiError::BadIfMatch)?.trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    s.strip_prefix("\"v")
        .and_then(|r| r.strip_suffix('"'))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or(ApiError::BadIfMatch)
}

fn project_response(status: StatusCode, p: Project) -> Response {
    let tag = etag(&p);
    let location = HeaderValue::from_str(&format!("/api/v1/projects/{}", p.code)).ok();
    let mut response = (status, Json(p)).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    if status == StatusCode::CREATED {
        if let Some(l) = location {
            response.headers_mut().insert(header::LOCATION, l);
        }
    }
    response
}

/// The caller's organisation.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "reference",
    responses((status = 200, description = "The caller's organisation (a caller sees only their own)", body = Vec<Organisation>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn organisations(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<Organisation>>, ApiError> {
    Ok(Json(vec![state.app.organisation(&caller).await?]))
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "reference",
    responses((status = 200, description = "Departments of the caller's organisation", body = Vec<Department>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn departments(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<Department>>, ApiError> {
    Ok(Json(state.app.departments(&caller).await?))
}

#[utoipa::path(get, path = "/api/v1/themes", tag = "reference",
    responses((status = 200, description = "Themes of the caller's organisation", body = Vec<Theme>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn themes(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<Theme>>, ApiError> {
    Ok(Json(state.app.themes(&caller).await?))
}

/// A page of projects.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub projects: Vec<Project>,
    /// Projects matching the filters, across all pages.
    pub total: i64,
    pub page: u32,
    pub limit: u32,
    /// For a past view (`as_at`): the day whose end the projects are as at.
    #[schema(value_type = Option<String>, example = "2026-03-31")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_at: Option<chrono::NaiveDate>,
}

/// One page of the register: as it is now, or with `as_at` as it was at the
/// end of that day (each project's latest audited state; projects added
/// later are left out).
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(ProjectQuery, AsAtQuery),
    responses((status = 200, description = "Projects matching the filters, one page", body = ProjectList),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json")))]
async fn list_projects(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<ProjectQuery>,
    Query(asked): Query<AsAtQuery>,
) -> Result<Response, ApiError> {
    let filter = query.parse(DEFAULT_LIMIT).map_err(AppError::Validation)?;
    if let Some(as_at) = asked
        .parse(portfolio_app::history::today())
        .map_err(AppError::Validation)?
    {
        let past = state
            .app
            .list_projects_as_at(&caller, &query, as_at, DEFAULT_LIMIT)
            .await?;
        return Ok(Json(ProjectListView {
            projects: &past.projects,
            total: past.total,
            page: filter.page,
            limit: filter.per_page,
            as_at: Some(as_at),
        })
        .into_response());
    }
    let page = state
        .app
        .list_projects(&caller, &query, DEFAULT_LIMIT)
        .await?;
    Ok(Json(ProjectListView {
        projects: &page.projects,
        total: page.total,
        page: filter.page,
        limit: filter.per_page,
        as_at: None,
    })
    .into_response())
}

/// [`ProjectList`] as sent: borrows the (possibly shared) page instead of copying it.
#[derive(Serialize)]
struct ProjectListView<'a> {
    projects: &'a [Project],
    total: i64,
    page: u32,
    limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    as_at: Option<chrono::NaiveDate>,
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectDraft,
    responses((status = 201, description = "Created; ETag carries the version", body = Project),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid", body = Problem, content_type = "application/problem+json")))]
async fn create_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<ProjectDraft>,
) -> Result<Response, ApiError> {
    let project = state.app.create_project(&caller, &draft).await?;
    Ok(project_response(StatusCode::CREATED, project))
}

#[utoipa::path(get, path = "/api/v1/projects/{code}", tag = "projects", params(("code" = String, Path, description = "Project code, e.g. DP-042")),
    responses((status = 200, description = "The project; ETag carries the version", body = Project),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project in the caller's organisation", body = Problem, content_type = "application/problem+json")))]
async fn get_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    Ok(project_response(
        StatusCode::OK,
        state.app.project(&caller, &code).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/projects/{code}", tag = "projects", request_body = ProjectDraft,
    params(("code" = String, Path, description = "Project code"), ("If-Match" = String, Header, description = "ETag of the version you read, e.g. \"v3\"")),
    responses((status = 200, description = "Updated; ETag carries the new version", body = Project),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid, or the stage move is not allowed", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn update_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<ProjectDraft>,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let project = state
        .app
        .update_project(&caller, &code, version, &draft)
        .await?;
    Ok(project_response(StatusCode::OK, project))
}

/// Withdraws a project: it leaves the active programme, its record and history stay.
#[utoipa::path(delete, path = "/api/v1/projects/{code}", tag = "projects",
    params(("code" = String, Path, description = "Project code"), ("If-Match" = String, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "Withdrawn", body = Project),
              (status = 400, description = "If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The project cannot be withdrawn from its stage", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn withdraw_project(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let project = state.app.withdraw_project(&caller, &code, version).await?;
    Ok(project_response(StatusCode::OK, project))
}

/// The dashboard's counts: now, or with `as_at` as they were at the end of that day.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "projects", params(AsAtQuery),
    responses((status = 200, description = "Counts by stage, department, theme and delivery confidence, checked to add up", body = Dashboard),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`as_at` is not a date, or is after today", body = Problem, content_type = "application/problem+json")))]
async fn dashboard(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(asked): Query<AsAtQuery>,
) -> Result<Response, ApiError> {
    if let Some(as_at) = asked
        .parse(portfolio_app::history::today())
        .map_err(AppError::Validation)?
    {
        let past = state.app.dashboard_as_at(&caller, as_at).await?;
        return Ok(Json(past).into_response());
    }
    let dashboard = state.app.dashboard(&caller).await?;
    Ok(Json(dashboard.as_ref()).into_response())
}

/// Query of `GET /api/v1/duplicates`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuplicatesQuery {
    /// How many pairs, best first: 1 to 500, default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// The `limit` of a query: a whole number from 1 to [`MAX_LIMIT`], or the default.
fn parse_limit(limit: Option<&str>) -> Result<u32, ApiError> {
    let Some(text) = limit.map(str::trim) else {
        return Ok(DEFAULT_LIMIT);
    };
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            ApiError::Query(ValidationErrors::single(
                "limit",
                format!("'{text}' is not a whole number from 1 to {MAX_LIMIT}"),
            ))
        })
}

/// Likely duplicate projects, for the programme office to review.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateList {
    /// Pairs of projects that may describe the same work, best first.
    pub pairs: Vec<DuplicatePair>,
    pub limit: u32,
}

/// Likely duplicates across the register: suggestions to review, never merged automatically.
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "projects", params(DuplicatesQuery),
    responses((status = 200, description = "Candidate pairs with a score from 0 to 1 and the reasons; withdrawn and merged projects are left out", body = DuplicateList),
              (status = 400, description = "The limit is not a whole number from 1 to 500", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn duplicates(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<DuplicatesQuery>,
) -> Result<Json<DuplicateList>, ApiError> {
    let limit = parse_limit(query.limit.as_deref())?;
    let pairs = state.app.duplicates(&caller, limit).await?;
    Ok(Json(DuplicateList { pairs, limit }))
}

/// A merge's id from the path: a number, or no such merge.
fn merge_id(id: &str) -> Result<i64, ApiError> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::App(AppError::NotFound("merge")))
}

fn merge_response(status: StatusCode, merge: Merge) -> Response {
    let location = HeaderValue::from_str(&format!("/api/v1/merges/{}", merge.id)).ok();
    let mut response = (status, Json(merge)).into_response();
    if status == StatusCode::CREATED {
        if let Some(l) = location {
            response.headers_mut().insert(header::LOCATION, l);
        }
    }
    response
}

/// Merges projects into a survivor: per field, the survivor's value, another project's, or a combination.
///
/// Every project is named with the version read; if any changed since, nothing is merged (412,
/// naming it). The merged projects keep their values and move to the `merged` stage, linked to
/// the survivor.
#[utoipa::path(post, path = "/api/v1/merges", tag = "merges", request_body = MergeDraft,
    responses((status = 201, description = "Merged: the merge with its id, the survivor and the merged projects as written", body = Merge),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "A project changed since the version named; the problem names it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The merge is not valid: fewer than two projects, unknown codes or fields, a project merged or withdrawn, or combined values over a limit", body = Problem, content_type = "application/problem+json")))]
async fn create_merge(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<MergeDraft>,
) -> Result<Response, ApiError> {
    let merge = state.app.merge(&caller, &draft).await?;
    Ok(merge_response(StatusCode::CREATED, merge))
}

/// A merge, with its projects as they are now.
#[utoipa::path(get, path = "/api/v1/merges/{id}", tag = "merges", params(("id" = i64, Path, description = "The merge's id")),
    responses((status = 200, description = "The merge; undone_at is set once it has been undone", body = Merge),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such merge in the caller's organisation", body = Problem, content_type = "application/problem+json")))]
async fn get_merge(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let merge = state.app.merge_record(&caller, merge_id(&id)?).await?;
    Ok(merge_response(StatusCode::OK, merge))
}

/// Undoes a merge: every project gets back its values from before it.
#[utoipa::path(post, path = "/api/v1/merges/{id}/undo", tag = "merges", params(("id" = i64, Path, description = "The merge's id")),
    responses((status = 200, description = "Undone: the projects as restored", body = Merge),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such merge in the caller's organisation", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Already undone, or a project changed since the merge (named)", body = Problem, content_type = "application/problem+json")))]
async fn undo_merge(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let merge = state.app.undo_merge(&caller, merge_id(&id)?).await?;
    Ok(merge_response(StatusCode::OK, merge))
}

/// Where a project came from and went to by merges still in force.
#[utoipa::path(get, path = "/api/v1/projects/{code}/lineage", tag = "merges", params(("code" = String, Path, description = "Project code, e.g. DP-042")),
    responses((status = 200, description = "The project this one was merged into, and those merged into it", body = Lineage),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such project in the caller's organisation", body = Problem, content_type = "application/problem+json")))]
async fn project_lineage(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(code): Path<String>,
) -> Result<Json<Lineage>, ApiError> {
    let project = state.app.project(&caller, &code).await?;
    Ok(Json(state.app.lineage(&caller, &project).await?))
}

/// Priorities the caller may see: every one for the programme office, their own for a department lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriorityList {
    /// Newest first.
    pub priorities: Vec<Priority>,
}

/// Body of `POST /api/v1/priorities/{id}/link`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Code of the existing project the priority changes, e.g. DP-012.
    pub project: String,
}

/// Body of `POST /api/v1/priorities/{id}/decline`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    /// Why it is declined; the submitter sees it.
    pub reason: String,
}

fn priority_response(status: StatusCode, p: Priority) -> Response {
    let tag = HeaderValue::from_str(&format!("\"v{}\"", p.version))
        .unwrap_or_else(|_| HeaderValue::from_static("\"v0\""));
    let location = HeaderValue::from_str(&format!("/api/v1/priorities/{}", p.id)).ok();
    let mut response = (status, Json(p)).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    if status == StatusCode::CREATED {
        if let Some(l) = location {
            response.headers_mut().insert(header::LOCATION, l);
        }
    }
    response
}

/// A priority id from the path; anything else names no priority.
fn priority_id(id: &str) -> Result<i64, ApiError> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::App(AppError::NotFound("priority")))
}

/// Priorities the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/priorities", tag = "priorities", params(PriorityQuery),
    responses((status = 200, description = "Every priority for the programme office (editors, administrators); a department lead's own", body = PriorityList),
              (status = 400, description = "The status is not one of submitted, accepted, linked or declined", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role neither submits nor triages priorities", body = Problem, content_type = "application/problem+json")))]
async fn list_priorities(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<PriorityQuery>,
) -> Result<Json<PriorityList>, ApiError> {
    query.status().map_err(ApiError::Query)?;
    let priorities = state.app.priorities(&caller, &query).await?;
    Ok(Json(PriorityList { priorities }))
}

/// Submits a new or changed priority for the programme office to triage.
#[utoipa::path(post, path = "/api/v1/priorities", tag = "priorities", request_body = PriorityDraft,
    responses((status = 201, description = "Submitted; ETag carries the version, Location the priority", body = Priority),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot submit priorities (viewers)", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid", body = Problem, content_type = "application/problem+json")))]
async fn submit_priority(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<PriorityDraft>,
) -> Result<Response, ApiError> {
    let priority = state.app.submit_priority(&caller, &draft).await?;
    Ok(priority_response(StatusCode::CREATED, priority))
}

#[utoipa::path(get, path = "/api/v1/priorities/{id}", tag = "priorities", params(("id" = i64, Path, description = "Priority id")),
    responses((status = 200, description = "The priority and its outcome; ETag carries the version", body = Priority),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role neither submits nor triages priorities", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such priority that the caller may see", body = Problem, content_type = "application/problem+json")))]
async fn get_priority(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let priority = state.app.priority(&caller, priority_id(&id)?).await?;
    Ok(priority_response(StatusCode::OK, priority))
}

/// Accepts a priority into the register: a new project at stage concept, linked from the priority.
#[utoipa::path(post, path = "/api/v1/priorities/{id}/accept", tag = "priorities",
    params(("id" = i64, Path, description = "Priority id"), ("If-Match" = String, Header, description = "ETag of the version you read, e.g. \"v1\"")),
    responses((status = 200, description = "Accepted; `project` names the new project", body = Priority),
              (status = 400, description = "If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot triage priorities", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such priority", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Already triaged (field `status` says how)", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn accept_priority(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = priority_id(&id)?;
    let version = if_match(&headers)?;
    let (priority, _project) = state.app.accept_priority(&caller, id, version).await?;
    Ok(priority_response(StatusCode::OK, priority))
}

/// Links a priority to an existing project as a change to it.
#[utoipa::path(post, path = "/api/v1/priorities/{id}/link", tag = "priorities", request_body = LinkBody,
    params(("id" = i64, Path, description = "Priority id"), ("If-Match" = String, Header, description = "ETag of the version you read, e.g. \"v1\"")),
    responses((status = 200, description = "Linked; `project` names the project", body = Priority),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot triage priorities", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such priority", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "No such project, one no longer in the programme, or already triaged", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn link_priority(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Response, ApiError> {
    let id = priority_id(&id)?;
    let version = if_match(&headers)?;
    let priority = state
        .app
        .link_priority(&caller, id, version, &body.project)
        .await?;
    Ok(priority_response(StatusCode::OK, priority))
}

/// Declines a priority with a reason the submitter sees.
#[utoipa::path(post, path = "/api/v1/priorities/{id}/decline", tag = "priorities", request_body = DeclineBody,
    params(("id" = i64, Path, description = "Priority id"), ("If-Match" = String, Header, description = "ETag of the version you read, e.g. \"v1\"")),
    responses((status = 200, description = "Declined", body = Priority),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot triage priorities", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such priority", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "No reason, or already triaged", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn decline_priority(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<DeclineBody>,
) -> Result<Response, ApiError> {
    let id = priority_id(&id)?;
    let version = if_match(&headers)?;
    let priority = state
        .app
        .decline_priority(&caller, id, version, &body.reason)
        .await?;
    Ok(priority_response(StatusCode::OK, priority))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "operations", security(()),
    responses((status = 200, description = "The server is running", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Whether the server can serve: `ok`, or `unavailable` and why.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    /// Why the server is not ready (absent when it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Readiness: the database answers and holds exactly the migrations this
/// version carries. A load balancer sends no traffic while this answers 503.
#[utoipa::path(get, path = "/ready", tag = "operations", security(()),
    responses((status = 200, description = "The database is reachable and its migrations match this version", body = Readiness),
              (status = 503, description = "The database cannot be reached, or its migrations are behind or ahead of this version (`reason` says which)", body = Readiness)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    use portfolio_app::operations::Readiness as Answer;
    match state.app.readiness().await {
        Answer::Ready => Json(Readiness {
            status: "ok",
            reason: None,
        })
        .into_response(),
        Answer::NotReady(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Readiness {
                status: "unavailable",
                reason: Some(reason),
            }),
        )
            .into_response(),
    }
}

/// How to import, in the query string of `POST /api/v1/imports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check and count, but write nothing (`true` or `false`; default `false`).
    pub dry_run: Option<String>,
    /// Import the valid rows and return the others as rejected, instead of all or nothing (default `false`).
    pub valid_only: Option<String>,
    /// The source the rows belong to; default: each file's name. A re-import of a source updates what it created.
    pub source: Option<String>,
    /// Import only this sheet of each workbook.
    pub sheet: Option<String>,
}

fn query_flag(name: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value.map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ApiError::Query(ValidationErrors::single(
            name,
            format!("'{other}' is not true or false"),
        ))),
    }
}

/// The outcome of an import: the report, and the rejected rows as CSV.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    #[serde(flatten)]
    pub report: portfolio_app::import::ImportReport,
    /// The rejected rows with a reason column, as CSV, when any were rejected.
    pub rejected_csv: Option<String>,
}

/// Imports departments' spreadsheets (CSV or XLSX) into the register.
///
/// Send `multipart/form-data` with one or more `file` parts and, optionally,
/// a `mapping` part (JSON, or TOML when its file name ends in `.toml`):
/// `{"columns": {"Scheme": "title"}, "values": {"department": {"Health & Care": "health-social-care"}}}`.
/// Without a mapping, the one saved for the source is used. All or nothing
/// unless `valid_only=true`; every problem names its file, sheet, row and column.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports", params(ImportQuery),
    request_body(content_type = "multipart/form-data", description = "`file` parts (CSV or XLSX, up to 50 MB each) and an optional `mapping` part"),
    responses((status = 200, description = "Imported (or, on a dry run, checked): the counts, and any rows left out", body = ImportResult),
              (status = 400, description = "The request is not multipart, a query value is wrong, or the mapping cannot be read", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 413, description = "The request is over 51 MB", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Nothing was written: the report lists every problem", body = ImportResult)))]
async fn import_spreadsheets(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<ImportQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    use portfolio_app::import::{ImportFile, ImportOptions, MappingFile};
    let dry_run = query_flag("dry_run", query.dry_run.as_deref())?;
    let valid_only = query_flag("valid_only", query.valid_only.as_deref())?;
    let bad =
        |field: &str, message: String| ApiError::Body(ValidationErrors::single(field, message));
    let mut multipart = axum::extract::Multipart::from_request(request, &state)
        .await
        .map_err(|e| {
            bad(
                "body",
                format!("is not multipart/form-data: {}", e.body_text()),
            )
        })?;
    let mut files = Vec::new();
    let mut mapping = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge)
            }
            Err(e) => return Err(bad("body", format!("could not be read: {}", e.body_text()))),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge)
            }
            Err(e) => return Err(bad(&name, format!("could not be read: {}", e.body_text()))),
        };
        match name.as_str() {
            "file" => files.push(ImportFile {
                name: file_name.unwrap_or_else(|| format!("file {}", files.len() + 1)),
                bytes: bytes.to_vec(),
            }),
            "mapping" => {
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| bad("mapping", "is not UTF-8 text".into()))?;
                let parsed =
                    MappingFile::parse(file_name.as_deref().unwrap_or("mapping.json"), &text)
                        .map_err(|e| bad("mapping", e))?;
                mapping = Some(parsed);
            }
            other => return Err(bad(
                other,
                "is not a part this endpoint takes; send `file` parts and an optional `mapping`"
                    .into(),
            )),
        }
    }
    if files.is_empty() {
        return Err(bad(
            "file",
            "is missing; send at least one `file` part".into(),
        ));
    }
    let options = ImportOptions {
        source: query.source.filter(|s| !s.trim().is_empty()),
        sheet: query.sheet.filter(|s| !s.trim().is_empty()),
        mapping,
        dry_run,
        valid_only,
        ..ImportOptions::default()
    };
    let report = state.app.import(&caller, &files, &options).await?;
    let status = if report.written || (dry_run && report.problems.is_empty()) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let rejected_csv = report.rejected_csv();
    Ok((
        status,
        Json(ImportResult {
            report,
            rejected_csv,
        }),
    )
        .into_response())
}

/// The column mapping saved for a source.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportMapping {
    /// Header → field name (`title`, `department`, `cost_total`…) or `ignore`.
    pub columns: std::collections::BTreeMap<String, String>,
    /// Field → value as written → the option it means (a slug, or a stage's name).
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

fn mapping_body(mapping: &portfolio_app::import::MappingFile) -> ImportMapping {
    serde_json::from_str(&mapping.to_json()).unwrap_or(ImportMapping {
        columns: Default::default(),
        values: Default::default(),
    })
}

/// The mapping saved for a source, used by every later import of it.
#[utoipa::path(get, path = "/api/v1/import-mappings/{source}", tag = "imports",
    params(("source" = String, Path, description = "The source's name, such as a file name")),
    responses((status = 200, description = "The saved mapping", body = ImportMapping),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No mapping is saved for this source", body = Problem, content_type = "application/problem+json")))]
async fn get_import_mapping(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(source): Path<String>,
) -> Result<Json<ImportMapping>, ApiError> {
    match state.app.saved_mapping(&caller, &source).await? {
        Some(mapping) => Ok(Json(mapping_body(&mapping))),
        None => Err(ApiError::App(AppError::NotFound("saved mapping"))),
    }
}

/// Saves (or replaces) the mapping for a source.
#[utoipa::path(put, path = "/api/v1/import-mappings/{source}", tag = "imports", request_body = ImportMapping,
    params(("source" = String, Path, description = "The source's name, such as a file name")),
    responses((status = 200, description = "Saved", body = ImportMapping),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit projects", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A field or value name is not known", body = Problem, content_type = "application/problem+json")))]
async fn put_import_mapping(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(source): Path<String>,
    JsonBody(body): JsonBody<ImportMapping>,
) -> Result<Json<ImportMapping>, ApiError> {
    let text = serde_json::to_string(&body).unwrap_or_default();
    let mapping = portfolio_app::import::MappingFile::parse("mapping.json", &text)
        .map_err(|e| ApiError::App(AppError::Validation(ValidationErrors::single("mapping", e))))?;
    state.app.save_mapping(&caller, &source, &mapping).await?;
    Ok(Json(mapping_body(&mapping)))
}
