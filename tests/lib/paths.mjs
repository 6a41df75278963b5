// Where the things under test are. Every path can be overridden by the environment, so the
// suites also run against binaries built elsewhere.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's top directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Cargo's build directory (scripts/env.sh sets the same default). */
export const targetDir = process.env.CARGO_TARGET_DIR ?? '/var/tmp/instant-share-target';

/** The help host binary. */
export const hostBin =
  process.env.INSTANT_SHARE_HOST_BIN ?? path.join(targetDir, 'debug', 'instant-share-host');

/** The desktop app binary. */
export const appBin = process.env.INSTANT_SHARE_APP_BIN ?? path.join(targetDir, 'debug', 'instant-share');

/** The UI build the host serves. */
export const uiDir = process.env.INSTANT_SHARE_UI_DIR ?? path.join(repoRoot, 'ui', 'dist');

/** Screenshots and logs of a run. */
export const outputDir = path.join(repoRoot, 'tests', 'output');

/** The headless participant (crates/peer). */
export const peerBin = process.env.INSTANT_SHARE_PEER_BIN ?? path.join(targetDir, 'debug', 'instant-share-peer');
