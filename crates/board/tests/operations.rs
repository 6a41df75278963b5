//! Board operations one at a time: what each makes, what each refuses and why, undo and redo.

use instant_share_board::{
    add_image, apply, check_pointer, handle, visible_annotations, visible_images, Access,
    BoardError,
};
use instant_share_protocol::{
    BoardEvent, BoardImage, BoardOp, BoardState, BoardTarget, ErrorCode, ImageSource,
    NewAnnotation, PointerAt, Shape, ViewRequest, MAX_STROKE_POINTS, MAX_UNDO,
};

const IMG: &str = "aa00000000000000000000000000000000000000000000000000000000000001";

fn image(id: &str) -> BoardImage {
    BoardImage {
        id: id.into(),
        by: String::new(),
        name: "Screenshot".into(),
        source: ImageSource::Screenshot,
        width: 1280,
        height: 720,
        hidden: false,
    }
}

fn on_image() -> BoardTarget {
    BoardTarget::Image {
        image_id: IMG.into(),
    }
}

fn arrow(id: &str) -> BoardOp {
    BoardOp::Annotate {
        annotation: NewAnnotation {
            id: id.into(),
            target: on_image(),
            shape: Shape::Arrow {
                from: [100, 100],
                to: [5000, 5000],
            },
            color: "#E11D48".into(),
            width: 4,
        },
    }
}

/// Runs `op` as `by` and applies what it makes.
fn run(state: &mut BoardState, by: &str, access: Access, op: BoardOp) -> Result<(), BoardError> {
    let event = handle(state, by, access, &op)?;
    apply(state, &event);
    Ok(())
}

fn board_with_image() -> BoardState {
    let mut state = BoardState::default();
    let event = add_image(&state, "p1", Access::Draw, &image(IMG)).unwrap();
    apply(&mut state, &event);
    state
}

fn shown(state: &BoardState) -> Vec<&str> {
    visible_annotations(state).map(|a| a.id.as_str()).collect()
}

#[test]
fn an_annotation_is_drawn_erased_and_brought_back() {
    let mut s = board_with_image();
    run(&mut s, "p2", Access::Lead, arrow("a1")).unwrap();
    let a = &s.annotations[0];
    assert_eq!((a.by.as_str(), a.color.as_str()), ("p2", "#e11d48"));
    run(
        &mut s,
        "p2",
        Access::Lead,
        BoardOp::Erase {
            annotation_id: "a1".into(),
        },
    )
    .unwrap();
    assert!(shown(&s).is_empty());
    run(&mut s, "p2", Access::Lead, BoardOp::Undo).unwrap();
    assert_eq!(shown(&s), ["a1"]);
    run(&mut s, "p2", Access::Lead, BoardOp::Redo).unwrap();
    assert!(shown(&s).is_empty());
    // Undo the erase, then the drawing: nothing; redo brings the drawing back.
    run(&mut s, "p2", Access::Lead, BoardOp::Undo).unwrap();
    run(&mut s, "p2", Access::Lead, BoardOp::Undo).unwrap();
    assert!(shown(&s).is_empty());
    run(&mut s, "p2", Access::Lead, BoardOp::Redo).unwrap();
    assert_eq!(shown(&s), ["a1"]);
}

#[test]
fn undo_is_each_participant_s_own() {
    let mut s = board_with_image();
    run(&mut s, "p1", Access::Draw, arrow("mine")).unwrap();
    run(&mut s, "p2", Access::Lead, arrow("theirs")).unwrap();
    run(&mut s, "p1", Access::Draw, BoardOp::Undo).unwrap();
    assert_eq!(shown(&s), ["theirs"]);
    // p1's steps: the arrow (undone), then the image; undo again takes the image away.
    run(&mut s, "p1", Access::Draw, BoardOp::Undo).unwrap();
    assert_eq!(visible_images(&s).count(), 0);
    assert!(
        shown(&s).is_empty(),
        "annotations on a removed image are not drawn"
    );
    assert_eq!(
        run(&mut s, "p1", Access::Draw, BoardOp::Undo),
        Err(BoardError::NothingToUndo)
    );
    run(&mut s, "p1", Access::Draw, BoardOp::Redo).unwrap();
    assert_eq!(shown(&s), ["theirs"]);
}

#[test]
fn a_new_step_ends_redo_and_what_nobody_can_bring_back_is_dropped() {
    let mut s = board_with_image();
    run(&mut s, "p1", Access::Draw, arrow("a1")).unwrap();
    run(&mut s, "p1", Access::Draw, BoardOp::Undo).unwrap();
    assert_eq!(s.annotations.len(), 1, "kept hidden while it can be redone");
    run(&mut s, "p1", Access::Draw, arrow("a2")).unwrap();
    assert_eq!(
        run(&mut s, "p1", Access::Draw, BoardOp::Redo),
        Err(BoardError::NothingToRedo)
    );
    let kept: Vec<&str> = s.annotations.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(kept, ["a2"], "a1 can no longer come back, so it is gone");
}

