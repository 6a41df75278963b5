//! Calls in the app: while a session is live, a [`MediaHandle`] runs beside the session socket.
//!
//! - In: the socket's snapshots, welcomes and signals ([`Calls::on_session_event`]); the user's
//!   choices (commands in `commands.rs`): camera, microphone and screen start only when the user
//!   turns them on, each session anew.
//! - Out: signals and media state to the socket; call states and device problems to the window
//!   as the `media-state` event ([`MediaView`]); pictures to the window as binary frames over a
//!   channel the window opens (`frame.rs` is the format, `video.rs` drops what the window cannot
//!   draw in time).
//!
//! The engine starts with the session socket, before an expert joins: it then has the welcome
//! and the first snapshot when the expert arrives and offers at once.

pub mod commands;
mod frame;
pub mod sources;
#[cfg(test)]
mod typescript;
mod video;
pub mod view;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use instant_share_client::{SessionEvent, SessionHandle};
use instant_share_media::peer::{MediaConfig, MediaEvent, MediaHandle, TrackKind};
use instant_share_media::synthetic::Frame;
use instant_share_protocol::{ApiError, ErrorCode, SessionStatus};
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::{AppHandle, Manager};
use tokio::sync::mpsc;

use crate::state::Generation;
use frame::{Planes, StreamId, Track, SELF_VIEW};
use sources::{MediaMode, Renderer};
use video::VideoOut;
use view::{MediaTrack, MediaView};

/// What the window says after it was closed with sources on.
pub const WINDOW_CLOSED_NOTE: &str = "Your camera, microphone and screen were turned off when the \
     window was closed. Turn on again what the expert should see or hear.";

/// Events from the engine waiting to be handled; pictures beyond this are dropped by the engine.
const EVENT_QUEUE: usize = 16;

/// The app's calls; one per app, managed by Tauri, cheap to clone.
#[derive(Clone)]
pub struct Calls {
    inner: Arc<Mutex<Inner>>,
    video: Arc<VideoOut>,
    app: AppHandle,
    mode: MediaMode,
    /// The sharing bar and the main window stepping aside.
    presence: Arc<crate::sharing::Presence>,
}

struct Inner {
    view: MediaView,
    live: Option<Live>,
    /// Participant ids in order of joining: a frame's source index points into it.
    participants: Vec<String>,
    /// The window title last set (reading it back would wait for the main thread).
    title: Option<String>,
    /// The camera's newest picture while it is on (for a still to share).
    camera_still: Option<Arc<Frame>>,
}

/// The engine of one session.
struct Live {
    generation: Generation,
    media: MediaHandle,
    /// When the session became active (for the log's time to first picture).
    active_at: Option<Instant>,
}

impl Calls {
    /// No session yet; sources from `mode`; the window draws with `renderer`.
    pub fn new(app: AppHandle, mode: MediaMode, renderer: Renderer) -> Self {
        tracing::info!(?mode, ?renderer, "media");
        Self {
            inner: Arc::new(Mutex::new(Inner {
                view: MediaView::new(mode, renderer),
                live: None,
                participants: Vec::new(),
                title: None,
                camera_still: None,
            })),
            video: Arc::new(VideoOut::default()),
            presence: Arc::new(crate::sharing::Presence::new(app.clone())),
            app,
            mode,
        }
    }

    /// The session socket of `generation` opened: start its engine (replacing any other).
    pub fn start(&self, generation: Generation, session: SessionHandle, ws_url: &str) {
        let config = MediaConfig {
            udp_addrs: sources::udp_addrs(std::env::var(sources::UDP_ENV).ok().as_deref(), ws_url),
            audio_output: self.mode.audio_output(None),
            self_view: true,
            ..MediaConfig::default()
        };
        tracing::info!(udp = ?config.udp_addrs, "starting the media engine");
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        let media = MediaHandle::spawn(config, tx);
        let old = {
            let mut inner = self.lock();
            inner.participants.clear();
            inner.camera_still = None;
            inner.view.session_started();
            inner.live.replace(Live {
                generation,
                media,
                active_at: None,
            })
        };
        if let Some(old) = old {
            old.media.close();
        }
        self.video.reset();
        self.publish();
        let this = self.clone();
        tauri::async_runtime::spawn(async move { this.pump(generation, session, rx).await });
    }

