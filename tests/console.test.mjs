// The expert console and the co-browse site in Chromium or Firefox (E2E_BROWSER), against the
// real host binary. The requester is played by this test through the HTTP API and a session
// WebSocket, or on the co-browse site with its token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host, SessionSocket } from './lib/host.mjs';
import { tid, screenshot, recordPageErrors, screenshotsOnFailure, outputSuffix } from './lib/browser.mjs';
import { browserSuite } from './lib/suite.mjs';
import { waitFor } from './lib/wait.mjs';

const expert = { username: 'ana', displayName: 'Ana Expert', password: 'correct horse battery staple' };
/** A second expert, for email and the network only (printing is not their topic). */
const ben = { username: 'ben', displayName: 'Ben Second', password: 'another horse battery staple', skills: ['email', 'network'] };

const suite = browserSuite({ name: 'host-console', experts: [expert, ben], firefox: true });

const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 800, height: 600 };

/** Whether a toggle shows itself as on: a checkbox's `checked`, else aria-pressed/-checked. */
async function toggleState(locator) {
  return locator.evaluate((element) => {
    if (element instanceof HTMLInputElement && element.type === 'checkbox') return element.checked;
    const aria = element.getAttribute('aria-pressed') ?? element.getAttribute('aria-checked');
    return aria === null ? null : aria === 'true';
  });
}

/** The page of `context` whose address is the co-browse site of `sessionId`. */
async function sitePage(context, sessionId) {
  return waitFor(
    () => `a page at /s/${sessionId} (pages: ${context.pages().map((p) => p.url()).join(', ')})`,
    () => context.pages().find((page) => new URL(page.url()).pathname === `/s/${sessionId}`),
    { timeout: 10_000 },
  );
}

async function signIn(page, password, who = expert) {
  await page.locator(tid('login-username')).fill(who.username);
  await page.locator(tid('login-password')).fill(password);
  await page.locator(tid('login-submit')).click();
}

/** A new page of `context` on the console of `url`, signed in as `who`; available if asked. */
async function openConsole(context, who, { available = false, url = suite.host.url } = {}) {
  const page = await context.newPage();
  recordPageErrors(page, `${who.username}'s console`, suite.pageErrors);
  await page.goto(`${url}/console`);
  await signIn(page, who.password, who);
  const toggle = page.locator(tid('availability-toggle'));
  await toggle.waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator(tid('queue-list')).waitFor({ state: 'attached', timeout: 10_000 });
  if (available) {
    await toggle.click();
    await waitFor(`${who.username} to show as available`, async () => (await toggleState(toggle)) === true);
  }
  return page;
}

/** The selector of the queue entry of `sessionId` on a console page. */
const entryOf = (sessionId) => `${tid('queue-entry')}[data-session-id="${sessionId}"]`;

/** Screenshots `page` as NAME and, at 800x600, as NAME-narrow; then back to 1280x800. */
async function screenshotBoth(page, name) {
  await screenshot(page, name);
  await page.setViewportSize(NARROW);
  await screenshot(page, `${name}-narrow`);
  await page.setViewportSize(WIDE);
}

/**
 * The requester of `pointer` ends the request or session, if it is still on (a test that failed
 * half-way must not leave a request ringing in the next one).
 */
async function endQuietly(pointer) {
  let socket;
  try {
    socket = await SessionSocket.open(pointer.ws_url, pointer.participant_token);
    const first = await waitFor('the welcome or a refusal', () => socket.closed || socket.frames.find((f) => ['welcome', 'error'].includes(f.msg?.type))?.msg, { timeout: 5_000, interval: 20 });
    if (first?.type !== 'welcome' || first.snapshot.status === 'ended') return;
    socket.send({ type: 'end_session' });
    await socket.next('ended', () => true, 5_000);
  } catch {
    // Ended already (the token is refused then), or the host is gone: nothing is left ringing.
  } finally {
    socket?.close();
  }
}

/** Ends the session from the site page `site` (asked first) and waits for the end there. */
async function endFromSite(site) {
  await site.locator(tid('end-session')).click();
  await site.locator(tid('confirm-end-ok')).click();
  await waitFor('the site to show the session as ended', async () => (await site.locator(tid('session-status')).getAttribute('data-status')) === 'ended');
}

