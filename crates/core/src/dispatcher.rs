//! Routing of requests to experts, and the timers of requests and live sessions.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use instant_share_protocol::{EndReason, WithdrawReason};

use crate::wait::{DeskFigures, ExpertLoad};

/// A session's identifier, as the host names it.
pub type SessionKey = String;

/// An expert's identifier, as the host names it.
pub type ExpertId = String;

/// The timers of routing and of live sessions.
#[derive(Debug, Clone)]
pub struct RoutingConfig {
    /// How long an offer rings before it passes to the next expert.
    pub offer_timeout: Duration,
    /// How long a request may wait for an expert before it ends with
    /// [`EndReason::NoExpertAvailable`].
    pub queue_timeout: Duration,
    /// How long a request waits for a call back (see [`Dispatcher::call_back`]).
    pub call_back_timeout: Duration,
    /// How long an expert who let a request pass (declined, or let it ring out) is not offered
    /// it again. Others who can take it are offered it first in any case.
    pub reoffer_pause: Duration,
    /// How often the estimated waits are worked out again while requests wait: busy experts
    /// come nearer to the end of their sessions as time goes on.
    pub estimate_refresh: Duration,
    /// How long a live session may go without activity.
    pub idle_timeout: Duration,
    /// How long a live session may last.
    pub max_duration: Duration,
    /// How long a session is taken to last until the desk's own figures say otherwise.
    pub initial_handling: Duration,
    /// How long an expert is taken to answer a ring until the desk's own figures say otherwise.
    pub initial_answer: Duration,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            offer_timeout: Duration::from_secs(20),
            queue_timeout: Duration::from_secs(600),
            call_back_timeout: Duration::from_secs(8 * 60 * 60),
            reoffer_pause: Duration::from_secs(10),
            estimate_refresh: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30 * 60),
            max_duration: Duration::from_secs(4 * 60 * 60),
            initial_handling: Duration::from_secs(10 * 60),
            initial_answer: Duration::from_secs(15),
        }
    }
}

/// What the host must carry out, drained with [`Dispatcher::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Ring `expert`'s console with `session` until `expires_at`.
    Offered {
        /// The request.
        session: SessionKey,
        /// Who is offered it.
        expert: ExpertId,
        /// When the offer passes on unless accepted.
        expires_at: Instant,
    },
    /// Stop ringing.
    OfferWithdrawn {
        /// The request.
        session: SessionKey,
        /// Whose console rang.
        expert: ExpertId,
        /// Why.
        reason: WithdrawReason,
    },
    /// `expert` accepted, or took the request from the queue; the session is live.
    Activated {
        /// The session.
        session: SessionKey,
        /// The expert who joins it.
        expert: ExpertId,
        /// How the expert came to it.
        via: Pickup,
    },
    /// The session is over and forgotten by the dispatcher.
    Ended {
        /// The session.
        session: SessionKey,
        /// Why.
        reason: EndReason,
        /// The expert who was in it, now free again.
        expert: Option<ExpertId>,
        /// Experts who were brought in beside them, now free again too.
        assistants: Vec<ExpertId>,
    },
    /// The expert let an offer time out and was set away, so that nobody else waits on them.
    ExpertAway {
        /// The expert.
        expert: ExpertId,
    },
    /// Queue positions, estimated waits or the experts on duty changed for the waiting requests
    /// from arrival order `from` on (see [`QueuedRequest::order`]); the ones before it are as
    /// they were. Experts' consoles list the queue anew.
    QueueChanged {
        /// The first arrival order that may have changed.
        from: u64,
    },
    /// Time went by: the estimated waits of waiting requests may have changed (positions and
    /// the queue as consoles list it have not).
    EstimatesChanged,
}

/// How an expert came to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pickup {
    /// They accepted the offer that rang on their console.
    Offer,
    /// They took it from the queue themselves.
    Queue {
        /// The request's topic is not one of the expert's skills: they took it anyway, and the
        /// host records that.
        skill_override: bool,
    },
}

/// An input that does not fit the dispatcher's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// No request or live session has this key.
    #[error("no such session")]
    UnknownSession,
    /// No expert has this id.
    #[error("no such expert")]
    UnknownExpert,
    /// The expert has no offer for this session (it timed out, was withdrawn or never was).
    #[error("this offer is no longer open")]
    NoSuchOffer,
    /// The expert asked to take over or to join is away, ringing or in a session.
    #[error("that expert is not free to take the session")]
    ExpertBusy,
    /// The session has as many experts as it may.
    #[error("the session has as many experts as it may")]
    TooManyExperts,
    /// The session is not live (no expert in it yet, or over).
    #[error("the session is not live")]
    NotLive,
    /// The request does not wait any more: an expert has it already.
    #[error("an expert has taken this request already")]
    NotWaiting,
    /// The request's topic is not one of the expert's skills (and no override was asked for).
    #[error("this request is about a topic outside the expert's skills")]
    SkillMismatch,
    /// The session key is already in use.
    #[error("a session with this key exists already")]
    Duplicate,
}

