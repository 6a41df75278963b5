//! The session socket: one task per session that keeps the requester's view current.

pub mod backoff;
pub mod tracker;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use instant_share_protocol::{
    ApiError, BoardOp, ClientMessage, ConnectionState, EndReason, ErrorCode, IceServer, MediaState,
    PointerAt, ServerFrame, SessionSnapshot, SessionStatus, Signal, MAX_CHAT_CHARS,
};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use self::backoff::Backoff;
use self::tracker::{FrameOutcome, SessionTracker};
use crate::{ClientError, CONNECT_TIMEOUT, PING_INTERVAL};

/// How long the host may take to answer `hello` before the client tries a new socket.
const WELCOME_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the socket may stay silent (no frame, no pong) before it counts as dropped.
const SILENCE_LIMIT: Duration = Duration::from_secs(40);

/// What the session task reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The session as it is now; sent after the welcome and after every change.
    Snapshot(Box<SessionSnapshot>),
    /// The socket's state changed.
    Connection(ConnectionState),
    /// The session is over; the task stops.
    Ended(EndReason),
    /// The host welcomed a (new) socket: its ICE servers. Calls in progress were signalled on
    /// the old socket; whoever calls re-offers after this.
    Welcomed {
        /// Whether the session resumed where the last socket left off.
        resumed: bool,
        /// STUN/TURN servers for peer connections.
        ice_servers: Vec<IceServer>,
    },
    /// Someone's pointer moved on the board.
    Pointer {
        /// Whose.
        from: String,
        /// Where, or `None`: off the board.
        pointer: Option<PointerAt>,
    },
    /// The host refused one of this participant's board operations.
    BoardRejected {
        /// The operation's id (from [`SessionHandle::send_board`]).
        op_id: String,
        /// Why.
        error: ApiError,
    },
    /// WebRTC signalling from another participant.
    Signal {
        /// The participant who sent it.
        from: String,
        /// What they sent.
        signal: Signal,
    },
    /// The host refused this participant for good (for example an expired token); the task
    /// stops.
    Fatal(ApiError),
}

#[derive(Debug)]
enum Command {
    Chat { client_msg_id: String, text: String },
    Board { op_id: String, op: BoardOp },
    Pointer(Option<PointerAt>),
    Signal { to: String, signal: Signal },
    Media(MediaState),
    EndSession,
    CallBack,
    Reconnect,
    Close,
}

/// Sends commands to a running session task. Cheap to clone; dropping every handle closes
/// the connection like [`SessionHandle::close`].
#[derive(Debug, Clone)]
pub struct SessionHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl SessionHandle {
    /// Sends a chat message and returns its `client_msg_id`. It is sent now if connected,
    /// otherwise after the next welcome, and again after every reconnect until the host
    /// echoes it.
    pub fn send_chat(&self, text: &str) -> Result<String, ClientError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ClientError::Api(ApiError::new(
                ErrorCode::BadRequest,
                "The message is empty.",
            )));
        }
        if text.chars().count() > MAX_CHAT_CHARS {
            return Err(ClientError::Api(ApiError::new(
                ErrorCode::BadRequest,
                format!("A message can have at most {MAX_CHAT_CHARS} characters."),
            )));
        }
        let client_msg_id = format!("{:032x}", rand::random::<u128>());
        self.command(Command::Chat {
            client_msg_id: client_msg_id.clone(),
            text: text.to_owned(),
        })?;
        Ok(client_msg_id)
    }

    /// Sends a board operation and returns its `op_id`: now if connected, otherwise after the
    /// next welcome, and again after every reconnect until the host applies or refuses it
    /// ([`SessionEvent::BoardRejected`]).
    pub fn send_board(&self, op: BoardOp) -> Result<String, ClientError> {
        let op_id = format!("{:032x}", rand::random::<u128>());
        self.command(Command::Board {
            op_id: op_id.clone(),
            op,
        })?;
        Ok(op_id)
    }

    /// Says where this participant's pointer is on the board, now if connected (a pointer is
    /// not worth keeping: the next move says it again).
    pub fn send_pointer(&self, pointer: Option<PointerAt>) -> Result<(), ClientError> {
        self.command(Command::Pointer(pointer))
    }

    /// Sends WebRTC signalling to another participant, now if connected. Signals are not kept
    /// for a later socket: a reconnect starts a new call, with new signals.
    pub fn send_signal(&self, to: &str, signal: Signal) -> Result<(), ClientError> {
        self.command(Command::Signal {
            to: to.to_owned(),
            signal,
        })
    }

    /// Says which media are live; said again after every reconnect.
    pub fn set_media(&self, media: MediaState) -> Result<(), ClientError> {
        self.command(Command::Media(media))
    }

    /// Ends the session (cancels the request while still waiting). The task reports
    /// [`SessionEvent::Ended`] once the host confirms.
    pub fn end_session(&self) -> Result<(), ClientError> {
        self.command(Command::EndSession)
    }

    /// While waiting: asks to be called back instead (the request waits for hours). Sent now
    /// if connected, else after the next welcome unless the host already has it.
    pub fn call_back(&self) -> Result<(), ClientError> {
        self.command(Command::CallBack)
    }

    /// Drops the socket and opens a new one at once, without the usual pause: the computer's
    /// network changed (the socket's address may be gone, and it would take the silence limit
    /// to notice). The session resumes where it was.
    pub fn reconnect(&self) {
        let _ = self.commands.send(Command::Reconnect);
    }

    /// Closes the socket and stops the task without ending the session.
    pub fn close(&self) {
        // A task that already stopped is closed anyway.
        let _ = self.commands.send(Command::Close);
    }

    /// Whether the task is still running.
    pub fn is_running(&self) -> bool {
        !self.commands.is_closed()
    }

    fn command(&self, command: Command) -> Result<(), ClientError> {
        self.commands.send(command).map_err(|_| ClientError::Closed)
    }
}

