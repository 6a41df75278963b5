//! Property tests: any sequence of inputs keeps the dispatcher's invariants.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use instant_share_core::{Dispatcher, Output, Pickup, RoutingConfig};
use instant_share_protocol::{EndReason, WithdrawReason};
use proptest::prelude::*;

const EXPERTS: [&str; 3] = ["e0", "e1", "e2"];
const TOPICS: [&str; 2] = ["email", "network"];

#[derive(Debug, Clone)]
enum Step {
    Request(usize),
    Available(usize, bool),
    Accept(usize),
    Decline(usize),
    Cancel(usize),
    EndLive(usize),
    /// The expert in charge of the first live session brings in expert `e`.
    BringIn(usize),
    /// Expert `e`, if brought in somewhere, leaves.
    Release(usize),
    /// The first live session is handed to expert `e`.
    HandOver(usize),
    /// Expert `e` takes request `k` from the queue, with or without a skill override.
    Take(usize, usize, bool),
    /// Request `k` asks to be called back.
    CallBack(usize),
    Wait(u64),
}

const PAUSE: Duration = Duration::from_secs(7);

/// Skills: e0 knows email, e1 network, e2 both.
fn skills(e: usize) -> &'static [&'static str] {
    match e {
        0 => &["email"],
        1 => &["network"],
        _ => &TOPICS,
    }
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..2usize).prop_map(Step::Request),
        (0..3usize, any::<bool>()).prop_map(|(e, a)| Step::Available(e, a)),
        (0..3usize).prop_map(Step::Accept),
        (0..3usize).prop_map(Step::Decline),
        (0..8usize).prop_map(Step::Cancel),
        (0..3usize).prop_map(Step::EndLive),
        (0..3usize).prop_map(Step::BringIn),
        (0..3usize).prop_map(Step::Release),
        (0..3usize).prop_map(Step::HandOver),
        (0..3usize, 0..8usize, any::<bool>()).prop_map(|(e, k, o)| Step::Take(e, k, o)),
        (0..8usize).prop_map(Step::CallBack),
        (1..40u64).prop_map(Step::Wait),
    ]
}

/// What the host would know, rebuilt only from the outputs.
#[derive(Default)]
struct Observer {
    ringing: BTreeMap<String, String>,
    live: BTreeMap<String, String>,
    /// Experts brought in, by session (told by the test, as the host knows what it asked).
    assistants: BTreeMap<String, BTreeSet<String>>,
    ended: BTreeSet<String>,
    /// (session, expert) → until when the expert, who let it pass, is not offered it again.
    paused: BTreeMap<(String, String), Instant>,
    /// Experts set away by a missed ring (the test knows its own `Available` steps).
    away: BTreeSet<String>,
}

impl Observer {
    /// Whether `expert` is in a live session, in charge or beside.
    fn busy(&self, expert: &str) -> bool {
        self.live.values().any(|e| e == expert)
            || self.assistants.values().any(|a| a.contains(expert))
    }
}

impl Observer {
    fn apply(&mut self, o: &Output, now: Instant) {
        match o {
            Output::Offered {
                session, expert, ..
            } => {
                assert!(!self.ended.contains(session), "offered an ended session");
                assert!(
                    self.ringing.values().all(|e| e != expert),
                    "{expert} rung twice"
                );
                assert!(!self.busy(expert), "{expert} rung while busy");
                assert!(self
                    .ringing
                    .insert(session.clone(), expert.clone())
                    .is_none());
            }
            Output::OfferWithdrawn {
                session,
                expert,
                reason,
            } => {
                assert_eq!(self.ringing.remove(session).as_ref(), Some(expert));
                if matches!(reason, WithdrawReason::Declined | WithdrawReason::Timeout) {
                    self.paused
                        .insert((session.clone(), expert.clone()), now + PAUSE);
                }
            }
            Output::Activated {
                session,
                expert,
                via,
            } => {
                match via {
                    Pickup::Offer => {
                        assert_eq!(self.ringing.remove(session).as_ref(), Some(expert))
                    }
                    // Taken from the queue: any ring was withdrawn just before.
                    Pickup::Queue { .. } => assert!(!self.ringing.contains_key(session)),
                }
                assert!(!self.busy(expert), "{expert} is in two sessions");
                self.live.insert(session.clone(), expert.clone());
            }
            Output::Ended {
                session,
                expert,
                assistants,
                ..
            } => {
                assert!(
                    !self.ringing.contains_key(session),
                    "ended while still ringing"
                );
                assert_eq!(self.live.remove(session), *expert);
                let beside: Vec<String> = self
                    .assistants
                    .remove(session)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                assert_eq!(
                    &beside, assistants,
                    "the experts brought in are freed with it"
                );
                assert!(self.ended.insert(session.clone()), "ended twice");
            }
            Output::ExpertAway { expert } => {
                self.away.insert(expert.clone());
            }
            Output::QueueChanged { .. } | Output::EstimatesChanged => {}
        }
    }
}

