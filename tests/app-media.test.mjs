// Calls in the desktop app: the real app window under Xvfb (tauri-driver + WebKitWebDriver) in a
// session with the expert in the console (Chromium, its fake camera and microphone from
// --use-fake-device-for-media-stream, started on joining).
//
// 1. INSTANT_SHARE_MEDIA=synthetic: the expert's camera is drawn in the app (the video region
//    of a screenshot changes from the placeholder to a picture); nothing of the user's is sent
//    before they press a button; "Turn on camera" sends the stamped test pattern (the console
//    reads rising stamps) with a mirrored self-view and a live indicator (also in the window
//    title); "Turn on microphone" sends the tone (the console hears 440 Hz), M mutes; "Share my
//    screen" sends Xvfb's screen. Closing the window (it hides) turns the camera off.
// 2. No INSTANT_SHARE_MEDIA on a machine without camera: "Turn on camera" says "No camera was
//    found…" and the session goes on (the expert's video, chat both ways).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { tid as css, availableExpert, screenshot, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { browserSuite } from './lib/suite.mjs';
import { TauriDriver, tid, visibleAppWindows, appWindowTitles, closeWindow } from './lib/app.mjs';
import { media } from './lib/media.mjs';
import { decodePng, encodePng, regionStats, changedShare } from './lib/png.mjs';
import { waitFor } from './lib/wait.mjs';
import { readZip } from './lib/zip.mjs';
import { appBoardPixels, assertAppToolsClear, boardPixels, drawRedArrow } from './lib/board.mjs';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

// One expert per test, so that a session a failed test left open cannot catch the next one.
const experts = {
  synthetic: { username: 'cleo', displayName: 'Cleo Expert', password: 'a camera and a long password' },
  nodevices: { username: 'dana', displayName: 'Dana Expert', password: 'another camera, another password' },
};
const TONE = 440;
/** The stage's background (RemoteVideo.svelte): what the video region shows without a picture. */
const STAGE_BACKGROUND = [15, 20, 32];
/** Playwright waits forever by default; these tests do not. */
const ACTION = { timeout: 15_000 };

before(() => assert.ok(process.env.DISPLAY, 'the app needs a display: run through scripts/e2e.sh (Xvfb)'));
const suite = browserSuite({ name: 'host-app-media', experts: Object.values(experts) });

/**
 * Starts the app; `media` is INSTANT_SHARE_MEDIA for it (empty: real devices), `renderer`
 * INSTANT_SHARE_RENDERER (empty: chosen by the GPU check, the 2D canvas under Xvfb).
 */
async function startApp(name, media, renderer = '') {
  const driver = await TauriDriver.start({
    name,
    env: {
      INSTANT_SHARE_HOST_URL: suite.host.url,
      RUST_LOG: 'info,instant_share_app=debug',
      INSTANT_SHARE_MEDIA: media,
      INSTANT_SHARE_RENDERER: renderer,
    },
  });
  const app = await driver.newSession();
  return { driver, app };
}

/** Enrols the app if it is not yet, and waits for the share button. */
async function enrol(app) {
  await waitFor('the enrol form or the share button', async () => (await app.findVisible(tid('enrol-host'))) || (await app.findVisible(tid('share-button'))), {
    timeout: 30_000,
  });
  if (await app.findVisible(tid('enrol-host'))) {
    const code = await suite.host.enrolmentCode('Robin Employee');
    await app.type(tid('enrol-host'), suite.host.url);
    await app.type(tid('enrol-code'), code);
    await app.click(tid('enrol-submit'));
  }
  await app.waitVisible(tid('share-button'), 15_000);
}

/** The expert signs in (fake devices), becomes available; the app shares; the expert accepts. */
async function intoSession(app, context, expert) {
  const consolePage = await availableExpert(context, suite.host.url, expert, suite.pageErrors);
  await consolePage.locator(css('media-autostart')).waitFor({ state: 'visible', timeout: 10_000 });
  await app.click(tid('share-button'));
  // Every text the app's video placeholder shows from now on (to catch what only flashes).
  await app.execute(`
    window.__placeholderTexts = [];
    const seen = () => {
      const text = document.querySelector('[data-testid="video-placeholder"]')?.textContent?.trim();
      if (text && window.__placeholderTexts.at(-1) !== text) window.__placeholderTexts.push(text);
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, characterData: true });`);
  await consolePage.locator(css('offer-accept')).click({ timeout: 20_000 });
  const site = await waitFor(
    () => `the expert's session page (pages: ${context.pages().map((p) => p.url()).join(', ')})`,
    () => context.pages().find((page) => /^\/s\/[^/]+$/.test(new URL(page.url()).pathname)),
  );
  await site.locator(css('call-view')).waitFor({ state: 'visible', timeout: 10_000 });
  await app.waitVisible(tid('session-view'), 15_000);
  await app.waitVisible(tid('call-view'), 10_000);
  return site;
}

