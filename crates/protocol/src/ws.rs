//! WebSocket messages (`/api/v1/ws`).
//!
//! One socket per participant. The first client message is [`ClientMessage::Hello`] with a
//! token: a participant token (joins a session) or a console ticket (an expert's console).
//! Every server message travels in a [`ServerFrame`]. Session events carry a sequence number
//! (`seq`), counted per session from 1; a client that reconnects says the last one it saw
//! (`last_seq`) and gets exactly the events after it. Replies that concern one connection only
//! (`welcome`, `error`, `pong`) and everything on a console socket carry no `seq`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::{
    ApiError, BoardEvent, BoardOp, BoardState, ErrorCode, PointerAt, SessionId, UnixMillis,
};

/// A participant's part in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The employee who asked for help.
    Requester,
    /// The support expert.
    Expert,
    /// Someone invited by link.
    Guest,
}

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Created; not yet in the queue (only for an instant).
    Requested,
    /// Waiting for an expert.
    Queued,
    /// An expert is being offered the request (their console rings).
    Offered,
    /// An expert accepted; the session is live.
    Active,
    /// Over, see [`EndReason`].
    Ended,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The requester withdrew the request before an expert joined.
    Cancelled,
    /// The requester ended the live session.
    EndedByRequester,
    /// The expert ended the live session.
    EndedByExpert,
    /// Nobody was available before the queue timeout.
    NoExpertAvailable,
    /// Nothing happened in the session for too long.
    IdleTimeout,
    /// The session reached its maximum duration.
    MaxDuration,
}

/// Why an offer stopped ringing on an expert's console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// The expert did not answer within the offer timeout.
    Timeout,
    /// The expert declined.
    Declined,
    /// The requester cancelled, or the request timed out.
    RequestEnded,
    /// The expert went away or offline.
    ExpertUnavailable,
    /// An expert took the request from the queue themselves.
    Taken,
}

/// Someone in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Participant {
    /// The participant's identifier within the session.
    pub id: String,
    /// Their part.
    pub role: Role,
    /// The name others see.
    pub display_name: String,
    /// Whether they have a socket open now.
    pub online: bool,
    /// What they send now (all off until they say otherwise).
    #[serde(default)]
    pub media: MediaState,
    /// May draw on the board (the requester and the expert always; a guest if invited so).
    #[serde(default)]
    pub may_draw: bool,
    /// Left the session for good (an expert who handed it over, a guest who was removed).
    #[serde(default)]
    pub left: bool,
    /// The expert in charge (one at a time): brings colleagues in and hands the session over.
    /// Others brought in beside them are experts too, without this.
    #[serde(default)]
    pub in_charge: bool,
}

/// Which of a participant's media are live. The app and the console show it next to the name
/// and as the live indicator; tracks that are off send nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct MediaState {
    /// The camera is on and sent.
    pub camera: bool,
    /// The microphone is on and not muted.
    pub microphone: bool,
    /// The screen (or one window) is shared.
    pub screen: bool,
    /// The shared screen is paused: a card with a pause sign goes out instead of the screen
    /// (while the sharer prepares a private picture, say).
    #[serde(default)]
    pub screen_paused: bool,
}

/// One ICE server for a peer connection, shaped like the browser's `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct IceServer {
    /// `stun:host:port`, `turn:host:port?transport=udp`, …
    pub urls: Vec<String>,
    /// TURN only: the time-limited user name (`<expiry>:<participant>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub username: Option<String>,
    /// TURN only: the credential for `username` (valid until the expiry in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub credential: Option<String>,
}

