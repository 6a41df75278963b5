// The pictures of one session's board as this page has them: fetched from the host with the
// participant token (so only participants can), kept as object URLs, and uploads with their
// progress. Which pictures exist is the board's business (state.ts); this only moves bytes.
import type { ApiError, BoardImage, ImageSource } from '../../generated/protocol';
import { hostSentence } from '../errors';

/** Where a page's board pictures come from and go to: the browser's HTTP, or the app's commands. */
export interface PictureStore {
  /** Object URLs of the pictures fetched so far, by id. */
  readonly urls: Record<string, string>;
  /** The upload under way: what, and how far when that is known. */
  readonly uploading: { name: string; percent: number | null } | null;
  /** The last failure, in plain words. */
  error: string | null;
  load(id: string): void;
  /** The picture's bytes (PNG), fetched now. */
  blob(id: string): Promise<Blob>;
  upload(picture: Blob, name: string, source: ImageSource): Promise<BoardImage | null>;
  /** Lets go of the pictures not among `ids` (no longer on the board). */
  keepOnly(ids: ReadonlySet<string>): void;
}

/**
 * Fetched pictures as object URLs: each fetched once, a failed fetch tried again (three times,
 * a few seconds apart), the URLs of pictures that left the board released.
 */
export abstract class PictureCache {
  urls = $state<Record<string, string>>({});
  error = $state<string | null>(null);
  #loading = new Set<string>();
  #tries = new Map<string, number>();

  /** The picture's bytes (PNG), fetched now. */
  abstract blob(id: string): Promise<Blob>;
  /** A failure in plain words. */
  protected describe(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
  }

  load(id: string): void {
    if (this.urls[id] || this.#loading.has(id)) return;
    this.#loading.add(id);
    this.blob(id)
      .then((png) => {
        this.urls[id] = URL.createObjectURL(png);
        this.#tries.delete(id);
      })
      .catch((e: unknown) => {
        const tries = (this.#tries.get(id) ?? 0) + 1;
        this.#tries.set(id, tries);
        if (tries < 3) setTimeout(() => this.load(id), 2000 * tries);
        else this.error = this.describe(e);
      })
      .finally(() => this.#loading.delete(id));
  }

  keepOnly(ids: ReadonlySet<string>): void {
    for (const [id, url] of Object.entries(this.urls)) {
      if (ids.has(id)) continue;
      URL.revokeObjectURL(url);
      delete this.urls[id];
    }
  }

  dispose(): void {
    this.keepOnly(new Set());
  }
}

/** The browser's pictures: HTTP with the participant token. */
export class Pictures extends PictureCache implements PictureStore {
  /** The upload under way: what and how far. */
  uploading = $state<{ name: string; percent: number | null } | null>(null);

  constructor(
    private readonly sessionId: string,
    private readonly token: string,
  ) {
    super();
  }

  #url(id?: string): string {
    return `/api/v1/sessions/${encodeURIComponent(this.sessionId)}/images${id ? `/${id}` : ''}`;
  }

  async blob(id: string): Promise<Blob> {
    const r = await fetch(this.#url(id), { headers: { authorization: `Bearer ${this.token}` } });
    if (!r.ok) throw new Error(`the picture could not be fetched (${r.status})`);
    return r.blob();
  }

  /** Uploads a picture (already blacked out where the user chose); resolves the board's image, or `null` (see `error`). */
  upload(picture: Blob, name: string, source: ImageSource): Promise<BoardImage | null> {
    this.error = null;
    this.uploading = { name, percent: 0 };
    const query = new URLSearchParams({ name, source });
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.#url()}?${query}`);
      xhr.setRequestHeader('authorization', `Bearer ${this.token}`);
      xhr.setRequestHeader('content-type', picture.type || 'application/octet-stream');
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && this.uploading) this.uploading.percent = Math.round((100 * e.loaded) / e.total);
      };
      xhr.onload = () => {
        this.uploading = null;
        if (xhr.status === 201) {
          const image = JSON.parse(xhr.responseText) as BoardImage;
          resolve(image);
          return;
        }
        try {
          this.error = hostSentence(JSON.parse(xhr.responseText) as ApiError);
        } catch {
          this.error = `The picture could not be shared (${xhr.status}).`;
        }
        resolve(null);
      };
      xhr.onerror = () => {
        this.uploading = null;
        this.error = 'The picture could not be sent: the connection to the help host failed.';
        resolve(null);
      };
      xhr.send(picture);
    });
  }

}

/** A still of a video track's current picture, as PNG. */
export async function stillOf(video: MediaStream | null): Promise<Blob | null> {
  const track = video?.getVideoTracks()[0];
  if (!video || !track) return null;
  const el = document.createElement('video');
  el.muted = true;
  el.srcObject = new MediaStream([track]);
  await el.play().catch(() => {});
  if (el.videoWidth === 0) await new Promise((r) => el.addEventListener('loadeddata', r, { once: true }));
  const canvas = document.createElement('canvas');
  canvas.width = el.videoWidth;
  canvas.height = el.videoHeight;
  canvas.getContext('2d')?.drawImage(el, 0, 0);
  el.srcObject = null;
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}