/** The app's participant id, as the expert's page knows it. */
async function requesterId(site) {
  return waitFor('the expert page to know the requester', async () => {
    const state = await media(site, 'callState');
    return Object.keys(state).find((id) => state[id].role === 'requester') ?? null;
  });
}

/** A screenshot of the app window, decoded, and the rectangle of `selector` in it. */
async function shot(app, selector, name) {
  const element = await app.waitVisible(selector);
  const rect = await app.cmd('GET', `/element/${element}/rect`);
  const png = await app.screenshot(name);
  return { image: decodePng(png), rect };
}

const person = (page, role) => page.locator(`${css('participant')}[data-role="${role}"]`);

async function waitAttribute(locator, name, value, what, timeout = 10_000) {
  await waitFor(what, async () => (await locator.getAttribute(name)) === value, { timeout });
}

/** The share of pixels in `rect` that are far (> 40 in a channel) from the colour `rgb`. */
function farFrom(image, rect, rgb) {
  let far = 0;
  let n = 0;
  for (let y = Math.max(0, rect.y); y < Math.min(image.height, rect.y + rect.height); y++) {
    for (let x = Math.max(0, rect.x); x < Math.min(image.width, rect.x + rect.width); x++) {
      const i = (y * image.width + x) * 4;
      if (rgb.some((c, k) => Math.abs(image.rgba[i + k] - c) > 40)) far += 1;
      n += 1;
    }
  }
  return far / Math.max(1, n);
}

/** Ends the app's session if it is still in one (after a failure), so the host is left clean. */
async function leaveSession(app) {
  await app.invoke('end_session').catch(() => {});
}

/**
 * Runs `body(app, context)` with a fresh app (`name` for its driver's log, `media` and `renderer`
 * as for `startApp`) and a fresh browser context; on failure, screenshots of both and the
 * session left; afterwards the enrolment forgotten and the app closed.
 */
async function withApp({ name, media: mediaMode, renderer = '' }, body) {
  const { driver, app } = await startApp(`${name}-tauri-driver`, mediaMode, renderer);
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    await screenshotsOnFailure(context, `${name}-console`, () => body(app, context));
  } catch (error) {
    await app.screenshot(`${name}-failure`).catch(() => {});
    await leaveSession(app);
    throw error;
  } finally {
    await context.close();
    await app.forgetEnrolment();
    await app.close().catch((error) => console.log(`closing the app: ${error.message}`));
    await driver.stop();
  }
}

