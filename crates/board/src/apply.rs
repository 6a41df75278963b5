//! What each board event does to the board: the host and every client run this same code.

use std::collections::HashSet;

use instant_share_protocol::{
    Annotation, BoardAction, BoardEvent, BoardImage, BoardState, BoardTarget, MAX_UNDO,
};

/// Applies one event. Events refer to what the host saw when it made them; applied in the
/// host's order they always fit (ids that are gone are skipped).
pub fn apply(state: &mut BoardState, event: &BoardEvent) {
    match event {
        BoardEvent::Annotated { annotation } => {
            let annotation = Annotation {
                hidden: false,
                ..annotation.clone()
            };
            let action = BoardAction {
                showed: true,
                annotations: vec![annotation.id.clone()],
                images: vec![],
            };
            let by = annotation.by.clone();
            state.annotations.push(annotation);
            record(state, &by, action);
        }
        BoardEvent::ImageAdded { image } => {
            let image = BoardImage {
                hidden: false,
                ..image.clone()
            };
            let action = BoardAction {
                showed: true,
                annotations: vec![],
                images: vec![image.id.clone()],
            };
            let by = image.by.clone();
            state.images.push(image);
            record(state, &by, action);
        }
        BoardEvent::Hidden {
            by,
            annotations,
            images,
        } => {
            let action = BoardAction {
                showed: false,
                annotations: annotations.clone(),
                images: images.clone(),
            };
            show(state, &action, false);
            record(state, by, action);
        }
        BoardEvent::Undone { by } => {
            let history = state.history.entry(by.clone()).or_default();
            if let Some(action) = history.undo.pop() {
                history.redo.push(action.clone());
                show(state, &action, !action.showed);
            }
        }
        BoardEvent::Redone { by } => {
            let history = state.history.entry(by.clone()).or_default();
            if let Some(action) = history.redo.pop() {
                history.undo.push(action.clone());
                show(state, &action, action.showed);
            }
        }
        BoardEvent::ViewSet { view } => state.view = view.clone(),
    }
    // Nobody can be asked to look at an image that is not there.
    if let Some(BoardTarget::Image { image_id }) = state.view.as_ref().map(|v| &v.target) {
        if !visible_images(state).any(|i| &i.id == image_id) {
            state.view = None;
        }
    }
    collect(state);
}

/// The annotations to draw, bottom first: highlights under everything else, each group in the
/// order drawn; only those on a shown image or on a screen.
pub fn visible_annotations(state: &BoardState) -> impl Iterator<Item = &Annotation> {
    let shown: HashSet<&str> = visible_images(state).map(|i| i.id.as_str()).collect();
    let on_shown = move |a: &&Annotation| {
        !a.hidden
            && match &a.target {
                BoardTarget::Image { image_id } => shown.contains(image_id.as_str()),
                BoardTarget::Screen { .. } => true,
            }
    };
    let highlights = state
        .annotations
        .iter()
        .filter(|a| matches!(a.shape, instant_share_protocol::Shape::Highlight { .. }));
    let others = state
        .annotations
        .iter()
        .filter(|a| !matches!(a.shape, instant_share_protocol::Shape::Highlight { .. }));
    highlights.chain(others).filter(on_shown)
}

/// The images to show, in the order shared.
pub fn visible_images(state: &BoardState) -> impl Iterator<Item = &BoardImage> {
    state.images.iter().filter(|i| !i.hidden)
}

/// A new step of `by`'s: on top of their undo stack (the oldest falls off past
/// [`MAX_UNDO`]); whatever they had undone can no longer be redone.
fn record(state: &mut BoardState, by: &str, action: BoardAction) {
    let history = state.history.entry(by.to_owned()).or_default();
    history.undo.push(action);
    if history.undo.len() > MAX_UNDO {
        history.undo.remove(0);
    }
    history.redo.clear();
}

/// Shows (`visible`) or hides everything `action` names that is still kept.
fn show(state: &mut BoardState, action: &BoardAction, visible: bool) {
    let annotations: HashSet<&str> = action.annotations.iter().map(String::as_str).collect();
    let images: HashSet<&str> = action.images.iter().map(String::as_str).collect();
    for a in &mut state.annotations {
        if annotations.contains(a.id.as_str()) {
            a.hidden = !visible;
        }
    }
    for i in &mut state.images {
        if images.contains(i.id.as_str()) {
            i.hidden = !visible;
        }
    }
}

/// Drops what is hidden and named by no undo or redo step, and annotations on images that are
/// gone; then the steps that name nothing left, and empty histories.
fn collect(state: &mut BoardState) {
    let mut named_annotations = HashSet::new();
    let mut named_images = HashSet::new();
    for h in state.history.values() {
        for action in h.undo.iter().chain(&h.redo) {
            named_annotations.extend(action.annotations.iter().cloned());
            named_images.extend(action.images.iter().cloned());
        }
    }
    state
        .images
        .retain(|i| !i.hidden || named_images.contains(&i.id));
    let images: HashSet<&str> = state.images.iter().map(|i| i.id.as_str()).collect();
    state.annotations.retain(|a| {
        (!a.hidden || named_annotations.contains(&a.id))
            && match &a.target {
                BoardTarget::Image { image_id } => images.contains(image_id.as_str()),
                BoardTarget::Screen { .. } => true,
            }
    });
    let annotations: HashSet<&str> = state.annotations.iter().map(|a| a.id.as_str()).collect();
    for h in state.history.values_mut() {
        for action in h.undo.iter_mut().chain(h.redo.iter_mut()) {
            action
                .annotations
                .retain(|id| annotations.contains(id.as_str()));
            action.images.retain(|id| images.contains(id.as_str()));
        }
        // A step that would change nothing is not offered as one.
        let matters = |a: &BoardAction| !a.annotations.is_empty() || !a.images.is_empty();
        h.undo.retain(matters);
        h.redo.retain(matters);
    }
    state
        .history
        .retain(|_, h| !h.undo.is_empty() || !h.redo.is_empty());
}
