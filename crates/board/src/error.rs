//! Why a board operation was refused.

use instant_share_protocol::{ApiError, ErrorCode};

/// A refused board operation. [`BoardError::code`] is what programs match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardError {
    /// The participant may only look.
    #[error("you can look at the board but not change it")]
    ViewOnly,
    /// Only the expert may change what someone else drew or shared.
    #[error("only the expert can change what someone else drew or shared")]
    NotYours,
    /// A point lies outside its target.
    #[error("a point lies outside the image or screen (0 to {max} each way)")]
    OutOfBounds {
        /// The largest coordinate.
        max: u16,
    },
    /// A stroke without points, or with too many.
    #[error("a stroke has 1 to {max} points")]
    StrokePoints {
        /// The most points.
        max: usize,
    },
    /// Text that is empty, too long, or holds control characters or direction overrides.
    #[error("text has 1 to {max} characters, not only spaces, and no control characters or text-direction overrides")]
    Text {
        /// The most characters.
        max: usize,
    },
    /// Not a `#rrggbb` colour.
    #[error("a colour is written #rrggbb")]
    Color,
    /// A line width outside 1 to 32.
    #[error("a line width is 1 to 32")]
    Width,
    /// A zoom outside 10 to 2000 %.
    #[error("a zoom is 10 to 2000 %")]
    Zoom,
    /// An id that is empty, too long or has other characters.
    #[error("an id has 1 to 64 of A-Z a-z 0-9 - _ . :")]
    Id,
    /// Image details that cannot be right.
    #[error("{0}")]
    ImageDetails(&'static str),
    /// No such image (or it was removed).
    #[error("there is no such image on the board")]
    UnknownImage,
    /// No such annotation (or it was erased).
    #[error("there is no such annotation on the board")]
    UnknownAnnotation,
    /// The annotation id is taken.
    #[error("an annotation with this id is already on the board")]
    DuplicateAnnotation,
    /// The image is on the board already (or was, and can be brought back with undo).
    #[error("this image is already on the board")]
    DuplicateImage,
    /// The board holds as many annotations or images as it may.
    #[error("the board is full: at most {max} {what}")]
    Full {
        /// "annotations" or "images".
        what: &'static str,
        /// How many.
        max: usize,
    },
    /// Undo with nothing to undo.
    #[error("there is nothing of yours to undo")]
    NothingToUndo,
    /// Redo with nothing to redo.
    #[error("there is nothing of yours to redo")]
    NothingToRedo,
    /// Clear with nothing to clear.
    #[error("there is nothing here for you to clear")]
    NothingToClear,
}

impl BoardError {
    /// The stable code for programs.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::ViewOnly | Self::NotYours => ErrorCode::Forbidden,
            Self::UnknownImage | Self::UnknownAnnotation => ErrorCode::NotFound,
            Self::DuplicateAnnotation
            | Self::DuplicateImage
            | Self::Full { .. }
            | Self::NothingToUndo
            | Self::NothingToRedo
            | Self::NothingToClear => ErrorCode::Conflict,
            Self::OutOfBounds { .. }
            | Self::StrokePoints { .. }
            | Self::Text { .. }
            | Self::Color
            | Self::Width
            | Self::Zoom
            | Self::Id
            | Self::ImageDetails(_) => ErrorCode::BadRequest,
        }
    }
}

impl From<BoardError> for ApiError {
    fn from(e: BoardError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}
