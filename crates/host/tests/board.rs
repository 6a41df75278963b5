//! The co-browse board through the host: operations become session events that reach every
//! participant in order, once per `op_id`; bad ones are refused with a typed reason to the
//! sender only; pointers pass to the others without being stored; a reconnecting participant
//! gets the board events it missed, and a restarted host keeps the board.

mod support;

use instant_share_protocol::*;
use support::*;

fn arrow(id: &str, on: &str, to: BoardPoint) -> BoardOp {
    BoardOp::Annotate {
        annotation: NewAnnotation {
            id: id.into(),
            target: BoardTarget::Screen {
                participant_id: on.into(),
            },
            shape: Shape::Arrow {
                from: [1000, 1000],
                to,
            },
            color: "#e11d48".into(),
            width: 4,
        },
    }
}

fn board(op_id: &str, op: BoardOp) -> ClientMessage {
    ClientMessage::Board {
        op_id: op_id.into(),
        op,
    }
}

fn is_board(m: &ServerMessage) -> bool {
    matches!(m, ServerMessage::Board { .. })
}

/// Waits for the pong of a ping: everything the host sent before it has arrived.
async fn settle(ws: &mut Ws, nonce: u64) -> Vec<ServerMessage> {
    ws.send(&ClientMessage::Ping { nonce }).await;
    let mut before = Vec::new();
    loop {
        match ws.next().await.expect("socket open").msg {
            ServerMessage::Pong { nonce: n } if n == nonce => return before,
            other => before.push(other),
        }
    }
}

#[tokio::test]
async fn board_operations_reach_everyone_once_and_bad_ones_are_refused_with_their_reason() {
    let host = TestHost::start(Timers::default()).await;
    let (mut requester, mut expert, requester_id, _) = live_session(&host).await;

    requester
        .send(&board("r1", arrow("a1", &requester_id, [5000, 5000])))
        .await;
    for ws in [&mut requester, &mut expert] {
        let got = ws.until("the arrow", is_board).await;
        let ServerMessage::Board { by, op_id, event } = got else {
            unreachable!()
        };
        assert_eq!(
            (by.as_str(), op_id.as_deref()),
            (requester_id.as_str(), Some("r1"))
        );
        let BoardEvent::Annotated { annotation } = event else {
            panic!("{event:?}")
        };
        assert_eq!(
            (annotation.id.as_str(), annotation.by.as_str()),
            ("a1", requester_id.as_str())
        );
    }
    // A resend of the same operation (say, after a reconnect) is applied once.
    requester
        .send(&board("r1", arrow("a1", &requester_id, [5000, 5000])))
        .await;
    let extra = settle(&mut requester, 1).await;
    assert!(!extra.iter().any(is_board), "applied once: {extra:?}");

    // Refused, to the sender only, naming the operation.
    let refusals = [
        (
            "r2",
            arrow("a2", &requester_id, [20_000, 5]),
            ErrorCode::BadRequest,
        ),
        ("r3", arrow("a3", "nobody", [1, 1]), ErrorCode::NotFound),
        (
            "r4",
            arrow("a1", &requester_id, [1, 1]),
            ErrorCode::Conflict,
        ),
        ("r5", BoardOp::Redo, ErrorCode::Conflict),
    ];
    for (op_id, op, code) in refusals {
        requester.send(&board(op_id, op)).await;
        let got = requester
            .until("the refusal", |m| {
                matches!(m, ServerMessage::BoardRejected { .. })
            })
            .await;
        let ServerMessage::BoardRejected { op_id: id, error } = got else {
            unreachable!()
        };
        assert_eq!(
            (id.as_str(), error.code),
            (op_id, code),
            "{}",
            error.message
        );
    }
    let seen_by_expert = settle(&mut expert, 2).await;
    assert!(
        !seen_by_expert
            .iter()
            .any(|m| is_board(m) || matches!(m, ServerMessage::BoardRejected { .. })),
        "the expert sees none of the refused: {seen_by_expert:?}"
    );

    // The expert may erase the requester's arrow; the requester's undo of its own step follows.
    expert
        .send(&board(
            "e1",
            BoardOp::Erase {
                annotation_id: "a1".into(),
            },
        ))
        .await;
    let got = requester.until("the erase", is_board).await;
    assert!(matches!(
        got,
        ServerMessage::Board {
            event: BoardEvent::Hidden { .. },
            ..
        }
    ));

    // Someone joining now gets the board in the snapshot.
    let (_again, snapshot) = Ws::join(host.addr, &expert_token_again(&host).await).await;
    assert_eq!(snapshot.board.annotations.len(), 1);
    assert!(snapshot.board.annotations[0].hidden);
    assert_eq!(snapshot.board.history.len(), 2, "both can undo");
}

/// The expert's own token again, from a console that reloads into its session.
async fn expert_token_again(host: &TestHost) -> String {
    let mut console = host.console("alice").await;
    match console
        .until("console welcome", |m| {
            matches!(m, ServerMessage::ConsoleWelcome { .. })
        })
        .await
    {
        ServerMessage::ConsoleWelcome { .. } => {}
        _ => unreachable!(),
    }
    let got = console
        .until("joined", |m| matches!(m, ServerMessage::Joined { .. }))
        .await;
    let ServerMessage::Joined {
        participant_token, ..
    } = got
    else {
        unreachable!()
    };
    participant_token
}

