// The board's pictures in the app window: fetched and shared through the app's commands (the
// app holds the participant token, the window never sees it), and screenshots taken natively.
import { invoke } from '@tauri-apps/api/core';
import type { BoardImage, ImageSource } from '../generated/protocol';
import { PictureCache, type PictureStore } from '../lib/board/pictures.svelte';
import { hostSentence, toApiError } from '../lib/errors';
import type { WindowChoice } from './media-types';

function sentence(error: unknown): string {
  return hostSentence(toApiError(error));
}

export class AppPictures extends PictureCache implements PictureStore {
  uploading = $state<{ name: string; percent: number | null } | null>(null);

  protected override describe(e: unknown): string {
    return sentence(e);
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

}

/** Saves a session export in the Downloads folder; says where. */
export async function saveExport(zip: Blob, name: string): Promise<string> {
  const bytes = new Uint8Array(await zip.arrayBuffer());
  const path = await invoke<string>('save_export', bytes, { headers: { 'x-file-name': name } });
  return `Saved to ${path}`;
}

/** A screenshot of this computer's screen, or of one window (PNG), taken by the app; nothing is sent. */
export async function takeScreenshot(window: WindowChoice | null = null): Promise<Blob> {
  const png = await invoke<ArrayBuffer>('take_screenshot', { window: window?.id ?? null });
  return new Blob([png], { type: 'image/png' });
}

/** The part of a screenshot of the whole screen that one window covered, as PNG. */
export async function cropToWindow(screen: Blob, w: WindowChoice): Promise<Blob> {
  const bitmap = await createImageBitmap(screen, w.x, w.y, w.width, w.height);
  try {
    const canvas = document.createElement('canvas');
    canvas.width = w.width;
    canvas.height = w.height;
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
    return await new Promise<Blob>((done, fail) =>
      canvas.toBlob((b) => (b ? done(b) : fail(new Error('The window could not be cut out of the screenshot.'))), 'image/png'),
    );
  } finally {
    bitmap.close();
  }
}

/** A still of this computer's camera as it is now (PNG), taken by the app; nothing is sent. */
export async function takeCameraStill(): Promise<Blob> {
  const png = await invoke<ArrayBuffer>('camera_still');
  return new Blob([png], { type: 'image/png' });
}

/**
 * Whether one window to share is chosen in the system's own dialog (Wayland) rather than from
 * `listWindows`, which cannot see other applications' windows there.
 */
export async function systemPicksWindow(): Promise<boolean> {
  try {
    return await invoke<boolean>('system_picks_window');
  } catch {
    return false;
  }
}

/** The windows a screenshot can show on their own, topmost first. */
export async function listWindows(): Promise<WindowChoice[]> {
  try {
    return await invoke<WindowChoice[]>('list_windows');
  } catch (e) {
    throw new Error(sentence(e));
  }
}
