// A session as a browser keeps it (ui/src/lib/session-state.ts) equals the session as the host
// and the Rust clients keep it (crates/core/src/snapshot.rs): one session's events of every kind
// (tests/fixtures/session-vectors.json, written by crates/core/tests/session_vectors.rs)
// replayed through the TypeScript, compared after every event. The TypeScript is bundled with
// the esbuild that the UI's build already installs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './lib/paths.mjs';
import { importUiModule } from './lib/ui-module.mjs';

let session;
let vectors;

before(async () => {
  session = await importUiModule('lib/session-state.ts');
  vectors = JSON.parse(await readFile(path.join(repoRoot, 'tests', 'fixtures', 'session-vectors.json'), 'utf8'));
});

test('every session event gives the Rust snapshot after it', () => {
  const kinds = new Set(vectors.events.map((e) => e.type));
  for (const kind of ['queue', 'status', 'participant_joined', 'presence', 'media', 'chat', 'board', 'removed', 'handed_over', 'ended']) {
    assert.ok(kinds.has(kind), `the vectors have a ${kind} event`);
  }
  const state = structuredClone(vectors.before);
  vectors.events.forEach((event, i) => {
    session.applySessionEvent(state, event);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(state)), vectors.after[i], `after event ${i} (${event.type})`);
  });
});
