//! The app's session tracker (`instant_share_client::SessionTracker`) fed whatever a host, or
//! anything in its place, might send: one frame a line, read as the socket task reads them
//! (lines that do not parse are ignored, as the task ignores such frames). A few plain lines
//! stand for what the app does meanwhile: `chat <id>`, `board <id>`, `disconnect`.
//!
//! Checked after every frame, beyond "no panic": a session event is applied at most once and
//! in order (`last_seq` only moves forward, except that a welcome sets it); a frame said to
//! change nothing changes nothing; frames never add pending work (chat or board operations); `hello` carries the last
//! applied `seq`; an `ended` outcome leaves the
//! snapshot ended.
#![no_main]

use instant_share_client::{FrameOutcome, SessionTracker};
use instant_share_fuzz::{assert_json_round_trip, lines};
use instant_share_protocol::{BoardOp, ClientMessage, ServerFrame, ServerMessage, SessionStatus};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut tracker = SessionTracker::new();
    for line in lines(data) {
        if let Some(id) = line.strip_prefix("chat ") {
            tracker.queue_chat(id.to_owned(), "hello".to_owned());
            continue;
        }
        if let Some(id) = line.strip_prefix("board ") {
            let before = pending_ops(&tracker);
            tracker.queue_board(id.to_owned(), BoardOp::Undo);
            assert_eq!(pending_ops(&tracker), before + 1);
            continue;
        }
        if line == "disconnect" {
            tracker.disconnected();
            assert!(!tracker.is_welcomed());
            continue;
        }
        let Ok(frame) = serde_json::from_str::<ServerFrame>(line) else {
            continue;
        };
        let before = tracker.clone();
        let seq = frame.seq;
        let session_event = instant_share_core::snapshot::is_session_event(&frame.msg);
        let welcome_seq = match &frame.msg {
            ServerMessage::Welcome { seq, .. } => Some(*seq),
            _ => None,
        };
        let outcome = tracker.on_frame(frame);

        assert!(tracker.pending().len() <= before.pending().len());
        match &outcome {
            FrameOutcome::Welcomed { .. } => {
                assert_eq!(tracker.last_seq(), welcome_seq);
                assert!(tracker.is_welcomed());
                assert!(tracker.snapshot().is_some());
            }
            FrameOutcome::Changed | FrameOutcome::Ended(_) => {
                assert!(session_event);
                if let (Some(seq), Some(last)) = (seq, before.last_seq()) {
                    assert!(seq > last, "event {seq} applied after {last}");
                }
                if seq.is_some() {
                    assert_eq!(tracker.last_seq(), seq);
                } else {
                    assert_eq!(tracker.last_seq(), before.last_seq());
                }
                if let FrameOutcome::Ended(reason) = &outcome {
                    let snapshot = tracker.snapshot().expect("ended with a snapshot");
                    assert_eq!(snapshot.status, SessionStatus::Ended);
                    assert_eq!(snapshot.end_reason, Some(*reason));
                }
            }
            _ => {
                assert_eq!(
                    tracker.snapshot(),
                    before.snapshot(),
                    "{outcome:?} changed the session"
                );
                assert_eq!(tracker.last_seq(), before.last_seq());
                assert_eq!(tracker.is_welcomed(), before.is_welcomed());
            }
        }
        if let Some(snapshot) = tracker.snapshot() {
            // What the app shows is what the webview gets, through JSON.
            assert_json_round_trip(snapshot);
        }
        match tracker.hello("token") {
            ClientMessage::Hello { last_seq, .. } => assert_eq!(last_seq, tracker.last_seq()),
            other => panic!("hello is {other:?}"),
        }
        assert!(
            pending_ops(&tracker) <= pending_ops(&before),
            "a frame added work"
        );
    }
});

/// Board operations waiting for the host: what `resend` sends beyond the pending chat.
fn pending_ops(tracker: &SessionTracker) -> usize {
    let resend = tracker.resend();
    let chat = tracker.pending().len();
    assert!(
        resend
            .iter()
            .take(chat)
            .all(|m| matches!(m, ClientMessage::Chat { .. })),
        "resend starts with the pending chat"
    );
    resend.len() - chat
}
