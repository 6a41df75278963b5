//! What the session socket's frames do to the requester's view of the session: pure, no I/O.
//!
//! The tracker owns the snapshot, the last applied `seq`, and the chat messages and board
//! operations sent but not yet echoed back (or refused) by the host. The socket task feeds it every frame and acts on the
//! [`FrameOutcome`].

use instant_share_core::snapshot::{apply, is_session_event};
use instant_share_protocol::{
    ApiError, BoardOp, ClientMessage, EndReason, ErrorCode, IceServer, PointerAt, ServerFrame,
    ServerMessage, SessionSnapshot, Signal, PROTOCOL_VERSION,
};

/// A chat message sent by this client that the host has not echoed back yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChat {
    /// The client's id for the message; the host stores a resend with the same id once.
    pub client_msg_id: String,
    /// The text.
    pub text: String,
}

impl PendingChat {
    /// The message that (re)sends it.
    pub fn to_message(&self) -> ClientMessage {
        ClientMessage::Chat {
            text: self.text.clone(),
            client_msg_id: self.client_msg_id.clone(),
        }
    }
}

/// What one frame meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameOutcome {
    /// The snapshot changed; publish it.
    Changed,
    /// Nothing to publish (a repeat, a `pong`, a message for consoles).
    Unchanged,
    /// The host accepted the `hello`: the snapshot is fresh; resend what is pending.
    Welcomed {
        /// Whether the host resumed after our `last_seq` rather than starting afresh.
        resumed: bool,
        /// ICE servers for this connection's peer connections.
        ice_servers: Vec<IceServer>,
    },
    /// WebRTC signalling from another participant, for the media engine.
    Signal {
        /// The participant who sent it.
        from: String,
        /// What they sent.
        signal: Signal,
    },
    /// Someone's pointer moved on the board (not a session event).
    Pointer {
        /// Whose.
        from: String,
        /// Where, or `None`: off the board.
        pointer: Option<PointerAt>,
    },
    /// The host refused one of our board operations.
    BoardRejected {
        /// The operation.
        op_id: String,
        /// Why.
        error: ApiError,
    },
    /// The session is over (the snapshot changed too).
    Ended(EndReason),
    /// The host refused something but the connection stays usable.
    Refused(ApiError),
    /// The host refused us for good (bad or expired token, wrong protocol): stop.
    Fatal(ApiError),
}

/// The requester's view of one session, built from the socket's frames.
#[derive(Debug, Clone, Default)]
pub struct SessionTracker {
    snapshot: Option<SessionSnapshot>,
    last_seq: Option<u64>,
    pending: Vec<PendingChat>,
    /// Board operations sent and not yet applied or refused: `(op_id, op)`.
    pending_ops: Vec<(String, BoardOp)>,
    welcomed: bool,
}

impl SessionTracker {
    /// A tracker that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The session as last seen, once welcomed.
    pub fn snapshot(&self) -> Option<&SessionSnapshot> {
        self.snapshot.as_ref()
    }

    /// The last session `seq` applied (sent as `last_seq` on reconnect).
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// Chat messages not yet echoed back, oldest first.
    pub fn pending(&self) -> &[PendingChat] {
        &self.pending
    }

    /// Everything to send again on a new connection: unconfirmed chat, then board operations
    /// (the host applies each once).
    pub fn resend(&self) -> Vec<ClientMessage> {
        self.pending
            .iter()
            .map(PendingChat::to_message)
            .chain(
                self.pending_ops
                    .iter()
                    .map(|(op_id, op)| ClientMessage::Board {
                        op_id: op_id.clone(),
                        op: op.clone(),
                    }),
            )
            .collect()
    }

    /// Records a board operation to send; it stays pending until the host applies or refuses
    /// it. Returns the message that sends it.
    pub fn queue_board(&mut self, op_id: String, op: BoardOp) -> ClientMessage {
        self.pending_ops.push((op_id.clone(), op.clone()));
        ClientMessage::Board { op_id, op }
    }

    /// Whether the current connection has been welcomed.
    pub fn is_welcomed(&self) -> bool {
        self.welcomed
    }

    /// The `hello` for a new connection.
    pub fn hello(&self, token: &str) -> ClientMessage {
        ClientMessage::Hello {
            token: token.to_owned(),
            protocol: PROTOCOL_VERSION,
            last_seq: self.last_seq,
        }
    }

