//! Calls: the participant's side of WebRTC, driven by the session socket.
//!
//! A [`MediaHandle`] is fed what the session socket says (the snapshot, each welcome with its
//! ICE servers, signals from others) and what the user chooses (sources on or off, mute). It
//! follows the call rules of docs/CONTRACT.md ("Calls"): whoever joined the session earlier
//! offers; three m-sections in a fixed order; trickle ICE; a reconnect or a failed connection
//! starts a new call. Out come [`MediaEvent`]s: signals and media state for the socket, decoded
//! pictures for the screen, call states and problems for the user.
//!
//! Each source is encoded once on a thread of its own and sent to every call; each remote track
//! is decoded on a thread of its own.

mod assembler;
mod connection;
mod curtain;
mod fault;
mod feedback;
mod first_frame;
mod flights;
mod nack;
mod network;
mod receive;
mod runtime;
mod send;
mod seq;
mod stats;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use instant_share_protocol::{IceServer, MediaState, SessionSnapshot, SessionStatus, Signal};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::peer_connection::{RTCIceCandidateInit, RTCPeerConnectionState};

pub use assembler::{Assembled, Vp8Assembler, KEYFRAME_REPEAT, LOSS_WAIT};
pub use curtain::{card as curtain_card, Curtain, CARD_LUMA, SIGN_LUMA};
pub use fault::PacketFaults;
pub use stats::{Direction, TrackStats};

use crate::capture::{self, AudioSinkConfig, AudioSourceConfig, VideoSourceConfig};
use crate::synthetic::Frame;
use connection::{Answered, Call, CallInput};
use send::{AudioPipeline, EncoderControl, Fanout, VideoPipeline};
use stats::{Rates, RecvCounters};

/// One of the three tracks each side of a call has, in the order of the offer's m-sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    /// Audio from the microphone (m-section 0).
    Microphone,
    /// Video from the camera (m-section 1).
    Camera,
    /// Video of the screen or one window (m-section 2).
    Screen,
}

impl TrackKind {
    /// All three, in m-section order.
    pub const ALL: [Self; 3] = [Self::Microphone, Self::Camera, Self::Screen];

    /// Its name in logs, track ids and file names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Microphone => "microphone",
            Self::Camera => "camera",
            Self::Screen => "screen",
        }
    }
}

/// A call could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The WebRTC stack refused something.
    #[error("WebRTC: {0}")]
    WebRtc(#[from] webrtc::error::Error),
}

/// How calls are made.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Local UDP addresses to gather host candidates on (`0.0.0.0:0`: every interface except
    /// loopback; tests on loopback give `127.0.0.1:0`).
    pub udp_addrs: Vec<SocketAddr>,
    /// Where remote audio goes. For a WAV sink, each remote participant gets a file of their
    /// own: `<stem>-<participant>.wav` beside the given path.
    pub audio_output: AudioSinkConfig,
    /// Send every captured frame back as [`MediaEvent::LocalVideo`] (self-view).
    pub self_view: bool,
    /// Outgoing video packets to drop on purpose (loss-recovery tests); empty in use.
    pub faults: PacketFaults,
    /// Connect through a TURN relay only, never directly (ICE transport policy `relay`): hides
    /// this computer's addresses from the other side; for networks that demand it and tests.
    pub relay_only: bool,
    /// Resend a lost DTLS handshake flight after twice the ICE round trip (at least 20 ms),
    /// not after the DTLS layer's fixed second (`flights`). Off only to measure the difference.
    pub fast_dtls_resend: bool,
    /// Send each call's first keyframe twice (`first_frame`), so that the first picture seldom
    /// waits for a retransmission. Off only to measure the difference.
    pub first_keyframe_twice: bool,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            udp_addrs: vec![SocketAddr::from(([0, 0, 0, 0], 0))],
            audio_output: AudioSinkConfig::Speaker { device: None },
            self_view: false,
            faults: PacketFaults::default(),
            relay_only: false,
            fast_dtls_resend: true,
            first_keyframe_twice: true,
        }
    }
}

/// Where a call with one participant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// Offer or answer sent; ICE and DTLS under way.
    Connecting,
    /// Media flows.
    Connected,
    /// The connection failed; the offerer will try again.
    Failed,
    /// Closed (hang-up, the other left, or the session ended).
    Closed,
}

