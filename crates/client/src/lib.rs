//! The requester's client of an Instant Share host, with no UI inside.
//!
//! Used by the desktop app (`src-tauri`) and, later, by the headless media peer.
//!
//! Contract:
//! - [`HostClient`] speaks the host's REST API (`/api/v1/topics`, `/api/v1/enrol`,
//!   `/api/v1/shares`). It accepts only `http` and `https` base addresses, connects within 5 s
//!   and gives up on a request after 15 s. Every failure is a [`ClientError`]: the host did not
//!   answer ([`ClientError::Unreachable`]), it refused with an [`ApiError`] body
//!   ([`ClientError::Api`]), or it answered something this client does not understand
//!   ([`ClientError::Protocol`]).
//! - [`SessionConnection::spawn`] runs one participant's session socket as a task and returns a
//!   [`SessionHandle`] plus a receiver of [`SessionEvent`]s. The task sends `hello` with the
//!   token, keeps a [`SessionSnapshot`] current ([`SessionTracker`]), applies each `seq` at most
//!   once, reconnects with capped exponential backoff and jitter (sending `last_seq`), resends
//!   chat messages the host has not echoed yet (same `client_msg_id`, so they are stored once),
//!   pings every 15 s, and stops after `ended`, a fatal error, [`SessionHandle::close`], or when
//!   the event receiver is dropped. It must be spawned inside a Tokio runtime.
//! - The meaning of a session event is defined once, in `instant_share_core::snapshot::apply`
//!   (re-exported here as [`apply`]); this crate adds sequencing and delivery around it.
//!
//! [`ApiError`]: instant_share_protocol::ApiError
//! [`SessionSnapshot`]: instant_share_protocol::SessionSnapshot

mod error;
mod http;
mod session;

pub use error::ClientError;
pub use http::{decode_reply, HostClient};
pub use instant_share_core::snapshot::apply;
/// The HTTP status [`decode_reply`] takes.
pub use reqwest::StatusCode;
pub use session::backoff::Backoff;
pub use session::tracker::{FrameOutcome, PendingChat, SessionTracker};
pub use session::{SessionConnection, SessionEvent, SessionHandle};

/// How long to wait for a TCP (and TLS) connection to the host.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long one HTTP request may take from start to the end of the answer.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// How often the session socket sends `ping`.
pub const PING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15);
