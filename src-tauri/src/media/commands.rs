//! The media commands of CONTRACT.md ("Desktop app: calls"): thin wrappers over [`Calls`].

use instant_share_media::capture::{self, DeviceInfo};
use instant_share_media::peer::TrackStats;
use instant_share_protocol::ApiError;
use serde::Serialize;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::State;
use ts_rs::TS;

use super::sources::MediaMode;
use super::video::Delivery;
use super::view::{MediaTrack, MediaView};
use super::Calls;

/// A device the user can pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DeviceChoice {
    /// What to pass back as `device`.
    pub id: String,
    /// What to show.
    pub name: String,
}

/// A window a screenshot can show on its own (command `list_windows`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct WindowChoice {
    /// What `take_screenshot` takes to show this window.
    pub id: u32,
    /// Its title.
    pub title: String,
    /// Where it is on the screen (its visible part), in pixels from the left.
    pub x: u32,
    /// See `x`: from the top.
    pub y: u32,
    /// Its size on the screen in pixels.
    pub width: u32,
    /// See `width`.
    pub height: u32,
}

impl From<capture::ScreenWindow> for WindowChoice {
    fn from(w: capture::ScreenWindow) -> Self {
        Self {
            id: w.id,
            title: w.title,
            x: w.x,
            y: w.y,
            width: w.width,
            height: w.height,
        }
    }
}

/// What this computer has (command `media_devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DeviceList {
    /// Cameras.
    pub cameras: Vec<DeviceChoice>,
    /// Microphones.
    pub microphones: Vec<DeviceChoice>,
    /// Speakers and headphones.
    pub speakers: Vec<DeviceChoice>,
    /// The screen that can be shared, in words; `None` when there is none.
    pub screen: Option<String>,
    /// What could not be listed, in words.
    pub problems: Vec<String>,
}

impl DeviceList {
    /// The device list for `mode`: in synthetic mode the camera and the microphone are the
    /// pattern and the tone, whatever is plugged in.
    pub fn for_mode(mode: MediaMode, devices: capture::Devices) -> Self {
        let choices = |list: Vec<DeviceInfo>| {
            list.into_iter()
                .map(|d| DeviceChoice {
                    id: d.id,
                    name: d.name,
                })
                .collect()
        };
        let (cameras, microphones) = match mode {
            MediaMode::Devices => (choices(devices.cameras), choices(devices.microphones)),
            MediaMode::Synthetic => (
                vec![DeviceChoice {
                    id: "pattern".into(),
                    name: "Test pattern (synthetic)".into(),
                }],
                vec![DeviceChoice {
                    id: "tone".into(),
                    name: "440 Hz tone (synthetic)".into(),
                }],
            ),
        };
        Self {
            cameras,
            microphones,
            speakers: choices(devices.speakers),
            screen: devices.screen,
            problems: devices.problems,
        }
    }
}

/// The engine's track figures and what reached the window (command `media_stats`; for tests,
/// benchmarks and support).
#[derive(Debug, Clone, Serialize)]
pub struct MediaStats {
    /// Every sent and received track.
    pub tracks: Vec<TrackStats>,
    /// Pictures sent to the window and dropped on the way.
    pub delivery: Delivery,
}

/// The media state now.
#[tauri::command]
pub fn media_get_state(calls: State<'_, Calls>) -> MediaView {
    calls.view()
}

/// Cameras, microphones, speakers and the screen.
#[tauri::command]
pub async fn media_devices(calls: State<'_, Calls>) -> Result<DeviceList, ApiError> {
    let mode = calls.mode();
    let devices = tauri::async_runtime::spawn_blocking(capture::list_devices)
        .await
        .unwrap_or_default();
    Ok(DeviceList::for_mode(mode, devices))
}

/// Turns the camera on (the user agreed) or off.
#[tauri::command]
pub async fn media_set_camera(
    calls: State<'_, Calls>,
    on: bool,
    device: Option<String>,
) -> Result<MediaView, ApiError> {
    calls.set_camera(on, device).await
}

/// Turns the microphone on (the user agreed) or off.
#[tauri::command]
pub async fn media_set_microphone(
    calls: State<'_, Calls>,
    on: bool,
    device: Option<String>,
) -> Result<MediaView, ApiError> {
    calls.set_microphone(on, device).await
}

/// Shares the screen, or one window of it (the user chose it and agreed), or stops.
#[tauri::command]
pub async fn media_set_screen(
    calls: State<'_, Calls>,
    on: bool,
    window: Option<u32>,
    title: Option<String>,
) -> Result<MediaView, ApiError> {
    let window = window.map(|id| (id, title.unwrap_or_else(|| "a window".into())));
    calls.set_screen(on, window).await
}

/// Stops everything shared: camera, microphone and screen.
#[tauri::command]
pub async fn media_stop_all(calls: State<'_, Calls>) -> Result<MediaView, ApiError> {
    Ok(calls.stop_all().await)
}

/// Pauses the shared screen while a private picture is shown (the others see a pause card),
/// or lets it go on. Resolves once nothing captured from now on can leave the computer.
#[tauri::command]
pub async fn media_pause_screen(
    calls: State<'_, Calls>,
    paused: bool,
) -> Result<MediaView, ApiError> {
    calls.pause_screen(paused).await
}

/// Mutes or unmutes the microphone.
#[tauri::command]
pub fn media_set_muted(calls: State<'_, Calls>, muted: bool) -> Result<MediaView, ApiError> {
    calls.set_muted(muted)
}

/// Closes the message about one device (`null`: the general one).
#[tauri::command]
pub fn media_dismiss_problem(calls: State<'_, Calls>, track: Option<MediaTrack>) -> MediaView {
    calls.dismiss_problem(track)
}

/// Opens the video channel: every picture arrives on it as raw bytes (`frame.rs`).
#[tauri::command]
pub fn media_open_video(calls: State<'_, Calls>, channel: Channel<InvokeResponseBody>) {
    calls.attach_video(channel);
}

/// The window is done with frame `seq` of stream `stream` (and every earlier one).
#[tauri::command]
pub fn media_video_ack(calls: State<'_, Calls>, stream: u16, seq: u32) {
    calls.ack_video(stream, seq);
}

/// Track figures and delivery counts.
#[tauri::command]
pub async fn media_stats(calls: State<'_, Calls>) -> Result<MediaStats, ApiError> {
    Ok(calls.stats().await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugged_in() -> capture::Devices {
        capture::Devices {
            cameras: vec![DeviceInfo {
                id: "/dev/video0".into(),
                name: "HD Webcam".into(),
            }],
            microphones: vec![],
            speakers: vec![],
            screen: Some("X11 :99 1280x800".into()),
            problems: vec!["No sound card.".into()],
        }
    }

    #[test]
    fn real_devices_are_listed_as_they_are() {
        let list = DeviceList::for_mode(MediaMode::Devices, plugged_in());
        assert_eq!(list.cameras[0].name, "HD Webcam");
        assert!(list.microphones.is_empty());
        assert_eq!(list.screen.as_deref(), Some("X11 :99 1280x800"));
        assert_eq!(list.problems, vec!["No sound card.".to_owned()]);
    }

    #[test]
    fn synthetic_mode_lists_the_pattern_and_the_tone() {
        let list = DeviceList::for_mode(MediaMode::Synthetic, plugged_in());
        assert_eq!(list.cameras.len(), 1);
        assert_eq!(list.cameras[0].id, "pattern");
        assert_eq!(list.microphones[0].id, "tone");
    }
}