test('an expert signs in, takes a request, chats with the requester and ends the session', { timeout: 120_000 }, async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const console_ = await context.newPage();
  recordPageErrors(console_, 'console', suite.pageErrors);
  context.on('page', (page) => recordPageErrors(page, 'site', suite.pageErrors));
  await screenshotsOnFailure(context, 'console', async () => {
    await console_.goto(`${suite.host.url}/console`);

    // A wrong password is refused, visibly.
    await signIn(console_, 'not the password');
    await console_.locator(tid('login-error')).waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(console_, 'console-login-error');
    assert.equal(await console_.locator(tid('availability-toggle')).count(), 0, 'no console before signing in');

    // The right one signs in.
    await signIn(console_, expert.password);
    const toggle = console_.locator(tid('availability-toggle'));
    await toggle.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await console_.locator(tid('login-error')).isVisible(), false, 'the login error is gone');
    await console_.locator(tid('queue-list')).waitFor({ state: 'attached', timeout: 10_000 });

    // Become available. If the toggle says what it is, it must say "on" now.
    const before = await toggleState(toggle);
    await toggle.click();
    if (before !== null) {
      await waitFor('the availability toggle to show "available"', async () => (await toggleState(toggle)) === true);
    }
    await screenshot(console_, 'console-available');

    // A requester asks for help through the API, like the app does.
    const device = await suite.host.enrolDevice('Riley Requester');
    assert.ok(device.credential, 'enrol returns a credential');
    const note = 'Outlook keeps asking for my password';
    const pointer = await suite.host.requestShare(device.credential, { topic: 'email', note });
    assert.equal(new URL(pointer.site_url).pathname, `/s/${pointer.session_id}`);
    assert.match(pointer.ws_url, /^ws:\/\/127\.0\.0\.1:\d+\/api\/v1\/ws$/);
    const requester = await SessionSocket.open(pointer.ws_url, pointer.participant_token);
    try {
      const welcome = await requester.next('welcome');
      assert.equal(welcome.snapshot.session_id, pointer.session_id);
      assert.equal(welcome.snapshot.note, note);

      // The console rings, showing what the request is about, and the expert accepts.
      const offer = console_.locator(tid('offer'));
      await offer.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match(await offer.innerText(), /Outlook keeps asking/, 'the offer shows the note');
      await screenshot(console_, 'console-offer');
      await console_.locator(tid('offer-accept')).click();

      // The expert lands on the session's co-browse site, in the session.
      const site = await sitePage(context, pointer.session_id);
      await site.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
      await requester.next('participant_joined', (m) => m.participant.role === 'expert');
      await requester.next('status', (m) => m.status === 'active');
      await waitFor('two participants on the site', async () => (await site.locator(tid('participant')).count()) === 2);

      // Chat both ways.
      requester.chat('Hi, it started this morning');
      await site
        .locator(tid('chat-message'), { hasText: 'Hi, it started this morning' })
        .waitFor({ state: 'visible', timeout: 10_000 });
      await site.locator(tid('chat-input')).fill('Let us reset it together');
      await site.locator(tid('chat-send')).click();
      const reply = await requester.next('chat', (m) => m.message.text === 'Let us reset it together');
      assert.equal(reply.message.from_name, expert.displayName);
      await site
        .locator(tid('chat-message'), { hasText: 'Let us reset it together' })
        .waitFor({ state: 'visible', timeout: 10_000 });
      await screenshot(site, 'console-session');

      // The expert ends the session; the requester is told why and its socket is closed.
      await site.locator(tid('end-session')).click();
      // Ending is asked for again, with the safe choice focused.
      await site.locator(tid('confirm-end-ok')).click();
      const ended = await requester.next('ended');
      assert.equal(ended.reason, 'ended_by_expert');
      await waitFor('the host to close the requester socket', () => requester.closed);
      const status = site.locator(tid('session-status'));
      await waitFor('the site to show the session as ended', async () => {
        const [attribute, text] = [await status.getAttribute('data-status'), await status.innerText()];
        return attribute === 'ended' || /ended|over|closed/i.test(text);
      });
      await screenshot(site, 'console-ended');
    } finally {
      requester.close();
    }
  }).finally(() => context.close());
});

