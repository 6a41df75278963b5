//! The WebSocket at `/api/v1/ws`: `hello` first, then session or console messages.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use instant_share_protocol::{ApiError, ClientMessage, ErrorCode, ServerMessage, PROTOCOL_VERSION};
use tokio::sync::mpsc;

use crate::hub::{error_frame, frame, Conn, Identity};
use crate::writer::Outbound;
use crate::AppState;

/// How long a socket may take to say `hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest frame read at all; larger ones close the socket. Frames between
/// [`instant_share_protocol::MAX_WS_MESSAGE_BYTES`] and this are refused with `message_too_large`.
const MAX_FRAME: usize = 1024 * 1024;
/// Messages a second, sustained (pointer moves not counted).
const RATE: f64 = 20.0;
/// Messages in a burst.
const BURST: f64 = 40.0;
/// Pointer moves a second, sustained: a pointer that follows the mouse at 60 Hz.
const POINTER_RATE: f64 = 60.0;
/// Pointer moves in a burst.
const POINTER_BURST: f64 = 30.0;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/ws", get(upgrade))
}

/// Browsers send an `Origin` with every WebSocket: a page of another site (a DNS-rebinding one
/// included) is refused before the upgrade. Native clients send none.
async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(origin) = headers.get(axum::http::header::ORIGIN) {
        let ok = origin
            .to_str()
            .is_ok_and(|o| crate::browser::same_origin(o, state.public_url()));
        if !ok {
            crate::browser::log_foreign_origin(
                origin.to_str().unwrap_or("(not text)"),
                state.public_url(),
            );
            return crate::error::HttpError::new(
                ErrorCode::CrossSite,
                "WebSockets from other sites are refused",
            )
            .into_response();
        }
    }
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| run(socket, state))
}

/// A token bucket.
struct RateLimit {
    tokens: f64,
    at: Instant,
    rate: f64,
    burst: f64,
}

impl RateLimit {
    fn new(rate: f64, burst: f64) -> Self {
        Self {
            tokens: burst,
            at: Instant::now(),
            rate,
            burst,
        }
    }

    fn allow(&mut self, now: Instant) -> bool {
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

async fn send(socket: &mut WebSocket, out: Outbound) -> bool {
    match out {
        Outbound::Frame(text) => socket
            .send(Message::Text(text.as_ref().into()))
            .await
            .is_ok(),
        Outbound::Close => {
            let _ = socket
                .send(Message::Close(Some(CloseFrame {
                    code: 1000,
                    reason: "session ended".into(),
                })))
                .await;
            false
        }
    }
}

/// Reads one client message, or says why not.
fn parse(msg: &Message) -> Result<Option<ClientMessage>, ApiError> {
    let text = match msg {
        Message::Text(t) => t.as_str(),
        Message::Binary(_) => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "send JSON text messages",
            ))
        }
        _ => return Ok(None),
    };
    ClientMessage::from_text(text).map(Some)
}

async fn run(mut socket: WebSocket, state: AppState) {
    state.metrics().ws_open.inc();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn = Conn {
        id: state.next_conn_id(),
        tx,
    };
    let mut shutdown = state.shutdown_signal();
    if let Some(identity) = hello(&mut socket, &state, conn.clone()).await {
        serve(&mut socket, &state, &identity, &mut rx, &mut shutdown).await;
        state.with_hub(|hub, now, fx| match &identity {
            Identity::Participant {
                session,
                participant,
            } => hub.leave(now, session, participant, conn.id, fx),
            Identity::Console { expert } => hub.leave_console(now, expert, conn.id, fx),
        });
    }
    state.metrics().ws_open.dec();
}

