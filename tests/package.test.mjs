// The app as its .deb installed it in a clean Debian root (scripts/package-test.sh makes the
// root, installs the package and runs this suite; not part of `scripts/e2e.sh` on its own):
// - the window that opens is /usr/bin/instant-share running inside the root, so only the
//   libraries the package declared are there;
// - it enrols against a host on this machine, and its settings land in the user's config
//   directory under the bundle identifier;
// - an Instant share reaches the expert in Chromium, who takes it: both are in the session,
//   and a chat message goes from the app to the expert;
// - then it updates itself from that host (`serve --updates-dir`, the next patch version built and
//   signed by scripts/package-test.sh with a test key, which the installed app was built to
//   trust): an installer altered on the way is refused and nothing changes; the genuine one is
//   downloaded, verified and installed with dpkg, the app starts again as the new version (its
//   WebDriver session ends with the old process), and a new session shows the new version, still
//   enrolled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Host } from './lib/host.mjs';
import { launchChromium, tid as css, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { TauriDriver, appIdentifier, tid, waitAppGone } from './lib/app.mjs';
import { appBin, outputDir } from './lib/paths.mjs';
import { waitFor } from './lib/wait.mjs';

const root = process.env.PACKAGE_TEST_ROOT;
const userHome = process.env.PACKAGE_TEST_USER_HOME;
/** The update the build made: its .deb, .deb.sig and latest.json. */
const builtUpdate = process.env.PACKAGE_TEST_UPDATES_DIR;
const updateVersion = process.env.PACKAGE_TEST_UPDATE_VERSION;
const run = promisify(execFile);
const identifier = await appIdentifier();
const expert = { username: 'pat', displayName: 'Pat Expert', password: 'a long enough password' };

let host;
let browser;
let driver;
let app;
/** The host's updates directory: the built update, or an altered copy of it. */
let updatesDir;
let updateDeb;
const pageErrors = [];

before(async () => {
  assert.ok(root && userHome, 'run through scripts/package-test.sh (PACKAGE_TEST_ROOT, PACKAGE_TEST_USER_HOME)');
  assert.ok(builtUpdate && updateVersion, 'run through scripts/package-test.sh (PACKAGE_TEST_UPDATES_DIR, PACKAGE_TEST_UPDATE_VERSION)');
  assert.ok(process.env.DISPLAY, 'the app needs a display: run through scripts/package-test.sh (Xvfb)');
  updateDeb = (await readdir(builtUpdate)).find((name) => name.endsWith('.deb'));
  assert.ok(updateDeb, `${builtUpdate} has the update's .deb`);
  updatesDir = await mkdtemp(path.join(os.tmpdir(), 'instant-share-package-updates-'));
  await copyFile(path.join(builtUpdate, 'latest.json'), path.join(updatesDir, 'latest.json'));
  host = new Host({ name: 'host-package', offerTimeoutSecs: 30, extraArgs: ['--updates-dir', updatesDir] });
  await host.addExpert(expert);
  await host.start();
  browser = await launchChromium();
  driver = await TauriDriver.start({ name: 'package-tauri-driver', env: { RUST_LOG: 'info' } });
  app = await driver.newSession({ application: appBin });
});

after(async () => {
  await app?.close().catch((error) => console.log(`closing the app: ${error.message}`));
  await driver?.stop();
  await browser?.close();
  await host?.stop();
  if (updatesDir) await rm(updatesDir, { recursive: true, force: true });
  if (pageErrors.length) console.log(`page errors seen:\n${pageErrors.join('\n')}`);
});

/** Pids of processes whose root directory is the package root and that run `exe`. */
async function processesInRoot(exe) {
  const found = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const [procRoot, procExe] = await Promise.all([readlink(`/proc/${pid}/root`), readlink(`/proc/${pid}/exe`)]);
      // Seen from outside, both links are paths on this machine: the root's, and the binary
      // inside it.
      if (path.resolve(procRoot) === path.resolve(root) && procExe === path.join(path.resolve(root), exe)) found.push(pid);
    } catch {
      // gone, or a kernel thread
    }
  }
  return found;
}

test('the installed app enrols and starts a share', { timeout: 180_000 }, async () => {
  try {
    await flow();
  } catch (error) {
    await app.screenshot('package-failure').catch(() => {});
    throw error;
  }
});

