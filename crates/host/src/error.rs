//! The one error type of the HTTP layer, turned into `{code, message}` responses.

use std::time::Duration;

use axum::http::header::RETRY_AFTER;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use instant_share_protocol::{ApiError, ErrorCode};

use crate::store::StoreError;

/// An error answered to an HTTP caller, and, for refusals that pass, when to try again.
#[derive(Debug)]
pub struct HttpError(pub ApiError, pub Option<Duration>);

impl HttpError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ApiError::new(code, message), None)
    }

    /// The same error, with a `Retry-After` of `after` (rounded up to whole seconds).
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.1 = Some(after);
        self
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        Self(e, None)
    }
}

impl From<instant_share_protocol::text::TextError> for HttpError {
    fn from(e: instant_share_protocol::text::TextError) -> Self {
        Self(e.into(), None)
    }
}

impl From<StoreError> for HttpError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failed");
        Self::new(
            ErrorCode::Internal,
            "the host could not read or write its records; try again",
        )
    }
}

/// The HTTP status for an error code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        BadRequest | UnknownTopic | HelloExpected | UnsupportedVersion => StatusCode::BAD_REQUEST,
        Unauthenticated | DeviceRevoked | EnrolmentCodeInvalid | EnrolmentCodeUsed
        | BadCredentials => StatusCode::UNAUTHORIZED,
        Forbidden | CrossSite => StatusCode::FORBIDDEN,
        NotFound => StatusCode::NOT_FOUND,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        SessionEnded => StatusCode::GONE,
        Conflict | ParticipantOffline | SkillMismatch => StatusCode::CONFLICT,
        MessageTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RateLimited | QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        Busy => StatusCode::SERVICE_UNAVAILABLE,
        StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        // The app's own codes never come from the host; a 500 if one ever did.
        Internal | HostUnreachable | Keychain | PolicyInvalid | SetByPolicy
        | EnrolmentLinkRefused => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = status_of(self.0.code);
        match self.1 {
            Some(after) => {
                let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
                (status, [(RETRY_AFTER, secs.max(1))], Json(self.0)).into_response()
            }
            None => (status, Json(self.0)).into_response(),
        }
    }
}

/// The code of an error answered with `status` by something other than our handlers (axum's
/// routing and extractors, the file services).
fn code_of(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::Conflict,
        410 => ErrorCode::SessionEnded,
        413 => ErrorCode::MessageTooLarge,
        429 => ErrorCode::RateLimited,
        400..=499 => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    }
}

/// The longest body of a plain error that is kept as its message.
const MAX_PLAIN_ERROR: usize = 4 * 1024;

/// Every error is `{code, message}`, as the contract says: errors that axum itself answers (an
/// unknown address, a method the address does not take, a query or path that does not parse,
/// a body over the limit) and the file services' (a missing file, a range outside it) come as
/// plain text or with no body at all; this rewrites them, keeping the status and the headers
/// (`Allow`, `Content-Range`). Our own errors are JSON already and pass unchanged.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = req.method().clone();
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_PLAIN_ERROR)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if !text.is_empty() {
        text
    } else {
        match status.as_u16() {
            404 => "there is nothing at this address".to_owned(),
            405 => format!("this address does not take {method} requests"),
            416 => "the range asked for is outside the file".to_owned(),
            _ => status
                .canonical_reason()
                .unwrap_or("the request failed")
                .to_owned(),
        }
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::CONTENT_TYPE);
    let mut response = Json(ApiError::new(code_of(status), message)).into_response();
    *response.status_mut() = status;
    for (name, value) in parts.headers.iter() {
        response
            .headers_mut()
            .entry(name)
            .or_insert_with(|| value.clone());
    }
    response
}