/// What a media session reports.
#[derive(Debug, Clone)]
pub enum MediaEvent {
    /// Send this to participant `to` over the session socket.
    Signal {
        /// The participant it is for.
        to: String,
        /// The signal.
        signal: Signal,
    },
    /// Tell the session which media are live (`set_media`).
    MediaState(MediaState),
    /// A decoded picture from another participant.
    Video {
        /// The participant.
        from: String,
        /// Camera or screen.
        kind: TrackKind,
        /// The picture (I420).
        frame: Arc<Frame>,
        /// When it came out of the decoder.
        decoded_at: Instant,
        /// The same on the wall clock (Unix microseconds), for glass-to-glass figures.
        decoded_unix_micros: u64,
    },
    /// A picture of our own (self-view), when [`MediaConfig::self_view`] is on.
    LocalVideo {
        /// Camera or screen.
        kind: TrackKind,
        /// The picture (I420).
        frame: Arc<Frame>,
        /// When it was captured (Unix microseconds).
        captured_unix_micros: u64,
    },
    /// A call's state changed.
    Call {
        /// The other participant.
        with: String,
        /// The new state.
        state: CallState,
    },
    /// A video source stopped on its own with an error (a shared window closed, the system
    /// ended a screen share, a camera failed): its track is off now, and `message` says why.
    SourceEnded {
        /// Camera or screen.
        kind: TrackKind,
        /// A sentence for the user.
        message: String,
    },
    /// Something the user should know: a device missing or failing.
    Problem {
        /// The track concerned, if one.
        kind: Option<TrackKind>,
        /// A sentence for the user.
        message: String,
    },
    /// The computer's network addresses changed (another network, an interface up or down):
    /// the session socket should reconnect now (`SessionHandle::reconnect`). Once it is
    /// welcomed again, the calls restart ICE on the new network.
    NetworkChanged,
}

/// Where events go: control events wait for room, pictures are dropped when the reader lags.
#[derive(Clone)]
pub(crate) struct EventSink(mpsc::Sender<MediaEvent>);

impl EventSink {
    pub fn video(&self, event: MediaEvent) {
        let _ = self.0.try_send(event);
    }

    async fn send(&self, event: MediaEvent) {
        let _ = self.0.send(event).await;
    }
}

enum Command {
    Session(Box<SessionSnapshot>),
    Welcomed(Vec<IceServer>),
    Signal(String, Signal),
    Video(
        TrackKind,
        Option<VideoSourceConfig>,
        oneshot::Sender<Result<(), String>>,
    ),
    Audio(
        Option<AudioSourceConfig>,
        oneshot::Sender<Result<(), String>>,
    ),
    Mute(bool),
    Pause(TrackKind, bool, oneshot::Sender<()>),
    Stats(oneshot::Sender<Vec<TrackStats>>),
    Retry(String),
    Close,
}

/// Controls a running media session. Cheap to clone; dropping every handle ends it.
#[derive(Clone)]
pub struct MediaHandle {
    tx: mpsc::UnboundedSender<Command>,
}

impl MediaHandle {
    /// Starts a media session; events arrive on `events`. Must run inside a Tokio runtime.
    pub fn spawn(config: MediaConfig, events: mpsc::Sender<MediaEvent>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (input_tx, input_rx) = mpsc::unbounded_channel();
        // Sockets on every interface follow the network; fixed addresses do not.
        let addresses = config
            .udp_addrs
            .iter()
            .any(|a| a.ip().is_unspecified())
            .then(|| network::usable_addresses().unwrap_or_default());
        let session = Session {
            config,
            events: EventSink(events),
            input_tx,
            commands: tx.clone(),
            me: None,
            participants: Vec::new(),
            active: false,
            ended: false,
            welcomed: false,
            ice_servers: Vec::new(),
            calls: HashMap::new(),
            setup_timeouts: HashMap::new(),
            addresses,
            restart_due: HashSet::new(),
            fanouts: TrackKind::ALL
                .iter()
                .map(|k| (*k, Arc::new(Fanout::default())))
                .collect(),
            controls: TrackKind::ALL
                .iter()
                .map(|k| (*k, Arc::new(EncoderControl::default())))
                .collect(),
            curtains: TrackKind::ALL
                .iter()
                .map(|k| (*k, Arc::new(Curtain::default())))
                .collect(),
            camera: None,
            screen: None,
            microphone: None,
            muted: false,
            announced: None,
            received: HashMap::new(),
            rates: Rates::default(),
        };
        tokio::spawn(session.run(rx, input_rx));
        Self { tx }
    }

    /// The session as the socket last saw it (participants, who is online, status).
    pub fn session(&self, snapshot: &SessionSnapshot) {
        let _ = self.tx.send(Command::Session(Box::new(snapshot.clone())));
    }

    /// The socket was (re)welcomed with these ICE servers.
    pub fn welcomed(&self, ice_servers: Vec<IceServer>) {
        let _ = self.tx.send(Command::Welcomed(ice_servers));
    }

    /// A signal from another participant.
    pub fn signal(&self, from: String, signal: Signal) {
        let _ = self.tx.send(Command::Signal(from, signal));
    }