test('synthetic media: the expert is seen in the app, the app sends camera, microphone and screen only when asked', { timeout: 240_000 }, async () => {
  await withApp({ name: 'app-media', media: 'synthetic' }, async (app, context) => {
    await enrol(app);
    const site = await intoSession(app, context, experts.synthetic);
    const appId = await requesterId(site);

    // The stage as the session opens: if no picture has come yet (checked before and after
    // the screenshot), this is the placeholder — the blank reference.
    const joinedAt = Date.now();
    const framesBefore = await app.attribute(tid('remote-camera'), 'data-has-frame');
    const first = await shot(app, tid('video-stage'), 'app-media-joined');
    const blank = framesBefore !== 'true' && (await app.attribute(tid('remote-camera'), 'data-has-frame')) !== 'true' ? first : null;

    // The expert's fake camera is drawn without the user doing anything.
    await waitFor('the expert camera to be drawn in the app', async () => (await app.attribute(tid('remote-camera'), 'data-has-frame')) === 'true', {
      timeout: 20_000,
    });
    console.log(`the expert's camera showed in the app within ${Date.now() - joinedAt} ms of the session view`);
    // While the expert's console turned its camera on, the app never said it was off.
    const said = await app.execute('return window.__placeholderTexts');
    console.log(`the placeholder said: ${JSON.stringify(said)}`);
    assert.ok(!said.some((t) => /has not turned on a camera|Camera off/.test(t)), 'no "camera off" before the expert\'s video came');
    assert.ok(!said.some((t) => /reconnecting/.test(t)), 'no "reconnecting" for an expert who is only joining');
    await delay(500);
    const video = await shot(app, tid('video-stage'), 'app-media-expert-video');
    const probe = await app.execute('return window.__instantShareAppVideo');
    console.log(`app video: ${JSON.stringify(probe)}`);
    assert.ok(Object.values(probe.drawn).some((n) => n > 5), 'the app drew frames');

    // The video region is a picture: most of it is far from the empty stage's colour, it is
    // not flat, and (when the session view was caught before the first frame) most pixels
    // differ from the placeholder.
    const rect = video.rect;
    const statsVideo = regionStats(video.image, rect);
    const far = farFrom(video.image, rect, STAGE_BACKGROUND);
    console.log(`video region ${JSON.stringify(rect)}: ${JSON.stringify(statsVideo)}, ${(far * 100).toFixed(1)}% away from the empty stage`);
    assert.ok(far > 0.5, `the picture covers the stage (${(far * 100).toFixed(1)}% of the pixels are not its background)`);
    assert.ok(statsVideo.sd.some((sd) => sd > 15), `the picture is not flat (sd ${statsVideo.sd.map((v) => v.toFixed(1))})`);
    if (blank) {
      const statsBlank = regionStats(blank.image, rect);
      const blankFar = farFrom(blank.image, rect, STAGE_BACKGROUND);
      const changed = changedShare(blank.image, video.image, rect);
      console.log(`placeholder before the first frame: ${JSON.stringify(statsBlank)}, ${(blankFar * 100).toFixed(1)}% away from the empty stage; ${(changed * 100).toFixed(1)}% of pixels changed`);
      assert.ok(blankFar < 0.1, 'the placeholder is mostly the empty stage');
      assert.ok(changed > 0.3, `the picture differs from the placeholder in ${(changed * 100).toFixed(1)}% of the pixels`);
    } else {
      console.log('the first frame came before the first screenshot: compared with the empty stage only');
    }

    // Nothing of the user's goes out before they ask: camera, microphone and screen are off.
    await waitAttribute(person(site, 'requester'), 'data-camera', 'false', 'the requester camera shown off');
    assert.equal(await person(site, 'requester').getAttribute('data-microphone'), 'false');
    assert.equal(await person(site, 'requester').getAttribute('data-screen'), 'false');
    assert.equal(await app.findVisible(tid('media-live')), undefined, 'no live indicator yet');
    assert.equal(await app.attribute(tid('self-view'), 'data-status'), 'off');
    const silence = await media(site, 'audioEnergy', appId, TONE);

    // Turn on camera: the console reads rising stamps of the test pattern; the self-view and
    // the live indicator show; the window title says so.
    await app.click(tid('media-camera'));
    await waitAttribute(person(site, 'requester'), 'data-camera', 'true', 'the expert to see the requester camera on');
    await waitFor('the expert to show the app camera', async () => (await media(site, 'received', appId, 'camera')).length > 0, { timeout: 20_000 });
    const firstStamp = (await media(site, 'received', appId, 'camera')).at(-1).stamp;
    await delay(2000);
    const stamps = (await media(site, 'received', appId, 'camera')).map((r) => r.stamp);
    const recent = stamps.filter((v) => v > firstStamp);
    console.log(`the console read ${recent.length} new stamps of the app camera in 2 s (${firstStamp} → ${stamps.at(-1)})`);
    assert.ok(recent.length >= 20, `the console shows the app camera moving: ${recent.length} new frames in 2 s`);
    await waitFor('the self-view to show', async () => (await app.attribute(tid('self-view'), 'data-has-frame')) === 'true');
    await app.waitText(tid('media-live'), (t) => /camera/.test(t));
    const titles = await appWindowTitles();
    assert.ok(titles.some((t) => /live: camera/.test(t)), `the window title says what is live: ${JSON.stringify(titles)}`);

    // Turn on microphone: the console hears the tone. M mutes and unmutes.
    await app.click(tid('media-mic'));
    await waitAttribute(person(site, 'requester'), 'data-microphone', 'true', 'the expert to see the requester microphone on');
    const heard = await waitFor(`the expert to hear ${TONE} Hz from the app`, async () => {
      const e = await media(site, 'audioEnergy', appId, TONE);
      return e > Math.max(0.01, silence * 10) ? e : null;
    }, { timeout: 15_000, interval: 100 });
    console.log(`audio from the app: silence ${silence.toFixed(5)}, heard ${heard.toFixed(4)}`);
    // The expert may hear the tone a moment before the app has shown the microphone on; M
    // mutes what the window shows as on.
    await app.waitText(tid('media-live'), (t) => /microphone/.test(t));
    await app.press('m');
    await waitAttribute(person(site, 'requester'), 'data-microphone', 'false', 'the expert to see the requester muted');
    assert.equal(await app.attribute(tid('media-mute'), 'aria-pressed'), 'true');
    await app.waitText(tid('media-live'), (t) => /muted/.test(t));
    await app.screenshot('app-media-camera-muted');
    await app.press('m');
    await waitAttribute(person(site, 'requester'), 'data-microphone', 'true', 'the expert to see the requester unmuted');

    // Share my screen: asked first (the entire screen is the first choice); then the console
    // gets a second video, Xvfb's screen.
    await app.click(tid('media-screen'));
    await app.waitVisible(tid('share-chooser'), 15_000);
    await app.click(tid('share-confirm'));
    await waitAttribute(person(site, 'requester'), 'data-screen', 'true', 'the expert to see the requester sharing');
    await site.locator(css('remote-screen')).waitFor({ state: 'visible', timeout: 15_000 });
    await waitFor('the expert to show the shared screen', async () => (await media(site, 'firstFrame', appId, 'screen')) !== null, { timeout: 20_000 });
    const screenFrames = async () => {
      const s = (await media(site, 'stats'))[appId];
      return s?.inbound?.screen?.framesDecoded ?? 0;
    };
    const decoded = await screenFrames();
    await delay(2000);
    const decodedLater = await screenFrames();
    console.log(`the console decoded ${decodedLater - decoded} frames of the app's screen in 2 s`);
    assert.ok(decodedLater > decoded, 'frames of the shared screen keep coming');
    await app.waitText(tid('media-live'), (t) => /screen/.test(t));
    await app.screenshot('app-media-sharing');
    await screenshot(site, 'app-media-console-sees-app');
    const stats = await app.invoke('media_stats').catch((error) => ({ error: error.message }));
    console.log(`app media stats: ${JSON.stringify(stats)}`);

    // V turns the camera off; the stop buttons end the rest.
    await app.press('v');
    await waitAttribute(person(site, 'requester'), 'data-camera', 'false', 'the expert to see the camera off');
    await app.click(tid('media-screen'));
    await app.click(tid('media-mic'));
    await waitAttribute(person(site, 'requester'), 'data-screen', 'false', 'the expert to see the sharing stop');
    await waitAttribute(person(site, 'requester'), 'data-microphone', 'false', 'the expert to see the microphone off');
    await app.waitGone(tid('media-live'));
    assert.ok((await appWindowTitles()).includes('Instant Share'), 'the title is plain again');

    // Closing the window hides it and the session goes on, but nothing on screen would show
    // a camera that is on: it goes off, and the window says so for when it comes back.
    await app.press('v');
    await waitAttribute(person(site, 'requester'), 'data-camera', 'true', 'the expert to see the camera on again');
    const windows = await visibleAppWindows();
    assert.ok(windows.length > 0, 'the app window is on screen');
    for (const id of windows) await closeWindow(id);
    await waitFor('the window to hide on close', async () => (await visibleAppWindows()).length === 0, { timeout: 5_000 });
    await waitAttribute(person(site, 'requester'), 'data-camera', 'false', 'the expert to see the camera go off with the window');
    const note = `${tid('media-error')}[data-code="sources_off"]`;
    await waitFor('the note that the sources went off', async () => (await app.attribute(note, 'data-code')) === 'sources_off');
    assert.equal(await app.attribute(tid('media-camera'), 'aria-pressed'), 'false');

    // The expert ends the session; the (hidden) window has its summary.
    await site.locator(css('end-session')).click(ACTION);
    // Ending is asked for again, with the safe choice focused.
    await site.locator(css('confirm-end-ok')).click(ACTION);
    await waitFor('the ended summary', async () => (await app.findAll(tid('ended-summary'))).length > 0, { timeout: 15_000 });
  });
});

