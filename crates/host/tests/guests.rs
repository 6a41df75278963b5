//! Guests by link: the requester or the expert invites one more person, who joins with the
//! link's token, looks and points (or also draws, if invited so); at most four people; guests
//! cannot invite; nothing before an expert has joined.

mod support;

use instant_share_protocol::*;
use support::*;

async fn invite(
    host: &TestHost,
    session: &str,
    token: &str,
    name: &str,
    may_draw: bool,
) -> reqwest::Response {
    host.post(
        &format!("/api/v1/sessions/{session}/guests"),
        &GuestInviteRequest {
            display_name: name.into(),
            may_draw,
        },
        Some(token),
    )
    .await
}

async fn error_code(r: reqwest::Response) -> (u16, ErrorCode) {
    let status = r.status().as_u16();
    (status, r.json::<ApiError>().await.unwrap().code)
}

/// The token in a guest link's fragment.
fn token_of(invite: &GuestInvite) -> String {
    invite.link.split_once("#token=").unwrap().1.to_owned()
}

fn draw(id: &str, on: &str) -> ClientMessage {
    ClientMessage::Board {
        op_id: id.into(),
        op: BoardOp::Annotate {
            annotation: NewAnnotation {
                id: id.into(),
                target: BoardTarget::Screen {
                    participant_id: on.into(),
                },
                shape: Shape::Rect {
                    from: [100, 100],
                    to: [900, 900],
                },
                color: "#16a34a".into(),
                width: 3,
            },
        },
    }
}

#[tokio::test]
async fn guests_join_by_link_and_may_look_or_draw() {
    let host = TestHost::start(Timers::default()).await;
    host.add_expert("alice", &["network"]).await;
    let mut console = host.available_console("alice").await;
    let credential = host.enrol("Ana").await;
    let share = host.share(&credential, "network").await;
    let (mut requester, snap) = Ws::join(host.addr, &share.participant_token).await;
    let requester_id = snap.you;

    // Not before an expert has joined.
    let r = invite(
        &host,
        &share.session_id,
        &share.participant_token,
        "Sam",
        false,
    )
    .await;
    assert_eq!(error_code(r).await, (409, ErrorCode::Conflict));

    let expert_token = console.accept_next(&share.session_id).await;
    let (_expert, _) = Ws::join(host.addr, &expert_token).await;

    // The requester invites someone who looks.
    let r = invite(
        &host,
        &share.session_id,
        &share.participant_token,
        "Sam",
        false,
    )
    .await;
    assert_eq!(r.status(), 201);
    let looker: GuestInvite = r.json().await.unwrap();
    assert!(looker
        .link
        .starts_with(&format!("{}/s/{}#token=", host.base, share.session_id)));
    let (mut sam, snap) = Ws::join(host.addr, &token_of(&looker)).await;
    let me = snap.participants.iter().find(|p| p.id == snap.you).unwrap();
    assert_eq!(
        (me.role, me.may_draw, me.display_name.as_str()),
        (Role::Guest, false, "Sam")
    );
    let joined = requester
        .until("the guest joined", |m| matches!(m, ServerMessage::ParticipantJoined { participant } if participant.role == Role::Guest))
        .await;
    assert!(
        matches!(joined, ServerMessage::ParticipantJoined { participant } if participant.id == looker.participant_id)
    );
    sam.send(&draw("s1", &requester_id)).await;
    let got = sam
        .until("refused", |m| {
            matches!(m, ServerMessage::BoardRejected { .. })
        })
        .await;
    assert!(
        matches!(got, ServerMessage::BoardRejected { error, .. } if error.code == ErrorCode::Forbidden)
    );
    // A guest cannot invite.
    let r = invite(&host, &share.session_id, &token_of(&looker), "Eve", true).await;
    assert_eq!(error_code(r).await, (403, ErrorCode::Forbidden));

    // The expert invites someone who draws.
    let r = invite(&host, &share.session_id, &expert_token, "Kim", true).await;
    assert_eq!(r.status(), 201);
    let drawer: GuestInvite = r.json().await.unwrap();
    let (mut kim, _) = Ws::join(host.addr, &token_of(&drawer)).await;
    kim.send(&draw("k1", &requester_id)).await;
    let got = sam
        .until("kim's drawing", |m| {
            matches!(m, ServerMessage::Board { .. })
        })
        .await;
    assert!(matches!(got, ServerMessage::Board { by, .. } if by == drawer.participant_id));

    // Four people: nobody more.
    let r = invite(&host, &share.session_id, &expert_token, "Lou", true).await;
    assert_eq!(error_code(r).await, (409, ErrorCode::Conflict));

    // Bad requests.
    let r = invite(&host, &share.session_id, "not-a-token", "Lou", true).await;
    assert_eq!(error_code(r).await, (401, ErrorCode::Unauthenticated));
    let r = invite(&host, "another-session", &expert_token, "Lou", true).await;
    assert_eq!(error_code(r).await, (401, ErrorCode::Unauthenticated));
    let r = invite(&host, &share.session_id, &expert_token, "  ", true).await;
    assert_eq!(error_code(r).await, (400, ErrorCode::BadRequest));

    // Removing a guest: not by a guest, not the expert, not twice.
    let r = remove(
        &host,
        &share.session_id,
        &token_of(&drawer),
        &looker.participant_id,
    )
    .await;
    assert_eq!(error_code(r).await, (403, ErrorCode::Forbidden));
    let expert_id = snap_of(&host, &expert_token).await.you;
    let r = remove(
        &host,
        &share.session_id,
        &share.participant_token,
        &expert_id,
    )
    .await;
    assert_eq!(error_code(r).await, (404, ErrorCode::NotFound));
    // The requester removes Sam: everyone is told, Sam's socket closes and his link stops
    // working; Kim's drawing stays; the place is free for someone else.
    let r = remove(
        &host,
        &share.session_id,
        &share.participant_token,
        &looker.participant_id,
    )
    .await;
    assert_eq!(r.status(), 204);
    let removed = requester
        .until("removed", |m| matches!(m, ServerMessage::Removed { .. }))
        .await;
    assert!(
        matches!(removed, ServerMessage::Removed { participant_id, by }
        if participant_id == looker.participant_id && by == requester_id)
    );
    while sam.next().await.is_some() {}
    let mut again = Ws::connect(host.addr).await;
    again.hello(&token_of(&looker), None).await;
    again
        .until("refused", is_error(ErrorCode::Unauthenticated))
        .await;
    let r = remove(
        &host,
        &share.session_id,
        &share.participant_token,
        &looker.participant_id,
    )
    .await;
    assert_eq!(error_code(r).await, (404, ErrorCode::NotFound));
    let snapshot = snap_of(&host, &share.participant_token).await;
    let gone = snapshot
        .participants
        .iter()
        .find(|p| p.id == looker.participant_id)
        .unwrap();
    assert!(gone.left && !gone.online);
    assert_eq!(snapshot.board.annotations.len(), 1, "Kim's drawing stays");
    let r = invite(&host, &share.session_id, &expert_token, "Lou", true).await;
    assert_eq!(r.status(), 201, "Sam's place is free");
    drop(kim);
}

