// The frame stamp: a frame's 16-bit number painted into the picture, so a frame can be followed
// from the sender's canvas to the receiver's screen. Same format as the native engine
// (crates/media/src/synthetic/pattern.rs): the top rows hold 16x16-pixel blocks, as many to a
// row as fit (one row of 32 when the picture is at least 512 wide); block i (0..15) is bit i of
// the number, blocks 16..31 the bits of its complement; black for 0, white for 1. Reading
// refuses a picture it cannot read with certainty (an unclear block, or a complement that does
// not agree) instead of guessing.

/** Side of one block, in pixels. */
export const STAMP_BLOCK = 16;
/** Rows of pixels a reader needs for pictures at least 256 wide (two rows of blocks). */
export const STAMP_ROWS = 2 * STAMP_BLOCK;

const BITS = 16;
const BLOCKS = 2 * BITS;
/** A block whose mean luma is at most this reads as 0 … */
const DARK_MAX = 90;
/** … and at least this as 1; anything between is unreadable. */
const LIGHT_MIN = 170;

/** One block of a stamp, in pixels. */
export interface StampBlock {
  x: number;
  y: number;
  size: number;
  white: boolean;
}

/** The 32 bits of a stamp: the number's 16, then its complement's. */
export function stampBits(frame: number): boolean[] {
  const n = frame & 0xffff;
  const value = n | ((~n & 0xffff) << 16);
  return Array.from({ length: BLOCKS }, (_, i) => ((value >>> i) & 1) === 1);
}

/** Where the blocks of `frame`'s stamp go in a picture `width` wide (`[]` if too narrow). */
export function stampBlocks(width: number, frame: number): StampBlock[] {
  const perRow = Math.floor(width / STAMP_BLOCK);
  if (perRow === 0) return [];
  return stampBits(frame).map((white, i) => ({
    x: (i % perRow) * STAMP_BLOCK,
    y: Math.floor(i / perRow) * STAMP_BLOCK,
    size: STAMP_BLOCK,
    white,
  }));
}

/** Paints `frame`'s stamp onto a 2D canvas `width` wide. */
export function drawStamp(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, width: number, frame: number): void {
  for (const b of stampBlocks(width, frame)) {
    ctx.fillStyle = b.white ? '#ffffff' : '#000000';
    ctx.fillRect(b.x, b.y, b.size, b.size);
  }
}

/**
 * Reads the stamp from pixels: `channels` 4 for RGBA (as `getImageData` gives, luma computed
 * with BT.601 weights), 1 for a luma plane. `block` is the block side in these pixels: 16 for a
 * picture at the size it was stamped, smaller for one scaled down on the way. Returns the frame
 * number, or `null` when any block is unclear or the complement disagrees.
 */
export function readStamp(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 4 = 4,
  block: number = STAMP_BLOCK,
): number | null {
  const perRow = Math.floor(width / block);
  if (perRow === 0 || block < 2 || pixels.length < width * height * channels) return null;
  const rows = Math.ceil(BLOCKS / perRow);
  if (Math.ceil(rows * block) > height) return null;
  let value = 0;
  for (let i = 0; i < BLOCKS; i++) {
    // The block's centre half: edges blur in a lossy codec.
    const x0 = (i % perRow) * block + block / 4;
    const y0 = Math.floor(i / perRow) * block + block / 4;
    const [xs, xe] = [Math.round(x0), Math.max(Math.round(x0 + block / 2), Math.round(x0) + 1)];
    const [ys, ye] = [Math.round(y0), Math.max(Math.round(y0 + block / 2), Math.round(y0) + 1)];
    let sum = 0;
    for (let y = ys; y < ye; y++) {
      for (let x = xs; x < xe; x++) {
        const p = (y * width + x) * channels;
        sum += channels === 1 ? (pixels[p] ?? 0) : luma(pixels[p] ?? 0, pixels[p + 1] ?? 0, pixels[p + 2] ?? 0);
      }
    }
    const mean = Math.floor(sum / ((xe - xs) * (ye - ys)));
    if (mean >= LIGHT_MIN) value |= 1 << i;
    else if (mean > DARK_MAX) return null;
  }
  const n = value & 0xffff;
  const check = (value >>> 16) & 0xffff;
  return (n ^ check) === 0xffff ? n : null;
}

/**
 * Reads a stamp from the top rows of a received picture `width` wide: first at the size it was
 * stamped, then as if scaled down from the usual capture widths (a sender may lower the
 * resolution under load).
 */
export function readStampScaled(rgba: ArrayLike<number>, width: number, height: number): number | null {
  const direct = readStamp(rgba, width, height);
  if (direct !== null) return direct;
  for (const nominal of [640, 1280, 1920]) {
    const block = (STAMP_BLOCK * width) / nominal;
    if (nominal <= width || block < 4) continue;
    const scaled = readStamp(rgba, width, height, 4, block);
    if (scaled !== null) return scaled;
  }
  return null;
}

function luma(r: number, g: number, b: number): number {
  return (77 * r + 150 * g + 29 * b) >> 8;
}
