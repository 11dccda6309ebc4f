//! Pages for capacity.

use axum::Router;

use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
}