async fn remove(host: &TestHost, session: &str, token: &str, guest: &str) -> reqwest::Response {
    host.http()
        .delete(format!(
            "{}/api/v1/sessions/{session}/guests/{guest}",
            host.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The session as the holder of `token` sees it on joining.
async fn snap_of(host: &TestHost, token: &str) -> SessionSnapshot {
    Ws::join(host.addr, token).await.1
}

#[tokio::test]
async fn the_expert_hands_the_session_over_with_the_board_and_the_chat() {
    let mut host = TestHost::start(Timers::default()).await;
    let Live {
        session_id,
        mut requester,
        mut expert,
        requester_id,
        expert_id,
        expert_token,
        ..
    } = live(&host).await;
    host.add_expert("bob", &["network"]).await;
    let mut bob_console = host.available_console("bob").await;
    requester
        .send(&ClientMessage::Chat {
            text: "the printer again".into(),
            client_msg_id: "c1".into(),
        })
        .await;
    expert.send(&draw("a1", &requester_id)).await;
    requester
        .until("the drawing", |m| matches!(m, ServerMessage::Board { .. }))
        .await;

    // Only the expert in charge hands over, and only to an expert there is.
    requester
        .send(&ClientMessage::HandOver {
            to_username: "bob".into(),
        })
        .await;
    requester
        .until("forbidden", is_error(ErrorCode::Forbidden))
        .await;
    expert
        .send(&ClientMessage::HandOver {
            to_username: "nobody".into(),
        })
        .await;
    expert
        .until("not found", is_error(ErrorCode::NotFound))
        .await;

    expert
        .send(&ClientMessage::HandOver {
            to_username: "bob".into(),
        })
        .await;
    let bob_token = bob_console.joined().await;
    let handed = requester
        .until("the hand-over", |m| {
            matches!(m, ServerMessage::HandedOver { .. })
        })
        .await;
    let ServerMessage::HandedOver { from, to: bob_id } = handed else {
        unreachable!()
    };
    assert_eq!(from, expert_id);
    // The first expert's socket closes and their token stops working.
    while expert.next().await.is_some() {}
    let mut again = Ws::connect(host.addr).await;
    again.hello(&expert_token, None).await;
    again
        .until("refused", is_error(ErrorCode::Unauthenticated))
        .await;

    // Bob has the board and the chat; the first expert is shown as gone.
    let (_bob, snapshot) = Ws::join(host.addr, &bob_token).await;
    assert_eq!(snapshot.you, bob_id);
    assert_eq!(snapshot.chat.len(), 1);
    assert_eq!(snapshot.board.annotations.len(), 1);
    let first = snapshot
        .participants
        .iter()
        .find(|p| p.id == expert_id)
        .unwrap();
    assert!(first.left && !first.online);

    // A restarted host still has Bob in charge and the first expert out.
    host.restart(Timers::default()).await;
    let (_bob, snapshot) = Ws::join(host.addr, &bob_token).await;
    assert_eq!(snapshot.status, SessionStatus::Active);
    assert!(snapshot
        .participants
        .iter()
        .any(|p| p.id == expert_id && p.left));
    let mut again = Ws::connect(host.addr).await;
    again.hello(&expert_token, None).await;
    again
        .until("still refused", is_error(ErrorCode::Unauthenticated))
        .await;
    let _ = session_id;
}

async fn bring_in(
    host: &TestHost,
    session: &str,
    token: &str,
    username: &str,
) -> reqwest::Response {
    host.post(
        &format!("/api/v1/sessions/{session}/experts"),
        &BringInRequest {
            username: username.into(),
        },
        Some(token),
    )
    .await
}

#[tokio::test]
async fn a_colleague_is_brought_in_beside_the_expert_and_can_be_handed_the_session() {
    let mut host = TestHost::start(Timers::default()).await;
    let Live {
        session_id,
        mut requester,
        mut expert,
        requester_id,
        requester_token,
        expert_id,
        expert_token,
    } = live(&host).await;
    host.add_expert("bob", &["network"]).await;
    host.add_expert("cara", &["network"]).await;
    let mut bob_console = host.available_console("bob").await;
    // Cara's console is open, but she is away.
    let _cara_console = host.console("cara").await;
    expert.send(&draw("a1", &requester_id)).await;
    requester
        .until("the drawing", |m| matches!(m, ServerMessage::Board { .. }))
        .await;

    // Only the expert in charge brings someone in, someone there is, and who is free.
    let r = bring_in(&host, &session_id, &requester_token, "bob").await;
    assert_eq!(error_code(r).await, (403, ErrorCode::Forbidden));
    let r = bring_in(&host, &session_id, &expert_token, "nobody").await;
    assert_eq!(error_code(r).await, (404, ErrorCode::NotFound));
    let r = bring_in(&host, &session_id, &expert_token, "cara").await;
    let status = r.status().as_u16();
    let error: ApiError = r.json().await.unwrap();
    assert_eq!((status, error.code), (409, ErrorCode::Conflict));
    assert!(error.message.contains("not free"), "{}", error.message);

    let r = bring_in(&host, &session_id, &expert_token, "bob").await;
    assert_eq!(r.status(), 204);
    let bob_token = bob_console.joined().await;
    // Bob is in beside the first expert, with the board; he draws too.
    let (mut bob, snapshot) = Ws::join(host.addr, &bob_token).await;
    let bob_id = snapshot.you.clone();
    let experts: Vec<_> = snapshot
        .participants
        .iter()
        .filter(|p| p.role == Role::Expert && !p.left)
        .map(|p| p.id.clone())
        .collect();
    assert_eq!(experts, [expert_id.clone(), bob_id.clone()]);
    let in_charge = |s: &SessionSnapshot| -> Vec<String> {
        s.participants
            .iter()
            .filter(|p| p.in_charge)
            .map(|p| p.id.clone())
            .collect()
    };
    assert_eq!(in_charge(&snapshot), std::slice::from_ref(&expert_id));
    assert_eq!(snapshot.board.annotations.len(), 1);
    bob.send(&draw("b1", &requester_id)).await;
    requester
        .until(
            "bob's drawing",
            |m| matches!(m, ServerMessage::Board { by, .. } if *by == bob_id),
        )
        .await;
    // Bob is not in charge: he cannot bring anyone in, and twice is refused.
    let r = bring_in(&host, &session_id, &bob_token, "cara").await;
    assert_eq!(error_code(r).await, (403, ErrorCode::Forbidden));
    let r = bring_in(&host, &session_id, &expert_token, "bob").await;
    assert_eq!(error_code(r).await, (409, ErrorCode::Conflict));

    // A restarted host keeps Bob in the session (busy there) with his token.
    drop(bob);
    host.restart(Timers::default()).await;
    let mut bob_console = host.console("bob").await;
    let welcome = bob_console
        .until("bob's console", |m| {
            matches!(m, ServerMessage::ConsoleWelcome { .. })
        })
        .await;
    let ServerMessage::ConsoleWelcome { active_session, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(active_session.as_deref(), Some(session_id.as_str()));
    let (_requester, _) = Ws::join(host.addr, &requester_token).await;
    let (mut expert, _) = Ws::join(host.addr, &expert_token).await;

    // The first expert hands over to Bob, who is in already: no one new joins.
    expert
        .send(&ClientMessage::HandOver {
            to_username: "bob".into(),
        })
        .await;
    let handed = expert
        .until("the hand-over", |m| {
            matches!(m, ServerMessage::HandedOver { .. })
        })
        .await;
    let ServerMessage::HandedOver { from, to } = handed else {
        unreachable!()
    };
    assert_eq!((from, to), (expert_id.clone(), bob_id.clone()));
    let (mut bob, snapshot) = Ws::join(host.addr, &bob_token).await;
    assert_eq!(snapshot.participants.len(), 3, "nobody new");
    assert_eq!(in_charge(&snapshot), std::slice::from_ref(&bob_id));
    assert!(snapshot
        .participants
        .iter()
        .any(|p| p.id == expert_id && p.left));

    // Bob ends the session; his console is told, and he is free for the next request.
    bob.send(&ClientMessage::EndSession).await;
    bob_console
        .until("closed", |m| {
            matches!(m, ServerMessage::SessionClosed { .. })
        })
        .await;
}

#[tokio::test]
async fn a_guest_or_an_expert_brought_in_leaves_and_the_session_goes_on() {
    let host = TestHost::start(Timers::default()).await;
    let Live {
        session_id,
        mut requester,
        mut expert,
        expert_token,
        ..
    } = live(&host).await;
    host.add_expert("bob", &["network"]).await;
    let mut bob_console = host.available_console("bob").await;

    // Oneself, or someone in already, is not brought in.
    let r = bring_in(&host, &session_id, &expert_token, "alice").await;
    assert_eq!(error_code(r).await, (409, ErrorCode::Conflict));
    let r = bring_in(&host, &session_id, &expert_token, "bob").await;
    assert_eq!(r.status(), 204);
    let bob_token = bob_console.joined().await;
    let r = bring_in(&host, &session_id, &expert_token, "bob").await;
    let error: ApiError = r.json().await.unwrap();
    assert!(
        error.message.contains("in the session already"),
        "{}",
        error.message
    );
    let (mut bob, bob_snap) = Ws::join(host.addr, &bob_token).await;
    let r = invite(&host, &session_id, &expert_token, "Sam", false).await;
    let sam_invite: GuestInvite = r.json().await.unwrap();
    let (mut sam, _) = Ws::join(host.addr, &token_of(&sam_invite)).await;

    // The guest leaves: the others are told, the session goes on, the link stops working.
    sam.send(&ClientMessage::EndSession).await;
    let left = requester
        .until("sam left", |m| matches!(m, ServerMessage::Removed { .. }))
        .await;
    assert!(matches!(left, ServerMessage::Removed { participant_id, by }
        if participant_id == sam_invite.participant_id && by == participant_id));
    while sam.next().await.is_some() {}
    let mut again = Ws::connect(host.addr).await;
    again.hello(&token_of(&sam_invite), None).await;
    again
        .until("refused", is_error(ErrorCode::Unauthenticated))
        .await;

    // Bob leaves: his console is free again (and may be brought in again); the session goes on.
    bob.send(&ClientMessage::EndSession).await;
    bob_console
        .until("bob is free", |m| {
            matches!(
                m,
                ServerMessage::ConsoleWelcome {
                    active_session: None,
                    ..
                }
            )
        })
        .await;
    let left = requester
        .until("bob left", |m| matches!(m, ServerMessage::Removed { .. }))
        .await;
    assert!(
        matches!(left, ServerMessage::Removed { participant_id, .. } if participant_id == bob_snap.you)
    );
    expert
        .send(&ClientMessage::Chat {
            text: "still here".into(),
            client_msg_id: "c1".into(),
        })
        .await;
    requester
        .until("the chat goes on", |m| {
            matches!(m, ServerMessage::Chat { .. })
        })
        .await;
    let r = bring_in(&host, &session_id, &expert_token, "bob").await;
    assert_eq!(r.status(), 204, "Bob is free to be brought in again");

    // Once the session is over, nobody is brought in.
    expert.send(&ClientMessage::EndSession).await;
    requester
        .until("ended", |m| matches!(m, ServerMessage::Ended { .. }))
        .await;
    let r = bring_in(&host, &session_id, &expert_token, "bob").await;
    assert_eq!(error_code(r).await.0, 410);
}
