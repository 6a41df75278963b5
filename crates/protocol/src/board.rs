//! The co-browse board on the wire: what everyone in a session looks at together — images,
//! annotations on them or on a live screen, the view the expert leads — and the operations
//! that change it.
//!
//! Coordinates are whole numbers from 0 to [`BOARD_UNITS`] across the width and the height of
//! what they are on (an image, or a participant's shared screen), so they mean the same at
//! every window size and compare exactly. What a board operation does to [`BoardState`] is
//! defined once, in `crates/board`; the host and every client apply the same code.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// Coordinates run from 0 to this across a target.
pub const BOARD_UNITS: u16 = 10_000;
/// Most points in one pen stroke or highlight (longer ones are sent as several).
pub const MAX_STROKE_POINTS: usize = 1_000;
/// Most annotations a board shows at once; it keeps at most twice as many (with those hidden
/// but still undoable).
pub const MAX_ANNOTATIONS: usize = 2_000;
/// Most stroke points a board keeps in all (what a snapshot may weigh: ~12 bytes a point).
pub const MAX_BOARD_POINTS: usize = 200_000;
/// Most images a board shows at once (removed ones kept for undo do not count).
pub const MAX_BOARD_IMAGES: usize = 24;
/// Longest text annotation, in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Most steps each participant can undo.
pub const MAX_UNDO: usize = 50;

/// A point on a target: `[x, y]`, each 0 to [`BOARD_UNITS`] (0,0 is the top left).
pub type BoardPoint = [u16; 2];

/// What an annotation, a pointer or the view is on.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS, ToSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BoardTarget {
    /// An image on the board.
    Image {
        /// The image's id.
        image_id: String,
    },
    /// A participant's shared screen (live video).
    Screen {
        /// Whose screen.
        participant_id: String,
    },
}

/// The drawing of an annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shape {
    /// A freehand line through the points.
    Pen {
        /// 1 to [`MAX_STROKE_POINTS`] points, in drawing order.
        #[ts(type = "Array<[number, number]>")]
        #[schema(value_type = Vec<Vec<u16>>)]
        points: Vec<BoardPoint>,
    },
    /// A translucent freehand marker line, drawn under the other annotations.
    Highlight {
        /// 1 to [`MAX_STROKE_POINTS`] points, in drawing order.
        #[ts(type = "Array<[number, number]>")]
        #[schema(value_type = Vec<Vec<u16>>)]
        points: Vec<BoardPoint>,
    },
    /// An arrow from `from`, pointing at `to`.
    Arrow {
        /// Tail.
        #[ts(type = "[number, number]")]
        #[schema(value_type = Vec<u16>)]
        from: BoardPoint,
        /// Head.
        #[ts(type = "[number, number]")]
        #[schema(value_type = Vec<u16>)]
        to: BoardPoint,
    },
    /// A rectangle outline between two corners.
    Rect {
        /// One corner.
        #[ts(type = "[number, number]")]
        #[schema(value_type = Vec<u16>)]
        from: BoardPoint,
        /// The opposite corner.
        #[ts(type = "[number, number]")]
        #[schema(value_type = Vec<u16>)]
        to: BoardPoint,
    },
    /// An ellipse outline inside the rectangle of two corners.
    Ellipse {
        /// One corner.
        #[ts(type = "[number, number]")]
        #[schema(value_type = Vec<u16>)]
        from: BoardPoint,
        /// The opposite corner.
        #[ts(type = "[number, number]")]
        #[schema(value_type = Vec<u16>)]
        to: BoardPoint,
    },
    /// A line of text whose top left is `at`.
    Text {
        /// Top left.
        #[ts(type = "[number, number]")]
        #[schema(value_type = Vec<u16>)]
        at: BoardPoint,
        /// 1 to [`MAX_TEXT_CHARS`] characters, not only spaces.
        text: String,
    },
}

/// An annotation as the board keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Annotation {
    /// Chosen by the author: 1 to 64 of `A-Z a-z 0-9 - _ . :`, unique on the board.
    pub id: String,
    /// The author's participant id.
    pub by: String,
    /// What it is drawn on.
    pub target: BoardTarget,
    /// What it looks like.
    pub shape: Shape,
    /// `#rrggbb`, lower case.
    pub color: String,
    /// Line width (text: size), 1 to 32, in thousandths of the target's width.
    pub width: u8,
    /// Erased, cleared or undone (kept while someone can still undo that).
    pub hidden: bool,
}

/// Where an image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageSource {
    /// A screenshot of the whole screen or one window.
    Screenshot,
    /// A file the participant picked or dropped.
    File,
    /// A still from the camera.
    Camera,
}

