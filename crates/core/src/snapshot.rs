//! Applying session events to a [`SessionSnapshot`]: the one definition of what an event
//! means, used by the host to rebuild sessions from its event log and by clients to keep
//! their view current.

use instant_share_protocol::{MediaState, ServerMessage, SessionSnapshot, SessionStatus};

/// Applies one session event. Messages that are not session events change nothing.
pub fn apply(snapshot: &mut SessionSnapshot, msg: &ServerMessage) {
    match msg {
        ServerMessage::Queue {
            position,
            estimated_wait_secs,
            experts_on_duty,
        } => {
            snapshot.queue_position = *position;
            snapshot.estimated_wait_secs = *estimated_wait_secs;
            snapshot.experts_on_duty = *experts_on_duty;
        }
        ServerMessage::CallBack { until } => snapshot.call_back_until = Some(*until),
        ServerMessage::Status { status } => {
            snapshot.status = *status;
            if *status != SessionStatus::Queued {
                snapshot.queue_position = 0;
                snapshot.estimated_wait_secs = 0;
                snapshot.experts_on_duty = 0;
            }
        }
        ServerMessage::ParticipantJoined { participant } => {
            match snapshot
                .participants
                .iter_mut()
                .find(|p| p.id == participant.id)
            {
                Some(p) => *p = participant.clone(),
                None => snapshot.participants.push(participant.clone()),
            }
        }
        ServerMessage::Presence {
            participant_id,
            online,
        } => {
            if let Some(p) = snapshot
                .participants
                .iter_mut()
                .find(|p| &p.id == participant_id)
            {
                p.online = *online;
                if !*online {
                    // Nothing is sent by someone who is gone.
                    p.media = MediaState::default();
                }
            }
        }
        ServerMessage::Media {
            participant_id,
            media,
        } => {
            if let Some(p) = snapshot
                .participants
                .iter_mut()
                .find(|p| &p.id == participant_id)
            {
                p.media = *media;
            }
        }
        ServerMessage::Chat { message } => {
            // A message is once in the chat, however often it comes (the host also drops
            // repeats before they become events).
            let seen = snapshot
                .chat
                .iter()
                .any(|c| c.from == message.from && c.client_msg_id == message.client_msg_id);
            if !seen {
                snapshot.chat.push(message.clone());
            }
        }
        ServerMessage::HandedOver { from, to } => {
            mark_left(snapshot, from);
            for p in &mut snapshot.participants {
                p.in_charge = &p.id == to;
            }
        }
        ServerMessage::Removed { participant_id, .. } => mark_left(snapshot, participant_id),
        ServerMessage::Board { event, .. } => {
            instant_share_board::apply(&mut snapshot.board, event)
        }
        ServerMessage::Ended { reason } => {
            snapshot.status = SessionStatus::Ended;
            snapshot.end_reason = Some(*reason);
            snapshot.queue_position = 0;
            snapshot.estimated_wait_secs = 0;
            snapshot.experts_on_duty = 0;
            for p in &mut snapshot.participants {
                p.online = false;
                p.media = MediaState::default();
            }
        }
        // Not session events (see `is_session_event`): nothing to apply. Listed one by one, so
        // that a new message fails to compile here until someone says what it means.
        ServerMessage::Welcome { .. }
        | ServerMessage::BoardRejected { .. }
        | ServerMessage::Pointer { .. }
        | ServerMessage::Signal { .. }
        | ServerMessage::ConsoleWelcome { .. }
        | ServerMessage::QueueUpdate { .. }
        | ServerMessage::Offered { .. }
        | ServerMessage::OfferWithdrawn { .. }
        | ServerMessage::Joined { .. }
        | ServerMessage::SessionClosed { .. }
        | ServerMessage::Pong { .. }
        | ServerMessage::Error { .. } => {}
    }
}

/// Participant `id` left for good (handed over, removed, left): gone from the call.
fn mark_left(snapshot: &mut SessionSnapshot, id: &str) {
    if let Some(p) = snapshot.participants.iter_mut().find(|p| p.id == id) {
        p.left = true;
        p.online = false;
        p.media = MediaState::default();
    }
}

