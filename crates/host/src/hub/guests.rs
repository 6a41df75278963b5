//! Bringing people in: guests by link, a colleague beside the expert in charge, and another
//! expert the session is handed over to.

use instant_share_protocol::{
    ApiError, ErrorCode, GuestInvite, GuestInviteRequest, Role, ServerMessage, SessionStatus,
    MAX_PARTICIPANTS,
};

use super::session::Joining;
use super::{Hub, Now};
use crate::secrets;
use crate::store::SecretHash;
use crate::store::Write;
use crate::writer::{Effects, Outbound};

impl Hub {
    /// The session's expert (`participant_id`) hands it over to the expert `to_username`, who
    /// must be free or already in the session beside them: they join (their consoles get the
    /// link) unless they are in, the board and the chat stay as they are, and the first expert
    /// leaves (their token stops working, their sockets close, their consoles are free for the
    /// next request).
    pub fn hand_over(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        to_username: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let (from, from_token_hash) = self.lead_of(
            session_id,
            participant_id,
            "only the expert in charge can hand the session over",
        )?;
        let (to, name) = self.expert_by_username(to_username)?;
        if to == from {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "you are in charge of the session already",
            ));
        }
        let beside = self.participant_of_expert(session_id, &to);
        self.dispatcher
            .hand_over(now.instant, session_id, &to)
            .map_err(|e| routing_refusal(e, &name))?;
        let to_participant = match beside {
            Some(p) => p,
            None => {
                let (token, _, p) =
                    self.add_participant(now, session_id, Joining::Expert(&to), &name, fx);
                self.send_joined(session_id, &to, token, fx);
                p
            }
        };
        self.event(
            now,
            session_id,
            ServerMessage::HandedOver {
                from: participant_id.to_owned(),
                to: to_participant,
            },
            fx,
        );
        // The record names the expert in charge (a restarted host gives the session to them).
        if let Some(s) = self.sessions.get_mut(session_id) {
            s.record.expert_id = Some(to.clone());
        }
        fx.writes.push(Write::Transition {
            session_id: session_id.to_owned(),
            status: SessionStatus::Active,
            detail: Some(format!("handed over by {from} to {to}")),
            at: now.millis,
            expert_id: Some(to.clone()),
            end_reason: None,
        });
        // The first expert is out: token gone, sockets closed after the event.
        self.tokens.remove(&from_token_hash);
        if let Some(s) = self.sessions.get(session_id) {
            for c in s
                .participants
                .iter()
                .filter(|p| p.record.id == participant_id)
                .flat_map(|p| &p.conns)
            {
                fx.out.push((c.tx.clone(), Outbound::Close));
            }
        }
        if let Some(e) = self.experts.get_mut(&from) {
            e.session_token = None;
        }
        self.console_state(now, &from, fx);
        self.process(now, fx);
        tracing::info!(session = session_id, from, to, "session handed over");
        Ok(())
    }

    /// The session's expert (`participant_id`) brings in the expert `username` beside them,
    /// who must be free: they join as a second expert (their consoles get the link) and are
    /// offered nothing else until the session ends or is handed to them.
    pub fn bring_in(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        username: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let (lead, _) = self.lead_of(
            session_id,
            participant_id,
            "only the expert in charge can bring in a colleague",
        )?;
        let (to, name) = self.expert_by_username(username)?;
        if to == lead || self.dispatcher.assistants_of(session_id).contains(&to) {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("{name} is in the session already"),
            ));
        }
        self.ensure_room(session_id)?;
        self.dispatcher
            .bring_in(now.instant, session_id, &to)
            .map_err(|e| routing_refusal(e, &name))?;
        let (token, _, participant) =
            self.add_participant(now, session_id, Joining::Expert(&to), &name, fx);
        self.send_joined(session_id, &to, token, fx);
        self.process(now, fx);
        tracing::info!(
            session = session_id,
            lead,
            expert = to,
            participant,
            "expert brought in"
        );
        Ok(())
    }

    /// The expert in charge of `session_id` and their participant's token hash, if
    /// `participant_id` is their participant (also after a restart); else `refusal`
    /// (forbidden), or a conflict when the session is not live.
    fn lead_of(
        &self,
        session_id: &str,
        participant_id: &str,
        refusal: &str,
    ) -> Result<(String, SecretHash), ApiError> {
        match self.sessions.get(session_id).map(|s| s.record.status) {
            None => return Err(ApiError::new(ErrorCode::NotFound, "no such session")),
            Some(SessionStatus::Ended) => {
                return Err(ApiError::new(
                    ErrorCode::SessionEnded,
                    "the session has ended",
                ))
            }
            Some(_) => {}
        }
        let lead = self
            .dispatcher
            .expert_of(session_id)
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "the session is not live"))?;
        let record = self
            .sessions
            .get(session_id)
            .and_then(|s| {
                s.participants
                    .iter()
                    .find(|p| p.record.id == participant_id)
            })
            .map(|p| &p.record)
            .filter(|r| r.role == Role::Expert)
            .ok_or_else(|| ApiError::new(ErrorCode::Forbidden, refusal))?;
        let theirs = match &record.expert_id {
            Some(expert) => *expert == lead,
            // Recorded before participants named their expert: the link the console holds.
            None => self
                .experts
                .get(&lead)
                .and_then(|e| e.session_token.as_ref())
                .is_some_and(|(s, t)| s == session_id && secrets::hash(t) == record.token_hash),
        };
        if !theirs {
            return Err(ApiError::new(ErrorCode::Forbidden, refusal));
        }
        Ok((lead, record.token_hash))
    }

    /// The expert with this user name: their id and the name they are shown with.
    fn expert_by_username(&self, username: &str) -> Result<(String, String), ApiError> {
        self.experts
            .iter()
            .find(|(_, e)| e.profile.username == username.trim())
            .map(|(id, e)| (id.clone(), e.profile.display_name.clone()))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    "no expert with that user name has a console open",
                )
            })
    }

    /// The participant of `session_id` who is the expert `expert`, and has not left.
    fn participant_of_expert(&self, session_id: &str, expert: &str) -> Option<String> {
        let session = self.sessions.get(session_id)?;
        session
            .participants
            .iter()
            .filter(|p| p.record.expert_id.as_deref() == Some(expert))
            .map(|p| p.record.id.clone())
            .find(|id| !session.has_left(id))
    }

    /// Gives `expert`'s consoles the link into `session_id` (and keeps it for a reload).
    fn send_joined(&mut self, session_id: &str, expert: &str, token: String, fx: &mut Effects) {
        let joined = ServerMessage::Joined {
            session_id: session_id.to_owned(),
            site_url: self.site_url(session_id),
            participant_token: token.clone(),
        };
        if let Some(e) = self.experts.get_mut(expert) {
            e.session_token = Some((session_id.to_owned(), token));
        }
        self.to_consoles(expert, joined, fx);
    }

    /// Participant `by` (the requester or an expert) removes the guest `guest`: everyone gets
    /// `removed`, the guest's token stops working (also after a restart), their sockets close
    /// and their place is free. What they drew stays on the board.
    pub fn remove_guest(
        &mut self,
        now: Now,
        session_id: &str,
        by: &str,
        guest: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let live = self.live_session(session_id)?;
        let role_of = |id: &str| {
            live.participant(id)
                .filter(|_| !live.has_left(id))
                .map(|p| p.record.role)
        };
        if role_of(by).is_none_or(|r| r == Role::Guest) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "only the requester or an expert can remove a guest",
            ));
        }
        if role_of(guest) != Some(Role::Guest) {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "there is no such guest in this session",
            ));
        }
        self.take_out(now, session_id, guest, by, fx);
        tracing::info!(session = session_id, by, guest, "guest removed");
        Ok(())
    }

    /// A guest, or an expert brought in beside the one in charge, leaves the live session (it
    /// goes on without them): everyone gets `removed` by themselves, their token stops
    /// working, and an expert is free for the next request. `None` for anyone else (the
    /// requester and the expert in charge end the session instead).
    pub(super) fn leave_for_good(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        fx: &mut Effects,
    ) -> Option<()> {
        let session = self.sessions.get(session_id)?;
        if session.record.status != SessionStatus::Active || session.has_left(participant_id) {
            return None;
        }
        let record = &session.participant(participant_id)?.record;
        let expert = match (record.role, &record.expert_id) {
            (Role::Guest, _) => None,
            (Role::Expert, Some(expert))
                if self.dispatcher.assistants_of(session_id).contains(expert) =>
            {
                Some(expert.clone())
            }
            _ => return None,
        };
        if let Some(expert) = &expert {
            self.dispatcher
                .release_assistant(now.instant, session_id, expert)
                .ok()?;
            if let Some(e) = self.experts.get_mut(expert) {
                e.session_token = None;
            }
            self.console_state(now, expert, fx);
        }
        self.take_out(now, session_id, participant_id, participant_id, fx);
        self.process(now, fx);
        tracing::info!(
            session = session_id,
            participant_id,
            expert,
            "left the session"
        );
        Some(())
    }

    /// Takes `participant_id` out of the session (`by` them or someone else): the `removed`
    /// event, their token gone, their sockets closed after it.
    fn take_out(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        by: &str,
        fx: &mut Effects,
    ) {
        let target = self
            .sessions
            .get(session_id)
            .and_then(|s| s.participant(participant_id))
            .map(|p| {
                (
                    p.record.token_hash,
                    p.conns.iter().map(|c| c.tx.clone()).collect::<Vec<_>>(),
                )
            });
        self.event(
            now,
            session_id,
            ServerMessage::Removed {
                participant_id: participant_id.to_owned(),
                by: by.to_owned(),
            },
            fx,
        );
        if let Some((token_hash, conns)) = target {
            self.tokens.remove(&token_hash);
            for tx in conns {
                fx.out.push((tx, Outbound::Close));
            }
        }
    }

    /// A conflict when `session_id` has as many people as it may (those who left do not count).
    fn ensure_room(&self, session_id: &str) -> Result<(), ApiError> {
        let present = self.sessions.get(session_id).map_or(0, |s| {
            s.snapshot.participants.iter().filter(|p| !p.left).count()
        });
        if present >= MAX_PARTICIPANTS {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("a session has at most {MAX_PARTICIPANTS} people"),
            ));
        }
        Ok(())
    }

    /// Whether `participant_id` has left `session_id` for good (handed over, removed, left).
    pub fn has_left(&self, session_id: &str, participant_id: &str) -> bool {
        self.sessions
            .get(session_id)
            .is_some_and(|s| s.has_left(participant_id))
    }

    /// The participant whose token this is, as (session, participant), if it is valid now.
    pub fn participant_by_token(&self, now: Now, token: &str) -> Option<(String, String)> {
        let (session_id, participant_id) = self.tokens.get(&secrets::hash(token))?.clone();
        let p = self
            .sessions
            .get(&session_id)?
            .participants
            .iter()
            .find(|p| p.record.id == participant_id)?;
        (p.record.expires_at > now.millis).then_some((session_id, participant_id))
    }

    /// Participant `inviter` invites a guest into `session_id`; returns the guest's link.
    pub fn invite_guest(
        &mut self,
        now: Now,
        session_id: &str,
        inviter: &str,
        req: &GuestInviteRequest,
        fx: &mut Effects,
    ) -> Result<GuestInvite, ApiError> {
        let session = session_id.to_owned();
        let role = self
            .sessions
            .get(session_id)
            .and_then(|s| s.participants.iter().find(|p| p.record.id == inviter))
            .map(|p| p.record.role);
        if role == Some(Role::Guest) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "only the requester or the expert can invite someone",
            ));
        }
        let name = &instant_share_protocol::text::GUEST_NAME.required(&req.display_name)?;
        let live = self.live_session(&session)?;
        if live.record.status != SessionStatus::Active {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "guests can be invited once an expert has joined",
            ));
        }
        self.ensure_room(&session)?;
        let (token, token_expires_at, participant_id) = self.add_participant(
            now,
            &session,
            Joining::Guest {
                may_draw: req.may_draw,
            },
            name,
            fx,
        );
        tracing::info!(
            session,
            by = inviter,
            guest = participant_id,
            may_draw = req.may_draw,
            "guest invited"
        );
        Ok(GuestInvite {
            participant_id,
            link: format!("{}#token={token}", self.site_url(&session)),
            token_expires_at,
        })
    }
}

/// Routing's refusal to let the expert `name` in, in words.
fn routing_refusal(e: instant_share_core::RoutingError, name: &str) -> ApiError {
    match e {
        instant_share_core::RoutingError::ExpertBusy => ApiError::new(
            ErrorCode::Conflict,
            format!("{name} is not free to join the session (away, ringing or in a session)"),
        ),
        instant_share_core::RoutingError::TooManyExperts => ApiError::new(
            ErrorCode::Conflict,
            format!(
                "a session has at most {} experts",
                instant_share_core::MAX_ASSISTANTS + 1
            ),
        ),
        other => ApiError::new(ErrorCode::Conflict, other.to_string()),
    }
}
