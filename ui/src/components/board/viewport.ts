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

/**
 * Where a board on a stage puts its tools: a row of the stage above the picture, so that the
 * tools never cover what they draw on (ZoomStage provides it; `null` until it is in the page).
 */
export const BOARD_TOOLS_HOST = Symbol('board-tools-host');

/** Moves `node` into `host` while there is one (a portal: the element stays the component's). */
export function dockIn(node: HTMLElement, host: HTMLElement | null | undefined) {
  let current: HTMLElement | null = null;
  const place = (next: HTMLElement | null | undefined) => {
    if (next && next !== current) {
      next.appendChild(node);
      current = next;
    }
  };
  place(host);
  return {
    update: place,
    destroy() {
      node.remove();
    },
  };
}
