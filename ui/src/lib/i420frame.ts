// The desktop app's video frame message (src-tauri/src/media/frame.rs): a 16-byte header, then
// the Y, U and V planes of an I420 picture. Parsing makes views into the received buffer; no
// pixel is copied.
//
//   0  4  magic "ISVF"          8  2  width  (u16 LE)
//   4  1  version (1)           10 2  height (u16 LE)
//   5  1  track: 1 camera, 2 screen   12 4  sequence number in its stream (u32 LE)
//   6  1  source: participant index, 255 = this computer (self-view)
//   7  1  reserved

export const FRAME_MAGIC = 0x46565349; // "ISVF" read as a little-endian u32
export const FRAME_VERSION = 1;
export const FRAME_HEADER_LEN = 16;
/** The source index of this computer's own picture. */
export const SELF_VIEW = 255;

export type VideoTrack = 'camera' | 'screen';

/** One picture, planes as views into the message. */
export interface I420Frame {
  /** `source * 256 + track`: what the app acknowledges. */
  stream: number;
  source: number;
  track: VideoTrack;
  width: number;
  height: number;
  seq: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

/** The acknowledgement key of a (source, track) stream. */
export function streamKey(source: number, track: VideoTrack): number {
  return source * 256 + (track === 'camera' ? 1 : 2);
}

/** Reads one message; `null` if it is not a frame of this version or its length is wrong. */
export function parseFrame(buffer: ArrayBuffer): I420Frame | null {
  if (buffer.byteLength < FRAME_HEADER_LEN) return null;
  const view = new DataView(buffer);
  if (view.getUint32(0, true) !== FRAME_MAGIC || view.getUint8(4) !== FRAME_VERSION) return null;
  const trackByte = view.getUint8(5);
  if (trackByte !== 1 && trackByte !== 2) return null;
  const source = view.getUint8(6);
  const width = view.getUint16(8, true);
  const height = view.getUint16(10, true);
  const seq = view.getUint32(12, true);
  const luma = width * height;
  const chroma = Math.ceil(width / 2) * Math.ceil(height / 2);
  if (width === 0 || height === 0 || buffer.byteLength !== FRAME_HEADER_LEN + luma + 2 * chroma) return null;
  const track: VideoTrack = trackByte === 1 ? 'camera' : 'screen';
  return {
    stream: source * 256 + trackByte,
    source,
    track,
    width,
    height,
    seq,
    y: new Uint8Array(buffer, FRAME_HEADER_LEN, luma),
    u: new Uint8Array(buffer, FRAME_HEADER_LEN + luma, chroma),
    v: new Uint8Array(buffer, FRAME_HEADER_LEN + luma + chroma, chroma),
  };
}
