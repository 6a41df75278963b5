//! The session lifecycle over real sockets: create, route, accept, chat, decline, timeouts,
//! cancel, resume, restart.

mod support;

use std::time::Duration;

use instant_share_host::store::Store;
use instant_share_protocol::*;
use support::*;

fn chat(text: &str, id: &str) -> ClientMessage {
    ClientMessage::Chat {
        text: text.into(),
        client_msg_id: id.into(),
    }
}

#[tokio::test]
async fn share_route_accept_chat_end() {
    let host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["network"]).await;
    let mut console = host.console("alice").await;
    assert!(matches!(
        console.next().await.unwrap().msg,
        ServerMessage::ConsoleWelcome {
            available: false,
            ..
        }
    ));
    console
        .send(&ClientMessage::SetAvailability { available: true })
        .await;
    console
        .until("available", |m| {
            matches!(
                m,
                ServerMessage::ConsoleWelcome {
                    available: true,
                    ..
                }
            )
        })
        .await;

    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "network").await;
    assert!(pointer
        .site_url
        .ends_with(&format!("/s/{}", pointer.session_id)));
    assert!(pointer.ws_url.starts_with("ws://"));
    assert!(pointer.participant_token.len() >= 22);

    // The console rings with the request.
    let offer = console
        .until("offer", |m| matches!(m, ServerMessage::Offered { .. }))
        .await;
    let ServerMessage::Offered { offer } = offer else {
        unreachable!()
    };
    assert_eq!(offer.entry.session_id, pointer.session_id);
    assert_eq!(offer.entry.requester_name, "Ana");
    assert_eq!(offer.entry.note.as_deref(), Some("VPN drops"));

    let (mut requester, snap) = Ws::join(host.addr, &pointer.participant_token).await;
    assert_eq!(snap.status, SessionStatus::Offered);
    assert_eq!(snap.you, "p1");

    console
        .send(&ClientMessage::Accept {
            session_id: pointer.session_id.clone(),
        })
        .await;
    let joined = console
        .until("joined", |m| matches!(m, ServerMessage::Joined { .. }))
        .await;
    let ServerMessage::Joined {
        participant_token, ..
    } = joined
    else {
        unreachable!()
    };
    requester
        .until("active", |m| {
            matches!(
                m,
                ServerMessage::Status {
                    status: SessionStatus::Active
                }
            )
        })
        .await;

    let (mut expert, snap) = Ws::join(host.addr, &participant_token).await;
    assert_eq!(snap.status, SessionStatus::Active);
    assert_eq!(snap.participants.len(), 2);
    assert_eq!(snap.participants[1].display_name, "Expert alice");

    requester.send(&chat("hello, my VPN drops", "r1")).await;
    let m = expert
        .until("chat", |m| matches!(m, ServerMessage::Chat { .. }))
        .await;
    assert!(
        matches!(m, ServerMessage::Chat { message } if message.text == "hello, my VPN drops" && message.from_name == "Ana")
    );
    expert.send(&chat("let me look", "e1")).await;
    requester
        .until(
            "reply",
            |m| matches!(m, ServerMessage::Chat { message } if message.text == "let me look"),
        )
        .await;

    expert.send(&ClientMessage::EndSession).await;
    let ended = requester
        .until("ended", |m| matches!(m, ServerMessage::Ended { .. }))
        .await;
    assert_eq!(
        ended,
        ServerMessage::Ended {
            reason: EndReason::EndedByExpert
        }
    );
    assert!(
        requester.next().await.is_none(),
        "the host closes the socket after ended"
    );
    console
        .until("closed", |m| {
            matches!(m, ServerMessage::SessionClosed { .. })
        })
        .await;

    // Every transition is recorded with its time.
    let t = host.store.transitions(&pointer.session_id).await.unwrap();
    let statuses: Vec<SessionStatus> = t.iter().map(|(s, _, _)| *s).collect();
    use SessionStatus::*;
    assert_eq!(statuses, [Requested, Queued, Offered, Active, Ended]);
    assert!(t.windows(2).all(|w| w[0].2 <= w[1].2));
}