/// Whether a message is a session event (sequenced, stored, replayed on resume). Every message
/// is named: a new one does not compile until it is classified here and given a meaning in
/// [`apply`].
pub fn is_session_event(msg: &ServerMessage) -> bool {
    match msg {
        ServerMessage::Queue { .. }
        | ServerMessage::CallBack { .. }
        | ServerMessage::Status { .. }
        | ServerMessage::ParticipantJoined { .. }
        | ServerMessage::Presence { .. }
        | ServerMessage::Chat { .. }
        | ServerMessage::Board { .. }
        | ServerMessage::HandedOver { .. }
        | ServerMessage::Removed { .. }
        | ServerMessage::Media { .. }
        | ServerMessage::Ended { .. } => true,
        ServerMessage::Welcome { .. }
        | ServerMessage::BoardRejected { .. }
        | ServerMessage::Pointer { .. }
        | ServerMessage::Signal { .. }
        | ServerMessage::ConsoleWelcome { .. }
        | ServerMessage::QueueUpdate { .. }
        | ServerMessage::Offered { .. }
        | ServerMessage::OfferWithdrawn { .. }
        | ServerMessage::Joined { .. }
        | ServerMessage::SessionClosed { .. }
        | ServerMessage::Pong { .. }
        | ServerMessage::Error { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use instant_share_protocol::{ChatMessage, EndReason, Participant, Role};

    fn empty() -> SessionSnapshot {
        SessionSnapshot {
            session_id: "s".into(),
            topic: "email".into(),
            note: None,
            status: SessionStatus::Queued,
            end_reason: None,
            queue_position: 2,
            estimated_wait_secs: 120,
            experts_on_duty: 1,
            call_back_until: None,
            participants: vec![],
            chat: vec![],
            board: Default::default(),
            you: "p1".into(),
            created_at: 0,
        }
    }

    #[test]
    fn events_build_the_session() {
        let mut s = empty();
        let ana = Participant {
            id: "p1".into(),
            role: Role::Requester,
            display_name: "Ana".into(),
            online: true,
            media: MediaState::default(),
            may_draw: true,
            left: false,
            in_charge: false,
        };
        apply(
            &mut s,
            &ServerMessage::ParticipantJoined {
                participant: ana.clone(),
            },
        );
        apply(
            &mut s,
            &ServerMessage::ParticipantJoined { participant: ana },
        );
        assert_eq!(
            s.participants.len(),
            1,
            "a rejoin replaces, never duplicates"
        );
        apply(
            &mut s,
            &ServerMessage::Queue {
                position: 1,
                estimated_wait_secs: 60,
                experts_on_duty: 2,
            },
        );
        assert_eq!(
            (s.queue_position, s.estimated_wait_secs, s.experts_on_duty),
            (1, 60, 2)
        );
        apply(&mut s, &ServerMessage::CallBack { until: 99 });
        assert_eq!(s.call_back_until, Some(99));
        apply(
            &mut s,
            &ServerMessage::Status {
                status: SessionStatus::Active,
            },
        );
        assert_eq!(
            (s.status, s.queue_position, s.experts_on_duty),
            (SessionStatus::Active, 0, 0)
        );
        let chat = ChatMessage {
            from: "p1".into(),
            from_name: "Ana".into(),
            text: "hi".into(),
            client_msg_id: "c1".into(),
            at: 5,
        };
        apply(&mut s, &ServerMessage::Chat { message: chat });
        apply(
            &mut s,
            &ServerMessage::Presence {
                participant_id: "p1".into(),
                online: false,
            },
        );
        assert!(!s.participants[0].online);
        apply(
            &mut s,
            &ServerMessage::Ended {
                reason: EndReason::EndedByExpert,
            },
        );
        assert_eq!(
            (s.status, s.end_reason, s.chat.len()),
            (SessionStatus::Ended, Some(EndReason::EndedByExpert), 1)
        );
        apply(&mut s, &ServerMessage::Pong { nonce: 1 });
        assert_eq!(s.chat.len(), 1);
    }
}
