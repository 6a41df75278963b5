//! Guests: one more person in a session, invited by link by the requester or the expert.

use instant_share_protocol::{
    ApiError, ErrorCode, GuestInvite, GuestInviteRequest, Role, SessionStatus, MAX_PARTICIPANTS,
};

use super::{Hub, Now};
use crate::secrets;
use crate::writer::Effects;

impl Hub {
    /// The participant whose token this is, as (session, participant, role), if it is valid now.
    pub fn participant_by_token(&self, now: Now, token: &str) -> Option<(String, String, Role)> {
        let (session_id, participant_id) = self.tokens.get(&secrets::hash(token))?.clone();
        let p = self
            .sessions
            .get(&session_id)?
            .participants
            .iter()
            .find(|p| p.record.id == participant_id)?;
        (p.record.expires_at > now.millis).then_some((session_id, participant_id, p.record.role))
    }

    /// `inviter_token`'s holder invites a guest into `session_id`; returns the guest's link.
    pub fn invite_guest(
        &mut self,
        now: Now,
        session_id: &str,
        inviter_token: &str,
        req: &GuestInviteRequest,
        fx: &mut Effects,
    ) -> Result<GuestInvite, ApiError> {
        let (session, inviter, role) = self
            .participant_by_token(now, inviter_token)
            .filter(|(s, _, _)| s == session_id)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthenticated,
                    "this session token is not valid for this session",
                )
            })?;
        if role == Role::Guest {
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
        let (token, token_expires_at) =
            self.add_participant(now, &session, Role::Guest, name, req.may_draw, fx);
        let participant_id = self
            .sessions
            .get(&session)
            .and_then(|s| s.participants.last())
            .map(|p| p.record.id.clone())
            .unwrap_or_default();
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
