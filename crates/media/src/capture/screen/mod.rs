//! The screen, one window of it, and screenshots, behind one interface (`start`, `screenshot`,
//! `list_windows`, `describe`) with one adapter file per platform:
//!
//! - Linux, chosen at run time from the session: Wayland (`XDG_SESSION_TYPE=wayland`, or
//!   `WAYLAND_DISPLAY` set) through the desktop's screen-sharing portal and PipeWire
//!   (`wayland.rs`); X11 reads the root window with `GetImage` (`x11.rs`). Not done: MIT-SHM on
//!   X11 (it needs shared memory mapped by unsafe code, which this crate denies; `GetImage` over
//!   the local socket costs ~4 MB a frame at 1280x800, fine at 15 fps).
//! - `desktop.rs`: Windows and macOS through `xcap`.
//! - `other.rs`: any other system, where each call says that screen capture is missing.
//!
//! Every adapter sends at most 15 frames a second, scaled down to the wanted width, as I420.

use super::CaptureError;

/// The screen is never captured faster than this: screen content changes in steps, and the
/// encoder's bits go further into sharpness than into motion.
const MAX_FPS: u32 = 15;

/// The frame rate a screen capture runs at: `fps` up to [`MAX_FPS`]; 0 is refused.
#[cfg_attr(
    not(any(target_os = "linux", target_os = "windows", target_os = "macos")),
    allow(dead_code)
)]
fn frame_rate(fps: u32) -> Result<u32, CaptureError> {
    if fps == 0 {
        return Err(CaptureError::InvalidConfig(
            "A screen share of 0 frames a second is not possible. Choose 1 to 15.".into(),
        ));
    }
    Ok(fps.min(MAX_FPS))
}

#[cfg(target_os = "linux")]
pub(super) use linux::{describe, list_windows, screenshot, start, system_picks_window};

#[cfg(any(target_os = "windows", target_os = "macos"))]
pub(super) use desktop::{describe, list_windows, screenshot, start};

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
pub(super) use other::{describe, list_windows, screenshot, start};

#[cfg(target_os = "linux")]
mod wayland;
#[cfg(target_os = "linux")]
mod x11;

#[cfg(any(target_os = "windows", target_os = "macos"))]
mod desktop;

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
mod other;

#[cfg(any(test, target_os = "windows", target_os = "macos"))]
mod newest;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_frame_rates_are_capped_and_zero_refused() {
        assert_eq!(frame_rate(1).unwrap(), 1);
        assert_eq!(frame_rate(15).unwrap(), 15);
        assert_eq!(frame_rate(60).unwrap(), MAX_FPS);
        let e = frame_rate(0).unwrap_err();
        assert!(e.to_string().contains("0 frames a second"), "{e}");
    }
}

/// Linux: Wayland or X11, by the session this process runs in.
#[cfg(target_os = "linux")]
mod linux {
    use super::super::paced::Worker;
    use super::super::{CaptureError, CapturedFrame, ScreenWindow, Screenshot};
    use super::{wayland, x11};

    /// Whether one window is chosen in the system's own dialog, not from [`list_windows`].
    pub(in crate::capture) fn system_picks_window() -> bool {
        wayland::in_session()
    }

    pub(in crate::capture) fn describe() -> Result<String, String> {
        if wayland::in_session() {
            wayland::describe()
        } else {
            x11::describe()
        }
    }

    pub(in crate::capture) fn screenshot(window: Option<u32>) -> Result<Screenshot, CaptureError> {
        if wayland::in_session() {
            wayland::screenshot(window)
        } else {
            x11::screenshot(window)
        }
    }

    pub(in crate::capture) fn list_windows() -> Result<Vec<ScreenWindow>, CaptureError> {
        if wayland::in_session() {
            wayland::list_windows()
        } else {
            x11::list_windows()
        }
    }

    pub(in crate::capture) fn start(
        fps: u32,
        max_width: usize,
        window: Option<u32>,
        on_frame: impl FnMut(CapturedFrame) + Send + 'static,
    ) -> Result<(Worker, String), CaptureError> {
        if wayland::in_session() {
            wayland::start(fps, max_width, window, on_frame)
        } else {
            x11::start(fps, max_width, window, on_frame)
        }
    }
}
