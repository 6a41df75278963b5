// The desktop app's real window, driven through tauri-driver, which starts WebKitWebDriver,
// which starts the app. Plain W3C WebDriver over fetch: JSON over HTTP.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { createWriteStream } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { appBin, outputDir, repoRoot } from './paths.mjs';
import { waitFor } from './wait.mjs';

/** The W3C web element identifier: the key under which an element reference comes. */
const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';

export const nativeDriver = process.env.INSTANT_SHARE_NATIVE_DRIVER ?? '/usr/bin/WebKitWebDriver';

/** A loopback port nobody listens on right now. */
export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** tauri-driver with its native driver, on free ports. */
export class TauriDriver {
  /**
   * @param {{env?: object, name?: string, run?: (command: string, args: string[], options: object) => import('node:child_process').ChildProcess}} [options]
   * env: the app inherits it; run: starts tauri-driver instead of `spawn` (in another desktop
   * session, as another user: tests/lib/wayland.mjs), with `env` added to that session's.
   */
  static async start({ env = {}, name = 'tauri-driver', run } = {}) {
    await access(nativeDriver).catch(() => {
      throw new Error(`no ${nativeDriver}: install webkit2gtk-driver (scripts/deps.sh test)`);
    });
    const port = await freePort();
    const nativePort = await freePort();
    await mkdir(outputDir, { recursive: true });
    const log = createWriteStream(path.join(outputDir, `${name}.log`));
    const args = ['--port', String(port), '--native-port', String(nativePort), '--native-driver', nativeDriver];
    const child = run
      ? run('tauri-driver', args, { extraEnv: env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('tauri-driver', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const driver = new TauriDriver(child, `http://127.0.0.1:${port}`, run);
    const spawnError = once(child, 'error').then(([error]) => {
      throw new Error(`tauri-driver did not start: ${error.message} (is it on PATH? scripts/deps.sh test installs it)`);
    });
    spawnError.catch(() => {});
    // Ready when the native driver behind it answers /status.
    await Promise.race([
      spawnError,
      waitFor(
        'tauri-driver and WebKitWebDriver to answer /status',
        async () => {
          if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
          const response = await fetch(`${driver.url}/status`);
          if (!response.ok) return false;
          const { value } = await response.json();
          return value?.ready !== false;
        },
        { timeout: 20_000, interval: 100 },
      ),
    ]);
    return driver;
  }

  constructor(child, url, run) {
    this.child = child;
    this.url = url;
    this.run = run;
    this.exited = once(child, 'exit');
  }

  /** Starts the app and returns its session. */
  async newSession({ application = appBin, args = [], pageLoadStrategy } = {}) {
    await access(application).catch(() => {
      throw new Error(`no app binary at ${application}: build it (cargo build -p instant-share)`);
    });
    // One instance per user: an app of the suite before that is still closing would take this
    // launch over (and this one would exit at once).
    await waitAppGone(15_000, this.run);
    const { value } = await request(this.url, 'POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application, args }, ...(pageLoadStrategy ? { pageLoadStrategy } : {}) } },
    });
    const session = new AppSession(this.url, value.sessionId);
    await session.checkEmbeddedUi();
    return session;
  }

  /** Stops tauri-driver (it stops WebKitWebDriver). */
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(killer);
    }
  }
}

/**
 * How long one WebDriver command may take. Some never answer (WebKitWebDriver waits for a
 * rendering update of a window that does not render): the command then fails with its name
 * instead of hanging the suite until the test's own timeout, which says nothing.
 */
const COMMAND_TIMEOUT = Number(process.env.E2E_WEBDRIVER_TIMEOUT ?? 60_000);

async function request(base, method, urlPath, body, timeout = COMMAND_TIMEOUT) {
  let response;
  try {
    response = await fetch(`${base}${urlPath}`, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    if (error.name === 'TimeoutError') {
      const timedOut = new Error(`WebDriver ${method} ${urlPath}: no answer in ${timeout} ms`);
      timedOut.webdriverError = 'timeout';
      throw timedOut;
    }
    throw error;
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`WebDriver ${method} ${urlPath}: HTTP ${response.status}, not JSON: ${text.slice(0, 500)}`);
  }
  if (!response.ok || json?.value?.error) {
    const error = new Error(
      `WebDriver ${method} ${urlPath}: ${json?.value?.error ?? response.status}: ${json?.value?.message ?? text.slice(0, 500)}`,
    );
    error.webdriverError = json?.value?.error;
    throw error;
  }
  return json;
}

