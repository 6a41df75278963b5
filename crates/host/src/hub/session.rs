//! Sessions: creating them, joining their sockets, chat, ending, and what routing decides.

use std::collections::HashSet;
use std::sync::Arc;

use instant_share_core::{lifecycle, snapshot, Output, Pickup, QueuedRequest};
use instant_share_protocol::text;
use instant_share_protocol::{
    ApiError, ChatMessage, EndReason, ErrorCode, IceServer, MediaState, Offer, Participant,
    QueueEntry, Role, ServerFrame, ServerMessage, SessionSnapshot, SessionStatus, SharePointer,
    Signal, WithdrawReason, MAX_CANDIDATE_BYTES, MAX_SDP_BYTES,
};

use super::{encode, frame, Conn, Hub, Identity, LiveParticipant, LiveSession, Now};
use crate::config::IceConfig;
use crate::secrets;
use crate::store::{DeviceRecord, EventRecord, ParticipantRecord, SessionRecord, Write};
use crate::writer::{Effects, Outbound};

/// The state of a session before its first event.
pub(super) fn fresh_snapshot(record: &SessionRecord) -> SessionSnapshot {
    SessionSnapshot {
        session_id: record.id.clone(),
        topic: record.topic.clone(),
        note: record.note.clone(),
        status: SessionStatus::Requested,
        end_reason: None,
        queue_position: 0,
        estimated_wait_secs: 0,
        experts_on_duty: 0,
        call_back_until: None,
        participants: vec![],
        chat: vec![],
        board: Default::default(),
        you: String::new(),
        created_at: record.created_at,
    }
}

/// Where a session moves to; each status carries what it needs.
pub(super) enum To {
    /// Back to, or into, the queue.
    Queued,
    /// Ringing on an expert's console.
    Offered,
    /// Live with this expert.
    Active(String),
    /// Over, for this reason.
    Ended(EndReason),
}

/// A validated share request.
#[derive(Debug, Clone)]
pub struct NewShare {
    /// Topic id.
    pub topic: String,
    /// Note, trimmed; `None` when empty.
    pub note: Option<String>,
    /// App and OS.
    pub client: String,
}

impl NewShare {
    /// Checks a request against the routed topics and the limits.
    pub fn validate(
        req: &instant_share_protocol::ShareRequest,
        hub: &Hub,
    ) -> Result<Self, ApiError> {
        if !hub.config.topics.iter().any(|t| t.id == req.topic) {
            return Err(ApiError::new(
                ErrorCode::UnknownTopic,
                format!("\"{}\" is not a topic this host routes", req.topic),
            ));
        }
        let note = text::SHARE_NOTE.optional(req.note.as_deref())?;
        let app = text::VERSION.clean(&req.app_version)?;
        let os = text::VERSION.clean(&req.os_version)?;
        Ok(Self {
            topic: req.topic.clone(),
            note,
            client: format!("{app} on {os}"),
        })
    }
}

/// Who joins a session, for [`Hub::add_participant`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Joining<'a> {
    /// The employee who asked.
    Requester,
    /// An expert (their account id): the one who accepted, one brought in, or one handed over to.
    Expert(&'a str),
    /// A guest by link, who may look only or also draw.
    Guest {
        /// Also draws.
        may_draw: bool,
    },
}

impl Hub {
    /// Creates a session for `device` and queues it. Returns the pointer for the requester.
    pub fn create_share(
        &mut self,
        now: Now,
        device: &DeviceRecord,
        share: NewShare,
        fx: &mut Effects,
    ) -> SharePointer {
        let id = secrets::id();
        let record = SessionRecord {
            id: id.clone(),
            topic: share.topic,
            note: share.note,
            device_id: device.id.clone(),
            requester_name: device.employee_name.clone(),
            client: share.client,
            created_at: now.millis,
            status: SessionStatus::Requested,
            end_reason: None,
            expert_id: None,
        };
        fx.writes.push(Write::CreateSession(record.clone()));
        let snapshot = fresh_snapshot(&record);
        let topic = record.topic.clone();
        self.sessions.insert(
            id.clone(),
            LiveSession {
                record,
                participants: vec![],
                snapshot,
                events: vec![],
                chat_ids: HashSet::new(),
                board_ops: HashSet::new(),
                last_queue: None,
            },
        );
        let (token, expires_at, _) =
            self.add_participant(now, &id, Joining::Requester, &device.employee_name, fx);
        self.transition(now, &id, To::Queued, fx);
        self.metrics.shares_created.inc();
        // The key is fresh, so the dispatcher cannot already know it.
        let _ = self.dispatcher.request(now.instant, &id, &topic);
        self.process(now, fx);
        let (queue_position, estimated_wait_secs, experts_on_duty) = self
            .sessions
            .get(&id)
            .and_then(|s| s.last_queue)
            .unwrap_or((0, 0, 0));
        SharePointer {
            site_url: self.site_url(&id),
            ws_url: self.ws_url(),
            session_id: id,
            participant_token: token,
            token_expires_at: expires_at,
            queue_position,
            estimated_wait_secs,
            experts_on_duty,
        }
    }

