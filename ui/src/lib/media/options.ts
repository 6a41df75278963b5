// How this page gets its media, read once from the address it was opened with: real devices,
// or with `?media=synthetic` (tests and benchmarks only) a test pattern and a tone.
// `&size=1280x720` sets the pattern's size (default 640x480), `&tone=660` the tone (440 Hz).

export interface SyntheticOptions {
  width: number;
  height: number;
  fps: number;
  toneHz: number;
}

export type MediaMode = { kind: 'devices' } | ({ kind: 'synthetic' } & SyntheticOptions);

/** Parses the options from a query string (`location.search`). */
export function parseMediaMode(search: string): MediaMode {
  const q = new URLSearchParams(search);
  if (q.get('media') !== 'synthetic') return { kind: 'devices' };
  const size = /^(\d{2,4})x(\d{2,4})$/.exec(q.get('size') ?? '');
  const [width, height] = size ? [Number(size[1]) & ~1, Number(size[2]) & ~1] : [640, 480];
  const tone = Number(q.get('tone'));
  return {
    kind: 'synthetic',
    width: Math.max(64, width),
    height: Math.max(64, height),
    fps: 30,
    toneHz: Number.isFinite(tone) && tone >= 20 && tone <= 16_000 ? tone : 440,
  };
}

/** The mode of this page load (the address at start-up; in-page navigation keeps it). */
export const mediaMode: MediaMode = parseMediaMode(window.location.search);
