// The desktop app's real window under Xvfb (tauri-driver + WebKitWebDriver), the real host, and
// the expert console in Chromium, as a new employee with one expert on duty meets them:
// - the start screen and the waiting view say what the desk says: nobody on duty (with a call
//   back offered), an expert being asked, or waiting for a free expert after the only expert
//   declined — and the request rings for that expert again a moment later, never stranded;
// - the expert joins, chat goes both ways; the app crashes and, started again, comes back into
//   the same session by itself; the expert ends; the app asks "Did this solve it?"
//   with a rating, and the host's report has the answer;
// - cancelling asks first and ends without a success mark;
// - "Call me back instead" hides the window; when an expert takes the request the window
//   comes forward by itself, in the session;
// - the host offers a newer release: the app shows it with its notes and, on "Install and
//   restart", downloads it from the host — and refuses an installer that is not signed with the
//   app's key, saying so, and keeps working;
// - closing the window hides it, and the global shortcut starts a share and shows it again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from './lib/host.mjs';
import { launchChromium, tid as css, screenshot, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { TauriDriver, tid, visibleAppWindows, closeWindow } from './lib/app.mjs';
import { waitFor } from './lib/wait.mjs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { outputDir } from './lib/paths.mjs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

const run = promisify(execFile);

const expert = { username: 'ben', displayName: 'Ben Expert', password: 'another long password' };

let host;
let browser;
let driver;
let app;
let updatesDir;
const pageErrors = [];

before(async () => {
  assert.ok(process.env.DISPLAY, 'the app needs a display: run through scripts/e2e.sh (Xvfb)');
  updatesDir = await mkdtemp(path.join(os.tmpdir(), 'instant-share-updates-'));
  host = new Host({ name: 'host-app', offerTimeoutSecs: 30, reofferPauseSecs: 2, extraArgs: ['--updates-dir', updatesDir] });
  await host.addExpert(expert);
  await host.start();
  browser = await launchChromium();
  driver = await startDriver();
  app = await driver.newSession();
});

after(async () => {
  await app?.close().catch((error) => console.log(`closing the app: ${error.message}`));
  await driver?.stop();
  await browser?.close();
  await host?.stop();
  if (pageErrors.length) console.log(`page errors seen:\n${pageErrors.join('\n')}`);
});

test('enrol, Instant share, queue, expert joins, chat both ways, the app crashes and comes back, expert ends', { timeout: 240_000 }, async () => {
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
  // The address as people type it, without http(s):// (this computer's own host: http).
  const typed = host.url.replace(/^https?:\/\//, '');
  await app.type(tid('enrol-host'), typed);
  await app.waitText(tid('enrol-host-understood'), (t) => t.includes(`Connects to ${host.url}`));
  // A wrong code is refused with a clear error, which goes away once the code is changed.
  await app.type(tid('enrol-code'), 'WRNG-CODE-0000');
  await app.click(tid('enrol-submit'));
  await app.waitText(tid('error-banner'), (t) => /enrolment code/i.test(t), 15_000);
  await app.screenshot('app-enrol-error');
  await app.type(tid('enrol-code'), code);
  await app.waitGone(tid('error-banner'), 5_000);
  await app.click(tid('enrol-submit'));
  await app.waitVisible(tid('share-button'), 15_000);

  // Nobody is on duty yet: the start screen says so, and does not promise a minute.
  const outlook = await app.waitText(tid('desk-outlook'), (t) => /on duty/.test(t), 15_000);
  assert.match(outlook, /Nobody who can help with this is on duty/);
  assert.doesNotMatch(outlook, /within a minute/);

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

    // Instant share with the expert away: the app says plainly that nobody is available, and
    // offers a call back.
    if (await app.findVisible(tid('topic-select'))) {
      await app.click(`${tid('topic-select')} option[value="email"]`);
    }
    if (await app.findVisible(tid('note-input'))) {
      await app.type(tid('note-input'), 'My calendar does not sync');
    }
    await app.click(tid('share-button'));
    await waitStage('nobody');
    await app.waitVisible(tid('call-back'));
    await app.screenshot('app-waiting-nobody');
    // The same at the window's smallest size, to look at.
    const normal = await app.cmd('GET', '/window/rect');
    await app.cmd('POST', '/window/rect', { width: 640, height: 480 });
    await app.screenshot('app-waiting-nobody-min-size');
    await app.cmd('POST', '/window/rect', { width: normal.width, height: normal.height });

    // The only expert comes on duty: the request rings, and the app says an expert is asked.
    await console_
      .locator(`${css('queue-list')} ${css('queue-entry')}`)
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
    await console_.locator(css('availability-toggle')).click();
    await console_.locator(css('offer')).waitFor({ state: 'visible', timeout: 15_000 });
    await waitStage('asking');
    await screenshot(console_, 'app-console-offer');

    // The expert declines: the app no longer says an expert is being asked; it waits for a
    // free expert, first in line, one on duty.
    await console_.locator(css('offer-decline')).click();
    await waitStage('in_line');
    await app.waitText(tid('queue-position'), (text) => /\b1\b/.test(text), 10_000);
    assert.equal(await app.attribute(tid('experts-on-duty'), 'data-count'), '1');
    await app.screenshot('app-waiting-in-line');
    // A moment later the request rings for the same expert again: nobody is stranded.
    await console_.locator(css('offer')).waitFor({ state: 'visible', timeout: 15_000 });
    await waitStage('asking');
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

    // The app crashes mid-session. Started again, it comes back into the same session by
    // itself: the chat is there, the expert sees the employee back, and chat flows again.
    const requester = site.locator(`${css('participant')}[data-role="requester"]`);
    let since = Date.now();
    await crashApp();
    await waitFor('the expert to see the employee drop', async () => (await requester.getAttribute('data-online')) === 'false', { timeout: 15_000 });
    console.log(`the app crashed; the expert saw the employee drop after ${Date.now() - since} ms`);
    since = Date.now();
    app = await driver.newSession();
    await app.waitVisible(tid('session-view'), 30_000);
    await app.waitText(tid('chat-log'), (t) => t.includes('Hello from the app') && t.includes('Hello from the console'), 15_000);
    await waitFor('the expert to see the employee back', async () => (await requester.getAttribute('data-online')) === 'true', { timeout: 15_000 });
    await site.locator(css('chat-input')).fill('Welcome back');
    await site.locator(css('chat-send')).click();
    console.log(`started again: back in the session, chat restored, the expert sees the employee, after ${Date.now() - since} ms`);
    await app.waitText(tid('chat-log'), (t) => t.includes('Welcome back'), 10_000);
    await app.screenshot('app-back-in-session');

    // Ending from the app asks first; "Keep going" keeps the session.
    await app.click(tid('end-session'));
    await app.waitVisible(tid('confirm-end'));
    await app.click(tid('confirm-end-cancel'));
    await app.waitGone(tid('confirm-end'));
    assert.ok(await app.findVisible(tid('session-view')), 'still in the session');

    // The expert ends the session; the app asks how it went.
    await site.locator(css('end-session')).click();
    await site.locator(css('confirm-end-ok')).click();
    await app.waitVisible(tid('ended-summary'), 15_000);
    assert.equal(await app.attribute(tid('ended-mark'), 'data-kind'), 'done');
    // The choices are labels around their radio buttons (the stars draw the rating).
    await app.click(`label:has(> ${tid('feedback-solved-yes')})`);
    await app.click(`label:has(> ${tid('feedback-rating')}[value="4"])`);
    await app.type(tid('feedback-comment'), 'Quick and clear');
    await app.screenshot('app-ended-feedback');
    await app.click(tid('feedback-send'));
    await app.waitVisible(tid('feedback-thanks'), 10_000);
    const report = await host.report();
    assert.equal(report.all.rating_mean, 4, 'the rating reached the host');
    assert.equal(report.all.solved_share, 1);
    await app.screenshot('app-ended');

    // A new request, cancelled: asked first, then ended without a success mark. (The expert's
    // page went from the console to the session; back on the console, they are away.)
    await app.click(tid('new-share'));
    await console_.goto(`${host.url}/console`);
    await console_.locator(css('availability-toggle')).waitFor({ state: 'visible', timeout: 10_000 });
    await app.click(tid('share-button'));
    await waitStage('nobody');
    await app.click(tid('cancel-share'));
    await app.waitVisible(tid('confirm-cancel'));
    await app.screenshot('app-cancel-confirm');
    await app.click(tid('confirm-cancel-ok'));
    await app.waitVisible(tid('ended-summary'), 15_000);
    assert.equal(await app.attribute(tid('ended-mark'), 'data-kind'), 'withdrawn', 'a cancel is not shown as a success');
    await app.waitText(tid('ended-summary'), (t) => /Request cancelled/.test(t));

    // Call me back: the window goes to the tray; when the expert takes the request, it comes
    // forward by itself, in the session.
    await app.click(tid('new-share'));
    await app.click(tid('share-button'));
    await waitStage('nobody');
    await app.click(tid('call-back'));
    await waitStage('call_back');
    await app.screenshot('app-call-back');
    // No WebDriver command while the window is hidden: WebKit's driver waits for a rendering
    // update that a hidden window never makes.
    await waitFor('the window to go to the tray', async () => (await visibleAppWindows()).length === 0, { timeout: 10_000 });
    await console_.locator(css('availability-toggle')).click();
    await console_.locator(css('offer-accept')).click({ timeout: 20_000 });
    await waitFor('the window to come forward when the expert joins', async () => (await visibleAppWindows()).length > 0, { timeout: 15_000 });
    await app.waitVisible(tid('session-view'), 15_000);
    await waitFor('the expert page', () => /^\/s\//.test(new URL(console_.url()).pathname));
    await console_.locator(css('end-session')).click();
    await console_.locator(css('confirm-end-ok')).click();
    await app.waitVisible(tid('ended-summary'), 15_000);

    // And it can start over.
    await app.click(tid('new-share'));
    await app.waitVisible(tid('share-button'), 10_000);
  }).finally(() => context.close());
}

/** tauri-driver (and WebKitWebDriver), whose sessions start the app. */
function startDriver() {
  return TauriDriver.start({ name: 'app-tauri-driver', env: { INSTANT_SHARE_HOST_URL: host.url, RUST_LOG: 'info' } });
}

/**
 * Kills the app as a crash would (SIGKILL: nothing of it runs after), and the WebDriver behind
 * it: a session whose browser died is not ended cleanly, and the next would wait for it.
 */
async function crashApp() {
  const { stdout } = await run('pgrep', ['-x', 'instant-share']);
  const pids = stdout.split('\n').filter(Boolean).map(Number);
  assert.equal(pids.length, 1, `one app process runs (${pids})`);
  process.kill(pids[0], 'SIGKILL');
  await driver.stop();
  driver = await startDriver();
}

/** Waits until the app's waiting view shows `stage` (asking, in_line, nobody, call_back). */
async function waitStage(stage) {
  const seen = [];
  await waitFor(() => `the waiting view to say "${stage}" (seen: ${seen.join(' ')})`, async () => {
    const now = await app.attribute(tid('waiting'), 'data-stage');
    if (seen.at(-1) !== now) seen.push(`${now}@${new Date().toISOString().slice(11, 23)}`);
    return now === stage;
  }, {
    timeout: 15_000,
  });
}

/** A minisign signature in the updater's format (base64 of the `.sig` file) by a key that is
 * not the app's: well formed, so the app must check it to refuse it. */
function foreignSignature() {
  const line = (bytes) => Buffer.from(bytes).toString('base64');
  const sig = line(Buffer.concat([Buffer.from('ED'), randomBytes(8), randomBytes(64)]));
  const text = `untrusted comment: signature from another key\n${sig}\ntrusted comment: timestamp:1764900000\tfile:instant-share_9.9.9_amd64.AppImage\n${line(randomBytes(64))}\n`;
  return Buffer.from(text).toString('base64');
}

test('the host offers an update: shown with its notes, and an installer not signed by our key is refused', { timeout: 90_000 }, async () => {
  try {
    const installer = randomBytes(3_000_000);
    await writeFile(path.join(updatesDir, 'instant-share_9.9.9_amd64.AppImage'), installer);
    await writeFile(
      path.join(updatesDir, 'latest.json'),
      JSON.stringify({
        version: '9.9.9',
        notes: 'Screen sharing on Wayland.',
        pub_date: '2026-12-01T10:00:00Z',
        platforms: {
          'linux-x86_64': { url: 'https://releases.example.com/instant-share_9.9.9_amd64.AppImage', signature: foreignSignature() },
        },
      }),
    );
    await app.click(tid('update-check'));
    await app.waitVisible(tid('update-notice'), 20_000);
    const offer = await app.waitText(tid('update-notice'), (t) => t.includes('9.9.9'));
    assert.match(offer, /Screen sharing on Wayland/, 'the release notes are shown');
    assert.match(await app.waitText(tid('update-status'), (t) => /9\.9\.9 is available/.test(t)), /available/);
    await app.screenshot('app-update-available');
    // At the smallest window the app allows, to look at.
    const normal = await app.cmd('GET', '/window/rect');
    await app.cmd('POST', '/window/rect', { width: 640, height: 480 });
    await app.screenshot('app-update-available-min-size');
    await app.cmd('POST', '/window/rect', { width: normal.width, height: normal.height });

    await app.click(tid('update-install'));
    await waitFor('the refusal', async () => (await app.attribute(tid('update-notice'), 'data-stage')) === 'failed', { timeout: 30_000 });
    const refusal = await app.waitText(tid('update-notice'), () => true);
    assert.match(refusal, /9\.9\.9 was not installed/);
    assert.match(refusal, /signature/i, `the reason is the signature: ${refusal}`);
    await app.screenshot('app-update-refused');
    // The download came from the host, not from the address in the release's manifest.
    const hostLog = await readFile(path.join(outputDir, 'host-app.log'), 'utf8');
    assert.match(hostLog, /update file served.*instant-share_9\.9\.9_amd64\.AppImage/, 'the host served the installer');
    // The app goes on as before.
    await app.waitVisible(tid('share-button'), 5_000);
  } catch (error) {
    await app.screenshot('app-update-failure').catch(() => {});
    throw error;
  }
});

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
    await app.click(tid('confirm-cancel-ok'));
    await app.waitText(tid('ended-summary'), (t) => /cancelled/i.test(t), 15_000);
    await app.click(tid('new-share'));
    await app.waitVisible(tid('share-button'), 10_000);
  } catch (error) {
    await app.screenshot('app-quick-share-failure').catch(() => {});
    throw error;
  }
});
