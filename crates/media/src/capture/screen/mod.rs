//! The whole screen, X11 only for now: a `GetImage` of the root window each tick (at most 15 a
//! second), scaled down to the wanted width and converted to I420.
//!
//! Not done: MIT-SHM (it needs shared memory mapped by unsafe code, which this crate denies;
//! `GetImage` over the local socket costs ~4 MB a frame at 1280x800, fine at 15 fps), and the
//! Wayland, Windows and macOS capture APIs, for which [`start`] says what is missing.

#[cfg(target_os = "linux")]
pub(super) use x11::{describe, list_windows, screenshot, start};

#[cfg(not(target_os = "linux"))]
pub(super) use other::{describe, list_windows, screenshot, start};

#[cfg(target_os = "linux")]
mod x11;

#[cfg(not(target_os = "linux"))]
mod other;
