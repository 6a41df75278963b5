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
 * Where `board`'s tools are: the stage around it (the tools dock in a row above the picture, not
 * over it); the board itself for a board that is not on a stage.
 */
export function toolsOf(board) {
  return board.locator('xpath=ancestor-or-self::*[@data-zoom-stage][1]');
}

/**
 * Draws a red arrow on `board` (a Playwright locator on `page`) through the points given as
 * fractions of its canvas: arrow tool, red, then a drag in steps.
 */
export async function drawRedArrow(page, board, points, timeout = 15_000) {
  await toolsOf(board).locator('[data-testid="board-tool-arrow"]').click({ timeout });
  await toolsOf(board).locator('[data-testid="board-color-red"]').click({ timeout });
  const box = await board.locator('[data-testid="board-canvas"]').boundingBox();
  const at = ([x, y]) => [box.x + box.width * x, box.y + box.height * y];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
  await page.mouse.up();
  return box;
}

/**
 * Fails unless `board`'s tools (a Playwright locator) lie wholly above the picture they draw
 * on: the tools never cover it, whatever the page's size. Returns both boxes.
 */
export async function assertToolsClear(board, what) {
  const tools = await toolsOf(board).locator('[data-testid="board-toolbar"]').boundingBox();
  const picture = await board.locator('[data-testid="board-canvas"]').boundingBox();
  if (!tools || !picture) throw new Error(`${what}: no tools or no picture on the page`);
  const overlap = Math.max(0, tools.y + tools.height - picture.y);
  if (overlap > 0.5) {
    throw new Error(`${what}: the tools cover ${Math.round(overlap)} px of the picture's top (tools ${JSON.stringify(tools)}, picture ${JSON.stringify(picture)})`);
  }
  return { tools, picture };
}

/** The same in the app window (WebDriver): the stage `stage` (a CSS selector) with its board. */
export async function assertAppToolsClear(app, stage, what) {
  const boxes = await app.execute(
    `const stage = document.querySelector(arguments[0]);
     const tools = stage?.querySelector('[data-testid="board-toolbar"]')?.getBoundingClientRect();
     const picture = stage?.querySelector('[data-testid="board-canvas"]')?.getBoundingClientRect();
     return tools && picture ? { tools: { y: tools.y, height: tools.height, x: tools.x, width: tools.width }, picture: { y: picture.y, height: picture.height, x: picture.x, width: picture.width } } : null;`,
    [stage],
  );
  if (!boxes) throw new Error(`${what}: no tools or no picture in the app`);
  const overlap = boxes.tools.y + boxes.tools.height - boxes.picture.y;
  if (overlap > 0.5) throw new Error(`${what}: the tools cover ${Math.round(overlap)} px of the picture (${JSON.stringify(boxes)})`);
  return boxes;
}