    /// An event of `generation`'s socket, before the app's model takes it.
    pub fn on_session_event(&self, generation: Generation, event: &SessionEvent) {
        let mut inner = self.lock();
        let Some(live) = inner.live.as_mut().filter(|l| l.generation == generation) else {
            return;
        };
        match event {
            SessionEvent::Snapshot(snapshot) => {
                if snapshot.status == SessionStatus::Active && live.active_at.is_none() {
                    live.active_at = Some(Instant::now());
                }
                live.media.session(snapshot);
                inner.participants = snapshot.participants.iter().map(|p| p.id.clone()).collect();
            }
            SessionEvent::Welcomed { ice_servers, .. } => live.media.welcomed(ice_servers.clone()),
            SessionEvent::Signal { from, signal } => {
                live.media.signal(from.clone(), signal.clone())
            }
            SessionEvent::Ended(_) | SessionEvent::Fatal(_) => {
                drop(inner);
                self.stop(Some(generation));
            }
            SessionEvent::Connection(_)
            | SessionEvent::Pointer { .. }
            | SessionEvent::BoardRejected { .. } => {}
        }
    }

    /// Stops the engine of `generation` (any, with `None`): hangs up, turns every source off.
    pub fn stop(&self, generation: Option<Generation>) {
        let stopped = {
            let mut inner = self.lock();
            let ours = inner
                .live
                .as_ref()
                .is_some_and(|l| generation.is_none_or(|g| g == l.generation));
            if !ours {
                return;
            }
            inner.view.session_ended();
            inner.camera_still = None;
            inner.live.take()
        };
        if let Some(live) = stopped {
            tracing::info!("stopping the media engine");
            live.media.close();
        }
        self.publish();
    }

    /// What the window shows now.
    pub fn view(&self) -> MediaView {
        self.lock().view.clone()
    }

    /// The sources this process uses.
    pub fn mode(&self) -> MediaMode {
        self.mode
    }

    /// Turns the camera on (with `device`, or the default) or off.
    pub async fn set_camera(
        &self,
        on: bool,
        device: Option<String>,
    ) -> Result<MediaView, ApiError> {
        let source = on.then(|| self.mode.camera(device.clone()));
        self.set_video(MediaTrack::Camera, TrackKind::Camera, source, device)
            .await
    }

    /// Shares the screen (or one `window` of it, shown by its title), or stops.
    pub async fn set_screen(
        &self,
        on: bool,
        window: Option<(u32, String)>,
    ) -> Result<MediaView, ApiError> {
        let (id, title) = window.unzip();
        let source = on.then(|| self.mode.screen(id));
        self.set_video(MediaTrack::Screen, TrackKind::Screen, source, title)
            .await
    }

    /// Stops everything this computer shares: camera, microphone and screen (the sharing bar's
    /// Stop).
    pub async fn stop_all(&self) -> MediaView {
        self.turn_off_all("stopping everything shared").await;
        self.view()
    }

    /// Turns off every source that is on or still starting (one that starts later must not
    /// stay on either); says whether any was.
    async fn turn_off_all(&self, why: &'static str) -> bool {
        let view = self.view();
        let is_on = |s: &view::SourceView| s.state != view::SourceState::Off;
        if ![&view.camera, &view.microphone, &view.screen]
            .into_iter()
            .any(is_on)
        {
            return false;
        }
        tracing::info!(on = view.live_summary(), "{why}");
        if is_on(&view.screen) {
            let _ = self.set_screen(false, None).await;
        }
        if is_on(&view.camera) {
            let _ = self.set_camera(false, None).await;
        }
        if is_on(&view.microphone) {
            let _ = self.set_microphone(false, None).await;
        }
        true
    }

    /// Turns the microphone on (with `device`, or the default) or off.
    pub async fn set_microphone(
        &self,
        on: bool,
        device: Option<String>,
    ) -> Result<MediaView, ApiError> {
        let (generation, media) = self.begin(MediaTrack::Microphone, on, device.clone())?;
        let source = on.then(|| self.mode.microphone(device));
        let result = media.set_audio(source).await;
        if !matches!(result, Ok(()) if on) {
            // Off or failed: a later microphone starts unmuted, as the window will show it.
            media.set_muted(false);
        }
        self.finish(generation, MediaTrack::Microphone, on, result);
        Ok(self.view())
    }

    /// Mutes or unmutes the microphone.
    pub fn set_muted(&self, muted: bool) -> Result<MediaView, ApiError> {
        {
            let mut inner = self.lock();
            let (_, media) = live_media(&inner)?;
            media.set_muted(muted);
            inner.view.muted = muted;
        }
        self.publish();
        Ok(self.view())
    }

