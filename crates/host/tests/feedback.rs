//! The end of a session: the employee says whether it solved the problem and rates it, each
//! expert records an outcome, and the operator's report reads both — also after a restart.

mod support;

use instant_share_host::report::summarise;
use instant_share_host::store::Store;
use instant_share_protocol::*;
use support::*;

#[tokio::test]
async fn feedback_and_wrap_up_are_kept_after_the_end_and_reported() {
    let mut host = TestHost::start(Timers::default()).await;
    let mut l = live(&host).await;
    let feedback = |solved, rating, comment: Option<&str>| Feedback {
        solved,
        rating,
        comment: comment.map(str::to_owned),
    };
    let path = |what: &str| format!("/api/v1/sessions/{}/{what}", l.session_id);

    // Not before the end.
    let r = host
        .post(
            &path("feedback"),
            &feedback(true, Some(5), None),
            Some(&l.requester_token),
        )
        .await;
    assert_eq!(r.status(), 409, "{:?}", r.text().await);

    l.expert.send(&ClientMessage::EndSession).await;
    l.requester
        .until("ended", |m| matches!(m, ServerMessage::Ended { .. }))
        .await;

    // Only the requester gives feedback, with a rating of 1 to 5 and a short comment.
    let r = host
        .post(
            &path("feedback"),
            &feedback(true, Some(5), None),
            Some(&l.expert_token),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = host
        .post(
            &path("feedback"),
            &feedback(true, Some(6), None),
            Some(&l.requester_token),
        )
        .await;
    assert_eq!(r.status(), 400);
    let long = "x".repeat(MAX_FEEDBACK_CHARS + 1);
    let r = host
        .post(
            &path("feedback"),
            &feedback(true, Some(4), Some(&long)),
            Some(&l.requester_token),
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = host
        .post(
            &path("feedback"),
            &feedback(true, Some(4), None),
            Some("not-a-token"),
        )
        .await;
    assert_eq!(r.status(), 401);
    // A control character is refused, not dropped (the text rule of the protocol crate).
    let r = host
        .post(
            &path("feedback"),
            &feedback(false, Some(2), Some("  still slow \u{7}  ")),
            Some(&l.requester_token),
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = host
        .post(
            &path("feedback"),
            &feedback(false, Some(2), Some("  still slow  ")),
            Some(&l.requester_token),
        )
        .await;
    assert_eq!(r.status(), 204, "{:?}", r.text().await);

    // Only an expert of the session wraps it up.
    let wrap = WrapUp {
        outcome: Outcome::Escalated,
        note: Some("Passed to the network team".into()),
    };
    let r = host
        .post(&path("wrap-up"), &wrap, Some(&l.requester_token))
        .await;
    assert_eq!(r.status(), 403);
    let r = host
        .post(&path("wrap-up"), &wrap, Some(&l.expert_token))
        .await;
    assert_eq!(r.status(), 204);

    // After a restart the tokens still work for this, and a second answer replaces the first.
    host.restart(Timers::default()).await;
    let r = host
        .post(
            &path("feedback"),
            &feedback(true, Some(4), Some("still slow")),
            Some(&l.requester_token),
        )
        .await;
    assert_eq!(r.status(), 204, "{:?}", r.text().await);

    let rows = host.store.report(0).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (
            row.solved,
            row.rating,
            row.outcome,
            row.expert.as_deref(),
            row.pickup.as_deref()
        ),
        (
            Some(true),
            Some(4),
            Some(Outcome::Escalated),
            Some("alice"),
            Some("offer")
        )
    );
    let report = summarise(&rows);
    assert_eq!(
        (report.all.requests, report.all.joined, report.all.ratings),
        (1, 1, 1)
    );
    assert_eq!(report.experts[0].group, "alice");
    assert!(report.all.time_to_expert_p50_secs.is_some() && report.all.handling_p50_secs.is_some());
}
