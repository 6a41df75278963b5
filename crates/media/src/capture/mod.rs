//! Capture and playback: cameras, microphones, the screen and speakers, plus the synthetic and
//! file sources and sinks that stand in for them in tests and on machines without devices.
//!
//! Contract:
//! - [`start_video`] captures on a thread of its own and calls `on_frame` there with I420
//!   [`Frame`]s (even sides) and their capture time. Synthetic and file sources tick at exact
//!   multiples of the frame interval from the start; a tick that is already late is skipped,
//!   not bunched.
//! - [`start_audio`] delivers 20 ms blocks of 960 mono `i16` samples at 48 kHz (one Opus frame)
//!   with the capture time of the block's first sample, whatever the device's own format.
//! - [`start_audio_output`] plays 48 kHz mono: [`AudioOutput::push`] never blocks.
//! - Dropping a [`VideoCapture`] or [`AudioCapture`] stops its thread and waits for it.
//! - Every [`CaptureError`] reads as a sentence a user can act on, and has a stable
//!   [`CaptureError::code`] for the UI.

mod audio_device;
mod camera;
// Only the Linux screen (X11 and Wayland) scales BGRX pictures; elsewhere that part is unused.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
mod convert;
pub use convert::i420_to_rgb;
mod microphone;
mod paced;
mod permission;
pub use permission::keep_screen_permission;
mod resample;
mod screen;
mod sources;
mod speaker;

use std::path::PathBuf;
use std::time::Instant;

pub use crate::synthetic::Frame;
pub use speaker::{AudioOutput, OutputStats};

use paced::Worker;

/// What to capture video from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VideoSourceConfig {
    /// A camera, at the closest format it offers to the one asked for.
    Camera {
        /// An id from [`list_devices`]; `None` is the first camera that opens.
        device: Option<String>,
        /// Wanted width in pixels.
        width: u32,
        /// Wanted height in pixels.
        height: u32,
        /// Wanted frames a second; faster cameras are thinned to this.
        fps: u32,
    },
    /// The whole screen, or one window as it shows on it (X11, or Wayland through the
    /// desktop's screen-sharing portal, on Linux).
    Screen {
        /// Frames a second, capped at 15.
        fps: u32,
        /// Scaled down to fit this width (keeping the aspect ratio, even sides); 0: no limit.
        max_width: u32,
        /// One window (an id from [`list_windows`]), followed as it moves and resizes; the
        /// capture stops with [`CaptureError::WindowGone`] when it closes. `None`: the screen.
        /// Where [`system_picks_window`] is true (Wayland), the system's own dialog asks which
        /// window and the id is not used (pass 0).
        #[serde(default)]
        window: Option<u32>,
    },
    /// [`crate::synthetic::TestPattern`], its frame number stamped in the pixels.
    Pattern {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Frames a second.
        fps: u32,
    },
    /// A Y4M file (4:2:0, 8-bit).
    File {
        /// The file.
        path: PathBuf,
        /// Frames a second; 0: the file's own rate.
        fps: u32,
        /// Start again at the end instead of stopping.
        looped: bool,
    },
}

/// What to capture audio from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AudioSourceConfig {
    /// A microphone.
    Microphone {
        /// An id from [`list_devices`]; `None` is the system's default, else the first that
        /// opens.
        device: Option<String>,
    },
    /// [`crate::synthetic::Tone`] at 48 kHz: a sine with a click at the start of every second.
    Tone {
        /// The sine's frequency in Hz.
        frequency: f64,
    },
    /// A 16-bit PCM WAV file, mixed to mono and resampled to 48 kHz.
    File {
        /// The file.
        path: PathBuf,
        /// Start again at the end instead of stopping.
        looped: bool,
    },
}

/// Where received audio goes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AudioSinkConfig {
    /// Speakers or headphones.
    Speaker {
        /// An id from [`list_devices`]; `None` is the system's default.
        device: Option<String>,
    },
    /// A 16-bit mono 48 kHz WAV file, valid once [`AudioOutput::finish`] ran or the output
    /// was dropped.
    Wav {
        /// The file (created or truncated).
        path: PathBuf,
    },
    /// Nowhere.
    Discard,
}

/// A captured video frame and when it was captured.
#[derive(Debug, Clone)]
pub struct CapturedFrame {
    /// The picture.
    pub frame: Frame,
    /// When it was captured (for synthetic and file sources: its tick).
    pub captured_at: Instant,
    /// The same moment by the wall clock, in microseconds since the Unix epoch.
    pub captured_unix_micros: u64,
}

/// A device that can be chosen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceInfo {
    /// What to pass back as `device` in a config.
    pub id: String,
    /// What to show the user.
    pub name: String,
}

/// What this machine can capture from and play to.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Devices {
    /// Cameras.
    pub cameras: Vec<DeviceInfo>,
    /// Microphones.
    pub microphones: Vec<DeviceInfo>,
    /// Speakers and headphones.
    pub speakers: Vec<DeviceInfo>,
    /// The screen that can be shared, e.g. `"X11 :99 1280x800"`; `None` when there is none.
    pub screen: Option<String>,
    /// Sentences saying what could not be listed, and why.
    pub problems: Vec<String>,
}