    /// Accepts a participant socket. Returns what to send it first, in order.
    pub fn join(
        &mut self,
        now: Now,
        token: &str,
        last_seq: Option<u64>,
        conn: Conn,
        fx: &mut Effects,
    ) -> Result<(Identity, Vec<Outbound>), ApiError> {
        let unknown = || {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "this session link or token is not valid",
            )
        };
        let (session_id, participant_id) = self
            .tokens
            .get(&secrets::hash(token))
            .cloned()
            .ok_or_else(unknown)?;
        let session = self.sessions.get_mut(&session_id).ok_or_else(unknown)?;
        let p = session
            .participants
            .iter_mut()
            .find(|p| p.record.id == participant_id)
            .ok_or_else(unknown)?;
        if p.record.expires_at <= now.millis {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "this session token has expired",
            ));
        }
        let first = p.conns.is_empty();
        p.conns.push(conn);
        let ice_servers = ice_servers(
            &self.config.ice,
            p.record.expires_at / 1000,
            &participant_id,
        );
        let seq = session.events.len() as u64;
        let mut first_out = Vec::new();
        let mut snapshot = session.snapshot.clone();
        snapshot.you = participant_id.clone();
        match last_seq {
            Some(last) if last <= seq => {
                first_out.push(encode(&ServerFrame {
                    seq: None,
                    msg: ServerMessage::Welcome {
                        snapshot,
                        seq: last,
                        resumed: true,
                        ice_servers,
                    },
                }));
                first_out.extend(
                    session.events[last as usize..]
                        .iter()
                        .map(|e| Outbound::Frame(e.clone())),
                );
            }
            _ => first_out.push(encode(&ServerFrame {
                seq: None,
                msg: ServerMessage::Welcome {
                    snapshot,
                    seq,
                    resumed: false,
                    ice_servers,
                },
            })),
        }
        let ended = session.record.status == SessionStatus::Ended;
        if ended {
            first_out.push(Outbound::Close);
        } else if first {
            let msg = ServerMessage::Presence {
                participant_id: participant_id.clone(),
                online: true,
            };
            self.event(now, &session_id, msg, fx);
        }
        Ok((
            Identity::Participant {
                session: session_id,
                participant: participant_id,
            },
            first_out,
        ))
    }

    /// A participant socket closed.
    pub fn leave(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        conn_id: u64,
        fx: &mut Effects,
    ) {
        let Some(session) = self.sessions.get_mut(session_id) else {
            return;
        };
        let Some(p) = session
            .participants
            .iter_mut()
            .find(|p| p.record.id == participant_id)
        else {
            return;
        };
        p.conns.retain(|c| c.id != conn_id);
        if p.conns.is_empty() && session.record.status != SessionStatus::Ended {
            let msg = ServerMessage::Presence {
                participant_id: participant_id.to_owned(),
                online: false,
            };
            self.event(now, session_id, msg, fx);
        }
    }

    /// A participant says something. A resend (same `client_msg_id`) is stored once.
    pub fn chat(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        text: &str,
        client_msg_id: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let text = instant_share_protocol::text::CHAT.required(text)?;
        if client_msg_id.is_empty() || client_msg_id.len() > 64 {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "client_msg_id must have 1 to 64 characters",
            ));
        }
        let session = self.live_session(session_id)?;
        if !session
            .chat_ids
            .insert((participant_id.to_owned(), client_msg_id.to_owned()))
        {
            return Ok(());
        }
        let from_name = session
            .participants
            .iter()
            .find(|p| p.record.id == participant_id)
            .map(|p| p.record.display_name.clone())
            .unwrap_or_default();
        let message = ChatMessage {
            from: participant_id.to_owned(),
            from_name,
            text,
            client_msg_id: client_msg_id.to_owned(),
            at: now.millis,
        };
        self.dispatcher.activity(now.instant, session_id);
        self.event(now, session_id, ServerMessage::Chat { message }, fx);
        Ok(())
    }

    /// Passes WebRTC signalling from one participant to another of the same live session.
    pub fn signal(
        &mut self,
        session_id: &str,
        from: &str,
        to: &str,
        signal: Signal,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        validate_signal(&signal)?;
        if to == from {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "a signal must be for another participant",
            ));
        }
        let session = self.live_session(session_id)?;
        if session.record.status != SessionStatus::Active {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "calls start once an expert has joined",
            ));
        }
        let target = session
            .participants
            .iter()
            .find(|p| p.record.id == to)
            .ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, "no such participant in this session")
            })?;
        // The newest socket is the one a reconnected participant is using.
        let conn = target.conns.last().ok_or_else(|| {
            ApiError::new(
                ErrorCode::ParticipantOffline,
                "that participant is not connected now",
            )
        })?;
        let frame = ServerFrame {
            seq: None,
            msg: ServerMessage::Signal {
                from: from.to_owned(),
                signal,
            },
        };
        fx.out.push((conn.tx.clone(), encode(&frame)));
        Ok(())
    }

    /// A participant's camera, microphone or screen went on or off.
    pub fn set_media(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        media: MediaState,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let session = self.live_session(session_id)?;
        let unchanged = session
            .snapshot
            .participants
            .iter()
            .any(|p| p.id == participant_id && p.media == media);
        if !unchanged {
            let msg = ServerMessage::Media {
                participant_id: participant_id.to_owned(),
                media,
            };
            self.event(now, session_id, msg, fx);
        }
        Ok(())
    }

    /// A participant ends the session (the requester, before an expert joined: cancels).
    pub fn end_by(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let session = self.live_session(session_id)?;
        let role = session
            .participants
            .iter()
            .find(|p| p.record.id == participant_id)
            .map(|p| p.record.role)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such participant"))?;
        let active = session.record.status == SessionStatus::Active;
        // A guest, or an expert brought in beside the one in charge, leaves; the session goes on.
        if matches!(role, Role::Guest | Role::Expert)
            && self
                .leave_for_good(now, session_id, participant_id, fx)
                .is_some()
        {
            return Ok(());
        }
        let reason = match role {
            Role::Requester if active => EndReason::EndedByRequester,
            Role::Requester => EndReason::Cancelled,
            Role::Expert => EndReason::EndedByExpert,
            Role::Guest => {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "a guest cannot end the session",
                ))
            }
        };
        self.dispatcher
            .end(now.instant, session_id, reason)
            .map_err(|e| ApiError::new(ErrorCode::Conflict, e.to_string()))?;
        self.process(now, fx);
        Ok(())
    }

    /// The requester of a waiting request would rather be called back than wait now: the
    /// request stays in the queue for hours, and everyone in the session hears until when.
    pub fn call_back(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let session = self.live_session(session_id)?;
        let requester = session
            .participant(participant_id)
            .is_some_and(|p| p.record.role == Role::Requester);
        if !requester {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "only the person who asked can ask to be called back",
            ));
        }
        let until = self
            .dispatcher
            .call_back(now.instant, session_id)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::Conflict,
                    "an expert has taken the request already",
                )
            })?;
        let until = now.millis_at(until);
        tracing::info!(
            session = session_id,
            until,
            "the requester asked to be called back"
        );
        self.event(now, session_id, ServerMessage::CallBack { until }, fx);
        Ok(())
    }

    pub(super) fn live_session(&mut self, session_id: &str) -> Result<&mut LiveSession, ApiError> {
        let session = self
            .sessions
            .get_mut(session_id)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such session"))?;
        if session.record.status == SessionStatus::Ended {
            return Err(ApiError::new(
                ErrorCode::SessionEnded,
                "the session has ended",
            ));
        }
        Ok(session)
    }

    /// Adds a participant with a fresh token; returns the token, its expiry and the
    /// participant's id.
    pub(super) fn add_participant(
        &mut self,
        now: Now,
        session_id: &str,
        joining: Joining<'_>,
        name: &str,
        fx: &mut Effects,
    ) -> (String, u64, String) {
        let (role, may_draw, expert) = match joining {
            Joining::Requester => (Role::Requester, true, None),
            Joining::Expert(id) => (Role::Expert, true, Some(id)),
            Joining::Guest { may_draw } => (Role::Guest, may_draw, None),
        };
        let token = secrets::token();
        let expires_at = now.millis + self.config.token_lifetime.as_millis() as u64;
        let Some(session) = self.sessions.get_mut(session_id) else {
            return (token, expires_at, String::new());
        };
        let id = format!("p{}", session.participants.len() + 1);
        let record = ParticipantRecord {
            session_id: session_id.to_owned(),
            id: id.clone(),
            role,
            display_name: name.to_owned(),
            token_hash: secrets::hash(&token),
            expires_at,
            may_draw,
            expert_id: expert.map(str::to_owned),
        };
        self.tokens.insert(
            record.token_hash,
            (session_id.to_owned(), record.id.clone()),
        );
        fx.writes.push(Write::AddParticipant(record.clone()));
        let participant = Participant {
            media: MediaState::default(),
            id: record.id.clone(),
            role,
            display_name: name.to_owned(),
            online: false,
            may_draw,
            left: false,
            in_charge: role == Role::Expert
                && expert.is_some_and(|e| {
                    self.dispatcher
                        .expert_of(session_id)
                        .is_some_and(|l| l == e)
                }),
        };
        session.participants.push(LiveParticipant {
            record,
            conns: vec![],
        });
        self.event(
            now,
            session_id,
            ServerMessage::ParticipantJoined { participant },
            fx,
        );
        (token, expires_at, id)
    }

    /// Appends a session event: stored, applied to the snapshot, sent to every socket.
    pub(super) fn event(
        &mut self,
        now: Now,
        session_id: &str,
        msg: ServerMessage,
        fx: &mut Effects,
    ) {
        let Some(session) = self.sessions.get_mut(session_id) else {
            return;
        };
        let seq = session.events.len() as u64 + 1;
        let frame = ServerFrame {
            seq: Some(seq),
            msg,
        };
        let json: Arc<str> = serde_json::to_string(&frame).unwrap_or_default().into();
        snapshot::apply(&mut session.snapshot, &frame.msg);
        session.events.push(json.clone());
        fx.writes.push(Write::AppendEvent(EventRecord {
            session_id: session_id.to_owned(),
            seq,
            body: serde_json::to_string(&frame.msg).unwrap_or_default(),
            at: now.millis,
        }));
        for p in &session.participants {
            for c in &p.conns {
                fx.out.push((c.tx.clone(), Outbound::Frame(json.clone())));
            }
        }
    }

    /// Moves a session on, recording the transition and telling the participants.
    pub(super) fn transition(&mut self, now: Now, session_id: &str, to: To, fx: &mut Effects) {
        let Some(session) = self.sessions.get_mut(session_id) else {
            return;
        };
        let (status, expert_id, end_reason) = match to {
            To::Queued => (SessionStatus::Queued, None, None),
            To::Offered => (SessionStatus::Offered, None, None),
            To::Active(expert) => (SessionStatus::Active, Some(expert), None),
            To::Ended(reason) => (SessionStatus::Ended, None, Some(reason)),
        };
        if let Err(e) = lifecycle::check(session.record.status, status) {
            tracing::error!(session = session_id, error = %e, "refused a lifecycle transition");
            return;
        }
        session.record.status = status;
        if expert_id.is_some() {
            session.record.expert_id.clone_from(&expert_id);
        }
        session.record.end_reason = end_reason.or(session.record.end_reason);
        fx.writes.push(Write::Transition {
            session_id: session_id.to_owned(),
            status,
            detail: expert_id
                .clone()
                .or_else(|| end_reason.map(|r| crate::store::enum_name(&r))),
            at: now.millis,
            expert_id,
            end_reason,
        });
        let msg = match end_reason {
            Some(reason) => ServerMessage::Ended { reason },
            None => ServerMessage::Status { status },
        };
        self.event(now, session_id, msg, fx);
    }

    /// Carries out what the dispatcher decided.
    pub(super) fn process(&mut self, now: Now, fx: &mut Effects) {
        while let Some(output) = self.dispatcher.poll_output() {
            match output {
                Output::Offered {
                    session,
                    expert,
                    expires_at,
                } => {
                    self.metrics.offers.inc();
                    self.transition(now, &session, To::Offered, fx);
                    // Back in the queue later, the requester hears where they stand again.
                    if let Some(s) = self.sessions.get_mut(&session) {
                        s.last_queue = None;
                    }
                    if let Some(entry) = self.entry_of(&session) {
                        let offer = Offer {
                            entry,
                            expires_at: now.millis_at(expires_at),
                        };
                        self.to_consoles(&expert, ServerMessage::Offered { offer }, fx);
                    }
                    tracing::info!(session, expert, "offered");
                }
                Output::OfferWithdrawn {
                    session,
                    expert,
                    reason,
                } => {
                    self.metrics.offers_withdrawn.inc();
                    if reason != WithdrawReason::RequestEnded {
                        self.transition(now, &session, To::Queued, fx);
                    }
                    self.to_consoles(
                        &expert,
                        ServerMessage::OfferWithdrawn {
                            session_id: session.clone(),
                            reason,
                        },
                        fx,
                    );
                    tracing::info!(session, expert, ?reason, "offer withdrawn");
                }
                Output::Activated {
                    session,
                    expert,
                    via,
                } => {
                    self.metrics.sessions_activated.inc();
                    let name = self
                        .experts
                        .get(&expert)
                        .map(|e| e.profile.display_name.clone())
                        .unwrap_or_default();
                    let (token, _, _) =
                        self.add_participant(now, &session, Joining::Expert(&expert), &name, fx);
                    self.transition(now, &session, To::Active(expert.clone()), fx);
                    let joined = ServerMessage::Joined {
                        session_id: session.clone(),
                        site_url: self.site_url(&session),
                        participant_token: token.clone(),
                    };
                    if let Some(e) = self.experts.get_mut(&expert) {
                        e.session_token = Some((session.clone(), token));
                    }
                    self.to_consoles(&expert, joined, fx);
                    let pickup = match via {
                        Pickup::Offer => "offer",
                        Pickup::Queue {
                            skill_override: false,
                        } => "queue",
                        Pickup::Queue {
                            skill_override: true,
                        } => "queue_override",
                    };
                    fx.writes.push(Write::Pickup {
                        session_id: session.clone(),
                        pickup,
                    });
                    if pickup == "queue_override" {
                        tracing::warn!(
                            session,
                            expert,
                            "taken from the queue outside the expert's skills (override)"
                        );
                    }
                    tracing::info!(session, expert, pickup, "session active");
                }
                Output::Ended {
                    session,
                    reason,
                    expert,
                    assistants,
                } => {
                    self.metrics.sessions_ended.inc();
                    self.transition(now, &session, To::Ended(reason), fx);
                    if let Some(s) = self.sessions.get(&session) {
                        for c in s.participants.iter().flat_map(|p| &p.conns) {
                            fx.out.push((c.tx.clone(), Outbound::Close));
                        }
                    }
                    for expert in expert.iter().chain(&assistants) {
                        if let Some(e) = self.experts.get_mut(expert) {
                            e.session_token = None;
                        }
                        self.to_consoles(
                            expert,
                            ServerMessage::SessionClosed {
                                session_id: session.clone(),
                                reason,
                            },
                            fx,
                        );
                    }
                    tracing::info!(session, ?reason, "session ended");
                }
                Output::ExpertAway { expert } => {
                    tracing::info!(expert, "expert set away after a missed offer");
                    self.console_state(now, &expert, fx);
                }
                Output::QueueChanged { from } => self.queue_changed(now, from, true, fx),
                Output::EstimatesChanged => self.queue_changed(now, 0, false, fx),
            }
        }
    }

    /// Tells waiting requesters where they stand (what changed of it), and, with `consoles`,
    /// consoles the queue.
    fn queue_changed(&mut self, now: Now, from: u64, consoles: bool, fx: &mut Effects) {
        let changed: Vec<_> = self.dispatcher.waiting_from(from).collect();
        for q in changed {
            let wait = q.estimated_wait.map_or(0, |w| w.as_secs() as u32);
            let pos = (q.position, wait, q.experts_on_duty);
            let Some(s) = self.sessions.get_mut(&q.session) else {
                continue;
            };
            if s.last_queue != Some(pos) && q.offered_to.is_none() {
                s.last_queue = Some(pos);
                let msg = ServerMessage::Queue {
                    position: pos.0,
                    estimated_wait_secs: pos.1,
                    experts_on_duty: pos.2,
                };
                self.event(now, &q.session, msg, fx);
            }
        }
        if !consoles {
            return;
        }
        let watching: Vec<String> = self
            .experts
            .iter()
            .filter(|(_, e)| !e.consoles.is_empty())
            .map(|(id, _)| id.clone())
            .collect();
        for e in watching {
            let (queue, queue_total) = self.queue_for(&e);
            self.to_consoles(&e, ServerMessage::QueueUpdate { queue, queue_total }, fx);
        }
    }

    /// A waiting request as consoles list it.
    pub(super) fn queue_entry(&self, q: QueuedRequest, skill_match: bool) -> Option<QueueEntry> {
        let s = self.sessions.get(&q.session)?;
        Some(QueueEntry {
            session_id: q.session,
            topic: s.record.topic.clone(),
            note: s.record.note.clone(),
            requester_name: s.record.requester_name.clone(),
            client: s.record.client.clone(),
            waiting_since: s.record.created_at,
            position: q.position,
            skill_match,
        })
    }

    /// The queue entry of one waiting session.
    /// (An offer: the expert it rings for has the skill.)
    pub(super) fn entry_of(&self, session: &str) -> Option<QueueEntry> {
        self.queue_entry(self.dispatcher.waiting_entry(session)?, true)
    }

    /// A message to every console of one expert.
    pub(super) fn to_consoles(&self, expert: &str, msg: ServerMessage, fx: &mut Effects) {
        let Some(e) = self.experts.get(expert) else {
            return;
        };
        if e.consoles.is_empty() {
            return;
        }
        let out = frame(msg);
        for c in &e.consoles {
            fx.out.push((c.tx.clone(), out.clone()));
        }
    }
}