/// WebRTC signalling between two participants; the host checks its size and passes it on.
///
/// Who calls whom: of two participants with media, the one who joined the session first sends
/// the offer (the requester calls the expert; both call a guest). A call is named by the
/// offerer's `call_id`; a new offer with a new `call_id` replaces the call (after a reconnect),
/// and anything naming another `call_id` is stale and ignored. An offer with the current
/// `call_id` renegotiates the same connection: the offerer sends one with fresh ICE credentials
/// (an ICE restart) when its network changed, when the path went quiet, or when the answerer
/// asked with `restart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// An SDP offer.
    Offer {
        /// Names the call, chosen by the offerer (1 to 64 characters).
        call_id: String,
        /// The session description.
        sdp: String,
    },
    /// The SDP answer to an offer.
    Answer {
        /// The offer's `call_id`.
        call_id: String,
        /// The session description.
        sdp: String,
    },
    /// A trickled ICE candidate; an empty `candidate` means the sender has no more.
    Candidate {
        /// The call it belongs to.
        call_id: String,
        /// The candidate line (`candidate:…`), or empty for end of candidates.
        candidate: String,
        /// The media section it belongs to.
        #[serde(default)]
        #[ts(optional)]
        sdp_mid: Option<String>,
        /// The media section's index.
        #[serde(default)]
        #[ts(optional)]
        sdp_m_line_index: Option<u16>,
    },
    /// The sender closed the call (the session goes on).
    Hangup {
        /// The call.
        call_id: String,
    },
    /// The answerer asks the offerer to restart ICE on the call (its own network changed, or
    /// the path went quiet); the offerer answers with an offer of the same `call_id`.
    Restart {
        /// The call.
        call_id: String,
    },
}

impl Signal {
    /// The call this signal belongs to.
    pub fn call_id(&self) -> &str {
        match self {
            Self::Offer { call_id, .. }
            | Self::Answer { call_id, .. }
            | Self::Candidate { call_id, .. }
            | Self::Hangup { call_id }
            | Self::Restart { call_id } => call_id,
        }
    }
}

/// A chat message as everyone in the session sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ChatMessage {
    /// The sender's participant id.
    pub from: String,
    /// The sender's name when they sent it.
    pub from_name: String,
    /// The text, at most [`crate::MAX_CHAT_CHARS`] characters.
    pub text: String,
    /// The sender's own id for the message, so a resent message is stored once.
    pub client_msg_id: String,
    /// When the host received it.
    #[ts(type = "number")]
    pub at: UnixMillis,
}

/// The whole state of a session as one participant may see it: sent on join and whenever a
/// resume cannot be served from the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct SessionSnapshot {
    /// The session.
    pub session_id: SessionId,
    /// The topic asked about.
    pub topic: String,
    /// The requester's note.
    pub note: Option<String>,
    /// Where the session is in its life.
    pub status: SessionStatus,
    /// Why it ended, once [`SessionStatus::Ended`].
    pub end_reason: Option<EndReason>,
    /// Place in the queue while waiting (1 = next), 0 otherwise.
    pub queue_position: u32,
    /// Estimated seconds until an expert joins, while waiting; 0 while nobody is on duty.
    pub estimated_wait_secs: u32,
    /// While waiting: how many experts who could take the request are on duty (available, in
    /// a session or not). 0: nobody is, and the wait cannot be estimated.
    #[serde(default)]
    pub experts_on_duty: u32,
    /// While waiting: the requester asked to be called back, and the request waits until then.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub call_back_until: Option<UnixMillis>,
    /// Everyone who has joined, in order of joining.
    pub participants: Vec<Participant>,
    /// The chat so far, oldest first.
    pub chat: Vec<ChatMessage>,
    /// The co-browse board.
    #[serde(default)]
    pub board: BoardState,
    /// The receiving participant's own id.
    pub you: String,
    /// When the request was made.
    #[ts(type = "number")]
    pub created_at: UnixMillis,
}

/// A waiting request as an expert's console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct QueueEntry {
    /// The session.
    pub session_id: SessionId,
    /// The topic asked about.
    pub topic: String,
    /// The requester's note.
    pub note: Option<String>,
    /// The requester's name.
    pub requester_name: String,
    /// The requester's app and OS, as they sent them.
    pub client: String,
    /// When the request was made.
    #[ts(type = "number")]
    pub waiting_since: UnixMillis,
    /// 1 = next to be offered; 0 = ringing on an expert's console now.
    pub position: u32,
    /// The topic is one of this expert's skills. Others are listed too: an expert may take
    /// one anyway, which is recorded as an override.
    #[serde(default = "yes")]
    pub skill_match: bool,
}

fn yes() -> bool {
    true
}

