//! Errors of the client, one enum for the whole crate (it has one area: talking to the host).

use instant_share_protocol::{ApiError, ErrorCode};

/// What went wrong while talking to the host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The host address is not one this client can use.
    #[error("invalid host address: {0}")]
    InvalidUrl(String),
    /// The host did not answer: no connection, or no answer in time.
    #[error("the help host did not answer: {0}")]
    Unreachable(String),
    /// The host refused the request and said why.
    #[error("{0}")]
    Api(ApiError),
    /// The host answered something this client does not understand.
    #[error("unexpected answer from the help host: {0}")]
    Protocol(String),
    /// The session task has stopped; the handle can no longer reach it.
    #[error("the session connection is closed")]
    Closed,
}

impl ClientError {
    /// The error as it crosses the app's IPC boundary: a stable code and a plain sentence.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            ClientError::InvalidUrl(why) => ApiError::new(
                ErrorCode::BadRequest,
                format!("That host address does not work: {why}."),
            ),
            ClientError::Unreachable(_) => ApiError::new(
                ErrorCode::HostUnreachable,
                "The help host did not answer. Check the network connection and the host address.",
            ),
            ClientError::Api(e) => e.clone(),
            ClientError::Protocol(_) => ApiError::new(
                ErrorCode::Internal,
                "The help host gave an answer this app does not understand. Is the address right?",
            ),
            ClientError::Closed => ApiError::new(
                ErrorCode::Conflict,
                "There is no connection to the session any more.",
            ),
        }
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        e.to_api_error()
    }
}
