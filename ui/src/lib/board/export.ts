// What participants take away when a session ends: every picture of the board with its
// annotations drawn in (PNG, full size, drawn by the same code as the board on screen) and the
// chat as text, in one zip file (stored, not compressed: PNG is compressed already).
import type { BoardImage, SessionSnapshot } from '../../generated/protocol';
import { paintShape } from './paint';
import { visibleAnnotations, visibleImages } from './state';

/** One file of the export. */
export interface ExportFile {
  name: string;
  data: Uint8Array;
}

/**
 * People's text as it goes into the transcript. The host refuses control characters and
 * text-direction overrides (docs/CONTRACT.md, "Text from people"); a session recorded before it
 * did may still hold some, so they show as U+FFFD here rather than act on a terminal or an
 * editor. A message's later lines are indented: no message can pass for another line of the
 * transcript.
 */
export function plainText(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, '\uFFFD')
    .split('\n')
    .join('\n    ');
}

/** The chat as text: who was there, then every message with its time. */
export function transcript(snapshot: SessionSnapshot, topic: string): string {
  const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  const name = (text: string) => plainText(text).replace(/\n */g, ' ');
  const lines = [
    `Instant Share session ${snapshot.session_id}: ${name(topic)}`,
    `Asked: ${time(snapshot.created_at)}`,
    `People: ${snapshot.participants.map((p) => `${name(p.display_name)} (${p.role})`).join(', ')}`,
  ];
  if (snapshot.note) lines.push(`Request: ${plainText(snapshot.note)}`);
  lines.push('');
  for (const m of snapshot.chat) lines.push(`[${time(m.at)}] ${name(m.from_name)}: ${plainText(m.text)}`);
  if (snapshot.chat.length === 0) lines.push('(no chat messages)');
  return lines.join('\n') + '\n';
}

/** A picture with the board's annotations on it drawn in, as PNG. */
export async function annotated(snapshot: SessionSnapshot, image: BoardImage, picture: Blob): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(picture);
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas to draw the export');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  for (const a of visibleAnnotations(snapshot.board)) {
    if (a.target.kind === 'image' && a.target.image_id === image.id) paintShape(ctx, a.shape, a.color, a.width, canvas.width, canvas.height);
  }
  const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!png) throw new Error('the picture could not be written');
  return new Uint8Array(await png.arrayBuffer());
}

/** The whole export: annotated pictures (fetched with `picture`) and `chat.txt`. */
export async function exportSession(snapshot: SessionSnapshot, topic: string, picture: (id: string) => Promise<Blob>): Promise<Blob> {
  const files: ExportFile[] = [];
  const images = visibleImages(snapshot.board);
  for (const [i, image] of images.entries()) {
    const safe = image.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.(png|jpe?g|webp)$/i, '').slice(0, 60) || 'picture';
    files.push({ name: `picture-${i + 1}-${safe}.png`, data: await annotated(snapshot, image, await picture(image.id)) });
  }
  files.push({ name: 'chat.txt', data: new TextEncoder().encode(transcript(snapshot, topic)) });
  return zip(files);
}

/** A zip archive of `files`, stored (method 0). */
export function zip(files: ExportFile[]): Blob {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    const crc = crc32(f.data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, 0x0800, true); // names in UTF-8
    local.setUint32(14, crc, true);
    local.setUint32(18, f.data.length, true);
    local.setUint32(22, f.data.length, true);
    local.setUint16(26, name.length, true);
    parts.push(new Uint8Array(local.buffer), name, f.data);
    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(4, 20, true);
    entry.setUint16(6, 20, true);
    entry.setUint16(8, 0x0800, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, f.data.length, true);
    entry.setUint32(24, f.data.length, true);
    entry.setUint16(28, name.length, true);
    entry.setUint32(42, offset, true);
    central.push(new Uint8Array(entry.buffer), name);
    offset += 30 + name.length + f.data.length;
  }
  const size = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, size, true);
  end.setUint32(16, offset, true);
  return new Blob([...parts, ...central, new Uint8Array(end.buffer)] as BlobPart[], { type: 'application/zip' });
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
