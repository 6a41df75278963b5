// Measurement points for tests and benchmarks, always on and cheap: which stamped frame was drawn
// when (synthetic sender), which was shown when (every remote video), how loud the remote audio
// is at a frequency. Exposed as `window.__instantShareMedia`; nothing in the UI depends on it.
import { STAMP_ROWS, readStampScaled } from '../stamp';

/** A stamped frame and when it was drawn or shown (Unix milliseconds, sub-millisecond). */
export interface StampRecord {
  stamp: number;
  at: number;
  /** Shown frames only: when its last packet arrived, if the browser says (Unix ms). */
  receivedAt?: number;
}

export type VideoKind = 'camera' | 'screen';

/** What the probe asks the page's calls for. */
export interface ProbeSource {
  /** The remote participant's microphone stream, if a call with them is up. */
  remoteAudio(participantId: string): MediaStream | null;
  callState(): Record<string, unknown>;
  stats(): Record<string, unknown>;
  local(): Record<string, unknown>;
}

/** The test API on `window.__instantShareMedia`. */
export interface MediaTestApi {
  sent(kind?: VideoKind): StampRecord[];
  received(participantId: string, kind?: VideoKind): StampRecord[];
  firstFrame(participantId: string, kind?: VideoKind): number | null;
  unreadable(participantId: string, kind?: VideoKind): number;
  audioEnergy(participantId: string, freqHz: number): number;
  stats(): Record<string, unknown>;
  callState(): Record<string, unknown>;
  local(): Record<string, unknown>;
  clear(): void;
}

declare global {
  interface Window {
    __instantShareMedia?: MediaTestApi;
  }
}

const KEEP = 2000;
const FFT_SIZE = 8192;

/** Wall-clock milliseconds with `performance.now()` precision, comparable across pages. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The last `KEEP` records. */
class Ring {
  #items: StampRecord[] = [];
  push(record: StampRecord): void {
    this.#items.push(record);
    if (this.#items.length > KEEP + KEEP / 4) this.#items = this.#items.slice(-KEEP);
  }
  list(): StampRecord[] {
    return this.#items.slice(-KEEP);
  }
}

interface Received {
  ring: Ring;
  /** When the first frame of the current stream was shown. */
  first: number | null;
  stream: string | null;
  unreadable: number;
}

interface Analyser {
  stream: MediaStream;
  source: MediaStreamAudioSourceNode;
  node: AnalyserNode;
  buffer: Float32Array<ArrayBuffer>;
}

class MediaProbe {
  #sent = new Map<VideoKind, Ring>();
  #received = new Map<string, Received>();
  #source: ProbeSource | null = null;
  #audio: AudioContext | null = null;
  #analysers = new Map<string, Analyser>();

  /** The synthetic sender drew frame `stamp` now. */
  recordSent(kind: VideoKind, stamp: number): void {
    let ring = this.#sent.get(kind);
    if (!ring) this.#sent.set(kind, (ring = new Ring()));
    ring.push({ stamp, at: wallNow() });
  }

  /**
   * Reads the stamp of every frame `video` shows, for `participantId`'s `kind`. Returns the
   * function that stops it.
   */
  watch(video: HTMLVideoElement, participantId: string, kind: VideoKind): () => void {
    if (typeof video.requestVideoFrameCallback !== 'function') return () => {};
    const entry = this.#entry(participantId, kind);
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    let handle = 0;
    let stopped = false;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      if (stopped) return;
      const at = wallNow();
      const streamId = video.srcObject instanceof MediaStream ? video.srcObject.id : null;
      if (entry.stream !== streamId) {
        entry.stream = streamId;
        entry.first = null;
      }
      entry.first ??= at;
      const width = video.videoWidth;
      const height = Math.min(video.videoHeight, STAMP_ROWS);
      if (ctx && width > 0 && height > 0) {
        if (canvas.width !== width) canvas.width = width;
        if (canvas.height !== height) canvas.height = height;
        ctx.drawImage(video, 0, 0, width, height, 0, 0, width, height);
        const stamp = readStampScaled(ctx.getImageData(0, 0, width, height).data, width, height);
        if (stamp === null) entry.unreadable += 1;
        else if (meta.receiveTime !== undefined) entry.ring.push({ stamp, at, receivedAt: performance.timeOrigin + meta.receiveTime });
        else entry.ring.push({ stamp, at });
      }
      handle = video.requestVideoFrameCallback(onFrame);
    };
    handle = video.requestVideoFrameCallback(onFrame);
    return () => {
      stopped = true;
      video.cancelVideoFrameCallback(handle);
    };
  }

