// Generated from src-tauri/src/events.rs by `UPDATE_GENERATED=1 cargo test -p instant-share events`.
// Do not edit by hand.

import type { ApiError, AppState, PointerAt } from '../generated/protocol';
import type { MediaView } from './media-types';
import type { UpdateView } from './update-types';

export type PointerMoved = { 
/**
 * Participant id.
 */
from: string, pointer: PointerAt | null, };

export type BoardRejected = { op_id: string, error: ApiError, };

/** Every event the app sends its window: name → payload. */
export type AppEvents = {
  "app-state": AppState;
  "media-state": MediaView;
  "update-state": UpdateView;
  "board-pointer": PointerMoved;
  "board-rejected": BoardRejected;
};
