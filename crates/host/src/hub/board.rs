//! The co-browse board of a live session: operations from participants (checked and made into
//! events by `instant_share_board`), images the host stored, and pointers passed on as they
//! move.

use instant_share_board::Access;
use instant_share_protocol::{
    ApiError, BoardImage, BoardOp, BoardTarget, ErrorCode, PointerAt, ServerFrame, ServerMessage,
};

use super::{encode, Hub, LiveSession, Now};
use crate::writer::Effects;

impl Hub {
    /// A participant's board operation: applied once per `op_id` and sent to everyone as a
    /// session event, or refused with the reason.
    pub fn board(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        op_id: &str,
        op: &BoardOp,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        if op_id.is_empty() || op_id.len() > 64 {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "op_id must have 1 to 64 characters",
            ));
        }
        let session = self.live_session(session_id)?;
        let key = (participant_id.to_owned(), op_id.to_owned());
        if session.board_ops.contains(&key) {
            return Ok(());
        }
        let access = access_of(session, participant_id)?;
        match op {
            BoardOp::Annotate { annotation } => screen_of_participant(session, &annotation.target)?,
            BoardOp::Clear { target } => screen_of_participant(session, target)?,
            BoardOp::SetView { view: Some(view) } => screen_of_participant(session, &view.target)?,
            _ => {}
        }
        let event =
            instant_share_board::handle(&session.snapshot.board, participant_id, access, op)?;
        session.board_ops.insert(key);
        self.dispatcher.activity(now.instant, session_id);
        let msg = ServerMessage::Board {
            by: participant_id.to_owned(),
            op_id: Some(op_id.to_owned()),
            event,
        };
        self.event(now, session_id, msg, fx);
        Ok(())
    }

    /// Puts an image the host has stored on the board, shared by `participant_id`.
    pub fn board_image(
        &mut self,
        now: Now,
        session_id: &str,
        participant_id: &str,
        image: &BoardImage,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let session = self.live_session(session_id)?;
        let access = access_of(session, participant_id)?;
        let event =
            instant_share_board::add_image(&session.snapshot.board, participant_id, access, image)?;
        self.dispatcher.activity(now.instant, session_id);
        let msg = ServerMessage::Board {
            by: participant_id.to_owned(),
            op_id: None,
            event,
        };
        self.event(now, session_id, msg, fx);
        Ok(())
    }

    /// Whether the board would take `image` from `participant_id` now (asked before the
    /// picture is kept).
    pub fn may_add_image(
        &mut self,
        session_id: &str,
        participant_id: &str,
        image: &BoardImage,
    ) -> Result<(), ApiError> {
        let session = self.live_session(session_id)?;
        let access = access_of(session, participant_id)?;
        instant_share_board::add_image(&session.snapshot.board, participant_id, access, image)?;
        Ok(())
    }

    /// The pictures someone can still see: on the board of a session not ended, or of an
    /// ended one whose participants' tokens still work (they may take the export).
    pub fn pictures_in_use(&self, now: Now) -> std::collections::HashSet<String> {
        self.sessions
            .values()
            .filter(|s| {
                s.record.status != instant_share_protocol::SessionStatus::Ended
                    || s.participants
                        .iter()
                        .any(|p| p.record.expires_at > now.millis)
            })
            .flat_map(|s| s.snapshot.board.images.iter().map(|i| i.id.clone()))
            .collect()
    }

    /// Whether `image_id` is on `session_id`'s board (shown, or hidden but still undoable).
    pub fn board_has_image(&self, session_id: &str, image_id: &str) -> bool {
        self.sessions
            .get(session_id)
            .is_some_and(|s| s.snapshot.board.images.iter().any(|i| i.id == image_id))
    }

    /// Whether `participant_id` may put pictures on the board now (asked before an upload is
    /// read).
    pub fn may_share_image(
        &mut self,
        session_id: &str,
        participant_id: &str,
    ) -> Result<(), ApiError> {
        let session = self.live_session(session_id)?;
        if access_of(session, participant_id)? == Access::View {
            return Err(instant_share_board::BoardError::ViewOnly.into());
        }
        Ok(())
    }

    /// Someone's pointer moved: passed to the others' sockets as it is, not stored.
    pub fn pointer(
        &mut self,
        session_id: &str,
        participant_id: &str,
        pointer: Option<PointerAt>,
        fx: &mut Effects,
    ) -> Result<(), ApiError> {
        let session = self.live_session(session_id)?;
        if let Some(p) = &pointer {
            screen_of_participant(session, &p.target)?;
            instant_share_board::check_pointer(&session.snapshot.board, p)?;
        }
        let frame = encode(&ServerFrame {
            seq: None,
            msg: ServerMessage::Pointer {
                from: participant_id.to_owned(),
                pointer,
            },
        });
        for p in session
            .participants
            .iter()
            .filter(|p| p.record.id != participant_id)
        {
            for c in &p.conns {
                fx.out.push((c.tx.clone(), frame.clone()));
            }
        }
        Ok(())
    }
}

fn access_of(session: &LiveSession, participant_id: &str) -> Result<Access, ApiError> {
    session
        .participants
        .iter()
        .find(|p| p.record.id == participant_id)
        .map(|p| Access::of(p.record.role, p.record.may_draw))
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such participant in this session"))
}

/// A screen target names one of the session's participants.
fn screen_of_participant(session: &LiveSession, target: &BoardTarget) -> Result<(), ApiError> {
    match target {
        BoardTarget::Screen { participant_id }
            if !session
                .participants
                .iter()
                .any(|p| &p.record.id == participant_id) =>
        {
            Err(ApiError::new(
                ErrorCode::NotFound,
                "no such participant's screen in this session",
            ))
        }
        _ => Ok(()),
    }
}