  /** Publishes `window.__instantShareMedia` for `source`; returns the function that removes it. */
  attach(source: ProbeSource): () => void {
    this.#source = source;
    const api: MediaTestApi = {
      sent: (kind = 'camera') => this.#sent.get(kind)?.list() ?? [],
      received: (id, kind = 'camera') => this.#received.get(`${id}/${kind}`)?.ring.list() ?? [],
      firstFrame: (id, kind = 'camera') => this.#received.get(`${id}/${kind}`)?.first ?? null,
      unreadable: (id, kind = 'camera') => this.#received.get(`${id}/${kind}`)?.unreadable ?? 0,
      audioEnergy: (id, freqHz) => this.#audioEnergy(id, freqHz),
      stats: () => this.#source?.stats() ?? {},
      callState: () => this.#source?.callState() ?? {},
      local: () => this.#source?.local() ?? {},
      clear: () => {
        this.#sent.clear();
        this.#received.clear();
      },
    };
    window.__instantShareMedia = api;
    return () => {
      if (this.#source === source) this.#source = null;
      if (window.__instantShareMedia === api) delete window.__instantShareMedia;
      for (const a of this.#analysers.values()) a.source.disconnect();
      this.#analysers.clear();
    };
  }

  #entry(participantId: string, kind: VideoKind): Received {
    const key = `${participantId}/${kind}`;
    let entry = this.#received.get(key);
    if (!entry) this.#received.set(key, (entry = { ring: new Ring(), first: null, stream: null, unreadable: 0 }));
    return entry;
  }

  /**
   * The amplitude (0..1, linear) of the remote participant's audio at `freqHz`, the largest of
   * the FFT bins within ±2 of it. The analyser is made on first use, so it costs nothing until a
   * test asks; the remote stream also plays in an `<audio>` element, without which Chromium
   * does not decode it.
   */
  #audioEnergy(participantId: string, freqHz: number): number {
    const stream = this.#source?.remoteAudio(participantId) ?? null;
    if (!stream || stream.getAudioTracks().length === 0) return 0;
    this.#audio ??= new AudioContext();
    const ctx = this.#audio;
    if (ctx.state === 'suspended') void ctx.resume();
    let a = this.#analysers.get(participantId);
    if (!a || a.stream !== stream) {
      a?.source.disconnect();
      const source = ctx.createMediaStreamSource(stream);
      const node = ctx.createAnalyser();
      node.fftSize = FFT_SIZE;
      node.smoothingTimeConstant = 0;
      source.connect(node);
      a = { stream, source, node, buffer: new Float32Array(node.frequencyBinCount) };
      this.#analysers.set(participantId, a);
    }
    a.node.getFloatFrequencyData(a.buffer);
    const bin = Math.round(freqHz / (ctx.sampleRate / FFT_SIZE));
    let best = -Infinity;
    for (let i = Math.max(0, bin - 2); i <= Math.min(a.buffer.length - 1, bin + 2); i++) {
      best = Math.max(best, a.buffer[i] ?? -Infinity);
    }
    return Number.isFinite(best) ? 10 ** (best / 20) : 0;
  }
}

/** The page's one probe. */
export const probe = new MediaProbe();