/// Waits for a valid `hello`; sends the first messages. `None`: the socket is done.
async fn hello(socket: &mut WebSocket, state: &AppState, conn: Conn) -> Option<Identity> {
    let deadline = tokio::time::Instant::now() + HELLO_TIMEOUT;
    loop {
        let msg = match tokio::time::timeout_at(deadline, socket.recv()).await {
            Ok(Some(Ok(m))) => m,
            Ok(_) => return None,
            Err(_) => {
                send(
                    socket,
                    error_frame(ErrorCode::HelloExpected, "no hello within 10 seconds"),
                )
                .await;
                return None;
            }
        };
        state.metrics().ws_messages_in.inc();
        let (token, last_seq) = match parse(&msg) {
            Ok(None) => continue,
            Ok(Some(ClientMessage::Hello {
                token,
                protocol,
                last_seq,
            })) => {
                if protocol != PROTOCOL_VERSION {
                    let text = format!("this host speaks protocol {PROTOCOL_VERSION}, not {protocol}; update the app");
                    send(socket, error_frame(ErrorCode::UnsupportedVersion, text)).await;
                    return None;
                }
                (token, last_seq)
            }
            Ok(Some(_)) => {
                state.metrics().ws_errors.inc();
                if !send(
                    socket,
                    error_frame(ErrorCode::HelloExpected, "say hello first"),
                )
                .await
                {
                    return None;
                }
                continue;
            }
            Err(e) => {
                state.metrics().ws_errors.inc();
                if !send(socket, frame(ServerMessage::Error { error: e })).await {
                    return None;
                }
                continue;
            }
        };
        let joined = state.with_hub(|hub, now, fx| {
            if hub.is_ticket(now, &token) {
                hub.join_console(now, &token, conn, fx)
            } else {
                hub.join(now, &token, last_seq, conn, fx)
            }
        });
        return match joined {
            Ok((identity, first)) => {
                for out in first {
                    if !send(socket, out).await {
                        return Some(identity);
                    }
                }
                Some(identity)
            }
            Err(error) => {
                state.metrics().auth_failures.inc();
                send(socket, frame(ServerMessage::Error { error })).await;
                let _ = socket
                    .send(Message::Close(Some(CloseFrame {
                        code: 4001,
                        reason: "unauthenticated".into(),
                    })))
                    .await;
                None
            }
        };
    }
}

async fn serve(
    socket: &mut WebSocket,
    state: &AppState,
    identity: &Identity,
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) {
    let mut limit = RateLimit::new(RATE, BURST);
    let mut pointer_limit = RateLimit::new(POINTER_RATE, POINTER_BURST);
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(out) = out else { return };
                if !send(socket, out).await {
                    return;
                }
            }
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { return };
                if matches!(msg, Message::Close(_)) {
                    return;
                }
                state.metrics().ws_messages_in.inc();
                let parsed = parse(&msg);
                // A board operation refused before the board saw it (rate, size, a socket that
                // is not a participant's) is still answered as that operation's refusal, so
                // the sender stops resending it.
                let board_op = match &parsed {
                    Ok(Some(ClientMessage::Board { op_id, .. })) => Some(op_id.clone()),
                    _ => None,
                };
                let reply = match parsed {
                    // Pointer moves have their own budget; one over it is dropped without a
                    // word (the next move carries the position).
                    Ok(Some(m @ ClientMessage::Pointer { .. })) => {
                        if pointer_limit.allow(Instant::now()) {
                            handle(state, identity, m)
                        } else {
                            Ok(None)
                        }
                    }
                    _ if !limit.allow(Instant::now()) => {
                        Err(ApiError::new(ErrorCode::RateLimited, "too many messages; slow down"))
                    }
                    Ok(Some(m)) => handle(state, identity, m),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                let out = match reply {
                    Ok(Some(m)) => frame(m),
                    Ok(None) => continue,
                    Err(error) => {
                        state.metrics().ws_errors.inc();
                        match board_op {
                            Some(op_id) => frame(ServerMessage::BoardRejected { op_id, error }),
                            None => frame(ServerMessage::Error { error }),
                        }
                    }
                };
                if !send(socket, out).await {
                    return;
                }
            }
            _ = shutdown.changed() => {
                let _ = socket.send(Message::Close(Some(CloseFrame { code: 1012, reason: "host restarting".into() }))).await;
                return;
            }
        }
    }
}

