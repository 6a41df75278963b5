//! Routing scenarios on a virtual clock.

use std::time::{Duration, Instant};

use instant_share_core::{Dispatcher, Output, Pickup, RoutingConfig, RoutingError};
use instant_share_protocol::{EndReason, WithdrawReason};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn drain(d: &mut Dispatcher) -> Vec<Output> {
    std::iter::from_fn(|| d.poll_output())
        .filter(|o| !matches!(o, Output::QueueChanged { .. } | Output::EstimatesChanged))
        .collect()
}

fn expert(d: &mut Dispatcher, now: Instant, id: &str, skills: &[&str]) {
    d.upsert_expert(now, id, skills.iter().map(|s| s.to_string()));
    d.set_available(now, id, true).unwrap();
}

fn offered(outputs: &[Output]) -> Vec<(String, String)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Offered {
                session, expert, ..
            } => Some((session.clone(), expert.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_longest_idle_expert_with_the_skill_is_offered_first() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "printer-person", &["printing"]);
    expert(&mut d, t0 + secs(5), "fresh", &["email"]);
    expert(&mut d, t0 + secs(1), "idle-longest", &["email"]);
    drain(&mut d);
    d.request(t0 + secs(10), "s1", "email").unwrap();
    assert_eq!(
        offered(&drain(&mut d)),
        [("s1".into(), "idle-longest".into())]
    );
}

#[test]
fn accept_makes_the_session_live_and_the_expert_busy() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "a", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    d.request(t0 + secs(1), "s2", "email").unwrap();
    drain(&mut d);
    d.accept(t0 + secs(3), "a", "s1").unwrap();
    assert_eq!(
        drain(&mut d),
        [Output::Activated {
            session: "s1".into(),
            expert: "a".into(),
            via: Pickup::Offer,
        }]
    );
    assert_eq!(d.expert_of("s1").map(String::as_str), Some("a"));
    // The busy expert is not offered the second request.
    let q = d.queue();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].session, "s2");
    assert_eq!(q[0].position, 1);
    // When the first session ends, the second is offered to the same expert.
    assert_eq!(
        d.end(t0 + secs(60), "s1", EndReason::EndedByExpert),
        Ok(Some("a".into()))
    );
    let out = drain(&mut d);
    assert!(matches!(
        out[0],
        Output::Ended {
            reason: EndReason::EndedByExpert,
            ..
        }
    ));
    assert_eq!(offered(&out), [("s2".into(), "a".into())]);
}

#[test]
fn decline_offers_another_expert_first_and_the_same_one_after_a_pause() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "a", &["email"]);
    expert(&mut d, t0 + secs(1), "b", &["email"]);
    d.request(t0 + secs(2), "s1", "email").unwrap();
    drain(&mut d);
    d.decline(t0 + secs(3), "a", "s1").unwrap();
    let out = drain(&mut d);
    assert_eq!(
        out[0],
        Output::OfferWithdrawn {
            session: "s1".into(),
            expert: "a".into(),
            reason: WithdrawReason::Declined
        }
    );
    assert_eq!(offered(&out), [("s1".into(), "b".into())]);
    d.decline(t0 + secs(4), "b", "s1").unwrap();
    assert!(
        offered(&drain(&mut d)).is_empty(),
        "both let it pass a moment ago"
    );
    assert_eq!(d.queue()[0].position, 1);
    assert_eq!(
        d.accept(t0 + secs(5), "a", "s1"),
        Err(RoutingError::NoSuchOffer)
    );
    // The pause of the first to pass ends first: the request rings for them again.
    let pause = RoutingConfig::default().reoffer_pause;
    assert_eq!(d.poll_timeout(), Some(t0 + secs(3) + pause));
    d.handle_timeout(t0 + secs(3) + pause);
    assert_eq!(offered(&drain(&mut d)), [("s1".into(), "a".into())]);
}