    /// A new connection is being opened: nothing may be sent until it is welcomed.
    pub fn disconnected(&mut self) {
        self.welcomed = false;
    }

    /// Records a chat message to send; it stays pending until the host echoes it.
    pub fn queue_chat(&mut self, client_msg_id: String, text: String) -> PendingChat {
        let chat = PendingChat {
            client_msg_id,
            text,
        };
        self.pending.push(chat.clone());
        chat
    }

    /// Applies one frame from the host.
    pub fn on_frame(&mut self, frame: ServerFrame) -> FrameOutcome {
        match frame.msg {
            ServerMessage::Welcome {
                snapshot,
                seq,
                resumed,
                ice_servers,
            } => {
                // Resumed: our own state is the session as of `seq` (the `last_seq` we sent)
                // and exactly the events after it follow; the welcome's snapshot is the session
                // now, which already holds them (applying them again would repeat chat and
                // board changes). Otherwise the snapshot is the session as of `seq`.
                if !(resumed && self.snapshot.is_some()) {
                    self.pending
                        .retain(|p| !is_echoed(&snapshot, &p.client_msg_id));
                    self.snapshot = Some(snapshot);
                }
                self.last_seq = Some(seq);
                self.welcomed = true;
                FrameOutcome::Welcomed {
                    resumed,
                    ice_servers,
                }
            }
            ServerMessage::Signal { from, signal } => FrameOutcome::Signal { from, signal },
            ServerMessage::Pointer { from, pointer } => FrameOutcome::Pointer { from, pointer },
            ServerMessage::BoardRejected { op_id, error } => {
                self.pending_ops.retain(|(id, _)| *id != op_id);
                FrameOutcome::BoardRejected { op_id, error }
            }
            ServerMessage::Error { error } => {
                if is_transient(error.code) {
                    FrameOutcome::Refused(error)
                } else if !self.welcomed || is_fatal(error.code) {
                    FrameOutcome::Fatal(error)
                } else {
                    FrameOutcome::Refused(error)
                }
            }
            msg if is_session_event(&msg) => {
                let Some(snapshot) = self.snapshot.as_mut() else {
                    // An event before any welcome has nothing to apply to; the welcome that
                    // must come first will carry it.
                    return FrameOutcome::Unchanged;
                };
                if let (Some(seq), Some(last)) = (frame.seq, self.last_seq) {
                    if seq <= last {
                        return FrameOutcome::Unchanged;
                    }
                    if seq > last + 1 {
                        tracing::warn!(last, seq, "session events skipped a sequence number");
                    }
                }
                if let Some(seq) = frame.seq {
                    self.last_seq = Some(seq);
                }
                if let ServerMessage::Chat { message } = &msg {
                    if message.from == snapshot.you {
                        self.pending
                            .retain(|p| p.client_msg_id != message.client_msg_id);
                    }
                }
                if let ServerMessage::Board {
                    by,
                    op_id: Some(op_id),
                    ..
                } = &msg
                {
                    if *by == snapshot.you {
                        self.pending_ops.retain(|(id, _)| id != op_id);
                    }
                }
                apply(snapshot, &msg);
                match msg {
                    ServerMessage::Ended { reason } => FrameOutcome::Ended(reason),
                    _ => FrameOutcome::Changed,
                }
            }
            _ => FrameOutcome::Unchanged,
        }
    }
}

fn is_echoed(snapshot: &SessionSnapshot, client_msg_id: &str) -> bool {
    snapshot
        .chat
        .iter()
        .any(|m| m.from == snapshot.you && m.client_msg_id == client_msg_id)
}

/// Errors that say "not now" rather than "never".
fn is_transient(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::RateLimited | ErrorCode::Internal)
}

