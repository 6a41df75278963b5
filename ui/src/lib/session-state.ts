// What a session event does to a page's snapshot: the TypeScript twin of the Rust
// `snapshot::apply` (crates/core/src/snapshot.rs), checked against the vectors the Rust side
// writes (tests/fixtures/session-vectors.json, tests/session-state.test.mjs). Pure: what a page
// does besides (stopping its socket, forgetting confirmed messages) is SessionConnection's.
import type { Participant, ServerMessage, SessionSnapshot } from '../generated/protocol';
import { applyBoardEvent } from './board/state';
import { unhandled } from './exhaustive';

const OFF = (): Participant['media'] => ({ camera: false, microphone: false, screen: false, screen_paused: false });

/** Participant `id` left for good (handed over, removed, left): gone from the call. */
function markLeft(s: SessionSnapshot, id: string): void {
  const p = s.participants.find((x) => x.id === id);
  if (p) {
    p.left = true;
    p.online = false;
    p.media = OFF();
  }
}

/** Applies one session event to `s`. Messages that are not session events change nothing. */
export function applySessionEvent(s: SessionSnapshot, msg: ServerMessage): void {
  switch (msg.type) {
    case 'queue':
      s.queue_position = msg.position;
      s.estimated_wait_secs = msg.estimated_wait_secs;
      // Events stored before the field existed say nothing: nobody on duty, as in Rust.
      s.experts_on_duty = msg.experts_on_duty ?? 0;
      break;
    case 'call_back':
      s.call_back_until = msg.until;
      break;
    case 'status':
      s.status = msg.status;
      if (msg.status !== 'queued') {
        s.queue_position = 0;
        s.estimated_wait_secs = 0;
        s.experts_on_duty = 0;
      }
      break;
    case 'participant_joined': {
      const i = s.participants.findIndex((p) => p.id === msg.participant.id);
      if (i >= 0) s.participants[i] = msg.participant;
      else s.participants.push(msg.participant);
      break;
    }
    case 'presence': {
      const p = s.participants.find((x) => x.id === msg.participant_id);
      if (p) {
        p.online = msg.online;
        // Nothing is sent by someone who is gone (as the host's snapshot says).
        if (!msg.online) p.media = OFF();
      }
      break;
    }
    case 'media': {
      const p = s.participants.find((x) => x.id === msg.participant_id);
      if (p) p.media = msg.media;
      break;
    }
    case 'handed_over':
      markLeft(s, msg.from);
      for (const x of s.participants) x.in_charge = x.id === msg.to;
      break;
    case 'removed':
      markLeft(s, msg.participant_id);
      break;
    case 'board':
      applyBoardEvent(s.board, msg.event);
      break;
    case 'chat': {
      const m = msg.message;
      if (!s.chat.some((c) => c.from === m.from && c.client_msg_id === m.client_msg_id)) s.chat.push(m);
      break;
    }
    case 'ended':
      s.status = 'ended';
      s.end_reason = msg.reason;
      s.queue_position = 0;
      s.estimated_wait_secs = 0;
      s.experts_on_duty = 0;
      for (const p of s.participants) {
        p.online = false;
        p.media = OFF();
      }
      break;
    // Not session events: they change no snapshot (as `snapshot::apply` says).
    case 'welcome':
    case 'board_rejected':
    case 'pointer':
    case 'signal':
    case 'console_welcome':
    case 'queue_update':
    case 'offered':
    case 'offer_withdrawn':
    case 'joined':
    case 'session_closed':
    case 'pong':
    case 'error':
      break;
    default:
      unhandled(msg, 'server message');
  }
}
