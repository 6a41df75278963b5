//! Checking one participant's operation against the board and what they may do.

use instant_share_protocol::{
    text, Annotation, BoardEvent, BoardImage, BoardOp, BoardPoint, BoardState, BoardTarget,
    BoardView, NewAnnotation, PointerAt, Role, Shape, ViewRequest, BOARD_UNITS, MAX_ANNOTATIONS,
    MAX_BOARD_IMAGES, MAX_BOARD_POINTS, MAX_STROKE_POINTS, MAX_TEXT_CHARS,
};

use crate::apply::visible_images;
use crate::BoardError;

/// What a participant may do on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Look and point.
    View,
    /// Also draw, share images, lead the view, and erase or remove their own.
    Draw,
    /// Also erase, clear and remove what anyone drew or shared (the expert).
    Lead,
}

impl Access {
    /// The access that comes with a role: the expert leads, the requester draws, a guest
    /// draws if invited to (`may_draw`) and otherwise looks.
    pub fn of(role: Role, may_draw: bool) -> Self {
        match role {
            Role::Expert => Self::Lead,
            Role::Requester => Self::Draw,
            Role::Guest if may_draw => Self::Draw,
            Role::Guest => Self::View,
        }
    }
}

/// Checks `op` from participant `by` and returns the event it makes. Changes nothing: the host
/// [`apply`](crate::apply)s the event and sends it on.
pub fn handle(
    state: &BoardState,
    by: &str,
    access: Access,
    op: &BoardOp,
) -> Result<BoardEvent, BoardError> {
    if access == Access::View {
        return Err(BoardError::ViewOnly);
    }
    match op {
        BoardOp::Annotate { annotation } => annotate(state, by, annotation),
        BoardOp::Erase { annotation_id } => {
            let a = state
                .annotations
                .iter()
                .find(|a| &a.id == annotation_id && !a.hidden)
                .ok_or(BoardError::UnknownAnnotation)?;
            if a.by != by && access != Access::Lead {
                return Err(BoardError::NotYours);
            }
            Ok(BoardEvent::Hidden {
                by: by.to_owned(),
                annotations: vec![a.id.clone()],
                images: vec![],
            })
        }
        BoardOp::Clear { target } => {
            check_target(state, target)?;
            let ids: Vec<String> = state
                .annotations
                .iter()
                .filter(|a| {
                    !a.hidden && &a.target == target && (access == Access::Lead || a.by == by)
                })
                .map(|a| a.id.clone())
                .collect();
            if ids.is_empty() {
                return Err(BoardError::NothingToClear);
            }
            Ok(BoardEvent::Hidden {
                by: by.to_owned(),
                annotations: ids,
                images: vec![],
            })
        }
        BoardOp::RemoveImage { image_id } => {
            let image = visible_images(state)
                .find(|i| &i.id == image_id)
                .ok_or(BoardError::UnknownImage)?;
            if image.by != by && access != Access::Lead {
                return Err(BoardError::NotYours);
            }
            Ok(BoardEvent::Hidden {
                by: by.to_owned(),
                annotations: vec![],
                images: vec![image.id.clone()],
            })
        }
        BoardOp::SetView { view } => {
            let view = match view {
                None => None,
                Some(ViewRequest {
                    target,
                    center,
                    zoom_percent,
                }) => {
                    check_target(state, target)?;
                    check_point(center)?;
                    if !(10..=2000).contains(zoom_percent) {
                        return Err(BoardError::Zoom);
                    }
                    Some(BoardView {
                        by: by.to_owned(),
                        target: target.clone(),
                        center: *center,
                        zoom_percent: *zoom_percent,
                    })
                }
            };
            Ok(BoardEvent::ViewSet { view })
        }
        BoardOp::Undo => match state.history.get(by) {
            Some(h) if !h.undo.is_empty() => Ok(BoardEvent::Undone { by: by.to_owned() }),
            _ => Err(BoardError::NothingToUndo),
        },
        BoardOp::Redo => match state.history.get(by) {
            Some(h) if !h.redo.is_empty() => Ok(BoardEvent::Redone { by: by.to_owned() }),
            _ => Err(BoardError::NothingToRedo),
        },
    }
}

