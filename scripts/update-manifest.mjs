#!/usr/bin/env node
// Writes the update manifest (`latest.json`) the Tauri updater reads, from a release's signed
// updater artifacts:
//
//   node scripts/update-manifest.mjs --version 1.2.3 --base-url URL [--notes TEXT] DIR > latest.json
//
// DIR holds the artifacts as they are published (the release workflow's `dist/`), each with
// its `.sig` (written by `tauri build` when `bundle > createUpdaterArtifacts` is on and
// TAURI_SIGNING_PRIVATE_KEY is set). An artifact's URL is BASE-URL/NAME. Platforms, by name:
//   *.AppImage            linux-<arch>-appimage (and linux-<arch>)
//   *.deb, *.rpm          linux-<arch>-deb, linux-<arch>-rpm
//   *-setup.exe           windows-<arch>-nsis (and windows-<arch>)
//   *.msi                 windows-<arch>-msi
//   *.app.tar.gz          darwin-<arch>-app (and darwin-<arch>)
// The architecture comes from the name (x64/amd64/x86_64, aarch64/arm64): the workflow names
// the macOS archive after its target, since Tauri does not.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

const KINDS = [
  { suffix: '.AppImage', os: 'linux', installer: 'appimage', primary: true },
  { suffix: '.deb', os: 'linux', installer: 'deb' },
  { suffix: '.rpm', os: 'linux', installer: 'rpm' },
  { suffix: '-setup.exe', os: 'windows', installer: 'nsis', primary: true },
  { suffix: '.msi', os: 'windows', installer: 'msi' },
  { suffix: '.app.tar.gz', os: 'darwin', installer: 'app', primary: true },
];

/** The updater's architecture name in `name`, or undefined. */
export function archOf(name) {
  if (/(^|[_.-])(x64|amd64|x86_64)([_.-]|$)/.test(name)) return 'x86_64';
  if (/(^|[_.-])(aarch64|arm64)([_.-]|$)/.test(name)) return 'aarch64';
  return undefined;
}

/**
 * The manifest for the files in `dir`. Fails when an artifact has no signature or no
 * architecture in its name, or when two artifacts claim one platform.
 */
export async function buildManifest({ dir, version, baseUrl, notes = '', now = new Date() }) {
  const names = await readdir(dir);
  const platforms = {};
  const claim = (key, entry, name) => {
    if (platforms[key]) throw new Error(`two artifacts for ${key}: ${platforms[key].url} and ${name}`);
    platforms[key] = entry;
  };
  for (const name of names.sort()) {
    const kind = KINDS.find((k) => name.endsWith(k.suffix));
    if (!kind) continue;
    const arch = archOf(name);
    if (!arch) throw new Error(`${name}: no architecture in the name (x64, amd64, x86_64, aarch64 or arm64)`);
    if (!names.includes(`${name}.sig`)) {
      if (kind.installer === 'deb' || kind.installer === 'rpm') continue; // not an update artifact
      throw new Error(`${name} has no ${name}.sig: build with createUpdaterArtifacts and TAURI_SIGNING_PRIVATE_KEY`);
    }
    const signature = (await readFile(path.join(dir, `${name}.sig`), 'utf8')).trim();
    const entry = { signature, url: `${baseUrl.replace(/\/$/, '')}/${encodeURIComponent(name)}` };
    claim(`${kind.os}-${arch}-${kind.installer}`, entry, name);
    if (kind.primary) claim(`${kind.os}-${arch}`, entry, name);
  }
  if (Object.keys(platforms).length === 0) throw new Error(`no signed updater artifacts in ${dir}`);
  return { version, notes, pub_date: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), platforms };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { version: { type: 'string' }, 'base-url': { type: 'string' }, notes: { type: 'string', default: '' } },
    allowPositionals: true,
  });
  if (!values.version || !values['base-url'] || positionals.length !== 1) {
    console.error('usage: node scripts/update-manifest.mjs --version V --base-url URL [--notes TEXT] DIR');
    process.exit(2);
  }
  try {
    const manifest = await buildManifest({
      dir: positionals[0],
      version: values.version.replace(/^v/, ''),
      baseUrl: values['base-url'],
      notes: values.notes,
    });
    process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  } catch (error) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
}
