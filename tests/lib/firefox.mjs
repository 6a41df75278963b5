// Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi (never a downloaded
// browser), behind the few Playwright calls that the console and call suites make, so that their
// bodies run unchanged in either browser (lib/browser.mjs picks one). Only those calls are here;
// a suite that needs another one adds it to both browsers' code paths, not a workaround.
import puppeteer from 'puppeteer-core';
import { waitFor } from './wait.mjs';

export const firefoxPath = process.env.INSTANT_SHARE_FIREFOX ?? '/usr/bin/firefox-esr';

/** Playwright's default time for an action or a wait without its own `timeout`. */
const DEFAULT_TIMEOUT = 30_000;

/**
 * The test profile: the counterparts of Chromium's flags in lib/browser.mjs, for this machine
 * only. Firefox's autoplay policy is left as a user has it: here ESR 153 held back neither an
 * AudioContext (media.autoplay.default 0, 1 and 5 tried) nor the other side's <audio> before
 * any click, so --autoplay-policy needs no counterpart.
 */
const prefs = {
  // --use-fake-device-for-media-stream, --use-fake-ui-for-media-stream
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // --allow-loopback-in-peer-connection: both pages and the host are on this machine.
  'media.peerconnection.ice.loopback': true,
  // A sound card that is not there: without an output device Firefox never starts an
  // AudioContext (it stays "suspended" and resume() never settles), which would silence the
  // synthetic tone and the test's own analyser; Chromium falls back to a fake output by itself.
  'media.cubeb.force_mock_context': true,
};

/** Launches headless Firefox ESR with a new temporary profile (puppeteer makes and removes it). */
export async function launchFirefox() {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: firefoxPath,
    headless: true,
    extraPrefsFirefox: prefs,
    defaultViewport: { width: 1280, height: 720 },
  });
  return {
    async newContext({ viewport } = {}) {
      return new FirefoxContext(await browser.createBrowserContext(), viewport);
    },
    close: () => browser.close(),
  };
}

/** A BiDi user context: its own cookies and storage, like a Playwright browser context. */
class FirefoxContext {
  #context;
  #viewport;
  #pages = new Map();
  #listeners = [];

  constructor(context, viewport) {
    this.#context = context;
    this.#viewport = viewport;
    // Every new page, as Playwright's `page` event: the ones newPage makes (announced before it
    // returns) and the ones a page opens.
    context.on('targetcreated', async (target) => {
      if (target.type() !== 'page') return;
      const page = await target.page().catch(() => null);
      if (page) this.#adopt(page);
    });
  }

  /** A new page in a window of its own: a tab behind another shows no video frames. */
  async newPage() {
    const page = await this.#context.newPage({ type: 'window' });
    const wrapped = this.#adopt(page);
    if (this.#viewport) await page.setViewport(this.#viewport);
    return wrapped;
  }

  pages() {
    return [...this.#pages.values()].filter((page) => !page.closed);
  }

  on(event, listener) {
    if (event !== 'page') throw new Error(`the Firefox layer has no context event '${event}'`);
    this.#listeners.push(listener);
  }

  close() {
    return this.#context.close();
  }

  #adopt(page) {
    let wrapped = this.#pages.get(page);
    if (!wrapped) {
      this.#pages.set(page, (wrapped = new FirefoxPage(page)));
      for (const listener of this.#listeners) listener(wrapped);
    }
    return wrapped;
  }
}

/** A page with Playwright's names for what the suites do with one. */
class FirefoxPage {
  #page;

  constructor(page) {
    this.#page = page;
    this.keyboard = { press: (key) => page.keyboard.press(key) };
  }

  get closed() {
    return this.#page.isClosed();
  }

  goto(url) {
    return this.#page.goto(url, { waitUntil: 'load' });
  }

  reload() {
    return this.#page.reload({ waitUntil: 'load' });
  }

  url() {
    return this.#page.url();
  }

  content() {
    return this.#page.content();
  }

  evaluate(fn, arg) {
    return this.#page.evaluate(fn, arg);
  }

  addInitScript(fn) {
    return this.#page.evaluateOnNewDocument(fn);
  }

  screenshot(options) {
    return this.#page.screenshot(options);
  }

  setViewportSize({ width, height }) {
    return this.#page.setViewport({ width, height });
  }

  /** `pageerror` (an Error) and `console` (a message with `type()` and `text()`), as Playwright. */
  on(event, listener) {
    this.#page.on(event, listener);
  }

  locator(selector, { hasText } = {}) {
    return new FirefoxLocator(this.#page, selector, hasText);
  }
}

/**
 * The elements matching a CSS selector (and containing `hasText`), looked up anew for every
 * call. Actions wait for exactly one visible element, as Playwright's strict locators do.
 */
class FirefoxLocator {
  #page;
  #selector;
  #hasText;

  constructor(page, selector, hasText) {
    this.#page = page;
    this.#selector = selector;
    this.#hasText = hasText;
  }

  get #what() {
    return this.#hasText === undefined ? this.#selector : `${this.#selector} with "${this.#hasText}"`;
  }

  /** The matching elements' places among the selector's and whether each is visible. */
  async #matches() {
    const all = await this.#page.$$eval(this.#selector, describe, this.#hasText);
    return all.map((m, index) => ({ ...m, index })).filter((m) => m.has);
  }

  /** A handle on the one element (to dispose); with `visible`, only once it can be seen. */
  async #one(timeout = DEFAULT_TIMEOUT, visible = false) {
    const index = await waitFor(`${this.#what} to be there${visible ? ' and visible' : ''}`, async () => {
      const matches = await this.#matches();
      if (matches.length > 1) throw new Error(`strict mode: ${matches.length} elements match ${this.#what}`);
      const [one] = matches;
      return one && (!visible || one.visible) ? one.index : null;
    }, { timeout, interval: 50 });
    const handle = await this.#page.evaluateHandle((s, i) => document.querySelectorAll(s)[i], this.#selector, index);
    const element = handle.asElement();
    if (!element) throw new Error(`${this.#what} went away`);
    return element;
  }