#[test]
fn the_only_expert_who_missed_a_ring_is_offered_it_again_when_back() {
    let t0 = Instant::now();
    let cfg = RoutingConfig {
        offer_timeout: secs(20),
        reoffer_pause: secs(10),
        ..RoutingConfig::default()
    };
    let mut d = Dispatcher::new(cfg);
    expert(&mut d, t0, "only", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    drain(&mut d);
    d.handle_timeout(t0 + secs(20));
    let out = drain(&mut d);
    assert!(out.contains(&Output::ExpertAway {
        expert: "only".into()
    }));
    // Back at once: within the pause, nothing rings; at its end, the request does.
    d.set_available(t0 + secs(22), "only", true).unwrap();
    assert_eq!(offered(&drain(&mut d)), []);
    assert_eq!(d.poll_timeout(), Some(t0 + secs(30)));
    d.handle_timeout(t0 + secs(30));
    assert_eq!(offered(&drain(&mut d)), [("s1".into(), "only".into())]);
    // Back after the pause: it rings at once.
    d.handle_timeout(t0 + secs(50));
    drain(&mut d);
    assert!(!d.is_available("only"));
    d.set_available(t0 + secs(90), "only", true).unwrap();
    assert_eq!(offered(&drain(&mut d)), [("s1".into(), "only".into())]);
}

#[test]
fn someone_who_never_passed_is_offered_before_someone_who_did() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "a", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    drain(&mut d);
    d.decline(t0 + secs(1), "a", "s1").unwrap();
    drain(&mut d);
    // Long after a's pause, a newcomer who has been idle for less time is still asked first.
    expert(&mut d, t0 + secs(100), "newcomer", &["email"]);
    d.handle_timeout(t0 + secs(100));
    let out = drain(&mut d);
    assert_eq!(
        offered(&out),
        [("s1".into(), "a".into())],
        "a's pause ended at 11 s"
    );
    d.decline(t0 + secs(101), "a", "s1").unwrap();
    let out = drain(&mut d);
    assert_eq!(offered(&out), [("s1".into(), "newcomer".into())]);
}

#[test]
fn an_expert_takes_any_waiting_request_from_the_queue() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "ringing", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    d.request(t0 + secs(1), "s2", "network").unwrap();
    d.request(t0 + secs(2), "s3", "email").unwrap();
    drain(&mut d);
    // An away expert, who knows email only.
    d.upsert_expert(t0, "taker", ["email".to_string()]);
    // The request ringing on another console stops ringing there and is theirs.
    assert_eq!(
        d.take(t0 + secs(5), "taker", "s1", false),
        Ok(Pickup::Queue {
            skill_override: false
        })
    );
    let out = drain(&mut d);
    assert_eq!(
        out[..2],
        [
            Output::OfferWithdrawn {
                session: "s1".into(),
                expert: "ringing".into(),
                reason: WithdrawReason::Taken
            },
            Output::Activated {
                session: "s1".into(),
                expert: "taker".into(),
                via: Pickup::Queue {
                    skill_override: false
                }
            }
        ]
    );
    // The expert who rang is free again and gets the next email request.
    assert_eq!(offered(&out), [("s3".into(), "ringing".into())]);
    assert_eq!(d.expert_of("s1").map(String::as_str), Some("taker"));
    // Busy now, and another topic needs an override.
    assert_eq!(
        d.take(t0 + secs(6), "taker", "s2", true),
        Err(RoutingError::ExpertBusy)
    );
    d.end(t0 + secs(60), "s1", EndReason::EndedByExpert)
        .unwrap();
    drain(&mut d);
    assert_eq!(
        d.take(t0 + secs(61), "taker", "s2", false),
        Err(RoutingError::SkillMismatch)
    );
    assert_eq!(
        d.take(t0 + secs(61), "taker", "s2", true),
        Ok(Pickup::Queue {
            skill_override: true
        })
    );
    assert_eq!(
        d.take(t0 + secs(62), "ringing", "s2", true),
        Err(RoutingError::NotWaiting),
        "taken already"
    );
    assert_eq!(
        d.take(t0 + secs(62), "ringing", "nope", true),
        Err(RoutingError::UnknownSession)
    );
}

