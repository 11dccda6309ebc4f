//! Request ids: every request carries one in `x-request-id`, on the way in
//! (to the handlers and the log span) and on the way out (to the client), so
//! a user can quote it and an operator find every log line of the request.
//!
//! An id sent by the client or a proxy is kept when it is a short token of
//! letters, digits, `-`, `_` and `.`; anything else (too long, control
//! characters, spaces) is replaced by a fresh one, so a caller cannot forge
//! log lines or bloat them.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};

/// The header carrying the id.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming id kept.
pub const MAX_LENGTH: usize = 64;

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled, for error pages and problem
/// documents; `None` outside a request.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Whether an incoming id is kept as it is.
pub fn is_acceptable(value: &[u8]) -> bool {
    !value.is_empty()
        && value.len() <= MAX_LENGTH
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Removes an incoming id that is not acceptable, so a fresh one is made.
pub async fn drop_unacceptable(mut request: Request, next: Next) -> Response {
    let unacceptable = request.headers().get_all(&HEADER).iter().count() > 1
        || request
            .headers()
            .get(&HEADER)
            .is_some_and(|v| !is_acceptable(v.as_bytes()));
    if unacceptable {
        request.headers_mut().remove(&HEADER);
    }
    next.run(request).await
}

/// Makes the request's id known to the code handling it (see [`current`]).
pub async fn scope(request: Request, next: Next) -> Response {
    let id = of(&request);
    CURRENT.scope(id, next.run(request)).await
}

/// The request's id as set by the layers (empty if none, which they prevent).
pub fn of<B>(request: &axum::http::Request<B>) -> String {
    request
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Fresh ids: 16 random hexadecimal digits.
#[derive(Clone, Copy, Default)]
pub struct RandomId;

impl MakeRequestId for RandomId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tokens_are_kept_and_anything_else_refused() {
        assert!(is_acceptable(b"abc-123_X.y"));
        assert!(is_acceptable(&[b'a'; MAX_LENGTH]));
        assert!(!is_acceptable(&[b'a'; MAX_LENGTH + 1]));
        assert!(!is_acceptable(b""));
        assert!(!is_acceptable(b"has space"));
        assert!(!is_acceptable(b"line\nbreak"));
        assert!(!is_acceptable(b"tab\there"));
        assert!(!is_acceptable("caf\u{e9}".as_bytes()));
    }
}
