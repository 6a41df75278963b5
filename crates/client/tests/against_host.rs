//! The client against the real host, in-process on `127.0.0.1:0` with a SQLite file:
//! enrol, topics, share, the session socket (welcome, chat echo, resume across a host
//! restart, cancel), and the host's refusals as typed errors.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use instant_share_client::{ClientError, HostClient, SessionConnection, SessionEvent};
use instant_share_host::config::{Config, ServeArgs};
use instant_share_host::hub::Now;
use instant_share_host::store::sqlite::SqliteStore;
use instant_share_host::store::Store;
use instant_share_host::{secrets, Host};
use instant_share_protocol::{
    ConnectionState, EndReason, ErrorCode, SessionSnapshot, SessionStatus, ShareRequest,
};
use tokio::sync::{mpsc, oneshot};

struct RunningHost {
    addr: SocketAddr,
    store: Arc<SqliteStore>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start_host(db: &Path, addr: Option<SocketAddr>) -> RunningHost {
    let args = ServeArgs {
        database: Some(db.to_owned()),
        listen: Some(addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())),
        ui_dir: Some("/nonexistent".into()),
        ..ServeArgs::default()
    };
    let config = Config::load(&args).unwrap();
    let store = Arc::new(SqliteStore::open(db).await.unwrap());
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let host = Host::start(config, store.clone(), addr).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(host.serve(listener, async move {
        let _ = stopped.await;
    }));
    RunningHost {
        addr,
        store,
        stop,
        task,
    }
}

impl RunningHost {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the host stops in time")
            .unwrap()
            .unwrap();
    }

    async fn enrolment_code(&self, employee: &str) -> String {
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
}

/// Waits for a snapshot that satisfies `want`, skipping other events.
async fn snapshot_where(
    events: &mut mpsc::Receiver<SessionEvent>,
    want: impl Fn(&SessionSnapshot) -> bool,
) -> SessionSnapshot {
    loop {
        match tokio::time::timeout(Duration::from_secs(15), events.recv())
            .await
            .expect("no such snapshot in time")
            .expect("the task stopped")
        {
            SessionEvent::Snapshot(s) if want(&s) => return *s,
            SessionEvent::Fatal(e) => panic!("fatal: {e}"),
            _ => {}
        }
    }
}

async fn event_where(
    events: &mut mpsc::Receiver<SessionEvent>,
    want: impl Fn(&SessionEvent) -> bool,
) -> SessionEvent {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(15), events.recv())
            .await
            .expect("no such event in time")
            .expect("the task stopped");
        if want(&e) {
            return e;
        }
    }
}

fn share_request(note: &str) -> ShareRequest {
    ShareRequest {
        topic: "email".into(),
        note: Some(note.into()),
        app_version: "0.1.0".into(),
        os_version: "test".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_share_chat_resume_and_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("host.sqlite3");
    let host = start_host(&db, None).await;
    let client = HostClient::new(&format!("http://{}", host.addr)).unwrap();

    let topics = client.topics().await.unwrap();
    assert!(topics.iter().any(|t| t.id == "other"), "{topics:?}");

    let code = host.enrolment_code("Ana Example").await;
    let enrolment = client.enrol(&code, "Ana's laptop").await.unwrap();
    assert_eq!(enrolment.employee_name, "Ana Example");
    match client.enrol(&code, "again").await {
        Err(ClientError::Api(e)) => assert_eq!(e.code, ErrorCode::EnrolmentCodeUsed),
        other => panic!("a used code must be refused: {other:?}"),
    }
    match client.share("not-a-credential", &share_request("x")).await {
        Err(ClientError::Api(e)) => assert_eq!(e.code, ErrorCode::Unauthenticated),
        other => panic!("a wrong credential must be refused: {other:?}"),
    }

    let pointer = client
        .share(
            &enrolment.credential,
            &share_request("Outlook asks for my password"),
        )
        .await
        .unwrap();
    assert!(pointer.ws_url.starts_with("ws://"), "{}", pointer.ws_url);
    let (handle, mut events) =
        SessionConnection::spawn(pointer.ws_url.clone(), pointer.participant_token.clone());
    let first = snapshot_where(&mut events, |s| s.status == SessionStatus::Queued).await;
    assert_eq!(first.session_id, pointer.session_id);
    assert_eq!(first.note.as_deref(), Some("Outlook asks for my password"));

    handle.send_chat("anyone there?").unwrap();
    let echoed = snapshot_where(&mut events, |s| !s.chat.is_empty()).await;
    assert_eq!(echoed.chat[0].from, echoed.you);
    assert_eq!(echoed.chat[0].text, "anyone there?");

    // The host restarts on the same port and database: the client resumes by itself.
    let addr = host.addr;
    host.stop().await;
    event_where(&mut events, |e| {
        *e == SessionEvent::Connection(ConnectionState::Reconnecting)
    })
    .await;
    let host = start_host(&db, Some(addr)).await;
    event_where(&mut events, |e| {
        *e == SessionEvent::Connection(ConnectionState::Connected)
    })
    .await;
    handle.send_chat("still here").unwrap();
    let after = snapshot_where(&mut events, |s| s.chat.len() >= 2).await;
    let texts: Vec<_> = after.chat.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        ["anyone there?", "still here"],
        "nothing lost or repeated"
    );

    // Cancelling while waiting ends the session; the task reports it and stops.
    handle.end_session().unwrap();
    let ended = event_where(&mut events, |e| matches!(e, SessionEvent::Ended(_))).await;
    assert_eq!(ended, SessionEvent::Ended(EndReason::Cancelled));
    while let Some(e) = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("the task stops after ended")
    {
        assert!(
            matches!(e, SessionEvent::Connection(ConnectionState::Offline)),
            "{e:?}"
        );
    }
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let host = start_host(&dir.path().join("host.sqlite3"), None).await;
    let (_handle, mut events) =
        SessionConnection::spawn(format!("ws://{}/api/v1/ws", host.addr), "nobody's token");
    match event_where(&mut events, |e| matches!(e, SessionEvent::Fatal(_))).await {
        SessionEvent::Fatal(e) => assert_eq!(e.code, ErrorCode::Unauthenticated),
        _ => unreachable!(),
    }
    host.stop().await;
}