#[test]
fn taking_another_request_sends_the_own_ringing_one_back_to_the_queue() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    d.request(t0, "older", "email").unwrap();
    expert(&mut d, t0 + secs(1), "a", &["email"]);
    d.request(t0 + secs(2), "newer", "email").unwrap();
    assert_eq!(offered(&drain(&mut d)), [("older".into(), "a".into())]);
    d.take(t0 + secs(3), "a", "newer", false).unwrap();
    let out = drain(&mut d);
    assert_eq!(
        out[0],
        Output::OfferWithdrawn {
            session: "older".into(),
            expert: "a".into(),
            reason: WithdrawReason::ExpertUnavailable
        }
    );
    let q = d.queue();
    assert_eq!(
        (q.len(), q[0].session.as_str(), q[0].position),
        (1, "older", 1)
    );
    // Taking the one that rings on the own console is accepting it.
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "a", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    drain(&mut d);
    assert_eq!(d.take(t0 + secs(1), "a", "s1", false), Ok(Pickup::Offer));
}

#[test]
fn a_call_back_keeps_the_request_waiting_for_hours() {
    let t0 = Instant::now();
    let cfg = RoutingConfig {
        queue_timeout: secs(600),
        call_back_timeout: secs(8 * 3600),
        estimate_refresh: secs(10_000_000),
        ..RoutingConfig::default()
    };
    let mut d = Dispatcher::new(cfg);
    d.request(t0, "s1", "email").unwrap();
    assert_eq!(
        d.call_back(t0 + secs(60), "s1"),
        Ok(t0 + secs(60 + 8 * 3600))
    );
    drain(&mut d);
    d.handle_timeout(t0 + secs(600));
    assert_eq!(drain(&mut d), [], "still waiting past the queue timeout");
    assert_eq!(d.poll_timeout(), Some(t0 + secs(60 + 8 * 3600)));
    // An expert who comes back is offered it as any other.
    expert(&mut d, t0 + secs(3600), "a", &["email"]);
    assert_eq!(offered(&drain(&mut d)), [("s1".into(), "a".into())]);
    d.accept(t0 + secs(3601), "a", "s1").unwrap();
    assert_eq!(
        d.call_back(t0 + secs(3602), "s1"),
        Err(RoutingError::NotWaiting)
    );
}

#[test]
fn an_offer_times_out_passes_on_and_sets_the_expert_away() {
    let t0 = Instant::now();
    let cfg = RoutingConfig {
        offer_timeout: secs(20),
        ..RoutingConfig::default()
    };
    let mut d = Dispatcher::new(cfg);
    expert(&mut d, t0, "a", &["email"]);
    expert(&mut d, t0 + secs(1), "b", &["email"]);
    d.request(t0 + secs(2), "s1", "email").unwrap();
    drain(&mut d);
    assert_eq!(d.poll_timeout(), Some(t0 + secs(22)));
    d.handle_timeout(t0 + secs(21));
    assert!(
        drain(&mut d).is_empty(),
        "nothing is due before the deadline"
    );
    d.handle_timeout(t0 + secs(22));
    let out = drain(&mut d);
    assert!(out.contains(&Output::OfferWithdrawn {
        session: "s1".into(),
        expert: "a".into(),
        reason: WithdrawReason::Timeout
    }));
    assert!(out.contains(&Output::ExpertAway { expert: "a".into() }));
    assert_eq!(offered(&out), [("s1".into(), "b".into())]);
    assert!(!d.is_available("a"));
}

#[test]
fn the_queue_timeout_ends_a_request_nobody_took() {
    let t0 = Instant::now();
    let cfg = RoutingConfig {
        queue_timeout: secs(30),
        estimate_refresh: secs(3600),
        ..RoutingConfig::default()
    };
    let mut d = Dispatcher::new(cfg);
    d.request(t0, "s1", "email").unwrap();
    drain(&mut d);
    assert_eq!(d.poll_timeout(), Some(t0 + secs(30)));
    d.handle_timeout(t0 + secs(30));
    assert_eq!(
        drain(&mut d),
        [Output::Ended {
            session: "s1".into(),
            reason: EndReason::NoExpertAvailable,
            expert: None,
            assistants: vec![]
        }]
    );
    assert!(d.queue().is_empty());
    assert_eq!(d.poll_timeout(), None);
}