#[tokio::test]
async fn pointers_pass_to_the_others_and_are_not_stored() {
    let host = TestHost::start(Timers::default()).await;
    let (mut requester, mut expert, requester_id, _) = live_session(&host).await;
    let at = PointerAt {
        target: BoardTarget::Screen {
            participant_id: requester_id.clone(),
        },
        at: [2500, 7500],
    };
    requester
        .send(&ClientMessage::Pointer {
            pointer: Some(at.clone()),
        })
        .await;
    let frame = loop {
        let f = expert.next().await.expect("socket open");
        if matches!(f.msg, ServerMessage::Pointer { .. }) {
            break f;
        }
    };
    assert_eq!(frame.seq, None, "not a session event");
    assert_eq!(
        frame.msg,
        ServerMessage::Pointer {
            from: requester_id.clone(),
            pointer: Some(at)
        }
    );
    let own = settle(&mut requester, 1).await;
    assert!(!own
        .iter()
        .any(|m| matches!(m, ServerMessage::Pointer { .. })));

    let off = PointerAt {
        target: BoardTarget::Image {
            image_id: "0".repeat(64),
        },
        at: [1, 1],
    };
    requester
        .send(&ClientMessage::Pointer { pointer: Some(off) })
        .await;
    requester
        .until("not found", is_error(ErrorCode::NotFound))
        .await;
}

#[tokio::test]
async fn a_returning_participant_gets_the_board_events_it_missed_and_a_restart_keeps_the_board() {
    let mut host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["network"]).await;
    let mut console = host.available_console("alice").await;
    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "network").await;
    let (mut requester, snap) = Ws::join(host.addr, &pointer.participant_token).await;
    let requester_id = snap.you;
    let expert_token = console.accept_next(&pointer.session_id).await;
    let (mut expert, _) = Ws::join(host.addr, &expert_token).await;
    settle(&mut requester, 1).await;
    let seen = requester.last_seq.unwrap();
    requester.close().await;

    for (i, to) in [[3000, 3000], [6000, 6000]].into_iter().enumerate() {
        expert
            .send(&board(
                &format!("e{i}"),
                arrow(&format!("x{i}"), &requester_id, to),
            ))
            .await;
        expert.until("drawn", is_board).await;
    }

    let mut back = Ws::connect(host.addr).await;
    back.hello(&pointer.participant_token, Some(seen)).await;
    assert!(matches!(
        back.next().await.unwrap().msg,
        ServerMessage::Welcome { resumed: true, .. }
    ));
    back.last_seq = Some(seen);
    let missed: Vec<ServerMessage> = settle(&mut back, 9)
        .await
        .into_iter()
        .filter(is_board)
        .collect();
    assert_eq!(
        missed.len(),
        2,
        "exactly the two arrows it missed: {missed:?}"
    );
    let seen = back.last_seq.unwrap();

    host.restart(Timers::default()).await;
    let mut back = Ws::connect(host.addr).await;
    back.hello(&pointer.participant_token, Some(seen)).await;
    let ServerMessage::Welcome { snapshot, .. } = back.next().await.unwrap().msg else {
        panic!("a welcome")
    };
    let ids: Vec<&str> = snapshot
        .board
        .annotations
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["x0", "x1"], "the board outlives the host process");
    // The expert's resend of an operation from before the restart is still applied once.
    let (mut expert, _) = Ws::join(host.addr, &expert_token).await;
    expert
        .send(&board("e0", arrow("x0", &requester_id, [3000, 3000])))
        .await;
    let after = settle(&mut expert, 3).await;
    assert!(
        !after
            .iter()
            .any(|m| is_board(m) || matches!(m, ServerMessage::BoardRejected { .. })),
        "{after:?}"
    );
}

#[tokio::test]
async fn a_pointer_moving_at_60_hz_is_not_rate_limited() {
    let host = TestHost::start(Timers::default()).await;
    let (mut requester, mut expert, requester_id, _) = live_session(&host).await;
    let moves = 120u16;
    let mut tick = tokio::time::interval(std::time::Duration::from_micros(16_667));
    for i in 0..moves {
        tick.tick().await;
        requester
            .send(&ClientMessage::Pointer {
                pointer: Some(PointerAt {
                    target: BoardTarget::Screen {
                        participant_id: requester_id.clone(),
                    },
                    at: [i * 50, 5000],
                }),
            })
            .await;
    }
    // Chat still has its own budget.
    requester
        .send(&ClientMessage::Chat {
            text: "see my pointer?".into(),
            client_msg_id: "c1".into(),
        })
        .await;
    let back = settle(&mut requester, 1).await;
    assert!(
        !back
            .iter()
            .any(|m| matches!(m, ServerMessage::Error { .. })),
        "{back:?}"
    );
    let mut got = 0;
    loop {
        match expert.next().await.expect("socket open").msg {
            ServerMessage::Pointer { .. } => got += 1,
            ServerMessage::Chat { .. } => break,
            _ => {}
        }
    }
    assert_eq!(got, moves, "every move reached the expert");
}

#[tokio::test]
async fn a_board_operation_over_the_rate_is_refused_as_that_operation() {
    let host = TestHost::start(Timers::default()).await;
    let (mut requester, _expert, requester_id, _) = live_session(&host).await;
    for i in 0..60 {
        requester
            .send(&board(
                &format!("fast{i}"),
                arrow(&format!("f{i}"), &requester_id, [10, 10]),
            ))
            .await;
    }
    // The ping of `settle` needs the budget back too.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let answers = settle(&mut requester, 7).await;
    let limited: Vec<&String> = answers
        .iter()
        .filter_map(|m| match m {
            ServerMessage::BoardRejected { op_id, error }
                if error.code == ErrorCode::RateLimited =>
            {
                Some(op_id)
            }
            _ => None,
        })
        .collect();
    assert!(!limited.is_empty(), "some were over the rate: {answers:?}");
    assert!(
        !answers
            .iter()
            .any(|m| matches!(m, ServerMessage::Error { .. })),
        "each refusal names its operation"
    );
}
