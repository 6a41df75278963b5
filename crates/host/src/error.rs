//! The one error type of the HTTP layer, turned into `{code, message}` responses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use instant_share_protocol::{ApiError, ErrorCode};

use crate::store::StoreError;

/// An error answered to an HTTP caller.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl HttpError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ApiError::new(code, message))
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        Self(e)
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
        SessionEnded => StatusCode::GONE,
        Conflict | ParticipantOffline | SkillMismatch => StatusCode::CONFLICT,
        MessageTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RateLimited => StatusCode::TOO_MANY_REQUESTS,
        // The app's own codes never come from the host; a 500 if one ever did.
        Internal | HostUnreachable | Keychain | PolicyInvalid | SetByPolicy
        | EnrolmentLinkRefused => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (status_of(self.0.code), Json(self.0)).into_response()
    }
}
