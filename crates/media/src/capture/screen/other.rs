//! Where no screen capture is built yet: each call says what is missing.

use super::super::paced::Worker;
use super::super::{CaptureError, CapturedFrame};

fn missing() -> String {
    let os = match std::env::consts::OS {
        "windows" => "Windows",
        "macos" => "macOS",
        other => other,
    };
    format!(
        "Screen sharing on {os} is not available yet: only Linux with X11 is supported. \
         Share a camera or a video file instead."
    )
}

/// The screen that can be shared, or why there is none.
pub(in crate::capture) fn describe() -> Result<String, String> {
    Err(missing())
}

/// One picture of the screen or of one window.
pub(in crate::capture) fn screenshot(
    _window: Option<u32>,
) -> Result<super::super::Screenshot, CaptureError> {
    Err(CaptureError::Unsupported(missing()))
}

/// The windows that a screenshot can show.
pub(in crate::capture) fn list_windows() -> Result<Vec<super::super::ScreenWindow>, CaptureError> {
    Err(CaptureError::Unsupported(missing()))
}

/// Starts capturing the screen.
pub(in crate::capture) fn start(
    _fps: u32,
    _max_width: usize,
    _window: Option<u32>,
    _on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    Err(CaptureError::Unsupported(missing()))
}