/// A request ringing on one expert's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Offer {
    /// The request being offered.
    pub entry: QueueEntry,
    /// When the offer passes to the next expert unless accepted.
    #[ts(type = "number")]
    pub expires_at: UnixMillis,
}

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Always first, never again.
    Hello {
        /// A participant token or a console ticket.
        token: String,
        /// Must equal [`crate::PROTOCOL_VERSION`].
        protocol: u32,
        /// On reconnect: the last session `seq` this client saw.
        #[serde(default)]
        #[ts(optional, type = "number")]
        last_seq: Option<u64>,
    },
    /// Say something in the session chat.
    Chat {
        /// The text.
        text: String,
        /// Unique per sender; a resend with the same id is stored once.
        client_msg_id: String,
    },
    /// Change the co-browse board. Applied → a [`ServerMessage::Board`] event with this
    /// `op_id` reaches everyone; refused → [`ServerMessage::BoardRejected`] to the sender.
    Board {
        /// Unique per sender (1 to 64 characters); a resend with the same id is applied once.
        op_id: String,
        /// The change.
        op: BoardOp,
    },
    /// Where the sender's pointer is now (`None`: off the board). Passed to the others, not
    /// stored.
    Pointer {
        /// The pointer.
        pointer: Option<PointerAt>,
    },
    /// The session's expert hands it over to another expert (by user name), who joins with
    /// the board and the chat as they are; the first expert leaves.
    HandOver {
        /// The other expert's user name.
        to_username: String,
    },
    /// End the session (before an expert joined: cancel the request).
    EndSession,
    /// Requester, while waiting: rather than wait now, be called back. The request stays in
    /// the queue for hours instead of minutes; the app comes forward when an expert joins.
    /// Answered with the session event [`ServerMessage::CallBack`].
    CallBack,
    /// Keep-alive; answered with [`ServerMessage::Pong`].
    Ping {
        /// Echoed back.
        #[ts(type = "number")]
        nonce: u64,
    },
    /// Send WebRTC signalling to another participant of the session (relayed, not stored).
    Signal {
        /// The participant it is for.
        to: String,
        /// The offer, answer, candidate or hang-up.
        signal: Signal,
    },
    /// Tell everyone which of the sender's media are live now.
    SetMedia {
        /// The sender's media now.
        media: MediaState,
    },
    /// Console: become available for offers, or away.
    SetAvailability {
        /// `true` = available.
        available: bool,
    },
    /// Console: take the ringing offer.
    Accept {
        /// The offered session.
        session_id: SessionId,
    },
    /// Console: pass the ringing offer to the next expert.
    Decline {
        /// The offered session.
        session_id: SessionId,
    },
    /// Console: take a waiting request from the queue, whether it rings somewhere or not.
    /// Answered like an accepted offer ([`ServerMessage::Joined`]).
    Take {
        /// The waiting session.
        session_id: SessionId,
        /// Take it although its topic is not one of the expert's skills (recorded).
        #[serde(default)]
        #[ts(optional)]
        skill_override: Option<bool>,
    },
}

impl ClientMessage {
    /// Reads one client message from a WebSocket text message, as the host does: at most
    /// [`crate::MAX_WS_MESSAGE_BYTES`], then the schema. A refusal is the typed error the
    /// client is sent (`message_too_large` or `bad_request`), never a dropped connection.
    pub fn from_text(text: &str) -> Result<Self, ApiError> {
        if text.len() > crate::MAX_WS_MESSAGE_BYTES {
            return Err(ApiError::new(
                ErrorCode::MessageTooLarge,
                format!(
                    "a message may have at most {} bytes",
                    crate::MAX_WS_MESSAGE_BYTES
                ),
            ));
        }
        serde_json::from_str(text)
            .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("not a valid message: {e}")))
    }
}

