//! The host's live state: sessions, participants, connected sockets and the dispatcher.
//!
//! One [`Hub`] behind one mutex. Every operation is synchronous and quick: it changes memory,
//! asks the sans-IO [`Dispatcher`] what follows, and returns what must be stored and sent as
//! [`Effects`], which the caller hands to the [`crate::writer::Writer`] before it lets go of
//! the lock, so that effects leave in the order they were decided.

mod board;
mod console;
mod guests;
mod restore;
mod session;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use instant_share_core::{Dispatcher, RoutingConfig};
use instant_share_protocol::{
    ApiError, DeskOutlook, ErrorCode, ExpertProfile, ServerFrame, ServerMessage, SessionSnapshot,
    Topic, TopicOutlook, UnixMillis,
};

use crate::metrics::Metrics;
use crate::store::{ParticipantRecord, SecretHash, SessionRecord};
use crate::writer::{ConnTx, Effects, Outbound};

pub use session::NewShare;

/// Wall-clock and monotonic time, taken together.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// For timers.
    pub instant: Instant,
    /// For the wire and the records.
    pub millis: UnixMillis,
}

impl Now {
    /// The current time.
    pub fn get() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Self {
            instant: Instant::now(),
            millis,
        }
    }

    /// The instant that corresponds to wall-clock `millis` (in the past or the future).
    pub fn instant_at(&self, millis: UnixMillis) -> Instant {
        if millis >= self.millis {
            self.instant + Duration::from_millis(millis - self.millis)
        } else {
            self.instant
                .checked_sub(Duration::from_millis(self.millis - millis))
                .unwrap_or(self.instant)
        }
    }

    /// The wall-clock time of `instant`.
    pub fn millis_at(&self, instant: Instant) -> UnixMillis {
        if instant >= self.instant {
            self.millis + instant.duration_since(self.instant).as_millis() as u64
        } else {
            self.millis
                .saturating_sub(self.instant.duration_since(instant).as_millis() as u64)
        }
    }
}

/// A socket registered with the hub.
#[derive(Debug, Clone)]
pub struct Conn {
    /// Unique among the host's sockets.
    pub id: u64,
    /// Its outgoing queue.
    pub tx: ConnTx,
}

/// What a socket is, once its `hello` was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A participant of a session.
    Participant {
        /// The session.
        session: String,
        /// The participant.
        participant: String,
    },
    /// An expert's console.
    Console {
        /// The expert.
        expert: String,
    },
}

/// Settings the hub needs from the configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Base address for site and WebSocket links (`https://help.example.com`).
    pub public_url: String,
    /// Topics routed.
    pub topics: Vec<Topic>,
    /// Routing timers.
    pub routing: RoutingConfig,
    /// Lifetime of participant tokens.
    pub token_lifetime: Duration,
    /// STUN and TURN servers for participants' peer connections.
    pub ice: crate::config::IceConfig,
}

struct LiveParticipant {
    record: ParticipantRecord,
    conns: Vec<Conn>,
}

struct LiveSession {
    record: SessionRecord,
    participants: Vec<LiveParticipant>,
    /// The state after every event so far; `you` is filled per reader.
    snapshot: SessionSnapshot,
    /// Every event: its `seq` is its index + 1. Kept as sent, for replay.
    events: Vec<Arc<str>>,
    chat_ids: HashSet<(String, String)>,
    /// (participant, op_id) of every board operation applied, so a resend is applied once.
    board_ops: HashSet<(String, String)>,
    /// What the requester was last told of the queue: (position, estimated wait in seconds,
    /// experts on duty); `None` when not told since the request last rang.
    last_queue: Option<(u32, u32, u32)>,
}

impl LiveSession {
    /// Whether participant `id` has left for good (handed over, removed, or left).
    fn has_left(&self, id: &str) -> bool {
        self.snapshot
            .participants
            .iter()
            .any(|p| p.id == id && p.left)
    }

    /// The record of participant `id`.
    fn participant(&self, id: &str) -> Option<&LiveParticipant> {
        self.participants.iter().find(|p| p.record.id == id)
    }
}

struct ExpertLive {
    profile: ExpertProfile,
    consoles: Vec<Conn>,
    /// The participant token of the expert's live session, so that a console that reloads
    /// can go back into it.
    session_token: Option<(String, String)>,
}