/// A waiting request, as the queue lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedRequest {
    /// The request.
    pub session: SessionKey,
    /// Its topic.
    pub topic: String,
    /// When it was made.
    pub created_at: Instant,
    /// 1 = next to be offered; 0 = ringing on an expert's console now.
    pub position: u32,
    /// Estimated time until an expert accepts; `None` while nobody who could take it is on
    /// duty (available), since any figure would be made up.
    pub estimated_wait: Option<Duration>,
    /// Experts available now with the skill for it (in a session or not).
    pub experts_on_duty: u32,
    /// The expert being offered it, if any.
    pub offered_to: Option<ExpertId>,
    /// Arrival order: increases with every request.
    pub order: u64,
}

#[derive(Debug)]
struct Expert {
    skills: BTreeSet<String>,
    available: bool,
    idle_since: Instant,
    offer: Option<SessionKey>,
    session: Option<SessionKey>,
}

impl Expert {
    fn free(&self) -> bool {
        self.available && self.offer.is_none() && self.session.is_none()
    }
}

#[derive(Debug)]
enum RequestState {
    Queued,
    Offered {
        expert: ExpertId,
        /// When it started ringing.
        since: Instant,
        expires_at: Instant,
    },
    Active {
        expert: ExpertId,
        /// Experts brought in beside `expert`.
        assistants: BTreeSet<ExpertId>,
        started_at: Instant,
        last_activity: Instant,
    },
}

/// Experts that may be brought in beside the one in charge of a session.
pub const MAX_ASSISTANTS: usize = 2;

#[derive(Debug)]
struct Request {
    topic: String,
    created_at: Instant,
    /// When it ends with [`EndReason::NoExpertAvailable`] unless an expert takes it.
    deadline: Instant,
    order: u64,
    state: RequestState,
    /// Experts who let it pass, and until when they are not offered it again.
    paused: BTreeMap<ExpertId, Instant>,
    /// Experts who ever let it pass: offered it only when nobody else can take it.
    passed: BTreeSet<ExpertId>,
}

impl Request {
    /// Whether `expert` let this request pass less than the re-offer pause ago.
    fn pausing(&self, expert: &str, now: Instant) -> bool {
        self.paused.get(expert).is_some_and(|until| now < *until)
    }
}

/// The queue, the experts and every timer of routing. See the crate docs for how to drive it.
#[derive(Debug)]
pub struct Dispatcher {
    config: RoutingConfig,
    experts: BTreeMap<ExpertId, Expert>,
    requests: BTreeMap<SessionKey, Request>,
    /// Requests not yet live (queued or ringing), by arrival: the queue, in order.
    waiting: BTreeMap<u64, SessionKey>,
    /// Arrival orders of the waiting requests that ring on a console now.
    ringing: BTreeSet<u64>,
    next_order: u64,
    outputs: VecDeque<Output>,
    /// The lowest arrival order whose queue position or estimate may have changed.
    queue_changed: Option<u64>,
    /// The latest time an input brought.
    now: Option<Instant>,
    /// The time the estimates are worked out for. It moves only when the host is told that
    /// every estimate may have changed, so that none changes unheard.
    estimated_at: Option<Instant>,
    /// When the estimates are worked out again, while requests wait.
    next_refresh: Option<Instant>,
    figures: DeskFigures,
}

