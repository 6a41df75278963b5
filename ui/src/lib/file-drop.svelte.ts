// Dropping a picture file on the call (the site's and the app's): the outline while a file is
// over it, and the file handed on once dropped. Other drags pass through untouched.

/** Whether a drag carries files (not text or a link). */
export function hasFiles(e: DragEvent): boolean {
  return [...(e.dataTransfer?.types ?? [])].includes('Files');
}

export class FileDropZone {
  /** A file is being dragged over the zone. */
  dropping = $state(false);

  /** `take` gives the current receiver of a dropped file; none: drops are not taken. */
  constructor(private readonly take: () => ((file: File) => void) | undefined) {}

  over = (e: DragEvent): void => {
    if (!this.take() || !hasFiles(e)) return;
    e.preventDefault();
    this.dropping = true;
  };

  leave = (): void => {
    this.dropping = false;
  };

  drop = (e: DragEvent): void => {
    this.dropping = false;
    const file = e.dataTransfer?.files?.[0];
    const take = this.take();
    if (!take || !file) return;
    e.preventDefault();
    take(file);
  };
}
