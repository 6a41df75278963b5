// The desktop app on Wayland, for real: a headless sway desktop with PipeWire and the
// screen-sharing portal (scripts/wayland-session.sh, as an unprivileged user), a Chromium window
// on its first output (the one the portal shares) showing the stamped test pattern, and the
// Tauri app (GDK_BACKEND=wayland, a native Wayland window on the second output) driven by
// tauri-driver + WebKitWebDriver in that session. The expert is in the Chromium console under
// Xvfb, as in the other suites.
//
// The app enrols, the expert accepts its request; "Share my screen" goes through the portal
// (no dialog: the wlroots backend is set to pick the first output) and the expert reads the
// stamps of the pattern going up from the decoded video. The desktop then destroys the
// PipeWire stream (what its own "stop sharing" does): the app says why the share stopped and
// the expert sees it go. Then a screenshot through the portal goes to the board; the picture the
// expert gets shows the pattern with a readable stamp.
//
// Glass to glass on Wayland against X11 is measured by tests/bench/wayland-screen.mjs
// (scripts/bench-wayland.sh), not here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tid as css, availableExpert, screenshot, screenshotsOnFailure } from './lib/browser.mjs';
import { browserSuite } from './lib/suite.mjs';
import { waitFor } from './lib/wait.mjs';
import { media, pageNow, assertStampsInOrder } from './lib/media.mjs';
import { decodePng } from './lib/png.mjs';
import { TauriDriver, tid } from './lib/app.mjs';
import { WaylandDesktop, stampModule } from './lib/wayland.mjs';

const expert = { username: 'wren', displayName: 'Wren Expert', password: 'a wayland and a long password' };
const suite = browserSuite({ name: 'host-wayland', experts: [expert] });
const SIZE = '1280x720';

/** @type {WaylandDesktop} */
let desktop;
let stamp;
before(async () => {
  stamp = (await stampModule()).module;
  desktop = await WaylandDesktop.start('app', SIZE);
  await desktop.showPattern();
});
after(async () => {
  await desktop?.stop();
});

/** The expert's session page once they accepted the request. */
async function sessionPage(context) {
  return waitFor(
    () => `the expert's session page (pages: ${context.pages().map((p) => p.url()).join(', ')})`,
    () => context.pages().find((page) => /^\/s\/[^/]+$/.test(new URL(page.url()).pathname)),
  );
}

