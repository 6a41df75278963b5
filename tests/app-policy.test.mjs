// Set up by IT, not by each employee: the real app window under Xvfb (tauri-driver +
// WebKitWebDriver) and the real host, with the IT department's policy file given through
// INSTANT_SHARE_POLICY (never the machine's /etc/instant-share/policy.json):
// - a malformed policy file is a clear error in the window and in the log; the app does not
//   enrol (not from the form, not through its command) and the code stays unspent;
// - the policy's host wins over the address the user had; unlocked, the user may change it;
// - locked, the field is read-only and says IT set it, the `enrol` command refuses another host,
//   and an enrolment link to another host is refused with a clear message; with `updates: false`
//   the app does not look for updates of its own (IT deploys them) and says so;
// - an enrolment link printed by the host's CLI, opened as a desktop opens it (the app binary
//   started again with the link as its only argument), reaches the running app — the second
//   instance hands over and exits — which asks which host and enrols once the user says yes;
//   a second plain launch brings the hidden window forward.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Host } from './lib/host.mjs';
import { TauriDriver, tid, launchAgain, waitAppGone, visibleAppWindows, closeWindow } from './lib/app.mjs';
import { outputDir } from './lib/paths.mjs';
import { waitFor } from './lib/wait.mjs';

let host;
let scratch;
/** The app of the running test, closed by `stopApp`. */
let current = null;

before(async () => {
  assert.ok(process.env.DISPLAY, 'the app needs a display: run through scripts/e2e.sh (Xvfb)');
  scratch = await mkdtemp(path.join(os.tmpdir(), 'instant-share-policy-'));
  host = new Host({ name: 'host-app-policy' });
  await host.start();
  // The suite before may still be closing its app: ours must be the first instance.
  await waitAppGone();
});

