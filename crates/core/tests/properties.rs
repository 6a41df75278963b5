//! Property tests: any sequence of inputs keeps the dispatcher's invariants.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use instant_share_core::{Dispatcher, Output, RoutingConfig};
use instant_share_protocol::EndReason;
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
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..2usize).prop_map(Step::Request),
        (0..3usize, any::<bool>()).prop_map(|(e, a)| Step::Available(e, a)),
        (0..3usize).prop_map(Step::Accept),
        (0..3usize).prop_map(Step::Decline),
        (0..8usize).prop_map(Step::Cancel),
        (0..3usize).prop_map(Step::EndLive),
        (1..40u64).prop_map(Step::Wait),
    ]
}

/// What the host would know, rebuilt only from the outputs.
#[derive(Default)]
struct Observer {
    ringing: BTreeMap<String, String>,
    live: BTreeMap<String, String>,
    ended: BTreeSet<String>,
}

impl Observer {
    fn apply(&mut self, o: &Output) {
        match o {
            Output::Offered {
                session, expert, ..
            } => {
                assert!(!self.ended.contains(session), "offered an ended session");
                assert!(
                    self.ringing.values().all(|e| e != expert),
                    "{expert} rung twice"
                );
                assert!(
                    self.live.values().all(|e| e != expert),
                    "{expert} rung while busy"
                );
                assert!(self
                    .ringing
                    .insert(session.clone(), expert.clone())
                    .is_none());
            }
            Output::OfferWithdrawn {
                session, expert, ..
            } => {
                assert_eq!(self.ringing.remove(session).as_ref(), Some(expert));
            }
            Output::Activated { session, expert } => {
                assert_eq!(self.ringing.remove(session).as_ref(), Some(expert));
                self.live.insert(session.clone(), expert.clone());
            }
            Output::Ended {
                session, expert, ..
            } => {
                assert!(
                    !self.ringing.contains_key(session),
                    "ended while still ringing"
                );
                assert_eq!(self.live.remove(session), *expert);
                assert!(self.ended.insert(session.clone()), "ended twice");
            }
            Output::ExpertAway { .. } | Output::QueueChanged { .. } => {}
        }
    }
}

/// Drains the outputs as a host would: the observer sees every one, and `known` is updated
/// only from the part of the queue each `QueueChanged` names.
fn drain(d: &mut Dispatcher, obs: &mut Observer, known: &mut BTreeMap<String, (u32, Duration)>) {
    while let Some(o) = d.poll_output() {
        if let Output::QueueChanged { from } = o {
            for q in d.waiting_from(from) {
                known.insert(q.session, (q.position, q.estimated_wait));
            }
        }
        obs.apply(&o);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn outputs_tell_a_consistent_story(steps in prop::collection::vec(step(), 1..80)) {
        let cfg = RoutingConfig {
            offer_timeout: Duration::from_secs(20),
            queue_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(300),
            max_duration: Duration::from_secs(600),
            initial_wait_estimate: Duration::from_secs(60),
        };
        let t0 = Instant::now();
        let mut now = t0;
        let mut d = Dispatcher::new(cfg.clone());
        let mut obs = Observer::default();
        // What a host knows of positions and estimates if it reads only what changed.
        let mut known: BTreeMap<String, (u32, Duration)> = BTreeMap::new();
        let mut created: BTreeMap<String, Instant> = BTreeMap::new();
        for (i, e) in EXPERTS.iter().enumerate() {
            // e0 knows email, e1 network, e2 both.
            let skills: Vec<String> = match i { 0 => vec!["email".into()], 1 => vec!["network".into()], _ => TOPICS.iter().map(|t| t.to_string()).collect() };
            d.upsert_expert(now, e, skills);
        }
        let mut n = 0;
        for s in steps {
            match s {
                Step::Request(t) => {
                    n += 1;
                    let key = format!("s{n}");
                    d.request(now, &key, TOPICS[t]).unwrap();
                    created.insert(key, now);
                }
                Step::Available(e, a) => d.set_available(now, EXPERTS[e], a).unwrap(),
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
                Step::Wait(secs) => {
                    let until = now + Duration::from_secs(secs);
                    while let Some(t) = d.poll_timeout().filter(|t| *t <= until) {
                        now = t.max(now);
                        d.handle_timeout(now);
                        drain(&mut d, &mut obs, &mut known);
                    }
                    now = until;
                }
            }
            drain(&mut d, &mut obs, &mut known);

            // Invariants after every step.
            let q = d.queue();
            for r in &q {
                prop_assert_eq!(known.get(&r.session), Some(&(r.position, r.estimated_wait)), "reading only the changed part of the queue missed a change");
            }
            let mut expected_pos = 0;
            for r in &q {
                prop_assert!(!obs.ended.contains(&r.session));
                prop_assert!(now < created[&r.session] + cfg.queue_timeout, "a request outlived the queue timeout");
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
            }
            if let Some(t) = d.poll_timeout() {
                prop_assert!(t > now, "a timer due at {:?} was left unfired", t - t0);
            }
        }
    }
}
