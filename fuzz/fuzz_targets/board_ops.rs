//! The co-browse board under arbitrary operations from four participants (an expert, the
//! requester, a guest who draws, a guest who looks), built from the input and, every few steps,
//! decoded from JSON as the host decodes them off the socket.
//!
//! The host's board is `handle` + `apply`; a client's is the events the host sent, after a
//! trip through JSON, applied in order; a late joiner's is the host's snapshot after a trip
//! through JSON. After every step the three must be equal, and the board must hold what the
//! crate promises: unique ids, bounded undo stacks and stroke points, nothing hidden that no
//! step can bring back, no annotation on an image that is gone, no view of a hidden image.
#![no_main]

use std::collections::HashSet;

use arbitrary::{Result, Unstructured};
use instant_share_board::{add_image, apply, check_pointer, handle, visible_images, Access};
use instant_share_protocol::{
    ApiError, BoardEvent, BoardImage, BoardOp, BoardPoint, BoardState, BoardTarget, ImageSource,
    NewAnnotation, PointerAt, Shape, ViewRequest, MAX_ANNOTATIONS, MAX_BOARD_POINTS,
    MAX_STROKE_POINTS, MAX_UNDO,
};
use libfuzzer_sys::fuzz_target;

const PEOPLE: [(&str, Access); 4] = [
    ("p0", Access::Lead),
    ("p1", Access::Draw),
    ("p2", Access::Draw),
    ("p3", Access::View),
];

/// Most steps in one input: enough for undo stacks to fill and fall off.
const MAX_STEPS: usize = 400;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut host = BoardState::default();
    let mut client = BoardState::default();
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let Ok(()) = step(&mut u, &mut host, &mut client) else {
            break;
        };
        check(&host);
        assert_eq!(client, host, "a client that applied the events differs");
        let snapshot: BoardState =
            serde_json::from_str(&serde_json::to_string(&host).unwrap()).unwrap();
        assert_eq!(snapshot, host, "the snapshot changed on its way");
    }
});

/// One participant does one thing; the host checks it and, if accepted, both boards apply it.
fn step(u: &mut Unstructured, host: &mut BoardState, client: &mut BoardState) -> Result<()> {
    let (by, access) = *u.choose(&PEOPLE)?;
    let made = match u.int_in_range(0..=9)? {
        0 | 1 => add_image(host, by, access, &image(u)?),
        2 => {
            let pointer = PointerAt {
                target: target(u)?,
                at: point(u)?,
            };
            // Pointers are checked, never stored.
            let before = host.clone();
            let _ = check_pointer(host, &pointer);
            assert_eq!(&before, host);
            return Ok(());
        }
        3 => {
            // An operation as it arrives on the socket.
            let text: &str = u.arbitrary()?;
            match serde_json::from_str::<BoardOp>(text) {
                Ok(op) => handle(host, by, access, &op),
                Err(_) => return Ok(()),
            }
        }
        _ => handle(host, by, access, &op(u)?),
    };
    match made {
        Ok(event) => {
            apply(host, &event);
            let wire: BoardEvent =
                serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
            assert_eq!(wire, event);
            apply(client, &wire);
        }
        Err(e) => {
            // Every refusal has a code and a sentence.
            let error = ApiError::from(e);
            assert!(!error.message.is_empty());
        }
    }
    Ok(())
}

fn image_id(u: &mut Unstructured) -> Result<String> {
    Ok(if u.ratio(7, 8)? {
        format!("{:064x}", u.int_in_range(0u8..=5)?)
    } else {
        u.arbitrary()?
    })
}

fn id(u: &mut Unstructured, prefix: &str) -> Result<String> {
    Ok(if u.ratio(7, 8)? {
        format!("{prefix}{}", u.int_in_range(0u8..=11)?)
    } else {
        u.arbitrary()?
    })
}

fn image(u: &mut Unstructured) -> Result<BoardImage> {
    Ok(BoardImage {
        id: image_id(u)?,
        // The host fills `by` and `hidden` in; whatever arrives must be overwritten.
        by: u.arbitrary()?,
        name: if u.ratio(3, 4)? {
            "screenshot.png".into()
        } else {
            u.arbitrary()?
        },
        source: *u.choose(&[
            ImageSource::Screenshot,
            ImageSource::File,
            ImageSource::Camera,
        ])?,
        width: u.int_in_range(0..=4000)?,
        height: u.int_in_range(0..=4000)?,
        hidden: u.arbitrary()?,
    })
}

fn target(u: &mut Unstructured) -> Result<BoardTarget> {
    Ok(if u.ratio(3, 4)? {
        BoardTarget::Image {
            image_id: image_id(u)?,
        }
    } else {
        BoardTarget::Screen {
            participant_id: id(u, "p")?,
        }
    })
}

