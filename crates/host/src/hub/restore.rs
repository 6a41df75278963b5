//! Bringing back the sessions that were open when the host stopped.

use std::collections::HashSet;
use std::sync::Arc;

use instant_share_core::snapshot;
use instant_share_protocol::{Role, ServerFrame, ServerMessage, SessionStatus};

use super::session::{fresh_snapshot, To};
use super::{Hub, LiveParticipant, LiveSession, Now};
use crate::store::{OpenSession, ParticipantRecord};
use crate::writer::Effects;

impl Hub {
    /// Rebuilds open sessions from their records and event logs and gives them back to the
    /// dispatcher: waiting ones in their old order, live ones to their expert.
    pub fn restore(&mut self, now: Now, open: Vec<OpenSession>, fx: &mut Effects) {
        for o in open {
            let r = &o.record;
            let mut snap = fresh_snapshot(r);
            let mut events = Vec::with_capacity(o.events.len());
            let mut chat_ids = HashSet::new();
            let mut board_ops = HashSet::new();
            for (i, e) in o.events.iter().enumerate() {
                let Ok(msg) = serde_json::from_str::<ServerMessage>(&e.body) else {
                    tracing::error!(
                        session = r.id,
                        seq = e.seq,
                        "unreadable stored event; the session is restored without it"
                    );
                    continue;
                };
                if e.seq != i as u64 + 1 {
                    tracing::error!(session = r.id, seq = e.seq, "gap in the stored event log");
                }
                if let ServerMessage::Board {
                    by,
                    op_id: Some(op_id),
                    ..
                } = &msg
                {
                    board_ops.insert((by.clone(), op_id.clone()));
                }
                if let ServerMessage::Chat { message } = &msg {
                    chat_ids.insert((message.from.clone(), message.client_msg_id.clone()));
                }
                snapshot::apply(&mut snap, &msg);
                let frame = ServerFrame {
                    seq: Some(e.seq),
                    msg,
                };
                events.push(Arc::<str>::from(
                    serde_json::to_string(&frame).unwrap_or_default(),
                ));
            }
            // Nobody is connected after a restart.
            for p in &mut snap.participants {
                p.online = false;
            }
            // Someone who left (an expert who handed over, a guest removed) does not come back
            // with the restart; the experts still in are busy there again.
            let present: Vec<&ParticipantRecord> = o
                .participants
                .iter()
                .filter(|p| !snap.participants.iter().any(|s| s.id == p.id && s.left))
                .collect();
            for p in &present {
                self.tokens
                    .insert(p.token_hash, (r.id.clone(), p.id.clone()));
            }
            let assistants: Vec<String> =
                present.iter().filter_map(|p| p.expert_id.clone()).collect();
            // Who is in charge, also for sessions whose events predate `in_charge`: the
            // participant of the record's expert, else the one expert still in.
            if let Some(lead) = &r.expert_id {
                let experts: Vec<&&ParticipantRecord> =
                    present.iter().filter(|p| p.role == Role::Expert).collect();
                let in_charge = experts
                    .iter()
                    .find(|p| p.expert_id.as_deref() == Some(lead.as_str()))
                    .or(if experts.len() == 1 {
                        experts.first()
                    } else {
                        None
                    })
                    .map(|p| p.id.clone());
                for p in &mut snap.participants {
                    p.in_charge = in_charge.as_deref() == Some(p.id.as_str());
                }
            }
            let last_queue = Some((
                snap.queue_position,
                snap.estimated_wait_secs,
                snap.experts_on_duty,
            ));
            let call_back_until = snap.call_back_until;
            let mut record = r.clone();
            let offered = record.status == SessionStatus::Offered;
            let live = LiveSession {
                participants: o
                    .participants
                    .iter()
                    .map(|p| LiveParticipant {
                        record: p.clone(),
                        conns: vec![],
                    })
                    .collect(),
                snapshot: snap,
                events,
                chat_ids,
                board_ops,
                last_queue,
                record: record.clone(),
            };
            self.sessions.insert(r.id.clone(), live);
            match (record.status, record.expert_id.take()) {
                (SessionStatus::Active, Some(expert)) => {
                    let _ = self
                        .dispatcher
                        .restore_active(now.instant, &r.id, &r.topic, &expert);
                    // Experts brought in beside them are in the session again, busy there.
                    for assistant in &assistants {
                        if *assistant != expert {
                            let _ =
                                self.dispatcher
                                    .restore_assistant(now.instant, &r.id, assistant);
                        }
                    }
                }
                (SessionStatus::Requested | SessionStatus::Queued | SessionStatus::Offered, _) => {
                    if offered {
                        // The ringing console is gone with the old process.
                        self.transition(now, &r.id, To::Queued, fx);
                    }
                    let created = now.instant_at(r.created_at);
                    let _ = self
                        .dispatcher
                        .restore_request(now.instant, &r.id, &r.topic, created);
                    if let Some(until) = call_back_until {
                        let _ = self
                            .dispatcher
                            .restore_call_back(&r.id, now.instant_at(until));
                    }
                }
                (status, _) => tracing::error!(
                    session = r.id,
                    ?status,
                    "open session in an unexpected state"
                ),
            }
        }
        self.process(now, fx);
    }
}
