// How a board is shown when its picture is zoomed: the scale, and where the picture's top left
// is in the frame that shows it (PictureStage sets it; the board keeps its tools in view).

export const BOARD_VIEWPORT = Symbol('board-viewport');

export interface BoardViewport {
  /** The picture's scale (1 = fitted). */
  scale: number;
  /** The picture's top left in the frame, in pixels (negative when zoomed in past it). */
  left: number;
  top: number;
  /** The frame's width in pixels. */
  frameWidth: number;
}
