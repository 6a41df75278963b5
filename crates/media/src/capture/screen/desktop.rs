//! Windows and macOS: the screen and its windows through the `xcap` crate.
//!
//! - Windows: Windows.Graphics.Capture (xcap's `wgc` feature) for the live screen, for
//!   screenshots and for one window (WGC reads a window's own surface, so a window in front of it
//!   does not show, unlike X11).
//! - macOS: CoreGraphics for screenshots and windows, AVFoundation's screen input for the live
//!   screen; the first capture makes macOS ask for the Screen Recording permission.
//!
//! The live screen comes from xcap's video recorder, which hands over RGBA frames as the screen
//! changes (nothing while it is still); [`Newest`] keeps the latest and the pacer sends it at
//! most `fps` times a second, repeating the last picture once a second when nothing moves so
//! that the far side always has a recent keyframe source. One window is read each tick, like X11.
//!
//! Written against xcap 0.9's API and checked (`cargo check`, clippy) for
//! `x86_64-pc-windows-gnu` on Linux; it has not run on Windows or macOS here (no such machine):
//! the release workflow's Windows and macOS runners build and test it.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use xcap::{Monitor, Window, XCapError};

use super::super::convert::{packed_to_i420_scaled, Packed};
use super::super::paced::{fail, unix_micros, Pacer, Worker};
use super::super::{CaptureError, CapturedFrame, Frame, ScreenWindow, Screenshot};
use super::newest::Newest;

/// A window smaller than this either way is not offered (tool tips, hidden helper windows).
const MIN_WINDOW: u32 = 32;

/// With a still screen, the last picture is sent again this often.
const REPEAT_STILL: Duration = Duration::from_secs(1);

/// A sentence for an xcap failure on `what` ("the screen", "window …"), with the one hint that
/// helps on macOS, where a refused Screen Recording permission is the usual cause.
fn failed(what: &str, e: &XCapError) -> CaptureError {
    let mut reason = e.to_string();
    if cfg!(target_os = "macos") {
        reason.push_str(
            " (if macOS has not allowed it yet: System Settings › Privacy & Security › Screen \
             & System Audio Recording, turn on Instant Share, then open it again)",
        );
    }
    CaptureError::DeviceFailed {
        device: what.into(),
        reason,
    }
}

/// The main monitor (the first one if none says it is the main one).
fn main_monitor() -> Result<Monitor, CaptureError> {
    let monitors = Monitor::all().map_err(|e| failed("screen", &e))?;
    let mut first = None;
    for monitor in monitors {
        if monitor.is_primary().unwrap_or(false) {
            return Ok(monitor);
        }
        first.get_or_insert(monitor);
    }
    first.ok_or_else(|| CaptureError::DeviceFailed {
        device: "screen".into(),
        reason: "the system lists no monitor in this session".into(),
    })
}

/// "DISPLAY1 (2560x1440)".
fn monitor_name(monitor: &Monitor) -> String {
    let name = monitor
        .friendly_name()
        .or_else(|_| monitor.name())
        .unwrap_or_else(|_| "Screen".into());
    match (monitor.width(), monitor.height()) {
        (Ok(w), Ok(h)) => format!("{name} ({w}x{h})"),
        _ => name,
    }
}

/// The window with the system's id `id`, if it is still open.
fn find_window(id: u32) -> Result<Window, CaptureError> {
    let windows = Window::all().map_err(|e| failed("list of windows", &e))?;
    windows
        .into_iter()
        .find(|w| w.id().ok() == Some(id))
        .ok_or(CaptureError::WindowGone)
}

/// RGBA bytes to a screenshot's RGB.
fn rgba_to_screenshot(width: u32, height: u32, rgba: &[u8]) -> Screenshot {
    let rgb = rgba
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect();
    Screenshot {
        width: width as usize,
        height: height as usize,
        rgb,
    }
}

/// One picture of the main screen, or of one window.
pub(in crate::capture) fn screenshot(window: Option<u32>) -> Result<Screenshot, CaptureError> {
    let image = match window {
        None => main_monitor()?
            .capture_image()
            .map_err(|e| failed("screen", &e))?,
        Some(id) => {
            let window = find_window(id)?;
            if window.is_minimized().unwrap_or(false) {
                return Err(CaptureError::WindowGone);
            }
            window
                .capture_image()
                .map_err(|e| failed(&format!("window {id}"), &e))?
        }
    };
    Ok(rgba_to_screenshot(
        image.width(),
        image.height(),
        image.as_raw(),
    ))
}