/// Mostly in bounds, sometimes just outside.
fn point(u: &mut Unstructured) -> Result<BoardPoint> {
    Ok([u.int_in_range(0..=10_050)?, u.int_in_range(0..=10_050)?])
}

fn points(u: &mut Unstructured) -> Result<Vec<BoardPoint>> {
    let n = if u.ratio(1, 16)? {
        u.int_in_range(0..=MAX_STROKE_POINTS + 1)?
    } else {
        u.int_in_range(0..=24)?
    };
    (0..n).map(|_| point(u)).collect()
}

fn shape(u: &mut Unstructured) -> Result<Shape> {
    Ok(match u.int_in_range(0..=5)? {
        0 => Shape::Pen { points: points(u)? },
        1 => Shape::Highlight { points: points(u)? },
        2 => Shape::Arrow {
            from: point(u)?,
            to: point(u)?,
        },
        3 => Shape::Rect {
            from: point(u)?,
            to: point(u)?,
        },
        4 => Shape::Ellipse {
            from: point(u)?,
            to: point(u)?,
        },
        _ => Shape::Text {
            at: point(u)?,
            text: u.arbitrary()?,
        },
    })
}

fn op(u: &mut Unstructured) -> Result<BoardOp> {
    Ok(match u.int_in_range(0..=7)? {
        0..=2 => BoardOp::Annotate {
            annotation: NewAnnotation {
                id: id(u, "a")?,
                target: target(u)?,
                shape: shape(u)?,
                color: if u.ratio(7, 8)? {
                    (*u.choose(&["#ff0000", "#00AA00", "#123abc"])?).into()
                } else {
                    u.arbitrary()?
                },
                width: u.int_in_range(0..=33)?,
            },
        },
        3 => BoardOp::Erase {
            annotation_id: id(u, "a")?,
        },
        4 => BoardOp::Clear { target: target(u)? },
        5 => BoardOp::RemoveImage {
            image_id: image_id(u)?,
        },
        6 => BoardOp::SetView {
            view: if u.ratio(1, 4)? {
                None
            } else {
                Some(ViewRequest {
                    target: target(u)?,
                    center: point(u)?,
                    zoom_percent: u.int_in_range(0..=2100)?,
                })
            },
        },
        _ => {
            if u.arbitrary()? {
                BoardOp::Undo
            } else {
                BoardOp::Redo
            }
        }
    })
}

/// What every board must hold, whatever was done to it.
fn check(state: &BoardState) {
    let image_ids: HashSet<&str> = state.images.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(image_ids.len(), state.images.len(), "an image id twice");
    let annotation_ids: HashSet<&str> = state.annotations.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        annotation_ids.len(),
        state.annotations.len(),
        "an annotation id twice"
    );
    assert!(state.annotations.len() <= 2 * MAX_ANNOTATIONS);
    let stroke_points: usize = state
        .annotations
        .iter()
        .map(|a| match &a.shape {
            Shape::Pen { points } | Shape::Highlight { points } => points.len(),
            _ => 1,
        })
        .sum();
    assert!(stroke_points <= MAX_BOARD_POINTS);

    let (mut named_annotations, mut named_images) = (HashSet::new(), HashSet::new());
    for (who, history) in &state.history {
        assert!(history.undo.len() <= MAX_UNDO, "{who} can undo too much");
        assert!(
            !history.undo.is_empty() || !history.redo.is_empty(),
            "an empty history is kept"
        );
        for action in history.undo.iter().chain(&history.redo) {
            assert!(
                !action.annotations.is_empty() || !action.images.is_empty(),
                "a step that changes nothing is offered"
            );
            named_annotations.extend(action.annotations.iter().map(String::as_str));
            named_images.extend(action.images.iter().map(String::as_str));
            for id in &action.annotations {
                assert!(
                    annotation_ids.contains(id.as_str()),
                    "a step names a gone annotation"
                );
            }
            for id in &action.images {
                assert!(image_ids.contains(id.as_str()), "a step names a gone image");
            }
        }
    }
    for a in &state.annotations {
        assert!(
            !a.hidden || named_annotations.contains(a.id.as_str()),
            "a hidden annotation nobody can bring back"
        );
        if let BoardTarget::Image { image_id } = &a.target {
            assert!(
                image_ids.contains(image_id.as_str()),
                "an annotation on a gone image"
            );
        }
    }
    for i in &state.images {
        assert!(
            !i.hidden || named_images.contains(i.id.as_str()),
            "a hidden image nobody can bring back"
        );
    }
    if let Some(view) = &state.view {
        if let BoardTarget::Image { image_id } = &view.target {
            assert!(
                visible_images(state).any(|i| &i.id == image_id),
                "the view shows a hidden image"
            );
        }
    }
}
