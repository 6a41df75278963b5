//! Experts' consoles: tickets, availability, offers.

use std::time::Duration;

use instant_share_core::RoutingError;
use instant_share_protocol::{
    ApiError, ErrorCode, ExpertProfile, Offer, QueueEntry, ServerMessage, MAX_CONSOLE_QUEUE,
};

use super::{frame, Conn, ExpertLive, Hub, Identity, Now};
use crate::secrets;
use crate::writer::{Effects, Outbound};

/// How long a console ticket may wait for its `hello`.
const TICKET_LIFETIME: Duration = Duration::from_secs(60);

impl Hub {
    /// A single-use ticket for the expert's console socket.
    pub fn issue_ticket(&mut self, now: Now, expert: ExpertProfile) -> String {
        let ticket = secrets::token();
        self.tickets.insert(
            secrets::hash(&ticket),
            (expert, now.instant + TICKET_LIFETIME),
        );
        ticket
    }

    /// Whether a token is a console ticket (not yet used, not expired).
    pub fn is_ticket(&self, now: Now, token: &str) -> bool {
        self.tickets
            .get(&secrets::hash(token))
            .is_some_and(|(_, exp)| *exp > now.instant)
    }

    /// Accepts a console socket with a ticket.
    pub fn join_console(
        &mut self,
        now: Now,
        ticket: &str,
        conn: Conn,
        fx: &mut Effects,
    ) -> Result<(Identity, Vec<Outbound>), ApiError> {
        let (profile, expires) = self.tickets.remove(&secrets::hash(ticket)).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "this console ticket is not valid",
            )
        })?;
        if expires <= now.instant {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "this console ticket has expired",
            ));
        }
        let id = profile.id.clone();
        self.dispatcher
            .upsert_expert(now.instant, &id, profile.skills.iter().cloned());
        let e = self
            .experts
            .entry(id.clone())
            .or_insert_with(|| ExpertLive {
                profile: profile.clone(),
                consoles: vec![],
                session_token: None,
            });
        e.profile = profile;
        e.consoles.push(conn);
        self.process(now, fx);
        let mut first = vec![frame(self.console_welcome(now, &id))];
        first.extend(self.rejoin_link(&id).map(frame));
        Ok((Identity::Console { expert: id }, first))
    }

    /// A console socket closed. With no console left, the expert goes away.
    pub fn leave_console(&mut self, now: Now, expert: &str, conn_id: u64, fx: &mut Effects) {
        let Some(e) = self.experts.get_mut(expert) else {
            return;
        };
        e.consoles.retain(|c| c.id != conn_id);
        if e.consoles.is_empty() {
            // The expert is known, so this cannot fail.
            let _ = self.dispatcher.set_available(now.instant, expert, false);
            self.process(now, fx);
        }
    }

    /// The expert becomes available or away.
    pub fn set_availability(
        &mut self,
        now: Now,
        expert: &str,
        available: bool,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        self.dispatcher
            .set_available(now.instant, expert, available)
            .map_err(|e| ApiError::new(ErrorCode::NotFound, e.to_string()))?;
        self.console_state(now, expert, fx);
        self.process(now, fx);
        Ok(())
    }

    /// The expert takes the offer.
    pub fn accept(
        &mut self,
        now: Now,
        expert: &str,
        session: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        self.dispatcher
            .accept(now.instant, expert, session)
            .map_err(|e| ApiError::new(ErrorCode::Conflict, e.to_string()))?;
        self.process(now, fx);
        Ok(())
    }

    /// The expert passes the offer on.
    pub fn decline(
        &mut self,
        now: Now,
        expert: &str,
        session: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        self.dispatcher
            .decline(now.instant, expert, session)
            .map_err(|e| ApiError::new(ErrorCode::Conflict, e.to_string()))?;
        self.process(now, fx);
        Ok(())
    }

    /// The expert takes a waiting request from the queue (with `skill_override`, also one
    /// outside their skills, which is recorded).
    pub fn take(
        &mut self,
        now: Now,
        expert: &str,
        session: &str,
        skill_override: bool,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        self.dispatcher
            .take(now.instant, expert, session, skill_override)
            .map_err(|e| match e {
                RoutingError::UnknownSession => {
                    ApiError::new(ErrorCode::NotFound, "that request is no longer waiting")
                }
                RoutingError::NotWaiting => {
                    ApiError::new(ErrorCode::Conflict, "another expert has taken that request")
                }
                RoutingError::ExpertBusy => ApiError::new(
                    ErrorCode::Conflict,
                    "you are in a session: end it before you take another request",
                ),
                RoutingError::SkillMismatch => ApiError::new(
                    ErrorCode::SkillMismatch,
                    "that request is about a topic outside your skills: take it anyway to \
                     override",
                ),
                other => ApiError::new(ErrorCode::Conflict, other.to_string()),
            })?;
        self.process(now, fx);
        Ok(())
    }

    /// Sends the expert's consoles their whole state.
    pub(super) fn console_state(&self, now: Now, expert: &str, fx: &mut Effects) {
        self.to_consoles(expert, self.console_welcome(now, expert), fx);
    }

    fn console_welcome(&self, now: Now, expert: &str) -> ServerMessage {
        let profile = self
            .experts
            .get(expert)
            .map(|e| e.profile.clone())
            .unwrap_or_else(|| ExpertProfile {
                id: expert.to_owned(),
                username: String::new(),
                display_name: String::new(),
                skills: vec![],
            });
        let offer = self
            .dispatcher
            .offer_of(expert)
            .and_then(|(session, expires_at)| {
                let entry = self.entry_of(session)?;
                Some(Offer {
                    entry,
                    expires_at: now.millis_at(expires_at),
                })
            });
        let (queue, queue_total) = self.queue_for(expert);
        ServerMessage::ConsoleWelcome {
            expert: profile,
            available: self.dispatcher.is_available(expert),
            queue,
            queue_total,
            offer,
            active_session: self.dispatcher.active_session_of(expert).cloned(),
        }
    }

    /// The consoles of an expert in a live session get its link again (after a reload).
    pub fn rejoin_link(&self, expert: &str) -> Option<ServerMessage> {
        let (session, token) = self.experts.get(expert)?.session_token.clone()?;
        Some(ServerMessage::Joined {
            site_url: self.site_url(&session),
            session_id: session,
            participant_token: token,
        })
    }

    /// The first waiting requests, and how many wait in all. Requests outside the expert's
    /// skills are listed too, marked so (they may be taken with an override).
    pub(super) fn queue_for(&self, expert: &str) -> (Vec<QueueEntry>, u32) {
        let Some(e) = self.experts.get(expert) else {
            return (vec![], 0);
        };
        let mut total = 0u32;
        let mut listed = Vec::new();
        for q in self.dispatcher.waiting() {
            total += 1;
            if listed.len() < MAX_CONSOLE_QUEUE {
                let skill_match = e.profile.skills.contains(&q.topic);
                listed.extend(self.queue_entry(q, skill_match));
            }
        }
        (listed, total)
    }
}