#[test]
fn cancel_while_ringing_withdraws_the_offer() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "a", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    drain(&mut d);
    assert_eq!(d.end(t0 + secs(1), "s1", EndReason::Cancelled), Ok(None));
    let out = drain(&mut d);
    assert_eq!(
        out,
        [
            Output::OfferWithdrawn {
                session: "s1".into(),
                expert: "a".into(),
                reason: WithdrawReason::RequestEnded
            },
            Output::Ended {
                session: "s1".into(),
                reason: EndReason::Cancelled,
                expert: None,
                assistants: vec![]
            },
        ]
    );
    assert!(d.offer_of("a").is_none());
    assert_eq!(
        d.end(t0 + secs(2), "s1", EndReason::Cancelled),
        Err(RoutingError::UnknownSession)
    );
}

#[test]
fn live_sessions_end_when_idle_or_too_long() {
    let t0 = Instant::now();
    let cfg = RoutingConfig {
        idle_timeout: secs(100),
        max_duration: secs(250),
        ..RoutingConfig::default()
    };
    let mut d = Dispatcher::new(cfg);
    expert(&mut d, t0, "a", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    d.accept(t0, "a", "s1").unwrap();
    drain(&mut d);
    d.activity(t0 + secs(90), "s1");
    d.activity(t0 + secs(180), "s1");
    d.handle_timeout(t0 + secs(200));
    assert!(drain(&mut d).is_empty());
    assert_eq!(d.poll_timeout(), Some(t0 + secs(250)));
    d.handle_timeout(t0 + secs(250));
    assert_eq!(
        drain(&mut d),
        [Output::Ended {
            session: "s1".into(),
            reason: EndReason::MaxDuration,
            expert: Some("a".into()),
            assistants: vec![]
        }]
    );
}

#[test]
fn going_away_withdraws_the_ringing_offer() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "a", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    drain(&mut d);
    d.set_available(t0 + secs(1), "a", false).unwrap();
    let out = drain(&mut d);
    assert_eq!(
        out,
        [Output::OfferWithdrawn {
            session: "s1".into(),
            expert: "a".into(),
            reason: WithdrawReason::ExpertUnavailable
        }]
    );
    // Coming back makes the request ring again: going away is not a decline.
    d.set_available(t0 + secs(2), "a", true).unwrap();
    assert_eq!(offered(&drain(&mut d)), [("s1".into(), "a".into())]);
}

#[test]
fn positions_and_estimates_follow_the_queue() {
    let t0 = Instant::now();
    let cfg = RoutingConfig {
        initial_handling: secs(600),
        initial_answer: secs(10),
        estimate_refresh: secs(15),
        queue_timeout: secs(100_000),
        idle_timeout: secs(100_000),
        ..RoutingConfig::default()
    };
    let mut d = Dispatcher::new(cfg);
    for (i, s) in ["s1", "s2", "s3"].iter().enumerate() {
        d.request(t0 + secs(i as u64), s, "email").unwrap();
    }
    let q = d.queue();
    assert_eq!(q.iter().map(|r| r.position).collect::<Vec<_>>(), [1, 2, 3]);
    // Nobody on duty: no estimate rather than a made-up one.
    assert!(q
        .iter()
        .all(|r| r.estimated_wait.is_none() && r.experts_on_duty == 0));
    // The first request to wait starts the estimates (and their refresh) afresh.
    assert!(d
        .poll_output()
        .is_some_and(|o| o == Output::QueueChanged { from: 0 }));
    expert(&mut d, t0 + secs(5), "a", &["email"]);
    let q = d.queue();
    assert_eq!((q[0].position, q[0].offered_to.as_deref()), (0, Some("a")));
    // The ringing expert counts as free (the ring resolves within moments): s2 comes next,
    // after the usual time to answer; s3 after s2's session.
    assert_eq!(q[1].position, 1);
    assert_eq!(q[1].estimated_wait, Some(secs(10)));
    assert_eq!(q[2].estimated_wait, Some(secs(660)));
    assert_eq!(q[1].experts_on_duty, 1);
    d.accept(t0 + secs(6), "a", "s1").unwrap();
    drain(&mut d);
    // As the session goes on, the refresh brings the estimates down.
    assert_eq!(d.poll_timeout(), Some(t0 + secs(15)));
    d.handle_timeout(t0 + secs(15));
    assert!(std::iter::from_fn(|| d.poll_output()).any(|o| o == Output::EstimatesChanged));
    d.handle_timeout(t0 + secs(306));
    assert_eq!(d.queue()[0].estimated_wait, Some(secs(330)));
    // Nobody else can take it: the figure never drops below a fifth of a session (130 s).
    d.handle_timeout(t0 + secs(3000));
    assert_eq!(d.queue()[0].estimated_wait, Some(secs(150)));
    // A second expert on duty shortens it.
    expert(&mut d, t0 + secs(3000), "b", &["email"]);
    drain(&mut d);
    let q = d.queue();
    assert_eq!((q[0].offered_to.as_deref(), q[1].position), (Some("b"), 1));
    assert_eq!(d.outlook(t0 + secs(3000), "email").0, 2);
    assert_eq!(d.outlook(t0 + secs(3000), "network"), (0, None));
}

