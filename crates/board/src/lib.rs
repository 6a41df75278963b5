//! The co-browse board of one session, without I/O: images, annotations on them or on a shared
//! screen, the view the expert leads, and everyone's undo and redo.
//!
//! Contract:
//! - [`handle`] checks one participant's [`BoardOp`] against the board as it is and what they
//!   may do ([`Access`]), and returns the one [`BoardEvent`] it makes, or a typed
//!   [`BoardError`] (which becomes an [`ApiError`](instant_share_protocol::ApiError) with a
//!   stable code). It changes nothing. [`add_image`] does the same for an image the host has
//!   stored (images arrive over HTTP, not as operations).
//! - [`apply`] is the one definition of what an event does to a [`BoardState`]. The host
//!   applies each event it makes, in order, and sends it as a session event (sequenced, stored,
//!   replayed on resume); clients apply the same events in the same order, so every client's
//!   board equals the host's (property-tested in `tests/`, with disconnects and resumes).
//! - Erasing, clearing and removing hide; a hidden annotation or image stays while someone can
//!   still undo the step that hid it (or redo the step that showed it), then [`apply`] drops it.
//!   What to draw is [`visible_annotations`] and [`visible_images`].
//! - Pointers are not board state: they are validated here ([`check_pointer`]) and passed on
//!   as they move, never stored.
#![deny(missing_docs)]

mod apply;
mod error;
mod handle;

pub use apply::{apply, visible_annotations, visible_images};
pub use error::BoardError;
pub use handle::{add_image, check_pointer, handle, Access};
