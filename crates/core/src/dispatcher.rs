//! Routing of requests to experts, and the timers of requests and live sessions.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use instant_share_protocol::{EndReason, WithdrawReason};

use crate::WaitEstimator;

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
    /// How long a live session may go without activity.
    pub idle_timeout: Duration,
    /// How long a live session may last.
    pub max_duration: Duration,
    /// Estimated wait per queue position before any request has been accepted.
    pub initial_wait_estimate: Duration,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            offer_timeout: Duration::from_secs(20),
            queue_timeout: Duration::from_secs(600),
            idle_timeout: Duration::from_secs(30 * 60),
            max_duration: Duration::from_secs(4 * 60 * 60),
            initial_wait_estimate: Duration::from_secs(60),
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
    /// `expert` accepted; the session is live.
    Activated {
        /// The session.
        session: SessionKey,
        /// The expert who joins it.
        expert: ExpertId,
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
    /// Queue positions or estimated waits changed for the waiting requests from arrival order
    /// `from` on (see [`QueuedRequest::order`]); the ones before it are as they were.
    QueueChanged {
        /// The first arrival order that may have changed.
        from: u64,
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
    /// Estimated time until an expert accepts.
    pub estimated_wait: Duration,
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
    order: u64,
    state: RequestState,
    passed_by: BTreeSet<ExpertId>,
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
    wait: WaitEstimator,
}

impl Dispatcher {
    /// A dispatcher with no experts and no requests.
    pub fn new(config: RoutingConfig) -> Self {
        let wait = WaitEstimator::new(config.initial_wait_estimate);
        Self {
            config,
            experts: BTreeMap::new(),
            requests: BTreeMap::new(),
            waiting: BTreeMap::new(),
            ringing: BTreeSet::new(),
            next_order: 0,
            outputs: VecDeque::new(),
            queue_changed: None,
            wait,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &RoutingConfig {
        &self.config
    }

    /// Makes an expert known, or updates their skills. A new expert starts away.
    pub fn upsert_expert(
        &mut self,
        now: Instant,
        expert: &str,
        skills: impl IntoIterator<Item = String>,
    ) {
        let skills: BTreeSet<String> = skills.into_iter().collect();
        match self.experts.get_mut(expert) {
            Some(e) => e.skills = skills,
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
            self.withdraw(&session, WithdrawReason::ExpertUnavailable, false);
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
                order: self.next_order,
                state: RequestState::Queued,
                passed_by: BTreeSet::new(),
            },
        );
        self.mark(self.next_order);
        self.dispatch(now);
        Ok(())
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
                order: self.next_order,
                state: RequestState::Active {
                    expert: expert.to_owned(),
                    assistants: BTreeSet::new(),
                    started_at: now,
                    last_activity: now,
                },
                passed_by: BTreeSet::new(),
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
        self.check_offer(expert, session)?;
        let request = self
            .requests
            .get_mut(session)
            .ok_or(RoutingError::UnknownSession)?;
        request.state = RequestState::Active {
            expert: expert.to_owned(),
            assistants: BTreeSet::new(),
            started_at: now,
            last_activity: now,
        };
        let waited = now.saturating_duration_since(request.created_at);
        self.waiting.remove(&request.order);
        self.ringing.remove(&request.order);
        let e = self
            .experts
            .get_mut(expert)
            .ok_or(RoutingError::UnknownExpert)?;
        e.offer = None;
        e.session = Some(session.to_owned());
        self.wait.observe(waited);
        self.outputs.push_back(Output::Activated {
            session: session.to_owned(),
            expert: expert.to_owned(),
        });
        // The estimate per position moved, so every estimate may have.
        self.mark_all();
        Ok(())
    }

    /// The expert passes the offer on; it goes to the next expert and never back to them.
    pub fn decline(
        &mut self,
        now: Instant,
        expert: &str,
        session: &str,
    ) -> Result<(), RoutingError> {
        self.check_offer(expert, session)?;
        self.withdraw(session, WithdrawReason::Declined, true);
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
        let request = self
            .requests
            .get(session)
            .ok_or(RoutingError::UnknownSession)?;
        let order = request.order;
        let (expert, assistants) = match &request.state {
            RequestState::Queued => (None, Vec::new()),
            RequestState::Offered { .. } => {
                // The expert was only rung; they were not in the session.
                self.withdraw(session, WithdrawReason::RequestEnded, false);
                (None, Vec::new())
            }
            RequestState::Active {
                expert, assistants, ..
            } => {
                let (expert, assistants) = (expert.clone(), Vec::from_iter(assistants.clone()));
                for id in std::iter::once(&expert).chain(&assistants) {
                    self.free(now, id);
                }
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
        if !self.assistants_mut(session)?.remove(expert) {
            return Err(RoutingError::UnknownExpert);
        }
        self.free(now, expert);
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
        self.requests
            .values()
            .flat_map(|r| match &r.state {
                RequestState::Queued => [Some(r.created_at + self.config.queue_timeout), None],
                RequestState::Offered { expires_at, .. } => [
                    Some(*expires_at),
                    Some(r.created_at + self.config.queue_timeout),
                ],
                RequestState::Active {
                    started_at,
                    last_activity,
                    ..
                } => [
                    Some(*last_activity + self.config.idle_timeout),
                    Some(*started_at + self.config.max_duration),
                ],
            })
            .flatten()
            .min()
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut ended = Vec::new();
        let mut missed = Vec::new();
        for (key, r) in &self.requests {
            match &r.state {
                RequestState::Queued | RequestState::Offered { .. }
                    if now >= r.created_at + self.config.queue_timeout =>
                {
                    ended.push((key.clone(), EndReason::NoExpertAvailable));
                }
                RequestState::Offered { expert, expires_at } if now >= *expires_at => {
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
            self.withdraw(&session, WithdrawReason::Timeout, true);
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
    /// queue. Only the ones returned are cloned.
    pub fn waiting_from(&self, from: u64) -> impl Iterator<Item = QueuedRequest> + '_ {
        // Queued requests before `from` count towards the positions of later ones.
        // Counted from the end, so that the usual case (a new request at the end) costs little.
        let at_or_after = self.waiting.range(from..).count();
        let ringing_before = self.ringing.range(..from).count();
        let before = (self.waiting.len() - at_or_after - ringing_before) as u32;
        let mut position = before;
        let mut experts_for: BTreeMap<&str, usize> = BTreeMap::new();
        self.waiting
            .range(from..)
            .filter_map(|(_, key)| Some((key, self.requests.get(key)?)))
            .map(move |(key, r)| {
                let offered_to = match &r.state {
                    RequestState::Offered { expert, .. } => Some(expert.clone()),
                    _ => None,
                };
                let (pos, estimated_wait) = if offered_to.is_some() {
                    (0, Duration::ZERO)
                } else {
                    position += 1;
                    let experts = *experts_for
                        .entry(r.topic.as_str())
                        .or_insert_with(|| self.experts_for(&r.topic));
                    (position, self.wait.estimate(position, experts))
                };
                QueuedRequest {
                    session: key.clone(),
                    topic: r.topic.clone(),
                    created_at: r.created_at,
                    position: pos,
                    estimated_wait,
                    offered_to,
                    order: r.order,
                }
            })
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

    fn experts_for(&self, topic: &str) -> usize {
        self.experts
            .values()
            .filter(|e| e.available && e.skills.contains(topic))
            .count()
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

    /// Takes back the ringing offer of `session`. With `pass`, its expert is never offered
    /// this request again.
    fn withdraw(&mut self, session: &str, reason: WithdrawReason, pass: bool) {
        let Some(request) = self.requests.get_mut(session) else {
            return;
        };
        let RequestState::Offered { expert, .. } =
            std::mem::replace(&mut request.state, RequestState::Queued)
        else {
            return;
        };
        if pass {
            request.passed_by.insert(expert.clone());
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
        self.mark(order);
    }

    /// Offers queued requests, oldest first, each to the longest-idle free expert with the skill.
    fn dispatch(&mut self, now: Instant) {
        if !self.experts.values().any(Expert::free) {
            return;
        }
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
                    e.free()
                        && e.skills.contains(&request.topic)
                        && !request.passed_by.contains(*id)
                })
                .min_by_key(|(id, e)| (e.idle_since, (*id).clone()))
                .map(|(id, _)| id.clone());
            let Some(expert) = best else { continue };
            let expires_at = now + self.config.offer_timeout;
            if let Some(r) = self.requests.get_mut(&session) {
                self.ringing.insert(r.order);
                r.state = RequestState::Offered {
                    expert: expert.clone(),
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
            self.mark(order);
            if !self.experts.values().any(Expert::free) {
                return;
            }
        }
    }
}
