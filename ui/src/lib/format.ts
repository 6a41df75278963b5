// Small formatting helpers for times and durations.

/** "45 s", "3 min 05 s", "1 h 02 min" for an elapsed number of milliseconds. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${pad(m)} min`;
  if (m > 0) return `${m} min ${pad(s)} s`;
  return `${s} s`;
}

/**
 * "under a minute", "about 3 min", "about 2 h" for an estimate in seconds, rounded up: a person
 * who is told a figure would rather be joined sooner than later.
 */
export function formatEstimate(secs: number): string {
  if (secs < 60) return 'under a minute';
  const minutes = Math.ceil(secs / 60);
  if (minutes < 90) return `about ${minutes} min`;
  return `about ${Math.round(minutes / 60)} h`;
}

/** "14:05" in the viewer's locale, for a Unix time in milliseconds. */
export function formatClock(unixMillis: number): string {
  return new Date(unixMillis).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** "Ana", "Ana and Bo", "Ana, Bo and Kim": a list of words as a sentence says it. */
export function listWords(words: string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Initials for an avatar: "Ana Lima" → "AL". */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((p) => (p ?? '').charAt(0).toUpperCase()).join('') || '?';
}

function pad(n: number): string {
  return n.toString().padStart(2, '0');
}
