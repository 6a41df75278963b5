// What every browser suite sets up the same way: a host of its own with the suite's experts
// (offers ring for 30 s; a request an expert let pass rings for them again after 1 s), one browser (Chromium; Firefox too for a suite that says so), and the
// page errors seen, printed at the end (a Content-Security-Policy refusal among them fails the suite). The hooks are node:test's; `host` and `browser` are there
// once the suite's `before` has run.
import { before, after } from 'node:test';
import { Host } from './host.mjs';
import { browserName, launchBrowser, outputSuffix } from './browser.mjs';

/**
 * Registers the set-up and the tear-down; returns `{ host, browser, pageErrors }` (the first two
 * filled in `before`). Give `recordPageErrors` the `pageErrors` list. With `firefox`, the suite
 * runs in the browser E2E_BROWSER names; without, only in Chromium.
 */
export function browserSuite({ name, experts = [], firefox = false, reofferPauseSecs = 1 }) {
  const suite = { host: null, browser: null, pageErrors: [] };
  before(async () => {
    if (!firefox && browserName !== 'chromium') {
      throw new Error(`this suite runs only in Chromium (E2E_BROWSER is ${browserName})`);
    }
    suite.host = new Host({ name: `${name}${outputSuffix}`, offerTimeoutSecs: 30, reofferPauseSecs });
    for (const expert of experts) await suite.host.addExpert(expert);
    await suite.host.start();
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.host?.stop();
    if (suite.pageErrors.length) console.log(`page errors seen:\n${suite.pageErrors.join('\n')}`);
    // The host's Content-Security-Policy must let its own pages do everything they do: a
    // refusal the browser reports is a failure of the suite, not a line in the log.
    const refused = suite.pageErrors.filter((e) => /Content[- ]Security[- ]Policy/i.test(e));
    if (refused.length) throw new Error(`the pages broke the host's Content-Security-Policy:\n${refused.join('\n')}`);
  });
  return suite;
}