test('no camera on this machine: a clear message, and the session goes on (pictures drawn by WebGL)', { timeout: 180_000 }, async () => {
  await withApp({ name: 'app-media-nodevices', media: '', renderer: 'webgl' }, async (app, context) => {
    await enrol(app);
    const site = await intoSession(app, context, experts.nodevices);

    await app.click(tid('media-camera'));
    const message = await app.waitText(`${tid('media-error')}[data-track="camera"]`, (t) => /No camera was found/.test(t), 15_000);
    console.log(`the app says: ${message}`);
    assert.equal(await app.attribute(`${tid('media-error')}[data-track="camera"]`, 'data-code'), 'no_camera');
    assert.equal(await app.attribute(tid('media-camera'), 'aria-pressed'), 'false', 'the camera is off again');
    assert.equal(await person(site, 'requester').getAttribute('data-camera'), 'false', 'the expert sees no camera');
    await app.screenshot('app-media-no-camera');

    // The session goes on: the expert's picture, chat both ways.
    await waitFor('the expert camera to be drawn in the app', async () => (await app.attribute(tid('remote-camera'), 'data-has-frame')) === 'true', {
      timeout: 20_000,
    });
    // This app was told to draw with WebGL (the fast path on computers with a GPU): the
    // shader's picture covers the stage as the 2D canvas's does in the first test.
    await delay(500);
    const video = await shot(app, tid('video-stage'), 'app-media-webgl');
    const probe = await app.execute('return window.__instantShareAppVideo');
    console.log(`app video (webgl): ${JSON.stringify(probe)}`);
    const drawnBy = Object.entries(probe.renderers).filter(([stream]) => Number(stream) < 255 * 256).map(([, path]) => path);
    assert.deepEqual([...new Set(drawnBy)], ['webgl'], 'the expert camera is drawn by WebGL');
    const far = farFrom(video.image, video.rect, STAGE_BACKGROUND);
    assert.ok(far > 0.5, `the WebGL picture covers the stage (${(far * 100).toFixed(1)}% of the pixels are not its background)`);
    assert.ok(regionStats(video.image, video.rect).sd.some((sd) => sd > 15), 'the WebGL picture is not flat');

    await app.type(tid('chat-input'), 'No camera here, but I can type');
    await app.click(tid('chat-send'));
    await site.locator(css('chat-message'), { hasText: 'No camera here, but I can type' }).waitFor({ state: 'visible', timeout: 10_000 });
    await site.locator(css('chat-input')).fill('No problem, I can see your messages', ACTION);
    await site.locator(css('chat-send')).click(ACTION);
    await app.waitText(tid('chat-log'), (t) => t.includes('No problem, I can see your messages'), 10_000);
    await app.screenshot('app-media-no-camera-chat');

    await site.locator(css('end-session')).click(ACTION);
    // Ending is asked for again, with the safe choice focused.
    await site.locator(css('confirm-end-ok')).click(ACTION);
    await app.waitVisible(tid('ended-summary'), 15_000);
  });
});

