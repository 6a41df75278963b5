//! WebRTC signalling through the host: offers, answers and candidates reach the one
//! participant they are for; bad or misplaced signals get typed errors; media state is a
//! session event; ICE servers come with the welcome.

mod support;

use instant_share_protocol::*;
use support::*;

fn offer(call_id: &str, sdp: &str) -> Signal {
    Signal::Offer {
        call_id: call_id.into(),
        sdp: sdp.into(),
    }
}

#[tokio::test]
async fn signals_reach_only_the_participant_they_are_for() {
    let host = TestHost::start(Timers::default()).await;
    let (mut requester, mut expert, requester_id, expert_id) = live_session(&host).await;

    requester
        .send(&ClientMessage::Signal {
            to: expert_id.clone(),
            signal: offer("c1", "v=0\r\n"),
        })
        .await;
    let got = expert
        .until("offer", |m| matches!(m, ServerMessage::Signal { .. }))
        .await;
    assert_eq!(
        got,
        ServerMessage::Signal {
            from: requester_id.clone(),
            signal: offer("c1", "v=0\r\n")
        }
    );

    let candidate = Signal::Candidate {
        call_id: "c1".into(),
        candidate: "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host".into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
    };
    expert
        .send(&ClientMessage::Signal {
            to: requester_id.clone(),
            signal: candidate.clone(),
        })
        .await;
    let got = requester
        .until("candidate", |m| matches!(m, ServerMessage::Signal { .. }))
        .await;
    assert_eq!(
        got,
        ServerMessage::Signal {
            from: expert_id.clone(),
            signal: candidate
        }
    );

    // Signals are not session events: no sequence number, nothing replayed on resume.
    requester
        .send(&ClientMessage::Signal {
            to: expert_id.clone(),
            signal: Signal::Hangup {
                call_id: "c1".into(),
            },
        })
        .await;
    let frame = expert.next().await.unwrap();
    assert!(matches!(frame.msg, ServerMessage::Signal { .. }));
    assert_eq!(frame.seq, None);
}

#[tokio::test]
async fn bad_signals_get_typed_errors() {
    let host = TestHost::start(Timers::default()).await;
    let (mut requester, expert, requester_id, expert_id) = live_session(&host).await;

    let cases: Vec<(ClientMessage, ErrorCode)> = vec![
        (
            ClientMessage::Signal {
                to: requester_id.clone(),
                signal: offer("c1", "v=0"),
            },
            ErrorCode::BadRequest,
        ),
        (
            ClientMessage::Signal {
                to: "p9".into(),
                signal: offer("c1", "v=0"),
            },
            ErrorCode::NotFound,
        ),
        (
            ClientMessage::Signal {
                to: expert_id.clone(),
                signal: offer("", "v=0"),
            },
            ErrorCode::BadRequest,
        ),
        (
            ClientMessage::Signal {
                to: expert_id.clone(),
                signal: offer("c1", ""),
            },
            ErrorCode::BadRequest,
        ),
        (
            ClientMessage::Signal {
                to: expert_id.clone(),
                signal: Signal::Candidate {
                    call_id: "c1".into(),
                    candidate: "x".repeat(MAX_CANDIDATE_BYTES + 1),
                    sdp_mid: None,
                    sdp_m_line_index: None,
                },
            },
            ErrorCode::BadRequest,
        ),
    ];
    for (message, code) in cases {
        requester.send(&message).await;
        let got = requester
            .until("error", |m| matches!(m, ServerMessage::Error { .. }))
            .await;
        let ServerMessage::Error { error } = got else {
            unreachable!()
        };
        assert_eq!(error.code, code, "{message:?}: {}", error.message);
    }

    // An SDP over the limit is refused by size (either limit), and the socket stays usable.
    requester
        .send(&ClientMessage::Signal {
            to: expert_id.clone(),
            signal: offer("c1", &"a".repeat(MAX_SDP_BYTES + 1)),
        })
        .await;
    requester
        .until("size error", |m| {
            matches!(m, ServerMessage::Error { error }
                if matches!(error.code, ErrorCode::BadRequest | ErrorCode::MessageTooLarge))
        })
        .await;

    // The expert goes away: a signal for them says so.
    expert.close().await;
    requester
        .until("presence", |m| {
            matches!(m, ServerMessage::Presence { online: false, .. })
        })
        .await;
    requester
        .send(&ClientMessage::Signal {
            to: expert_id.clone(),
            signal: offer("c2", "v=0"),
        })
        .await;
    requester
        .until("offline", is_error(ErrorCode::ParticipantOffline))
        .await;
    requester.send(&ClientMessage::Ping { nonce: 7 }).await;
    requester
        .until("pong", |m| matches!(m, ServerMessage::Pong { nonce: 7 }))
        .await;
}

