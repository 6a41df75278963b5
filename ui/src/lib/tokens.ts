// Where a browser tab keeps participant tokens: per tab, never in the address bar.

const PREFIX = 'instant-share.token.';

/** The stored participant token for a session, if this tab has one. */
export function loadToken(sessionId: string): string | null {
  try {
    return sessionStorage.getItem(PREFIX + sessionId);
  } catch {
    return null;
  }
}

/** Keeps a participant token for this tab. */
export function storeToken(sessionId: string, token: string): void {
  try {
    sessionStorage.setItem(PREFIX + sessionId, token);
  } catch {
    // Storage disabled: the token still works for this page load.
  }
}

/**
 * Takes `#token=…` from the address bar, if present, and removes the fragment so the token does
 * not stay in history or get copied along with the link.
 */
export function takeFragmentToken(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const token = new URLSearchParams(hash).get('token');
  if (token === null) return null;
  const { pathname, search } = window.location;
  history.replaceState(history.state, '', pathname + search);
  return token || null;
}
