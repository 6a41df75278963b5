// What a test reads off a board canvas: how many of its pixels have a colour (the board is
// drawn on a transparent canvas over the picture, so only annotations and pointers count).

/** Counts the opaque pixels of `canvas` within 40 of `rgb` in each channel. Runs in the page. */
export function canvasPixelsNear(canvas, [r, g, b]) {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 200 && Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40) n++;
  }
  return n;
}

/** The pixels near `rgb` of the board canvas inside `board` (a Playwright locator). */
export async function boardPixels(board, rgb) {
  return board.locator('[data-testid="board-canvas"]').evaluate(canvasPixelsNear, rgb);
}

/** The same in the app window (WebDriver): the board canvas inside the CSS selector `scope`; -1 without one. */
export async function appBoardPixels(app, scope, rgb) {
  return app.execute(
    `const canvas = document.querySelector(arguments[0] + ' [data-testid="board-canvas"]');
     return canvas ? (${canvasPixelsNear})(canvas, arguments[1]) : -1;`,
    [scope, rgb],
  );
}

/**
 * Draws a red arrow on `board` (a Playwright locator on `page`) through the points given as
 * fractions of its canvas: arrow tool, red, then a drag in steps.
 */
export async function drawRedArrow(page, board, points, timeout = 15_000) {
  await board.locator('[data-testid="board-tool-arrow"]').click({ timeout });
  await board.locator('[data-testid="board-color-red"]').click({ timeout });
  const box = await board.locator('[data-testid="board-canvas"]').boundingBox();
  const at = ([x, y]) => [box.x + box.width * x, box.y + box.height * y];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
  await page.mouse.up();
  return box;
}