/// Drains the outputs as a host would: the observer sees every one, and `known` is updated
/// only from the part of the queue each `QueueChanged` names.
fn drain(
    d: &mut Dispatcher,
    obs: &mut Observer,
    known: &mut BTreeMap<String, Known>,
    now: Instant,
) {
    while let Some(o) = d.poll_output() {
        let from = match o {
            Output::QueueChanged { from } => Some(from),
            Output::EstimatesChanged => Some(0),
            _ => None,
        };
        if let Some(from) = from {
            for q in d.waiting_from(from) {
                known.insert(q.session, (q.position, q.estimated_wait, q.experts_on_duty));
            }
        }
        obs.apply(&o, now);
    }
}

/// What a host tells a waiting requester: position, estimate, experts on duty.
type Known = (u32, Option<Duration>, u32);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn outputs_tell_a_consistent_story(steps in prop::collection::vec(step(), 1..80)) {
        let cfg = RoutingConfig {
            offer_timeout: Duration::from_secs(20),
            queue_timeout: Duration::from_secs(120),
            call_back_timeout: Duration::from_secs(400),
            reoffer_pause: PAUSE,
            estimate_refresh: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(300),
            max_duration: Duration::from_secs(600),
            initial_handling: Duration::from_secs(90),
            initial_answer: Duration::from_secs(5),
        };
        let t0 = Instant::now();
        let mut now = t0;
        let mut d = Dispatcher::new(cfg.clone());
        let mut obs = Observer::default();
        // What a host knows of positions and estimates if it reads only what changed.
        let mut known: BTreeMap<String, Known> = BTreeMap::new();
        // When each request ends unless taken.
        let mut deadline: BTreeMap<String, Instant> = BTreeMap::new();
        let mut topic_of: BTreeMap<String, &str> = BTreeMap::new();
        for (i, e) in EXPERTS.iter().enumerate() {
            d.upsert_expert(now, e, skills(i).iter().map(|t| t.to_string()));
        }
        let mut n = 0;
        for s in steps {
            match s {
                Step::Request(t) => {
                    n += 1;
                    let key = format!("s{n}");
                    d.request(now, &key, TOPICS[t]).unwrap();
                    deadline.insert(key.clone(), now + cfg.queue_timeout);
                    topic_of.insert(key, TOPICS[t]);
                }
                Step::Available(e, a) => {
                    d.set_available(now, EXPERTS[e], a).unwrap();
                    obs.away.remove(EXPERTS[e]);
                }
                Step::Accept(e) => {
                    if let Some((s, _)) = d.offer_of(EXPERTS[e]).map(|(s, t)| (s.clone(), t)) {
                        d.accept(now, EXPERTS[e], &s).unwrap();
                    }
                }
                Step::Decline(e) => {
                    if let Some(s) = d.offer_of(EXPERTS[e]).map(|(s, _)| s.clone()) {
                        d.decline(now, EXPERTS[e], &s).unwrap();
                    }
                }
                Step::Cancel(k) => { let _ = d.end(now, &format!("s{}", k + 1), EndReason::Cancelled); }
                Step::EndLive(e) => {
                    if let Some(s) = d.active_session_of(EXPERTS[e]).cloned() {
                        d.end(now, &s, EndReason::EndedByExpert).unwrap();
                    }
                }
                Step::BringIn(e) => {
                    let to = EXPERTS[e];
                    if let Some((session, lead)) = obs.live.iter().next().map(|(s, l)| (s.clone(), l.clone())) {
                        let free = d.is_available(to) && d.offer_of(to).is_none() && !obs.busy(to);
                        let room = obs.assistants.get(&session).map_or(0, BTreeSet::len) < instant_share_core::MAX_ASSISTANTS;
                        let r = d.bring_in(now, &session, to);
                        prop_assert_eq!(r.is_ok(), free && room, "bring_in {} into {}: {:?}", to, session, r);
                        if r.is_ok() {
                            prop_assert_eq!(r.unwrap(), lead);
                            obs.assistants.entry(session).or_default().insert(to.to_owned());
                        }
                    }
                }
                Step::Release(e) => {
                    let to = EXPERTS[e];
                    if let Some(session) = obs.assistants.iter().find(|(_, a)| a.contains(to)).map(|(s, _)| s.clone()) {
                        d.release_assistant(now, &session, to).unwrap();
                        obs.assistants.get_mut(&session).unwrap().remove(to);
                    }
                }
                Step::HandOver(e) => {
                    let to = EXPERTS[e];
                    if let Some((session, lead)) = obs.live.iter().next().map(|(s, l)| (s.clone(), l.clone())) {
                        let beside = obs.assistants.get(&session).is_some_and(|a| a.contains(to));
                        let free = d.is_available(to) && d.offer_of(to).is_none() && !obs.busy(to);
                        let r = d.hand_over(now, &session, to);
                        prop_assert_eq!(r.is_ok(), to != lead && (beside || free), "hand_over {} to {}: {:?}", session, to, r);
                        if r.is_ok() {
                            obs.live.insert(session.clone(), to.to_owned());
                            if let Some(a) = obs.assistants.get_mut(&session) {
                                a.remove(to);
                            }
                        }
                    }
                }
                Step::Take(e, k, skill_override) => {
                    let key = format!("s{}", k + 1);
                    let taker = EXPERTS[e];
                    let waiting = d.queue().iter().any(|q| q.session == key);
                    let matched = topic_of.get(&key).is_some_and(|t| skills(e).contains(t));
                    let r = d.take(now, taker, &key, skill_override);
                    let expect_ok = waiting && !obs.busy(taker) && (matched || skill_override);
                    prop_assert_eq!(r.is_ok(), expect_ok, "take {} by {}: {:?}", key, taker, r);
                    if let Ok(Pickup::Queue { skill_override: flagged }) = r {
                        prop_assert_eq!(flagged, !matched, "an override is reported exactly when it was needed");
                    }
                }
                Step::CallBack(k) => {
                    let key = format!("s{}", k + 1);
                    let waiting = d.queue().iter().any(|q| q.session == key);
                    let r = d.call_back(now, &key);
                    prop_assert_eq!(r.is_ok(), waiting, "call back {}: {:?}", key, r);
                    if let Ok(until) = r {
                        let d = deadline.get_mut(&key).unwrap();
                        *d = (*d).max(until);
                    }
                }
                Step::Wait(secs) => {
                    let until = now + Duration::from_secs(secs);
                    while let Some(t) = d.poll_timeout().filter(|t| *t <= until) {
                        now = t.max(now);
                        d.handle_timeout(now);
                        drain(&mut d, &mut obs, &mut known, now);
                    }
                    now = until;
                }
            }
            drain(&mut d, &mut obs, &mut known, now);

            // Invariants after every step.
            let q = d.queue();
            for r in &q {
                prop_assert_eq!(known.get(&r.session), Some(&(r.position, r.estimated_wait, r.experts_on_duty)), "reading only the changed part of the queue missed a change");
                let on_duty = (0..EXPERTS.len()).filter(|e| skills(*e).contains(&r.topic.as_str()) && d.is_available(EXPERTS[*e])).count() as u32;
                prop_assert_eq!(r.experts_on_duty, on_duty);
                prop_assert_eq!(r.estimated_wait.is_none(), on_duty == 0, "an estimate exactly when someone is on duty");
            }
            let mut expected_pos = 0;
            for r in &q {
                prop_assert!(!obs.ended.contains(&r.session));
                prop_assert!(now < deadline[&r.session], "a request outlived its deadline");
                // Nobody free who could take it is left idle, but for the short pause of one
                // who just let it pass: no request is stranded.
                if r.offered_to.is_none() {
                    for (e, id) in EXPERTS.iter().enumerate() {
                        let free = d.is_available(id) && d.offer_of(id).is_none() && !obs.busy(id);
                        if free && skills(e).contains(&r.topic.as_str()) {
                            let pause = obs.paused.get(&(r.session.clone(), id.to_string()));
                            prop_assert!(pause.is_some_and(|until| now < *until), "{} waits while {} is free", r.session, id);
                        }
                    }
                }
                match &r.offered_to {
                    Some(e) => {
                        prop_assert_eq!(r.position, 0);
                        prop_assert_eq!(obs.ringing.get(&r.session), Some(e));
                    }
                    None => {
                        expected_pos += 1;
                        prop_assert_eq!(r.position, expected_pos);
                    }
                }
            }
            for (session, expert) in &obs.ringing {
                prop_assert!(d.is_available(expert), "ringing on an away expert");
                prop_assert_eq!(d.offer_of(expert).map(|(s, _)| s), Some(session));
            }
            for (session, expert) in &obs.live {
                prop_assert_eq!(d.expert_of(session), Some(expert));
                let beside: Vec<String> = obs.assistants.get(session).map(|a| a.iter().cloned().collect()).unwrap_or_default();
                prop_assert_eq!(d.assistants_of(session), beside);
            }
            // Each expert is in one live session at most, and the dispatcher says which.
            for e in EXPERTS {
                let in_charge = obs.live.iter().filter(|(_, l)| *l == e).map(|(s, _)| s.clone());
                let beside = obs.assistants.iter().filter(|(_, a)| a.contains(e)).map(|(s, _)| s.clone());
                let sessions: Vec<String> = in_charge.chain(beside).collect();
                prop_assert!(sessions.len() <= 1, "{} is in {:?}", e, sessions);
                prop_assert_eq!(d.active_session_of(e), sessions.first());
            }
            if let Some(t) = d.poll_timeout() {
                prop_assert!(t > now, "a timer due at {:?} was left unfired", t - t0);
            }
        }
    }
}
