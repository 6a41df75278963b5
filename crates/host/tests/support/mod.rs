//! A real host on `127.0.0.1:0` with a SQLite file in a temporary folder, and clients for it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use instant_share_host::config::{Config, ServeArgs};
use instant_share_host::hub::Now;
use instant_share_host::store::sqlite::SqliteStore;
use instant_share_host::store::{ExpertRecord, Store};
use instant_share_host::{secrets, Host};
use instant_share_protocol::*;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(10);

/// A running host.
pub struct TestHost {
    pub addr: SocketAddr,
    pub base: String,
    pub db: PathBuf,
    pub store: Arc<SqliteStore>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Clone, Copy)]
pub struct Timers {
    pub offer: u64,
    pub queue: u64,
    pub token_lifetime: u64,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            offer: 20,
            queue: 600,
            token_lifetime: 3600,
        }
    }
}

impl TestHost {
    pub async fn start(timers: Timers) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("host.sqlite3");
        let mut h = Self::start_on(&db, timers, None).await;
        h._dir = Some(dir);
        h
    }

    /// Starts a host with some settings changed.
    pub async fn start_with(timers: Timers, tweak: impl FnOnce(&mut ServeArgs)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("host.sqlite3");
        let mut h = Self::start_tweaked(&db, timers, None, tweak).await;
        h._dir = Some(dir);
        h
    }

    /// Starts a host on an existing database (a restart), on `addr` if given.
    pub async fn start_on(db: &Path, timers: Timers, addr: Option<SocketAddr>) -> Self {
        Self::start_tweaked(db, timers, addr, |_| {}).await
    }

    async fn start_tweaked(
        db: &Path,
        timers: Timers,
        addr: Option<SocketAddr>,
        tweak: impl FnOnce(&mut ServeArgs),
    ) -> Self {
        let mut args = ServeArgs {
            database: Some(db.to_owned()),
            listen: Some(addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())),
            offer_timeout_secs: Some(timers.offer),
            queue_timeout_secs: Some(timers.queue),
            token_lifetime_secs: Some(timers.token_lifetime),
            ui_dir: Some(PathBuf::from("/nonexistent")),
            ..ServeArgs::default()
        };
        tweak(&mut args);
        let config = Config::load(&args).unwrap();
        let store = Arc::new(SqliteStore::open(db).await.unwrap());
        let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let host = Host::start(config, store.clone(), addr).await.unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(host.serve(listener, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            base: format!("http://{addr}"),
            db: db.to_owned(),
            store,
            stop: Some(stop),
            task: Some(task),
            _dir: None,
        }
    }

    /// Stops the host gracefully and waits for it.
    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(WAIT, t)
                .await
                .expect("host stops in time")
                .unwrap()
                .unwrap();
        }
    }

    /// Stops this host and starts another on the same database and port.
    pub async fn restart(&mut self, timers: Timers) {
        self.stop().await;
        let dir = self._dir.take();
        let mut next = Self::start_on(&self.db.clone(), timers, Some(self.addr)).await;
        next._dir = dir;
        *self = next;
    }

    pub async fn add_expert(&self, username: &str, skills: &[&str]) -> ExpertRecord {
        let e = ExpertRecord {
            id: secrets::id(),
            username: username.into(),
            display_name: format!("Expert {username}"),
            password_hash: secrets::hash_password("password-1").unwrap(),
            skills: skills.iter().map(|s| s.to_string()).collect(),
        };
        self.store.add_expert(&e, Now::get().millis).await.unwrap();
        e
    }

    pub async fn enrolment_code(&self, employee: &str) -> String {
        let code = secrets::enrolment_code();
        let now = Now::get().millis;
        self.store
            .add_enrolment_code(
                &secrets::hash(&secrets::normalise_code(&code)),
                employee,
                now,
                now + 3_600_000,
            )
            .await
            .unwrap();
        code
    }

    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    pub async fn post<T: serde::Serialize>(
        &self,
        path: &str,
        body: &T,
        bearer: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http().post(format!("{}{path}", self.base)).json(body);
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        req.send().await.unwrap()
    }

    /// `GET path` (with a bearer credential), expecting 200 and JSON.
    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str, bearer: Option<&str>) -> T {
        let r = self.get_response(path, bearer).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    /// The status of `GET path` (with a bearer credential).
    pub async fn get_status(&self, path: &str, bearer: Option<&str>) -> u16 {
        self.get_response(path, bearer).await.status().as_u16()
    }

    async fn get_response(&self, path: &str, bearer: Option<&str>) -> reqwest::Response {
        let mut req = self.http().get(format!("{}{path}", self.base));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        req.send().await.unwrap()
    }

    /// Enrols a device; returns its credential.
    pub async fn enrol(&self, employee: &str) -> String {
        let code = self.enrolment_code(employee).await;
        let r = self
            .post(
                "/api/v1/enrol",
                &EnrolRequest {
                    code,
                    device_name: "laptop".into(),
                },
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
        r.json::<EnrolResponse>().await.unwrap().credential
    }

    pub async fn share(&self, credential: &str, topic: &str) -> SharePointer {
        let req = ShareRequest {
            topic: topic.into(),
            note: Some("VPN drops".into()),
            app_version: "0.1.0".into(),
            os_version: "Debian 12".into(),
        };
        let r = self.post("/api/v1/shares", &req, Some(credential)).await;
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
        r.json().await.unwrap()
    }

    /// Signs an expert in and opens their console socket.
    pub async fn console(&self, username: &str) -> Ws {
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{}/api/v1/expert/login", self.base))
            .json(&LoginRequest {
                username: username.into(),
                password: "password-1".into(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let t: ConsoleTicket = client
            .post(format!("{}/api/v1/expert/ticket", self.base))
            .header("cookie", cookie)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut ws = Ws::connect(self.addr).await;
        ws.hello(&t.ticket, None).await;
        ws
    }
}

impl TestHost {
    /// A console whose expert is available, past the welcome that says so.
    pub async fn available_console(&self, username: &str) -> Ws {
        let mut ws = self.console(username).await;
        ws.send(&ClientMessage::SetAvailability { available: true })
            .await;
        ws.until("available", |m| {
            matches!(
                m,
                ServerMessage::ConsoleWelcome {
                    available: true,
                    ..
                }
            )
        })
        .await;
        ws
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

/// A WebSocket client that reads frames with timeouts.
pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub last_seq: Option<u64>,
}

impl Ws {
    pub async fn connect(addr: SocketAddr) -> Self {
        let (stream, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/ws"))
            .await
            .unwrap();
        Self {
            stream,
            last_seq: None,
        }
    }

    pub async fn send(&mut self, msg: &ClientMessage) {
        self.send_text(&serde_json::to_string(msg).unwrap()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn hello(&mut self, token: &str, last_seq: Option<u64>) {
        self.send(&ClientMessage::Hello {
            token: token.into(),
            protocol: PROTOCOL_VERSION,
            last_seq,
        })
        .await;
    }

    /// The next frame; `None` when the socket closed.
    pub async fn next(&mut self) -> Option<ServerFrame> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a frame in time");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let f: ServerFrame = serde_json::from_str(&t).unwrap();
                    if let Some(s) = f.seq {
                        if let Some(last) = self.last_seq {
                            assert_eq!(
                                s,
                                last + 1,
                                "sequence numbers arrive in order, without gaps or repeats"
                            );
                        }
                        self.last_seq = Some(s);
                    }
                    return Some(f);
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Reads frames until one matches; returns it.
    pub async fn until(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&ServerMessage) -> bool,
    ) -> ServerMessage {
        loop {
            match self.next().await {
                Some(f) if pred(&f.msg) => return f.msg,
                Some(_) => continue,
                None => panic!("socket closed while waiting for {what}"),
            }
        }
    }

    /// Joins a session as a participant and returns the welcome snapshot.
    pub async fn join(addr: SocketAddr, token: &str) -> (Self, SessionSnapshot) {
        let mut ws = Self::connect(addr).await;
        ws.hello(token, None).await;
        match ws.next().await.map(|f| f.msg) {
            Some(ServerMessage::Welcome {
                snapshot,
                seq,
                resumed: false,
                ..
            }) => {
                ws.last_seq = Some(seq);
                (ws, snapshot)
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    /// On a console: waits for the offer of `session`, accepts it, returns the expert's token.
    pub async fn accept_next(&mut self, session: &str) -> String {
        self.until(
            "offer",
            |m| matches!(m, ServerMessage::Offered { offer } if offer.entry.session_id == session),
        )
        .await;
        self.send(&ClientMessage::Accept {
            session_id: session.to_owned(),
        })
        .await;
        self.joined().await
    }

    /// On a console: waits until its expert is joined to a session (accepted, handed over or
    /// brought in), returns the expert's token.
    pub async fn joined(&mut self) -> String {
        match self
            .until("joined", |m| matches!(m, ServerMessage::Joined { .. }))
            .await
        {
            ServerMessage::Joined {
                participant_token, ..
            } => participant_token,
            _ => unreachable!(),
        }
    }

    /// The WebSocket itself (to split it into a sender and a receiver).
    pub fn into_inner(self) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        self.stream
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// A live session: the requester's and the expert's sockets and ids.
pub async fn live_session(host: &TestHost) -> (Ws, Ws, String, String) {
    let (requester, expert, requester_id, expert_id, _) = live_session_with_token(host).await;
    (requester, expert, requester_id, expert_id)
}

/// The same, with the expert's participant token.
pub async fn live_session_with_token(host: &TestHost) -> (Ws, Ws, String, String, String) {
    let l = live(host).await;
    (
        l.requester,
        l.expert,
        l.requester_id,
        l.expert_id,
        l.expert_token,
    )
}

/// An active session with both sockets joined, and everything a test may need of it.
pub struct Live {
    pub session_id: String,
    pub requester: Ws,
    pub expert: Ws,
    pub requester_id: String,
    pub expert_id: String,
    pub requester_token: String,
    pub expert_token: String,
}

/// A requester ("Ana") and the expert "alice" (topic network) in an active session.
pub async fn live(host: &TestHost) -> Live {
    host.add_expert("alice", &["network"]).await;
    let mut console = host.available_console("alice").await;
    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "network").await;
    let (mut requester, snap) = Ws::join(host.addr, &pointer.participant_token).await;
    let expert_token = console.accept_next(&pointer.session_id).await;
    let (expert, expert_snap) = Ws::join(host.addr, &expert_token).await;
    requester
        .until("active", is_status(SessionStatus::Active))
        .await;
    Live {
        session_id: pointer.session_id,
        requester,
        expert,
        requester_id: snap.you,
        expert_id: expert_snap.you,
        requester_token: pointer.participant_token,
        expert_token,
    }
}

/// Matches the session event that moves the session to `status`.
pub fn is_status(status: SessionStatus) -> impl FnMut(&ServerMessage) -> bool {
    move |m| matches!(m, ServerMessage::Status { status: s } if *s == status)
}

pub fn is_error(code: ErrorCode) -> impl FnMut(&ServerMessage) -> bool {
    move |m| matches!(m, ServerMessage::Error { error } if error.code == code)
}

/// Uploads `body` as a picture into `session` with `token`; `query` is `""` or `?name=…`.
pub async fn upload_picture(
    host: &TestHost,
    session: &str,
    token: &str,
    body: Vec<u8>,
    query: &str,
) -> reqwest::Response {
    host.http()
        .post(format!(
            "{}/api/v1/sessions/{session}/images{query}",
            host.base
        ))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Status, code and message of a refusal.
pub async fn refusal_of(r: reqwest::Response) -> (u16, ErrorCode, String) {
    let status = r.status().as_u16();
    let e: ApiError = r.json().await.unwrap();
    (status, e.code, e.message)
}