/** A `[data-testid=…]` selector. */
export const tid = (id) => `[data-testid="${id}"]`;

const run = promisify(execFile);

/**
 * X ids of the app's visible top-level windows (there is no window manager under Xvfb). The
 * title starts with "Instant Share" (it goes on with what is live during a call).
 */
export async function visibleAppWindows() {
  try {
    const { stdout } = await run('xdotool', ['search', '--onlyvisible', '--name', '^Instant Share']);
    return stdout.split('\n').filter(Boolean);
  } catch (error) {
    if (error.code === 1) return []; // xdotool: nothing found
    throw error;
  }
}

/** Titles of the app's visible top-level windows. */
export async function appWindowTitles() {
  const titles = [];
  for (const id of await visibleAppWindows()) titles.push((await run('xdotool', ['getwindowname', id])).stdout.trim());
  return titles;
}

/** Closes the window `id` as a window manager's close button would (WM_DELETE_WINDOW). */
export async function closeWindow(id) {
  await run('python3', [path.join(path.dirname(new URL(import.meta.url).pathname), 'wm_close.py'), id]);
}

/** One WebDriver session: the app's main window. */
export class AppSession {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  /**
   * Fails at once, with the fix, when the window does not show the embedded UI: an app built
   * without `--features instant-share/custom-protocol` loads the dev server, or nothing
   * (`about:blank`) when none is configured — and every later wait would only time out.
   */
  async checkEmbeddedUi() {
    const fix = 'build the app with --features instant-share/custom-protocol (scripts/test.sh does)';
    const url = await waitFor(
      'the app window to load its UI',
      async () => {
        const current = await this.cmd('GET', '/url');
        return current && current !== 'about:blank' ? current : null;
      },
      { timeout: 15_000, interval: 200 },
    ).catch(() => {
      throw new Error(`the app window stays on about:blank: ${fix}`);
    });
    if (/^https?:\/\/localhost:\d+/.test(url)) throw new Error(`the app loads ${url}, a dev server: ${fix}`);
  }

  /** One WebDriver command of this session; `timeout`: how long it may take (ms). */
  async cmd(method, urlPath, body, timeout = undefined) {
    return (await request(this.base, method, `/session/${this.id}${urlPath}`, body, timeout)).value;
  }

  /** Every element matching a CSS selector (ids, possibly none). */
  async findAll(selector) {
    const found = await this.cmd('POST', '/elements', { using: 'css selector', value: selector });
    return found.map((element) => {
      const id = element[ELEMENT_KEY];
      if (typeof id !== 'string') throw new Error(`not a web element reference: ${JSON.stringify(element)}`);
      return id;
    });
  }

  /** The first *displayed* element matching `selector`, or undefined. */
  async findVisible(selector) {
    for (const element of await this.findAll(selector)) {
      try {
        if (await this.cmd('GET', `/element/${element}/displayed`)) return element;
      } catch (error) {
        if (error.webdriverError !== 'stale element reference') throw error;
      }
    }
    return undefined;
  }

  /** Waits until an element matching `selector` is displayed; returns its id. */
  async waitVisible(selector, timeout = 10_000) {
    return waitFor(`${selector} to be displayed in the app`, () => this.findVisible(selector), { timeout });
  }

  /** Waits until nothing matching `selector` is displayed. */
  async waitGone(selector, timeout = 10_000) {
    return waitFor(`${selector} to disappear from the app`, async () => !(await this.findVisible(selector)), {
      timeout,
    });
  }

  /** Waits until the displayed element's text satisfies `predicate`; returns the text. */
  async waitText(selector, predicate, timeout = 10_000) {
    let last = '(not displayed)';
    return waitFor(
      () => `${selector} text to match (last seen: ${JSON.stringify(last)})`,
      async () => {
        const element = await this.findVisible(selector);
        if (!element) return false;
        last = await this.cmd('GET', `/element/${element}/text`);
        return predicate(last) ? last : false;
      },
      { timeout },
    );
  }

