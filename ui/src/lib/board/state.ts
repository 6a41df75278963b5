// The co-browse board as every client keeps it: the events the host sends, applied in order,
// exactly as crates/board/src/apply.rs does (the one definition; this is its TypeScript twin,
// checked against vectors the Rust code writes: tests/board-state.test.mjs).
import type {
  Annotation,
  BoardAction,
  BoardEvent,
  BoardHistory,
  BoardImage,
  BoardState,
  BoardTarget,
} from '../../generated/protocol';
import { unhandled } from '../exhaustive';

const MAX_UNDO = 50;

export function emptyBoard(): BoardState {
  return { images: [], annotations: [], view: null, history: {} };
}

/** Applies one event to `state` (in place) and returns it. */
export function applyBoardEvent(state: BoardState, event: BoardEvent): BoardState {
  switch (event.kind) {
    case 'annotated': {
      const annotation: Annotation = { ...event.annotation, hidden: false };
      state.annotations.push(annotation);
      record(state, annotation.by, { showed: true, annotations: [annotation.id], images: [] });
      break;
    }
    case 'image_added': {
      const image: BoardImage = { ...event.image, hidden: false };
      state.images.push(image);
      record(state, image.by, { showed: true, annotations: [], images: [image.id] });
      break;
    }
    case 'hidden': {
      const action: BoardAction = { showed: false, annotations: [...event.annotations], images: [...event.images] };
      show(state, action, false);
      record(state, event.by, action);
      break;
    }
    case 'undone': {
      const h = historyOf(state, event.by);
      const action = h.undo.pop();
      if (action) {
        h.redo.push(action);
        show(state, action, !action.showed);
      }
      break;
    }
    case 'redone': {
      const h = historyOf(state, event.by);
      const action = h.redo.pop();
      if (action) {
        h.undo.push(action);
        show(state, action, action.showed);
      }
      break;
    }
    case 'view_set':
      state.view = event.view;
      break;
    default:
      unhandled(event, 'board event');
  }
  const target = state.view?.target;
  if (target?.kind === 'image' && !state.images.some((i) => i.id === target.image_id && !i.hidden)) {
    state.view = null;
  }
  collect(state);
  return state;
}

/** The images to show, in the order shared. */
export function visibleImages(state: BoardState): BoardImage[] {
  return state.images.filter((i) => !i.hidden);
}

/** The annotations to draw, bottom first: highlights under the rest, each in drawing order. */
export function visibleAnnotations(state: BoardState): Annotation[] {
  const shown = new Set(visibleImages(state).map((i) => i.id));
  const on = (a: Annotation) => !a.hidden && (a.target.kind === 'screen' || shown.has(a.target.image_id));
  const highlights = state.annotations.filter((a) => a.shape.kind === 'highlight');
  const others = state.annotations.filter((a) => a.shape.kind !== 'highlight');
  return [...highlights, ...others].filter(on);
}

/** Whether two targets are the same image or screen. */
export function sameTarget(a: BoardTarget, b: BoardTarget): boolean {
  return a.kind === 'image' ? b.kind === 'image' && a.image_id === b.image_id : b.kind === 'screen' && a.participant_id === b.participant_id;
}

function historyOf(state: BoardState, by: string): BoardHistory {
  let h = state.history[by];
  if (!h) {
    h = { undo: [], redo: [] };
    state.history[by] = h;
  }
  return h;
}

function record(state: BoardState, by: string, action: BoardAction): void {
  const h = historyOf(state, by);
  h.undo.push(action);
  if (h.undo.length > MAX_UNDO) h.undo.shift();
  h.redo = [];
}

function show(state: BoardState, action: BoardAction, visible: boolean): void {
  const annotations = new Set(action.annotations);
  const images = new Set(action.images);
  for (const a of state.annotations) if (annotations.has(a.id)) a.hidden = !visible;
  for (const i of state.images) if (images.has(i.id)) i.hidden = !visible;
}

function collect(state: BoardState): void {
  const namedAnnotations = new Set<string>();
  const namedImages = new Set<string>();
  for (const h of Object.values(state.history)) {
    if (!h) continue;
    for (const action of [...h.undo, ...h.redo]) {
      for (const id of action.annotations) namedAnnotations.add(id);
      for (const id of action.images) namedImages.add(id);
    }
  }
  state.images = state.images.filter((i) => !i.hidden || namedImages.has(i.id));
  const images = new Set(state.images.map((i) => i.id));
  state.annotations = state.annotations.filter(
    (a) => (!a.hidden || namedAnnotations.has(a.id)) && (a.target.kind === 'screen' || images.has(a.target.image_id)),
  );
  const annotations = new Set(state.annotations.map((a) => a.id));
  const matters = (a: BoardAction) => a.annotations.length > 0 || a.images.length > 0;
  for (const [by, h] of Object.entries(state.history)) {
    if (!h) continue;
    for (const action of [...h.undo, ...h.redo]) {
      action.annotations = action.annotations.filter((id) => annotations.has(id));
      action.images = action.images.filter((id) => images.has(id));
    }
    h.undo = h.undo.filter(matters);
    h.redo = h.redo.filter(matters);
    if (h.undo.length === 0 && h.redo.length === 0) delete state.history[by];
  }
}
