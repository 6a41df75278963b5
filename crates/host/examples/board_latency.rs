//! Board operation latency with four participants drawing at 60 Hz: each moves its pointer 60
//! times a second and finishes a pen stroke twice a second; every other participant's socket
//! reads them back. Prints p50, p99 and max of client → host → other clients, for pointer moves
//! (passed on, not stored) and for strokes (session events: stored before they are sent).
//!
//!   cargo run --release -p instant-share-host --example board_latency -- [seconds]
//!
//! One process: a real host (the same code as `instant-share-host`, SQLite in a temporary
//! folder) on 127.0.0.1 and four WebSocket clients (requester, expert, two guests who draw).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use instant_share_protocol::*;
use support::{TestHost, Timers, Ws};
use tokio_tungstenite::tungstenite::Message;

/// When each (sender, number) left its sender.
type Sent = Arc<Mutex<HashMap<(usize, u64), Instant>>>;

#[derive(Default)]
struct Seen {
    pointer_ms: Vec<f64>,
    stroke_ms: Vec<f64>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .map_or(20, |a| a.parse().expect("seconds"));
    let host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["network"]).await;
    let mut console = host.available_console("alice").await;
    let credential = host.enrol("Ana").await;
    let share = host.share(&credential, "network").await;
    let (requester, snap) = Ws::join(host.addr, &share.participant_token).await;
    let requester_id = snap.you;
    let expert_token = console.accept_next(&share.session_id).await;
    let (expert, _) = Ws::join(host.addr, &expert_token).await;
    let mut sockets = vec![requester, expert];
    let mut ids = vec![requester_id.clone(), "p2".to_owned()];
    for name in ["Guest One", "Guest Two"] {
        let r = host
            .post(
                &format!("/api/v1/sessions/{}/guests", share.session_id),
                &GuestInviteRequest {
                    display_name: name.into(),
                    may_draw: true,
                },
                Some(&share.participant_token),
            )
            .await;
        assert_eq!(r.status(), 201, "invite");
        let invite: GuestInvite = r.json().await.unwrap();
        let token = invite.link.split_once("#token=").unwrap().1.to_owned();
        let (ws, snap) = Ws::join(host.addr, &token).await;
        ids.push(snap.you);
        sockets.push(ws);
    }
    let index: Arc<HashMap<String, usize>> = Arc::new(
        ids.iter()
            .cloned()
            .enumerate()
            .map(|(i, id)| (id, i))
            .collect(),
    );
    let sent_pointers: Sent = Arc::default();
    let sent_strokes: Sent = Arc::default();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for (me, ws) in sockets.into_iter().enumerate() {
        let (mut tx, mut rx) = ws.into_inner().split();
        let (index, seen) = (index.clone(), seen.clone());
        let (sent_p, sent_s) = (sent_pointers.clone(), sent_strokes.clone());
        readers.push(tokio::spawn(async move {
            while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(until.into(), rx.next()).await {
                let Message::Text(text) = msg else { continue };
                let frame: ServerFrame = serde_json::from_str(&text).unwrap();
                let now = Instant::now();
                match frame.msg {
                    ServerMessage::Pointer {
                        from,
                        pointer: Some(p),
                    } => {
                        let n = u64::from(p.at[1]) * 10_001 + u64::from(p.at[0]);
                        let key = (index[&from], n);
                        if let Some(at) = sent_p.lock().unwrap().get(&key) {
                            let ms = now.duration_since(*at).as_secs_f64() * 1000.0;
                            seen.lock().unwrap().pointer_ms.push(ms);
                        }
                    }
                    ServerMessage::Board {
                        by,
                        op_id: Some(op_id),
                        ..
                    } if by != index.iter().find(|(_, &i)| i == me).unwrap().0.as_str() => {
                        let n: u64 = op_id.rsplit('-').next().unwrap().parse().unwrap();
                        if let Some(at) = sent_s.lock().unwrap().get(&(index[&by], n)) {
                            let ms = now.duration_since(*at).as_secs_f64() * 1000.0;
                            seen.lock().unwrap().stroke_ms.push(ms);
                        }
                    }
                    ServerMessage::BoardRejected { error, .. } | ServerMessage::Error { error } => {
                        panic!("participant {me}: {error}")
                    }
                    _ => {}
                }
            }
        }));
        let (sent_p, sent_s) = (sent_pointers.clone(), sent_strokes.clone());
        let screen = BoardTarget::Screen {
            participant_id: requester_id.clone(),
        };
        writers.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(16_667));
            let mut stroke = Vec::new();
            let mut n = 0u64;
            while Instant::now() < until {
                tick.tick().await;
                n += 1;
                let at = [(n % 10_001) as u16, (n / 10_001) as u16];
                stroke.push([(n * 37 % 10_000) as u16, (me as u16 + 1) * 2000]);
                let msg = ClientMessage::Pointer {
                    pointer: Some(PointerAt {
                        target: screen.clone(),
                        at,
                    }),
                };
                sent_p.lock().unwrap().insert((me, n), Instant::now());
                tx.send(Message::Text(serde_json::to_string(&msg).unwrap().into()))
                    .await
                    .unwrap();
                if stroke.len() == 30 {
                    let msg = ClientMessage::Board {
                        op_id: format!("s{me}-{n}"),
                        op: BoardOp::Annotate {
                            annotation: NewAnnotation {
                                id: format!("s{me}-{n}"),
                                target: screen.clone(),
                                shape: Shape::Pen {
                                    points: std::mem::take(&mut stroke),
                                },
                                color: "#2563eb".into(),
                                width: 3,
                            },
                        },
                    };
                    sent_s.lock().unwrap().insert((me, n), Instant::now());
                    tx.send(Message::Text(serde_json::to_string(&msg).unwrap().into()))
                        .await
                        .unwrap();
                }
            }
            n
        }));
    }
    let mut pointers_sent = 0u64;
    for w in writers {
        pointers_sent += w.await.expect("a writer");
    }
    for r in readers {
        r.await.expect("a reader");
    }
    let seen = seen.lock().unwrap();
    let strokes_sent = sent_strokes.lock().unwrap().len() as u64;
    println!("{secs} s, 4 participants, each: pointer 60 Hz, a 30-point stroke every 0.5 s");
    println!("| what | sent | received by the 3 others | p50 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (what, sent, ms) in [
        ("pointer move (passed on)", pointers_sent, &seen.pointer_ms),
        (
            "pen stroke (session event, stored)",
            strokes_sent,
            &seen.stroke_ms,
        ),
    ] {
        let mut v = ms.clone();
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
        println!(
            "| {what} | {sent} | {} ({:.1} %) | {:.2} | {:.2} | {:.2} |",
            v.len(),
            100.0 * v.len() as f64 / (3 * sent).max(1) as f64,
            at(0.5),
            at(0.99),
            v.last().copied().unwrap_or_default()
        );
    }
}
