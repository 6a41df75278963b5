// Where this page's tracks come from: the browser's devices, or (`?media=synthetic`, tests and
// benchmarks) the test pattern and the tone. LocalMedia (local.svelte.ts) uses either alike.
import { mediaMode, type SyntheticOptions } from './options';
import { SyntheticAudio, SyntheticVideo } from './synthetic';

export interface DeviceChoice {
  id: string;
  label: string;
}

/** Where tracks come from. */
export interface Sources {
  /** Camera and microphone together (one permission prompt); either may come back missing. */
  both(cameraId: string | null, microphoneId: string | null): Promise<{ camera: MediaStreamTrack | null; microphone: MediaStreamTrack | null; error: string | null }>;
  camera(deviceId: string | null): Promise<MediaStreamTrack>;
  microphone(deviceId: string | null): Promise<MediaStreamTrack>;
  screen(): Promise<MediaStreamTrack>;
  devices(): Promise<{ cameras: DeviceChoice[]; microphones: DeviceChoice[] }>;
  /** Whether sharing the screen can work here at all. */
  readonly canShareScreen: boolean;
}

/** A sentence for a failed getUserMedia/getDisplayMedia. */
export function describeMediaError(error: unknown, what: 'camera' | 'microphone' | 'screen' | 'camera and microphone'): string {
  const name = error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return what === 'screen'
        ? 'Screen sharing was not allowed.'
        : `The browser did not allow the ${what}. Allow it in the address bar and try again.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what} was found.`;
    case 'NotReadableError':
    case 'AbortError':
      return `The ${what} is in use by another program, or could not be started.`;
    default:
      return `The ${what} could not be started.`;
  }
}

/** The browser's devices. */
export function deviceSources(): Sources {
  const md = navigator.mediaDevices;
  const video = (id: string | null): MediaTrackConstraints =>
    ({ ...(id ? { deviceId: { exact: id } } : {}), width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } });
  const audio = (id: string | null): MediaTrackConstraints =>
    ({ ...(id ? { deviceId: { exact: id } } : {}), echoCancellation: true, noiseSuppression: true, autoGainControl: true });
  const one = async (constraints: MediaStreamConstraints, kind: 'audio' | 'video') => {
    if (!md?.getUserMedia) throw new DOMException('no getUserMedia', 'NotFoundError');
    const track = (await md.getUserMedia(constraints)).getTracks().find((t) => t.kind === kind);
    if (!track) throw new DOMException(`no ${kind} track`, 'NotFoundError');
    return track;
  };
  return {
    async both(cameraId, microphoneId) {
      try {
        const stream = await md.getUserMedia({ video: video(cameraId), audio: audio(microphoneId) });
        return { camera: stream.getVideoTracks()[0] ?? null, microphone: stream.getAudioTracks()[0] ?? null, error: null };
      } catch (first) {
        // One of them may be missing or refused: take what there is.
        const [camera, microphone] = await Promise.allSettled([
          one({ video: video(cameraId) }, 'video'),
          one({ audio: audio(microphoneId) }, 'audio'),
        ]);
        const cam = camera.status === 'fulfilled' ? camera.value : null;
        const mic = microphone.status === 'fulfilled' ? microphone.value : null;
        let error: string | null = null;
        if (!cam && !mic) error = describeMediaError(first, 'camera and microphone');
        else if (!cam && camera.status === 'rejected') error = describeMediaError(camera.reason, 'camera');
        else if (!mic && microphone.status === 'rejected') error = describeMediaError(microphone.reason, 'microphone');
        return { camera: cam, microphone: mic, error };
      }
    },
    camera: (id) => one({ video: video(id) }, 'video'),
    microphone: (id) => one({ audio: audio(id) }, 'audio'),
    async screen() {
      if (!md?.getDisplayMedia) throw new DOMException('no getDisplayMedia', 'NotFoundError');
      const track = (await md.getDisplayMedia({ video: { frameRate: { ideal: 30 } }, audio: false })).getVideoTracks()[0];
      if (!track) throw new DOMException('no screen track', 'NotFoundError');
      track.contentHint = 'detail';
      return track;
    },
    async devices() {
      const all = (await md?.enumerateDevices?.()) ?? [];
      const pick = (kind: MediaDeviceKind, fallback: string) =>
        all
          .filter((d) => d.kind === kind && d.deviceId)
          .map((d, i) => ({ id: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
      return { cameras: pick('videoinput', 'Camera'), microphones: pick('audioinput', 'Microphone') };
    },
    canShareScreen: typeof md?.getDisplayMedia === 'function',
  };
}

/** The test pattern and tone instead of devices; `label` is drawn into the picture. */
export function syntheticSources(options: SyntheticOptions, label: () => string): Sources {
  const stoppable = <T extends { track: MediaStreamTrack; stop(): void }>(source: T) => {
    source.track.addEventListener('ended', () => source.stop(), { once: true });
    // Stopping the track (camera off) also stops the drawing or the audio graph.
    const stop = source.track.stop.bind(source.track);
    source.track.stop = () => {
      stop();
      source.stop();
    };
    return source.track;
  };
  const camera = async () => stoppable(new SyntheticVideo('camera', options, label()));
  const microphone = async () => stoppable(new SyntheticAudio(options.toneHz));
  return {
    async both() {
      return { camera: await camera(), microphone: await microphone(), error: null };
    },
    camera,
    microphone,
    screen: async () => stoppable(new SyntheticVideo('screen', options, label())),
    async devices() {
      return {
        cameras: [{ id: 'synthetic-camera', label: `Test pattern ${options.width}x${options.height}` }],
        microphones: [{ id: 'synthetic-microphone', label: `Tone ${options.toneHz} Hz` }],
      };
    },
    canShareScreen: true,
  };
}

/** The sources this page load uses (`?media=synthetic` or the browser's devices). */
export function pageSources(label: () => string): Sources {
  return mediaMode.kind === 'synthetic' ? syntheticSources(mediaMode, label) : deviceSources();
}
