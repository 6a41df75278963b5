//! The one error shape used at the HTTP and WebSocket boundary.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// A stable, machine-readable error code. Clients match on this, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or message did not parse or failed validation.
    BadRequest,
    /// No credential, or one the host does not know.
    Unauthenticated,
    /// The device credential was revoked by an administrator.
    DeviceRevoked,
    /// The enrolment code does not exist or has expired.
    EnrolmentCodeInvalid,
    /// The enrolment code was already used.
    EnrolmentCodeUsed,
    /// Wrong username or password.
    BadCredentials,
    /// The caller is known but may not do this.
    Forbidden,
    /// The thing asked for does not exist (or the caller may not know that it does).
    NotFound,
    /// The session has ended; nothing more can happen in it.
    SessionEnded,
    /// The action does not fit the current state (accepting an offer that was withdrawn, …).
    Conflict,
    /// The participant a message is for has no socket open now (try again when they are back).
    ParticipantOffline,
    /// A message was larger than [`crate::MAX_WS_MESSAGE_BYTES`].
    MessageTooLarge,
    /// Too many messages or requests in a short time.
    RateLimited,
    /// The first WebSocket message was not a `hello`, or a second `hello` came.
    HelloExpected,
    /// The client speaks another protocol version.
    UnsupportedVersion,
    /// The topic is not one the host routes.
    UnknownTopic,
    /// An expert tried to take a request outside their skills without saying they override.
    SkillMismatch,
    /// A request came from another site (CSRF protection), or a `POST` whose body is not
    /// `application/json` (what another site's form could send).
    CrossSite,
    /// The address does not take this HTTP method (the `Allow` header lists those it takes).
    MethodNotAllowed,
    /// The host is too busy to do this now (every password check is taken); try again after
    /// the `Retry-After` seconds.
    Busy,
    /// A quota of the device or the session is used up (the message says which); HTTP 429.
    QuotaExceeded,
    /// The host's space for kept pictures is used up; the operator must make room.
    StorageFull,
    /// Something failed inside the host; the operator's log has the details.
    Internal,
    /// App only: the host did not answer (network down, wrong address, host stopped).
    HostUnreachable,
    /// App only: the OS keychain could not be read or written.
    Keychain,
    /// App only: the IT department's policy file exists but cannot be used (the message says
    /// which file and why); until IT fixes it the app does not enrol, since it cannot tell which
    /// host IT allows.
    PolicyInvalid,
    /// App only: the IT department's policy sets this and locks it; the app may not change it.
    SetByPolicy,
    /// App only: an enrolment link that is not one, or that cannot be used now (the message
    /// says why).
    EnrolmentLinkRefused,
}

/// An error as it crosses a boundary: `{ "code": "...", "message": "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ApiError {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({:?})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}