/// The ICE servers one participant is given: STUN as configured, TURN with a credential that
/// expires with the participant's token.
fn ice_servers(config: &IceConfig, expires_at_secs: u64, participant_id: &str) -> Vec<IceServer> {
    let mut out = Vec::new();
    if !config.stun_urls.is_empty() {
        out.push(IceServer {
            urls: config.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    if let (false, Some(secret)) = (config.turn_urls.is_empty(), &config.turn_secret) {
        let (username, credential) =
            secrets::turn_credential(secret, expires_at_secs, participant_id);
        out.push(IceServer {
            urls: config.turn_urls.clone(),
            username: Some(username),
            credential: Some(credential),
        });
    }
    out
}

/// Checks a signal's sizes before it is passed on.
fn validate_signal(signal: &Signal) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::new(ErrorCode::BadRequest, m));
    let call_id = signal.call_id();
    if call_id.is_empty() || call_id.len() > 64 {
        return bad("call_id must have 1 to 64 characters".into());
    }
    match signal {
        Signal::Offer { sdp, .. } | Signal::Answer { sdp, .. } => {
            if sdp.is_empty() || sdp.len() > MAX_SDP_BYTES {
                return bad(format!("an SDP must have 1 to {MAX_SDP_BYTES} bytes"));
            }
        }
        Signal::Candidate {
            candidate, sdp_mid, ..
        } => {
            if candidate.len() > MAX_CANDIDATE_BYTES {
                return bad(format!(
                    "a candidate has at most {MAX_CANDIDATE_BYTES} bytes"
                ));
            }
            if sdp_mid.as_ref().is_some_and(|m| m.len() > 32) {
                return bad("sdp_mid has at most 32 characters".into());
            }
        }
        Signal::Hangup { .. } | Signal::Restart { .. } => {}
    }
    Ok(())
}