#[tokio::test]
async fn no_calls_before_an_expert_joined() {
    let host = TestHost::start(Timers::default()).await;
    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "network").await;
    let (mut requester, _) = Ws::join(host.addr, &pointer.participant_token).await;
    requester
        .send(&ClientMessage::Signal {
            to: "p2".into(),
            signal: offer("c1", "v=0"),
        })
        .await;
    requester
        .until("conflict", is_error(ErrorCode::Conflict))
        .await;
}

#[tokio::test]
async fn media_state_is_a_session_event_and_resets_when_someone_leaves() {
    let host = TestHost::start(Timers::default()).await;
    let (mut requester, mut expert, requester_id, _, expert_token) =
        live_session_with_token(&host).await;
    let media = MediaState {
        camera: true,
        microphone: true,
        screen: false,
        screen_paused: false,
    };
    requester.send(&ClientMessage::SetMedia { media }).await;
    let got = expert
        .until("media", |m| matches!(m, ServerMessage::Media { .. }))
        .await;
    assert_eq!(
        got,
        ServerMessage::Media {
            participant_id: requester_id.clone(),
            media
        }
    );
    // The same state again changes nothing and sends nothing; a ping proves the order.
    requester.send(&ClientMessage::SetMedia { media }).await;
    requester.send(&ClientMessage::Ping { nonce: 1 }).await;
    requester
        .until("pong", |m| matches!(m, ServerMessage::Pong { .. }))
        .await;

    // A fresh socket (no last_seq) sees it in the snapshot.
    expert.close().await;
    let (expert, snap) = Ws::join(host.addr, &expert_token).await;
    let ana = snap
        .participants
        .iter()
        .find(|p| p.id == requester_id)
        .unwrap();
    assert_eq!(ana.media, media);

    // Whoever leaves sends nothing any more.
    requester.close().await;
    expert.close().await;
    let (_, snap) = Ws::join(host.addr, &expert_token).await;
    let ana = snap
        .participants
        .iter()
        .find(|p| p.id == requester_id)
        .unwrap();
    assert!(!ana.online);
    assert_eq!(ana.media, MediaState::default());
}

#[tokio::test]
async fn the_welcome_carries_stun_and_turn_credentials() {
    let host = TestHost::start_with(Timers::default(), |args| {
        args.stun_urls = vec!["stun:127.0.0.1:3478".into()];
        args.turn_urls = vec!["turn:127.0.0.1:3478?transport=udp".into()];
        args.turn_secret = Some("north-wind".into());
    })
    .await;
    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "network").await;
    let mut ws = Ws::connect(host.addr).await;
    ws.hello(&pointer.participant_token, None).await;
    let Some(ServerMessage::Welcome { ice_servers, .. }) = ws.next().await.map(|f| f.msg) else {
        panic!("expected a welcome")
    };
    assert_eq!(ice_servers.len(), 2);
    assert_eq!(ice_servers[0].urls, vec!["stun:127.0.0.1:3478".to_owned()]);
    assert_eq!(ice_servers[0].username, None);
    let turn = &ice_servers[1];
    let user = turn.username.as_deref().unwrap();
    let (expiry, who) = user.split_once(':').unwrap();
    assert_eq!(who, "p1");
    assert_eq!(
        expiry.parse::<u64>().unwrap(),
        pointer.token_expires_at / 1000,
        "the TURN credential expires with the participant token"
    );
    let (_, expected) =
        instant_share_host::secrets::turn_credential("north-wind", expiry.parse().unwrap(), "p1");
    assert_eq!(turn.credential.as_deref(), Some(expected.as_str()));
}
