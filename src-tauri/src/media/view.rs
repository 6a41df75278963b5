//! What the window shows about the call: which of this computer's sources are on, the calls
//! with the others, and problems in plain words. Pure: the media module feeds it what the user
//! asked for and what the engine reported, and sends the result as the `media-state` event.
//! The TypeScript mirror is generated into `ui/src/app/media-types.ts`.

use instant_share_media::capture::CaptureError;
use instant_share_media::peer::{CallState, TrackKind};
use serde::Serialize;
use ts_rs::TS;

use super::sources::{MediaMode, Renderer};

/// One of this computer's sources, or the speaker the other side is heard on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MediaTrack {
    /// The camera.
    Camera,
    /// The microphone.
    Microphone,
    /// The shared screen.
    Screen,
    /// Speakers or headphones.
    Speaker,
}

impl MediaTrack {
    pub(super) fn of(kind: TrackKind) -> Self {
        match kind {
            TrackKind::Camera => Self::Camera,
            TrackKind::Microphone => Self::Microphone,
            TrackKind::Screen => Self::Screen,
        }
    }
}

/// Whether a source is sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// Off (the user has not agreed, or turned it off, or it failed).
    #[default]
    Off,
    /// The user agreed; the device is being opened.
    Starting,
    /// Captured and sent.
    On,
}

/// One source as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
pub struct SourceView {
    /// Off, starting or on.
    pub state: SourceState,
    /// The device chosen in the picker (`None`: the default one).
    pub device: Option<String>,
}

/// Where the call with one other participant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Being set up.
    Connecting,
    /// Media flows.
    Connected,
    /// Failed; it is tried again.
    Failed,
    /// Over.
    Closed,
}

/// The call with one other participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CallView {
    /// Their participant id.
    pub with: String,
    /// Where the call is.
    pub status: CallStatus,
}

/// Something the user should know about a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MediaProblem {
    /// The device concerned.
    pub track: Option<MediaTrack>,
    /// Stable code: `no_camera`, `no_microphone`, `no_speaker`, `no_display`, `device_failed`;
    /// `sources_off` (no device: everything was turned off when the window was closed).
    pub code: String,
    /// A sentence for the user.
    pub message: String,
}

/// The whole media state of the window (event `media-state`, command `media_get_state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MediaView {
    /// A session is live and calls can be made.
    pub live: bool,
    /// Real devices, or the synthetic pattern and tone.
    pub mode: MediaMode,
    /// How the window should draw pictures.
    pub renderer: Renderer,
    /// This computer's camera.
    pub camera: SourceView,
    /// This computer's microphone.
    pub microphone: SourceView,
    /// This computer's screen.
    pub screen: SourceView,
    /// The microphone is on but sends silence.
    pub muted: bool,
    /// The shared screen is paused: the others see a card with a pause sign (while a private
    /// picture is on the screen, before parts of it are blacked out).
    pub screen_paused: bool,
    /// Calls with the other participants.
    pub calls: Vec<CallView>,
    /// At most one per device, the latest last.
    pub problems: Vec<MediaProblem>,
}

