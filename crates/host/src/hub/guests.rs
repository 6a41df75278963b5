//! Bringing people in: guests by link, and another expert the session is handed over to.

use instant_share_protocol::{
    ApiError, ErrorCode, GuestInvite, GuestInviteRequest, Role, ServerMessage, SessionStatus,
    MAX_PARTICIPANTS,
};

use super::{Hub, Now};
use crate::secrets;
use crate::store::Write;
use crate::writer::{Effects, Outbound};

impl Hub {
    /// The session's expert (`participant_id`) hands it over to the expert `to_username`, who
    /// must be free: they join (their consoles get the link), the board and the chat stay as
    /// they are, and the first expert leaves (their token stops working, their sockets close,
    /// their consoles are free for the next request).
    pub fn hand_over(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        to_username: &str,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let from = self
            .dispatcher
            .expert_of(session_id)
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "the session is not live"))?;
        // Only the expert in charge hands over, from their own participant.
        let from_token = self
            .experts
            .get(&from)
            .and_then(|e| e.session_token.clone())
            .filter(|(s, _)| s == session_id)
            .map(|(_, t)| t);
        let theirs = from_token
            .as_deref()
            .and_then(|t| self.tokens.get(&secrets::hash(t)))
            .is_some_and(|(_, p)| p == participant_id);
        if !theirs {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "only the expert in charge can hand the session over",
            ));
        }
        let (to, name) = self
            .experts
            .iter()
            .find(|(_, e)| e.profile.username == to_username.trim())
            .map(|(id, e)| (id.clone(), e.profile.display_name.clone()))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    "there is no expert with that user name",
                )
            })?;
        self.dispatcher
            .hand_over(now.instant, session_id, &to)
            .map_err(|e| match e {
                instant_share_core::RoutingError::ExpertBusy => ApiError::new(
                    ErrorCode::Conflict,
                    format!("{name} is not free to take the session (away, ringing or in another session)"),
                ),
                other => ApiError::new(ErrorCode::Conflict, other.to_string()),
            })?;
        let (token, _, to_participant) =
            self.add_participant(now, session_id, Role::Expert, &name, true, fx);
        self.event(
            now,
            session_id,
            ServerMessage::HandedOver {
                from: participant_id.to_owned(),
                to: to_participant.clone(),
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
        if let Some(t) = &from_token {
            self.tokens.remove(&secrets::hash(t));
        }
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
        let joined = ServerMessage::Joined {
            session_id: session_id.to_owned(),
            site_url: self.site_url(session_id),
            participant_token: token.clone(),
        };
        if let Some(e) = self.experts.get_mut(&to) {
            e.session_token = Some((session_id.to_owned(), token));
        }
        self.to_consoles(&to, joined, fx);
        self.process(now, fx);
        tracing::info!(session = session_id, from, to, "session handed over");
        Ok(())
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
        let name = req.display_name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "a guest's name has 1 to 60 characters",
            ));
        }
        let live = self.live_session(&session)?;
        if live.record.status != SessionStatus::Active {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "guests can be invited once an expert has joined",
            ));
        }
        if live.participants.len() >= MAX_PARTICIPANTS {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("a session has at most {MAX_PARTICIPANTS} people"),
            ));
        }
        let (token, token_expires_at, participant_id) =
            self.add_participant(now, &session, Role::Guest, name, req.may_draw, fx);
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