/// The live state. See the module docs.
pub struct Hub {
    config: HubConfig,
    dispatcher: Dispatcher,
    sessions: HashMap<String, LiveSession>,
    tokens: HashMap<SecretHash, (String, String)>,
    experts: HashMap<String, ExpertLive>,
    tickets: HashMap<SecretHash, (ExpertProfile, Instant)>,
    metrics: Arc<Metrics>,
}

impl Hub {
    /// An empty hub.
    pub fn new(config: HubConfig, metrics: Arc<Metrics>) -> Self {
        let dispatcher = Dispatcher::new(config.routing.clone());
        Self {
            config,
            dispatcher,
            sessions: HashMap::new(),
            tokens: HashMap::new(),
            experts: HashMap::new(),
            tickets: HashMap::new(),
            metrics,
        }
    }

    /// The topics routed.
    pub fn topics(&self) -> &[Topic] {
        &self.config.topics
    }

    /// The next instant at which [`Hub::tick`] has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.dispatcher.poll_timeout()
    }

    /// Fires the timers due at `now`.
    pub fn tick(&mut self, now: Now, fx: &mut Effects) {
        self.tickets
            .retain(|_, (_, expires)| *expires > now.instant);
        self.dispatcher.handle_timeout(now.instant);
        self.process(now, fx);
    }

    /// What a new request about each topic would meet now.
    pub fn outlook(&self, now: Now) -> DeskOutlook {
        let topics = self
            .config
            .topics
            .iter()
            .map(|t| {
                let (experts_on_duty, wait) = self.dispatcher.outlook(now.instant, &t.id);
                TopicOutlook {
                    topic: t.id.clone(),
                    experts_on_duty,
                    estimated_wait_secs: wait.map(|w| w.as_secs() as u32),
                }
            })
            .collect();
        DeskOutlook { topics }
    }

    /// Seeds the desk's figures from the records: how long recent sessions lasted and how
    /// long experts took to answer, oldest first.
    pub fn seed_figures(&mut self, handling: &[Duration], answers: &[Duration]) {
        let figures = self.dispatcher.figures_mut();
        for d in handling {
            figures.observe_handling(*d);
        }
        for d in answers {
            figures.observe_answer(*d);
        }
        tracing::info!(
            sessions = handling.len(),
            answers = answers.len(),
            handling_secs = figures.handling().as_secs(),
            answer_secs = figures.answer().as_secs(),
            "the desk's figures, from the records"
        );
    }

    /// How many share requests `device_id` has open (not ended), for its quota.
    pub fn open_shares_of(&self, device_id: &str) -> usize {
        self.sessions
            .values()
            .filter(|s| {
                s.record.device_id == device_id
                    && s.record.status != instant_share_protocol::SessionStatus::Ended
            })
            .count()
    }

    /// The device that asked for `session_id`, whose picture quota the session's pictures
    /// count against.
    pub fn device_of(&self, session_id: &str) -> Option<&str> {
        self.sessions
            .get(session_id)
            .map(|s| s.record.device_id.as_str())
    }

    /// Whether `session_id` is open (not ended): an ended one takes no more pictures.
    pub fn is_open(&self, session_id: &str) -> bool {
        self.sessions
            .get(session_id)
            .is_some_and(|s| s.record.status != instant_share_protocol::SessionStatus::Ended)
    }

    /// (waiting requests, live sessions, available experts), for `/metrics`.
    pub fn gauges(&self) -> (usize, usize, usize) {
        let waiting = self.dispatcher.waiting_len();
        let active = self
            .experts
            .keys()
            .filter(|e| self.dispatcher.active_session_of(e).is_some())
            .count();
        let available = self
            .experts
            .keys()
            .filter(|e| self.dispatcher.is_available(e))
            .count();
        (waiting, active, available)
    }

    fn site_url(&self, session: &str) -> String {
        format!("{}/s/{session}", self.config.public_url)
    }

    fn ws_url(&self) -> String {
        let base = &self.config.public_url;
        let ws = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base.clone()
        };
        format!("{ws}/api/v1/ws")
    }
}

/// Serializes an unsequenced message.
pub fn frame(msg: ServerMessage) -> Outbound {
    encode(&ServerFrame { seq: None, msg })
}

/// Serializes a frame.
pub fn encode(frame: &ServerFrame) -> Outbound {
    // Serializing our own types cannot fail: no maps with non-string keys, no foreign impls.
    Outbound::Frame(serde_json::to_string(frame).unwrap_or_default().into())
}

/// An error frame.
pub fn error_frame(code: ErrorCode, message: impl Into<String>) -> Outbound {
    frame(ServerMessage::Error {
        error: ApiError::new(code, message),
    })
}
