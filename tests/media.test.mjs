// A call between the headless native participant (`instant-share-peer`, the engine the app
// uses) and the expert in the Chromium console, through the real host: video both ways with the
// stamped frame counter going up in decoded pixels, audio both ways at each side's tone.
// The native side sends a 440 Hz tone; the console's synthetic microphone plays 660 Hz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tid, screenshot, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { browserSuite } from './lib/suite.mjs';
import { waitFor } from './lib/wait.mjs';
import { media, connected, assertVideoFlows, assertTone, peakEnergy, assertStampsInOrder } from './lib/media.mjs';
import { Peer } from './lib/peer.mjs';
import { readWav, toneEnergy } from './lib/wav.mjs';
import path from 'node:path';

const expert = { username: 'ana', displayName: 'Ana Expert', password: 'correct horse battery staple' };
const NATIVE_TONE = 440;
const EXPERT_TONE = 660;

const suite = browserSuite({ name: 'host-media', experts: [expert] });

/** Percentiles of a list of numbers. */
function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p95: at(0.95) };
}

test('the native peer and the Chromium console see and hear each other', { timeout: 180_000 }, async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  recordPageErrors(page, 'expert', suite.pageErrors);
  let peer;
  const body = async () => {
    await page.goto(`${suite.host.url}/console?media=synthetic&tone=${EXPERT_TONE}`);
    await page.locator(tid('login-username')).fill(expert.username);
    await page.locator(tid('login-password')).fill(expert.password);
    await page.locator(tid('login-submit')).click();
    await page.locator(tid('availability-toggle')).click();

    const code = await suite.host.enrolmentCode('Nia Native');
    // 720p: the size a real camera is asked for, where the engine sends VP8 profile 1 (the
    // bilinear filter): Chromium must decode it.
    peer = await Peer.start('requester', ['--host', suite.host.url, '--enrolment-code', code, '--size', '1280x720', '--duration-secs', '6']);
    await peer.event('shared');
    await page.locator(tid('offer-accept')).click({ timeout: 15_000 });
    await page.locator(tid('call-view')).waitFor({ state: 'visible', timeout: 10_000 });

    // The native requester joined first, so it offers; the console answers.
    const call = await peer.event('call', (e) => e.state === 'connected');
    const expertSide = await connected(page, 'the expert');
    assert.equal(expertSide.offerer, false, 'the console answers the native offer');
    const nativeId = expertSide.id;

    // Native → Chromium: the stamps the console reads go up; the tone is there.
    const video = await assertVideoFlows(page, nativeId, 'the expert, of the native camera');
    const silence = await peakEnergy(page, nativeId, 1234, 300);
    const heard = await assertTone(page, nativeId, NATIVE_TONE, silence, 'the expert');
    console.log(`native→chromium: ${JSON.stringify(video)}, tone ${heard.toFixed(4)} (1234 Hz: ${silence.toFixed(5)}); connected after ${call.ms.toFixed(0)} ms`);
    await screenshot(page, 'media-expert-sees-native');

    // The SRTP profile is counter mode with HMAC, which the native engine insists on (a NACKed
    // packet resent with another header under AES-GCM would reuse a nonce).
    const cipher = (await media(page, 'stats'))[nativeId]?.srtpCipher;
    assert.equal(cipher, 'SRTP_AES128_CM_HMAC_SHA1_80', 'the SRTP profile of the call with the native peer');

    // Glass to glass, native capture → shown in Chromium, from the stamps (one clock).
    const sent = new Map((await peer.stamps('sent-camera.csv')).map((r) => [r.stamp, r.at]));
    const shown = await media(page, 'received', nativeId, 'camera');
    const delays = shown.filter((r) => sent.has(r.stamp)).map((r) => r.at - sent.get(r.stamp));
    assert.ok(delays.length >= 20, `frames matched by stamp: ${delays.length}`);
    console.log(`glass-to-glass native→chromium (ms): ${JSON.stringify(percentiles(delays))}`);

    // Chromium → native: the peer decodes the console's stamped pattern and hears its tone.
    assert.equal(await peer.finished(), 0, 'the native peer ends cleanly');
    const first = peer.events.find((e) => e.event === 'first_frame');
    assert.ok(first, 'the native peer decoded the expert camera');
    const received = await peer.stamps(`received-${first.from}-camera.csv`);
    const stamps = received.map((r) => r.stamp);
    // Never backwards (the engine keeps frames in order); the console may repeat one.
    assertStampsInOrder(stamps, 'the native peer', 40);
    const wav = await readWav(path.join(peer.dir, `heard-${first.from}.wav`));
    const middle = wav.samples.subarray(Math.floor(wav.samples.length / 2) - 48_000, Math.floor(wav.samples.length / 2) + 48_000);
    const tone = toneEnergy(middle, wav.rate, EXPERT_TONE);
    const off = toneEnergy(middle, wav.rate, 1234);
    assert.ok(tone > 100 * Math.max(off, 1e-9), `the native peer hears ${EXPERT_TONE} Hz: ${tone} vs ${off} at 1234 Hz`);
    const stats = peer.events.filter((e) => e.event === 'stats' && e.track.direction === 'receive' && e.track.kind === 'camera').at(-1);
    console.log(`chromium→native: ${stamps.length} pictures, ${EXPERT_TONE} Hz energy ${tone.toExponential(2)}, stats ${JSON.stringify(stats?.track)}`);
  };
  try {
    await screenshotsOnFailure(context, 'media-expert', body);
  } finally {
    peer?.stop();
    await context.close();
  }
});
