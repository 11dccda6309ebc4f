//! API routes for capacity.

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
