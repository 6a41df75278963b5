// The app as its .deb installed it in a clean Debian root (scripts/package-test.sh makes the
// root, installs the package and runs this suite; not part of `scripts/e2e.sh` on its own):
// - the window that opens is /usr/bin/instant-share running inside the root, so only the
//   libraries the package declared are there;
// - it enrols against a host on this machine, and its settings land in the user's config
//   directory under the bundle identifier;
// - an Instant share reaches the expert in Chromium, who takes it: both are in the session,
//   and a chat message goes from the app to the expert.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readlink, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Host } from './lib/host.mjs';
import { launchChromium, tid as css, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { TauriDriver, tid } from './lib/app.mjs';
import { appBin } from './lib/paths.mjs';
import { waitFor } from './lib/wait.mjs';

const root = process.env.PACKAGE_TEST_ROOT;
const userHome = process.env.PACKAGE_TEST_USER_HOME;
const identifier = JSON.parse(await readFile(new URL('../tauri.conf.json', import.meta.url), 'utf8')).identifier;
const expert = { username: 'pat', displayName: 'Pat Expert', password: 'a long enough password' };

let host;
let browser;
let driver;
let app;
const pageErrors = [];

before(async () => {
  assert.ok(root && userHome, 'run through scripts/package-test.sh (PACKAGE_TEST_ROOT, PACKAGE_TEST_USER_HOME)');
  assert.ok(process.env.DISPLAY, 'the app needs a display: run through scripts/package-test.sh (Xvfb)');
  host = new Host({ name: 'host-package', offerTimeoutSecs: 30 });
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