impl Dispatcher {
    /// A dispatcher with no experts and no requests.
    pub fn new(config: RoutingConfig) -> Self {
        let figures = DeskFigures::new(config.initial_handling, config.initial_answer);
        Self {
            config,
            experts: BTreeMap::new(),
            requests: BTreeMap::new(),
            waiting: BTreeMap::new(),
            ringing: BTreeSet::new(),
            next_order: 0,
            outputs: VecDeque::new(),
            queue_changed: None,
            now: None,
            estimated_at: None,
            next_refresh: None,
            figures,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &RoutingConfig {
        &self.config
    }

    /// The desk's figures, to seed them from the records at start.
    pub fn figures_mut(&mut self) -> &mut DeskFigures {
        &mut self.figures
    }

    fn tick(&mut self, now: Instant) {
        self.now = Some(self.now.map_or(now, |t| t.max(now)));
    }

    /// Makes an expert known, or updates their skills. A new expert starts away.
    pub fn upsert_expert(
        &mut self,
        now: Instant,
        expert: &str,
        skills: impl IntoIterator<Item = String>,
    ) {
        self.tick(now);
        let skills: BTreeSet<String> = skills.into_iter().collect();
        match self.experts.get_mut(expert) {
            Some(e) => {
                if e.skills != skills {
                    e.skills = skills;
                    self.mark_all();
                }
            }
            None => {
                self.experts.insert(
                    expert.to_owned(),
                    Expert {
                        skills,
                        available: false,
                        idle_since: now,
                        offer: None,
                        session: None,
                    },
                );
            }
        }
        self.dispatch(now);
    }

    /// Sets an expert available for offers, or away. Going away withdraws a ringing offer.
    pub fn set_available(
        &mut self,
        now: Instant,
        expert: &str,
        available: bool,
    ) -> Result<(), RoutingError> {
        self.tick(now);
        let e = self
            .experts
            .get_mut(expert)
            .ok_or(RoutingError::UnknownExpert)?;
        if e.available == available {
            return Ok(());
        }
        e.available = available;
        if available {
            e.idle_since = now;
        } else if let Some(session) = e.offer.clone() {
            self.withdraw(now, &session, WithdrawReason::ExpertUnavailable, false);
        }
        self.mark_all();
        self.dispatch(now);
        Ok(())
    }

    /// Whether the expert takes offers now.
    pub fn is_available(&self, expert: &str) -> bool {
        self.experts.get(expert).is_some_and(|e| e.available)
    }

    /// The session the expert is in, if any.
    pub fn active_session_of(&self, expert: &str) -> Option<&SessionKey> {
        self.experts.get(expert).and_then(|e| e.session.as_ref())
    }

    /// The offer ringing on the expert's console, with its expiry.
    pub fn offer_of(&self, expert: &str) -> Option<(&SessionKey, Instant)> {
        let session = self.experts.get(expert)?.offer.as_ref()?;
        match self.requests.get(session)?.state {
            RequestState::Offered { expires_at, .. } => Some((session, expires_at)),
            _ => None,
        }
    }

    /// A new request for `topic`, queued behind those before it.
    pub fn request(
        &mut self,
        now: Instant,
        session: &str,
        topic: &str,
    ) -> Result<(), RoutingError> {
        self.restore_request(now, session, topic, now)
    }

    /// Puts back a request that was waiting since `created_at` (after a host restart).
    pub fn restore_request(
        &mut self,
        now: Instant,
        session: &str,
        topic: &str,
        created_at: Instant,
    ) -> Result<(), RoutingError> {
        self.tick(now);
        if self.requests.contains_key(session) {
            return Err(RoutingError::Duplicate);
        }
        self.next_order += 1;
        self.waiting.insert(self.next_order, session.to_owned());
        self.requests.insert(
            session.to_owned(),
            Request {
                topic: topic.to_owned(),
                created_at,
                deadline: created_at + self.config.queue_timeout,
                order: self.next_order,
                state: RequestState::Queued,
                paused: BTreeMap::new(),
                passed: BTreeSet::new(),
            },
        );
        self.mark(self.next_order);
        self.dispatch(now);
        Ok(())
    }

    /// The requester would rather be called back than wait now: the request stays in the queue
    /// until [`RoutingConfig::call_back_timeout`] from now (never shorter than it was), and is
    /// offered like any other. Returns until when it waits.
    pub fn call_back(&mut self, now: Instant, session: &str) -> Result<Instant, RoutingError> {
        self.tick(now);
        let until = now + self.config.call_back_timeout;
        self.restore_call_back(session, until)
    }

    /// Puts back a request's call-back deadline (after a host restart).
    pub fn restore_call_back(
        &mut self,
        session: &str,
        until: Instant,
    ) -> Result<Instant, RoutingError> {
        let r = self
            .requests
            .get_mut(session)
            .ok_or(RoutingError::UnknownSession)?;
        if matches!(r.state, RequestState::Active { .. }) {
            return Err(RoutingError::NotWaiting);
        }
        r.deadline = r.deadline.max(until);
        Ok(r.deadline)
    }

    /// Puts back a live session (after a host restart). The expert becomes known if they
    /// were not, with no skills and away, until their console says more.
    pub fn restore_active(
        &mut self,
        now: Instant,
        session: &str,
        topic: &str,
        expert: &str,
    ) -> Result<(), RoutingError> {
        self.tick(now);
        if self.requests.contains_key(session) {
            return Err(RoutingError::Duplicate);
        }
        self.known_expert(now, expert).session = Some(session.to_owned());
        self.next_order += 1;
        self.requests.insert(
            session.to_owned(),
            Request {
                topic: topic.to_owned(),
                created_at: now,
                deadline: now + self.config.queue_timeout,
                order: self.next_order,
                state: RequestState::Active {
                    expert: expert.to_owned(),
                    assistants: BTreeSet::new(),
                    started_at: now,
                    last_activity: now,
                },
                paused: BTreeMap::new(),
                passed: BTreeSet::new(),
            },
        );
        Ok(())
    }

    /// The expert takes the offer ringing on their console.
    pub fn accept(
        &mut self,
        now: Instant,
        expert: &str,
        session: &str,
    ) -> Result<(), RoutingError> {
        self.tick(now);
        self.check_offer(expert, session)?;
        if let Some(RequestState::Offered { since, .. }) =
            self.requests.get(session).map(|r| &r.state)
        {
            let answered = now.saturating_duration_since(*since);
            self.figures.observe_answer(answered);
        }
        self.activate(now, expert, session, Pickup::Offer);
        self.schedule_refresh(now);
        Ok(())
    }

    /// The expert takes a waiting request from the queue themselves, whether it rings on
    /// another console, on theirs, or nowhere. The expert must not be in a session; a request
    /// ringing on their own console for something else goes back to the queue. A topic outside
    /// their skills needs `skill_override`, and is then reported as such in
    /// [`Output::Activated`].
    pub fn take(
        &mut self,
        now: Instant,
        expert: &str,
        session: &str,
        skill_override: bool,
    ) -> Result<Pickup, RoutingError> {
        self.tick(now);
        let e = self
            .experts
            .get(expert)
            .ok_or(RoutingError::UnknownExpert)?;
        let r = self
            .requests
            .get(session)
            .ok_or(RoutingError::UnknownSession)?;
        if matches!(r.state, RequestState::Active { .. }) {
            return Err(RoutingError::NotWaiting);
        }
        if e.session.is_some() {
            return Err(RoutingError::ExpertBusy);
        }
        let matched = e.skills.contains(&r.topic);
        if !matched && !skill_override {
            return Err(RoutingError::SkillMismatch);
        }
        if e.offer.as_deref() == Some(session) {
            self.accept(now, expert, session)?;
            return Ok(Pickup::Offer);
        }
        if let Some(other) = e.offer.clone() {
            self.withdraw(now, &other, WithdrawReason::ExpertUnavailable, false);
        }
        // Ringing on someone else's console: it stops ringing there.
        self.withdraw(now, session, WithdrawReason::Taken, false);
        let via = Pickup::Queue {
            skill_override: !matched,
        };
        self.activate(now, expert, session, via);
        // A request that rang on this expert's console may go to someone else.
        self.dispatch(now);
        Ok(via)
    }

    /// Makes a waiting request live with `expert`.
    fn activate(&mut self, now: Instant, expert: &str, session: &str, via: Pickup) {
        let Some(request) = self.requests.get_mut(session) else {
            return;
        };
        request.state = RequestState::Active {
            expert: expert.to_owned(),
            assistants: BTreeSet::new(),
            started_at: now,
            last_activity: now,
        };
        self.waiting.remove(&request.order);
        self.ringing.remove(&request.order);
        if let Some(e) = self.experts.get_mut(expert) {
            e.offer = None;
            e.session = Some(session.to_owned());
        }
        self.outputs.push_back(Output::Activated {
            session: session.to_owned(),
            expert: expert.to_owned(),
            via,
        });
        // An expert fewer is free and the queue moved up: every estimate may have changed.
        self.mark_all();
    }

    /// The expert passes the offer on. It goes to another expert who can take it; back to
    /// this one only after [`RoutingConfig::reoffer_pause`], and only when nobody else can.
    pub fn decline(
        &mut self,
        now: Instant,
        expert: &str,
        session: &str,
    ) -> Result<(), RoutingError> {
        self.tick(now);
        self.check_offer(expert, session)?;
        self.withdraw(now, session, WithdrawReason::Declined, true);
        self.dispatch(now);
        Ok(())
    }

    /// Ends a request or a live session for `reason` (cancel, end by either side).
    /// Returns the expert who was in it.
    pub fn end(
        &mut self,
        now: Instant,
        session: &str,
        reason: EndReason,
    ) -> Result<Option<ExpertId>, RoutingError> {
        self.tick(now);
        let request = self
            .requests
            .get(session)
            .ok_or(RoutingError::UnknownSession)?;
        let order = request.order;
        let (expert, assistants) = match &request.state {
            RequestState::Queued => (None, Vec::new()),
            RequestState::Offered { .. } => {
                // The expert was only rung; they were not in the session.
                self.withdraw(now, session, WithdrawReason::RequestEnded, false);
                (None, Vec::new())
            }
            RequestState::Active {
                expert,
                assistants,
                started_at,
                ..
            } => {
                // A session that ran out is not what a session usually takes.
                if matches!(
                    reason,
                    EndReason::EndedByExpert | EndReason::EndedByRequester
                ) {
                    let lasted = now.saturating_duration_since(*started_at);
                    self.figures.observe_handling(lasted);
                }
                let (expert, assistants) = (expert.clone(), Vec::from_iter(assistants.clone()));
                for id in std::iter::once(&expert).chain(&assistants) {
                    self.free(now, id);
                }
                // The experts are free again: the estimates of those waiting for them drop.
                self.mark_all();
                (Some(expert), assistants)
            }
        };
        if expert.is_none() {
            self.mark(order);
        }
        if let Some(r) = self.requests.remove(session) {
            self.waiting.remove(&r.order);
            self.ringing.remove(&r.order);
        }
        self.outputs.push_back(Output::Ended {
            session: session.to_owned(),
            reason,
            expert: expert.clone(),
            assistants,
        });
        self.dispatch(now);
        Ok(expert)
    }

    /// The live session's expert hands it over to `to`, who must be free (available, not
    /// ringing, not in a session) or already in this session beside them. The session keeps
    /// its start and restarts its idle timer; the first expert is free again. Returns the
    /// first expert.
    pub fn hand_over(
        &mut self,
        now: Instant,
        session: &str,
        to: &str,
    ) -> Result<ExpertId, RoutingError> {
        self.tick(now);
        let (from, beside) = self.lead_and_check(session, to)?;
        if let Some(Request {
            state:
                RequestState::Active {
                    expert,
                    assistants,
                    last_activity,
                    ..
                },
            ..
        }) = self.requests.get_mut(session)
        {
            *expert = to.to_owned();
            assistants.remove(to);
            *last_activity = now;
        }
        self.free(now, &from);
        if !beside {
            if let Some(e) = self.experts.get_mut(to) {
                e.session = Some(session.to_owned());
            }
        }
        self.mark_all();
        // The first expert may take the next request.
        self.dispatch(now);
        Ok(from)
    }

    /// The live session's expert brings in `to` beside them; `to` must be free. They are in
    /// the session (offered nothing else) until it ends or is handed to them, and at most
    /// [`MAX_ASSISTANTS`] are. Returns the expert in charge.
    pub fn bring_in(
        &mut self,
        now: Instant,
        session: &str,
        to: &str,
    ) -> Result<ExpertId, RoutingError> {
        self.tick(now);
        let (lead, beside) = self.lead_and_check(session, to)?;
        if beside {
            return Err(RoutingError::ExpertBusy);
        }
        if let Some(Request {
            state:
                RequestState::Active {
                    assistants,
                    last_activity,
                    ..
                },
            ..
        }) = self.requests.get_mut(session)
        {
            if assistants.len() >= MAX_ASSISTANTS {
                return Err(RoutingError::TooManyExperts);
            }
            assistants.insert(to.to_owned());
            *last_activity = now;
        }
        if let Some(e) = self.experts.get_mut(to) {
            e.session = Some(session.to_owned());
        }
        // One free expert fewer for those waiting.
        self.mark_all();
        Ok(lead)
    }

    /// An expert brought into `session` leaves it (the session goes on); they are free again
    /// and may be offered the next request.
    pub fn release_assistant(
        &mut self,
        now: Instant,
        session: &str,
        expert: &str,
    ) -> Result<(), RoutingError> {
        self.tick(now);
        if !self.assistants_mut(session)?.remove(expert) {
            return Err(RoutingError::UnknownExpert);
        }
        self.free(now, expert);
        self.mark_all();
        self.dispatch(now);
        Ok(())
    }

    /// Puts back an expert who was brought into a live session (after a host restart), like
    /// [`Dispatcher::restore_active`] does for the expert in charge.
    pub fn restore_assistant(
        &mut self,
        now: Instant,
        session: &str,
        expert: &str,
    ) -> Result<(), RoutingError> {
        self.tick(now);
        self.assistants_mut(session)?.insert(expert.to_owned());
        self.known_expert(now, expert).session = Some(session.to_owned());
        Ok(())
    }

    /// The experts brought into the live `session`.
    fn assistants_mut(&mut self, session: &str) -> Result<&mut BTreeSet<ExpertId>, RoutingError> {
        match self.requests.get_mut(session).map(|r| &mut r.state) {
            Some(RequestState::Active { assistants, .. }) => Ok(assistants),
            _ => Err(RoutingError::NotLive),
        }
    }

    /// Expert `id` is out of their session: free again, idle from `now`.
    fn free(&mut self, now: Instant, id: &str) {
        if let Some(e) = self.experts.get_mut(id) {
            e.session = None;
            e.idle_since = now;
        }
    }

    /// The expert `id`, made known (no skills, away) if they were not, until their console
    /// says more: a restarted host puts back sessions before consoles come back.
    fn known_expert(&mut self, now: Instant, id: &str) -> &mut Expert {
        self.experts.entry(id.to_owned()).or_insert_with(|| Expert {
            skills: BTreeSet::new(),
            available: false,
            idle_since: now,
            offer: None,
            session: None,
        })
    }

    /// The experts brought into `session` beside the one in charge.
    pub fn assistants_of(&self, session: &str) -> Vec<ExpertId> {
        match self.requests.get(session).map(|r| &r.state) {
            Some(RequestState::Active { assistants, .. }) => assistants.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The live session's expert in charge, and whether `to` is in it beside them already;
    /// an error unless `to` is another expert who is free or beside them.
    fn lead_and_check(&self, session: &str, to: &str) -> Result<(ExpertId, bool), RoutingError> {
        let (lead, beside) = match &self
            .requests
            .get(session)
            .ok_or(RoutingError::UnknownSession)?
            .state
        {
            RequestState::Active {
                expert, assistants, ..
            } => (expert.clone(), assistants.contains(to)),
            _ => return Err(RoutingError::NotLive),
        };
        let target = self.experts.get(to).ok_or(RoutingError::UnknownExpert)?;
        if to == lead || !(beside || target.free()) {
            return Err(RoutingError::ExpertBusy);
        }
        Ok((lead, beside))
    }

    /// Something happened in a live session (a message): restarts its idle timer.
    pub fn activity(&mut self, now: Instant, session: &str) {
        self.tick(now);
        if let Some(Request {
            state: RequestState::Active { last_activity, .. },
            ..
        }) = self.requests.get_mut(session)
        {
            *last_activity = now;
        }
    }

    /// The next instant at which [`Dispatcher::handle_timeout`] has work, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let now = self.now;
        let requests = self.requests.values().flat_map(|r| {
            let (a, b) = match &r.state {
                // The end of a pause matters while the request waits in the queue.
                RequestState::Queued => (
                    Some(r.deadline),
                    r.paused
                        .values()
                        .copied()
                        .filter(|t| now.is_none_or(|now| *t > now))
                        .min(),
                ),
                RequestState::Offered { expires_at, .. } => (Some(*expires_at), Some(r.deadline)),
                RequestState::Active {
                    started_at,
                    last_activity,
                    ..
                } => (
                    Some(*last_activity + self.config.idle_timeout),
                    Some(*started_at + self.config.max_duration),
                ),
            };
            [a, b]
        });
        requests.chain([self.next_refresh]).flatten().min()
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        let mut ended = Vec::new();
        let mut missed = Vec::new();
        for (key, r) in &mut self.requests {
            r.paused.retain(|_, until| *until > now);
            match &r.state {
                RequestState::Queued | RequestState::Offered { .. } if now >= r.deadline => {
                    ended.push((key.clone(), EndReason::NoExpertAvailable));
                }
                RequestState::Offered {
                    expert, expires_at, ..
                } if now >= *expires_at => {
                    missed.push((key.clone(), expert.clone()));
                }
                RequestState::Active { started_at, .. }
                    if now >= *started_at + self.config.max_duration =>
                {
                    ended.push((key.clone(), EndReason::MaxDuration));
                }
                RequestState::Active { last_activity, .. }
                    if now >= *last_activity + self.config.idle_timeout =>
                {
                    ended.push((key.clone(), EndReason::IdleTimeout));
                }
                _ => {}
            }
        }
        for (session, expert) in missed {
            self.withdraw(now, &session, WithdrawReason::Timeout, true);
            if let Some(e) = self.experts.get_mut(&expert) {
                e.available = false;
                self.outputs.push_back(Output::ExpertAway { expert });
                self.mark_all();
            }
        }
        for (session, reason) in ended {
            // Cannot fail: the key was just read from the map.
            let _ = self.end(now, &session, reason);
        }
        if self.next_refresh.is_some_and(|t| now >= t) {
            self.next_refresh = Some(now + self.config.estimate_refresh);
            self.estimated_at = Some(now);
            self.outputs.push_back(Output::EstimatesChanged);
        }
        self.dispatch(now);
    }

    /// The next thing for the host to carry out.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(o) = self.outputs.pop_front() {
            return Some(o);
        }
        if let Some(from) = self.queue_changed.take() {
            return Some(Output::QueueChanged { from });
        }
        None
    }

    /// Every waiting request (queued or ringing), oldest first, computed as it is read.
    pub fn waiting(&self) -> impl Iterator<Item = QueuedRequest> + '_ {
        self.waiting_from(0)
    }

