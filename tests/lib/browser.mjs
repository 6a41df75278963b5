// Debian's Chromium, driven by playwright-core (never a downloaded browser); for the suites
// that also run in Firefox, the browser that E2E_BROWSER names (lib/firefox.mjs).
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { outputDir } from './paths.mjs';
import { launchFirefox } from './firefox.mjs';

export const chromiumPath = process.env.INSTANT_SHARE_CHROMIUM ?? '/usr/bin/chromium';

/** `chromium` (the default) or `firefox`: the browser of the suites that run in both. */
export const browserName = process.env.E2E_BROWSER || 'chromium';
if (!['chromium', 'firefox'].includes(browserName)) {
  throw new Error(`E2E_BROWSER is '${browserName}': it must be chromium or firefox`);
}

/**
 * Launches the browser that E2E_BROWSER names. Firefox's comes with the Playwright calls the
 * console and call suites make, and no others.
 */
export function launchBrowser() {
  return browserName === 'firefox' ? launchFirefox() : launchChromium();
}

/**
 * Launches headless Chromium with the flags that work on these machines (shared/MEDIA-NOTES.md).
 * Playwright passes `--headless` itself and gives every launch a new empty profile
 * (`--user-data-dir` is not allowed in `args`).
 */
export async function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}

/** A `[data-testid=…]` selector. */
export const tid = (id) => `[data-testid="${id}"]`;

/** `-firefox` in Firefox: both browsers' files stay side by side in tests/output. */
export const outputSuffix = browserName === 'chromium' ? '' : `-${browserName}`;

/** Saves a full-page screenshot as tests/output/NAME.png (NAME-firefox.png in Firefox). */
export async function screenshot(page, name) {
  await mkdir(outputDir, { recursive: true });
  await page.screenshot({ path: path.join(outputDir, `${name}${outputSuffix}.png`), fullPage: true });
}

/**
 * Collects a page's console errors and uncaught exceptions into `errors`, so that a test run
 * can show them.
 * @param {import('playwright-core').Page} page
 * @param {string} label
 * @param {string[]} errors
 */
export function recordPageErrors(page, label, errors) {
  page.on('pageerror', (error) => errors.push(`${label}: uncaught ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${label}: console.error ${message.text()}`);
  });
}

/**
 * Runs `body`; if it throws, saves a screenshot of every page of `context` as
 * tests/output/NAME-failure-N.png before passing the error on.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} name
 * @param {() => Promise<void>} body
 */
export async function screenshotsOnFailure(context, name, body) {
  try {
    await body();
  } catch (error) {
    let n = 0;
    for (const page of context.pages()) {
      n += 1;
      await screenshot(page, `${name}-failure-${n}`).catch(() => {});
    }
    throw error;
  }
}

/**
 * Opens the console in a new page of `context`, signs `expert` in and makes them available;
 * resolves the page. `errors` collects the page's errors.
 */
export async function availableExpert(context, hostUrl, expert, errors, timeout = 15_000) {
  const page = await context.newPage();
  recordPageErrors(page, 'console', errors);
  await page.goto(`${hostUrl}/console`);
  await page.locator(tid('login-username')).fill(expert.username, { timeout });
  await page.locator(tid('login-password')).fill(expert.password, { timeout });
  await page.locator(tid('login-submit')).click({ timeout });
  await page.locator(tid('availability-toggle')).click({ timeout });
  return page;
}