test('the co-browse site admits a token from the link once, and nobody without one', { timeout: 60_000 }, async () => {
  const device = await suite.host.enrolDevice('Sam Requester');
  const note = 'The printer on floor 3 is offline';
  const pointer = await suite.host.requestShare(device.credential, { topic: 'printing', note });

  // No token: the site says so and shows nothing of the session.
  const stranger = await suite.browser.newContext();
  try {
    const page = await stranger.newPage();
    await page.goto(`${suite.host.url}/s/${pointer.session_id}`);
    await page.locator(tid('session-invalid')).waitFor({ state: 'visible', timeout: 10_000 });
    await page.goto(`${suite.host.url}/s/${pointer.session_id}#token=not-a-valid-token`);
    await page.locator(tid('session-invalid')).waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await page.locator(tid('session-view')).count(), 0);
    assert.doesNotMatch(await page.content(), /floor 3/, 'nothing of the session leaks');
    await screenshot(page, 'console-site-invalid');
  } finally {
    await stranger.close();
  }

  // The requester's token in the fragment: in, and the token leaves the address bar.
  const invited = await suite.browser.newContext();
  try {
    const page = await invited.newPage();
    await page.goto(`${suite.host.url}/s/${pointer.session_id}#token=${encodeURIComponent(pointer.participant_token)}`);
    await page.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
    await waitFor('the token to leave the address bar', () => !page.url().includes(pointer.participant_token));
    await page.reload();
    await page.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
  } finally {
    await invited.close();
  }

  // The request is cancelled, so that it does not ring in the tests after this one.
  const requester = await SessionSocket.open(pointer.ws_url, pointer.participant_token);
  try {
    requester.send({ type: 'end_session' });
    await requester.next('ended');
  } finally {
    requester.close();
  }
});

test('the API refuses cross-site posts, missing credentials and a reused enrolment code', async () => {
  const code = await suite.host.enrolmentCode('Kim Requester');
  const crossSite = await suite.host.api('POST', '/api/v1/enrol', {
    body: { code, device_name: 'x' },
    headers: { origin: 'http://evil.example' },
  });
  assert.equal(crossSite.status, 403);
  assert.equal(crossSite.body.code, 'cross_site');

  const first = await suite.host.api('POST', '/api/v1/enrol', { body: { code, device_name: 'Kim laptop' } });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const again = await suite.host.api('POST', '/api/v1/enrol', { body: { code, device_name: 'Kim laptop' } });
  assert.equal(again.status, 401);
  assert.equal(again.body.code, 'enrolment_code_used');

  const anonymous = await suite.host.api('POST', '/api/v1/shares', {
    body: { topic: 'other', app_version: 'e2e', os_version: 'node' },
  });
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.code, 'unauthenticated');

  const unknownTopic = await suite.host.api('POST', '/api/v1/shares', {
    token: first.body.credential,
    body: { topic: 'astrology', app_version: 'e2e', os_version: 'node' },
  });
  assert.equal(unknownTopic.status, 400);
  assert.equal(unknownTopic.body.code, 'unknown_topic');
});

test('a declined request goes back to the queue and rings again on the same console after the pause', { timeout: 60_000 }, async () => {
  const context = await suite.browser.newContext({ viewport: WIDE });
  await screenshotsOnFailure(context, 'console-decline', async () => {
    const page = await openConsole(context, expert, { available: true });
    const device = await suite.host.enrolDevice('Dana Requester');
    const pointer = await suite.host.requestShare(device.credential, { topic: 'email', note: 'Calendar invites vanish' });
    const requester = await SessionSocket.open(pointer.ws_url, pointer.participant_token);
    try {
      const offer = page.locator(`${tid('offer')}[data-session-id="${pointer.session_id}"]`);
      await offer.waitFor({ state: 'visible', timeout: 10_000 });
      await page.locator(tid('offer-decline')).click();
      await offer.waitFor({ state: 'detached', timeout: 5_000 });

      // The only expert on duty: nobody else got it, and the notice does not pretend so.
      const notice = page.locator(tid('console-notice'));
      const said = await notice.innerText({ timeout: 5_000 });
      assert.doesNotMatch(said, /next expert/i, `the notice after a decline: ${said}`);
      assert.match(said, /back to the queue/i, `the notice after a decline: ${said}`);
      assert.match(said, /other experts first/i, `the notice after a decline: ${said}`);

      // After the pause (1 s in this suite) it rings here again, and the notice about the
      // decline is gone: it describes what is no longer so.
      await offer.waitFor({ state: 'visible', timeout: 10_000 });
      await notice.waitFor({ state: 'detached', timeout: 5_000 });
      await screenshot(page, 'console-offer-again');

      // The requester gives up: the console says so.
      requester.send({ type: 'end_session' });
      await offer.waitFor({ state: 'detached', timeout: 10_000 });
      assert.match(await notice.innerText({ timeout: 5_000 }), /cancelled/i);
    } finally {
      requester.close();
      await endQuietly(pointer);
    }
  }).finally(() => context.close());
});

