//! API routes for scoring.

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
