//! Wayland: the whole screen, or one window, through the desktop's screen-sharing portal
//! (xdg-desktop-portal's ScreenCast interface) and the PipeWire stream it opens.
//!
//! - The portal asks the user, in the desktop's own dialog, what to share. A Wayland client
//!   cannot see other clients' windows, so for one window it is the portal that lists them and
//!   asks which: the app's window list is not available here ([`list_windows`] says so).
//! - The whole screen is asked for with persist mode "until revoked", starting from the restore
//!   token kept in `permission.rs`, so the dialog is asked once per user, not at every share.
//!   A window is asked for each time (restoring one would share a window nobody chose now).
//! - PipeWire delivers a picture when the screen changes; the stream is negotiated at `fps` at
//!   most and paced here again (some compositors send more). On a still screen the last picture
//!   goes again once a second, so that a viewer who asks for a keyframe gets one.
//! - The desktop's own "stop sharing" (the portal session closed) or the end of the stream
//!   ends the capture with [`CaptureError::SharingEnded`].
//! - A screenshot is the first picture of a ScreenCast session of its own: the same permission
//!   and restore token as a share (no second dialog), no Screenshot portal backend or access
//!   dialog needed, and the same code path as the live share.

use std::cell::RefCell;
use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ashpd::desktop::screencast::{CursorMode, Screencast, SelectSourcesOptions, SourceType};
use ashpd::desktop::{PersistMode, ResponseError};
use ashpd::zbus;
use futures_util::StreamExt;
use pipewire as pw;
use pw::spa;
use pw::spa::param::video::VideoFormat;

use super::super::convert::bgrx_to_i420_scaled;
use super::super::paced::{fail, unix_micros, Worker};
use super::super::permission;
use super::super::{CaptureError, CapturedFrame, ScreenWindow, Screenshot};

/// How long the portal and PipeWire may take to deliver the stream's format (the portal's
/// dialog is answered before this starts counting).
const FIRST_PICTURE: Duration = Duration::from_secs(10);

/// On a still screen, the last picture goes again after this long.
const REPEAT_AFTER: Duration = Duration::from_secs(1);

/// How often the capture thread looks at its stop flag and the portal session.
const TURN: Duration = Duration::from_millis(50);

/// Whether this is a Wayland session, from `XDG_SESSION_TYPE` and `WAYLAND_DISPLAY` as given.
/// The session type wins when it says `wayland` or `x11`; otherwise a Wayland display means
/// Wayland. XWayland's `DISPLAY` does not count: X11 capture there sees only X clients.
pub(super) fn is_session(session_type: Option<OsString>, wayland: Option<OsString>) -> bool {
    match session_type
        .as_ref()
        .and_then(|t| t.to_str())
        .map(str::trim)
    {
        Some("wayland") => true,
        Some("x11") => false,
        _ => wayland.is_some_and(|w| !w.is_empty()),
    }
}

/// Whether this process runs in a Wayland session.
pub(super) fn in_session() -> bool {
    is_session(
        std::env::var_os("XDG_SESSION_TYPE"),
        std::env::var_os("WAYLAND_DISPLAY"),
    )
}

/// What to ask the portal for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    /// The whole screen (a monitor), remembered with a restore token.
    Screen,
    /// One window, which the portal's dialog asks for.
    Window,
}

impl What {
    fn of(window: Option<u32>) -> Self {
        if window.is_some() {
            Self::Window
        } else {
            Self::Screen
        }
    }
}

fn portal_failed(reason: impl std::fmt::Display) -> CaptureError {
    CaptureError::DeviceFailed {
        device: "screen-sharing portal".into(),
        reason: reason.to_string(),
    }
}

fn pipewire_failed(reason: impl std::fmt::Display) -> CaptureError {
    CaptureError::DeviceFailed {
        device: "screen-sharing stream (PipeWire)".into(),
        reason: reason.to_string(),
    }
}

