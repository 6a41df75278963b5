// Cutting a page's session socket, the same way in Chromium and Firefox: the page keeps every
// WebSocket it opens (an init script, before the app's own code runs), and the test closes the
// open session socket from inside the page. The app sees what it sees when the host goes away:
// a `close` event it did not ask for.
import assert from 'node:assert/strict';
import { waitFor } from './wait.mjs';

/** Runs in the page before its scripts (`page.addInitScript(keepSockets)`). */
export function keepSockets() {
  const sockets = [];
  window.__e2eSockets = sockets;
  window.WebSocket = class extends window.WebSocket {
    constructor(...args) {
      super(...args);
      sockets.push(this);
    }
  };
}

/** Closes `page`'s one open session socket (code 4000) and waits until it is closed. */
export async function cutSessionSocket(page) {
  const open = await page.evaluate(() =>
    window.__e2eSockets.flatMap((ws, i) => (new URL(ws.url).pathname === '/api/v1/ws' && ws.readyState === WebSocket.OPEN ? [i] : [])),
  );
  assert.equal(open.length, 1, `the page has one open session socket to cut (open: ${open.length})`);
  await page.evaluate((i) => window.__e2eSockets[i].close(4000, 'test drops the socket'), open[0]);
  await waitFor('the cut session socket to be closed', () =>
    page.evaluate((i) => window.__e2eSockets[i].readyState === WebSocket.CLOSED, open[0]),
  );
}
