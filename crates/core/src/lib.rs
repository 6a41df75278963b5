//! The logic of Instant Share's help host, without I/O.
//!
//! Contract (in the manner of str0m): nothing here opens a socket, reads a clock or spawns a
//! task. The host feeds inputs with the current time (`now`), carries out what
//! [`Dispatcher::poll_output`] returns, and calls [`Dispatcher::handle_timeout`] at the instant
//! [`Dispatcher::poll_timeout`] names. Tests drive the same code on a virtual clock.
//!
//! - [`lifecycle`]: which status may follow which.
//! - [`snapshot`]: what each session event does to a session's state.
//! - [`Dispatcher`]: the queue of requests, the experts, offers and their timers, and the timers
//!   of live sessions (idle, maximum duration).
#![deny(missing_docs)]

mod dispatcher;
pub mod lifecycle;
pub mod snapshot;
mod wait;

pub use dispatcher::{
    Dispatcher, ExpertId, Output, Pickup, QueuedRequest, RoutingConfig, RoutingError, SessionKey,
    MAX_ASSISTANTS,
};
pub use wait::{DeskFigures, ExpertLoad};
