// This page's own camera, microphone and screen: what is on, which device, and the tracks the
// calls send. Devices come from a `Sources` (sources.ts: the browser's, or the synthetic ones in
// tests), so everything above this file is the same with real and fake devices.
import { describeMediaError, type DeviceChoice, type Sources } from './sources';
import type { MediaState } from './wire';

/** What changed, for the calls to send the new tracks and state. */
export type LocalListener = () => void;

export class LocalMedia {
  camera = $state.raw<MediaStreamTrack | null>(null);
  microphone = $state.raw<MediaStreamTrack | null>(null);
  screen = $state.raw<MediaStreamTrack | null>(null);
  /** The microphone is on but sends silence. */
  micMuted = $state(false);
  /** The shared screen sends black frames (a private picture is being prepared). */
  screenPaused = $state(false);
  /** Camera and microphone were started (by the button or automatically). */
  started = $state(false);
  busy = $state(false);
  /** The last thing that went wrong, in plain words. */
  error = $state<string | null>(null);
  cameras = $state.raw<DeviceChoice[]>([]);
  microphones = $state.raw<DeviceChoice[]>([]);
  cameraId = $state<string | null>(null);
  microphoneId = $state<string | null>(null);
  /** The camera alone, for the self-view. */
  selfView = $state.raw<MediaStream | null>(null);
  /** The shared screen alone, for its preview. */
  screenView = $state.raw<MediaStream | null>(null);

  readonly sources: Sources;
  #listeners = new Set<LocalListener>();
  #onDeviceChange = () => void this.refreshDevices();

  constructor(sources: Sources) {
    this.sources = sources;
  }

  /** What this page sends now, as `set_media` says it. */
  get media(): MediaState {
    return {
      camera: this.camera !== null,
      microphone: this.microphone !== null && !this.micMuted,
      screen: this.screen !== null,
      screen_paused: this.screen !== null && this.screenPaused,
    };
  }

  /**
   * Pauses the shared screen (it sends black frames, and the others are told it is paused) or
   * lets it go on: while a picture is in the black-out step, a shared screen would carry it to
   * the others before anything is blacked out. Holds for a screen shared meanwhile too.
   */
  setScreenPaused(paused: boolean): void {
    if (this.screenPaused === paused) return;
    this.screenPaused = paused;
    if (this.screen) this.screen.enabled = !paused;
    this.#changed();
  }

  /** Anything is on: the live indicator shows. */
  get live(): boolean {
    const m = this.media;
    return m.camera || m.microphone || m.screen;
  }

  listen(listener: LocalListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts camera and microphone (the button, or the expert's automatic start). */
  async start(): Promise<void> {
    if (this.busy || this.started) return;
    this.busy = true;
    this.error = null;
    try {
      const got = await this.sources.both(this.cameraId, this.microphoneId);
      this.#setCamera(got.camera);
      this.#setMicrophone(got.microphone);
      this.micMuted = false;
      this.started = got.camera !== null || got.microphone !== null;
      this.error = got.error;
      navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
      await this.refreshDevices();
    } finally {
      this.busy = false;
      this.#changed();
    }
  }

  /** Mutes or unmutes; without a microphone yet, tries to get one. */
  async toggleMic(): Promise<void> {
    if (!this.microphone) {
      await this.#attempt(async () => this.#setMicrophone(await this.sources.microphone(this.microphoneId)), 'microphone');
      this.micMuted = false;
    } else {
      this.micMuted = !this.micMuted;
      this.microphone.enabled = !this.micMuted;
    }
    this.#changed();
  }

  /** Turns the camera off (the device is released) or on again. */
  async toggleCamera(): Promise<void> {
    if (this.camera) {
      this.#setCamera(null);
    } else {
      await this.#attempt(async () => this.#setCamera(await this.sources.camera(this.cameraId)), 'camera');
    }
    this.#changed();
  }

  async toggleScreen(): Promise<void> {
    if (this.screen) {
      this.#setScreen(null);
    } else {
      await this.#attempt(async () => this.#setScreen(await this.sources.screen()), 'screen');
    }
    this.#changed();
  }

  async pickCamera(id: string): Promise<void> {
    this.cameraId = id;
    if (!this.camera) return;
    await this.#attempt(async () => this.#setCamera(await this.sources.camera(id)), 'camera');
    this.#changed();
  }

  async pickMicrophone(id: string): Promise<void> {
    this.microphoneId = id;
    if (!this.microphone) return;
    await this.#attempt(async () => {
      this.#setMicrophone(await this.sources.microphone(id));
      if (this.microphone) this.microphone.enabled = !this.micMuted;
    }, 'microphone');
    this.#changed();
  }

  async refreshDevices(): Promise<void> {
    try {
      const { cameras, microphones } = await this.sources.devices();
      this.cameras = cameras;
      this.microphones = microphones;
      this.cameraId = current(this.cameraId, this.camera, cameras);
      this.microphoneId = current(this.microphoneId, this.microphone, microphones);
    } catch {
      // No device list (an old browser): the pickers stay empty.
    }
  }

  /** Stops everything and releases the devices. */
  stop(): void {
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
    this.#setCamera(null);
    this.#setMicrophone(null);
    this.#setScreen(null);
    this.started = false;
    this.micMuted = false;
    this.#changed();
  }

  async #attempt(action: () => Promise<void>, what: 'camera' | 'microphone' | 'screen'): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    try {
      await action();
      this.started = true;
    } catch (e) {
      this.error = describeMediaError(e, what);
    } finally {
      this.busy = false;
    }
  }

  #setCamera(track: MediaStreamTrack | null): void {
    if (this.camera && this.camera !== track) this.camera.stop();
    this.camera = track;
    this.selfView = track ? new MediaStream([track]) : null;
    this.#whenEnded(track, () => this.camera === track && this.#setCamera(null));
  }

  #setMicrophone(track: MediaStreamTrack | null): void {
    if (this.microphone && this.microphone !== track) this.microphone.stop();
    this.microphone = track;
    this.#whenEnded(track, () => this.microphone === track && this.#setMicrophone(null));
  }

  #setScreen(track: MediaStreamTrack | null): void {
    if (this.screen && this.screen !== track) this.screen.stop();
    if (track) track.enabled = !this.screenPaused;
    this.screen = track;
    this.screenView = track ? new MediaStream([track]) : null;
    // The browser's own "Stop sharing" ends the track.
    this.#whenEnded(track, () => this.screen === track && this.#setScreen(null));
  }

  #whenEnded(track: MediaStreamTrack | null, then: () => void): void {
    track?.addEventListener('ended', () => {
      then();
      this.#changed();
    }, { once: true });
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** The device in use (or chosen) if the list has it, else the list's first. */
function current(chosen: string | null, track: MediaStreamTrack | null, list: DeviceChoice[]): string | null {
  const inUse = track?.getSettings().deviceId;
  for (const id of [inUse, chosen]) {
    if (id && list.some((d) => d.id === id)) return id;
  }
  return list[0]?.id ?? null;
}
