// Waiting for a condition with a deadline, instead of sleeping and hoping.
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Calls `probe` until it returns something other than `undefined`, `null` or `false`, and
 * returns that. Errors thrown by `probe` count as "not yet"; the last one is reported if time
 * runs out.
 * @template T
 * @param {string | (() => string)} what  what is awaited, for the error message
 * @param {() => Promise<T> | T} probe
 * @param {{timeout?: number, interval?: number}} [options]  milliseconds
 * @returns {Promise<T>}
 */
export async function waitFor(what, probe, { timeout = 10_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? `: ${lastError.message ?? lastError}` : '';
      const description = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeout} ms waiting for ${description}${cause}`, { cause: lastError });
    }
    await delay(interval);
  }
}
