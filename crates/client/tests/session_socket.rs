//! The session task against a scripted host on a loopback socket: resume with `last_seq`,
//! chat resent after a drop with the same id, repeats ignored, stop after `ended`.
//! (Tests against the real host live next to it once `crates/host` serves the socket.)

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use instant_share_client::{SessionConnection, SessionEvent};
use instant_share_protocol::{
    ChatMessage, ClientMessage, ConnectionState, EndReason, Participant, Role, ServerFrame,
    ServerMessage, SessionSnapshot, SessionStatus, PROTOCOL_VERSION,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;

fn snapshot() -> SessionSnapshot {
    SessionSnapshot {
        session_id: "s1".into(),
        topic: "other".into(),
        note: None,
        status: SessionStatus::Queued,
        end_reason: None,
        queue_position: 2,
        estimated_wait_secs: 60,
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

async fn send(ws: &mut Ws, seq: Option<u64>, msg: ServerMessage) {
    let json = serde_json::to_string(&ServerFrame { seq, msg }).unwrap();
    ws.send(Message::Text(json.into())).await.unwrap();
}

/// The next client message that is not a ping.
async fn recv(ws: &mut Ws) -> ClientMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("the client said nothing")
            .expect("the client closed")
            .unwrap();
        if let Message::Text(text) = frame {
            let msg: ClientMessage = serde_json::from_str(text.as_str()).unwrap();
            if !matches!(msg, ClientMessage::Ping { .. }) {
                return msg;
            }
        }
    }
}

async fn accept(listener: &TcpListener) -> Ws {
    let (tcp, _) = listener.accept().await.unwrap();
    tokio_tungstenite::accept_async(tcp).await.unwrap()
}

async fn next_event(events: &mut tokio::sync::mpsc::Receiver<SessionEvent>) -> SessionEvent {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("no event in time")
        .expect("the task stopped")
}

#[tokio::test]
async fn resumes_after_a_drop_and_resends_unechoed_chat() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/api/v1/ws", listener.local_addr().unwrap());
    let (handle, mut events) = SessionConnection::spawn(url, "tok-1");

    // First socket: welcome, one event, then the client chats and the socket drops unechoed.
    let mut ws = accept(&listener).await;
    assert_eq!(
        recv(&mut ws).await,
        ClientMessage::Hello {
            token: "tok-1".into(),
            protocol: PROTOCOL_VERSION,
            last_seq: None
        }
    );
    send(
        &mut ws,
        None,
        ServerMessage::Welcome {
            snapshot: snapshot(),
            seq: 1,
            resumed: false,
            ice_servers: Vec::new(),
        },
    )
    .await;
    send(
        &mut ws,
        Some(2),
        ServerMessage::Queue {
            position: 1,
            estimated_wait_secs: 20,
            experts_on_duty: 1,
        },
    )
    .await;
    assert_eq!(
        next_event(&mut events).await,
        SessionEvent::Connection(ConnectionState::Connecting)
    );
    assert_eq!(
        next_event(&mut events).await,
        SessionEvent::Connection(ConnectionState::Connected)
    );
    assert!(
        matches!(next_event(&mut events).await, SessionEvent::Snapshot(s) if s.queue_position == 2)
    );
    assert_eq!(
        next_event(&mut events).await,
        SessionEvent::Welcomed {
            resumed: false,
            ice_servers: Vec::new()
        },
        "the media engine hears of every welcome"
    );
    assert!(
        matches!(next_event(&mut events).await, SessionEvent::Snapshot(s) if s.queue_position == 1)
    );
    let sent_id = handle.send_chat("is anyone there?").unwrap();
    let ClientMessage::Chat { client_msg_id, .. } = recv(&mut ws).await else {
        panic!("expected the chat");
    };
    assert_eq!(client_msg_id, sent_id);
    drop(ws);
    assert_eq!(
        next_event(&mut events).await,
        SessionEvent::Connection(ConnectionState::Reconnecting)
    );

    // Second socket: the client resumes after seq 2 and resends the chat with the same id.
    let mut ws = accept(&listener).await;
    assert!(matches!(
        recv(&mut ws).await,
        ClientMessage::Hello {
            last_seq: Some(2),
            ..
        }
    ));
    send(
        &mut ws,
        None,
        ServerMessage::Welcome {
            snapshot: {
                let mut s = snapshot();
                s.queue_position = 1;
                s.estimated_wait_secs = 20;
                s
            },
            seq: 2,
            resumed: true,
            ice_servers: Vec::new(),
        },
    )
    .await;
    let ClientMessage::Chat {
        client_msg_id,
        text,
    } = recv(&mut ws).await
    else {
        panic!("expected the resent chat");
    };
    assert_eq!(
        (client_msg_id.as_str(), text.as_str()),
        (sent_id.as_str(), "is anyone there?")
    );
    // A repeat of seq 2 changes nothing; the echo (seq 3) and the end (seq 4) do.
    send(
        &mut ws,
        Some(2),
        ServerMessage::Queue {
            position: 9,
            estimated_wait_secs: 900,
            experts_on_duty: 1,
        },
    )
    .await;
    let echo = ChatMessage {
        from: "me".into(),
        from_name: "Ana".into(),
        text: "is anyone there?".into(),
        client_msg_id: sent_id.clone(),
        at: 7,
    };
    send(&mut ws, Some(3), ServerMessage::Chat { message: echo }).await;
    send(
        &mut ws,
        Some(4),
        ServerMessage::Ended {
            reason: EndReason::NoExpertAvailable,
        },
    )
    .await;

    assert_eq!(
        next_event(&mut events).await,
        SessionEvent::Connection(ConnectionState::Connected)
    );
    let mut rest = Vec::new();
    while let Some(event) = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("the task must stop after ended")
    {
        rest.push(event);
    }
    let snapshots: Vec<&SessionSnapshot> = rest
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Snapshot(s) => Some(&**s),
            _ => None,
        })
        .collect();
    assert!(
        snapshots.iter().all(|s| s.queue_position != 9),
        "the repeated seq 2 was applied: {snapshots:?}"
    );
    let last = snapshots.last().unwrap();
    assert_eq!(last.chat.len(), 1, "the chat is stored once");
    assert_eq!(last.status, SessionStatus::Ended);
    assert_eq!(
        &rest[rest.len() - 2..],
        [
            SessionEvent::Ended(EndReason::NoExpertAvailable),
            SessionEvent::Connection(ConnectionState::Offline)
        ]
    );
}

#[tokio::test]
async fn a_refused_token_is_fatal_and_not_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/api/v1/ws", listener.local_addr().unwrap());
    let (_handle, mut events) = SessionConnection::spawn(url, "expired");
    let mut ws = accept(&listener).await;
    assert!(matches!(recv(&mut ws).await, ClientMessage::Hello { .. }));
    send(
        &mut ws,
        None,
        ServerMessage::Error {
            error: instant_share_protocol::ApiError::new(
                instant_share_protocol::ErrorCode::Unauthenticated,
                "token expired",
            ),
        },
    )
    .await;
    let mut seen = Vec::new();
    while let Some(e) = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
    {
        seen.push(e);
    }
    assert!(matches!(&seen[..], [
        SessionEvent::Connection(ConnectionState::Connecting),
        SessionEvent::Fatal(e),
        SessionEvent::Connection(ConnectionState::Offline),
    ] if e.code == instant_share_protocol::ErrorCode::Unauthenticated));
    // No second attempt.
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), listener.accept())
            .await
            .is_err(),
        "the client reconnected after a fatal error"
    );
}