  /** Runs `action` on the one element and lets go of it. */
  async #with(action, timeout, visible) {
    const element = await this.#one(timeout, visible);
    try {
      return await action(element);
    } finally {
      await element.dispose().catch(() => {});
    }
  }

  async count() {
    return (await this.#matches()).length;
  }

  async isVisible() {
    return (await this.#matches())[0]?.visible ?? false;
  }

  async waitFor({ state = 'visible', timeout = DEFAULT_TIMEOUT } = {}) {
    await waitFor(`${this.#what} to be ${state}`, async () => {
      const matches = await this.#matches();
      if (state === 'attached') return matches.length > 0;
      if (state === 'detached') return matches.length === 0;
      const visible = matches.some((m) => m.visible);
      return state === 'hidden' ? !visible : visible;
    }, { timeout, interval: 50 });
  }

  /** A real mouse click in the middle of the element, or at `position` from its top left. */
  click({ timeout = DEFAULT_TIMEOUT, position } = {}) {
    return this.#with(async (element) => {
      await waitFor(`${this.#what} to be enabled`, () => element.evaluate((el) => !el.disabled), { timeout });
      await element.click(position ? { offset: position } : {});
    }, timeout, true);
  }

  /** Replaces the field's text by typing `value` (real key events), as a person would. */
  fill(value) {
    return this.#with(async (element) => {
      await element.evaluate((el) => {
        el.focus();
        el.select();
      });
      if (value === '') await this.#page.keyboard.press('Backspace');
      else await this.#page.keyboard.type(value);
    }, DEFAULT_TIMEOUT, true);
  }

  press(key) {
    return this.#with(async (element) => {
      await element.focus();
      await this.#page.keyboard.press(key);
    });
  }

  isChecked() {
    return this.#with((element) => element.evaluate((el) => el.checked));
  }

  innerText() {
    return this.#with((element) => element.evaluate((el) => el.innerText));
  }

  getAttribute(name) {
    return this.#with((element) => element.evaluate((el, n) => el.getAttribute(n), name));
  }

  evaluate(fn, arg) {
    return this.#with((element) => element.evaluate(fn, arg));
  }
}

/**
 * Runs in the page, on every element of a selector: whether it contains `text` (Playwright's
 * `hasText`: whitespace collapsed, any case) and whether it is visible (Playwright's "visible":
 * a box that is not empty and not `visibility: hidden`).
 */
function describe(elements, text) {
  const squash = (s) => s.replace(/\s+/g, ' ').toLowerCase();
  return elements.map((el) => {
    const box = el.getBoundingClientRect();
    return {
      has: text === undefined || squash(el.textContent ?? '').includes(squash(text)),
      visible: box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden',
    };
  });
}