/// Starts session sockets.
pub struct SessionConnection;

impl SessionConnection {
    /// Starts the task for the session socket at `ws_url` with a participant token. Must be
    /// called inside a Tokio runtime. A `ws_url` that is not `ws://` or `wss://` is reported as
    /// [`SessionEvent::Fatal`].
    pub fn spawn(
        ws_url: impl Into<String>,
        token: impl Into<String>,
    ) -> (SessionHandle, mpsc::Receiver<SessionEvent>) {
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::channel(64);
        let task = Task {
            url: ws_url.into(),
            token: token.into(),
            tracker: SessionTracker::new(),
            events: event_tx,
            commands: command_rx,
            end_requested: false,
            call_back_requested: false,
            media: None,
            backoff: Backoff::default(),
            connection: None,
            ping_nonce: 0,
        };
        tokio::spawn(task.run());
        (
            SessionHandle {
                commands: command_tx,
            },
            event_rx,
        )
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Whether the task goes on (with a new socket, after a pause or at once) or stops.
enum Flow {
    Retry,
    Now,
    Stop,
}

/// The receiver of events is gone: nobody listens, so stop.
struct Unheard;

struct Task {
    url: String,
    token: String,
    tracker: SessionTracker,
    events: mpsc::Sender<SessionEvent>,
    commands: mpsc::UnboundedReceiver<Command>,
    end_requested: bool,
    call_back_requested: bool,
    /// The media state to (re)announce after each welcome.
    media: Option<MediaState>,
    backoff: Backoff,
    connection: Option<ConnectionState>,
    ping_nonce: u64,
}

impl Task {
    async fn run(mut self) {
        if let Err(why) = check_ws_url(&self.url) {
            let _ = self
                .events
                .send(SessionEvent::Fatal(ApiError::new(
                    ErrorCode::BadRequest,
                    why,
                )))
                .await;
            return;
        }
        let mut state = ConnectionState::Connecting;
        loop {
            if self.set_connection(state).await.is_err() {
                break;
            }
            state = ConnectionState::Reconnecting;
            self.tracker.disconnected();
            let flow = match self.connect().await {
                Ok(Some(socket)) => self.serve(socket).await,
                Ok(None) => Flow::Stop,
                Err(e) => {
                    tracing::info!(url = %self.url, error = %e, "session socket did not open");
                    Flow::Retry
                }
            };
            match flow {
                Flow::Stop => break,
                Flow::Now => continue,
                Flow::Retry => {}
            }
            let delay = self.backoff.next_delay(rand::random::<f64>());
            tracing::debug!(?delay, "reconnecting the session socket after a pause");
            if let Flow::Stop = self.pause(delay).await {
                break;
            }
        }
        let _ = self.set_connection(ConnectionState::Offline).await;
    }

    /// Opens a socket, handling commands meanwhile. `Ok(None)`: closed by the user.
    async fn connect(&mut self) -> Result<Option<Socket>, String> {
        let url = self.url.clone();
        let open = tokio::time::timeout(
            CONNECT_TIMEOUT * 2,
            tokio_tungstenite::connect_async(url.as_str()),
        );
        tokio::pin!(open);
        loop {
            tokio::select! {
                result = &mut open => {
                    return match result {
                        Ok(Ok((socket, _))) => Ok(Some(socket)),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(_) => Err("timed out".into()),
                    };
                }
                command = self.commands.recv() => match self.offline_command(command) {
                    Flow::Stop => return Ok(None),
                    // The attempt may be on the network that went away: a new one.
                    Flow::Now => {
                        open.set(tokio::time::timeout(
                            CONNECT_TIMEOUT * 2,
                            tokio_tungstenite::connect_async(url.as_str()),
                        ));
                    }
                    Flow::Retry => {}
                },
            }
        }
    }

    /// Waits before the next attempt, handling commands meanwhile.
    async fn pause(&mut self, delay: Duration) -> Flow {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return Flow::Retry,
                command = self.commands.recv() => match self.offline_command(command) {
                    Flow::Stop => return Flow::Stop,
                    Flow::Now => return Flow::Retry,
                    Flow::Retry => {}
                },
            }
        }
    }