/// An image on the board. Its pixels are fetched from the host by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct BoardImage {
    /// The SHA-256 of the stored file, in hex.
    pub id: String,
    /// Who shared it.
    pub by: String,
    /// A name to show (the file name, or "Screenshot").
    pub name: String,
    /// Where it came from.
    pub source: ImageSource,
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// Removed or undone (kept while someone can still undo that).
    pub hidden: bool,
}

/// What everyone is asked to look at: a target, the point at the middle of the view, and how
/// far in. Participants who follow the lead show this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct BoardView {
    /// Who set it.
    pub by: String,
    /// What is shown.
    pub target: BoardTarget,
    /// The point at the middle of the view.
    #[ts(type = "[number, number]")]
    #[schema(value_type = Vec<u16>)]
    pub center: BoardPoint,
    /// 100 = the whole target fits; 10 to 2000.
    pub zoom_percent: u16,
}

/// One step someone can undo (and then redo): annotations and images it showed or hid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct BoardAction {
    /// `true`: the step showed these (added them); `false`: it hid them.
    pub showed: bool,
    /// Annotation ids.
    pub annotations: Vec<String>,
    /// Image ids.
    pub images: Vec<String>,
}

/// A participant's undo and redo stacks, latest last.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct BoardHistory {
    /// Steps that can be undone, at most [`MAX_UNDO`].
    pub undo: Vec<BoardAction>,
    /// Steps undone that can be redone (cleared by any new step of theirs).
    pub redo: Vec<BoardAction>,
}

/// The whole board: part of the session snapshot a participant gets on join.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct BoardState {
    /// Images in the order they were shared.
    pub images: Vec<BoardImage>,
    /// Annotations in the order they were drawn (later ones on top).
    pub annotations: Vec<Annotation>,
    /// The view the lead asks everyone to look at.
    pub view: Option<BoardView>,
    /// Each participant's undo and redo stacks.
    pub history: BTreeMap<String, BoardHistory>,
}

/// An annotation as its author sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct NewAnnotation {
    /// See [`Annotation::id`].
    pub id: String,
    /// What it is drawn on.
    pub target: BoardTarget,
    /// What it looks like.
    pub shape: Shape,
    /// `#rrggbb`.
    pub color: String,
    /// 1 to 32.
    pub width: u8,
}

/// A change to the board a participant asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BoardOp {
    /// Draw an annotation.
    Annotate {
        /// The annotation.
        annotation: NewAnnotation,
    },
    /// Erase one annotation (your own; the expert: anyone's).
    Erase {
        /// Its id.
        annotation_id: String,
    },
    /// Erase the annotations on a target (your own; the expert: everyone's).
    Clear {
        /// The image or screen.
        target: BoardTarget,
    },
    /// Take an image off the board (your own; the expert: any).
    RemoveImage {
        /// Its id.
        image_id: String,
    },
    /// Ask everyone to look here (`None`: stop leading).
    SetView {
        /// The view, without `by` (the host fills it in).
        view: Option<ViewRequest>,
    },
    /// Undo your latest step.
    Undo,
    /// Redo your latest undone step.
    Redo,
}

/// A view as a participant asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ViewRequest {
    /// What to show.
    pub target: BoardTarget,
    /// The middle of the view.
    #[ts(type = "[number, number]")]
    #[schema(value_type = Vec<u16>)]
    pub center: BoardPoint,
    /// 10 to 2000.
    pub zoom_percent: u16,
}

/// What happened to the board: a session event, sequenced and stored like chat, applied by the
/// host and by every client in the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BoardEvent {
    /// A new annotation (its author can undo it).
    Annotated {
        /// The annotation.
        annotation: Annotation,
    },
    /// A new image (the sharer can undo it).
    ImageAdded {
        /// The image.
        image: BoardImage,
    },
    /// Annotations and images were hidden by an erase, a clear or a removal (undoable by `by`).
    Hidden {
        /// Who.
        by: String,
        /// Annotation ids.
        annotations: Vec<String>,
        /// Image ids.
        images: Vec<String>,
    },
    /// `by` undid their latest step.
    Undone {
        /// Who.
        by: String,
    },
    /// `by` redid their latest undone step.
    Redone {
        /// Who.
        by: String,
    },
    /// The lead view changed.
    ViewSet {
        /// The view, or `None`: nobody leads.
        view: Option<BoardView>,
    },
}

/// Where someone's pointer is (not stored: sent to the others as it moves).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct PointerAt {
    /// What it is over.
    pub target: BoardTarget,
    /// Where.
    #[ts(type = "[number, number]")]
    #[schema(value_type = Vec<u16>)]
    pub at: BoardPoint,
}