  async click(selector, timeout = 10_000) {
    const element = await this.waitVisible(selector, timeout);
    await this.cmd('POST', `/element/${element}/click`, {});
  }

  /**
   * Clicks the displayed element `selector` from the page's own script. For a button whose
   * click hides its window (the sharing bar's Stop): WebDriver's click waits for the window's
   * next rendering update, which a hidden window never makes, and the whole session hangs.
   */
  async clickInPage(selector, timeout = 10_000) {
    await this.waitVisible(selector, timeout);
    const clicked = await this.execute(
      `const element = document.querySelector(arguments[0]);
       if (!element || element.disabled) return false;
       element.click();
       return true;`,
      [selector],
    );
    if (!clicked) throw new Error(`${selector} is gone or disabled: cannot click it`);
  }

  /** Clears a field and types `text` into it. */
  async type(selector, text, timeout = 10_000) {
    const element = await this.waitVisible(selector, timeout);
    await this.cmd('POST', `/element/${element}/clear`, {});
    await this.cmd('POST', `/element/${element}/value`, { text });
  }

  async value(selector) {
    const element = await this.waitVisible(selector);
    return this.cmd('GET', `/element/${element}/property/value`);
  }

  async execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Runs the app's Tauri command `command` from its page; rejects with its error. */
  async invoke(command, args = {}) {
    const result = await this.cmd('POST', '/execute/async', {
      script: `const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(
          (value) => done({ value }),
          (error) => done({ error: typeof error === 'string' ? error : JSON.stringify(error) }));`,
      args: [command, args],
    });
    if (result && 'error' in result) throw new Error(`${command}: ${result.error}`);
    return result?.value;
  }

  /**
   * Ends any session and forgets the enrolment: the app suites share one HOME (one `make e2e`
   * run), and the next one starts from the enrol form.
   */
  async forgetEnrolment() {
    await this.invoke('end_session').catch(() => {});
    await this.invoke('forget_enrolment').catch((error) => console.log(`forgetting the enrolment: ${error.message}`));
  }

