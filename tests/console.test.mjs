// The expert console and the co-browse site in Chromium or Firefox (E2E_BROWSER), against the
// real host binary. The requester is played by this test through the HTTP API and a session
// WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionSocket } from './lib/host.mjs';
import { tid, screenshot, recordPageErrors, screenshotsOnFailure } from './lib/browser.mjs';
import { browserSuite } from './lib/suite.mjs';
import { waitFor } from './lib/wait.mjs';

const expert = { username: 'ana', displayName: 'Ana Expert', password: 'correct horse battery staple' };

const suite = browserSuite({ name: 'host-console', experts: [expert], firefox: true });

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

async function signIn(page, password) {
  await page.locator(tid('login-username')).fill(expert.username);
  await page.locator(tid('login-password')).fill(password);
  await page.locator(tid('login-submit')).click();
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