#[test]
fn the_undo_stack_keeps_the_latest_steps() {
    let mut s = board_with_image();
    for i in 0..MAX_UNDO + 5 {
        run(&mut s, "p1", Access::Draw, arrow(&format!("a{i}"))).unwrap();
    }
    assert_eq!(s.history["p1"].undo.len(), MAX_UNDO);
    for _ in 0..MAX_UNDO {
        run(&mut s, "p1", Access::Draw, BoardOp::Undo).unwrap();
    }
    assert_eq!(shown(&s).len(), 5, "the oldest steps cannot be undone");
    assert_eq!(
        run(&mut s, "p1", Access::Draw, BoardOp::Undo),
        Err(BoardError::NothingToUndo)
    );
}

#[test]
fn who_may_do_what() {
    let mut s = board_with_image();
    assert_eq!(
        run(&mut s, "g1", Access::View, arrow("g")),
        Err(BoardError::ViewOnly)
    );
    run(&mut s, "p1", Access::Draw, arrow("a1")).unwrap();
    run(&mut s, "g2", Access::Draw, arrow("a2")).unwrap();
    let erase = |id: &str| BoardOp::Erase {
        annotation_id: id.into(),
    };
    assert_eq!(
        run(&mut s, "g2", Access::Draw, erase("a1")),
        Err(BoardError::NotYours)
    );
    assert_eq!(
        run(
            &mut s,
            "g2",
            Access::Draw,
            BoardOp::RemoveImage {
                image_id: IMG.into()
            }
        ),
        Err(BoardError::NotYours)
    );
    // Clear: a drawer clears their own, the lead everyone's.
    run(
        &mut s,
        "g2",
        Access::Draw,
        BoardOp::Clear { target: on_image() },
    )
    .unwrap();
    assert_eq!(shown(&s), ["a1"]);
    run(
        &mut s,
        "p2",
        Access::Lead,
        BoardOp::Clear { target: on_image() },
    )
    .unwrap();
    assert!(shown(&s).is_empty());
    assert_eq!(
        run(
            &mut s,
            "p2",
            Access::Lead,
            BoardOp::Clear { target: on_image() }
        ),
        Err(BoardError::NothingToClear)
    );
    run(&mut s, "p2", Access::Lead, BoardOp::Undo).unwrap();
    assert_eq!(
        shown(&s),
        ["a1"],
        "undoing the clear brings back what it hid"
    );
    run(
        &mut s,
        "p2",
        Access::Lead,
        BoardOp::RemoveImage {
            image_id: IMG.into(),
        },
    )
    .unwrap();
    assert_eq!(visible_images(&s).count(), 0);
    use instant_share_protocol::Role;
    assert_eq!(Access::of(Role::Guest, false), Access::View);
    assert_eq!(Access::of(Role::Guest, true), Access::Draw);
    assert_eq!(Access::of(Role::Requester, false), Access::Draw);
    assert_eq!(Access::of(Role::Expert, false), Access::Lead);
}

#[test]
fn bad_operations_are_refused_with_their_reason() {
    let s = board_with_image();
    let with = |f: &dyn Fn(&mut NewAnnotation)| {
        let BoardOp::Annotate { mut annotation } = arrow("x") else {
            unreachable!()
        };
        f(&mut annotation);
        handle(&s, "p1", Access::Draw, &BoardOp::Annotate { annotation }).unwrap_err()
    };
    let cases: Vec<(BoardError, ErrorCode)> = vec![
        (
            with(&|a| {
                a.shape = Shape::Arrow {
                    from: [0, 0],
                    to: [10_001, 5],
                }
            }),
            ErrorCode::BadRequest,
        ),
        (
            with(&|a| a.shape = Shape::Pen { points: vec![] }),
            ErrorCode::BadRequest,
        ),
        (
            with(&|a| {
                a.shape = Shape::Pen {
                    points: vec![[1, 1]; MAX_STROKE_POINTS + 1],
                }
            }),
            ErrorCode::BadRequest,
        ),
        (
            with(&|a| {
                a.shape = Shape::Text {
                    at: [1, 1],
                    text: "   ".into(),
                }
            }),
            ErrorCode::BadRequest,
        ),
        (
            with(&|a| {
                a.shape = Shape::Text {
                    at: [1, 1],
                    text: "a\u{7}b".into(),
                }
            }),
            ErrorCode::BadRequest,
        ),
        (with(&|a| a.color = "red".into()), ErrorCode::BadRequest),
        (with(&|a| a.color = "#12345g".into()), ErrorCode::BadRequest),
        (with(&|a| a.width = 0), ErrorCode::BadRequest),
        (with(&|a| a.width = 33), ErrorCode::BadRequest),
        (with(&|a| a.id = String::new()), ErrorCode::BadRequest),
        (with(&|a| a.id = "has space".into()), ErrorCode::BadRequest),
        (with(&|a| a.id = "x".repeat(65)), ErrorCode::BadRequest),
        (
            with(&|a| {
                a.target = BoardTarget::Image {
                    image_id: "nope".into(),
                }
            }),
            ErrorCode::NotFound,
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code, "{error}");
        let api: instant_share_protocol::ApiError = error.clone().into();
        assert_eq!(api.message, error.to_string());
    }
    let mut s2 = s.clone();
    run(&mut s2, "p1", Access::Draw, arrow("dup")).unwrap();
    assert_eq!(
        run(&mut s2, "p2", Access::Lead, arrow("dup")),
        Err(BoardError::DuplicateAnnotation)
    );
    let zoom = |z| BoardOp::SetView {
        view: Some(ViewRequest {
            target: on_image(),
            center: [5000, 5000],
            zoom_percent: z,
        }),
    };
    assert_eq!(
        handle(&s, "p2", Access::Lead, &zoom(5)),
        Err(BoardError::Zoom)
    );
    assert!(handle(&s, "p2", Access::Lead, &zoom(250)).is_ok());
    let off = PointerAt {
        target: on_image(),
        at: [20_000, 0],
    };
    assert_eq!(
        check_pointer(&s, &off),
        Err(BoardError::OutOfBounds { max: 10_000 })
    );
}

