// The desktop app's real window under Xvfb (tauri-driver + WebKitWebDriver), the real host, and
// the expert console in Chromium: enrol, press Instant share, wait in the queue, get an expert,
// chat both ways, and see the summary when the expert ends the session. Then: closing the
// window hides it, and the global shortcut (the tray's Instant share) starts a share and
// brings the window back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from './lib/host.mjs';
import { launchChromium, tid as css, screenshot, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { TauriDriver, tid, visibleAppWindows, closeWindow } from './lib/app.mjs';
import { waitFor } from './lib/wait.mjs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const expert = { username: 'ben', displayName: 'Ben Expert', password: 'another long password' };

let host;
let browser;
let driver;
let app;
const pageErrors = [];

before(async () => {
  assert.ok(process.env.DISPLAY, 'the app needs a display: run through scripts/e2e.sh (Xvfb)');
  host = new Host({ name: 'host-app', offerTimeoutSecs: 30 });
  await host.addExpert(expert);
  await host.start();
  browser = await launchChromium();
  driver = await TauriDriver.start({ name: 'app-tauri-driver', env: { INSTANT_SHARE_HOST_URL: host.url, RUST_LOG: 'info' } });
  app = await driver.newSession();
});

after(async () => {
  await app?.close().catch((error) => console.log(`closing the app: ${error.message}`));
  await driver?.stop();
  await browser?.close();
  await host?.stop();
  if (pageErrors.length) console.log(`page errors seen:\n${pageErrors.join('\n')}`);
});

test('enrol, Instant share, queue, expert joins, chat both ways, expert ends', { timeout: 180_000 }, async () => {
  try {
    await flow();
  } catch (error) {
    await app.screenshot('app-failure').catch(() => {});
    throw error;
  }
});

async function flow() {
  // Enrol with a code from the host's CLI.
  const code = await host.enrolmentCode('Robin Employee');
  await app.waitVisible(tid('enrol-host'), 30_000);
  await app.screenshot('app-enrol');
  await app.type(tid('enrol-host'), host.url);
  await app.type(tid('enrol-code'), code);
  await app.click(tid('enrol-submit'));
  await app.waitVisible(tid('share-button'), 15_000);

  // The expert signs in but is away, so the request waits in the queue.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const console_ = await context.newPage();
  recordPageErrors(console_, 'console', pageErrors);
  context.on('page', (page) => recordPageErrors(page, 'site', pageErrors));
  await screenshotsOnFailure(context, 'app-console', async () => {
    await console_.goto(`${host.url}/console`);
    await console_.locator(css('login-username')).fill(expert.username);
    await console_.locator(css('login-password')).fill(expert.password);
    await console_.locator(css('login-submit')).click();
    await console_.locator(css('availability-toggle')).waitFor({ state: 'visible', timeout: 10_000 });

    // Instant share: the app waits, showing its place in the queue.
    if (await app.findVisible(tid('topic-select'))) {
      await app.click(`${tid('topic-select')} option[value="email"]`);
    }
    if (await app.findVisible(tid('note-input'))) {
      await app.type(tid('note-input'), 'My calendar does not sync');
    }
    await app.click(tid('share-button'));
    await app.waitVisible(tid('waiting'), 15_000);
    await app.waitText(tid('queue-position'), (text) => /\b1\b/.test(text), 15_000);
    await app.waitVisible(tid('estimated-wait'));
    await app.screenshot('app-waiting');
    assert.ok(await app.findVisible(tid('waiting')), 'still waiting (nobody is available)');

    // The console lists the request; the expert becomes available, the offer rings, accept.
    await console_
      .locator(`${css('queue-list')} ${css('queue-entry')}`)
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
    await console_.locator(css('availability-toggle')).click();
    await console_.locator(css('offer')).waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot(console_, 'app-console-offer');
    await console_.locator(css('offer-accept')).click();

    // Both sides are in the session.
    const site = await waitFor(
      () => `the co-browse site to open (pages: ${context.pages().map((p) => p.url()).join(', ')})`,
      () => context.pages().find((page) => /^\/s\/[^/]+$/.test(new URL(page.url()).pathname)),
    );
    await site.locator(css('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
    await app.waitVisible(tid('session-view'), 15_000);
    await app.waitGone(tid('waiting'), 5_000);

    // Chat from the app to the expert...
    await app.type(tid('chat-input'), 'Hello from the app');
    await app.click(tid('chat-send'));
    await site.locator(css('chat-message'), { hasText: 'Hello from the app' }).waitFor({ state: 'visible', timeout: 10_000 });
    // ...and back.
    await site.locator(css('chat-input')).fill('Hello from the console');
    await site.locator(css('chat-send')).click();
    await app.waitText(`${tid('chat-log')}`, (text) => text.includes('Hello from the console'), 10_000);
    await app.waitText(`${tid('chat-log')}`, (text) => text.includes('Hello from the app'), 1_000);
    await app.screenshot('app-in-session');
    await screenshot(site, 'app-site-in-session');

    // The expert ends the session; the app shows the summary.
    await site.locator(css('end-session')).click();
    // Ending is asked for again, with the safe choice focused.
    await site.locator(css('confirm-end-ok')).click();
    await app.waitVisible(tid('ended-summary'), 15_000);
    await app.screenshot('app-ended');

    // And it can start over.
    await app.click(tid('new-share'));
    await app.waitVisible(tid('share-button'), 10_000);
  }).finally(() => context.close());
}

test('with the window closed, the global shortcut starts a share and shows the window', { timeout: 60_000 }, async () => {
  try {
    const windows = await waitFor('the app window on screen', async () => {
      const ids = await visibleAppWindows();
      return ids.length ? ids : false;
    });
    // Close it as a window manager's close button would: the app hides and keeps running.
    for (const id of windows) await closeWindow(id);
    await waitFor('the window to hide on close', async () => (await visibleAppWindows()).length === 0, {
      timeout: 5_000,
    });
    // The same action as the tray's Instant share, from the keyboard.
    await run('xdotool', ['key', '--clearmodifiers', 'ctrl+shift+i']);
    await waitFor('the window to come back', async () => (await visibleAppWindows()).length > 0, { timeout: 10_000 });
    await app.waitVisible(tid('waiting'), 15_000);
    const text = await app.waitText(tid('waiting'), (t) => t.includes('Something else'));
    assert.match(text, /Something else/, 'a quick share asks about "Something else"');
    await app.screenshot('app-quick-share');
    await app.click(tid('cancel-share'));
    await app.waitText(tid('ended-summary'), (t) => /cancelled/i.test(t), 15_000);
    await app.click(tid('new-share'));
    await app.waitVisible(tid('share-button'), 10_000);
  } catch (error) {
    await app.screenshot('app-quick-share-failure').catch(() => {});
    throw error;
  }
});
