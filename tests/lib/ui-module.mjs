// Imports one of the UI's TypeScript modules (with what it imports) into a test: bundled with the
// esbuild that the UI's build already installs, loaded from memory.
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from './paths.mjs';

/** The module at `ui/src/<relative>` (e.g. `lib/board/state.ts`). */
export async function importUiModule(relative) {
  const require = createRequire(path.join(repoRoot, 'ui', 'package.json'));
  const esbuild = require('esbuild');
  const built = esbuild.buildSync({
    entryPoints: [path.join(repoRoot, 'ui', 'src', relative)],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
  });
  return import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString('base64')}`);
}
