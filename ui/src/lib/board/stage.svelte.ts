// Which picture a page has on its stage, and the picture waiting in the black-out step: the
// same on the co-browse site and in the app window.
import type { BoardView, ImageSource } from '../../generated/protocol';
import type { PictureStore } from './pictures.svelte';

export class StageChoice {
  /** The picture on this page's stage. */
  picked = $state<string | null>(null);
  /** A picture chosen to share, in the black-out step. */
  chosen = $state<{ picture: Blob; name: string; source: ImageSource } | null>(null);
  #followed: string | null = null;

  /** Follow the lead: a picture the lead puts on everyone's stage comes on here too. */
  follow(view: BoardView | null | undefined): void {
    const id = view?.target.kind === 'image' ? view.target.image_id : null;
    if (id === this.#followed) return;
    this.#followed = id;
    if (id) this.picked = id;
  }

  /** Shares the chosen picture as it left the black-out step; resolves the new picture's id. */
  async share(picture: Blob, store: PictureStore): Promise<string | null> {
    const what = this.chosen;
    this.chosen = null;
    if (!what) return null;
    const image = await store.upload(picture, what.name, what.source);
    return image?.id ?? null;
  }
}
