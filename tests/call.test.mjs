// A call through the real host between two pages of Chromium or Firefox (E2E_BROWSER): the
// expert in the console (which starts camera and microphone by itself) and the requester on the
// co-browse site with the requester's token from a REST share. Both use the synthetic devices (`?media=synthetic`): a
// test pattern whose frame number is stamped into the pixels, and a tone (440 Hz from the expert,
// 660 Hz from the requester). The pages' `window.__instantShareMedia` says which stamped frames
// were shown when, and how loud the remote audio is at a frequency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { tid, screenshot, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { browserSuite } from './lib/suite.mjs';
import { waitFor } from './lib/wait.mjs';
import { media, pageNow, remote, connected, assertVideoFlows, peakEnergy, assertTone } from './lib/media.mjs';
import { keepSockets, cutSessionSocket } from './lib/sockets.mjs';

const expert = { username: 'ana', displayName: 'Ana Expert', password: 'correct horse battery staple' };
const EXPERT_TONE = 440;
const REQUESTER_TONE = 660;

const suite = browserSuite({ name: 'host-call', experts: [expert], firefox: true });

/** The participant entry of `participantId` (by role) in `page`'s people list. */
const person = (page, role) => page.locator(`${tid('participant')}[data-role="${role}"]`);

async function waitAttribute(locator, name, value, what) {
  await waitFor(what, async () => (await locator.getAttribute(name)) === value, { timeout: 10_000 });
}

