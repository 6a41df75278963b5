// Sharing the screen from the app, as a user meets it: the real app window under Xvfb with a
// real window manager (openbox), another application's window beside it, and the expert in the
// Chromium console.
//
// 1. "Share my screen" asks first: a chooser with the entire screen and the other windows, each
//    with a picture; the app's own windows are not offered. Sharing one window sends that
//    window alone (the console decodes its colour at its size). While anything is shared an
//    always-on-top bar says what and with whom; the main window steps aside (minimised) while
//    the screen is shared and comes back when it stops. The bar's Stop ends everything.
// 2. While the entire screen is shared, the black-out step pauses it: the console's decoded
//    frames are the pause card for as long as the unredacted picture is on the screen, and the
//    screen again after the dialog closes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { tid as css, availableExpert, screenshot, screenshotsOnFailure } from './lib/browser.mjs';
import { browserSuite } from './lib/suite.mjs';
import { TauriDriver, tid } from './lib/app.mjs';
import { media } from './lib/media.mjs';
import { waitFor } from './lib/wait.mjs';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { outputDir } from './lib/paths.mjs';

const run = promisify(execFile);
const ACTION = { timeout: 15_000 };
const expert = { username: 'gia', displayName: 'Gia Expert', password: 'a window and a long password' };
/** The other application: a window of one colour, blue. */
const OTHER = { title: 'Notes (test window)', x: 700, y: 420, width: 360, height: 240, rgb: [0x1e, 0x5a, 0xdc] };

before(() => assert.ok(process.env.DISPLAY, 'the app needs a display: run through scripts/e2e.sh (Xvfb)'));
const suite = browserSuite({ name: 'host-app-sharing', experts: [expert] });

/** Child processes this suite started (the window manager, the other window), stopped after. */
const children = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});

/** Starts openbox on the suite's display: real minimising, stacking and focus. */
async function startWindowManager() {
  const wm = spawn('openbox', ['--sm-disable'], { stdio: 'ignore' });
  children.push(wm);
  await waitFor('openbox to manage the screen', async () => {
    const { stdout } = await run('xprop', ['-root', '_NET_SUPPORTING_WM_CHECK']).catch(() => ({ stdout: '' }));
    return /window id/.test(stdout);
  }, { timeout: 10_000 });
}

/** Opens the other application's window; resolves its X id. */
async function openOtherWindow() {
  const { title, x, y, width, height, rgb } = OTHER;
  const hex = rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
  const child = spawn('python3', [path.join(import.meta.dirname, 'lib', 'x11_window.py'), title, x, y, width, height, hex], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const [line] = await Promise.race([once(child.stdout, 'data'), once(child, 'exit').then(() => { throw new Error('the test window did not open'); })]);
  return Number(String(line).trim());
}

/** X ids of the visible windows whose title matches `pattern`. */
async function visible(pattern) {
  try {
    const { stdout } = await run('xdotool', ['search', '--onlyvisible', '--name', pattern]);
    return stdout.split('\n').filter(Boolean);
  } catch (error) {
    if (error.code === 1) return [];
    throw error;
  }
}

/** The ICCCM state of window `id`: 'normal', 'iconic' (minimised) or 'withdrawn'. */
async function wmState(id) {
  const { stdout } = await run('xprop', ['-id', String(id), 'WM_STATE']).catch(() => ({ stdout: '' }));
  const state = /window state: (\w+)/.exec(stdout)?.[1]?.toLowerCase();
  return state ?? 'withdrawn';
}

/** The whole X screen (what the user sees), as the app takes it, in tests/output/NAME.png. */
async function screenPng(app, name) {
  await writeFile(path.join(outputDir, `${name}.png`), await app.nativeScreen());
}

/**
 * What the console's picture of the shared screen shows now: its size, and how much of it is
 * the pause card's dark background, its light sign, and the other window's blue.
 */
async function remoteScreen(site) {
  return site.evaluate(() => {
    const video = document.querySelector('[data-testid="remote-screen"] video');
    if (!video || video.videoWidth === 0) return null;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(video, 0, 0);
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let dark = 0;
    let light = 0;
    let blue = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      const grey = Math.abs(r - g) < 12 && Math.abs(g - b) < 12;
      if (grey && r < 50) dark += 1;
      else if (grey && r > 190) light += 1;
      if (b > 170 && r < 80 && g < 130) blue += 1;
    }
    return { width: canvas.width, height: canvas.height, dark: dark / n, light: light / n, blue: blue / n };
  });
}