/// The portal is not there at all: a sentence saying what to install.
fn no_portal(detail: impl std::fmt::Display) -> CaptureError {
    CaptureError::Unsupported(format!(
        "Screen sharing on Wayland goes through the desktop's screen-sharing portal, which \
         did not answer ({detail}). Install xdg-desktop-portal and the portal of your desktop \
         (xdg-desktop-portal-gnome, -kde or -wlr) with PipeWire, then log in again."
    ))
}

/// An ashpd error as a sentence a user can act on.
fn from_portal(error: ashpd::Error) -> CaptureError {
    match error {
        ashpd::Error::Response(ResponseError::Cancelled) => CaptureError::Declined,
        ashpd::Error::Response(ResponseError::Other) => portal_failed(
            "it ended the request without a reason (the desktop may not support screen \
             sharing, or it failed; its log says why)",
        ),
        ashpd::Error::PortalNotFound(interface) => {
            no_portal(format!("it has no {interface} interface"))
        }
        ashpd::Error::Zbus(zbus::Error::MethodError(name, text, _))
            if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown"
                || name.as_str() == "org.freedesktop.DBus.Error.NameHasNoOwner" =>
        {
            no_portal(text.unwrap_or_else(|| name.to_string()))
        }
        other => portal_failed(other),
    }
}

/// What the portal granted: the PipeWire remote and node to read.
struct Grant {
    remote: OwnedFd,
    node: u32,
    /// The size the portal says the stream has, if it says.
    size: Option<(i32, i32)>,
}

/// A started ScreenCast session, held open on a thread of its own (its D-Bus connection and
/// the wait for its `Closed` signal live there). Dropping it closes the session, so that the
/// desktop's sharing indicator goes away, and joins the thread.
struct PortalSession {
    closed: Arc<AtomicBool>,
    close: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl PortalSession {
    /// Asks the portal for `what` (its dialog may show) and opens the PipeWire remote.
    fn open(what: What) -> Result<(Self, Grant), CaptureError> {
        let (granted_tx, granted_rx) = std::sync::mpsc::sync_channel(1);
        let (close_tx, close_rx) = tokio::sync::oneshot::channel();
        let closed = Arc::new(AtomicBool::new(false));
        let flag = closed.clone();
        let thread = std::thread::Builder::new()
            .name("screencast-portal".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = granted_tx.send(Err(portal_failed(format!("no runtime ({e})"))));
                        return;
                    }
                };
                runtime.block_on(hold_session(what, granted_tx, close_rx, flag));
            })
            .map_err(|e| portal_failed(format!("the system refused a new thread ({e})")))?;
        let mut session = Self {
            closed,
            close: Some(close_tx),
            thread: Some(thread),
        };
        match granted_rx.recv() {
            Ok(Ok(grant)) => Ok((session, grant)),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                session.close.take();
                Err(portal_failed("its thread ended before it answered"))
            }
        }
    }

    /// Whether the desktop closed the session (its "stop sharing").
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }
}