/// Errors after which this socket (and any new one with the same token) cannot work.
fn is_fatal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Unauthenticated
            | ErrorCode::DeviceRevoked
            | ErrorCode::UnsupportedVersion
            | ErrorCode::HelloExpected
            | ErrorCode::NotFound
            | ErrorCode::Forbidden
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use instant_share_protocol::{ChatMessage, Participant, Role, SessionStatus};

    fn snapshot() -> SessionSnapshot {
        SessionSnapshot {
            session_id: "s1".into(),
            topic: "other".into(),
            note: None,
            status: SessionStatus::Queued,
            end_reason: None,
            queue_position: 2,
            estimated_wait_secs: 90,
            experts_on_duty: 1,
            call_back_until: None,
            participants: vec![Participant {
                id: "me".into(),
                role: Role::Requester,
                display_name: "Ana".into(),
                online: true,
                media: Default::default(),
                may_draw: true,
                left: false,
                in_charge: false,
            }],
            chat: vec![],
            board: Default::default(),
            you: "me".into(),
            created_at: 1,
        }
    }

    fn welcome(seq: u64, snapshot: SessionSnapshot, resumed: bool) -> ServerFrame {
        ServerFrame {
            seq: None,
            msg: ServerMessage::Welcome {
                snapshot,
                seq,
                resumed,
                ice_servers: Vec::new(),
            },
        }
    }

    fn event(seq: u64, msg: ServerMessage) -> ServerFrame {
        ServerFrame {
            seq: Some(seq),
            msg,
        }
    }

    fn chat(from: &str, id: &str, text: &str) -> ServerMessage {
        ServerMessage::Chat {
            message: ChatMessage {
                from: from.into(),
                from_name: from.into(),
                text: text.into(),
                client_msg_id: id.into(),
                at: 5,
            },
        }
    }

    #[test]
    fn hello_carries_the_last_applied_seq() {
        let mut t = SessionTracker::new();
        assert_eq!(
            t.hello("tok"),
            ClientMessage::Hello {
                token: "tok".into(),
                protocol: PROTOCOL_VERSION,
                last_seq: None
            }
        );
        t.on_frame(welcome(3, snapshot(), false));
        t.on_frame(event(
            4,
            ServerMessage::Queue {
                position: 1,
                estimated_wait_secs: 30,
                experts_on_duty: 1,
            },
        ));
        assert!(matches!(
            t.hello("tok"),
            ClientMessage::Hello {
                last_seq: Some(4),
                ..
            }
        ));
    }

    #[test]
    fn events_apply_once_in_order() {
        let mut t = SessionTracker::new();
        assert_eq!(
            t.on_frame(welcome(3, snapshot(), false)),
            FrameOutcome::Welcomed {
                resumed: false,
                ice_servers: Vec::new()
            }
        );
        let queue = ServerMessage::Queue {
            position: 1,
            estimated_wait_secs: 30,
            experts_on_duty: 1,
        };
        assert_eq!(t.on_frame(event(4, queue.clone())), FrameOutcome::Changed);
        assert_eq!(t.snapshot().unwrap().queue_position, 1);
        // A replay of seq 4 and anything older than the welcome change nothing.
        assert_eq!(
            t.on_frame(event(4, chat("x", "c", "dup"))),
            FrameOutcome::Unchanged
        );
        assert_eq!(
            t.on_frame(event(2, chat("x", "c", "old"))),
            FrameOutcome::Unchanged
        );
        assert!(t.snapshot().unwrap().chat.is_empty());
        assert_eq!(
            t.on_frame(event(5, chat("x", "c", "new"))),
            FrameOutcome::Changed
        );
        assert_eq!(t.snapshot().unwrap().chat.len(), 1);
        assert_eq!(t.last_seq(), Some(5));
    }

    #[test]
    fn a_resume_replays_only_what_was_missed() {
        let mut t = SessionTracker::new();
        t.on_frame(welcome(1, snapshot(), false));
        t.on_frame(event(2, chat("ex", "a", "one")));
        t.disconnected();
        assert!(!t.is_welcomed());
        // As the host does: resumed after our seq 2, with the session as it is now (which
        // already holds seq 3 and 4), then seq 3 and 4 themselves.
        let mut now = t.snapshot().unwrap().clone();
        apply(&mut now, &chat("ex", "b", "two"));
        apply(&mut now, &chat("ex", "c", "three"));
        t.on_frame(welcome(2, now.clone(), true));
        assert_eq!(
            t.on_frame(event(2, chat("ex", "a", "one"))),
            FrameOutcome::Unchanged
        );
        for (seq, msg) in [(3, chat("ex", "b", "two")), (4, chat("ex", "c", "three"))] {
            assert_eq!(t.on_frame(event(seq, msg)), FrameOutcome::Changed);
        }
        let texts: Vec<_> = t
            .snapshot()
            .unwrap()
            .chat
            .iter()
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(texts, ["one", "two", "three"], "nothing twice");
        assert_eq!(t.snapshot(), Some(&now));
    }

    #[test]
    fn a_resume_applies_missed_board_changes_once() {
        use instant_share_protocol::{Annotation, BoardEvent, BoardTarget, Shape};
        let board = |event: BoardEvent| ServerMessage::Board {
            by: "p2".into(),
            op_id: None,
            event,
        };
        let mut t = SessionTracker::new();
        t.on_frame(welcome(1, snapshot(), false));
        let drawn = board(BoardEvent::Annotated {
            annotation: Annotation {
                id: "a1".into(),
                by: "p2".into(),
                target: BoardTarget::Screen {
                    participant_id: "p1".into(),
                },
                shape: Shape::Arrow {
                    from: [0, 0],
                    to: [10, 10],
                },
                color: "#000000".into(),
                width: 2,
                hidden: false,
            },
        });
        t.on_frame(event(2, drawn));
        t.disconnected();
        // Erased while we were away: the resumed welcome's snapshot has it, and so does seq 3.
        let erased = board(BoardEvent::Hidden {
            by: "p2".into(),
            annotations: vec!["a1".into()],
            images: vec![],
        });
        let mut now = t.snapshot().unwrap().clone();
        apply(&mut now, &erased);
        t.on_frame(welcome(2, now.clone(), true));
        t.on_frame(event(3, erased));
        assert_eq!(t.snapshot(), Some(&now), "one erase step to undo, not two");
    }

    #[test]
    fn pending_chat_clears_on_echo_only_from_us() {
        let mut t = SessionTracker::new();
        t.on_frame(welcome(1, snapshot(), false));
        t.queue_chat("m1".into(), "hello".into());
        t.queue_chat("m2".into(), "still there?".into());
        // Someone else's message with the same id is not our echo.
        t.on_frame(event(2, chat("expert", "m1", "hi")));
        assert_eq!(t.pending().len(), 2);
        t.on_frame(event(3, chat("me", "m1", "hello")));
        assert_eq!(
            t.pending(),
            [PendingChat {
                client_msg_id: "m2".into(),
                text: "still there?".into()
            }]
        );
        // The echo of m2 came while we were away: it is among the events the resume replays.
        t.disconnected();
        let mut now = t.snapshot().unwrap().clone();
        apply(&mut now, &chat("me", "m2", "still there?"));
        t.on_frame(welcome(3, now, true));
        assert_eq!(t.pending().len(), 1);
        t.on_frame(event(4, chat("me", "m2", "still there?")));
        assert!(t.pending().is_empty());
    }

    #[test]
    fn ended_is_reported_and_applied() {
        let mut t = SessionTracker::new();
        t.on_frame(welcome(1, snapshot(), false));
        let out = t.on_frame(event(
            2,
            ServerMessage::Ended {
                reason: EndReason::EndedByExpert,
            },
        ));
        assert_eq!(out, FrameOutcome::Ended(EndReason::EndedByExpert));
        let s = t.snapshot().unwrap();
        assert_eq!(s.status, SessionStatus::Ended);
        assert_eq!(s.end_reason, Some(EndReason::EndedByExpert));
    }

    #[test]
    fn errors_before_welcome_or_about_the_token_are_fatal() {
        let err = |code| ServerFrame {
            seq: None,
            msg: ServerMessage::Error {
                error: ApiError::new(code, "no"),
            },
        };
        let mut t = SessionTracker::new();
        assert!(matches!(
            t.on_frame(err(ErrorCode::BadRequest)),
            FrameOutcome::Fatal(_)
        ));
        assert!(matches!(
            t.on_frame(err(ErrorCode::Internal)),
            FrameOutcome::Refused(_)
        ));
        t.on_frame(welcome(1, snapshot(), false));
        assert!(matches!(
            t.on_frame(err(ErrorCode::RateLimited)),
            FrameOutcome::Refused(_)
        ));
        assert!(matches!(
            t.on_frame(err(ErrorCode::Unauthenticated)),
            FrameOutcome::Fatal(_)
        ));
    }

    #[test]
    fn events_before_welcome_and_replies_change_nothing() {
        let mut t = SessionTracker::new();
        assert_eq!(
            t.on_frame(event(1, chat("x", "a", "b"))),
            FrameOutcome::Unchanged
        );
        assert!(t.snapshot().is_none());
        t.on_frame(welcome(1, snapshot(), false));
        let pong = ServerFrame {
            seq: None,
            msg: ServerMessage::Pong { nonce: 7 },
        };
        assert_eq!(t.on_frame(pong), FrameOutcome::Unchanged);
    }
}
