// Screen sharing on Wayland, for real: a headless sway desktop with PipeWire and the
// screen-sharing portal (scripts/wayland-session.sh, as an unprivileged user), a Chromium window
// on it showing the stamped test pattern, and the native engine the app uses
// (`instant-share-peer`, its screen capture chosen from the session: Wayland here) sharing that
// screen through the portal with the expert in the Chromium console (under Xvfb, as the other
// suites). The console reads the stamps of the decoded screen going up; glass to glass
// (capture → shown in Chromium) is printed. Then the PipeWire stream of the share is destroyed
// (what the desktop's own "stop sharing" does): the share ends with the reason, the console
// sees the screen go.
//
// Not the app window: the app's share goes through the same `capture::start_video` as the
// peer's; driving the Tauri window itself on Wayland is not done here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tid, screenshot, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { browserSuite } from './lib/suite.mjs';
import { waitFor } from './lib/wait.mjs';
import { media, connected, pageNow, assertStampsInOrder } from './lib/media.mjs';
import { setTimeout as delay } from 'node:timers/promises';
import { Peer } from './lib/peer.mjs';
import { WaylandDesktop } from './lib/wayland.mjs';

const expert = { username: 'wren', displayName: 'Wren Expert', password: 'a wayland and a long password' };
const suite = browserSuite({ name: 'host-wayland', experts: [expert] });

/** @type {WaylandDesktop} */
let desktop;
before(async () => {
  desktop = await WaylandDesktop.start('share', process.env.WAYLAND_TEST_SIZE ?? '1280x720');
  await desktop.showPattern();
});
after(async () => {
  await desktop?.stop();
});

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p95: at(0.95) };
}

test('the Wayland screen goes through the portal to the expert, and the desktop can stop it', { timeout: 240_000 }, async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  recordPageErrors(page, 'expert', suite.pageErrors);
  let peer;
  const body = async () => {
    await page.goto(`${suite.host.url}/console?media=synthetic`);
    await page.locator(tid('login-username')).fill(expert.username);
    await page.locator(tid('login-password')).fill(expert.password);
    await page.locator(tid('login-submit')).click();
    await page.locator(tid('availability-toggle')).click();

    const code = await suite.host.enrolmentCode('Wanda Wayland');
    peer = await Peer.start(
      'requester',
      ['--host', suite.host.url, '--enrolment-code', code, '--video', 'none', '--audio', 'none', '--screen-fps', '15', '--duration-secs', '40'],
      { run: desktop.run },
    );
    await peer.event('shared', () => true, 30_000);
    await page.locator(tid('offer-accept')).click({ timeout: 15_000 });
    await page.locator(tid('call-view')).waitFor({ state: 'visible', timeout: 10_000 });
    await peer.event('call', (e) => e.state === 'connected');
    const expertSide = await connected(page, 'the expert');
    const nativeId = expertSide.id;

    // The capture went through the portal (not XWayland, not X11): the engine says so.
    const plain = (line) => line.replace(/\x1b\[[0-9;]*m/g, '');
    const started = await waitFor('the portal share in the peer log', () => peer.log.map(plain).find((l) => /screen-sharing portal started a share/.test(l)), { timeout: 10_000 });
    const node = Number(/node=(\d+)/.exec(started)?.[1]);
    assert.ok(node > 0, `the PipeWire node of the share (${started})`);

    // Over 3 s the stamps go up, never back. At least 15 different ones (5 a second): the
    // desktop here is drawn in software (Chromium's repaints and sway's pixman renderer on two
    // shared cores give 8–10 new pictures a second), not by the capture's 15 a second cap.
    const from = await pageNow(page);
    await waitFor('the expert to read a stamp of the Wayland screen', async () => (await media(page, 'received', nativeId, 'screen')).some((r) => r.at >= from), {
      timeout: 15_000,
    });
    const start = await pageNow(page);
    await delay(3000);
    const stamps = (await media(page, 'received', nativeId, 'screen')).filter((r) => r.at >= start).map((r) => r.stamp);
    const distinct = assertStampsInOrder(stamps, 'the expert, of the Wayland screen', 15, 'in 3 s');
    console.log(`wayland→chromium: ${distinct} different stamps in 3 s (${stamps[0]}…${stamps.at(-1)})`);
    await screenshot(page, 'wayland-expert-sees-screen');

    // Glass to glass: the capture's stamps (the peer's self-view) against what Chromium showed.
    const sent = new Map((await peer.stamps('sent-screen.csv')).map((r) => [r.stamp, r.at]));
    const shown = await media(page, 'received', nativeId, 'screen');
    const delays = shown.filter((r) => sent.has(r.stamp)).map((r) => r.at - sent.get(r.stamp));
    assert.ok(delays.length >= 20, `frames matched by stamp: ${delays.length}`);
    console.log(`glass-to-glass wayland capture→chromium (ms): ${JSON.stringify(percentiles(delays))}`);

    // The desktop ends the stream (its "stop sharing"): the share ends, with the reason.
    await desktop.output('pw-cli', ['destroy', String(node)]);
    const ended = await peer.event('source_ended', (e) => e.kind === 'screen', 10_000);
    assert.match(ended.message, /^The system stopped the screen share \(.+\)\. Share again to go on\.$/, ended.message);
    await waitFor(
      'the expert to see the screen share end',
      async () => {
        const r = await media(page, 'received', nativeId, 'screen');
        const last = r.at(-1)?.at ?? 0;
        const now = await page.evaluate(() => performance.timeOrigin + performance.now());
        return now - last > 2000;
      },
      { timeout: 15_000 },
    );
    console.log(`stopped by the desktop: ${ended.message}`);
  };
  try {
    await screenshotsOnFailure(context, 'wayland-expert', body);
  } catch (e) {
    if (peer) console.log(`peer log:\n${peer.log.slice(-30).join('\n')}`);
    throw e;
  } finally {
    peer?.stop();
    await context.close();
  }
});