  /** Presses a key in the window (where the focus is). */
  async press(key) {
    await this.cmd('POST', '/actions', {
      actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value: key }, { type: 'keyUp', value: key }] }],
    });
    await this.cmd('DELETE', '/actions');
  }

  /**
   * Drags the mouse over the displayed element `selector` from `from` to `to`, each a fraction
   * `[x, y]` of its size (WebDriver pointer actions: real pointer events in the page).
   */
  async drag(selector, from, to, steps = 8) {
    const element = await this.waitVisible(selector);
    const rect = await this.cmd('GET', `/element/${element}/rect`);
    // Offsets are from the element's centre.
    const at = ([fx, fy]) => ({ x: Math.round((fx - 0.5) * rect.width), y: Math.round((fy - 0.5) * rect.height) });
    const origin = { [ELEMENT_KEY]: element };
    const moves = [];
    for (let i = 1; i <= steps; i++) {
      const f = [from[0] + ((to[0] - from[0]) * i) / steps, from[1] + ((to[1] - from[1]) * i) / steps];
      moves.push({ type: 'pointerMove', duration: 20, origin, ...at(f) });
    }
    await this.cmd('POST', '/actions', {
      actions: [
        {
          type: 'pointer',
          id: 'mouse',
          parameters: { pointerType: 'mouse' },
          actions: [{ type: 'pointerMove', duration: 0, origin, ...at(from) }, { type: 'pointerDown', button: 0 }, ...moves, { type: 'pointerUp', button: 0 }],
        },
      ],
    });
    await this.cmd('DELETE', '/actions');
  }

  /** The attribute `name` of the first element matching `selector` (displayed or not). */
  async attribute(selector, name) {
    const [element] = await this.findAll(selector);
    return element ? this.cmd('GET', `/element/${element}/attribute/${name}`) : null;
  }

  /**
   * A screenshot of the window as PNG bytes.
   *
   * WebKitWebDriver's screenshot waits for the page's next rendering update. Without a GPU the
   * app turns WebKit's accelerated compositing off (src-tauri/src/lib.rs), and then a page where
   * nothing changes has no next update: the command hangs for minutes. A one-pixel element
   * with a running CSS animation, there only for the screenshot, keeps updates coming.
   */
  async png() {
    await this.execute(`
      if (!document.getElementById('__wd-repaint')) {
        const style = document.createElement('style');
        style.id = '__wd-repaint-style';
        style.textContent = '@keyframes __wd-repaint { from { opacity: 0.01 } to { opacity: 0.02 } }';
        const dot = document.createElement('div');
        dot.id = '__wd-repaint';
        dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;animation:__wd-repaint 0.1s infinite alternate';
        document.head.append(style);
        document.body.append(dot);
      }`);
    try {
      return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
    } finally {
      await this.execute(`document.getElementById('__wd-repaint')?.remove(); document.getElementById('__wd-repaint-style')?.remove();`).catch(() => {});
    }
  }

  /**
   * The whole X screen as the app captures it natively for a screenshot (PNG bytes): what the
   * user sees, every window included; nothing is shared.
   */
  async nativeScreen() {
    const base64 = await this.cmd('POST', '/execute/async', {
      script: `const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('take_screenshot').then((buffer) => {
          const bytes = new Uint8Array(buffer);
          let s = '';
          for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          done(btoa(s));
        }, () => done(null));`,
      args: [],
    });
    if (!base64) throw new Error('the app could not take a screenshot');
    return Buffer.from(base64, 'base64');
  }

  /** Saves a screenshot of the window as tests/output/NAME.png; returns the PNG bytes. */
  async screenshot(name) {
    const png = await this.png();
    await mkdir(outputDir, { recursive: true });
    await writeFile(path.join(outputDir, `${name}.png`), png);
    return png;
  }

  /** Ends the session, which closes the app; `timeout` (ms) for an app that is gone. */
  async close(timeout = undefined) {
    await this.cmd('DELETE', '', undefined, timeout);
  }
}

/**
 * The app's bundle identifier (the Linux file's, where it sets one): the single-instance plugin
 * owns the D-Bus name `<identifier>.SingleInstance` while the app runs.
 */
export async function appIdentifier() {
  let identifier;
  for (const name of ['tauri.conf.json', 'tauri.linux.conf.json']) {
    const text = await readFile(path.join(repoRoot, name), 'utf8').catch(() => null);
    if (text) identifier = JSON.parse(text).identifier ?? identifier;
  }
  if (!identifier) throw new Error('tauri.conf.json has no identifier');
  return identifier;
}

/**
 * Whether an app instance owns the single-instance name on this session bus, or on the bus of
 * the session that `runIn` starts programs in (as `TauriDriver.start`'s `run`).
 */
export async function appRunning(runIn) {
  const name = `${await appIdentifier()}.SingleInstance`;
  const args = ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`];
  if (!runIn) return /boolean true/.test((await run('dbus-send', args)).stdout);
  const child = runIn('dbus-send', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`dbus-send in the session failed (${code})`);
  return /boolean true/.test(stdout);
}

/**
 * Waits until no app instance runs: the next one started must be a first instance, not one
 * that hands over to a closing app and exits.
 */
export async function waitAppGone(timeout = 15_000, runIn = undefined) {
  await waitFor('the app to exit (its single-instance D-Bus name released)', async () => !(await appRunning(runIn)), { timeout });
}

/**
 * Starts the app binary again, as a desktop does for a second launch or for an
 * `instant-share://` link (on Linux and Windows the link is the only argument). The second
 * instance must hand its arguments over to the running one and exit; resolves to its exit code,
 * and kills it (and fails) if it is still running after `timeout`.
 */
export async function launchAgain(args = [], { env = {}, timeout = 20_000 } = {}) {
  const child = spawn(appBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  const [code, signal] = await exited;
  clearTimeout(timer);
  if (signal) throw new Error(`the second instance was still running after ${timeout} ms (killed); it did not hand over:\n${output.slice(-2000)}`);
  return { code, output };
}
