// What the media benchmarks share (tests/bench/media.mjs, tests/bench/network.mjs): percentiles
// and table rows, an expert console that accepts the next offer, and the two measurements made
// on every path — Instant share press → first expert frame, and glass to glass from the stamps.
import { setTimeout as delay } from 'node:timers/promises';
import { tid } from '../lib/browser.mjs';
import { waitFor } from '../lib/wait.mjs';
import { media, remote, connected } from '../lib/media.mjs';
import { Peer } from '../lib/peer.mjs';

/** p50, p95, min and max of `values`. */
export function pct(values) {
  const s = [...values].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: at(0.5), p95: at(0.95), min: s[0], max: s.at(-1) };
}
/**
 * The poor networks of BENCHMARKS.md, made by the network fault harness (crates/netem,
 * `withNetwork` in netem.mjs) for every UDP packet on loopback, ours and Chromium's alike:
 * `network` is the impairment each way (a round trip pays `delayMs` twice).
 */
export const poorNetworks = [
  { name: '50 ms round trip', network: { delayMs: 25 } },
  { name: '5 % loss each way', network: { lossPercent: 5 } },
];

export const fmt = (v) => (v === undefined || v === null ? '–' : v.toFixed(1));
export const row = (label, p) => `| ${label} | ${p.n} | ${fmt(p.p50)} | ${fmt(p.p95)} | ${fmt(p.min)} | ${fmt(p.max)} |`;

/** A console page signed in with synthetic media, available, and accepting the next offer. */
export async function availableExpert(host, expert, context, query = 'media=synthetic') {
  const page = await context.newPage();
  await page.goto(`${host.url}/console?${query}`);
  // Signed in already (the context keeps the cookie) or not: whichever the page shows first.
  const toggle = page.locator(tid('availability-toggle'));
  await page.locator(`${tid('login-username')}, ${tid('availability-toggle')}`).first().waitFor({ state: 'visible', timeout: 15_000 });
  if (await page.locator(tid('login-username')).isVisible().catch(() => false)) {
    await page.locator(tid('login-username')).fill(expert.username);
    await page.locator(tid('login-password')).fill(expert.password);
    await page.locator(tid('login-submit')).click();
  }
  await toggle.waitFor({ state: 'visible', timeout: 10_000 });
  if ((await toggle.getAttribute('aria-checked')) !== 'true') await toggle.click();
  await delay(200);
  // Accept the moment the offer rings.
  const accepted = page.locator(tid('offer-accept')).click({ timeout: 60_000 });
  return { page, accepted };
}

export async function endFromExpert(page) {
  await page.locator(tid('end-session')).click({ timeout: 10_000 }).catch(() => {});
  // Ending asks first.
  await page.locator(tid('confirm-end-ok')).click({ timeout: 10_000 }).catch(() => {});
  // A session left running would put the next run's console straight into it: say so here.
  await waitFor('the session to end', async () => (await page.locator(tid('session-status')).getAttribute('data-status').catch(() => null)) === 'ended', { timeout: 10_000 });
}

/**
 * Press → first frame, native requester and native expert, `runs` times; `flags` go to both.
 * A call with no first frame in 30 s is not a time: without `failures` it ends the benchmark,
 * with it its reason is pushed there and the next call starts.
 */
export async function pressNativeNative(host, expert, runs, flags = [], failures = undefined) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    // Both stay until the first frame is in, then stop (SIGTERM ends the session): a fixed
    // short duration would end calls whose DTLS handshake waits for a retransmission.
    const e = await Peer.start('expert', ['--host', host.url, '--username', expert.username, '--duration-secs', '30', ...flags], { stdin: `${expert.password}\n` });
    await e.event('ready');
    const code = await host.enrolmentCode(`Native pair ${i}`);
    const r = await Peer.start('requester', ['--host', host.url, '--enrolment-code', code, '--video', 'none', '--audio', 'none', '--duration-secs', '30', ...flags]);
    try {
      const first = await r.event('first_frame', () => true, 30_000);
      times.push(first.since_press_ms);
      if (process.env.SPLIT) {
        // Where the time went: press → call connected (ICE and DTLS) and connected → first frame.
        const up = r.events.find((e) => e.event === 'call' && e.state === 'connected');
        const press = first.ms - first.since_press_ms;
        console.log(`call ${i + 1}: ${fmt(first.since_press_ms)} ms = connected at ${fmt(up.ms - press)} + first frame ${fmt(first.ms - up.ms)} later`);
      }
    } catch (error) {
      if (!failures) throw error;
      const why = /Flight \d+ [^\n]*|no 'first_frame'[^;]*/.exec(String(error.message))?.[0] ?? 'no first frame';
      failures.push(why);
      console.log(`call ${i + 1} failed: ${why}`);
    }
    r.stop();
    e.stop();
    await Promise.all([r.finished(15_000), e.finished(15_000)]);
  }
  return times;
}