/// Why capture or playback could not start, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// No camera is connected.
    #[error("No camera was found. Connect one, or share without video.")]
    NoCamera,
    /// No usable microphone.
    #[error("No microphone was found. Connect one, or share without sound.")]
    NoMicrophone,
    /// No usable speakers or headphones.
    #[error("No speakers or headphones were found. Connect some to hear the other side.")]
    NoSpeaker,
    /// No display to capture.
    #[error(
        "There is no screen to share: this session has no X11 display (DISPLAY is not set) \
         and is not a Wayland session. Share from a desktop session."
    )]
    NoDisplay,
    /// A device exists but could not be opened or stopped working.
    #[error(
        "The {device} could not be used: {reason}. Close other applications that may be using \
         it, or choose another device."
    )]
    DeviceFailed {
        /// Which device, e.g. `camera "HD Webcam"`.
        device: String,
        /// What went wrong.
        reason: String,
    },
    /// This kind of capture is not available on this platform; the text says which.
    #[error("{0}")]
    Unsupported(String),
    /// A source or sink file could not be read or written.
    #[error("The file {} could not be used: {reason}.", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The configuration asks for something impossible; the text says what.
    #[error("{0}")]
    InvalidConfig(String),
    /// A window chosen for a screenshot was closed or left the screen.
    #[error("That window was closed or is no longer on the screen. Choose another one.")]
    WindowGone,
    /// The user said no in the system's screen-sharing dialog (Wayland's portal).
    #[error(
        "Screen sharing was not allowed in the system's dialog, so nothing is shared. Share \
         again and choose what to share to go on."
    )]
    Declined,
    /// The system ended a running screen share (its own "stop sharing", or the stream ended).
    #[error("The system stopped the screen share ({0}). Share again to go on.")]
    SharingEnded(String),
}

impl CaptureError {
    /// A stable machine-readable code, for the UI to branch on instead of the message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoCamera => "no_camera",
            Self::NoMicrophone => "no_microphone",
            Self::NoSpeaker => "no_speaker",
            Self::NoDisplay => "no_display",
            Self::DeviceFailed { .. } => "device_failed",
            Self::Unsupported(_) => "unsupported",
            Self::File { .. } => "file",
            Self::InvalidConfig(_) => "invalid_config",
            Self::WindowGone => "window_gone",
            Self::Declined => "declined",
            Self::SharingEnded(_) => "sharing_ended",
        }
    }

    fn file(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        Self::File {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
}

/// A running video capture; dropping it stops the capture and joins its thread.
#[derive(Debug)]
pub struct VideoCapture {
    worker: Worker,
    description: String,
}

/// A running audio capture; dropping it stops the capture and joins its thread.
#[derive(Debug)]
pub struct AudioCapture {
    worker: Worker,
    description: String,
}

macro_rules! capture_handle {
    ($t:ty) => {
        impl $t {
            /// What is being captured, for logs and the UI (e.g. `camera "HD Webcam" 640x480
            /// MJPEG at 30 fps`).
            pub fn description(&self) -> &str {
                &self.description
            }

            /// Whether frames are still coming: `false` once a file ended or a device failed.
            pub fn is_running(&self) -> bool {
                self.worker.is_running()
            }

            /// Why capture stopped on its own, if it did (reported once).
            pub fn take_error(&self) -> Option<CaptureError> {
                self.worker.take_failure()
            }

            /// Stops capturing and waits for the thread (the same as dropping).
            pub fn stop(self) {}
        }
    };
}
capture_handle!(VideoCapture);
capture_handle!(AudioCapture);

/// Starts capturing video on a thread of its own, calling `on_frame` from that thread for each
/// frame. Device and file errors are returned here, before any frame.
pub fn start_video(
    config: &VideoSourceConfig,
    on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<VideoCapture, CaptureError> {
    let (worker, description) = match config {
        VideoSourceConfig::Camera {
            device,
            width,
            height,
            fps,
        } => camera::start(device.as_deref(), (*width, *height), *fps, on_frame)?,
        VideoSourceConfig::Screen {
            fps,
            max_width,
            window,
        } => screen::start(*fps, *max_width as usize, *window, on_frame)?,
        VideoSourceConfig::Pattern { width, height, fps } => {
            sources::pattern(*width as usize, *height as usize, *fps, on_frame)?
        }
        VideoSourceConfig::File { path, fps, looped } => {
            sources::y4m_file(path, *fps, *looped, on_frame)?
        }
    };
    Ok(VideoCapture {
        worker,
        description,
    })
}

/// Starts capturing audio: `on_block` gets 20 ms blocks of 960 mono `i16` samples at 48 kHz
/// (one Opus frame), with the capture time of each block's first sample, from a thread of the
/// capture's own.
pub fn start_audio(
    config: &AudioSourceConfig,
    on_block: impl FnMut(&[i16], Instant) + Send + 'static,
) -> Result<AudioCapture, CaptureError> {
    let (worker, description) = match config {
        AudioSourceConfig::Microphone { device } => microphone::start(device.as_deref(), on_block)?,
        AudioSourceConfig::Tone { frequency } => sources::tone(*frequency, on_block)?,
        AudioSourceConfig::File { path, looped } => sources::wav_file(path, *looped, on_block)?,
    };
    Ok(AudioCapture {
        worker,
        description,
    })
}

/// Opens a sink for 48 kHz mono `i16` audio.
pub fn start_audio_output(config: &AudioSinkConfig) -> Result<AudioOutput, CaptureError> {
    match config {
        AudioSinkConfig::Speaker { device } => speaker::start(device.as_deref()),
        AudioSinkConfig::Wav { path } => speaker::wav(path),
        AudioSinkConfig::Discard => Ok(speaker::discard()),
    }
}

/// One picture of the whole screen, 8-bit RGB, full size (a screenshot the user then sees
/// before sharing it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screenshot {
    /// Pixels across.
    pub width: usize,
    /// Pixels down.
    pub height: usize,
    /// `width * height * 3` bytes, row by row.
    pub rgb: Vec<u8>,
}

/// A window on the screen that a screenshot can show on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenWindow {
    /// The window system's id of the window (X11: the client window).
    pub id: u32,
    /// Its title.
    pub title: String,
    /// Where its visible part starts on the screen, in pixels from the left.
    pub x: u32,
    /// See `x`: from the top.
    pub y: u32,
    /// Its visible size in pixels (the part on the screen).
    pub width: u32,
    /// See `width`.
    pub height: u32,
}

