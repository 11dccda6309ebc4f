//! API routes for the RAID register: items (risks, assumptions, issues and
//! dependencies alike, told apart by `kind`), the 5×5 heat map, the
//! escalated risks, and the organisation's scale words.
//!
//! Items are created with POST and updated with PUT and `If-Match`; a stale
//! one gets 412. The scale words exist before they are stored (the
//! defaults, ETag `"v0"`), so their first PUT may send `If-Match: "v0"` or
//! none.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use portfolio_app::raid::today;
use portfolio_app::AppError;
use portfolio_domain::raid::{
    RaidDraft, RaidItem, RaidQuery, RiskHeatMap, RiskScales, RiskScalesDraft,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::capacity::{if_match_or_new, with_etag};
use super::{if_match, JsonBody};
use crate::error::{ApiError, Problem};
use crate::session::ApiCaller;
use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_items, create_item))
        .routes(routes!(get_item, update_item))
        .routes(routes!(heat_map))
        .routes(routes!(escalated))
        .routes(routes!(get_scales, put_scales))
}

/// An item as the API sends it: with its reference, whether its review is
/// overdue, and what is allowed but worth a second look.
#[derive(Serialize, ToSchema)]
pub struct RaidItemView {
    #[serde(flatten)]
    item: RaidItem,
    /// "R12", "I3": the kind's letter and the id.
    reference: String,
    /// Open, with a review date before today.
    review_overdue: bool,
    /// E.g. a target score above the current one.
    warnings: Vec<String>,
}

fn view(item: RaidItem) -> RaidItemView {
    RaidItemView {
        reference: item.reference(),
        review_overdue: item.review_overdue(today()),
        warnings: item.warnings(),
        item,
    }
}

/// The register under the filters.
#[derive(Serialize, ToSchema)]
pub struct RaidItemList {
    items: Vec<RaidItemView>,
    /// Items matching the filters.
    total: usize,
    /// Of those, how many have an overdue review.
    overdue: usize,
}

fn item_id(id: &str) -> Result<i64, ApiError> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::App(AppError::NotFound("RAID item")))
}

#[utoipa::path(get, path = "/api/v1/raid-items", tag = "raid", params(RaidQuery),
    responses((status = 200, description = "RAID items matching the filters (open ones unless status says otherwise), oldest first", body = RaidItemList),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json")))]
async fn list_items(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<RaidQuery>,
) -> Result<Json<RaidItemList>, ApiError> {
    let register = state.app.raid_register(&caller, &query).await?;
    let overdue = register.overdue();
    let items: Vec<RaidItemView> = register.items.into_iter().map(view).collect();
    Ok(Json(RaidItemList {
        total: items.len(),
        overdue,
        items,
    }))
}

#[utoipa::path(post, path = "/api/v1/raid-items", tag = "raid", request_body = RaidDraft,
    responses((status = 201, description = "Created; ETag carries the version", body = RaidItemView),
              (status = 400, description = "The body is not the JSON expected", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit the register (viewers and department leads read it)", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid: each is named (a likelihood of 6, an owner who is not a user…)", body = Problem, content_type = "application/problem+json")))]
async fn create_item(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(draft): JsonBody<RaidDraft>,
) -> Result<Response, ApiError> {
    let item = state.app.create_raid_item(&caller, &draft).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/raid-items/{}", item.id)).ok();
    let mut response = with_etag(StatusCode::CREATED, item.version, view(item));
    if let Some(l) = location {
        response.headers_mut().insert(header::LOCATION, l);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/raid-items/{id}", tag = "raid",
    params(("id" = i64, Path, description = "The item's id (the number in R12)")),
    responses((status = 200, description = "The item; ETag carries the version", body = RaidItemView),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json")))]
async fn get_item(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let item = state.app.raid_item(&caller, item_id(&id)?).await?;
    Ok(with_etag(StatusCode::OK, item.version, view(item)))
}

#[utoipa::path(put, path = "/api/v1/raid-items/{id}", tag = "raid", request_body = RaidDraft,
    params(("id" = i64, Path, description = "The item's id"), ("If-Match" = String, Header, description = "ETag of the version you read, e.g. \"v3\"")),
    responses((status = 200, description = "Updated; ETag carries the new version", body = RaidItemView),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "The caller's role cannot edit the register", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Some values are not valid (the kind cannot change)", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
async fn update_item(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<RaidDraft>,
) -> Result<Response, ApiError> {
    let id = item_id(&id)?;
    let version = if_match(&headers)?;
    let item = state
        .app
        .update_raid_item(&caller, id, version, &draft)
        .await?;
    Ok(with_etag(StatusCode::OK, item.version, view(item)))
}

#[utoipa::path(get, path = "/api/v1/raid-heat-map", tag = "raid", params(RaidQuery),
    responses((status = 200, description = "The open risks matching the filters counted on the 5×5 matrix by current and target score; rows from likelihood 5 to 1, impact 1 to 5", body = RiskHeatMap),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json")))]
async fn heat_map(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(query): Query<RaidQuery>,
) -> Result<Json<RiskHeatMap>, ApiError> {
    Ok(Json(
        state.app.raid_register(&caller, &query).await?.heat_map,
    ))
}

#[utoipa::path(get, path = "/api/v1/escalated-risks", tag = "raid",
    responses((status = 200, description = "Open risks escalated to the board, highest current score first", body = Vec<RaidItemView>),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn escalated(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<RaidItemView>>, ApiError> {
    let risks = state.app.escalated_risks(&caller).await?;
    Ok(Json(risks.into_iter().map(view).collect()))
}

#[utoipa::path(get, path = "/api/v1/risk-scales", tag = "raid",
    responses((status = 200, description = "The words of the likelihood and impact scales (version 0: the defaults); ETag carries the version", body = RiskScales),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
async fn get_scales(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Response, ApiError> {
    let scales = state.app.risk_scales(&caller).await?;
    Ok(with_etag(StatusCode::OK, scales.version, &scales))
}

#[utoipa::path(put, path = "/api/v1/risk-scales", tag = "raid", request_body = RiskScalesDraft,
    params(("If-Match" = Option<String>, Header, description = "ETag of the version you read; \"v0\" or none while the defaults apply")),
    responses((status = 200, description = "Stored; ETag carries the new version", body = RiskScales),
              (status = 400, description = "The body or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Only administrators set the scales", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Changed by someone else since you read it", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Not five words for each scale", body = Problem, content_type = "application/problem+json")))]
async fn put_scales(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    JsonBody(draft): JsonBody<RiskScalesDraft>,
) -> Result<Response, ApiError> {
    let version = if_match_or_new(&headers)?;
    let scales = state.app.put_risk_scales(&caller, version, &draft).await?;
    Ok(with_etag(StatusCode::OK, scales.version, &scales))
}
