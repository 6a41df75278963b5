//! The screen, one window of it, and screenshots, behind one interface (`start`, `screenshot`,
//! `list_windows`, `describe`) with one adapter file per platform:
//!
//! - `x11.rs`: Linux with X11, a `GetImage` of the root window each tick. Not done: MIT-SHM (it
//!   needs shared memory mapped by unsafe code, which this crate denies; `GetImage` over the
//!   local socket costs ~4 MB a frame at 1280x800, fine at 15 fps).
//! - `desktop.rs`: Windows and macOS through `xcap`.
//! - `other.rs`: any other system, where each call says that screen capture is missing.
//!
//! Every adapter sends at most 15 frames a second, scaled down to the wanted width, as I420.

#[cfg(target_os = "linux")]
pub(super) use x11::{describe, list_windows, screenshot, start};

#[cfg(any(target_os = "windows", target_os = "macos"))]
pub(super) use desktop::{describe, list_windows, screenshot, start};

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
pub(super) use other::{describe, list_windows, screenshot, start};

#[cfg(target_os = "linux")]
mod x11;

#[cfg(any(target_os = "windows", target_os = "macos"))]
mod desktop;

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
mod other;

#[cfg(any(test, target_os = "windows", target_os = "macos"))]
mod newest;