async function flow() {
  const pids = await processesInRoot('/usr/bin/instant-share');
  assert.equal(pids.length, 1, `one /usr/bin/instant-share runs inside ${root} (found ${pids.length})`);

  const code = await host.enrolmentCode('Robin Employee');
  await app.waitVisible(tid('enrol-host'), 30_000);
  await app.type(tid('enrol-host'), host.url);
  await app.type(tid('enrol-code'), code);
  await app.click(tid('enrol-submit'));
  await app.waitVisible(tid('share-button'), 15_000);
  await app.screenshot('package-enrolled');

  // The enrolment is kept where the identifier says, in the user's home inside the root.
  const configFile = path.join(userHome, '.config', identifier, 'config.json');
  const config = JSON.parse(await readFile(configFile, 'utf8'));
  assert.equal(config.host_url, host.url);
  assert.ok(config.device_id, `${configFile} has the device id`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const console_ = await context.newPage();
  recordPageErrors(console_, 'console', pageErrors);
  context.on('page', (page) => recordPageErrors(page, 'site', pageErrors));
  await screenshotsOnFailure(context, 'package-console', async () => {
    await console_.goto(`${host.url}/console`);
    await console_.locator(css('login-username')).fill(expert.username);
    await console_.locator(css('login-password')).fill(expert.password);
    await console_.locator(css('login-submit')).click();
    await console_.locator(css('availability-toggle')).click();

    await app.click(tid('share-button'));
    await app.waitVisible(tid('waiting'), 15_000);
    await console_.locator(css('offer')).waitFor({ state: 'visible', timeout: 15_000 });
    await console_.locator(css('offer-accept')).click();
    const site = await waitFor(
      () => `the co-browse site to open (pages: ${context.pages().map((p) => p.url()).join(', ')})`,
      () => context.pages().find((page) => /^\/s\/[^/]+$/.test(new URL(page.url()).pathname)),
    );
    await site.locator(css('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
    await app.waitVisible(tid('session-view'), 15_000);

    await app.type(tid('chat-input'), 'Hello from the installed app');
    await app.click(tid('chat-send'));
    await site.locator(css('chat-message'), { hasText: 'Hello from the installed app' }).waitFor({ state: 'visible', timeout: 10_000 });
    await app.screenshot('package-in-session');
    await site.locator(css('end-session')).click();
    await site.locator(css('confirm-end-ok')).click();
    await app.waitVisible(tid('ended-summary'), 15_000);
  });
  await context.close();
}

/** The version of instant-share dpkg has installed in the root. */
async function installedVersion() {
  const { stdout } = await run('chroot', [root, 'dpkg-query', '-W', '-f', '${Version}', 'instant-share']);
  return stdout.trim();
}

/** The SHA-256 of `/usr/bin/instant-share` in a .deb, and in the root. */
async function binaryDigests(deb) {
  const inDeb = await run('bash', ['-c', 'set -o pipefail; dpkg-deb --fsys-tarfile "$1" | tar -xO usr/bin/instant-share | sha256sum', 'bash', deb]);
  const inRoot = await run('sha256sum', [path.join(root, 'usr/bin/instant-share')]);
  return { deb: inDeb.stdout.split(' ')[0], root: inRoot.stdout.split(' ')[0] };
}

/** Presses Check for updates on the start screen and waits for the offer of the update. */
async function offerUpdate() {
  await app.click(tid('update-check'));
  await waitFor('the offer of the update', async () => (await app.attribute(tid('update-notice'), 'data-stage')) === 'available', {
    timeout: 30_000,
  });
  const offer = await app.waitText(tid('update-notice'), (t) => t.includes(updateVersion));
  assert.match(offer, /the package test's update/, 'the release notes are shown');
}

test('the installed app updates itself to the release its host serves', { timeout: 300_000 }, async () => {
  try {
    await updateFlow();
  } catch (error) {
    await app.screenshot('package-update-failure').catch(() => {});
    throw error;
  }
});

async function updateFlow() {
  const [before] = await processesInRoot('/usr/bin/instant-share');
  const versionBefore = await installedVersion();
  assert.notEqual(versionBefore, updateVersion);
  await app.click(tid('new-share'));
  await app.waitVisible(tid('update-check'), 10_000);

  // An installer altered on the way (one byte) with the release's signature: refused, nothing
  // installed, the app goes on.
  const genuine = await readFile(path.join(builtUpdate, updateDeb));
  const altered = Buffer.from(genuine);
  altered[altered.length >> 1] ^= 0xff;
  await writeFile(path.join(updatesDir, updateDeb), altered);
  await offerUpdate();
  await app.click(tid('update-install'));
  await waitFor('the altered installer to be refused', async () => (await app.attribute(tid('update-notice'), 'data-stage')) === 'failed', {
    timeout: 60_000,
  });
  const refusal = await app.waitText(tid('update-notice'), () => true);
  assert.match(refusal, /signature/i, `the reason is the signature: ${refusal}`);
  assert.equal(await installedVersion(), versionBefore, 'nothing was installed');
  assert.deepEqual(await processesInRoot('/usr/bin/instant-share'), [before], 'the app goes on');

  // The genuine installer: downloaded from the host, verified, installed with dpkg (through
  // sudo here), and the app starts again. The WebDriver session goes with the old process.
  await writeFile(path.join(updatesDir, updateDeb), genuine);
  await offerUpdate();
  await app.screenshot('package-update-available');
  await app.click(tid('update-install'));
  await waitFor('the app before the update to exit', async () => !(await processesInRoot('/usr/bin/instant-share')).includes(before), {
    timeout: 120_000,
    interval: 250,
  });
  // A process still running the replaced binary would read `… (deleted)` and not count here.
  const after = await waitFor(
    'the updated app to start again',
    async () => {
      const pids = await processesInRoot('/usr/bin/instant-share');
      return pids.length === 1 && pids[0] !== before ? pids[0] : false;
    },
    { timeout: 30_000 },
  );
  assert.equal(await installedVersion(), updateVersion, 'dpkg has the update installed');
  const digests = await binaryDigests(path.join(builtUpdate, updateDeb));
  assert.equal(digests.root, digests.deb, "/usr/bin/instant-share is the update's binary");
  const hostLog = await readFile(path.join(outputDir, 'host-package.log'), 'utf8');
  assert.match(hostLog, new RegExp(`update file served.*${updateDeb.replace(/[.+]/g, '\\$&')}`), 'the host served the installer');

  // The restarted app is no WebDriver session's: end it and start it in a new one, which shows
  // the new version and the enrolment kept.
  process.kill(Number(after), 'SIGTERM');
  await waitAppGone(15_000);
  // WebKitWebDriver keeps the old session until it is deleted, and runs one at a time.
  await app.close().catch(() => {});
  app = await driver.newSession({ application: appBin });
  await app.waitVisible(tid('share-button'), 30_000);
  const footer = await app.waitText('footer', (t) => t.includes(`version ${updateVersion}`), 15_000);
  assert.match(footer, new RegExp(`Connected to ${host.url.replace(/[.]/g, '\\.')}`));
  await app.screenshot('package-updated');
}