    /// Starts (or replaces, or with `None` stops) the camera or the screen.
    pub async fn set_video(
        &self,
        kind: TrackKind,
        source: Option<VideoSourceConfig>,
    ) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Command::Video(kind, source, tx))
            .map_err(|_| "the media session has stopped".to_owned())?;
        rx.await
            .map_err(|_| "the media session has stopped".to_owned())?
    }

    /// Starts (or replaces, or with `None` stops) the microphone.
    pub async fn set_audio(&self, source: Option<AudioSourceConfig>) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Command::Audio(source, tx))
            .map_err(|_| "the media session has stopped".to_owned())?;
        rx.await
            .map_err(|_| "the media session has stopped".to_owned())?
    }

    /// Mutes or unmutes the microphone (nothing is sent while muted).
    pub fn set_muted(&self, muted: bool) {
        let _ = self.tx.send(Command::Mute(muted));
    }

    /// Pauses a video track (it sends a card with a pause sign instead of what it captures)
    /// or lets it go on. When this returns, no picture captured afterwards is sent; the pause
    /// holds until lifted, also across a restart of the source.
    pub async fn set_paused(&self, kind: TrackKind, paused: bool) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Command::Pause(kind, paused, tx))
            .map_err(|_| "the media session has stopped".to_owned())?;
        rx.await
            .map_err(|_| "the media session has stopped".to_owned())
    }

    /// The figures of every track now.
    pub async fn stats(&self) -> Vec<TrackStats> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Stats(tx)).is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Hangs up every call and stops every source.
    pub fn close(&self) {
        let _ = self.tx.send(Command::Close);
    }
}

struct Session {
    config: MediaConfig,
    events: EventSink,
    input_tx: mpsc::UnboundedSender<CallInput>,
    commands: mpsc::UnboundedSender<Command>,
    me: Option<String>,
    /// Everyone in order of joining.
    participants: Vec<Seat>,
    active: bool,
    ended: bool,
    welcomed: bool,
    ice_servers: Vec<IceServer>,
    calls: HashMap<String, Call>,
    /// Calls offered to a participant in a row that did not connect in time: each next one
    /// is given twice as long ([`connection::setup_timeout`]).
    setup_timeouts: HashMap<String, u32>,
    /// The addresses this computer had at the last look ([`network::usable_addresses`]),
    /// when its sockets follow the interfaces.
    addresses: Option<BTreeSet<IpAddr>>,
    /// Calls to restart ICE on once the socket is welcomed again: the network changed.
    restart_due: HashSet<String>,
    fanouts: HashMap<TrackKind, Arc<Fanout>>,
    controls: HashMap<TrackKind, Arc<EncoderControl>>,
    curtains: HashMap<TrackKind, Arc<Curtain>>,
    camera: Option<VideoPipeline>,
    screen: Option<VideoPipeline>,
    microphone: Option<AudioPipeline>,
    muted: bool,
    announced: Option<MediaState>,
    received: HashMap<(String, TrackKind), Arc<RecvCounters>>,
    rates: Rates,
}

/// One participant as the call rules see them.
struct Seat {
    id: String,
    online: bool,
    left: bool,
}