#[tokio::test]
async fn decline_offers_the_next_expert() {
    let host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["email"]).await;
    host.add_expert("bob", &["email"]).await;
    let mut alice = host.available_console("alice").await;
    let mut bob = host.available_console("bob").await;

    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "email").await;
    // Alice has been idle longest.
    alice
        .until("offer", |m| matches!(m, ServerMessage::Offered { .. }))
        .await;
    alice
        .send(&ClientMessage::Decline {
            session_id: pointer.session_id.clone(),
        })
        .await;
    let w = alice
        .until("withdrawn", |m| {
            matches!(m, ServerMessage::OfferWithdrawn { .. })
        })
        .await;
    assert!(matches!(
        w,
        ServerMessage::OfferWithdrawn {
            reason: WithdrawReason::Declined,
            ..
        }
    ));
    bob.until("offer to bob", |m| matches!(m, ServerMessage::Offered { offer } if offer.entry.session_id == pointer.session_id)).await;
    // Accepting a withdrawn offer is a typed error; the socket goes on.
    alice
        .send(&ClientMessage::Accept {
            session_id: pointer.session_id.clone(),
        })
        .await;
    alice.until("conflict", is_error(ErrorCode::Conflict)).await;
    bob.send(&ClientMessage::Accept {
        session_id: pointer.session_id.clone(),
    })
    .await;
    bob.until("joined", |m| matches!(m, ServerMessage::Joined { .. }))
        .await;
}

#[tokio::test]
async fn an_unanswered_offer_passes_on_after_the_offer_timeout() {
    let host = TestHost::start(Timers {
        offer: 1,
        queue: 600,
        ..Timers::default()
    })
    .await;
    host.add_expert("alice", &["email"]).await;
    host.add_expert("bob", &["email"]).await;
    let mut alice = host.available_console("alice").await;
    let mut bob = host.available_console("bob").await;

    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "email").await;
    alice
        .until("offer", |m| matches!(m, ServerMessage::Offered { .. }))
        .await;
    let w = alice
        .until("timeout", |m| {
            matches!(m, ServerMessage::OfferWithdrawn { .. })
        })
        .await;
    assert!(matches!(
        w,
        ServerMessage::OfferWithdrawn {
            reason: WithdrawReason::Timeout,
            ..
        }
    ));
    // Alice missed it, so she is set away.
    alice
        .until("away", |m| {
            matches!(
                m,
                ServerMessage::ConsoleWelcome {
                    available: false,
                    ..
                }
            )
        })
        .await;
    bob.until("offer to bob", |m| matches!(m, ServerMessage::Offered { offer } if offer.entry.session_id == pointer.session_id)).await;
}

#[tokio::test]
async fn nobody_available_ends_the_request_at_the_queue_timeout() {
    let host = TestHost::start(Timers {
        offer: 20,
        queue: 1,
        ..Timers::default()
    })
    .await;
    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "printing").await;
    assert_eq!(pointer.queue_position, 1);
    // Nobody on duty: said so, with no made-up estimate.
    assert_eq!(
        (pointer.experts_on_duty, pointer.estimated_wait_secs),
        (0, 0)
    );
    let (mut requester, _) = Ws::join(host.addr, &pointer.participant_token).await;
    let ended = requester
        .until("ended", |m| matches!(m, ServerMessage::Ended { .. }))
        .await;
    assert_eq!(
        ended,
        ServerMessage::Ended {
            reason: EndReason::NoExpertAvailable
        }
    );
}

#[tokio::test]
async fn queue_positions_are_pushed_live_and_cancel_ends_cleanly() {
    let host = TestHost::start(Timers::default()).await;
    let credential = host.enrol("Ana").await;
    let first = host.share(&credential, "email").await;
    let second = host.share(&credential, "email").await;
    assert_eq!((first.queue_position, second.queue_position), (1, 2));
    let (mut s1, _) = Ws::join(host.addr, &first.participant_token).await;
    let (mut s2, snap) = Ws::join(host.addr, &second.participant_token).await;
    assert_eq!(snap.queue_position, 2);
    s1.send(&ClientMessage::EndSession).await;
    let ended = s1
        .until("ended", |m| matches!(m, ServerMessage::Ended { .. }))
        .await;
    assert_eq!(
        ended,
        ServerMessage::Ended {
            reason: EndReason::Cancelled
        }
    );
    let q = s2
        .until("queue", |m| matches!(m, ServerMessage::Queue { .. }))
        .await;
    assert!(matches!(q, ServerMessage::Queue { position: 1, .. }));
    // An ended session refuses further messages with a typed error, not silence.
    let (mut again, snap) = Ws::join(host.addr, &first.participant_token).await;
    assert_eq!(snap.status, SessionStatus::Ended);
    assert!(
        again.next().await.is_none(),
        "an ended session's socket is closed after the welcome"
    );
}

