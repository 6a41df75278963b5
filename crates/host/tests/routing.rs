//! Routing through the real host: nobody is stranded when the only expert lets a ring pass,
//! experts take requests from the queue, the requester hears the truth about the wait, and a
//! request can wait for a call back.

mod support;

use std::time::Duration;

use instant_share_host::hub::Now;
use instant_share_host::store::Store;
use instant_share_protocol::*;
use support::*;

/// A host whose experts are offered a request again one second after letting it pass.
async fn host() -> TestHost {
    TestHost::start_with(Timers::default(), |a| a.reoffer_pause_secs = Some(1)).await
}

fn offered(session: &str) -> impl FnMut(&ServerMessage) -> bool + '_ {
    move |m| matches!(m, ServerMessage::Offered { offer } if offer.entry.session_id == session)
}

#[tokio::test]
async fn the_only_expert_who_declines_is_asked_again_and_the_requester_sees_it() {
    let host = host().await;
    host.add_expert("solo", &["email"]).await;
    let mut console = host.available_console("solo").await;
    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "email").await;
    let (mut requester, snap) = Ws::join(host.addr, &pointer.participant_token).await;
    assert_eq!(snap.status, SessionStatus::Offered);
    console.until("offer", offered(&pointer.session_id)).await;
    console
        .send(&ClientMessage::Decline {
            session_id: pointer.session_id.clone(),
        })
        .await;
    // Back in the queue, the requester hears where they stand again: first in line, one
    // expert on duty (busy being asked nothing, but paused for this request).
    requester
        .until("back in the queue", is_status(SessionStatus::Queued))
        .await;
    let q = requester
        .until("queue", |m| matches!(m, ServerMessage::Queue { .. }))
        .await;
    assert!(
        matches!(
            q,
            ServerMessage::Queue {
                position: 1,
                experts_on_duty: 1,
                ..
            }
        ),
        "{q:?}"
    );
    // After the pause, it rings again on the same console.
    let started = std::time::Instant::now();
    console.accept_next(&pointer.session_id).await;
    assert!(started.elapsed() >= Duration::from_millis(800));
    requester
        .until("asked again", is_status(SessionStatus::Offered))
        .await;
}

#[tokio::test]
async fn an_expert_takes_a_request_from_the_queue_and_an_override_is_recorded() {
    let host = host().await;
    host.add_expert("ringing", &["email"]).await;
    host.add_expert("taker", &["email"]).await;
    let mut ringing = host.available_console("ringing").await;
    // Signed in but away: taking a request does not need being available.
    let mut taker = host.console("taker").await;
    let credential = host.enrol("Ana").await;
    let email = host.share(&credential, "email").await;
    let printing = host.share(&credential, "printing").await;
    ringing.until("offer", offered(&email.session_id)).await;
    // The away expert's console lists both, the printing one as outside their skills.
    let queue = taker
        .until("queue with both", |m| {
            matches!(m, ServerMessage::QueueUpdate { queue, .. } | ServerMessage::ConsoleWelcome { queue, .. } if queue.len() == 2)
        })
        .await;
    let (ServerMessage::QueueUpdate { queue, .. } | ServerMessage::ConsoleWelcome { queue, .. }) =
        queue
    else {
        unreachable!()
    };
    assert_eq!(
        queue
            .iter()
            .map(|e| (e.topic.as_str(), e.skill_match))
            .collect::<Vec<_>>(),
        [("email", true), ("printing", false)]
    );
    taker
        .send(&ClientMessage::Take {
            session_id: email.session_id.clone(),
            skill_override: None,
        })
        .await;
    taker.joined().await;
    let withdrawn = ringing
        .until("withdrawn", |m| {
            matches!(m, ServerMessage::OfferWithdrawn { .. })
        })
        .await;
    assert_eq!(
        withdrawn,
        ServerMessage::OfferWithdrawn {
            session_id: email.session_id.clone(),
            reason: WithdrawReason::Taken
        }
    );
    // Busy in a session: no second one.
    taker
        .send(&ClientMessage::Take {
            session_id: printing.session_id.clone(),
            skill_override: Some(true),
        })
        .await;
    taker.until("busy", is_error(ErrorCode::Conflict)).await;
    // The other expert takes the printing request: refused without an override, taken with.
    ringing
        .send(&ClientMessage::Take {
            session_id: printing.session_id.clone(),
            skill_override: None,
        })
        .await;
    ringing
        .until("skill mismatch", is_error(ErrorCode::SkillMismatch))
        .await;
    ringing
        .send(&ClientMessage::Take {
            session_id: printing.session_id.clone(),
            skill_override: Some(true),
        })
        .await;
    ringing.joined().await;
    // Taken already.
    taker
        .send(&ClientMessage::Take {
            session_id: printing.session_id.clone(),
            skill_override: Some(true),
        })
        .await;
    taker
        .until("taken already", is_error(ErrorCode::Conflict))
        .await;
    let recent = host.store.recent_sessions(10).await.unwrap();
    assert_eq!(recent.len(), 2);
    assert!(
        recent.iter().all(|r| r.offered_at.is_none()),
        "taken from the queue: no ring counts as an answer"
    );
    let rows = host.store.report(0).await.unwrap();
    let pickups: Vec<Option<&str>> = rows.iter().map(|r| r.pickup.as_deref()).collect();
    assert_eq!(pickups, [Some("queue"), Some("queue_override")]);
    let report = instant_share_host::report::summarise(&rows);
    assert_eq!(report.all.overrides, 1);
}