    /// The waiting requests from arrival order `from` on, with their positions in the whole
    /// queue and their estimates.
    pub fn waiting_from(&self, from: u64) -> impl Iterator<Item = QueuedRequest> + '_ {
        let mut desk = Desk::new(self, self.estimated_at.or(self.now));
        // The requests before `from` matter to the estimates only while someone is on duty:
        // otherwise only their number is needed, counted from the end, so that a long queue
        // nobody serves does not cost a full reading for every request added to it.
        let start = if self.experts.values().any(|e| e.available) {
            0
        } else {
            from
        };
        let at_or_after = self.waiting.range(start..).count();
        let ringing_before = self.ringing.range(..start).count();
        let mut position = (self.waiting.len() - at_or_after - ringing_before) as u32;
        self.waiting
            .range(start..)
            .map(|(_, key)| key)
            .filter_map(|key| Some((key, self.requests.get(key)?)))
            .filter_map(move |(key, r)| {
                let offered_to = match &r.state {
                    RequestState::Offered { expert, .. } => Some(expert.clone()),
                    _ => None,
                };
                let ringing = offered_to.is_some();
                let (pos, estimated_wait) = if ringing {
                    (0, Some(Duration::ZERO))
                } else {
                    position += 1;
                    (position, desk.estimate(&r.topic))
                };
                let experts_on_duty = desk.on_duty(&r.topic);
                if !ringing {
                    desk.queued(&r.topic);
                }
                (r.order >= from).then(|| QueuedRequest {
                    session: key.clone(),
                    topic: r.topic.clone(),
                    created_at: r.created_at,
                    position: pos,
                    estimated_wait,
                    experts_on_duty,
                    offered_to,
                    order: r.order,
                })
            })
    }

    /// What a new request about `topic` would meet at `now`: the experts on duty for it, and
    /// its estimated wait behind every request queued (`None`: nobody on duty).
    pub fn outlook(&self, now: Instant, topic: &str) -> (u32, Option<Duration>) {
        let mut desk = Desk::new(self, Some(now));
        for r in self.waiting.values().filter_map(|k| self.requests.get(k)) {
            if matches!(r.state, RequestState::Queued) {
                desk.queued(&r.topic);
            }
        }
        (desk.on_duty(topic), desk.estimate(topic))
    }

    /// Every waiting request (queued or ringing), oldest first.
    pub fn queue(&self) -> Vec<QueuedRequest> {
        self.waiting().collect()
    }

    /// Where one waiting request stands, if it waits.
    pub fn waiting_entry(&self, session: &str) -> Option<QueuedRequest> {
        let order = self.requests.get(session)?.order;
        self.waiting_from(order)
            .next()
            .filter(|q| q.session == session)
    }

    /// How many requests wait (queued or ringing).
    pub fn waiting_len(&self) -> usize {
        self.waiting.len()
    }

    /// The expert in a live session, if it is live.
    pub fn expert_of(&self, session: &str) -> Option<&ExpertId> {
        match &self.requests.get(session)?.state {
            RequestState::Active { expert, .. } => Some(expert),
            _ => None,
        }
    }

    fn mark(&mut self, order: u64) {
        self.queue_changed = Some(self.queue_changed.map_or(order, |o| o.min(order)));
    }

    fn mark_all(&mut self) {
        self.queue_changed = Some(0);
    }

    /// Works the estimates out again after [`RoutingConfig::estimate_refresh`] while any
    /// request waits in the queue; no timer otherwise.
    fn schedule_refresh(&mut self, now: Instant) {
        let queued = self
            .requests
            .values()
            .any(|r| matches!(r.state, RequestState::Queued));
        if !queued {
            self.next_refresh = None;
        } else if self.next_refresh.is_none() {
            // Requests wait again after a time when none did: their estimates start from now.
            self.next_refresh = Some(now + self.config.estimate_refresh);
            if self.estimated_at != Some(now) {
                self.estimated_at = Some(now);
                self.mark_all();
            }
        }
    }

    fn check_offer(&self, expert: &str, session: &str) -> Result<(), RoutingError> {
        let e = self
            .experts
            .get(expert)
            .ok_or(RoutingError::UnknownExpert)?;
        if e.offer.as_deref() == Some(session) {
            Ok(())
        } else {
            Err(RoutingError::NoSuchOffer)
        }
    }

    /// Takes back the ringing offer of `session`, if it rings. With `pass`, its expert let it
    /// pass: they are offered it again only after the re-offer pause, and after everyone else.
    fn withdraw(&mut self, now: Instant, session: &str, reason: WithdrawReason, pass: bool) {
        let until = now + self.config.reoffer_pause;
        let Some(request) = self.requests.get_mut(session) else {
            return;
        };
        if !matches!(request.state, RequestState::Offered { .. }) {
            return;
        }
        let RequestState::Offered { expert, .. } =
            std::mem::replace(&mut request.state, RequestState::Queued)
        else {
            return;
        };
        if pass {
            request.passed.insert(expert.clone());
            request.paused.insert(expert.clone(), until);
        }
        let order = request.order;
        self.ringing.remove(&order);
        if let Some(e) = self.experts.get_mut(&expert) {
            e.offer = None;
        }
        self.outputs.push_back(Output::OfferWithdrawn {
            session: session.to_owned(),
            expert,
            reason,
        });
        // Back in the queue: the positions from it on move. (A ringing expert counts as free in
        // the estimates, so the others' estimates do not.)
        self.mark(order);
    }

    /// Offers queued requests, oldest first, each to the expert with the skill who has not
    /// let it pass (else the one who let it pass longest ago, once their pause is over), the
    /// longest idle first.
    fn dispatch(&mut self, now: Instant) {
        self.tick(now);
        if self.experts.values().any(Expert::free) {
            self.offer_queued(now);
        }
        self.schedule_refresh(now);
    }

    fn offer_queued(&mut self, now: Instant) {
        let queued: Vec<SessionKey> = self
            .waiting
            .values()
            .filter(|k| {
                self.requests
                    .get(*k)
                    .is_some_and(|r| matches!(r.state, RequestState::Queued))
            })
            .cloned()
            .collect();
        for session in queued {
            let request = &self.requests[&session];
            let order = request.order;
            let best = self
                .experts
                .iter()
                .filter(|(id, e)| {
                    e.free() && e.skills.contains(&request.topic) && !request.pausing(id, now)
                })
                .min_by_key(|(id, e)| (request.passed.contains(*id), e.idle_since, (*id).clone()))
                .map(|(id, _)| id.clone());
            let Some(expert) = best else { continue };
            let expires_at = now + self.config.offer_timeout;
            if let Some(r) = self.requests.get_mut(&session) {
                self.ringing.insert(r.order);
                r.state = RequestState::Offered {
                    expert: expert.clone(),
                    since: now,
                    expires_at,
                };
            }
            if let Some(e) = self.experts.get_mut(&expert) {
                e.offer = Some(session.clone());
            }
            self.outputs.push_back(Output::Offered {
                session,
                expert,
                expires_at,
            });
            // Ringing now: the positions from it on move (not the estimates, as above).
            self.mark(order);
            if !self.experts.values().any(Expert::free) {
                return;
            }
        }
    }
}

