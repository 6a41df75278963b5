//! Property: whatever operations four participants send, in any interleaving, with sockets
//! dropping and resuming (from the missed events, or from a fresh snapshot), every client's
//! board equals the host's after the same events — and at the end, the host's.
//!
//! The host is `handle` + `apply` in the order operations arrive; clients apply the events the
//! host sent, after a trip through JSON as on the wire. Operations a participant makes while
//! offline wait in its outbox and are sent when it is back (nothing is lost).

use std::collections::HashSet;

use instant_share_board::{add_image, apply, handle, visible_annotations, Access};
use instant_share_protocol::{
    BoardEvent, BoardImage, BoardOp, BoardState, BoardTarget, ImageSource, NewAnnotation, Shape,
    ViewRequest, MAX_ANNOTATIONS, MAX_BOARD_IMAGES, MAX_UNDO,
};
use proptest::prelude::*;

/// The participants: an expert, the requester, a guest who draws, a guest who looks.
const PEOPLE: [(&str, Access); 4] = [
    ("p0", Access::Lead),
    ("p1", Access::Draw),
    ("p2", Access::Draw),
    ("p3", Access::View),
];

#[derive(Debug, Clone)]
enum Wish {
    Image(u8),
    Op(BoardOp),
}

#[derive(Debug, Clone)]
enum Step {
    /// Participant `who` wants to do something (sent now if online, else queued).
    Act(usize, Wish),
    /// The next `n` events reach participant `who` (if online).
    Deliver(usize, usize),
    /// Participant `who`'s socket drops.
    Drop(usize),
    /// Participant `who` comes back: with the events it missed, or (`snapshot`) a fresh board.
    Resume(usize, bool),
}

fn image_id(k: u8) -> String {
    format!("{k:064x}")
}

fn target() -> impl Strategy<Value = BoardTarget> {
    prop_oneof![
        (0u8..4).prop_map(|k| BoardTarget::Image {
            image_id: image_id(k)
        }),
        Just(BoardTarget::Screen {
            participant_id: "p1".into()
        }),
    ]
}

/// Mostly in bounds, sometimes just outside.
fn point() -> impl Strategy<Value = [u16; 2]> {
    [0u16..10_300, 0u16..10_300]
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        prop::collection::vec(point(), 0..6).prop_map(|points| Shape::Pen { points }),
        prop::collection::vec(point(), 1..4).prop_map(|points| Shape::Highlight { points }),
        (point(), point()).prop_map(|(from, to)| Shape::Arrow { from, to }),
        (point(), point()).prop_map(|(from, to)| Shape::Rect { from, to }),
        (point(), point()).prop_map(|(from, to)| Shape::Ellipse { from, to }),
        (point(), "[a-z ]{0,8}").prop_map(|(at, text)| Shape::Text { at, text }),
    ]
}

fn op() -> impl Strategy<Value = BoardOp> {
    let id = (0u8..16).prop_map(|i| format!("a{i}"));
    prop_oneof![
        4 => (id.clone(), target(), shape(), 0u8..34).prop_map(|(id, target, shape, width)| {
            BoardOp::Annotate {
                annotation: NewAnnotation { id, target, shape, color: "#2563eb".into(), width },
            }
        }),
        2 => id.prop_map(|annotation_id| BoardOp::Erase { annotation_id }),
        1 => target().prop_map(|target| BoardOp::Clear { target }),
        1 => (0u8..4).prop_map(|k| BoardOp::RemoveImage { image_id: image_id(k) }),
        1 => (target(), point(), 0u16..2_200).prop_map(|(target, center, zoom_percent)| {
            BoardOp::SetView { view: Some(ViewRequest { target, center, zoom_percent }) }
        }),
        2 => Just(BoardOp::Undo),
        2 => Just(BoardOp::Redo),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..4, prop_oneof![1 => (0u8..4).prop_map(Wish::Image), 5 => op().prop_map(Wish::Op)])
            .prop_map(|(who, wish)| Step::Act(who, wish)),
        3 => (0usize..4, 1usize..6).prop_map(|(who, n)| Step::Deliver(who, n)),
        1 => (0usize..4).prop_map(Step::Drop),
        1 => (0usize..4, any::<bool>()).prop_map(|(who, snapshot)| Step::Resume(who, snapshot)),
    ]
}