/// One message after `hello`. Returns a direct reply, if any.
fn handle(
    state: &AppState,
    identity: &Identity,
    msg: ClientMessage,
) -> Result<Option<ServerMessage>, ApiError> {
    let wrong = |what: &str| {
        Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("{what} is not for this socket"),
        ))
    };
    // Someone who left (handed over, removed, gone) is heard no more, also in the moment before
    // their socket closes.
    if let Identity::Participant {
        session,
        participant,
    } = identity
    {
        if !matches!(msg, ClientMessage::Ping { .. })
            && state.read_hub(|hub| hub.has_left(session, participant))
        {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "you are no longer in this session",
            ));
        }
    }
    match (identity, msg) {
        (_, ClientMessage::Ping { nonce }) => Ok(Some(ServerMessage::Pong { nonce })),
        (_, ClientMessage::Hello { .. }) => Err(ApiError::new(
            ErrorCode::HelloExpected,
            "hello was already said",
        )),
        (
            Identity::Participant {
                session,
                participant,
            },
            ClientMessage::Chat {
                text,
                client_msg_id,
            },
        ) => state
            .with_hub(|hub, now, fx| hub.chat(now, session, participant, &text, &client_msg_id, fx))
            .map(|()| None),
        (
            Identity::Participant {
                session,
                participant,
            },
            ClientMessage::Board { op_id, op },
        ) => state
            // A refusal is answered as `board_rejected` by `serve`, like one before this point.
            .with_hub(|hub, now, fx| hub.board(now, session, participant, &op_id, &op, fx))
            .map(|()| None),
        (
            Identity::Participant {
                session,
                participant,
            },
            ClientMessage::Pointer { pointer },
        ) => state
            .with_hub(|hub, _, fx| hub.pointer(session, participant, pointer, fx))
            .map(|()| None),
        (
            Identity::Participant {
                session,
                participant,
            },
            ClientMessage::HandOver { to_username },
        ) => state
            .with_hub(|hub, now, fx| hub.hand_over(now, session, participant, &to_username, fx))
            .map(|()| None),
        (
            Identity::Participant {
                session,
                participant,
            },
            ClientMessage::EndSession,
        ) => state
            .with_hub(|hub, now, fx| hub.end_by(now, session, participant, fx))
            .map(|()| None),
        (
            Identity::Participant {
                session,
                participant,
            },
            ClientMessage::CallBack,
        ) => state
            .with_hub(|hub, now, fx| hub.call_back(now, session, participant, fx))
            .map(|()| None),
        (
            Identity::Participant {
                session,
                participant,
            },
            ClientMessage::Signal { to, signal },
        ) => state
            .with_hub(|hub, _, fx| hub.signal(session, participant, &to, signal, fx))
            .map(|()| None),
        (
            Identity::Participant {
                session,
                participant,
            },
            ClientMessage::SetMedia { media },
        ) => state
            .with_hub(|hub, now, fx| hub.set_media(now, session, participant, media, fx))
            .map(|()| None),
        (Identity::Console { expert }, ClientMessage::SetAvailability { available }) => state
            .with_hub(|hub, now, fx| hub.set_availability(now, expert, available, fx))
            .map(|()| None),
        (Identity::Console { expert }, ClientMessage::Accept { session_id }) => state
            .with_hub(|hub, now, fx| hub.accept(now, expert, &session_id, fx))
            .map(|()| None),
        (Identity::Console { expert }, ClientMessage::Decline { session_id }) => state
            .with_hub(|hub, now, fx| hub.decline(now, expert, &session_id, fx))
            .map(|()| None),
        (
            Identity::Console { expert },
            ClientMessage::Take {
                session_id,
                skill_override,
            },
        ) => state
            .with_hub(|hub, now, fx| {
                hub.take(
                    now,
                    expert,
                    &session_id,
                    skill_override.unwrap_or(false),
                    fx,
                )
            })
            .map(|()| None),
        (
            Identity::Console { .. },
            ClientMessage::Chat { .. }
            | ClientMessage::Board { .. }
            | ClientMessage::Pointer { .. }
            | ClientMessage::HandOver { .. }
            | ClientMessage::EndSession
            | ClientMessage::CallBack
            | ClientMessage::Signal { .. }
            | ClientMessage::SetMedia { .. },
        ) => wrong("a session message"),
        (Identity::Participant { .. }, _) => wrong("a console message"),
    }
}