#[test]
fn images_are_checked_and_shared_once() {
    let s = board_with_image();
    assert_eq!(
        add_image(&s, "p1", Access::Draw, &image(IMG)),
        Err(BoardError::DuplicateImage)
    );
    let bad_id = image("not-a-hash");
    assert!(matches!(
        add_image(&s, "p1", Access::Draw, &bad_id),
        Err(BoardError::ImageDetails(_))
    ));
    let mut empty = image(&"b".repeat(64));
    empty.width = 0;
    assert!(matches!(
        add_image(&s, "p1", Access::Draw, &empty),
        Err(BoardError::ImageDetails(_))
    ));
    assert_eq!(
        add_image(&s, "g", Access::View, &image(&"c".repeat(64))),
        Err(BoardError::ViewOnly)
    );
    let mut many = BoardState::default();
    for i in 0..instant_share_protocol::MAX_BOARD_IMAGES {
        let event = add_image(&many, "p1", Access::Draw, &image(&format!("{i:064x}"))).unwrap();
        apply(&mut many, &event);
    }
    assert!(matches!(
        add_image(&many, "p1", Access::Draw, &image(&"d".repeat(64))),
        Err(BoardError::Full { .. })
    ));
    // A removed picture (kept for undo) leaves room for another.
    run(
        &mut many,
        "p1",
        Access::Draw,
        BoardOp::RemoveImage {
            image_id: format!("{:064x}", 0),
        },
    )
    .unwrap();
    let event = add_image(&many, "p1", Access::Draw, &image(&"d".repeat(64))).unwrap();
    apply(&mut many, &event);
    assert_eq!(
        visible_images(&many).count(),
        instant_share_protocol::MAX_BOARD_IMAGES
    );
    assert_eq!(
        many.images.len(),
        instant_share_protocol::MAX_BOARD_IMAGES + 1
    );
}

#[test]
fn the_view_follows_the_lead_and_ends_with_its_image() {
    let mut s = board_with_image();
    run(
        &mut s,
        "p2",
        Access::Lead,
        BoardOp::SetView {
            view: Some(ViewRequest {
                target: on_image(),
                center: [2500, 7500],
                zoom_percent: 200,
            }),
        },
    )
    .unwrap();
    let view = s.view.clone().unwrap();
    assert_eq!((view.by.as_str(), view.zoom_percent), ("p2", 200));
    run(
        &mut s,
        "p2",
        Access::Lead,
        BoardOp::RemoveImage {
            image_id: IMG.into(),
        },
    )
    .unwrap();
    assert_eq!(s.view, None, "nobody is asked to look at a removed image");
    let event = handle(&s, "p2", Access::Lead, &BoardOp::SetView { view: None }).unwrap();
    assert_eq!(event, BoardEvent::ViewSet { view: None });
}

#[test]
fn a_board_keeps_a_bounded_weight() {
    use instant_share_protocol::{MAX_BOARD_POINTS, MAX_STROKE_POINTS};
    let mut s = BoardState::default();
    let screen = BoardTarget::Screen {
        participant_id: "p1".into(),
    };
    let stroke = |id: usize| BoardOp::Annotate {
        annotation: NewAnnotation {
            id: format!("s{id}"),
            target: screen.clone(),
            shape: Shape::Pen {
                points: vec![[1, 1]; MAX_STROKE_POINTS],
            },
            color: "#000000".into(),
            width: 2,
        },
    };
    for i in 0..MAX_BOARD_POINTS / MAX_STROKE_POINTS {
        run(&mut s, "p2", Access::Lead, stroke(i)).unwrap();
    }
    assert!(matches!(
        run(&mut s, "p2", Access::Lead, stroke(9_999)),
        Err(BoardError::Full {
            what: "stroke points",
            ..
        })
    ));
}