struct Host {
    state: BoardState,
    /// The board after each event: `after[k]` is after `log[..k]`.
    after: Vec<BoardState>,
    log: Vec<BoardEvent>,
}

impl Host {
    fn receive(&mut self, who: usize, wish: &Wish) {
        let (by, access) = PEOPLE[who];
        let made = match wish {
            Wish::Image(k) => {
                let image = BoardImage {
                    id: image_id(*k),
                    by: String::new(),
                    name: format!("Screenshot {k}"),
                    source: ImageSource::Screenshot,
                    width: 800,
                    height: 600,
                    hidden: false,
                };
                add_image(&self.state, by, access, &image)
            }
            Wish::Op(op) => handle(&self.state, by, access, op),
        };
        if let Ok(event) = made {
            apply(&mut self.state, &event);
            invariants(&self.state);
            self.log.push(event);
            self.after.push(self.state.clone());
        }
    }
}

struct Client {
    state: BoardState,
    seen: usize,
    online: bool,
    outbox: Vec<Wish>,
}

impl Client {
    fn take(&mut self, host: &Host, n: usize) {
        let until = self.seen.saturating_add(n).min(host.log.len());
        for event in &host.log[self.seen..until] {
            let wire = serde_json::to_string(event).unwrap();
            apply(&mut self.state, &serde_json::from_str(&wire).unwrap());
        }
        self.seen = until;
        assert_eq!(
            self.state, host.after[self.seen],
            "after {} events",
            self.seen
        );
    }
}