#[tokio::test]
async fn nobody_on_duty_is_said_and_a_call_back_outlives_the_queue_timeout() {
    let host = TestHost::start(Timers {
        queue: 2,
        ..Timers::default()
    })
    .await;
    host.add_expert("later", &["network"]).await;
    let credential = host.enrol("Ana").await;
    let desk: DeskOutlook = host.get("/api/v1/desk", Some(&credential)).await;
    let network = desk.topics.iter().find(|t| t.topic == "network").unwrap();
    assert_eq!(
        (network.experts_on_duty, network.estimated_wait_secs),
        (0, None)
    );
    assert_eq!(
        host.get_status("/api/v1/desk", None).await,
        401,
        "the desk is told to enrolled devices only"
    );

    let pointer = host.share(&credential, "network").await;
    assert_eq!(
        (
            pointer.queue_position,
            pointer.experts_on_duty,
            pointer.estimated_wait_secs
        ),
        (1, 0, 0)
    );
    let (mut requester, _) = Ws::join(host.addr, &pointer.participant_token).await;
    requester.send(&ClientMessage::CallBack).await;
    let cb = requester
        .until("call back", |m| matches!(m, ServerMessage::CallBack { .. }))
        .await;
    let ServerMessage::CallBack { until } = cb else {
        unreachable!()
    };
    assert!(until > Now::get().millis + 3_600_000, "hours, not minutes");
    // Past the queue timeout, still waiting.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    // The expert comes on duty: the requester hears it and the request rings.
    let mut console = host.available_console("later").await;
    console.accept_next(&pointer.session_id).await;
    requester
        .until("offered", is_status(SessionStatus::Offered))
        .await;
    // Once live, a call back cannot be asked for any more.
    requester
        .until("active", is_status(SessionStatus::Active))
        .await;
    requester.send(&ClientMessage::CallBack).await;
    requester
        .until("refused", is_error(ErrorCode::Conflict))
        .await;
}

#[tokio::test]
async fn a_call_back_survives_a_restart() {
    let mut host = TestHost::start(Timers {
        queue: 2,
        ..Timers::default()
    })
    .await;
    host.add_expert("later", &["email"]).await;
    let credential = host.enrol("Ana").await;
    let pointer = host.share(&credential, "email").await;
    let (mut requester, _) = Ws::join(host.addr, &pointer.participant_token).await;
    requester.send(&ClientMessage::CallBack).await;
    requester
        .until("call back", |m| matches!(m, ServerMessage::CallBack { .. }))
        .await;
    host.restart(Timers {
        queue: 2,
        ..Timers::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (_, snap) = Ws::join(host.addr, &pointer.participant_token).await;
    assert_eq!(snap.status, SessionStatus::Queued, "still waiting");
    assert!(snap.call_back_until.is_some());
    let mut console = host.available_console("later").await;
    console.until("offer", offered(&pointer.session_id)).await;
}

#[tokio::test]
async fn the_requester_of_a_busy_desk_is_given_an_estimate_that_follows_the_desk() {
    let host = host().await;
    host.add_expert("busy", &["email"]).await;
    let mut console = host.available_console("busy").await;
    let credential = host.enrol("Ana").await;
    let first = host.share(&credential, "email").await;
    console.accept_next(&first.session_id).await;
    let second = host.share(&credential, "email").await;
    // One expert on duty, in a session that just started: the usual session length (10 min
    // until the desk has figures of its own) and the usual time to answer.
    assert_eq!((second.queue_position, second.experts_on_duty), (1, 1));
    assert!(
        (600..=700).contains(&second.estimated_wait_secs),
        "{}",
        second.estimated_wait_secs
    );
    let desk: DeskOutlook = host.get("/api/v1/desk", Some(&credential)).await;
    let email = desk.topics.iter().find(|t| t.topic == "email").unwrap();
    assert_eq!(email.experts_on_duty, 1);
    assert!(
        email.estimated_wait_secs.unwrap() > second.estimated_wait_secs,
        "a new request waits behind the one queued"
    );
}