/** Press → first frame shown, Chromium requester (site page) and Chromium console, `runs` times. */
export async function pressChromiumChromium(host, expert, browser, runs, failures = undefined) {
  const times = [];
  const expertContext = await browser.newContext();
  const requesterContext = await browser.newContext();
  for (let i = 0; i < runs; i++) {
    const { page, accepted } = await availableExpert(host, expert, expertContext);
    const requester = await requesterContext.newPage();
    await requester.goto(`${host.url}/healthz`); // same origin, assets not yet: like a fresh tab
    const device = await host.enrolDevice(`Chromium ${i}`);
    const pressed = Date.now(); // epoch ms, the pages' `at` clock
    const pointer = await host.requestShare(device.credential, { topic: 'network' });
    await requester.goto(`${host.url}/s/${pointer.session_id}?media=synthetic#token=${encodeURIComponent(pointer.participant_token)}`);
    await accepted;
    try {
      const expertId = await waitFor('the expert in the call', async () => {
        const state = await media(requester, 'callState').catch(() => ({}));
        return Object.keys(state)[0] ?? null;
      }, { timeout: 20_000, interval: 20 });
      const shown = await waitFor('the first expert frame', async () => media(requester, 'firstFrame', expertId, 'camera'), { timeout: 20_000, interval: 20 });
      times.push(shown - pressed);
    } catch (error) {
      // As for native calls: without `failures` a call with no first frame ends the benchmark.
      if (!failures) throw error;
      failures.push(String(error.message));
      console.log(`Chromium call ${i + 1} failed: ${error.message}`);
    }
    await endFromExpert(page);
    await requester.close();
    await page.close();
  }
  await expertContext.close();
  await requesterContext.close();
  return times;
}

/** Capture time of each sent stamp joined with the time it was decoded or shown (ms). */
export function join(sent, shown) {
  const at = new Map(sent.map((r) => [r.stamp, r.at]));
  return shown.filter((r) => at.has(r.stamp)).map((r) => r.at - at.get(r.stamp));
}

/** Added to a native glass call's length for its setup (up to 6 s at 300 ms and 20 % loss). */
const SETUP_ALLOWANCE_SECS = 6;

/**
 * A call of `secs` (8) between two native peers (`flags` to both): glass to glass both ways, the
 * requester's received frames a second, and its last statistics of the camera it received
 * (freezes counted from its first reading after the first picture, as long as Chromium's call).
 */
export async function glassNativeNative(host, expert, flags = [], secs = 8) {
  const code = await host.enrolmentCode('Glass native');
  const duration = String(secs + SETUP_ALLOWANCE_SECS);
  const e = await Peer.start('expert', ['--host', host.url, '--username', expert.username, '--duration-secs', duration, ...flags], { stdin: `${expert.password}\n` });
  await e.event('ready');
  const r = await Peer.start('requester', ['--host', host.url, '--enrolment-code', code, '--duration-secs', duration, '--stats-every', '2', ...flags]);
  await Promise.all([e.finished(60_000), r.finished(60_000)]);
  const eFirst = e.events.find((x) => x.event === 'first_frame');
  const rFirst = r.events.find((x) => x.event === 'first_frame');
  const glass = [
    ...join(await e.stamps('sent-camera.csv'), await r.stamps(`received-${rFirst.from}-camera.csv`)),
    ...join(await r.stamps('sent-camera.csv'), await e.stamps(`received-${eFirst.from}-camera.csv`)),
  ];
  // Frames a second between readings once pictures come, leaving out the first (the call
  // starting) and the last (the session ending). The call runs `secs` plus the time a slow
  // network takes to set it up, so that as on the Chromium side (which starts its clock once
  // connected) `secs` of it are measured.
  const shownFrom = r.events.findIndex((x) => x.event === 'first_frame');
  const readings = r.events.slice(shownFrom + 1).filter((x) => x.event === 'stats' && x.track.direction === 'receive' && x.track.kind === 'camera').map((x) => x.track);
  const fps = readings.slice(1, -1).map((t) => t.fps);
  const last = readings.at(-1);
  const received = last && { ...last, freezes: last.freezes - (readings[0]?.freezes ?? 0) };
  return { glass: pct(glass), fps, received };
}

/**
 * A call of `secs` (8) between two Chromium pages of `browser` (console and site): glass to glass both
 * ways, and the requester's statistics of the expert's camera and of the connection.
 */
export async function glassChromiumChromium(host, expert, browser, secs = 8) {
  const expertContext = await browser.newContext();
  const requesterContext = await browser.newContext();
  const { page, accepted } = await availableExpert(host, expert, expertContext);
  const requester = await requesterContext.newPage();
  const device = await host.enrolDevice('Glass chromium');
  const pointer = await host.requestShare(device.credential, { topic: 'network' });
  await requester.goto(`${host.url}/s/${pointer.session_id}?media=synthetic#token=${encodeURIComponent(pointer.participant_token)}`);
  await accepted;
  await connected(requester, 'the requester');
  await requester.locator(tid('media-start')).click();
  const expertSide = await connected(page, 'the expert');
  await delay(secs * 1000);
  const requesterSide = await remote(requester);
  const glass = [
    ...join(await media(page, 'sent', 'camera'), await media(requester, 'received', requesterSide.id, 'camera')),
    ...join(await media(requester, 'sent', 'camera'), await media(page, 'received', expertSide.id, 'camera')),
  ];
  const stats = (await media(requester, 'stats'))[requesterSide.id];
  await endFromExpert(page);
  await requesterContext.close();
  await expertContext.close();
  return { glass: pct(glass), stats };
}