/// Whether one window to share is chosen in the system's own dialog (Wayland's portal) rather
/// than from [`list_windows`], which cannot see other applications' windows there.
pub fn system_picks_window() -> bool {
    #[cfg(target_os = "linux")]
    {
        screen::system_picks_window()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Takes a screenshot of the screen (X11 `DISPLAY`, or on Wayland the first picture of a
/// screen-sharing portal session); a clear error where there is none.
pub fn screenshot() -> Result<Screenshot, CaptureError> {
    screen::screenshot(None)
}

/// The windows on the screen with a title, topmost first, for a screenshot of one of them.
pub fn list_windows() -> Result<Vec<ScreenWindow>, CaptureError> {
    screen::list_windows()
}

/// Takes a screenshot of one window: the part of the screen it covers, as it shows there
/// (another window in front of it shows too, as on the screen). [`CaptureError::WindowGone`]
/// when it was closed or is off the screen.
pub fn screenshot_window(id: u32) -> Result<Screenshot, CaptureError> {
    screen::screenshot(Some(id))
}

/// Lists cameras, microphones, speakers and the screen. Never fails: what cannot be listed is
/// said in [`Devices::problems`].
pub fn list_devices() -> Devices {
    let mut devices = Devices::default();
    match camera::list() {
        Ok(cameras) => devices.cameras = cameras,
        Err(problem) => devices.problems.push(problem),
    }
    let audio = microphone::list();
    devices.microphones = audio.inputs;
    devices.speakers = audio.outputs;
    devices.problems.extend(audio.problems);
    match screen::describe() {
        Ok(screen) => devices.screen = Some(screen),
        Err(problem) => devices.problems.push(problem),
    }
    devices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_are_tagged_json() {
        let c = VideoSourceConfig::Screen {
            fps: 10,
            max_width: 1280,
            window: Some(7),
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"screen","fps":10,"max_width":1280,"window":7}"#
        );
        let back: VideoSourceConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        // Written before one window could be shared: the whole screen.
        let old: VideoSourceConfig =
            serde_json::from_str(r#"{"kind":"screen","fps":10,"max_width":1280}"#).unwrap();
        assert!(matches!(
            old,
            VideoSourceConfig::Screen { window: None, .. }
        ));
        let a: AudioSourceConfig =
            serde_json::from_str(r#"{"kind":"microphone","device":null}"#).unwrap();
        assert_eq!(a, AudioSourceConfig::Microphone { device: None });
        let s: AudioSinkConfig = serde_json::from_str(r#"{"kind":"discard"}"#).unwrap();
        assert_eq!(s, AudioSinkConfig::Discard);
    }

    #[test]
    fn every_error_is_a_sentence_with_a_code() {
        let errors = [
            CaptureError::NoCamera,
            CaptureError::NoMicrophone,
            CaptureError::NoSpeaker,
            CaptureError::NoDisplay,
            CaptureError::DeviceFailed {
                device: "camera \"Webcam\"".into(),
                reason: "it is busy".into(),
            },
            CaptureError::file(std::path::Path::new("/tmp/x.wav"), "it does not exist"),
            CaptureError::WindowGone,
            CaptureError::Declined,
            CaptureError::SharingEnded("the desktop closed the screen share".into()),
        ];
        for e in errors {
            let text = e.to_string();
            assert!(
                text.starts_with(char::is_uppercase) && text.ends_with('.'),
                "{text}"
            );
            assert!(!e.code().is_empty());
        }
    }
}
