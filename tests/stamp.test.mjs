// The frame stamp of ui/src/lib/stamp.ts, read and drawn without a browser: the same format as
// the native engine's (crates/media/src/synthetic/pattern.rs), readable through blur and noise,
// refused rather than guessed when unclear. The TypeScript is compiled with the esbuild that the
// UI's build already installs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './lib/paths.mjs';

let stamp;

before(async () => {
  const require = createRequire(path.join(repoRoot, 'ui', 'package.json'));
  const esbuild = require('esbuild');
  const source = await readFile(path.join(repoRoot, 'ui', 'src', 'lib', 'stamp.ts'), 'utf8');
  const { code } = esbuild.transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' });
  stamp = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
});

/** An RGBA picture of mid-grey with the stamp painted per the format, written independently. */
function picture(width, height, frame, { black = 0, white = 255 } = {}) {
  const rgba = new Uint8ClampedArray(width * height * 4).fill(128);
  const perRow = Math.floor(width / 16);
  const value = (frame & 0xffff) | ((~frame & 0xffff) << 16);
  for (let i = 0; i < 32; i++) {
    const on = (value >>> i) & 1;
    const [bx, by] = [(i % perRow) * 16, Math.floor(i / perRow) * 16];
    for (let y = by; y < by + 16; y++) {
      for (let x = bx; x < bx + 16; x++) {
        const p = (y * width + x) * 4;
        rgba.fill(on ? white : black, p, p + 3);
      }
    }
  }
  return rgba;
}

test('a stamp reads back as its number, at 640, 1280 and a narrow 320 (two rows of blocks)', () => {
  for (const [w, h] of [[640, 480], [1280, 720], [320, 240]]) {
    for (const n of [0, 1, 2, 255, 4660, 0x8000, 0xfffe, 0xffff]) {
      assert.equal(stamp.readStamp(picture(w, 32, n), w, 32), n, `${w}x${h} frame ${n}`);
    }
  }
});

test('the layout matches the native one: 32 blocks in a row when 512 wide, complement after the number', () => {
  const blocks = stamp.stampBlocks(640, 5);
  assert.equal(blocks.length, 32);
  assert.ok(blocks.every((b) => b.y === 0 && b.size === 16));
  assert.deepEqual(blocks.slice(0, 4).map((b) => b.white), [true, false, true, false]);
  assert.deepEqual(blocks.slice(16, 20).map((b) => b.white), [false, true, false, true]);
  assert.equal(blocks[31].x, 31 * 16);
  const narrow = stamp.stampBlocks(320, 5);
  assert.equal(narrow[20].y, 16, 'a 320-wide picture wraps after 20 blocks');
  assert.equal(narrow[20].x, 0);
  assert.deepEqual(stamp.stampBlocks(8, 5), []);
});

test('a luma plane in the native limited range (16 and 235) reads the same', () => {
  const w = 640;
  const rgba = picture(w, 16, 1234, { black: 16, white: 235 });
  const y = new Uint8Array(w * 16);
  for (let i = 0; i < y.length; i++) y[i] = rgba[i * 4];
  assert.equal(stamp.readStamp(y, w, 16, 1), 1234);
});

test('blur and noise worse than a sane VP8 bitrate still read', () => {
  const [w, h] = [640, 32];
  const sharp = picture(w, h, 40_000);
  const blurred = new Uint8ClampedArray(sharp);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += sharp[((y + dy) * w + x + dx) * 4];
      const v = s / 9 + (((y * 31 + x * 17) % 41) - 20);
      blurred.fill(Math.max(0, Math.min(255, v)), (y * w + x) * 4, (y * w + x) * 4 + 3);
    }
  }
  assert.equal(stamp.readStamp(blurred, w, h), 40_000);
});

test('an unclear or inconsistent stamp is refused, not guessed', () => {
  assert.equal(stamp.readStamp(new Uint8ClampedArray(640 * 32 * 4).fill(128), 640, 32), null);
  const flipped = picture(640, 32, 7);
  // Block 15 (a 0 bit of 7) turned white without its complement block 31 turning black.
  for (let y = 0; y < 16; y++) flipped.fill(255, (y * 640 + 15 * 16) * 4, (y * 640 + 16 * 16) * 4);
  assert.equal(stamp.readStamp(flipped, 640, 32), null);
  assert.equal(stamp.readStamp(picture(640, 32, 7), 640, 8), null, 'too few rows');
});

test('a picture scaled down from 640 or 1280 is still read', () => {
  // 1280 wide stamped, scaled to 640: blocks of 8 pixels.
  const [w, h] = [640, 32];
  const full = picture(1280, 16, 321);
  const half = new Uint8ClampedArray(w * h * 4).fill(128);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * 2 * 1280 + x * 2) * 4;
      half.set(full.subarray(p, p + 4), (y * w + x) * 4);
    }
  }
  assert.equal(stamp.readStamp(half, w, h), null, 'not at 16-pixel blocks');
  assert.equal(stamp.readStampScaled(half, w, h), 321);
});