after(async () => {
  await stopApp();
  await host?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/**
 * Starts the app with a policy file holding `policy` (a string, written as is; none when
 * undefined) and a config.json holding `config`. Returns the session and the environment the
 * app runs with (a second launch must have the same).
 */
async function startApp(name, { policy, config } = {}) {
  const dir = path.join(scratch, name);
  const configDir = path.join(dir, 'config');
  await mkdir(configDir, { recursive: true });
  const policyPath = path.join(dir, 'policy.json');
  if (policy !== undefined) await writeFile(policyPath, policy);
  if (config !== undefined) await writeFile(path.join(configDir, 'config.json'), JSON.stringify(config));
  const env = { INSTANT_SHARE_POLICY: policyPath, INSTANT_SHARE_CONFIG_DIR: configDir, RUST_LOG: 'info' };
  const logName = `app-policy-${name}-tauri-driver`;
  const driver = await TauriDriver.start({ name: logName, env });
  const app = await driver.newSession();
  current = { app, driver, name };
  await app.waitVisible(tid('enrol-host'), 30_000);
  return { app, env, policyPath, log: path.join(outputDir, `${logName}.log`) };
}

/** Closes the running app and waits until it has exited. */
async function stopApp() {
  if (!current) return;
  const { app, driver } = current;
  current = null;
  await app.close().catch((error) => console.log(`closing the app: ${error.message}`));
  await driver.stop();
  await waitAppGone();
}

/** Runs `flow`, with a screenshot of the window if it fails, and closes the app after. */
async function withScreenshot(name, flow) {
  try {
    await flow();
  } catch (error) {
    await current?.app.screenshot(`app-policy-${name}-failure`).catch(() => {});
    throw error;
  } finally {
    await stopApp();
  }
}

/** The rejection of a Tauri command as `{code, message}`. */
async function refusal(app, command, args) {
  const error = await app.invoke(command, args).then(
    () => assert.fail(`${command} should have been refused`),
    (e) => e,
  );
  // WebKitWebDriver reports the script's `{error}` as an error of its own, which quotes it.
  const found = /\{"code":"[a-z_]+","message":"(?:[^"\\]|\\.)*"\}/.exec(error.message);
  try {
    return JSON.parse(found[0]);
  } catch {
    throw new Error(`${command} failed without an ApiError: ${error.message}`);
  }
}

test('a malformed policy file is a clear error in the window and the log, and nothing enrols', { timeout: 120_000 }, () =>
  withScreenshot('broken', async () => {
    const { app, policyPath, log } = await startApp('broken', {
      policy: `{"host_url": "${host.url}", "lock_host": tru}`,
    });
    const text = await app.waitText(tid('policy-error'), (t) => t.includes(policyPath), 15_000);
    assert.match(text, /cannot be used/);
    assert.match(text, /ask your IT department/i);
    await app.screenshot('app-policy-broken');
    // The window does not offer to connect; the command layer refuses too, before the code is
    // spent: the host still takes it afterwards.
    assert.equal(await app.attribute(tid('enrol-submit'), 'disabled'), 'true');
    const code = await host.enrolmentCode('Broken Policy');
    const refused = await refusal(app, 'enrol', { hostUrl: host.url, code });
    assert.equal(refused.code, 'policy_invalid');
    assert.ok(refused.message.includes(policyPath), refused.message);
    const { status } = await host.api('POST', '/api/v1/enrol', { body: { code, device_name: 'proof the code was unspent' } });
    assert.equal(status, 200);
    // The log says it too, naming the file.
    const logged = await waitFor('the policy error in the app log', async () => {
      const lines = (await readFile(log, 'utf8')).split('\n');
      return lines.find((l) => l.includes('ERROR') && l.includes(policyPath));
    });
    assert.match(logged, /cannot be used/);
  }));

test("the policy's host wins over the user's; unlocked, the user may change it", { timeout: 120_000 }, () =>
  withScreenshot('preset', async () => {
    const { app } = await startApp('preset', {
      policy: JSON.stringify({ host_url: host.url }),
      config: { host_url: 'https://old.example.com' },
    });
    assert.equal(await app.value(tid('enrol-host')), host.url);
    assert.equal(await app.attribute(tid('enrol-host'), 'readonly'), null);
    assert.equal(await app.findVisible(tid('enrol-host-managed')), undefined);
    await app.type(tid('enrol-host'), 'help.example.org');
    await app.waitText(tid('enrol-host-understood'), (t) => t.includes('Connects to https://help.example.org'));
  }));

test('a locked host cannot be changed in the window or by a command; a link to another host is refused', { timeout: 180_000 }, () =>
  withScreenshot('locked', async () => {
    const { app, env } = await startApp('locked', {
      policy: JSON.stringify({ host_url: host.url, lock_host: true, updates: false }),
      config: { host_url: 'https://old.example.com' },
    });
    assert.equal(await app.value(tid('enrol-host')), host.url);
    assert.equal(await app.attribute(tid('enrol-host'), 'readonly'), 'true');
    await app.waitText(tid('enrol-host-managed'), (t) => t === 'Set by your IT department.');
    await app.screenshot('app-policy-locked');

    // Not only the window: the command refuses another host, and the code stays unspent.
    const code = await host.enrolmentCode('Lee Locked');
    const refused = await refusal(app, 'enrol', { hostUrl: 'https://elsewhere.example.com', code });
    assert.equal(refused.code, 'set_by_policy');
    assert.ok(refused.message.includes(host.url), refused.message);

    // A link to another host, opened while the app runs, is refused and says why.
    const other = `instant-share://enrol?host=${encodeURIComponent('https://elsewhere.example.com')}&code=${code}`;
    assert.equal((await launchAgain([other], { env })).code, 0);
    const banner = await app.waitText(tid('error-banner'), (t) => t.includes('elsewhere.example.com'), 15_000);
    assert.ok(banner.includes(`set this computer's help host to ${host.url}`), banner);
    assert.equal(await app.findVisible(tid('enrol-link')), undefined);

    // The form with the locked host and the code enrols.
    await app.type(tid('enrol-code'), code);
    await app.click(tid('enrol-submit'));
    await app.waitVisible(tid('share-button'), 15_000);
    const state = await app.invoke('get_state');
    assert.equal(state.host_url, host.url);
    assert.equal(state.employee_name, 'Lee Locked');
    assert.equal(state.policy.host_locked, true);

    // IT deploys the new versions (`updates: false`): the app does not ask the host.
    await app.click(tid('update-check'));
    await app.waitText(tid('update-status'), (t) => t.includes('Updates are managed by your IT department.'));
  }));

test("the host's enrolment link enrols the running app after the user confirms; one instance only", { timeout: 180_000 }, () =>
  withScreenshot('link', async () => {
    // No policy file at the path: the user chooses.
    const { app, env } = await startApp('link');
    const { link, code } = await host.enrolmentLink('Robin Link');
    assert.ok(link.includes(`code=${code}`), link);

    // Opened as the desktop opens it: a second instance with the link, which hands over and
    // exits at once.
    const second = await launchAgain([link], { env });
    assert.equal(second.code, 0, second.output);
    assert.equal(await app.waitText(tid('enrol-link-host'), (t) => t.length > 0, 15_000), host.url);
    await app.screenshot('app-enrol-link');
    // Cancel sends nothing and goes back to the form.
    await app.click(tid('enrol-link-decline'));
    await app.waitVisible(tid('enrol-host'));

    await launchAgain([link], { env });
    await app.click(tid('enrol-link-accept'), 15_000);
    await app.waitVisible(tid('share-button'), 15_000);
    const state = await app.invoke('get_state');
    assert.equal(state.host_url, host.url);
    assert.equal(state.employee_name, 'Robin Link');
    assert.equal(state.enrolment_link, null);

    // A link that is not one is refused with the reason; a good one while enrolled says so.
    await launchAgain([`instant-share://enrol?host=${encodeURIComponent('http://evil.example.com')}&code=ABCD-EFGH-JKMN`], { env });
    await app.waitText(tid('error-banner'), (t) => /This enrolment link cannot be used/.test(t) && t.includes('https://'), 15_000);
    await launchAgain([link], { env });
    await app.waitText(tid('error-banner'), (t) => t.includes(`already connected to ${host.url}`), 15_000);

    // A plain second launch brings the window back from the tray.
    const [window] = await visibleAppWindows();
    assert.ok(window, 'the app window is on the screen');
    await closeWindow(window);
    await waitFor('the window to hide', async () => (await visibleAppWindows()).length === 0);
    assert.equal((await launchAgain([], { env })).code, 0);
    await waitFor('the window to come back', async () => (await visibleAppWindows()).length > 0, { timeout: 10_000 });
  }));