impl Drop for PortalSession {
    fn drop(&mut self) {
        if let Some(close) = self.close.take() {
            let _ = close.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Creates, starts and then holds a ScreenCast session until `close` or the desktop closes it.
async fn hold_session(
    what: What,
    granted: std::sync::mpsc::SyncSender<Result<Grant, CaptureError>>,
    close: tokio::sync::oneshot::Receiver<()>,
    closed: Arc<AtomicBool>,
) {
    let mut granted = Some(granted);
    if let Err(e) = run_session(what, &mut granted, close, &closed).await {
        match granted.take() {
            Some(tx) => {
                let _ = tx.send(Err(e));
            }
            None => tracing::warn!(error = %e, "the screen-sharing session failed"),
        }
    }
}

/// The steps of [`hold_session`]: the grant goes out through `granted` once started.
async fn run_session(
    what: What,
    granted: &mut Option<std::sync::mpsc::SyncSender<Result<Grant, CaptureError>>>,
    close: tokio::sync::oneshot::Receiver<()>,
    closed: &AtomicBool,
) -> Result<(), CaptureError> {
    // A connection of this session's own: ashpd's shared one would outlive this runtime.
    let connection = zbus::Connection::session()
        .await
        .map_err(|e| no_portal(format!("there is no D-Bus session bus: {e}")))?;
    let portal = Screencast::with_connection(connection)
        .await
        .map_err(from_portal)?;
    let session = portal
        .create_session(Default::default())
        .await
        .map_err(from_portal)?;
    // Subscribed before Start, so that a close right after it is not missed.
    let mut closed_signal = session.receive_closed().await.map_err(from_portal)?;
    let (types, persist, token) = match what {
        What::Screen => (
            SourceType::Monitor,
            PersistMode::ExplicitlyRevoked,
            permission::token(),
        ),
        What::Window => (SourceType::Window, PersistMode::DoNot, None),
    };
    portal
        .select_sources(
            &session,
            SelectSourcesOptions::default()
                .set_cursor_mode(CursorMode::Embedded)
                .set_sources(ashpd::enumflags2::BitFlags::from(types))
                .set_multiple(false)
                .set_persist_mode(persist)
                .set_restore_token(token.as_deref()),
        )
        .await
        .map_err(from_portal)?
        .response()
        .map_err(from_portal)?;
    let streams = portal
        .start(&session, None, Default::default())
        .await
        .map_err(from_portal)?
        .response()
        .map_err(from_portal)?;
    if what == What::Screen {
        if let Some(token) = streams.restore_token() {
            permission::renewed(token);
        }
    }
    let stream = streams
        .streams()
        .first()
        .ok_or_else(|| portal_failed("it started a share of no screen and no window"))?;
    let (node, size) = (stream.pipe_wire_node_id(), stream.size());
    let remote = portal
        .open_pipe_wire_remote(&session, Default::default())
        .await
        .map_err(from_portal)?;
    tracing::info!(
        node,
        ?size,
        ?what,
        "the screen-sharing portal started a share"
    );
    let sent = granted
        .take()
        .is_some_and(|tx| tx.send(Ok(Grant { remote, node, size })).is_ok());
    if !sent {
        let _ = session.close().await;
        return Ok(());
    }
    tokio::select! {
        _ = closed_signal.next() => {
            tracing::info!("the desktop closed the screen-sharing session");
            closed.store(true, Ordering::Relaxed);
        }
        _ = close => {
            if let Err(e) = session.close().await {
                tracing::debug!(error = %e, "the screen-sharing session did not close cleanly");
            }
        }
    }
    Ok(())
}

/// How the four bytes of a pixel are laid out in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// B, G, R, then alpha or padding.
    Bgrx,
    /// R, G, B, then alpha or padding.
    Rgbx,
}

impl Order {
    fn of(format: VideoFormat) -> Option<Self> {
        if format == VideoFormat::BGRx || format == VideoFormat::BGRA {
            Some(Self::Bgrx)
        } else if format == VideoFormat::RGBx || format == VideoFormat::RGBA {
            Some(Self::Rgbx)
        } else {
            None
        }
    }
}

/// One picture as PipeWire delivered it: four bytes a pixel, rows `stride` bytes apart.
struct Picture<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    stride: usize,
    order: Order,
}

impl Picture<'_> {
    /// B, G, R, X bytes (a copy only when the channels must be swapped).
    fn bgrx(&self) -> std::borrow::Cow<'_, [u8]> {
        match self.order {
            Order::Bgrx => std::borrow::Cow::Borrowed(self.data),
            Order::Rgbx => std::borrow::Cow::Owned(
                self.data
                    .chunks_exact(4)
                    .flat_map(|p| [p[2], p[1], p[0], p[3]])
                    .collect(),
            ),
        }
    }

    /// Whether the bytes cover every row.
    fn is_whole(&self) -> bool {
        self.width >= 2
            && self.height >= 2
            && self.stride >= self.width * 4
            && self.data.len() >= self.stride * (self.height - 1) + self.width * 4
    }

    /// Full size, 8-bit RGB.
    fn rgb(&self) -> Screenshot {
        let (r, b) = match self.order {
            Order::Bgrx => (2, 0),
            Order::Rgbx => (0, 2),
        };
        let mut rgb = Vec::with_capacity(self.width * self.height * 3);
        for row in self.data.chunks(self.stride).take(self.height) {
            for p in row[..self.width * 4].chunks_exact(4) {
                rgb.extend([p[r], p[1], p[b]]);
            }
        }
        Screenshot {
            width: self.width,
            height: self.height,
            rgb,
        }
    }
}