    /// Pauses the shared screen (the others see a card with a pause sign) or lets it go on.
    /// When this returns, nothing captured afterwards leaves the computer; the window then shows
    /// a private picture. Where the desktop can keep a window out of every capture (Windows,
    /// macOS), the main window is kept out too while paused.
    pub async fn pause_screen(&self, paused: bool) -> Result<MediaView, ApiError> {
        let media = self.lock().live.as_ref().map(|l| l.media.clone());
        if let Some(media) = media {
            media
                .set_paused(TrackKind::Screen, paused)
                .await
                .map_err(|m| ApiError::new(ErrorCode::Internal, m))?;
        }
        if let Some(window) = self.app.get_webview_window("main") {
            if let Err(e) = window.set_content_protected(paused) {
                tracing::debug!(error = %e, "the window cannot be kept out of captures here");
            }
        }
        self.lock().view.screen_paused = paused;
        self.publish();
        Ok(self.view())
    }

    /// The window was closed (it hides; the session goes on): camera, microphone and screen go
    /// off, since nothing on screen would show any more that they are on. Said in the window.
    pub async fn window_closed(&self) {
        if self
            .turn_off_all("the window was closed: turning the sources off")
            .await
        {
            self.lock().view.note(WINDOW_CLOSED_NOTE);
            self.publish();
        }
    }

    /// The user closed the message about `track`.
    pub fn dismiss_problem(&self, track: Option<MediaTrack>) -> MediaView {
        self.lock().view.clear_problem(track);
        self.publish();
        self.view()
    }

    /// The camera's newest picture, for a still to share; an error while the camera is off.
    pub fn camera_still(&self) -> Result<Arc<Frame>, ApiError> {
        let inner = self.lock();
        match (&inner.camera_still, inner.view.camera.state) {
            (Some(frame), view::SourceState::On) => Ok(frame.clone()),
            _ => Err(ApiError::new(
                ErrorCode::Conflict,
                "Turn on your camera first: there is no picture from it to take.",
            )),
        }
    }

    /// The window's video channel (a new one replaces the old).
    pub fn attach_video(&self, channel: Channel<InvokeResponseBody>) {
        tracing::info!(
            channel = channel.id(),
            "the window opened its video channel"
        );
        self.video.attach(channel);
    }

    /// The window is done with frame `seq` of stream `key`.
    pub fn ack_video(&self, key: u16, seq: u32) {
        self.video.ack(key, seq);
    }

    /// Track figures of the engine and the window's delivery counts.
    pub async fn stats(&self) -> commands::MediaStats {
        let media = self.lock().live.as_ref().map(|l| l.media.clone());
        let tracks = match media {
            Some(m) => m.stats().await,
            None => Vec::new(),
        };
        commands::MediaStats {
            tracks,
            delivery: self.video.delivery(),
        }
    }

    async fn set_video(
        &self,
        track: MediaTrack,
        kind: TrackKind,
        source: Option<instant_share_media::capture::VideoSourceConfig>,
        device: Option<String>,
    ) -> Result<MediaView, ApiError> {
        let on = source.is_some();
        let (generation, media) = self.begin(track, on, device)?;
        let result = media.set_video(kind, source).await;
        self.finish(generation, track, on, result);
        Ok(self.view())
    }

    /// Marks `track` as starting (or going off) and returns the session's engine.
    fn begin(
        &self,
        track: MediaTrack,
        on: bool,
        device: Option<String>,
    ) -> Result<(Generation, MediaHandle), ApiError> {
        let live = {
            let mut inner = self.lock();
            let live = live_media(&inner)?;
            if on {
                inner.view.starting(track, device);
            }
            live
        };
        self.publish();
        Ok(live)
    }

    /// Records how a command of `generation`'s session ended (nothing if another session has
    /// begun meanwhile: its view starts from scratch).
    fn finish(
        &self,
        generation: Generation,
        track: MediaTrack,
        on: bool,
        result: Result<(), String>,
    ) {
        {
            let mut inner = self.lock();
            if !inner.is_current(generation) {
                return;
            }
            if track == MediaTrack::Camera && !matches!(result, Ok(()) if on) {
                inner.camera_still = None;
            }
            match result {
                Ok(()) if on => inner.view.started(track),
                Ok(()) => inner.view.stopped(track),
                Err(message) => {
                    tracing::warn!(?track, %message, "a source did not start");
                    inner.view.failed(track, &message);
                }
            }
        }
        self.publish();
    }