/// Checks an image the host has stored and `by` shares, and returns the event that puts it on
/// the board.
pub fn add_image(
    state: &BoardState,
    by: &str,
    access: Access,
    image: &BoardImage,
) -> Result<BoardEvent, BoardError> {
    if access == Access::View {
        return Err(BoardError::ViewOnly);
    }
    if image.id.len() != 64 || !image.id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BoardError::ImageDetails("an image id is a SHA-256 in hex"));
    }
    if image.width == 0 || image.height == 0 {
        return Err(BoardError::ImageDetails("an image has pixels"));
    }
    let name = image.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(BoardError::ImageDetails(
            "an image name has 1 to 200 characters and no control characters",
        ));
    }
    if state.images.iter().any(|i| i.id == image.id) {
        return Err(BoardError::DuplicateImage);
    }
    // Shown pictures count; removed ones kept for undo are bounded by the undo stacks.
    if visible_images(state).count() >= MAX_BOARD_IMAGES {
        return Err(BoardError::Full {
            what: "images",
            max: MAX_BOARD_IMAGES,
        });
    }
    Ok(BoardEvent::ImageAdded {
        image: BoardImage {
            by: by.to_owned(),
            name: name.to_owned(),
            hidden: false,
            ..image.clone()
        },
    })
}

/// Checks a pointer position (pointers are passed on, not stored).
pub fn check_pointer(state: &BoardState, pointer: &PointerAt) -> Result<(), BoardError> {
    check_target(state, &pointer.target)?;
    check_point(&pointer.at)
}

fn annotate(state: &BoardState, by: &str, new: &NewAnnotation) -> Result<BoardEvent, BoardError> {
    check_id(&new.id)?;
    check_target(state, &new.target)?;
    match &new.shape {
        Shape::Pen { points } | Shape::Highlight { points } => {
            if points.is_empty() || points.len() > MAX_STROKE_POINTS {
                return Err(BoardError::StrokePoints {
                    max: MAX_STROKE_POINTS,
                });
            }
            points.iter().try_for_each(check_point)?;
        }
        Shape::Arrow { from, to } | Shape::Rect { from, to } | Shape::Ellipse { from, to } => {
            check_point(from)?;
            check_point(to)?;
        }
        Shape::Text { at, text } => {
            check_point(at)?;
            let n = text.chars().count();
            if text.trim().is_empty()
                || n > MAX_TEXT_CHARS
                || text
                    .chars()
                    .any(|c| c.is_control() || text::is_direction_control(c))
            {
                return Err(BoardError::Text {
                    max: MAX_TEXT_CHARS,
                });
            }
        }
    }
    let color = new.color.to_ascii_lowercase();
    if color.len() != 7
        || !color.starts_with('#')
        || !color[1..].bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(BoardError::Color);
    }
    if !(1..=32).contains(&new.width) {
        return Err(BoardError::Width);
    }
    if state.annotations.iter().any(|a| a.id == new.id) {
        return Err(BoardError::DuplicateAnnotation);
    }
    // Shown ones count; with those kept for undo, at most twice as many.
    let shown = state.annotations.iter().filter(|a| !a.hidden).count();
    if shown >= MAX_ANNOTATIONS || state.annotations.len() >= 2 * MAX_ANNOTATIONS {
        return Err(BoardError::Full {
            what: "annotations",
            max: MAX_ANNOTATIONS,
        });
    }
    let points = |shape: &Shape| match shape {
        Shape::Pen { points } | Shape::Highlight { points } => points.len(),
        _ => 1,
    };
    let kept: usize = state.annotations.iter().map(|a| points(&a.shape)).sum();
    if kept + points(&new.shape) > MAX_BOARD_POINTS {
        return Err(BoardError::Full {
            what: "stroke points",
            max: MAX_BOARD_POINTS,
        });
    }
    Ok(BoardEvent::Annotated {
        annotation: Annotation {
            id: new.id.clone(),
            by: by.to_owned(),
            target: new.target.clone(),
            shape: new.shape.clone(),
            color,
            width: new.width,
            hidden: false,
        },
    })
}

fn check_id(id: &str) -> Result<(), BoardError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(BoardError::Id)
    }
}

/// An image must be shown; a screen is named by a participant id (the host checks that it is
/// one of the session's).
fn check_target(state: &BoardState, target: &BoardTarget) -> Result<(), BoardError> {
    match target {
        BoardTarget::Image { image_id } => {
            if visible_images(state).any(|i| &i.id == image_id) {
                Ok(())
            } else {
                Err(BoardError::UnknownImage)
            }
        }
        BoardTarget::Screen { participant_id } => check_id(participant_id),
    }
}

fn check_point(p: &BoardPoint) -> Result<(), BoardError> {
    if p[0] <= BOARD_UNITS && p[1] <= BOARD_UNITS {
        Ok(())
    } else {
        Err(BoardError::OutOfBounds { max: BOARD_UNITS })
    }
}