test('an expert who is away takes a request from the queue while it rings on another console', { timeout: 90_000 }, async () => {
  const anaContext = await suite.browser.newContext({ viewport: WIDE });
  const benContext = await suite.browser.newContext({ viewport: WIDE });
  benContext.on('page', (page) => recordPageErrors(page, 'ben site', suite.pageErrors));
  const body = async () => {
    const anaPage = await openConsole(anaContext, expert, { available: true });
    const benPage = await openConsole(benContext, ben);
    assert.equal(await toggleState(benPage.locator(tid('availability-toggle'))), false, 'Ben is away');

    const device = await suite.host.enrolDevice('Eli Requester');
    const pointer = await suite.host.requestShare(device.credential, { topic: 'email', note: 'Shared mailbox is missing' });
    const requester = await SessionSocket.open(pointer.ws_url, pointer.participant_token);
    try {
      // It rings on Ana's console; Ben's queue lists it as ringing elsewhere, with Take.
      await anaPage.locator(`${tid('offer')}[data-session-id="${pointer.session_id}"]`).waitFor({ state: 'visible', timeout: 10_000 });
      const entry = benPage.locator(entryOf(pointer.session_id));
      await entry.waitFor({ state: 'visible', timeout: 10_000 });
      await waitFor('the entry to show it rings elsewhere', async () => (await entry.getAttribute('data-ringing')) === 'true');
      const ringing = benPage.locator(`${entryOf(pointer.session_id)} ${tid('queue-ringing')}`);
      assert.match(await ringing.innerText(), /ringing elsewhere/i);
      // The badge shows whole: its text fits its box.
      assert.ok(await ringing.evaluate((el) => el.scrollWidth <= el.clientWidth + 1), 'the ringing badge is not clipped');
      assert.equal(await benPage.locator(`${entryOf(pointer.session_id)} ${tid('not-your-topic')}`).count(), 0, 'email is Ben\'s topic');
      await screenshotBoth(benPage, 'console-queue-ringing');
      // Ana's own queue says it rings for her.
      assert.match(await anaPage.locator(`${entryOf(pointer.session_id)} ${tid('queue-ringing')}`).innerText(), /ringing for you/i);

      // Ben takes it (with the keyboard: the button is reachable and Enter presses it).
      await benPage.locator(`${entryOf(pointer.session_id)} ${tid('take-request')}`).press('Enter');
      const site = await sitePage(benContext, pointer.session_id);
      await site.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
      const joined = await requester.next('participant_joined', (m) => m.participant.role === 'expert');
      assert.equal(joined.participant.display_name, ben.displayName);

      // Ana's offer is gone and her console says why.
      await anaPage.locator(tid('offer')).waitFor({ state: 'detached', timeout: 10_000 });
      const notice = anaPage.locator(tid('console-notice'));
      assert.match(await notice.innerText({ timeout: 5_000 }), /another expert took/i);
      await screenshot(anaPage, 'console-taken-elsewhere');

      // Ben ends; he skips the wrap-up and goes back to his console.
      await endFromSite(site);
      await site.locator(tid('wrap-up')).waitFor({ state: 'visible', timeout: 10_000 });
      await site.locator(tid('wrap-up-skip')).click();
      await site.locator(tid('wrap-up-back')).click();
      await waitFor('Ben to be back on the console', () => new URL(site.url()).pathname === '/console');
      await site.locator(tid('queue-list')).waitFor({ state: 'attached', timeout: 10_000 });
      assert.match(await site.locator(tid('console-notice')).innerText(), /last session ended/i);
    } finally {
      requester.close();
      await endQuietly(pointer);
    }
  };
  await screenshotsOnFailure(anaContext, 'console-take-ana', () => screenshotsOnFailure(benContext, 'console-take-ben', body))
    .finally(() => Promise.all([anaContext.close(), benContext.close()]));
});