/** The card: nearly all dark, a little light sign, nothing else. */
const isCard = (s) => s !== null && s.dark > 0.8 && s.light > 0.01 && s.dark + s.light > 0.97;

test('sharing asks what to share, shows a bar, steps aside, and a black-out never reaches the expert', { timeout: 300_000 }, async () => {
  const driver = await TauriDriver.start({
    name: 'tauri-driver-sharing',
    env: { INSTANT_SHARE_HOST_URL: suite.host.url, RUST_LOG: 'info,instant_share_app=debug', INSTANT_SHARE_MEDIA: 'synthetic' },
  });
  // Page load strategy "none": commands do not wait for a page's load to end (see onBar).
  const app = await driver.newSession({ pageLoadStrategy: 'none' });
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 820 } });
  try {
    await screenshotsOnFailure(context, 'app-sharing-console', async () => {
      // Enrol, a window manager and another application on the screen, the expert joins.
      await app.waitVisible(tid('enrol-host'), 30_000);
      await app.type(tid('enrol-host'), suite.host.url);
      await app.type(tid('enrol-code'), await suite.host.enrolmentCode('Robin Employee'));
      await app.click(tid('enrol-submit'));
      await app.waitVisible(tid('share-button'), 15_000);
      await startWindowManager();
      const other = await openOtherWindow();
      const consolePage = await availableExpert(context, suite.host.url, expert, suite.pageErrors);
      await app.click(tid('share-button'));
      await consolePage.locator(css('offer-accept')).click({ timeout: 20_000 });
      const site = await waitFor('the expert session page', () => context.pages().find((p) => /^\/s\//.test(new URL(p.url()).pathname)));
      await app.waitVisible(tid('call-view'), 20_000);
      const [main] = await visible('^Instant Share$');
      assert.ok(main, 'the main window is on the screen');

      // Share my screen asks first: the entire screen and the other window, not the app's own.
      await app.click(tid('media-screen'));
      await app.waitVisible(tid('share-chooser'), 15_000);
      await app.waitVisible(tid('share-choice-window'), 10_000);
      const offered = await app.execute(`return [...document.querySelectorAll('[data-testid="share-choice-window"]')].map((b) => b.dataset.title)`);
      assert.ok(offered.includes(OTHER.title), `the other window is offered (${offered})`);
      assert.ok(!offered.some((t) => /^Instant Share/.test(t)), `the app's own windows are not (${offered})`);
      await waitFor('the pictures of the choices', async () => (await app.execute(`return document.querySelectorAll('[data-testid="share-chooser"] img').length`)) >= 2);
      await app.screenshot('app-sharing-chooser');
      // The same at the window's smallest size, to look at.
      const normal = await app.cmd('GET', '/window/rect');
      await app.cmd('POST', '/window/rect', { width: 640, height: 480 });
      await app.screenshot('app-sharing-chooser-min-size');
      await app.cmd('POST', '/window/rect', { width: normal.width, height: normal.height });
      assert.equal(await app.attribute(`${tid('share-choice-screen')}`, 'aria-checked'), 'true', 'the entire screen is the first choice');
      await app.click(`${tid('share-choice-window')}[data-window="${other}"]`);
      await app.clickInPage(tid('share-confirm')); // the window steps aside at once: see clickInPage

      // The console gets that window alone: its size, its blue.
      const appId = await waitFor('the requester id', async () => {
        const state = await media(site, 'callState');
        return Object.keys(state).find((id) => state[id].role === 'requester') ?? null;
      });
      await site.locator(css('remote-screen')).waitFor({ state: 'visible', timeout: 20_000 });
      const windowShot = await waitFor('the shared window in the console', async () => {
        const s = await remoteScreen(site);
        return s && s.blue > 0.9 ? s : null;
      }, { timeout: 20_000 });
      assert.deepEqual([windowShot.width, windowShot.height], [OTHER.width, OTHER.height], 'the window at its size');
      console.log(`the console shows the shared window: ${JSON.stringify(windowShot)}`);

      // The bar is on the screen, above the rest; the main window stepped aside.
      await waitFor('the sharing bar', async () => (await visible('^Instant Share • sharing$')).length === 1, { timeout: 10_000 });
      await waitFor('the main window to step aside', async () => (await wmState(main)) === 'iconic', { timeout: 10_000 });
      const [bar] = await visible('^Instant Share • sharing$');
      const { stdout: geometry } = await run('xdotool', ['getwindowgeometry', bar]);
      console.log(`the bar: ${geometry.replace(/\s+/g, ' ')}`);

      // The bar's Stop ends the share; the bar goes, the main window comes back.
      await onBar(app, async () => {
        const text = await app.waitText(tid('sharing-bar-text'), (t) => /Gia Expert/.test(t) && /Notes/.test(t));
        console.log(`the bar says: ${text}`);
        await screenPng(app, 'app-sharing-bar-window');
        await app.clickInPage(tid('sharing-bar-stop'));
      });
      await waitFor('the expert to see the share stop', async () => (await site.locator(`${css('participant')}[data-role="requester"]`).getAttribute('data-screen')) === 'false', { timeout: 10_000 });
      await waitFor('the bar to go', async () => (await visible('^Instant Share • sharing$')).length === 0, { timeout: 10_000 });
      await waitFor('the main window to come back', async () => (await wmState(main)) === 'normal', { timeout: 10_000 });

      // The entire screen, then a screenshot to black out: the console sees the pause card
      // while the dialog is open, the screen again once it closes.
      await app.click(tid('media-screen'));
      await app.clickInPage(tid('share-confirm')); // the window steps aside at once: see clickInPage
      await waitFor('the main window to step aside again', async () => (await wmState(main)) === 'iconic', { timeout: 10_000 });
      await waitFor('the console to show the screen', async () => {
        const s = await remoteScreen(site);
        return s && !isCard(s) && s.blue > 0.01 ? s : null;
      }, { timeout: 20_000 });
      // Back to the app while sharing (the bar's Open): the share goes on.
      await onBar(app, () => app.clickInPage(tid('sharing-bar-open')));
      await waitFor('the main window to come forward', async () => (await wmState(main)) === 'normal', { timeout: 10_000 });
      await app.click(tid('picture-screenshot'));
      await app.click(tid('screenshot-whole'));
      await app.waitVisible(tid('redact-canvas'), 15_000);
      const during = [];
      for (let i = 0; i < 8; i++) {
        during.push(await remoteScreen(site));
        await new Promise((done) => setTimeout(done, 250));
      }
      await screenshot(site, 'app-sharing-console-paused');
      await screenPng(app, 'app-sharing-screen-paused');
      console.log(`during the black-out step the console showed: ${JSON.stringify(during.map((s) => s && { dark: s.dark.toFixed(3), light: s.light.toFixed(3) }))}`);
      assert.ok(during.every(isCard), 'every frame the expert decoded during the dialog is the pause card');
      assert.equal(await site.locator(css('remote-screen-paused')).isVisible(), true, 'the expert is told why');
      await app.click(tid('redact-cancel'));
      await waitFor('the screen again after the dialog', async () => {
        const s = await remoteScreen(site);
        return s && !isCard(s) ? s : null;
      }, { timeout: 15_000 });
      await app.click(tid('media-screen'));
      await waitFor('the bar to go at the end', async () => (await visible('^Instant Share • sharing$')).length === 0, { timeout: 10_000 });
      void appId;
    });
  } catch (error) {
    await app.screenshot('app-sharing-failure').catch(() => {});
    await screenPng(app, 'app-sharing-failure-screen').catch(() => {});
    throw error;
  } finally {
    await context.close();
    await app.forgetEnrolment();
    await app.close().catch(() => {});
    await driver.stop();
  }
});

/**
 * Runs `body` with the WebDriver session on the sharing bar's window, then back on the main.
 *
 * The session uses page load strategy "none" (see the test): the bar's window is made when the
 * first share starts, and on a loaded machine its page can take many seconds to load; with the
 * default strategy every command to it waits for that load and, when it does not end, hangs the
 * session. So the bar is looked for, window by window, until its page shows it.
 */
async function onBar(app, body) {
  const main = await app.cmd('GET', '/window');
  const handles = await app.cmd('GET', '/window/handles');
  // The current window last: it is usually the main one, minimised while sharing.
  const ordered = [...handles.filter((h) => h !== main), ...handles.filter((h) => h === main)];
  await waitFor(`the sharing bar in one of the app's ${handles.length} windows`, async () => {
    for (const handle of ordered) {
      await app.cmd('POST', '/window', { handle }, 10_000);
      const found = await app.cmd('POST', '/elements', { using: 'css selector', value: tid('sharing-bar') }, 10_000);
      if (found.length > 0) return handle;
    }
    return null;
  }, { timeout: 30_000, interval: 250 });
  try {
    await body();
  } finally {
    await app.cmd('POST', '/window', { handle: main });
  }
}
