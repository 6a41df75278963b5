// Fake devices for tests and benchmarks (`?media=synthetic`): a moving test pattern with the
// frame number stamped into its pixels (the native engine's format, ../stamp.ts), and a tone
// with a sync click at the start of every second (as crates/media/src/synthetic/tone.rs: a
// sine at 0.3 of full scale, replaced for 5 ms by a full-scale square that flips every 8
// samples).
import { drawStamp, STAMP_BLOCK } from '../stamp';
import type { SyntheticOptions } from './options';
import { probe, type VideoKind } from './probe';

const CLICK_MS = 5;

/** A canvas track that draws `kind`'s pattern `fps` times a second. */
export class SyntheticVideo {
  readonly track: MediaStreamTrack;
  #canvas: HTMLCanvasElement;
  #ctx: CanvasRenderingContext2D;
  #band: HTMLCanvasElement;
  #requestFrame: () => void;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #frame = 0;
  #start = performance.now();
  #period: number;

  constructor(
    private readonly kind: VideoKind,
    private readonly options: SyntheticOptions,
    private readonly label: string,
  ) {
    const { width, height } = options;
    this.#canvas = document.createElement('canvas');
    this.#canvas.width = width;
    this.#canvas.height = height;
    const ctx = this.#canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas for the synthetic camera');
    this.#ctx = ctx;
    ctx.imageSmoothingEnabled = false;
    this.#band = bands(width + 256, height, kind);
    this.#period = 1000 / options.fps;
    // Frames go out when drawn (requestFrame), not on the browser's own schedule.
    const stream = this.#canvas.captureStream(0);
    const track = stream.getVideoTracks()[0];
    if (!track) throw new Error('canvas.captureStream gave no track');
    // Keep the resolution under load, so the stamp stays readable at its size.
    track.contentHint = kind === 'screen' ? 'text' : 'detail';
    this.track = track;
    this.#requestFrame = frameRequester(track, stream);
    track.addEventListener('ended', () => this.stop());
    this.#tick();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.track.readyState === 'live') this.track.stop();
  }

  #tick = (): void => {
    if (this.track.readyState !== 'live') return;
    this.#draw(this.#frame);
    probe.recordSent(this.kind, this.#frame & 0xffff);
    this.#requestFrame();
    this.#frame += 1;
    // Aim at the start time plus whole periods, so late timers do not add up to drift; after a
    // long stall (a hidden tab) start counting again from now.
    const now = performance.now();
    let next = this.#start + this.#frame * this.#period;
    if (next < now - 1000) {
      this.#start = now - this.#frame * this.#period;
      next = now + this.#period;
    }
    this.#timer = setTimeout(this.#tick, Math.max(0, next - now));
  };

  #draw(n: number): void {
    const ctx = this.#ctx;
    const { width: w, height: h } = this.options;
    // Diagonal bands moving two pixels a frame (the band canvas repeats every 256 pixels).
    ctx.drawImage(this.#band, -((n * 2) % 256), 0);
    if (this.kind === 'screen') drawDesktop(ctx, w, h, n, this.label);
    else drawCard(ctx, w, h, n, this.label);
    // A ball that crosses the picture every four seconds: motion anyone can see.
    const t = (n % 120) / 120;
    const x = w * 0.1 + w * 0.8 * (t < 0.5 ? t * 2 : 2 - t * 2);
    ctx.fillStyle = '#f59e0b';
    ctx.beginPath();
    ctx.arc(x, h * 0.82, Math.max(8, h / 24), 0, Math.PI * 2);
    ctx.fill();
    // The stamp last, on top of everything, on a black strip one block deeper than it.
    const rows = Math.ceil(32 / Math.max(1, Math.floor(w / STAMP_BLOCK)));
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, Math.min(w, 32 * STAMP_BLOCK), rows * STAMP_BLOCK);
    drawStamp(ctx, w, n);
  }
}

/**
 * How to send the canvas's frame now: Chromium has `requestFrame` on the track, Firefox on the
 * stream (a CanvasCaptureMediaStream). With `captureStream(0)` a frame nobody requests is never
 * sent, so asking only the track leaves Firefox's peer with the first frame.
 */
function frameRequester(track: MediaStreamTrack, stream: MediaStream): () => void {
  const onTrack = (track as Partial<CanvasCaptureMediaStreamTrack>).requestFrame;
  if (typeof onTrack === 'function') return () => onTrack.call(track);
  const onStream = (stream as MediaStream & { requestFrame?: () => void }).requestFrame;
  if (typeof onStream === 'function') return () => onStream.call(stream);
  return () => {};
}

/** The tone: an oscillator gated off during the clicks, plus a looping one-second click track. */
export class SyntheticAudio {
  readonly track: MediaStreamTrack;
  #ctx: AudioContext;
  #stopped = false;