    /// Carries the engine's events out until it stops.
    async fn pump(
        self,
        generation: Generation,
        session: SessionHandle,
        mut events: mpsc::Receiver<MediaEvent>,
    ) {
        let mut first_pictures = HashSet::new();
        while let Some(event) = events.recv().await {
            match event {
                MediaEvent::Signal { to, signal } => {
                    if let Err(e) = session.send_signal(&to, signal) {
                        tracing::debug!(error = %e, "signal not sent");
                    }
                }
                MediaEvent::MediaState(state) => {
                    tracing::info!(?state, "media state");
                    let _ = session.set_media(state);
                }
                MediaEvent::Video {
                    from, kind, frame, ..
                } => {
                    let Some(track) = track_of(kind) else {
                        continue;
                    };
                    let source = {
                        let inner = self.lock();
                        if !inner.is_current(generation) {
                            continue; // a picture of a session that is over
                        }
                        inner.participants.iter().position(|p| *p == from)
                    };
                    let Some(source) = source.and_then(|s| u8::try_from(s).ok()) else {
                        continue;
                    };
                    if first_pictures.insert((from.clone(), kind)) {
                        let since_active = self.since_active(generation);
                        tracing::info!(from, track = kind.name(), width = frame.width,
                            height = frame.height, since_active_ms = ?since_active,
                            "first picture received");
                    }
                    self.video
                        .offer(StreamId { source, track }, planes(&frame), false);
                }
                MediaEvent::LocalVideo { kind, frame, .. } => {
                    // The self-views are small (the camera, and the shared screen with the
                    // board's drawings on it): half size is plenty.
                    let Some(track) = track_of(kind) else {
                        continue;
                    };
                    {
                        let mut inner = self.lock();
                        if !inner.is_current(generation) {
                            continue;
                        }
                        if kind == TrackKind::Camera {
                            inner.camera_still = Some(frame.clone());
                        }
                    }
                    let stream = StreamId {
                        source: SELF_VIEW,
                        track,
                    };
                    self.video.offer(stream, planes(&frame), true);
                }
                MediaEvent::Call { with, state } => {
                    tracing::info!(with, ?state, since_active_ms = ?self.since_active(generation), "call");
                    self.update(generation, |v| v.call(&with, state));
                }
                MediaEvent::SourceEnded { kind, message } => {
                    // The share (or camera) ended without the user: off, with the reason.
                    tracing::warn!(?kind, %message, "a source ended");
                    self.update(generation, |v| v.failed(MediaTrack::of(kind), &message));
                }
                MediaEvent::Problem { kind, message } => {
                    tracing::warn!(?kind, %message, "media problem");
                    self.update(generation, |v| v.engine_problem(kind, &message));
                }
                MediaEvent::NetworkChanged => {
                    // The socket may be on an address that is gone: a new one now, and the
                    // calls restart ICE once it is welcomed.
                    session.reconnect();
                }
            }
        }
        tracing::debug!(generation, "the media engine stopped");
    }

    fn since_active(&self, generation: Generation) -> Option<u64> {
        let inner = self.lock();
        let live = inner.live.as_ref().filter(|l| l.generation == generation)?;
        live.active_at.map(|t| t.elapsed().as_millis() as u64)
    }

    fn update(&self, generation: Generation, f: impl FnOnce(&mut MediaView)) {
        {
            let mut inner = self.lock();
            if !inner.is_current(generation) {
                return;
            }
            f(&mut inner.view);
        }
        self.publish();
    }

    fn publish(&self) {
        let (view, title_changed) = {
            let mut inner = self.lock();
            let title = view::window_title(inner.view.live_summary().as_deref());
            let changed = inner.title.as_deref() != Some(title.as_str());
            inner.title = Some(title.clone());
            (inner.view.clone(), changed.then_some(title))
        };
        if let Some(title) = title_changed {
            if let Some(window) = self.app.get_webview_window("main") {
                let _ = window.set_title(&title);
            }
            if let Some(tray) = self.app.tray_by_id("main") {
                let _ = tray.set_tooltip(Some(&title));
            }
        }
        crate::events::emit(&self.app, crate::events::AppEvent::Media(&view));
        let on = |s: &view::SourceView| s.state != view::SourceState::Off;
        self.presence.follow(
            on(&view.camera) || on(&view.microphone) || on(&view.screen),
            on(&view.screen),
        );
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    /// Whether `generation`'s session is the live one.
    fn is_current(&self, generation: Generation) -> bool {
        self.live
            .as_ref()
            .is_some_and(|l| l.generation == generation)
    }
}

fn live_media(inner: &Inner) -> Result<(Generation, MediaHandle), ApiError> {
    inner
        .live
        .as_ref()
        .map(|l| (l.generation, l.media.clone()))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Conflict,
                "There is no live session for the camera, microphone or screen.",
            )
        })
}

fn track_of(kind: TrackKind) -> Option<Track> {
    match kind {
        TrackKind::Camera => Some(Track::Camera),
        TrackKind::Screen => Some(Track::Screen),
        TrackKind::Microphone => None,
    }
}

fn planes(frame: &Frame) -> Planes<'_> {
    Planes {
        width: frame.width,
        height: frame.height,
        y: &frame.y,
        u: &frame.u,
        v: &frame.v,
    }
}