/// The windows on the screen with a title, topmost first; minimised and tiny ones, and this
/// process's own (the app's window and its sharing bar), are left out.
pub(in crate::capture) fn list_windows() -> Result<Vec<ScreenWindow>, CaptureError> {
    let windows = Window::all().map_err(|e| failed("list of windows", &e))?;
    let own = std::process::id();
    let mut listed: Vec<(i32, ScreenWindow)> = windows
        .iter()
        .filter_map(|w| {
            if w.pid().ok()? == own {
                return None;
            }
            let title = w.title().ok()?;
            let (width, height) = (w.width().ok()?, w.height().ok()?);
            if title.trim().is_empty()
                || w.is_minimized().unwrap_or(true)
                || width < MIN_WINDOW
                || height < MIN_WINDOW
            {
                return None;
            }
            let listed = ScreenWindow {
                id: w.id().ok()?,
                title,
                x: w.x().ok()?.max(0) as u32,
                y: w.y().ok()?.max(0) as u32,
                width,
                height,
            };
            Some((w.z().unwrap_or(0), listed))
        })
        .collect();
    // xcap's z: the higher, the nearer the front.
    listed.sort_by_key(|(z, _)| std::cmp::Reverse(*z));
    Ok(listed.into_iter().map(|(_, w)| w).collect())
}

/// The screen that can be shared, or a sentence saying why there is none.
pub(in crate::capture) fn describe() -> Result<String, String> {
    main_monitor()
        .map(|m| monitor_name(&m))
        .map_err(|e| e.to_string())
}

/// A frame of RGBA pixels to I420 scaled to `max_width`.
fn to_frame(width: u32, height: u32, rgba: &[u8], max_width: usize) -> Option<Frame> {
    let (w, h) = (width as usize, height as usize);
    packed_to_i420_scaled(rgba, Packed::Rgbx, w, h, w * 4, max_width)
}

/// Starts capturing the main screen, or one window.
pub(in crate::capture) fn start(
    fps: u32,
    max_width: usize,
    window: Option<u32>,
    on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let fps = super::frame_rate(fps)?;
    match window {
        None => start_screen(fps, max_width, on_frame),
        Some(id) => start_window(id, fps, max_width, on_frame),
    }
}

/// The live main screen through xcap's recorder.
fn start_screen(
    fps: u32,
    max_width: usize,
    mut on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let monitor = main_monitor()?;
    let name = monitor_name(&monitor);
    let (recorder, frames): (_, Receiver<xcap::Frame>) =
        monitor.video_recorder().map_err(|e| failed("screen", &e))?;
    recorder.start().map_err(|e| failed("screen", &e))?;
    let description = format!("screen {name} at {fps} fps");
    let worker = Worker::spawn("capture-screen", move |stop, failure| {
        let start = Instant::now();
        let pacer = Pacer::new(start, fps);
        let mut newest = Newest::new(REPEAT_STILL);
        let mut tick = 1;
        while !stop.is_set() {
            // The recorder's channel may be a rendezvous: it is read all the time, keeping only
            // the newest picture, and the pacer's tick decides when that picture goes out.
            let due = pacer.at(tick);
            match frames.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(picture) => {
                    newest.put(picture, Instant::now());
                    continue;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = recorder.stop();
                    return fail(
                        &failure,
                        CaptureError::SharingEnded("the screen recorder stopped".into()),
                    );
                }
            }
            let now = Instant::now();
            // A late tick is skipped, not bunched.
            while pacer.at(tick) <= now {
                tick += 1;
            }
            let Some((picture, at)) = newest.take(now) else {
                continue;
            };
            match to_frame(picture.width, picture.height, &picture.raw, max_width) {
                Some(frame) => on_frame(CapturedFrame {
                    frame,
                    captured_at: at,
                    captured_unix_micros: unix_micros(at),
                }),
                None => tracing::warn!(
                    width = picture.width,
                    height = picture.height,
                    bytes = picture.raw.len(),
                    "a screen frame too small for its size was left out"
                ),
            }
        }
        if let Err(e) = recorder.stop() {
            tracing::warn!(error = %e, "stopping the screen recorder failed");
        }
    })?;
    Ok((worker, description))
}

/// One window, read each tick; the share ends with [`CaptureError::WindowGone`] when it closes.
fn start_window(
    id: u32,
    fps: u32,
    max_width: usize,
    mut on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let window = find_window(id)?;
    let title = window.title().unwrap_or_default();
    let grab = move |window: &Window| -> Result<Option<Frame>, CaptureError> {
        if window.is_minimized().unwrap_or(false) {
            // A minimised window shows nothing: keep the last picture on the far side.
            return Ok(None);
        }
        let image = window
            .capture_image()
            .map_err(|_| CaptureError::WindowGone)?;
        Ok(to_frame(
            image.width(),
            image.height(),
            image.as_raw(),
            max_width,
        ))
    };
    // Fail now, not on the thread, if the first picture cannot be read.
    grab(&window)?;
    let description = format!("window \"{title}\" at {fps} fps");
    let worker = Worker::spawn("capture-window", move |stop, failure| {
        let mut pacer = Pacer::new(Instant::now(), fps);
        let allowance = Duration::from_millis(500) / fps;
        while pacer.wait(&stop, allowance).is_some() {
            let at = Instant::now();
            match grab(&window) {
                Ok(Some(frame)) => on_frame(CapturedFrame {
                    frame,
                    captured_at: at,
                    captured_unix_micros: unix_micros(at),
                }),
                Ok(None) => {}
                Err(e) => return fail(&failure, e),
            }
        }
    })?;
    Ok((worker, description))
}