/// What must hold of every board the host makes.
fn invariants(state: &BoardState) {
    assert!(state.annotations.iter().filter(|a| !a.hidden).count() <= MAX_ANNOTATIONS);
    assert!(state.annotations.len() <= 2 * MAX_ANNOTATIONS);
    assert!(state.images.len() <= MAX_BOARD_IMAGES);
    let annotations: HashSet<&str> = state.annotations.iter().map(|a| a.id.as_str()).collect();
    let images: HashSet<&str> = state.images.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        annotations.len(),
        state.annotations.len(),
        "annotation ids are unique"
    );
    assert_eq!(images.len(), state.images.len(), "image ids are unique");
    let mut named = HashSet::new();
    for h in state.history.values() {
        assert!(h.undo.len() <= MAX_UNDO);
        assert!(
            !h.undo.is_empty() || !h.redo.is_empty(),
            "no empty histories"
        );
        for action in h.undo.iter().chain(&h.redo) {
            assert!(!action.annotations.is_empty() || !action.images.is_empty());
            for id in &action.annotations {
                assert!(
                    annotations.contains(id.as_str()),
                    "history names a kept annotation"
                );
                named.insert(id.as_str());
            }
            for id in &action.images {
                assert!(images.contains(id.as_str()), "history names a kept image");
                named.insert(id.as_str());
            }
        }
    }
    for a in &state.annotations {
        assert!(
            !a.hidden || named.contains(a.id.as_str()),
            "hidden and unreachable: {}",
            a.id
        );
        if let BoardTarget::Image { image_id } = &a.target {
            assert!(images.contains(image_id.as_str()), "on a kept image");
        }
    }
    for i in &state.images {
        assert!(!i.hidden || named.contains(i.id.as_str()));
    }
    if let Some(BoardTarget::Image { image_id }) = state.view.as_ref().map(|v| &v.target) {
        assert!(state.images.iter().any(|i| &i.id == image_id && !i.hidden));
    }
    assert!(visible_annotations(state).all(|a| !a.hidden));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_client_ends_with_the_host_s_board(steps in prop::collection::vec(step(), 1..160)) {
        let mut host = Host { state: BoardState::default(), after: vec![BoardState::default()], log: vec![] };
        let mut clients: Vec<Client> = (0..PEOPLE.len())
            .map(|_| Client { state: BoardState::default(), seen: 0, online: true, outbox: vec![] })
            .collect();
        for step in &steps {
            match step {
                Step::Act(who, wish) => {
                    if clients[*who].online {
                        host.receive(*who, wish);
                    } else {
                        clients[*who].outbox.push(wish.clone());
                    }
                }
                Step::Deliver(who, n) => {
                    if clients[*who].online {
                        clients[*who].take(&host, *n);
                    }
                }
                Step::Drop(who) => clients[*who].online = false,
                Step::Resume(who, snapshot) => {
                    let c = &mut clients[*who];
                    if c.online {
                        continue;
                    }
                    c.online = true;
                    if *snapshot {
                        let wire = serde_json::to_string(&host.state).unwrap();
                        c.state = serde_json::from_str(&wire).unwrap();
                        c.seen = host.log.len();
                    } else {
                        c.take(&host, usize::MAX);
                    }
                    for wish in std::mem::take(&mut c.outbox) {
                        host.receive(*who, &wish);
                    }
                }
            }
        }
        for c in &mut clients {
            c.online = true;
            for wish in std::mem::take(&mut c.outbox) {
                host.receive(0, &wish);
            }
        }
        for c in &mut clients {
            c.take(&host, usize::MAX);
            prop_assert_eq!(&c.state, &host.state);
        }
    }

    /// One participant alone: undoing every step empties the board, redoing them all brings it
    /// back exactly.
    #[test]
    fn undo_all_then_redo_all_is_the_same_board(
        wishes in prop::collection::vec(prop_oneof![1 => (0u8..4).prop_map(Wish::Image), 5 => op().prop_map(Wish::Op)], 1..60)
    ) {
        let mut host = Host { state: BoardState::default(), after: vec![BoardState::default()], log: vec![] };
        for wish in &wishes {
            if !matches!(wish, Wish::Op(BoardOp::Undo | BoardOp::Redo)) {
                host.receive(0, wish);
            }
        }
        let before: Vec<_> = visible_annotations(&host.state).cloned().collect();
        let steps = host.state.history.get("p0").map_or(0, |h| h.undo.len());
        for _ in 0..steps {
            host.receive(0, &Wish::Op(BoardOp::Undo));
        }
        if steps < MAX_UNDO {
            prop_assert_eq!(visible_annotations(&host.state).count(), 0);
            prop_assert_eq!(instant_share_board::visible_images(&host.state).count(), 0);
        }
        for _ in 0..steps {
            host.receive(0, &Wish::Op(BoardOp::Redo));
        }
        let after: Vec<_> = visible_annotations(&host.state).cloned().collect();
        prop_assert_eq!(before, after);
    }
}

/// Where the vectors for the TypeScript twin of `apply` (ui/src/lib/board/state.ts) live.
const VECTORS: &str = "tests/fixtures/board-vectors.json";

/// Event sequences from the same generator as the property above, with the board after each
/// event, for `tests/board-state.test.mjs` to replay through the TypeScript. Deterministic;
/// `UPDATE_GENERATED=1 cargo test -p instant-share-board` rewrites the file.
#[test]
fn vectors_for_the_typescript_board_are_current() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let steps = prop::collection::vec(step(), 20..120);
    let mut cases = Vec::new();
    for _ in 0..24 {
        let steps = steps.new_tree(&mut runner).unwrap().current();
        let mut host = Host {
            state: BoardState::default(),
            after: vec![BoardState::default()],
            log: vec![],
        };
        for step in &steps {
            if let Step::Act(who, wish) = step {
                host.receive(*who, wish);
            }
        }
        cases.push(serde_json::json!({
            "events": host.log,
            "after": &host.after[1..],
        }));
    }
    let fresh = serde_json::to_string(&serde_json::json!({
        "source": "crates/board/tests/convergence.rs (UPDATE_GENERATED=1 cargo test -p instant-share-board)",
        "cases": cases,
    }))
    .unwrap()
        + "\n";
    instant_share_protocol::typescript::check_or_update(
        VECTORS,
        &fresh,
        "UPDATE_GENERATED=1 cargo test -p instant-share-board",
    );
}