  constructor(toneHz: number) {
    const ctx = new AudioContext();
    this.#ctx = ctx;
    if (ctx.state === 'suspended') void ctx.resume();
    const rate = ctx.sampleRate;
    const click = Math.round((rate * CLICK_MS) / 1000);
    // One second of gate (0 during the click, 0.3 after) and of click (the square, then 0).
    const gate = ctx.createBuffer(1, rate, rate);
    const clicks = ctx.createBuffer(1, rate, rate);
    const g = gate.getChannelData(0);
    const c = clicks.getChannelData(0);
    for (let i = 0; i < rate; i++) {
      g[i] = i < click ? 0 : 0.3;
      c[i] = i < click ? (Math.floor(i / 8) % 2 === 0 ? 1 : -1) : 0;
    }
    const out = ctx.createMediaStreamDestination();
    out.channelCount = 1;
    const osc = ctx.createOscillator();
    osc.frequency.value = toneHz;
    const level = ctx.createGain();
    level.gain.value = 0;
    osc.connect(level).connect(out);
    const gateSource = ctx.createBufferSource();
    gateSource.buffer = gate;
    gateSource.loop = true;
    gateSource.connect(level.gain);
    const clickSource = ctx.createBufferSource();
    clickSource.buffer = clicks;
    clickSource.loop = true;
    clickSource.connect(out);
    const at = ctx.currentTime + 0.05;
    for (const node of [osc, gateSource, clickSource]) node.start(at);
    const track = out.stream.getAudioTracks()[0];
    if (!track) throw new Error('WebAudio gave no track');
    this.track = track;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.track.stop();
    void this.#ctx.close();
  }
}

/** Eight diagonal bands, 32 pixels each, repeating every 256 pixels. */
function bands(width: number, height: number, kind: VideoKind): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const palette =
    kind === 'screen'
      ? ['#dfe3ea', '#e4e8ee', '#e9ecf1', '#eef0f4', '#e9ecf1', '#e4e8ee', '#dfe3ea', '#dadee6']
      : ['#312e81', '#3730a3', '#4338ca', '#4f46e5', '#6366f1', '#4f46e5', '#4338ca', '#3730a3'];
  for (let x = -height; x < width; x += 32) {
    ctx.fillStyle = palette[(((x + height) / 32) % 8 + 8) % 8] ?? '#4f46e5';
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x + 32, 0);
    ctx.lineTo(x + 32 + height, height);
    ctx.lineTo(x + height, height);
    ctx.closePath();
    ctx.fill();
  }
  return canvas;
}

function drawCard(ctx: CanvasRenderingContext2D, w: number, h: number, n: number, label: string): void {
  const s = h / 480;
  ctx.fillStyle = 'rgb(15 23 42 / 72%)';
  roundRect(ctx, w * 0.2, h * 0.3, w * 0.6, h * 0.36, 18 * s);
  ctx.fillStyle = '#fff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = `600 ${Math.round(30 * s)}px system-ui, sans-serif`;
  ctx.fillText(label, w / 2, h * 0.4, w * 0.56);
  ctx.font = `${Math.round(18 * s)}px system-ui, sans-serif`;
  ctx.fillStyle = '#c7d2fe';
  ctx.fillText('Synthetic camera', w / 2, h * 0.48);
  ctx.font = `${Math.round(22 * s)}px ui-monospace, monospace`;
  ctx.fillStyle = '#fff';
  ctx.fillText(`frame ${n & 0xffff}  ·  ${clock()}`, w / 2, h * 0.57);
}

function drawDesktop(ctx: CanvasRenderingContext2D, w: number, h: number, n: number, label: string): void {
  const s = h / 480;
  // A window with a title bar and lines of "text", one of which is being typed.
  const [x, y, ww, wh] = [w * 0.1, h * 0.14, w * 0.8, h * 0.6];
  ctx.fillStyle = '#ffffff';
  roundRect(ctx, x, y, ww, wh, 10 * s);
  ctx.fillStyle = '#e2e5ea';
  ctx.fillRect(x, y + 10 * s, ww, 26 * s);
  roundRect(ctx, x, y, ww, 36 * s, 10 * s);
  ctx.fillStyle = '#1c2026';
  ctx.font = `600 ${Math.round(15 * s)}px system-ui, sans-serif`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(`${label}'s screen (synthetic) · frame ${n & 0xffff}`, x + 16 * s, y + 18 * s, ww - 32 * s);
  for (let i = 0; i < 6; i++) {
    const full = ww - 48 * s - ((i * 53) % 140) * s;
    const length = i === 5 ? full * (((n % 90) + 1) / 90) : full;
    ctx.fillStyle = i === 0 ? '#4f46e5' : '#cdd2da';
    ctx.fillRect(x + 24 * s, y + (60 + i * 34) * s, length, 12 * s);
  }
  ctx.fillStyle = '#1c2026';
  ctx.fillRect(0, h - 36 * s, w, 36 * s);
  ctx.fillStyle = '#fff';
  ctx.font = `${Math.round(14 * s)}px ui-monospace, monospace`;
  ctx.textAlign = 'right';
  ctx.fillText(clock(), w - 14 * s, h - 18 * s);
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
  ctx.fill();
}

function clock(): string {
  const d = new Date();
  const pad = (v: number, n = 2) => v.toString().padStart(n, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