fn new_call_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Session {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut inputs: mpsc::UnboundedReceiver<CallInput>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut look = tokio::time::interval(network::LOOK_EVERY);
        look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Close) | None => break,
                    Some(command) => self.command(command).await,
                },
                Some(input) = inputs.recv() => self.input(input).await,
                _ = tick.tick() => {
                    self.follow_estimates();
                    self.end_failed_sources().await;
                }
                _ = look.tick(), if self.addresses.is_some() => self.look_at_network().await,
            }
        }
        for (_, call) in self.calls.drain() {
            call.close().await;
        }
        self.camera = None;
        self.screen = None;
        self.microphone = None;
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Session(snapshot) => {
                self.me = Some(snapshot.you.clone());
                let before: HashMap<String, bool> = self
                    .participants
                    .iter()
                    .map(|p| (p.id.clone(), p.online))
                    .collect();
                self.participants = snapshot
                    .participants
                    .iter()
                    .map(|p| Seat {
                        id: p.id.clone(),
                        online: p.online,
                        left: p.left,
                    })
                    .collect();
                self.active = snapshot.status == SessionStatus::Active;
                self.ended = snapshot.status == SessionStatus::Ended;
                // Someone back online whose call is down (their app restarted, or their socket
                // and their network went away together) is called anew; a call that stayed up
                // through their socket's absence goes on.
                let back: Vec<String> = self
                    .participants
                    .iter()
                    .filter(|p| p.online && before.get(&p.id) == Some(&false))
                    .map(|p| p.id.clone())
                    .collect();
                for remote in back {
                    if self
                        .calls
                        .get(&remote)
                        .is_some_and(|c| c.offerer && !c.live)
                    {
                        tracing::info!(remote, "back online with the call down: calling anew");
                        self.hang_up(&remote, false).await;
                    }
                }
                self.reconcile().await;
            }
            Command::Welcomed(servers) => {
                self.ice_servers = servers;
                let first = !self.welcomed;
                self.welcomed = true;
                if !first {
                    // A new socket: signals sent meanwhile are lost. Calls this side started
                    // that never came up are started again; calls that came up go on, and
                    // restart ICE (or send their restart offer again) if the network changed
                    // or they are down.
                    let due = std::mem::take(&mut self.restart_due);
                    let remotes: Vec<String> = self.calls.keys().cloned().collect();
                    for remote in remotes {
                        let call = &self.calls[&remote];
                        if call.offerer && !call.connected {
                            self.hang_up(&remote, false).await;
                        } else if due.contains(&remote) {
                            self.restart(&remote, "the network changed").await;
                        } else if !call.live || call.restarting() {
                            self.restart(&remote, "the call is down").await;
                        }
                    }
                }
                self.reconcile().await;
            }
            Command::Signal(from, signal) => self.signal(from, signal).await,
            Command::Video(kind, source, reply) => {
                let result = self.set_video(kind, source);
                let _ = reply.send(result);
                self.announce().await;
            }
            Command::Audio(source, reply) => {
                let result = self.set_audio(source);
                let _ = reply.send(result);
                self.announce().await;
            }
            Command::Mute(muted) => {
                self.muted = muted;
                if let Some(m) = &self.microphone {
                    m.muted.store(muted, Ordering::Relaxed);
                }
                self.announce().await;
            }
            Command::Pause(kind, paused, reply) => {
                let curtain = &self.curtains[&kind];
                if paused {
                    curtain.close();
                } else {
                    curtain.open();
                }
                tracing::info!(track = kind.name(), paused, "video track paused or resumed");
                let _ = reply.send(());
                self.announce().await;
            }
            Command::Stats(reply) => {
                let stats = self.stats().await;
                let _ = reply.send(stats);
            }
            Command::Retry(remote) => self.reconcile_one(&remote).await,
            Command::Close => {}
        }
    }

    /// Whether this side offers to `remote`: it joined earlier.
    fn we_offer(&self, remote: &str) -> bool {
        let Some(me) = &self.me else { return false };
        let pos = |id: &str| self.participants.iter().position(|p| p.id == id);
        matches!((pos(me), pos(remote)), (Some(a), Some(b)) if a < b)
    }

    fn online(&self, remote: &str) -> bool {
        self.participants.iter().any(|p| p.id == remote && p.online)
    }

    /// Whether `remote` is still in the session (online or not).
    fn present(&self, remote: &str) -> bool {
        self.participants.iter().any(|p| p.id == remote && !p.left)
    }

    /// Starts the calls the rules call for and ends those that lost their reason.
    async fn reconcile(&mut self) {
        if self.ended {
            let all: Vec<String> = self.calls.keys().cloned().collect();
            for remote in all {
                self.hang_up(&remote, true).await;
            }
            return;
        }
        // Only those who left are hung up on: media flows peer to peer, and a call outlives a
        // socket that drops for a moment.
        let gone: Vec<String> = self
            .calls
            .keys()
            .filter(|r| !self.present(r))
            .cloned()
            .collect();
        for remote in gone {
            self.hang_up(&remote, false).await;
        }
        let others: Vec<String> = self
            .participants
            .iter()
            .map(|p| p.id.clone())
            .filter(|p| Some(p) != self.me.as_ref())
            .collect();
        for remote in others {
            self.reconcile_one(&remote).await;
        }
    }

    async fn reconcile_one(&mut self, remote: &str) {
        if !(self.active && self.welcomed && self.online(remote) && self.we_offer(remote))
            || self.calls.contains_key(remote)
        {
            return;
        }
        let call_id = new_call_id();
        match Call::build(
            remote,
            &call_id,
            true,
            &self.ice_servers,
            &self.config,
            self.input_tx.clone(),
        )
        .await
        {
            Ok(mut call) => match call.offer().await {
                Ok(sdp) => {
                    tracing::info!(remote, call_id, "calling");
                    self.calls.insert(remote.to_owned(), call);
                    let (input, watched) = (self.input_tx.clone(), call_id.clone());
                    let remote_id = remote.to_owned();
                    let failed_before = self.setup_timeouts.get(remote).copied().unwrap_or(0);
                    let timeout = connection::setup_timeout(failed_before);
                    tokio::spawn(async move {
                        tokio::time::sleep(timeout).await;
                        let _ = input.send(CallInput::SetupTimeout {
                            remote: remote_id,
                            call_id: watched,
                        });
                    });
                    self.send_signal(remote, Signal::Offer { call_id, sdp })
                        .await;
                    self.call_state(remote, CallState::Connecting).await;
                }
                Err(e) => {
                    tracing::warn!(remote, error = %e, "no offer");
                    call.close().await;
                }
            },
            Err(e) => {
                tracing::warn!(remote, error = %e, "no peer connection");
                self.events
                    .send(MediaEvent::Problem {
                        kind: None,
                        message: format!("The call could not be set up: {e}."),
                    })
                    .await;
            }
        }
    }

    async fn signal(&mut self, from: String, signal: Signal) {
        let current = self.calls.get(&from).map(|c| c.call_id.clone());
        match signal {
            Signal::Offer { call_id, sdp } => {
                if current.as_deref() == Some(call_id.as_str()) {
                    let Some(call) = self.calls.get_mut(&from) else {
                        return;
                    };
                    if call.offerer {
                        tracing::warn!(
                            from,
                            call_id,
                            "an offer for a call this side offers: ignored"
                        );
                        return;
                    }
                    if call.same_remote(&sdp) {
                        // The offerer restarts ICE on this call.
                        match call.renegotiate(&sdp).await {
                            Ok(answer) => {
                                tracing::info!(from, call_id, "answering an ICE restart");
                                self.send_answer(&from, call_id, answer).await;
                            }
                            Err(e) => {
                                tracing::warn!(from, error = %e, "an ICE restart could not be answered");
                                // The offerer calls anew on the hang-up.
                                self.hang_up(&from, true).await;
                            }
                        }
                        return;
                    }
                }
                if current.is_some() {
                    self.hang_up(&from, false).await;
                }
                let mut call = match Call::build(
                    &from,
                    &call_id,
                    false,
                    &self.ice_servers,
                    &self.config,
                    self.input_tx.clone(),
                )
                .await
                {
                    Ok(call) => call,
                    Err(e) => {
                        tracing::warn!(from, error = %e, "no peer connection for an offer");
                        return;
                    }
                };
                match call.answer(&sdp).await {
                    Ok(answer) => {
                        tracing::info!(from, call_id, "answering");
                        self.calls.insert(from.clone(), call);
                        self.send_answer(&from, call_id, answer).await;
                    }
                    Err(e) => {
                        tracing::warn!(from, error = %e, "the offer could not be answered");
                        call.close().await;
                        self.send_signal(&from, Signal::Hangup { call_id }).await;
                    }
                }
            }
            Signal::Answer { call_id, sdp } => {
                if current.as_deref() != Some(call_id.as_str()) {
                    return;
                }
                let Some(call) = self.calls.get_mut(&from) else {
                    return;
                };
                match call.accept_answer(&sdp).await {
                    Ok(Answered::Taken) => {}
                    Ok(Answered::Unexpected) => {
                        tracing::debug!(from, call_id, "an answer no offer waits for: ignored");
                    }
                    Ok(Answered::Stranger) => {
                        tracing::info!(
                            from,
                            call_id,
                            "the restart was answered by a new connection: calling anew"
                        );
                        self.hang_up(&from, false).await;
                        self.reconcile_one(&from).await;
                    }
                    Err(e) => {
                        tracing::warn!(from, error = %e, "the answer was refused");
                        self.hang_up(&from, true).await;
                    }
                }
            }
            Signal::Candidate {
                call_id,
                candidate,
                sdp_mid,
                sdp_m_line_index,
            } => {
                if current.as_deref() != Some(call_id.as_str()) || candidate.is_empty() {
                    return;
                }
                if let Some(call) = self.calls.get_mut(&from) {
                    call.add_candidate(RTCIceCandidateInit {
                        candidate,
                        sdp_mid,
                        sdp_mline_index: sdp_m_line_index,
                        ..Default::default()
                    })
                    .await;
                }
            }
            Signal::Hangup { call_id } => {
                if current.as_deref() == Some(call_id.as_str()) {
                    let restarting = self
                        .calls
                        .get(&from)
                        .is_some_and(|c| c.offerer && c.restarting());
                    self.hang_up(&from, false).await;
                    if restarting {
                        // The other side could not take our ICE restart on this call: a new
                        // one. Any other hang-up stands until a rule 2 event.
                        self.reconcile_one(&from).await;
                    }
                }
            }
            Signal::Restart { call_id } => {
                if current.as_deref() != Some(call_id.as_str()) {
                    return;
                }
                // While a restart of ours waits for its answer, this sends its offer again (the
                // first may have gone to the other side's old socket).
                if self.calls.get(&from).is_some_and(|c| c.offerer) {
                    self.restart(&from, "the other side asked").await;
                }
            }
        }
    }

    /// Restarts ICE on the call with `remote`, if it came up once: the offerer offers again
    /// with fresh credentials — or sends again the restart offer that still waits for its
    /// answer (a second one could not be told apart from it); the answerer asks the offerer to.
    async fn restart(&mut self, remote: &str, why: &str) {
        let Some(call) = self.calls.get_mut(remote).filter(|c| c.connected) else {
            return;
        };
        let call_id = call.call_id.clone();
        if let Some(sdp) = call.pending_offer().filter(|_| call.offerer) {
            tracing::info!(remote, call_id, why, "sending the ICE restart offer again");
            let sdp = sdp.to_owned();
            self.send_signal(remote, Signal::Offer { call_id, sdp })
                .await;
            return;
        }
        if !call.offerer {
            tracing::info!(remote, call_id, why, "asking for an ICE restart");
            call.restarted = Some(Instant::now());
            self.send_signal(remote, Signal::Restart { call_id }).await;
            return;
        }
        match call.restart_offer().await {
            Ok(sdp) => {
                tracing::info!(remote, call_id, why, "restarting ICE");
                self.send_signal(remote, Signal::Offer { call_id, sdp })
                    .await;
                self.call_state(remote, CallState::Connecting).await;
            }
            Err(e) => {
                tracing::warn!(remote, call_id, error = %e, "no ICE restart: calling anew");
                self.hang_up(remote, true).await;
                self.reconcile_one(remote).await;
            }
        }
    }

    /// Looks at the computer's addresses; when one went away (another network, an interface
    /// down), the socket is to reconnect and every call to restart ICE once it is welcomed.
    async fn look_at_network(&mut self) {
        let Some(now) = network::usable_addresses() else {
            return;
        };
        let Some(before) = self.addresses.replace(now.clone()) else {
            return;
        };
        if before.is_subset(&now) {
            // Nothing went away (an interface or a VPN came up): the calls' paths stand.
            if before != now {
                tracing::debug!(?before, ?now, "a new address");
            }
            return;
        }
        tracing::info!(
            ?before,
            ?now,
            calls = self.calls.len(),
            "the network changed"
        );
        self.restart_due.extend(self.calls.keys().cloned());
        self.events.send(MediaEvent::NetworkChanged).await;
    }

    async fn input(&mut self, input: CallInput) {
        match input {
            CallInput::Candidate {
                remote,
                call_id,
                candidate,
            } => {
                if self.calls.get(&remote).map(|c| c.call_id.as_str()) != Some(call_id.as_str()) {
                    return;
                }
                let signal = match candidate {
                    Some(c) => Signal::Candidate {
                        call_id,
                        candidate: c.candidate,
                        sdp_mid: c.sdp_mid,
                        sdp_m_line_index: c.sdp_mline_index,
                    },
                    None => Signal::Candidate {
                        call_id,
                        candidate: String::new(),
                        sdp_mid: None,
                        sdp_m_line_index: None,
                    },
                };
                self.send_signal(&remote, signal).await;
            }
            CallInput::State {
                remote,
                call_id,
                state,
            } => {
                let Some(call) = self.calls.get_mut(&remote) else {
                    return;
                };
                if call.call_id != call_id {
                    return;
                }
                match state {
                    RTCPeerConnectionState::Connected if call.connected => {
                        // Back after a disconnection or an ICE restart: the same tracks.
                        call.live = true;
                        let restart_ms = call
                            .restarted
                            .take()
                            .map(|at| at.elapsed().as_millis() as u64);
                        tracing::info!(remote, call_id, ?restart_ms, "call reconnected");
                        // What was sent while the path was down is lost for good: a keyframe
                        // each way now, rather than after the receivers' loss wait.
                        for kind in [TrackKind::Camera, TrackKind::Screen] {
                            self.controls[&kind].keyframe.store(true, Ordering::Relaxed);
                            if let Some(counters) = self.received.get(&(remote.clone(), kind)) {
                                counters.keyframe_wanted.store(true, Ordering::Relaxed);
                            }
                        }
                        self.call_state(&remote, CallState::Connected).await;
                    }
                    RTCPeerConnectionState::Disconnected if call.connected && call.live => {
                        call.live = false;
                        tracing::warn!(
                            remote,
                            call_id,
                            after_ms = connection::ICE_DISCONNECTED_AFTER.as_millis() as u64,
                            "nothing heard from the other side: the call is disconnected"
                        );
                        self.call_state(&remote, CallState::Connecting).await;
                        self.restart(&remote, "disconnected").await;
                    }
                    RTCPeerConnectionState::Connected => {
                        call.connected = true;
                        call.live = true;
                        self.setup_timeouts.remove(&remote);
                        tracing::info!(
                            remote,
                            call_id,
                            setup_ms = call.created.elapsed().as_millis() as u64,
                            "call connected"
                        );
                        for (kind, outlet) in call.outlets().await {
                            self.fanouts[&kind].insert(&remote, outlet);
                        }
                        // The tracks are bound now: their feedback can be read.
                        let call = &self.calls[&remote];
                        self.watch_keyframe_requests(call);
                        for kind in [TrackKind::Camera, TrackKind::Screen] {
                            self.controls[&kind].keyframe.store(true, Ordering::Relaxed);
                        }
                        self.call_state(&remote, CallState::Connected).await;
                    }
                    RTCPeerConnectionState::Failed => {
                        call.live = false;
                        tracing::warn!(remote, call_id, "call failed");
                        let offerer = call.offerer;
                        self.hang_up(&remote, false).await;
                        self.call_state(&remote, CallState::Failed).await;
                        if offerer {
                            let commands = self.commands.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(Duration::from_secs(1)).await;
                                let _ = commands.send(Command::Retry(remote));
                            });
                        }
                    }
                    _ => {}
                }
            }
            CallInput::SetupTimeout { remote, call_id } => {
                let Some(call) = self.calls.get(&remote) else {
                    return;
                };
                if call.call_id != call_id || call.connected {
                    return;
                }
                let failed = self.setup_timeouts.entry(remote.clone()).or_insert(0);
                tracing::warn!(
                    remote,
                    call_id,
                    secs = connection::setup_timeout(*failed).as_secs(),
                    "call not connected in time: calling again"
                );
                *failed += 1;
                // The other side drops its half when the new offer comes.
                self.hang_up(&remote, false).await;
                self.call_state(&remote, CallState::Failed).await;
                self.reconcile_one(&remote).await;
            }
            CallInput::Track {
                remote,
                call_id,
                track,
            } => {
                let Some(call) = self.calls.get(&remote) else {
                    return;
                };
                if call.call_id != call_id {
                    return;
                }
                let Some(kind) = call.kind_of(&track).await else {
                    tracing::warn!(remote, "a remote track in no known m-section");
                    return;
                };
                tracing::info!(remote, track = kind.name(), "receiving");
                let counters = Arc::new(RecvCounters::default());
                self.received
                    .insert((remote.clone(), kind), counters.clone());
                match kind {
                    TrackKind::Microphone => {
                        let sink = match &self.config.audio_output {
                            AudioSinkConfig::Wav { path } => AudioSinkConfig::Wav {
                                path: per_participant(path, &remote),
                            },
                            other => other.clone(),
                        };
                        match capture::start_audio_output(&sink) {
                            Ok(output) => {
                                tokio::spawn(receive::audio(remote, track, output, counters));
                            }
                            Err(e) => {
                                self.events
                                    .send(MediaEvent::Problem {
                                        kind: Some(kind),
                                        message: e.to_string(),
                                    })
                                    .await;
                            }
                        }
                    }
                    _ => {
                        tokio::spawn(receive::video(
                            remote,
                            kind,
                            track,
                            self.events.clone(),
                            counters,
                        ));
                    }
                }
            }
        }
    }

    /// Keyframe requests (PLI, FIR) on a call's video tracks reach that track's encoder.
    fn watch_keyframe_requests(&self, call: &Call) {
        for (kind, track) in call.local_tracks() {
            if kind == TrackKind::Microphone {
                continue;
            }
            let track = track.clone();
            let control = self.controls[&kind].clone();
            tokio::spawn(async move {
                while let Some(TrackLocalEvent::OnRtcpPacket(_)) = track.poll().await {
                    tracing::debug!(track = kind.name(), "keyframe requested");
                    control.keyframe.store(true, Ordering::Relaxed);
                }
            });
        }
    }

    async fn hang_up(&mut self, remote: &str, tell: bool) {
        let Some(call) = self.calls.remove(remote) else {
            return;
        };
        for fanout in self.fanouts.values() {
            fanout.remove(remote);
        }
        call.close().await;
        if tell {
            self.send_signal(
                remote,
                Signal::Hangup {
                    call_id: call.call_id.clone(),
                },
            )
            .await;
        }
        self.call_state(remote, CallState::Closed).await;
    }

    /// Sends our answer for the call `call_id` with `to`, which is connecting now.
    async fn send_answer(&self, to: &str, call_id: String, sdp: String) {
        self.send_signal(to, Signal::Answer { call_id, sdp }).await;
        self.call_state(to, CallState::Connecting).await;
    }

    /// Hands a signal for `to` to the session socket.
    async fn send_signal(&self, to: &str, signal: Signal) {
        self.events
            .send(MediaEvent::Signal {
                to: to.to_owned(),
                signal,
            })
            .await;
    }

    async fn call_state(&self, with: &str, state: CallState) {
        self.events
            .send(MediaEvent::Call {
                with: with.to_owned(),
                state,
            })
            .await;
    }

    fn set_video(
        &mut self,
        kind: TrackKind,
        source: Option<VideoSourceConfig>,
    ) -> Result<(), String> {
        let slot = match kind {
            TrackKind::Camera => &mut self.camera,
            TrackKind::Screen => &mut self.screen,
            TrackKind::Microphone => return Err("the microphone is not a video source".into()),
        };
        *slot = None;
        let Some(source) = source else { return Ok(()) };
        let local: Option<send::LocalView> = if self.config.self_view {
            let events = self.events.clone();
            Some(Box::new(move |frame, captured_unix_micros| {
                events.video(MediaEvent::LocalVideo {
                    kind,
                    frame,
                    captured_unix_micros,
                })
            }))
        } else {
            None
        };
        let pipeline = VideoPipeline::start(
            kind,
            &source,
            self.fanouts[&kind].clone(),
            self.controls[&kind].clone(),
            self.curtains[&kind].clone(),
            local,
        )
        .map_err(|e| e.to_string())?;
        self.controls[&kind].keyframe.store(true, Ordering::Relaxed);
        *slot = Some(pipeline);
        Ok(())
    }

    /// Turns off a video track whose source stopped with an error, and says why.
    async fn end_failed_sources(&mut self) {
        for kind in [TrackKind::Camera, TrackKind::Screen] {
            let slot = match kind {
                TrackKind::Camera => &mut self.camera,
                _ => &mut self.screen,
            };
            let Some(error) = slot.as_ref().and_then(VideoPipeline::failed) else {
                continue;
            };
            *slot = None;
            tracing::warn!(track = kind.name(), %error, "the source stopped: its track is off");
            self.events
                .send(MediaEvent::SourceEnded {
                    kind,
                    message: error.to_string(),
                })
                .await;
            self.announce().await;
        }
    }

    fn set_audio(&mut self, source: Option<AudioSourceConfig>) -> Result<(), String> {
        self.microphone = None;
        let Some(source) = source else { return Ok(()) };
        let pipeline = AudioPipeline::start(&source, self.fanouts[&TrackKind::Microphone].clone())
            .map_err(|e| e.to_string())?;
        pipeline.muted.store(self.muted, Ordering::Relaxed);
        self.microphone = Some(pipeline);
        Ok(())
    }

    /// Says which media are live, when that changed.
    async fn announce(&mut self) {
        let state = MediaState {
            camera: self.camera.is_some(),
            microphone: self.microphone.is_some() && !self.muted,
            screen: self.screen.is_some(),
            screen_paused: self.screen.is_some() && self.curtains[&TrackKind::Screen].is_closed(),
        };
        if self.announced != Some(state) {
            self.announced = Some(state);
            self.events.send(MediaEvent::MediaState(state)).await;
        }
    }

    /// Gives each encoder the lowest estimate among the calls it feeds.
    fn follow_estimates(&self) {
        let lowest = self
            .calls
            .values()
            .filter(|c| c.connected)
            .filter_map(|c| c.estimate.get())
            .min();
        if let Some(bps) = lowest {
            for kind in [TrackKind::Camera, TrackKind::Screen] {
                // Camera and screen share the link: the screen gets a third.
                let share = if self.screen.is_some() && self.camera.is_some() {
                    match kind {
                        TrackKind::Screen => bps / 3,
                        _ => bps * 2 / 3,
                    }
                } else {
                    bps
                };
                self.controls[&kind].bitrate.store(share, Ordering::Relaxed);
            }
        }
    }

    async fn stats(&mut self) -> Vec<TrackStats> {
        let now = Instant::now();
        let mut out = Vec::new();
        let sends = [
            (
                TrackKind::Microphone,
                self.microphone.as_ref().map(|m| m.counters.clone()),
            ),
            (
                TrackKind::Camera,
                self.camera.as_ref().map(|c| c.counters.clone()),
            ),
            (
                TrackKind::Screen,
                self.screen.as_ref().map(|c| c.counters.clone()),
            ),
        ];
        let mut rtt: HashMap<String, f64> = HashMap::new();
        let mut ciphers: HashMap<String, String> = HashMap::new();
        let mut network: HashMap<(String, TrackKind), f64> = HashMap::new();
        for (remote, call) in &self.calls {
            let (call_rtt, cipher, inbound) = call.network_stats(now).await;
            if let Some(r) = call_rtt {
                rtt.insert(remote.clone(), r);
            }
            if let Some(c) = cipher {
                ciphers.insert(remote.clone(), c);
            }
            for (kind, loss) in inbound {
                network.insert((remote.clone(), kind), loss);
            }
        }
        let best_rtt = rtt.values().copied().reduce(f64::min);
        for (kind, counters) in sends {
            let Some(c) = counters else { continue };
            let frames = c.frames.load(Ordering::Relaxed);
            let (fps, kbps, codec) = self.rates.rates(
                ("*".into(), kind, Direction::Send),
                now,
                frames,
                c.bytes.load(Ordering::Relaxed),
                c.codec_micros.load(Ordering::Relaxed),
            );
            out.push(TrackStats {
                participant: "*".into(),
                kind,
                direction: Direction::Send,
                frames,
                fps,
                bitrate_kbps: kbps,
                keyframes: c.keyframes.load(Ordering::Relaxed),
                codec_ms: codec,
                rtt_ms: best_rtt,
                loss_percent: None,
                jitter_ms: None,
                freezes: 0,
                frames_lost: 0,
                keyframe_requests_or_drops: c.frames_dropped.load(Ordering::Relaxed),
                nacks: 0,
                srtp_cipher: None,
            });
        }
        for ((remote, kind), c) in &self.received {
            let frames = c.frames.load(Ordering::Relaxed);
            let (fps, kbps, codec) = self.rates.rates(
                (remote.clone(), *kind, Direction::Receive),
                now,
                frames,
                c.bytes.load(Ordering::Relaxed),
                c.codec_micros.load(Ordering::Relaxed),
            );
            let loss = network.get(&(remote.clone(), *kind)).copied();
            out.push(TrackStats {
                participant: remote.clone(),
                kind: *kind,
                direction: Direction::Receive,
                frames,
                fps,
                bitrate_kbps: kbps,
                keyframes: c.keyframes.load(Ordering::Relaxed),
                codec_ms: codec,
                rtt_ms: rtt.get(remote).copied(),
                loss_percent: loss,
                jitter_ms: Some(c.jitter_ms()),
                freezes: c.freezes.load(Ordering::Relaxed),
                frames_lost: c.frames_lost.load(Ordering::Relaxed),
                keyframe_requests_or_drops: c.keyframe_requests.load(Ordering::Relaxed),
                nacks: c.nacks.load(Ordering::Relaxed),
                srtp_cipher: ciphers.get(remote).cloned(),
            });
        }
        out.sort_by(|a, b| {
            (
                a.direction == Direction::Receive,
                &a.participant,
                a.kind as u8,
            )
                .cmp(&(
                    b.direction == Direction::Receive,
                    &b.participant,
                    b.kind as u8,
                ))
        });
        out
    }
}

/// `<dir>/<stem>-<participant>.wav` for a WAV sink's `path`.
fn per_participant(path: &std::path::Path, participant: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audio".into());
    let safe: String = participant
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    path.with_file_name(format!("{stem}-{safe}.wav"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_participant_gets_a_wav_file_of_their_own() {
        assert_eq!(
            per_participant(std::path::Path::new("/tmp/out/heard.wav"), "p2"),
            PathBuf::from("/tmp/out/heard-p2.wav")
        );
        assert_eq!(
            per_participant(std::path::Path::new("heard.wav"), "../x"),
            PathBuf::from("heard-___x.wav")
        );
    }
}