/// The desk as the estimates see it, built once per reading of the queue: who is on duty for
/// each topic and when each is free (worked out once per topic), which topics share experts,
/// and the requests counted so far in queue order.
struct Desk<'a> {
    dispatcher: &'a Dispatcher,
    /// The time the estimates are for (none before the first input).
    now: Option<Instant>,
    /// Per topic: the available experts with the skill, and when they are free, soonest first.
    pools: BTreeMap<String, Pool<'a>>,
    /// Whether two topics (in order) have an expert on duty in common.
    shared: BTreeMap<(String, String), bool>,
    /// Queued requests counted so far, by topic.
    ahead: BTreeMap<String, usize>,
}

struct Pool<'a> {
    experts: BTreeSet<&'a str>,
    free_at: Vec<Duration>,
}

impl<'a> Desk<'a> {
    fn new(dispatcher: &'a Dispatcher, now: Option<Instant>) -> Self {
        Self {
            dispatcher,
            now,
            pools: BTreeMap::new(),
            shared: BTreeMap::new(),
            ahead: BTreeMap::new(),
        }
    }

    fn pool(&mut self, topic: &str) -> &Pool<'a> {
        let (d, now) = (self.dispatcher, self.now);
        self.pools.entry(topic.to_owned()).or_insert_with(|| {
            let on_duty: Vec<(&'a str, ExpertLoad)> = d
                .experts
                .iter()
                .filter(|(_, e)| e.available && e.skills.contains(topic))
                .map(|(id, e)| (id.as_str(), d.load(e)))
                .collect();
            Pool {
                experts: on_duty.iter().map(|(id, _)| *id).collect(),
                free_at: now.map_or_else(Vec::new, |now| {
                    d.figures
                        .free_at(now, on_duty.iter().map(|(_, load)| *load))
                }),
            }
        })
    }