/** Another program's window on the screen, of one colour; `close()` closes it. */
async function openTestWindow(title, [x, y, width, height], hex) {
  const child = spawn('python3', [path.join(import.meta.dirname, 'lib', 'x11_window.py'), title, x, y, width, height, hex], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = await once(child.stdout, 'data');
  return { id: Number(String(line).trim()), close: () => child.stdin.end() };
}

/** A screenshot the app takes natively, as the test sees it (not shared). */
async function nativeScreenshot(app) {
  return decodePng(await app.nativeScreen());
}

/** Share of the pixels of `rect` (fractions of the picture) that are exactly black. */
function blackShare(image, [x0, y0, x1, y1]) {
  let black = 0;
  let n = 0;
  for (let y = Math.floor(y0 * image.height); y < Math.floor(y1 * image.height); y++) {
    for (let x = Math.floor(x0 * image.width); x < Math.floor(x1 * image.width); x++) {
      const i = (y * image.width + x) * 4;
      if (image.rgba[i] === 0 && image.rgba[i + 1] === 0 && image.rgba[i + 2] === 0) black++;
      n++;
    }
  }
  return black / Math.max(1, n);
}

test('the board: the app shares a blacked-out screenshot, the expert draws on it, the app and a guest see the arrow', { timeout: 240_000 }, async () => {
  const expert = { username: 'erin', displayName: 'Erin Expert', password: 'a board and a long password' };
  await suite.host.addExpert(expert);
  await withApp({ name: 'app-board', media: 'synthetic' }, async (app, context) => {
    await enrol(app);
    const site = await intoSession(app, context, expert);
    const sessionId = new URL(site.url()).pathname.split('/').pop();
    const expertToken = await site.evaluate((id) => sessionStorage.getItem(`instant-share.token.${id}`), sessionId);
    assert.ok(expertToken, 'the expert page keeps its token');

    // What the screen shows (the app window is on it): the part to black out is not black.
    const SECRET = [0.05, 0.05, 0.45, 0.3];
    const before = await nativeScreenshot(app);
    assert.ok(blackShare(before, SECRET) < 0.5, 'the part to black out has something on it');

    // A screenshot of one window: the app lists the other windows on the screen (here, another
    // program's; not its own); the picture is that window at its size. Cancelled in the
    // black-out step: nothing is sent.
    const other = await openTestWindow('Notes (test window)', [900, 500, 300, 200], '1e5adc');
    await app.click(tid('picture-screenshot'));
    await app.waitVisible(tid('screenshot-window'), 15_000);
    const titles = await app.execute(`return [...document.querySelectorAll('[data-testid="screenshot-window"]')].map((b) => b.dataset.title)`);
    assert.ok(!titles.some((t) => /^Instant Share/.test(t)), `the app's own windows are not offered (${titles})`);
    const title = await app.attribute(tid('screenshot-window'), 'data-title');
    const size = await app.attribute(tid('screenshot-window'), 'data-size');
    assert.equal(title, 'Notes (test window)', 'the other window is listed by its title');
    assert.equal(size, '300x200');
    await app.screenshot('app-board-chooser');
    await app.click(tid('screenshot-window'));
    await app.waitVisible(tid('redact-canvas'), 15_000);
    const [cw, ch] = [await app.attribute(tid('redact-canvas'), 'width'), await app.attribute(tid('redact-canvas'), 'height')];
    assert.equal(`${cw}x${ch}`, size, 'the screenshot is the window alone, at its size');
    console.log(`window screenshot of "${title}": ${size}`);
    await app.click(tid('redact-cancel'));
    other.close();

    // Screenshot of the whole screen → the black-out dialog (nothing sent yet) → drag over the
    // secret part → share.
    await app.click(tid('picture-screenshot'));
    await app.click(tid('screenshot-whole'));
    await app.waitVisible(tid('redact-canvas'), 15_000);
    assert.equal(await app.attribute(tid('picture-thumb'), 'data-image'), null, 'nothing is on the board before the user shares');
    await app.drag(tid('redact-canvas'), [SECRET[0] - 0.02, SECRET[1] - 0.02], [SECRET[2] + 0.02, SECRET[3] + 0.02]);
    await waitFor('one part blacked out in the app', async () => (await app.attribute(tid('redact-canvas'), 'data-boxes')) === '1', { timeout: 5_000 });
    await app.screenshot('app-board-redact');
    await app.click(tid('redact-share'));
    await app.waitVisible(tid('picture-stage'), 20_000);
    const imageId = await app.attribute(tid('picture-stage'), 'data-image');

    // What the host kept: the secret part black, the rest as on the screen.
    const fetched = await fetch(`${suite.host.url}/api/v1/sessions/${sessionId}/images/${imageId}`, { headers: { authorization: `Bearer ${expertToken}` } });
    assert.equal(fetched.status, 200);
    const kept = decodePng(Buffer.from(await fetched.arrayBuffer()));
    assert.deepEqual([kept.width, kept.height], [before.width, before.height], 'the whole screen, full size');
    assert.equal(blackShare(kept, SECRET), 1, 'every pixel of the blacked-out part is black in the stored file');
    assert.ok(blackShare(kept, [0.55, 0.5, 0.95, 0.9]) < 0.9, 'the rest of the screen is in the stored file');

    // The expert picks it and draws a red arrow on it; the app's board canvas shows the arrow.
    await site.locator(`${css('picture-thumb')}[data-image="${imageId}"]`).click(ACTION);
    const expertBoard = site.locator(`${css('picture-stage')} ${css('board')}`);
    await expertBoard.waitFor({ state: 'visible', timeout: 10_000 });
    await drawRedArrow(site, expertBoard, [[0.75, 0.8], [0.55, 0.55], [0.35, 0.4]]);
    const stage = '[data-testid="picture-stage"]';
    await waitFor('the arrow in the app', async () => (await app.attribute(`${tid('picture-stage')} ${tid('board')}`, 'data-annotations')) === '1', { timeout: 10_000 });
    const red = await waitFor('the arrow drawn on the app canvas', async () => {
      const n = await appBoardPixels(app, stage, [0xe1, 0x1d, 0x48]);
      return n > 100 ? n : null;
    }, { timeout: 10_000 });
    console.log(`the expert's arrow covers ${red} pixels of the app's board canvas`);
    await app.screenshot('app-board-arrow');
    // At the window's smallest size the tools still sit above the picture, never over it.
    const normal = await app.cmd('GET', '/window/rect');
    await app.cmd('POST', '/window/rect', { width: 640, height: 480 });
    await waitFor('the window at its smallest size', async () => (await app.cmd('GET', '/window/rect')).width <= 660);
    await assertAppToolsClear(app, stage, 'the app\'s tools on the picture at 640x480');
    await app.screenshot('app-board-min-size');
    await app.cmd('POST', '/window/rect', { width: normal.width, height: normal.height });

    // The user invites a guest from the app ("Invite someone…"); the guest sees the picture
    // (following the expert) with the arrow.
    await app.click(tid('invite-open'));
    await app.type(tid('invite-name'), 'Gus Guest');
    await app.click(tid('invite-create'));
    await app.waitVisible(tid('invite-link'), 10_000);
    const link = await app.value(tid('invite-link'));
    assert.match(link, new RegExp(`/s/${sessionId}#token=`));
    const guest = await context.newPage();
    recordPageErrors(guest, 'guest', suite.pageErrors);
    await guest.goto(link);
    const guestBoard = guest.locator(`${css('picture-stage')} ${css('board')}`);
    await guestBoard.waitFor({ state: 'visible', timeout: 20_000 });
    await waitFor('the arrow on the guest board', async () => (await guestBoard.getAttribute('data-annotations')) === '1', { timeout: 10_000 });
    const guestRed = await boardPixels(guestBoard, [0xe1, 0x1d, 0x48]);
    assert.ok(guestRed > 100, `the guest sees the arrow (${guestRed} red pixels)`);
    await screenshot(guest, 'app-board-guest');
    await screenshot(site, 'app-board-expert');
    // The guest turns on a camera: the app shows it in a small tile beside the expert.
    await guest.locator(css('media-start')).click(ACTION);
    await app.waitVisible(tid('other-camera'), 30_000);
    await app.screenshot('app-board-guest-camera');
    // The user removes the guest from the app; the guest's page says so, and the tile goes.
    await app.click(tid('participant-remove'));
    await guest.locator(css('removed')).waitFor({ timeout: 10_000 });
    await app.waitGone(tid('other-camera'), 10_000);

    // A picture file dropped on the call opens the black-out step with it (the window takes
    // drops itself: dragDropEnabled is off). The drop is dispatched in the page, as the system
    // would deliver it; cancelled, nothing is sent.
    const dropped = encodePng(320, 200, new Uint8Array(320 * 200 * 4).fill(200));
    await app.execute(
      `const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
       const data = new DataTransfer();
       data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
       const call = document.querySelector('[data-testid="call-view"]');
       for (const type of ['dragenter', 'dragover', 'drop']) {
         call.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
       }`,
      [Buffer.from(dropped).toString('base64')],
    );
    await app.waitVisible(tid('redact-canvas'), 10_000);
    await waitFor('the dropped picture in the black-out step', async () => (await app.attribute(tid('redact-canvas'), 'width')) === '320', { timeout: 10_000 });
    await app.waitText(tid('redactor'), (t) => t.includes('dropped.png'), 5_000);
    await app.click(tid('redact-cancel'));

    // A still of the app's camera (the synthetic pattern): full size, through the black-out
    // step, stored by the host at that size.
    await app.click(tid('media-camera'));
    await app.click(tid('picture-snapshot'), 20_000);
    await app.waitVisible(tid('redact-canvas'), 15_000);
    const stillSize = `${await app.attribute(tid('redact-canvas'), 'width')}x${await app.attribute(tid('redact-canvas'), 'height')}`;
    // The synthetic camera's pattern is 640x480 (src-tauri/src/media/sources.rs PATTERN).
    assert.equal(stillSize, '640x480', 'the camera still is the camera picture at full size');
    await app.click(tid('redact-share'));
    const stillId = await waitFor('the still on the app stage', async () => {
      const id = await app.attribute(tid('picture-stage'), 'data-image');
      return id && id !== imageId ? id : null;
    }, { timeout: 20_000 });
    const stillFile = await fetch(`${suite.host.url}/api/v1/sessions/${sessionId}/images/${stillId}`, { headers: { authorization: `Bearer ${expertToken}` } });
    assert.equal(stillFile.status, 200);
    const stillPng = decodePng(Buffer.from(await stillFile.arrayBuffer()));
    assert.deepEqual([stillPng.width, stillPng.height], [640, 480]);
    assert.ok(blackShare(stillPng, [0, 0, 1, 1]) < 0.5, 'the still has the picture in it');

    // The app shares its screen; the expert goes back to it and draws on it. The app shows its
    // own screen on the stage with the expert's arrow over it.
    await app.click(tid('picture-close'));
    await app.click(tid('media-screen'));
    await app.click(tid('share-confirm'));
    await app.waitVisible(tid('own-screen-tile'), 20_000);
    await site.locator(css('picture-close')).click(ACTION);
    const onScreen = site.locator(`${css('remote-screen')} ${css('board')}`);
    await onScreen.waitFor({ state: 'visible', timeout: 20_000 });
    await drawRedArrow(site, onScreen, [[0.7, 0.7], [0.5, 0.5], [0.3, 0.3]]);
    const ownStage = '[data-testid="own-screen-stage"]';
    await app.waitVisible(ownStage, 15_000);
    await waitFor('the arrow on the app\'s own screen', async () => (await app.attribute(`${ownStage} ${tid('board')}`, 'data-annotations')) === '1', { timeout: 10_000 });
    const onOwn = await waitFor('the arrow drawn over the app\'s own screen', async () => {
      const n = await appBoardPixels(app, ownStage, [0xe1, 0x1d, 0x48]);
      return n > 100 ? n : null;
    }, { timeout: 10_000 });
    assert.equal(await app.attribute(tid('self-screen'), 'data-has-frame'), 'true', 'the screen is drawn under the arrow');
    // The expert zooms into the app's screen; the app's stage follows.
    await site.locator(css('screen-zoom-in')).click(ACTION);
    await waitFor('the app to follow the zoom of its screen', async () => (await app.attribute(ownStage, 'data-zoom')) === '150', { timeout: 10_000 });
    console.log(`the expert's arrow on the shared screen covers ${onOwn} pixels of the app's own-screen board`);
    // The own screen's caption shows whole.
    const clipped = await app.execute(`const c = document.querySelector('[data-testid="own-screen-stage"] figcaption');
      return c ? [...c.querySelectorAll('span')].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent) : null;`);
    assert.deepEqual(clipped, [], 'nothing of the own screen\'s caption is cut off');
    await app.screenshot('app-board-own-screen');
    // The expert puts the picture on everyone's stage again: it takes the own screen's place, and
    // one "Back to the call" goes back to the call (not to the own screen first).
    await site.locator(`${css('picture-thumb')}[data-image="${imageId}"]`).click(ACTION);
    await app.waitVisible(tid('picture-stage'), 15_000);
    await app.click(tid('picture-close'));
    await app.waitGone(tid('picture-stage'), 5_000);
    assert.equal(await app.findVisible(ownStage), undefined, 'one press: back to the call, not to the own screen');
    await app.waitVisible(tid('call-view'));

    // The expert ends; the app offers the pictures and the chat, and saves them as a zip.
    await site.locator(css('end-session')).click(ACTION);
    // Ending is asked for again, with the safe choice focused.
    await site.locator(css('confirm-end-ok')).click(ACTION);
    await app.waitVisible(tid('ended-summary'), 15_000);
    await app.click(tid('export-session'));
    const said = await app.waitText(tid('export-saved'), (t) => t.startsWith('Saved to '), 20_000);
    const saved = said.replace(/^Saved to /, '').trim();
    const files = readZip(await readFile(saved));
    assert.ok(files.has('chat.txt'), `the chat in ${saved}: ${[...files.keys()]}`);
    const picture = [...files.entries()].find(([n]) => /^picture-1-.*\.png$/.test(n));
    assert.ok(picture, `the screenshot in ${saved}`);
    const exported = decodePng(picture[1]);
    assert.deepEqual([exported.width, exported.height], [kept.width, kept.height]);
    assert.equal(blackShare(exported, SECRET), 1, 'the export keeps the part blacked out');
    console.log(`the app saved the session to ${saved} (${files.size} files)`);
    await app.screenshot('app-board-ended');
  });
});