test('expert and requester see and hear each other; mute shows on the other side; the call survives a dropped socket and a reload', { timeout: 240_000 }, async () => {
  const expertContext = await suite.browser.newContext({ viewport: { width: 1400, height: 860 } });
  const requesterContext = await suite.browser.newContext({ viewport: { width: 1400, height: 860 } });
  const consolePage = await expertContext.newPage();
  recordPageErrors(consolePage, 'expert', suite.pageErrors);
  const requesterPage = await requesterContext.newPage();
  recordPageErrors(requesterPage, 'requester', suite.pageErrors);

  // The requester page keeps its sockets where the test can cut them (both browsers alike).
  await requesterPage.addInitScript(keepSockets);

  const body = async () => {
    // The expert signs in with synthetic devices and becomes available. Starting camera and
    // microphone on joining is the visible default.
    await consolePage.goto(`${suite.host.url}/console?media=synthetic`);
    await consolePage.locator(tid('login-username')).fill(expert.username);
    await consolePage.locator(tid('login-password')).fill(expert.password);
    await consolePage.locator(tid('login-submit')).click();
    await consolePage.locator(tid('availability-toggle')).click();
    const autostart = consolePage.locator(tid('media-autostart'));
    await autostart.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await autostart.isChecked(), true, 'auto-start is on by default');

    // A requester asks through the API and opens the site with its token.
    const device = await suite.host.enrolDevice('Riley Requester');
    const pointer = await suite.host.requestShare(device.credential, { topic: 'network', note: 'VPN drops every few minutes' });
    await requesterPage.goto(
      `${suite.host.url}/s/${pointer.session_id}?media=synthetic&tone=${REQUESTER_TONE}#token=${encodeURIComponent(pointer.participant_token)}`,
    );
    await requesterPage.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
    await requesterPage.locator(tid('media-start')).waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(requesterPage, 'call-requester-waiting');

    // The expert accepts and lands in the session; camera and microphone start by themselves.
    await consolePage.locator(tid('offer-accept')).click({ timeout: 15_000 });
    await consolePage.locator(tid('call-view')).waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(consolePage.url(), /\?media=synthetic$/, 'the site keeps the page options');
    await consolePage.locator(tid('media-live')).waitFor({ state: 'visible', timeout: 10_000 });

    // The requester joined first, so it offers; the call comes up before it sends anything.
    const first = await connected(requesterPage, 'the requester');
    assert.equal(first.offerer, true, 'the requester offers');
    assert.equal(first.role, 'expert');
    const expertSide = await connected(consolePage, 'the expert');
    assert.equal(expertSide.offerer, false, 'the expert answers');
    assert.equal(expertSide.callId, first.callId, 'both sides are in the same call');
    const [requesterId, expertId] = [expertSide.id, first.id];

    // The requester's microphone is not on yet: what the expert hears from it is the baseline.
    const silence = await peakEnergy(consolePage, requesterId, REQUESTER_TONE);

    // The requester starts camera and microphone with the button.
    await requesterPage.locator(tid('media-start')).click();
    await requesterPage.locator(tid('media-live')).waitFor({ state: 'visible', timeout: 10_000 });

    // Video both ways.
    const [toExpert, toRequester] = await Promise.all([
      assertVideoFlows(consolePage, requesterId, 'the expert'),
      assertVideoFlows(requesterPage, expertId, 'the requester'),
    ]);
    console.log(`video in 2 s (frames shown, unreadable, skipped): requester→expert ${JSON.stringify(toExpert)}, expert→requester ${JSON.stringify(toRequester)}`);
    const firstFrame = await media(consolePage, 'firstFrame', requesterId, 'camera');
    assert.ok(firstFrame > 0, 'the first frame time is recorded');
    const sent = await media(requesterPage, 'sent');
    assert.ok(sent.length > 30 && sent.at(-1).stamp > sent[0].stamp, 'the synthetic camera records what it draws');

    // Audio both ways: each side hears the other's tone well above silence.
    const heardByExpert = await assertTone(consolePage, requesterId, REQUESTER_TONE, silence, 'the expert');
    const heardByRequester = await assertTone(requesterPage, expertId, EXPERT_TONE, silence, 'the requester');
    console.log(`audio: silence ${silence.toFixed(5)}, expert hears ${heardByExpert.toFixed(4)}, requester hears ${heardByRequester.toFixed(4)}`);

    // Both pages show both participants with camera and microphone on.
    for (const page of [consolePage, requesterPage]) {
      for (const role of ['expert', 'requester']) {
        await waitAttribute(person(page, role), 'data-camera', 'true', `${role}'s camera shown as on`);
        await waitAttribute(person(page, role), 'data-microphone', 'true', `${role}'s microphone shown as on`);
      }
    }
    const stats = await waitFor('stats with a frame rate', async () => {
      const s = (await media(consolePage, 'stats'))[requesterId];
      return s?.inbound?.camera?.fps ? s : null;
    });
    console.log(`expert's stats of the requester's camera: ${JSON.stringify(stats.inbound.camera)}, rtt ${stats.rttMs} ms`);
    await screenshot(consolePage, 'call-expert');
    await screenshot(requesterPage, 'call-requester');

    // The requester shares its screen: the expert gets it large, its frames readable too.
    await requesterPage.locator(tid('media-screen')).click();
    await waitAttribute(person(consolePage, 'requester'), 'data-screen', 'true', 'the expert to see the requester sharing');
    await consolePage.locator(tid('remote-screen')).waitFor({ state: 'visible', timeout: 10_000 });
    const screen = await assertVideoFlows(consolePage, requesterId, 'the expert, of the shared screen', 'screen');
    console.log(`shared screen in 2 s: ${JSON.stringify(screen)}`);
    await screenshot(consolePage, 'call-expert-screen');
    await screenshot(requesterPage, 'call-requester-sharing');
    await requesterPage.locator(tid('media-screen')).click();
    await waitAttribute(person(consolePage, 'requester'), 'data-screen', 'false', 'the expert to see the sharing stop');
    await consolePage.locator(tid('remote-screen')).waitFor({ state: 'detached', timeout: 10_000 });

    // The requester mutes with the M key: the expert sees it and hears silence.
    await requesterPage.locator('body').click({ position: { x: 5, y: 5 } });
    await requesterPage.keyboard.press('m');
    await waitAttribute(person(consolePage, 'requester'), 'data-microphone', 'false', 'the expert to see the requester muted');
    assert.equal(await person(consolePage, 'requester').getAttribute('data-camera'), 'true', 'the camera stays on');
    await consolePage.locator(`${tid('remote-camera')} .mic-off`).waitFor({ state: 'visible', timeout: 5_000 });
    await waitFor('the expert to hear silence from the muted requester', async () => (await peakEnergy(consolePage, requesterId, REQUESTER_TONE, 500)) < Math.max(0.01, silence * 10), { timeout: 10_000 });
    await screenshot(consolePage, 'call-expert-requester-muted');
    await requesterPage.locator(tid('media-mic')).click();
    await waitAttribute(person(consolePage, 'requester'), 'data-microphone', 'true', 'the expert to see the requester unmuted');
    // V turns the camera off and on; typing a V into the chat does not.
    await requesterPage.keyboard.press('v');
    await waitAttribute(person(consolePage, 'requester'), 'data-camera', 'false', 'the expert to see the requester camera off');
    await waitFor('the expert tile to say the camera is off', async () => (await consolePage.locator(tid('remote-camera')).getAttribute('data-status')) === 'off');
    await requesterPage.locator(tid('chat-input')).fill('');
    await requesterPage.locator(tid('chat-input')).press('v');
    assert.equal(await requesterPage.locator(tid('media-camera')).getAttribute('aria-pressed'), 'true', 'typing does not toggle the camera');
    await requesterPage.locator('body').click({ position: { x: 5, y: 5 } });
    await requesterPage.keyboard.press('v');
    await waitAttribute(person(consolePage, 'requester'), 'data-camera', 'true', 'the expert to see the requester camera on again');
    await assertVideoFlows(consolePage, requesterId, 'the expert, after the requester camera came back');

    // The expert mutes with the button and turns the camera off: the requester sees both.
    await consolePage.locator(tid('media-mic')).click();
    await consolePage.locator(tid('media-camera')).click();
    await waitAttribute(person(requesterPage, 'expert'), 'data-microphone', 'false', 'the requester to see the expert muted');
    await waitAttribute(person(requesterPage, 'expert'), 'data-camera', 'false', 'the requester to see the expert camera off');
    await waitFor('the requester tile to say the camera is off', async () => (await requesterPage.locator(tid('remote-camera')).getAttribute('data-status')) === 'off');
    await waitFor('the requester to hear silence from the muted expert', async () => (await peakEnergy(requesterPage, expertId, EXPERT_TONE, 500)) < 0.01, { timeout: 10_000 });
    await screenshot(requesterPage, 'call-requester-expert-camera-off');
    await consolePage.locator(tid('media-mic')).click();
    await consolePage.locator(tid('media-camera')).click();
    await waitAttribute(person(requesterPage, 'expert'), 'data-camera', 'true', 'the requester to see the expert camera on again');
    await assertVideoFlows(requesterPage, expertId, 'the requester, after the expert camera came back');

    // The requester's socket drops: it reconnects and is welcomed again, and the call, up all
    // along (media flows peer to peer), goes on: the same call, its camera and microphone on,
    // the frame numbers going on.
    const beforeDrop = await remote(requesterPage);
    await cutSessionSocket(requesterPage);
    await waitFor('the requester socket to be open again', () =>
      requesterPage.evaluate(() => window.__e2eSockets.some((ws) => new URL(ws.url).pathname === '/api/v1/ws' && ws.readyState === WebSocket.OPEN)),
    );
    await waitAttribute(person(consolePage, 'requester'), 'data-online', 'true', 'the requester online again after the reconnect');
    const afterDrop = await remote(requesterPage);
    assert.equal(afterDrop.callId, beforeDrop.callId, 'the call went on through the reconnect');
    assert.equal(afterDrop.phase, 'connected');
    assert.equal((await remote(consolePage)).callId, beforeDrop.callId, 'the expert is in the same call');
    await assertVideoFlows(consolePage, requesterId, 'the expert, after the requester reconnected');
    await assertVideoFlows(requesterPage, expertId, 'the requester, after it reconnected');
    await waitAttribute(person(consolePage, 'requester'), 'data-camera', 'true', 'the requester camera shown on after the reconnect');

    // The requester reloads the page: the token is kept for the tab, the call comes back, and
    // after pressing start again so do its camera and microphone.
    await requesterPage.reload();
    await requesterPage.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
    const afterReload = await connected(requesterPage, 'the requester after a reload', afterDrop.callId);
    await connected(consolePage, 'the expert after the requester reloaded', afterDrop.callId);
    assert.notEqual(afterReload.callId, afterDrop.callId);
    await assertVideoFlows(requesterPage, expertId, 'the requester, after the reload');
    await requesterPage.locator(tid('media-start')).click();
    await assertVideoFlows(consolePage, requesterId, 'the expert, after the requester reloaded');
    await assertTone(consolePage, requesterId, REQUESTER_TONE, silence, 'the expert, after the requester reloaded');

    // The expert ends the session: the calls close and the devices are released.
    await consolePage.locator(tid('end-session')).click();
    // Ending is asked for again, with the safe choice focused.
    await consolePage.locator(tid('confirm-end-ok')).click();
    for (const page of [consolePage, requesterPage]) {
      await waitFor('the session to show as ended', async () => (await page.locator(tid('session-status')).getAttribute('data-status')) === 'ended');
      await waitFor('camera and microphone to be off', async () => {
        const local = await page.evaluate(() => window.__instantShareMedia?.local() ?? { camera: false, microphone: false });
        return !local.camera && !local.microphone;
      });
    }
    assert.equal(await consolePage.locator(tid('call-view')).count(), 0, 'no call view once ended');
  };

  try {
    await screenshotsOnFailure(expertContext, 'call-expert', () => screenshotsOnFailure(requesterContext, 'call-requester', body));
  } finally {
    await expertContext.close();
    await requesterContext.close();
  }
});
