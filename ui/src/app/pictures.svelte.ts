// The board's pictures in the app window: fetched and shared through the app's commands (the
// app holds the participant token, the window never sees it), and screenshots taken natively.
import { invoke } from '@tauri-apps/api/core';
import type { BoardImage, ImageSource } from '../generated/protocol';
import type { PictureStore } from '../lib/board/pictures.svelte';
import { describeError, toApiError } from '../lib/errors';

function sentence(error: unknown): string {
  const e = toApiError(error);
  // The host and the app say what is wrong with a picture in plain words.
  return ['bad_request', 'conflict', 'message_too_large', 'forbidden'].includes(e.code) ? e.message : describeError(e);
}

export class AppPictures implements PictureStore {
  urls = $state<Record<string, string>>({});
  uploading = $state<{ name: string; percent: number | null } | null>(null);
  error = $state<string | null>(null);
  #loading = new Set<string>();

  load(id: string): void {
    if (this.urls[id] || this.#loading.has(id)) return;
    this.#loading.add(id);
    void invoke<ArrayBuffer>('board_picture', { imageId: id })
      .then((png) => {
        this.urls[id] = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
      })
      .catch((e: unknown) => (this.error = sentence(e)))
      .finally(() => this.#loading.delete(id));
  }

  async blob(id: string): Promise<Blob> {
    const png = await invoke<ArrayBuffer>('board_picture', { imageId: id });
    return new Blob([png], { type: 'image/png' });
  }

  async upload(picture: Blob, name: string, source: ImageSource): Promise<BoardImage | null> {
    this.error = null;
    this.uploading = { name, percent: null };
    try {
      const bytes = new Uint8Array(await picture.arrayBuffer());
      return await invoke<BoardImage>('share_picture', bytes, {
        headers: { 'x-picture-name': encodeURIComponent(name), 'x-picture-source': source },
      });
    } catch (e) {
      this.error = sentence(e);
      return null;
    } finally {
      this.uploading = null;
    }
  }

  dispose(): void {
    for (const url of Object.values(this.urls)) URL.revokeObjectURL(url);
    this.urls = {};
  }
}

/** Saves a session export in the Downloads folder; says where. */
export async function saveExport(zip: Blob, name: string): Promise<string> {
  const bytes = new Uint8Array(await zip.arrayBuffer());
  const path = await invoke<string>('save_export', bytes, { headers: { 'x-file-name': name } });
  return `Saved to ${path}`;
}

/** A screenshot of this computer's screen (PNG), taken by the app; nothing is sent. */
export async function takeScreenshot(): Promise<Blob> {
  const png = await invoke<ArrayBuffer>('take_screenshot');
  return new Blob([png], { type: 'image/png' });
}