/// What the host sends, inside a [`ServerFrame`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Answer to a participant's `hello`.
    Welcome {
        /// The session as it is now.
        snapshot: SessionSnapshot,
        /// The session's latest `seq`; events after it follow.
        #[ts(type = "number")]
        seq: u64,
        /// `true` when the events after the client's `last_seq` follow instead of a fresh start.
        resumed: bool,
        /// ICE servers for this participant's peer connections (TURN credentials are valid
        /// for the participant token's lifetime); empty: host candidates only.
        #[serde(default)]
        ice_servers: Vec<IceServer>,
    },
    /// The requester's place in the queue, the estimated wait or the experts on duty changed.
    Queue {
        /// 1 = next to be offered.
        position: u32,
        /// Estimated seconds until an expert joins; 0 while nobody is on duty.
        estimated_wait_secs: u32,
        /// Experts on duty who could take the request (see
        /// [`SessionSnapshot::experts_on_duty`]). Absent in events stored before it was sent:
        /// read as 0.
        #[serde(default)]
        #[ts(type = "number | undefined")]
        experts_on_duty: u32,
    },
    /// The requester asked to be called back: the request waits until `until`.
    CallBack {
        /// When the request ends unless an expert takes it.
        #[ts(type = "number")]
        until: UnixMillis,
    },
    /// The session moved to another status (other than ended).
    Status {
        /// The new status.
        status: SessionStatus,
    },
    /// Someone joined the session.
    ParticipantJoined {
        /// Who.
        participant: Participant,
    },
    /// Someone's socket opened or closed.
    Presence {
        /// Who.
        participant_id: String,
        /// Whether they are connected now.
        online: bool,
    },
    /// A chat message.
    Chat {
        /// The message.
        message: ChatMessage,
    },
    /// The co-browse board changed.
    Board {
        /// Who changed it.
        by: String,
        /// The sender's `op_id` (absent when the host made the change, e.g. an upload).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        op_id: Option<String>,
        /// What happened.
        event: BoardEvent,
    },
    /// The sender's board operation was refused (not sequenced).
    BoardRejected {
        /// The operation's `op_id`.
        op_id: String,
        /// Why.
        error: ApiError,
    },
    /// Someone's pointer moved (not sequenced).
    Pointer {
        /// Whose.
        from: String,
        /// Where, or `None`: off the board.
        pointer: Option<PointerAt>,
    },
    /// A participant's media changed (camera, microphone, screen on or off).
    Media {
        /// Who.
        participant_id: String,
        /// Their media now.
        media: MediaState,
    },
    /// WebRTC signalling from another participant (not sequenced: a reconnect starts a new call).
    Signal {
        /// The participant who sent it.
        from: String,
        /// The offer, answer, candidate or hang-up.
        signal: Signal,
    },
    /// The expert `from` handed the session over to the expert `to` (who joined just before);
    /// `from` has left.
    HandedOver {
        /// The participant who left.
        from: String,
        /// The participant who took over.
        to: String,
    },
    /// `by` (the requester or an expert) removed the guest `participant_id`: their link stops
    /// working and their place is free; what they drew stays.
    Removed {
        /// The guest who was removed (now `left`).
        participant_id: String,
        /// Who removed them.
        by: String,
    },
    /// The session is over; the host closes the socket after this.
    Ended {
        /// Why.
        reason: EndReason,
    },
    /// Answer to a console's `hello`, and after every change of its availability.
    ConsoleWelcome {
        /// The signed-in expert.
        expert: crate::ExpertProfile,
        /// Whether the expert takes offers now.
        available: bool,
        /// Requests waiting that this expert could take, oldest first, at most
        /// [`crate::MAX_CONSOLE_QUEUE`].
        queue: Vec<QueueEntry>,
        /// How many requests this expert could take wait in all.
        queue_total: u32,
        /// The offer ringing now, if any.
        offer: Option<Offer>,
        /// The session the expert is in, if any.
        active_session: Option<SessionId>,
    },
    /// Console: the list of waiting requests changed.
    QueueUpdate {
        /// Requests waiting that this expert could take, oldest first, at most
        /// [`crate::MAX_CONSOLE_QUEUE`].
        queue: Vec<QueueEntry>,
        /// How many requests this expert could take wait in all.
        queue_total: u32,
    },
    /// Console: a request rings for this expert.
    Offered {
        /// The offer.
        offer: Offer,
    },
    /// Console: the ringing offer stopped.
    OfferWithdrawn {
        /// The session that was offered.
        session_id: SessionId,
        /// Why.
        reason: WithdrawReason,
    },
    /// Console: the expert accepted and is now a participant.
    Joined {
        /// The session.
        session_id: SessionId,
        /// The co-browse site.
        site_url: String,
        /// The expert's participant token for the session socket.
        participant_token: String,
    },
    /// Console: the expert's session ended; they can take offers again.
    SessionClosed {
        /// The session.
        session_id: SessionId,
        /// Why.
        reason: EndReason,
    },
    /// Answer to `ping`.
    Pong {
        /// The client's nonce.
        #[ts(type = "number")]
        nonce: u64,
    },
    /// A message was refused. The connection stays usable unless the error says otherwise.
    Error {
        /// What was wrong.
        error: ApiError,
    },
}

/// Envelope of every server message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ServerFrame {
    /// Session sequence number of a session event; absent on replies and console messages.
    #[ts(type = "number | null")]
    pub seq: Option<u64>,
    /// The message.
    pub msg: ServerMessage,
}