/// Locks `m`; a callback that panicked while holding it left nothing half-changed that matters.
fn lock<T: ?Sized>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the stream said so far, shared by its callbacks and the loop that drives it.
#[derive(Debug, Clone, Default)]
struct StreamNews {
    /// Size and layout, once negotiated.
    format: Option<(usize, usize, Order)>,
    /// Why the stream ended, once it did.
    ended: Option<String>,
    /// It reached the streaming state once.
    streamed: bool,
}

/// The format offer: 32-bit RGB in either channel order, any size, at most `fps` a second.
fn format_offer(fps: u32) -> Result<Vec<u8>, CaptureError> {
    let object = spa::pod::object!(
        spa::utils::SpaTypes::ObjectParamFormat,
        spa::param::ParamType::EnumFormat,
        spa::pod::property!(
            spa::param::format::FormatProperties::MediaType,
            Id,
            spa::param::format::MediaType::Video
        ),
        spa::pod::property!(
            spa::param::format::FormatProperties::MediaSubtype,
            Id,
            spa::param::format::MediaSubtype::Raw
        ),
        spa::pod::property!(
            spa::param::format::FormatProperties::VideoFormat,
            Choice,
            Enum,
            Id,
            VideoFormat::BGRx,
            VideoFormat::BGRx,
            VideoFormat::BGRA,
            VideoFormat::RGBx,
            VideoFormat::RGBA
        ),
        spa::pod::property!(
            spa::param::format::FormatProperties::VideoSize,
            Choice,
            Range,
            Rectangle,
            spa::utils::Rectangle {
                width: 1920,
                height: 1080
            },
            spa::utils::Rectangle {
                width: 2,
                height: 2
            },
            spa::utils::Rectangle {
                width: 16384,
                height: 16384
            }
        ),
        // Screen casts are variable-rate (0/1) with a maximum; both are offered up to `fps`.
        spa::pod::property!(
            spa::param::format::FormatProperties::VideoFramerate,
            Choice,
            Range,
            Fraction,
            spa::utils::Fraction { num: 0, denom: 1 },
            spa::utils::Fraction { num: 0, denom: 1 },
            spa::utils::Fraction { num: fps, denom: 1 }
        ),
        spa::pod::property!(
            spa::param::format::FormatProperties::VideoMaxFramerate,
            Choice,
            Range,
            Fraction,
            spa::utils::Fraction { num: fps, denom: 1 },
            spa::utils::Fraction { num: 1, denom: 1 },
            spa::utils::Fraction { num: fps, denom: 1 }
        ),
    );
    spa::pod::serialize::PodSerializer::serialize(
        std::io::Cursor::new(Vec::new()),
        &spa::pod::Value::Object(object),
    )
    .map(|(cursor, _)| cursor.into_inner())
    .map_err(|e| pipewire_failed(format!("the format offer could not be written ({e:?})")))
}

