//! The Instant Share wire protocol, defined once.
//!
//! Contract:
//! - Every REST body and every WebSocket message between the app, the host, the expert console
//!   and the co-browse site is a type in this crate. Nothing else crosses the wire.
//! - Messages are `#[serde(tag = "type")]` enums with `snake_case` tags. Adding a variant or an
//!   optional field is compatible; anything else bumps [`PROTOCOL_VERSION`].
//! - The TypeScript in `ui/src/generated/protocol.ts` is generated from these types by
//!   [`typescript::render`] and committed; `cargo test -p instant-share-protocol` fails when the
//!   committed file drifts (`UPDATE_GENERATED=1` rewrites it).
//! - Errors at every boundary are [`ApiError`]: a stable machine-readable [`ErrorCode`] and a
//!   sentence for people.
//! - Text people type is checked and normalised by one rule, [`text::TextRule`].
#![deny(missing_docs)]

mod app;
mod board;
mod error;
pub mod link;
mod rest;
pub mod text;
pub mod typescript;
mod ws;

pub use app::*;
pub use board::*;
pub use error::{ApiError, ErrorCode};
pub use rest::*;
pub use ws::*;

/// The protocol version. A client sends it in [`ClientMessage::Hello`]; the host refuses others.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest WebSocket text message the host accepts, in bytes.
pub const MAX_WS_MESSAGE_BYTES: usize = 16 * 1024;

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2_000;

/// Most queue entries a console is sent; the rest are counted, not listed.
pub const MAX_CONSOLE_QUEUE: usize = 50;

/// Longest note on a share request, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Longest SDP in a [`Signal`], in bytes (a browser's offer with three tracks is ~6 KiB).
pub const MAX_SDP_BYTES: usize = 12 * 1024;

/// Longest ICE candidate line in a [`Signal`], in bytes.
pub const MAX_CANDIDATE_BYTES: usize = 1024;