    fn on_duty(&mut self, topic: &str) -> u32 {
        self.pool(topic).experts.len() as u32
    }

    /// Whether the experts on duty for `a` and for `b` have one in common.
    fn shares(&mut self, a: &str, b: &str) -> bool {
        if a == b {
            return true;
        }
        let key = (a.to_owned(), b.to_owned());
        if let Some(known) = self.shared.get(&key) {
            return *known;
        }
        self.pool(a);
        self.pool(b);
        let shared = !self.pools[a].experts.is_disjoint(&self.pools[b].experts);
        self.shared.insert(key, shared);
        shared
    }

    /// One more queued request about `topic`, ahead of those read after it.
    fn queued(&mut self, topic: &str) {
        *self.ahead.entry(topic.to_owned()).or_default() += 1;
    }

    /// The estimate for the next request about `topic`: the queued requests ahead of it that
    /// the same experts could take come first.
    fn estimate(&mut self, topic: &str) -> Option<Duration> {
        self.now?;
        if self.pool(topic).experts.is_empty() {
            return None;
        }
        let counted: Vec<(String, usize)> =
            self.ahead.iter().map(|(t, n)| (t.clone(), *n)).collect();
        let ahead = counted
            .into_iter()
            .filter(|(other, _)| self.shares(topic, other))
            .map(|(_, n)| n)
            .sum();
        self.dispatcher
            .figures
            .wait_behind(&self.pools[topic].free_at, ahead)
    }
}

impl Dispatcher {
    /// When an available expert is free for the next request.
    fn load(&self, e: &Expert) -> ExpertLoad {
        if let Some(session) = &e.session {
            if let Some(RequestState::Active { started_at, .. }) =
                self.requests.get(session).map(|r| &r.state)
            {
                return ExpertLoad::InSessionSince(*started_at);
            }
        }
        if e.offer.is_some() {
            ExpertLoad::Ringing
        } else {
            ExpertLoad::Free
        }
    }
}
