// scripts/update-manifest.mjs, the release workflow's `latest.json`, from artifacts signed
// with a fresh key by the real Tauri signer (`tauri signer`). The artifacts here are stand-in
// files with the names the release workflow publishes: msi, nsis and the macOS archive cannot
// be built on this machine, and the manifest reads only names and signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildManifest, archOf } from '../scripts/update-manifest.mjs';
import { repoRoot } from './lib/paths.mjs';

const run = promisify(execFile);
const tauri = path.join(repoRoot, 'ui', 'node_modules', '.bin', 'tauri');
const names = [
  'Instant.Share_1.2.3_amd64.AppImage',
  'Instant.Share_1.2.3_x64-setup.exe',
  'Instant.Share_1.2.3_x64_en-US.msi',
  'Instant.Share_1.2.3_aarch64.app.tar.gz',
  'Instant.Share_1.2.3_x86_64.app.tar.gz',
];

test('latest.json lists every signed artifact under its platform', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'instant-share-manifest-'));
  try {
    const key = path.join(dir, 'updater.key');
    await run(tauri, ['signer', 'generate', '--ci', '--password', '', '--write-keys', key, '--force']);
    const artifacts = path.join(dir, 'dist');
    await run('mkdir', [artifacts]);
    for (const name of names) {
      await writeFile(path.join(artifacts, name), `contents of ${name}`);
      await run(tauri, ['signer', 'sign', '--private-key-path', key, '--password', '', path.join(artifacts, name)]);
    }
    // A .deb without a signature is published but is no update artifact.
    await writeFile(path.join(artifacts, 'Instant.Share_1.2.3_amd64.deb'), 'deb');

    const base = 'https://github.com/example/instant-share/releases/download/v1.2.3';
    const manifest = await buildManifest({ dir: artifacts, version: '1.2.3', baseUrl: base, notes: 'Fixes', now: new Date('2027-01-02T03:04:05.678Z') });
    assert.equal(manifest.version, '1.2.3');
    assert.equal(manifest.pub_date, '2027-01-02T03:04:05Z');
    assert.deepEqual(Object.keys(manifest.platforms).sort(), [
      'darwin-aarch64', 'darwin-aarch64-app', 'darwin-x86_64', 'darwin-x86_64-app',
      'linux-x86_64', 'linux-x86_64-appimage',
      'windows-x86_64', 'windows-x86_64-msi', 'windows-x86_64-nsis',
    ]);
    const sig = async (name) => (await readFile(path.join(artifacts, `${name}.sig`), 'utf8')).trim();
    assert.deepEqual(manifest.platforms['windows-x86_64'], {
      signature: await sig('Instant.Share_1.2.3_x64-setup.exe'),
      url: `${base}/Instant.Share_1.2.3_x64-setup.exe`,
    });
    assert.equal(manifest.platforms['windows-x86_64-msi'].signature, await sig('Instant.Share_1.2.3_x64_en-US.msi'));
    assert.equal(manifest.platforms['darwin-aarch64'].url, `${base}/Instant.Share_1.2.3_aarch64.app.tar.gz`);
    // A minisign signature, base64 of its text form.
    const text = Buffer.from(manifest.platforms['linux-x86_64'].signature, 'base64').toString('utf8');
    assert.match(text, /^untrusted comment: signature from tauri secret key/);

    // An unsigned update artifact is refused, with the fix.
    await rm(path.join(artifacts, 'Instant.Share_1.2.3_x64_en-US.msi.sig'));
    await assert.rejects(buildManifest({ dir: artifacts, version: '1.2.3', baseUrl: base }), /msi has no .*\.sig: build with createUpdaterArtifacts/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('architectures are read from the names the bundlers write', () => {
  assert.equal(archOf('Instant Share_0.1.0_amd64.AppImage'), 'x86_64');
  assert.equal(archOf('Instant Share_0.1.0_x64-setup.exe'), 'x86_64');
  assert.equal(archOf('Instant Share_0.1.0_aarch64.dmg'), 'aarch64');
  assert.equal(archOf('Instant Share.app.tar.gz'), undefined);
});