#[test]
fn restored_sessions_keep_their_place() {
    let t0 = Instant::now() + secs(1000);
    let mut d = Dispatcher::new(RoutingConfig::default());
    d.restore_request(t0, "later", "email", t0 - secs(10))
        .unwrap();
    d.restore_active(t0, "live", "email", "a").unwrap();
    assert_eq!(d.active_session_of("a").map(String::as_str), Some("live"));
    d.request(t0, "new", "email").unwrap();
    let q = d.queue();
    assert_eq!(q[0].session, "later");
    assert_eq!(q[1].session, "new");
    assert_eq!(d.request(t0, "new", "email"), Err(RoutingError::Duplicate));
}

#[test]
fn a_live_session_is_handed_over_to_a_free_expert() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "first", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    drain(&mut d);
    d.accept(t0 + secs(1), "first", "s1").unwrap();
    expert(&mut d, t0 + secs(2), "second", &["printing"]);
    d.request(t0 + secs(3), "s2", "email").unwrap();
    drain(&mut d);
    // Not before it is live, not to oneself, not to someone unknown.
    assert_eq!(
        d.hand_over(t0 + secs(4), "s2", "second"),
        Err(RoutingError::NotLive)
    );
    assert_eq!(
        d.hand_over(t0 + secs(4), "s1", "first"),
        Err(RoutingError::ExpertBusy)
    );
    assert_eq!(
        d.hand_over(t0 + secs(4), "s1", "nobody"),
        Err(RoutingError::UnknownExpert)
    );
    assert_eq!(
        d.hand_over(t0 + secs(5), "s1", "second"),
        Ok("first".into())
    );
    assert_eq!(d.expert_of("s1").map(String::as_str), Some("second"));
    assert_eq!(d.active_session_of("first"), None);
    // The first expert is free again and is offered the waiting request.
    assert_eq!(offered(&drain(&mut d)), [("s2".into(), "first".into())]);
    // Someone in a session (or ringing) cannot take another.
    expert(&mut d, t0 + secs(6), "third", &["email"]);
    assert_eq!(
        d.hand_over(t0 + secs(7), "s1", "first"),
        Err(RoutingError::ExpertBusy)
    );
}