test('a request outside the expert\'s skills is taken after a confirmation; wrap-up and feedback reach the report', { timeout: 120_000 }, async () => {
  const benContext = await suite.browser.newContext({ viewport: WIDE });
  const requesterContext = await suite.browser.newContext({ viewport: WIDE });
  const guestContext = await suite.browser.newContext({ viewport: WIDE });
  benContext.on('page', (page) => recordPageErrors(page, 'ben site', suite.pageErrors));
  let pointer;
  const body = async () => {
    const benPage = await openConsole(benContext, ben);

    // A requester in a browser, on the site with its token.
    const device = await suite.host.enrolDevice('Fay Requester');
    pointer = await suite.host.requestShare(device.credential, { topic: 'printing', note: 'The printer prints blank pages' });
    const requesterPage = await requesterContext.newPage();
    recordPageErrors(requesterPage, 'requester', suite.pageErrors);
    await requesterPage.goto(`${suite.host.url}/s/${pointer.session_id}#token=${encodeURIComponent(pointer.participant_token)}`);
    await requesterPage.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });

    // Printing is not Ben's: the entry says so.
    const entry = benPage.locator(entryOf(pointer.session_id));
    await entry.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await entry.getAttribute('data-skill-match'), 'false');
    await benPage.locator(`${entryOf(pointer.session_id)} ${tid('not-your-topic')}`).waitFor({ state: 'visible' });
    await screenshotBoth(benPage, 'console-queue-not-your-topic');

    // Take asks first; Leave it changes nothing.
    const take = benPage.locator(`${entryOf(pointer.session_id)} ${tid('take-request')}`);
    await take.click();
    const confirm = benPage.locator(tid('confirm-take'));
    await confirm.waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await confirm.innerText(), /take it anyway/i);
    assert.match(await confirm.innerText(), /override/i);
    await screenshotBoth(benPage, 'console-take-confirm');
    await benPage.locator(tid('confirm-take-cancel')).click();
    await confirm.waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(new URL(benPage.url()).pathname, '/console', 'still on the console');
    await entry.waitFor({ state: 'visible' });

    // Taken anyway: Ben is in the session.
    await take.click();
    await benPage.locator(tid('confirm-take-ok')).click();
    const site = await sitePage(benContext, pointer.session_id);
    await site.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });
    await waitFor('the requester to see Ben join', async () => (await requesterPage.locator(`${tid('participant')}[data-role="expert"]`).count()) === 1);

    // The requester invites a guest, who joins by the link.
    const invite = await suite.host.api('POST', `/api/v1/sessions/${pointer.session_id}/guests`, {
      token: pointer.participant_token,
      body: { display_name: 'Gil Guest', may_draw: false },
    });
    assert.equal(invite.status, 201, JSON.stringify(invite.body));
    const guestPage = await guestContext.newPage();
    recordPageErrors(guestPage, 'guest', suite.pageErrors);
    await guestPage.goto(invite.body.link);
    await guestPage.locator(tid('session-view')).waitFor({ state: 'visible', timeout: 10_000 });

    // Ben ends. His page offers the wrap-up, the requester's the feedback; no connection pill
    // that could read like someone's status.
    await endFromSite(site);
    const wrapUp = site.locator(tid('wrap-up'));
    await wrapUp.waitFor({ state: 'visible', timeout: 10_000 });
    await requesterPage.locator(tid('feedback')).waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await site.locator(tid('feedback')).count(), 0, 'no feedback form for the expert');
    assert.equal(await requesterPage.locator(tid('wrap-up')).count(), 0, 'no wrap-up for the requester');
    assert.equal(await site.locator(tid('connection-state')).count(), 0, 'no "Offline" pill after the end');
    // The guest gets neither form.
    await waitFor('the guest to see the end', async () => (await guestPage.locator(tid('session-status')).getAttribute('data-status')) === 'ended');
    assert.equal(await guestPage.locator(tid('wrap-up')).count(), 0, 'no wrap-up for a guest');
    assert.equal(await guestPage.locator(tid('feedback')).count(), 0, 'no feedback form for a guest');
    await screenshotBoth(site, 'site-wrap-up');
    await screenshotBoth(requesterPage, 'site-feedback');

    // Nothing is picked for the expert: saving without an outcome says what is missing.
    await site.locator(tid('wrap-up-save')).click();
    await site.locator(tid('wrap-up-error')).waitFor({ state: 'visible', timeout: 5_000 });
    await site.locator(`${tid('wrap-up-outcome')}[value="workaround"]`).click();
    await site.locator(tid('wrap-up-note')).fill('Reinstalled the driver; the tray sensor needs a technician.');
    await site.locator(tid('wrap-up-save')).click();
    await site.locator(tid('wrap-up-saved')).waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await site.locator(tid('wrap-up-back')).count(), 1, 'a way back to the console');
    await screenshot(site, 'site-wrap-up-saved');

    // The requester: "did this solve it?" is required; then Yes, four stars and a comment.
    await requesterPage.locator(tid('feedback-send')).click();
    await requesterPage.locator(tid('feedback-error')).waitFor({ state: 'visible', timeout: 5_000 });
    await requesterPage.locator(tid('feedback-solved-yes')).click();
    await requesterPage.locator(`${tid('feedback-rating')}[value="4"]`).click();
    await requesterPage.locator(tid('feedback-comment')).fill('Quick and friendly');
    await screenshot(requesterPage, 'site-feedback-filled');
    await requesterPage.locator(tid('feedback-send')).click();
    await requesterPage.locator(tid('feedback-thanks')).waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(requesterPage, 'site-feedback-thanks');

    // Both are in the host's records: the operator's report has them.
    const report = await suite.host.report();
    const printing = report.topics.find((t) => t.group === 'printing');
    assert.ok(printing, `a printing row in the report: ${JSON.stringify(report.topics)}`);
    assert.equal(printing.feedback, 1);
    assert.equal(printing.solved_share, 1);
    assert.equal(printing.rating_mean, 4);
    assert.equal(printing.outcomes.workaround, 1, JSON.stringify(printing.outcomes));
    assert.equal(printing.overrides, 1);
    const byBen = report.experts.find((e) => e.group === ben.username);
    assert.ok(byBen, `Ben in the report: ${JSON.stringify(report.experts)}`);
    assert.equal(byBen.overrides, 1);
    assert.equal(byBen.rating_mean, 4);
    assert.equal(byBen.outcomes.workaround, 1);
  };
  await screenshotsOnFailure(benContext, 'console-override-ben', () => screenshotsOnFailure(requesterContext, 'console-override-requester', body))
    .finally(() => Promise.all([benContext.close(), requesterContext.close(), guestContext.close(), pointer && endQuietly(pointer)]));
});

