// The app window's side of calls: the media commands, the `media-state` event, and the video
// channel (raw frames, src-tauri/src/media/frame.rs) with its acknowledgements.
import { Channel, invoke } from '@tauri-apps/api/core';
import type { UnlistenFn } from '@tauri-apps/api/event';
import { ApiRequestError, toApiError } from '../lib/errors';
import { parseFrame, type I420Frame } from '../lib/i420frame';
import { onAppEvent } from './events';
import type { DeviceList, MediaTrack, MediaView } from './media-types';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw new ApiRequestError(toApiError(error), 0);
  }
}

export const mediaCommands = {
  getState: () => call<MediaView>('media_get_state'),
  devices: () => call<DeviceList>('media_devices'),
  setCamera: (on: boolean, device?: string | null) => call<MediaView>('media_set_camera', { on, device: device ?? null }),
  setMicrophone: (on: boolean, device?: string | null) =>
    call<MediaView>('media_set_microphone', { on, device: device ?? null }),
  /** Shares the entire screen (`window` null) or one window, or stops. */
  setScreen: (on: boolean, window: { id: number; title: string } | null = null) =>
    call<MediaView>('media_set_screen', { on, window: window?.id ?? null, title: window?.title ?? null }),
  /** Stops camera, microphone and screen at once. */
  stopAll: () => call<MediaView>('media_stop_all'),
  setMuted: (muted: boolean) => call<MediaView>('media_set_muted', { muted }),
  pauseScreen: (paused: boolean) => call<MediaView>('media_pause_screen', { paused }),
  dismissProblem: (track: MediaTrack | null) => call<MediaView>('media_dismiss_problem', { track }),
};

/** Calls `handler` with every `media-state` event; resolves to the function that stops it. */
export function onMediaState(handler: (view: MediaView) => void): Promise<UnlistenFn> {
  return onAppEvent('media-state', handler);
}

type Listener = () => void;

/** What tests read on `window.__instantShareAppVideo`. */
export interface AppVideoProbe {
  /** How each canvas draws: `webgl` or `2d`, by stream key. */
  renderers: Record<string, string>;
  /** Frames received, by stream key. */
  received: Record<string, number>;
  /** Frames drawn, by stream key. */
  drawn: Record<string, number>;
  /** Milliseconds spent drawing (upload and convert), by stream key. */
  drawMs: Record<string, number>;
  /** Messages that were not frames of this version. */
  malformed: number;
}

declare global {
  interface Window {
    __instantShareAppVideo?: AppVideoProbe;
  }
}

/**
 * The pictures from the app: the newest frame of each stream, for the canvases that show it.
 * A shown frame is acknowledged once drawn, which lets the app send the next one; a stream that
 * no canvas shows is acknowledged on arrival.
 */
export class VideoFeed {
  #latest = new Map<number, I420Frame>();
  #listeners = new Map<number, Set<Listener>>();
  #lastAt = new Map<number, number>();
  #channel: Channel<ArrayBuffer> | null = null;
  readonly probe: AppVideoProbe = { renderers: {}, received: {}, drawn: {}, drawMs: {}, malformed: 0 };

  /** Opens the channel (again: a new one replaces the old on the app's side). */
  async open(): Promise<void> {
    const channel = new Channel<ArrayBuffer>((message) => this.#receive(message));
    this.#channel = channel;
    await call<null>('media_open_video', { channel });
  }

  /** Stops listening (the app drops the channel when the window opens another). */
  close(): void {
    if (this.#channel) this.#channel.onmessage = () => {};
    this.#channel = null;
  }

  #receive(message: ArrayBuffer): void {
    const frame = message instanceof ArrayBuffer ? parseFrame(message) : null;
    if (!frame) {
      this.probe.malformed += 1;
      return;
    }
    const key = String(frame.stream);
    this.probe.received[key] = (this.probe.received[key] ?? 0) + 1;
    this.#latest.set(frame.stream, frame);
    this.#lastAt.set(frame.stream, performance.now());
    const listeners = this.#listeners.get(frame.stream);
    if (!listeners || listeners.size === 0) {
      this.ack(frame);
      return;
    }
    for (const listener of listeners) listener();
  }

  /** The newest frame of `stream`, if any came. */
  latest(stream: number): I420Frame | undefined {
    return this.#latest.get(stream);
  }

  /** Milliseconds since `stream`'s last frame (Infinity if none came). */
  age(stream: number): number {
    const at = this.#lastAt.get(stream);
    return at === undefined ? Infinity : performance.now() - at;
  }

  /** Calls `listener` on every new frame of `stream`. */
  subscribe(stream: number, listener: Listener): () => void {
    let set = this.#listeners.get(stream);
    if (!set) {
      set = new Set();
      this.#listeners.set(stream, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** The window is done with `frame` (and every earlier one of its stream). */
  ack(frame: I420Frame): void {
    invoke('media_video_ack', { stream: frame.stream, seq: frame.seq }).catch(() => {});
  }

  /** A canvas drew `frame`, which took `ms`. */
  drawn(frame: I420Frame, path: string, ms: number): void {
    const key = String(frame.stream);
    this.probe.drawn[key] = (this.probe.drawn[key] ?? 0) + 1;
    this.probe.drawMs[key] = (this.probe.drawMs[key] ?? 0) + ms;
    this.probe.renderers[key] = path;
    this.ack(frame);
  }
}