#[tokio::test]
async fn a_reconnecting_client_gets_exactly_what_it_missed() {
    let host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["email"]).await;
    let mut console = host.available_console("alice").await;
    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "email").await;
    let participant_token = console.accept_next(&pointer.session_id).await;
    let (mut requester, _) = Ws::join(host.addr, &pointer.participant_token).await;
    let (mut expert, _) = Ws::join(host.addr, &participant_token).await;
    requester.send(&chat("one", "r1")).await;
    requester
        .until("own echo", |m| matches!(m, ServerMessage::Chat { .. }))
        .await;
    let seen = requester.last_seq.unwrap();
    requester.close().await;

    // While the requester is away: the expert writes twice.
    expert.send(&chat("two", "e1")).await;
    expert.send(&chat("three", "e2")).await;
    expert
        .until(
            "three",
            |m| matches!(m, ServerMessage::Chat { message } if message.text == "three"),
        )
        .await;

    let mut back = Ws::connect(host.addr).await;
    back.hello(&pointer.participant_token, Some(seen)).await;
    let welcome = back.next().await.unwrap().msg;
    assert!(matches!(welcome, ServerMessage::Welcome { resumed: true, seq, .. } if seq == seen));
    back.last_seq = Some(seen);
    let mut texts = vec![];
    while texts.len() < 2 {
        if let ServerMessage::Chat { message } = back.next().await.unwrap().msg {
            texts.push(message.text);
        }
    }
    assert_eq!(
        texts,
        ["two", "three"],
        "missed messages, in order, once each"
    );

    // A resend of a message the host already has (same client id) is stored once.
    back.send(&chat("one", "r1")).await;
    back.send(&ClientMessage::Ping { nonce: 7 }).await;
    loop {
        match back.next().await.unwrap().msg {
            ServerMessage::Pong { nonce: 7 } => break,
            ServerMessage::Chat { message } => panic!("a duplicate was delivered: {message:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_host_restart_keeps_the_session() {
    let mut host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["email"]).await;
    let mut console = host.available_console("alice").await;
    let credential = host.enrol("Ana").await;
    let live = host.share(&credential, "email").await;
    let participant_token = console.accept_next(&live.session_id).await;
    let waiting = host.share(&credential, "email").await;
    let (mut requester, _) = Ws::join(host.addr, &live.participant_token).await;
    requester.send(&chat("before the restart", "r1")).await;
    requester
        .until("echo", |m| matches!(m, ServerMessage::Chat { .. }))
        .await;
    let seen = requester.last_seq.unwrap();

    host.restart(Timers::default()).await;
    assert!(
        requester.next().await.is_none(),
        "the old host closed the socket"
    );

    // The requester resumes on the new process; the expert's token works too.
    let mut back = Ws::connect(host.addr).await;
    back.hello(&live.participant_token, Some(seen)).await;
    let w = back.next().await.unwrap().msg;
    let ServerMessage::Welcome {
        snapshot,
        resumed: true,
        ..
    } = w
    else {
        panic!("{w:?}")
    };
    assert_eq!(snapshot.status, SessionStatus::Active);
    assert_eq!(snapshot.chat.len(), 1);
    assert_eq!(snapshot.chat[0].text, "before the restart");
    back.last_seq = Some(seen);
    let (mut expert, snap) = Ws::join(host.addr, &participant_token).await;
    assert_eq!(snap.chat.len(), 1);
    expert.send(&chat("after the restart", "e1")).await;
    back.until(
        "chat after restart",
        |m| matches!(m, ServerMessage::Chat { message } if message.text == "after the restart"),
    )
    .await;

    // The waiting request kept its place in the queue.
    let (_w, snap) = Ws::join(host.addr, &waiting.participant_token).await;
    assert_eq!(snap.status, SessionStatus::Queued);
    assert_eq!(snap.queue_position, 1);
}

#[tokio::test]
async fn shutdown_is_graceful_with_open_sockets() {
    let mut host = TestHost::start(Timers::default()).await;
    let credential = host.enrol("Ana").await;
    let p = host.share(&credential, "email").await;
    let (mut ws, _) = Ws::join(host.addr, &p.participant_token).await;
    tokio::time::timeout(Duration::from_secs(5), host.stop())
        .await
        .expect("stops with a socket open");
    // Whatever was on its way (its own presence event) comes first, then the close.
    while ws.next().await.is_some() {}
}
