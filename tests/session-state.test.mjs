// A session as a browser keeps it (ui/src/lib/session-state.ts) equals the session as the host
// and the Rust clients keep it (crates/core/src/snapshot.rs): one session's events of every kind
// (tests/fixtures/session-vectors.json, written by crates/core/tests/session_vectors.rs)
// replayed through the TypeScript, compared after every event. The TypeScript is bundled with
// the esbuild that the UI's build already installs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './lib/paths.mjs';

let session;
let vectors;

before(async () => {
  const require = createRequire(path.join(repoRoot, 'ui', 'package.json'));
  const esbuild = require('esbuild');
  const built = esbuild.buildSync({
    entryPoints: [path.join(repoRoot, 'ui', 'src', 'lib', 'session-state.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
  });
  session = await import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString('base64')}`);
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
