//! Vectors for the browser's twin of `snapshot::apply` (`ui/src/lib/session-state.ts`): one
//! session's events, every kind of them (queue, status, people joining and leaving, presence,
//! media, chat with a repeat, the board, a hand-over to an expert brought in beside the first,
//! a guest removed, a guest leaving, the end), with the snapshot after each as the Rust side
//! keeps it. `tests/session-state.test.mjs` replays them through the TypeScript and compares
//! after every event. `UPDATE_GENERATED=1 cargo test -p instant-share-core --test
//! session_vectors` rewrites the file; the test fails when it drifts.

use instant_share_core::snapshot::{apply, is_session_event};
use instant_share_protocol::{ServerMessage, SessionSnapshot};
use serde_json::json;

const VECTORS: &str = "tests/fixtures/session-vectors.json";

fn participant(id: &str, role: &str, name: &str, in_charge: bool) -> serde_json::Value {
    json!({
        "id": id, "role": role, "display_name": name, "online": false,
        "media": { "camera": false, "microphone": false, "screen": false, "screen_paused": false },
        "may_draw": role != "guest" || id == "p4", "left": false, "in_charge": in_charge,
    })
}

fn chat(from: &str, name: &str, text: &str, id: &str, at: u64) -> serde_json::Value {
    json!({ "type": "chat", "message": {
        "from": from, "from_name": name, "text": text, "client_msg_id": id, "at": at } })
}

/// The session's events, in order.
fn events() -> Vec<serde_json::Value> {
    vec![
        json!({ "type": "participant_joined", "participant": participant("p1", "requester", "Riley", false) }),
        json!({ "type": "presence", "participant_id": "p1", "online": true }),
        json!({ "type": "queue", "position": 2, "estimated_wait_secs": 0, "experts_on_duty": 0 }),
        json!({ "type": "status", "status": "queued" }),
        // An event stored before `experts_on_duty` existed reads as nobody on duty.
        json!({ "type": "queue", "position": 2, "estimated_wait_secs": 90 }),
        json!({ "type": "call_back", "until": 28_800_000 }),
        json!({ "type": "queue", "position": 1, "estimated_wait_secs": 40, "experts_on_duty": 2 }),
        json!({ "type": "status", "status": "offered" }),
        json!({ "type": "status", "status": "queued" }),
        json!({ "type": "queue", "position": 1, "estimated_wait_secs": 20, "experts_on_duty": 1 }),
        json!({ "type": "status", "status": "offered" }),
        json!({ "type": "participant_joined", "participant": participant("p2", "expert", "Ana", true) }),
        json!({ "type": "status", "status": "active" }),
        json!({ "type": "presence", "participant_id": "p2", "online": true }),
        json!({ "type": "media", "participant_id": "p1",
                "media": { "camera": true, "microphone": true, "screen": true, "screen_paused": false } }),
        json!({ "type": "media", "participant_id": "p1",
                "media": { "camera": true, "microphone": true, "screen": true, "screen_paused": true } }),
        json!({ "type": "media", "participant_id": "p2",
                "media": { "camera": true, "microphone": false, "screen": false, "screen_paused": false } }),
        chat("p1", "Riley", "The VPN page looks wrong", "c1", 1_000),
        chat("p1", "Riley", "The VPN page looks wrong", "c1", 1_000),
        // The same message id from someone else is another message.
        chat("p2", "Ana", "Let me look", "c1", 1_100),
        // A participant joining again (a new name) replaces the entry, in place.
        json!({ "type": "participant_joined", "participant": participant("p1", "requester", "Riley R.", false) }),
        json!({ "type": "presence", "participant_id": "p1", "online": true }),
        // Someone unknown changes nothing.
        json!({ "type": "presence", "participant_id": "p9", "online": true }),
        json!({ "type": "media", "participant_id": "p9",
                "media": { "camera": true, "microphone": true, "screen": true, "screen_paused": false } }),
        json!({ "type": "board", "by": "p2", "op_id": "o1", "event": { "kind": "annotated", "annotation": {
            "id": "a1", "by": "p2", "target": { "kind": "screen", "participant_id": "p1" },
            "shape": { "kind": "arrow", "from": [100, 100], "to": [5000, 5000] },
            "color": "#e11d48", "width": 4, "hidden": false } } }),
        json!({ "type": "participant_joined", "participant": participant("p3", "guest", "Sam", false) }),
        json!({ "type": "presence", "participant_id": "p3", "online": true }),
        json!({ "type": "participant_joined", "participant": participant("p4", "expert", "Bo", false) }),
        json!({ "type": "presence", "participant_id": "p4", "online": true }),
        json!({ "type": "media", "participant_id": "p3",
                "media": { "camera": true, "microphone": true, "screen": false, "screen_paused": false } }),
        json!({ "type": "removed", "participant_id": "p3", "by": "p1" }),
        json!({ "type": "handed_over", "from": "p2", "to": "p4" }),
        chat("p4", "Bo", "Untick the box", "c2", 2_000),
        json!({ "type": "presence", "participant_id": "p1", "online": false }),
        json!({ "type": "presence", "participant_id": "p1", "online": true }),
        json!({ "type": "participant_joined", "participant": participant("p5", "guest", "Kim", false) }),
        json!({ "type": "removed", "participant_id": "p5", "by": "p5" }),
        json!({ "type": "handed_over", "from": "p9", "to": "p4" }),
        json!({ "type": "status", "status": "ended" }),
        json!({ "type": "ended", "reason": "ended_by_expert" }),
    ]
}

#[test]
fn vectors_for_the_typescript_session_are_current() {
    let mut snapshot: SessionSnapshot = serde_json::from_value(json!({
        "session_id": "s1", "topic": "network", "note": "The VPN page looks wrong",
        "status": "requested", "end_reason": null, "queue_position": 0, "estimated_wait_secs": 0,
        "participants": [], "chat": [], "board": { "annotations": [], "images": [], "history": {}, "view": null },
        "you": "p1", "created_at": 0,
    }))
    .expect("a fresh snapshot");
    let before = serde_json::to_value(&snapshot).unwrap();
    let mut after = Vec::new();
    let events = events();
    for event in &events {
        let msg: ServerMessage =
            serde_json::from_value(event.clone()).unwrap_or_else(|e| panic!("{event}: {e}"));
        assert!(is_session_event(&msg), "{event} is a session event");
        apply(&mut snapshot, &msg);
        after.push(serde_json::to_value(&snapshot).unwrap());
    }
    // The story the vectors tell, checked here too.
    let last = &snapshot;
    let by_id = |id: &str| last.participants.iter().find(|p| p.id == id).unwrap();
    assert!(by_id("p3").left && by_id("p5").left && by_id("p2").left);
    assert!(by_id("p4").in_charge && !by_id("p2").in_charge);
    assert_eq!(
        last.chat.len(),
        3,
        "the repeat is not shown twice; another's same id is"
    );
    assert_eq!(last.participants.len(), 5, "joining again replaces");
    assert_eq!(by_id("p1").display_name, "Riley R.");
    assert!(last.participants.iter().all(|p| !p.online));

    let fresh = serde_json::to_string_pretty(&json!({
        "generated_by": "crates/core/tests/session_vectors.rs",
        "before": before,
        "events": events,
        "after": after,
    }))
    .unwrap()
        + "\n";
    instant_share_protocol::typescript::check_or_update(
        VECTORS,
        &fresh,
        "UPDATE_GENERATED=1 cargo test -p instant-share-core --test session_vectors",
    );
}