#[test]
fn experts_brought_in_beside_the_first_are_busy_until_the_end_and_can_take_over() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    expert(&mut d, t0, "first", &["email"]);
    d.request(t0, "s1", "email").unwrap();
    drain(&mut d);
    d.accept(t0 + secs(1), "first", "s1").unwrap();
    for id in ["second", "third", "fourth"] {
        expert(&mut d, t0 + secs(2), id, &["email"]);
    }
    drain(&mut d);
    // Not oneself, not someone unknown.
    assert_eq!(
        d.bring_in(t0 + secs(3), "s1", "first"),
        Err(RoutingError::ExpertBusy)
    );
    assert_eq!(
        d.bring_in(t0 + secs(3), "s1", "nobody"),
        Err(RoutingError::UnknownExpert)
    );
    assert_eq!(d.bring_in(t0 + secs(3), "s1", "second"), Ok("first".into()));
    assert_eq!(
        d.bring_in(t0 + secs(3), "s1", "second"),
        Err(RoutingError::ExpertBusy),
        "already in"
    );
    assert_eq!(d.bring_in(t0 + secs(3), "s1", "third"), Ok("first".into()));
    assert_eq!(
        d.bring_in(t0 + secs(3), "s1", "fourth"),
        Err(RoutingError::TooManyExperts)
    );
    assert_eq!(d.assistants_of("s1"), ["second", "third"]);
    assert_eq!(
        d.active_session_of("second").map(String::as_str),
        Some("s1")
    );
    // A new request goes to the one expert who is free, never to those brought in.
    d.request(t0 + secs(4), "s2", "email").unwrap();
    assert_eq!(offered(&drain(&mut d)), [("s2".into(), "fourth".into())]);
    d.decline(t0 + secs(5), "fourth", "s2").unwrap();
    assert_eq!(offered(&drain(&mut d)), []);

    // The first hands over to the second, who is in already: the first is free and is
    // offered the waiting request; the third stays beside the second.
    assert_eq!(
        d.hand_over(t0 + secs(6), "s1", "second"),
        Ok("first".into())
    );
    assert_eq!(d.expert_of("s1").map(String::as_str), Some("second"));
    assert_eq!(d.assistants_of("s1"), ["third"]);
    assert_eq!(offered(&drain(&mut d)), [("s2".into(), "first".into())]);

    // An expert brought in may leave again: free, and offered what waits.
    assert_eq!(
        d.bring_in(t0 + secs(6), "s1", "fourth"),
        Ok("second".into())
    );
    assert_eq!(
        d.release_assistant(t0 + secs(6), "s1", "second"),
        Err(RoutingError::UnknownExpert),
        "the expert in charge is not one brought in"
    );
    drain(&mut d);
    d.request(t0 + secs(6), "s3", "email").unwrap();
    assert_eq!(offered(&drain(&mut d)), []);
    d.release_assistant(t0 + secs(6), "s1", "fourth").unwrap();
    assert_eq!(d.active_session_of("fourth"), None);
    assert_eq!(offered(&drain(&mut d)), [("s3".into(), "fourth".into())]);

    // The end frees everyone who was in it.
    assert_eq!(
        d.end(t0 + secs(7), "s1", EndReason::EndedByExpert),
        Ok(Some("second".into()))
    );
    let out = drain(&mut d);
    assert!(
        out.iter().any(
            |o| matches!(o, Output::Ended { expert: Some(e), assistants, .. }
            if e == "second" && assistants == &["third".to_string()])
        ),
        "{out:?}"
    );
    assert_eq!(d.active_session_of("second"), None);
    assert_eq!(d.active_session_of("third"), None);
    assert!(d.is_available("third"));
    assert_eq!(
        d.bring_in(t0 + secs(8), "s1", "third"),
        Err(RoutingError::UnknownSession)
    );
}

#[test]
fn an_expert_brought_in_comes_back_after_a_restart() {
    let t0 = Instant::now();
    let mut d = Dispatcher::new(RoutingConfig::default());
    assert_eq!(
        d.restore_assistant(t0, "live", "b"),
        Err(RoutingError::NotLive)
    );
    d.restore_active(t0, "live", "email", "a").unwrap();
    d.restore_assistant(t0, "live", "b").unwrap();
    assert_eq!(d.assistants_of("live"), ["b"]);
    assert_eq!(d.active_session_of("b").map(String::as_str), Some("live"));
    d.end(t0 + secs(1), "live", EndReason::EndedByRequester)
        .unwrap();
    assert_eq!(d.active_session_of("b"), None);
}
