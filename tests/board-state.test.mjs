// The board as a browser keeps it (ui/src/lib/board/state.ts) equals the board as the host and
// the Rust clients keep it (crates/board/src/apply.rs): the event sequences the Rust property
// test generator makes (tests/fixtures/board-vectors.json, written by
// crates/board/tests/convergence.rs) replayed through the TypeScript, compared after every
// event. The TypeScript is compiled with the esbuild that the UI's build already installs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './lib/paths.mjs';
import { importUiModule } from './lib/ui-module.mjs';

let board;
let vectors;

before(async () => {
  board = await importUiModule('lib/board/state.ts');
  vectors = JSON.parse(await readFile(path.join(repoRoot, 'tests', 'fixtures', 'board-vectors.json'), 'utf8'));
});

test('every event sequence gives the Rust board after every event', () => {
  assert.ok(vectors.cases.length >= 20);
  let events = 0;
  for (const [n, c] of vectors.cases.entries()) {
    const state = board.emptyBoard();
    c.events.forEach((event, i) => {
      board.applyBoardEvent(state, event);
      // Through JSON, as the Rust side was written: no undefined fields, same shape.
      assert.deepStrictEqual(JSON.parse(JSON.stringify(state)), c.after[i], `case ${n}, after event ${i} (${event.kind})`);
      events++;
    });
  }
  assert.ok(events >= 200, `only ${events} events in the vectors`);
});

test('what to draw: highlights first, nothing on removed images, nothing hidden', () => {
  const state = board.emptyBoard();
  const image = { id: 'a'.repeat(64), by: 'p1', name: 'Screenshot', source: 'screenshot', width: 10, height: 10, hidden: false };
  const on = { kind: 'image', image_id: image.id };
  const ann = (id, kind) => ({
    id,
    by: 'p2',
    target: on,
    shape: kind === 'highlight' ? { kind, points: [[1, 1]] } : { kind: 'arrow', from: [0, 0], to: [5, 5] },
    color: '#000000',
    width: 2,
    hidden: false,
  });
  board.applyBoardEvent(state, { kind: 'image_added', image });
  board.applyBoardEvent(state, { kind: 'annotated', annotation: ann('a1', 'arrow') });
  board.applyBoardEvent(state, { kind: 'annotated', annotation: ann('h1', 'highlight') });
  assert.deepEqual(board.visibleAnnotations(state).map((a) => a.id), ['h1', 'a1']);
  board.applyBoardEvent(state, { kind: 'hidden', by: 'p2', annotations: ['h1'], images: [] });
  assert.deepEqual(board.visibleAnnotations(state).map((a) => a.id), ['a1']);
  board.applyBoardEvent(state, { kind: 'hidden', by: 'p1', annotations: [], images: [image.id] });
  assert.deepEqual(board.visibleAnnotations(state), []);
  assert.deepEqual(board.visibleImages(state), []);
  board.applyBoardEvent(state, { kind: 'undone', by: 'p1' });
  assert.deepEqual(board.visibleAnnotations(state).map((a) => a.id), ['a1']);
});