    /// A command while there is no welcomed socket: remember it for the next one.
    fn offline_command(&mut self, command: Option<Command>) -> Flow {
        match command {
            Some(Command::Chat {
                client_msg_id,
                text,
            }) => {
                self.tracker.queue_chat(client_msg_id, text);
                Flow::Retry
            }
            Some(Command::EndSession) => {
                self.end_requested = true;
                Flow::Retry
            }
            Some(Command::CallBack) => {
                self.call_back_requested = true;
                Flow::Retry
            }
            Some(Command::Board { op_id, op }) => {
                self.tracker.queue_board(op_id, op);
                Flow::Retry
            }
            Some(Command::Pointer(_)) => Flow::Retry,
            Some(Command::Media(media)) => {
                self.media = Some(media);
                Flow::Retry
            }
            Some(Command::Signal { to, .. }) => {
                tracing::debug!(
                    to,
                    "signal dropped: no socket (the call restarts after reconnect)"
                );
                Flow::Retry
            }
            Some(Command::Reconnect) => Flow::Now,
            Some(Command::Close) | None => Flow::Stop,
        }
    }

    /// Runs one socket until it drops or the task should stop.
    async fn serve(&mut self, socket: Socket) -> Flow {
        let (mut sink, mut stream) = socket.split();
        if send(&mut sink, &self.tracker.hello(&self.token))
            .await
            .is_err()
        {
            return Flow::Retry;
        }
        let welcome_deadline = Instant::now() + WELCOME_TIMEOUT;
        let mut last_heard = Instant::now();
        let mut ping = tokio::time::interval_at(Instant::now() + PING_INTERVAL, PING_INTERVAL);
        loop {
            tokio::select! {
                frame = stream.next() => {
                    let text = match frame {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(close))) => {
                            tracing::info!(?close, "the host closed the session socket");
                            return Flow::Retry;
                        }
                        Some(Ok(_)) => {
                            last_heard = Instant::now();
                            continue;
                        }
                        Some(Err(e)) => {
                            tracing::info!(error = %e, "session socket failed");
                            return Flow::Retry;
                        }
                        None => return Flow::Retry,
                    };
                    last_heard = Instant::now();
                    let frame: ServerFrame = match serde_json::from_str(text.as_str()) {
                        Ok(frame) => frame,
                        Err(e) => {
                            tracing::warn!(error = %e, "ignoring a frame that does not parse");
                            continue;
                        }
                    };
                    match self.on_frame(frame, &mut sink).await {
                        Ok(None) => {}
                        Ok(Some(flow)) => {
                            if let Flow::Stop = flow {
                                let _ = sink.send(Message::Close(None)).await;
                            }
                            return flow;
                        }
                        Err(Unheard) => return Flow::Stop,
                    }
                }
                command = self.commands.recv() => {
                    let welcomed = self.tracker.is_welcomed();
                    let message = match command {
                        Some(Command::Chat { client_msg_id, text }) => {
                            let chat = self.tracker.queue_chat(client_msg_id, text);
                            welcomed.then(|| chat.to_message())
                        }
                        Some(Command::EndSession) => {
                            self.end_requested = true;
                            welcomed.then_some(ClientMessage::EndSession)
                        }
                        Some(Command::CallBack) => {
                            self.call_back_requested = true;
                            welcomed.then_some(ClientMessage::CallBack)
                        }
                        Some(Command::Board { op_id, op }) => {
                            let message = self.tracker.queue_board(op_id, op);
                            welcomed.then_some(message)
                        }
                        Some(Command::Pointer(pointer)) => {
                            welcomed.then_some(ClientMessage::Pointer { pointer })
                        }
                        Some(Command::Signal { to, signal }) => {
                            welcomed.then_some(ClientMessage::Signal { to, signal })
                        }
                        Some(Command::Media(media)) => {
                            self.media = Some(media);
                            welcomed.then_some(ClientMessage::SetMedia { media })
                        }
                        Some(Command::Reconnect) => {
                            tracing::info!("the network changed: opening a new session socket");
                            return Flow::Now;
                        }
                        Some(Command::Close) | None => {
                            let _ = sink.send(Message::Close(None)).await;
                            return Flow::Stop;
                        }
                    };
                    if let Some(message) = message {
                        if send(&mut sink, &message).await.is_err() {
                            return Flow::Retry;
                        }
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > SILENCE_LIMIT {
                        tracing::info!("session socket silent for too long");
                        return Flow::Retry;
                    }
                    self.ping_nonce += 1;
                    let ping = ClientMessage::Ping { nonce: self.ping_nonce };
                    if send(&mut sink, &ping).await.is_err() {
                        return Flow::Retry;
                    }
                }
                _ = tokio::time::sleep_until(welcome_deadline), if !self.tracker.is_welcomed() => {
                    tracing::info!("no welcome from the host in time");
                    return Flow::Retry;
                }
            }
        }
    }

    /// Acts on one frame. `Ok(Some(flow))` ends this socket.
    async fn on_frame<S>(
        &mut self,
        frame: ServerFrame,
        sink: &mut S,
    ) -> Result<Option<Flow>, Unheard>
    where
        S: SinkExt<Message> + Unpin,
    {
        match self.tracker.on_frame(frame) {
            FrameOutcome::Unchanged => Ok(None),
            FrameOutcome::Changed => {
                self.publish_snapshot().await?;
                Ok(None)
            }
            FrameOutcome::Signal { from, signal } => {
                self.emit(SessionEvent::Signal { from, signal }).await?;
                Ok(None)
            }
            FrameOutcome::Pointer { from, pointer } => {
                self.emit(SessionEvent::Pointer { from, pointer }).await?;
                Ok(None)
            }
            FrameOutcome::BoardRejected { op_id, error } => {
                tracing::info!(op_id, %error, "the host refused a board operation");
                self.emit(SessionEvent::BoardRejected { op_id, error })
                    .await?;
                Ok(None)
            }
            FrameOutcome::Welcomed {
                resumed,
                ice_servers,
            } => {
                tracing::info!(resumed, last_seq = ?self.tracker.last_seq(), "session socket welcomed");
                self.backoff.reset();
                self.set_connection(ConnectionState::Connected).await?;
                self.publish_snapshot().await?;
                self.emit(SessionEvent::Welcomed {
                    resumed,
                    ice_servers,
                })
                .await?;
                if let Some(reason) = self.ended_in_snapshot() {
                    self.emit(SessionEvent::Ended(reason)).await?;
                    return Ok(Some(Flow::Stop));
                }
                let mut resend = self.tracker.resend();
                if let Some(media) = self.media {
                    resend.push(ClientMessage::SetMedia { media });
                }
                if self.end_requested {
                    resend.push(ClientMessage::EndSession);
                }
                let heard = self
                    .tracker
                    .snapshot()
                    .is_some_and(|s| s.call_back_until.is_some());
                if self.call_back_requested && !heard && !self.end_requested {
                    resend.push(ClientMessage::CallBack);
                }
                for message in &resend {
                    if send(sink, message).await.is_err() {
                        return Ok(Some(Flow::Retry));
                    }
                }
                Ok(None)
            }
            FrameOutcome::Ended(reason) => {
                self.publish_snapshot().await?;
                self.emit(SessionEvent::Ended(reason)).await?;
                Ok(Some(Flow::Stop))
            }
            FrameOutcome::Refused(error) => {
                tracing::warn!(%error, "the host refused a message");
                Ok(None)
            }
            FrameOutcome::Fatal(error) => {
                tracing::warn!(%error, "the host refused the session socket");
                self.emit(SessionEvent::Fatal(error)).await?;
                Ok(Some(Flow::Stop))
            }
        }
    }

    fn ended_in_snapshot(&self) -> Option<EndReason> {
        let snapshot = self.tracker.snapshot()?;
        (snapshot.status == SessionStatus::Ended)
            .then(|| snapshot.end_reason.unwrap_or(EndReason::EndedByRequester))
    }

    async fn publish_snapshot(&self) -> Result<(), Unheard> {
        match self.tracker.snapshot() {
            Some(snapshot) => {
                self.emit(SessionEvent::Snapshot(Box::new(snapshot.clone())))
                    .await
            }
            None => Ok(()),
        }
    }

    async fn set_connection(&mut self, state: ConnectionState) -> Result<(), Unheard> {
        if self.connection == Some(state) {
            return Ok(());
        }
        self.connection = Some(state);
        self.emit(SessionEvent::Connection(state)).await
    }

    async fn emit(&self, event: SessionEvent) -> Result<(), Unheard> {
        self.events.send(event).await.map_err(|_| Unheard)
    }
}

