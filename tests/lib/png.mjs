// Just enough PNG to look at screenshots: 8-bit greyscale, RGB or RGBA, not interlaced (what
// WebKitWebDriver and Chromium write), decoded with node's zlib; and RGBA pictures written as
// PNG for tests to upload. Plus pixel statistics of a region, to tell a drawn picture from an
// empty box without a reference image.
import { deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Decodes a PNG into RGBA.
 * @param {Buffer} png
 * @returns {{width: number, height: number, rgba: Uint8Array}}
 */
export function decodePng(png) {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = data.subarray(8, 13);
      channels = { 0: 1, 2: 3, 6: 4 }[colour] ?? 0;
      if (depth !== 8 || !channels || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      }
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[out + x - channels] : 0;
      const b = y > 0 ? pixels[out - stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[out - stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      pixels[out + x] = v & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    if (channels === 1) rgba.set([pixels[s], pixels[s], pixels[s], 255], i * 4);
    else rgba.set([pixels[s], pixels[s + 1], pixels[s + 2], channels === 4 ? pixels[s + 3] : 255], i * 4);
  }
  return { width, height, rgba };
}

/**
 * Encodes RGBA pixels as an 8-bit RGBA PNG (no filtering).
 * @param {number} width
 * @param {number} height
 * @param {Uint8Array} rgba
 */
export function encodePng(width, height, rgba) {
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) {
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Mean and standard deviation of each colour channel in a rectangle (clipped to the image), and
 * how many distinct colours it has (quantised to 4 bits a channel).
 */
export function regionStats(image, { x, y, width, height }) {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(image.width, Math.round(x + width));
  const y1 = Math.min(image.height, Math.round(y + height));
  const sum = [0, 0, 0];
  const squares = [0, 0, 0];
  const colours = new Set();
  let n = 0;
  for (let row = y0; row < y1; row++) {
    for (let col = x0; col < x1; col++) {
      const i = (row * image.width + col) * 4;
      for (let c = 0; c < 3; c++) {
        sum[c] += image.rgba[i + c];
        squares[c] += image.rgba[i + c] ** 2;
      }
      colours.add(((image.rgba[i] >> 4) << 8) | ((image.rgba[i + 1] >> 4) << 4) | (image.rgba[i + 2] >> 4));
      n += 1;
    }
  }
  const mean = sum.map((s) => s / Math.max(1, n));
  const sd = squares.map((s, c) => Math.sqrt(Math.max(0, s / Math.max(1, n) - mean[c] ** 2)));
  return { pixels: n, mean, sd, colours: colours.size };
}

/** The share of pixels in the rectangle whose colour differs by more than `threshold` in any channel. */
export function changedShare(a, b, rect, threshold = 40) {
  const x0 = Math.max(0, Math.round(rect.x));
  const y0 = Math.max(0, Math.round(rect.y));
  const x1 = Math.min(a.width, b.width, Math.round(rect.x + rect.width));
  const y1 = Math.min(a.height, b.height, Math.round(rect.y + rect.height));
  let changed = 0;
  let n = 0;
  for (let row = y0; row < y1; row++) {
    for (let col = x0; col < x1; col++) {
      const ia = (row * a.width + col) * 4;
      const ib = (row * b.width + col) * 4;
      let diff = 0;
      for (let c = 0; c < 3; c++) diff = Math.max(diff, Math.abs(a.rgba[ia + c] - b.rgba[ib + c]));
      if (diff > threshold) changed += 1;
      n += 1;
    }
  }
  return changed / Math.max(1, n);
}