test('a missed ring sets the expert away; the notice says so and offers Available', { timeout: 60_000 }, async () => {
  // A host of its own whose offers ring for 2 s only.
  const host = new Host({ name: `host-console-missed${outputSuffix}`, offerTimeoutSecs: 2, reofferPauseSecs: 1 });
  await host.addExpert(expert);
  await host.start();
  const context = await suite.browser.newContext({ viewport: WIDE });
  try {
    await screenshotsOnFailure(context, 'console-missed', async () => {
      const page = await openConsole(context, expert, { available: true, url: host.url });
      const device = await host.enrolDevice('Gus Requester');
      const pointer = await host.requestShare(device.credential, { topic: 'network', note: 'VPN will not connect' });
      const requester = await SessionSocket.open(pointer.ws_url, pointer.participant_token);
      try {
        const offer = page.locator(`${tid('offer')}[data-session-id="${pointer.session_id}"]`);
        await offer.waitFor({ state: 'visible', timeout: 10_000 });
        await offer.waitFor({ state: 'detached', timeout: 10_000 });

        // Away now, and told so, truthfully, with the way back right there.
        const toggle = page.locator(tid('availability-toggle'));
        await waitFor('the console to show the expert away', async () => (await toggleState(toggle)) === false);
        const notice = page.locator(tid('console-notice'));
        const said = await notice.innerText({ timeout: 5_000 });
        assert.doesNotMatch(said, /next expert/i, `the notice after a missed ring: ${said}`);
        assert.match(said, /away/i, `the notice after a missed ring: ${said}`);
        await screenshot(page, 'console-missed-ring');

        // "Available" in the notice: available again, the notice goes, the request rings again.
        await page.locator(tid('notice-available')).click();
        await waitFor('the console to show the expert available', async () => (await toggleState(toggle)) === true);
        await notice.waitFor({ state: 'detached', timeout: 5_000 });
        await offer.waitFor({ state: 'visible', timeout: 10_000 });
        requester.send({ type: 'end_session' });
        await requester.next('ended');
      } finally {
        requester.close();
        await endQuietly(pointer);
      }
    });
  } finally {
    await context.close();
    await host.stop();
  }
});