async fn send<S>(sink: &mut S, message: &ClientMessage) -> Result<(), ()>
where
    S: SinkExt<Message> + Unpin,
{
    let json = serde_json::to_string(message).map_err(|_| ())?;
    sink.send(Message::Text(json.into())).await.map_err(|_| ())
}

fn check_ws_url(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw)
        .map_err(|e| format!("The session address {raw} is not valid: {e}."))?;
    if !matches!(url.scheme(), "ws" | "wss") {
        return Err(format!(
            "The session address {raw} must start with ws:// or wss://."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_websocket_addresses_are_accepted() {
        assert!(check_ws_url("ws://127.0.0.1:8080/api/v1/ws").is_ok());
        assert!(check_ws_url("wss://help.example.com/api/v1/ws").is_ok());
        assert!(check_ws_url("http://127.0.0.1:8080/api/v1/ws").is_err());
        assert!(check_ws_url("not a url").is_err());
    }

    #[tokio::test]
    async fn a_bad_address_is_fatal() {
        let (_handle, mut events) = SessionConnection::spawn("http://x/api/v1/ws", "t");
        match events.recv().await {
            Some(SessionEvent::Fatal(e)) => assert_eq!(e.code, ErrorCode::BadRequest),
            other => panic!("expected a fatal error, got {other:?}"),
        }
        assert_eq!(events.recv().await, None, "the task stops");
    }

    #[tokio::test]
    async fn chat_is_validated_before_it_is_queued() {
        let (handle, _events) = SessionConnection::spawn("ws://127.0.0.1:9/api/v1/ws", "t");
        assert!(handle.send_chat("   ").is_err());
        assert!(handle.send_chat(&"x".repeat(MAX_CHAT_CHARS + 1)).is_err());
        let id = handle.send_chat("hello").unwrap();
        assert_eq!(id.len(), 32);
        handle.close();
    }

    #[tokio::test]
    async fn close_stops_the_task_while_it_retries() {
        // Nothing listens on the port: the task keeps retrying until closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (handle, mut events) =
            SessionConnection::spawn(format!("ws://127.0.0.1:{port}/api/v1/ws"), "t");
        assert_eq!(
            events.recv().await,
            Some(SessionEvent::Connection(ConnectionState::Connecting))
        );
        assert_eq!(
            events.recv().await,
            Some(SessionEvent::Connection(ConnectionState::Reconnecting))
        );
        handle.close();
        let mut last = None;
        while let Some(event) = events.recv().await {
            last = Some(event);
        }
        assert_eq!(
            last,
            Some(SessionEvent::Connection(ConnectionState::Offline))
        );
        assert!(!handle.is_running());
    }
}