test('the app on Wayland shares the screen and a screenshot through the portal; the expert reads the pattern', { timeout: 240_000 }, async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
  // The app's window goes to the second output: the shared one shows the pattern alone.
  await desktop.output('swaymsg', ['focus', 'output', 'HEADLESS-2']);
  const driver = await TauriDriver.start({
    name: 'wayland-tauri-driver',
    run: desktop.run,
    env: { GDK_BACKEND: 'wayland', INSTANT_SHARE_HOST_URL: suite.host.url, RUST_LOG: 'info,instant_share_app=debug,instant_share_media=info' },
  });
  let app;
  const body = async () => {
    app = await driver.newSession();
    // A native Wayland window (xdg-shell, not XWayland: the session has no DISPLAY), beside
    // the pattern, not over it.
    const windows = await waitFor('the app window on the Wayland desktop', async () => {
      const all = await desktop.windows();
      return all.some((w) => w.appId !== 'chromium') ? all : null;
    }, { timeout: 20_000 });
    const appWindow = windows.find((w) => w.appId !== 'chromium');
    console.log(`windows on the Wayland desktop: ${JSON.stringify(windows)}`);
    assert.equal(appWindow.shell, 'xdg_shell', 'the app is a Wayland client');
    assert.equal(appWindow.output, 'HEADLESS-2');
    assert.equal(windows.find((w) => w.appId === 'chromium')?.output, 'HEADLESS-1', 'the pattern is on the shared output');

    // Enrol, ask for help; the expert accepts.
    await app.waitVisible(tid('enrol-host'), 30_000);
    await app.type(tid('enrol-host'), suite.host.url);
    await app.type(tid('enrol-code'), await suite.host.enrolmentCode('Wanda Wayland'));
    await app.click(tid('enrol-submit'));
    await app.waitVisible(tid('share-button'), 15_000);
    const consolePage = await availableExpert(context, suite.host.url, expert, suite.pageErrors);
    await app.click(tid('share-button'));
    await consolePage.locator(css('offer-accept')).click({ timeout: 20_000 });
    const site = await sessionPage(context);
    await site.locator(css('call-view')).waitFor({ state: 'visible', timeout: 10_000 });
    await app.waitVisible(tid('call-view'), 15_000);
    const appId = await waitFor('the expert page to know the requester', async () => {
      const state = await media(site, 'callState');
      return Object.keys(state).find((id) => state[id].role === 'requester') ?? null;
    });

    // Share my screen: the app's chooser (the entire screen), then the portal, no dialog.
    await app.click(tid('media-screen'));
    await app.waitVisible(tid('share-chooser'), 15_000);
    await app.waitVisible(tid('share-system-note'), 10_000); // on Wayland the system picks a window
    await app.click(tid('share-confirm'));
    const sources = await waitFor('the portal\'s PipeWire stream', async () => {
      const s = await desktop.videoSources();
      return s.length > 0 ? s : null;
    }, { timeout: 15_000 });
    assert.equal(sources.length, 1, `one screen-sharing stream: ${JSON.stringify(sources)}`);
    console.log(`the portal's stream: ${JSON.stringify(sources[0])}`);

    // The stamps of the pattern go up, never back, until 8 different ones came. No rate is
    // asserted: the desktop is drawn in software and the app's debug build converts and encodes
    // on two cores shared with the rest of the run (2–10 new pictures a second seen here);
    // tests/bench/wayland-screen.mjs measures the rate.
    const from = await pageNow(site);
    await waitFor('the expert to read a stamp of the Wayland screen', async () => (await media(site, 'received', appId, 'screen')).some((r) => r.at >= from), {
      timeout: 20_000,
    });
    const start = await pageNow(site);
    const stamps = await waitFor('8 different stamps of the Wayland screen', async () => {
      const s = (await media(site, 'received', appId, 'screen')).filter((r) => r.at >= start).map((r) => r.stamp);
      return new Set(s).size >= 8 ? s : null;
    }, { timeout: 20_000, interval: 250 });
    const secs = ((await pageNow(site)) - start) / 1000;
    const distinct = assertStampsInOrder(stamps, 'the expert, of the app\'s Wayland screen', 8);
    console.log(`app on wayland → chromium: ${distinct} different stamps in ${secs.toFixed(1)} s (${stamps[0]}…${stamps.at(-1)})`);
    await app.waitText(tid('media-live'), (t) => /screen/.test(t));
    await screenshot(site, 'wayland-expert-sees-app-screen');

    // The desktop ends the stream (its "stop sharing"): the app says so; the expert sees it go.
    await desktop.output('pw-cli', ['destroy', String(sources[0].id)]);
    const said = await app.waitText(`${tid('media-error')}[data-track="screen"]`, (t) => /The system stopped the screen share/.test(t), 15_000);
    console.log(`the app after the desktop stopped the share: ${said}`);
    await waitFor('the expert to see the sharing stop', async () => (await site.locator(`${css('participant')}[data-role="requester"]`).getAttribute('data-screen')) === 'false', {
      timeout: 15_000,
    });

    // A screenshot through the portal, to the board: the whole screen (the shared output).
    await app.click(tid('picture-screenshot'));
    await app.click(tid('screenshot-whole'), 20_000);
    await app.waitVisible(tid('redact-canvas'), 20_000);
    await app.click(tid('redact-share'));
    await app.waitVisible(tid('picture-stage'), 20_000);
    const imageId = await app.attribute(tid('picture-stage'), 'data-image');
    await site.locator(`${css('picture-thumb')}[data-image="${imageId}"]`).waitFor({ state: 'visible', timeout: 15_000 });
    const sessionId = new URL(site.url()).pathname.split('/').pop();
    const token = await site.evaluate((id) => sessionStorage.getItem(`instant-share.token.${id}`), sessionId);
    const fetched = await fetch(`${suite.host.url}/api/v1/sessions/${sessionId}/images/${imageId}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(fetched.status, 200, 'the expert gets the picture');
    const picture = decodePng(Buffer.from(await fetched.arrayBuffer()));
    assert.equal(`${picture.width}x${picture.height}`, SIZE, 'the shared output, full size');
    const read = stamp.readStamp(picture.rgba, picture.width, picture.height);
    assert.ok(Number.isInteger(read), 'the pattern\'s stamp reads from the picture the expert got');
    // Mid-grey under the stamp: the pattern window fills the output, nothing else is on it.
    const i = (400 * picture.width + 640) * 4;
    assert.deepEqual([...picture.rgba.subarray(i, i + 3)], [128, 128, 128], 'the pattern\'s grey in the middle of the picture');
    console.log(`screenshot through the portal: ${picture.width}x${picture.height}, stamp ${read}`);
  };
  try {
    await screenshotsOnFailure(context, 'wayland-app-console', body);
  } catch (e) {
    await app?.screenshot('wayland-app-failure').catch(() => {});
    await app?.invoke('end_session').catch(() => {});
    throw e;
  } finally {
    await context.close();
    await app?.close().catch((error) => console.log(`closing the app: ${error.message}`));
    await driver.stop();
  }
});