impl MediaView {
    /// Nothing on, no session.
    pub fn new(mode: MediaMode, renderer: Renderer) -> Self {
        Self {
            live: false,
            mode,
            renderer,
            camera: SourceView::default(),
            microphone: SourceView::default(),
            screen: SourceView::default(),
            muted: false,
            screen_paused: false,
            calls: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// A session started: everything off (consent is asked again each session).
    pub fn session_started(&mut self) {
        *self = Self {
            live: true,
            camera: SourceView {
                device: self.camera.device.take(),
                ..SourceView::default()
            },
            microphone: SourceView {
                device: self.microphone.device.take(),
                ..SourceView::default()
            },
            ..Self::new(self.mode, self.renderer)
        };
    }

    /// The session is over: everything off, calls gone; problems stay readable.
    pub fn session_ended(&mut self) {
        self.live = false;
        self.camera.state = SourceState::Off;
        self.microphone.state = SourceState::Off;
        self.screen.state = SourceState::Off;
        self.muted = false;
        self.screen_paused = false;
        self.calls.clear();
    }

    /// The source of `track` (the speaker has none).
    fn source(&mut self, track: MediaTrack) -> Option<&mut SourceView> {
        match track {
            MediaTrack::Camera => Some(&mut self.camera),
            MediaTrack::Microphone => Some(&mut self.microphone),
            MediaTrack::Screen => Some(&mut self.screen),
            MediaTrack::Speaker => None,
        }
    }

    /// The user agreed to turn `track` on with `device`.
    pub fn starting(&mut self, track: MediaTrack, device: Option<String>) {
        self.clear_problem(Some(track));
        if let Some(s) = self.source(track) {
            s.state = SourceState::Starting;
            s.device = device;
        }
    }

    /// The source runs.
    pub fn started(&mut self, track: MediaTrack) {
        if let Some(s) = self.source(track) {
            s.state = SourceState::On;
        }
    }

    /// The source is off (turned off, or failed).
    pub fn stopped(&mut self, track: MediaTrack) {
        if let Some(s) = self.source(track) {
            s.state = SourceState::Off;
        }
        if track == MediaTrack::Microphone {
            self.muted = false;
        }
    }

    /// The source could not start: off, with the reason.
    pub fn failed(&mut self, track: MediaTrack, message: &str) {
        self.stopped(track);
        self.problem(Some(track), message);
    }

    /// The engine reported a problem (a device that failed while in use, a speaker missing).
    pub fn engine_problem(&mut self, kind: Option<TrackKind>, message: &str) {
        let code = problem_code(message);
        let track = if code == "no_speaker" {
            Some(MediaTrack::Speaker)
        } else {
            kind.map(MediaTrack::of)
        };
        self.problem(track, message);
    }

    fn problem(&mut self, track: Option<MediaTrack>, message: &str) {
        self.clear_problem(track);
        self.problems.push(MediaProblem {
            track,
            code: problem_code(message).to_owned(),
            message: message.to_owned(),
        });
    }

    /// A message about the call as a whole (no one device).
    pub fn note(&mut self, message: &str) {
        self.clear_problem(None);
        self.problems.push(MediaProblem {
            track: None,
            code: "sources_off".to_owned(),
            message: message.to_owned(),
        });
    }

    /// The user closed the problem about `track`.
    pub fn clear_problem(&mut self, track: Option<MediaTrack>) {
        self.problems.retain(|p| p.track != track);
    }

    /// A call changed state; a closed call leaves the list.
    pub fn call(&mut self, with: &str, state: CallState) {
        let status = match state {
            CallState::Connecting => CallStatus::Connecting,
            CallState::Connected => CallStatus::Connected,
            CallState::Failed => CallStatus::Failed,
            CallState::Closed => CallStatus::Closed,
        };
        self.calls.retain(|c| c.with != with);
        if status != CallStatus::Closed {
            self.calls.push(CallView {
                with: with.to_owned(),
                status,
            });
        }
    }

    /// What is on, in words, for the window title and the tray ("camera, microphone"); `None`
    /// when nothing is.
    pub fn live_summary(&self) -> Option<String> {
        let mut on = Vec::new();
        if self.camera.state == SourceState::On {
            on.push("camera");
        }
        if self.microphone.state == SourceState::On {
            on.push(if self.muted {
                "microphone (muted)"
            } else {
                "microphone"
            });
        }
        if self.screen.state == SourceState::On {
            on.push("screen");
        }
        (!on.is_empty()).then(|| on.join(", "))
    }
}

/// The window title: the product name, and what is live while anything is.
pub fn window_title(summary: Option<&str>) -> String {
    match summary {
        Some(on) => format!("Instant Share \u{2022} live: {on}"),
        None => "Instant Share".to_owned(),
    }
}

/// The engine's errors arrive as sentences (`MediaHandle` turns `CaptureError` into text); the
/// code is recovered by comparing with the sentences of the variants that have fixed wording.
fn problem_code(message: &str) -> &'static str {
    [
        CaptureError::NoCamera,
        CaptureError::NoMicrophone,
        CaptureError::NoSpeaker,
        CaptureError::NoDisplay,
        CaptureError::WindowGone,
        CaptureError::Declined,
    ]
    .into_iter()
    .chain(
        message
            .starts_with("The system stopped the screen share")
            .then(|| CaptureError::SharingEnded(String::new())),
    )
    .find(|e| e.to_string() == message || matches!(e, CaptureError::SharingEnded(_)))
    .map_or("device_failed", |e| e.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> MediaView {
        let mut v = MediaView::new(MediaMode::Devices, Renderer::Webgl);
        v.session_started();
        v
    }

    #[test]
    fn nothing_is_on_until_the_user_agrees() {
        let v = live();
        assert!(v.live);
        assert_eq!(v.camera.state, SourceState::Off);
        assert_eq!(v.microphone.state, SourceState::Off);
        assert_eq!(v.screen.state, SourceState::Off);
        assert_eq!(v.live_summary(), None);
        assert_eq!(window_title(None), "Instant Share");
    }

    #[test]
    fn a_source_goes_from_starting_to_on_and_shows_as_live() {
        let mut v = live();
        v.starting(MediaTrack::Camera, Some("cam-1".into()));
        assert_eq!(v.camera.state, SourceState::Starting);
        assert_eq!(v.live_summary(), None, "not live before it runs");
        v.started(MediaTrack::Camera);
        v.starting(MediaTrack::Microphone, None);
        v.started(MediaTrack::Microphone);
        v.muted = true;
        assert_eq!(
            v.live_summary().as_deref(),
            Some("camera, microphone (muted)")
        );
        assert_eq!(
            window_title(v.live_summary().as_deref()),
            "Instant Share \u{2022} live: camera, microphone (muted)"
        );
        v.stopped(MediaTrack::Microphone);
        assert!(!v.muted, "turning the microphone off ends the mute");
        assert_eq!(v.camera.device.as_deref(), Some("cam-1"));
    }

    #[test]
    fn a_missing_camera_is_a_problem_with_a_code_and_the_rest_goes_on() {
        let mut v = live();
        v.starting(MediaTrack::Microphone, None);
        v.started(MediaTrack::Microphone);
        v.starting(MediaTrack::Camera, None);
        v.failed(MediaTrack::Camera, &CaptureError::NoCamera.to_string());
        assert_eq!(v.camera.state, SourceState::Off);
        assert_eq!(v.microphone.state, SourceState::On);
        assert_eq!(v.problems.len(), 1);
        assert_eq!(v.problems[0].code, "no_camera");
        assert_eq!(v.problems[0].track, Some(MediaTrack::Camera));
        assert!(v.problems[0].message.starts_with("No camera was found"));
        // Trying again clears the old problem first; a second failure replaces it.
        v.starting(MediaTrack::Camera, None);
        assert!(v.problems.is_empty());
        v.failed(MediaTrack::Camera, "The camera could not be used: busy.");
        assert_eq!(v.problems.len(), 1);
        assert_eq!(v.problems[0].code, "device_failed");
    }

    #[test]
    fn a_missing_speaker_is_the_speaker_s_problem() {
        let mut v = live();
        v.engine_problem(
            Some(TrackKind::Microphone),
            &CaptureError::NoSpeaker.to_string(),
        );
        assert_eq!(v.problems[0].track, Some(MediaTrack::Speaker));
        assert_eq!(v.problems[0].code, "no_speaker");
        v.clear_problem(Some(MediaTrack::Speaker));
        assert!(v.problems.is_empty());
    }

    #[test]
    fn a_note_is_the_general_message_and_replaces_the_last_one() {
        let mut v = live();
        v.failed(MediaTrack::Camera, &CaptureError::NoCamera.to_string());
        v.note("first");
        v.note("second");
        assert_eq!(v.problems.len(), 2, "the camera's problem stays");
        assert_eq!(v.problems[1].track, None);
        assert_eq!(v.problems[1].code, "sources_off");
        assert_eq!(v.problems[1].message, "second");
        v.clear_problem(None);
        assert_eq!(v.problems.len(), 1);
    }

    #[test]
    fn calls_are_listed_until_closed() {
        let mut v = live();
        v.call("p2", CallState::Connecting);
        v.call("p2", CallState::Connected);
        assert_eq!(
            v.calls,
            vec![CallView {
                with: "p2".into(),
                status: CallStatus::Connected
            }]
        );
        v.call("p2", CallState::Closed);
        assert!(v.calls.is_empty());
    }

    #[test]
    fn a_new_session_asks_again_but_remembers_the_devices() {
        let mut v = live();
        v.starting(MediaTrack::Camera, Some("cam-2".into()));
        v.started(MediaTrack::Camera);
        v.call("p2", CallState::Connected);
        v.session_ended();
        assert!(!v.live);
        assert_eq!(v.camera.state, SourceState::Off);
        assert!(v.calls.is_empty());
        v.session_started();
        assert_eq!(v.camera.state, SourceState::Off);
        assert_eq!(v.camera.device.as_deref(), Some("cam-2"));
    }
}