/// Reads node `node` of the PipeWire `remote` on this thread: `on_picture` gets each picture
/// as it comes; `turn` runs every 50 ms with what the stream said so far, and returns whether
/// to go on.
///
/// PipeWire may call the stream's callbacks from its own data thread (it does whenever this
/// thread is not inside the loop, e.g. while the stream is being torn down), so what they share
/// is behind mutexes; `turn` runs from the loop's timer, on this thread only.
fn read_stream(
    remote: OwnedFd,
    node: u32,
    fps: u32,
    on_picture: impl FnMut(Picture<'_>) + Send + 'static,
    turn: impl FnMut(&StreamNews) -> bool + 'static,
) -> Result<(), CaptureError> {
    pw::init();
    let mainloop = pw::main_loop::MainLoopRc::new(None)
        .map_err(|e| pipewire_failed(format!("no PipeWire loop ({e})")))?;
    let context = pw::context::ContextBox::new(mainloop.loop_(), None)
        .map_err(|e| pipewire_failed(format!("no PipeWire context ({e})")))?;
    let core = context.connect_fd(remote, None).map_err(|e| {
        pipewire_failed(format!(
            "PipeWire could not be reached through the portal ({e}); screen sharing on \
             Wayland needs PipeWire running"
        ))
    })?;
    let news = Arc::new(Mutex::new(StreamNews::default()));
    let core_news = news.clone();
    let _core_listener = core
        .add_listener_local()
        .error(move |id, _seq, res, message| {
            tracing::warn!(id, res, message, "PipeWire reported an error");
            if id == pw::core::PW_ID_CORE {
                lock(&core_news)
                    .ended
                    .get_or_insert_with(|| format!("PipeWire closed the connection ({message})"));
            }
        })
        .register();
    // The shared node going away is the end of the share (the desktop's "stop sharing" on some
    // desktops; the stream itself then only pauses, waiting for a node that never comes).
    let registry = core
        .get_registry()
        .map_err(|e| pipewire_failed(format!("no registry ({e})")))?;
    let removed_news = news.clone();
    let _registry_listener = registry
        .add_listener_local()
        .global_remove(move |id| {
            if id == node {
                lock(&removed_news)
                    .ended
                    .get_or_insert_with(|| "the screen-sharing stream was removed".into());
            }
        })
        .register();
    let stream = pw::stream::StreamBox::new(
        &core,
        "instant-share-screen",
        pw::properties::properties! {
            *pw::keys::MEDIA_TYPE => "Video",
            *pw::keys::MEDIA_CATEGORY => "Capture",
            *pw::keys::MEDIA_ROLE => "Screen",
        },
    )
    .map_err(|e| pipewire_failed(format!("no stream ({e})")))?;
    let (state_news, format_news, picture_news) = (news.clone(), news.clone(), news.clone());
    let on_picture = Mutex::new(on_picture);
    let _listener = stream
        .add_local_listener_with_user_data(())
        .state_changed(move |_, _, old, new| {
            tracing::debug!(?old, ?new, "screen stream state");
            let mut news = lock(&state_news);
            match new {
                pw::stream::StreamState::Streaming => news.streamed = true,
                pw::stream::StreamState::Error(e) => {
                    news.ended.get_or_insert(e);
                }
                pw::stream::StreamState::Unconnected => {
                    news.ended
                        .get_or_insert_with(|| "the stream was disconnected".into());
                }
                _ => {}
            }
        })
        .param_changed(move |_, _, id, param| {
            let Some(param) = param else { return };
            if id != spa::param::ParamType::Format.as_raw() {
                return;
            }
            let mut info = spa::param::video::VideoInfoRaw::new();
            if info.parse(param).is_err() {
                return;
            }
            let size = info.size();
            let mut news = lock(&format_news);
            match Order::of(info.format()) {
                Some(order) => {
                    news.format = Some((size.width as usize, size.height as usize, order));
                    tracing::info!(width = size.width, height = size.height,
                        format = ?info.format(), "screen stream format");
                }
                None => {
                    news.ended.get_or_insert_with(|| {
                        format!(
                            "it chose a pixel format this app cannot read ({:?})",
                            info.format()
                        )
                    });
                }
            }
        })
        .process(move |stream, _| {
            let Some(mut buffer) = stream.dequeue_buffer() else {
                return;
            };
            let Some((width, height, order)) = lock(&picture_news).format else {
                return;
            };
            let Some(data) = buffer.datas_mut().first_mut() else {
                return;
            };
            let chunk = data.chunk();
            let (offset, size) = (chunk.offset() as usize, chunk.size() as usize);
            let stride = usize::try_from(chunk.stride())
                .ok()
                .filter(|s| *s > 0)
                .unwrap_or(width * 4);
            if size == 0 || chunk.flags().contains(spa::buffer::ChunkFlags::CORRUPTED) {
                return;
            }
            let Some(bytes) = data.data().and_then(|d| d.get(offset..offset + size)) else {
                return;
            };
            let picture = Picture {
                data: bytes,
                width,
                height,
                stride,
                order,
            };
            if picture.is_whole() {
                (lock(&on_picture))(picture);
            }
        })
        .register()
        .map_err(|e| pipewire_failed(format!("no stream listener ({e})")))?;
    let offer = format_offer(fps)?;
    let pod = spa::pod::Pod::from_bytes(&offer)
        .ok_or_else(|| pipewire_failed("the format offer is not a valid pod"))?;
    stream
        .connect(
            spa::utils::Direction::Input,
            Some(node),
            pw::stream::StreamFlags::AUTOCONNECT | pw::stream::StreamFlags::MAP_BUFFERS,
            &mut [pod],
        )
        .map_err(|e| pipewire_failed(format!("the stream did not connect ({e})")))?;
    let weak = mainloop.downgrade();
    let turn = RefCell::new(turn);
    let timer = mainloop.loop_().add_timer(move |_| {
        let news = lock(&news).clone();
        if !(turn.borrow_mut())(&news) {
            if let Some(mainloop) = weak.upgrade() {
                mainloop.quit();
            }
        }
    });
    timer
        .update_timer(Some(TURN), Some(TURN))
        .into_sync_result()
        .map_err(|e| pipewire_failed(format!("no timer ({e})")))?;
    mainloop.run();
    drop(timer);
    let _ = stream.disconnect();
    Ok(())
}

/// What a live capture keeps between pictures.
struct Pump<F> {
    on_frame: F,
    fps: u32,
    max_width: usize,
    started: Instant,
    /// The next tick at which a picture may go (ticks at exact multiples of 1/fps).
    next: u64,
    /// The last picture sent and when.
    last: Option<(super::super::Frame, Instant)>,
}

impl<F: FnMut(CapturedFrame)> Pump<F> {
    fn tick_at(&self, n: u64) -> Instant {
        let nanos = u128::from(n) * 1_000_000_000 / u128::from(self.fps);
        self.started + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// A picture came: it goes if its tick is due, converted and scaled.
    fn picture(&mut self, picture: Picture<'_>) {
        let now = Instant::now();
        if now < self.tick_at(self.next) {
            return;
        }
        let elapsed = now.duration_since(self.started).as_nanos();
        self.next = u64::try_from(elapsed * u128::from(self.fps) / 1_000_000_000)
            .unwrap_or(u64::MAX / 2)
            + 1;
        let Some(frame) = bgrx_to_i420_scaled(
            &picture.bgrx(),
            picture.width,
            picture.height,
            picture.stride,
            self.max_width,
        ) else {
            return;
        };
        self.send(frame, now);
    }

    /// On a still screen, the last picture goes again now and then.
    fn repeat(&mut self) {
        let now = Instant::now();
        let Some((frame, at)) = &self.last else {
            return;
        };
        if now.duration_since(*at) >= REPEAT_AFTER {
            let frame = frame.clone();
            self.send(frame, now);
        }
    }

    fn send(&mut self, frame: super::super::Frame, at: Instant) {
        self.last = Some((frame.clone(), at));
        (self.on_frame)(CapturedFrame {
            frame,
            captured_at: at,
            captured_unix_micros: unix_micros(at),
        });
    }
}

/// Starts capturing the screen, or one window (`window`: any id; the portal asks which).
pub(in crate::capture) fn start(
    fps: u32,
    max_width: usize,
    window: Option<u32>,
    on_frame: impl FnMut(CapturedFrame) + Send + 'static,
) -> Result<(Worker, String), CaptureError> {
    let fps = super::frame_rate(fps)?;
    let what = What::of(window);
    let (portal, grant) = PortalSession::open(what)?;
    Worker::spawn_ready("capture-screen", move |stop, failure, ready| {
        let pump = Arc::new(Mutex::new(Pump {
            on_frame,
            fps,
            max_width,
            started: Instant::now(),
            next: 0,
            last: None,
        }));
        let picture_pump = pump.clone();
        let ready = Rc::new(RefCell::new(Some(ready)));
        let turn_ready = ready.clone();
        let turn_failure = failure.clone();
        let asked = Instant::now();
        let node = grant.node;
        let outcome = read_stream(
            grant.remote,
            node,
            fps,
            move |picture| lock(&picture_pump).picture(picture),
            move |news| {
                let (ready, failure) = (&mut *turn_ready.borrow_mut(), &turn_failure);
                if let Some(reason) = &news.ended {
                    let error = CaptureError::SharingEnded(reason.clone());
                    match ready.take() {
                        Some(r) => r.send(Err(error)),
                        None => fail(failure, error),
                    }
                    return false;
                }
                if portal.is_closed() {
                    let error =
                        CaptureError::SharingEnded("the desktop closed the screen share".into());
                    match ready.take() {
                        Some(r) => r.send(Err(error)),
                        None => fail(failure, error),
                    }
                    return false;
                }
                if stop.is_set() {
                    return false;
                }
                if let Some((w, h, _)) = news.format {
                    if let Some(r) = ready.take() {
                        let (sw, sh) = super::super::convert::fit_width(w, h, max_width);
                        let source = match what {
                            What::Screen => "screen",
                            What::Window => "window",
                        };
                        r.send(Ok(format!(
                            "Wayland {source} {w}x{h} (portal, PipeWire node {node}) as \
                             {sw}x{sh} at {fps} fps"
                        )));
                    }
                    lock(&pump).repeat();
                } else if asked.elapsed() > FIRST_PICTURE {
                    if let Some(r) = ready.take() {
                        r.send(Err(pipewire_failed(format!(
                            "the stream gave no picture format within {} seconds",
                            FIRST_PICTURE.as_secs()
                        ))));
                    }
                    return false;
                }
                true
            },
        );
        if let Err(e) = outcome {
            match ready.borrow_mut().take() {
                Some(r) => r.send(Err(e)),
                None => fail(&failure, e),
            }
        }
    })
}

/// One picture of the whole screen, or of a window the portal asks for: the first picture of
/// a ScreenCast session of its own, full size.
pub(in crate::capture) fn screenshot(window: Option<u32>) -> Result<Screenshot, CaptureError> {
    let (portal, grant) = PortalSession::open(What::of(window))?;
    let shot: Arc<Mutex<Option<Screenshot>>> = Arc::default();
    let problem: Rc<RefCell<Option<CaptureError>>> = Rc::default();
    let (taken, seen, trouble) = (shot.clone(), shot.clone(), problem.clone());
    let asked = Instant::now();
    let closed = portal.closed.clone();
    read_stream(
        grant.remote,
        grant.node,
        super::MAX_FPS,
        move |picture| {
            let mut taken = lock(&taken);
            if taken.is_none() {
                *taken = Some(picture.rgb());
            }
        },
        move |news| {
            if lock(&seen).is_some() {
                return false;
            }
            if let Some(reason) = &news.ended {
                *trouble.borrow_mut() = Some(CaptureError::SharingEnded(reason.clone()));
                return false;
            }
            if closed.load(Ordering::Relaxed) {
                *trouble.borrow_mut() = Some(CaptureError::SharingEnded(
                    "the desktop closed the screen share before a picture came".into(),
                ));
                return false;
            }
            asked.elapsed() < FIRST_PICTURE
        },
    )?;
    drop(portal);
    if let Some(problem) = problem.borrow_mut().take() {
        return Err(problem);
    }
    let taken = lock(&shot).take();
    taken.ok_or_else(|| {
        pipewire_failed(format!(
            "the desktop sent no picture of its {}x{} screen within {} seconds (some desktops \
             send one only when something on the screen changes: move the mouse and try again)",
            grant.size.map_or(0, |s| s.0),
            grant.size.map_or(0, |s| s.1),
            FIRST_PICTURE.as_secs()
        ))
    })
}

/// On Wayland the app cannot see other applications' windows: the portal asks instead.
pub(in crate::capture) fn list_windows() -> Result<Vec<ScreenWindow>, CaptureError> {
    Err(CaptureError::Unsupported(
        "On Wayland the app cannot list the windows of other applications: when you share \
         one window, the system asks which one."
            .into(),
    ))
}

/// The screen that can be shared: the portal's ScreenCast interface, if it answers.
pub(in crate::capture) fn describe() -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| portal_failed(format!("no runtime ({e})")).to_string())?;
    runtime.block_on(async {
        let connection = zbus::Connection::session()
            .await
            .map_err(|e| no_portal(format!("there is no D-Bus session bus: {e}")).to_string())?;
        let portal = Screencast::with_connection(connection)
            .await
            .map_err(|e| from_portal(e).to_string())?;
        let types = portal
            .available_source_types()
            .await
            .map_err(|e| from_portal(e).to_string())?;
        let mut kinds = Vec::new();
        if types.contains(SourceType::Monitor) {
            kinds.push("screen");
        }
        if types.contains(SourceType::Window) {
            kinds.push("window");
        }
        Ok(format!(
            "Wayland portal (ScreenCast {}: {})",
            portal.version(),
            kinds.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_type_decides_and_xwayland_does_not_win() {
        // XWayland sets DISPLAY too; only these two are read.
        assert!(is_session(Some("wayland".into()), None));
        assert!(is_session(None, Some("wayland-1".into())));
        assert!(!is_session(Some("x11".into()), Some("wayland-1".into())));
        assert!(!is_session(None, None));
        assert!(!is_session(None, Some("".into())));
        assert!(is_session(Some("tty".into()), Some("wayland-0".into())));
    }

    #[test]
    fn either_channel_order_reads_as_rgb() {
        // 2x2, stride 12 (4 bytes of padding a row).
        let bgrx = [
            3, 2, 1, 0, 6, 5, 4, 0, 9, 9, 9, 9, //
            30, 20, 10, 0, 60, 50, 40, 0, 9, 9, 9, 9,
        ];
        let p = Picture {
            data: &bgrx,
            width: 2,
            height: 2,
            stride: 12,
            order: Order::Bgrx,
        };
        assert!(p.is_whole());
        assert_eq!(p.rgb().rgb, vec![1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]);
        let rgbx = Picture {
            order: Order::Rgbx,
            ..p
        };
        assert_eq!(
            rgbx.rgb().rgb,
            vec![3, 2, 1, 6, 5, 4, 30, 20, 10, 60, 50, 40]
        );
        assert_eq!(&rgbx.bgrx()[..8], &[1, 2, 3, 0, 4, 5, 6, 0]);
        let short = Picture {
            data: &bgrx[..16],
            ..rgbx
        };
        assert!(!short.is_whole());
    }

    #[test]
    fn pictures_are_paced_and_a_still_screen_repeats() {
        let sent = Rc::new(RefCell::new(Vec::new()));
        let sink = sent.clone();
        let mut pump = Pump {
            on_frame: move |f: CapturedFrame| sink.borrow_mut().push(f.captured_at),
            fps: 10,
            max_width: 0,
            started: Instant::now(),
            next: 0,
            last: None,
        };
        let px = [0u8; 4 * 4 * 4];
        let picture = || Picture {
            data: &px,
            width: 4,
            height: 4,
            stride: 16,
            order: Order::Bgrx,
        };
        // Three pictures at once: one goes, the next two are inside its 100 ms.
        pump.picture(picture());
        pump.picture(picture());
        pump.picture(picture());
        assert_eq!(sent.borrow().len(), 1);
        std::thread::sleep(Duration::from_millis(110));
        pump.picture(picture());
        assert_eq!(sent.borrow().len(), 2);
        pump.repeat();
        assert_eq!(sent.borrow().len(), 2, "not still long enough to repeat");
        pump.last = pump.last.take().map(|(f, at)| (f, at - REPEAT_AFTER));
        pump.repeat();
        assert_eq!(sent.borrow().len(), 3, "a still screen repeats its picture");
    }

    #[test]
    fn the_format_offer_is_a_pod() {
        let bytes = format_offer(15).unwrap();
        assert!(spa::pod::Pod::from_bytes(&bytes).is_some());
    }
}
